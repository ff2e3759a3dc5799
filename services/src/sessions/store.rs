//! tower-sessions' [`SessionStore`] on sea-orm, so sessions live in the same SQLite or PostgreSQL
//! database as the accounts. The signed-in user's id and browser family are copied out of the
//! record into columns, so all of an account's sessions can be listed and ended.
//!
//! The `id` column holds the SHA-256 (hex) of the cookie's session id, never the id itself: a dump
//! of the database must not hold cookies that work.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use entity::sessions;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use super::auth::{BROWSER, USER_ID};
use crate::clock::Clock;

#[derive(Clone)]
pub struct DbSessionStore {
    db: DatabaseConnection,
    /// "Now" for the rows' creation time and for expiry, the same clock as the rest of the state.
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbSessionStore").finish_non_exhaustive()
    }
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }

    /// The store on the application's database and clock.
    pub fn of(app: &crate::AppState) -> Self {
        Self::new(app.db.clone(), app.clock.clone())
    }

    /// The `sessions.id` a cookie's session id is stored under.
    pub fn stored_id(id: &Id) -> String {
        format!("{:x}", Sha256::digest(id.to_string().as_bytes()))
    }

    /// Deletes expired sessions (the retention job); returns how many.
    pub async fn purge_expired(&self) -> Result<u64, crate::Error> {
        let result = sessions::Entity::delete_many()
            .filter(sessions::Column::ExpiresAt.lte(self.clock.now()))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }
}

fn backend(err: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

fn to_chrono(at: OffsetDateTime) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(at.unix_timestamp(), at.nanosecond()).unwrap_or_default()
}

fn to_time(at: DateTime<Utc>) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(at.timestamp()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
        + time::Duration::nanoseconds(i64::from(at.timestamp_subsec_nanos()))
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data)
            .map_err(|err| session_store::Error::Encode(err.to_string()))?;
        let user_id = record.data.get(USER_ID).and_then(serde_json::Value::as_i64);
        let browser = record
            .data
            .get(BROWSER)
            .and_then(serde_json::Value::as_str)
            .map(|b| b.chars().take(64).collect::<String>());
        let row = sessions::ActiveModel {
            id: Set(Self::stored_id(&record.id)),
            user_id: Set(user_id),
            data: Set(data),
            browser: Set(browser),
            created_at: Set(self.clock.now()),
            expires_at: Set(to_chrono(record.expiry_date)),
        };
        sessions::Entity::insert(row)
            .on_conflict(
                OnConflict::column(sessions::Column::Id)
                    .update_columns([
                        sessions::Column::UserId,
                        sessions::Column::Data,
                        sessions::Column::Browser,
                        sessions::Column::ExpiresAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(row) = sessions::Entity::find_by_id(Self::stored_id(id))
            .filter(sessions::Column::ExpiresAt.gt(self.clock.now()))
            .one(&self.db)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data: HashMap<String, serde_json::Value> = serde_json::from_str(&row.data)
            .map_err(|err| session_store::Error::Decode(err.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date: to_time(row.expires_at),
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sessions::Entity::delete_by_id(Self::stored_id(id))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
