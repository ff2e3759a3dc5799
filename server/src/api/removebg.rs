//! remove.bg's API on imgigo, so existing clients switch by changing the base URL:
//! `POST /v1.0/removebg` and `GET /v1.0/account`.
//!
//! The body may be `multipart/form-data`, `application/json` or
//! `application/x-www-form-urlencoded`, as remove.bg accepts; booleans as JSON booleans or
//! `"true"`/`"false"`. Fields: `image_file` / `image_file_b64` / `image_url` (fetched only where
//! `IMGIGO_FETCH_URLS=true`, from public addresses), `size` (`preview` (default, ≤ 0.25 MP), `full`,
//! `50MP`, `auto`, legacy `small`, `regular`, `medium`, `hd`, `4k`), `format` (`auto`, `png`, `jpg`, `webp`, `zip`), `channels` (`rgba`, `alpha`),
//! `bg_color` (with an alpha as `#rrggbbaa`), `bg_image_file`, `crop`, `crop_margin` (1, 2 or 4
//! values), `roi`, `scale`, `position`, `shadow_type` (`none`, `drop`, `3D`/`car`: a contact
//! shadow), `shadow_opacity`, `add_shadow` (legacy: a drop shadow), `semitransparency` (`true`
//! only), `type` (accepted; imgigo does not classify). Refusals carry remove.bg's codes
//! (`invalid_roi`, `roi_region_empty`, `roi_exceeds_bounds`, `invalid_bg_color`,
//! `resolution_too_high`, `multiple_sources`, `missing_source`, …).
//! Answers carry `X-Width`, `X-Height`, `X-Type`, `X-Credits-Charged` and the `X-Foreground-*` box;
//! with `Accept: application/json` the image comes base64-encoded in `{"data": {"result_b64": …}}`.
//! Errors use remove.bg's `{"errors": [{"title", "code", "detail"}]}` shape.
//!
//! `X-Api-Key` is optional: a valid key gets per-key limits, a missing one the anonymous per-address
//! limits, and a wrong or revoked one 403 `auth_failed` (as remove.bg answers).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::json;

use services::cutout::compose::Finish;
use services::cutout::{BackgroundRequest, CutoutRequest, ModelSize, OutputFormat};
use services::{AppState, Error};

use super::form::{self, Form};
use super::limits;
use super::native::PREVIEW_SIZE;
use super::options::{crop, parse_color, parse_roi, placement, removebg_shadow, switch};
use super::refusal::Refusal;
use super::reply::{accepts_json, no_store, set};

/// remove.bg's fields; any other name is refused with a 400 naming it. `type` and `type_level`
/// are accepted and ignored (imgigo does not classify); `semitransparency` is accepted at the value
/// imgigo's output matches (`true`), refused otherwise.
const FIELDS: form::Fields = form::Fields {
    files: &["image_file", "image", "bg_image_file"],
    base64: &["image_file_b64", "bg_image_file_b64"],
    text: &[
        "image_url",
        "bg_image_url",
        "size",
        "type",
        "type_level",
        "format",
        "roi",
        "crop",
        "crop_margin",
        "scale",
        "position",
        "channels",
        "add_shadow",
        "shadow_type",
        "shadow_opacity",
        "semitransparency",
        "bg_color",
    ],
};

/// remove.bg's `preview`: results of at most a quarter megapixel.
const PREVIEW_PIXELS: u64 = 250_000;

