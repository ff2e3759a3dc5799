//! From photo + mask to the picture people download: the background (transparent, a colour, another
//! image, or the photo's own background blurred), an optional crop to the subject with a margin, and
//! where the subject sits in the result (for the API's `foreground_*` fields). Under a partial mask
//! the subject's colour is its estimated own colour ([`foreground`]), not the photo's mix with the
//! background it was taken against.
//!
//! A [`Finish`] may also place the subject on a canvas of its own ([`layout`]) and draw an outline
//! and a shadow under it ([`effects`]): then the cut-out subject is made first, as a premultiplied
//! layer, placed, given its effects, and laid over the background last.

use image::imageops::{self, FilterType};
use std::borrow::Cow;

use image::{GrayImage, RgbImage, RgbaImage};
use rayon::prelude::*;

use super::effects::{self, Outline, Shadow};
use super::layout::{self, Arrangement, Margins, Placement};
use super::{backdrop, foreground};

/// What goes behind the subject.
#[derive(Clone, Debug)]
pub enum Background {
    Transparent,
    /// Red, green, blue and alpha: below 255 alpha the result stays partly transparent (the
    /// subject over a see-through colour).
    Color([u8; 4]),
    /// Scaled to cover the result and centred.
    Image(RgbImage),
    /// The photo's background without the subject, blurred (the value is the blur's standard
    /// deviation as a share of the shorter side, e.g. 0.02).
    Blur(f32),
}

/// The subject's colour where the mask is partial.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeColours {
    /// The photo's pixel, a mix with the old background (for comparisons only).
    Photo,
    /// The estimated colour of the subject itself: what every result uses.
    Estimated,
}

/// What is made of the cut-out subject besides its background; the default is nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Finish {
    /// Crop to the subject's box plus these margins.
    pub crop: Option<Margins>,
    /// A canvas and the subject's place on it.
    pub placement: Option<Placement>,
    pub outline: Option<Outline>,
    pub shadow: Option<Shadow>,
}

impl Finish {
    pub fn crop(margins: Margins) -> Self {
        Self {
            crop: Some(margins),
            ..Self::default()
        }
    }

    /// Whether the subject is only cut out (and perhaps cropped): nothing to place or draw.
    fn is_plain(&self) -> bool {
        self.placement.is_none() && self.outline.is_none() && self.shadow.is_none()
    }
}

/// A subject's box in result pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
}

/// The composed result: colour (alpha only when the background is transparent) and its mask.
pub struct Composed {
    pub rgba: RgbaImage,
    pub mask: GrayImage,
    /// Where the subject is in `rgba` (the whole picture when there is no subject).
    pub foreground: Region,
    pub transparent: bool,
    /// The part of the photo the result was made from (the crop window), in photo pixels.
    pub window: Region,
}

/// Mask values at or above this count as subject for the bounding box.
const SUBJECT: u8 = 128;

/// Rows per parallel task in the per-pixel loops (64 rows of a 4000-pixel-wide photo: 1 MB).
pub(crate) const PARALLEL_ROWS: usize = 64;

/// `mask` is taken by value: uncropped, it becomes the result's mask without a copy.
pub fn compose(
    photo: &RgbImage,
    mask: GrayImage,
    background: &Background,
    finish: &Finish,
) -> Composed {
    compose_with(photo, mask, background, finish, EdgeColours::Estimated)
}

