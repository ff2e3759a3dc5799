//! Lockout after repeated failures for one key (an address's digest for logins, an account for
//! current-password checks, a network for bad API keys): `max_failures` within `window` locks that
//! key for `duration`, then it opens again by itself. A correct password while locked is refused
//! too (otherwise the lock would confirm guesses).
//!
//! The map is capped at `capacity` keys. When a new key finds it full, entries whose window or
//! lock has ended go first, then every entry that is not locked (counting failures matters less
//! than keeping a lock), and only a map full of locks gives up the lock that ends soonest.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};

use super::AddressKey;
use crate::clock::Clock;

#[derive(Clone, Copy, Debug)]
pub struct LockoutPolicy {
    pub max_failures: u32,
    pub window: TimeDelta,
    pub duration: TimeDelta,
    /// Keys remembered at most.
    pub capacity: usize,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            max_failures: 5,
            window: TimeDelta::minutes(15),
            duration: TimeDelta::minutes(15),
            capacity: 100_000,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    failures: u32,
    first_failure: DateTime<Utc>,
    locked_until: Option<DateTime<Utc>>,
}

pub struct Lockout<K: Hash + Eq + Clone = AddressKey> {
    policy: LockoutPolicy,
    clock: Arc<dyn Clock>,
    entries: Mutex<HashMap<K, Entry>>,
}