/// remove.bg's background removal, same fields and answers.
#[utoipa::path(
    post,
    path = "/v1.0/removebg",
    tag = "remove.bg compatible",
    security((), ("api_key" = [])),
    request_body(content(
            (inline(super::openapi::RemoveBgForm) = "multipart/form-data"),
            (inline(super::openapi::RemoveBgJson) = "application/json",
                example = json!({"image_file_b64": super::openapi::EXAMPLE_PNG_B64, "size": "preview"}))
        ),
        description = "Also as application/x-www-form-urlencoded (with image_file_b64)."),
    responses(
        (status = 200, description = "The result image, or with `Accept: application/json` the JSON below",
            content((super::openapi::RemoveBgResult = "application/json"), ("image/png"), ("image/jpeg"), ("image/webp"), ("application/zip"))),
        (status = 400, description = "Invalid parameters (`invalid_parameters`), or no subject found in the photo (`unknown_foreground`; nothing is stored)", body = super::openapi::RemoveBgErrors),
        (status = 402, description = "Too few credits on the key's account (`insufficient_credits`; only with payments on; nothing is charged)", body = super::openapi::RemoveBgErrors),
        (status = 403, description = "A wrong or revoked API key", body = super::openapi::RemoveBgErrors),
        (status = 413, description = "File too large", body = super::openapi::RemoveBgErrors),
        (status = 415, description = "Unsupported file format", body = super::openapi::RemoveBgErrors),
        (status = 422, description = "Image could not be processed (damaged, incomplete or too many pixels)", body = super::openapi::RemoveBgErrors),
        (status = 429, description = "Rate limit exceeded", body = super::openapi::RemoveBgErrors),
        (status = 503, description = "Busy or no model", body = super::openapi::RemoveBgErrors)
    )
)]
pub async fn remove_background(
    State(app): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let Some(service) = app.cutouts() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "Background removal is not available",
            "the segmentation model is not installed on this server",
        );
    };
    limits::guarded(&app, request, failure, |request| async {
        let owner = limits::Owner::of(&app, &request);
        let response = remove_photo(service, app.fetch, query, headers, request, owner)
            .await
            .unwrap_or_else(failure);
        if response.status().is_success() {
            services::analytics::cutout(&app, services::analytics::Channel::Api);
        }
        response
    })
    .await
}

async fn remove_photo(
    service: Arc<services::cutout::CutoutService>,
    fetch: services::fetch::FetchPolicy,
    query: HashMap<String, String>,
    headers: HeaderMap,
    request: Request,
    owner: Option<limits::Owner>,
) -> Result<Response, Error> {
    let wants_json = accepts_json(&headers);
    let max_bytes = service.limits.max_bytes;
    // A place before the upload is read (or a URL fetched): a full queue costs nothing.
    let place = match service.reserve() {
        Ok(place) => place,
        Err(err) => return Err(form::refuse_unread(request, err).await),
    };
    let mut form = form::read(request, query, max_bytes, &FIELDS).await?;
    let fetched = |field: &'static str| {
        let url = form.field(field).map(str::to_string);
        let policy = fetch;
        async move {
            match url {
                Some(url) => services::fetch::fetch(&url, field, &policy).await.map(Some),
                None => Ok(None),
            }
        }
    };
    let from_url = fetched("image_url").await?;
    let bg_from_url = fetched("bg_image_url").await?;
    let image = match (
        from_url,
        form.take_file(&["image_file", "image", "image_file_b64"]),
    ) {
        (Some(_), Some(_)) => return Err(sources("multiple_sources", "image")),
        (Some(image), None) | (None, Some(image)) => {
            if form
                .take_file(&["image_file", "image", "image_file_b64"])
                .is_some()
            {
                return Err(sources("multiple_sources", "image"));
            }
            image
        }
        (None, None) => {
            return Err(Error::Coded {
                kind: services::ErrorKind::BadRequest,
                code: "missing_source",
                message: "no image given: send image_file, image_file_b64 or image_url".into(),
            });
        }
    };
    let bg_file = form.take_file(&["bg_image_file", "bg_image_file_b64"]);
    let more_bg = form
        .take_file(&["bg_image_file", "bg_image_file_b64"])
        .is_some();
    let bg_colour = form.field("bg_color").is_some();
    let bg_sources = [bg_file.is_some(), more_bg, bg_from_url.is_some(), bg_colour]
        .iter()
        .filter(|given| **given)
        .count();
    if bg_sources > 1 {
        return Err(sources("multiple_bg_sources", "background"));
    }
    let (request, format_name) = options(&form, bg_file.or(bg_from_url))?;
    let cost = if is_preview(&form) {
        services::credits::PREVIEW_CALL
    } else {
        services::credits::FULL_CALL
    };
    let (cutout, charged) = limits::paid(owner.as_ref(), cost, async {
        let cutout = service.cut(place, image, request).await?;
        if let Some(owner) = &owner {
            owner.record(&cutout).await?;
        }
        Ok(cutout)
    })
    .await?;
    let mut response = if wants_json {
        let body = json!({
            "data": {
                "result_b64": base64::engine::general_purpose::STANDARD.encode(&cutout.encoded.bytes),
                "foreground_top": cutout.foreground.top,
                "foreground_left": cutout.foreground.left,
                "foreground_width": cutout.foreground.width,
                "foreground_height": cutout.foreground.height,
            }
        });
        axum::Json(body).into_response()
    } else {
        let mut response = Response::new(Body::from(cutout.encoded.bytes));
        set(
            response.headers_mut(),
            header::CONTENT_TYPE.as_str(),
            cutout.encoded.content_type,
        );
        response
    };
    let h = response.headers_mut();
    set(h, "x-width", &cutout.width.to_string());
    set(h, "x-height", &cutout.height.to_string());
    set(h, "x-type", "other");
    set(
        h,
        "x-credits-charged",
        &services::credits::as_credits(charged).to_string(),
    );
    set(h, "x-foreground-top", &cutout.foreground.top.to_string());
    set(h, "x-foreground-left", &cutout.foreground.left.to_string());
    set(
        h,
        "x-foreground-width",
        &cutout.foreground.width.to_string(),
    );
    set(
        h,
        "x-foreground-height",
        &cutout.foreground.height.to_string(),
    );
    set(h, "x-imgigo-format", format_name);
    no_store(&mut response);
    Ok(response)
}

