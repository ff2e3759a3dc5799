//! `imgigo-weights --package DIR --out FILE`: rebuilds the ONNX model from an unpacked
//! `@imgly/background-removal-data` package, checks its sha256, and converts its weights (f16 → f32,
//! Conv node path → parameter name) into a Burnpack file. Used by `make weights`.

use std::path::PathBuf;
use std::process::ExitCode;

use burn::tensor::Device;
use segmentation::package::{MEDIUM_RESOURCE, MEDIUM_SHA256, assemble};
use segmentation::{IsNetConfig, onnx, store, weights};

fn main() -> ExitCode {
    let mut package = None;
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--package" => package = args.next().map(PathBuf::from),
            "--out" => out = args.next().map(PathBuf::from),
            _ => {
                eprintln!("usage: imgigo-weights --package DIR --out FILE");
                return ExitCode::from(2);
            }
        }
    }
    let (Some(package), Some(out)) = (package, out) else {
        eprintln!("usage: imgigo-weights --package DIR --out FILE");
        return ExitCode::from(2);
    };
    match convert(&package, &out) {
        Ok(count) => {
            println!("converted {count} tensors into {}", out.display());
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("imgigo-weights: {err}");
            ExitCode::FAILURE
        }
    }
}

fn convert(package: &std::path::Path, out: &std::path::Path) -> Result<usize, segmentation::Error> {
    let bytes = assemble(package, MEDIUM_RESOURCE, MEDIUM_SHA256)?;
    let convs = onnx::read_conv_weights(&bytes)?;
    let device = Device::default();
    let model = weights::load(&IsNetConfig::dis(), &convs, &device)?;
    store::save(&model, out)?;
    Ok(convs.len())
}
