//! Where the subject goes in the result: the region it may come from (remove.bg's `roi`), the crop
//! around it (`crop_margin`, one value per side), and its place on the result's canvas (remove.bg's
//! `scale` and `position`, the native `output_size` with `fit` and `padding`, and the marketplace
//! presets). Geometry only: [`super::compose`] moves the pixels.

use image::{GrayImage, RgbaImage, imageops};

use super::compose::Region;
use crate::Error;

/// The largest canvas side and area a caller may ask for (the upload limit's 50 MP).
pub const MAX_CANVAS_SIDE: u32 = 10_000;
pub const MAX_CANVAS_PIXELS: u64 = 50_000_000;
/// The most a subject is enlarged: past this a few pixels would be smeared over the canvas.
const MAX_ENLARGEMENT: f64 = 64.0;

/// A length in pixels, or a share of a reference length (`0.1` = 10 %).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Length {
    Pixels(u32),
    Share(f32),
}

impl Length {
    /// In pixels, a share taken of `reference`.
    pub fn of(self, reference: u32) -> u32 {
        match self {
            Length::Pixels(pixels) => pixels,
            // `as` saturates, and NaN becomes 0.
            Length::Share(share) => (reference as f32 * share.clamp(0.0, 1.0)).round() as u32,
        }
    }
}

/// A margin on each side of the subject's box; shares are of the box's larger side.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Margins {
    pub top: Length,
    pub right: Length,
    pub bottom: Length,
    pub left: Length,
}

impl Margins {
    pub fn all(length: Length) -> Self {
        Self {
            top: length,
            right: length,
            bottom: length,
            left: length,
        }
    }
}

/// The crop window: the subject's box grown by `margins`, clipped to the `width`×`height` photo.
pub fn crop_window(subject: Region, margins: Margins, width: u32, height: u32) -> Region {
    let side = subject.width.max(subject.height);
    // Saturating: a caller's margin can be any number, the window never leaves the photo.
    let left = subject.left.saturating_sub(margins.left.of(side));
    let top = subject.top.saturating_sub(margins.top.of(side));
    let right = (subject.left.saturating_add(subject.width))
        .saturating_add(margins.right.of(side))
        .min(width);
    let bottom = (subject.top.saturating_add(subject.height))
        .saturating_add(margins.bottom.of(side))
        .min(height);
    Region {
        left,
        top,
        width: right - left,
        height: bottom - top,
    }
}

/// remove.bg's region of interest: two corners, each coordinate in pixels or as a share of the
/// photo's size. Only what lies inside can be the subject.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Roi {
    pub x1: Length,
    pub y1: Length,
    pub x2: Length,
    pub y2: Length,
}

impl Roi {
    /// The region in a `width`×`height` photo, corners included, as remove.bg reads it: a share
    /// is of the last pixel's coordinate (`100%` is the last column). A pixel coordinate past the
    /// photo is refused (`roi_exceeds_bounds`), and so is a region without area (`roi_region_empty`).
    pub fn region(&self, width: u32, height: u32) -> Result<Region, Error> {
        let coordinate = |length: Length, size: u32| -> Result<u32, Error> {
            let last = size.saturating_sub(1);
            match length {
                Length::Share(share) => Ok((last as f32 * share.clamp(0.0, 1.0)).round() as u32),
                Length::Pixels(pixels) if pixels <= last => Ok(pixels),
                Length::Pixels(_) => Err(Error::Coded {
                    kind: crate::ErrorKind::Invalid,
                    code: "roi_exceeds_bounds",
                    message: format!(
                        "roi: the region reaches past the photo, which is {width}×{height} pixels (the last pixel is at {} {})",
                        width.saturating_sub(1),
                        height.saturating_sub(1)
                    ),
                }),
            }
        };
        let (x1, x2) = (coordinate(self.x1, width)?, coordinate(self.x2, width)?);
        let (y1, y2) = (coordinate(self.y1, height)?, coordinate(self.y2, height)?);
        if x1 == x2 || y1 == y2 {
            return Err(Error::Coded {
                kind: crate::ErrorKind::Invalid,
                code: "roi_region_empty",
                message: "roi: the region has no area (its corners share a row or a column)".into(),
            });
        }
        let (left, right) = (x1.min(x2), x1.max(x2));
        let (top, bottom) = (y1.min(y2), y1.max(y2));
        Ok(Region {
            left,
            top,
            width: right - left + 1,
            height: bottom - top + 1,
        })
    }

