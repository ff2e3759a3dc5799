//! What is drawn around a placed subject: an outline (a stroke of a colour and width around its
//! silhouette, as Photoroom offers) and a shadow beneath it (a soft drop shadow, or a contact
//! shadow on the ground it stands on; remove.bg's `shadow_type`). Both work on the placed layer
//! (premultiplied RGBA, the result's size) and are drawn *under* it, shadow lowest.
//!
//! The outline's edge is anti-aliased from an exact Euclidean distance transform (Felzenszwalb and
//! Huttenlocher, "Distance Transforms of Sampled Functions", 2012), linear in the pixels of the
//! subject's box grown by the width. The shadow's blur is a Gaussian approximated by three box
//! blurs, over the shadow's own box only.

use image::RgbaImage;

use super::compose::{Region, box_where};

/// The widest outline, in pixels of the result.
pub const MAX_OUTLINE: u32 = 200;
/// A silhouette pixel: at least half opaque.
const INSIDE: u8 = 128;
/// The softest shadow's standard deviation, as a share of the subject's larger side.
const MAX_SOFTNESS: f32 = 0.08;
/// A contact shadow is the silhouette flattened to this share of its height.
const CONTACT_FLATTENING: f32 = 0.12;

/// A stroke around the subject.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outline {
    /// Red, green, blue, alpha.
    pub colour: [u8; 4],
    /// In result pixels, 1–[`MAX_OUTLINE`].
    pub width: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShadowKind {
    /// The silhouette cast behind the subject, offset and blurred.
    Drop,
    /// The silhouette flattened onto the ground at the subject's base (Photoroom's "soft").
    Contact,
}

/// A shadow; lengths are shares of the subject's larger side, so they look the same at any size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shadow {
    pub kind: ShadowKind,
    /// 0–1.
    pub opacity: f32,
    /// 0–1: from a hard edge to a blur of [`MAX_SOFTNESS`] of the subject's size.
    pub softness: f32,
    /// Right and down, −1–1 of the subject's larger side.
    pub offset: (f32, f32),
}

impl Shadow {
    /// A soft drop shadow down and to the right: what `shadow_type=drop` and remove.bg's legacy
    /// `add_shadow=true` give.
    pub fn drop(opacity: f32) -> Self {
        Self {
            kind: ShadowKind::Drop,
            opacity,
            softness: 0.5,
            offset: (0.02, 0.03),
        }
    }

    /// A soft contact shadow at the base.
    pub fn contact(opacity: f32) -> Self {
        Self {
            kind: ShadowKind::Contact,
            opacity,
            softness: 0.4,
            offset: (0.0, 0.0),
        }
    }
}

