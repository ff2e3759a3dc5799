//! Operations metrics in the Prometheus/OpenMetrics text format (`prometheus-client`), for the
//! separate `/metrics` listener (`IMGIGO_METRICS_ADDR`). Labels are bounded: a route is the
//! router's template (or `(unmatched)`), a status one of HTTP's codes, a stage one of five names.
//! Nothing names a person, an address, a key or a URL.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::{AppState, Error};

/// The statuses counted as refusals: too large, wrong type, unusable, too many, unavailable.
pub const REFUSALS: [u16; 5] = [413, 415, 422, 429, 503];

/// The stages of a cutout that are timed.
pub const STAGES: [&str; 5] = ["decode", "inference", "refine", "compose", "encode"];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Request {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Status {
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Stage {
    stage: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct State {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Device {
    kind: String,
    name: String,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency() -> Histogram {
    // 5 ms … about 41 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 14))
}

/// Every metric, registered once per process.
pub struct Metrics {
    registry: Registry,
    requests: Family<Request, Counter>,
    durations: Histograms<Request>,
    refusals: Family<Status, Counter>,
    stages: Histograms<Stage>,
    queue_in_use: Gauge,
    queue_capacity: Gauge,
    worker_panics: Gauge,
    model: Family<State, Gauge>,
    device: Family<Device, Gauge>,
    results_ram_bytes: Gauge,
    results_disk_bytes: Gauge,
    results_held: Gauge,
    outbox: Family<State, Gauge>,
    db_pool: Family<State, Gauge>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics(…)")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("imgigo");
        let requests = Family::<Request, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template and status",
            requests.clone(),
        );
        let durations: Histograms<Request> = Family::new_with_constructor(latency);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request (to its headers), by route template and status",
            durations.clone(),
        );
        let refusals = Family::<Status, Counter>::default();
        registry.register(
            "refusals",
            "Requests refused as too large (413), of a wrong type (415), unusable (422), over a rate limit (429) or while busy or without a model (503)",
            refusals.clone(),
        );
        let stages: Histograms<Stage> = Family::new_with_constructor(latency);
        registry.register(
            "cutout_stage_seconds",
            "Time of each stage of a cutout: decode, inference (with its wait for a model), refine, compose, encode (with sealing)",
            stages.clone(),
        );
        let queue_in_use = Gauge::default();
        registry.register(
            "queue_in_use",
            "Cutout requests holding a place in the queue",
            queue_in_use.clone(),
        );
        let queue_capacity = Gauge::default();
        registry.register(
            "queue_capacity",
            "Places in the cutout queue (running and waiting)",
            queue_capacity.clone(),
        );
        let worker_panics = Gauge::default();
        registry.register(
            "worker_panics",
            "Inferences that panicked since the start",
            worker_panics.clone(),
        );
        let model = Family::<State, Gauge>::default();
        registry.register(
            "model_state",
            "1 for the model's state (loading, ready, unavailable), 0 for the others",
            model.clone(),
        );
        let device = Family::<Device, Gauge>::default();
        registry.register(
            "inference_device",
            "The inference device in use (always 1)",
            device.clone(),
        );
        let results_ram_bytes = Gauge::default();
        registry.register(
            "results_ram_bytes",
            "Sealed result bytes held in RAM",
            results_ram_bytes.clone(),
        );
        let results_disk_bytes = Gauge::default();
        registry.register(
            "results_disk_bytes",
            "Sealed result bytes spilled to the encrypted disk cache",
            results_disk_bytes.clone(),
        );
        let results_held = Gauge::default();
        registry.register(
            "results_held",
            "Results that can still be downloaded",
            results_held.clone(),
        );
        let outbox = Family::<State, Gauge>::default();
        registry.register(
            "mail_outbox",
            "Mail outbox rows waiting (queued or being sent) and given up",
            outbox.clone(),
        );
        let db_pool = Family::<State, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database pool connections in use and idle",
            db_pool.clone(),
        );
        Self {
            registry,
            requests,
            durations,
            refusals,
            stages,
            queue_in_use,
            queue_capacity,
            worker_panics,
            model,
            device,
            results_ram_bytes,
            results_disk_bytes,
            results_held,
            outbox,
            db_pool,
        }
    }

    /// One answered request: `route` is the router's template.
    pub fn request(&self, route: &str, status: u16, seconds: f64) {
        let labels = Request {
            route: route.chars().take(80).collect(),
            status,
        };
        self.requests.get_or_create(&labels).inc();
        self.durations.get_or_create(&labels).observe(seconds);
        if REFUSALS.contains(&status) {
            self.refusals.get_or_create(&Status { status }).inc();
        }
    }

    /// One stage of one cutout (`stage` is one of [`STAGES`]).
    pub fn stage(&self, stage: &'static str, seconds: f64) {
        self.stages
            .get_or_create(&Stage {
                stage: stage.to_string(),
            })
            .observe(seconds);
    }
}

fn gauge(value: impl TryInto<i64>) -> i64 {
    value.try_into().unwrap_or(i64::MAX)
}

/// The metrics as OpenMetrics text, with the gauges read from the state now.
pub async fn render(app: &AppState) -> Result<String, Error> {
    let metrics = &app.metrics;
    if let Some(cutouts) = app.cutouts() {
        let queue = cutouts.queue();
        metrics.queue_in_use.set(gauge(queue.in_use()));
        metrics.queue_capacity.set(gauge(queue.capacity()));
        metrics.worker_panics.set(gauge(queue.panics()));
    }
    let state = app.model_state();
    for candidate in [
        crate::state::ModelState::Loading,
        crate::state::ModelState::Ready,
        crate::state::ModelState::Unavailable,
    ] {
        let name = serde_json::to_value(candidate)
            .ok()
            .and_then(|value| value.as_str().map(str::to_string))
            .unwrap_or_default();
        metrics
            .model
            .get_or_create(&State { state: name })
            .set(i64::from(candidate == state));
    }
    metrics
        .device
        .get_or_create(&Device {
            kind: app.device.kind.to_string(),
            name: app.device.name.chars().take(80).collect(),
        })
        .set(1);
    if let Some(results) = app.results() {
        let (held, ram) = results.usage();
        metrics.results_held.set(gauge(held));
        metrics.results_ram_bytes.set(gauge(ram));
        metrics.results_disk_bytes.set(gauge(results.disk_used()));
    }
    let outbox = crate::mail::outbox::health(app).await?;
    for (state, count) in [("waiting", outbox.queued), ("failed", outbox.failed)] {
        metrics
            .outbox
            .get_or_create(&State {
                state: state.into(),
            })
            .set(gauge(count));
    }
    let (size, idle) = match app.db.get_database_backend() {
        sea_orm::DatabaseBackend::Sqlite => {
            let pool = app.db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        sea_orm::DatabaseBackend::Postgres => {
            let pool = app.db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    };
    let idle = gauge(idle);
    for (state, count) in [("in_use", gauge(size) - idle), ("idle", idle)] {
        metrics
            .db_pool
            .get_or_create(&State {
                state: state.into(),
            })
            .set(count);
    }
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &metrics.registry)
        .map_err(|_| Error::Internal("the metrics could not be written".into()))?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_refusals_are_counted_by_template_and_status() {
        let metrics = Metrics::new();
        metrics.request("/api/v1/cutouts", 201, 0.2);
        metrics.request("/api/v1/cutouts", 429, 0.001);
        metrics.stage("inference", 1.5);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &metrics.registry).expect("encode");
        assert!(
            text.contains(r#"imgigo_http_requests_total{route="/api/v1/cutouts",status="201"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"imgigo_refusals_total{status="429"} 1"#),
            "{text}"
        );
        assert!(
            !text.contains(r#"imgigo_refusals_total{status="201"}"#),
            "{text}"
        );
        assert!(
            text.contains(r#"imgigo_cutout_stage_seconds_count{stage="inference"} 1"#),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }
}
