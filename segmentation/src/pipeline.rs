//! Image in, alpha mask out, with the reference pre- and post-processing (IMG.LY's): RGB, bilinear
//! resize to the model size ignoring the aspect ratio, `(x − 128) / 256` per channel, NCHW; the model's
//! 0..1 output scaled to 0..255 and resized back to the source size.
//!
//! Both resizes are the network's own bilinear interpolation with half-pixel centres and no
//! antialiasing, so the reference script can reproduce them exactly.

use burn::tensor::{Device, Tensor, TensorData};
use image::{GrayImage, RgbImage};

use crate::isnet::{IsNet, upsample_to};

/// The size the published model was trained at.
pub const TRAINED_SIZE: usize = 1024;

/// A loaded model on one device. Inference is CPU/GPU-heavy and blocking: call it off the async
/// runtime (the server runs one worker thread per instance).
pub struct Segmenter {
    model: IsNet,
    device: Device,
}

impl Segmenter {
    /// Takes a loaded model; on a CPU device this also prepares its convolutions (under a second).
    pub fn new(model: IsNet, device: Device) -> Self {
        model.prepare();
        Self { model, device }
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The alpha mask of `image` at its own size, computed at `size`×`size` (1024 is the trained
    /// size; smaller sizes are faster previews).
    pub fn segment(&self, image: &RgbImage, size: usize) -> GrayImage {
        let (width, height) = image.dimensions();
        let (width, height) = (width as usize, height as usize);
        let input = preprocess(image, size, &self.device);
        let mask = self.model.forward(input);
        postprocess(mask, width, height)
    }
}

/// `[1, 3, size, size]`, normalised.
pub fn preprocess(image: &RgbImage, size: usize, device: &Device) -> Tensor<4> {
    let (width, height) = image.dimensions();
    let (width, height) = (width as usize, height as usize);
    let plane = width * height;
    let mut planar = vec![0.0f32; 3 * plane];
    for (index, pixel) in image.pixels().enumerate() {
        for channel in 0..3 {
            planar[channel * plane + index] = (f32::from(pixel[channel]) - 128.0) / 256.0;
        }
    }
    let tensor = Tensor::<4>::from_data(TensorData::new(planar, [1, 3, height, width]), device);
    upsample_to(tensor, [size, size])
}

/// The model's `[1, 1, h, w]` output → an 8-bit mask at `width`×`height`.
pub fn postprocess(mask: Tensor<4>, width: usize, height: usize) -> GrayImage {
    let resized = upsample_to(mask, [height, width]);
    let values: Vec<f32> = resized.into_data().try_to_vec::<f32>().unwrap_or_default();
    let pixels: Vec<u8> = values
        .iter()
        .map(|v| (v * 255.0).round().clamp(0.0, 255.0) as u8)
        .collect();
    GrayImage::from_raw(width as u32, height as u32, pixels)
        .unwrap_or_else(|| GrayImage::new(width as u32, height as u32))
}
