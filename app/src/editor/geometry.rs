//! Rectangles, the crop around the subject and the view's zoom and pan. Pure arithmetic, shared by
//! the on-screen preview and the full-resolution export so both agree to the pixel.

use serde::{Deserialize, Serialize};

use super::document::Crop;

/// A rectangle in photo pixels; it may reach outside the photo (a crop with margin can).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

impl Rect {
    pub fn of_image(width: u32, height: u32) -> Self {
        Self {
            x: 0,
            y: 0,
            width,
            height,
        }
    }
}

/// The smallest box holding every mask value at or above `threshold`, from an RGBA buffer's alpha
/// channel (the layout `getImageData` returns). `None` when the mask is empty.
pub fn subject_box(rgba: &[u8], width: u32, height: u32, threshold: u8) -> Option<Rect> {
    let (w, h) = (width as usize, height as usize);
    if rgba.len() < w * h * 4 {
        return None;
    }
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for y in 0..h {
        let row = &rgba[y * w * 4..(y + 1) * w * 4];
        let Some(first) = row.chunks_exact(4).position(|px| px[3] >= threshold) else {
            continue;
        };
        let last = row
            .chunks_exact(4)
            .rposition(|px| px[3] >= threshold)
            .unwrap_or(first);
        x0 = x0.min(first);
        x1 = x1.max(last);
        y0 = y0.min(y);
        y1 = y;
    }
    (x0 != usize::MAX).then(|| Rect {
        x: x0 as i32,
        y: y0 as i32,
        width: (x1 - x0 + 1) as u32,
        height: (y1 - y0 + 1) as u32,
    })
}

/// The area the result shows: the whole photo, or the subject with its margin grown to the aspect.
///
/// The crop stays inside the photo wherever it fits, and never reaches past an edge the subject
/// touches (a torso cut by the frame gets no empty band below it): the margin ends at the photo's
/// edges, and growth to the aspect goes to the sides the subject leaves free. So a subject that fills the photo keeps
/// the photo's size with "the photo's proportions". Only when the aspect asks for more than the
/// photo has on an axis does the crop reach outside, on the sides the subject leaves free.
pub fn output_rect(crop: &Crop, subject: Option<Rect>, width: u32, height: u32) -> Rect {
    let image = Rect::of_image(width, height);
    let Some(subject) = subject.filter(|_| crop.enabled) else {
        return image;
    };
    let pad = f64::from(subject.width.max(subject.height)) * f64::from(crop.margin.min(50)) / 100.0;
    let mut x = Span::of(subject.x, subject.width, width, pad);
    let mut y = Span::of(subject.y, subject.height, height, pad);
    if let Some(ratio) = crop.aspect.ratio(width, height) {
        if x.len() / y.len() < ratio {
            x.grow(y.len() * ratio - x.len());
        } else {
            y.grow(x.len() / ratio - y.len());
        }
    }
    let (x, w) = x.place();
    let (y, h) = y.place();
    Rect {
        x,
        y,
        width: w,
        height: h,
    }
}

/// The export's scale and size for the output rectangle: 1:1, or its longer side brought to `side`
/// (a marketplace's size).
pub fn export_size(output: Rect, side: Option<u32>) -> (f64, u32, u32) {
    let longer = output.width.max(output.height).max(1);
    let scale = side.map_or(1.0, |side| f64::from(side) / f64::from(longer));
    let size = |length: u32| ((f64::from(length) * scale).round() as u32).max(1);
    (scale, size(output.width), size(output.height))
}

/// One axis of a crop: its ends, and whether the subject touches the photo's edge on each side.
struct Span {
    start: f64,
    end: f64,
    size: f64,
    touches_start: bool,
    touches_end: bool,
}

impl Span {
    /// The subject's extent plus up to `pad` on each side, as far as the photo reaches.
    fn of(position: i32, length: u32, size: u32, pad: f64) -> Self {
        let (start, end) = (f64::from(position), f64::from(position) + f64::from(length));
        let size = f64::from(size);
        let touches_start = start <= 0.0;
        let touches_end = end >= size;
        Self {
            // The margin stays inside the photo: it never adds an empty band.
            start: (start - pad).max(0.0).min(start),
            end: (end + pad).min(size).max(end),
            size,
            touches_start,
            touches_end,
        }
    }

    fn len(&self) -> f64 {
        (self.end - self.start).max(1.0)
    }

    /// Grows by `by`, on the free sides (both halves when both or neither are free).
    fn grow(&mut self, by: f64) {
        match (self.touches_start, self.touches_end) {
            (true, false) => self.end += by,
            (false, true) => self.start -= by,
            _ => {
                self.start -= by / 2.0;
                self.end += by / 2.0;
            }
        }
    }

    /// Whole pixels, moved inside the photo when the span fits in it. A span longer than the photo
    /// keeps its end at an edge the subject touches.
    fn place(&self) -> (i32, u32) {
        let length = self.len().round().max(1.0);
        let mut start = self.start.round();
        if length <= self.size {
            start = start.clamp(0.0, self.size - length);
        } else if self.touches_start && !self.touches_end {
            start = 0.0;
        } else if self.touches_end && !self.touches_start {
            start = self.size - length;
        }
        (start as i32, length as u32)
    }
}