/// Draws `outline` under the subject in `layer` (premultiplied), only within `bounds` (where the
/// photo's frame cut the subject, the stroke stops at that side: the subject goes on beyond it).
pub fn outline(layer: &mut RgbaImage, outline: Outline, bounds: Region) {
    let width = outline.width.clamp(1, MAX_OUTLINE);
    let (lw, lh) = layer.dimensions();
    let Some(subject) = alpha_box(layer, INSIDE) else {
        return;
    };
    // The work stays within the subject's box grown by the stroke.
    let grow = width + 1;
    let area = Region {
        left: subject.left.saturating_sub(grow),
        top: subject.top.saturating_sub(grow),
        width: 0,
        height: 0,
    };
    let left = area.left.max(bounds.left);
    let top = area.top.max(bounds.top);
    let right = (subject.left + subject.width + grow)
        .min(lw)
        .min(bounds.left + bounds.width);
    let bottom = (subject.top + subject.height + grow)
        .min(lh)
        .min(bounds.top + bounds.height);
    if right <= left || bottom <= top {
        return;
    }
    let area = Region {
        left,
        top,
        width: right - left,
        height: bottom - top,
    };
    let (aw, ah) = (area.width as usize, area.height as usize);
    let stride = 4 * lw as usize;
    let (left, top) = (area.left as usize, area.top as usize);
    let mut distance: Vec<f64> = Vec::with_capacity(aw * ah);
    for y in top..top + ah {
        let line = &layer.as_raw()[y * stride + 4 * left..y * stride + 4 * (left + aw)];
        distance.extend(line.chunks_exact(4).map(
            |pixel| {
                if pixel[3] >= INSIDE { 0.0 } else { FAR }
            },
        ));
    }
    squared_distances(&mut distance, aw, ah);
    let [r, g, b, a] = outline.colour;
    // Full within `width` of the silhouette, anti-aliased over the next pixel.
    let reach = f64::from(width) + 1.0;
    let pixels = layer.as_mut();
    for y in 0..ah {
        for x in 0..aw {
            let squared = distance[y * aw + x];
            if squared >= reach * reach {
                continue;
            }
            let at = (top + y) * stride + 4 * (left + x);
            let pixel = &mut pixels[at..at + 4];
            if pixel[3] == 255 {
                continue;
            }
            let coverage = (reach - squared.sqrt()).clamp(0.0, 1.0);
            let stroke_alpha = coverage * f64::from(a) / 255.0;
            let stroke = [r, g, b].map(|c| f64::from(c) * stroke_alpha);
            let mut four = [pixel[0], pixel[1], pixel[2], pixel[3]];
            under(&mut four, stroke, stroke_alpha);
            pixel.copy_from_slice(&four);
        }
    }
}

