//! Solid subjects. The model leaves much of a subject's inside a little transparent — the
//! reference cat's face at α ≈ 250, its white chest fur at 206–240: 91 % of the pixels more than
//! 8 px inside it are partial — so a new background shows through the subject. Only true edges
//! (hair, fur, whiskers, motion blur) should be soft, and those are near the background.
//!
//! So: a pixel the model counts as mostly subject (α ≥ ½) becomes opaque when it is far from
//! any clear background — more than a band of 1 % of the photo's shorter side (at least 4 px),
//! ramping to fully opaque at twice that. Pixels nearer the background, and every pixel the model
//! counts as mostly background (thin strands over the background, gaps), keep the model's value.
//! Distances are a two-pass chamfer transform (3-4 weights, within 8 % of Euclidean), linear in
//! the number of pixels.

use image::GrayImage;

/// Below this the model calls a pixel clear background (10 %).
const CLEAR: u8 = 26;
/// At or above this a pixel is mostly subject, and may be made opaque.
const MOSTLY_SUBJECT: u8 = 128;
/// No clear pixel within reach (in chamfer units, a third of a pixel each).
const FAR: u16 = u16::MAX - 8;
/// The soft band's width as a share of the shorter side, and its least width in pixels.
const BAND_SHARE: f32 = 0.01;
const BAND_MIN: f32 = 4.0;

/// The soft band's width for a `width`×`height` mask, in pixels.
pub fn band(width: u32, height: u32) -> f32 {
    (width.min(height) as f32 * BAND_SHARE).max(BAND_MIN)
}

/// Makes the inside of the subject opaque (see the module's documentation).
pub fn solidify(mask: &mut GrayImage) {
    // Nothing to lift (a hard mask): no distances to compute.
    if !mask.iter().any(|&v| (MOSTLY_SUBJECT..255).contains(&v)) {
        return;
    }
    let (width, height) = mask.dimensions();
    let band = band(width, height);
    let distance = distances_to_clear(mask);
    for (value, &d) in mask.iter_mut().zip(&distance) {
        if *value < MOSTLY_SUBJECT || *value == 255 {
            continue;
        }
        // Chamfer units are thirds of a pixel.
        let inside = d as f32 / 3.0;
        let opaque = ((inside - band) / band).clamp(0.0, 1.0);
        let lifted = f32::from(*value) + (255.0 - f32::from(*value)) * opaque;
        *value = lifted.round() as u8;
    }
}