impl<K: Hash + Eq + Clone> Lockout<K> {
    pub fn new(policy: LockoutPolicy, clock: Arc<dyn Clock>) -> Self {
        Self {
            policy: LockoutPolicy {
                capacity: policy.capacity.max(1),
                ..policy
            },
            clock,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<K, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `Some(seconds)` while `key` is locked.
    pub fn locked_for(&self, key: &K) -> Option<u64> {
        let now = self.clock.now();
        let entries = self.entries();
        let until = entries.get(key)?.locked_until?;
        (until > now).then(|| (until - now).num_seconds().max(1) as u64)
    }

    /// Counts a failure; `Some(seconds)` when this one locked the key.
    pub fn record_failure(&self, key: &K) -> Option<u64> {
        let now = self.clock.now();
        let mut entries = self.entries();
        if !entries.contains_key(key) && entries.len() >= self.policy.capacity {
            self.make_room(&mut entries, now);
        }
        let entry = entries.entry(key.clone()).or_insert(Entry {
            failures: 0,
            first_failure: now,
            locked_until: None,
        });
        if expired(entry, now, self.policy) {
            *entry = Entry {
                failures: 0,
                first_failure: now,
                locked_until: None,
            };
        }
        entry.failures = entry.failures.saturating_add(1);
        if entry.failures >= self.policy.max_failures {
            let until = now + self.policy.duration;
            entry.locked_until = Some(until);
            return Some(self.policy.duration.num_seconds().max(1) as u64);
        }
        None
    }

    /// Frees at least one place in a full map (see the module's comment for the order).
    fn make_room(&self, entries: &mut HashMap<K, Entry>, now: DateTime<Utc>) {
        let policy = self.policy;
        entries.retain(|_, entry| !expired(entry, now, policy));
        if entries.len() < policy.capacity {
            return;
        }
        entries.retain(|_, entry| entry.locked_until.is_some());
        if entries.len() < policy.capacity {
            return;
        }
        let soonest = entries
            .iter()
            .min_by_key(|(_, entry)| entry.locked_until)
            .map(|(key, _)| key.clone());
        if let Some(key) = soonest {
            entries.remove(&key);
        }
    }

    /// A success: the count starts again.
    pub fn clear(&self, key: &K) {
        self.entries().remove(key);
    }

    pub fn forget_expired(&self) {
        let now = self.clock.now();
        let policy = self.policy;
        let mut entries = self.entries();
        entries.retain(|_, entry| !expired(entry, now, policy));
        entries.shrink_to_fit();
    }

    pub fn tracked(&self) -> usize {
        self.entries().len()
    }
}

fn expired(entry: &Entry, now: DateTime<Utc>, policy: LockoutPolicy) -> bool {
    match entry.locked_until {
        Some(until) => until <= now,
        None => entry.first_failure + policy.window <= now,
    }
}

#[cfg(all(test, feature = "test-support"))]
mod tests {
    use super::*;
    use crate::testing::ManualClock;

    fn key(email: &str) -> AddressKey {
        AddressKey::of(email)
    }

    #[test]
    fn five_failures_lock_then_the_lock_expires() {
        let clock = ManualClock::new();
        let lockout = Lockout::new(LockoutPolicy::default(), clock.clone());
        let a = key("a@x.test");
        for _ in 0..4 {
            assert_eq!(lockout.record_failure(&a), None);
        }
        assert_eq!(lockout.locked_for(&a), None);
        assert_eq!(lockout.record_failure(&a), Some(900));
        assert!(lockout.locked_for(&a).is_some());
        assert_eq!(
            lockout.locked_for(&key("b@x.test")),
            None,
            "other addresses are free"
        );
        clock.advance(TimeDelta::minutes(16));
        assert_eq!(lockout.locked_for(&a), None);
        lockout.forget_expired();
        assert_eq!(lockout.tracked(), 0);
    }

    #[test]
    fn failures_spread_beyond_the_window_do_not_lock() {
        let clock = ManualClock::new();
        let lockout = Lockout::new(LockoutPolicy::default(), clock.clone());
        let a = key("a@x.test");
        for _ in 0..4 {
            lockout.record_failure(&a);
        }
        clock.advance(TimeDelta::minutes(20));
        assert_eq!(lockout.record_failure(&a), None);
        lockout.clear(&a);
        assert_eq!(lockout.tracked(), 0);
    }

    #[test]
    fn equivalent_spellings_of_an_address_share_one_lock() {
        let clock = ManualClock::new();
        let lockout = Lockout::new(LockoutPolicy::default(), clock);
        for spelling in [
            "Ann@Example.test",
            " ann@example.test",
            "ANN@EXAMPLE.TEST ",
            "ann@example.test",
        ] {
            lockout.record_failure(&key(spelling));
        }
        assert_eq!(lockout.tracked(), 1);
        assert!(lockout.record_failure(&key("ann@EXAMPLE.test")).is_some());
        assert_eq!(key("not an address "), key(" NOT AN ADDRESS"));
        assert_ne!(key("ann@example.test"), key("bob@example.test"));
    }

    fn small(capacity: usize) -> LockoutPolicy {
        LockoutPolicy {
            max_failures: 2,
            capacity,
            ..LockoutPolicy::default()
        }
    }

    #[test]
    fn a_full_map_drops_expired_then_unlocked_entries_and_keeps_locks() {
        let clock = ManualClock::new();
        let lockout: Lockout<u32> = Lockout::new(small(4), clock.clone());
        // Two locked keys, two counting.
        for locked in [1, 2] {
            lockout.record_failure(&locked);
            assert!(lockout.record_failure(&locked).is_some());
        }
        lockout.record_failure(&3);
        lockout.record_failure(&4);
        assert_eq!(lockout.tracked(), 4);
        lockout.record_failure(&5);
        assert!(lockout.tracked() <= 4, "never above the cap");
        assert!(lockout.locked_for(&1).is_some(), "locks survive");
        assert!(lockout.locked_for(&2).is_some(), "locks survive");
        assert_eq!(lockout.tracked(), 3, "the counting entries made room");

        // Expired entries go before anything else.
        clock.advance(TimeDelta::minutes(16));
        lockout.record_failure(&6);
        assert!(lockout.record_failure(&6).is_some());
        lockout.record_failure(&7);
        lockout.record_failure(&8);
        assert!(lockout.locked_for(&6).is_some());
        assert!(lockout.tracked() <= 4);
    }

    #[test]
    fn a_flood_of_keys_never_grows_the_map_past_its_cap() {
        let clock = ManualClock::new();
        let lockout: Lockout<u32> = Lockout::new(small(100), clock);
        for key in 0..10_000 {
            lockout.record_failure(&key);
            lockout.record_failure(&key);
            assert!(lockout.tracked() <= 100);
        }
        assert!(
            lockout.locked_for(&9_999).is_some(),
            "the newest lock is kept"
        );
    }
}
