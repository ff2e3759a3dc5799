//! Typed configuration, read once at start. One definition, [`Settings`], names every setting's
//! `IMGIGO_*` variable, its command-line flag (which wins), its default and its allowed values; clap
//! reads both sources from it and prints it as `imgigo --help`. [`Config::from_settings`] then does the
//! work that needs several values at once. Every error names the variable, so a person knows what to
//! fix, and nothing out of range is clamped: it is refused.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;

pub use segmentation::device::DeviceRequest;

use chrono::TimeDelta;
use clap::builder::TypedValueParser;
use clap::error::{ContextKind, ContextValue, ErrorKind};

use crate::cutout::upload::UploadLimits;
use crate::mail::{DkimSettings, MailConfig, OUTBOX_DIR};
use crate::privacy::policy::PrivacyPolicy;
use crate::ratelimit::RateLimit;
use crate::secret::ServerSecret;

/// The running configuration of one imgigo process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Where the HTTP server listens (`IMGIGO_ADDR`).
    pub addr: SocketAddr,
    /// Where `/metrics` is served, apart from the site (`IMGIGO_METRICS_ADDR`); `None`: nowhere.
    pub metrics_addr: Option<SocketAddr>,
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
    /// How long a request may wait for the model and run it, in all (`IMGIGO_QUEUE_SECONDS`, 60);
    /// past it the answer is 503.
    pub queue_deadline: std::time::Duration,
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
    /// The background library: Pexels photos searched and fetched through this server, with an
    /// operator's key (`IMGIGO_PEXELS_KEY`; off without one).
    pub pexels: Option<PexelsConfig>,
    /// Payments through Stripe: credits charged for API calls with a key, bought as packs or with
    /// a plan. On only with `IMGIGO_STRIPE_SECRET_KEY` (and then `IMGIGO_STRIPE_WEBHOOK_SECRET`);
    /// off, nothing is ever charged.
    pub billing: Option<BillingConfig>,
}

/// Payments (`IMGIGO_STRIPE_*`) and the free monthly credits (`IMGIGO_FREE_CREDITS`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BillingConfig {
    pub secret_key: String,
    /// The webhook endpoint's signing secrets: more than one while a secret is being rotated.
    pub webhook_secrets: Vec<String>,
    /// Stripe's API (`IMGIGO_STRIPE_API_BASE`; a local stand-in in tests).
    pub api_base: String,
    /// Credits every account gets free each month, in hundredths of a credit.
    pub free_credits: i64,
    /// The credit packs for sale (`IMGIGO_PRODUCTS`, a JSON file; none without it).
    pub products: crate::billing::products::Products,
}

impl BillingConfig {
    /// Where payment forms may lead (the pages' `form-action`): Stripe's hosted checkout and billing
    /// portal, or — with a stand-in for Stripe's API (tests) — its own address, which serves both.
    pub fn form_targets(&self) -> Vec<String> {
        match url::Url::parse(&self.api_base) {
            Ok(url) if url.host_str() == Some("api.stripe.com") => vec![
                "https://checkout.stripe.com".into(),
                "https://billing.stripe.com".into(),
            ],
            Ok(url) => vec![url.origin().ascii_serialization()],
            Err(_) => Vec::new(),
        }
    }
}

/// Where the background library asks (`IMGIGO_PEXELS_API`, Pexels' API by default) and the only
/// place its photos are fetched from (`IMGIGO_PEXELS_IMAGES`, Pexels' image host by default).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PexelsConfig {
    pub key: String,
    pub api: String,
    pub images: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// A configuration value that cannot be used. `variable` is the environment variable to fix; its
/// flag is named after it (`IMGIGO_QUEUE` → `--queue`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub variable: String,
    pub value: String,
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}={:?} is invalid: {} (flag {})",
            self.variable,
            self.value,
            self.reason,
            flag_of(&self.variable)
        )
    }
}

/// The flag of a variable: `IMGIGO_MAX_UPLOAD_MB` → `--max-upload-mb`, `DATABASE_URL` →
/// `--database-url` (a unit test holds every definition to this).
pub fn flag_of(variable: &str) -> String {
    let name = variable.strip_prefix("IMGIGO_").unwrap_or(variable);
    format!("--{}", name.to_ascii_lowercase().replace('_', "-"))
}

pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_DATA_DIR: &str = "data";
pub const DEFAULT_SITE_ROOT: &str = "target/site";

/// A value that may carry a password (a database or SMTP URL): `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct Hidden<T>(pub T);

impl<T> fmt::Debug for Hidden<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("…")
    }
}

/// Every setting as a flag and its environment variable, with its default and allowed values: the
/// one definition that `imgigo --help`, the README's table (a test compares them) and
/// [`Config::from_settings`] share. `server`'s command line flattens it.
#[derive(Clone, Debug, clap::Args)]
#[group(skip)]
#[command(next_help_heading = "Configuration (a flag wins over its environment variable)")]
pub struct Settings {
    /// Listen address
    #[arg(long, env = "IMGIGO_ADDR", global = true, default_value = DEFAULT_ADDR, value_parser = checked(socket_address))]
    pub addr: SocketAddr,

    /// A second listen address serving only Prometheus metrics at /metrics (keep it private:
    /// loopback or an internal network) [default: off]
    #[arg(long, env = "IMGIGO_METRICS_ADDR", global = true, value_parser = checked(socket_address))]
    pub metrics_addr: Option<SocketAddr>,

    /// Folder for the SQLite file, mail outbox, encrypted cache and secret key
    #[arg(long, env = "IMGIGO_DATA_DIR", global = true, default_value = DEFAULT_DATA_DIR, value_parser = checked(path))]
    pub data_dir: PathBuf,

