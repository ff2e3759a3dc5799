//! Anonymous callers' limits: a token bucket per IP address (GCRA, the `governor` crate), in RAM
//! only — an address is never written to disk or to a log. Every limiter holds at most a fixed
//! number of keys: a new key beyond that first prunes the buckets that are full again, and is
//! refused while the limiter is still full (a flood of fresh addresses cannot grow memory). The
//! janitor calls [`RateLimiter::forget_idle`] so buckets of addresses that went quiet disappear.
//! IPv6 callers are limited per /64 ([`bucket`]): one subscriber usually holds a whole /64.

use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::clock::{Clock, DefaultClock, Reference};
use governor::middleware::StateInformationMiddleware;
use governor::nanos::Nanos;
use governor::state::StateStore;
use governor::state::keyed::{DashMapStateStore, ShrinkableKeyedStateStore};
use governor::{Quota, RateLimiter as Gcra};

/// Keys one limiter remembers at most unless told otherwise (a bucket is a few dozen bytes).
pub const DEFAULT_MAX_KEYS: usize = 100_000;

/// The address a per-address limit counts against: IPv4 as it is, an IPv4-mapped IPv6 address as
/// its IPv4 address, any other IPv6 address as its /64 (the low 64 bits zeroed) — a subscriber
/// is handed at least a /64, so per-address limits would otherwise be per-request.
pub fn bucket(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(
                u128::from(v6) & 0xffff_ffff_ffff_ffff_0000_0000_0000_0000,
            )),
        },
    }
}

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

/// governor's own dashmap store, shared so the limiter can ask how many keys it holds and whether
/// a key is new before governor inserts it (governor itself has no bound).
struct SharedStore<K: Hash + Eq + Clone>(Arc<DashMapStateStore<K>>);

impl<K: Hash + Eq + Clone> StateStore for SharedStore<K> {
    type Key = K;

    fn measure_and_replace<T, F, E>(&self, key: &K, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        self.0.measure_and_replace(key, f)
    }
}

impl<K: Hash + Eq + Clone> ShrinkableKeyedStateStore<K> for SharedStore<K> {
    fn retain_recent(&self, drop_below: Nanos) {
        ShrinkableKeyedStateStore::retain_recent(&*self.0, drop_below);
    }

