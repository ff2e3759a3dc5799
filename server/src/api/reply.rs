//! Answers shared by the API routes: the JSON error shape with the right status (and
//! `Retry-After` when busy), the single 404 for result links, and header helpers.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use services::Error;

use crate::error::ApiError;

pub fn unavailable() -> Response {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "Background removal is not available on this server: the segmentation model is not installed.",
    )
    .into_response()
}

/// One answer for an unknown id, a wrong key and an expired result.
pub fn gone() -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "This result does not exist: it has expired (results are kept 7 days), was deleted, or the link is incomplete.",
    )
    .into_response()
}

/// The services error as JSON with its status; `Retry-After` when the queue is full.
pub fn failure(err: Error) -> Response {
    ApiError::from(err).into_response()
}

pub fn accepts_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"))
}

pub fn set(headers: &mut HeaderMap, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) = (
        header::HeaderName::try_from(name),
        HeaderValue::from_str(value),
    ) {
        headers.insert(name, value);
    }
}

pub fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}
