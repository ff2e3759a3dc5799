//! The native API: `POST /api/v1/cutouts` and the result links `GET`/`DELETE /r/{id}?key=…`.
//!
//! The photo comes as `multipart/form-data` (file field `image`, optional `bg_image`), as JSON or
//! form fields (`image_b64`), or as the raw body (`image/*`, options in the query). The answer is the
//! image, or JSON with the link and metadata when `Accept: application/json`.
//!
//! Options: `format` (png, webp, jpg, mask, zip), `size` (`full` = 1024, `preview` = 768, or a
//! multiple of 32 from 256 to 1024), `bg_color` (`#rrggbb`, `#rrggbbaa` with an alpha, or a colour
//! name), `background` (`transparent`, `blur`), `crop` (true/false, 1/0 or yes/no), `crop_margin`
//! (`12px` or `10%`, or 2 or 4 values as remove.bg reads them), remove.bg's `roi`, `scale` and
//! `position`; `output_size` (`WxH`) with `fit` (`contain`, `cover`) and `padding`; `preset`
//! (`amazon`, `ebay`: white, square, subject filling 85 % / 90 %); `shadow` (`drop`, `contact`)
//! with `shadow_opacity`, `shadow_softness` (0–100) and `shadow_offset` (`x y`, % of the subject);
//! `outline_width` (px) and `outline_color`; `refine` (`none`, or `guided`: the mask's edges
//! refined by the photo with the fast guided filter, off by default).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use services::cutout::compose::Finish;
use services::cutout::layout::Preset;
use services::cutout::{BackgroundRequest, CutoutRequest, CutoutService, ModelSize, OutputFormat};
use services::results::{ResultId, ResultKey};
use services::{AppState, Error};

use super::form::{self, Form};
use super::limits;
use super::options::{
    bad_size, canvas, crop, native_shadow, outline, parse_color, parse_preset, parse_refine,
    parse_roi, placement,
};
use super::reply::{accepts_json, failure, gone, no_store, set, unavailable};
use crate::state::ServerState;

/// The fields `POST /api/v1/cutouts` accepts; any other name is refused with a 400 naming it.
const FIELDS: form::Fields = form::Fields {
    files: &["image", "image_file", "bg_image", "bg_image_file"],
    base64: &[
        "image_b64",
        "image_file_b64",
        "bg_image_b64",
        "bg_image_file_b64",
    ],
    text: &[
        "format",
        "size",
        "bg_color",
        "background",
        "crop",
        "crop_margin",
        "roi",
        "scale",
        "position",
        "output_size",
        "fit",
        "padding",
        "preset",
        "shadow",
        "shadow_opacity",
        "shadow_softness",
        "shadow_offset",
        "outline_width",
        "outline_color",
        "refine",
    ],
};

/// The model size `size=preview` asks for: close to the full mask (IoU 0.99) at 60 % of the time.
pub const PREVIEW_SIZE: usize = 768;

/// Cuts the subject out of a photo.
#[utoipa::path(
    post,
    path = "/api/v1/cutouts",
    tag = "cutouts",
    security((), ("api_key" = [])),
    request_body(content(
            (inline(super::openapi::CutoutForm) = "multipart/form-data"),
            (inline(super::openapi::CutoutJson) = "application/json",
                example = json!({"image_b64": super::openapi::EXAMPLE_PNG_B64, "size": "256"}))
        ),
        description = "Or the photo as the body (image/*) with options in the query, or form fields with image_b64."),
    responses(
        (status = 200, description = "The result image in the requested format; `X-Result-Url` links to it for 7 days",
            content(("image/png"), ("image/webp"), ("image/jpeg"), ("application/zip"))),
        (status = 201, description = "With `Accept: application/json`: the link and metadata", body = super::openapi::CutoutCreated),
        (status = 400, description = "Malformed request (no photo, empty upload)", body = super::openapi::ErrorBody),
        (status = 401, description = "`X-Api-Key` is wrong or revoked", body = super::openapi::ErrorBody),
        (status = 402, description = "Too few credits on the key's account (only with payments on; a call costs 1 credit, given back if it fails)", body = super::openapi::ErrorBody),
        (status = 413, description = "Over the upload limit", body = super::openapi::ErrorBody),
        (status = 415, description = "Not a JPEG, PNG or WebP image", body = super::openapi::ErrorBody),
        (status = 422, description = "Unreadable or incomplete image, too many pixels, no subject found in the photo (nothing is stored), or an invalid option", body = super::openapi::ErrorBody),
        (status = 429, description = "Anonymous rate limit; see `Retry-After`", body = super::openapi::ErrorBody),
        (status = 503, description = "Queue full (see `Retry-After`) or no model installed", body = super::openapi::ErrorBody)
    )
)]
pub async fn create(
    State(app): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let Some(service) = app.cutouts() else {
        return unavailable();
    };
    limits::guarded(&app, request, failure, |request| async {
        let owner = limits::Owner::of(&app, &request);
        // With an API key it is the API; the editor calls this route without one.
        let channel = if headers.contains_key("x-api-key") {
            services::analytics::Channel::Api
        } else {
            services::analytics::Channel::Web
        };
        let response = cut_photo(service, query, headers, request, owner)
            .await
            .unwrap_or_else(failure);
        if response.status().is_success() {
            services::analytics::cutout(&app, channel);
        }
        response
    })
    .await
}

