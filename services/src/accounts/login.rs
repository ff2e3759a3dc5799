//! Checking a password. Per-network throttling, per-address lockout (whether or not the address
//! has an account), one message for "no such account" and "wrong password", and the same time for
//! both.

use std::net::IpAddr;

use entity::users;

use super::{find_by_email, normalize_email};
use crate::abuse::{Action, AddressKey, wait_words};
use crate::{AppState, Error};

pub const WRONG_CREDENTIALS: &str = "That email and password don't match an account. Check them and try again, or reset your password with \"Forgot your password?\".";

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
    // Every spelling of one address shares a lock; the map holds digests, not addresses.
    let key = AddressKey::of(email);
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

#[cfg(all(test, feature = "test-support"))]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::accounts::{recovery, roles};
    use crate::testing::AccountsHarness;

    const PASSWORD: &str = "correct horse battery staple";

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([198, 51, 100, n])
    }

    #[tokio::test]
    async fn every_spelling_locks_one_address_and_a_reset_unlocks_it() {
        let h = AccountsHarness::new().await;
        roles::create_admin(&h.app, "Ada", "ada@example.com", PASSWORD)
            .await
            .expect("account");
        for (n, spelling) in [
            "Ada@Example.com",
            " ada@example.com",
            "ADA@EXAMPLE.COM ",
            "ada@Example.COM",
            "\tada@example.com",
        ]
        .into_iter()
        .enumerate()
        {
            let err = authenticate(&h.app, spelling, "wrong password", ip(n as u8))
                .await
                .expect_err("wrong");
            let expected = if n < 4 {
                ErrorKind::Unauthorized
            } else {
                ErrorKind::TooManyRequests
            };
            assert_eq!(err.kind(), expected, "{spelling:?}");
        }
        let err = authenticate(&h.app, "ada@example.com", PASSWORD, ip(9))
            .await
            .expect_err("locked, whatever the spelling was");
        assert_eq!(err.kind(), ErrorKind::TooManyRequests);
        assert_eq!(h.app.abuse.lockout.tracked(), 1, "one entry for them all");

        // A password reset ends the lock for the stored address, which the typed ones match.
        recovery::request_reset(&h.app, "ada@example.com", ip(10))
            .await
            .expect("request");
        let token = h.token("password_reset", "ada@example.com", 1).await;
        recovery::reset(&h.app, &token, "a brand new passphrase")
            .await
            .expect("reset");
        authenticate(&h.app, "ADA@example.com", "a brand new passphrase", ip(11))
            .await
            .expect("the reset unlocked the account");
    }
}
