//! How the APIs refuse: one table from a services error to the status, code and sentence each API
//! answers with. The native API (and the server's other JSON routes) send
//! `{"error": {"status", "message"}}`, the remove.bg-compatible one
//! `{"errors": [{"title", "code", "detail"}]}` with remove.bg's statuses; both send the same
//! sentence, and both log a server-side failure the same way.

use axum::http::StatusCode;
use services::{Error, ErrorKind};

/// remove.bg's status, error code and title for a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RemoveBgCode {
    pub status: StatusCode,
    pub code: &'static str,
    pub title: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The native API's status.
    pub status: StatusCode,
    /// The same failure in remove.bg's vocabulary.
    pub removebg: RemoveBgCode,
    /// A sentence safe to show a person: never SQL, paths or other internals.
    pub sentence: String,
    /// Seconds to wait before trying again, sent as `Retry-After`.
    pub retry_after: Option<u64>,
}

impl Refusal {
    pub fn of(err: &Error) -> Self {
        let removebg = |status, code, title| RemoveBgCode {
            status,
            code,
            title,
        };
        let (status, removebg) = match err.kind() {
            ErrorKind::BadRequest => (
                StatusCode::BAD_REQUEST,
                removebg(
                    StatusCode::BAD_REQUEST,
                    "invalid_parameters",
                    "Invalid parameters",
                ),
            ),
            ErrorKind::Invalid => (
                StatusCode::UNPROCESSABLE_ENTITY,
                removebg(
                    StatusCode::BAD_REQUEST,
                    "invalid_parameters",
                    "Invalid parameters",
                ),
            ),
            ErrorKind::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                removebg(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "file_too_large",
                    "File too large",
                ),
            ),
            ErrorKind::UnsupportedMedia => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                removebg(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_format",
                    "Unsupported file format",
                ),
            ),
            ErrorKind::Unprocessable => (
                StatusCode::UNPROCESSABLE_ENTITY,
                removebg(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unprocessable_image",
                    "Image could not be processed",
                ),
            ),
            // remove.bg answers a photo without a recognisable subject with 400
            // `unknown_foreground`.
            ErrorKind::NoSubject => (
                StatusCode::UNPROCESSABLE_ENTITY,
                removebg(
                    StatusCode::BAD_REQUEST,
                    "unknown_foreground",
                    "Could not identify foreground in image",
                ),
            ),
            ErrorKind::Busy | ErrorKind::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                removebg(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "service_unavailable",
                    "Service busy",
                ),
            ),
            ErrorKind::NotFound => (
                StatusCode::NOT_FOUND,
                removebg(StatusCode::NOT_FOUND, "not_found", "Not found"),
            ),
            // remove.bg answers every key problem with 403 `auth_failed`.
            ErrorKind::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                removebg(StatusCode::FORBIDDEN, "auth_failed", "Invalid API Key"),
            ),
            ErrorKind::Forbidden => (
                StatusCode::FORBIDDEN,
                removebg(StatusCode::FORBIDDEN, "auth_failed", "Invalid API Key"),
            ),
            ErrorKind::TooManyRequests => (
                StatusCode::TOO_MANY_REQUESTS,
                removebg(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limit_exceeded",
                    "Rate limit exceeded",
                ),
            ),
            ErrorKind::PaymentRequired => (
                StatusCode::PAYMENT_REQUIRED,
                removebg(
                    StatusCode::PAYMENT_REQUIRED,
                    "insufficient_credits",
                    "Insufficient credits",
                ),
            ),
            ErrorKind::Conflict => (
                StatusCode::CONFLICT,
                removebg(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "Internal error",
                ),
            ),
            ErrorKind::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                removebg(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "Internal error",
                ),
            ),
        };
        // remove.bg names the reason where it has a name for it.
        let removebg = match err {
            Error::Coded {
                code,
                kind: ErrorKind::PaymentRequired,
                ..
            } => RemoveBgCode {
                status: StatusCode::PAYMENT_REQUIRED,
                code,
                title: title_of(code),
            },
            Error::Coded { code, .. } => RemoveBgCode {
                status: StatusCode::BAD_REQUEST,
                code,
                title: title_of(code),
            },
            Error::Invalid { field, .. } => match invalid_code(field) {
                Some(code) => RemoveBgCode {
                    status: StatusCode::BAD_REQUEST,
                    code,
                    title: "Invalid parameters",
                },
                None => removebg,
            },
            _ => removebg,
        };
        let retry_after = err.retry_after();
        if (status.is_server_error() || removebg.status.is_server_error()) && retry_after.is_none()
        {
            // The full chain goes to the log; the person gets the public sentence.
            tracing::error!(error = ?err, "request failed");
        }
        Self {
            status,
            removebg,
            sentence: err.public_message(),
            retry_after,
        }
    }
}

