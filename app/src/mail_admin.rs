//! Mail on the admin page (issue 19): the outbox's health (what waits, what was given up and why,
//! never an address or content), and product updates — write one in Markdown, preview it with the
//! number of people it would reach, send a test to yourself, then send it; the latest updates show
//! their delivery. Admins only (the services check the role).
//!
//! One server function reads everything the section shows and one writes (its `intent`:
//! `preview`, `test` or `send`): every action, resource and boxed closure in a lazily loaded page
//! still adds to every page's first load (wasm-split keeps the indirect-call table in the main
//! chunk), so the page uses as few as it can.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;
#[cfg(feature = "ssr")]
use crate::account::ssr::{answer, signed_in};

/// The outbox as admins see it: counts, the given-up mails' kind and reason, and the latest
/// product updates with their delivery.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailView {
    pub queued: u64,
    pub failed: u64,
    pub failures: Vec<MailFailure>,
    pub updates: Vec<SentUpdate>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailFailure {
    pub kind: String,
    pub reason: String,
    pub attempts: i32,
    /// When it was given up (`YYYY-MM-DD HH:MM UTC`).
    pub at: String,
}

/// A sent update and its delivery so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentUpdate {
    pub id: i64,
    pub subject: String,
    pub recipients: i64,
    pub waiting: u64,
    pub failed: u64,
    /// `YYYY-MM-DD HH:MM UTC`.
    pub sent_at: String,
}

/// What a compose action answers: the checked draft (sent back as the test and send forms'
/// fields), its plain-text part, how many people it would reach now, and what was done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Composed {
    pub subject: String,
    pub body: String,
    pub text: String,
    pub recipients: u64,
    /// A test went to the admin.
    pub tested: bool,
    /// The update was queued for this many people.
    pub queued: Option<i64>,
}

#[server(prefix = "/_app", endpoint = "mail_overview")]
pub async fn mail_overview() -> Result<MailView, AppError> {
    answer! {
        use services::accounts::{Role, roles};
        let (app, _, admin) = signed_in().await?;
        roles::require(&admin, &[Role::Admin])?;
        let health = services::mail::outbox::health(&app).await?;
        let updates = services::mail::updates::sent(&app, &admin).await?;
        let when = |at: chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%d %H:%M UTC").to_string();
        Ok(MailView {
            queued: health.queued,
            failed: health.failed,
            failures: health
                .recent_failures
                .into_iter()
                .map(|failure| MailFailure {
                    kind: failure.kind,
                    reason: failure.reason,
                    attempts: failure.attempts,
                    at: when(failure.at),
                })
                .collect(),
            updates: updates
                .into_iter()
                .map(|update| SentUpdate {
                    id: update.id,
                    subject: update.subject,
                    recipients: update.recipients,
                    waiting: update.waiting,
                    failed: update.failed,
                    sent_at: when(update.created_at),
                })
                .collect(),
        })
    }
}

/// `intent`: `preview` (nothing is sent), `test` (to the admin only) or `send` (to everyone the
/// update reaches).
#[server(prefix = "/_app", endpoint = "compose_update")]
pub async fn compose_update(
    subject: String,
    body: String,
    intent: String,
) -> Result<Composed, AppError> {
    answer! {
        use services::mail::updates;
        let (app, _, admin) = signed_in().await?;
        let draft = updates::Draft::new(&subject, &body)?;
        let (tested, queued) = match intent.as_str() {
            "preview" => (false, None),
            "test" => {
                updates::send_test(&app, &admin, &draft).await?;
                (true, None)
            }
            "send" => (false, Some(updates::send(&app, &admin, &draft).await?.recipients)),
            _ => return Err(AppError::new(422, "Choose preview, test or send.")),
        };
        let preview = updates::preview(&app, &admin, &draft).await?;
        Ok(Composed {
            subject: draft.subject,
            body: draft.body,
            text: preview.text,
            recipients: preview.recipients,
            tested,
            queued,
        })
    }
}
