//! `imgigo serve` and `imgigo migrate`.

use std::net::SocketAddr;

use axum::serve::ListenerExt;
use services::AppState;
use services::config::Config;
use tokio::net::TcpListener;

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

/// Migrates the database, then serves until Ctrl-C or SIGTERM.
pub async fn run(config: Config) -> Result<(), ServeError> {
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
    tracing::info!(
        database = services::db::backend_name(&app.db),
        "database ready"
    );

    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let local = listener.local_addr()?;
    tracing::info!("imgigo is listening on http://{local}");
    // Pages stream in several chunks; without TCP_NODELAY each waits on the peer's delayed ACK.
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(error = %err, "cannot set TCP_NODELAY");
        }
    });

    axum::serve(listener, router::build(ServerState::new(app)))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("imgigo stopped");
    Ok(())
}

/// Applies pending migrations and exits.
pub async fn migrate(config: Config) -> Result<(), ServeError> {
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
