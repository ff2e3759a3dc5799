//! The one application state, built once at start and shared by every route, page and job.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{Error, config::Config};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: DatabaseConnection,
}

impl AppState {
    /// Connects to the configured database and migrates it.
    pub async fn init(config: Config) -> Result<Self, Error> {
        let db = crate::db::connect_and_migrate(&config.database_url).await?;
        Ok(Self::new(config, db))
    }

    pub fn new(config: Config, db: DatabaseConnection) -> Self {
        Self {
            config: Arc::new(config),
            db,
        }
    }
}
