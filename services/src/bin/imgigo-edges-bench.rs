//! `imgigo-edges-bench [--runs N] [--width 4000] [--height 3000]`: issue 17's cost check — each
//! edge step at 12 MP against one 1024² inference of the same network run in this process (random
//! weights: the same arithmetic as the real model). Prints, asserts nothing; `make bench-edges`.
//!
//! Steps: the solid inside (`cutout::solid`, a copy of the mask included); foreground colour estimation (`cutout::foreground`) on a mask with a realistic soft
//! edge (an ellipse with a feathered rim and a band of "hair") and on the worst case (every pixel
//! partial); the background blur without the subject (`cutout::backdrop`, σ = 2 % of the shorter
//! side, as the API's `bg_blur`); the whole `compose` of a transparent result with the
//! estimated colours and with the photo's, whose difference is what the estimation adds; and what a
//! drop shadow, a 10 px outline and the Amazon layout add to a compose on white.

use std::time::Instant;

use image::{GrayImage, Luma, Rgb, RgbImage};
use segmentation::device::{self, DeviceRequest};
use segmentation::{IsNetConfig, Segmenter};
use services::cutout::compose::{Background, EdgeColours, Finish, compose_with};
use services::cutout::effects::{Outline, Shadow};
use services::cutout::layout::Preset;
use services::cutout::{Engine, ModelSize, backdrop, foreground, solid};

struct Args {
    runs: usize,
    width: u32,
    height: u32,
}

