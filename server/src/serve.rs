//! `imgigo serve` and `imgigo migrate`.

use std::net::SocketAddr;
use std::sync::Arc;

use services::AppState;
use services::clock::SystemClock;
use services::config::Config;
use services::cutout::CutoutService;
use tokio::net::TcpListener;

use crate::connections::{self, ConnectionLimits};
use crate::router;
use crate::state::ServerState;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    Services(#[from] services::Error),
    #[error("cannot listen on {addr}: {source} (is another program using it? set IMGIGO_ADDR)")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Io(#[from] std::io::Error),
}

impl ServeError {
    /// 2 for what the operator must fix (as for invalid configuration), 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            ServeError::Services(services::Error::Setup(_)) => 2,
            _ => 1,
        }
    }
}

/// What cuts the subjects out: the real model from `IMGIGO_MODEL_FILE`, or (the `imgigo-fake`
/// test server only) the deterministic fake engine.
pub enum Model {
    Weights,
    Fake(services::cutout::fake::FakeEngine),
}

/// Migrates the database, then serves until Ctrl-C or SIGTERM.
pub async fn run(config: Config) -> Result<(), ServeError> {
    run_with(config, Model::Weights).await
}

/// [`run`] with the mask maker chosen by the caller.
pub async fn run_with(config: Config, model: Model) -> Result<(), ServeError> {
    let addr = config.addr;
    let pkg = config.site_root.join("pkg");
    if !pkg.join("imgigo.wasm").exists() {
        tracing::warn!(
            site_root = %config.site_root.display(),
            "the compiled client is missing: pages render but won't be interactive; run `make run` or `cargo leptos build`"
        );
    }
    let app = AppState::init(config).await?;
    tracing::info!(
        requested = %app.config.device,
        device = app.device.kind,
        name = %app.device.name,
        "inference device selected"
    );
    start_cutouts(&app, model);
    spawn_janitor(&app);
    spawn_account_janitor(&app);
    spawn_analytics_flush(&app);
    // Mail queued before a restart goes out now.
    app.outbox.start(&app);
    tracing::info!(
        database = services::db::backend_name(&app.db),
        "database ready"
    );

    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    if let Some(metrics_addr) = app.config.metrics_addr {
        let local = crate::metrics::serve(app.clone(), metrics_addr)
            .await
            .map_err(|source| ServeError::Bind {
                addr: metrics_addr,
                source,
            })?;
        tracing::info!("metrics at http://{local}/metrics");
    }
    let local = listener.local_addr()?;
    tracing::info!("imgigo is listening on http://{local}");
    let limits = ConnectionLimits::from_config(&app.config);
    let counters = app.clone();
    let router = router::build(ServerState::new(app));
    connections::serve(listener, router, limits, shutdown_signal()).await;
    // The last minute's counters.
    if let Err(err) = services::analytics::flush(&counters).await {
        tracing::warn!(error = %err, "the analytics counters could not be written at shutdown");
    }
    tracing::info!("imgigo stopped");
    Ok(())
}

/// Loads the model and opens the result store in the background, so the server answers at once
/// (the cutout routes say 503 until the model is there). Without weights it stays that way, with a
/// warning that says how to fetch them.
fn start_cutouts(app: &AppState, model: Model) {
    let app = app.clone();
    app.set_model_loading(true);
    tokio::spawn(async move {
        let config = app.config.clone();
        let device = app.device.clone();
        let started = std::time::Instant::now();
        let Some(results) = app.results() else {
            tracing::error!("no result store: background removal stays off");
            app.set_model_loading(false);
            return;
        };
        let loaded = tokio::task::spawn_blocking(move || match model {
            Model::Weights => {
                CutoutService::start(&config, &device, results, Arc::new(SystemClock))
            }
            Model::Fake(fake) => {
                CutoutService::serving(vec![fake], &config, results, Arc::new(SystemClock))
            }
        })
        .await;
        match loaded {
            Ok(Ok(service)) => {
                tracing::info!(
                    seconds = started.elapsed().as_secs_f64(),
                    "segmentation model loaded"
                );
                app.set_cutouts(service);
            }
            Ok(Err(err)) => tracing::warn!(
                error = %err,
                model_file = %app.config.model_file.display(),
                "background removal is unavailable: run `make weights` or set IMGIGO_MODEL_FILE"
            ),
            Err(err) => tracing::error!(error = %err, "loading the model failed"),
        }
        // After the service is attached, so /readyz never says "unavailable" in between.
        app.set_model_loading(false);
    });
}

/// Destroys expired results every ten minutes (reads already refuse them after 7 days), with or
/// without a model.
fn spawn_janitor(app: &AppState) {
    let Some(results) = app.results() else {
        return;
    };
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            let store = results.clone();
            match tokio::task::spawn_blocking(move || store.purge_expired()).await {
                Ok(0) => {}
                Ok(purged) => tracing::info!(purged, "expired results destroyed"),
                Err(err) => tracing::warn!(error = %err, "the result janitor failed"),
            }
        }
    });
}

/// Every ten minutes: the retention jobs on the database (expired sessions and mailed links,
/// accounts never confirmed within 7 days, delivered outbox rows) and the in-RAM throttles, and
/// the staff's privacy-request digest once a day. Logs counts only.
fn spawn_account_janitor(app: &AppState) {
    let app = app.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            if let Err(err) = services::jobs::purge_accounts(&app).await {
                tracing::warn!(error = %err, "the retention jobs failed");
            }
            if let Err(err) = services::privacy::reminders::daily_digest(&app).await {
                tracing::warn!(error = %err, "the privacy request digest failed");
            }
        }
    });
}

/// Every minute: the aggregate analytics counters from RAM into the database (on failure they
/// wait in RAM for the next minute).
fn spawn_analytics_flush(app: &AppState) {
    let app = app.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every.tick().await;
            if let Err(err) = services::analytics::flush(&app).await {
                tracing::warn!(error = %err, "the analytics counters could not be written");
            }
        }
    });
}

/// `imgigo purge`: the retention jobs once (for cron): the database jobs, and expired results in
/// the encrypted spill folder. Prints the counts.
pub async fn purge(config: Config) -> Result<(), ServeError> {
    let results_dir = config.data_dir.join(services::results::RESULTS_DIR);
    services::data_dir::prepare(&config.data_dir)?;
    let db = services::db::connect_and_migrate(&config.database_url).await?;
    let app = AppState::new(config, db, services::cutout::device::cpu());
    let purged = services::jobs::purge_accounts(&app).await?;
    let store = services::results::ResultStore::open(
        &results_dir,
        services::results::StoreLimits::default(),
        Arc::new(SystemClock),
    )?;
    let results = store.purge_expired();
    println!(
        "purged: {results} expired results, {} sessions, {} mailed links, {} unconfirmed accounts, {} closed requests, {} outbox mails, {} delivered or given-up mail rows, {} analytics rows older than 13 months",
        purged.sessions,
        purged.links,
        purged.unconfirmed_accounts,
        purged.closed_requests,
        purged.outbox_mail,
        purged.mail_rows,
        purged.analytics_rows
    );
    Ok(())
}

/// Applies pending migrations and exits.
pub async fn migrate(config: Config) -> Result<(), ServeError> {
    // The data folder is created owner-only whichever command runs first.
    services::data_dir::prepare(&config.data_dir)?;
    let db = services::db::connect_and_migrate(&config.database_url).await?;
    tracing::info!(
        database = services::db::backend_name(&db),
        "migrations applied"
    );
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
