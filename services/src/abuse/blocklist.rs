//! A temporary block list for callers that keep hitting limits: each refusal a network earns (a
//! 429, a wrong password or API key, a refused upload) is a strike; [`STRIKES`] strikes within
//! [`STRIKE_WINDOW`] block the network for a while, longer each time (1 min, 4, 16, 64 … at most a
//! day), and a day without a block forgets its history. Blocked networks are answered 429 with
//! `Retry-After` before anything else runs. In RAM only: nothing about it reaches a disk or a log.
//! Admins see the blocks (network, level, time left) and can lift one.
//!
//! Loopback and unspecified addresses are never blocked: they are this machine, typically a
//! reverse proxy that `IMGIGO_TRUSTED_PROXIES` does not name yet, and blocking it would block
//! everyone behind it.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};

use crate::clock::Clock;
use crate::ratelimit::bucket;

/// Strikes within [`STRIKE_WINDOW`] that block a network.
pub const STRIKES: usize = 30;
pub const STRIKE_WINDOW: TimeDelta = TimeDelta::minutes(10);
/// The first block; each next one is four times longer, up to [`LONGEST`].
pub const FIRST: TimeDelta = TimeDelta::minutes(1);
pub const LONGEST: TimeDelta = TimeDelta::hours(24);
/// A network without a block for this long starts again from the first block.
const FORGIVEN_AFTER: TimeDelta = TimeDelta::hours(24);
/// Networks tracked at once; beyond it new ones are not tracked (each is still rate-limited).
const MAX_TRACKED: usize = 100_000;

#[derive(Debug, Default)]
struct Entry {
    strikes: VecDeque<DateTime<Utc>>,
    /// Blocks so far (decides the next one's length).
    level: u32,
    /// When the latest block ends (or ended: a lifted block ended when it was lifted).
    until: Option<DateTime<Utc>>,
}

/// A block as the admin page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The network (an IPv4 address, or an IPv6 /64).
    pub network: IpAddr,
    /// The how-many-th block in a row (1 = the first).
    pub level: u32,
    pub until: DateTime<Utc>,
}

pub struct BlockList {
    entries: Mutex<HashMap<IpAddr, Entry>>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for BlockList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlockList(…)")
    }
}

/// How long the `level`-th block lasts (1-based).
pub fn duration(level: u32) -> TimeDelta {
    let factor = 4i32.saturating_pow(level.saturating_sub(1).min(10));
    (FIRST * factor).min(LONGEST)
}

impl BlockList {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
            clock,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Seconds left of `ip`'s network's block, if it is blocked now.
    pub fn blocked(&self, ip: IpAddr) -> Option<u64> {
        let now = self.clock.now();
        let until = self.lock().get(&bucket(ip))?.until?;
        (until > now).then(|| u64::try_from((until - now).num_seconds().max(1)).unwrap_or(1))
    }

    /// One refusal for `ip`'s network; returns the new block's length when this strike blocks it.
    pub fn strike(&self, ip: IpAddr) -> Option<TimeDelta> {
        if ip.is_loopback() || ip.is_unspecified() {
            return None;
        }
        let now = self.clock.now();
        let network = bucket(ip);
        let mut entries = self.lock();
        if entries.len() >= MAX_TRACKED && !entries.contains_key(&network) {
            return None;
        }
        let entry = entries.entry(network).or_default();
        if entry.until.is_some_and(|until| until > now) {
            return None;
        }
        if entry
            .until
            .is_some_and(|until| now - until > FORGIVEN_AFTER)
        {
            entry.level = 0;
        }
        while entry
            .strikes
            .front()
            .is_some_and(|first| now - *first > STRIKE_WINDOW)
        {
            entry.strikes.pop_front();
        }
        entry.strikes.push_back(now);
        if entry.strikes.len() < STRIKES {
            return None;
        }
        entry.strikes.clear();
        entry.level = entry.level.saturating_add(1);
        let length = duration(entry.level);
        entry.until = Some(now + length);
        tracing::warn!(
            level = entry.level,
            minutes = length.num_minutes(),
            "a network that kept hitting limits is blocked for a while"
        );
        Some(length)
    }

    /// The networks blocked now, the longest-blocked first.
    pub fn blocks(&self) -> Vec<Block> {
        let now = self.clock.now();
        let mut blocks: Vec<Block> = self
            .lock()
            .iter()
            .filter_map(|(network, entry)| {
                let until = entry.until.filter(|until| *until > now)?;
                Some(Block {
                    network: *network,
                    level: entry.level,
                    until,
                })
            })
            .collect();
        blocks.sort_by(|a, b| b.until.cmp(&a.until).then(a.network.cmp(&b.network)));
        blocks
    }

