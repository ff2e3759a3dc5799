//! The native REST API for cutouts and the result links.
//!
//! - `POST /api/v1/cutouts`: the photo as `multipart/form-data` (field `image`, optional
//!   `bg_image`, option fields) or as the raw body (`image/*`, options in the query). Answers the
//!   image, or JSON with the link and metadata when `Accept: application/json`.
//! - `GET /r/{id}?key=…`: the stored result again, for 7 days. `DELETE` removes it early.
//!
//! Options: `format` (png, webp, jpg, mask, zip), `size` (`full` = 1024, `preview` = 768, or a
//! multiple of 32 from 256 to 1024), `bg_color` (`#rrggbb`), `background` (`transparent`, `blur`),
//! `crop` (true/false), `crop_margin` (`12px` or `10%`).
//!
//! Upload bytes are read into wiped-on-drop buffers under the byte limit, never to a file, and never
//! logged; result keys appear only in responses (the request log records paths, not queries).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{
    DefaultBodyLimit, FromRequest, FromRequestParts, Multipart, Path, Query, Request, State,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::BodyExt;
use serde_json::json;
use zeroize::Zeroizing;

use app::AppError;
use services::cutout::compose::Margin;
use services::cutout::{BackgroundRequest, CutoutRequest, CutoutService, ModelSize, OutputFormat};
use services::results::{ResultId, ResultKey};
use services::{AppState, Error};

use crate::state::ServerState;

/// The model size `size=preview` asks for: close to the full mask (IoU 0.99) at 60 % of the time.
const PREVIEW_SIZE: usize = 768;

pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/api/v1/cutouts", post(create))
        .route("/r/{id}", get(download).delete(remove))
        // The byte limit is enforced while reading, with our own message.
        .layer(DefaultBodyLimit::disable())
}

async fn create(
    State(app): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let Some(service) = app.cutouts.clone() else {
        return unavailable();
    };
    let wants_json = accepts_json(&headers);
    let upload = match read_upload(request, &headers, query, service.limits.max_bytes).await {
        Ok(upload) => upload,
        Err(err) => return failure(err),
    };
    let request = match options(&upload.fields, upload.bg_image) {
        Ok(request) => request,
        Err(err) => return failure(err),
    };
    let cutout = match service.cut(upload.image, request).await {
        Ok(cutout) => cutout,
        Err(err) => return failure(err),
    };
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
        return response;
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
    response
}

/// `/r/{id}?key=…` resolved: the service and a well-formed id and key. Anything else is answered
/// before the handler runs: 503 without a model, the one 404 for a malformed link.
struct ResultLink {
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
        let Some(service) = state.app.cutouts.clone() else {
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

async fn download(link: ResultLink) -> Response {
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

async fn remove(link: ResultLink) -> Response {
    match link.service.delete(link.id, link.key).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(Error::NotFound(_)) => gone(),
        Err(err) => failure(err),
    }
}

fn unavailable() -> Response {
    AppError::new(
        503,
        "Background removal is not available on this server: the segmentation model is not installed.",
    )
    .into_response()
}

/// One answer for an unknown id, a wrong key and an expired result.
fn gone() -> Response {
    AppError::new(
        404,
        "This result does not exist: it has expired (results are kept 7 days), was deleted, or the link is incomplete.",
    )
    .into_response()
}

/// The services error as JSON with its status; `Retry-After` when the queue is full.
fn failure(err: Error) -> Response {
    let retry_after = match &err {
        Error::Busy { retry_after } => Some(*retry_after),
        _ => None,
    };
    let mut response = AppError::from(err).into_response();
    if let Some(seconds) = retry_after {
        set(
            response.headers_mut(),
            header::RETRY_AFTER.as_str(),
            &seconds.to_string(),
        );
    }
    response
}

fn accepts_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"))
}

fn set(headers: &mut HeaderMap, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) = (
        header::HeaderName::try_from(name),
        HeaderValue::from_str(value),
    ) {
        headers.insert(name, value);
    }
}

fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

struct Upload {
    image: Zeroizing<Vec<u8>>,
    bg_image: Option<Zeroizing<Vec<u8>>>,
    fields: HashMap<String, String>,
}

/// The photo (and an optional background image) plus the option fields, from either body shape.
async fn read_upload(
    request: Request,
    headers: &HeaderMap,
    query: HashMap<String, String>,
    max_bytes: usize,
) -> Result<Upload, Error> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut fields = query;
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, &()).await.map_err(|err| {
            Error::BadRequest(format!("the form could not be read: {}", err.body_text()))
        })?;
        let (mut image, mut bg_image) = (None, None);
        while let Some(mut field) = multipart.next_field().await.map_err(|err| {
            Error::BadRequest(format!("the form could not be read: {}", err.body_text()))
        })? {
            let name = field.name().unwrap_or_default().to_string();
            match name.as_str() {
                "image" | "image_file" | "bg_image" | "bg_image_file" => {
                    let mut bytes = Zeroizing::new(Vec::new());
                    while let Some(chunk) = field.chunk().await.map_err(|err| {
                        Error::BadRequest(format!(
                            "the upload could not be read: {}",
                            err.body_text()
                        ))
                    })? {
                        if bytes.len() + chunk.len() > max_bytes {
                            return Err(too_large(max_bytes));
                        }
                        bytes.extend_from_slice(&chunk);
                    }
                    if name.starts_with("bg_") {
                        bg_image = Some(bytes);
                    } else {
                        image = Some(bytes);
                    }
                }
                _ => {
                    let value = field.text().await.map_err(|err| {
                        Error::BadRequest(format!(
                            "the form could not be read: {}",
                            err.body_text()
                        ))
                    })?;
                    if value.len() > 1000 {
                        return Err(Error::BadRequest(format!("the field {name} is too long")));
                    }
                    fields.insert(name, value);
                }
            }
        }
        let image = image.ok_or_else(|| {
            Error::BadRequest("no photo in the form: send it in the field `image`".into())
        })?;
        Ok(Upload {
            image,
            bg_image,
            fields,
        })
    } else if content_type.starts_with("image/")
        || content_type.starts_with("application/octet-stream")
    {
        let mut body = request.into_body();
        let mut bytes = Zeroizing::new(Vec::new());
        while let Some(frame) = body.frame().await {
            let frame =
                frame.map_err(|_| Error::BadRequest("the upload was interrupted".into()))?;
            if let Some(chunk) = frame.data_ref() {
                if bytes.len() + chunk.len() > max_bytes {
                    return Err(too_large(max_bytes));
                }
                bytes.extend_from_slice(chunk);
            }
        }
        Ok(Upload {
            image: bytes,
            bg_image: None,
            fields,
        })
    } else {
        Err(Error::UnsupportedMedia(
            "send the photo as multipart/form-data (field `image`) or as the request body with an image/* content type"
                .into(),
        ))
    }
}

