//! Lockout after repeated wrong passwords for one address: `max_failures` within `window` locks
//! logins for that address for `duration`, then it opens again by itself. A correct password while
//! locked is refused too (otherwise the lock would confirm guesses).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};

use crate::results::Clock;

#[derive(Clone, Copy, Debug)]
pub struct LockoutPolicy {
    pub max_failures: u32,
    pub window: TimeDelta,
    pub duration: TimeDelta,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            max_failures: 5,
            window: TimeDelta::minutes(15),
            duration: TimeDelta::minutes(15),
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    failures: u32,
    first_failure: DateTime<Utc>,
    locked_until: Option<DateTime<Utc>>,
}

/// At most this many addresses are remembered; beyond it, expired entries go first.
const MAX_ENTRIES: usize = 100_000;

pub struct Lockout {
    policy: LockoutPolicy,
    clock: Arc<dyn Clock>,
    entries: Mutex<HashMap<String, Entry>>,
}

impl Lockout {
    pub fn new(policy: LockoutPolicy, clock: Arc<dyn Clock>) -> Self {
        Self {
            policy,
            clock,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `Some(seconds)` while `key` is locked.
    pub fn locked_for(&self, key: &str) -> Option<u64> {
        let now = self.clock.now();
        let entries = self.entries();
        let until = entries.get(key)?.locked_until?;
        (until > now).then(|| (until - now).num_seconds().max(1) as u64)
    }

    /// Counts a wrong password; `Some(seconds)` when this one locked the address.
    pub fn record_failure(&self, key: &str) -> Option<u64> {
        let now = self.clock.now();
        let mut entries = self.entries();
        if entries.len() >= MAX_ENTRIES {
            let policy = self.policy;
            entries.retain(|_, entry| !expired(entry, now, policy));
        }
        let entry = entries.entry(key.to_string()).or_insert(Entry {
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
        entry.failures += 1;
        if entry.failures >= self.policy.max_failures {
            let until = now + self.policy.duration;
            entry.locked_until = Some(until);
            return Some(self.policy.duration.num_seconds().max(1) as u64);
        }
        None
    }

    /// A correct password: the count starts again.
    pub fn clear(&self, key: &str) {
        self.entries().remove(key);
    }

    pub fn forget_expired(&self) {
        let now = self.clock.now();
        let policy = self.policy;
        self.entries()
            .retain(|_, entry| !expired(entry, now, policy));
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

    #[test]
    fn five_failures_lock_then_the_lock_expires() {
        let clock = ManualClock::new();
        let lockout = Lockout::new(LockoutPolicy::default(), clock.clone());
        for _ in 0..4 {
            assert_eq!(lockout.record_failure("a@x.test"), None);
        }
        assert_eq!(lockout.locked_for("a@x.test"), None);
        assert_eq!(lockout.record_failure("a@x.test"), Some(900));
        assert!(lockout.locked_for("a@x.test").is_some());
        assert_eq!(
            lockout.locked_for("b@x.test"),
            None,
            "other addresses are free"
        );
        clock.advance(TimeDelta::minutes(16));
        assert_eq!(lockout.locked_for("a@x.test"), None);
        lockout.forget_expired();
        assert_eq!(lockout.tracked(), 0);
    }

    #[test]
    fn failures_spread_beyond_the_window_do_not_lock() {
        let clock = ManualClock::new();
        let lockout = Lockout::new(LockoutPolicy::default(), clock.clone());
        for _ in 0..4 {
            lockout.record_failure("a@x.test");
        }
        clock.advance(TimeDelta::minutes(20));
        assert_eq!(lockout.record_failure("a@x.test"), None);
        lockout.clear("a@x.test");
        assert_eq!(lockout.tracked(), 0);
    }
}
