//! Typed configuration, read once at start from `IMGIGO_*` variables (and command-line flags, which
//! win). Every error names the variable, so a person knows what to fix.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

pub use segmentation::device::DeviceRequest;

use chrono::TimeDelta;

use crate::cutout::upload::UploadLimits;
use crate::mail::{MailConfig, OUTBOX_DIR};
use crate::privacy::policy::PrivacyPolicy;
use crate::ratelimit::RateLimit;
use crate::secret::ServerSecret;
use std::num::NonZeroU32;

/// The running configuration of one imgigo process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Where the HTTP server listens (`IMGIGO_ADDR`).
    pub addr: SocketAddr,
    /// SQLite file, mail outbox and encrypted cache live here (`IMGIGO_DATA_DIR`).
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…` (`DATABASE_URL`); defaults to a SQLite file in `data_dir`.
    pub database_url: String,
    /// The address people reach us at (`IMGIGO_PUBLIC_URL`); `https://` switches HSTS on.
    pub public_url: String,
    /// The compiled site (hydrate bundle, CSS, static files) built by cargo-leptos (`IMGIGO_SITE_ROOT`).
    pub site_root: PathBuf,
    /// A tracing `EnvFilter` directive (`IMGIGO_LOG`).
    pub log_filter: String,
    /// Human-readable lines or one JSON object per line (`IMGIGO_LOG_FORMAT`).
    pub log_format: LogFormat,
    /// The converted segmentation weights written by `make weights` (`IMGIGO_MODEL_FILE`).
    pub model_file: PathBuf,
    /// Where inference runs: `auto` (a real GPU if there is one), `cpu` or `gpu` (`IMGIGO_DEVICE`).
    pub device: DeviceRequest,
    /// Upload limits (`IMGIGO_MAX_UPLOAD_MB`, default 25; `IMGIGO_MAX_MEGAPIXELS`, default 50).
    pub upload: UploadLimits,
    /// Requests that may wait for the model beyond those running (`IMGIGO_QUEUE`, default 8).
    pub queue_waiting: usize,
    /// Ciphertext of results kept in RAM before spilling to files (`IMGIGO_RESULTS_RAM_MB`, 256).
    pub results_ram_bytes: usize,
    /// Anonymous API calls per IP: `IMGIGO_ANON_PER_MINUTE` (20) and `IMGIGO_ANON_BURST` (10).
    pub anonymous: RateLimit,
    /// Whether `image_url`/`bg_image_url` are fetched (`IMGIGO_FETCH_URLS=true`; off by default).
    pub fetch_urls: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`IMGIGO_TRUSTED_PROXIES`, comma-separated
    /// addresses; none by default, so the peer address is the client).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Where account mail goes: `IMGIGO_SMTP_URL` (none: `.eml` files in `data/outbox/`) and the
    /// sender `IMGIGO_MAIL_FROM`.
    pub mail: MailConfig,
    /// `IMGIGO_SECRET` (hex or base64, at least 32 bytes); without it `data/secret.key` is used.
    pub secret: Option<ServerSecret>,
    /// A signed-in session ends after this long without a request (`IMGIGO_SESSION_IDLE_MINUTES`, 30).
    pub session_idle: TimeDelta,
    /// …and this long after logging in, used or not (`IMGIGO_SESSION_MAX_HOURS`, 12).
    pub session_max: TimeDelta,
    /// Calls per API key: `IMGIGO_KEY_PER_MINUTE` (120) and `IMGIGO_KEY_BURST` (60).
    pub api_key_limit: RateLimit,
    /// Encrypted result files kept on disk at most (`IMGIGO_RESULTS_DISK_MB`, 2000); when full, new
    /// results are refused with 503 and old ones are kept until they expire.
    pub results_disk_bytes: u64,
    /// Open connections at most (`IMGIGO_MAX_CONNECTIONS`, 1024); beyond it new ones wait.
    pub max_connections: usize,
    /// A request's head must arrive within this, and an idle connection is closed after it
    /// (`IMGIGO_HEADER_TIMEOUT_SECONDS`, 15).
    pub header_timeout: std::time::Duration,
    /// Bytes per second an upload must average after its first 10 s (`IMGIGO_MIN_UPLOAD_KBPS`, 64
    /// kilobytes per second: a 25 MB photo in under 7 minutes).
    pub min_upload_rate: u64,
    /// How long SIGTERM waits for requests in flight (`IMGIGO_SHUTDOWN_SECONDS`, 30).
    pub shutdown_deadline: std::time::Duration,
    /// The privacy policy shown on `/privacy` and named by consent rows: the plain-text file
    /// `IMGIGO_PRIVACY_POLICY` (`--privacy-policy`), or the bundled policy.
    pub privacy_policy: PrivacyPolicy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Values given as command-line flags; each one overrides its environment variable.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub addr: Option<String>,
    pub data_dir: Option<String>,
    pub database_url: Option<String>,
    pub site_root: Option<String>,
    pub log_format: Option<String>,
    pub model_file: Option<String>,
    pub device: Option<String>,
    pub privacy_policy: Option<String>,
}