    /// sqlite://… or postgres://… (prefer the variable: a command line is visible to other users)
    /// [default: a SQLite file in the data folder]
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true, value_parser = checked(database_url).shown(scheme_only))]
    pub database_url: Option<Hidden<String>>,

    /// The address people use; https:// turns on HSTS [default: http:// and the listen address]
    #[arg(long, env = "IMGIGO_PUBLIC_URL", global = true, value_parser = checked(public_url))]
    pub public_url: Option<String>,

    /// The compiled site (wasm, CSS, static files) from `cargo leptos build`
    #[arg(long, env = "IMGIGO_SITE_ROOT", global = true, default_value = DEFAULT_SITE_ROOT, value_parser = checked(path))]
    pub site_root: PathBuf,

    /// A tracing filter, such as `imgigo=debug,info`
    #[arg(long, env = "IMGIGO_LOG", global = true, default_value = "info", value_parser = checked(text))]
    pub log: String,

    /// `text` or `json` log lines
    #[arg(long, env = "IMGIGO_LOG_FORMAT", global = true, default_value = "text", value_parser = checked(log_format))]
    pub log_format: LogFormat,

    /// The converted weights written by `make weights` [default:
    /// ~/.cache/imgigo/models/isnet-dis-imgly-1.4.5.bpk; data/models/… without HOME]
    #[arg(long, env = "IMGIGO_MODEL_FILE", global = true, value_parser = checked(path))]
    pub model_file: Option<PathBuf>,

    /// Where the model runs: auto (a real GPU if present, else the CPU), cpu or gpu (never falls back)
    #[arg(long, env = "IMGIGO_DEVICE", global = true, default_value = "auto", value_parser = checked(|v: &str| v.parse::<DeviceRequest>()))]
    pub device: DeviceRequest,

    /// Largest upload in megabytes (413 beyond)
    #[arg(long, env = "IMGIGO_MAX_UPLOAD_MB", global = true, default_value = "25", value_parser = whole(4_000))]
    pub max_upload_mb: u64,

    /// Largest image in megapixels (422 beyond, checked from the header before decoding)
    #[arg(long, env = "IMGIGO_MAX_MEGAPIXELS", global = true, default_value = "50", value_parser = whole(1_000))]
    pub max_megapixels: u64,

    /// Requests that may wait for the model beyond those running; more get 503 with Retry-After
    #[arg(long, env = "IMGIGO_QUEUE", global = true, default_value = "8", value_parser = whole(10_000))]
    pub queue: u64,

    /// Seconds a request may wait for the model and run it, in all; then 503 (slow CPUs and very
    /// large photos may need more)
    #[arg(long, env = "IMGIGO_QUEUE_SECONDS", global = true, default_value = "60", value_parser = whole(3600))]
    pub queue_seconds: u64,

    /// Megabytes of encrypted results kept in RAM before the oldest spill to encrypted files
    #[arg(long, env = "IMGIGO_RESULTS_RAM_MB", global = true, default_value = "256", value_parser = whole(1_000_000))]
    pub results_ram_mb: u64,

    /// Megabytes of encrypted result files on disk at most; when full, new cutouts get 503
    #[arg(long, env = "IMGIGO_RESULTS_DISK_MB", global = true, default_value = "2000", value_parser = whole(100_000_000))]
    pub results_disk_mb: u64,

    /// Open connections at most; beyond it new clients wait
    #[arg(long, env = "IMGIGO_MAX_CONNECTIONS", global = true, default_value = "1024", value_parser = whole(1_000_000))]
    pub max_connections: u64,

    /// Seconds a request's headers may take; an idle connection is closed after it
    #[arg(long, env = "IMGIGO_HEADER_TIMEOUT_SECONDS", global = true, default_value = "15", value_parser = whole(3_600))]
    pub header_timeout_seconds: u64,

    /// Kilobytes per second an upload must average after a 10 s grace
    #[arg(long, env = "IMGIGO_MIN_UPLOAD_KBPS", global = true, default_value = "64", value_parser = whole(1_000_000))]
    pub min_upload_kbps: u64,

    /// Seconds SIGTERM waits for requests in flight
    #[arg(long, env = "IMGIGO_SHUTDOWN_SECONDS", global = true, default_value = "30", value_parser = whole(3_600))]
    pub shutdown_seconds: u64,

    /// Anonymous API calls per IP address and minute
    #[arg(long, env = "IMGIGO_ANON_PER_MINUTE", global = true, default_value = "20", value_parser = whole(u64::from(u32::MAX)))]
    pub anon_per_minute: u64,

    /// Anonymous API calls per IP address in a burst
    #[arg(long, env = "IMGIGO_ANON_BURST", global = true, default_value = "10", value_parser = whole(u64::from(u32::MAX)))]
    pub anon_burst: u64,

    /// Reverse proxies (IP addresses, comma-separated) whose X-Forwarded-For names the client
    /// [default: none]
    #[arg(long, env = "IMGIGO_TRUSTED_PROXIES", global = true, value_delimiter = ',', value_parser = checked(ip_address))]
    pub trusted_proxies: Vec<IpAddr>,

    /// Fetch remove.bg's image_url/bg_image_url (public addresses only)
    #[arg(long, env = "IMGIGO_FETCH_URLS", global = true, default_value = "false", default_missing_value = "true", num_args = 0..=1, require_equals = true, action = clap::ArgAction::Set, value_parser = checked(yes_or_no))]
    pub fetch_urls: bool,

    /// Account mail through SMTP: smtp://user:pass@host:587?tls=required or smtps://…:465 (prefer
    /// the variable: a command line is visible to other users) [default: .eml files in data/outbox/]
    #[arg(long, env = "IMGIGO_SMTP_URL", global = true, hide_env_values = true, value_parser = checked(|v: &str| Ok(Hidden(v.trim().to_string()))).shown(nothing))]
    pub smtp_url: Option<Hidden<String>>,

    /// A PEM file of the certificate authorities the SMTP server's certificate may chain to (a
    /// private relay's own CA) [default: the public web roots]
    #[arg(long, env = "IMGIGO_SMTP_CA_FILE", global = true)]
    pub smtp_ca_file: Option<PathBuf>,

    /// The sender of account mail [default: imgigo <no-reply@HOST> for the public address's host]
    #[arg(long, env = "IMGIGO_MAIL_FROM", global = true, value_parser = checked(text))]
    pub mail_from: Option<String>,

    /// An address that unsubscribes whoever writes to it, offered beside the one-click link in
    /// product updates' List-Unsubscribe header (someone must read that mailbox) [default: the link only]
    #[arg(long, env = "IMGIGO_UNSUBSCRIBE_MAILTO", global = true, value_parser = checked(text))]
    pub unsubscribe_mailto: Option<String>,

    /// DKIM: the signing domain (d=); set with the selector and the key file, or none of them [default: no signature]
    #[arg(long, env = "IMGIGO_DKIM_DOMAIN", global = true, value_parser = checked(text))]
    pub dkim_domain: Option<String>,

    /// DKIM: the selector (s=), whose public key is published at SELECTOR._domainkey.DOMAIN
    #[arg(long, env = "IMGIGO_DKIM_SELECTOR", global = true, value_parser = checked(text))]
    pub dkim_selector: Option<String>,

    /// DKIM: a file with the private key, RSA in PKCS#1 PEM (`openssl genrsa -traditional 2048`) or a base64 Ed25519 seed; read at start
    #[arg(long, env = "IMGIGO_DKIM_KEY_FILE", global = true)]
    pub dkim_key_file: Option<PathBuf>,

    /// Key for the mailed links' stored digests: at least 32 bytes as hex or base64 (prefer the
    /// variable: a command line is visible to other users) [default: data/secret.key, created once]
    #[arg(long, env = "IMGIGO_SECRET", global = true, hide_env_values = true, value_parser = checked(secret).shown(nothing))]
    pub secret: Option<ServerSecret>,

    /// A signed-in session ends after this many minutes unused (at most a year)
    #[arg(long, env = "IMGIGO_SESSION_IDLE_MINUTES", global = true, default_value = "30", value_parser = whole(525_600))]
    pub session_idle_minutes: u64,

    /// …and this many hours after logging in (at most a year)
    #[arg(long, env = "IMGIGO_SESSION_MAX_HOURS", global = true, default_value = "12", value_parser = whole(8_760))]
    pub session_max_hours: u64,

    /// Calls per API key and minute (the bucket's refill)
    #[arg(long, env = "IMGIGO_KEY_PER_MINUTE", global = true, default_value = "120", value_parser = whole(u64::from(u32::MAX)))]
    pub key_per_minute: u64,

    /// Calls per API key in a burst (the bucket's size)
    #[arg(long, env = "IMGIGO_KEY_BURST", global = true, default_value = "60", value_parser = whole(u64::from(u32::MAX)))]
    pub key_burst: u64,

    /// A plain-text privacy policy of your own, shown on /privacy and named by consent records
    /// [default: the bundled policy]
    #[arg(long, env = "IMGIGO_PRIVACY_POLICY", global = true, value_parser = checked(path))]
    pub privacy_policy: Option<PathBuf>,

    /// A Pexels API key: the editor searches Pexels photos for backgrounds, through this server
    /// (prefer the variable) [default: the bundled backgrounds only]
    #[arg(long, env = "IMGIGO_PEXELS_KEY", global = true, hide_env_values = true, value_parser = checked(|v: &str| Ok(Hidden(v.trim().to_string()))).shown(nothing))]
    pub pexels_key: Option<Hidden<String>>,

    /// Pexels' API address (a local stand-in in tests)
    #[arg(long, env = "IMGIGO_PEXELS_API", global = true, default_value = "https://api.pexels.com", value_parser = checked(public_url))]
    pub pexels_api: String,

    /// The only address Pexels photos are downloaded from
    #[arg(long, env = "IMGIGO_PEXELS_IMAGES", global = true, default_value = "https://images.pexels.com", value_parser = checked(public_url))]
    pub pexels_images: String,

    /// A Stripe secret key: payments on, and API calls with a key charged in credits (prefer the
    /// variable) [default: payments off, nothing charged]
    #[arg(long, env = "IMGIGO_STRIPE_SECRET_KEY", global = true, hide_env_values = true, value_parser = checked(secret_text).shown(nothing))]
    pub stripe_secret_key: Option<Hidden<String>>,

    /// The signing secret of Stripe's webhook endpoint for this server; several, comma-separated,
    /// while rotating (prefer the variable) [needed with a secret key]
    #[arg(long, env = "IMGIGO_STRIPE_WEBHOOK_SECRET", global = true, hide_env_values = true, value_parser = checked(secret_text).shown(nothing))]
    pub stripe_webhook_secret: Option<Hidden<String>>,

    /// Stripe's API address (a local stand-in in tests)
    #[arg(long, env = "IMGIGO_STRIPE_API_BASE", global = true, default_value = "https://api.stripe.com", value_parser = checked(public_url))]
    pub stripe_api_base: String,

    /// Free credits per account and month when payments are on (a preview costs 0.25)
    #[arg(long, env = "IMGIGO_FREE_CREDITS", global = true, default_value = "12.5", value_parser = checked(credits))]
    pub free_credits: i64,

    /// The credit packs for sale: a JSON file (see the README's "Payments") [default: none]
    #[arg(long, env = "IMGIGO_PRODUCTS", global = true, value_parser = checked(path))]
    pub products: Option<PathBuf>,
}

