//! Product updates: an admin writes one (subject, Markdown body), previews it, sends a test to
//! themself, then sends it through the outbox to every account whose latest product-update choice
//! is "yes", whose address is confirmed and which is not restricted. Each mail carries its
//! recipient's one-click unsubscribe link (header and both parts). Each send is in the admin's
//! audit log; the update's row counts its recipients, and its outbox rows show its progress.

use std::collections::HashMap;

use entity::{consents, mail_outbox, product_updates, users};
use html_escape::encode_double_quoted_attribute;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use super::templates::Mail;
use super::{outbox, unsubscribe};
use crate::accounts::Role;
use crate::accounts::roles::require;
use crate::privacy::consent::Purpose;
use crate::{AppState, Error};

pub const MAX_SUBJECT: usize = 150;
pub const MAX_BODY: usize = 20_000;
/// Rows queued per transaction while sending.
const BATCH: usize = 200;

/// A checked draft.
#[derive(Clone, Debug)]
pub struct Draft {
    pub subject: String,
    pub body: String,
}

impl Draft {
    pub fn new(subject: &str, body: &str) -> Result<Self, Error> {
        let subject = subject.trim();
        if subject.is_empty()
            || subject.chars().count() > MAX_SUBJECT
            || subject.contains(['\r', '\n'])
        {
            return Err(Error::Invalid {
                field: "subject",
                message: format!(
                    "Give the update a subject of one line, at most {MAX_SUBJECT} characters."
                ),
            });
        }
        let body = body.trim();
        if body.is_empty() || body.chars().count() > MAX_BODY {
            return Err(Error::Invalid {
                field: "body",
                message: format!(
                    "Write the update's text (Markdown), at most {MAX_BODY} characters."
                ),
            });
        }
        Ok(Self {
            subject: subject.to_string(),
            body: body.replace("\r\n", "\n"),
        })
    }

    /// The mail to one person, with their unsubscribe link (`None` in the preview).
    pub fn mail(&self, to: &str, unsubscribe: Option<&str>) -> Mail {
        let shown = unsubscribe.unwrap_or("(each person's own unsubscribe link)");
        let text = format!(
            "{}\n\n--\nYou get imgigo's product updates because you chose to. Unsubscribe with one click:\n{shown}\n",
            self.body
        );
        let html = format!(
            "<!DOCTYPE html><html><body style=\"font-family:sans-serif;line-height:1.5\">{}<hr><p style=\"font-size:small\">You get imgigo's product updates because you chose to. <a href=\"{}\">Unsubscribe</a> with one click.</p></body></html>",
            crate::markdown::to_html(&self.body),
            encode_double_quoted_attribute(shown),
        );
        Mail {
            kind: "product_update".into(),
            to: to.to_string(),
            subject: self.subject.clone(),
            text,
            html,
            unsubscribe: unsubscribe.map(str::to_string),
        }
    }
}

/// What the admin sees before sending: the body as the HTML part shows it (made safe by
/// [`crate::markdown::to_html`]), the plain-text part, and how many people it would reach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preview {
    pub html: String,
    pub text: String,
    pub recipients: u64,
}

pub async fn preview(
    app: &AppState,
    admin: &users::Model,
    draft: &Draft,
) -> Result<Preview, Error> {
    require(admin, &[Role::Admin])?;
    let mail = draft.mail(&admin.email, None);
    Ok(Preview {
        html: crate::markdown::to_html(&draft.body),
        text: mail.text,
        recipients: audience(app).await?.len() as u64,
    })
}

/// Sends the draft to the admin only (with their own working unsubscribe link).
pub async fn send_test(app: &AppState, admin: &users::Model, draft: &Draft) -> Result<(), Error> {
    require(admin, &[Role::Admin])?;
    let link = unsubscribe::link(app, admin.id, app.clock.now());
    let mut mail = draft.mail(&admin.email, Some(&link));
    mail.subject = format!("[Test] {}", mail.subject);
    super::send(app, Some(admin.id), mail).await
}