/// A configuration value that cannot be used. `variable` is the environment variable to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub variable: &'static str,
    pub value: String,
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}={:?} is invalid: {}",
            self.variable, self.value, self.reason
        )
    }
}

pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_DATA_DIR: &str = "data";
pub const DEFAULT_SITE_ROOT: &str = "target/site";

impl Config {
    /// Reads the process environment, then applies the flags.
    pub fn from_env(overrides: &Overrides) -> Result<Self, ConfigError> {
        Self::load(|name| std::env::var(name).ok(), overrides)
    }

    /// Builds the configuration from any variable source (tests pass a map).
    pub fn load(
        env: impl Fn(&str) -> Option<String>,
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        let pick = |flag: &Option<String>, variable: &str| -> Option<String> {
            flag.clone()
                .or_else(|| env(variable))
                .filter(|value| !value.trim().is_empty())
        };

        let addr_text = pick(&overrides.addr, "IMGIGO_ADDR").unwrap_or_else(|| DEFAULT_ADDR.into());
        let addr = addr_text
            .trim()
            .parse::<SocketAddr>()
            .map_err(|_| ConfigError {
                variable: "IMGIGO_ADDR",
                value: addr_text.clone(),
                reason: "expected an IP address and port, such as 127.0.0.1:3000 or [::1]:8080"
                    .into(),
            })?;

        let data_dir = PathBuf::from(
            pick(&overrides.data_dir, "IMGIGO_DATA_DIR").unwrap_or_else(|| DEFAULT_DATA_DIR.into()),
        );

        let database_url = match pick(&overrides.database_url, "DATABASE_URL") {
            Some(url) => validate_database_url(url.trim())?,
            None => sqlite_url_for(&data_dir),
        };

        let public_url =
            pick(&None, "IMGIGO_PUBLIC_URL").unwrap_or_else(|| format!("http://{addr}"));
        let public_url = public_url.trim().trim_end_matches('/').to_string();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(ConfigError {
                variable: "IMGIGO_PUBLIC_URL",
                value: public_url,
                reason: "expected an absolute http:// or https:// address".into(),
            });
        }

        let site_root = PathBuf::from(
            pick(&overrides.site_root, "IMGIGO_SITE_ROOT")
                .unwrap_or_else(|| DEFAULT_SITE_ROOT.into()),
        );

        let log_filter = pick(&None, "IMGIGO_LOG").unwrap_or_else(|| "info".into());

