//! The services layer's one error type. Callers (pages, REST API, CLI) map [`ErrorKind`] to their own
//! vocabulary (an HTTP status, an exit code); the `Display` text of internal variants is for logs only.

use sea_orm::{DbErr, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0} is unavailable")]
    Unavailable(&'static str),
    /// The request is malformed (a missing field, an empty body); the text is for the person.
    #[error("{0}")]
    BadRequest(String),
    /// The upload is over the size limit.
    #[error("{0}")]
    TooLarge(String),
    /// The upload is not a format we read; the text lists what is accepted.
    #[error("{0}")]
    UnsupportedMedia(String),
    /// Well-formed but unusable input (a corrupt image, too many pixels).
    #[error("{0}")]
    Unprocessable(String),
    /// A request refused for a reason with a name of its own (`roi_region_empty`,
    /// `resolution_too_high`, `multiple_sources`, …) for the APIs that send one; `kind` says how
    /// it is answered elsewhere. The text is for the person.
    #[error("{message}")]
    Coded {
        kind: ErrorKind,
        code: &'static str,
        message: String,
    },
    /// The model found no subject in the photo, so there is nothing to cut out (and nothing is
    /// stored).
    #[error(
        "We couldn't find a subject in this photo, so there is nothing to cut out. Try a photo with a clear main subject."
    )]
    NoSubject,
    /// Every worker is busy and the queue is full: try again after `retry_after` seconds.
    #[error("the service is busy")]
    Busy { retry_after: u64 },
    /// The result store's disk budget is spent (`IMGIGO_RESULTS_DISK_MB`): no new result until old
    /// ones expire, in about `retry_after` seconds. Old results are never dropped early for room.
    #[error("the result store is full")]
    StorageFull { retry_after: u64 },
    /// Not signed in, or wrong credentials; the text says what to do.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in but not allowed (role, unverified address, revoked key).
    #[error("{0}")]
    Forbidden(String),
    /// Throttled or locked out: try again after `retry_after` seconds.
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u64 },
    #[error("database error: {0}")]
    Database(#[source] DbErr),
    #[error("internal error: {0}")]
    Internal(String),
    /// Something the operator must fix before the server can start (a secret others can read, a
    /// data folder we cannot create); the text says what to do. The binary exits with code 2.
    #[error("{0}")]
    Setup(String),
    /// The inference device asked for (`IMGIGO_DEVICE`) cannot be used; the text says what to do.
    #[error("{0}")]
    Device(#[from] segmentation::device::DeviceError),
}

/// What kind of failure happened, independent of any transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    Conflict,
    Invalid,
    Unavailable,
    Internal,
    BadRequest,
    TooLarge,
    UnsupportedMedia,
    Unprocessable,
    NoSubject,
    Busy,
    Unauthorized,
    Forbidden,
    TooManyRequests,
    /// Not enough credits for a paid call (remove.bg's 402 `insufficient_credits`).
    PaymentRequired,
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::Invalid { .. } => ErrorKind::Invalid,
            Error::Coded { kind, .. } => *kind,
            Error::Unavailable(_) | Error::Device(_) => ErrorKind::Unavailable,
            Error::BadRequest(_) => ErrorKind::BadRequest,
            Error::TooLarge(_) => ErrorKind::TooLarge,
            Error::UnsupportedMedia(_) => ErrorKind::UnsupportedMedia,
            Error::Unprocessable(_) => ErrorKind::Unprocessable,
            Error::NoSubject => ErrorKind::NoSubject,
            Error::Busy { .. } | Error::StorageFull { .. } => ErrorKind::Busy,
            Error::Unauthorized(_) => ErrorKind::Unauthorized,
            Error::Forbidden(_) => ErrorKind::Forbidden,
            Error::TooManyRequests { .. } => ErrorKind::TooManyRequests,
            Error::Database(_) | Error::Internal(_) | Error::Setup(_) => ErrorKind::Internal,
        }
    }

    /// Seconds to wait before trying again, for the `Retry-After` header.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Error::Busy { retry_after }
            | Error::StorageFull { retry_after }
            | Error::TooManyRequests { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }

    /// A sentence safe to show a person: never SQL, paths or other internals.
    pub fn public_message(&self) -> String {
        match self {
            Error::NotFound(_)
            | Error::Conflict(_)
            | Error::Invalid { .. }
            | Error::Coded { .. }
            | Error::BadRequest(_)
            | Error::TooLarge(_)
            | Error::UnsupportedMedia(_)
            | Error::Unprocessable(_)
            | Error::NoSubject
            | Error::Unauthorized(_)
            | Error::Forbidden(_)
            | Error::TooManyRequests { .. } => self.to_string(),
            Error::Busy { retry_after } => {
                format!("Every cutout worker is busy. Please try again in {retry_after} seconds.")
            }
            Error::StorageFull { retry_after } => format!(
                "This server's storage for results is full. Please try again in {retry_after} seconds."
            ),
            Error::Unavailable(what) => {
                format!("The {what} is unavailable right now. Please try again in a moment.")
            }
            Error::Device(_) => {
                "Background removal is unavailable right now. Please try again in a moment."
                    .to_string()
            }
            Error::Database(_) | Error::Internal(_) | Error::Setup(_) => {
                "Something went wrong on our side. Please try again.".to_string()
            }
        }
    }
}

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        if let Some(SqlErr::UniqueConstraintViolation(_)) = err.sql_err() {
            return Error::Conflict("that record already exists".into());
        }
        match err {
            DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => Error::Unavailable("database"),
            other => Error::Database(other),
        }
    }
}
