//! Mail: one [`Mailer`] behind a seam with real transports — SMTP in production, a file outbox
//! (`data/outbox/*.eml`) when nothing is configured, and an in-memory capture for tests — and the
//! account mails themselves ([`templates`]), each with a plain-text and an HTML part.
//!
//! Account flows send in the background ([`Mailer::send_in_background`]) so that a response takes
//! the same time whether or not a mail went out (no account enumeration by timing).

pub mod templates;
mod transport;

pub use templates::Mail;
pub use transport::{MailConfig, Mailer, OUTBOX_DIR};
