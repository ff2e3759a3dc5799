//! The staff's daily digest of privacy requests (the policy answers within 30 days): once a day,
//! every support and admin account with a confirmed address gets one mail through the outbox
//! listing the requests not closed that are overdue or due within 7 days — their number, kind,
//! state and deadline, never the requester's address or message (those are on the staff page).
//! No mail on a day with nothing due. With several nodes, one claims the day (`job_runs`).

use chrono::Duration;
use entity::privacy_requests::{self, Status};
use entity::{job_runs, users};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::accounts::Role;
use crate::mail::templates;
use crate::{AppState, Error};

const JOB: &str = "privacy_digest";
/// Requests due within this long are in the digest (besides the overdue ones).
pub const DUE_SOON: Duration = Duration::days(7);

/// Sends today's digest unless it was sent today (by this node or another); returns how many
/// mails were queued.
pub async fn daily_digest(app: &AppState) -> Result<usize, Error> {
    let now = app.clock.now();
    if !claim_today(app, &now.format("%Y-%m-%d").to_string()).await? {
        return Ok(0);
    }
    let due = privacy_requests::Entity::find()
        .filter(privacy_requests::Column::Status.ne(Status::Closed))
        .filter(privacy_requests::Column::DueAt.lte(now + DUE_SOON))
        .order_by_asc(privacy_requests::Column::DueAt)
        .all(&app.db)
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let lines: Vec<String> = due
        .iter()
        .map(|request| {
            let late = if request.due_at < now {
                " — overdue"
            } else {
                ""
            };
            format!(
                "#{} {} ({}), due {}{late}",
                request.id,
                request.kind.as_str(),
                request.status.as_str(),
                request.due_at.format("%Y-%m-%d"),
            )
        })
        .collect();
    let overdue = due.iter().filter(|request| request.due_at < now).count();
    let staff = users::Entity::find()
        .filter(users::Column::Role.is_in([Role::Support, Role::Admin]))
        .filter(users::Column::EmailVerifiedAt.is_not_null())
        .all(&app.db)
        .await?;
    let link = crate::accounts::link(app, "/staff");
    for person in &staff {
        let mail = templates::privacy_digest(&person.email, &person.name, &lines, overdue, &link);
        crate::mail::queue(app, &app.db, Some(person.id), &mail).await?;
    }
    app.outbox.wake(app);
    tracing::info!(
        requests = due.len(),
        overdue,
        staff = staff.len(),
        "privacy request digest queued"
    );
    Ok(staff.len())
}

/// Whether this call is the first to run the digest on `day`.
async fn claim_today(app: &AppState, day: &str) -> Result<bool, Error> {
    job_runs::Entity::insert(job_runs::ActiveModel {
        name: Set(JOB.to_string()),
        last_day: Set(String::new()),
    })
    .on_conflict_do_nothing_on([job_runs::Column::Name])
    .exec(&app.db)
    .await?;
    let claimed = job_runs::Entity::update_many()
        .col_expr(job_runs::Column::LastDay, Expr::value(day))
        .filter(job_runs::Column::Name.eq(JOB))
        .filter(job_runs::Column::LastDay.ne(day))
        .exec(&app.db)
        .await?;
    Ok(claimed.rows_affected == 1)
}