fn main() {
    if let Err(err) = parse_args().and_then(bench) {
        eprintln!("imgigo-edges-bench: {err}");
        std::process::exit(1);
    }
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        runs: 5,
        width: 4000,
        height: 3000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = value
            .parse::<u32>()
            .map_err(|_| format!("{flag} takes a number"))?
            .max(1);
        match flag.as_str() {
            "--runs" => args.runs = number as usize,
            "--width" => args.width = number.max(64),
            "--height" => args.height = number.max(64),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(args)
}

fn bench(args: Args) -> Result<(), String> {
    println!(
        "CPU: {} ({})",
        segmentation::cpu::cpu_model(),
        segmentation::cpu::cpu_features().join(", ")
    );
    let (w, h) = (args.width, args.height);
    let megapixels = f64::from(w) * f64::from(h) / 1e6;
    let photo = photo(w, h);
    let soft = soft_mask(w, h);
    let worst = GrayImage::from_fn(w, h, |x, y| Luma([1 + ((x * 7 + y * 13) % 253) as u8]));
    let partial = |mask: &GrayImage| {
        let n = mask.iter().filter(|&&v| v != 0 && v != 255).count();
        100.0 * n as f64 / (f64::from(w) * f64::from(h))
    };

    let cpu = device::select(DeviceRequest::Cpu).map_err(|e| e.to_string())?;
    let engine = Engine::from_segmenter(Segmenter::new(
        IsNetConfig::dis().init(&cpu.device),
        cpu.device.clone(),
    ));
    let square = RgbImage::from_fn(1024, 1024, |x, y| Rgb([x as u8, y as u8, (x ^ y) as u8]));
    let inference = time(args.runs, || {
        let _ = engine.mask(&square, ModelSize::FULL);
    });
    println!(
        "1024² inference (random weights, CPU): {:.1} ms, median of {}",
        inference * 1e3,
        args.runs
    );
    println!(
        "photo {w}×{h} ({megapixels:.1} MP); soft mask {:.1} % partial, worst case {:.1} %",
        partial(&soft),
        partial(&worst)
    );
    println!();
    println!(
        "  {:<44} {:>9} {:>9} {:>9}",
        "step", "ms", "ms / MP", "÷ infer."
    );
    let row = |name: &str, seconds: f64| {
        println!(
            "  {:<44} {:>9.1} {:>9.2} {:>8.1} %",
            name,
            seconds * 1e3,
            seconds * 1e3 / megapixels,
            seconds / inference * 100.0
        );
    };
    let estimate = |mask: &GrayImage| {
        time(args.runs, || {
            let mut changed = 0usize;
            foreground::estimate(&photo, mask, |_, _| changed += 1);
            std::hint::black_box(changed);
        })
    };
    row(
        "solid inside (the model's mask)",
        time(args.runs, || {
            let mut mask = soft.clone();
            solid::solidify(&mut mask);
            std::hint::black_box(mask);
        }),
    );
    row("foreground colours, soft mask", estimate(&soft));
    row("foreground colours, every pixel partial", estimate(&worst));
    let sigma = w.min(h) as f32 * 0.02;
    row(
        "background blur without the subject",
        time(args.runs, || {
            std::hint::black_box(backdrop::blurred_background(&photo, &soft, sigma));
        }),
    );
    row(
        "  the whole photo blurred (what it replaces)",
        time(args.runs, || {
            std::hint::black_box(image::imageops::fast_blur(&photo, sigma));
        }),
    );
    let composed = |edges| {
        time(args.runs, || {
            let out = compose_with(
                &photo,
                soft.clone(),
                &Background::Transparent,
                &Finish::default(),
                edges,
            );
            std::hint::black_box(out.rgba);
        })
    };
    let (plain, estimated) = (
        composed(EdgeColours::Photo),
        composed(EdgeColours::Estimated),
    );
    row("compose, transparent, photo's colours", plain);
    row("compose, transparent, estimated colours", estimated);
    row("  the estimation's share of compose", estimated - plain);
    // What people make with a cutout: each against the same compose on white without it.
    let on_white = |finish: Finish| {
        time(args.runs, || {
            let out = compose_with(
                &photo,
                soft.clone(),
                &Background::Color([255; 4]),
                &finish,
                EdgeColours::Estimated,
            );
            std::hint::black_box(out.rgba);
        })
    };
    let white = on_white(Finish::default());
    row("compose on white, estimated colours", white);
    let finished = |finish: Finish| on_white(finish) - white;
    row(
        "  + drop shadow (softness 50 %), white",
        finished(Finish {
            shadow: Some(Shadow::drop(0.5)),
            ..Finish::default()
        }),
    );
    row(
        "  + outline 10 px, white",
        finished(Finish {
            outline: Some(Outline {
                colour: [255, 0, 0, 255],
                width: 10,
            }),
            ..Finish::default()
        }),
    );
    row(
        "  + Amazon preset (2000² canvas), white",
        finished(Finish {
            placement: Some(Preset::Amazon.placement()),
            ..Finish::default()
        }),
    );
    Ok(())
}

/// A photo-like picture: smooth colour fields with grain, so nothing is uniform.
fn photo(w: u32, h: u32) -> RgbImage {
    let mut seed = 0x9E37_79B9u32;
    RgbImage::from_fn(w, h, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let grain = (seed % 17) as f32 - 8.0;
        let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
        Rgb([
            (60.0 + 150.0 * u + grain).clamp(0.0, 255.0) as u8,
            (200.0 - 120.0 * v + grain).clamp(0.0, 255.0) as u8,
            (90.0 + 80.0 * (u * v) + grain).clamp(0.0, 255.0) as u8,
        ])
    })
}

/// An ellipse covering the middle with a 16-pixel feathered rim, and a band of "hair" along its
/// top where the mask wavers between 0 and 255.
fn soft_mask(w: u32, h: u32) -> GrayImage {
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let (rx, ry) = (w as f32 * 0.3, h as f32 * 0.4);
    GrayImage::from_fn(w, h, |x, y| {
        let (dx, dy) = ((x as f32 - cx) / rx, (y as f32 - cy) / ry);
        let r = (dx * dx + dy * dy).sqrt();
        // Distance from the rim in pixels, about.
        let inside = (1.0 - r) * rx.min(ry);
        let mut alpha = (inside / 16.0 + 0.5).clamp(0.0, 1.0);
        if dy < -0.6 && inside > -60.0 && inside < 60.0 {
            let strand = ((x as f32 * 0.9).sin() * 0.5 + 0.5) * ((inside + 60.0) / 120.0);
            alpha = alpha.max(strand.clamp(0.0, 1.0));
        }
        Luma([(alpha * 255.0).round() as u8])
    })
}

/// Median wall time of `runs` calls, after one warm-up.
fn time(runs: usize, mut work: impl FnMut()) -> f64 {
    work();
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}