/// Draws `shadow` under the subject in `layer` (premultiplied); `subject` is the subject's box in
/// the layer, which sets the shadow's scale.
pub fn shadow(layer: &mut RgbaImage, shadow: Shadow, subject: Region) {
    let (lw, lh) = layer.dimensions();
    let Some(silhouette) = alpha_box(layer, 1) else {
        return;
    };
    let size = subject.width.max(subject.height).max(1) as f32;
    let sigma = shadow.softness.clamp(0.0, 1.0) * MAX_SOFTNESS * size;
    let spread = (3.0 * sigma).ceil() as i64 + 1;
    let (dx, dy) = (
        (shadow.offset.0.clamp(-1.0, 1.0) * size).round() as i64,
        (shadow.offset.1.clamp(-1.0, 1.0) * size).round() as i64,
    );
    // Where the shadow's source lies before the blur and the offset, in layer rows and columns.
    let (top, bottom) = match shadow.kind {
        ShadowKind::Drop => (
            i64::from(silhouette.top),
            i64::from(silhouette.top + silhouette.height),
        ),
        ShadowKind::Contact => {
            let base = i64::from(silhouette.top + silhouette.height);
            let flat = (silhouette.height as f32 * CONTACT_FLATTENING).ceil() as i64;
            (base - flat / 2 - 1, base + flat / 2 + 1)
        }
    };
    let x0 = (i64::from(silhouette.left) + dx - spread).clamp(0, i64::from(lw));
    let x1 = (i64::from(silhouette.left + silhouette.width) + dx + spread).clamp(0, i64::from(lw));
    let y0 = (top + dy - spread).clamp(0, i64::from(lh));
    let y1 = (bottom + dy + spread).clamp(0, i64::from(lh));
    if x0 >= x1 || y0 >= y1 {
        return;
    }
    let (sw, sh) = ((x1 - x0) as usize, (y1 - y0) as usize);
    // A wide blur has no detail a coarser grid would lose: the coverage is averaged over blocks of
    // `k`×`k` pixels (at least three standard deviations wide after), blurred there, and sampled
    // back bilinearly; a sharp shadow stays at full resolution (`k` = 1).
    let k = ((sigma / 3.0).floor() as usize).clamp(1, 16);
    let (cw, ch) = (sw.div_ceil(k), sh.div_ceil(k));
    let mut cover = vec![0f32; cw * ch];
    let raw = layer.as_raw();
    let stride = 4 * lw as usize;
    let silhouette_height = silhouette.height as f32;
    let base = (silhouette.top + silhouette.height) as f32;
    for row in 0..sh {
        let y = y0 + row as i64 - dy;
        let source_y = match shadow.kind {
            ShadowKind::Drop => y,
            ShadowKind::Contact => {
                // Flattened about the base: a row `t` above or below it maps to `t / flattening`.
                let t = (y as f32 + 0.5 - base) / CONTACT_FLATTENING;
                (base - silhouette_height / 2.0 + t).floor() as i64
            }
        };
        if source_y < 0 || source_y >= i64::from(lh) {
            continue;
        }
        let line = &raw[source_y as usize * stride..(source_y as usize + 1) * stride];
        let cells = &mut cover[(row / k) * cw..(row / k + 1) * cw];
        for column in 0..sw {
            let x = x0 + column as i64 - dx;
            if x >= 0 && x < i64::from(lw) {
                cells[column / k] += f32::from(line[4 * x as usize + 3]);
            }
        }
    }
    let block = (255 * k * k) as f32;
    for value in &mut cover {
        *value /= block;
    }
    let coarse_sigma = sigma / k as f32;
    if coarse_sigma >= 0.5 {
        let radius = box_radius(coarse_sigma);
        for _ in 0..3 {
            box_blur(&mut cover, cw, ch, radius);
        }
    }
    let opacity = shadow.opacity.clamp(0.0, 1.0);
    // Each fine column's two coarse neighbours and its weight (cell centres at (i + ½)·k).
    let sample = |at: usize, cells: usize| -> (usize, usize, f32) {
        if k == 1 {
            return (at, at, 0.0);
        }
        let x = ((at as f32 + 0.5) / k as f32 - 0.5).clamp(0.0, (cells - 1) as f32);
        let low = x.floor() as usize;
        (low, (low + 1).min(cells - 1), x - low as f32)
    };
    let columns: Vec<(usize, usize, f32)> = (0..sw).map(|c| sample(c, cw)).collect();
    let pixels = layer.as_mut();
    for row in 0..sh {
        let (top, bottom, fy) = sample(row, ch);
        let y = (y0 + row as i64) as usize;
        for (column, &(left, right, fx)) in columns.iter().enumerate() {
            let at = y * stride + 4 * (x0 as usize + column);
            let pixel = &mut pixels[at..at + 4];
            if pixel[3] == 255 {
                continue;
            }
            let upper =
                cover[top * cw + left] + (cover[top * cw + right] - cover[top * cw + left]) * fx;
            let lower = cover[bottom * cw + left]
                + (cover[bottom * cw + right] - cover[bottom * cw + left]) * fx;
            let alpha = (upper + (lower - upper) * fy) * opacity;
            if alpha <= 0.0 {
                continue;
            }
            let mut four = [pixel[0], pixel[1], pixel[2], pixel[3]];
            under(&mut four, [0.0; 3], f64::from(alpha.min(1.0)));
            pixel.copy_from_slice(&four);
        }
    }
}

/// Puts a premultiplied colour `below` (0–255 channels) with opacity `alpha` (0–1) under the
/// premultiplied `pixel`: Porter-Duff "over" with the pixel on top.
fn under(pixel: &mut [u8; 4], below: [f64; 3], alpha: f64) {
    let top = f64::from(pixel[3]) / 255.0;
    let rest = 1.0 - top;
    for c in 0..3 {
        pixel[c] = (f64::from(pixel[c]) + below[c] * rest)
            .round()
            .clamp(0.0, 255.0) as u8;
    }
    pixel[3] = ((top + alpha * rest) * 255.0).round().clamp(0.0, 255.0) as u8;
}

