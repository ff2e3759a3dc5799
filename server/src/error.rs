//! The error answer of the server's own HTTP routes (the native API, result links, health checks,
//! the data download, the Origin check): `{"error": {"status": 503, "message": "…"}}` with that
//! status, and `Retry-After` when trying again later helps. Internal details are logged, never sent.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    /// A sentence safe to show a person.
    pub message: String,
    /// Seconds to wait before trying again (throttling, a busy queue).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on our side. Please try again.",
        )
    }
}

impl From<services::Error> for ApiError {
    fn from(err: services::Error) -> Self {
        let refusal = crate::api::refusal::Refusal::of(&err);
        Self {
            status: refusal.status,
            message: refusal.sentence,
            retry_after: refusal.retry_after,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": { "status": self.status.as_u16(), "message": self.message }
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
