//! The inference queue: one worker thread per model instance (one instance per device), a bounded
//! number of places, a deadline per request.
//!
//! Inference takes a second or more of every CPU core (or the GPU) and blocks, so it never runs on
//! the async runtime. A request first takes a [`Place`] ([`InferenceQueue::reserve`]) — before its
//! body is even read, so a full queue costs nothing — and holds it until its answer is built; the
//! workers take jobs in order. A full queue answers [`Error::Busy`] at once, with a retry hint from
//! the measured inference time. A request whose client went away (its future dropped) gives its
//! place back at once, and a worker skips its job; so does a job whose deadline passed while it
//! waited.
//!
//! Supervision: a worker that panics on one image answers that request with an internal error and
//! goes on with the next (the weights are read-only, so nothing is left half-changed); a mask of
//! the wrong size is an error too, never a result.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use image::{GrayImage, RgbImage};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use super::{Engine, ModelSize};
use crate::Error;

/// What a worker runs: the model, or in tests anything that makes a mask.
pub trait Segment: Send + 'static {
    fn mask(&self, image: &RgbImage, size: ModelSize) -> Result<GrayImage, Error>;
}

impl Segment for Engine {
    fn mask(&self, image: &RgbImage, size: ModelSize) -> Result<GrayImage, Error> {
        Engine::mask(self, image, size)
    }
}

/// Anything that holds upright RGB pixels (an upload's `Photo`, or a plain image in tests).
pub trait Pixels: Send + Sync + 'static {
    fn rgb(&self) -> &RgbImage;
}

impl Pixels for RgbImage {
    fn rgb(&self) -> &RgbImage {
        self
    }
}

impl Pixels for super::upload::Photo {
    fn rgb(&self) -> &RgbImage {
        super::upload::Photo::rgb(self)
    }
}

struct Job {
    image: Arc<dyn Pixels>,
    size: ModelSize,
    deadline: Instant,
    reply: oneshot::Sender<Result<GrayImage, Error>>,
}

#[derive(Clone, Copy, Debug)]
pub struct QueueLimits {
    /// Requests that may wait beyond those being computed (default 8).
    pub waiting: usize,
    /// How long a request may wait and run in total (default 60 s).
    pub deadline: Duration,
}

impl Default for QueueLimits {
    fn default() -> Self {
        Self {
            waiting: 8,
            deadline: Duration::from_secs(60),
        }
    }
}

/// A place in the queue, held from before the upload is read until its answer is built. Dropping
/// it (the request ended, or its client left) frees the place.
pub struct Place {
    _permit: OwnedSemaphorePermit,
}

/// The queue and its workers; clone it freely. Workers stop when the last clone is dropped.
#[derive(Clone)]
pub struct InferenceQueue {
    jobs: mpsc::Sender<Job>,
    places: Arc<Semaphore>,
    workers: usize,
    limits: QueueLimits,
    /// Moving average of one inference, in milliseconds (for `Retry-After`).
    average_ms: Arc<AtomicU64>,
    /// Panics caught in the workers since start (each failed one request only).
    panics: Arc<AtomicU64>,
}

impl InferenceQueue {
    /// Starts one named thread per instance in `instances`.
    pub fn start<S: Segment>(instances: Vec<S>, limits: QueueLimits) -> Result<Self, Error> {
        let workers = instances.len();
        if workers == 0 {
            return Err(Error::Internal("an inference queue needs a model".into()));
        }
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let average_ms = Arc::new(AtomicU64::new(2000));
        let panics = Arc::new(AtomicU64::new(0));
        for (index, instance) in instances.into_iter().enumerate() {
            let queue = queue.clone();
            let average_ms = average_ms.clone();
            let panics = panics.clone();
            thread::Builder::new()
                .name(format!("imgigo-inference-{index}"))
                .spawn(move || work(&instance, &queue, &average_ms, &panics))
                .map_err(|err| Error::Internal(format!("cannot start a worker: {err}")))?;
        }
        let places = workers
            .checked_add(limits.waiting)
            .filter(|places| *places <= Semaphore::MAX_PERMITS)
            .ok_or_else(|| Error::Internal("the queue is larger than a semaphore holds".into()))?;
        Ok(Self {
            jobs,
            places: Arc::new(Semaphore::new(places)),
            workers,
            limits,
            average_ms,
            panics,
        })
    }

    /// A place in the queue, or `Busy` (with a retry hint) when every place is taken.
    pub fn reserve(&self) -> Result<Place, Error> {
        match self.places.clone().try_acquire_owned() {
            Ok(permit) => Ok(Place { _permit: permit }),
            Err(_) => Err(Error::Busy {
                retry_after: self.retry_after(),
            }),
        }
    }

