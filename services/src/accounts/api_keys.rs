//! API keys for the cutout API. A key is `imgigo_` plus 43 random URL-safe characters (256 bits),
//! shown once at creation; the database keeps its SHA-256 digest (a random key needs no slow hash)
//! and the first characters, so the owner can tell keys apart. `X-Api-Key` authenticates a call.

use base64::Engine;
use chrono::TimeDelta;
use entity::api_keys;
use entity::users;
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use sha2::{Digest, Sha256};

use super::link;
use crate::mail::templates;
use crate::{AppState, Error};

pub const KEY_PREFIX: &str = "imgigo_";
/// Characters of a key kept to recognise it: `imgigo_` and six more.
const SHOWN: usize = KEY_PREFIX.len() + 6;
/// Live keys one account may hold.
pub const MAX_KEYS: u64 = 20;
/// `last_used_at` is written at most this often per key.
const LAST_USED_EVERY: TimeDelta = TimeDelta::minutes(1);

pub const INVALID_KEY: &str = "This API key is not valid: it may be mistyped or revoked. Create a new one on your account page, or leave X-Api-Key out to use the anonymous limits.";

/// A new key: the row and the key itself, which is never shown again.
pub struct CreatedKey {
    pub key: api_keys::Model,
    pub secret: String,
}

/// The key's owner, when `X-Api-Key` is valid.
#[derive(Clone, Debug)]
pub struct KeyIdentity {
    pub key_id: i64,
    pub user_id: i64,
}

fn digest(secret: &str) -> String {
    format!("{:x}", Sha256::digest(secret.as_bytes()))
}

#[tracing::instrument(skip_all)]
pub async fn create(app: &AppState, user: &users::Model, name: &str) -> Result<CreatedKey, Error> {
    let name = name.trim();
    let name = if name.is_empty() { "API key" } else { name };
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(Error::Invalid {
            field: "name",
            message: "use at most 100 letters, digits and punctuation".into(),
        });
    }
    if crate::privacy::restriction::is_restricted(user) {
        return Err(Error::Forbidden(
            "Processing of your account's data is restricted, so no new keys can be made. Lift the restriction first.".into(),
        ));
    }
    let live = api_keys::Entity::find()
        .filter(api_keys::Column::UserId.eq(user.id))
        .filter(api_keys::Column::RevokedAt.is_null())
        .count(&app.db)
        .await?;
    if live >= MAX_KEYS {
        return Err(Error::Conflict(format!(
            "You have {MAX_KEYS} keys already; revoke one you no longer use first."
        )));
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!(
        "{KEY_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let key = crate::db::transaction(&app.db, async |txn| {
        let key = api_keys::ActiveModel {
            user_id: Set(user.id),
            name: Set(name.to_string()),
            prefix: Set(secret[..SHOWN].to_string()),
            key_hash: Set(digest(&secret)),
            created_at: Set(app.clock.now()),
            last_used_at: Set(None),
            revoked_at: Set(None),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        let mail = templates::api_key_created(
            &user.email,
            &user.name,
            &key.name,
            &key.prefix,
            &link(app, "/account"),
        );
        crate::mail::queue(app, txn, Some(user.id), &mail).await?;
        Ok(key)
    })
    .await?;
    app.outbox.wake(app);
    tracing::info!(user_id = user.id, key_id = key.id, "API key created");
    Ok(CreatedKey { key, secret })
}

/// The account's keys, newest first, revoked ones included (marked).
/// How many keys are not revoked, over all accounts (the dashboard's "in use").
pub async fn live_count(app: &AppState) -> Result<u64, Error> {
    use sea_orm::PaginatorTrait;
    Ok(api_keys::Entity::find()
        .filter(api_keys::Column::RevokedAt.is_null())
        .count(&app.db)
        .await?)
}

pub async fn list(app: &AppState, user_id: i64) -> Result<Vec<api_keys::Model>, Error> {
    Ok(api_keys::Entity::find()
        .filter(api_keys::Column::UserId.eq(user_id))
        .order_by_desc(api_keys::Column::Id)
        .all(&app.db)
        .await?)
}

/// Revokes one of the account's own keys at once.
#[tracing::instrument(skip_all)]
pub async fn revoke(app: &AppState, user_id: i64, key_id: i64) -> Result<(), Error> {
    let key = api_keys::Entity::find_by_id(key_id)
        .filter(api_keys::Column::UserId.eq(user_id))
        .one(&app.db)
        .await?
        .ok_or(Error::NotFound("API key"))?;
    if key.revoked_at.is_some() {
        return Ok(());
    }
    let mut active: api_keys::ActiveModel = key.into();
    active.revoked_at = Set(Some(app.clock.now()));
    active.update(&app.db).await?;
    tracing::info!(user_id, key_id, "API key revoked");
    Ok(())
}

/// Checks an `X-Api-Key` value. Unknown and revoked keys get the same refusal.
pub async fn authenticate(app: &AppState, presented: &str) -> Result<KeyIdentity, Error> {
    let presented = presented.trim();
    let refuse = || Error::Unauthorized(INVALID_KEY.into());
    if !presented.starts_with(KEY_PREFIX) || presented.len() > 128 {
        return Err(refuse());
    }
    // The key and its owner in one query: this runs on every keyed API call.
    let (key, owner) = api_keys::Entity::find()
        .filter(api_keys::Column::KeyHash.eq(digest(presented)))
        .find_also_related(users::Entity)
        .one(&app.db)
        .await?
        .ok_or_else(refuse)?;
    let owner = owner.ok_or_else(refuse)?;
    if key.revoked_at.is_some() {
        return Err(refuse());
    }
    if crate::privacy::restriction::is_restricted(&owner) {
        return Err(Error::Forbidden(
            crate::privacy::restriction::RESTRICTED.into(),
        ));
    }
    let now = app.clock.now();
    if key
        .last_used_at
        .is_none_or(|at| now - at >= LAST_USED_EVERY)
    {
        api_keys::Entity::update_many()
            .col_expr(
                api_keys::Column::LastUsedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(api_keys::Column::Id.eq(key.id))
            .exec(&app.db)
            .await?;
    }
    Ok(KeyIdentity {
        key_id: key.id,
        user_id: key.user_id,
    })
}