/// clap's value parser for one setting: `check` turns the text into the value or says what was
/// expected; a refusal names the variable (`arg.get_env()`) and shows only what `shown` allows.
#[derive(Clone)]
struct Checked<T> {
    check: Arc<Check<T>>,
    shown: fn(&str) -> String,
}

/// Turns a setting's text into its value, or says what was expected.
type Check<T> = dyn Fn(&str) -> Result<T, String> + Send + Sync;

fn checked<T>(check: impl Fn(&str) -> Result<T, String> + Send + Sync + 'static) -> Checked<T> {
    Checked {
        check: Arc::new(check),
        shown: |value| value.to_string(),
    }
}

impl<T> Checked<T> {
    /// For values that may hold a password: show `shown(value)` in errors instead of the value.
    fn shown(self, shown: fn(&str) -> String) -> Self {
        Self { shown, ..self }
    }
}

impl<T: Clone + Send + Sync + 'static> TypedValueParser for Checked<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        let text = value.to_string_lossy();
        let outcome = if value.to_str().is_none() {
            Err("expected UTF-8 text".to_string())
        } else if text.trim().is_empty() {
            Err("it is empty; unset it to use the default".to_string())
        } else {
            (self.check)(&text)
        };
        outcome.map_err(|reason| refusal(cmd, arg, (self.shown)(&text), reason))
    }
}

