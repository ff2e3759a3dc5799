//! Privacy requests: anything beyond the self-service buttons, from people with or without an
//! account. Each gets a reference and a 30-day deadline (the policy's promise); staff see a queue
//! with overdue requests first, answer by mail and close them. Reading or answering a request that
//! belongs to an account writes an audit row the person sees.

use chrono::TimeDelta;
/// A privacy request as stored, for the pages that list requests.
pub use entity::privacy_requests::Model as PrivacyRequest;
use entity::privacy_requests::{self, Kind, Status};
use entity::users::{self, Role};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};

use super::audit;
use crate::abuse::Action;
use crate::accounts::{normalize_email, roles};
use crate::mail::templates;
use crate::{AppState, Error};

/// The policy: "We respond to all requests within 30 days."
pub const ANSWER_WITHIN: TimeDelta = TimeDelta::days(30);
/// Closed requests are kept this long (proof that we answered), then deleted by the retention job.
pub const KEEP_CLOSED: TimeDelta = TimeDelta::days(365);
const MAX_MESSAGE: usize = 5000;

/// What the request form sends.
#[derive(Clone, Debug, Default)]
pub struct NewRequest {
    /// Ignored when signed in (the account's address is used).
    pub email: String,
    pub kind: String,
    pub message: String,
}

fn message_text(text: &str, field: &'static str) -> Result<String, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::Invalid {
            field,
            message: "please write a few words about what you need".into(),
        });
    }
    if text.chars().count() > MAX_MESSAGE {
        return Err(Error::Invalid {
            field,
            message: format!("use at most {MAX_MESSAGE} characters"),
        });
    }
    Ok(text.to_string())
}

/// Records a request and mails its reference and deadline to the requester.
#[tracing::instrument(skip_all)]
pub async fn submit(
    app: &AppState,
    user: Option<&users::Model>,
    form: NewRequest,
    ip: std::net::IpAddr,
) -> Result<privacy_requests::Model, Error> {
    app.abuse.check(Action::MailRequest, ip)?;
    let email = match user {
        Some(user) => user.email.clone(),
        None => normalize_email(&form.email)?,
    };
    let kind = Kind::parse(form.kind.trim()).ok_or(Error::Invalid {
        field: "kind",
        message: "choose what the request is about".into(),
    })?;
    let message = message_text(&form.message, "message")?;
    let now = app.clock.now();
    let request = crate::db::transaction(&app.db, async |txn| {
        let request = privacy_requests::ActiveModel {
            user_id: Set(user.map(|u| u.id)),
            email: Set(email),
            kind: Set(kind),
            message: Set(message),
            status: Set(Status::Open),
            response: Set(None),
            created_at: Set(now),
            due_at: Set(now + ANSWER_WITHIN),
            closed_at: Set(None),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        let mail = templates::request_received(
            &request.email,
            request.id,
            kind.as_str(),
            &request.due_at.format("%Y-%m-%d").to_string(),
        );
        crate::mail::queue(app, txn, request.user_id, &mail).await?;
        Ok(request)
    })
    .await?;
    app.outbox.wake(app);
    tracing::info!(request_id = request.id, "privacy request received");
    Ok(request)
}

/// A person's own requests (made signed in, or from the account's address), newest first.
pub async fn for_user(
    app: &AppState,
    user: &users::Model,
) -> Result<Vec<privacy_requests::Model>, Error> {
    Ok(privacy_requests::Entity::find()
        .filter(
            Condition::any()
                .add(privacy_requests::Column::UserId.eq(user.id))
                .add(privacy_requests::Column::Email.eq(user.email.as_str())),
        )
        .order_by_desc(privacy_requests::Column::Id)
        .all(&app.db)
        .await?)
}

/// The staff queue: open and answered requests by deadline (overdue first), then the latest
/// closed ones.
pub async fn queue(
    app: &AppState,
    staff: &users::Model,
) -> Result<Vec<privacy_requests::Model>, Error> {
    roles::require(staff, &[Role::Support, Role::Admin])?;
    let mut pending = privacy_requests::Entity::find()
        .filter(privacy_requests::Column::Status.ne(Status::Closed))
        .order_by_asc(privacy_requests::Column::DueAt)
        .all(&app.db)
        .await?;
    let closed = privacy_requests::Entity::find()
        .filter(privacy_requests::Column::Status.eq(Status::Closed))
        .order_by_desc(privacy_requests::Column::ClosedAt)
        .limit(20)
        .all(&app.db)
        .await?;
    pending.extend(closed);
    // Seeing a request is seeing the person's data: each account-linked one is audited.
    for request in &pending {
        if let Some(subject) = request.user_id {
            audit::record(
                app,
                staff,
                subject,
                &format!(
                    "saw your privacy request #{} in the staff queue",
                    request.id
                ),
            )
            .await?;
        }
    }
    Ok(pending)
}

/// Whether the deadline has passed without the request being closed.
pub fn overdue(app: &AppState, request: &privacy_requests::Model) -> bool {
    request.status != Status::Closed && request.due_at < app.clock.now()
}

/// Staff answer a request (mailed to the requester) and, if `close`, close it.
#[tracing::instrument(skip_all)]
pub async fn answer(
    app: &AppState,
    staff: &users::Model,
    id: i64,
    response: &str,
    close: bool,
) -> Result<privacy_requests::Model, Error> {
    roles::require(staff, &[Role::Support, Role::Admin])?;
    let response = message_text(response, "response")?;
    let request = privacy_requests::Entity::find_by_id(id)
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("request"))?;
    let now = app.clock.now();
    let mut active: privacy_requests::ActiveModel = request.into();
    active.response = Set(Some(response.clone()));
    active.status = Set(if close {
        Status::Closed
    } else {
        Status::Answered
    });
    active.closed_at = Set(close.then_some(now));
    let request = crate::db::transaction(&app.db, async |txn| {
        let request = active.update(txn).await?;
        let mail = templates::request_answered(&request.email, request.id, &response, close);
        crate::mail::queue(app, txn, request.user_id, &mail).await?;
        Ok(request)
    })
    .await?;
    app.outbox.wake(app);
    if let Some(subject) = request.user_id {
        audit::record(
            app,
            staff,
            subject,
            &format!("answered your privacy request #{}", request.id),
        )
        .await?;
    }
    tracing::info!(request_id = request.id, close, "privacy request answered");
    Ok(request)
}

/// Deletes closed requests older than [`KEEP_CLOSED`] (the retention job); returns how many.
pub async fn purge_closed(app: &AppState) -> Result<u64, Error> {
    let result = privacy_requests::Entity::delete_many()
        .filter(privacy_requests::Column::Status.eq(Status::Closed))
        .filter(privacy_requests::Column::ClosedAt.lt(app.clock.now() - KEEP_CLOSED))
        .exec(&app.db)
        .await?;
    Ok(result.rows_affected)
}
