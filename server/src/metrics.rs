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

/// The routes that make a cutout.
const CUTOUT_ROUTES: [&str; 2] = ["/api/v1/cutouts", "/v1.0/removebg"];

/// Counts one answer under the matched route's template (`(other)` for static files and pages
/// the router does not know).
pub async fn record(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(other)".to_string(), |path| path.as_str().to_string());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    app.metrics.request(&route, status, elapsed.as_secs_f64());
    // The dashboard's daily aggregates: refusals by status, finished cutouts' times.
    services::analytics::refusal(&app, status);
    if CUTOUT_ROUTES.contains(&route.as_str()) && response.status().is_success() {
        services::analytics::cutout_time(
            &app,
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        );
    }
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