/// The box of pixels whose alpha is at least `threshold`.
fn alpha_box(layer: &RgbaImage, threshold: u8) -> Option<Region> {
    box_where(
        layer.width(),
        layer.chunks_exact(4).map(|pixel| pixel[3]),
        threshold,
    )
}

/// Farther than any real distance (squared pixels), small enough to add to without overflow.
const FAR: f64 = 1e12;

/// Squared Euclidean distance from each cell to the nearest cell that starts at 0 (`FAR` elsewhere),
/// in place: columns, then rows (the transform is separable).
fn squared_distances(grid: &mut [f64], width: usize, height: usize) {
    let longest = width.max(height);
    let (mut line, mut out) = (vec![0.0; longest], vec![0.0; longest]);
    let (mut vertices, mut bounds) = (vec![0usize; longest], vec![0.0; longest + 1]);
    for x in 0..width {
        for y in 0..height {
            line[y] = grid[y * width + x];
        }
        lower_envelope(&line[..height], &mut out, &mut vertices, &mut bounds);
        for y in 0..height {
            grid[y * width + x] = out[y];
        }
    }
    for y in 0..height {
        let row = &mut grid[y * width..(y + 1) * width];
        line[..width].copy_from_slice(row);
        lower_envelope(&line[..width], &mut out, &mut vertices, &mut bounds);
        row.copy_from_slice(&out[..width]);
    }
}

/// One dimension of the transform: `out[q] = min_p (q − p)² + f[p]`, by the lower envelope of the
/// parabolas rooted at each `p`.
fn lower_envelope(f: &[f64], out: &mut [f64], vertices: &mut [usize], bounds: &mut [f64]) {
    let n = f.len();
    if n == 0 {
        return;
    }
    let mut k = 0usize;
    vertices[0] = 0;
    bounds[0] = f64::NEG_INFINITY;
    bounds[1] = f64::INFINITY;
    let square = |v: usize| (v * v) as f64;
    for q in 1..n {
        // `bounds[0]` is −∞, so `k` never goes below 0.
        let mut s;
        loop {
            let v = vertices[k];
            s = ((f[q] + square(q)) - (f[v] + square(v))) / (2.0 * (q - v) as f64);
            if s <= bounds[k] {
                k -= 1;
            } else {
                break;
            }
        }
        k += 1;
        vertices[k] = q;
        bounds[k] = s;
        bounds[k + 1] = f64::INFINITY;
    }
    k = 0;
    for (q, value) in out.iter_mut().enumerate().take(n) {
        while bounds[k + 1] < q as f64 {
            k += 1;
        }
        let v = vertices[k];
        let d = q as f64 - v as f64;
        *value = d * d + f[v];
    }
}

/// The box radius whose three passes have (about) standard deviation `sigma`.
fn box_radius(sigma: f32) -> usize {
    (((4.0 * sigma * sigma + 1.0).sqrt() - 1.0) / 2.0)
        .round()
        .max(1.0) as usize
}

/// One box blur of `radius` across and down, edges treated as clear.
fn box_blur(plane: &mut [f32], width: usize, height: usize, radius: usize) {
    let mut input = vec![0f32; width.max(height)];
    for row in plane.chunks_exact_mut(width) {
        input[..width].copy_from_slice(row);
        blur_line(&input[..width], row, radius);
    }
    let mut output = vec![0f32; height];
    for x in 0..width {
        for (y, value) in input[..height].iter_mut().enumerate() {
            *value = plane[y * width + x];
        }
        blur_line(&input[..height], &mut output, radius);
        for (y, value) in output.iter().enumerate() {
            plane[y * width + x] = *value;
        }
    }
}

