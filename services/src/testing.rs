//! Test helpers (feature `test-support`): a clock moved by hand, and throw-away databases.
//! Throw-away databases: `IMGIGO_TEST_DATABASE` picks the backend:
//! `sqlite` (default, a fresh file in a temp folder) or `postgres` (a fresh database on the server at
//! `IMGIGO_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`, dropped afterwards,
//! even when the test panics).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

use crate::Error;

pub use crate::clock::ManualClock;

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend this test run asked for.
    pub fn from_env() -> Self {
        match std::env::var("IMGIGO_TEST_DATABASE").as_deref() {
            Ok("postgres") | Ok("postgresql") => Backend::Postgres,
            Ok("sqlite") | Ok("") | Err(_) => Backend::Sqlite,
            Ok(other) => panic!("IMGIGO_TEST_DATABASE={other:?}: expected `sqlite` or `postgres`"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A database that exists for one test.
pub struct TestDatabase {
    pub url: String,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<PostgresCleanup>,
}

struct PostgresCleanup {
    admin_url: String,
    name: String,
}

impl TestDatabase {
    /// A fresh, empty database on the backend this run asked for.
    pub async fn new() -> Self {
        Self::on(Backend::from_env()).await
    }

    pub async fn on(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temp folder for the test database");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                Self {
                    url,
                    backend,
                    _dir: Some(dir),
                    postgres: None,
                }
            }
            Backend::Postgres => {
                static COUNTER: AtomicU32 = AtomicU32::new(0);
                let admin_url = std::env::var("IMGIGO_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_string());
                let name = format!(
                    "imgigo_test_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    rand_suffix()
                );
                let admin = Database::connect(&admin_url).await.unwrap_or_else(|err| {
                    panic!("cannot reach the test PostgreSQL server at {admin_url}: {err}")
                });
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("CREATE DATABASE for the test");
                let _ = admin.close().await;
                let url = replace_database(&admin_url, &name);
                Self {
                    url,
                    backend,
                    _dir: None,
                    postgres: Some(PostgresCleanup { admin_url, name }),
                }
            }
        }
    }

    /// Connects and migrates, as the server does at start.
    pub async fn connect(&self) -> Result<DatabaseConnection, Error> {
        crate::db::connect_and_migrate(&self.url).await
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(cleanup) = self.postgres.take() else {
            return;
        };
        // Drop may run on an async runtime's thread; do the async work on a thread of its own.
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let admin = Database::connect(&cleanup.admin_url).await?;
                admin
                    .execute_unprepared(&format!(
                        "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                        cleanup.name
                    ))
                    .await?;
                admin.close().await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        });
        match dropper.join() {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!("warning: could not drop a test database: {err}"),
            Err(_) => eprintln!("warning: the test database cleanup panicked"),
        }
    }
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let server = match base.rfind('/') {
        Some(slash) if slash > "postgres://".len() => &base[..slash],
        _ => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

fn rand_suffix() -> u32 {
    use std::hash::{BuildHasher, RandomState};
    (RandomState::new().hash_one(std::time::SystemTime::now()) % 1_000_000) as u32
}

/// A real SMTP server on loopback for mail tests: Python's `aiosmtpd` writing every message it
/// receives into a maildir. The interpreter is `IMGIGO_PYTHON`, or the virtual environment that
/// `make setup` creates in `~/.cache/imgigo/venv`.
pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: std::process::Child,
    tls: Option<(SmtpTls, std::path::PathBuf, std::path::PathBuf)>,
}

/// How a TLS sink ([`SmtpSink::start_tls`]) speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain first, STARTTLS required before mail (port 587's way).
    StartTls,
    /// TLS from the first byte (port 465's way).
    Implicit,
    /// STARTTLS, but no newer than TLS 1.2: a server the policy's "TLS 1.3 in transit" rules out.
    StartTlsUpTo12,
}

/// A throw-away certificate authority and a server certificate it signed for `127.0.0.1` and
/// `localhost`, as PEM files in a temporary folder.
pub struct TestCertificates {
    _dir: tempfile::TempDir,
    /// The authority's certificate (what `IMGIGO_SMTP_CA_FILE` names).
    pub ca: std::path::PathBuf,
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
}