/// A clap error that reads like [`ConfigError`] and carries its parts, so [`Config::load`] can give
/// them back as one.
fn refusal(
    cmd: &clap::Command,
    arg: Option<&clap::Arg>,
    value: String,
    reason: String,
) -> clap::Error {
    let variable = arg
        .and_then(clap::Arg::get_env)
        .map(|name| name.to_string_lossy().into_owned())
        .or_else(|| {
            arg.and_then(clap::Arg::get_long)
                .map(|long| format!("--{long}"))
        })
        .unwrap_or_else(|| "a setting".into());
    let refused = ConfigError {
        variable,
        value,
        reason,
    };
    let mut err = clap::Error::raw(
        ErrorKind::ValueValidation,
        format!("invalid configuration: {refused}\n"),
    )
    .with_cmd(cmd);
    err.insert(
        ContextKind::InvalidArg,
        ContextValue::String(refused.variable),
    );
    err.insert(
        ContextKind::InvalidValue,
        ContextValue::String(refused.value),
    );
    err.insert(ContextKind::Custom, ContextValue::String(refused.reason));
    err
}

/// A whole number from 1 to `max`: `max` keeps each within what it configures (a semaphore, a
/// `TimeDelta`, a byte count), so nothing overflows or is clamped later.
fn whole(max: u64) -> Checked<u64> {
    checked(move |value: &str| {
        value
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| format!("expected a whole number above zero, at most {max}"))
    })
}

fn socket_address(value: &str) -> Result<SocketAddr, String> {
    value.trim().parse().map_err(|_| {
        "expected an IP address and port, such as 127.0.0.1:3000 or [::1]:8080".to_string()
    })
}

fn path(value: &str) -> Result<PathBuf, String> {
    Ok(PathBuf::from(value))
}

fn text(value: &str) -> Result<String, String> {
    Ok(value.trim().to_string())
}

fn database_url(value: &str) -> Result<Hidden<String>, String> {
    let url = value.trim();
    let known = ["sqlite:", "postgres://", "postgresql://"];
    if known.iter().any(|scheme| url.starts_with(scheme)) {
        Ok(Hidden(url.to_string()))
    } else {
        Err("expected a sqlite://… or postgres://… URL".into())
    }
}

/// Never echo a URL that may carry a password: its scheme says enough.
fn scheme_only(url: &str) -> String {
    url.trim().split(':').next().unwrap_or_default().to_string() + ":…"
}

fn nothing(_: &str) -> String {
    "…".into()
}

/// A secret given as text: not empty (an empty one is a mistake, not a way to switch it off).
fn secret_text(value: &str) -> Result<Hidden<String>, String> {
    let value = value.trim();
    if value.is_empty() {
        Err("empty: leave the variable unset instead".into())
    } else {
        Ok(Hidden(value.to_string()))
    }
}

/// Credits with at most two decimals (`12.5`, `0.25`, `100`), in hundredths; at most a million.
fn credits(value: &str) -> Result<i64, String> {
    let expected = || {
        "expected a number of credits such as 10 or 12.5 (at most two decimals, up to 1000000)"
            .to_string()
    };
    let value = value.trim();
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if whole.is_empty()
        || fraction.len() > 2
        || !(whole.chars().chain(fraction.chars())).all(|c| c.is_ascii_digit())
    {
        return Err(expected());
    }
    let whole: i64 = whole.parse().map_err(|_| expected())?;
    let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| expected())?;
    if whole > 1_000_000 {
        return Err(expected());
    }
    Ok(whole * 100 + fraction)
}

fn public_url(value: &str) -> Result<String, String> {
    let url = value.trim().trim_end_matches('/');
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(url.to_string())
    } else {
        Err("expected an absolute http:// or https:// address".into())
    }
}

fn log_format(value: &str) -> Result<LogFormat, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        _ => Err("expected `text` or `json`".into()),
    }
}

