//! Cookieless, aggregate-only analytics. A page load or a finished cutout adds one to a counter in
//! RAM keyed by the day and coarse dimensions (the route's template, browser family, device class,
//! referring host); the counters are added to `analytics_daily` every minute ([`flush`]). Unique
//! visitors are estimated per day from a keyed hash of (address, user agent) whose key is random,
//! lives only in RAM and is replaced every day; only the day's number reaches the database.
//!
//! Not counted: requests that send `Sec-GPC: 1` or `DNT: 1`, a signed-in person whose latest
//! statistics choice is not "on" (it is off unless they turned it on), and robots (including
//! headless browsers). No address, account, session, cookie or full URL is stored.

mod classify;
mod store;

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::NaiveDate;

pub use classify::{device_class, is_robot, referrer_host};
pub use store::{Daily, counters_of, daily, flush, last_days, purge};

use crate::privacy::consent::{self, Purpose};
use crate::{AppState, Error};

/// At most this many distinct counters wait in RAM between flushes; beyond it, new combinations
/// are counted under `(other)` (an attacker inventing referrers cannot grow the map).
pub const MAX_COUNTERS: usize = 10_000;
/// At most this many visitor hashes are kept per day (8 bytes each); beyond it the day's estimate
/// stops growing.
pub const MAX_VISITORS: usize = 1_000_000;
/// Rows are kept this many months.
pub const RETENTION_MONTHS: u32 = 13;

/// What is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A page load (server-rendered; moves inside the hydrated app are not page loads).
    View,
    /// A finished cutout; its route is `web` or `api`.
    Cutout,
    /// A finished cutout's time, in buckets: its route is the bucket's upper bound in
    /// milliseconds (`250`, `500`, … `32000`, `more`).
    CutoutTime,
    /// A refused request: its route is the status (`413`, `415`, `422`, `429`, `503`).
    Refusal,
    /// A new account (its route is empty).
    Signup,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::View => "view",
            Kind::Cutout => "cutout",
            Kind::CutoutTime => "cutout_time",
            Kind::Refusal => "refusal",
            Kind::Signup => "signup",
        }
    }
}

/// One counter's key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub day: NaiveDate,
    pub kind: Kind,
    pub route: String,
    pub browser: &'static str,
    pub device: &'static str,
    pub referrer: String,
}

/// A page load as the server saw it: what counting may use, nothing more.
#[derive(Clone, Debug)]
pub struct PageView<'a> {
    /// The matched route's template, such as `/r/{key}`.
    pub route: &'a str,
    pub user_agent: &'a str,
    pub referer: Option<&'a str>,
    /// Used for the day's visitor estimate only (hashed in RAM, never kept).
    pub ip: IpAddr,
    /// `Sec-GPC: 1` or `DNT: 1` was sent.
    pub opted_out: bool,
    /// The signed-in account, if any: counted only if its statistics choice is on.
    pub user_id: Option<i64>,
}

/// The day's visitor hashes under the day's salt.
struct Visitors {
    day: NaiveDate,
    salt: std::hash::RandomState,
    seen: HashSet<u64>,
    /// New since the last flush, per day.
    new: HashMap<NaiveDate, i64>,
}

/// The counters waiting for the next flush, and the day's visitors.
pub struct Analytics {
    counters: Mutex<HashMap<Key, i64>>,
    visitors: Mutex<Visitors>,
}

impl Default for Analytics {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Analytics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Analytics(…)")
    }
}

impl Analytics {
    pub fn new() -> Self {
        Self {
            counters: Mutex::new(HashMap::new()),
            visitors: Mutex::new(Visitors {
                day: NaiveDate::MIN,
                salt: std::hash::RandomState::new(),
                seen: HashSet::new(),
                new: HashMap::new(),
            }),
        }
    }

    pub(crate) fn add(&self, key: Key, count: i64) {
        let mut counters = self
            .counters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let full = counters.len() >= MAX_COUNTERS;
        let key = if full && !counters.contains_key(&key) {
            Key {
                route: "(other)".into(),
                browser: "(other)",
                device: "(other)",
                referrer: "(other)".into(),
                ..key
            }
        } else {
            key
        };
        *counters.entry(key).or_insert(0) += count;
    }

    fn visit(&self, day: NaiveDate, ip: IpAddr, user_agent: &str) {
        let mut visitors = self
            .visitors
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if visitors.day != day {
            // A new day: a new random salt, and yesterday's hashes forgotten.
            visitors.day = day;
            visitors.salt = std::hash::RandomState::new();
            visitors.seen = HashSet::new();
        }
        if visitors.seen.len() >= MAX_VISITORS {
            return;
        }
        let hash = visitors.salt.hash_one((ip, user_agent));
        if visitors.seen.insert(hash) {
            *visitors.new.entry(day).or_insert(0) += 1;
        }
    }

