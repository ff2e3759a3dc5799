//! The one application state, built once at start and shared by every route, page and job.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use sea_orm::DatabaseConnection;
use segmentation::device::{self, SelectedDevice};

use crate::abuse::Abuse;
use crate::accounts::password::Passwords;
use crate::clock::{Clock, SystemClock};
use crate::cutout::CutoutService;
use crate::fetch::FetchPolicy;
use crate::mail::{Mailer, Outbox};
use crate::pexels::Pexels;
use crate::ratelimit::RateLimiter;
use crate::results::{ResultId, ResultStore, StoreLimits};
use crate::secret::ServerSecret;
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
    /// The encrypted result store, opened at start whether or not a model loads, so results can
    /// always be destroyed (an account deletion, the janitor). `None` only in states built without
    /// a data folder (account tests).
    results: Option<Arc<ResultStore>>,
    /// Anonymous callers' per-IP limits.
    pub limiter: Arc<RateLimiter>,
    /// Whether the model is still loading (see [`AppState::model_state`]).
    loading: Arc<AtomicBool>,
    /// How `image_url`/`bg_image_url` are fetched (off unless `IMGIGO_FETCH_URLS=true`).
    pub fetch: FetchPolicy,
    /// Account mail (SMTP, the file outbox, or memory in tests), used by the outbox's sender.
    pub mailer: Arc<Mailer>,
    /// The durable mail outbox's key, pace and sender (see [`crate::mail`]).
    pub outbox: Arc<Outbox>,
    /// Aggregate page-view and cutout counters waiting for the database (see [`crate::analytics`]).
    pub analytics: Arc<crate::analytics::Analytics>,
    /// Operations metrics for `/metrics` (see [`crate::metrics`]).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Keys the digests of mailed links.
    pub secret: Arc<ServerSecret>,
    /// "Now" for accounts and sessions (tests move it by hand).
    pub clock: Arc<dyn Clock>,
    /// Login/registration throttles and lockout.
    pub abuse: Arc<Abuse>,
    /// argon2id hashing, a few at a time.
    pub passwords: Arc<Passwords>,
    /// Per-API-key limits (keyed by the key's id).
    pub key_limiter: Arc<RateLimiter<i64>>,
    /// The background library (Pexels), where the operator gave a key.
    pub pexels: Option<Arc<Pexels>>,
    /// Per-IP limits on the library: a search shows a page of thumbnails, each a request.
    pub library_limiter: Arc<RateLimiter>,
}