/// remove.bg's account endpoint: the key's allowance. With payments on (`IMGIGO_STRIPE_SECRET_KEY`)
/// `credits` is the account's balance by bucket (plus imgigo's `free`, the month's free credits,
/// counted in `total`); with payments off every account has none and is never charged.
/// `free_calls` is the key's burst. `api.rate_limit.limit` is the number every
/// keyed answer's `X-RateLimit-Limit` carries.
#[utoipa::path(
    get,
    path = "/v1.0/account",
    tag = "remove.bg compatible",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The key's account", body = serde_json::Value),
        (status = 403, description = "No key, or a key that is not valid", body = super::openapi::RemoveBgErrors),
        (status = 429, description = "Rate limit exceeded (the key's, or too many invalid keys from this address)", body = super::openapi::RemoveBgErrors)
    )
)]
pub async fn account(State(app): State<AppState>, request: Request) -> Response {
    if request.headers().get("x-api-key").is_none() {
        return error(
            StatusCode::FORBIDDEN,
            "auth_failed",
            "Missing API Key",
            "send your API key in the X-Api-Key header",
        );
    }
    // Limited like every other call: per key, and wrong keys per address (in `identify`).
    // The numbers come from the limiter that writes the `X-RateLimit-*` headers, so the two can
    // never disagree: `limit` is `X-RateLimit-Limit` (calls at once), refilled at
    // `refill_per_minute`.
    let limit = app.key_limiter.limit();
    let state = app.clone();
    limits::guarded(&app, request, failure, |request| async move {
        match request.extensions().get::<limits::Caller>() {
            Some(limits::Caller::Key(identity)) => {
                // Without payments every account has no credits and is never charged.
                let balance = match services::credits::balance_of(&state, identity.user_id).await {
                    Ok(balance) => balance.unwrap_or_default(),
                    Err(err) => return failure(err),
                };
                let credits = services::credits::as_credits;
                let body = serde_json::json!({
                    "data": { "attributes": {
                        "credits": {
                            "total": credits(balance.total()),
                            "subscription": credits(balance.subscription),
                            "payg": credits(balance.payg),
                            "free": credits(balance.free),
                            "enterprise": 0,
                        },
                        "api": { "free_calls": limit.burst.get(), "sizes": "all",
                                 "rate_limit": { "limit": limit.burst.get(),
                                                 "refill_per_minute": limit.per_minute.get() } }
                    } }
                });
                let mut response = axum::Json(body).into_response();
                no_store(&mut response);
                response
            }
            // Not reached: with the header present, `identify` names a key or refuses.
            _ => failure(Error::Unauthorized(
                services::accounts::api_keys::INVALID_KEY.into(),
            )),
        }
    })
    .await
}

/// Two sources given for one picture (remove.bg's `multiple_sources`, `multiple_bg_sources`).
fn sources(code: &'static str, what: &str) -> Error {
    let fields = if what == "image" {
        "image_file, image_file_b64 or image_url"
    } else {
        "bg_color, bg_image_file, bg_image_file_b64 or bg_image_url"
    };
    Error::Coded {
        kind: services::ErrorKind::BadRequest,
        code,
        message: format!("more than one {what} given: send one of {fields}"),
    }
}

