//! `imgigo-pipeline-bench [--engine model|random|fake] [--model FILE] [--device auto|cpu|gpu]
//! [--runs N] [--width 4000] [--height 3000] [--image FILE] [--formats png,webp,jpg]
//! [--background transparent|color|blur]`: issue 16's check that the per-request path around the
//! network stays ≤ 15 % of inference at 12 MP. Not a timed test: it prints, it asserts nothing.
//!
//! Each run is one [`CutoutService::cut`], the call the REST API and the pages make (decode, queue,
//! inference, compose, encode, seal), on a 12 MP JPEG: the reference astronaut scaled to
//! 4000×3000 with a fixed pseudo-random grain (a camera's noise, so the codecs do a photo's work),
//! or `--image FILE` sent as it is. The stages are timed by the `tracing` spans the service and
//! the segmentation pipeline open around each step; after one warm-up, the median of N runs per
//! stage and output format is printed, with the time outside inference (the whole call minus
//! inference, so queue hand-offs and thread switches count too) as a share of inference.
//!
//! Engines: `model` (default) is the real network with the converted weights (`make weights`);
//! `random` is the same network with random weights — the same arithmetic, so inference takes as
//! long, but its mask is noise; `fake` is the test engine's ellipse, for stage timing when neither
//! matters. Only `model` answers the issue. Build it optimised: `make bench-pipeline`, or
//! `cargo run --profile reference -p services --bin imgigo-pipeline-bench -- FLAGS`.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use image::imageops::FilterType;
use image::{ExtendedColorType, GrayImage, ImageEncoder, RgbImage};
use segmentation::device::{self, DeviceRequest, SelectedDevice};
use segmentation::{IsNetConfig, Segmenter};
use services::clock::SystemClock;
use services::cutout::fake::FakeEngine;
use services::cutout::queue::Segment;
use services::cutout::{
    BackgroundRequest, CutoutRequest, CutoutService, Engine, ModelSize, OutputFormat, QueueLimits,
};
use services::results::StoreLimits;
use tracing::span;
use tracing::subscriber::Subscriber;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use zeroize::Zeroizing;

/// The spans timed, in the order a request passes them.
const STAGES: [&str; 9] = [
    "decode",
    "resize_in",
    "inference",
    "resize_out",
    "solid",
    "subject",
    "compose",
    "encode",
    "seal",
];