/// remove.bg's code for an invalid value of `field` (`invalid_roi`, …), where it has one.
fn invalid_code(field: &str) -> Option<&'static str> {
    Some(match field {
        "size" => "invalid_size",
        "format" => "invalid_format",
        "channels" => "invalid_channels",
        "roi" => "invalid_roi",
        "crop_margin" => "invalid_crop_margin",
        "scale" => "invalid_scale",
        "position" => "invalid_position",
        "bg_color" => "invalid_bg_color",
        "semitransparency" => "invalid_semitransparency",
        "shadow_type" => "invalid_shadow_type",
        "shadow_opacity" => "invalid_shadow_opacity",
        "image_url" => "invalid_image_url",
        "bg_image_url" => "invalid_bg_image_url",
        _ => return None,
    })
}

/// A title for a coded refusal, as remove.bg words them.
fn title_of(code: &str) -> &'static str {
    match code {
        "roi_exceeds_bounds" => "ROI exceeds image bounds",
        "roi_region_empty" => "ROI region is empty",
        "resolution_too_high" => "Input image resolution too high",
        "multiple_sources" => "Multiple image sources given",
        "multiple_bg_sources" => "Multiple background sources given",
        "missing_source" => "No image given",
        "insufficient_credits" => "Insufficient credits",
        _ => "Invalid parameters",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_apis_get_their_own_status_and_the_same_safe_sentence() {
        let invalid = Refusal::of(&Error::Invalid {
            field: "crop",
            message: "use true or false".into(),
        });
        assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(invalid.removebg.status, StatusCode::BAD_REQUEST);
        assert_eq!(invalid.removebg.code, "invalid_parameters");
        assert_eq!(invalid.sentence, "crop: use true or false");

        let internal = Refusal::of(&Error::Internal("disk /var/x exploded".into()));
        assert_eq!(internal.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!internal.sentence.contains("/var/x"));

        let busy = Refusal::of(&Error::Busy { retry_after: 3 });
        assert_eq!(
            (busy.status, busy.removebg.status, busy.retry_after),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                StatusCode::SERVICE_UNAVAILABLE,
                Some(3)
            )
        );
        let colour = Refusal::of(&Error::Invalid {
            field: "bg_color",
            message: "not a colour".into(),
        });
        assert_eq!(colour.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            (colour.removebg.status, colour.removebg.code),
            (StatusCode::BAD_REQUEST, "invalid_bg_color")
        );
        let pixels = Refusal::of(&Error::Coded {
            kind: services::ErrorKind::Unprocessable,
            code: "resolution_too_high",
            message: "This photo is 60 megapixels".into(),
        });
        assert_eq!(pixels.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            (pixels.removebg.status, pixels.removebg.code),
            (StatusCode::BAD_REQUEST, "resolution_too_high")
        );
        let key = Refusal::of(&Error::Unauthorized("that key is not valid".into()));
        assert_eq!(
            (key.status, key.removebg.status, key.removebg.code),
            (
                StatusCode::UNAUTHORIZED,
                StatusCode::FORBIDDEN,
                "auth_failed"
            )
        );
    }
}
