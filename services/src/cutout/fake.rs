//! A deterministic stand-in for the model: the mask is a centred ellipse covering half the width and
//! height (255 inside, 0 outside), so tests and the `imgigo-fake` server can assert on pixels. A
//! photo of one flat colour (every pixel the same) has no subject: its mask is empty, as the model's
//! would be for a blank wall, so the "no subject found" answer can be tested end to end. It can
//! also wait before answering (to hold the queue) or panic (to exercise the worker's supervision).
//! Never used by `imgigo serve`.

use std::time::Duration;

use image::{GrayImage, Luma, RgbImage};

use super::ModelSize;
use super::queue::Segment;

#[derive(Clone, Debug, Default)]
pub struct FakeEngine {
    /// How long each mask takes.
    pub delay: Duration,
    /// Panic instead of answering for images exactly this wide (one width is enough to choose
    /// which request fails).
    pub panic_on_width: Option<u32>,
}

impl FakeEngine {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_delay(delay: Duration) -> Self {
        Self {
            delay,
            ..Self::default()
        }
    }

    /// Whether `(x, y)` is subject in a `width`×`height` image.
    pub fn is_subject(x: u32, y: u32, width: u32, height: u32) -> bool {
        let (cx, cy) = (f64::from(width) / 2.0, f64::from(height) / 2.0);
        let (rx, ry) = (f64::from(width) / 4.0, f64::from(height) / 4.0);
        let dx = (f64::from(x) + 0.5 - cx) / rx.max(0.5);
        let dy = (f64::from(y) + 0.5 - cy) / ry.max(0.5);
        dx * dx + dy * dy <= 1.0
    }

    /// Whether every pixel of `image` has the same colour (the fake finds no subject there).
    pub fn is_flat(image: &RgbImage) -> bool {
        let mut pixels = image.pixels();
        match pixels.next() {
            Some(first) => pixels.all(|pixel| pixel == first),
            None => true,
        }
    }

    /// The mask for a `width`×`height` image.
    pub fn mask_for(width: u32, height: u32) -> GrayImage {
        GrayImage::from_fn(width, height, |x, y| {
            Luma([if Self::is_subject(x, y, width, height) {
                255
            } else {
                0
            }])
        })
    }
}

impl Segment for FakeEngine {
    fn mask(&self, image: &RgbImage, _: ModelSize) -> Result<GrayImage, crate::Error> {
        if !self.delay.is_zero() {
            std::thread::sleep(self.delay);
        }
        if self.panic_on_width == Some(image.width()) {
            panic!("the fake engine was asked to fail");
        }
        if Self::is_flat(image) {
            return Ok(GrayImage::new(image.width(), image.height()));
        }
        Ok(Self::mask_for(image.width(), image.height()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mask_is_a_centred_ellipse() {
        let mask = FakeEngine::mask_for(100, 60);
        assert_eq!(mask.get_pixel(50, 30).0[0], 255);
        assert_eq!(mask.get_pixel(0, 0).0[0], 0);
        assert_eq!(mask.get_pixel(99, 59).0[0], 0);
        assert_eq!(mask.get_pixel(26, 30).0[0], 255, "inside the left edge");
        assert_eq!(mask.get_pixel(23, 30).0[0], 0, "outside the left edge");
    }

    #[test]
    fn a_flat_photo_has_an_empty_mask() {
        let engine = FakeEngine::new();
        let flat = RgbImage::from_pixel(40, 30, image::Rgb([240, 240, 240]));
        let mask = engine.mask(&flat, ModelSize::FULL).expect("mask");
        assert!(mask.pixels().all(|p| p.0[0] == 0));
        let mut spotted = flat.clone();
        spotted.put_pixel(3, 3, image::Rgb([0, 0, 0]));
        let mask = engine.mask(&spotted, ModelSize::FULL).expect("mask");
        assert_eq!(mask.get_pixel(20, 15).0[0], 255);
    }
}