/// `output[i]` is the mean of `input` over `i ± radius` (outside counts as 0).
fn blur_line(input: &[f32], output: &mut [f32], radius: usize) {
    let span = (2 * radius + 1) as f32;
    let length = input.len();
    let mut sum: f32 = input[..radius.min(length)].iter().sum();
    for (i, out) in output.iter_mut().enumerate().take(length) {
        if let Some(entering) = input.get(i + radius) {
            sum += entering;
        }
        *out = sum / span;
        if i >= radius {
            sum -= input[i - radius];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    /// A 40×40 layer with an opaque red 10×10 square at (15, 15).
    fn square() -> RgbaImage {
        RgbaImage::from_fn(40, 40, |x, y| {
            if (15..25).contains(&x) && (15..25).contains(&y) {
                Rgba([255, 0, 0, 255])
            } else {
                Rgba([0, 0, 0, 0])
            }
        })
    }

    #[test]
    fn the_distance_transform_matches_brute_force() {
        let (w, h) = (13, 9);
        let seeds = [(2usize, 3usize), (10, 1), (7, 7)];
        let mut grid = vec![FAR; w * h];
        for &(x, y) in &seeds {
            grid[y * w + x] = 0.0;
        }
        squared_distances(&mut grid, w, h);
        for y in 0..h {
            for x in 0..w {
                let expected = seeds
                    .iter()
                    .map(|&(sx, sy)| {
                        let (dx, dy) = (x as f64 - sx as f64, y as f64 - sy as f64);
                        dx * dx + dy * dy
                    })
                    .fold(f64::MAX, f64::min);
                assert_eq!(grid[y * w + x], expected, "({x}, {y})");
            }
        }
    }

    #[test]
    fn an_outline_rings_the_subject_at_its_width() {
        let mut layer = square();
        let bounds = everywhere(&layer);
        outline(
            &mut layer,
            Outline {
                colour: [0, 0, 255, 255],
                width: 3,
            },
            bounds,
        );
        // The subject is untouched; 1–3 px outside it is blue; 5 px outside is clear.
        assert_eq!(layer.get_pixel(20, 20).0, [255, 0, 0, 255]);
        for x in [12, 13, 14, 25, 26, 27] {
            assert_eq!(layer.get_pixel(x, 20).0, [0, 0, 255, 255], "x {x}");
        }
        assert_eq!(layer.get_pixel(10, 20).0[3], 0);
        assert_eq!(layer.get_pixel(29, 20).0[3], 0);
        // Round at the corners: (12, 12) is 3√2 ≈ 4.2 px from the corner, outside the stroke.
        assert_eq!(layer.get_pixel(12, 12).0[3], 0);
        assert_eq!(layer.get_pixel(13, 13).0[3], 255);
    }

    fn everywhere(layer: &RgbaImage) -> Region {
        Region {
            left: 0,
            top: 0,
            width: layer.width(),
            height: layer.height(),
        }
    }

    #[test]
    fn an_outline_stops_at_a_side_the_frame_cut() {
        // Bounds ending at the square's bottom (y 25): the sides and top are stroked, nothing
        // below the bottom edge, not even at the lower corners.
        let mut layer = square();
        let bounds = Region {
            height: 25,
            ..everywhere(&layer)
        };
        outline(
            &mut layer,
            Outline {
                colour: [0, 0, 255, 255],
                width: 3,
            },
            bounds,
        );
        assert_eq!(
            layer.get_pixel(13, 24).0,
            [0, 0, 255, 255],
            "left side, last row"
        );
        assert_eq!(layer.get_pixel(20, 13).0, [0, 0, 255, 255], "top");
        for x in 10..30 {
            for y in 25..40 {
                assert_eq!(
                    layer.get_pixel(x, y).0[3],
                    0,
                    "({x}, {y}) is beyond the cut"
                );
            }
        }
    }

    #[test]
    fn a_drop_shadow_falls_offset_under_the_subject_and_never_over_it() {
        let mut layer = square();
        shadow(
            &mut layer,
            Shadow {
                kind: ShadowKind::Drop,
                opacity: 0.5,
                softness: 0.0,
                offset: (0.3, 0.3),
            },
            Region {
                left: 15,
                top: 15,
                width: 10,
                height: 10,
            },
        );
        // Offset by 3 px: black at half opacity beside the square, nothing on the other side.
        assert_eq!(layer.get_pixel(26, 26).0, [0, 0, 0, 128]);
        assert_eq!(layer.get_pixel(27, 20).0, [0, 0, 0, 128]);
        assert_eq!(layer.get_pixel(14, 20).0[3], 0);
        assert_eq!(layer.get_pixel(29, 29).0[3], 0);
        assert_eq!(layer.get_pixel(20, 20).0, [255, 0, 0, 255]);
    }

    #[test]
    fn a_contact_shadow_lies_flat_at_the_base() {
        let mut layer = square();
        let subject = Region {
            left: 15,
            top: 15,
            width: 10,
            height: 10,
        };
        shadow(&mut layer, Shadow::contact(0.8), subject);
        // Just below the base it is dark; far below and above the subject it is clear.
        assert!(
            layer.get_pixel(20, 25).0[3] > 40,
            "{:?}",
            layer.get_pixel(20, 25)
        );
        assert_eq!(layer.get_pixel(20, 34).0[3], 0);
        assert_eq!(layer.get_pixel(20, 8).0[3], 0);
        // Wider than tall.
        let dark =
            |x: u32, y: u32| layer.get_pixel(x, y).0[3] > 10 && layer.get_pixel(x, y).0[0] == 0;
        let across = (0..40).filter(|&x| dark(x, 25)).count();
        let down = (25..40).filter(|&y| dark(20, y)).count();
        assert!(across > 3 * down, "across {across}, down {down}");
    }

    #[test]
    fn a_wide_soft_shadow_keeps_its_darkness_and_place() {
        // A 400 px square: softness 1 blurs by 32 px, so the shadow runs on 10×10 blocks.
        let layer_size = 1200;
        let mut layer = RgbaImage::from_fn(layer_size, layer_size, |x, y| {
            if (100..500).contains(&x) && (100..500).contains(&y) {
                Rgba([255, 0, 0, 255])
            } else {
                Rgba([0, 0, 0, 0])
            }
        });
        let subject = Region {
            left: 100,
            top: 100,
            width: 400,
            height: 400,
        };
        shadow(
            &mut layer,
            Shadow {
                kind: ShadowKind::Drop,
                opacity: 0.6,
                softness: 1.0,
                offset: (1.0, 1.0),
            },
            subject,
        );
        // Offset by the whole size: the shadow lies clear of the subject, at 500..900.
        let total: f64 = layer
            .enumerate_pixels()
            .filter(|(x, y, _)| !((100..500).contains(x) && (100..500).contains(y)))
            .map(|(_, _, p)| f64::from(p.0[3]))
            .sum();
        let expected = 0.6 * 400.0 * 400.0 * 255.0;
        assert!(
            (total / expected - 1.0).abs() < 0.03,
            "{total} against {expected}"
        );
        let middle = layer.get_pixel(700, 700).0;
        assert_eq!(&middle[..3], &[0, 0, 0]);
        assert!(middle[3].abs_diff(153) <= 2, "{middle:?}");
        // Soft at its edge, clear well beyond it.
        let edge = layer.get_pixel(500, 700).0[3];
        assert!((40..110).contains(&edge), "{edge}");
        assert_eq!(layer.get_pixel(1000, 700).0[3], 0);
    }

    #[test]
    fn three_box_blurs_keep_the_total() {
        let (w, h) = (30, 20);
        let mut plane = vec![0f32; w * h];
        plane[10 * w + 15] = 1.0;
        for _ in 0..3 {
            box_blur(&mut plane, w, h, 2);
        }
        let total: f32 = plane.iter().sum();
        assert!((total - 1.0).abs() < 1e-4, "{total}");
        assert!(plane[10 * w + 15] > plane[10 * w + 18]);
    }
}
