//! An uploaded photo, from bytes to upright RGB pixels, in memory only.
//!
//! Order of checks, cheapest first, so bad input fails before any large allocation: byte limit →
//! format from magic bytes (never the file name or the declared MIME type) → dimensions from the
//! header against the pixel limit → the file is whole (it runs to its format's end, see [`complete`])
//! → decode under the `image` crate's allocation limit → EXIF
//! orientation applied → pixels only (every piece of metadata stays behind). The bytes and the
//! decoded pixels live in [`Zeroizing`] buffers, wiped when dropped. (Scratch memory inside the
//! decoders themselves is outside our reach.)

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};
use zeroize::{Zeroize, Zeroizing};

use crate::Error;

pub mod complete;

/// What an upload may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UploadLimits {
    /// Largest upload in bytes (default 25 MB).
    pub max_bytes: usize,
    /// Largest image in pixels (default 50 MP).
    pub max_pixels: u64,
    /// Largest allocation the decoder may make, in bytes.
    pub max_decode_bytes: u64,
}

impl Default for UploadLimits {
    fn default() -> Self {
        Self {
            max_bytes: 25 * 1000 * 1000,
            max_pixels: 50_000_000,
            max_decode_bytes: 1 << 30,
        }
    }
}

/// The formats we decode, as sniffed from the first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceFormat {
    Jpeg,
    Png,
    Webp,
}

impl SourceFormat {
    /// By magic bytes only.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            Self::Jpeg => ImageFormat::Jpeg,
            Self::Png => ImageFormat::Png,
            Self::Webp => ImageFormat::WebP,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
            Self::Webp => "WebP",
        }
    }
}

/// Upright RGB pixels of an upload, wiped when dropped.
pub struct Photo {
    pixels: RgbImage,
    pub format: SourceFormat,
}

impl Photo {
    pub fn rgb(&self) -> &RgbImage {
        &self.pixels
    }

    pub fn dimensions(&self) -> (u32, u32) {
        self.pixels.dimensions()
    }
}

impl Drop for Photo {
    fn drop(&mut self) {
        let bytes: &mut [u8] = &mut self.pixels;
        bytes.zeroize();
    }
}

/// The sentence for an unsupported upload, naming what is accepted.
pub const ACCEPTED: &str = "JPEG, PNG or WebP";

/// Decodes `bytes` (already read into a wiped-on-drop buffer) within `limits`.
///
/// A decoder that panics on malformed input is a damaged image (422), not a server error: zune-jpeg
/// 0.5.15's AVX2 IDCT unwraps a `None` on some corrupt JPEGs (found by fuzzing,
/// `fuzz/regressions/upload_decode/`), and the codecs are third-party code we cannot audit.
pub fn decode(bytes: &Zeroizing<Vec<u8>>, limits: &UploadLimits) -> Result<Photo, Error> {
    let format = SourceFormat::sniff(bytes);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        decode_unguarded(bytes, limits)
    }))
    .unwrap_or_else(|_| {
        tracing::warn!("an image decoder panicked on an upload; answered as unreadable");
        if format.is_some_and(|format| !complete::is_complete(format, bytes)) {
            return Err(Error::Unprocessable(complete::INCOMPLETE.into()));
        }
        Err(Error::Unprocessable(format!(
            "the {} image could not be read; it may be damaged. Try another copy of the photo",
            format.map_or("uploaded", SourceFormat::name)
        )))
    })
}