    /// Clears `mask` outside the region.
    pub fn apply(&self, mask: &mut GrayImage) -> Result<(), Error> {
        let (width, height) = mask.dimensions();
        let region = self.region(width, height)?;
        let (x0, x1) = (region.left, region.left + region.width);
        let (y0, y1) = (region.top, region.top + region.height);
        for (y, row) in mask.chunks_exact_mut(width as usize).enumerate() {
            let y = y as u32;
            if y < y0 || y >= y1 {
                row.fill(0);
            } else {
                row[..x0 as usize].fill(0);
                row[x1 as usize..].fill(0);
            }
        }
        Ok(())
    }
}

/// How the result is sized onto its canvas.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fit {
    /// As it is (remove.bg's `scale=original`).
    Original,
    /// The subject's box fills this share of the canvas along its tighter side (remove.bg's
    /// `scale`, 0.1–1).
    Subject(f32),
    /// The whole result inside the canvas, `padding` (a share is of the canvas's shorter side)
    /// left free on every side.
    Contain { padding: Length },
    /// The result covers the canvas; what overhangs is cut off.
    Cover,
}

/// The result's canvas and where on it the result goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Placement {
    /// `None`: the size of the (cropped) result.
    pub canvas: Option<(u32, u32)>,
    pub fit: Fit,
    /// Where the placed box sits in the free space, 0–1 across and down (`0.5, 0.5` centres it).
    /// `None`: where it was when nothing is scaled, centred otherwise (remove.bg: "scaling the
    /// subject implies position=center").
    pub position: Option<(f32, f32)>,
}

impl Placement {
    /// Checks a canvas size a caller asked for.
    pub fn check_canvas(width: u32, height: u32) -> Result<(), Error> {
        let pixels = u64::from(width) * u64::from(height);
        if width == 0
            || height == 0
            || width > MAX_CANVAS_SIDE
            || height > MAX_CANVAS_SIDE
            || pixels > MAX_CANVAS_PIXELS
        {
            return Err(Error::Invalid {
                field: "output_size",
                message: format!(
                    "{width}×{height} is not a size we make: each side from 1 to {MAX_CANVAS_SIDE} pixels, at most {} megapixels",
                    MAX_CANVAS_PIXELS / 1_000_000
                ),
            });
        }
        Ok(())
    }
}

/// Marketplace rules as presets (documented in the API reference).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    /// Amazon's main image: pure white background, the product filling 85 % of a 2000×2000 square.
    Amazon,
    /// eBay: white background, a 1600×1600 square (eBay asks for at least 500 px on the longest
    /// side and recommends 1600), the item filling 90 %.
    Ebay,
}

impl Preset {
    pub const NAMES: &'static str = "amazon, ebay";

    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "amazon" => Some(Self::Amazon),
            "ebay" => Some(Self::Ebay),
            _ => None,
        }
    }

    pub fn placement(self) -> Placement {
        let (side, share) = match self {
            Preset::Amazon => (2000, 0.85),
            Preset::Ebay => (1600, 0.9),
        };
        Placement {
            canvas: Some((side, side)),
            fit: Fit::Subject(share),
            position: None,
        }
    }

    /// Both presets ask for pure white.
    pub fn background(self) -> [u8; 4] {
        [255, 255, 255, 255]
    }
}

