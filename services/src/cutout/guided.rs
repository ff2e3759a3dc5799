//! Alpha refined by the photo: He and Sun's fast guided filter ("Fast Guided Filter", 2015, on the
//! colour guided filter of He, Sun and Tang, 2013). Within each window the output alpha is a linear
//! function of the photo's colour, `q = aᵀI + b`, fitted to the network's upsampled mask by least
//! squares with a ridge `ε`; so where the photo has an edge, alpha follows it at full resolution,
//! and where the photo is flat, alpha stays the mask's. The fitting runs on the photo and mask
//! shrunk by `s` (the fast part), the fitted `a` and `b` are smoothed and scaled back up, and only
//! pixels near the subject's edge (the mask partial within a few pixels) take the result: solid
//! inside and clear outside stay exactly as they were.
//!
//! Not on by default: `scripts/edge_eval.py` measures whether it helps (see the README); the
//! evaluation binary applies it as its own step.

use image::{GrayImage, RgbImage, imageops};

/// The default window radius at full resolution, the shrink factor and the ridge.
pub const RADIUS: u32 = 8;
pub const SHRINK: u32 = 4;
pub const EPSILON: f32 = 1e-4;
/// Pixels at most this far (in shrunk pixels) from a partial mask value are refined.
const REACH: i32 = 2;

/// `mask` refined by `photo` (same size) with window radius `radius` at full resolution.
pub fn refine(photo: &RgbImage, mask: &GrayImage, radius: u32, epsilon: f32) -> GrayImage {
    let (width, height) = photo.dimensions();
    let shrink = SHRINK.min(width).min(height).max(1);
    let (sw, sh) = (width.div_ceil(shrink), height.div_ceil(shrink));
    let small_photo = imageops::resize(photo, sw, sh, imageops::FilterType::Triangle);
    let small_mask = imageops::resize(mask, sw, sh, imageops::FilterType::Triangle);
    let r = (radius / shrink).max(1) as usize;
    let (w, h) = (sw as usize, sh as usize);
    let n = w * h;
    // Channels of the guide (0–1) and the mask (0–1), and their products, as planes.
    let colour: Vec<[f32; 3]> = small_photo
        .pixels()
        .map(|p| p.0.map(|c| f32::from(c) / 255.0))
        .collect();
    let p: Vec<f32> = small_mask.iter().map(|&v| f32::from(v) / 255.0).collect();
    let mut planes: Vec<Vec<f32>> = Vec::with_capacity(13);
    for c in 0..3 {
        planes.push(colour.iter().map(|i| i[c]).collect());
    }
    planes.push(p.clone());
    for (c, d) in [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)] {
        planes.push(colour.iter().map(|i| i[c] * i[d]).collect());
    }
    for c in 0..3 {
        planes.push(colour.iter().zip(&p).map(|(i, p)| i[c] * p).collect());
    }
    let means: Vec<Vec<f32>> = planes
        .iter()
        .map(|plane| box_mean(plane, w, h, r))
        .collect();
    // a = (Σ + εU)⁻¹ cov(I, p), b = mean(p) − aᵀ mean(I), per shrunk pixel.
    let mut a = vec![[0f32; 3]; n];
    let mut b = vec![0f32; n];
    for k in 0..n {
        let mi = [means[0][k], means[1][k], means[2][k]];
        let mp = means[3][k];
        let var = |c: usize, d: usize, plane: usize| means[plane][k] - mi[c] * mi[d];
        let sigma = [
            [var(0, 0, 4) + epsilon, var(0, 1, 5), var(0, 2, 6)],
            [var(0, 1, 5), var(1, 1, 7) + epsilon, var(1, 2, 8)],
            [var(0, 2, 6), var(1, 2, 8), var(2, 2, 9) + epsilon],
        ];
        let cov = [0, 1, 2].map(|c| means[10 + c][k] - mi[c] * mp);
        let ak = solve3(sigma, cov).unwrap_or([0.0; 3]);
        a[k] = ak;
        b[k] = mp - ak[0] * mi[0] - ak[1] * mi[1] - ak[2] * mi[2];
    }
    let mean_a: Vec<Vec<f32>> = (0..3)
        .map(|c| box_mean(&a.iter().map(|v| v[c]).collect::<Vec<_>>(), w, h, r))
        .collect();
    let mean_b = box_mean(&b, w, h, r);
    // Where the refinement may act: shrunk pixels near a partial mask value.
    let partial: Vec<bool> = small_mask.iter().map(|&v| v > 2 && v < 253).collect();
    let near = grow(&partial, w, h, REACH);
    let mut out = mask.clone();
    let scale = |v: u32, size: usize| -> (usize, usize, f32) {
        let x = ((v as f32 + 0.5) / shrink as f32 - 0.5).clamp(0.0, (size - 1) as f32);
        let low = x.floor() as usize;
        (low, (low + 1).min(size - 1), x - low as f32)
    };
    for y in 0..height {
        let (y0, y1, fy) = scale(y, h);
        for x in 0..width {
            let (x0, x1, fx) = scale(x, w);
            if !(near[y0 * w + x0] || near[y0 * w + x1] || near[y1 * w + x0] || near[y1 * w + x1]) {
                continue;
            }
            let lerp = |plane: &[f32]| {
                let top = plane[y0 * w + x0] + (plane[y0 * w + x1] - plane[y0 * w + x0]) * fx;
                let bottom = plane[y1 * w + x0] + (plane[y1 * w + x1] - plane[y1 * w + x0]) * fx;
                top + (bottom - top) * fy
            };
            let guide = photo.get_pixel(x, y).0.map(|c| f32::from(c) / 255.0);
            let q = lerp(&mean_a[0]) * guide[0]
                + lerp(&mean_a[1]) * guide[1]
                + lerp(&mean_a[2]) * guide[2]
                + lerp(&mean_b);
            out.put_pixel(
                x,
                y,
                image::Luma([(q * 255.0).round().clamp(0.0, 255.0) as u8]),
            );
        }
    }
    out
}