/// [`compose`], choosing the edge colours.
pub fn compose_with(
    photo: &RgbImage,
    mask: GrayImage,
    background: &Background,
    finish: &Finish,
    edges: EdgeColours,
) -> Composed {
    if finish.is_plain() {
        return cut(photo, mask, background, finish.crop, edges);
    }
    // The blurred background is the photo's own: it is made from the same window, before the
    // subject moves.
    let blur = match background {
        Background::Blur(share) => Some((*share, mask.clone())),
        _ => None,
    };
    let alone = cut(photo, mask, &Background::Transparent, finish.crop, edges);
    let mut layer = alone.rgba;
    layout::premultiply(&mut layer);
    let (width, height) = layer.dimensions();
    let subject = (alone.foreground != whole(width, height)).then_some(alone.foreground);
    let placement = finish.placement.unwrap_or(Placement {
        canvas: None,
        fit: layout::Fit::Original,
        position: None,
    });
    let arrangement = Arrangement::new(&placement, width, height, subject);
    let mut placed = tracing::info_span!("place").in_scope(|| arrangement.place(&layer));
    drop(layer);
    let foreground = arrangement.map(alone.foreground);
    let _span = tracing::info_span!("effects").entered();
    if let Some(outline) = finish.outline {
        effects::outline(
            &mut placed,
            outline,
            stroke_bounds(&arrangement, alone.foreground, width, height),
        );
    }
    if let Some(shadow) = finish.shadow {
        effects::shadow(&mut placed, shadow, foreground);
    }
    let (cw, ch) = arrangement.canvas;
    let behind: Option<RgbImage> = match background {
        Background::Transparent => None,
        Background::Color([r, g, b, _]) => {
            Some(RgbImage::from_pixel(cw, ch, image::Rgb([*r, *g, *b])))
        }
        Background::Image(picture) => Some(cover(picture, cw, ch)),
        Background::Blur(_) => blur.map(|(share, mask)| {
            let window = alone.window;
            let photo =
                imageops::crop_imm(photo, window.left, window.top, window.width, window.height)
                    .to_image();
            let mask =
                imageops::crop_imm(&mask, window.left, window.top, window.width, window.height)
                    .to_image();
            let sigma = (window.width.min(window.height) as f32 * share).max(1.0);
            cover(&backdrop::blurred_background(&photo, &mask, sigma), cw, ch)
        }),
    };
    let behind_alpha = match background {
        Background::Color([.., alpha]) => *alpha,
        _ => 255,
    };
    let mask = GrayImage::from_fn(cw, ch, |x, y| image::Luma([placed.get_pixel(x, y).0[3]]));
    layout::unpremultiply(&mut placed);
    if let Some(behind) = &behind {
        for (pixel, back) in placed.chunks_exact_mut(4).zip(behind.chunks_exact(3)) {
            let mixed = over(&pixel[..3], pixel[3], back, behind_alpha);
            pixel.copy_from_slice(&mixed);
        }
    }
    Composed {
        rgba: placed,
        mask,
        foreground,
        transparent: behind.is_none() || behind_alpha < 255,
        window: alone.window,
    }
}

/// Where an outline may go on the canvas: everywhere, except beyond a side of the photo's window
/// that the subject touches (the photo's frame cut it there: a person cut at the waist gets no
/// stroke along the cut when placed with room around it).
fn stroke_bounds(arrangement: &Arrangement, subject: Region, width: u32, height: u32) -> Region {
    let frame = arrangement.map(whole(width, height));
    let (cw, ch) = arrangement.canvas;
    let left = if subject.left == 0 { frame.left } else { 0 };
    let top = if subject.top == 0 { frame.top } else { 0 };
    let right = if subject.left + subject.width >= width {
        frame.left + frame.width
    } else {
        cw
    };
    let bottom = if subject.top + subject.height >= height {
        frame.top + frame.height
    } else {
        ch
    };
    Region {
        left,
        top,
        width: right.saturating_sub(left),
        height: bottom.saturating_sub(top),
    }
}

fn whole(width: u32, height: u32) -> Region {
    Region {
        left: 0,
        top: 0,
        width,
        height,
    }
}