/// The accounts an update goes to: latest product-update choice granted, address confirmed, not
/// restricted.
pub async fn audience(app: &AppState) -> Result<Vec<users::Model>, Error> {
    // The latest marketing answer per account (rows are appended, so the highest id wins), asked
    // of the database: only the ids of those whose latest answer is "yes" come back.
    let latest = Query::select()
        .expr(Expr::col(consents::Column::Id).max())
        .from(consents::Entity)
        .and_where(consents::Column::Purpose.eq(Purpose::Marketing))
        .group_by_col(consents::Column::UserId)
        .to_owned();
    let opted_in: Vec<i64> = consents::Entity::find()
        .select_only()
        .column(consents::Column::UserId)
        .filter(consents::Column::Id.in_subquery(latest))
        .filter(consents::Column::Granted.eq(true))
        .into_tuple()
        .all(&app.db)
        .await?;
    let mut people = Vec::new();
    for ids in opted_in.chunks(500) {
        people.extend(
            users::Entity::find()
                .filter(users::Column::Id.is_in(ids.iter().copied()))
                .filter(users::Column::EmailVerifiedAt.is_not_null())
                .filter(users::Column::RestrictedAt.is_null())
                .all(&app.db)
                .await?,
        );
    }
    people.sort_by_key(|user| user.id);
    Ok(people)
}

/// Sends the draft to its audience through the outbox; returns the update's row.
pub async fn send(
    app: &AppState,
    admin: &users::Model,
    draft: &Draft,
) -> Result<product_updates::Model, Error> {
    require(admin, &[Role::Admin])?;
    let people = audience(app).await?;
    let now = app.clock.now();
    let update = product_updates::Entity::insert(product_updates::ActiveModel {
        subject: Set(draft.subject.clone()),
        recipients: Set(people.len() as i64),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&app.db)
    .await?;
    crate::privacy::audit::record(
        app,
        admin,
        admin.id,
        &format!(
            "sent product update #{} to {} people",
            update.id,
            people.len()
        ),
    )
    .await?;
    for batch in people.chunks(BATCH) {
        crate::db::transaction(&app.db, async |txn| {
            for person in batch {
                let link = unsubscribe::link(app, person.id, now);
                let mail = draft.mail(&person.email, Some(&link));
                outbox::insert(app, txn, Some(person.id), Some(update.id), &mail).await?;
            }
            Ok(())
        })
        .await?;
        app.outbox.wake(app);
    }
    tracing::info!(
        update = update.id,
        recipients = people.len(),
        "product update queued"
    );
    Ok(update)
}

/// An update as the admin page lists it, with its delivery so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    pub id: i64,
    pub subject: String,
    pub recipients: i64,
    pub waiting: u64,
    pub failed: u64,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The latest updates, newest first.
pub async fn sent(app: &AppState, admin: &users::Model) -> Result<Vec<Sent>, Error> {
    require(admin, &[Role::Admin])?;
    let updates = product_updates::Entity::find()
        .order_by_desc(product_updates::Column::Id)
        .limit(10)
        .all(&app.db)
        .await?;
    // One query for the delivery state of all of them.
    let states: Vec<(Option<i64>, String, i64)> = mail_outbox::Entity::find()
        .select_only()
        .column(mail_outbox::Column::UpdateId)
        .column(mail_outbox::Column::Status)
        .column_as(mail_outbox::Column::Id.count(), "count")
        .filter(mail_outbox::Column::UpdateId.is_in(updates.iter().map(|update| update.id)))
        .group_by(mail_outbox::Column::UpdateId)
        .group_by(mail_outbox::Column::Status)
        .into_tuple()
        .all(&app.db)
        .await?;
    let mut counts: HashMap<(i64, &str), u64> = HashMap::new();
    for (update_id, status, count) in &states {
        if let Some(update_id) = update_id {
            counts.insert(
                (*update_id, status.as_str()),
                u64::try_from(*count).unwrap_or(0),
            );
        }
    }
    let count = |id: i64, status: &str| counts.get(&(id, status)).copied().unwrap_or(0);
    let out = updates
        .into_iter()
        .map(|update| Sent {
            id: update.id,
            waiting: count(update.id, outbox::status::QUEUED)
                + count(update.id, outbox::status::SENDING),
            failed: count(update.id, outbox::status::FAILED),
            subject: update.subject,
            recipients: update.recipients,
            created_at: update.created_at,
        })
        .collect();
    Ok(out)
}