async fn cut_photo(
    service: Arc<CutoutService>,
    query: HashMap<String, String>,
    headers: HeaderMap,
    request: Request,
    owner: Option<limits::Owner>,
) -> Result<Response, Error> {
    let wants_json = accepts_json(&headers);
    let max_bytes = service.limits.max_bytes;
    // A place before the upload is read: a full queue costs neither memory nor decoding.
    let place = match service.reserve() {
        Ok(place) => place,
        Err(err) => return Err(form::refuse_unread(request, err).await),
    };
    let photo = &["image", "image_file", "image_b64", "image_file_b64"];
    let missing = "no photo in the request: send it in the field `image`";
    let (mut form, image) =
        form::read_photo(request, query, max_bytes, &FIELDS, photo, missing).await?;
    let background = form.take_file(&[
        "bg_image",
        "bg_image_file",
        "bg_image_b64",
        "bg_image_file_b64",
    ]);
    let request = options(&form, background)?;
    let (cutout, _) = limits::paid(owner.as_ref(), services::credits::FULL_CALL, async {
        let cutout = service.cut(place, image, request).await?;
        if let Some(owner) = &owner {
            owner.record(&cutout).await?;
        }
        Ok(cutout)
    })
    .await?;
    let link = format!("/r/{}?key={}", cutout.id.as_str(), cutout.key.encode());
    let expires = cutout.expires_at.to_rfc3339();
    if wants_json {
        let body = json!({
            "result": {
                "url": link,
                "expires_at": expires,
                "content_type": cutout.encoded.content_type,
                "width": cutout.width,
                "height": cutout.height,
                "foreground": {
                    "top": cutout.foreground.top,
                    "left": cutout.foreground.left,
                    "width": cutout.foreground.width,
                    "height": cutout.foreground.height,
                },
            }
        });
        let mut response = (StatusCode::CREATED, axum::Json(body)).into_response();
        no_store(&mut response);
        return Ok(response);
    }
    let mut response = Response::new(Body::from(cutout.encoded.bytes));
    let h = response.headers_mut();
    set(
        h,
        header::CONTENT_TYPE.as_str(),
        cutout.encoded.content_type,
    );
    set(h, "x-width", &cutout.width.to_string());
    set(h, "x-height", &cutout.height.to_string());
    set(h, "x-result-url", &link);
    set(h, "x-result-expires", &expires);
    no_store(&mut response);
    Ok(response)
}