/// The subject cut out of the photo (cropped to `crop` around it) over `background`.
fn cut(
    photo: &RgbImage,
    mask: GrayImage,
    background: &Background,
    crop: Option<Margins>,
    edges: EdgeColours,
) -> Composed {
    let (width, height) = photo.dimensions();
    let subject = bounding_box(&mask);
    let window = match (crop, subject) {
        (Some(margins), Some(subject)) => layout::crop_window(subject, margins, width, height),
        _ => Region {
            left: 0,
            top: 0,
            width,
            height,
        },
    };
    let full = window.width == width && window.height == height;
    // The whole photo is used as it is; only a crop needs a copy.
    let photo: Cow<'_, RgbImage> = if full {
        Cow::Borrowed(photo)
    } else {
        Cow::Owned(
            imageops::crop_imm(photo, window.left, window.top, window.width, window.height)
                .to_image(),
        )
    };
    let mask = if full {
        mask
    } else {
        imageops::crop_imm(&mask, window.left, window.top, window.width, window.height).to_image()
    };
    let behind: Option<RgbImage> = match background {
        Background::Transparent => None,
        Background::Color([r, g, b, _]) => Some(RgbImage::from_pixel(
            window.width,
            window.height,
            image::Rgb([*r, *g, *b]),
        )),
        Background::Image(picture) => Some(cover(picture, window.width, window.height)),
        Background::Blur(share) => {
            let sigma = (window.width.min(window.height) as f32 * share).max(1.0);
            Some(
                tracing::info_span!("backdrop")
                    .in_scope(|| backdrop::blurred_background(photo.as_ref(), &mask, sigma)),
            )
        }
    };
    // How opaque what goes behind is: only a colour can be see-through.
    let behind_alpha = match background {
        Background::Color([.., alpha]) => *alpha,
        _ => 255,
    };
    let mut rgba = RgbaImage::new(window.width, window.height);
    // Bands of rows in parallel.
    let rows = PARALLEL_ROWS * window.width.max(1) as usize;
    let bands = rgba
        .par_chunks_mut(4 * rows)
        .zip(photo.par_chunks(3 * rows))
        .zip(mask.par_chunks(rows));
    match &behind {
        None => bands.for_each(|((out, front), alpha)| {
            // Where alpha is 0 the colour stays 0: a viewer that drops the alpha channel must not
            // see the background that was removed (the privacy policy says it is gone).
            for ((out, front), &alpha) in out
                .chunks_exact_mut(4)
                .zip(front.chunks_exact(3))
                .zip(alpha)
            {
                if alpha > 0 {
                    out[..3].copy_from_slice(front);
                }
                out[3] = alpha;
            }
        }),
        Some(behind) => {
            bands
                .zip(behind.par_chunks(3 * rows))
                .for_each(|(((out, front), alpha), back)| {
                    let pixels = out
                        .chunks_exact_mut(4)
                        .zip(front.chunks_exact(3))
                        .zip(alpha);
                    for (((out, front), &alpha), back) in pixels.zip(back.chunks_exact(3)) {
                        out.copy_from_slice(&over(front, alpha, back, behind_alpha));
                    }
                })
        }
    }
    if edges == EdgeColours::Estimated {
        let _span = tracing::info_span!("foreground").entered();
        let out = rgba.as_mut();
        foreground::estimate(photo.as_ref(), &mask, |i, colour| {
            let pixel = &mut out[4 * i..4 * i + 4];
            match &behind {
                None => pixel[..3].copy_from_slice(&colour),
                Some(behind) => {
                    let back = &behind.as_raw()[3 * i..3 * i + 3];
                    pixel.copy_from_slice(&over(&colour, mask.as_raw()[i], back, behind_alpha));
                }
            }
        });
    }
    let foreground = match subject {
        Some(subject) => Region {
            left: subject.left - window.left,
            top: subject.top - window.top,
            width: subject.width,
            height: subject.height,
        },
        None => Region {
            left: 0,
            top: 0,
            width: window.width,
            height: window.height,
        },
    };
    Composed {
        rgba,
        mask,
        foreground,
        transparent: behind.is_none() || behind_alpha < 255,
        window,
    }
}

/// `front` with opacity `alpha` over `back` with opacity `back_alpha` (Porter-Duff "over", in
/// integers): the colour is each one's weighted share, the alpha their union. Over an opaque back
/// this is the plain mix `(front·α + back·(255 − α)) / 255`, rounded.
#[inline]
fn over(front: &[u8], alpha: u8, back: &[u8], back_alpha: u8) -> [u8; 4] {
    if back_alpha == 255 {
        // The common case, with a constant divisor (a multiplication once compiled).
        let a = u16::from(alpha);
        let mix = |c: usize| {
            ((u16::from(front[c]) * a + u16::from(back[c]) * (255 - a) + 127) / 255) as u8
        };
        return [mix(0), mix(1), mix(2), 255];
    }
    let front_weight = u32::from(alpha) * 255;
    let back_weight = u32::from(back_alpha) * (255 - u32::from(alpha));
    let total = front_weight + back_weight;
    if total == 0 {
        return [0; 4];
    }
    let mut out = [0; 4];
    for c in 0..3 {
        let mixed = u32::from(front[c]) * front_weight + u32::from(back[c]) * back_weight;
        out[c] = ((mixed + total / 2) / total) as u8;
    }
    out[3] = ((total + 127) / 255) as u8;
    out
}

