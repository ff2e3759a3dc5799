//! `imgigo-bench [--model FILE | --random-weights SEED] [--image PNG] [--resize-photo WxH] [--runs N]
//! [--sizes 1024,768,512]
//! [--device auto|cpu|gpu] [--precision f32[,f16]] [--compare-cpu] [--cpu-runs N] [--tolerance X]
//! [--stock] [--layers] [--list-adapters] [--kernels v4|v3|baseline]`
//!
//! Model preparation time, then per size the median latency of a whole request (image in, 8-bit
//! mask out, after one warm-up) and of the network alone; the 1024² mask against the committed
//! onnxruntime reference (when the photo has one); how far smaller sizes' masks drift from the
//! 1024² one (MAE, IoU at 0.5, at the photo's size); peak device memory where the backend reports
//! it, and peak RSS.
//!
//! - `--random-weights SEED`: deterministic random weights of the published shapes instead of the
//!   weights file (the same on every device), for latency and agreement checks anywhere.
//! - `--resize-photo WxH`: resizes the photo once, before anything is timed (`1024x1024` for the
//!   latency per 1024² image).
//! - `--device gpu` (a build with `--features wgpu`): runs on the GPU; `--precision f32,f16` runs
//!   each precision in turn.
//! - `--compare-cpu`: runs the same inputs on the CPU path too and prints max |device − CPU| of
//!   the sigmoid output per size, the CPU medians (`--cpu-runs`), and checks the device's pre- and
//!   post-processing against the host's. Exits with status 3 when a difference exceeds
//!   `--tolerance` (default 1e-3 for f32, 2e-2 for f16), when the pre-processing on the device
//!   differs from the host's by more than 1e-4, or the post-processing by more than one level.
//! - `--stock` also times burn's own convolutions at 1024²; `--layers` prints the per-layer profile
//!   of both (CPU only).
//! - `--list-adapters`: the graphics adapters wgpu sees, and which one `--device gpu` would take.
//!
//! Build it optimised: `cargo run --profile reference -p segmentation --bin imgigo-bench`.
//! `segmentation/bench/compare.py` runs it beside onnxruntime; `segmentation/bench/gpu.sh` is the
//! GPU check.
//!
//! The first line names the CPU's SIMD features and the kernel set the CPU path runs with
//! (`--kernels` forces a set: `v3` runs the AVX2 kernels of our own loops on an AVX-512 machine;
//! `gemm` still picks its own).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use burn::backend::{Backend, Dispatch};
use burn::tensor::{Device, Tensor, TensorData};
use image::{GrayImage, RgbImage};
use segmentation::device::{self, DeviceRequest, Precision};
use segmentation::pipeline::{
    postprocess, postprocess_on_device, preprocess, preprocess_on_device,
};
use segmentation::{IsNet, IsNetConfig, Segmenter, cpu, profile, store, weights};

/// The f32 tolerance on the sigmoid output: float reordering between kernels, nothing more.
const F32_TOLERANCE: f32 = 1e-3;
/// The f16 tolerance on the sigmoid output: 5 levels of the 8-bit mask. burn's CPU backend computing
/// in f16 is 5.7e-3 (1024²) and 7.2e-3 (768²) from the f32 CPU path with the bench's random weights
/// (mean 5–6e-4); a GPU rounds differently, so this leaves room.
const F16_TOLERANCE: f32 = 2e-2;

/// Pre-processing on the device vs the host: the same arithmetic in another order.
const INPUT_TOLERANCE: f32 = 1e-4;
/// Post-processing on the device vs the host, in 8-bit levels: a value rounding the other way.
const LEVEL_TOLERANCE: u8 = 1;

enum Weights {
    File(PathBuf),
    Random(u64),
}

struct Args {
    weights: Weights,
    image: PathBuf,
    resize_photo: Option<(u32, u32)>,
    runs: usize,
    cpu_runs: usize,
    sizes: Vec<usize>,
    stock: bool,
    layers: bool,
    compare_cpu: bool,
    list_adapters: bool,
    device: DeviceRequest,
    kernels: Option<cpu::KernelSet>,
    precisions: Vec<Precision>,
    tolerance: Option<f32>,
}