/// Where a `width`×`height` layer lands on the canvas: layer pixel `x` covers canvas
/// `offset.0 + scale·x`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Arrangement {
    pub canvas: (u32, u32),
    pub scale: f64,
    pub offset: (i64, i64),
}

impl Arrangement {
    /// `subject` is the subject's box in the layer (`None`: the whole layer).
    pub fn new(placement: &Placement, width: u32, height: u32, subject: Option<Region>) -> Self {
        let layer = Region {
            left: 0,
            top: 0,
            width: width.max(1),
            height: height.max(1),
        };
        let (cw, ch) = placement.canvas.unwrap_or((layer.width, layer.height));
        let (cwf, chf) = (f64::from(cw), f64::from(ch));
        let subject = subject.unwrap_or(layer);
        // The free area (inside the padding), the box that is placed, and its scale.
        let mut area = (0.0, 0.0, cwf, chf);
        let (anchor, scale) = match placement.fit {
            Fit::Original => (subject, 1.0),
            Fit::Subject(share) => {
                let share = f64::from(share.clamp(0.01, 1.0));
                let fit = (cwf / f64::from(subject.width)).min(chf / f64::from(subject.height));
                (subject, share * fit)
            }
            Fit::Contain { padding } => {
                let pad = f64::from(padding.of(cw.min(ch)).min((cw.min(ch) - 1) / 2));
                area = (pad, pad, cwf - 2.0 * pad, chf - 2.0 * pad);
                let fit = (area.2 / f64::from(layer.width)).min(area.3 / f64::from(layer.height));
                (layer, fit)
            }
            Fit::Cover => {
                let fit = (cwf / f64::from(layer.width)).max(chf / f64::from(layer.height));
                (layer, fit)
            }
        };
        let scale = scale.min(MAX_ENLARGEMENT);
        let unmoved = placement.fit == Fit::Original && placement.canvas.is_none();
        let offset = match (placement.position, unmoved) {
            (None, true) => (0, 0),
            (position, _) => {
                let (px, py) = position.unwrap_or((0.5, 0.5));
                let (px, py) = (f64::from(px.clamp(0.0, 1.0)), f64::from(py.clamp(0.0, 1.0)));
                let (aw, ah) = (
                    f64::from(anchor.width) * scale,
                    f64::from(anchor.height) * scale,
                );
                let left = area.0 + px * (area.2 - aw);
                let top = area.1 + py * (area.3 - ah);
                (
                    (left - f64::from(anchor.left) * scale).round() as i64,
                    (top - f64::from(anchor.top) * scale).round() as i64,
                )
            }
        };
        Self {
            canvas: (cw, ch),
            scale,
            offset,
        }
    }

    /// `region` of the layer in canvas pixels, clipped to the canvas.
    pub fn map(&self, region: Region) -> Region {
        let (cw, ch) = (i64::from(self.canvas.0), i64::from(self.canvas.1));
        let edge = |start: u32, offset: i64| -> i64 {
            offset + (f64::from(start) * self.scale).round() as i64
        };
        let left = edge(region.left, self.offset.0).clamp(0, cw);
        let top = edge(region.top, self.offset.1).clamp(0, ch);
        let right = edge(region.left + region.width, self.offset.0).clamp(0, cw);
        let bottom = edge(region.top + region.height, self.offset.1).clamp(0, ch);
        Region {
            left: left as u32,
            top: top as u32,
            width: (right - left) as u32,
            height: (bottom - top) as u32,
        }
    }

