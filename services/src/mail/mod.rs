//! Mail: every mail is first a row in the durable [`outbox`] (sealed, in the transaction of the
//! change that causes it where there is one), then the background [`sender`] delivers it through
//! one [`Mailer`] with real transports — SMTP in production, a file outbox (`data/outbox/*.eml`)
//! for development when nothing is configured, and an in-memory capture for tests. The account
//! mails themselves are in [`templates`], each with a plain-text and an HTML part.

pub mod outbox;
pub mod sender;
pub mod templates;
mod transport;
pub mod unsubscribe;
pub mod updates;

pub use outbox::{Outbox, queue, send};
pub use templates::Mail;
pub use transport::{DkimSettings, Failure, MailConfig, Mailer, OUTBOX_DIR};
