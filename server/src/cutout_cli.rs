//! `imgigo cutout INPUT... --out DIR [--format png|webp|jpg|mask] [--size N] [--bg-color C]
//! [--crop-margin M] [--preset amazon|ebay] [--shadow drop|contact] [--outline-width PX
//! --outline-color C]`: background removal on this machine, no server, with the same options (and
//! the same parsing) as the native API. Each bad input is reported and skipped; the exit code is
//! non-zero if any was.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use image::{GrayImage, RgbImage};
use services::config::Config;
use services::cutout::compose::{Background, Finish, compose};
use services::cutout::output::encode_composed;
use services::cutout::upload::{self, Photo, UploadLimits};
use services::cutout::{Engine, ModelSize, OutputFormat, guided};
use zeroize::Zeroizing;

use crate::api::options;
use crate::cli::CutoutArgs;

/// What every photo of one run is made into.
#[derive(Clone, Debug)]
pub struct Look {
    pub format: OutputFormat,
    pub background: Background,
    pub finish: Finish,
    /// The mask's edges refined by the photo (`--refine guided`).
    pub guided: bool,
}

impl Look {
    /// The options of `args`, read as the native API reads them.
    pub fn of(args: &CutoutArgs) -> Result<Self, services::Error> {
        let format = OutputFormat::parse(&args.format)?;
        let preset = args
            .preset
            .as_deref()
            .map(options::parse_preset)
            .transpose()?;
        let background = match (args.bg_color.as_deref(), preset) {
            (Some(colour), _) => Background::Color(options::parse_color(colour)?),
            (None, Some(preset)) => Background::Color(preset.background()),
            (None, None) => Background::Transparent,
        };
        let finish = Finish {
            crop: args
                .crop_margin
                .as_deref()
                .map(options::parse_margins)
                .transpose()?,
            placement: preset.map(|preset| preset.placement()),
            outline: options::outline(
                args.outline_width.as_deref(),
                args.outline_color.as_deref(),
            )?,
            shadow: options::native_shadow(args.shadow.as_deref(), None, None, None)?,
        };
        Ok(Self {
            format,
            background,
            finish,
            guided: options::parse_refine(args.refine.as_deref())?,
        })
    }

    /// The encoded result for `photo` cut out by `mask`.
    pub fn make(&self, photo: &RgbImage, mask: GrayImage) -> Result<Vec<u8>, services::Error> {
        let mask = if self.guided {
            guided::refine(photo, &mask, guided::RADIUS, guided::EPSILON)
        } else {
            mask
        };
        let composed = compose(photo, mask, &self.background, &self.finish);
        Ok(encode_composed(&composed, self.format)?.bytes)
    }
}

pub fn run(config: &Config, args: &CutoutArgs) -> ExitCode {
    let (look, size) = match (Look::of(args), ModelSize::new(args.size)) {
        (Ok(look), Ok(size)) => (look, size),
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
        match cut_one(&engine, input, &args.out, &look, size) {
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
    look: &Look,
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
    let bytes = look.make(photo, mask).map_err(|err| err.public_message())?;
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "cutout".into());
    let path = out_dir.join(format!("{stem}.{}", look.format.extension()));
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use services::cutout::fake::FakeEngine;

    fn look(extra: &[&str]) -> Result<Look, services::Error> {
        let mut argv = vec!["imgigo", "cutout", "photo.png", "--out", "out"];
        argv.extend_from_slice(extra);
        match crate::cli::Cli::try_parse_from(argv)
            .expect("arguments")
            .command
        {
            Some(crate::cli::Command::Cutout(args)) => Look::of(&args),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_cli_makes_what_the_api_makes() {
        let photo = RgbImage::from_pixel(80, 60, image::Rgb([10, 200, 30]));
        let mask = FakeEngine::mask_for(80, 60);
        // A preset: a white 2000×2000 square with the subject in the middle.
        let made = look(&["--preset", "amazon"])
            .expect("look")
            .make(&photo, mask.clone())
            .expect("made");
        let image = image::load_from_memory(&made).expect("png").to_rgba8();
        assert_eq!(image.dimensions(), (2000, 2000));
        assert_eq!(image.get_pixel(3, 3).0, [255, 255, 255, 255]);
        assert_eq!(image.get_pixel(1000, 1000).0, [10, 200, 30, 255]);
        // An outline on a colour, cropped.
        let made = look(&[
            "--bg-color",
            "black",
            "--outline-width",
            "2",
            "--outline-color",
            "red",
            "--crop-margin",
            "4px",
        ])
        .expect("look")
        .make(&photo, mask)
        .expect("made");
        let image = image::load_from_memory(&made).expect("png").to_rgba8();
        assert_eq!(image.dimensions(), (48, 38));
        // The subject's leftmost pixel in its middle row is at x = 4; 2 px left of it is red.
        assert_eq!(image.get_pixel(2, 19).0, [255, 0, 0, 255]);
        assert_eq!(image.get_pixel(0, 0).0, [0, 0, 0, 255]);
    }

    #[test]
    fn bad_options_are_refused_before_anything_is_loaded() {
        for (extra, words) in [
            (&["--preset", "etsy"][..], "amazon, ebay"),
            (&["--shadow", "long"][..], "drop or contact"),
            (&["--outline-width", "999"][..], "0 to 200"),
            (&["--bg-color", "bluish"][..], "not a colour"),
            (&["--crop-margin", "90%"][..], "at most 500px"),
            (&["--refine", "magic"][..], "none or guided"),
        ] {
            let err = look(extra).expect_err("refused");
            assert!(err.to_string().contains(words), "{extra:?}: {err}");
        }
    }
}
