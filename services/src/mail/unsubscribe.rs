//! One-click unsubscribe from product updates (RFC 8058): each update carries a per-recipient link
//! `/mail/unsubscribe?t=<account id>.<expiry>.<signature>`, signed with the server secret. A POST
//! to it turns product updates off without a login or a cookie (a consent row with method
//! `unsubscribe`); a GET only shows what the POST would do (mail scanners follow links). The token
//! names the account, not its address or password, so it still works after either changed.

use chrono::{DateTime, Duration, Utc};
use entity::users;
use sea_orm::EntityTrait;

use crate::privacy::consent::{self, Method, Purpose};
use crate::{AppState, Error};

/// How long an update's unsubscribe link works: long enough for an old mail found months later.
pub const LIFETIME: Duration = Duration::days(180);

/// The path of the unsubscribe page and its one-click POST.
pub const PATH: &str = "/mail/unsubscribe";

/// The link for `user_id`, valid until `now + LIFETIME`.
pub fn link(app: &AppState, user_id: i64, now: DateTime<Utc>) -> String {
    let expires = (now + LIFETIME).timestamp();
    let payload = format!("{user_id}.{expires}");
    format!(
        "{}{PATH}?t={payload}.{}",
        app.config.public_url.trim_end_matches('/'),
        signature(app, &payload)
    )
}

fn signature(app: &AppState, payload: &str) -> String {
    let mut sig = app
        .secret
        .sign_hex(format!("unsubscribe\0{payload}").as_bytes());
    sig.truncate(32);
    sig
}

/// The account a token names, if it is signed by this server and has not expired.
pub fn verify(app: &AppState, token: &str, now: DateTime<Utc>) -> Option<i64> {
    if token.len() > 100 {
        return None;
    }
    let (payload, sig) = token.rsplit_once('.')?;
    let (user, expires) = payload.split_once('.')?;
    let user_id: i64 = user.parse().ok()?;
    let expires: i64 = expires.parse().ok()?;
    let same = app
        .secret
        .verify_hex_prefix(format!("unsubscribe\0{payload}").as_bytes(), sig);
    (same && now.timestamp() <= expires).then_some(user_id)
}

/// What a valid link is about: whose account (masked address) and whether updates are on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    pub masked_email: String,
    pub subscribed: bool,
}

const INVALID: &str = "This unsubscribe link is not valid: it may be incomplete or older than six months. Sign in and switch product updates off on your account page instead.";

async fn account(app: &AppState, token: &str) -> Result<users::Model, Error> {
    let user_id =
        verify(app, token, app.clock.now()).ok_or_else(|| Error::BadRequest(INVALID.into()))?;
    users::Entity::find_by_id(user_id)
        .one(&app.db)
        .await?
        .ok_or_else(|| {
            Error::BadRequest(
                "The account this link was for no longer exists, so no more mail goes to it."
                    .into(),
            )
        })
}

/// What the GET shows: changes nothing.
pub async fn look(app: &AppState, token: &str) -> Result<Subscription, Error> {
    let user = account(app, token).await?;
    Ok(Subscription {
        masked_email: super::templates::mask_email(&user.email),
        subscribed: consent::current(&app.db, user.id, Purpose::Marketing).await?,
    })
}

/// The POST: turns product updates off (once; repeating it changes nothing more).
pub async fn unsubscribe(app: &AppState, token: &str) -> Result<Subscription, Error> {
    let user = account(app, token).await?;
    crate::db::transaction(&app.db, async |txn| {
        if consent::current(txn, user.id, Purpose::Marketing).await? {
            consent::record(
                txn,
                app.config.privacy_policy.version(),
                user.id,
                Purpose::Marketing,
                false,
                Method::Unsubscribe,
                app.clock.now(),
            )
            .await?;
            tracing::info!(user_id = user.id, "unsubscribed from product updates");
        }
        Ok(())
    })
    .await?;
    Ok(Subscription {
        masked_email: super::templates::mask_email(&user.email),
        subscribed: false,
    })
}
