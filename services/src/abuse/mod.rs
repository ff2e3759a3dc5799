//! Abuse resistance, in RAM only (addresses and emails are never written to disk or logs): per-IP
//! token buckets for logging in, registering and asking for mail, per-address buckets so nobody can
//! mail-bomb an inbox, [`Lockout`] after repeated wrong passwords, a per-network throttle on wrong
//! API keys (checked before the database is asked) and one on wrong *current* passwords per
//! account (password change, account deletion).
//!
//! Everything is keyed by the *typed* email address, whether or not an account has it, so a
//! refusal looks the same for every address (no account enumeration). Addresses are kept as a
//! digest ([`AddressKey`]) and client addresses per network ([`bucket`]); every map is capped.

pub mod blocklist;
mod lockout;

use std::net::IpAddr;
use std::sync::Arc;

pub use blocklist::BlockList;
use chrono::TimeDelta;
pub use lockout::{Lockout, LockoutPolicy};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::clock::Clock;
use crate::ratelimit::{RateLimit, RateLimiter, Verdict, bucket};

/// The client's address as the server sees it (the peer, or the first untrusted hop of
/// `X-Forwarded-For` behind a trusted proxy); put in every request's extensions by the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// A typed email address as the throttles know it: the SHA-256 of its normal form (or, for text
/// that is not an address, of the trimmed lower-case text). Equal for every spelling of one
/// address, 32 bytes however long the input, and the address itself is not held in memory.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddressKey([u8; 32]);

impl AddressKey {
    pub fn of(email: &str) -> Self {
        let normal =
            crate::accounts::normalize_email(email).unwrap_or_else(|_| email.trim().to_lowercase());
        Self(Sha256::digest(normal.as_bytes()).into())
    }
}

impl std::fmt::Debug for AddressKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AddressKey(..)")
    }
}

/// What a form is throttled as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Login,
    Register,
    /// Password-reset and verification-resend requests (they send mail).
    MailRequest,
}

/// Wrong API keys one network may present within [`BAD_KEY_WINDOW`] before it waits.
pub const BAD_KEYS_PER_MINUTE: u32 = 10;
const BAD_KEY_WINDOW: TimeDelta = TimeDelta::minutes(1);
/// Wrong current passwords one account may enter within [`PASSWORD_CHECK_WINDOW`].
pub const PASSWORD_CHECKS: u32 = 5;
const PASSWORD_CHECK_WINDOW: TimeDelta = TimeDelta::minutes(15);

pub struct Abuse {
    login: RateLimiter<IpAddr>,
    register: RateLimiter<IpAddr>,
    mail_request: RateLimiter<IpAddr>,
    /// Mail sent to one address on request (reset, resend): a few, then one a minute.
    per_address_mail: RateLimiter<AddressKey>,
    /// Wrong passwords per typed address.
    pub lockout: Lockout,
    /// Wrong `X-Api-Key` values per network: after the limit, refused without a database lookup.
    bad_keys: Lockout<IpAddr>,
    /// Wrong current passwords per account id (each check is an argon2 hash, and a stolen session
    /// must not be able to guess its way to the password).
    password_checks: Lockout<i64>,
    /// Networks that kept hitting limits, refused for a while (see [`blocklist`]).
    pub blocks: BlockList,
}

impl Abuse {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            login: RateLimiter::new(RateLimit::new(10, 10)),
            register: RateLimiter::new(RateLimit::new(3, 5)),
            mail_request: RateLimiter::new(RateLimit::new(3, 5)),
            per_address_mail: RateLimiter::new(RateLimit::new(1, 3)),
            lockout: Lockout::new(LockoutPolicy::default(), clock.clone()),
            bad_keys: Lockout::new(
                LockoutPolicy {
                    max_failures: BAD_KEYS_PER_MINUTE,
                    window: BAD_KEY_WINDOW,
                    duration: BAD_KEY_WINDOW,
                    ..LockoutPolicy::default()
                },
                clock.clone(),
            ),
            password_checks: Lockout::new(
                LockoutPolicy {
                    max_failures: PASSWORD_CHECKS,
                    window: PASSWORD_CHECK_WINDOW,
                    duration: PASSWORD_CHECK_WINDOW,
                    ..LockoutPolicy::default()
                },
                clock.clone(),
            ),
            blocks: BlockList::new(clock),
        }
    }

    /// Takes one attempt from the bucket of `ip`'s network for `action`; too many is a 429 with
    /// the wait.
    pub fn check(&self, action: Action, ip: IpAddr) -> Result<(), Error> {
        let limiter = match action {
            Action::Login => &self.login,
            Action::Register => &self.register,
            Action::MailRequest => &self.mail_request,
        };
        match limiter.check(bucket(ip)) {
            Verdict::Allowed(_) => Ok(()),
            Verdict::Limited { retry_after, .. } => Err(Error::TooManyRequests {
                message: format!(
                    "Too many attempts from your network. Please wait {} and try again.",
                    wait_words(retry_after)
                ),
                retry_after,
            }),
        }
    }

    /// Whether another requested mail may go to `email` now. When not, the caller answers as usual
    /// and sends nothing (the person already has recent mail).
    pub fn may_mail(&self, email: &str) -> bool {
        matches!(
            self.per_address_mail.check(AddressKey::of(email)),
            Verdict::Allowed(_)
        )
    }

    /// Refuses `ip`'s network while it has sent too many wrong API keys; call before looking a
    /// key up.
    pub fn check_api_key_attempt(&self, ip: IpAddr) -> Result<(), Error> {
        match self.bad_keys.locked_for(&bucket(ip)) {
            Some(seconds) => Err(bad_keys_error(seconds)),
            None => Ok(()),
        }
    }

    /// Counts a wrong API key from `ip`'s network (the caller answers 401 as usual; once the limit
    /// is reached, the next attempt is refused by [`Abuse::check_api_key_attempt`]).
    pub fn record_bad_api_key(&self, ip: IpAddr) {
        self.bad_keys.record_failure(&bucket(ip));
    }

    /// Refuses a current-password check for `user_id` while too many were wrong.
    pub fn check_password_attempt(&self, user_id: i64) -> Result<(), Error> {
        match self.password_checks.locked_for(&user_id) {
            Some(seconds) => Err(password_checks_error(seconds)),
            None => Ok(()),
        }
    }

    /// Counts a wrong current password for `user_id` (the caller answers "wrong password" as
    /// usual; the next check is refused once the limit is reached).
    pub fn record_wrong_password(&self, user_id: i64) {
        self.password_checks.record_failure(&user_id);
    }

    /// Forgets buckets that are full again and lockouts that ended.
    pub fn forget_idle(&self) {
        self.login.forget_idle();
        self.register.forget_idle();
        self.mail_request.forget_idle();
        self.per_address_mail.forget_idle();
        self.lockout.forget_expired();
        self.bad_keys.forget_expired();
        self.password_checks.forget_expired();
        self.blocks.forget_idle();
    }
}

