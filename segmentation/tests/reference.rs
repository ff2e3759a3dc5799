//! The real model against onnxruntime's masks for the same weights and inputs
//! (`reference/make_references.py`). Needs the converted weights (`make weights`) and an optimised
//! build, so it is ignored in the quick suite and run by `make test` as
//! `cargo test --profile reference -p segmentation --test reference -- --ignored`.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use image::GenericImageView;
use segmentation::pipeline::{postprocess, preprocess};
use segmentation::{IsNetConfig, TRAINED_SIZE, store};

const SAMPLES: [&str; 3] = ["astronaut", "coffee", "chelsea"];

fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("reference")
}

/// Where `make weights` puts the converted model (`IMGIGO_MODEL_FILE` overrides).
fn model_file() -> PathBuf {
    if let Ok(path) = std::env::var("IMGIGO_MODEL_FILE") {
        return PathBuf::from(path);
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| ".".into());
    Path::new(&home).join(".cache/imgigo/models/isnet-dis-imgly-1.4.5.bpk")
}

fn mae_and_iou(a: &[f32], b: &[f32]) -> (f32, f32) {
    assert_eq!(a.len(), b.len());
    let mae = a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32;
    let (mut inter, mut union) = (0u64, 0u64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (*x > 0.5, *y > 0.5);
        inter += u64::from(x && y);
        union += u64::from(x || y);
    }
    (
        mae,
        if union == 0 {
            1.0
        } else {
            inter as f32 / union as f32
        },
    )
}

#[test]
#[ignore = "needs the real weights (make weights) and an optimised build (make test runs it)"]
fn burn_masks_match_onnxruntime_on_every_reference_photo() {
    let device = Device::default();
    let path = model_file();
    let model =
        store::load(&IsNetConfig::dis(), &path, &device).unwrap_or_else(|err| panic!("{err}"));
    for name in SAMPLES {
        let dir = reference_dir();
        let photo = image::open(dir.join(format!("inputs/{name}.png")))
            .expect("photo")
            .to_rgb8();
        let expected16 = image::open(dir.join(format!("{name}.mask1024.png")))
            .expect("reference")
            .to_luma16();
        let expected: Vec<f32> = expected16
            .pixels()
            .map(|p| f32::from(p[0]) / 65535.0)
            .collect();

        let output = model.forward(preprocess(&photo, TRAINED_SIZE, &device));
        let got: Vec<f32> = output.clone().into_data().try_to_vec::<f32>().expect("f32");
        let (mae, iou) = mae_and_iou(&got, &expected);
        println!("{name}: 1024² mask vs onnxruntime: MAE {mae:.5}, IoU@0.5 {iou:.5}");
        assert!(mae <= 0.002, "{name}: MAE {mae}");
        assert!(iou >= 0.995, "{name}: IoU {iou}");

        // The product's 8-bit mask at the photo's size.
        let (width, height) = photo.dimensions();
        let mask = postprocess(output, width as usize, height as usize).expect("mask");
        let expected8 = image::open(dir.join(format!("{name}.mask.png"))).expect("reference");
        assert_eq!(expected8.dimensions(), (width, height));
        let a: Vec<f32> = mask.pixels().map(|p| f32::from(p[0]) / 255.0).collect();
        let b: Vec<f32> = expected8
            .to_luma8()
            .pixels()
            .map(|p| f32::from(p[0]) / 255.0)
            .collect();
        let (mae8, iou8) = mae_and_iou(&a, &b);
        println!("{name}: {width}x{height} alpha vs onnxruntime: MAE {mae8:.5}, IoU@0.5 {iou8:.5}");
        assert!(
            mae8 <= 0.003 && iou8 >= 0.995,
            "{name}: 8-bit mask MAE {mae8}, IoU {iou8}"
        );
    }
}