    fn shrink_to_fit(&self) {
        self.0.shrink_to_fit();
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A full limiter prunes at most this often; between prunes new keys are simply refused, so a
/// flood of fresh keys cannot make every request scan the whole map.
const PRUNE_EVERY_NANOS: u64 = 1_000_000_000;

/// A token bucket per key: client addresses ([`bucket`]ed) by default, API keys' ids for signed
/// callers. Holds at most `max_keys` buckets.
pub struct RateLimiter<K: Hash + Eq + Clone = IpAddr> {
    gcra: Gcra<K, SharedStore<K>, DefaultClock, StateInformationMiddleware>,
    store: Arc<DashMapStateStore<K>>,
    clock: DefaultClock,
    start: <DefaultClock as Clock>::Instant,
    /// When the last prune of a full limiter ran, in nanoseconds after `start` (0: never).
    last_prune: AtomicU64,
    limit: RateLimit,
    max_keys: usize,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// A limiter holding at most [`DEFAULT_MAX_KEYS`] keys.
    pub fn new(limit: RateLimit) -> Self {
        Self::with_max_keys(limit, DEFAULT_MAX_KEYS)
    }

    /// A limiter holding at most `max_keys` keys (at least one).
    pub fn with_max_keys(limit: RateLimit, max_keys: usize) -> Self {
        let clock = DefaultClock::default();
        let quota = Quota::per_minute(limit.per_minute).allow_burst(limit.burst);
        let store = Arc::new(DashMapStateStore::default());
        Self {
            gcra: Gcra::new(quota, SharedStore(store.clone()), clock.clone()),
            store,
            start: clock.now(),
            clock,
            last_prune: AtomicU64::new(0),
            limit,
            max_keys: max_keys.max(1),
        }
    }

    /// Takes one request from `key`'s bucket. A key the limiter has no room for is refused.
    pub fn check(&self, key: K) -> Verdict {
        let limit = self.limit.burst.get();
        let seconds_per_request = 60.0 / f64::from(self.limit.per_minute.get());
        if !self.has_room_for(&key) {
            // Buckets become prunable once full again; that is the longest anyone waits.
            return Verdict::Limited {
                limit,
                retry_after: (f64::from(limit) * seconds_per_request).ceil().max(1.0) as u64,
            };
        }
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

    /// Whether `key` has a bucket or one more fits, pruning idle buckets (at most once a second)
    /// when the limiter is full. Concurrent new keys may overshoot the cap by a few, never more.
    fn has_room_for(&self, key: &K) -> bool {
        if self.store.len() < self.max_keys || self.store.contains_key(key) {
            return true;
        }
        let now = self.clock.now().duration_since(self.start).as_u64().max(1);
        let last = self.last_prune.load(Ordering::Relaxed);
        if (last == 0 || now.saturating_sub(last) >= PRUNE_EVERY_NANOS)
            && self
                .last_prune
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.gcra.retain_recent();
        }
        self.store.len() < self.max_keys
    }

    /// The limit this limiter applies.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Drops the buckets of keys that are full again (nothing to remember about them).
    pub fn forget_idle(&self) {
        self.gcra.retain_recent();
        self.gcra.shrink_to_fit();
    }

    /// How many keys have a bucket now.
    pub fn tracked(&self) -> usize {
        self.store.len()
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

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    #[test]
    fn a_burst_is_allowed_then_the_caller_waits_and_others_are_unaffected() {
        let limiter = limiter(1, 3);
        let ip = ip("203.0.113.7");
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

    #[test]
    fn ipv6_addresses_in_one_64_share_a_bucket_and_other_64s_do_not() {
        assert_eq!(
            bucket(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            bucket(ip("2001:db8:1:2::1"))
        );
        assert_eq!(bucket(ip("2001:db8:1:2::1")), ip("2001:db8:1:2::"));
        assert_ne!(bucket(ip("2001:db8:1:2::1")), bucket(ip("2001:db8:1:3::1")));
        assert_eq!(bucket(ip("203.0.113.7")), ip("203.0.113.7"));
        assert_ne!(bucket(ip("203.0.113.7")), bucket(ip("203.0.113.8")));
        assert_eq!(bucket(ip("::ffff:203.0.113.7")), ip("203.0.113.7"));

        // So a caller rotating through its /64 gets one burst, not one per address.
        let limiter = limiter(1, 2);
        for n in 1..=2u16 {
            let address = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 7, 7, n, n, n, n));
            assert!(matches!(
                limiter.check(bucket(address)),
                Verdict::Allowed(_)
            ));
        }
        let third = ip("2001:db8:7:7:ffff::3");
        assert!(matches!(
            limiter.check(bucket(third)),
            Verdict::Limited { .. }
        ));
        let neighbour = ip("2001:db8:7:8::1");
        assert!(matches!(
            limiter.check(bucket(neighbour)),
            Verdict::Allowed(_)
        ));
    }

    #[test]
    fn a_full_limiter_refuses_new_keys_but_keeps_serving_known_ones() {
        let slow = RateLimit::new(1, 2);
        let limiter: RateLimiter<u32> = RateLimiter::with_max_keys(slow, 3);
        for key in 0..3 {
            assert!(matches!(limiter.check(key), Verdict::Allowed(_)));
        }
        // Every bucket is still busy, so pruning frees nothing: the newcomer is refused.
        match limiter.check(99) {
            Verdict::Limited { retry_after, .. } => assert!(retry_after >= 1),
            Verdict::Allowed(_) => panic!("a fourth key in a limiter for three"),
        }
        assert_eq!(limiter.tracked(), 3, "the refused key left no bucket");
        assert!(
            matches!(limiter.check(0), Verdict::Allowed(_)),
            "known keys keep their bucket"
        );
        for key in 100..1_000 {
            let _ = limiter.check(key);
        }
        assert_eq!(limiter.tracked(), 3, "a flood of keys never grows the map");
    }

    #[test]
    fn a_full_limiter_prunes_idle_buckets_to_make_room() {
        // A bucket refills in a millisecond, so every one is idle a moment later.
        let fast = RateLimit::new(60_000, 1);
        let limiter: RateLimiter<u32> = RateLimiter::with_max_keys(fast, 3);
        for key in 0..3 {
            assert!(matches!(limiter.check(key), Verdict::Allowed(_)));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(matches!(limiter.check(99), Verdict::Allowed(_)));
        assert_eq!(limiter.tracked(), 1, "the idle buckets were pruned");

        let _ = limiter.check(1);
        std::thread::sleep(std::time::Duration::from_millis(20));
        limiter.forget_idle();
        assert_eq!(limiter.tracked(), 0, "the janitor forgets idle buckets");
    }
}