/// Parts of `compose`, shown under it (its time includes theirs).
const COMPOSE_PARTS: [&str; 2] = ["foreground", "backdrop"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum EngineKind {
    Model,
    Random,
    Fake,
}

struct Args {
    engine: EngineKind,
    model: PathBuf,
    device: DeviceRequest,
    runs: usize,
    width: u32,
    height: u32,
    image: Option<PathBuf>,
    formats: Vec<OutputFormat>,
    background: BackgroundRequest,
}

fn parse_args() -> Result<Args, String> {
    let home = std::env::var("HOME").unwrap_or_else(|_| ".".into());
    let mut args = Args {
        engine: EngineKind::Model,
        model: std::env::var("IMGIGO_MODEL_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|_| {
                PathBuf::from(home).join(".cache/imgigo/models/isnet-dis-imgly-1.4.5.bpk")
            }),
        device: DeviceRequest::Cpu,
        runs: 5,
        width: 4000,
        height: 3000,
        image: None,
        formats: vec![OutputFormat::Png, OutputFormat::Webp, OutputFormat::Jpeg],
        background: BackgroundRequest::Transparent,
    };
    let number = |flag: &str, value: &str| {
        value
            .parse::<u32>()
            .map_err(|_| format!("{flag} takes a number"))
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--engine" => {
                args.engine = match value.as_str() {
                    "model" => EngineKind::Model,
                    "random" => EngineKind::Random,
                    "fake" => EngineKind::Fake,
                    _ => return Err("--engine takes model, random or fake".into()),
                }
            }
            "--model" => args.model = value.into(),
            "--device" => args.device = value.parse().map_err(|e| format!("--device: {e}"))?,
            "--runs" => args.runs = number(&flag, &value)?.max(1) as usize,
            "--width" => args.width = number(&flag, &value)?.max(1),
            "--height" => args.height = number(&flag, &value)?.max(1),
            "--image" => args.image = Some(value.into()),
            "--formats" => {
                args.formats = value
                    .split(',')
                    .map(|name| OutputFormat::parse(name.trim()).map_err(|e| e.to_string()))
                    .collect::<Result<_, _>>()?;
            }
            "--background" => {
                args.background = match value.as_str() {
                    "transparent" => BackgroundRequest::Transparent,
                    "color" => BackgroundRequest::Color([30, 120, 200, 255]),
                    "blur" => BackgroundRequest::Blur,
                    _ => return Err("--background takes transparent, color or blur".into()),
                }
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(args)
}

/// Wall time of each timed span, from creation to close, in the order they closed.
#[derive(Clone, Default)]
struct StageTimer {
    closed: Arc<Mutex<Vec<(&'static str, Duration)>>>,
}

struct Opened(Instant);

impl StageTimer {
    fn take(&self) -> Vec<(&'static str, Duration)> {
        self.closed
            .lock()
            .map(|mut closed| std::mem::take(&mut *closed))
            .unwrap_or_default()
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for StageTimer {
    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        let meta = attrs.metadata();
        let ours = meta.target().starts_with("services::cutout")
            || meta.target().starts_with("segmentation::pipeline");
        if ours
            && (STAGES.contains(&meta.name()) || COMPOSE_PARTS.contains(&meta.name()))
            && let Some(span) = ctx.span(id)
        {
            span.extensions_mut().insert(Opened(Instant::now()));
        }
    }

    fn on_close(&self, id: span::Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(Opened(started)) = span.extensions().get::<Opened>().map(|o| Opened(o.0)) else {
            return;
        };
        if let Ok(mut closed) = self.closed.lock() {
            closed.push((span.name(), started.elapsed()));
        }
    }
}

/// The test engine's ellipse, timed as `inference` like the real engine's forward pass.
struct TimedFake(FakeEngine);

impl Segment for TimedFake {
    fn mask(&self, image: &RgbImage, size: ModelSize) -> Result<GrayImage, services::Error> {
        tracing::info_span!(target: "services::cutout::fake", "inference")
            .in_scope(|| self.0.mask(image, size))
    }
}

fn main() {
    let result = parse_args().and_then(|args| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?
            .block_on(bench(args))
    });
    if let Err(err) = result {
        eprintln!("imgigo-pipeline-bench: {err}");
        std::process::exit(1);
    }
}

async fn bench(args: Args) -> Result<(), String> {
    let timer = StageTimer::default();
    let subscriber = tracing_subscriber::registry().with(timer.clone()).with(
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(tracing_subscriber::filter::LevelFilter::WARN),
    );
    tracing::subscriber::set_global_default(subscriber).map_err(|e| e.to_string())?;

    println!(
        "CPU: {} ({})",
        segmentation::cpu::cpu_model(),
        cpu_features()
    );
    println!(
        "threads: {}; load average before: {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average()
    );
    let (upload, width, height) = photo(&args)?;
    println!(
        "photo: {width}×{height} ({:.1} MP), {:.1} MB upload",
        f64::from(width) * f64::from(height) / 1e6,
        upload.len() as f64 / 1e6
    );

    let started = Instant::now();
    let (service, engine_name) = service(&args)?;
    println!(
        "engine: {engine_name}, ready in {:.2} s",
        started.elapsed().as_secs_f64()
    );

    let mut outcome = Ok(());
    for &format in &args.formats {
        outcome = run_format(&service, &timer, &upload, format, &args).await;
        if outcome.is_err() {
            break;
        }
    }
    let _ = std::fs::remove_dir_all(results_dir());
    outcome
}

async fn run_format(
    service: &CutoutService,
    timer: &StageTimer,
    upload: &[u8],
    format: OutputFormat,
    args: &Args,
) -> Result<(), String> {
    let load_before = load_average();
    let mut runs: Vec<HashMap<&'static str, f64>> = Vec::new();
    let mut result_bytes = 0;
    for run in 0..=args.runs {
        let request = CutoutRequest {
            size: ModelSize::FULL,
            format,
            background: args.background.clone(),
            roi: None,
            finish: Default::default(),
            guided: false,
            max_pixels: None,
        };
        let bytes = Zeroizing::new(upload.to_vec());
        timer.take();
        let place = service.reserve().map_err(|e| e.to_string())?;
        let started = Instant::now();
        let cutout = service
            .cut(place, bytes, request)
            .await
            .map_err(|e| format!("the cutout failed: {e}"))?;
        let total = started.elapsed();
        result_bytes = cutout.encoded.bytes.len();
        // Out of the store again, so results never spill to disk between runs.
        service
            .delete(cutout.id, cutout.key)
            .await
            .map_err(|e| e.to_string())?;
        if run == 0 {
            continue; // warm-up
        }
        let mut stages: HashMap<&'static str, f64> = HashMap::new();
        for (name, took) in timer.take() {
            *stages.entry(name).or_default() += took.as_secs_f64();
        }
        stages.insert("total", total.as_secs_f64());
        runs.push(stages);
    }
    let median_of = |name: &str| {
        median(
            runs.iter()
                .map(|run| run.get(name).copied().unwrap_or(0.0))
                .collect(),
        )
    };
    let inference = median_of("inference");
    let share = |seconds: f64| {
        if inference > 0.0 {
            format!("{:5.1} %", seconds / inference * 100.0)
        } else {
            "    –".into()
        }
    };
    println!();
    println!(
        "{} ({}), result {:.1} MB; median of {} runs; load average {} → {}",
        format.extension(),
        match args.background {
            BackgroundRequest::Transparent => "transparent",
            BackgroundRequest::Blur => "blurred background",
            _ => "colour background",
        },
        result_bytes as f64 / 1e6,
        args.runs,
        load_before,
        load_average()
    );
    println!("  {:<28} {:>9}  {:>9}", "stage", "ms", "÷ infer.");
    for stage in STAGES {
        let seconds = median_of(stage);
        println!(
            "  {:<28} {:>9.1}  {:>9}",
            stage,
            seconds * 1e3,
            if stage == "inference" {
                String::new()
            } else {
                share(seconds)
            }
        );
        if stage == "compose" {
            for part in COMPOSE_PARTS {
                let seconds = median_of(part);
                println!(
                    "  {:<28} {:>9.1}  {:>9}",
                    format!("  of which {part}"),
                    seconds * 1e3,
                    share(seconds)
                );
            }
        }
    }
    let other: Vec<f64> = runs
        .iter()
        .map(|run| {
            let timed: f64 = STAGES
                .iter()
                .map(|stage| run.get(stage).copied().unwrap_or(0.0))
                .sum();
            run.get("total").copied().unwrap_or(0.0) - timed
        })
        .collect();
    let other = median(other);
    println!(
        "  {:<28} {:>9.1}  {:>9}",
        "untimed (queue, threads)",
        other * 1e3,
        share(other)
    );
    let outside: Vec<f64> = runs
        .iter()
        .map(|run| {
            run.get("total").copied().unwrap_or(0.0) - run.get("inference").copied().unwrap_or(0.0)
        })
        .collect();
    let outside = median(outside);
    println!(
        "  {:<28} {:>9.1}  {:>9}",
        "total",
        median_of("total") * 1e3,
        ""
    );
    println!(
        "  outside inference: {:.1} ms = {} of inference (issue 16: ≤ 15 %)",
        outside * 1e3,
        share(outside).trim()
    );
    Ok(())
}

fn service(args: &Args) -> Result<(CutoutService, String), String> {
    let results = results_dir();
    let _ = std::fs::remove_dir_all(&results);
    let store = StoreLimits {
        ram_bytes: 1 << 30,
        ..StoreLimits::default()
    };
    let clock = Arc::new(SystemClock);
    let queue = QueueLimits::default();
    let selected = || -> Result<SelectedDevice, String> {
        device::select(args.device).map_err(|e| e.to_string())
    };
    let (service, name) = match args.engine {
        EngineKind::Model => {
            let device = selected()?;
            let engine = Engine::load(&args.model, &device).map_err(|e| {
                format!(
                    "{e}: no model at {} (run `make weights`, or pass --engine random)",
                    args.model.display()
                )
            })?;
            let name = format!("model on {} ({})", device.kind, device.name);
            (
                CutoutService::with_instances(vec![engine], queue, &results, store, clock),
                name,
            )
        }
        EngineKind::Random => {
            let device = selected()?;
            let model = IsNetConfig::dis().init(&device.device);
            let engine = Engine::from_segmenter(Segmenter::new(model, device.device.clone()));
            let name = format!(
                "random weights on {} ({}); its mask is noise",
                device.kind, device.name
            );
            (
                CutoutService::with_instances(vec![engine], queue, &results, store, clock),
                name,
            )
        }
        EngineKind::Fake => (
            CutoutService::with_instances(
                vec![TimedFake(FakeEngine::new())],
                queue,
                &results,
                store,
                clock,
            ),
            "fake (an ellipse; no network, no resizes)".to_string(),
        ),
    };
    Ok((service.map_err(|e| e.to_string())?, name))
}

fn results_dir() -> PathBuf {
    std::env::temp_dir().join(format!("imgigo-pipeline-bench-{}", std::process::id()))
}

/// The upload: `--image` as it is, or the astronaut at `--width`×`--height` with grain, as a
/// quality-90 JPEG.
fn photo(args: &Args) -> Result<(Vec<u8>, u32, u32), String> {
    if let Some(path) = &args.image {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let (width, height) = image::ImageReader::new(Cursor::new(&bytes))
            .with_guessed_format()
            .map_err(|e| e.to_string())?
            .into_dimensions()
            .map_err(|e| e.to_string())?;
        return Ok((bytes, width, height));
    }
    let source = image::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../segmentation/reference/inputs/astronaut.png"
    ))
    .map_err(|e| e.to_string())?
    .to_rgb8();
    let (width, height) = (args.width, args.height);
    let mut big = image::imageops::resize(&source, width, height, FilterType::Triangle);
    // xorshift32 from a fixed seed: the same grain (±8 per channel) on every run and machine.
    let mut state = 0x9E37_79B9u32;
    for value in big.iter_mut() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let grain = (state % 17) as i16 - 8;
        *value = (i16::from(*value) + grain).clamp(0, 255) as u8;
    }
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .write_image(big.as_raw(), width, height, ExtendedColorType::Rgb8)
        .map_err(|e| e.to_string())?;
    Ok((jpeg, width, height))
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// The SIMD levels the codecs and the model's kernels can use here.
fn cpu_features() -> String {
    let found = segmentation::cpu::cpu_features();
    if found.is_empty() {
        "neither avx2 nor avx512f".into()
    } else {
        found.join(", ")
    }
}
