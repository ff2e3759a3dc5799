//! The one error type pages, server functions and HTTP handlers return. It carries an HTTP status and
//! a message a person can read; internal details are logged on the server, never sent.

use std::fmt;

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub struct AppError {
    /// The HTTP status code this error is answered with.
    pub status: u16,
    /// A sentence safe to show a person.
    pub message: String,
    /// Seconds to wait before trying again (throttling, a busy queue); sent as `Retry-After`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl AppError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn not_found() -> Self {
        Self::new(404, "We couldn't find that page.")
    }

    pub fn internal() -> Self {
        Self::new(500, "Something went wrong on our side. Please try again.")
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::Deserialization(_) => {
                Self::new(400, "The request could not be understood.")
            }
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => Self::new(
                503,
                "We couldn't reach the server. Check your connection and try again.",
            ),
            ServerFnErrorErr::MissingArg(arg) => Self::new(400, format!("Missing field: {arg}.")),
            _ => Self::internal(),
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::AppError;
    use axum::response::{IntoResponse, Response};
    use http::StatusCode;
    use services::{Error, ErrorKind};

    impl From<Error> for AppError {
        fn from(err: Error) -> Self {
            let status = match err.kind() {
                ErrorKind::NotFound => StatusCode::NOT_FOUND,
                ErrorKind::Conflict => StatusCode::CONFLICT,
                ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
                ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
                ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
                ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                ErrorKind::UnsupportedMedia => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorKind::Unprocessable | ErrorKind::NoSubject => StatusCode::UNPROCESSABLE_ENTITY,
                ErrorKind::Busy => StatusCode::SERVICE_UNAVAILABLE,
                ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
                ErrorKind::Forbidden => StatusCode::FORBIDDEN,
                ErrorKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            };
            if status.is_server_error() {
                // The full chain goes to the log; the person gets the public sentence.
                tracing::error!(error = ?err, "request failed");
            }
            let retry_after = err.retry_after();
            AppError {
                retry_after,
                ..AppError::new(status.as_u16(), err.public_message())
            }
        }
    }

    impl AppError {
        pub fn status_code(&self) -> StatusCode {
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }

    /// Plain HTTP routes answer errors as JSON: `{"error": {"status": 503, "message": "…"}}`.
    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            let body =
                serde_json::json!({ "error": { "status": self.status, "message": self.message } });
            (self.status_code(), axum::Json(body)).into_response()
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use leptos::server_fn::error::FromServerFnError;

        #[test]
        fn service_errors_map_to_statuses_and_safe_messages() {
            let conflict: AppError = Error::Conflict("that record already exists".into()).into();
            assert_eq!(conflict.status, 409);
            let unavailable: AppError = Error::Unavailable("database").into();
            assert_eq!(unavailable.status, 503);
            assert!(unavailable.message.contains("database is unavailable"));
            let internal: AppError = Error::Internal("disk /var/x exploded".into()).into();
            assert_eq!(internal.status, 500);
            assert!(!internal.message.contains("/var/x"));
            let invalid: AppError = Error::Invalid {
                field: "email",
                message: "is not an address".into(),
            }
            .into();
            assert_eq!(
                (invalid.status, invalid.message.as_str()),
                (422, "email: is not an address")
            );
        }

        #[test]
        fn server_function_errors_round_trip_as_json() {
            let err = AppError::new(409, "taken");
            let decoded = AppError::de(err.ser());
            assert_eq!(decoded, err);
        }
    }
}