    /// Lifts `network`'s block (an admin's decision); its strikes go too, its level stays.
    pub fn lift(&self, network: IpAddr) -> bool {
        let mut entries = self.lock();
        let Some(entry) = entries.get_mut(&bucket(network)) else {
            return false;
        };
        let now = self.clock.now();
        let was_blocked = entry.until.is_some_and(|until| until > now);
        if was_blocked {
            entry.until = Some(now);
        }
        entry.strikes.clear();
        was_blocked
    }

    /// Forgets networks with no recent strike and no block in the last day.
    pub fn forget_idle(&self) {
        let now = self.clock.now();
        self.lock().retain(|_, entry| {
            entry
                .strikes
                .back()
                .is_some_and(|last| now - *last <= STRIKE_WINDOW)
                || entry
                    .until
                    .is_some_and(|until| now - until <= FORGIVEN_AFTER)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn blocks_grow_four_times_longer_up_to_a_day() {
        assert_eq!(duration(1), TimeDelta::minutes(1));
        assert_eq!(duration(2), TimeDelta::minutes(4));
        assert_eq!(duration(3), TimeDelta::minutes(16));
        assert_eq!(duration(6), TimeDelta::hours(17) + TimeDelta::minutes(4));
        assert_eq!(duration(7), LONGEST);
        assert_eq!(duration(u32::MAX), LONGEST);
    }

    #[test]
    fn strikes_block_escalate_and_are_forgiven() {
        let clock = ManualClock::new();
        let list = BlockList::new(clock.clone());
        let ip: IpAddr = "203.0.113.9".parse().expect("ip");
        let neighbour: IpAddr = "2001:db8::1".parse().expect("ip");
        let same_64: IpAddr = "2001:db8::ffff".parse().expect("ip");
        for _ in 0..STRIKES - 1 {
            assert_eq!(list.strike(ip), None);
        }
        assert_eq!(list.blocked(ip), None);
        assert_eq!(list.strike(ip), Some(TimeDelta::minutes(1)));
        assert_eq!(list.blocked(ip), Some(60));
        assert_eq!(list.blocked("203.0.113.10".parse().expect("ip")), None);
        clock.advance(TimeDelta::seconds(61));
        assert_eq!(list.blocked(ip), None, "over after a minute");
        for _ in 0..STRIKES - 1 {
            list.strike(ip);
        }
        assert_eq!(
            list.strike(ip),
            Some(TimeDelta::minutes(4)),
            "the second is longer"
        );
        assert_eq!(list.blocks().len(), 1);
        assert_eq!(list.blocks()[0].level, 2);
        assert!(list.lift(ip), "an admin lifts it");
        assert_eq!(list.blocked(ip), None);
        assert!(!list.lift(ip), "nothing left to lift");

        // Slow strikes never block; a day after the last block the level starts again.
        for _ in 0..STRIKES * 2 {
            list.strike(neighbour);
            clock.advance(STRIKE_WINDOW / (STRIKES as i32 / 2));
        }
        assert_eq!(list.blocked(same_64), None);
        clock.advance(TimeDelta::hours(25));
        for _ in 0..STRIKES - 1 {
            list.strike(ip);
        }
        assert_eq!(list.strike(ip), Some(TimeDelta::minutes(1)), "forgiven");
        // One /64 is one network.
        for _ in 0..STRIKES {
            list.strike(same_64);
        }
        assert!(list.blocked(neighbour).is_some());
    }

    #[test]
    fn this_machine_is_never_blocked() {
        let list = BlockList::new(ManualClock::new());
        for ip in ["127.0.0.1", "::1", "0.0.0.0"] {
            let ip: IpAddr = ip.parse().expect("ip");
            for _ in 0..STRIKES * 2 {
                assert_eq!(list.strike(ip), None);
            }
            assert_eq!(list.blocked(ip), None);
        }
    }

    #[test]
    fn idle_networks_are_forgotten() {
        let clock = ManualClock::new();
        let list = BlockList::new(clock.clone());
        list.strike("198.51.100.1".parse().expect("ip"));
        assert_eq!(list.lock().len(), 1);
        clock.advance(STRIKE_WINDOW + TimeDelta::seconds(1));
        list.forget_idle();
        assert_eq!(list.lock().len(), 0);
    }
}
