//! Anonymous callers' limits: a token bucket per IP address (GCRA, the `governor` crate), in RAM
//! only — an address is never written to disk or to a log. The janitor calls
//! [`RateLimiter::forget_idle`] so buckets of addresses that went quiet disappear.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter as Gcra};

/// Requests per minute and the burst allowed at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub per_minute: NonZeroU32,
    pub burst: NonZeroU32,
}

impl RateLimit {
    /// `per_minute` requests a minute with bursts of `burst` (zeros count as one).
    pub fn new(per_minute: u32, burst: u32) -> Self {
        Self {
            per_minute: NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN),
            burst: NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN),
        }
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            per_minute: NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN),
            burst: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
        }
    }
}

/// What the `X-RateLimit-*` headers say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allowance {
    /// The burst size (`X-RateLimit-Limit`).
    pub limit: u32,
    /// Requests left right now (`X-RateLimit-Remaining`).
    pub remaining: u32,
    /// Seconds until the bucket is full again (`X-RateLimit-Reset`).
    pub reset: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed(Allowance),
    /// Over the limit: try again after `retry_after` seconds.
    Limited {
        limit: u32,
        retry_after: u64,
    },
}

/// A token bucket per key: client addresses by default, API keys' ids for signed callers.
pub struct RateLimiter<K: Hash + Eq + Clone = IpAddr> {
    gcra: Gcra<K, DefaultKeyedStateStore<K>, DefaultClock, StateInformationMiddleware>,
    clock: DefaultClock,
    limit: RateLimit,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    pub fn new(limit: RateLimit) -> Self {
        let clock = DefaultClock::default();
        let quota = Quota::per_minute(limit.per_minute).allow_burst(limit.burst);
        Self {
            gcra: Gcra::dashmap_with_clock(quota, clock.clone())
                .with_middleware::<StateInformationMiddleware>(),
            clock,
            limit,
        }
    }

    /// Takes one request from `key`'s bucket.
    pub fn check(&self, key: K) -> Verdict {
        let limit = self.limit.burst.get();
        let seconds_per_request = 60.0 / f64::from(self.limit.per_minute.get());
        match self.gcra.check_key(&key) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let reset = (f64::from(limit - remaining.min(limit)) * seconds_per_request).ceil();
                Verdict::Allowed(Allowance {
                    limit,
                    remaining,
                    reset: reset as u64,
                })
            }
            Err(not_until) => Verdict::Limited {
                limit,
                retry_after: not_until
                    .wait_time_from(self.clock.now())
                    .as_secs_f64()
                    .ceil()
                    .max(1.0) as u64,
            },
        }
    }

    /// The limit this limiter applies.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Drops the buckets of addresses that are full again (nothing to remember about them).
    pub fn forget_idle(&self) {
        self.gcra.retain_recent();
    }

    /// How many addresses have a bucket now.
    pub fn tracked(&self) -> usize {
        self.gcra.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_minute: u32, burst: u32) -> RateLimiter<IpAddr> {
        RateLimiter::new(RateLimit {
            per_minute: NonZeroU32::new(per_minute).expect("nonzero"),
            burst: NonZeroU32::new(burst).expect("nonzero"),
        })
    }

    #[test]
    fn a_burst_is_allowed_then_the_caller_waits_and_others_are_unaffected() {
        let limiter = limiter(1, 3);
        let ip: IpAddr = "203.0.113.7".parse().expect("ip");
        let remaining: Vec<u32> = (0..3)
            .map(|_| match limiter.check(ip) {
                Verdict::Allowed(allowance) => {
                    assert_eq!(allowance.limit, 3);
                    assert!(allowance.reset > 0);
                    allowance.remaining
                }
                Verdict::Limited { .. } => panic!("within the burst"),
            })
            .collect();
        assert_eq!(remaining, [2, 1, 0]);
        match limiter.check(ip) {
            Verdict::Limited { limit, retry_after } => {
                assert_eq!(limit, 3);
                assert!((1..=60).contains(&retry_after), "{retry_after}");
            }
            Verdict::Allowed(_) => panic!("over the burst"),
        }
        let other: IpAddr = "2001:db8::1".parse().expect("ip");
        assert!(matches!(limiter.check(other), Verdict::Allowed(_)));
        assert_eq!(limiter.tracked(), 2);
    }
}