fn yes_or_no(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err("expected true or false".into()),
    }
}

fn ip_address(value: &str) -> Result<IpAddr, String> {
    value
        .trim()
        .parse()
        .map_err(|_| "expected IP addresses separated by commas, such as 127.0.0.1,::1".to_string())
}

fn secret(value: &str) -> Result<ServerSecret, String> {
    ServerSecret::parse(value).ok_or_else(|| {
        "expected at least 32 random bytes as hex or base64 (for example `openssl rand -hex 32`)"
            .into()
    })
}

/// A number that passed its range check but is still too big for what it configures on this
/// machine (a `usize` of 32 bits): refused, never clamped.
fn too_large(variable: &str, n: u64) -> ConfigError {
    ConfigError {
        variable: variable.into(),
        value: n.to_string(),
        reason: "too large for this machine".into(),
    }
}

/// `n` in the type that uses it.
fn fits<T: TryFrom<u64>>(variable: &str, n: u64) -> Result<T, ConfigError> {
    T::try_from(n).map_err(|_| too_large(variable, n))
}

fn megabytes(variable: &str, n: u64) -> Result<u64, ConfigError> {
    n.checked_mul(1_000_000)
        .ok_or_else(|| too_large(variable, n))
}

fn rate(variable: &str, n: u64) -> Result<NonZeroU32, ConfigError> {
    NonZeroU32::new(fits(variable, n)?).ok_or_else(|| ConfigError {
        variable: variable.into(),
        value: n.to_string(),
        reason: "expected a whole number above zero".into(),
    })
}

impl Config {
    /// Builds the configuration from a variable source alone, as `imgigo` with no flags would; the
    /// process environment is never read (tests pass a map).
    pub fn load(env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::load_with_args(std::iter::empty::<OsString>(), env)
    }

    /// As [`Config::load`], with flags such as `--addr=…` that win over the variables. The
    /// variables are turned into their flags through the definitions in [`Settings`], and clap's
    /// own reading of the environment is switched off.
    pub fn load_with_args<A: Into<OsString>>(
        args: impl IntoIterator<Item = A>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        use clap::{Args, FromArgMatches};
        let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        let command = Settings::augment_args(clap::Command::new("imgigo"));
        let mut variables = Vec::new();
        let mut argv: Vec<OsString> = vec!["imgigo".into()];
        for arg in command.get_arguments() {
            let (Some(long), Some(variable)) = (arg.get_long(), arg.get_env()) else {
                continue;
            };
            let flag = format!("--{long}");
            let variable = variable.to_string_lossy().into_owned();
            let given = args.iter().any(|a| {
                a.to_str()
                    .is_some_and(|a| a == flag || a.starts_with(&format!("{flag}=")))
            });
            if let Some(value) = env(&variable).filter(|_| !given) {
                argv.push(format!("{flag}={value}").into());
            }
            variables.push((flag, variable));
        }
        argv.extend(args);
        let parsed = command
            .mut_args(|arg| arg.env(None))
            .try_get_matches_from(argv)
            .and_then(|matches| Settings::from_arg_matches(&matches));
        let settings = parsed.map_err(|err| {
            let part = |kind| match err.get(kind) {
                Some(ContextValue::String(text)) => Some(text.clone()),
                _ => None,
            };
            match (
                part(ContextKind::InvalidArg),
                part(ContextKind::InvalidValue),
                part(ContextKind::Custom),
            ) {
                (Some(flag), Some(value), Some(reason)) => ConfigError {
                    variable: variables
                        .iter()
                        .find(|(f, _)| *f == flag)
                        .map_or(flag, |(_, variable)| variable.clone()),
                    value,
                    reason,
                },
                _ => ConfigError {
                    variable: "the command line".into(),
                    value: String::new(),
                    reason: err.to_string(),
                },
            }
        })?;
        Self::from_settings(settings, env("HOME"))
    }

