//! `/healthz` (the process answers) and `/readyz` (its dependencies answer).

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::error::ApiError;

pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(app): State<services::AppState>) -> Result<Json<Value>, ApiError> {
    let readiness = services::health::readiness(&app).await?;
    Ok(Json(json!({ "status": "ready", "checks": readiness })))
}
