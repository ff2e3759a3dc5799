//! The one application state, built once at start and shared by every route, page and job.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use segmentation::device::{self, SelectedDevice};

use crate::{Error, config::Config};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: DatabaseConnection,
    /// The inference device chosen at start from `IMGIGO_DEVICE`.
    pub device: SelectedDevice,
}

impl AppState {
    /// Chooses the inference device (a `gpu` request without a GPU fails here, at start), then
    /// connects to the configured database and migrates it.
    pub async fn init(config: Config) -> Result<Self, Error> {
        let device = device::select(config.device)?;
        let db = crate::db::connect_and_migrate(&config.database_url).await?;
        Ok(Self::new(config, db, device))
    }

    pub fn new(config: Config, db: DatabaseConnection, device: SelectedDevice) -> Self {
        Self {
            config: Arc::new(config),
            db,
            device,
        }
    }
}
