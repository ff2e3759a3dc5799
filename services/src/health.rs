//! Liveness and readiness: what `/healthz` and `/readyz` report.

use serde::Serialize;

use crate::{AppState, Error};

/// What the process depends on, as reported by `/readyz`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Readiness {
    pub database: &'static str,
    pub database_backend: &'static str,
    pub device: DeviceReport,
    /// `loading`, `ready` or `unavailable` (pages work either way; cutouts need `ready`).
    pub model: crate::state::ModelState,
    /// Inferences that panicked since start (each failed its own request; the worker went on).
    pub worker_panics: u64,
    /// Requests holding a place in the inference queue now.
    pub queue_in_use: usize,
}

/// The inference device: what was asked for and what was chosen.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DeviceReport {
    /// `auto`, `cpu` or `gpu` (`IMGIGO_DEVICE`).
    pub requested: String,
    /// `cpu` or `gpu`.
    pub kind: &'static str,
    /// `CPU (2 threads)`, `NVIDIA H200 (Vulkan)`, …
    pub name: String,
}

impl DeviceReport {
    pub fn of(app: &AppState) -> Self {
        Self {
            requested: app.config.device.to_string(),
            kind: app.device.kind,
            name: app.device.name.clone(),
        }
    }
}

/// Ready when the database answers a ping.
#[tracing::instrument(skip_all)]
pub async fn readiness(app: &AppState) -> Result<Readiness, Error> {
    let db = &app.db;
    db.ping().await.map_err(|err| {
        tracing::warn!(error = %err, "database ping failed");
        Error::Unavailable("database")
    })?;
    Ok(Readiness {
        database: "ok",
        database_backend: crate::db::backend_name(db),
        device: DeviceReport::of(app),
        model: app.model_state(),
        worker_panics: app.cutouts().map_or(0, |cutouts| cutouts.queue().panics()),
        queue_in_use: app.cutouts().map_or(0, |cutouts| cutouts.queue().in_use()),
    })
}
