//! `imgigo cutout INPUT... --out DIR [--format png|webp|jpg|mask] [--size N]`: background removal on
//! this machine, no server. Each bad input is reported and skipped; the exit code is non-zero if any was.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
use services::config::Config;
use services::cutout::{Engine, ModelSize, OutputFormat, encode};

use crate::cli::CutoutArgs;

/// Largest picture accepted, in pixels (50 MP), and the decoder's memory ceiling.
const MAX_PIXELS: u64 = 50_000_000;
const MAX_DECODE_BYTES: u64 = 1 << 30;

pub fn run(config: &Config, args: &CutoutArgs) -> ExitCode {
    let (format, size) = match (OutputFormat::parse(&args.format), ModelSize::new(args.size)) {
        (Ok(format), Ok(size)) => (format, size),
        (Err(err), _) | (_, Err(err)) => {
            eprintln!("imgigo cutout: {err}");
            return ExitCode::from(2);
        }
    };
    if let Err(err) = std::fs::create_dir_all(&args.out) {
        eprintln!("imgigo cutout: cannot create {}: {err}", args.out.display());
        return ExitCode::FAILURE;
    }
    let device = match services::cutout::device::select(config.device) {
        Ok(device) => device,
        Err(err) => {
            eprintln!("imgigo cutout: {err}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(requested = %config.device, device = device.kind, name = %device.name, "inference device selected");
    let started = Instant::now();
    let engine = match Engine::load(&config.model_file, &device) {
        Ok(engine) => engine,
        Err(_) => {
            eprintln!(
                "imgigo cutout: cannot load the model from {}. Run `make weights` (or set IMGIGO_MODEL_FILE).",
                config.model_file.display()
            );
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(seconds = started.elapsed().as_secs_f64(), "model loaded");

    let mut failures = 0;
    for input in &args.inputs {
        match cut_one(&engine, input, &args.out, format, size) {
            Ok(written) => println!("{} -> {}", input.display(), written.display()),
            Err(message) => {
                failures += 1;
                eprintln!("imgigo cutout: skipped {}: {message}", input.display());
            }
        }
    }
    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "imgigo cutout: {failures} of {} inputs failed",
            args.inputs.len()
        );
        ExitCode::FAILURE
    }
}

fn cut_one(
    engine: &Engine,
    input: &Path,
    out_dir: &Path,
    format: OutputFormat,
    size: ModelSize,
) -> Result<PathBuf, String> {
    let photo = decode(input)?.to_rgb8();
    let started = Instant::now();
    let mask = engine.mask(&photo, size);
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        size = size.get(),
        "segmented"
    );
    let bytes = encode(&photo, &mask, format).map_err(|err| err.public_message())?;
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "cutout".into());
    let path = out_dir.join(format!("{stem}.{}", format.extension()));
    std::fs::write(&path, bytes)
        .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    Ok(path)
}

/// Decodes by content (not the file name), within size limits, upright per its EXIF orientation.
fn decode(path: &Path) -> Result<DynamicImage, String> {
    let reader = ImageReader::open(path)
        .map_err(|err| err.to_string())?
        .with_guessed_format()
        .map_err(|err| err.to_string())?;
    if reader.format().is_none() {
        return Err("not a JPEG, PNG or WebP image".into());
    }
    let mut decoder = reader
        .into_decoder()
        .map_err(|err| format!("unreadable image: {err}"))?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(format!(
            "{width}×{height} is more than {} megapixels",
            MAX_PIXELS / 1_000_000
        ));
    }
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    decoder.set_limits(limits).map_err(|err| err.to_string())?;
    let orientation = decoder.orientation().map_err(|err| err.to_string())?;
    let mut image =
        DynamicImage::from_decoder(decoder).map_err(|err| format!("unreadable image: {err}"))?;
    image.apply_orientation(orientation);
    Ok(image)
}
