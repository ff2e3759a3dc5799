//! The background library for the editor: `GET /api/v1/backgrounds?q=…&page=…` (Pexels photos, with
//! the credit Pexels requires) and `GET /api/v1/backgrounds/{id}?size=small|large` (the photo, fetched
//! by this server). Without `IMGIGO_PEXELS_KEY` both answer 404 and the editor offers only the
//! bundled backgrounds. Limited per address ([`services::AppState::library_limiter`]).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use services::pexels::{Pexels, Size};
use services::ratelimit::{Verdict, bucket};
use services::{AppState, Error};

use super::limits::client_ip;
use super::reply::{failure, set};

/// Query parameters are read as a plain map: a repeated or unexpected one is not an error of its own
/// (the last value counts), so every answer is one of the documented ones.
type Params = Query<HashMap<String, String>>;

/// Pexels photos for a search, with the photographer's credit (the editor's background library).
#[utoipa::path(
    get,
    path = "/api/v1/backgrounds",
    tag = "background library",
    params(
        ("q" = String, Query, description = "What to search for, 1–100 characters"),
        ("page" = Option<u32>, Query, description = "1–50 (24 photos a page)")
    ),
    responses(
        (status = 200, description = "`{photos: [{id, width, height, alt, photographer, photographer_url, pexels_url, thumbnail, image}], page, more}`", body = serde_json::Value),
        (status = 400, description = "A query that cannot be read (not UTF-8)", body = super::openapi::ErrorBody),
        (status = 404, description = "No library on this server (no Pexels key)", body = super::openapi::ErrorBody),
        (status = 422, description = "An empty or too long search, or a page out of range", body = super::openapi::ErrorBody),
        (status = 429, description = "Too many searches from this address", body = super::openapi::ErrorBody),
        (status = 503, description = "Pexels could not be reached", body = super::openapi::ErrorBody)
    )
)]
pub async fn search(
    State(app): State<AppState>,
    Query(query): Params,
    request: Request,
) -> Response {
    let pexels = match open(&app, &request) {
        Ok(pexels) => pexels,
        Err(err) => return failure(err),
    };
    let page = match query.get("page").map(|page| page.parse::<u32>()) {
        None => 1,
        Some(Ok(page)) => page,
        Some(Err(_)) => {
            return failure(Error::Invalid {
                field: "page",
                message: "use a page number".into(),
            });
        }
    };
    match pexels
        .search(query.get("q").map_or("", String::as_str), page)
        .await
    {
        Ok(found) => {
            let photos: Vec<serde_json::Value> = found
                .photos
                .iter()
                .map(|photo| {
                    json!({
                        "id": photo.id,
                        "width": photo.width,
                        "height": photo.height,
                        "alt": photo.alt,
                        "photographer": photo.photographer,
                        "photographer_url": photo.photographer_url,
                        "pexels_url": photo.pexels_url,
                        "thumbnail": format!("/api/v1/backgrounds/{}?size=small", photo.id),
                        "image": format!("/api/v1/backgrounds/{}", photo.id),
                    })
                })
                .collect();
            axum::Json(json!({ "photos": photos, "page": found.page, "more": found.more }))
                .into_response()
        }
        Err(err) => failure(err),
    }
}

/// One photo of the library, fetched by this server (so the visitor's address never reaches Pexels).
#[utoipa::path(
    get,
    path = "/api/v1/backgrounds/{id}",
    tag = "background library",
    params(
        ("id" = String, Path, description = "A photo id from a search"),
        ("size" = Option<String>, Query, description = "`small` (a thumbnail) or `large` (default)")
    ),
    responses(
        (status = 200, description = "The photo", content_type = "image/jpeg"),
        (status = 400, description = "An address that cannot be read (not UTF-8)", body = super::openapi::ErrorBody),
        (status = 404, description = "No library on this server, or no such photo", body = super::openapi::ErrorBody),
        (status = 422, description = "An unknown size", body = super::openapi::ErrorBody),
        (status = 429, description = "Too many requests from this address", body = super::openapi::ErrorBody),
        (status = 503, description = "Pexels could not be reached", body = super::openapi::ErrorBody)
    )
)]
pub async fn image(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(query): Params,
    request: Request,
) -> Response {
    let pexels = match open(&app, &request) {
        Ok(pexels) => pexels,
        Err(err) => return failure(err),
    };
    let Ok(id) = id.parse::<u64>() else {
        return failure(Error::NotFound("photo"));
    };
    let size = match query.get("size").map(String::as_str) {
        None | Some("large") => Size::Large,
        Some("small") => Size::Small,
        Some(_) => {
            return failure(Error::Invalid {
                field: "size",
                message: "use small or large".into(),
            });
        }
    };
    match pexels.image(id, size).await {
        Ok((bytes, content_type)) => {
            let mut response = Response::new(Body::from(bytes));
            let headers = response.headers_mut();
            set(headers, header::CONTENT_TYPE.as_str(), &content_type);
            // Public photos: the browser may keep them a while (nothing of the visitor is in them).
            set(
                headers,
                header::CACHE_CONTROL.as_str(),
                "private, max-age=86400",
            );
            response
        }
        Err(err) => failure(err),
    }
}

/// The library, if this server has one (404 otherwise) and the caller's address is within its
/// allowance (429 past it).
fn open(app: &AppState, request: &Request) -> Result<Arc<Pexels>, Error> {
    let Some(pexels) = app.pexels.clone() else {
        return Err(Error::Coded {
            kind: services::ErrorKind::NotFound,
            code: "no_library",
            message: "The photo library is not set up on this server (it needs a Pexels API key); the bundled backgrounds are there.".into(),
        });
    };
    match app.library_limiter.check(bucket(client_ip(app, request))) {
        Verdict::Allowed(_) => Ok(pexels),
        Verdict::Limited { retry_after, .. } => Err(Error::TooManyRequests {
            message: format!(
                "Too many photo searches from your address. Please try again in {retry_after} seconds."
            ),
            retry_after,
        }),
    }
}