fn decode_unguarded(bytes: &Zeroizing<Vec<u8>>, limits: &UploadLimits) -> Result<Photo, Error> {
    if bytes.is_empty() {
        return Err(Error::BadRequest(format!(
            "the upload is empty: send a {ACCEPTED} photo"
        )));
    }
    if bytes.len() > limits.max_bytes {
        return Err(Error::TooLarge(format!(
            "the upload is {} MB; the limit is {} MB",
            bytes.len().div_ceil(1_000_000),
            limits.max_bytes / 1_000_000
        )));
    }
    let Some(format) = SourceFormat::sniff(bytes) else {
        return Err(Error::UnsupportedMedia(format!(
            "this file is not an image we can read; upload a {ACCEPTED} image"
        )));
    };
    // A file cut short usually trips the decoder somewhere; say that it is incomplete, which a
    // person can act on, rather than the decoder's words.
    let unreadable = |err: image::ImageError| {
        if !complete::is_complete(format, bytes) {
            return Error::Unprocessable(complete::INCOMPLETE.into());
        }
        Error::Unprocessable(format!(
            "the {} image could not be read ({}); it may be damaged. Try another copy of the photo",
            format.name(),
            short(&err)
        ))
    };
    let reader = ImageReader::with_format(Cursor::new(&bytes[..]), format.image_format());
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(Error::Unprocessable(format!(
            "the {} image has no pixels ({width}×{height})",
            format.name()
        )));
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return Err(Error::Coded {
            kind: crate::ErrorKind::Unprocessable,
            code: "resolution_too_high",
            message: too_many_pixels(width, height, limits.max_pixels),
        });
    }
    // The decoded buffer and the RGB copy must fit the allocation limit (the `image` crate's own
    // limit covers the decoders' internal buffers, not the output).
    let needed = decoder.total_bytes().max(pixels * 3);
    if needed > limits.max_decode_bytes {
        return Err(Error::Unprocessable(format!(
            "the image is {width}×{height}; decoding it would need {} MB, more than the {} MB allowed",
            needed.div_ceil(1_000_000),
            limits.max_decode_bytes / 1_000_000
        )));
    }
    // After the header checks (a bomb's header is refused for its size, whole or not), before the
    // decoder could paint the missing part of a truncated file.
    if !complete::is_complete(format, bytes) {
        return Err(Error::Unprocessable(complete::INCOMPLETE.into()));
    }
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_alloc = Some(limits.max_decode_bytes);
    decoder_limits.max_image_width = Some(width);
    decoder_limits.max_image_height = Some(height);
    decoder.set_limits(decoder_limits).map_err(unreadable)?;
    // A missing or unreadable orientation tag means "as stored".
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    image.apply_orientation(orientation);
    let rgb = match image {
        DynamicImage::ImageRgb8(rgb) => rgb,
        mut other => {
            let rgb = other.to_rgb8();
            wipe(&mut other);
            rgb
        }
    };
    Ok(Photo {
        pixels: rgb,
        format,
    })
}

/// The sentence for a photo over the pixel limit: its size, ours, and what to do.
fn too_many_pixels(width: u32, height: u32, max_pixels: u64) -> String {
    let pixels = u64::from(width) * u64::from(height);
    let tenths = pixels.div_ceil(100_000);
    let megapixels = if tenths % 10 == 0 {
        (tenths / 10).to_string()
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    };
    format!(
        "This photo is {megapixels} megapixels ({width}×{height}); we can take up to {} megapixels. Please send a smaller copy.",
        max_pixels / 1_000_000
    )
}

/// Wipes an intermediate decoded image of any pixel type.
fn wipe(image: &mut DynamicImage) {
    match image {
        DynamicImage::ImageLuma8(i) => (**i).zeroize(),
        DynamicImage::ImageLumaA8(i) => (**i).zeroize(),
        DynamicImage::ImageRgb8(i) => (**i).zeroize(),
        DynamicImage::ImageRgba8(i) => (**i).zeroize(),
        DynamicImage::ImageLuma16(i) => (**i).zeroize(),
        DynamicImage::ImageLumaA16(i) => (**i).zeroize(),
        DynamicImage::ImageRgb16(i) => (**i).zeroize(),
        DynamicImage::ImageRgba16(i) => (**i).zeroize(),
        DynamicImage::ImageRgb32F(i) => (**i).zeroize(),
        DynamicImage::ImageRgba32F(i) => (**i).zeroize(),
        _ => {}
    }
}

/// The decoder's own words, first line, bounded: enough to help, never the data.
fn short(err: &image::ImageError) -> String {
    let text = err.to_string();
    let line = text.lines().next().unwrap_or_default();
    line.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pixel_limit_reads_as_a_sentence_with_a_next_step() {
        assert_eq!(
            too_many_pixels(10_000, 8_000, 50_000_000),
            "This photo is 80 megapixels (10000×8000); we can take up to 50 megapixels. Please send a smaller copy."
        );
        assert!(
            too_many_pixels(8_000, 6_300, 50_000_000).starts_with("This photo is 50.4 megapixels")
        );
    }
}
