//! The one application state, built once at start and shared by every route, page and job.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use segmentation::device::{self, SelectedDevice};

use crate::cutout::CutoutService;
use crate::{Error, config::Config};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: DatabaseConnection,
    /// The inference device chosen at start from `IMGIGO_DEVICE`.
    pub device: SelectedDevice,
    /// Background removal: `None` until the model is loaded (or when its weights are missing).
    pub cutouts: Option<Arc<CutoutService>>,
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
            cutouts: None,
        }
    }

    /// Attaches the cutout service (model, queue, result store).
    pub fn with_cutouts(mut self, cutouts: CutoutService) -> Self {
        self.cutouts = Some(Arc::new(cutouts));
        self
    }
}
