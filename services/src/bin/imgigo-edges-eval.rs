//! `imgigo-edges-eval DIR`: imgigo's side of the edge evaluation (`scripts/edge_eval.py`, which
//! builds the composites, runs the peers and scores everything). For each `DIR/<case>/`:
//!
//! - with `photo.png` and no `alpha.png`: writes `alpha.png`, the mask of the clean photo, solid
//!   inside: the alpha the composites made from it have, by construction;
//! - with `composite.png`: writes the cut-outs of each step as RGBA PNGs — `imgigo-network.png`
//!   (the network's upsampled mask, the photo's colours), `imgigo-solid.png` (with the solid inside)
//!   and `imgigo.png` (what the API sends: solid inside and the estimated edge colours), and
//!   `imgigo-guided.png` (the same with the network's mask first refined by the photo,
//!   [`services::cutout::guided`], an option under evaluation) — and the seconds each step took in
//!   `imgigo-times.txt`.
//!
//! The model is `IMGIGO_MODEL_FILE` (or `--model FILE`), on the CPU. With `--reuse-masks`, a case
//! that already has `imgigo-network.png` takes its mask from there instead of running the network
//! again (for trying the edge steps quickly; the times file then keeps the earlier inference time).

use std::path::{Path, PathBuf};
use std::time::Instant;

use image::{GrayImage, RgbImage, RgbaImage};
use services::cutout::compose::{Background, Finish, compose};
use services::cutout::{Engine, ModelSize, guided, solid};

fn main() {
    if let Err(err) = run() {
        eprintln!("imgigo-edges-eval: {err}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mut model = std::env::var_os("IMGIGO_MODEL_FILE").map(PathBuf::from);
    let mut dir = None;
    let mut reuse = false;
    while let Some(arg) = args.next() {
        if arg == "--reuse-masks" {
            reuse = true;
        } else if arg == "--model" {
            model = args.next().map(PathBuf::from);
        } else {
            dir = Some(PathBuf::from(arg));
        }
    }
    let dir = dir.ok_or("usage: imgigo-edges-eval [--model FILE] DIR")?;
    let model = model.ok_or("name the model: --model FILE or IMGIGO_MODEL_FILE")?;
    println!(
        "CPU: {} ({})",
        segmentation::cpu::cpu_model(),
        segmentation::cpu::cpu_features().join(", ")
    );
    let engine = Engine::load(&model, &segmentation::device::cpu()).map_err(|e| e.to_string())?;
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    for case in cases {
        if case.join("photo.png").exists() && !case.join("alpha.png").exists() {
            let photo = read_rgb(&case.join("photo.png"))?;
            let alpha = engine
                .mask(&photo, ModelSize::FULL)
                .map_err(|e| e.to_string())?;
            save(&alpha, &case.join("alpha.png"))?;
            println!("{}: reference alpha", case.display());
        }
        if case.join("composite.png").exists() {
            cut(&engine, &case, reuse)?;
            println!("{}: cut out", case.display());
        }
    }
    Ok(())
}

fn cut(engine: &Engine, case: &Path, reuse: bool) -> Result<(), String> {
    let photo = read_rgb(&case.join("composite.png"))?;
    let earlier = case.join("imgigo-network.png");
    let times = case.join("imgigo-times.txt");
    let (network, inference) = if reuse && earlier.exists() && times.exists() {
        let alpha = image::open(&earlier)
            .map_err(|e| format!("{}: {e}", earlier.display()))?
            .to_rgba8();
        let mask = GrayImage::from_fn(alpha.width(), alpha.height(), |x, y| {
            image::Luma([alpha.get_pixel(x, y).0[3]])
        });
        let text = std::fs::read_to_string(&times).map_err(|e| e.to_string())?;
        let seconds = text
            .lines()
            .find_map(|line| line.strip_prefix("inference "))
            .and_then(|v| v.trim().parse().ok())
            .ok_or("no inference time in imgigo-times.txt")?;
        (mask, seconds)
    } else {
        let started = Instant::now();
        let network = engine
            .network_mask(&photo, ModelSize::FULL)
            .map_err(|e| e.to_string())?;
        (network, started.elapsed().as_secs_f64())
    };
    save(
        &with_alpha(&photo, &network),
        &case.join("imgigo-network.png"),
    )?;
    let started = Instant::now();
    let mut solid_mask = network.clone();
    solid::solidify(&mut solid_mask);
    let solid_time = started.elapsed().as_secs_f64();
    save(
        &with_alpha(&photo, &solid_mask),
        &case.join("imgigo-solid.png"),
    )?;
    let started = Instant::now();
    let composed = compose(
        &photo,
        solid_mask,
        &Background::Transparent,
        &Finish::default(),
    );
    let compose_time = started.elapsed().as_secs_f64();
    save(&composed.rgba, &case.join("imgigo.png"))?;
    let started = Instant::now();
    let mut refined = guided::refine(&photo, &network, guided::RADIUS, guided::EPSILON);
    let guided_time = started.elapsed().as_secs_f64();
    solid::solidify(&mut refined);
    let composed = compose(
        &photo,
        refined,
        &Background::Transparent,
        &Finish::default(),
    );
    save(&composed.rgba, &case.join("imgigo-guided.png"))?;
    std::fs::write(
        times,
        format!(
            "inference {inference:.3}\nsolid {solid_time:.3}\ncompose {compose_time:.3}\nguided {guided_time:.3}\n"
        ),
    )
    .map_err(|e| e.to_string())
}

/// The photo's colours under `alpha` (0 where it is 0).
fn with_alpha(photo: &RgbImage, alpha: &GrayImage) -> RgbaImage {
    RgbaImage::from_fn(photo.width(), photo.height(), |x, y| {
        let a = alpha.get_pixel(x, y).0[0];
        let [r, g, b] = if a == 0 {
            [0; 3]
        } else {
            photo.get_pixel(x, y).0
        };
        image::Rgba([r, g, b, a])
    })
}

fn read_rgb(path: &Path) -> Result<RgbImage, String> {
    Ok(image::open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .to_rgb8())
}

fn save<P: image::PixelWithColorType>(
    image: &image::ImageBuffer<P, Vec<P::Subpixel>>,
    path: &Path,
) -> Result<(), String>
where
    [P::Subpixel]: image::EncodableLayout,
{
    image
        .save(path)
        .map_err(|e| format!("{}: {e}", path.display()))
}
