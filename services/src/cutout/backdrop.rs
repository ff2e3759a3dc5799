//! The photo's own background, blurred, without the subject. A plain blur of the whole photo
//! spreads the subject's colour around it (an orange glow beside an orange suit); this blurs only
//! what is behind the subject — each pixel's colour weighted by `1 − α` and divided by the blurred
//! weight (a mask-normalised blur) — so near the subject the blur shows the background nearby.
//! Deep inside a large subject, where no background is within reach, it falls back to the plain
//! blur; the subject covers those pixels anyway.
//!
//! A Gaussian of standard deviation `sigma`, approximated by three box blurs, computed on blocks
//! of the photo (a blur this wide has no detail the blocks would lose) and sampled bilinearly.

use image::{GrayImage, RgbImage};

use super::grid::{rgb_alpha_block_sums, sample_positions};

/// Blocks are chosen so that the blur spans at least this many of them (standard deviations).
const SIGMA_IN_BLOCKS: f32 = 4.0;
/// Below this share of background in a pixel's blur, the plain blur takes over, gradually.
const SOME_BACKGROUND: f32 = 0.05;

/// The background of `photo` (where `mask` is below 255), blurred with standard deviation `sigma`
/// pixels, the size of the photo.
pub fn blurred_background(photo: &RgbImage, mask: &GrayImage, sigma: f32) -> RgbImage {
    let (width, height) = photo.dimensions();
    debug_assert_eq!(mask.dimensions(), (width, height));
    let block = ((sigma / SIGMA_IN_BLOCKS).floor() as u32).clamp(1, 32);
    let mut grid = rgb_alpha_block_sums(photo.as_raw(), mask.as_raw(), width, height, block, None);
    let radius = box_radius(sigma / block as f32);
    for _ in 0..3 {
        grid = grid.box_sum(radius);
    }
    // Colours per block, then sampled per pixel (the blocks are few; the pixels many): each row
    // between two rows of blocks, then across.
    let colours: Vec<[f32; 3]> = grid.cells.iter().map(colour).collect();
    let columns = sample_positions(width, grid.width, block);
    let rows = sample_positions(height, grid.height, block);
    let mut out = RgbImage::new(width, height);
    let mut line = vec![[0f32; 3]; grid.width];
    for (row, &(top, bottom, fy)) in out.chunks_exact_mut(3 * width as usize).zip(&rows) {
        let (top, bottom) = (
            &colours[top * grid.width..(top + 1) * grid.width],
            &colours[bottom * grid.width..(bottom + 1) * grid.width],
        );
        for ((mixed, t), b) in line.iter_mut().zip(top).zip(bottom) {
            *mixed = [0, 1, 2].map(|c| t[c] + (b[c] - t[c]) * fy);
        }
        for (pixel, &(left, right, fx)) in row.chunks_exact_mut(3).zip(&columns) {
            let (l, r) = (line[left], line[right]);
            for c in 0..3 {
                pixel[c] = (l[c] + (r[c] - l[c]) * fx + 0.5).clamp(0.0, 255.0) as u8;
            }
        }
    }
    out
}

/// The blurred background's colour from a block's integer sums (Σα, Σcα, Σc, pixels): the
/// mask-normalised mean, blended towards the plain mean where almost no background is within reach.
fn colour(sums: &[f32; 8]) -> [f32; 3] {
    let pixels = sums[7].max(f32::MIN_POSITIVE);
    // Σ(1 − α) with α in 0–1, and Σc(1 − α).
    let weight = sums[7] - sums[0] / 255.0;
    let share = weight / pixels;
    let plain = [sums[4], sums[5], sums[6]].map(|v| v / pixels);
    if share <= 1e-6 {
        return plain;
    }
    let own = [0, 1, 2].map(|c| (sums[4 + c] - sums[1 + c] / 255.0) / weight);
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
    use image::{Luma, Rgb};

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
