//! Accounts in the web app: the server functions behind the register / log-in / account pages
//! ([`api`]) and what they return. Each server function authenticates (where needed), validates,
//! calls one `services::accounts` function and maps the error.

pub mod api;
#[cfg(feature = "ssr")]
pub(crate) mod ssr;

use serde::{Deserialize, Serialize};

/// The signed-in account, as the pages show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub name: String,
    pub email: String,
    /// `user`, `support` or `admin`.
    pub role: String,
}

impl Me {
    pub fn is_staff(&self) -> bool {
        self.role == "support" || self.role == "admin"
    }
}

/// One API key in the list (never the key itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyView {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    /// `YYYY-MM-DD HH:MM UTC`.
    pub created: String,
    pub last_used: Option<String>,
    pub revoked: Option<String>,
}

/// One consent choice in the history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentView {
    /// `privacy_policy`, `marketing`, `analytics`.
    pub purpose: String,
    pub granted: bool,
    pub policy_version: String,
    /// `signup`, `settings`, …
    pub method: String,
    pub at: String,
}

/// One staff access to the account's data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    pub staff_role: String,
    pub action: String,
    pub at: String,
}

/// A privacy request, as its sender sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestView {
    pub id: i64,
    pub kind: String,
    pub message: String,
    /// `open`, `answered`, `closed`.
    pub status: String,
    pub response: Option<String>,
    pub created: String,
    pub due: String,
}

/// A privacy request in the staff queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueItem {
    pub request: RequestView,
    pub email: String,
    pub overdue: bool,
}

/// The account page's data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub me: Me,
    pub keys: Vec<KeyView>,
    pub consents: Vec<ConsentView>,
    pub marketing: bool,
    pub analytics: bool,
    /// When processing was restricted, if it is.
    pub restricted: Option<String>,
    pub audit: Vec<AuditView>,
    pub requests: Vec<RequestView>,
}

/// A key just created: the only time its secret is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewKey {
    pub name: String,
    pub prefix: String,
    pub secret: String,
}

/// Counts for the staff page (no personal data).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffView {
    pub accounts: u64,
    pub verified: u64,
    pub staff: u64,
    pub live_api_keys: u64,
    pub can_manage_roles: bool,
}

/// How long a session lasts, as the server is configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionLengths {
    /// Ends after this many minutes without use.
    pub idle_minutes: i64,
    /// Ends this many minutes after logging in, whatever happens.
    pub max_minutes: i64,
}

impl SessionLengths {
    /// "A session ends after 30 minutes without use and 12 hours after logging in."
    pub fn sentence(&self) -> String {
        format!(
            "A session ends after {} without use and {} after logging in.",
            duration_words(self.idle_minutes),
            duration_words(self.max_minutes)
        )
    }
}

/// `30` → "30 minutes", `60` → "1 hour", `720` → "12 hours", `2880` → "2 days", `90` → "90 minutes".
pub fn duration_words(minutes: i64) -> String {
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    if minutes >= 1440 && minutes % 1440 == 0 {
        plural(minutes / 1440, "day")
    } else if minutes >= 60 && minutes % 60 == 0 {
        plural(minutes / 60, "hour")
    } else {
        plural(minutes, "minute")
    }
}

/// What a key's status column says: a revoked key stays in the list, and while processing is
/// restricted every other key is paused (the API refuses it until the restriction is lifted).
pub fn key_status(key: &KeyView, restricted: bool) -> String {
    match (&key.revoked, restricted) {
        (Some(at), _) => format!("Revoked {at}"),
        (None, true) => "Paused (processing is restricted)".to_string(),
        (None, false) => "Active".to_string(),
    }
}

/// Where to go after logging in: a plain path on this site, anything else `/account`. Plain means
/// it starts with `/`, its second character is neither `/` nor `\` (both would make `//host`),
/// and every character is visible ASCII other than `\`: browsers drop tabs and newlines from a
/// `Location` and read `\` as `/`, so `/\t/evil.test` would become `//evil.test`. Percent-encoded
/// text stays as it is (`/%09/x` is a path here).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path[1..].starts_with(['/', '\\'])
                && path
                    .bytes()
                    .all(|byte| (0x21..=0x7e).contains(&byte) && byte != b'\\') =>
        {
            path.to_string()
        }
        _ => "/account".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{KeyView, SessionLengths, duration_words, key_status, safe_next};

    #[test]
    fn session_lengths_are_said_in_words() {
        assert_eq!(duration_words(30), "30 minutes");
        assert_eq!(duration_words(1), "1 minute");
        assert_eq!(duration_words(60), "1 hour");
        assert_eq!(duration_words(90), "90 minutes");
        assert_eq!(duration_words(720), "12 hours");
        assert_eq!(duration_words(2880), "2 days");
        let defaults = SessionLengths {
            idle_minutes: 30,
            max_minutes: 720,
        };
        assert_eq!(
            defaults.sentence(),
            "A session ends after 30 minutes without use and 12 hours after logging in."
        );
    }

    #[test]
    fn a_key_is_active_paused_or_revoked() {
        let mut key = KeyView {
            id: 1,
            name: "ci".into(),
            prefix: "imgigo_ab".into(),
            created: "2026-12-01 10:00 UTC".into(),
            last_used: None,
            revoked: None,
        };
        assert_eq!(key_status(&key, false), "Active");
        assert_eq!(key_status(&key, true), "Paused (processing is restricted)");
        key.revoked = Some("2026-12-02 09:00 UTC".into());
        assert_eq!(key_status(&key, false), "Revoked 2026-12-02 09:00 UTC");
        assert_eq!(key_status(&key, true), "Revoked 2026-12-02 09:00 UTC");
    }

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/admin")), "/admin");
        assert_eq!(safe_next(Some("/account?tab=keys")), "/account?tab=keys");
        assert_eq!(
            safe_next(Some("/account/keys?next=%2F%2Fevil.test#top")),
            "/account/keys?next=%2F%2Fevil.test#top",
            "percent-encoded text is only text"
        );
        assert_eq!(safe_next(Some("/%09/evil.test")), "/%09/evil.test");
        assert_eq!(safe_next(Some("/")), "/");
        for bad in [
            "//evil.test",
            "https://evil.test",
            "/\\evil.test",
            "",
            "account",
            // What `/%09/evil.test`, `/%0d/…`, `/%0a/…` arrive as once the query is decoded:
            // browsers strip the tab or newline and go to `//evil.test`.
            "/\t/evil.test",
            "/\r/evil.test",
            "/\n/evil.test",
            "/\r\n/evil.test",
            "/\t\\evil.test",
            "/account\\..\\",
            "/ /evil.test",
            "/account page",
            "/\u{7f}/evil.test",
            "/\u{0}",
            "/caf\u{e9}",
            "/\u{3000}/evil.test",
            "\t//evil.test",
            " /account",
        ] {
            assert_eq!(safe_next(Some(bad)), "/account", "{bad}");
        }
        assert_eq!(safe_next(None), "/account");
    }
}
