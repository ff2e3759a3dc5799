//! Prometheus metrics: every answer is counted by its route's template and status (with its
//! time to headers), and `/metrics` is served on its own listener (`IMGIGO_METRICS_ADDR`), never on
//! the site's address.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use services::AppState;

/// Counts one answer under the matched route's template (`(other)` for static files and pages
/// the router does not know).
pub async fn record(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(other)".to_string(), |path| path.as_str().to_string());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    app.metrics.request(
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

async fn metrics(State(app): State<AppState>) -> Response {
    match services::metrics::render(&app).await {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "the metrics could not be read");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the metrics could not be read\n",
            )
                .into_response()
        }
    }
}

/// The metrics listener's router: `/metrics` only.
pub fn router(app: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(app)
}

/// Serves [`router`] on `addr` in the background.
pub async fn serve(app: AppState, addr: SocketAddr) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, router(app)).await {
            tracing::warn!(error = %err, "the metrics listener stopped");
        }
    });
    Ok(local)
}
