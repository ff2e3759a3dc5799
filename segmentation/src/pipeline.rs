//! Image in, alpha mask out, with the reference pre- and post-processing (IMG.LY's): RGB, bilinear
//! resize to the model size ignoring the aspect ratio, `(x − 128) / 256` per channel, NCHW; the model's
//! 0..1 output scaled to 0..255 and resized back to the source size.
//!
//! Both resizes are bilinear with half-pixel centres and no antialiasing (the network's own
//! interpolation, see [`crate::resize`]), so the reference script can reproduce them exactly.
//!
//! On the CPU both run on the host ([`preprocess`], [`postprocess`]). On a GPU they run on the
//! device as tensor ops ([`preprocess_on_device`], [`postprocess_on_device`]): the image goes up and
//! the mask comes down as bytes packed four to a 32-bit word, a quarter of the traffic of floats,
//! and the host does no per-pixel arithmetic.
//!
//! [`Segmenter::segment`] runs its three steps in `tracing` spans named `resize_in`, `inference`
//! (the forward pass and reading its output back) and `resize_out`, so a subscriber can time them.

use burn::tensor::{DType, Device, FloatDType, Int, Tensor, TensorData};
use image::{GrayImage, RgbImage};
use rayon::prelude::*;

use crate::cpu::kernels::vectorize;
use crate::device::Precision;
use crate::isnet::{IsNet, upsample_to};
use crate::resize;

/// The size the published model was trained at.
pub const TRAINED_SIZE: usize = 1024;

/// A loaded model on one device, set up once: on a CPU its convolution filters are prepared, on a
/// GPU one warm-up pass compiles and autotunes the kernels, so no request pays for either.
/// Inference is CPU/GPU-heavy and blocking: call it off the async runtime (the server runs one
/// worker thread per instance).
pub struct Segmenter {
    model: IsNet,
    device: Device,
    precision: Precision,
}

impl Segmenter {
    /// Takes a loaded model and prepares it for its device (see [`Segmenter`]); computes in f32.
    pub fn new(model: IsNet, device: Device) -> Self {
        Self::with_precision(model, device, Precision::F32)
    }

