//! `imgigo-bench [--model FILE] [--image PNG] [--runs N] [--sizes 1024,768,512] [--device auto|cpu|gpu]
//! [--stock] [--layers] [--kernels v4|v3|baseline]`: the CPU's SIMD features and the kernel set the
//! CPU path runs with (`--kernels` forces a set: `v3` runs the AVX2 kernels of our own loops on an
//! AVX-512 machine; `gemm` still picks its own), model load time, median inference latency per size (after one warm-up), the
//! 1024² mask against the committed onnxruntime reference (when the photo has one), how far smaller
//! sizes' masks drift from the 1024² one (MAE, IoU at 0.5, at the photo's size), and peak RSS.
//! `--stock` also times burn's own convolutions at 1024²; `--layers` prints the per-layer profile of
//! both (CPU only). The GPU check: build with `--features wgpu` and pass `--device gpu`. Build it optimised:
//! `cargo run --profile reference -p segmentation --bin imgigo-bench`. `segmentation/bench/compare.py`
//! runs it beside onnxruntime on the same input and prints the ratio.

use std::path::PathBuf;
use std::time::Instant;

use image::GrayImage;
use segmentation::device::{self, DeviceRequest};
use segmentation::pipeline::{postprocess, preprocess};
use segmentation::{IsNetConfig, cpu, profile, store};

struct Args {
    model: PathBuf,
    image: PathBuf,
    runs: usize,
    sizes: Vec<usize>,
    stock: bool,
    layers: bool,
    device: DeviceRequest,
    kernels: Option<cpu::KernelSet>,
}