fn bad_keys_error(seconds: u64) -> Error {
    Error::TooManyRequests {
        message: format!(
            "Too many invalid API keys from your network. Please wait {} and try again with a valid key.",
            wait_words(seconds)
        ),
        retry_after: seconds,
    }
}

fn password_checks_error(seconds: u64) -> Error {
    Error::TooManyRequests {
        message: format!(
            "Too many wrong current passwords. For your safety, please wait {} and try again, or choose a new password with \"Forgot your password?\".",
            wait_words(seconds)
        ),
        retry_after: seconds,
    }
}

/// "42 seconds", "3 minutes".
pub fn wait_words(seconds: u64) -> String {
    match seconds {
        0..=1 => "a second".into(),
        2..=90 => format!("{seconds} seconds"),
        _ => format!("{} minutes", seconds.div_ceil(60)),
    }
}

#[cfg(all(test, feature = "test-support"))]
mod tests {
    use super::*;
    use crate::testing::ManualClock;

    #[test]
    fn form_throttles_count_an_ipv6_network_as_one_caller() {
        let abuse = Abuse::new(ManualClock::new());
        for host in 1..=5u16 {
            let ip = IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 5, 5, 0, 0, 0, host));
            assert!(
                abuse.check(Action::Register, ip).is_ok(),
                "within the burst"
            );
        }
        let sixth: IpAddr = "2001:db8:5:5:ffff::6".parse().expect("ip");
        assert!(abuse.check(Action::Register, sixth).is_err(), "same /64");
        let other: IpAddr = "2001:db8:5:6::1".parse().expect("ip");
        assert!(abuse.check(Action::Register, other).is_ok(), "another /64");
    }

    #[test]
    fn wrong_api_keys_lock_the_network_for_a_minute() {
        let clock = ManualClock::new();
        let abuse = Abuse::new(clock.clone());
        let ip: IpAddr = "2001:db8:9:9::1".parse().expect("ip");
        for _ in 0..BAD_KEYS_PER_MINUTE {
            assert!(abuse.check_api_key_attempt(ip).is_ok());
            abuse.record_bad_api_key(ip);
        }
        assert!(
            abuse.check_api_key_attempt(ip).is_err(),
            "the eleventh waits"
        );
        let neighbour: IpAddr = "2001:db8:9:9::2".parse().expect("ip");
        match abuse.check_api_key_attempt(neighbour) {
            Err(Error::TooManyRequests { retry_after, .. }) => assert_eq!(retry_after, 60),
            other => panic!("the same /64 is refused, got {other:?}"),
        }
        assert!(
            abuse
                .check_api_key_attempt("203.0.113.1".parse().expect("ip"))
                .is_ok()
        );
        clock.advance(TimeDelta::seconds(61));
        assert!(abuse.check_api_key_attempt(ip).is_ok(), "it opens again");
    }

    #[test]
    fn wrong_current_passwords_are_throttled_per_account() {
        let abuse = Abuse::new(ManualClock::new());
        for _ in 0..PASSWORD_CHECKS {
            assert!(abuse.check_password_attempt(7).is_ok());
            abuse.record_wrong_password(7);
        }
        assert!(abuse.check_password_attempt(7).is_err());
        assert!(abuse.check_password_attempt(8).is_ok(), "other accounts");
    }
}
