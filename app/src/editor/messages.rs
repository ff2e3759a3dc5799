//! What the editor tells a person when an upload fails: the server's own sentence where it has one,
//! plus what to do next.

/// A failed cutout as the browser saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadFailure {
    /// HTTP status; 0 when the server could not be reached.
    pub status: u16,
    /// The `message` of the server's JSON error body, if it sent one.
    pub message: Option<String>,
    /// Seconds from `Retry-After`.
    pub retry_after: Option<u64>,
}

/// File types the server accepts, by their first bytes (the server checks again).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    Jpeg,
    Png,
    Webp,
}

pub fn sniff(head: &[u8]) -> Option<ImageKind> {
    match head {
        [0xFF, 0xD8, 0xFF, ..] => Some(ImageKind::Jpeg),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(ImageKind::Png),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Some(ImageKind::Webp),
        _ => None,
    }
}

pub const NOT_AN_IMAGE: &str =
    "This file isn't a photo we can read. Choose a JPEG, PNG or WebP image.";

/// Extracts `error.message` from the server's `{"error": {"status": …, "message": …}}` body.
pub fn server_message(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    value
        .pointer("/error/message")
        .and_then(|m| m.as_str())
        .map(str::to_owned)
}

fn seconds(retry_after: Option<u64>) -> String {
    match retry_after {
        Some(1) => "a second".into(),
        Some(n) => format!("{n} seconds"),
        None => "a minute".into(),
    }
}

/// One or two sentences for the person, ending with what to do next.
pub fn describe(failure: &UploadFailure) -> String {
    let said = failure
        .message
        .as_deref()
        .map(|m| {
            let m = m.trim_end_matches('.');
            format!("{m}. ")
        })
        .unwrap_or_default();
    match failure.status {
        0 => "We couldn't reach the server. Check your connection, then try again.".into(),
        413 => format!("{said}Try a smaller or more compressed copy of the photo."),
        415 => NOT_AN_IMAGE.into(),
        // The server's refusals of a photo already say what to do next.
        422 if failure.message.is_some() => said.trim_end().to_string(),
        422 => "This photo could not be read. Try another copy of the photo.".into(),
        429 => format!(
            "You've sent many photos in a short time. Please wait {} and try again.",
            seconds(failure.retry_after)
        ),
        503 if failure.retry_after.is_some() => format!(
            "The server is busy with other photos. We'll try again in {}.",
            seconds(failure.retry_after)
        ),
        503 => format!("{said}Please try again later."),
        400 => format!("{said}Please choose the photo again."),
        _ => "Something went wrong on our side. Please try again in a moment.".into(),
    }
}

/// Whether the editor should retry on its own after `retry_after` (a busy queue).
pub fn retries_by_itself(failure: &UploadFailure) -> bool {
    failure.status == 503 && failure.retry_after.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(status: u16, message: Option<&str>, retry_after: Option<u64>) -> UploadFailure {
        UploadFailure {
            status,
            message: message.map(str::to_owned),
            retry_after,
        }
    }

    #[test]
    fn every_server_refusal_reads_as_a_sentence_with_a_next_step() {
        let too_big = describe(&failure(413, Some("the upload is larger than 25 MB"), None));
        assert_eq!(
            too_big,
            "the upload is larger than 25 MB. Try a smaller or more compressed copy of the photo."
        );
        assert_eq!(describe(&failure(415, Some("x"), None)), NOT_AN_IMAGE);
        let refused = "We couldn't find a subject in this photo, so there is nothing to cut out. Try a photo with a clear main subject.";
        assert_eq!(
            describe(&failure(422, Some(refused), None)),
            refused,
            "said once"
        );
        assert!(describe(&failure(422, None, None)).contains("Try another copy"));
        assert!(describe(&failure(429, None, Some(12))).contains("wait 12 seconds"));
        let busy = failure(503, Some("busy"), Some(3));
        assert!(describe(&busy).contains("try again in 3 seconds"));
        assert!(retries_by_itself(&busy));
        let no_model = failure(503, Some("The segmentation model is not installed"), None);
        assert!(!retries_by_itself(&no_model));
        assert_eq!(
            describe(&no_model),
            "The segmentation model is not installed. Please try again later."
        );
        assert!(describe(&failure(0, None, None)).contains("couldn't reach the server"));
        assert!(
            describe(&failure(500, Some("secret detail"), None))
                .starts_with("Something went wrong")
        );
    }

    #[test]
    fn reads_the_servers_error_body() {
        let body = r#"{"error":{"status":413,"message":"too big"}}"#;
        assert_eq!(server_message(body).as_deref(), Some("too big"));
        assert_eq!(server_message("<html>"), None);
    }

    #[test]
    fn sniffs_only_the_formats_the_server_takes() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(ImageKind::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(ImageKind::Png));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(ImageKind::Webp));
        assert_eq!(sniff(b"%PDF-1.7"), None);
        assert_eq!(sniff(b"<svg"), None);
        assert_eq!(sniff(b""), None);
    }
}
