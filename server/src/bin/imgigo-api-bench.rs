//! `imgigo-api-bench [--runs N] [--concurrent N] [--megapixels 12]`: the cutout path end to end with
//! the real model, in process (router → upload parsing → decode → queue → inference → compose →
//! encode → encryption), for a JPEG photo of about 12 MP made from the reference astronaut.
//!
//! Prints the median request latency, the median inference time of the same photo measured on its
//! own, the share spent outside inference, and peak RSS after N concurrent uploads. Build it
//! optimised: `cargo run --profile reference -p server --bin imgigo-api-bench`.

use std::io::Cursor;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use image::imageops::FilterType;
use services::AppState;
use services::clock::SystemClock;
use services::config::Config;
use services::cutout::{CutoutService, Engine, ModelSize};
use tower::ServiceExt;

fn flag(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let runs = flag("--runs", 3).max(1);
    let concurrent = flag("--concurrent", 8).max(1);
    let megapixels = flag("--megapixels", 12).max(1);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("imgigo-api-bench: {err}");
            std::process::exit(1);
        }
    };
    if let Err(err) = runtime.block_on(bench(runs, concurrent, megapixels)) {
        eprintln!("imgigo-api-bench: {err}");
        std::process::exit(1);
    }
}

async fn bench(runs: usize, concurrent: usize, megapixels: usize) -> Result<(), String> {
    let data = std::env::temp_dir().join(format!("imgigo-api-bench-{}", std::process::id()));
    let result = run(&data, runs, concurrent, megapixels).await;
    let _ = std::fs::remove_dir_all(&data);
    result
}

async fn run(
    data: &std::path::Path,
    runs: usize,
    concurrent: usize,
    megapixels: usize,
) -> Result<(), String> {
    let vars = [
        ("IMGIGO_DATA_DIR".to_string(), data.display().to_string()),
        ("IMGIGO_DEVICE".to_string(), "cpu".to_string()),
        ("IMGIGO_QUEUE".to_string(), concurrent.to_string()),
        ("IMGIGO_ANON_BURST".to_string(), "100000".to_string()),
        ("IMGIGO_ANON_PER_MINUTE".to_string(), "100000".to_string()),
    ];
    let home = std::env::var("HOME").ok();
    let config = Config::load(|name| {
        vars.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| (name == "HOME").then(|| home.clone()).flatten())
            .or_else(|| {
                std::env::var(name)
                    .ok()
                    .filter(|_| name == "IMGIGO_MODEL_FILE")
            })
    })
    .map_err(|e| e.to_string())?;
    let app = AppState::init(config.clone())
        .await
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let results = app.results().ok_or("no result store")?;
    let service = CutoutService::start(&config, &app.device, results, Arc::new(SystemClock))
        .map_err(|e| format!("{e} (run `make weights`)"))?;
    println!(
        "model load + preparation: {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let app = app.with_cutouts(service);
    let router = server::router::build(server::state::ServerState::new(app.clone()));

    // A ~12 MP JPEG: the astronaut scaled up (photo-like content, JPEG quality 90).
    let source = image::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../segmentation/reference/inputs/astronaut.png"
    ))
    .map_err(|e| e.to_string())?
    .to_rgb8();
    let side = ((megapixels * 1_000_000) as f64).sqrt() as u32;
    let (width, height) = (side * 4 / 3, side * 3 / 4);
    let big = image::imageops::resize(&source, width, height, FilterType::Triangle);
    let mut jpeg = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(big.clone())
        .write_to(&mut jpeg, image::ImageFormat::Jpeg)
        .map_err(|e| e.to_string())?;
    let jpeg = jpeg.into_inner();
    println!(
        "photo: {width}×{height} ({:.1} MP), JPEG {:.1} MB",
        f64::from(width * height) / 1e6,
        jpeg.len() as f64 / 1e6
    );

    let request = |bytes: Vec<u8>| {
        Request::post("/api/v1/cutouts?format=png&size=full")
            .header(header::CONTENT_TYPE, "image/jpeg")
            .body(Body::from(bytes))
            .map_err(|e| e.to_string())
    };
    // Warm-up, then timed runs.
    let mut totals = Vec::new();
    for run in 0..=runs {
        let started = Instant::now();
        let response = router
            .clone()
            .oneshot(request(jpeg.clone())?)
            .await
            .map_err(|e| e.to_string())?;
        if response.status() != StatusCode::OK {
            return Err(format!("status {}", response.status()));
        }
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        if run > 0 {
            totals.push(started.elapsed().as_secs_f64());
        } else {
            println!("result PNG: {:.1} MB", body.len() as f64 / 1e6);
        }
    }
    // N uploads at once: all admitted (queue = N), served one by one by the worker.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrent {
        let router = router.clone();
        let body = request(jpeg.clone())?;
        tasks.push(tokio::spawn(async move {
            let response = router.oneshot(body).await.map_err(|e| e.to_string())?;
            let status = response.status();
            let _ = response.into_body().collect().await;
            Ok::<StatusCode, String>(status)
        }));
    }
    let mut ok = 0;
    for task in tasks {
        if task.await.map_err(|e| e.to_string())?? == StatusCode::OK {
            ok += 1;
        }
    }
    // Measured before the benchmark loads its own copies of the model below.
    println!(
        "{concurrent} concurrent uploads: {ok} succeeded in {:.1} s; peak RSS {:.0} MiB",
        started.elapsed().as_secs_f64(),
        peak_rss_mib().unwrap_or(f64::NAN)
    );
    // The network alone on the same photo's 1024² input (what the worker spends in the model).
    let device = app.device.device.clone();
    let model = segmentation::store::load(
        &segmentation::IsNetConfig::dis(),
        &config.model_file,
        &device,
    )
    .map_err(|e| e.to_string())?;
    model.prepare();
    let input = segmentation::pipeline::preprocess(&big, ModelSize::FULL.get(), &device);
    let _ = model.forward(input.clone()); // warm-up
    let inference: Vec<f64> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            let _ = model.forward(input.clone()).into_data();
            started.elapsed().as_secs_f64()
        })
        .collect();
    // Everything the engine adds around the network: resize in, resize the mask out.
    let engine = Engine::load(&config.model_file, &app.device).map_err(|e| e.to_string())?;
    let with_resizes: Vec<f64> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            let _ = engine.mask(&big, ModelSize::FULL);
            started.elapsed().as_secs_f64()
        })
        .collect();
    let (total, inference, with_resizes) =
        (median(totals), median(inference), median(with_resizes));
    println!("request latency (median of {runs}): {total:.3} s");
    println!("network forward at 1024² (median of {runs}): {inference:.3} s");
    println!(
        "  of which resizing in and out: {:.3} s",
        with_resizes - inference
    );
    println!(
        "outside the network (upload, decode, resize, compose, encode, encrypt): {:.3} s = {:.1} % of inference",
        total - inference,
        (total - inference) / inference * 100.0
    );
    drop((engine, model));

    Ok(())
}