/// The library's per-IP allowance: four pages of results with their thumbnails at once, two a
/// minute after that.
const LIBRARY_LIMIT: crate::ratelimit::RateLimit = crate::ratelimit::RateLimit {
    per_minute: std::num::NonZeroU32::new(50).expect("non-zero"),
    burst: std::num::NonZeroU32::new(100).expect("non-zero"),
};

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
        crate::data_dir::prepare(&config.data_dir)?;
        let device = device::select(config.device)?;
        let mut config = config;
        if config.secret.is_none() {
            config.secret = Some(ServerSecret::load_or_create(&config.data_dir)?);
        }
        let mailer = Mailer::from_config(&config.mail)?;
        let db = crate::db::connect_and_migrate(&config.database_url).await?;
        let results = ResultStore::open(
            &config.data_dir.join(crate::results::RESULTS_DIR),
            StoreLimits::from_config(&config),
            Arc::new(SystemClock),
        )?;
        Ok(Self::with_parts(config, db, device, mailer).with_results(Arc::new(results)))
    }

    /// The state with a random secret unless one is configured, and mail to the configured
    /// transport (the outbox when none); [`AppState::init`] is what the server uses.
    pub fn new(config: Config, db: DatabaseConnection, device: SelectedDevice) -> Self {
        let mailer = Mailer::from_config(&config.mail).unwrap_or_else(|err| {
            tracing::error!(error = %err, "mail is misconfigured; writing to memory only");
            Mailer::memory(&config.mail.from).0
        });
        Self::with_parts(config, db, device, mailer)
    }

    /// The state around a mailer built once: every mail of the process goes through it (and an
    /// SMTP transport's connection pool).
    fn with_parts(
        config: Config,
        db: DatabaseConnection,
        device: SelectedDevice,
        mailer: Mailer,
    ) -> Self {
        let limiter = Arc::new(RateLimiter::new(config.anonymous));
        let key_limiter = Arc::new(RateLimiter::new(config.api_key_limit));
        let secret = Arc::new(config.secret.clone().unwrap_or_else(ServerSecret::random));
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let fetch = FetchPolicy {
            enabled: config.fetch_urls,
            max_bytes: config.upload.max_bytes,
            ..FetchPolicy::default()
        };
        let pexels = config
            .pexels
            .clone()
            .and_then(|pexels| match Pexels::new(pexels) {
                Ok(pexels) => Some(Arc::new(pexels)),
                Err(err) => {
                    tracing::error!(error = %err, "the photo library could not start");
                    None
                }
            });
        Self {
            pexels,
            library_limiter: Arc::new(RateLimiter::new(LIBRARY_LIMIT)),
            fetch,
            limiter,
            config: Arc::new(config),
            db,
            device,
            cutouts: Arc::new(OnceLock::new()),
            results: None,
            loading: Arc::new(AtomicBool::new(false)),
            mailer: Arc::new(mailer),
            outbox: Arc::new(Outbox::new(&secret)),
            analytics: Arc::new(crate::analytics::Analytics::new()),
            metrics: Arc::new(crate::metrics::Metrics::new()),
            secret,
            abuse: Arc::new(Abuse::new(clock.clone())),
            clock,
            passwords: Arc::new(Passwords::default()),
            key_limiter,
        }
    }

    /// Sends account mail through `mailer`.
    pub fn with_mailer(mut self, mailer: Mailer) -> Self {
        self.mailer = Arc::new(mailer);
        self.fresh_outbox();
        self
    }

    /// A new outbox sender for a state rebuilt with another mailer or clock (the old one, if it
    /// was started, stops: one sender per state).
    fn fresh_outbox(&mut self) {
        self.outbox.retire();
        self.outbox = Arc::new(Outbox::new(&self.secret));
    }

    /// Uses `clock` for accounts, sessions and lockouts (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.abuse = Arc::new(Abuse::new(clock.clone()));
        self.clock = clock;
        self.fresh_outbox();
        self
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

    /// Attaches the cutout service (model, queue, result store); its store becomes the state's.
    pub fn with_cutouts(mut self, cutouts: CutoutService) -> Self {
        self.results = Some(cutouts.results().clone());
        self.set_cutouts(cutouts);
        self
    }

    /// Uses `results` as the result store.
    pub fn with_results(mut self, results: Arc<ResultStore>) -> Self {
        self.results = Some(results);
        self
    }

    /// The result store, with or without a model.
    pub fn results(&self) -> Option<Arc<ResultStore>> {
        self.results.clone()
    }

    /// Destroys results without their keys (an account's, when it is deleted), model or not;
    /// returns how many were still there.
    pub async fn destroy_results(&self, ids: Vec<ResultId>) -> Result<usize, Error> {
        let Some(store) = self.results() else {
            return Ok(0);
        };
        tokio::task::spawn_blocking(move || ids.iter().filter(|id| store.destroy(id)).count())
            .await
            .map_err(|err| Error::Internal(format!("a blocking task failed: {err}")))
    }

    /// Attaches the cutout service to this state and every clone of it; `false` if one was already
    /// attached (the first stays).
    pub fn set_cutouts(&self, cutouts: CutoutService) -> bool {
        self.cutouts
            .set(Arc::new(cutouts.with_metrics(self.metrics.clone())))
            .is_ok()
    }

    /// The cutout service, once the model has loaded.
    pub fn cutouts(&self) -> Option<Arc<CutoutService>> {
        self.cutouts.get().cloned()
    }
}
