//! Checking a password. Per-IP throttling, per-address lockout (whether or not the address has an
//! account), one message for "no such account" and "wrong password", and the same time for both.

use std::net::IpAddr;

use entity::users;

use super::{find_by_email, normalize_email};
use crate::abuse::{Action, wait_words};
use crate::{AppState, Error};

pub const WRONG_CREDENTIALS: &str = "That email and password don't match an account. Check both, or choose a new password with \"Forgot your password?\".";

pub const UNVERIFIED: &str = "Please confirm your email address first: open the link we mailed you. No mail? Ask for a new one below.";

/// The account for these credentials, if they are right, the address is confirmed and nothing is
/// locked. Every refusal is a person-readable error.
#[tracing::instrument(skip_all)]
pub async fn authenticate(
    app: &AppState,
    email: &str,
    password: &str,
    ip: IpAddr,
) -> Result<users::Model, Error> {
    app.abuse.check(Action::Login, ip)?;
    let key = email.trim().to_lowercase();
    if let Some(seconds) = app.abuse.lockout.locked_for(&key) {
        return Err(locked(seconds));
    }
    let wrong = || Error::Unauthorized(WRONG_CREDENTIALS.into());
    let user = match normalize_email(email) {
        Ok(email) => find_by_email(&app.db, &email).await?,
        Err(_) => None,
    };
    let matches = match &user {
        Some(user) => app.passwords.verify(password, &user.password_hash).await?,
        None => {
            app.passwords.verify_nothing(password).await?;
            false
        }
    };
    let user = match (user, matches) {
        (Some(user), true) => user,
        _ => {
            tracing::info!("login refused: wrong credentials");
            return Err(match app.abuse.lockout.record_failure(&key) {
                Some(seconds) => locked(seconds),
                None => wrong(),
            });
        }
    };
    app.abuse.lockout.clear(&key);
    if user.email_verified_at.is_none() {
        return Err(Error::Forbidden(UNVERIFIED.into()));
    }
    Ok(user)
}

fn locked(seconds: u64) -> Error {
    Error::TooManyRequests {
        message: format!(
            "Too many wrong passwords for this account. For your safety, logging in is paused for {}. You can also choose a new password with \"Forgot your password?\".",
            wait_words(seconds)
        ),
        retry_after: seconds,
    }
}
