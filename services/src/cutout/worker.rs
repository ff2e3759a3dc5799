//! The inference worker: one [`Engine`] per device, on its own OS thread, fed through a queue.
//!
//! Inference takes a second or more of all the CPU cores (or the GPU) and blocks; the async
//! runtime must never run it. Handlers send a job and await the answer; the worker runs jobs one
//! at a time, which is also what the device can do well (the CPU path already uses every core).

use std::sync::mpsc;
use std::thread;

use image::{GrayImage, RgbImage};
use tokio::sync::oneshot;

use super::{Engine, ModelSize};
use crate::Error;

struct Job {
    image: RgbImage,
    size: ModelSize,
    reply: oneshot::Sender<GrayImage>,
}

/// A handle to the worker thread; clone it freely. The thread ends when the last handle is dropped.
#[derive(Clone)]
pub struct Worker {
    jobs: mpsc::Sender<Job>,
}

impl Worker {
    /// Starts the thread that owns `engine`. `name` labels the thread (for logs and profilers).
    pub fn start(engine: Engine, name: &str) -> Result<Self, Error> {
        let (jobs, queue) = mpsc::channel::<Job>();
        thread::Builder::new()
            .name(format!("imgigo-inference-{name}"))
            .spawn(move || {
                for job in queue {
                    let mask = engine.mask(&job.image, job.size);
                    // The requester may have gone away (a closed connection): nothing to do.
                    let _ = job.reply.send(mask);
                }
            })
            .map_err(|err| Error::Internal(format!("cannot start the inference thread: {err}")))?;
        Ok(Self { jobs })
    }

    /// The alpha mask of `image` at its own size, computed on the worker's device.
    pub async fn mask(&self, image: RgbImage, size: ModelSize) -> Result<GrayImage, Error> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { image, size, reply })
            .map_err(|_| Error::Unavailable("segmentation model"))?;
        answer
            .await
            .map_err(|_| Error::Unavailable("segmentation model"))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use segmentation::device;
    use segmentation::{IsNetConfig, Segmenter};

    use super::*;

    fn tiny_worker() -> Worker {
        let device = device::cpu();
        let model = IsNetConfig::tiny().init(&device.device);
        let engine = Engine::from_segmenter(Segmenter::new(model, device.device));
        Worker::start(engine, "test").expect("thread")
    }

    fn photo(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x * 7) as u8, (y * 5) as u8, ((x + y) * 3) as u8])
        })
    }

    #[tokio::test(flavor = "current_thread")]
    async fn masks_come_back_at_each_photos_size_while_the_runtime_stays_free() {
        let worker = tiny_worker();
        let ticks = Arc::new(AtomicUsize::new(0));
        let ticker = {
            let ticks = ticks.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    ticks.fetch_add(1, Ordering::Relaxed);
                }
            })
        };
        let size = ModelSize::new(256).expect("size");
        let other = worker.clone();
        let (a, b) = tokio::join!(
            worker.mask(photo(300, 200), size),
            other.mask(photo(64, 97), size)
        );
        ticker.abort();
        let (a, b) = (a.expect("mask a"), b.expect("mask b"));
        assert_eq!(a.dimensions(), (300, 200));
        assert_eq!(b.dimensions(), (64, 97));
        // On a single-threaded runtime the ticker only advanced if inference ran elsewhere.
        assert!(
            ticks.load(Ordering::Relaxed) > 0,
            "the async runtime was blocked by inference"
        );
    }
}