    /// `layer` (premultiplied RGBA) moved and scaled onto a transparent canvas.
    pub fn place(&self, layer: &RgbaImage) -> RgbaImage {
        let (cw, ch) = self.canvas;
        let mut canvas = RgbaImage::new(cw, ch);
        let (lw, lh) = layer.dimensions();
        if lw == 0 || lh == 0 {
            return canvas;
        }
        if self.scale == 1.0 {
            paste(&mut canvas, layer, self.offset);
        } else if self.scale < 1.0 {
            // Smaller: a filtered resize (every source pixel counts), then pasted.
            let (sw, sh) = (
                ((f64::from(lw) * self.scale).round() as u32).max(1),
                ((f64::from(lh) * self.scale).round() as u32).max(1),
            );
            let small = imageops::resize(layer, sw, sh, imageops::FilterType::Triangle);
            paste(&mut canvas, &small, self.offset);
        } else {
            // Larger: each canvas pixel sampled from the layer, so the work is bounded by the
            // canvas however large the scale.
            enlarge_into(&mut canvas, layer, self.scale, self.offset);
        }
        canvas
    }
}

/// Copies `source` onto `canvas` with its top left at `offset`, clipped.
fn paste(canvas: &mut RgbaImage, source: &RgbaImage, offset: (i64, i64)) {
    let (cw, ch) = (i64::from(canvas.width()), i64::from(canvas.height()));
    let (sw, sh) = (i64::from(source.width()), i64::from(source.height()));
    let (x0, x1) = (offset.0.max(0), (offset.0 + sw).min(cw));
    let (y0, y1) = (offset.1.max(0), (offset.1 + sh).min(ch));
    if x0 >= x1 || y0 >= y1 {
        return;
    }
    let row_bytes = 4 * (x1 - x0) as usize;
    for y in y0..y1 {
        let from = 4 * (((y - offset.1) * sw + (x0 - offset.0)) as usize);
        let to = 4 * ((y * cw + x0) as usize);
        canvas.as_mut()[to..to + row_bytes]
            .copy_from_slice(&source.as_raw()[from..from + row_bytes]);
    }
}

/// Bilinear enlargement of `layer` onto `canvas` (premultiplied, so colours never bleed from
/// transparent pixels).
fn enlarge_into(canvas: &mut RgbaImage, layer: &RgbaImage, scale: f64, offset: (i64, i64)) {
    let (lw, lh) = (i64::from(layer.width()), i64::from(layer.height()));
    let cw = canvas.width();
    let source = |x: f64, size: i64| -> Option<(usize, usize, f32)> {
        // Outside the layer by more than half a scaled pixel: nothing there.
        if x < -0.5 || x > size as f64 - 0.5 {
            return None;
        }
        let x = x.clamp(0.0, (size - 1) as f64);
        let low = x.floor() as i64;
        let high = (low + 1).min(size - 1);
        Some((low as usize, high as usize, (x - low as f64) as f32))
    };
    let columns: Vec<Option<(usize, usize, f32)>> = (0..cw)
        .map(|x| source((f64::from(x) + 0.5 - offset.0 as f64) / scale - 0.5, lw))
        .collect();
    let raw = layer.as_raw();
    let at = |x: usize, y: usize| 4 * (y * lw as usize + x);
    for (y, row) in canvas.chunks_exact_mut(4 * cw as usize).enumerate() {
        let Some((top, bottom, fy)) = source((y as f64 + 0.5 - offset.1 as f64) / scale - 0.5, lh)
        else {
            continue;
        };
        for (pixel, column) in row.chunks_exact_mut(4).zip(&columns) {
            let Some((left, right, fx)) = *column else {
                continue;
            };
            for c in 0..4 {
                let sample = |x: usize, y: usize| f32::from(raw[at(x, y) + c]);
                let upper = sample(left, top) + (sample(right, top) - sample(left, top)) * fx;
                let lower =
                    sample(left, bottom) + (sample(right, bottom) - sample(left, bottom)) * fx;
                pixel[c] = (upper + (lower - upper) * fy + 0.5).clamp(0.0, 255.0) as u8;
            }
        }
    }
}

