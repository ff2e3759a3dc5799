//! The photo's own background, blurred, without the subject. A plain blur of the whole photo
//! spreads the subject's colour around it (an orange glow beside an orange suit); this blurs only
//! what is behind the subject — each pixel's colour weighted by `1 − α` and divided by the blurred
//! weight (a mask-normalised blur) — so near the subject the blur shows the background nearby.
//! Deep inside a large subject, where no background is within reach, it falls back to the plain
//! blur; the subject covers those pixels anyway.
//!
//! A Gaussian of standard deviation `sigma`, approximated by three box blurs, computed on blocks
//! of the photo (a blur this wide has no detail the blocks would lose) and sampled bilinearly.

use image::{GrayImage, Rgb, RgbImage};

use super::grid::Grid;

/// Blocks are chosen so that the blur spans at least this many of them (standard deviations).
const SIGMA_IN_BLOCKS: f32 = 4.0;
/// Below this share of background in a pixel's blur, the plain blur takes over, gradually.
const SOME_BACKGROUND: f32 = 0.05;

/// Lanes: background colour × weight, weight (1 − α), colour, pixels.
type Sums = [f32; 8];

/// The background of `photo` (where `mask` is below 255), blurred with standard deviation `sigma`
/// pixels, the size of the photo.
pub fn blurred_background(photo: &RgbImage, mask: &GrayImage, sigma: f32) -> RgbImage {
    let (width, height) = photo.dimensions();
    debug_assert_eq!(mask.dimensions(), (width, height));
    let block = ((sigma / SIGMA_IN_BLOCKS).floor() as u32).clamp(1, 32);
    let rgb = photo.as_raw();
    let alpha = mask.as_raw();
    let mut grid = Grid::<8>::block_sums(width, height, block, |x, y| {
        let i = (y * width + x) as usize;
        let c = [0, 1, 2].map(|k| f32::from(rgb[3 * i + k]));
        let b = 1.0 - f32::from(alpha[i]) / 255.0;
        [c[0] * b, c[1] * b, c[2] * b, b, c[0], c[1], c[2], 1.0]
    });
    let radius = box_radius(sigma / block as f32);
    for _ in 0..3 {
        grid = grid.box_sum(radius);
    }
    // Colours per block, then sampled per pixel (the blocks are few; the pixels many).
    let colours = Grid::<3> {
        width: grid.width,
        height: grid.height,
        cells: grid.cells.iter().map(colour).collect(),
    };
    RgbImage::from_fn(width, height, |x, y| {
        Rgb(colours
            .sample(block, x, y)
            .map(|v| v.round().clamp(0.0, 255.0) as u8))
    })
}

/// The blurred background's colour from a block's sums: the mask-normalised mean, blended towards
/// the plain mean where almost no background is within reach.
fn colour(sums: &Sums) -> [f32; 3] {
    let pixels = sums[7].max(f32::MIN_POSITIVE);
    let share = sums[3] / pixels;
    let plain = [sums[4], sums[5], sums[6]].map(|v| v / pixels);
    if share <= 0.0 {
        return plain;
    }
    let own = [sums[0], sums[1], sums[2]].map(|v| v / sums[3]);
    let trust = (share / SOME_BACKGROUND).min(1.0);
    [0, 1, 2].map(|c| own[c] * trust + plain[c] * (1.0 - trust))
}

/// The box radius whose three passes have (about) standard deviation `sigma`: each pass adds the
/// variance `((2r + 1)² − 1) / 12`.
fn box_radius(sigma: f32) -> usize {
    (((4.0 * sigma * sigma + 1.0).sqrt() - 1.0) / 2.0)
        .round()
        .max(1.0) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    #[test]
    fn three_box_passes_have_the_asked_spread() {
        for sigma in [2.0f32, 5.0, 12.0] {
            let r = box_radius(sigma) as f32;
            let variance = 3.0 * ((2.0 * r + 1.0).powi(2) - 1.0) / 12.0;
            assert!((variance.sqrt() - sigma).abs() < 1.0, "σ {sigma}: r {r}");
        }
    }

    #[test]
    fn the_subject_does_not_glow_into_the_blurred_background() {
        // An orange subject on a blue background: beside it, the blur stays blue.
        let (w, h) = (120, 80);
        let subject = |x: u32, y: u32| (40..80).contains(&x) && (20..60).contains(&y);
        let photo = RgbImage::from_fn(w, h, |x, y| {
            Rgb(if subject(x, y) {
                [250, 120, 0]
            } else {
                [20, 40, 200]
            })
        });
        let mask = GrayImage::from_fn(w, h, |x, y| Luma([if subject(x, y) { 255 } else { 0 }]));
        let blurred = blurred_background(&photo, &mask, 8.0);
        for (x, y) in [(36, 40), (84, 40), (60, 16), (60, 64)] {
            let p = blurred.get_pixel(x, y).0;
            assert!(
                p[0] < 40 && p[2] > 180,
                "({x}, {y}) is {p:?}, orange has leaked"
            );
        }
        // A plain blur of the same photo glows there (what this replaces).
        let plain = image::imageops::fast_blur(&photo, 8.0);
        assert!(plain.get_pixel(84, 40).0[0] > 60);
    }

    #[test]
    fn without_a_subject_it_is_a_plain_blur() {
        let photo = RgbImage::from_fn(60, 60, |x, _| Rgb([if x < 30 { 0 } else { 255 }; 3]));
        let blurred = blurred_background(&photo, &GrayImage::new(60, 60), 6.0);
        let edge = blurred.get_pixel(30, 30).0[0];
        assert!(
            (90..170).contains(&edge),
            "the hard edge is blurred: {edge}"
        );
        assert!(blurred.get_pixel(2, 30).0[0] < 15);
        assert!(blurred.get_pixel(57, 30).0[0] > 240);
    }
}
