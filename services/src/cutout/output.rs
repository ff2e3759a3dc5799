//! Encoding a cutout: transparent PNG, lossless WebP with alpha, JPEG on a background colour, or the
//! alpha mask alone. Outputs carry no metadata from the input (they are built from pixels only).

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::{ExtendedColorType, GrayImage, ImageEncoder, RgbImage, Rgba, RgbaImage};

use crate::Error;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// RGBA PNG, the background transparent.
    Png,
    /// Lossless RGBA WebP.
    Webp,
    /// JPEG with the background filled with a colour (white by default).
    Jpeg { background: [u8; 3] },
    /// The 8-bit alpha mask as a grayscale PNG.
    Mask,
}

impl OutputFormat {
    /// `png`, `webp`, `jpg`/`jpeg` (on white) or `mask`.
    pub fn parse(name: &str) -> Result<Self, Error> {
        match name.to_ascii_lowercase().as_str() {
            "png" => Ok(Self::Png),
            "webp" => Ok(Self::Webp),
            "jpg" | "jpeg" => Ok(Self::Jpeg {
                background: [255, 255, 255],
            }),
            "mask" => Ok(Self::Mask),
            other => Err(Error::Invalid {
                field: "format",
                message: format!("{other:?} is not one of png, webp, jpg, mask"),
            }),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Png | Self::Mask => "png",
            Self::Webp => "webp",
            Self::Jpeg { .. } => "jpg",
        }
    }
}

/// Encodes `image` cut out by `mask` (same size) in `format`.
pub fn encode(image: &RgbImage, mask: &GrayImage, format: OutputFormat) -> Result<Vec<u8>, Error> {
    if image.dimensions() != mask.dimensions() {
        return Err(Error::Internal("mask and image sizes differ".into()));
    }
    let (width, height) = image.dimensions();
    let mut out = Cursor::new(Vec::new());
    let failed = |err: image::ImageError| Error::Internal(format!("encoding failed: {err}"));
    match format {
        OutputFormat::Png => png(
            &mut out,
            cutout(image, mask).as_raw(),
            width,
            height,
            ExtendedColorType::Rgba8,
        )
        .map_err(failed)?,
        OutputFormat::Webp => {
            WebPEncoder::new_lossless(&mut out)
                .write_image(
                    cutout(image, mask).as_raw(),
                    width,
                    height,
                    ExtendedColorType::Rgba8,
                )
                .map_err(failed)?;
        }
        OutputFormat::Jpeg { background } => {
            let flat = on_background(image, mask, background);
            JpegEncoder::new_with_quality(&mut out, 90)
                .write_image(flat.as_raw(), width, height, ExtendedColorType::Rgb8)
                .map_err(failed)?;
        }
        OutputFormat::Mask => png(
            &mut out,
            mask.as_raw(),
            width,
            height,
            ExtendedColorType::L8,
        )
        .map_err(failed)?,
    }
    Ok(out.into_inner())
}

/// PNG with fast compression: encoding time matters more than a few percent of size.
fn png(
    out: &mut Cursor<Vec<u8>>,
    pixels: &[u8],
    width: u32,
    height: u32,
    color: ExtendedColorType,
) -> Result<(), image::ImageError> {
    PngEncoder::new_with_quality(out, CompressionType::Fast, FilterType::Adaptive)
        .write_image(pixels, width, height, color)
}

fn cutout(image: &RgbImage, mask: &GrayImage) -> RgbaImage {
    RgbaImage::from_fn(image.width(), image.height(), |x, y| {
        let [r, g, b] = image.get_pixel(x, y).0;
        Rgba([r, g, b, mask.get_pixel(x, y).0[0]])
    })
}

fn on_background(image: &RgbImage, mask: &GrayImage, background: [u8; 3]) -> RgbImage {
    let mut flat = image.clone();
    for (pixel, alpha) in flat.pixels_mut().zip(mask.pixels()) {
        let a = u16::from(alpha.0[0]);
        for (channel, bg) in pixel.0.iter_mut().zip(background) {
            *channel = ((u16::from(*channel) * a + u16::from(bg) * (255 - a) + 127) / 255) as u8;
        }
    }
    flat
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Luma, Rgb};

    fn sample() -> (RgbImage, GrayImage) {
        let image = RgbImage::from_pixel(4, 2, Rgb([200, 100, 50]));
        let mask = GrayImage::from_fn(4, 2, |x, _| Luma([if x < 2 { 255 } else { 0 }]));
        (image, mask)
    }

    #[test]
    fn png_and_webp_keep_the_mask_as_alpha() {
        let (image, mask) = sample();
        for format in [OutputFormat::Png, OutputFormat::Webp] {
            let bytes = encode(&image, &mask, format).unwrap();
            let decoded = image::load_from_memory(&bytes).unwrap().to_rgba8();
            assert_eq!(decoded.get_pixel(0, 0).0, [200, 100, 50, 255], "{format:?}");
            assert_eq!(decoded.get_pixel(3, 1).0[3], 0, "{format:?}");
        }
    }

    #[test]
    fn jpeg_fills_the_background_and_mask_is_grayscale() {
        let (image, mask) = sample();
        let jpeg = image::load_from_memory(
            &encode(&image, &mask, OutputFormat::parse("jpg").unwrap()).unwrap(),
        )
        .unwrap()
        .to_rgb8();
        assert!(
            jpeg.get_pixel(3, 0).0.iter().all(|&c| c > 240),
            "background is white"
        );
        let decoded =
            image::load_from_memory(&encode(&image, &mask, OutputFormat::Mask).unwrap()).unwrap();
        assert_eq!(decoded.color(), image::ColorType::L8);
        assert_eq!(decoded.to_luma8(), mask);
    }

    #[test]
    fn unknown_formats_are_refused_by_name() {
        let err = OutputFormat::parse("gif").unwrap_err();
        assert!(err.to_string().contains("png, webp, jpg, mask"));
    }
}