/// The smallest box holding every subject pixel, or `None` for an empty mask.
pub fn bounding_box(mask: &GrayImage) -> Option<Region> {
    box_where(mask.width(), mask.iter().copied(), SUBJECT)
}

/// The smallest box holding every value at or above `threshold`, the values given row by row in
/// rows of `width`.
pub fn box_where(width: u32, values: impl Iterator<Item = u8>, threshold: u8) -> Option<Region> {
    let (mut left, mut top, mut right, mut bottom) = (u32::MAX, u32::MAX, 0, 0);
    let width = width.max(1) as usize;
    for (i, value) in values.enumerate() {
        if value >= threshold {
            let (x, y) = ((i % width) as u32, (i / width) as u32);
            left = left.min(x);
            top = top.min(y);
            right = right.max(x);
            bottom = bottom.max(y);
        }
    }
    (left != u32::MAX).then(|| Region {
        left,
        top,
        width: right - left + 1,
        height: bottom - top + 1,
    })
}

/// `picture` scaled to cover `width`×`height`, centred, cropped.
fn cover(picture: &RgbImage, width: u32, height: u32) -> RgbImage {
    let (pw, ph) = (
        picture.width().max(1) as f32,
        picture.height().max(1) as f32,
    );
    let scale = (width as f32 / pw).max(height as f32 / ph);
    let (sw, sh) = (
        ((pw * scale).ceil() as u32).max(width),
        ((ph * scale).ceil() as u32).max(height),
    );
    let scaled = imageops::resize(picture, sw, sh, FilterType::Triangle);
    imageops::crop_imm(&scaled, (sw - width) / 2, (sh - height) / 2, width, height).to_image()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cutout::layout::Length;
    use image::{Luma, Rgb};

    /// 10×8 red photo, subject = a 4×2 block at (3, 2).
    fn sample() -> (RgbImage, GrayImage) {
        let photo = RgbImage::from_pixel(10, 8, Rgb([200, 0, 0]));
        let mask = GrayImage::from_fn(10, 8, |x, y| {
            Luma([if (3..7).contains(&x) && (2..4).contains(&y) {
                255
            } else {
                0
            }])
        });
        (photo, mask)
    }

    #[test]
    fn transparent_keeps_the_mask_as_alpha_and_reports_the_subject() {
        let (photo, mask) = sample();
        let out = compose(
            &photo,
            mask.clone(),
            &Background::Transparent,
            &Finish::default(),
        );
        assert!(out.transparent);
        assert_eq!(out.rgba.dimensions(), (10, 8));
        assert_eq!(out.rgba.get_pixel(4, 3).0, [200, 0, 0, 255]);
        assert_eq!(out.rgba.get_pixel(0, 0).0[3], 0);
        assert_eq!(
            out.foreground,
            Region {
                left: 3,
                top: 2,
                width: 4,
                height: 2
            }
        );
    }

    #[test]
    fn transparent_pixels_carry_no_colour_of_the_photo() {
        let photo = RgbImage::from_fn(10, 8, |x, y| Rgb([x as u8 * 20 + 5, y as u8 * 30 + 7, 99]));
        let mask = GrayImage::from_fn(10, 8, |x, _| Luma([[0, 0, 90, 255][x as usize % 4]]));
        for crop in [
            Finish::default(),
            Finish::crop(Margins::all(Length::Pixels(1))),
        ] {
            let out = compose(&photo, mask.clone(), &Background::Transparent, &crop);
            for (x, y, pixel) in out.rgba.enumerate_pixels() {
                match pixel.0[3] {
                    0 => assert_eq!(pixel.0, [0, 0, 0, 0], "({x}, {y}) {crop:?}"),
                    // Partial alpha has a colour (the subject's estimated one).
                    _ => assert_ne!(&pixel.0[..3], &[0, 0, 0], "({x}, {y}) {crop:?}"),
                }
            }
        }
    }

    /// A red subject photographed against a green wall with a soft edge, and its true mask.
    fn green_wall() -> (RgbImage, GrayImage) {
        let alpha = |x: u32| ((70.0 - x as f32) / 20.0).clamp(0.0, 1.0);
        let photo = RgbImage::from_fn(100, 40, |x, _| {
            let a = alpha(x);
            Rgb([
                220.0 * a + 30.0 * (1.0 - a),
                40.0 * a + 200.0 * (1.0 - a),
                40.0,
            ]
            .map(|v| v.round() as u8))
        });
        let mask = GrayImage::from_fn(100, 40, |x, _| Luma([(alpha(x) * 255.0).round() as u8]));
        (photo, mask)
    }

    #[test]
    fn edges_carry_the_subjects_colour_not_the_wall_behind_it() {
        let (photo, mask) = green_wall();
        for background in [
            Background::Transparent,
            Background::Color([255, 255, 255, 255]),
        ] {
            let estimated = compose(&photo, mask.clone(), &background, &Finish::default());
            let mixed = compose_with(
                &photo,
                mask.clone(),
                &background,
                &Finish::default(),
                EdgeColours::Photo,
            );
            // Green in the edge band, where the mask is partial: the wall's fringe.
            let fringe = |out: &Composed| {
                let mut green = 0.0;
                for x in 51..69 {
                    let p = out.rgba.get_pixel(x, 20).0;
                    let a = f32::from(mask.get_pixel(x, 20).0[0]) / 255.0;
                    let seen = match background {
                        Background::Transparent => f32::from(p[1]) * a,
                        // On white, the subject's part of the pixel: its green beyond the red's.
                        _ => f32::from(p[1]) - 255.0 * (1.0 - a),
                    };
                    green += (seen - 40.0 * a).abs();
                }
                green / 18.0
            };
            let (ours, photos) = (fringe(&estimated), fringe(&mixed));
            assert!(
                ours < 6.0,
                "{background:?}: fringe {ours:.1} (photo's colours: {photos:.1})"
            );
            assert!(
                photos > 20.0,
                "{background:?}: the unrefined edge is green ({photos:.1})"
            );
        }
    }

    #[test]
    fn a_colour_background_fills_what_is_not_subject() {
        let (photo, mask) = sample();
        let out = compose(
            &photo,
            mask.clone(),
            &Background::Color([0, 0, 255, 255]),
            &Finish::default(),
        );
        assert!(!out.transparent);
        assert_eq!(out.rgba.get_pixel(0, 0).0, [0, 0, 255, 255]);
        assert_eq!(out.rgba.get_pixel(4, 3).0, [200, 0, 0, 255]);
    }

    #[test]
    fn a_see_through_colour_leaves_the_result_partly_transparent() {
        let (photo, mask) = sample();
        let out = compose(
            &photo,
            mask,
            &Background::Color([0, 0, 255, 64]),
            &Finish::default(),
        );
        assert!(out.transparent, "encoded with its alpha");
        assert_eq!(
            out.rgba.get_pixel(0, 0).0,
            [0, 0, 255, 64],
            "the colour, see-through"
        );
        assert_eq!(
            out.rgba.get_pixel(4, 3).0,
            [200, 0, 0, 255],
            "the subject, opaque"
        );
        // Fully see-through: the same as transparent, colour 0 where nothing is.
        let (photo, mask) = sample();
        let clear = compose(
            &photo,
            mask,
            &Background::Color([0, 0, 255, 0]),
            &Finish::default(),
        );
        assert_eq!(clear.rgba.get_pixel(0, 0).0, [0, 0, 0, 0]);
    }

    #[test]
    fn over_is_porter_duff_and_the_plain_mix_on_an_opaque_back() {
        // Hand-computed: half-opaque red over 64/255 blue: alpha 128 + 64·127/255 = 159.9 → 160;
        // red's share 128·255 / (128·255 + 64·127) = 0.8007 → 204, blue's 0.1993·255 → 51.
        assert_eq!(over(&[255, 0, 0], 128, &[0, 0, 255], 64), [204, 0, 51, 160]);
        assert_eq!(over(&[255, 0, 0], 0, &[0, 0, 255], 0), [0, 0, 0, 0]);
        assert_eq!(over(&[255, 0, 0], 255, &[0, 0, 255], 0), [255, 0, 0, 255]);
        // On an opaque back both paths agree with the plain mix.
        for alpha in [0u8, 1, 77, 128, 254, 255] {
            let plain = |f: u16, b: u16| {
                ((f * u16::from(alpha) + b * (255 - u16::from(alpha)) + 127) / 255) as u8
            };
            let mixed = over(&[10, 200, 255], alpha, &[250, 3, 0], 255);
            assert_eq!(
                mixed,
                [plain(10, 250), plain(200, 3), plain(255, 0), 255],
                "{alpha}"
            );
        }
    }

    #[test]
    fn an_image_background_covers_the_result() {
        let (photo, mask) = sample();
        let green = RgbImage::from_pixel(3, 3, Rgb([0, 255, 0]));
        let out = compose(
            &photo,
            mask.clone(),
            &Background::Image(green),
            &Finish::default(),
        );
        assert_eq!(out.rgba.dimensions(), (10, 8));
        assert_eq!(out.rgba.get_pixel(9, 7).0, [0, 255, 0, 255]);
    }

    #[test]
    fn blur_uses_the_photo_itself() {
        let photo = RgbImage::from_fn(20, 20, |x, _| Rgb([if x < 10 { 0 } else { 255 }; 3]));
        let mask = GrayImage::new(20, 20); // no subject: all background
        let out = compose(
            &photo,
            mask.clone(),
            &Background::Blur(0.1),
            &Finish::default(),
        );
        let edge = out.rgba.get_pixel(10, 10).0[0];
        assert!(edge > 20 && edge < 235, "the hard edge is blurred: {edge}");
    }

    #[test]
    fn crop_to_the_subject_with_a_margin_stays_inside_the_photo() {
        let (photo, mask) = sample();
        let tight = compose(
            &photo,
            mask.clone(),
            &Background::Transparent,
            &Finish::crop(Margins::all(Length::Pixels(0))),
        );
        assert_eq!(tight.rgba.dimensions(), (4, 2));
        assert_eq!(
            tight.foreground,
            Region {
                left: 0,
                top: 0,
                width: 4,
                height: 2
            }
        );
        let padded = compose(
            &photo,
            mask.clone(),
            &Background::Transparent,
            &Finish::crop(Margins::all(Length::Pixels(1))),
        );
        assert_eq!(padded.rgba.dimensions(), (6, 4));
        assert_eq!(
            padded.foreground,
            Region {
                left: 1,
                top: 1,
                width: 4,
                height: 2
            }
        );
        let wide = compose(
            &photo,
            mask.clone(),
            &Background::Transparent,
            &Finish::crop(Margins::all(Length::Share(1.0))),
        );
        assert_eq!(wide.rgba.dimensions(), (10, 8), "clamped to the photo");
        // No subject: nothing to crop to, the whole photo comes back.
        let empty = compose(
            &photo,
            GrayImage::new(10, 8),
            &Background::Transparent,
            &Finish::crop(Margins::all(Length::Pixels(0))),
        );
        assert_eq!(empty.rgba.dimensions(), (10, 8));
    }

    #[test]
    fn an_outline_follows_the_subject_but_not_the_frame_that_cut_it() {
        // A subject cut by the photo's bottom edge (a bust: a block touching the last row), placed
        // with 10 px free around it on a white 60×60 canvas with a red 3 px outline: red beside and
        // above the subject, none below the photo's bottom edge, where the frame cut it.
        let photo = RgbImage::from_pixel(40, 40, Rgb([0, 0, 200]));
        let mask = GrayImage::from_fn(40, 40, |x, y| {
            Luma([if (10..30).contains(&x) && y >= 15 {
                255
            } else {
                0
            }])
        });
        let finish = Finish {
            placement: Some(Placement {
                canvas: Some((60, 60)),
                fit: layout::Fit::Contain {
                    padding: Length::Pixels(10),
                },
                position: None,
            }),
            outline: Some(Outline {
                colour: [255, 0, 0, 255],
                width: 3,
            }),
            ..Finish::default()
        };
        let out = compose(&photo, mask, &Background::Color([255; 4]), &finish);
        let red = [255, 0, 0, 255];
        // The photo lands at (10, 10)–(50, 50); the subject at x 20–40 from y 25 down to 50.
        assert_eq!(out.rgba.get_pixel(30, 30).0, [0, 0, 200, 255], "subject");
        assert_eq!(out.rgba.get_pixel(18, 35).0, red, "left of it");
        assert_eq!(out.rgba.get_pixel(41, 49).0, red, "right of it, last row");
        assert_eq!(out.rgba.get_pixel(30, 23).0, red, "above it");
        for y in 50..60 {
            for x in 0..60 {
                assert_eq!(
                    out.rgba.get_pixel(x, y).0,
                    [255; 4],
                    "({x}, {y}) below the cut"
                );
            }
        }
    }
}
