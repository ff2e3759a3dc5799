//! The results an account created with its API key: recorded by id (never the key), listed in the
//! export, destroyed with the account, forgotten when they expire.

use chrono::{DateTime, Utc};
use entity::account_results;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::{AppState, Error};

pub async fn record(
    app: &AppState,
    user_id: i64,
    result_id: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), Error> {
    account_results::ActiveModel {
        result_id: Set(result_id.to_string()),
        user_id: Set(user_id),
        created_at: Set(app.clock.now()),
        expires_at: Set(expires_at),
    }
    .insert(&app.db)
    .await?;
    Ok(())
}

pub async fn for_user(app: &AppState, user_id: i64) -> Result<Vec<account_results::Model>, Error> {
    Ok(account_results::Entity::find()
        .filter(account_results::Column::UserId.eq(user_id))
        .order_by_asc(account_results::Column::CreatedAt)
        .all(&app.db)
        .await?)
}

/// Forgets results past their expiry (the store destroys them itself); returns how many.
pub async fn purge_expired(app: &AppState) -> Result<u64, Error> {
    let result = account_results::Entity::delete_many()
        .filter(account_results::Column::ExpiresAt.lte(app.clock.now()))
        .exec(&app.db)
        .await?;
    Ok(result.rows_affected)
}
