//! Per-layer timing for the benchmark: [`record`] runs a closure and returns how long each 3×3
//! Conv+ReLU inside it took, in execution order. Off (one thread-local check per layer) otherwise.
//! Timings are only meaningful on a synchronous backend (Flex).

use std::cell::RefCell;
use std::time::Instant;

/// One convolution's shape and time.
#[derive(Clone, Debug)]
pub struct LayerTiming {
    pub in_channels: usize,
    pub out_channels: usize,
    pub dilation: usize,
    pub height: usize,
    pub width: usize,
    pub seconds: f64,
    /// CPU time of all the process's threads during the layer (Linux; `None` elsewhere). On a
    /// machine shared with other jobs it moves far less than `seconds`.
    pub cpu_seconds: Option<f64>,
}

impl LayerTiming {
    /// Multiply-adds × 2 of the direct 3×3 convolution.
    pub fn flops(&self) -> f64 {
        2.0 * 9.0 * (self.in_channels * self.out_channels * self.height * self.width) as f64
    }
}

thread_local! {
    static LAYERS: RefCell<Option<Vec<LayerTiming>>> = const { RefCell::new(None) };
}

/// Runs `f` with per-layer timing on for this thread.
pub fn record<R>(f: impl FnOnce() -> R) -> (R, Vec<LayerTiming>) {
    LAYERS.with(|layers| *layers.borrow_mut() = Some(Vec::new()));
    let result = f();
    let layers = LAYERS
        .with(|layers| layers.borrow_mut().take())
        .unwrap_or_default();
    (result, layers)
}

/// Times `run` as one layer when recording.
pub(crate) fn layer<R>(shape: [usize; 5], run: impl FnOnce() -> R) -> R {
    if !LAYERS.with(|layers| layers.borrow().is_some()) {
        return run();
    }
    let cpu_before = process_cpu_seconds();
    let started = Instant::now();
    let result = run();
    let seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = process_cpu_seconds()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    let [in_channels, out_channels, dilation, height, width] = shape;
    LAYERS.with(|layers| {
        if let Some(layers) = layers.borrow_mut().as_mut() {
            layers.push(LayerTiming {
                in_channels,
                out_channels,
                dilation,
                height,
                width,
                seconds,
                cpu_seconds,
            });
        }
    });
    result
}

/// Time on the CPU of every thread of this process so far, in nanoseconds' precision: the first
/// field of each `/proc/self/task/*/schedstat` (Linux).
pub fn process_cpu_seconds() -> Option<f64> {
    let mut nanos = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let Ok(task) = task else { continue };
        // A thread may end between the listing and the read: it then counts as zero.
        if let Ok(stat) = std::fs::read_to_string(task.path().join("schedstat")) {
            nanos += stat
                .split_whitespace()
                .next()
                .and_then(|field| field.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Some(nanos as f64 / 1e9)
}