    /// The alpha mask of `image` at its own size, for the holder of `place`. `Unavailable` when the
    /// deadline passes first, `Internal` when the model failed on this image.
    pub async fn mask(
        &self,
        _place: &Place,
        image: Arc<dyn Pixels>,
        size: ModelSize,
    ) -> Result<GrayImage, Error> {
        let deadline = Instant::now() + self.limits.deadline;
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                image,
                size,
                deadline,
                reply,
            })
            .map_err(|_| Error::Unavailable("segmentation model"))?;
        match tokio::time::timeout(self.limits.deadline, answer).await {
            Ok(Ok(mask)) => mask,
            Ok(Err(_)) | Err(_) => Err(Error::Unavailable("segmentation model")),
        }
    }

    /// Seconds until a place is likely free: the queue's length in inference times, at least 1.
    pub fn retry_after(&self) -> u64 {
        let average = self.average_ms.load(Ordering::Relaxed) as f64 / 1000.0;
        let rounds = (self.limits.waiting as f64 / self.workers as f64).max(1.0);
        (average * rounds).ceil().max(1.0) as u64
    }

    /// Requests holding a place (being computed, waiting, or still uploading).
    pub fn in_use(&self) -> usize {
        self.workers + self.limits.waiting - self.places.available_permits()
    }

    /// How many requests may hold a place at once (running and waiting).
    pub fn capacity(&self) -> usize {
        self.workers + self.limits.waiting
    }

    /// How many model instances run.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// How long a request may wait for and run inference.
    pub fn deadline(&self) -> Duration {
        self.limits.deadline
    }

    /// Panics caught in the workers since start.
    pub fn panics(&self) -> u64 {
        self.panics.load(Ordering::Relaxed)
    }
}