/// Zoom (1 = the output fits the stage) and the output point at the stage's centre.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct View {
    pub zoom: f64,
    /// Centre, as a fraction of the output's width and height (0.5, 0.5 = middle).
    pub center: [f64; 2],
}

impl Default for View {
    fn default() -> Self {
        Self {
            zoom: 1.0,
            center: [0.5, 0.5],
        }
    }
}

pub const MIN_ZOOM: f64 = 0.25;
pub const MAX_ZOOM: f64 = 16.0;

/// Maps photo pixels to stage pixels: `stage = photo * scale + offset`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Transform {
    pub scale: f64,
    pub offset: [f64; 2],
}

impl Transform {
    pub fn to_stage(&self, x: f64, y: f64) -> [f64; 2] {
        [
            x * self.scale + self.offset[0],
            y * self.scale + self.offset[1],
        ]
    }

    pub fn to_photo(&self, x: f64, y: f64) -> [f64; 2] {
        [
            (x - self.offset[0]) / self.scale,
            (y - self.offset[1]) / self.scale,
        ]
    }
}

impl View {
    pub fn zoomed(self, factor: f64) -> Self {
        Self {
            zoom: (self.zoom * factor).clamp(MIN_ZOOM, MAX_ZOOM),
            ..self
        }
    }

    /// Moves the view by a distance in stage pixels.
    pub fn panned(self, output: Rect, stage: [f64; 2], dx: f64, dy: f64) -> Self {
        let scale = self.transform(output, stage).scale;
        let [cx, cy] = self.center;
        Self {
            center: [
                (cx - dx / scale / f64::from(output.width.max(1))).clamp(0.0, 1.0),
                (cy - dy / scale / f64::from(output.height.max(1))).clamp(0.0, 1.0),
            ],
            ..self
        }
    }

    /// The transform that shows `output` on a stage of `stage` pixels (with a small border).
    pub fn transform(&self, output: Rect, stage: [f64; 2]) -> Transform {
        let (ow, oh) = (
            f64::from(output.width.max(1)),
            f64::from(output.height.max(1)),
        );
        let fit = ((stage[0] * 0.96) / ow).min((stage[1] * 0.96) / oh);
        let scale = fit * self.zoom;
        let focus = [
            f64::from(output.x) + self.center[0] * ow,
            f64::from(output.y) + self.center[1] * oh,
        ];
        Transform {
            scale,
            offset: [
                stage[0] / 2.0 - focus[0] * scale,
                stage[1] / 2.0 - focus[1] * scale,
            ],
        }
    }
}

