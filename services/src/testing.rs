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
        let python = Self::python();
        let child = std::process::Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
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
            });
        let mut sink = Self { port, dir, child };
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return sink;
            }
            if let Ok(Some(status)) = sink.child.try_wait() {
                panic!(
                    "aiosmtpd exited ({status}); is it installed for {}? run `make setup`",
                    python.display()
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("aiosmtpd did not start listening on port {port}");
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
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

    /// Every mail sent so far, after giving background sends a moment.
    pub async fn settle(&self) -> Vec<crate::mail::Mail> {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
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
