//! `imgigo-weights --package DIR --out FILE`: rebuilds the ONNX model from an unpacked
//! `@imgly/background-removal-data` package, checks its sha256, and converts its weights (f16 → f32,
//! Conv node path → parameter name) into a Burnpack file. The same as `imgigo weights` (what `make weights` runs).

use std::path::PathBuf;
use std::process::ExitCode;

use segmentation::package::convert;

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