        let log_format = match pick(&overrides.log_format, "IMGIGO_LOG_FORMAT") {
            None => LogFormat::Text,
            Some(value) => match value.trim().to_ascii_lowercase().as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => {
                    return Err(ConfigError {
                        variable: "IMGIGO_LOG_FORMAT",
                        value,
                        reason: "expected `text` or `json`".into(),
                    });
                }
            },
        };

        let model_file = match pick(&overrides.model_file, "IMGIGO_MODEL_FILE") {
            Some(path) => PathBuf::from(path),
            None => default_model_file(env("HOME")),
        };

        // Whole numbers within a range that fits what they configure: a value outside it stops the
        // program with the variable's name instead of overflowing later.
        let number = |variable: &'static str, default: u64, max: u64| -> Result<u64, ConfigError> {
            match pick(&None, variable) {
                None => Ok(default),
                Some(value) => value
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or(ConfigError {
                        variable,
                        value,
                        reason: format!("expected a whole number above zero, at most {max}"),
                    }),
            }
        };
        let megabytes = |n: u64| usize::try_from(n.saturating_mul(1_000_000)).unwrap_or(usize::MAX);
        let upload = UploadLimits {
            max_bytes: megabytes(number("IMGIGO_MAX_UPLOAD_MB", 25, 4_000)?),
            max_pixels: number("IMGIGO_MAX_MEGAPIXELS", 50, 1_000)?.saturating_mul(1_000_000),
            ..UploadLimits::default()
        };
        let queue_waiting = number("IMGIGO_QUEUE", 8, 10_000)? as usize;
        let results_ram_bytes = megabytes(number("IMGIGO_RESULTS_RAM_MB", 256, 1_000_000)?);
        let results_disk_bytes =
            number("IMGIGO_RESULTS_DISK_MB", 2_000, 100_000_000)?.saturating_mul(1_000_000);
        let max_connections = number("IMGIGO_MAX_CONNECTIONS", 1024, 1_000_000)? as usize;
        let header_timeout =
            std::time::Duration::from_secs(number("IMGIGO_HEADER_TIMEOUT_SECONDS", 15, 3_600)?);
        let min_upload_rate = number("IMGIGO_MIN_UPLOAD_KBPS", 64, 1_000_000)? * 1000;
        let shutdown_deadline =
            std::time::Duration::from_secs(number("IMGIGO_SHUTDOWN_SECONDS", 30, 3_600)?);
        let per_minute = number("IMGIGO_ANON_PER_MINUTE", 20, u64::from(u32::MAX))?;
        let burst = number("IMGIGO_ANON_BURST", 10, u64::from(u32::MAX))?;
        let nonzero = |n: u64| {
            NonZeroU32::new(u32::try_from(n).unwrap_or(u32::MAX)).unwrap_or(NonZeroU32::MIN)
        };
        let anonymous = RateLimit {
            per_minute: nonzero(per_minute),
            burst: nonzero(burst),
        };

        let fetch_urls = match pick(&None, "IMGIGO_FETCH_URLS") {
            None => false,
            Some(value) => match value.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                _ => {
                    return Err(ConfigError {
                        variable: "IMGIGO_FETCH_URLS",
                        value,
                        reason: "expected true or false".into(),
                    });
                }
            },
        };

        let trusted_proxies = match pick(&None, "IMGIGO_TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(value) => value
                .split(',')
                .map(|part| part.trim().parse::<std::net::IpAddr>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| ConfigError {
                    variable: "IMGIGO_TRUSTED_PROXIES",
                    value: value.clone(),
                    reason: "expected IP addresses separated by commas, such as 127.0.0.1,::1"
                        .into(),
                })?,
        };

        let device = match pick(&overrides.device, "IMGIGO_DEVICE") {
            None => DeviceRequest::Auto,
            Some(value) => value.parse().map_err(|reason| ConfigError {
                variable: "IMGIGO_DEVICE",
                value,
                reason,
            })?,
        };

        let smtp_url = pick(&None, "IMGIGO_SMTP_URL").map(|url| url.trim().to_string());
        let from = pick(&None, "IMGIGO_MAIL_FROM")
            .map(|from| from.trim().to_string())
            .unwrap_or_else(|| default_sender(&public_url));
        let mail = MailConfig {
            smtp_url,
            from,
            outbox_dir: data_dir.join(OUTBOX_DIR),
        };
        if let Err(reason) = mail.validate() {
            let variable = if reason.starts_with("IMGIGO_SMTP_URL") {
                "IMGIGO_SMTP_URL"
            } else {
                "IMGIGO_MAIL_FROM"
            };
            return Err(ConfigError {
                variable,
                // The SMTP URL may carry a password: never echo it.
                value: if variable == "IMGIGO_SMTP_URL" {
                    "…".into()
                } else {
                    mail.from.clone()
                },
                reason,
            });
        }

        let secret = match pick(&None, "IMGIGO_SECRET") {
            None => None,
            Some(value) => Some(ServerSecret::parse(&value).ok_or(ConfigError {
                variable: "IMGIGO_SECRET",
                value: "…".into(),
                reason: "expected at least 32 random bytes as hex or base64 (for example `openssl rand -hex 32`)".into(),
            })?),
        };
        // At most a year: far beyond any sensible session, well inside what TimeDelta holds.
        let session_idle =
            TimeDelta::minutes(number("IMGIGO_SESSION_IDLE_MINUTES", 30, 525_600)? as i64);
        let session_max = TimeDelta::hours(number("IMGIGO_SESSION_MAX_HOURS", 12, 8_760)? as i64);
        let api_key_limit = RateLimit {
            per_minute: nonzero(number("IMGIGO_KEY_PER_MINUTE", 120, u64::from(u32::MAX))?),
            burst: nonzero(number("IMGIGO_KEY_BURST", 60, u64::from(u32::MAX))?),
        };

        let privacy_policy = match pick(&overrides.privacy_policy, "IMGIGO_PRIVACY_POLICY") {
            None => PrivacyPolicy::bundled(),
            Some(path) => read_policy(path.trim())?,
        };

        Ok(Self {
            privacy_policy,
            results_disk_bytes,
            max_connections,
            header_timeout,
            min_upload_rate,
            shutdown_deadline,
            mail,
            secret,
            session_idle,
            session_max,
            api_key_limit,
            trusted_proxies,
            fetch_urls,
            upload,
            queue_waiting,
            results_ram_bytes,
            anonymous,
            device,
            model_file,
            addr,
            data_dir,
            database_url,
            public_url,
            site_root,
            log_filter,
            log_format,
        })
    }

    /// Whether people reach us over TLS, so browsers may be told to insist on it (HSTS).
    pub fn served_over_tls(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// The operator's policy file: UTF-8 text with something in it. Read once, at start.
fn read_policy(path: &str) -> Result<PrivacyPolicy, ConfigError> {
    let refuse = |reason: String| ConfigError {
        variable: "IMGIGO_PRIVACY_POLICY",
        value: path.to_string(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|err| {
        refuse(format!(
            "cannot read the privacy policy file ({err}); name a readable plain-text file"
        ))
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| refuse("the privacy policy file is not UTF-8 text".into()))?;
    if text.trim().is_empty() {
        return Err(refuse(
            "the privacy policy file is empty; write the policy in it, or unset the variable to use the bundled one".into(),
        ));
    }
    Ok(PrivacyPolicy::new(text))
}

/// Where `make weights` caches the converted model.
pub const MODEL_FILE_NAME: &str = "isnet-dis-imgly-1.4.5.bpk";

fn default_model_file(home: Option<String>) -> PathBuf {
    match home {
        Some(home) => PathBuf::from(home)
            .join(".cache/imgigo/models")
            .join(MODEL_FILE_NAME),
        None => PathBuf::from(DEFAULT_DATA_DIR)
            .join("models")
            .join(MODEL_FILE_NAME),
    }
}

/// `imgigo <no-reply@HOST>` for the public address's host (`localhost` for a bare IP address).
fn default_sender(public_url: &str) -> String {
    let host = url::Url::parse(public_url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_string))
        .filter(|host| host.parse::<std::net::IpAddr>().is_err() && !host.starts_with('['))
        .unwrap_or_else(|| "localhost".into());
    format!("imgigo <no-reply@{host}>")
}

fn sqlite_url_for(data_dir: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("imgigo.db").display())
}

fn validate_database_url(url: &str) -> Result<String, ConfigError> {
    let known = ["sqlite:", "postgres://", "postgresql://"];
    if known.iter().any(|scheme| url.starts_with(scheme)) {
        Ok(url.to_string())
    } else {
        Err(ConfigError {
            variable: "DATABASE_URL",
            // Never echo a URL that may carry a password.
            value: url.split(':').next().unwrap_or_default().to_string() + ":…",
            reason: "expected a sqlite://… or postgres://… URL".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load(|name| map.get(name).cloned(), &Overrides::default())
    }

    #[test]
    fn defaults_serve_on_loopback_with_sqlite_in_data() {
        let config = load(&[]).unwrap();
        assert_eq!(config.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(config.data_dir, PathBuf::from("data"));
        assert_eq!(config.database_url, "sqlite://data/imgigo.db?mode=rwc");
        assert_eq!(config.site_root, PathBuf::from("target/site"));
        assert_eq!(config.public_url, "http://127.0.0.1:3000");
        assert!(!config.served_over_tls());
        assert_eq!(config.log_format, LogFormat::Text);
        assert_eq!(
            config.model_file,
            PathBuf::from("data/models/isnet-dis-imgly-1.4.5.bpk")
        );
        let with_home = load(&[("HOME", "/home/ada")]).unwrap();
        assert_eq!(
            with_home.model_file,
            PathBuf::from("/home/ada/.cache/imgigo/models/isnet-dis-imgly-1.4.5.bpk")
        );
    }

    #[test]
    fn the_privacy_policy_is_the_bundled_one_or_the_operators_file() {
        assert_eq!(load(&[]).unwrap().privacy_policy, PrivacyPolicy::bundled());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("policy.txt");
        std::fs::write(&file, "Privacy Policy\nOur words.\n").unwrap();
        let path = file.display().to_string();
        let own = load(&[("IMGIGO_PRIVACY_POLICY", &path)])
            .unwrap()
            .privacy_policy;
        assert_eq!(own.text(), "Privacy Policy\nOur words.\n");
        assert_eq!(
            own.version(),
            crate::privacy::policy::version_of(own.text())
        );
        assert_ne!(own.version(), PrivacyPolicy::bundled().version());
    }

    #[test]
    fn an_unreadable_or_empty_policy_file_names_the_variable() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.txt").display().to_string();
        let err = load(&[("IMGIGO_PRIVACY_POLICY", &missing)]).unwrap_err();
        assert_eq!(err.variable, "IMGIGO_PRIVACY_POLICY");
        assert!(err.reason.contains("cannot read"), "{err}");
        let empty = dir.path().join("empty.txt");
        std::fs::write(&empty, " \n").unwrap();
        let err = load(&[("IMGIGO_PRIVACY_POLICY", &empty.display().to_string())]).unwrap_err();
        assert_eq!(err.variable, "IMGIGO_PRIVACY_POLICY");
        assert!(err.reason.contains("empty"), "{err}");
    }

    #[test]
    fn data_dir_moves_the_sqlite_file() {
        let config = load(&[("IMGIGO_DATA_DIR", "/var/lib/imgigo")]).unwrap();
        assert_eq!(
            config.database_url,
            "sqlite:///var/lib/imgigo/imgigo.db?mode=rwc"
        );
    }

    #[test]
    fn database_url_overrides_sqlite() {
        let config = load(&[("DATABASE_URL", "postgres://u@db/imgigo")]).unwrap();
        assert_eq!(config.database_url, "postgres://u@db/imgigo");
    }

    #[test]
    fn flags_win_over_environment() {
        let overrides = Overrides {
            addr: Some("0.0.0.0:8080".into()),
            ..Overrides::default()
        };
        let config = Config::load(
            |name| (name == "IMGIGO_ADDR").then(|| "127.0.0.1:1".to_string()),
            &overrides,
        )
        .unwrap();
        assert_eq!(config.addr.to_string(), "0.0.0.0:8080");
    }

    #[test]
    fn bad_address_names_the_variable() {
        let err = load(&[("IMGIGO_ADDR", "localhost")]).unwrap_err();
        assert_eq!(err.variable, "IMGIGO_ADDR");
        assert!(
            err.to_string()
                .starts_with("IMGIGO_ADDR=\"localhost\" is invalid")
        );
    }

    #[test]
    fn unknown_database_scheme_is_refused_without_echoing_secrets() {
        let err = load(&[("DATABASE_URL", "mysql://root:hunter2@db/x")]).unwrap_err();
        assert_eq!(err.variable, "DATABASE_URL");
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn log_format_is_text_or_json() {
        assert_eq!(
            load(&[("IMGIGO_LOG_FORMAT", "JSON")]).unwrap().log_format,
            LogFormat::Json
        );
        let err = load(&[("IMGIGO_LOG_FORMAT", "xml")]).unwrap_err();
        assert_eq!(err.variable, "IMGIGO_LOG_FORMAT");
    }

    #[test]
    fn device_is_auto_by_default_and_only_auto_cpu_or_gpu() {
        assert_eq!(load(&[]).unwrap().device, DeviceRequest::Auto);
        assert_eq!(
            load(&[("IMGIGO_DEVICE", "GPU")]).unwrap().device,
            DeviceRequest::Gpu
        );
        assert_eq!(
            load(&[("IMGIGO_DEVICE", "cpu")]).unwrap().device,
            DeviceRequest::Cpu
        );
        let err = load(&[("IMGIGO_DEVICE", "cuda")]).unwrap_err();
        assert_eq!(err.variable, "IMGIGO_DEVICE");
        assert!(err.to_string().contains("auto, cpu or gpu"), "{err}");
    }

    #[test]
    fn limits_are_configurable_and_must_be_positive_numbers() {
        let defaults = load(&[]).unwrap();
        assert_eq!(defaults.upload.max_bytes, 25_000_000);
        assert_eq!(defaults.upload.max_pixels, 50_000_000);
        assert_eq!(defaults.queue_waiting, 8);
        assert_eq!(defaults.anonymous.per_minute.get(), 20);
        let custom = load(&[
            ("IMGIGO_MAX_UPLOAD_MB", "5"),
            ("IMGIGO_MAX_MEGAPIXELS", "12"),
            ("IMGIGO_QUEUE", "2"),
            ("IMGIGO_RESULTS_RAM_MB", "64"),
            ("IMGIGO_ANON_PER_MINUTE", "3"),
            ("IMGIGO_ANON_BURST", "4"),
        ])
        .unwrap();
        assert_eq!(custom.upload.max_bytes, 5_000_000);
        assert_eq!(custom.upload.max_pixels, 12_000_000);
        assert_eq!(custom.queue_waiting, 2);
        assert_eq!(custom.results_ram_bytes, 64_000_000);
        assert_eq!(
            (
                custom.anonymous.per_minute.get(),
                custom.anonymous.burst.get()
            ),
            (3, 4)
        );
        for variable in ["IMGIGO_MAX_UPLOAD_MB", "IMGIGO_QUEUE", "IMGIGO_ANON_BURST"] {
            for bad in ["0", "-1", "lots"] {
                let err = load(&[(variable, bad)]).unwrap_err();
                assert_eq!(err.variable, variable);
                assert!(err.to_string().contains("above zero"), "{err}");
            }
        }
    }

    #[test]
    fn numbers_too_large_for_what_they_configure_are_refused_by_name() {
        // Each of these once overflowed or panicked (a TimeDelta out of range, a semaphore too big).
        for variable in [
            "IMGIGO_SESSION_IDLE_MINUTES",
            "IMGIGO_SESSION_MAX_HOURS",
            "IMGIGO_QUEUE",
            "IMGIGO_MAX_UPLOAD_MB",
            "IMGIGO_MAX_MEGAPIXELS",
            "IMGIGO_RESULTS_RAM_MB",
            "IMGIGO_RESULTS_DISK_MB",
            "IMGIGO_MAX_CONNECTIONS",
            "IMGIGO_HEADER_TIMEOUT_SECONDS",
            "IMGIGO_MIN_UPLOAD_KBPS",
            "IMGIGO_SHUTDOWN_SECONDS",
            "IMGIGO_ANON_PER_MINUTE",
            "IMGIGO_KEY_BURST",
        ] {
            for huge in ["18446744073709551615", "99999999999999999999999"] {
                let err = load(&[(variable, huge)]).unwrap_err();
                assert_eq!(err.variable, variable);
                assert!(err.to_string().contains("at most"), "{err}");
            }
        }
        let config = load(&[
            ("IMGIGO_SESSION_IDLE_MINUTES", "525600"),
            ("IMGIGO_SESSION_MAX_HOURS", "8760"),
            ("IMGIGO_RESULTS_DISK_MB", "10"),
            ("IMGIGO_MAX_CONNECTIONS", "3"),
            ("IMGIGO_HEADER_TIMEOUT_SECONDS", "2"),
            ("IMGIGO_MIN_UPLOAD_KBPS", "100"),
            ("IMGIGO_SHUTDOWN_SECONDS", "5"),
        ])
        .unwrap();
        assert_eq!(config.session_max, TimeDelta::hours(8760));
        assert_eq!(config.results_disk_bytes, 10_000_000);
        assert_eq!(config.max_connections, 3);
        assert_eq!(config.header_timeout.as_secs(), 2);
        assert_eq!(config.min_upload_rate, 100_000);
        assert_eq!(config.shutdown_deadline.as_secs(), 5);
    }

    #[test]
    fn trusted_proxies_are_addresses() {
        assert!(load(&[]).unwrap().trusted_proxies.is_empty());
        let config = load(&[("IMGIGO_TRUSTED_PROXIES", "127.0.0.1, ::1")]).unwrap();
        assert_eq!(config.trusted_proxies.len(), 2);
        assert_eq!(
            load(&[("IMGIGO_TRUSTED_PROXIES", "proxy.local")])
                .unwrap_err()
                .variable,
            "IMGIGO_TRUSTED_PROXIES"
        );
    }

    #[test]
    fn fetching_urls_is_off_unless_turned_on() {
        assert!(!load(&[]).unwrap().fetch_urls);
        assert!(load(&[("IMGIGO_FETCH_URLS", "true")]).unwrap().fetch_urls);
        assert_eq!(
            load(&[("IMGIGO_FETCH_URLS", "sometimes")])
                .unwrap_err()
                .variable,
            "IMGIGO_FETCH_URLS"
        );
    }

    #[test]
    fn https_public_url_means_tls() {
        let config = load(&[("IMGIGO_PUBLIC_URL", "https://imgigo.example/")]).unwrap();
        assert!(config.served_over_tls());
        assert_eq!(config.public_url, "https://imgigo.example");
        assert_eq!(
            load(&[("IMGIGO_PUBLIC_URL", "ftp://x")])
                .unwrap_err()
                .variable,
            "IMGIGO_PUBLIC_URL"
        );
    }
}
