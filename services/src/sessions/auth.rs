//! What a signed-in session holds — the user's id, when they logged in, when they were last seen,
//! their browser family — and the checks on every request: idle expiry, absolute expiry, and
//! "sign out everywhere" (`users.sessions_revoked_at`).

use chrono::{DateTime, TimeDelta, Utc};
use entity::{sessions, users};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use tower_sessions::Session;

use crate::{AppState, Error};

pub const USER_ID: &str = "uid";
const AUTH_AT: &str = "auth_ms";
const SEEN_AT: &str = "seen_ms";
pub const BROWSER: &str = "browser";

/// "Last seen" is refreshed (and the idle timer restarted) at most this often.
const SEEN_EVERY: TimeDelta = TimeDelta::seconds(60);

/// The signed-in account for this request.
pub type CurrentUser = users::Model;

fn session_error(err: tower_sessions::session::Error) -> Error {
    Error::Internal(format!("session store: {err}"))
}

fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// Signs `user` in on this session: a new session id (no fixation), the login time, the browser.
pub async fn sign_in(
    app: &AppState,
    session: &Session,
    user: &users::Model,
    user_agent: Option<&str>,
) -> Result<(), Error> {
    session.cycle_id().await.map_err(session_error)?;
    let mut now = millis(app.clock.now());
    if let Some(revoked) = user.sessions_revoked_at {
        // A login right after "sign out everywhere" must count as after it.
        now = now.max(millis(revoked) + 1);
    }
    session
        .insert(USER_ID, user.id)
        .await
        .map_err(session_error)?;
    session.insert(AUTH_AT, now).await.map_err(session_error)?;
    session.insert(SEEN_AT, now).await.map_err(session_error)?;
    session
        .insert(BROWSER, browser_family(user_agent.unwrap_or_default()))
        .await
        .map_err(session_error)?;
    tracing::info!(user_id = user.id, "signed in");
    Ok(())
}

/// The account signed in on this session, if the session is still valid. An invalid one is ended
/// (its cookie removed). Never creates a session for an anonymous visitor.
pub async fn current_user(
    app: &AppState,
    session: &Session,
) -> Result<Option<users::Model>, Error> {
    let Some(user_id) = session.get::<i64>(USER_ID).await.map_err(session_error)? else {
        return Ok(None);
    };
    let auth = session
        .get::<i64>(AUTH_AT)
        .await
        .map_err(session_error)?
        .unwrap_or(0);
    let seen = session
        .get::<i64>(SEEN_AT)
        .await
        .map_err(session_error)?
        .unwrap_or(0);
    let now = millis(app.clock.now());
    let idle = app.config.session_idle.num_milliseconds();
    let absolute = app.config.session_max.num_milliseconds();
    let user = if now - auth > absolute || now - seen > idle {
        None
    } else {
        users::Entity::find_by_id(user_id).one(&app.db).await?
    };
    let valid = user.filter(|user| {
        user.sessions_revoked_at
            .is_none_or(|revoked| millis(revoked) < auth)
    });
    match valid {
        Some(user) => {
            if now - seen >= SEEN_EVERY.num_milliseconds() {
                session.insert(SEEN_AT, now).await.map_err(session_error)?;
            }
            Ok(Some(user))
        }
        None => {
            session.flush().await.map_err(session_error)?;
            Ok(None)
        }
    }
}

/// Ends this session: the row is deleted and the cookie removed.
pub async fn sign_out(session: &Session) -> Result<(), Error> {
    session.flush().await.map_err(session_error)
}

/// Ends every session of the account, this one included.
pub async fn sign_out_everywhere(
    app: &AppState,
    session: &Session,
    user_id: i64,
) -> Result<(), Error> {
    revoke_all(app, &app.db, user_id).await?;
    session.flush().await.map_err(session_error)?;
    tracing::info!(user_id, "signed out everywhere");
    Ok(())
}

/// Marks every current session of the account invalid and deletes their rows. A session that saves
/// again afterwards is still refused by [`current_user`] (its login predates the mark).
pub async fn revoke_all(
    app: &AppState,
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<(), Error> {
    users::Entity::update_many()
        .col_expr(
            users::Column::SessionsRevokedAt,
            sea_orm::sea_query::Expr::value(app.clock.now()),
        )
        .filter(users::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    sessions::Entity::delete_many()
        .filter(sessions::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The browser's family from its User-Agent ("Firefox", "Chrome", …): all that is kept of it.
pub fn browser_family(user_agent: &str) -> &'static str {
    let ua = user_agent;
    if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("OPR/") {
        "Opera"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Chromium/") || ua.contains("HeadlessChrome/") {
        "Chromium"
    } else if ua.contains("Chrome/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else if ua.starts_with("curl/") {
        "curl"
    } else {
        "Other"
    }
}

#[cfg(test)]
mod tests {
    use super::browser_family;

    #[test]
    fn browser_families() {
        assert_eq!(
            browser_family(
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
            ),
            "Firefox"
        );
        assert_eq!(
            browser_family(
                "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
            ),
            "Chrome"
        );
        assert_eq!(
            browser_family("Mozilla/5.0 AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0"),
            "Edge"
        );
        assert_eq!(
            browser_family(
                "Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 Version/18.1 Safari/605.1.15"
            ),
            "Safari"
        );
        assert_eq!(browser_family("curl/8.5.0"), "curl");
        assert_eq!(browser_family(""), "Other");
    }
}