/// Premultiplies an RGBA image's colours by its alpha, in place.
pub fn premultiply(image: &mut RgbaImage) {
    for pixel in image.chunks_exact_mut(4) {
        let alpha = u16::from(pixel[3]);
        if alpha < 255 {
            for c in &mut pixel[..3] {
                *c = ((u16::from(*c) * alpha + 127) / 255) as u8;
            }
        }
    }
}

/// Undoes [`premultiply`]; a clear pixel's colour is 0.
pub fn unpremultiply(image: &mut RgbaImage) {
    for pixel in image.chunks_exact_mut(4) {
        let alpha = u16::from(pixel[3]);
        match alpha {
            255 => {}
            0 => pixel[..3].fill(0),
            _ => {
                for c in &mut pixel[..3] {
                    *c = ((u16::from(*c) * 255 + alpha / 2) / alpha).min(255) as u8;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    fn region(left: u32, top: u32, width: u32, height: u32) -> Region {
        Region {
            left,
            top,
            width,
            height,
        }
    }

    #[test]
    fn a_roi_is_read_as_remove_bg_documents_it() {
        let roi = |x1, y1, x2, y2| Roi { x1, y1, x2, y2 };
        let (px, share) = (Length::Pixels, Length::Share);
        // The whole photo: 0% 0% 100% 100% reaches the last pixel.
        assert_eq!(
            roi(share(0.0), share(0.0), share(1.0), share(1.0))
                .region(101, 51)
                .ok(),
            Some(region(0, 0, 101, 51))
        );
        // 10% of the last column of 101 is column 10; corners are included.
        assert_eq!(
            roi(share(0.1), px(5), px(60), share(0.5))
                .region(101, 51)
                .ok(),
            Some(region(10, 5, 51, 21))
        );
        let code = |result: Result<Region, Error>| match result {
            Err(Error::Coded { code, .. }) => code,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            code(roi(px(0), px(0), px(101), px(10)).region(101, 51)),
            "roi_exceeds_bounds"
        );
        assert_eq!(
            code(roi(px(7), px(0), px(7), px(10)).region(101, 51)),
            "roi_region_empty"
        );
        // Outside the region the mask is cleared.
        let mut mask = GrayImage::from_pixel(8, 6, image::Luma([200]));
        roi(px(2), px(1), px(4), px(3))
            .apply(&mut mask)
            .expect("roi");
        for (x, y, value) in mask.enumerate_pixels() {
            let inside = (2..=4).contains(&x) && (1..=3).contains(&y);
            assert_eq!(value.0[0], if inside { 200 } else { 0 }, "({x}, {y})");
        }
    }

    #[test]
    fn margins_grow_each_side_by_its_own_amount() {
        let subject = region(20, 10, 10, 20);
        let margins = Margins {
            top: Length::Pixels(3),
            right: Length::Share(0.1),
            bottom: Length::Pixels(500),
            left: Length::Pixels(0),
        };
        // 10 % of the larger side (20) is 2.
        assert_eq!(
            crop_window(subject, margins, 100, 40),
            region(20, 7, 12, 33)
        );
    }

    #[test]
    fn scale_and_position_place_the_subjects_box() {
        let subject = Some(region(10, 20, 20, 10));
        // remove.bg: `scale=50%` on the photo's own 100×80 canvas, centred by default.
        let placed = Arrangement::new(
            &Placement {
                canvas: None,
                fit: Fit::Subject(0.5),
                position: None,
            },
            100,
            81,
            subject,
        );
        // The box's tighter side is across: 20 px becomes half of 100.
        assert_eq!(placed.scale, 2.5);
        assert_eq!(placed.map(region(10, 20, 20, 10)), region(25, 28, 50, 25));
        // `position=0% 100%` without scale: moved to the bottom left, not resized.
        let moved = Arrangement::new(
            &Placement {
                canvas: None,
                fit: Fit::Original,
                position: Some((0.0, 1.0)),
            },
            100,
            80,
            subject,
        );
        assert_eq!(moved.scale, 1.0);
        assert_eq!(moved.map(region(10, 20, 20, 10)), region(0, 70, 20, 10));
        // Nothing asked: nothing moves.
        let same = Arrangement::new(
            &Placement {
                canvas: None,
                fit: Fit::Original,
                position: None,
            },
            100,
            80,
            subject,
        );
        assert_eq!((same.scale, same.offset), (1.0, (0, 0)));
        // Amazon: 85 % of a 2000 square, centred.
        let amazon = Arrangement::new(
            &Preset::Amazon.placement(),
            1000,
            800,
            Some(region(100, 200, 200, 100)),
        );
        assert_eq!(
            amazon.map(region(100, 200, 200, 100)),
            region(150, 575, 1700, 850)
        );
    }

    #[test]
    fn contain_and_cover_size_the_whole_result() {
        let contain = Arrangement::new(
            &Placement {
                canvas: Some((200, 200)),
                fit: Fit::Contain {
                    padding: Length::Pixels(20),
                },
                position: None,
            },
            100,
            50,
            None,
        );
        assert_eq!(contain.map(region(0, 0, 100, 50)), region(20, 60, 160, 80));
        let cover = Arrangement::new(
            &Placement {
                canvas: Some((200, 200)),
                fit: Fit::Cover,
                position: None,
            },
            100,
            50,
            None,
        );
        assert_eq!(cover.scale, 4.0);
        assert_eq!(cover.offset, (-100, 0));
    }

    #[test]
    fn placing_moves_shrinks_and_enlarges_the_pixels() {
        let mut layer = RgbaImage::new(4, 4);
        layer.put_pixel(1, 1, Rgba([255, 0, 0, 255]));
        let at = |scale: f64, offset| Arrangement {
            canvas: (10, 10),
            scale,
            offset,
        };
        let moved = at(1.0, (5, 3)).place(&layer);
        assert_eq!(moved.get_pixel(6, 4).0, [255, 0, 0, 255]);
        assert_eq!(moved.pixels().filter(|p| p.0[3] > 0).count(), 1);
        // Half off the canvas: clipped, not wrapped.
        let clipped = at(1.0, (-2, -2)).place(&layer);
        assert_eq!(clipped.pixels().filter(|p| p.0[3] > 0).count(), 0);
        let doubled = at(2.0, (0, 0)).place(&layer);
        // The pixel covers the 2×2 block it became (bilinear: full at its centre, softer around).
        for (x, y) in [(2, 2), (3, 3), (2, 3), (3, 2)] {
            let [r, g, b, a] = doubled.get_pixel(x, y).0;
            assert!(a >= 140 && r == a && g == 0 && b == 0, "({x}, {y})");
        }
        assert_eq!(doubled.get_pixel(6, 6).0[3], 0);
        let mut solid = RgbaImage::from_pixel(8, 8, Rgba([0, 0, 200, 255]));
        premultiply(&mut solid);
        let halved = at(0.5, (1, 1)).place(&solid);
        assert_eq!(halved.get_pixel(1, 1).0, [0, 0, 200, 255]);
        assert_eq!(halved.get_pixel(4, 4).0, [0, 0, 200, 255]);
        assert_eq!(halved.get_pixel(5, 5).0[3], 0);
    }

    #[test]
    fn premultiplying_round_trips_within_rounding() {
        let mut image = RgbaImage::from_fn(256, 1, |x, _| Rgba([200, 100, 7, x as u8]));
        let original = image.clone();
        premultiply(&mut image);
        unpremultiply(&mut image);
        for (x, (a, b)) in image.pixels().zip(original.pixels()).enumerate() {
            if x == 0 {
                assert_eq!(a.0, [0, 0, 0, 0]);
            } else if x >= 32 {
                for c in 0..3 {
                    assert!(a.0[c].abs_diff(b.0[c]) <= 4, "{x}: {a:?} {b:?}");
                }
            }
        }
    }
}
