//! The consent ledger: every choice is a new row (purpose, granted or withdrawn, policy version,
//! time, how), so the history is the proof.

use entity::consents;
/// What a consent is for and how it was given, for callers that record or show one.
pub use entity::consents::{Method, Purpose};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::Error;

/// Records a choice given under the policy whose version is `policy_version` (the one in force,
/// `config.privacy_policy.version()`).
pub async fn record(
    db: &impl ConnectionTrait,
    policy_version: &str,
    user_id: i64,
    purpose: Purpose,
    granted: bool,
    method: Method,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<consents::Model, Error> {
    Ok(consents::ActiveModel {
        user_id: Set(user_id),
        purpose: Set(purpose),
        granted: Set(granted),
        policy_version: Set(policy_version.to_string()),
        method: Set(method),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Every consent row of a user, oldest first.
pub async fn history(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Vec<consents::Model>, Error> {
    Ok(consents::Entity::find()
        .filter(consents::Column::UserId.eq(user_id))
        .order_by_asc(consents::Column::Id)
        .all(db)
        .await?)
}

/// The latest choice for `purpose` (`false` when never asked).
pub async fn current(
    db: &impl ConnectionTrait,
    user_id: i64,
    purpose: Purpose,
) -> Result<bool, Error> {
    Ok(consents::Entity::find()
        .filter(consents::Column::UserId.eq(user_id))
        .filter(consents::Column::Purpose.eq(purpose))
        .order_by_desc(consents::Column::Id)
        .one(db)
        .await?
        .is_some_and(|row| row.granted))
}
