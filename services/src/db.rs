//! Connecting to the database (SQLite by default, PostgreSQL in production) and migrating it.

use std::path::Path;
use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::Error;

/// Opens a connection pool. For a SQLite file the parent folder is created first.
#[tracing::instrument(skip_all, fields(backend = backend_of_url(url)))]
pub async fn connect(url: &str) -> Result<DatabaseConnection, Error> {
    if let Some(path) = sqlite_file_path(url)
        && let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|err| {
            Error::Internal(format!(
                "cannot create database folder {}: {err}",
                parent.display()
            ))
        })?;
    }
    let mut options = ConnectOptions::new(url.to_string());
    options
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        // Statements carry user data (emails, names): never log them.
        .sqlx_logging(false);
    if backend_of_url(url) == "sqlite" {
        // An in-memory database exists once per connection: keep exactly one.
        if url.contains(":memory:") {
            options.max_connections(1).min_connections(1);
        } else {
            options.max_connections(8);
        }
    } else {
        options.max_connections(16);
    }
    let db = Database::connect(options).await?;
    if db.get_database_backend() == DatabaseBackend::Sqlite {
        db.execute_unprepared("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;")
            .await?;
        if !url.contains(":memory:") {
            db.execute_unprepared("PRAGMA journal_mode = WAL;").await?;
        }
    }
    Ok(db)
}

/// Runs `work` in one transaction: commits what it did when it succeeds; when it fails, rolls back
/// before returning its error. (A transaction that is only dropped schedules its rollback for the
/// connection's next use; on SQLite the write lock it holds until then makes the next writer on
/// another pooled connection wait out `busy_timeout` and fail with "database is locked".)
/// sea-orm's `TransactionTrait::transaction` does the same, but takes a boxed `Send` future per
/// call and wraps the error in `TransactionError`; this takes an async closure and keeps
/// `work`'s error (a failed rollback is logged instead of replacing it).
///
/// On SQLite every transaction begins `IMMEDIATE` (see [`write_transaction`]): they all write,
/// and a deferred one that read before another connection committed (the mail sender marks rows
/// all the time) would fail at its first write with "database is locked" instead of waiting.
pub async fn transaction<T>(
    db: &DatabaseConnection,
    work: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T, Error>,
) -> Result<T, Error> {
    write_transaction(db, work).await
}

/// Runs `work` in `txn`, committing or rolling back (see [`transaction`]).
async fn run<T>(
    txn: DatabaseTransaction,
    work: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T, Error>,
) -> Result<T, Error> {
    match work(&txn).await {
        Ok(value) => {
            txn.commit().await?;
            Ok(value)
        }
        Err(err) => {
            if let Err(rollback) = txn.rollback().await {
                tracing::warn!(error = %rollback, "rolling back a failed transaction failed");
            }
            Err(err)
        }
    }
}

/// [`transaction`] for work that reads and then writes what others may write at the same time
/// (a balance): on SQLite it begins `IMMEDIATE`, taking the write lock before its first read, so
/// two such transactions run one after the other instead of both reading and one failing with
/// "database is locked" when it writes. (On PostgreSQL, lock the rows read with `FOR UPDATE`.)
pub async fn write_transaction<T>(
    db: &DatabaseConnection,
    work: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T, Error>,
) -> Result<T, Error> {
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    run(db.begin_with_options(options).await?, work).await
}

/// Applies every pending migration.
#[tracing::instrument(skip_all)]
pub async fn migrate(db: &DatabaseConnection) -> Result<(), Error> {
    Migrator::up(db, None).await?;
    Ok(())
}

/// Connects and brings the schema up to date: what `serve` and `migrate` both do at start.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, Error> {
    let db = connect(url).await?;
    migrate(&db).await?;
    Ok(db)
}

/// Every table of the application's schema (not the migration bookkeeping), sorted.
pub async fn table_names(db: &DatabaseConnection) -> Result<Vec<String>, Error> {
    use sea_orm::{FromQueryResult, JsonValue, Statement};
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Sqlite => {
            "SELECT name AS name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        _ => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
    };
    let rows = JsonValue::find_by_statement(Statement::from_string(backend, sql))
        .all(db)
        .await?;
    let mut names: Vec<String> = rows
        .iter()
        .filter_map(|row| row.get("name").and_then(|n| n.as_str()).map(str::to_string))
        .filter(|name| name != "seaql_migrations")
        .collect();
    names.sort();
    Ok(names)
}

/// `sqlite` or `postgres`, for logs and `/readyz`.
pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => "sqlite",
        DatabaseBackend::Postgres => "postgres",
        _ => "other",
    }
}

fn backend_of_url(url: &str) -> &'static str {
    if url.starts_with("sqlite:") {
        "sqlite"
    } else if url.starts_with("postgres") {
        "postgres"
    } else {
        "other"
    }
}

/// The file behind a `sqlite://path?…` URL, if it names one.
fn sqlite_file_path(url: &str) -> Option<&Path> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && !path.contains(":memory:")).then(|| Path::new(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_sqlite_file() {
        assert_eq!(
            sqlite_file_path("sqlite://data/imgigo.db?mode=rwc"),
            Some(Path::new("data/imgigo.db"))
        );
        assert_eq!(
            sqlite_file_path("sqlite:///abs/x.db"),
            Some(Path::new("/abs/x.db"))
        );
        assert_eq!(sqlite_file_path("sqlite::memory:"), None);
        assert_eq!(sqlite_file_path("postgres://x/y"), None);
    }
}