    /// Takes what waits for the database (put back with [`Analytics::restore`] if writing fails).
    pub(crate) fn take(&self) -> (HashMap<Key, i64>, HashMap<NaiveDate, i64>) {
        let counters = std::mem::take(
            &mut *self
                .counters
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        let visitors = std::mem::take(
            &mut self
                .visitors
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .new,
        );
        (counters, visitors)
    }

    pub(crate) fn restore(&self, counters: HashMap<Key, i64>, visitors: HashMap<NaiveDate, i64>) {
        for (key, count) in counters {
            self.add(key, count);
        }
        let mut waiting = self
            .visitors
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for (day, count) in visitors {
            *waiting.new.entry(day).or_insert(0) += count;
        }
    }
}

/// Whether a request asks not to be counted: `Sec-GPC: 1` (Global Privacy Control) or `DNT: 1`.
pub fn opted_out(sec_gpc: Option<&str>, dnt: Option<&str>) -> bool {
    sec_gpc.is_some_and(|value| value.trim() == "1") || dnt.is_some_and(|value| value.trim() == "1")
}

/// Counts a page load, unless it opted out, is a robot's, or is a signed-in person's whose
/// statistics choice is off. Returns whether it was counted.
pub async fn page_view(app: &AppState, view: &PageView<'_>) -> Result<bool, Error> {
    if view.opted_out || is_robot(view.user_agent) {
        return Ok(false);
    }
    if let Some(user_id) = view.user_id
        && !consent::current(&app.db, user_id, Purpose::Analytics).await?
    {
        return Ok(false);
    }
    let day = app.clock.now().date_naive();
    app.analytics.add(
        Key {
            day,
            kind: Kind::View,
            route: classify::route(view.route),
            browser: crate::sessions::browser_family(view.user_agent),
            device: device_class(view.user_agent),
            referrer: view
                .referer
                .and_then(|referer| referrer_host(referer, &app.config.public_url))
                .unwrap_or_default(),
        },
        1,
    );
    app.analytics.visit(day, view.ip, view.user_agent);
    Ok(true)
}

/// Where a cutout was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// The web editor.
    Web,
    /// The REST API.
    Api,
}

/// Counts a finished cutout (no dimension but the channel: nothing about who or what).
pub fn cutout(app: &AppState, channel: Channel) {
    let route = match channel {
        Channel::Web => "web",
        Channel::Api => "api",
    };
    count(app, Kind::Cutout, route.into());
}

/// The upper bounds (ms) of the cutout-time buckets; slower ones are `more`.
pub const TIME_BUCKETS: [u32; 8] = [250, 500, 1000, 2000, 4000, 8000, 16000, 32000];

/// Adds one to a dimensionless counter of `kind` under `route`.
fn count(app: &AppState, kind: Kind, route: String) {
    app.analytics.add(
        Key {
            day: app.clock.now().date_naive(),
            kind,
            route,
            browser: "",
            device: "",
            referrer: String::new(),
        },
        1,
    );
}

/// Counts how long a finished cutout took (the whole request), in its bucket.
pub fn cutout_time(app: &AppState, milliseconds: u64) {
    let bucket = TIME_BUCKETS
        .iter()
        .find(|bound| milliseconds <= u64::from(**bound))
        .map_or_else(|| "more".to_string(), u32::to_string);
    count(app, Kind::CutoutTime, bucket);
}

/// Counts a refusal by its status (only the ones [`crate::metrics::REFUSALS`] lists).
pub fn refusal(app: &AppState, status: u16) {
    if crate::metrics::REFUSALS.contains(&status) {
        count(app, Kind::Refusal, status.to_string());
    }
}

/// Counts a new account.
pub fn signup(app: &AppState) {
    count(app, Kind::Signup, String::new());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(route: &str) -> Key {
        Key {
            day: NaiveDate::from_ymd_opt(2026, 12, 5).expect("a day"),
            kind: Kind::View,
            route: route.into(),
            browser: "Firefox",
            device: "desktop",
            referrer: String::new(),
        }
    }

    #[test]
    fn the_counters_in_ram_are_bounded() {
        let analytics = Analytics::new();
        for i in 0..MAX_COUNTERS + 500 {
            analytics.add(key(&format!("/made-up/{i}")), 1);
        }
        let (counters, _) = analytics.take();
        assert_eq!(
            counters.len(),
            MAX_COUNTERS + 1,
            "the overflow shares one key"
        );
        assert_eq!(counters.values().sum::<i64>(), (MAX_COUNTERS + 500) as i64);
        let other = counters
            .iter()
            .find(|(key, _)| key.route == "(other)")
            .expect("an overflow counter");
        assert_eq!(*other.1, 500);
    }

    #[test]
    fn a_visitor_is_counted_once_a_day_under_a_salt_that_changes() {
        let analytics = Analytics::new();
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).expect("a day");
        let ip: IpAddr = "203.0.113.7".parse().expect("ip");
        analytics.visit(day, ip, "Firefox");
        analytics.visit(day, ip, "Firefox");
        analytics.visit(day, ip, "Chrome");
        let salt = analytics
            .visitors
            .lock()
            .expect("lock")
            .salt
            .hash_one((ip, "Firefox"));
        let next = day.succ_opt().expect("a day");
        analytics.visit(next, ip, "Firefox");
        let (_, visitors) = analytics.take();
        assert_eq!(visitors.get(&day), Some(&2));
        assert_eq!(visitors.get(&next), Some(&1));
        let new_salt = analytics
            .visitors
            .lock()
            .expect("lock")
            .salt
            .hash_one((ip, "Firefox"));
        assert_ne!(salt, new_salt, "the next day hashes under another salt");
    }

    #[test]
    fn gpc_and_dnt_opt_out() {
        assert!(opted_out(Some("1"), None));
        assert!(opted_out(None, Some("1")));
        assert!(!opted_out(Some("0"), Some("0")));
        assert!(!opted_out(None, None));
    }
}
