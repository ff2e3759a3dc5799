//! `imgigo cutout INPUT... --out DIR [--format png|webp|jpg|mask] [--size N]`: background removal on
//! this machine, no server. Each bad input is reported and skipped; the exit code is non-zero if any was.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use services::config::Config;
use services::cutout::upload::{self, Photo, UploadLimits};
use services::cutout::{Engine, ModelSize, OutputFormat, encode};
use zeroize::Zeroizing;

use crate::cli::CutoutArgs;

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
                "imgigo cutout: cannot load the model from {}. Run `make weights` (or set IMGIGO_MODEL_FILE or --model-file).",
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
    let photo = decode(input)?;
    let photo = photo.rgb();
    let started = Instant::now();
    let mask = engine
        .mask(photo, size)
        .map_err(|err| err.public_message())?;
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        size = size.get(),
        "segmented"
    );
    let bytes = encode(photo, &mask, format).map_err(|err| err.public_message())?;
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "cutout".into());
    let path = out_dir.join(format!("{stem}.{}", format.extension()));
    std::fs::write(&path, bytes)
        .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    Ok(path)
}

/// Reads and decodes a photo by content (not the file name), within the upload limits, upright per
/// its EXIF orientation.
fn decode(path: &Path) -> Result<Photo, String> {
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|err| err.to_string())?);
    upload::decode(&bytes, &UploadLimits::default()).map_err(|err| err.public_message())
}
