//! The error type pages and server functions return. It carries an HTTP status and a message a
//! person can read; internal details are logged on the server, never sent. (The REST routes answer
//! with the server's own error, `server::error::ApiError`.)

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
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::Deserialization(_) => Self::new(
                400,
                "The form could not be read. Please reload the page and try again.",
            ),
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => Self::new(
                503,
                "We couldn't reach the server. Check your connection and try again.",
            ),
            ServerFnErrorErr::MissingArg(arg) => Self::new(
                400,
                format!("The form arrived without “{arg}”. Please reload the page and try again."),
            ),
            _ => Self::internal(),
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::AppError;
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
                ErrorKind::PaymentRequired => StatusCode::PAYMENT_REQUIRED,
            };
            if status.is_server_error() {
                // The full chain goes to the log; the person gets the public sentence.
                tracing::error!(error = ?err, "request failed");
            }
            let retry_after = err.retry_after();
            let message = match &err {
                Error::Invalid { field, message } => invalid_sentence(field, message),
                Error::NotFound(_) | Error::Conflict(_) => sentence_case(&err.public_message()),
                _ => err.public_message(),
            };
            AppError {
                retry_after,
                ..AppError::new(status.as_u16(), message)
            }
        }
    }

    /// A form's refusal as a sentence under the form: `password: use at least 12 characters`
    /// becomes "Password: use at least 12 characters." (the field's label, not its code name); a
    /// message that is already a sentence is shown as it is.
    fn invalid_sentence(field: &str, message: &str) -> String {
        let message = message.trim();
        let mut sentence = if message.starts_with(|c: char| c.is_uppercase()) {
            message.to_string()
        } else {
            let label = match field {
                "name" => "Name",
                "email" => "Email address",
                "password" => "Password",
                "current_password" => "Current password",
                "message" => "Your request",
                "kind" => "What the request is about",
                "role" => "Role",
                "confirm" => "Confirmation",
                _ => return sentence_case(message),
            };
            format!("{label}: {message}")
        };
        if !sentence.ends_with(['.', '!', '?']) {
            sentence.push('.');
        }
        sentence
    }

    fn sentence_case(message: &str) -> String {
        let mut chars = message.chars();
        let mut sentence: String = chars
            .next()
            .map(|c| c.to_uppercase().collect())
            .unwrap_or_default();
        sentence.push_str(chars.as_str());
        if !sentence.ends_with(['.', '!', '?']) {
            sentence.push('.');
        }
        sentence
    }

    impl AppError {
        pub fn status_code(&self) -> StatusCode {
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
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
                (422, "Email address: is not an address.")
            );
        }

        #[test]
        fn form_refusals_read_as_sentences_without_code_names() {
            let cases = [
                (
                    "password",
                    "use at least 12 characters (a few words make a good one)",
                    "Password: use at least 12 characters (a few words make a good one).",
                ),
                (
                    "current_password",
                    "That is not your current password.",
                    "That is not your current password.",
                ),
                (
                    "age",
                    "Please confirm that you are 13 or older",
                    "Please confirm that you are 13 or older.",
                ),
                ("size", "pick full or preview", "Pick full or preview."),
            ];
            for (field, message, shown) in cases {
                let err: AppError = Error::Invalid {
                    field,
                    message: message.into(),
                }
                .into();
                assert_eq!(err.message, shown, "{field}");
                assert!(!err.message.contains(&format!("{field}:")), "{field}");
            }
        }

        #[test]
        fn server_function_errors_round_trip_as_json() {
            let err = AppError::new(409, "taken");
            let decoded = AppError::de(err.ser());
            assert_eq!(decoded, err);
        }
    }
}
