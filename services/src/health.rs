//! Liveness and readiness: what `/healthz` and `/readyz` report.

use sea_orm::DatabaseConnection;
use serde::Serialize;

use crate::Error;

/// What the process depends on, as reported by `/readyz`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Readiness {
    pub database: &'static str,
    pub database_backend: &'static str,
}

/// Ready when the database answers a ping.
#[tracing::instrument(skip_all)]
pub async fn readiness(db: &DatabaseConnection) -> Result<Readiness, Error> {
    db.ping().await.map_err(|err| {
        tracing::warn!(error = %err, "database ping failed");
        Error::Unavailable("database")
    })?;
    Ok(Readiness {
        database: "ok",
        database_backend: crate::db::backend_name(db),
    })
}
