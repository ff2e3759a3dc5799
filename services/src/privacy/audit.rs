//! The staff-access audit: a row for every time support or an admin reads or acts on a person's
//! data. The person sees these rows in their export and on their account page.

use entity::{audit_log, users};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::{AppState, Error};

pub async fn record(
    app: &AppState,
    staff: &users::Model,
    subject_id: i64,
    action: &str,
) -> Result<(), Error> {
    audit_log::ActiveModel {
        subject_id: Set(subject_id),
        staff_role: Set(staff.role.as_str().to_string()),
        action: Set(action.chars().take(200).collect()),
        created_at: Set(app.clock.now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await?;
    Ok(())
}

pub async fn for_subject(app: &AppState, subject_id: i64) -> Result<Vec<audit_log::Model>, Error> {
    Ok(audit_log::Entity::find()
        .filter(audit_log::Column::SubjectId.eq(subject_id))
        .order_by_desc(audit_log::Column::Id)
        .all(&app.db)
        .await?)
}