    /// [`Segmenter::new`], computing in `precision`. f16 is meant for GPUs; input and output stay f32.
    pub fn with_precision(model: IsNet, device: Device, precision: Precision) -> Self {
        let model = model.with_precision(precision);
        model.prepare();
        let segmenter = Self {
            model,
            device,
            precision,
        };
        if !segmenter.on_cpu() {
            // Fusion and autotuning settle on the first pass of each shape. A photo that is not
            // square and not the model's size exercises both resizes too. A failure here recurs,
            // and is reported, on the first real request.
            let _ = segmenter.segment(&RgbImage::new(1024, 768), TRAINED_SIZE);
        }
        segmenter
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// Whether pre- and post-processing run on the host (a CPU device) rather than the device.
    fn on_cpu(&self) -> bool {
        self.device == Device::flex()
    }

    /// The alpha mask of `image` at its own size, computed at `size`×`size` (1024 is the trained
    /// size; smaller sizes are faster previews).
    /// An output that cannot be read is an error, never an empty mask.
    pub fn segment(&self, image: &RgbImage, size: usize) -> Result<GrayImage, crate::Error> {
        let (width, height) = image.dimensions();
        let (width, height) = (width as usize, height as usize);
        if self.on_cpu() {
            let input =
                tracing::info_span!("resize_in").in_scope(|| preprocess(image, size, &self.device));
            let map =
                tracing::info_span!("inference").in_scope(|| MaskMap::read(self.infer(input)))?;
            tracing::info_span!("resize_out").in_scope(|| map.resize(width, height))
        } else {
            let input = tracing::info_span!("resize_in")
                .in_scope(|| preprocess_on_device(image, size, &self.device));
            // On a GPU `forward` only queues the work: the resize and read-back wait for it.
            let mask = tracing::info_span!("inference").in_scope(|| self.infer(input));
            tracing::info_span!("resize_out")
                .in_scope(|| postprocess_on_device(mask, width, height))
        }
    }

    /// The network alone: a normalised f32 `[1, 3, h, w]` input on this device to its f32
    /// `[1, 1, h, w]` mask in 0..1, computed in this segmenter's precision.
    pub fn infer(&self, input: Tensor<4>) -> Tensor<4> {
        let input = match self.precision {
            Precision::F32 => input,
            precision => input.cast(precision.dtype()),
        };
        let mask = self.model.forward(input);
        match self.precision {
            Precision::F32 => mask,
            _ => mask.cast(FloatDType::F32),
        }
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
        vectorize(
            #[inline(always)]
            || {
                resize::plane(
                    (width, height),
                    |x, y| f32::from(raw[(y * width + x) * 3 + channel]),
                    (size, size),
                    out,
                    |v| (v - 128.0) / 256.0,
                )
            },
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
        // Bands of rows on the pool's threads.
        const BAND_ROWS: usize = 128;
        pixels
            .par_chunks_mut((BAND_ROWS * width).max(1))
            .enumerate()
            .for_each(|(band, out)| {
                vectorize(
                    #[inline(always)]
                    || {
                        resize::plane_rows(
                            (self.width, self.height),
                            |x, y| self.values[y * self.width + x],
                            (width, height),
                            band * BAND_ROWS,
                            out,
                            |v| (v * 255.0).round().clamp(0.0, 255.0) as u8,
                        )
                    },
                )
            });
        GrayImage::from_raw(width as u32, height as u32, pixels)
            .ok_or_else(|| crate::Error::Output(format!("no {width}×{height} mask")))
    }
}

/// [`preprocess`] as tensor ops on `device`: the same values up to float rounding. The RGB bytes
/// go up packed four to a word and are unpacked, resized and normalised there.
pub fn preprocess_on_device(image: &RgbImage, size: usize, device: &Device) -> Tensor<4> {
    let (width, height) = image.dimensions();
    let (width, height) = (width as usize, height as usize);
    let raw = image.as_raw();
    let words = pack_words(raw);
    let count = words.len();
    let words = Tensor::<1, Int>::from_data(TensorData::new(words, [count]), (device, DType::I32));
    let planar = unpack_bytes(words, raw.len())
        .float()
        .reshape([height, width, 3])
        .permute([2, 0, 1])
        .unsqueeze::<4>();
    upsample_to(planar, [size, size])
        .sub_scalar(128.0)
        .div_scalar(256.0)
}

/// [`postprocess`] as tensor ops on the mask's device; only the finished 8-bit mask (packed four
/// pixels to a word) and one sum come back. The same checks: a map of the wrong shape, or one with
/// a value that is not a finite number, is an error.
pub fn postprocess_on_device(
    mask: Tensor<4>,
    width: usize,
    height: usize,
) -> Result<GrayImage, crate::Error> {
    let unusable = |why: String| crate::Error::Output(why);
    let [batch, channels, mask_h, mask_w] = mask.dims();
    if batch != 1 || channels != 1 || mask_h == 0 || mask_w == 0 {
        return Err(unusable(format!(
            "expected one [1, 1, h, w] map, got [{batch}, {channels}, {mask_h}, {mask_w}]"
        )));
    }
    let mask = mask.cast(FloatDType::F32);
    // A NaN or infinity anywhere makes the sum non-finite: one number read instead of a scan.
    let total = mask
        .clone()
        .sum()
        .into_data()
        .iter::<f32>()
        .next()
        .unwrap_or(f32::NAN);
    if !total.is_finite() {
        return Err(unusable(
            "it holds values that are not finite numbers".into(),
        ));
    }
    let levels = upsample_to(mask, [height, width])
        .mul_scalar(255.0)
        .round()
        .clamp(0.0, 255.0)
        .int()
        .reshape([width * height]);
    let words = pack_bytes(levels).into_data();
    let mut pixels: Vec<u8> = words
        .iter::<i64>()
        .flat_map(|word| (word as u32).to_le_bytes())
        .collect();
    pixels.truncate(width * height);
    GrayImage::from_raw(width as u32, height as u32, pixels)
        .ok_or_else(|| unusable(format!("no {width}×{height} mask")))
}

/// Bytes as little-endian 32-bit words, the last one zero-padded.
fn pack_words(bytes: &[u8]) -> Vec<i32> {
    bytes
        .chunks(4)
        .map(|chunk| {
            let mut word = [0u8; 4];
            word[..chunk.len()].copy_from_slice(chunk);
            i32::from_le_bytes(word)
        })
        .collect()
}

/// The inverse of [`pack_words`] on the device: `len` values 0..=255.
fn unpack_bytes(words: Tensor<1, Int>, len: usize) -> Tensor<1, Int> {
    let [count] = words.dims();
    let bytes: Vec<Tensor<1, Int>> = (0..4)
        .map(|index| {
            words
                .clone()
                .bitwise_right_shift_scalar(8 * index)
                .bitwise_and_scalar(0xFF)
        })
        .collect();
    Tensor::stack::<2>(bytes, 1)
        .reshape([count * 4])
        .slice(0..len)
}

/// Values 0..=255 four to a little-endian word on the device, zero-padded: what [`pack_words`]
/// would make of them.
fn pack_bytes(bytes: Tensor<1, Int>) -> Tensor<1, Int> {
    let [len] = bytes.dims();
    let count = len.div_ceil(4);
    let bytes = if count * 4 == len {
        bytes
    } else {
        let padding = Tensor::<1, Int>::zeros([count * 4 - len], (&bytes.device(), bytes.dtype()));
        Tensor::cat(vec![bytes, padding], 0)
    };
    let bytes = bytes.reshape([count, 4]);
    (0..4)
        .map(|index| {
            bytes
                .clone()
                .slice([0..count, index..index + 1])
                .reshape([count])
                .bitwise_left_shift_scalar(8 * index as i32)
        })
        .reduce(Tensor::bitwise_or)
        .expect("four parts")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IsNetConfig;
    use crate::weights;

    /// A photo whose pixels cover every byte value, with a width that leaves a partial last word.
    fn photo(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            let v = (x * 7 + y * 13) as u8;
            image::Rgb([v, v.wrapping_mul(3).wrapping_add(128), 255 - v])
        })
    }