    /// The work that needs several settings at once: defaults that follow from other values, the
    /// policy file's text, byte counts and durations in the types that use them. `home` is `$HOME`,
    /// where the model file is looked for by default.
    pub fn from_settings(settings: Settings, home: Option<String>) -> Result<Self, ConfigError> {
        let Settings {
            addr,
            metrics_addr,
            data_dir,
            database_url,
            public_url,
            site_root,
            log,
            log_format,
            model_file,
            device,
            max_upload_mb,
            max_megapixels,
            queue,
            queue_seconds,
            results_ram_mb,
            results_disk_mb,
            max_connections,
            header_timeout_seconds,
            min_upload_kbps,
            shutdown_seconds,
            anon_per_minute,
            anon_burst,
            trusted_proxies,
            fetch_urls,
            smtp_url,
            smtp_ca_file,
            mail_from,
            unsubscribe_mailto,
            dkim_domain,
            dkim_selector,
            dkim_key_file,
            secret,
            session_idle_minutes,
            session_max_hours,
            key_per_minute,
            key_burst,
            privacy_policy,
            pexels_key,
            pexels_api,
            pexels_images,
            stripe_secret_key,
            stripe_webhook_secret,
            stripe_api_base,
            free_credits,
            products,
        } = settings;

        let database_url = match database_url {
            Some(Hidden(url)) => url,
            None => sqlite_url_for(&data_dir),
        };
        let public_url = public_url.unwrap_or_else(|| format!("http://{addr}"));
        let model_file = model_file.unwrap_or_else(|| default_model_file(home));

        let upload = UploadLimits {
            max_bytes: fits(
                "IMGIGO_MAX_UPLOAD_MB",
                megabytes("IMGIGO_MAX_UPLOAD_MB", max_upload_mb)?,
            )?,
            max_pixels: megabytes("IMGIGO_MAX_MEGAPIXELS", max_megapixels)?,
            ..UploadLimits::default()
        };
        let results_ram_bytes = fits(
            "IMGIGO_RESULTS_RAM_MB",
            megabytes("IMGIGO_RESULTS_RAM_MB", results_ram_mb)?,
        )?;
        let min_upload_rate = min_upload_kbps
            .checked_mul(1000)
            .ok_or_else(|| too_large("IMGIGO_MIN_UPLOAD_KBPS", min_upload_kbps))?;
        let session_idle =
            TimeDelta::try_minutes(fits("IMGIGO_SESSION_IDLE_MINUTES", session_idle_minutes)?)
                .ok_or_else(|| too_large("IMGIGO_SESSION_IDLE_MINUTES", session_idle_minutes))?;
        let session_max =
            TimeDelta::try_hours(fits("IMGIGO_SESSION_MAX_HOURS", session_max_hours)?)
                .ok_or_else(|| too_large("IMGIGO_SESSION_MAX_HOURS", session_max_hours))?;

        let mail = MailConfig {
            smtp_url: smtp_url.map(|Hidden(url)| url),
            smtp_ca_file,
            from: mail_from.unwrap_or_else(|| default_sender(&public_url)),
            outbox_dir: data_dir.join(OUTBOX_DIR),
            unsubscribe_mailto,
            dkim: match (dkim_domain, dkim_selector, dkim_key_file) {
                (None, None, None) => None,
                (Some(domain), Some(selector), Some(key_file)) => Some(DkimSettings {
                    domain,
                    selector,
                    key_file,
                }),
                _ => {
                    return Err(ConfigError {
                        variable: "IMGIGO_DKIM_DOMAIN".into(),
                        value: String::new(),
                        reason: "DKIM signing needs IMGIGO_DKIM_DOMAIN, IMGIGO_DKIM_SELECTOR and IMGIGO_DKIM_KEY_FILE together".into(),
                    });
                }
            },
        };
        if let Err(reason) = mail.validate() {
            if reason.starts_with("IMGIGO_SMTP_CA_FILE") {
                return Err(ConfigError {
                    variable: "IMGIGO_SMTP_CA_FILE".into(),
                    value: mail
                        .smtp_ca_file
                        .as_ref()
                        .map(|path| path.display().to_string())
                        .unwrap_or_default(),
                    reason,
                });
            }
            let smtp = reason.starts_with("IMGIGO_SMTP_URL");
            return Err(ConfigError {
                variable: if smtp {
                    "IMGIGO_SMTP_URL"
                } else {
                    "IMGIGO_MAIL_FROM"
                }
                .into(),
                // The SMTP URL may carry a password: never echo it.
                value: if smtp {
                    "…".into()
                } else {
                    mail.from.clone()
                },
                reason,
            });
        }

        let billing = match (stripe_secret_key, stripe_webhook_secret) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(ConfigError {
                    variable: "IMGIGO_STRIPE_WEBHOOK_SECRET".into(),
                    value: String::new(),
                    reason: "needed with IMGIGO_STRIPE_SECRET_KEY: without it no payment could be credited (Stripe shows it as the webhook endpoint's signing secret, whsec_…)".into(),
                });
            }
            (Some(Hidden(secret_key)), Some(Hidden(secrets))) => {
                let webhook_secrets: Vec<String> = secrets
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                if webhook_secrets.is_empty() {
                    return Err(ConfigError {
                        variable: "IMGIGO_STRIPE_WEBHOOK_SECRET".into(),
                        value: "…".into(),
                        reason: "no secret in it: give one, or several separated by commas".into(),
                    });
                }
                let products = match &products {
                    None => crate::billing::products::Products::default(),
                    Some(path) => read_products(path)?,
                };
                Some(BillingConfig {
                    secret_key,
                    webhook_secrets,
                    api_base: stripe_api_base,
                    free_credits,
                    products,
                })
            }
        };

        let privacy_policy = match privacy_policy {
            None => PrivacyPolicy::bundled(),
            Some(path) => read_policy(&path)?,
        };

        Ok(Self {
            addr,
            metrics_addr,
            data_dir,
            database_url,
            public_url,
            site_root,
            log_filter: log,
            log_format,
            model_file,
            device,
            upload,
            queue_waiting: fits("IMGIGO_QUEUE", queue)?,
            queue_deadline: std::time::Duration::from_secs(queue_seconds),
            results_ram_bytes,
            anonymous: RateLimit {
                per_minute: rate("IMGIGO_ANON_PER_MINUTE", anon_per_minute)?,
                burst: rate("IMGIGO_ANON_BURST", anon_burst)?,
            },
            fetch_urls,
            trusted_proxies,
            mail,
            secret,
            session_idle,
            session_max,
            api_key_limit: RateLimit {
                per_minute: rate("IMGIGO_KEY_PER_MINUTE", key_per_minute)?,
                burst: rate("IMGIGO_KEY_BURST", key_burst)?,
            },
            results_disk_bytes: megabytes("IMGIGO_RESULTS_DISK_MB", results_disk_mb)?,
            max_connections: fits("IMGIGO_MAX_CONNECTIONS", max_connections)?,
            header_timeout: std::time::Duration::from_secs(header_timeout_seconds),
            min_upload_rate,
            shutdown_deadline: std::time::Duration::from_secs(shutdown_seconds),
            privacy_policy,
            pexels: pexels_key
                .map(|Hidden(key)| key)
                .filter(|key| !key.is_empty())
                .map(|key| PexelsConfig {
                    key,
                    api: pexels_api,
                    images: pexels_images,
                }),
            billing,
        })
    }

    /// Whether people reach us over TLS, so browsers may be told to insist on it (HSTS).
    pub fn served_over_tls(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// The operator's products file, read once at start.
fn read_products(
    path: &std::path::Path,
) -> Result<crate::billing::products::Products, ConfigError> {
    let refuse = |reason: String| ConfigError {
        variable: "IMGIGO_PRODUCTS".into(),
        value: path.display().to_string(),
        reason,
    };
    let text =
        std::fs::read_to_string(path).map_err(|err| refuse(format!("cannot read it ({err})")))?;
    crate::billing::products::Products::parse(&text).map_err(refuse)
}

/// The operator's policy file: UTF-8 text with something in it. Read once, at start.
fn read_policy(path: &std::path::Path) -> Result<PrivacyPolicy, ConfigError> {
    let refuse = |reason: String| ConfigError {
        variable: "IMGIGO_PRIVACY_POLICY".into(),
        value: path.display().to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load(|name| map.get(name).cloned())
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
        let config = Config::load_with_args(["--addr=0.0.0.0:8080"], |name| {
            (name == "IMGIGO_ADDR").then(|| "127.0.0.1:1".to_string())
        })
        .unwrap();
        assert_eq!(config.addr.to_string(), "0.0.0.0:8080");
        let config = Config::load_with_args(["--queue", "3"], |_| None).unwrap();
        assert_eq!(config.queue_waiting, 3);
        let err = Config::load_with_args(["--queue", "0"], |_| None).unwrap_err();
        assert_eq!(err.variable, "IMGIGO_QUEUE");
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
        assert_eq!(defaults.queue_deadline.as_secs(), 60);
        assert_eq!(defaults.anonymous.per_minute.get(), 20);
        let custom = load(&[
            ("IMGIGO_MAX_UPLOAD_MB", "5"),
            ("IMGIGO_MAX_MEGAPIXELS", "12"),
            ("IMGIGO_QUEUE", "2"),
            ("IMGIGO_QUEUE_SECONDS", "300"),
            ("IMGIGO_RESULTS_RAM_MB", "64"),
            ("IMGIGO_ANON_PER_MINUTE", "3"),
            ("IMGIGO_ANON_BURST", "4"),
        ])
        .unwrap();
        assert_eq!(custom.upload.max_bytes, 5_000_000);
        assert_eq!(custom.upload.max_pixels, 12_000_000);
        assert_eq!(custom.queue_waiting, 2);
        assert_eq!(custom.queue_deadline.as_secs(), 300);
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
    fn the_background_library_is_on_only_with_a_key() {
        assert_eq!(load(&[]).unwrap().pexels, None);
        assert_eq!(
            load(&[("IMGIGO_PEXELS_KEY", " ")]).unwrap_err().variable,
            "IMGIGO_PEXELS_KEY",
            "an empty key is a mistake, not a way to switch it off"
        );
        let pexels = load(&[("IMGIGO_PEXELS_KEY", "k3y")]).unwrap().pexels;
        assert_eq!(
            pexels,
            Some(PexelsConfig {
                key: "k3y".into(),
                api: "https://api.pexels.com".into(),
                images: "https://images.pexels.com".into(),
            })
        );
    }

    #[test]
    fn payment_forms_may_lead_to_stripe_s_pages_or_to_its_stand_in() {
        let billing = |base: &str| BillingConfig {
            secret_key: "sk".into(),
            webhook_secrets: vec![],
            api_base: base.into(),
            free_credits: 0,
            products: Default::default(),
        };
        assert_eq!(
            billing("https://api.stripe.com").form_targets(),
            ["https://checkout.stripe.com", "https://billing.stripe.com"]
        );
        assert_eq!(
            billing("http://127.0.0.1:4242/").form_targets(),
            ["http://127.0.0.1:4242"]
        );
    }

    #[test]
    fn payments_are_on_only_with_a_stripe_key_and_its_webhook_secret() {
        assert_eq!(load(&[]).unwrap().billing, None);
        assert_eq!(
            load(&[("IMGIGO_STRIPE_SECRET_KEY", "sk_test_1")])
                .unwrap_err()
                .variable,
            "IMGIGO_STRIPE_WEBHOOK_SECRET"
        );
        assert_eq!(
            load(&[("IMGIGO_STRIPE_SECRET_KEY", " ")])
                .unwrap_err()
                .variable,
            "IMGIGO_STRIPE_SECRET_KEY"
        );
        let billing = load(&[
            ("IMGIGO_STRIPE_SECRET_KEY", "sk_test_1"),
            ("IMGIGO_STRIPE_WEBHOOK_SECRET", "whsec_new, whsec_old"),
            ("IMGIGO_FREE_CREDITS", "0.25"),
        ])
        .unwrap()
        .billing;
        assert_eq!(
            billing,
            Some(BillingConfig {
                secret_key: "sk_test_1".into(),
                webhook_secrets: vec!["whsec_new".into(), "whsec_old".into()],
                api_base: "https://api.stripe.com".into(),
                free_credits: 25,
                products: Default::default(),
            })
        );
        for bad in ["-1", "1.234", "lots", "", "2000000"] {
            assert_eq!(
                load(&[("IMGIGO_FREE_CREDITS", bad)]).unwrap_err().variable,
                "IMGIGO_FREE_CREDITS",
                "{bad:?}"
            );
        }
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

    /// `(variable, flag, literal default)` of every setting, from the definitions themselves.
    fn definitions() -> Vec<(String, String, Option<String>)> {
        use clap::Args;
        let command = Settings::augment_args(clap::Command::new("imgigo"));
        let arguments: Vec<_> = command.get_arguments().collect();
        let definitions: Vec<_> = arguments
            .iter()
            .filter_map(|arg| {
                let variable = arg.get_env()?.to_string_lossy().into_owned();
                let flag = format!("--{}", arg.get_long()?);
                let default = arg
                    .get_default_values()
                    .first()
                    .map(|value| value.to_string_lossy().into_owned());
                Some((variable, flag, default))
            })
            .collect();
        assert_eq!(
            definitions.len(),
            arguments.len(),
            "every setting has a variable and a flag"
        );
        definitions
    }

    #[test]
    fn every_setting_has_a_flag_named_after_its_variable() {
        let definitions = definitions();
        assert!(definitions.len() >= 30, "{definitions:?}");
        for (variable, flag, _) in definitions {
            assert_eq!(flag_of(&variable), flag);
        }
    }

    /// The README's configuration tables and the definitions cannot drift apart: one row per
    /// variable, naming its flag, with the definition's default where it has a literal one.
    #[test]
    fn the_readme_lists_every_setting_with_its_flag_and_default() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
        let section = readme
            .split("\n## Configuration\n")
            .nth(1)
            .expect("a Configuration section");
        let section = section.split("\n## ").next().unwrap_or_default();
        let mut rows: HashMap<String, (String, String)> = HashMap::new();
        for line in section.lines().filter(|line| line.starts_with("| `")) {
            let cells: Vec<&str> = line
                .trim_start_matches("| ")
                .trim_end_matches(" |")
                .split(" | ")
                .collect();
            assert_eq!(cells.len(), 3, "variable, default, meaning: {line}");
            let variable = cells[0].trim_matches('`').to_string();
            let row = (cells[1].to_string(), cells[2].to_string());
            assert!(rows.insert(variable, row).is_none(), "one row each: {line}");
        }
        let definitions = definitions();
        for (variable, flag, default) in &definitions {
            let (shown_default, meaning) = rows
                .get(variable)
                .unwrap_or_else(|| panic!("README has no row for {variable}"));
            if let Some(default) = default {
                assert_eq!(
                    *shown_default,
                    format!("`{default}`"),
                    "{variable}'s default"
                );
            }
            assert!(
                meaning.contains(&format!("`{flag}`")),
                "{variable}'s row names {flag}: {meaning}"
            );
        }
        for variable in rows.keys() {
            assert!(
                definitions
                    .iter()
                    .any(|(defined, _, _)| defined == variable),
                "README names {variable}, which is not a setting"
            );
        }
    }

    #[test]
    fn secrets_are_never_echoed() {
        let err = load(&[("IMGIGO_SMTP_URL", "ftp://user:hunter2@mail")]).unwrap_err();
        assert_eq!(err.variable, "IMGIGO_SMTP_URL");
        let err2 = load(&[("IMGIGO_SECRET", "hunter2")]).unwrap_err();
        assert_eq!(err2.variable, "IMGIGO_SECRET");
        for err in [err, err2] {
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
        let hidden = format!("{:?}", Hidden("postgres://u:hunter2@db/x"));
        assert!(!hidden.contains("hunter2"), "{hidden}");
    }

    #[test]
    fn mail_never_leaves_this_machine_unencrypted() {
        for url in [
            "smtp://user:hunter2@mail.example.com:587",
            "smtp://mail.example.com:25",
            "smtp://10.0.0.5:1025",
        ] {
            let err = load(&[("IMGIGO_SMTP_URL", url)]).unwrap_err();
            assert_eq!(err.variable, "IMGIGO_SMTP_URL");
            assert!(err.reason.contains("unencrypted"), "{err}");
            assert!(
                err.reason.contains("tls=required"),
                "says what to use: {err}"
            );
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
        let err = load(&[(
            "IMGIGO_SMTP_URL",
            "smtp://mail.example.com:587?tls=opportunistic",
        )])
        .unwrap_err();
        assert!(err.reason.contains("opportunistic"), "{err}");
        for url in [
            "smtp://127.0.0.1:1025",
            "smtp://localhost:25",
            "smtp://[::1]:25",
            "smtp://user:pw@mail.example.com:587?tls=required",
            "smtps://mail.example.com",
        ] {
            let config =
                load(&[("IMGIGO_SMTP_URL", url)]).unwrap_or_else(|err| panic!("{url}: {err}"));
            assert_eq!(config.mail.smtp_url.as_deref(), Some(url));
        }
    }

    #[test]
    fn a_smtp_ca_file_must_hold_a_certificate() {
        let dir = tempfile::tempdir().expect("dir");
        let missing = dir.path().join("missing.pem");
        let url = ("IMGIGO_SMTP_URL", "smtps://mail.example.com");
        let err = load(&[
            url,
            ("IMGIGO_SMTP_CA_FILE", missing.to_str().expect("utf-8")),
        ])
        .unwrap_err();
        assert_eq!(err.variable, "IMGIGO_SMTP_CA_FILE");
        assert!(err.reason.contains("cannot read"), "{err}");
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate").expect("write");
        let err = load(&[url, ("IMGIGO_SMTP_CA_FILE", junk.to_str().expect("utf-8"))]).unwrap_err();
        assert!(err.reason.contains("no PEM certificate"), "{err}");
    }

    #[test]
    fn an_empty_value_is_refused_rather_than_taken_for_the_default() {
        let err = load(&[("IMGIGO_QUEUE", " ")]).unwrap_err();
        assert_eq!(err.variable, "IMGIGO_QUEUE");
        assert!(err.reason.contains("empty"), "{err}");
    }
}