/// For each pixel, its chamfer distance (3 per step, 4 per diagonal step) to the nearest clear
/// pixel; [`FAR`] when there is none. Row by row: the steps from the row before (or after) are
/// independent of each other, only the steps along the row run in sequence.
fn distances_to_clear(mask: &GrayImage) -> Vec<u16> {
    let w = mask.width() as usize;
    let mut d: Vec<u16> = mask
        .iter()
        .map(|&v| if v < CLEAR { 0 } else { FAR })
        .collect();
    if w == 0 {
        return d;
    }
    // Every value stays at or below FAR, so adding 4 never overflows.
    let from_row = |row: &mut [u16], other: &[u16]| {
        for (x, value) in row.iter_mut().enumerate() {
            let mut best = (*value).min(other[x] + 3);
            if x > 0 {
                best = best.min(other[x - 1] + 4);
            }
            if x + 1 < other.len() {
                best = best.min(other[x + 1] + 4);
            }
            *value = best;
        }
    };
    let rows = d.len() / w;
    // Forward: from above, then from the left.
    for y in 0..rows {
        let (done, rest) = d.split_at_mut(y * w);
        let row = &mut rest[..w];
        if y > 0 {
            from_row(row, &done[(y - 1) * w..]);
        }
        for x in 1..w {
            row[x] = row[x].min(row[x - 1] + 3);
        }
    }
    // Backward: from below, then from the right.
    for y in (0..rows).rev() {
        let (head, below) = d.split_at_mut((y + 1) * w);
        let row = &mut head[y * w..];
        if !below.is_empty() {
            from_row(row, &below[..w]);
        }
        for x in (0..w - 1).rev() {
            row[x] = row[x].min(row[x + 1] + 3);
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;
    use std::path::PathBuf;

    #[test]
    fn chamfer_distances_count_steps_and_diagonals() {
        // One clear pixel in the middle of a 5×5 subject.
        let mask = GrayImage::from_fn(5, 5, |x, y| Luma([if (x, y) == (2, 2) { 0 } else { 200 }]));
        let d = distances_to_clear(&mask);
        assert_eq!(d[2 * 5 + 2], 0);
        assert_eq!(d[2 * 5 + 3], 3, "one step");
        assert_eq!(d[3 * 5 + 3], 4, "one diagonal");
        assert_eq!(d[2 * 5 + 4], 6, "two steps");
        assert_eq!(d[4 * 5 + 4], 8, "two diagonals");
        assert_eq!(d[4 * 5 + 3], 7, "a diagonal and a step");
    }

    #[test]
    fn the_inside_becomes_opaque_and_the_edges_stay_soft() {
        // 200×200, band 4 px: a subject at α 220 from x = 40 on, clear before, with a soft
        // edge (α 100) at x = 38–39 and a thin strand (α 60) reaching into the background.
        let mask_at = |x: u32, y: u32| match x {
            0..38 if y == 100 => 60,
            0..38 => 0,
            38..40 => 100,
            _ => 220,
        };
        let mut mask = GrayImage::from_fn(200, 200, |x, y| Luma([mask_at(x, y)]));
        solidify(&mut mask);
        let at = |x, y| mask.get_pixel(x, y).0[0];
        assert_eq!(at(39, 50), 100, "a soft edge below ½ keeps its value");
        assert_eq!(at(10, 100), 60, "a thin strand keeps its value");
        assert_eq!(at(41, 50), 220, "within the band the model's value stays");
        assert_eq!(at(60, 50), 255, "well inside, opaque");
        assert_eq!(at(199, 199), 255);
        // Between one and two bands from the background: on the way up.
        let ramp = at(43, 50);
        assert!(ramp > 220 && ramp < 255, "{ramp}");
    }

    #[test]
    fn without_any_background_every_mostly_subject_pixel_is_opaque() {
        let mut mask = GrayImage::from_fn(30, 30, |x, _| Luma([if x < 15 { 130 } else { 90 }]));
        solidify(&mut mask);
        assert_eq!(mask.get_pixel(3, 3).0[0], 255);
        assert_eq!(mask.get_pixel(20, 3).0[0], 90);
    }

    /// The model's own masks of the reference photos (segmentation/reference): the share of
    /// partial pixels more than 8 px inside the subject, before and after.
    #[test]
    fn the_reference_subjects_are_solid_inside() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../segmentation/reference");
        for (name, before_at_least, after_at_most) in [
            ("chelsea", 85.0, 4.0),
            ("astronaut", 20.0, 1.0),
            ("coffee", 3.0, 0.5),
        ] {
            let model = image::open(dir.join(format!("{name}.mask.png")))
                .expect("reference mask")
                .to_luma8();
            let mut solid = model.clone();
            solidify(&mut solid);
            let (before, after) = (interior_partial(&model), interior_partial(&solid));
            assert!(before >= before_at_least, "{name}: {before:.1} % before");
            assert!(
                after <= after_at_most,
                "{name}: {after:.1} % after ({before:.1} % before)"
            );
            // Nothing the model calls mostly background changes, nor anything near the background.
            let band = band(model.width(), model.height());
            let near = distances_to_clear(&model);
            for ((m, s), d) in model.iter().zip(solid.iter()).zip(&near) {
                if *m < MOSTLY_SUBJECT || (*d as f32) / 3.0 <= band {
                    assert_eq!(m, s, "{name}");
                }
            }
        }
    }

    /// Per cent of the pixels more than 8 px (chamfer) from clear background that are partial.
    fn interior_partial(mask: &GrayImage) -> f64 {
        let near = distances_to_clear(mask);
        let (mut inside, mut partial) = (0u64, 0u64);
        for (&v, &d) in mask.iter().zip(&near) {
            if d > 24 {
                inside += 1;
                if v < 255 {
                    partial += 1;
                }
            }
        }
        100.0 * partial as f64 / inside.max(1) as f64
    }
}
