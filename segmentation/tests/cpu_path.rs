//! The CPU path (Winograd convolutions, fused concatenation and residuals, pooled buffers) computes
//! the same masks as burn's own graph, on a small random-weight ISNet at awkward sizes and batch 2.
//! Its own test binary: it flips the process-wide switch between the two paths.

use burn::tensor::{Device, Distribution, Tensor};
use segmentation::IsNetConfig;
use segmentation::cpu::use_stock_convolutions;

#[test]
fn cpu_path_matches_burns_graph() {
    let device = Device::default();
    // Wider than `tiny` so every layer carries signal, still fast in a debug build.
    let config = IsNetConfig::new(
        [
            [8, 4, 8],
            [8, 4, 8],
            [8, 4, 8],
            [8, 4, 8],
            [8, 4, 8],
            [8, 4, 8],
        ],
        [[16, 4, 8], [16, 4, 8], [16, 4, 8], [16, 4, 8], [16, 4, 8]],
    );
    let model = config.init(&device);
    for (height, width) in [(64, 64), (75, 53)] {
        let x = Tensor::<4>::random(
            [2, 3, height, width],
            Distribution::Uniform(-1.0, 1.0),
            &device,
        );
        use_stock_convolutions(true);
        let stock: Vec<f32> = model
            .forward(x.clone())
            .into_data()
            .try_to_vec()
            .expect("f32");
        use_stock_convolutions(false);
        let fast: Vec<f32> = model.forward(x).into_data().try_to_vec().expect("f32");
        assert_eq!(stock.len(), 2 * height * width);
        let mean = stock.iter().sum::<f32>() / stock.len() as f32;
        let spread = stock
            .iter()
            .map(|v| (v - mean).abs())
            .fold(0.0f32, f32::max);
        assert!(
            spread > 1e-3,
            "the random model's mask must vary to make this test mean something"
        );
        let worst = stock
            .iter()
            .zip(&fast)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(
            worst < 1e-5,
            "{height}×{width}: max difference {worst} (mask spread {spread})"
        );
        eprintln!("{height}×{width}: max difference {worst}, mask spread {spread}");
    }
}
