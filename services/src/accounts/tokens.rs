//! Single-use links sent by mail. A token is 256 random bits (URL-safe base64) that exists only in
//! the mail; the database keeps its HMAC under the server secret, so neither a database copy alone
//! nor a guessed token helps. Redeeming deletes the row first — a second use, a racing use and an
//! expired link all fail the same way.

use base64::Engine;
use chrono::TimeDelta;
use entity::account_tokens::{self, Purpose};
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::{AppState, Error};

/// How long each kind of link works.
pub fn lifetime(purpose: Purpose) -> TimeDelta {
    match purpose {
        Purpose::VerifyEmail => TimeDelta::hours(48),
        Purpose::ResetPassword => TimeDelta::minutes(60),
        Purpose::ChangeEmail => TimeDelta::hours(24),
    }
}

const LINK_EXPIRED: &str =
    "This link has expired or was already used. Ask for a new one and use the newest mail.";

fn digest(app: &AppState, purpose: Purpose, token: &str) -> String {
    let label = match purpose {
        Purpose::VerifyEmail => "verify_email",
        Purpose::ResetPassword => "reset_password",
        Purpose::ChangeEmail => "change_email",
    };
    app.secret.sign_hex(format!("{label}:{token}").as_bytes())
}

/// Makes a link token for `user_id`; earlier unused tokens of the same purpose stop working.
pub async fn issue(
    app: &AppState,
    db: &impl ConnectionTrait,
    user_id: i64,
    purpose: Purpose,
    new_email: Option<String>,
) -> Result<String, Error> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    account_tokens::Entity::delete_many()
        .filter(account_tokens::Column::UserId.eq(user_id))
        .filter(account_tokens::Column::Purpose.eq(purpose))
        .exec(db)
        .await?;
    let now = app.clock.now();
    account_tokens::ActiveModel {
        user_id: Set(user_id),
        purpose: Set(purpose),
        token_hash: Set(digest(app, purpose, &token)),
        new_email: Set(new_email),
        created_at: Set(now),
        expires_at: Set(now + lifetime(purpose)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Uses up `token`: the row if it was valid, unexpired and not used before.
pub async fn redeem(
    app: &AppState,
    db: &impl ConnectionTrait,
    token: &str,
    purpose: Purpose,
) -> Result<account_tokens::Model, Error> {
    let expired = || Error::BadRequest(LINK_EXPIRED.into());
    let token = token.trim();
    if token.is_empty() || token.len() > 100 {
        return Err(expired());
    }
    let hash = digest(app, purpose, token);
    let row = account_tokens::Entity::find()
        .filter(account_tokens::Column::TokenHash.eq(hash.as_str()))
        .filter(account_tokens::Column::Purpose.eq(purpose))
        .one(db)
        .await?
        .ok_or_else(expired)?;
    let deleted = account_tokens::Entity::delete_by_id(row.id)
        .exec(db)
        .await?;
    if deleted.rows_affected != 1 || row.expires_at <= app.clock.now() {
        return Err(expired());
    }
    Ok(row)
}

/// Drops expired tokens (the retention job); returns how many.
pub async fn purge_expired(app: &AppState) -> Result<u64, Error> {
    let result = account_tokens::Entity::delete_many()
        .filter(account_tokens::Column::ExpiresAt.lte(app.clock.now()))
        .exec(&app.db)
        .await?;
    Ok(result.rows_affected)
}