fn parse_args() -> Result<Args, String> {
    let home = std::env::var("HOME").unwrap_or_else(|_| ".".into());
    let mut args = Args {
        model: std::env::var("IMGIGO_MODEL_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|_| {
                PathBuf::from(home).join(".cache/imgigo/models/isnet-dis-imgly-1.4.5.bpk")
            }),
        image: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("reference/inputs/astronaut.png"),
        runs: 3,
        sizes: vec![1024, 768, 512],
        stock: false,
        layers: false,
        device: DeviceRequest::Cpu,
        kernels: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--stock" => {
                args.stock = true;
                continue;
            }
            "--layers" => {
                args.layers = true;
                continue;
            }
            _ => {}
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--model" => args.model = value.into(),
            "--device" => args.device = value.parse().map_err(|e| format!("--device: {e}"))?,
            "--image" => args.image = value.into(),
            "--kernels" => args.kernels = Some(value.parse()?),
            "--runs" => {
                args.runs = value
                    .parse()
                    .map_err(|_| "--runs takes a number".to_string())?
            }
            "--sizes" => {
                args.sizes = value
                    .split(',')
                    .map(|s| s.trim().parse::<usize>())
                    .collect::<Result<_, _>>()
                    .map_err(|_| "--sizes takes numbers like 1024,512".to_string())?;
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(args)
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn compare(a: &GrayImage, b: &GrayImage) -> (f64, f64) {
    let (mut diff, mut inter, mut union) = (0.0f64, 0u64, 0u64);
    for (x, y) in a.pixels().zip(b.pixels()) {
        diff += (f64::from(x[0]) - f64::from(y[0])).abs() / 255.0;
        let (x, y) = (x[0] > 127, y[0] > 127);
        inter += u64::from(x && y);
        union += u64::from(x || y);
    }
    let count = f64::from(a.width() * a.height());
    (
        diff / count,
        if union == 0 {
            1.0
        } else {
            inter as f64 / union as f64
        },
    )
}

/// One 1024² pass with burn's convolutions and one with the CPU path, per 3×3 layer.
fn print_layers(pass: &dyn Fn()) {
    cpu::use_stock_convolutions(true);
    pass(); // warm-up
    let ((), stock) = profile::record(pass);
    cpu::use_stock_convolutions(false);
    pass(); // warm-up, prepares the filters
    let ((), fast) = profile::record(pass);
    println!(
        "layer  in→out   dil  map        GFLOP  stock ms  GFLOP/s  winograd ms  eff. GFLOP/s  winograd CPU ms"
    );
    let (mut total_stock, mut total_fast, mut total_flops) = (0.0, 0.0, 0.0);
    let mut total_cpu = Some(0.0);
    for (index, (a, b)) in stock.iter().zip(&fast).enumerate() {
        let gflop = a.flops() / 1e9;
        println!(
            "{index:>5}  {:>4}→{:<4} {:>3}  {:>4}×{:<4} {gflop:>6.2}  {:>8.1}  {:>7.1}  {:>11.1}  {:>12.1}  {:>15}",
            a.in_channels,
            a.out_channels,
            a.dilation,
            a.height,
            a.width,
            a.seconds * 1e3,
            gflop / a.seconds,
            b.seconds * 1e3,
            gflop / b.seconds,
            b.cpu_seconds
                .map_or("-".to_string(), |cpu| format!("{:.1}", cpu * 1e3)),
        );
        total_stock += a.seconds;
        total_fast += b.seconds;
        total_flops += gflop;
        total_cpu = total_cpu.zip(b.cpu_seconds).map(|(sum, cpu)| sum + cpu);
    }
    println!(
        "3×3 layers: {total_flops:.1} GFLOP, stock {total_stock:.3} s ({:.0} GFLOP/s), winograd {total_fast:.3} s ({:.0} effective GFLOP/s){}",
        total_flops / total_stock,
        total_flops / total_fast,
        total_cpu.map_or(String::new(), |cpu| format!(
            ", winograd CPU time {cpu:.3} s"
        ))
    );
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(err) => {
            eprintln!("imgigo-bench: {err}");
            std::process::exit(2);
        }
    };
    if let Some(set) = args.kernels
        && let Err(err) = cpu::use_kernels(set)
    {
        eprintln!("imgigo-bench: --kernels: {err}");
        std::process::exit(2);
    }
    println!(
        "cpu: {}; kernels: {}{} (gemm: {})",
        cpu::cpu_features().join(" "),
        cpu::kernels(),
        if args.kernels.is_some() {
            ", forced"
        } else {
            ""
        },
        cpu::gemm_kernels()
    );
    let selected = match device::select(args.device) {
        Ok(selected) => selected,
        Err(err) => {
            eprintln!("imgigo-bench: {err}");
            std::process::exit(1);
        }
    };
    println!("device: {} ({})", selected.name, selected.kind);
    let device = selected.device.clone();
    let started = Instant::now();
    let model = match store::load(&IsNetConfig::dis(), &args.model, &device) {
        Ok(model) => model,
        Err(err) => {
            eprintln!("imgigo-bench: {err}");
            std::process::exit(1);
        }
    };
    let loaded = started.elapsed().as_secs_f64();
    model.prepare();
    println!(
        "model load: {loaded:.3} s, CPU filter preparation: {:.3} s",
        started.elapsed().as_secs_f64() - loaded
    );
    let photo = match image::open(&args.image) {
        Ok(photo) => photo.to_rgb8(),
        Err(err) => {
            eprintln!("imgigo-bench: {}: {err}", args.image.display());
            std::process::exit(1);
        }
    };
    let (width, height) = (photo.width() as usize, photo.height() as usize);

    let run = |size: usize| {
        let started = Instant::now();
        let output = model.forward(preprocess(&photo, size, &device));
        let mask = postprocess(output, width, height).expect("a readable mask");
        (started.elapsed().as_secs_f64(), mask)
    };
    let median = |size: usize| {
        let (first, mask) = run(size); // warm-up (the first pass also prepares the CPU filters)
        let cpu_before = profile::process_cpu_seconds();
        let mut times: Vec<f64> = (0..args.runs.max(1)).map(|_| run(size).0).collect();
        let cpu_per_run = profile::process_cpu_seconds()
            .zip(cpu_before)
            .map(|(after, before)| (after - before) / times.len() as f64);
        times.sort_by(f64::total_cmp);
        if let Some(cpu) = cpu_per_run {
            println!("  {size}: {cpu:.3} s of CPU time per run (all threads)");
        }
        (first, times[times.len() / 2], times.len(), mask)
    };

    if args.layers {
        print_layers(&|| {
            run(1024);
        });
    }
    if args.stock {
        cpu::use_stock_convolutions(true);
        let (_, median, count, _) = median(1024);
        println!("burn stock convolutions 1024: median {median:.3} s over {count} runs");
        cpu::use_stock_convolutions(false);
    }
    let mut masks: Vec<(usize, GrayImage)> = Vec::new();
    for &size in &args.sizes {
        let (first, median, count, mask) = median(size);
        println!("burn {size}: median {median:.3} s over {count} runs (first run {first:.3} s)");
        masks.push((size, mask));
    }
    let reference = args.image.parent().and_then(|inputs| {
        let stem = args.image.file_stem()?.to_str()?.to_string();
        image::open(inputs.parent()?.join(format!("{stem}.mask.png"))).ok()
    });
    if let (Some(reference), Some((_, full))) =
        (reference, masks.iter().find(|(size, _)| *size == 1024))
    {
        let (mae, iou) = compare(full, &reference.to_luma8());
        println!("1024 vs onnxruntime reference: MAE {mae:.5}, IoU@0.5 {iou:.5}");
    }
    if let Some((_, full)) = masks.iter().find(|(size, _)| *size == 1024) {
        for (size, mask) in masks.iter().filter(|(size, _)| *size != 1024) {
            let (mae, iou) = compare(mask, full);
            println!("drift {size} vs 1024: MAE {mae:.4}, IoU@0.5 {iou:.4}");
        }
    }
    if let Some(rss) = peak_rss_mib() {
        println!("peak RSS: {rss:.0} MiB");
    }
}