fn work(
    instance: &dyn Segment,
    queue: &Mutex<mpsc::Receiver<Job>>,
    average_ms: &AtomicU64,
    panics: &AtomicU64,
) {
    loop {
        let job = {
            let Ok(queue) = queue.lock() else { return };
            match queue.recv() {
                Ok(job) => job,
                Err(_) => return, // every handle dropped
            }
        };
        if job.reply.is_closed() || Instant::now() >= job.deadline {
            continue; // the client left, or gave up waiting
        }
        let started = Instant::now();
        let image = job.image.rgb();
        let answer = match catch_unwind(AssertUnwindSafe(|| instance.mask(image, job.size))) {
            Ok(Ok(mask)) if mask.dimensions() == image.dimensions() => Ok(mask),
            Ok(Ok(_)) => {
                tracing::error!("the model returned a mask of the wrong size");
                Err(Error::Internal(
                    "the model's mask has the wrong size".into(),
                ))
            }
            Ok(Err(err)) => {
                tracing::error!(error = %err, "the model failed on an image");
                Err(err)
            }
            Err(_) => {
                panics.fetch_add(1, Ordering::Relaxed);
                tracing::error!("an inference worker panicked; it goes on with the next request");
                Err(Error::Internal("the model failed on this image".into()))
            }
        };
        let took = started.elapsed().as_millis() as u64;
        let previous = average_ms.load(Ordering::Relaxed);
        average_ms.store((previous * 3 + took) / 4, Ordering::Relaxed);
        let _ = job.reply.send(answer);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    /// Makes a mask only when the test lets it (one `()` per job), counting what it ran.
    struct Gate {
        open: Mutex<mpsc::Receiver<()>>,
        ran: Arc<AtomicUsize>,
    }

    impl Segment for Gate {
        fn mask(&self, image: &RgbImage, _: ModelSize) -> Result<GrayImage, Error> {
            if let Ok(open) = self.open.lock() {
                let _ = open.recv();
            }
            self.ran.fetch_add(1, Ordering::SeqCst);
            Ok(GrayImage::new(image.width(), image.height()))
        }
    }

    fn gated(limits: QueueLimits) -> (InferenceQueue, mpsc::Sender<()>, Arc<AtomicUsize>) {
        let (release, open) = mpsc::channel();
        let ran = Arc::new(AtomicUsize::new(0));
        let gate = Gate {
            open: Mutex::new(open),
            ran: ran.clone(),
        };
        (
            InferenceQueue::start(vec![gate], limits).expect("start"),
            release,
            ran,
        )
    }

    fn photo(width: u32, height: u32) -> Arc<dyn Pixels> {
        Arc::new(RgbImage::new(width, height))
    }

    fn size() -> ModelSize {
        ModelSize::new(256).expect("size")
    }

    /// A place, then the mask: what a request does.
    async fn run(
        queue: &InferenceQueue,
        image: Arc<dyn Pixels>,
        size: ModelSize,
    ) -> Result<GrayImage, Error> {
        let place = queue.reserve()?;
        queue.mask(&place, image, size).await
    }

    /// Panics on images 13 pixels wide, answers a wrong-sized mask for 17, else a proper one.
    struct Flaky;

    impl Segment for Flaky {
        fn mask(&self, image: &RgbImage, _: ModelSize) -> Result<GrayImage, Error> {
            match image.width() {
                13 => panic!("a bug in the model"),
                17 => Ok(GrayImage::new(1, 1)),
                _ => Ok(GrayImage::new(image.width(), image.height())),
            }
        }
    }

    #[tokio::test]
    async fn a_panicking_worker_fails_that_request_only_and_keeps_serving() {
        let queue = InferenceQueue::start(vec![Flaky], QueueLimits::default()).expect("start");
        let failed = run(&queue, photo(13, 2), size()).await;
        assert!(
            matches!(failed, Err(Error::Internal(_))),
            "the panic is an error"
        );
        assert_eq!(queue.panics(), 1);
        let wrong = run(&queue, photo(17, 2), size()).await;
        assert!(
            matches!(wrong, Err(Error::Internal(_))),
            "a wrong-sized mask is an error"
        );
        let next = run(&queue, photo(5, 3), size())
            .await
            .expect("the next one works");
        assert_eq!(next.dimensions(), (5, 3));
        assert_eq!(queue.in_use(), 0, "every place came back");
    }

    async fn settle() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy_with_a_retry_hint_and_frees_up_after() {
        let limits = QueueLimits {
            waiting: 1,
            ..QueueLimits::default()
        };
        let (queue, release, _) = gated(limits);
        let first = tokio::spawn({
            let queue = queue.clone();
            async move { run(&queue, photo(3, 2), size()).await }
        });
        let second = tokio::spawn({
            let queue = queue.clone();
            async move { run(&queue, photo(5, 4), size()).await }
        });
        settle().await;
        assert_eq!(queue.in_use(), 2, "one computing, one waiting");
        match run(&queue, photo(1, 1), size()).await {
            Err(Error::Busy { retry_after }) => assert!(retry_after >= 1),
            other => panic!("expected Busy, got {:?}", other.map(|m| m.dimensions())),
        }
        release.send(()).expect("release");
        release.send(()).expect("release");
        assert_eq!(
            first.await.expect("join").expect("mask").dimensions(),
            (3, 2)
        );
        assert_eq!(
            second.await.expect("join").expect("mask").dimensions(),
            (5, 4)
        );
        assert_eq!(queue.in_use(), 0);
        release.send(()).expect("release");
        assert!(run(&queue, photo(1, 1), size()).await.is_ok(), "room again");
    }

    #[tokio::test]
    async fn a_client_that_leaves_frees_its_place_and_its_job_is_skipped() {
        let limits = QueueLimits {
            waiting: 1,
            ..QueueLimits::default()
        };
        let (queue, release, ran) = gated(limits);
        let running = tokio::spawn({
            let queue = queue.clone();
            async move { run(&queue, photo(2, 2), size()).await }
        });
        let leaving = tokio::spawn({
            let queue = queue.clone();
            async move { run(&queue, photo(2, 2), size()).await }
        });
        settle().await;
        assert_eq!(queue.in_use(), 2);
        leaving.abort(); // the connection closed
        settle().await;
        assert_eq!(queue.in_use(), 1, "the place came back at once");
        let staying = tokio::spawn({
            let queue = queue.clone();
            async move { run(&queue, photo(7, 7), size()).await }
        });
        settle().await;
        release.send(()).expect("release");
        release.send(()).expect("release");
        assert!(running.await.expect("join").is_ok());
        assert_eq!(
            staying.await.expect("join").expect("mask").dimensions(),
            (7, 7)
        );
        assert_eq!(ran.load(Ordering::SeqCst), 2, "the abandoned job never ran");
    }

    #[tokio::test]
    async fn a_request_past_its_deadline_is_unavailable_and_never_runs() {
        let limits = QueueLimits {
            waiting: 2,
            deadline: Duration::from_millis(100),
        };
        let (queue, release, ran) = gated(limits);
        let blocked = tokio::spawn({
            let queue = queue.clone();
            async move { run(&queue, photo(2, 2), size()).await }
        });
        settle().await;
        let late = run(&queue, photo(2, 2), size()).await;
        assert!(matches!(late, Err(Error::Unavailable(_))));
        // The first job also ran past its deadline; release it, then one more gate for safety.
        release.send(()).expect("release");
        let _ = blocked.await;
        settle().await;
        assert_eq!(ran.load(Ordering::SeqCst), 1, "the expired job was skipped");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_real_engine_runs_off_the_runtime() {
        use segmentation::{IsNetConfig, Segmenter, device};
        let cpu = device::cpu();
        let model = IsNetConfig::tiny().init(&cpu.device);
        let engine = Engine::from_segmenter(Segmenter::new(model, cpu.device));
        let queue = InferenceQueue::start(vec![engine], QueueLimits::default()).expect("start");
        let ticks = Arc::new(AtomicUsize::new(0));
        let ticker = tokio::spawn({
            let ticks = ticks.clone();
            async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    ticks.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        let mask = run(&queue, photo(300, 200), size()).await.expect("mask");
        ticker.abort();
        assert_eq!(mask.dimensions(), (300, 200));
        // On a single-threaded runtime the ticker only advanced if inference ran elsewhere.
        assert!(
            ticks.load(Ordering::Relaxed) > 0,
            "the async runtime was blocked"
        );
    }
}