impl TestCertificates {
    pub fn new() -> Self {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
        let ca_key = KeyPair::generate().expect("a CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "imgigo test CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).expect("the CA certificate");
        let key = KeyPair::generate().expect("a server key");
        let params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .expect("server parameters");
        let cert = params
            .signed_by(&key, &ca, &ca_key)
            .expect("the server certificate");
        let dir = tempfile::tempdir().expect("a folder for certificates");
        let write = |name: &str, pem: String| {
            let path = dir.path().join(name);
            std::fs::write(&path, pem).expect("a PEM file");
            path
        };
        Self {
            ca: write("ca.pem", ca.pem()),
            cert: write("server.pem", cert.pem()),
            key: write("server.key", key.serialize_pem()),
            _dir: dir,
        }
    }
}

impl Default for TestCertificates {
    fn default() -> Self {
        Self::new()
    }
}

impl SmtpSink {
    pub fn python() -> std::path::PathBuf {
        std::env::var_os("IMGIGO_PYTHON")
            .map(std::path::PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .map(|home| std::path::Path::new(&home).join(".cache/imgigo/venv/bin/python"))
            })
            .unwrap_or_else(|| "python3".into())
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .expect("a free port");
        let dir = tempfile::tempdir().expect("a maildir folder");
        let child = Self::spawn(port, &dir, None);
        let mut sink = Self {
            port,
            dir,
            child,
            tls: None,
        };
        sink.wait_until_listening();
        sink
    }

    /// A sink that speaks TLS with `certificates`' server certificate; [`SmtpSink::url`] says how
    /// to reach it.
    pub fn start_tls(tls: SmtpTls, certificates: &TestCertificates) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .expect("a free port");
        let dir = tempfile::tempdir().expect("a maildir folder");
        let tls = Some((tls, certificates.cert.clone(), certificates.key.clone()));
        let child = Self::spawn(port, &dir, tls.as_ref());
        let mut sink = Self {
            port,
            dir,
            child,
            tls,
        };
        sink.wait_until_listening();
        sink
    }

    /// Stops the server (connections to its port are refused until [`SmtpSink::restart`]); the
    /// mail received so far stays readable.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the server again on the same port and maildir.
    pub fn restart(&mut self) {
        self.stop();
        self.child = Self::spawn(self.port, &self.dir, self.tls.as_ref());
        self.wait_until_listening();
    }

    fn spawn(
        port: u16,
        dir: &tempfile::TempDir,
        tls: Option<&(SmtpTls, std::path::PathBuf, std::path::PathBuf)>,
    ) -> std::process::Child {
        let python = Self::python();
        let mut command = std::process::Command::new(&python);
        // aiosmtpd's own command line; the TLS 1.2 server caps the contexts it makes first.
        let cap = "import ssl, sys\n\
            make = ssl.create_default_context\n\
            def capped(*args, **kwargs):\n    \
                context = make(*args, **kwargs)\n    \
                context.maximum_version = ssl.TLSVersion.TLSv1_2\n    \
                return context\n\
            ssl.create_default_context = capped\n\
            from aiosmtpd.main import main\n\
            sys.argv[0] = 'aiosmtpd'\n\
            main()\n";
        match tls {
            Some((SmtpTls::StartTlsUpTo12, ..)) => command.args(["-c", cap]),
            _ => command.args(["-m", "aiosmtpd"]),
        };
        command.args(["-n", "-l"]).arg(format!("127.0.0.1:{port}"));
        match tls {
            Some((SmtpTls::Implicit, cert, key)) => {
                command
                    .arg("--smtpscert")
                    .arg(cert)
                    .arg("--smtpskey")
                    .arg(key);
            }
            Some((SmtpTls::StartTls | SmtpTls::StartTlsUpTo12, cert, key)) => {
                command.arg("--tlscert").arg(cert).arg("--tlskey").arg(key);
            }
            None => {}
        }
        command
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("maildir"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "cannot start aiosmtpd with {} ({err}); run `make setup` or set IMGIGO_PYTHON",
                    python.display()
                )
            })
    }

    fn wait_until_listening(&mut self) {
        let port = self.port;
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "aiosmtpd exited ({status}); is it installed for {}? run `make setup`",
                    Self::python().display()
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("aiosmtpd did not start listening on port {port}");
    }

    /// How to reach it: `smtp://` (plain, loopback), `smtp://…?tls=required` or `smtps://`.
    pub fn url(&self) -> String {
        match self.tls {
            None => format!("smtp://127.0.0.1:{}", self.port),
            Some((SmtpTls::Implicit, ..)) => format!("smtps://127.0.0.1:{}", self.port),
            Some(_) => format!("smtp://127.0.0.1:{}?tls=required", self.port),
        }
    }

    /// Every message received so far, as raw RFC 5322 text.
    pub fn messages(&self) -> Vec<String> {
        let new = self.dir.path().join("maildir/new");
        let Ok(entries) = std::fs::read_dir(new) else {
            return Vec::new();
        };
        let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        files
            .into_iter()
            .filter_map(|path| std::fs::read_to_string(path).ok())
            .collect()
    }

    /// Waits up to ten seconds for a message that `matches`.
    pub async fn wait_for(&self, matches: impl Fn(&str) -> bool) -> String {
        for _ in 0..200 {
            if let Some(found) = self.messages().into_iter().find(|m| matches(m)) {
                return found;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no matching mail arrived at the SMTP sink");
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Stripe for payment tests: `scripts/stripe_fake.py` (Checkout Sessions, the billing portal and
/// prices, which localstripe lacks) in front of a real `localstripe` process that it starts and
/// stops. Same interpreter as [`SmtpSink`] (`make setup` installs localstripe there).
pub struct StripeFake {
    pub port: u16,
    child: std::process::Child,
}

impl StripeFake {
    /// Starts the fake and localstripe; events are signed with `webhook_secret`.
    pub fn start(webhook_secret: &str) -> Self {
        use std::io::BufRead;
        let localstripe = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .expect("a free port");
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/stripe_fake.py");
        let python = SmtpSink::python();
        let mut child = std::process::Command::new(&python)
            .arg(&script)
            .args([
                "--port",
                "0",
                "--localstripe-port",
                &localstripe.to_string(),
            ])
            .args(["--webhook-secret", webhook_secret])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "cannot start {} with {} ({err}); run `make setup`",
                    script.display(),
                    python.display()
                )
            });
        let stdout = child.stdout.take().expect("the fake's stdout");
        let mut line = String::new();
        let read = std::io::BufReader::new(stdout).read_line(&mut line);
        let port = line
            .trim()
            .strip_prefix("ready ")
            .and_then(|port| port.parse().ok());
        match (read, port) {
            (Ok(_), Some(port)) => Self { port, child },
            _ => {
                let _ = child.kill();
                panic!(
                    "the Stripe fake did not start (is localstripe installed for {}? run `make setup`)",
                    python.display()
                )
            }
        }
    }

    /// The API address for `IMGIGO_STRIPE_API_BASE`.
    pub fn api_base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// One request to the fake; the status and the body. Blocking: a request that makes the fake
    /// call the server under test back goes through [`Self::request_async`].
    pub fn request(
        &self,
        method: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        fake_request(self.port, method, path, form)
    }

    /// [`Self::request`] off the async runtime, which stays free to serve (a database pool's
    /// connections may be driven by it) while the fake delivers its webhook.
    pub async fn request_async(
        &self,
        method: &'static str,
        path: String,
    ) -> (u16, serde_json::Value) {
        let port = self.port;
        tokio::task::spawn_blocking(move || fake_request(port, method, &path, &[]))
            .await
            .expect("the request to the fake")
    }

    /// A one-time price of `amount` (smallest unit) in `currency`, for a new product; its id.
    pub fn price(&self, amount: i64, currency: &str) -> String {
        let (status, price) = self.request(
            "POST",
            "/v1/prices",
            &[
                ("currency", currency),
                ("unit_amount", &amount.to_string()),
                ("product_data[name]", "Credits"),
            ],
        );
        assert_eq!(status, 200, "{price}");
        price["id"].as_str().expect("a price id").to_string()
    }

    /// A monthly recurring price of `amount` (smallest unit) in `currency`, for a new product.
    pub fn monthly_price(&self, amount: i64, currency: &str) -> String {
        let (status, price) = self.request(
            "POST",
            "/v1/prices",
            &[
                ("currency", currency),
                ("unit_amount", &amount.to_string()),
                ("product_data[name]", "Plan"),
                ("recurring[interval]", "month"),
            ],
        );
        assert_eq!(status, 200, "{price}");
        price["id"].as_str().expect("a price id").to_string()
    }

    /// Where events are delivered from now on.
    pub fn webhook(&self, url: &str) {
        let (status, answer) = self.request("POST", "/_fake/webhook", &[("url", url)]);
        assert_eq!(status, 200, "{answer}");
    }

    /// Pays checkout session `id` as its Pay button does; the status and the event sent.
    pub async fn pay(&self, id: &str) -> (u16, serde_json::Value) {
        self.request_async("POST", format!("/_fake/checkout/sessions/{id}/pay"))
            .await
    }

    /// Delivers event `id` again (same id, fresh signature); the status.
    pub async fn resend(&self, id: &str) -> u16 {
        self.request_async("POST", format!("/_fake/events/{id}/resend"))
            .await
            .0
    }

    /// Every request made to the checkout and portal APIs, decoded.
    pub fn requests(&self) -> serde_json::Value {
        self.request("GET", "/_fake/requests", &[]).1
    }
}

/// One HTTP/1.0 request to the Stripe fake on `port`; the status and the JSON body.
fn fake_request(
    port: u16,
    method: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    use std::io::{Read, Write};
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("the fake listens");
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk_test_harness\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("request sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (
        status,
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
    )
}

impl Drop for StripeFake {
    fn drop(&mut self) {
        // SIGTERM lets it stop localstripe; SIGKILL after a grace period.
        let _ = std::process::Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A state on `db` mailing through the SMTP server on `smtp_port`, public address
/// `https://imgigo.test`, a fixed secret (two states built on one database are two processes of
/// one deployment) and `clock`; `extra` adds configuration variables.
pub async fn smtp_node(
    db: &TestDatabase,
    smtp_port: u16,
    clock: &Arc<ManualClock>,
    extra: &[(&str, &str)],
) -> crate::AppState {
    let url = format!("smtp://127.0.0.1:{smtp_port}");
    let config = crate::config::Config::load(|name| match name {
        "IMGIGO_PUBLIC_URL" => Some("https://imgigo.test".to_string()),
        "IMGIGO_SMTP_URL" => Some(url.clone()),
        "IMGIGO_SECRET" => {
            Some("4f1c2b7a9e8d6c5b4a3928170f6e5d4c3b2a19081f2e3d4c5b6a798877665544".to_string())
        }
        "IMGIGO_MAIL_FROM" => Some("imgigo <no-reply@imgigo.test>".to_string()),
        other => extra
            .iter()
            .find(|(name, _)| *name == other)
            .map(|(_, value)| value.to_string()),
    })
    .expect("config");
    let conn = db.connect().await.expect("connect and migrate");
    crate::AppState::new(config, conn, crate::cutout::device::cpu()).with_clock(clock.clone())
}

/// An application state for account tests: a fresh database (the backend this run asked for),
/// a clock moved by hand, public address `https://imgigo.test`, and mail kept in memory.
pub struct AccountsHarness {
    pub app: crate::AppState,
    pub clock: Arc<ManualClock>,
    pub mail: Arc<Mutex<Vec<crate::mail::Mail>>>,
    _db: TestDatabase,
}

impl AccountsHarness {
    pub async fn new() -> Self {
        let test_db = TestDatabase::new().await;
        let db = test_db.connect().await.expect("connect and migrate");
        let config = crate::config::Config::load(|name| {
            (name == "IMGIGO_PUBLIC_URL").then(|| "https://imgigo.test".to_string())
        })
        .expect("config");
        let clock = ManualClock::new();
        let (mailer, mail) = crate::mail::Mailer::memory("imgigo <no-reply@imgigo.test>");
        let app = crate::AppState::new(config, db, crate::cutout::device::cpu())
            .with_mailer(mailer)
            .with_clock(clock.clone());
        Self {
            app,
            clock,
            mail,
            _db: test_db,
        }
    }

    /// Waits for the `n`-th mail of `kind` to `to` (account mail is sent in the background).
    pub async fn mail(&self, kind: &str, to: &str, n: usize) -> crate::mail::Mail {
        for _ in 0..300 {
            let found: Vec<crate::mail::Mail> = self
                .mail
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .iter()
                .filter(|mail| mail.kind == kind && mail.to == to)
                .cloned()
                .collect();
            if found.len() >= n {
                return found[n - 1].clone();
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("no {kind} mail #{n} to {to}");
    }

    /// Every mail sent so far, once the outbox has delivered everything that is due.
    pub async fn settle(&self) -> Vec<crate::mail::Mail> {
        for _ in 0..500 {
            let health = crate::mail::outbox::health(&self.app)
                .await
                .expect("read the outbox");
            if health.queued == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        self.mail
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The token in the link of the `n`-th mail of `kind` to `to`.
    pub async fn token(&self, kind: &str, to: &str, n: usize) -> String {
        let mail = self.mail(kind, to, n).await;
        let start = mail.text.find("token=").expect("a link with a token") + "token=".len();
        mail.text[start..]
            .split_whitespace()
            .next()
            .expect("token")
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn swaps_the_database_name() {
        assert_eq!(
            replace_database("postgres://u@h:5432/test", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            replace_database("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
    }
}