fn options(
    form: &Form,
    bg_image: Option<zeroize::Zeroizing<Vec<u8>>>,
) -> Result<CutoutRequest, Error> {
    let format = OutputFormat::parse(form.field("format").unwrap_or("png"))?;
    let size = match form.field("size").unwrap_or("full") {
        "full" | "auto" => ModelSize::FULL,
        "preview" => ModelSize::new(PREVIEW_SIZE)?,
        number => ModelSize::new(number.parse().map_err(|_| bad_size())?)?,
    };
    let preset = form.field("preset").map(parse_preset).transpose()?;
    let background = match (bg_image, form.field("bg_color"), form.field("background")) {
        (Some(image), _, _) => BackgroundRequest::Image(Arc::new(image)),
        (None, Some(color), _) => BackgroundRequest::Color(parse_color(color)?),
        // A preset's white, unless the request names a background of its own.
        (None, None, None) if preset.is_some() => {
            BackgroundRequest::Color(preset.map_or([255; 4], Preset::background))
        }
        (None, None, None | Some("transparent")) => BackgroundRequest::Transparent,
        (None, None, Some("blur")) => BackgroundRequest::Blur,
        (None, None, Some(other)) => BackgroundRequest::Color(parse_color(other)?),
    };
    let own_layout = placement(form.field("scale"), form.field("position"))?;
    let own_canvas = canvas(
        form.field("output_size"),
        form.field("fit"),
        form.field("padding"),
    )?;
    let placement = match (preset, own_layout, own_canvas) {
        (Some(preset), None, None) => Some(preset.placement()),
        (Some(_), _, _) => {
            return Err(Error::Invalid {
                field: "preset",
                message: "a preset sets the size and the subject's place: leave out scale, position and output_size".into(),
            });
        }
        (None, Some(_), Some(_)) => {
            return Err(Error::Invalid {
                field: "output_size",
                message: "use either output_size (the whole result on a canvas) or scale and position (the subject on the result's own canvas)".into(),
            });
        }
        (None, layout, canvas) => layout.or(canvas),
    };
    let finish = Finish {
        crop: crop(form.field("crop"), form.field("crop_margin"))?,
        placement,
        outline: outline(form.field("outline_width"), form.field("outline_color"))?,
        shadow: native_shadow(
            form.field("shadow"),
            form.field("shadow_opacity"),
            form.field("shadow_softness"),
            form.field("shadow_offset"),
        )?,
    };
    Ok(CutoutRequest {
        size,
        format,
        background,
        roi: form.field("roi").map(parse_roi).transpose()?,
        finish,
        guided: parse_refine(form.field("refine"))?,
        max_pixels: None,
    })
}

/// `/r/{id}?key=…` resolved: the service and a well-formed id and key. Anything else is answered
/// before the handler runs: 503 without a model, the one 404 for a malformed link.
pub struct ResultLink {
    service: Arc<CutoutService>,
    id: ResultId,
    key: ResultKey,
}

#[derive(serde::Deserialize)]
struct KeyQuery {
    key: Option<String>,
}

impl FromRequestParts<ServerState> for ResultLink {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &ServerState) -> Result<Self, Response> {
        let Some(service) = state.app.cutouts() else {
            return Err(unavailable());
        };
        let Ok(Path(id)) = Path::<String>::from_request_parts(parts, state).await else {
            return Err(gone());
        };
        let Ok(Query(query)) = Query::<KeyQuery>::from_request_parts(parts, state).await else {
            return Err(gone());
        };
        match (
            ResultId::parse(&id),
            query.key.as_deref().and_then(ResultKey::parse),
        ) {
            (Some(id), Some(key)) => Ok(Self { service, id, key }),
            _ => Err(gone()),
        }
    }
}

/// Downloads a stored result again (for 7 days).
#[utoipa::path(
    get,
    path = "/r/{id}",
    tag = "cutouts",
    params(("id" = String, Path, description = "The result id"), ("key" = String, Query, description = "The key from the link")),
    responses(
        (status = 200, description = "The result, decrypted with the key", content_type = "image/png"),
        (status = 404, description = "Unknown id, wrong key, deleted or expired: one answer for all", body = super::openapi::ErrorBody)
    )
)]
pub async fn download(link: ResultLink) -> Response {
    match link.service.fetch(link.id, link.key).await {
        Ok(opened) => {
            let extension = match opened.content_type.as_str() {
                "image/webp" => "webp",
                "image/jpeg" => "jpg",
                "application/zip" => "zip",
                _ => "png",
            };
            let mut response = Response::new(Body::from(opened.bytes.to_vec()));
            let h = response.headers_mut();
            set(h, header::CONTENT_TYPE.as_str(), &opened.content_type);
            set(
                h,
                header::CONTENT_DISPOSITION.as_str(),
                &format!("attachment; filename=\"imgigo-cutout.{extension}\""),
            );
            set(h, "x-result-expires", &opened.expires_at.to_rfc3339());
            no_store(&mut response);
            response
        }
        Err(Error::NotFound(_)) => gone(),
        Err(err) => failure(err),
    }
}

/// Deletes a stored result before it expires.
#[utoipa::path(
    delete,
    path = "/r/{id}",
    tag = "cutouts",
    params(("id" = String, Path, description = "The result id"), ("key" = String, Query, description = "The key from the link")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "Unknown id, wrong key, deleted or expired", body = super::openapi::ErrorBody)
    )
)]
pub async fn remove(link: ResultLink) -> Response {
    match link.service.delete(link.id, link.key).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(Error::NotFound(_)) => gone(),
        Err(err) => failure(err),
    }
}
