//! The one application state, built once at start and shared by every route, page and job.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use sea_orm::DatabaseConnection;
use segmentation::device::{self, SelectedDevice};

use crate::cutout::CutoutService;
use crate::fetch::FetchPolicy;
use crate::ratelimit::RateLimiter;
use crate::{Error, config::Config};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: DatabaseConnection,
    /// The inference device chosen at start from `IMGIGO_DEVICE`.
    pub device: SelectedDevice,
    /// Background removal, set once the model has loaded (the server listens meanwhile; without
    /// weights it stays unset and the cutout routes answer 503).
    cutouts: Arc<OnceLock<Arc<CutoutService>>>,
    /// Anonymous callers' per-IP limits.
    pub limiter: Arc<RateLimiter>,
    /// Whether the model is still loading (see [`AppState::model_state`]).
    loading: Arc<AtomicBool>,
    /// How `image_url`/`bg_image_url` are fetched (off unless `IMGIGO_FETCH_URLS=true`).
    pub fetch: FetchPolicy,
}

/// Where background removal stands, as `/readyz` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelState {
    /// The weights are being read and prepared; cutout routes answer 503 meanwhile.
    Loading,
    Ready,
    /// No model (missing or unreadable weights): cutout routes answer 503 with a message.
    Unavailable,
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
        let limiter = Arc::new(RateLimiter::new(config.anonymous));
        let fetch = FetchPolicy {
            enabled: config.fetch_urls,
            max_bytes: config.upload.max_bytes,
            ..FetchPolicy::default()
        };
        Self {
            fetch,
            limiter,
            config: Arc::new(config),
            db,
            device,
            cutouts: Arc::new(OnceLock::new()),
            loading: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Marks the model as loading (`true`) or done trying (`false`), for [`AppState::model_state`].
    pub fn set_model_loading(&self, loading: bool) {
        self.loading.store(loading, Ordering::Relaxed);
    }

    pub fn model_state(&self) -> ModelState {
        if self.cutouts.get().is_some() {
            ModelState::Ready
        } else if self.loading.load(Ordering::Relaxed) {
            ModelState::Loading
        } else {
            ModelState::Unavailable
        }
    }

    /// Attaches the cutout service (model, queue, result store).
    pub fn with_cutouts(self, cutouts: CutoutService) -> Self {
        self.set_cutouts(cutouts);
        self
    }

    /// Attaches the cutout service to this state and every clone of it; `false` if one was already
    /// attached (the first stays).
    pub fn set_cutouts(&self, cutouts: CutoutService) -> bool {
        self.cutouts.set(Arc::new(cutouts)).is_ok()
    }

    /// The cutout service, once the model has loaded.
    pub fn cutouts(&self) -> Option<Arc<CutoutService>> {
        self.cutouts.get().cloned()
    }
}