/// Where an outline may go around `subject` in a `width`×`height` photo, in photo pixels
/// `[left, top, right, bottom]`: everywhere, except beyond a side of the photo that the subject
/// touches (the photo's frame cut the subject there, so no stroke runs along the cut when the
/// subject is placed with room around it). Open sides are a million pixels out. The server's
/// outline does the same.
pub fn stroke_bounds(subject: Rect, width: u32, height: u32) -> [f64; 4] {
    const OPEN: f64 = 1e6;
    let (right, bottom) = (
        i64::from(subject.x) + i64::from(subject.width),
        i64::from(subject.y) + i64::from(subject.height),
    );
    [
        if subject.x <= 0 { 0.0 } else { -OPEN },
        if subject.y <= 0 { 0.0 } else { -OPEN },
        if right >= i64::from(width) {
            f64::from(width)
        } else {
            OPEN
        },
        if bottom >= i64::from(height) {
            f64::from(height)
        } else {
            OPEN
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::editor::document::Aspect;

    fn mask(width: u32, height: u32, on: &[(u32, u32)]) -> Vec<u8> {
        let mut rgba = vec![0u8; (width * height * 4) as usize];
        for &(x, y) in on {
            rgba[((y * width + x) * 4 + 3) as usize] = 255;
        }
        rgba
    }

    #[test]
    fn an_outline_stops_only_at_the_sides_that_cut_the_subject() {
        let bust = Rect {
            x: 20,
            y: 30,
            width: 60,
            height: 70,
        };
        assert_eq!(stroke_bounds(bust, 100, 100), [-1e6, -1e6, 1e6, 100.0]);
        let corner = Rect {
            x: 0,
            y: 0,
            width: 10,
            height: 10,
        };
        assert_eq!(stroke_bounds(corner, 100, 100), [0.0, 0.0, 1e6, 1e6]);
    }

    #[test]
    fn the_subject_box_holds_every_opaque_pixel() {
        let rgba = mask(10, 8, &[(2, 3), (7, 5), (4, 1)]);
        assert_eq!(
            subject_box(&rgba, 10, 8, 128),
            Some(Rect {
                x: 2,
                y: 1,
                width: 6,
                height: 5
            })
        );
        assert_eq!(subject_box(&mask(4, 4, &[]), 4, 4, 1), None);
        assert_eq!(subject_box(&[0; 3], 4, 4, 1), None, "short buffer");
    }

    #[test]
    fn crop_adds_margin_then_grows_to_the_aspect() {
        let subject = Some(Rect {
            x: 100,
            y: 50,
            width: 200,
            height: 100,
        });
        let mut crop = Crop {
            enabled: true,
            margin: 10,
            aspect: Aspect::Free,
        };
        // 10 % of the larger side (200) on every side.
        assert_eq!(
            output_rect(&crop, subject, 1000, 1000),
            Rect {
                x: 80,
                y: 30,
                width: 240,
                height: 140
            }
        );
        crop.aspect = Aspect::Square;
        let square = output_rect(&crop, subject, 1000, 1000);
        assert_eq!((square.width, square.height), (240, 240));
        assert_eq!(
            (square.x, square.y),
            (80, 0),
            "grown about the subject, then moved inside the photo"
        );
        crop.aspect = Aspect::Story9x16;
        let story = output_rect(&crop, subject, 1000, 1000);
        assert_eq!((story.width, story.height), (240, 427));
        crop.enabled = false;
        assert_eq!(
            output_rect(&crop, subject, 640, 480),
            Rect::of_image(640, 480)
        );
        crop.enabled = true;
        assert_eq!(output_rect(&crop, None, 640, 480), Rect::of_image(640, 480));
    }

    #[test]
    fn a_crop_never_reaches_past_an_edge_the_subject_touches() {
        let mut crop = Crop {
            enabled: true,
            margin: 10,
            aspect: Aspect::Free,
        };
        // A torso cut by the bottom of a 600×800 photo: margin above and beside, none below.
        let torso = Some(Rect {
            x: 150,
            y: 300,
            width: 300,
            height: 500,
        });
        let free = output_rect(&crop, torso, 600, 800);
        assert_eq!(
            free.y + free.height as i32,
            800,
            "ends at the photo's bottom"
        );
        assert_eq!((free.x, free.width), (100, 400));
        assert_eq!(free.y, 250);
        // Growing to a square goes upwards and sideways, never below.
        crop.aspect = Aspect::Square;
        let square = output_rect(&crop, torso, 600, 800);
        assert_eq!(square.y + square.height as i32, 800);
        assert_eq!((square.width, square.height), (550, 550));
        assert!(square.x >= 0 && square.x + square.width as i32 <= 600);
        // A subject filling a 512×512 photo keeps the photo's size with its proportions.
        let full = Some(Rect::of_image(512, 512));
        crop.aspect = Aspect::Original;
        assert_eq!(output_rect(&crop, full, 512, 512), Rect::of_image(512, 512));
        crop.aspect = Aspect::Free;
        crop.margin = 50;
        assert_eq!(output_rect(&crop, full, 512, 512), Rect::of_image(512, 512));
        // When the aspect needs more than the photo has, it reaches out only on the free side.
        crop.aspect = Aspect::Wide16x9;
        crop.margin = 0;
        let standing = Some(Rect {
            x: 100,
            y: 0,
            width: 100,
            height: 400,
        });
        let wide = output_rect(&crop, standing, 300, 400);
        assert_eq!((wide.width, wide.height), (711, 400));
        assert_eq!(
            wide.y, 0,
            "the subject touches top and bottom: no band there"
        );
        assert!(
            wide.x < 0 && wide.x + wide.width as i32 > 300,
            "centred outside the narrow photo"
        );
        let at_left = Some(Rect {
            x: 0,
            y: 0,
            width: 100,
            height: 400,
        });
        let wide = output_rect(&crop, at_left, 300, 400);
        assert_eq!(
            wide.x, 0,
            "the subject touches the left edge: the crop starts there"
        );
    }

    #[test]
    fn the_view_fits_then_zooms_about_the_centre() {
        let output = Rect::of_image(1000, 500);
        let stage = [500.0, 500.0];
        let t = View::default().transform(output, stage);
        assert!((t.scale - 0.48).abs() < 1e-9);
        let [x, y] = t.to_stage(500.0, 250.0);
        assert!((x - 250.0).abs() < 1e-9 && (y - 250.0).abs() < 1e-9);
        let zoomed = View::default().zoomed(2.0).transform(output, stage);
        assert!((zoomed.scale - 0.96).abs() < 1e-9);
        let [px, py] = zoomed.to_photo(250.0, 250.0);
        assert!((px - 500.0).abs() < 1e-9 && (py - 250.0).abs() < 1e-9);
        assert_eq!(View::default().zoomed(1000.0).zoom, MAX_ZOOM);
    }

    #[test]
    fn panning_moves_the_picture_with_the_pointer() {
        let output = Rect::of_image(1000, 1000);
        let stage = [500.0, 500.0];
        let view = View::default().zoomed(4.0);
        let before = view.transform(output, stage).to_photo(100.0, 100.0);
        let moved = view.panned(output, stage, 40.0, -20.0);
        let after = moved.transform(output, stage).to_photo(140.0, 80.0);
        assert!((before[0] - after[0]).abs() < 1e-6 && (before[1] - after[1]).abs() < 1e-6);
    }
}
