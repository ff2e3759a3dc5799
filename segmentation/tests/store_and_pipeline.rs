//! Converted weights survive a save and load; a bad file says how to get a good one; the pipeline
//! gives a mask at the source image's size.

use burn::tensor::{Device, Distribution, Tensor};
use image::{Rgb, RgbImage};
use segmentation::pipeline::preprocess;
use segmentation::{Error, IsNetConfig, Segmenter, store};

fn values(tensor: Tensor<4>) -> Vec<f32> {
    tensor.into_data().try_to_vec::<f32>().expect("f32")
}

#[test]
fn a_saved_model_loads_back_identically() {
    let device = Device::default();
    let config = IsNetConfig::tiny();
    let model = config.init(&device);
    let dir = tempfile::tempdir().expect("temp");
    let path = dir.path().join("models/isnet.bpk");
    store::save(&model, &path).expect("save");

    let loaded = store::load(&config, &path, &device).expect("load");
    let x = Tensor::<4>::random([1, 3, 40, 40], Distribution::Uniform(-0.5, 0.5), &device);
    assert_eq!(values(model.forward(x.clone())), values(loaded.forward(x)));
}

#[test]
fn a_missing_or_foreign_weights_file_says_how_to_fix_it() {
    let device = Device::default();
    let dir = tempfile::tempdir().expect("temp");
    let missing = dir.path().join("nothing.bpk");
    let err = store::load(&IsNetConfig::tiny(), &missing, &device).expect_err("missing");
    assert!(matches!(err, Error::Weights { .. }));
    assert!(err.to_string().contains("make weights"), "{err}");

    let garbage = dir.path().join("garbage.bpk");
    std::fs::write(&garbage, b"not a burnpack file at all").expect("write");
    assert!(store::load(&IsNetConfig::tiny(), &garbage, &device).is_err());

    // Tiny weights cannot fill the published architecture.
    let tiny = dir.path().join("tiny.bpk");
    store::save(&IsNetConfig::tiny().init(&device), &tiny).expect("save");
    let custom = IsNetConfig::new(
        [
            [4, 2, 4],
            [4, 2, 4],
            [4, 2, 4],
            [4, 2, 4],
            [4, 2, 4],
            [4, 2, 8],
        ],
        [[12, 2, 4], [8, 2, 4], [8, 2, 4], [8, 2, 4], [8, 2, 4]],
    );
    assert!(store::load(&custom, &tiny, &device).is_err());
}

#[test]
fn preprocessing_normalises_each_channel_like_the_reference() {
    let device = Device::default();
    let image = RgbImage::from_pixel(8, 8, Rgb([0, 128, 255]));
    let x = values(preprocess(&image, 4, &device));
    assert_eq!(x.len(), 3 * 4 * 4);
    assert!(x[..16].iter().all(|v| (v + 0.5).abs() < 1e-6), "R 0 → -0.5");
    assert!(x[16..32].iter().all(|v| v.abs() < 1e-6), "G 128 → 0");
    assert!(
        x[32..].iter().all(|v| (v - 127.0 / 256.0).abs() < 1e-6),
        "B 255 → 0.496"
    );
}

#[test]
fn the_mask_has_the_source_size_whatever_the_model_size() {
    let device = Device::default();
    let segmenter = Segmenter::new(IsNetConfig::tiny().init(&device), device);
    let image = RgbImage::from_fn(75, 41, |x, y| Rgb([(x * 3) as u8, (y * 5) as u8, 90]));
    for size in [32, 64] {
        let mask = segmenter.segment(&image, size).expect("mask");
        assert_eq!(mask.dimensions(), (75, 41));
    }
}

#[test]
fn an_unreadable_model_output_is_an_error_not_an_empty_mask() {
    use burn::tensor::TensorData;
    use segmentation::pipeline::postprocess;
    let device = Device::default();
    let good = Tensor::<4>::from_data(
        TensorData::new(vec![0.0f32, 1.0, 0.5, 1.0], [1, 1, 2, 2]),
        &device,
    );
    let mask = postprocess(good, 4, 4).expect("a readable output");
    assert_eq!(mask.dimensions(), (4, 4));
    assert!(mask.pixels().any(|p| p.0[0] > 200), "the values survive");
    let not_finite = Tensor::<4>::from_data(
        TensorData::new(vec![0.0f32, f32::NAN, 0.5, 1.0], [1, 1, 2, 2]),
        &device,
    );
    assert!(matches!(
        postprocess(not_finite, 4, 4),
        Err(Error::Output(_))
    ));
    let two_maps = Tensor::<4>::from_data(TensorData::new(vec![0.5f32; 8], [1, 2, 2, 2]), &device);
    assert!(matches!(postprocess(two_maps, 4, 4), Err(Error::Output(_))));
}