/// Whether the call asks for remove.bg's preview size (a quarter credit, not one).
fn is_preview(form: &Form) -> bool {
    matches!(
        form.field("size")
            .unwrap_or("preview")
            .to_ascii_lowercase()
            .as_str(),
        "preview" | "small" | "regular"
    )
}

/// The request's options, and the format's name for the `X-Imgigo-Format` header.
fn options(
    form: &Form,
    bg_image: Option<zeroize::Zeroizing<Vec<u8>>>,
) -> Result<(CutoutRequest, &'static str), Error> {
    let invalid = |field: &'static str, message: &str| Error::Invalid {
        field,
        message: message.to_string(),
    };
    let (size, max_pixels) = match form
        .field("size")
        .unwrap_or("preview")
        .to_ascii_lowercase()
        .as_str()
    {
        "preview" | "small" | "regular" => (ModelSize::new(PREVIEW_SIZE)?, Some(PREVIEW_PIXELS)),
        "medium" => (ModelSize::FULL, Some(1_500_000)),
        "hd" => (ModelSize::FULL, Some(4_000_000)),
        "4k" => (ModelSize::FULL, Some(10_000_000)),
        "full" | "auto" | "50mp" => (ModelSize::FULL, None),
        _ => {
            return Err(invalid(
                "size",
                "use preview, full, 50MP or auto (or small, regular, medium, hd, 4k)",
            ));
        }
    };
    let background = match (bg_image, form.field("bg_color")) {
        (Some(image), _) => BackgroundRequest::Image(Arc::new(image)),
        (None, Some(color)) => BackgroundRequest::Color(parse_color(color)?),
        (None, None) => BackgroundRequest::Transparent,
    };
    let transparent = matches!(background, BackgroundRequest::Transparent);
    let alpha_only = match form
        .field("channels")
        .unwrap_or("rgba")
        .to_ascii_lowercase()
        .as_str()
    {
        "rgba" => false,
        "alpha" => true,
        _ => return Err(invalid("channels", "use rgba or alpha")),
    };
    let (format, name) = match form
        .field("format")
        .unwrap_or("auto")
        .to_ascii_lowercase()
        .as_str()
    {
        "zip" => (OutputFormat::Zip, "zip"),
        _ if alpha_only => (OutputFormat::Mask, "png"),
        "auto" if transparent => (OutputFormat::Png, "png"),
        "auto" | "jpg" | "jpeg" => (OutputFormat::Jpeg, "jpg"),
        "png" => (OutputFormat::Png, "png"),
        "webp" => (OutputFormat::Webp, "webp"),
        _ => return Err(invalid("format", "use auto, png, jpg, webp or zip")),
    };
    unsupported(form)?;
    let finish = Finish {
        crop: crop(form.field("crop"), form.field("crop_margin"))?,
        placement: placement(form.field("scale"), form.field("position"))?,
        outline: None,
        shadow: removebg_shadow(
            form.field("shadow_type"),
            form.field("shadow_opacity"),
            form.field("add_shadow"),
        )?,
    };
    Ok((
        CutoutRequest {
            size,
            format,
            background,
            roi: form.field("roi").map(parse_roi).transpose()?,
            finish,
            guided: false,
            max_pixels,
        },
        name,
    ))
}

/// remove.bg's `semitransparency`: imgigo always keeps soft edges, so only `true` is accepted
/// (never silently ignored).
fn unsupported(form: &Form) -> Result<(), Error> {
    if !matches!(
        switch("semitransparency", form.field("semitransparency")),
        Ok(None | Some(true))
    ) {
        return Err(Error::Invalid {
            field: "semitransparency",
            message: "imgigo supports only true (soft edges are kept)".into(),
        });
    }
    Ok(())
}

/// A services error in remove.bg's shape and statuses (the table is [`Refusal`]'s).
fn failure(err: Error) -> Response {
    let refusal = Refusal::of(&err);
    let code = refusal.removebg;
    let mut response = error(code.status, code.code, code.title, &refusal.sentence);
    if let Some(seconds) = refusal.retry_after {
        set(
            response.headers_mut(),
            header::RETRY_AFTER.as_str(),
            &seconds.to_string(),
        );
    }
    response
}

fn error(status: StatusCode, code: &str, title: &str, detail: &str) -> Response {
    let body = json!({ "errors": [{ "title": title, "code": code, "detail": detail }] });
    (status, axum::Json(body)).into_response()
}
