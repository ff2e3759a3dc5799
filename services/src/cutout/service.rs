//! One cutout, end to end (DESIGN.md): a place in the inference queue (taken before the upload is
//! read) → bytes in memory → a processing slot → decode within limits → mask → compose → encode →
//! sealed in the result store under a fresh key. A mask without a subject ends it early
//! ([`Error::NoSubject`]): nothing is composed or stored.
//!
//! Memory is bounded twice: the queue's places bound how many uploads are held at once (each within
//! the byte limit), and the processing slots (one per model instance, plus one so decoding and
//! encoding overlap inference) bound how many are decoded to pixels at once, so N concurrent 50 MP
//! uploads never decode N images together. Everything CPU-heavy runs on blocking threads or the
//! inference workers, never on the runtime.
//!
//! Each step runs in a `tracing` span named for it — `decode`, `subject`, `compose`, `encode`,
//! `seal`, and the engine's `resize_in`, `inference`, `resize_out` (see
//! `segmentation::pipeline`) — which `imgigo-pipeline-bench` times.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use image::imageops::{self, FilterType};
use image::{GrayImage, RgbImage};
use zeroize::{Zeroize, Zeroizing};

use super::compose::{Background, Finish, Region, compose};
use super::layout::Roi;
use super::output::{Encoded, OutputFormat, encode_composed};
use super::queue::{InferenceQueue, Pixels, Place, QueueLimits, Segment};
use super::subject;
use super::upload::{self, UploadLimits};
use super::{Engine, ModelSize, guided};
use crate::Error;
use crate::clock::Clock;
use crate::config::Config;
use crate::results::{Opened, RESULT_TTL, ResultId, ResultKey, ResultStore, StoreLimits};

/// What the caller wants made of the photo.
#[derive(Clone, Debug)]
pub struct CutoutRequest {
    pub size: ModelSize,
    pub format: OutputFormat,
    pub background: BackgroundRequest,
    /// Only what lies inside can be the subject (remove.bg's `roi`).
    pub roi: Option<Roi>,
    /// Crop, placement, outline and shadow.
    pub finish: Finish,
    /// Refine the mask's edges with the photo ([`guided`], the fast guided filter): an option,
    /// off by default (measured, it does not help on the evaluation set; see the README).
    pub guided: bool,
    /// Scale the result down to at most this many pixels (remove.bg's `preview`, `hd`, …).
    pub max_pixels: Option<u64>,
}

/// [`Background`], with an image still as uploaded bytes (decoded under the same limits).
#[derive(Clone, Debug)]
pub enum BackgroundRequest {
    Transparent,
    /// Red, green, blue and alpha: a colour below 255 leaves the result partly transparent.
    Color([u8; 4]),
    Image(Arc<Zeroizing<Vec<u8>>>),
    Blur,
}

/// A finished cutout: the bytes to send now and the link to fetch them again.
pub struct Cutout {
    pub encoded: Encoded,
    pub width: u32,
    pub height: u32,
    pub foreground: Region,
    pub id: ResultId,
    pub key: ResultKey,
    pub expires_at: DateTime<Utc>,
}

pub struct CutoutService {
    queue: InferenceQueue,
    /// Decoding, composing and encoding, a few at a time (see the module comment).
    processing: Arc<tokio::sync::Semaphore>,
    results: Arc<ResultStore>,
    clock: Arc<dyn Clock>,
    pub limits: UploadLimits,
    /// Where each stage's time goes (`/metrics`), when the service runs in a server.
    metrics: Option<Arc<crate::metrics::Metrics>>,
}

/// Times one stage into `metrics`, if any.
fn timed<T>(
    metrics: Option<&crate::metrics::Metrics>,
    stage: &'static str,
    work: impl FnOnce() -> T,
) -> T {
    let started = std::time::Instant::now();
    let result = work();
    if let Some(metrics) = metrics {
        metrics.stage(stage, started.elapsed().as_secs_f64());
    }
    result
}