fn parse_args() -> Result<Args, String> {
    let home = std::env::var("HOME").unwrap_or_else(|_| ".".into());
    let precision = match std::env::var("IMGIGO_GPU_PRECISION") {
        Ok(value) => value
            .parse()
            .map_err(|e| format!("IMGIGO_GPU_PRECISION: {e}"))?,
        Err(_) => Precision::F32,
    };
    let mut args = Args {
        weights: Weights::File(
            std::env::var("IMGIGO_MODEL_FILE")
                .map(PathBuf::from)
                .unwrap_or_else(|_| {
                    PathBuf::from(home).join(".cache/imgigo/models/isnet-dis-imgly-1.4.5.bpk")
                }),
        ),
        image: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("reference/inputs/astronaut.png"),
        resize_photo: None,
        runs: 3,
        cpu_runs: 3,
        sizes: vec![1024, 768, 512],
        stock: false,
        layers: false,
        compare_cpu: false,
        list_adapters: false,
        device: DeviceRequest::Cpu,
        kernels: None,
        precisions: vec![precision],
        tolerance: None,
    };
    let number = |flag: &str, value: &str| {
        value
            .parse::<usize>()
            .map_err(|_| format!("{flag} takes a number"))
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let switch = match flag.as_str() {
            "--stock" => &mut args.stock,
            "--layers" => &mut args.layers,
            "--compare-cpu" => &mut args.compare_cpu,
            "--list-adapters" => &mut args.list_adapters,
            _ => {
                let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
                match flag.as_str() {
                    "--model" => args.weights = Weights::File(value.into()),
                    "--random-weights" => {
                        args.weights = Weights::Random(
                            value
                                .parse()
                                .map_err(|_| "--random-weights takes a seed (a number)")?,
                        )
                    }
                    "--device" => {
                        args.device = value.parse().map_err(|e| format!("--device: {e}"))?
                    }
                    "--precision" => {
                        args.precisions = value
                            .split(',')
                            .map(str::parse)
                            .collect::<Result<_, _>>()
                            .map_err(|e| format!("--precision: {e}"))?
                    }
                    "--tolerance" => {
                        args.tolerance = Some(
                            value
                                .parse()
                                .map_err(|_| "--tolerance takes a number like 1e-3")?,
                        )
                    }
                    "--image" => args.image = value.into(),
                    "--kernels" => args.kernels = Some(value.parse()?),
                    "--resize-photo" => {
                        let (w, h) = value
                            .split_once('x')
                            .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
                            .filter(|&(w, h)| w > 0 && h > 0)
                            .ok_or("--resize-photo takes a size like 1024x1024")?;
                        args.resize_photo = Some((w, h));
                    }
                    "--runs" => args.runs = number(&flag, &value)?.max(1),
                    "--cpu-runs" => args.cpu_runs = number(&flag, &value)?.max(1),
                    "--sizes" => {
                        args.sizes = value
                            .split(',')
                            .map(|s| s.trim().parse::<usize>())
                            .collect::<Result<_, _>>()
                            .map_err(|_| "--sizes takes numbers like 1024,512".to_string())?;
                    }
                    other => return Err(format!("unknown flag {other}")),
                }
                continue;
            }
        };
        *switch = true;
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

/// Largest and mean absolute difference of two equally long value lists.
fn differences(a: &[f32], b: &[f32]) -> (f32, f64) {
    let (mut max, mut sum) = (0.0f32, 0.0f64);
    for (x, y) in a.iter().zip(b) {
        let d = (x - y).abs();
        // A NaN on either side is a difference, not something `max` may skip.
        max = if d.is_nan() {
            f32::INFINITY
        } else {
            max.max(d)
        };
        sum += f64::from(d);
    }
    (max, sum / a.len().max(1) as f64)
}

/// The tensor's values as f32, read back from its device.
fn values(tensor: Tensor<4>) -> Vec<f32> {
    tensor.into_data().iter::<f32>().collect()
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// One pass at `size` on `segmenter`: the whole request (image → mask).
fn request(segmenter: &Segmenter, photo: &RgbImage, size: usize) -> (f64, GrayImage) {
    let started = Instant::now();
    let mask = segmenter.segment(photo, size).expect("a readable mask");
    (started.elapsed().as_secs_f64(), mask)
}

/// The network alone on a prepared input, until one value of its output is back on the host (a
/// read, not just a sync: a lazy backend need not compute what nobody reads).
fn network(segmenter: &Segmenter, input: &Tensor<4>) -> f64 {
    let started = Instant::now();
    let output = segmenter.infer(input.clone());
    let corner = output.slice([0..1, 0..1, 0..1, 0..1]).into_data();
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(corner.num_elements(), 1);
    seconds
}

/// The largest pool reservation seen so far on a device that reports one.
#[derive(Default)]
struct DeviceMemory {
    reserved: u64,
    in_use: u64,
    reported: bool,
}

impl DeviceMemory {
    fn sample(&mut self, device: &Device) {
        if let Some(usage) = device.memory_pool_usage() {
            self.reported = true;
            self.reserved = self.reserved.max(usage.bytes_reserved);
            self.in_use = self.in_use.max(usage.bytes_in_use);
        }
    }
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

#[cfg(feature = "wgpu")]
fn list_adapters() -> ExitCode {
    let adapters = device::adapters();
    if adapters.is_empty() {
        println!("adapters: none (no Vulkan, Metal, DX12 or GL driver answered)");
    }
    for adapter in &adapters {
        println!(
            "adapter: {} ({}, {:?})",
            adapter.name, adapter.backend, adapter.kind
        );
    }
    match device::choose(DeviceRequest::Gpu, &adapters) {
        Ok(Some(chosen)) => {
            println!("--device gpu takes: {} ({})", chosen.name, chosen.backend);
            ExitCode::SUCCESS
        }
        Ok(None) | Err(_) => {
            println!("--device gpu takes: nothing (no real GPU adapter)");
            ExitCode::from(1)
        }
    }
}

#[cfg(not(feature = "wgpu"))]
fn list_adapters() -> ExitCode {
    println!("adapters: this build has no GPU support (build with --features wgpu)");
    ExitCode::from(1)
}

fn build_model(weights: &Weights, device: &Device) -> Result<IsNet, String> {
    match weights {
        Weights::File(path) => {
            store::load(&IsNetConfig::dis(), path, device).map_err(|err| err.to_string())
        }
        Weights::Random(seed) => Ok(weights::random(&IsNetConfig::dis(), *seed, device)),
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(err) => {
            eprintln!("imgigo-bench: {err}");
            return ExitCode::from(2);
        }
    };
    if let Some(set) = args.kernels
        && let Err(err) = cpu::use_kernels(set)
    {
        eprintln!("imgigo-bench: --kernels: {err}");
        return ExitCode::from(2);
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
    match run(&args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("imgigo-bench: {err}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &Args) -> Result<ExitCode, String> {
    if args.list_adapters {
        return Ok(list_adapters());
    }
    let selected = device::select(args.device).map_err(|err| err.to_string())?;
    let device = selected.device.clone();
    println!(
        "device: {} ({}), burn backend {}",
        selected.name,
        selected.kind,
        Dispatch::name(device.as_dispatch())
    );
    match &args.weights {
        Weights::File(path) => println!("weights: {}", path.display()),
        Weights::Random(seed) => println!(
            "weights: random, seed {seed} (the published shapes; the masks mean nothing, the timings and differences do)"
        ),
    }
    let mut photo = image::open(&args.image)
        .map_err(|err| format!("{}: {err}", args.image.display()))?
        .to_rgb8();
    if let Some((w, h)) = args.resize_photo {
        photo = image::imageops::resize(&photo, w, h, image::imageops::FilterType::Triangle);
    }
    let (width, height) = (photo.width() as usize, photo.height() as usize);
    println!(
        "photo: {} ({width}×{height})",
        args.image.file_name().unwrap_or_default().to_string_lossy()
    );

    // The CPU reference for --compare-cpu, built once.
    let reference_cpu = if args.compare_cpu {
        let cpu = device::cpu();
        let started = Instant::now();
        let segmenter = Segmenter::new(build_model(&args.weights, &cpu.device)?, cpu.device);
        println!(
            "cpu reference: {} ready in {:.3} s",
            cpu.name,
            started.elapsed().as_secs_f64()
        );
        Some(segmenter)
    } else {
        None
    };

    let mut memory = DeviceMemory::default();
    let mut failed = false;
    for (index, &precision) in args.precisions.iter().enumerate() {
        if !device.supports_dtype(precision.dtype()) {
            println!("[{precision}] skipped: this device does not compute in {precision}");
            continue;
        }
        let started = Instant::now();
        let model = build_model(&args.weights, &device)?;
        let built = started.elapsed().as_secs_f64();
        let segmenter = Segmenter::with_precision(model, device.clone(), precision);
        memory.sample(&device);
        println!(
            "[{precision}] model ready: {built:.3} s to build or load, {:.3} s to prepare (CPU filters, or the GPU warm-up pass that compiles and autotunes)",
            started.elapsed().as_secs_f64() - built
        );
        let first_precision = index == 0;

        if first_precision && args.layers {
            print_layers(&|| {
                request(&segmenter, &photo, 1024);
            });
        }
        if first_precision && args.stock {
            cpu::use_stock_convolutions(true);
            request(&segmenter, &photo, 1024);
            let times = (0..args.runs)
                .map(|_| request(&segmenter, &photo, 1024).0)
                .collect();
            println!(
                "burn stock convolutions 1024: median {:.3} s over {} runs",
                median(times),
                args.runs
            );
            cpu::use_stock_convolutions(false);
        }

        let mut masks: Vec<(usize, GrayImage)> = Vec::new();
        let mut worst = Agreement::default();
        for &size in &args.sizes {
            let (first, mask) = request(&segmenter, &photo, size); // warm-up at this size
            memory.sample(&device);
            let mut times = Vec::with_capacity(args.runs);
            let cpu_before = profile::process_cpu_seconds();
            for _ in 0..args.runs {
                times.push(request(&segmenter, &photo, size).0);
                memory.sample(&device);
            }
            let cpu_per_run = profile::process_cpu_seconds()
                .zip(cpu_before)
                .map(|(after, before)| (after - before) / args.runs as f64);
            let input = preprocess(&photo, size, &device);
            network(&segmenter, &input); // warm-up of the network-only path
            let network_times = (0..args.runs)
                .map(|_| network(&segmenter, &input))
                .collect();
            memory.sample(&device);
            println!(
                "[{precision}] {size}: median {:.2} ms per image (image in, mask out), network alone {:.2} ms, over {} runs (first run {:.1} ms)",
                median(times) * 1e3,
                median(network_times) * 1e3,
                args.runs,
                first * 1e3
            );
            if let Some(cpu) = cpu_per_run {
                println!(
                    "[{precision}] {size}: {:.2} ms of CPU time per image (all threads of this process)",
                    cpu * 1e3
                );
            }
            if let Some(cpu) = &reference_cpu {
                worst = worst.worst(compare_with_cpu(
                    cpu, &segmenter, &photo, size, args, precision,
                ));
            }
            masks.push((size, mask));
        }
        if reference_cpu.is_some() {
            let tolerance = args.tolerance.unwrap_or(match precision {
                Precision::F32 => F32_TOLERANCE,
                Precision::F16 => F16_TOLERANCE,
            });
            let agrees = worst.output <= tolerance
                && worst.input <= INPUT_TOLERANCE
                && worst.levels <= LEVEL_TOLERANCE;
            println!(
                "[{precision}] {}: max |device − cpu| of the sigmoid output {:.2e} (tolerance {tolerance:.0e}), of the normalised input {:.1e} (tolerance {INPUT_TOLERANCE:.0e}), post-processing {} levels (tolerance {LEVEL_TOLERANCE})",
                if agrees { "PASS" } else { "FAIL" },
                worst.output,
                worst.input,
                worst.levels
            );
            failed |= !agrees;
        }
        if first_precision {
            print_mask_checks(args, &masks);
        }
    }

    if memory.reported {
        println!(
            "peak device memory: {:.0} MiB reserved by burn's memory pool, {:.0} MiB of it in use (the largest values sampled after each pass; wgpu reports no peak of its own, and driver overhead is not included)",
            memory.reserved as f64 / 1048576.0,
            memory.in_use as f64 / 1048576.0
        );
    } else {
        println!("peak device memory: not reported by this backend");
    }
    if let Some(rss) = peak_rss_mib() {
        println!("peak RSS: {rss:.0} MiB");
    }
    Ok(if failed {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// How far a device's results are from the CPU path's on the same input.
#[derive(Default)]
struct Agreement {
    /// Largest |device − cpu| of the network's sigmoid output.
    output: f32,
    /// Largest |device − host| of the normalised input made on the device.
    input: f32,
    /// Largest difference, in 8-bit levels, between the device's post-processing and the host's
    /// of the same output.
    levels: u8,
}

impl Agreement {
    fn worst(self, other: Agreement) -> Agreement {
        Agreement {
            output: self.output.max(other.output),
            input: self.input.max(other.input),
            levels: self.levels.max(other.levels),
        }
    }
}

/// Runs the same input through the CPU path and `segmenter` and prints how far they are apart.
fn compare_with_cpu(
    cpu: &Segmenter,
    segmenter: &Segmenter,
    photo: &RgbImage,
    size: usize,
    args: &Args,
    precision: Precision,
) -> Agreement {
    let device = segmenter.device();
    let host_input = preprocess(photo, size, cpu.device());
    let data: TensorData = host_input.to_data();
    let reference = values(cpu.infer(host_input));
    let output = segmenter.infer(Tensor::from_data(data.clone(), device));
    let output_values = values(output.clone());
    let (max, mean) = differences(&output_values, &reference);
    let unsaturated = reference
        .iter()
        .filter(|v| (0.01..=0.99).contains(*v))
        .count() as f64
        / reference.len() as f64;

    let on_device = values(preprocess_on_device(photo, size, device));
    let (input, _) = differences(&on_device, &data.iter::<f32>().collect::<Vec<_>>());
    let (width, height) = (photo.width() as usize, photo.height() as usize);
    let device_mask = postprocess_on_device(output, width, height).expect("a readable mask");
    let host_mask = postprocess(
        Tensor::from_data(
            TensorData::new(output_values, [1, 1, size, size]),
            cpu.device(),
        ),
        width,
        height,
    )
    .expect("a readable mask");
    let levels = host_mask
        .pixels()
        .zip(device_mask.pixels())
        .map(|(a, b)| a[0].abs_diff(b[0]))
        .max()
        .unwrap_or(0);

    let mut cpu_times = Vec::with_capacity(args.cpu_runs);
    for _ in 0..args.cpu_runs {
        cpu_times.push(request(cpu, photo, size).0);
    }
    println!(
        "[{precision}] {size} vs cpu: sigmoid output max |Δ| {max:.2e}, mean |Δ| {mean:.2e} ({:.0} % of the cpu output lies in 0.01..0.99); pre-processing on the device vs the host max |Δ| {input:.1e}; post-processing on the device vs the host {levels} levels at most; cpu median {:.3} s per image over {} runs",
        unsaturated * 100.0,
        median(cpu_times),
        args.cpu_runs
    );
    Agreement {
        output: max,
        input,
        levels,
    }
}

/// The 1024² mask against the onnxruntime reference and the drift of the other sizes.
fn print_mask_checks(args: &Args, masks: &[(usize, GrayImage)]) {
    let full = masks.iter().find(|(size, _)| *size == 1024).map(|(_, m)| m);
    let reference = args.image.parent().and_then(|inputs| {
        let stem = args.image.file_stem()?.to_str()?.to_string();
        image::open(inputs.parent()?.join(format!("{stem}.mask.png"))).ok()
    });
    if let (Weights::File(_), Some(reference), Some(full)) = (&args.weights, reference, full) {
        let (mae, iou) = compare(full, &reference.to_luma8());
        println!("1024 vs onnxruntime reference: MAE {mae:.5}, IoU@0.5 {iou:.5}");
    }
    if let Some(full) = full {
        for (size, mask) in masks.iter().filter(|(size, _)| *size != 1024) {
            let (mae, iou) = compare(mask, full);
            println!("drift {size} vs 1024: MAE {mae:.4}, IoU@0.5 {iou:.4}");
        }
    }
}