    #[test]
    fn bytes_survive_packing_into_words_and_back_on_a_device() {
        let device = Device::flex();
        for len in [1usize, 4, 5, 7, 258] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 97 % 256) as u8).collect();
            let words = pack_words(&bytes);
            assert_eq!(words.len(), len.div_ceil(4));
            let count = words.len();
            let tensor = Tensor::<1, Int>::from_data(
                TensorData::new(words.clone(), [count]),
                (&device, DType::I32),
            );
            let unpacked = unpack_bytes(tensor, len);
            let values: Vec<i64> = unpacked.to_data().iter::<i64>().collect();
            let expected: Vec<i64> = bytes.iter().map(|&b| i64::from(b)).collect();
            assert_eq!(values, expected, "unpacking {len} bytes");
            let repacked: Vec<i32> = pack_bytes(unpacked)
                .into_data()
                .iter::<i64>()
                .map(|word| word as u32 as i32)
                .collect();
            assert_eq!(repacked, words, "repacking {len} bytes");
        }
    }

    #[test]
    fn preprocessing_on_the_device_matches_the_host() {
        let device = Device::flex();
        for (width, height, size) in [(37, 23, 32), (64, 64, 64), (50, 70, 96)] {
            let image = photo(width, height);
            let host = preprocess(&image, size, &device).into_data();
            let on_device = preprocess_on_device(&image, size, &device).into_data();
            assert_eq!(host.shape(), on_device.shape());
            let max = host
                .iter::<f32>()
                .zip(on_device.iter::<f32>())
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(max < 1e-5, "{width}×{height} → {size}: max |Δ| {max}");
        }
    }

    #[test]
    fn postprocessing_on_the_device_matches_the_host() {
        let device = Device::flex();
        let size = 16;
        let values: Vec<f32> = (0..size * size)
            .map(|i| ((i * 37) % 101) as f32 / 100.0)
            .collect();
        let mask =
            || Tensor::<4>::from_data(TensorData::new(values.clone(), [1, 1, size, size]), &device);
        for (width, height) in [(16, 16), (37, 23), (9, 5)] {
            let host = postprocess(mask(), width, height).expect("host mask");
            let on_device = postprocess_on_device(mask(), width, height).expect("device mask");
            assert_eq!(host.dimensions(), on_device.dimensions());
            let worst = host
                .pixels()
                .zip(on_device.pixels())
                .map(|(a, b)| a[0].abs_diff(b[0]))
                .max()
                .unwrap_or(0);
            assert!(worst <= 1, "{width}×{height}: {worst} levels apart");
        }
    }

    #[test]
    fn postprocessing_on_the_device_refuses_what_the_host_refuses() {
        let device = Device::flex();
        let nan = Tensor::<4>::from_data(
            TensorData::new(vec![0.5, f32::NAN, 0.5, 0.5], [1, 1, 2, 2]),
            &device,
        );
        let err = postprocess_on_device(nan, 4, 4).expect_err("NaN");
        assert!(err.to_string().contains("finite"), "{err}");
        let two = Tensor::<4>::zeros([1, 2, 2, 2], &device);
        assert!(postprocess_on_device(two, 4, 4).is_err());
    }

    #[test]
    fn an_f16_segmenter_gives_nearly_the_f32_mask() {
        let device = Device::flex();
        let image = RgbImage::from_fn(40, 30, |x, y| {
            image::Rgb([(x * 6) as u8, (y * 8) as u8, 90])
        });
        let mask = |precision| {
            let model = weights::random(&IsNetConfig::tiny(), 3, &device);
            let segmenter = Segmenter::with_precision(model, device.clone(), precision);
            assert_eq!(segmenter.precision(), precision);
            segmenter.segment(&image, 64).expect("a mask")
        };
        let (full, half) = (mask(Precision::F32), mask(Precision::F16));
        assert_eq!(full.dimensions(), half.dimensions());
        let worst = full
            .pixels()
            .zip(half.pixels())
            .map(|(a, b)| a[0].abs_diff(b[0]))
            .max()
            .unwrap_or(0);
        assert!(worst <= 3, "{worst} levels apart");
    }
}
