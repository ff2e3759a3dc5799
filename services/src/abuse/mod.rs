//! Abuse resistance for the account forms, in RAM only (addresses and emails are never written to
//! disk or logs): per-IP token buckets for logging in, registering and asking for mail, per-address
//! buckets so nobody can mail-bomb an inbox, and [`Lockout`] after repeated wrong passwords.
//!
//! Everything is keyed by the *typed* email address, whether or not an account has it, so a
//! refusal looks the same for every address (no account enumeration).

mod lockout;

use std::net::IpAddr;
use std::sync::Arc;

pub use lockout::{Lockout, LockoutPolicy};

use crate::Error;
use crate::ratelimit::{RateLimit, RateLimiter, Verdict};
use crate::results::Clock;

/// The client's address as the server sees it (the peer, or the first untrusted hop of
/// `X-Forwarded-For` behind a trusted proxy); put in every request's extensions by the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// What a form is throttled as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Login,
    Register,
    /// Password-reset and verification-resend requests (they send mail).
    MailRequest,
}

pub struct Abuse {
    login: RateLimiter<IpAddr>,
    register: RateLimiter<IpAddr>,
    mail_request: RateLimiter<IpAddr>,
    /// Mail sent to one address on request (reset, resend): a few, then one a minute.
    per_address_mail: RateLimiter<String>,
    pub lockout: Lockout,
}

impl Abuse {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            login: RateLimiter::new(RateLimit::new(10, 10)),
            register: RateLimiter::new(RateLimit::new(3, 5)),
            mail_request: RateLimiter::new(RateLimit::new(3, 5)),
            per_address_mail: RateLimiter::new(RateLimit::new(1, 3)),
            lockout: Lockout::new(LockoutPolicy::default(), clock),
        }
    }

    /// Takes one attempt from `ip`'s bucket for `action`; too many is a 429 with the wait.
    pub fn check(&self, action: Action, ip: IpAddr) -> Result<(), Error> {
        let limiter = match action {
            Action::Login => &self.login,
            Action::Register => &self.register,
            Action::MailRequest => &self.mail_request,
        };
        match limiter.check(ip) {
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
            self.per_address_mail.check(email.to_string()),
            Verdict::Allowed(_)
        )
    }

    /// Forgets buckets that are full again and lockouts that ended.
    pub fn forget_idle(&self) {
        self.login.forget_idle();
        self.register.forget_idle();
        self.mail_request.forget_idle();
        self.per_address_mail.forget_idle();
        self.lockout.forget_expired();
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