impl CutoutService {
    /// Loads the model onto `device` and starts its worker, storing results in `results` (the
    /// store the application state opened at start, independent of the model).
    pub fn start(
        config: &Config,
        device: &segmentation::device::SelectedDevice,
        results: Arc<ResultStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, Error> {
        let engine = Engine::load(&config.model_file, device)?;
        Self::serving(vec![engine], config, results, clock)
    }

    /// Any mask makers (the fake engine of `imgigo-fake`) with the configured limits.
    pub fn serving<S: Segment>(
        instances: Vec<S>,
        config: &Config,
        results: Arc<ResultStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, Error> {
        let queue = QueueLimits {
            waiting: config.queue_waiting,
            deadline: config.queue_deadline,
        };
        Ok(Self::with_store(instances, queue, results, clock)?.with_upload_limits(config.upload))
    }

    /// The same with any mask makers (tests use a small random-weight model) and limits, opening a
    /// result store of its own in `results_dir`.
    pub fn with_instances<S: Segment>(
        instances: Vec<S>,
        queue_limits: QueueLimits,
        results_dir: &Path,
        store_limits: StoreLimits,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, Error> {
        let results = Arc::new(ResultStore::open(results_dir, store_limits, clock.clone())?);
        Self::with_store(instances, queue_limits, results, clock)
    }

    /// Any mask makers, storing into `results`.
    pub fn with_store<S: Segment>(
        instances: Vec<S>,
        queue_limits: QueueLimits,
        results: Arc<ResultStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, Error> {
        let queue = InferenceQueue::start(instances, queue_limits)?;
        let slots = queue.workers() + 1;
        Ok(Self {
            queue,
            processing: Arc::new(tokio::sync::Semaphore::new(slots)),
            results,
            clock,
            limits: UploadLimits::default(),
            metrics: None,
        })
    }

    /// Records each cutout's stage times in `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<crate::metrics::Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    pub fn with_upload_limits(mut self, limits: UploadLimits) -> Self {
        self.limits = limits;
        self
    }

    pub fn queue(&self) -> &InferenceQueue {
        &self.queue
    }

    pub fn results(&self) -> &Arc<ResultStore> {
        &self.results
    }

    /// A place in the queue for one cutout; `Busy` (503 with `Retry-After`) when it is full. Take it
    /// before reading the upload.
    pub fn reserve(&self) -> Result<Place, Error> {
        self.queue.reserve()
    }

    /// Runs one cutout in `place`. The upload's bytes and pixels are wiped when this returns.
    pub async fn cut(
        &self,
        place: Place,
        bytes: Zeroizing<Vec<u8>>,
        request: CutoutRequest,
    ) -> Result<Cutout, Error> {
        let limits = self.limits;
        let Ok(Ok(_slot)) = tokio::time::timeout(
            self.queue.deadline(),
            self.processing.clone().acquire_owned(),
        )
        .await
        else {
            return Err(Error::Unavailable("segmentation model"));
        };
        // The closure owns the upload: its bytes are wiped as soon as decoding ends.
        let metrics = self.metrics.clone();
        let stage_metrics = metrics.clone();
        let photo = blocking(move || {
            let _stage = tracing::info_span!("decode").entered();
            timed(stage_metrics.as_deref(), "decode", || {
                upload::decode(&bytes, &limits)
            })
        })
        .await??;
        let background = match &request.background {
            BackgroundRequest::Transparent => Background::Transparent,
            BackgroundRequest::Color(color) => Background::Color(*color),
            BackgroundRequest::Blur => Background::Blur(0.02),
            BackgroundRequest::Image(image) => {
                let image = image.clone();
                let picture = blocking(move || {
                    let _stage = tracing::info_span!("decode_background").entered();
                    upload::decode(&image, &limits)
                })
                .await??;
                Background::Image(picture.rgb().clone())
            }
        };
        let photo = Arc::new(photo);
        let pixels: Arc<dyn Pixels> = photo.clone();
        let started = std::time::Instant::now();
        let mut mask = self.queue.mask(&place, pixels, request.size).await?;
        if let Some(metrics) = &metrics {
            metrics.stage("inference", started.elapsed().as_secs_f64());
        }
        if let Some(roi) = request.roi {
            roi.apply(&mut mask)?;
        }
        // Nothing to cut out: refused before anything is composed or stored.
        if !tracing::info_span!("subject").in_scope(|| subject::has_subject(&mask)) {
            return Err(Error::NoSubject);
        }
        let (format, finish, max_pixels) = (request.format, request.finish, request.max_pixels);
        let guided = request.guided;
        let store = self.results.clone();
        // Compose, encode and seal in one blocking step, sealing the encoded bytes in place.
        let (encoded, width, height, foreground, (id, key)) = blocking(move || {
            let metrics = metrics.as_deref();
            let mask = if guided {
                tracing::info_span!("guided").in_scope(|| {
                    timed(metrics, "refine", || {
                        guided::refine(photo.rgb(), &mask, guided::RADIUS, guided::EPSILON)
                    })
                })
            } else {
                mask
            };
            let composed = tracing::info_span!("compose").in_scope(|| {
                timed(metrics, "compose", || {
                    match scaled(photo.rgb(), &mask, max_pixels) {
                        Some((mut small, small_mask)) => {
                            let composed = compose(&small, small_mask, &background, &finish);
                            small.as_mut().zeroize();
                            composed
                        }
                        None => compose(photo.rgb(), mask, &background, &finish),
                    }
                })
            });
            let (width, height) = composed.rgba.dimensions();
            let (encoded, sealed) = timed(metrics, "encode", || {
                let encoded = tracing::info_span!("encode")
                    .in_scope(|| encode_composed(&composed, format))?;
                let sealed = tracing::info_span!("seal")
                    .in_scope(|| store.put(encoded.content_type, &encoded.bytes))?;
                Ok::<_, Error>((encoded, sealed))
            })?;
            Ok::<_, Error>((encoded, width, height, composed.foreground, sealed))
        })
        .await??;
        drop(place);
        Ok(Cutout {
            encoded,
            width,
            height,
            foreground,
            id,
            key,
            expires_at: self.clock.now() + RESULT_TTL,
        })
    }

    /// A stored result (`NotFound` for an unknown id, a wrong key or an expired result).
    pub async fn fetch(&self, id: ResultId, key: ResultKey) -> Result<Opened, Error> {
        let store = self.results.clone();
        blocking(move || store.get(&id, &key)).await?
    }

    /// Deletes a stored result early (the key must open it).
    pub async fn delete(&self, id: ResultId, key: ResultKey) -> Result<(), Error> {
        let store = self.results.clone();
        blocking(move || store.delete(&id, &key)).await?
    }

    /// Destroys results without their keys (an account's, when it is deleted); returns how many
    /// were still there.
    pub async fn destroy(&self, ids: Vec<ResultId>) -> Result<usize, Error> {
        let store = self.results.clone();
        blocking(move || ids.iter().filter(|id| store.destroy(id)).count()).await
    }

    /// Destroys expired results; the janitor calls this periodically.
    pub async fn purge_expired(&self) -> Result<usize, Error> {
        let store = self.results.clone();
        blocking(move || store.purge_expired()).await
    }
}

/// Photo and mask scaled down to `max_pixels`, or `None` when they are within it already.
fn scaled(
    photo: &RgbImage,
    mask: &GrayImage,
    max_pixels: Option<u64>,
) -> Option<(RgbImage, GrayImage)> {
    let (width, height) = photo.dimensions();
    let pixels = u64::from(width) * u64::from(height);
    let max = max_pixels?.max(1);
    if pixels <= max {
        return None;
    }
    let scale = (max as f64 / pixels as f64).sqrt();
    let (w, h) = (
        ((f64::from(width) * scale).floor() as u32).max(1),
        ((f64::from(height) * scale).floor() as u32).max(1),
    );
    Some((
        imageops::resize(photo, w, h, FilterType::Triangle),
        imageops::resize(mask, w, h, FilterType::Triangle),
    ))
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| Error::Internal(format!("a blocking task failed: {err}")))
}