fn too_large(max_bytes: usize) -> Error {
    Error::TooLarge(format!(
        "the upload is over the {} MB limit",
        max_bytes / 1_000_000
    ))
}

fn options(
    fields: &HashMap<String, String>,
    bg_image: Option<Zeroizing<Vec<u8>>>,
) -> Result<CutoutRequest, Error> {
    let field = |name: &str| {
        fields
            .get(name)
            .map(|value| value.trim())
            .filter(|v| !v.is_empty())
    };
    let format = OutputFormat::parse(field("format").unwrap_or("png"))?;
    let size = match field("size").unwrap_or("full") {
        "full" | "auto" => ModelSize::FULL,
        "preview" => ModelSize::new(PREVIEW_SIZE)?,
        number => ModelSize::new(number.parse().map_err(|_| bad_size())?)?,
    };
    let background = match (bg_image, field("bg_color"), field("background")) {
        (Some(image), _, _) => BackgroundRequest::Image(Arc::new(image)),
        (None, Some(color), _) => BackgroundRequest::Color(parse_color(color)?),
        (None, None, None | Some("transparent")) => BackgroundRequest::Transparent,
        (None, None, Some("blur")) => BackgroundRequest::Blur,
        (None, None, Some(other)) => BackgroundRequest::Color(parse_color(other)?),
    };
    let crop = match field("crop").unwrap_or("false") {
        "true" | "1" | "yes" => Some(parse_margin(field("crop_margin").unwrap_or("0"))?),
        "false" | "0" | "no" => None,
        _ => {
            return Err(Error::Invalid {
                field: "crop",
                message: "use true or false".into(),
            });
        }
    };
    Ok(CutoutRequest {
        size,
        format,
        background,
        crop,
    })
}

fn bad_size() -> Error {
    Error::Invalid {
        field: "size",
        message: "use full, preview or a number of pixels (a multiple of 32 from 256 to 1024)"
            .into(),
    }
}

/// `#rrggbb`, `rrggbb` or `#rgb`.
fn parse_color(text: &str) -> Result<[u8; 3], Error> {
    let hex = text.trim_start_matches('#');
    let invalid = || Error::Invalid {
        field: "bg_color",
        message: format!("{text:?} is not a colour like #1e90ff"),
    };
    let expanded: String = match hex.len() {
        3 => hex.chars().flat_map(|c| [c, c]).collect(),
        6 => hex.to_string(),
        _ => return Err(invalid()),
    };
    let channel = |i: usize| u8::from_str_radix(&expanded[i..i + 2], 16).map_err(|_| invalid());
    if !expanded.is_ascii() {
        return Err(invalid());
    }
    Ok([channel(0)?, channel(2)?, channel(4)?])
}

/// `12px`, `12` (pixels) or `10%`.
fn parse_margin(text: &str) -> Result<Margin, Error> {
    let invalid = || Error::Invalid {
        field: "crop_margin",
        message: format!("{text:?} is not a margin like 20px or 10%"),
    };
    if let Some(percent) = text.strip_suffix('%') {
        let value: f32 = percent.trim().parse().map_err(|_| invalid())?;
        if !(0.0..=100.0).contains(&value) {
            return Err(invalid());
        }
        Ok(Margin::Relative(value / 100.0))
    } else {
        let pixels = text.strip_suffix("px").unwrap_or(text).trim();
        Ok(Margin::Pixels(pixels.parse().map_err(|_| invalid())?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_and_margins_parse_or_say_what_is_expected() {
        assert_eq!(parse_color("#1e90ff").ok(), Some([0x1e, 0x90, 0xff]));
        assert_eq!(parse_color("fff").ok(), Some([255, 255, 255]));
        for bad in ["", "#12", "blue", "#gggggg", "#ééé"] {
            assert!(parse_color(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_margin("12px").ok(), Some(Margin::Pixels(12)));
        assert_eq!(parse_margin("7").ok(), Some(Margin::Pixels(7)));
        assert_eq!(parse_margin("10%").ok(), Some(Margin::Relative(0.1)));
        for bad in ["-3px", "150%", "wide"] {
            assert!(parse_margin(bad).is_err(), "{bad}");
        }
    }
}
