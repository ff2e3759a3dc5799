//! Image in, alpha mask out, with the reference pre- and post-processing (IMG.LY's): RGB, bilinear
//! resize to the model size ignoring the aspect ratio, `(x − 128) / 256` per channel, NCHW; the model's
//! 0..1 output scaled to 0..255 and resized back to the source size.
//!
//! Both resizes are bilinear with half-pixel centres and no antialiasing (the network's own
//! interpolation, see [`crate::resize`]), so the reference script can reproduce them exactly.
//!
//! [`Segmenter::segment`] runs its three steps in `tracing` spans named `resize_in`, `inference`
//! (the forward pass and reading its output back) and `resize_out`, so a subscriber can time them.

use burn::tensor::{Device, Tensor, TensorData};
use image::{GrayImage, RgbImage};

use crate::isnet::IsNet;
use crate::resize;

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
    /// An output that cannot be read is an error, never an empty mask.
    pub fn segment(&self, image: &RgbImage, size: usize) -> Result<GrayImage, crate::Error> {
        let (width, height) = image.dimensions();
        let (width, height) = (width as usize, height as usize);
        let input =
            tracing::info_span!("resize_in").in_scope(|| preprocess(image, size, &self.device));
        // The read-back belongs to inference: on a GPU `forward` only queues the work.
        let map = tracing::info_span!("inference")
            .in_scope(|| MaskMap::read(self.model.forward(input)))?;
        tracing::info_span!("resize_out").in_scope(|| map.resize(width, height))
    }
}

/// `[1, 3, size, size]`, normalised: each channel resized straight from the 8-bit image (the
/// normalisation is linear, so resizing first gives the same values without a full-size float copy).
pub fn preprocess(image: &RgbImage, size: usize, device: &Device) -> Tensor<4> {
    let (width, height) = image.dimensions();
    let (width, height) = (width as usize, height as usize);
    let raw = image.as_raw();
    let mut planar = vec![0.0f32; 3 * size * size];
    for (channel, out) in planar.chunks_mut(size * size).enumerate() {
        resize::plane(
            (width, height),
            |x, y| f32::from(raw[(y * width + x) * 3 + channel]),
            (size, size),
            out,
            |v| (v - 128.0) / 256.0,
        );
    }
    Tensor::<4>::from_data(TensorData::new(planar, [1, 3, size, size]), device)
}

/// The model's `[1, 1, h, w]` output → an 8-bit mask at `width`×`height`. An output of the wrong
/// shape or type, or with a value that is not a finite number, is an error.
pub fn postprocess(
    mask: Tensor<4>,
    width: usize,
    height: usize,
) -> Result<GrayImage, crate::Error> {
    MaskMap::read(mask)?.resize(width, height)
}

/// The model's output read back from the device and checked, at the model's size.
pub struct MaskMap {
    values: Vec<f32>,
    width: usize,
    height: usize,
}

impl MaskMap {
    /// Reads a `[1, 1, h, w]` map of finite 32-bit floats; anything else is an error.
    pub fn read(mask: Tensor<4>) -> Result<Self, crate::Error> {
        let unusable = |why: String| crate::Error::Output(why);
        let [batch, channels, mask_h, mask_w] = mask.dims();
        if batch != 1 || channels != 1 || mask_h == 0 || mask_w == 0 {
            return Err(unusable(format!(
                "expected one [1, 1, h, w] map, got [{batch}, {channels}, {mask_h}, {mask_w}]"
            )));
        }
        let values: Vec<f32> = mask
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|err| unusable(format!("not 32-bit floats: {err:?}")))?;
        if values.len() != mask_w * mask_h {
            return Err(unusable(format!(
                "{} values for a {mask_w}×{mask_h} map",
                values.len()
            )));
        }
        if values.iter().any(|v| !v.is_finite()) {
            return Err(unusable(
                "it holds values that are not finite numbers".into(),
            ));
        }
        Ok(Self {
            values,
            width: mask_w,
            height: mask_h,
        })
    }

    /// The 8-bit mask at `width`×`height`.
    pub fn resize(&self, width: usize, height: usize) -> Result<GrayImage, crate::Error> {
        let mut pixels = vec![0u8; width * height];
        resize::plane(
            (self.width, self.height),
            |x, y| self.values[y * self.width + x],
            (width, height),
            &mut pixels,
            |v| (v * 255.0).round().clamp(0.0, 255.0) as u8,
        );
        GrayImage::from_raw(width as u32, height as u32, pixels)
            .ok_or_else(|| crate::Error::Output(format!("no {width}×{height} mask")))
    }
}