/// The mean over the `(2r+1)²` window around each cell, the window clipped to the plane.
fn box_mean(plane: &[f32], w: usize, h: usize, r: usize) -> Vec<f32> {
    // Summed-area table in f64 (sums of up to millions of values).
    let mut sat = vec![0f64; (w + 1) * (h + 1)];
    for y in 0..h {
        let mut row = 0f64;
        for x in 0..w {
            row += f64::from(plane[y * w + x]);
            sat[(y + 1) * (w + 1) + x + 1] = sat[y * (w + 1) + x + 1] + row;
        }
    }
    let mut out = vec![0f32; w * h];
    for y in 0..h {
        let (top, bottom) = (y.saturating_sub(r), (y + r + 1).min(h));
        for x in 0..w {
            let (left, right) = (x.saturating_sub(r), (x + r + 1).min(w));
            let sum = sat[bottom * (w + 1) + right]
                - sat[top * (w + 1) + right]
                - sat[bottom * (w + 1) + left]
                + sat[top * (w + 1) + left];
            out[y * w + x] = (sum / ((bottom - top) * (right - left)) as f64) as f32;
        }
    }
    out
}

/// Cells within `reach` (a square) of a set cell.
fn grow(cells: &[bool], w: usize, h: usize, reach: i32) -> Vec<bool> {
    let mut out = vec![false; w * h];
    for y in 0..h as i32 {
        for x in 0..w as i32 {
            if !cells[y as usize * w + x as usize] {
                continue;
            }
            for ny in (y - reach).max(0)..=(y + reach).min(h as i32 - 1) {
                for nx in (x - reach).max(0)..=(x + reach).min(w as i32 - 1) {
                    out[ny as usize * w + nx as usize] = true;
                }
            }
        }
    }
    out
}

/// `m⁻¹ v` for a symmetric 3×3 `m` (Cramer's rule); `None` when it is singular.
fn solve3(m: [[f32; 3]; 3], v: [f32; 3]) -> Option<[f32; 3]> {
    let det = |m: [[f32; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(m);
    if d.abs() < 1e-20 {
        return None;
    }
    let column = |c: usize| {
        let mut n = m;
        for row in 0..3 {
            n[row][c] = v[row];
        }
        det(n) / d
    };
    Some([column(0), column(1), column(2)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Luma, Rgb};

    #[test]
    fn a_three_by_three_system_is_solved() {
        let m = [[4.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]];
        let x = [1.0, -2.0, 0.5];
        let v = [0, 1, 2].map(|r| m[r][0] * x[0] + m[r][1] * x[1] + m[r][2] * x[2]);
        let solved = solve3(m, v).expect("regular");
        for c in 0..3 {
            assert!((solved[c] - x[c]).abs() < 1e-5, "{solved:?}");
        }
        assert_eq!(solve3([[1.0; 3]; 3], v), None);
    }

    #[test]
    fn box_means_are_window_means() {
        let plane: Vec<f32> = (0..20).map(|v| v as f32).collect(); // 5 × 4
        let means = box_mean(&plane, 5, 4, 1);
        // Cell (0, 0): the 2×2 corner 0, 1, 5, 6.
        assert_eq!(means[0], 3.0);
        // Cell (2, 1): 1, 2, 3, 6, 7, 8, 11, 12, 13.
        assert_eq!(means[7], 7.0);
    }

    #[test]
    fn a_blurry_mask_moves_towards_the_photos_edge() {
        // A sharp vertical edge in the photo at x = 40; the mask ramps softly over 34..46, as a
        // 4× bilinear upsample blurs an edge.
        let (w, h) = (96, 40);
        let photo = RgbImage::from_fn(w, h, |x, _| {
            Rgb(if x < 40 { [220, 40, 30] } else { [20, 60, 200] })
        });
        let mask = GrayImage::from_fn(w, h, |x, _| {
            Luma([((46.0 - x as f32) / 12.0 * 255.0).clamp(0.0, 255.0) as u8])
        });
        let refined = refine(&photo, &mask, 8, 1e-4);
        let truth = |x: u32| if x < 40 { 255 } else { 0 };
        let error = |image: &GrayImage| -> i32 {
            (0..w)
                .map(|x| (i32::from(image.get_pixel(x, 20).0[0]) - truth(x)).abs())
                .sum()
        };
        // At least a third closer to the true step (measured: 402 against 765).
        assert!(
            error(&refined) * 3 < error(&mask) * 2,
            "refined {} against the mask's {}",
            error(&refined),
            error(&mask)
        );
        // Far from the edge nothing changes.
        assert_eq!(refined.get_pixel(2, 20).0[0], 255);
        assert_eq!(refined.get_pixel(94, 20).0[0], 0);
    }
}
