//! Product updates on the admin page (issue 19): write one in Markdown, preview it with the number
//! of people it would reach, send a test to yourself, then send it; the latest updates show their
//! delivery. Sending goes through the mail outbox; each mail carries its recipient's one-click
//! unsubscribe link. Admins only (the services check the role).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;
#[cfg(feature = "ssr")]
use crate::account::ssr::{answer, signed_in};

/// What the preview shows: the body as HTML (made safe on the server), and how many people the
/// update would reach now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewView {
    pub html: String,
    pub recipients: u64,
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

#[server(prefix = "/_app", endpoint = "update_preview")]
pub async fn update_preview(subject: String, body: String) -> Result<PreviewView, AppError> {
    answer! {
        use services::mail::updates;
        let (app, _, admin) = signed_in().await?;
        let draft = updates::Draft::new(&subject, &body)?;
        let preview = updates::preview(&app, &admin, &draft).await?;
        Ok(PreviewView { html: preview.html, recipients: preview.recipients })
    }
}

#[server(prefix = "/_app", endpoint = "update_test")]
pub async fn update_test(subject: String, body: String) -> Result<(), AppError> {
    answer! {
        use services::mail::updates;
        let (app, _, admin) = signed_in().await?;
        let draft = updates::Draft::new(&subject, &body)?;
        updates::send_test(&app, &admin, &draft).await?;
        Ok(())
    }
}

#[server(prefix = "/_app", endpoint = "update_send")]
pub async fn update_send(subject: String, body: String) -> Result<i64, AppError> {
    answer! {
        use services::mail::updates;
        let (app, _, admin) = signed_in().await?;
        let draft = updates::Draft::new(&subject, &body)?;
        let update = updates::send(&app, &admin, &draft).await?;
        Ok(update.recipients)
    }
}

#[server(prefix = "/_app", endpoint = "updates_sent")]
pub async fn updates_sent() -> Result<Vec<SentUpdate>, AppError> {
    answer! {
        let (app, _, admin) = signed_in().await?;
        let sent = services::mail::updates::sent(&app, &admin).await?;
        Ok(sent
            .into_iter()
            .map(|update| SentUpdate {
                id: update.id,
                subject: update.subject,
                recipients: update.recipients,
                waiting: update.waiting,
                failed: update.failed,
                sent_at: update.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            })
            .collect())
    }
}
