//! Compositing on canvases: the background, then the photo through its mask. The same code draws
//! the on-screen preview (at the stage's size) and the full-resolution export (1:1), so they agree.
//! Brush strokes are stamped onto the full-resolution mask; only the stamped area changes.

use wasm_bindgen::Clamped;
use wasm_bindgen::prelude::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageBitmap, ImageData};

use super::dom;
use crate::editor::document::{Background, BrushMode, Look, Outline, Shadow, ShadowKind, Stroke};
use crate::editor::geometry::{self, Rect, Transform};

/// The photo and its (edited) mask at full resolution.
pub struct Layers {
    pub original: ImageBitmap,
    /// The subject's own colours: the photo, except where the server's mask was partial, where the
    /// server estimated the subject's colour without the old background's (its cutout's colour).
    /// Opaque; drawn through the mask.
    pub colour: HtmlCanvasElement,
    /// Alpha is the mask; colour is unused.
    pub mask: HtmlCanvasElement,
    pub width: u32,
    pub height: u32,
}

/// The server's cutout colour is used where its alpha is at least this; below, the colour read back
/// from the canvas (stored premultiplied) is too coarse to trust, and the photo's is kept.
const EDGE_TRUST: u8 = 16;

/// [`Layers::colour`]: `original` with `cutout`'s colours where the cutout is partly or wholly
/// opaque (where it is opaque they are the photo's anyway).
pub fn subject_colours(
    original: &ImageBitmap,
    cutout: &ImageBitmap,
    width: u32,
    height: u32,
) -> Result<HtmlCanvasElement, JsValue> {
    let canvas = dom::canvas(width, height)?;
    let ctx = dom::context(&canvas)?;
    let (w, h) = (f64::from(width), f64::from(height));
    ctx.draw_image_with_image_bitmap_and_dw_and_dh(cutout, 0.0, 0.0, w, h)?;
    let mut pixels = ctx.get_image_data(0.0, 0.0, w, h)?.data();
    for pixel in pixels.chunks_exact_mut(4) {
        pixel[3] = if pixel[3] >= EDGE_TRUST { 255 } else { 0 };
    }
    let trusted = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&pixels), width, height)?;
    ctx.put_image_data(&trusted, 0.0, 0.0)?;
    ctx.set_global_composite_operation("destination-over")?;
    ctx.draw_image_with_image_bitmap_and_dw_and_dh(original, 0.0, 0.0, w, h)?;
    ctx.set_global_composite_operation("source-over")?;
    Ok(canvas)
}

/// Blur radius in photo pixels for a strength of 1–100: up to 5 % of the photo's larger side.
pub fn blur_radius(strength: u8, width: u32, height: u32) -> f64 {
    f64::from(strength.min(100)) / 100.0 * 0.05 * f64::from(width.max(height))
}

/// What to draw behind the subject.
pub enum Backdrop<'a> {
    None,
    /// Only on screen: the checkerboard that means "transparent".
    Checker,
    Color(&'a str),
    Blur(f64),
    Image(&'a ImageBitmap),
}

impl<'a> Backdrop<'a> {
    pub fn of(background: &'a Background, image: Option<&'a ImageBitmap>, layers: &Layers) -> Self {
        match background {
            Background::Transparent => Self::None,
            Background::Color { hex } => Self::Color(hex),
            Background::Blur { strength } => {
                Self::Blur(blur_radius(*strength, layers.width, layers.height))
            }
            Background::Preset { .. } | Background::Own | Background::Library { .. } => {
                image.map_or(Self::None, Self::Image)
            }
        }
    }
}

fn draw_photo(
    ctx: &CanvasRenderingContext2d,
    image: &ImageBitmap,
    layers: &Layers,
    t: &Transform,
) -> Result<(), JsValue> {
    ctx.draw_image_with_image_bitmap_and_dw_and_dh(
        image,
        t.offset[0],
        t.offset[1],
        f64::from(layers.width) * t.scale,
        f64::from(layers.height) * t.scale,
    )
}

/// Draws a full-resolution layer (the subject's colours, the mask) where the photo is.
fn draw_layer(
    ctx: &CanvasRenderingContext2d,
    layer: &HtmlCanvasElement,
    layers: &Layers,
    t: &Transform,
) -> Result<(), JsValue> {
    ctx.draw_image_with_html_canvas_element_and_dw_and_dh(
        layer,
        t.offset[0],
        t.offset[1],
        f64::from(layers.width) * t.scale,
        f64::from(layers.height) * t.scale,
    )
}

/// The output rectangle on the target, in target pixels: `[x, y, width, height]`.
pub fn target_rect(output: Rect, t: &Transform) -> [f64; 4] {
    let [x, y] = t.to_stage(f64::from(output.x), f64::from(output.y));
    [
        x,
        y,
        f64::from(output.width) * t.scale,
        f64::from(output.height) * t.scale,
    ]
}

fn clip(ctx: &CanvasRenderingContext2d, [x, y, w, h]: [f64; 4]) {
    ctx.begin_path();
    ctx.rect(x, y, w, h);
    ctx.clip();
}

/// Draws the backdrop over the output rectangle.
pub fn draw_backdrop(
    ctx: &CanvasRenderingContext2d,
    backdrop: &Backdrop<'_>,
    layers: &Layers,
    output: Rect,
    t: &Transform,
) -> Result<(), JsValue> {
    let area = target_rect(output, t);
    let [x, y, w, h] = area;
    ctx.save();
    clip(ctx, area);
    let result = match backdrop {
        Backdrop::None => Ok(()),
        Backdrop::Checker => {
            let tile = CHECKER.with(|cell| match cell.get() {
                Some(tile) => Ok(tile.clone()),
                None => checker_tile().map(|tile| cell.get_or_init(|| tile).clone()),
            })?;
            if let Some(pattern) = ctx.create_pattern_with_html_canvas_element(&tile, "repeat")? {
                ctx.set_fill_style_canvas_pattern(&pattern);
                ctx.fill_rect(x, y, w, h);
            }
            Ok(())
        }
        Backdrop::Color(hex) => {
            ctx.set_fill_style_str(hex);
            ctx.fill_rect(x, y, w, h);
            Ok(())
        }
        Backdrop::Blur(radius) => draw_blurred_background(ctx, layers, radius * t.scale, t),
        Backdrop::Image(image) => {
            // Cover the output rectangle, centred.
            let (bw, bh) = (f64::from(image.width()), f64::from(image.height()));
            let scale = (w / bw).max(h / bh);
            let (dw, dh) = (bw * scale, bh * scale);
            ctx.draw_image_with_image_bitmap_and_dw_and_dh(
                image,
                x + (w - dw) / 2.0,
                y + (h - dh) / 2.0,
                dw,
                dh,
            )
        }
    };
    ctx.restore();
    result
}

/// The photo's background without the subject, blurred by `r` target pixels: the photo with the
/// subject cut out (by the edited mask), blurred on a canvas of its own, which keeps colours
/// premultiplied — read back, each pixel is the blur of the background divided by the blurred
/// share of background, a mask-normalised blur, so the subject's colour does not glow beside it.
/// That layer's alpha (the share of background within reach) is raised by drawing it over itself,
/// and it goes over the plain blur, which shows only deep inside a large subject.
fn draw_blurred_background(
    ctx: &CanvasRenderingContext2d,
    layers: &Layers,
    r: f64,
    t: &Transform,
) -> Result<(), JsValue> {
    let canvas = ctx
        .canvas()
        .ok_or_else(|| JsValue::from_str("a context without a canvas"))?;
    let (tw, th) = (canvas.width(), canvas.height());
    // Drawn a little larger than the photo so the blur does not fade at its edges.
    let grow = 2.0 * r;
    let (x, y) = (t.offset[0] - grow, t.offset[1] - grow);
    let (w, h) = (
        f64::from(layers.width) * t.scale + 2.0 * grow,
        f64::from(layers.height) * t.scale + 2.0 * grow,
    );
    ctx.set_filter(&format!("blur({r:.2}px)"));
    ctx.draw_image_with_image_bitmap_and_dw_and_dh(&layers.original, x, y, w, h)?;
    ctx.set_filter("none");

    let (cut, behind) = scratch_pair(0, tw, th)?;
    let cctx = dom::context(&cut)?;
    draw_photo(&cctx, &layers.original, layers, t)?;
    cctx.set_global_composite_operation("destination-out")?;
    draw_layer(&cctx, &layers.mask, layers, t)?;
    let bctx = dom::context(&behind)?;
    bctx.set_filter(&format!("blur({r:.2}px)"));
    bctx.draw_image_with_html_canvas_element(&cut, 0.0, 0.0)?;
    bctx.set_filter("none");
    // Each pass takes alpha a to 1 − (1 − a)²; the colours, all the same, stay.
    for _ in 0..6 {
        bctx.draw_image_with_html_canvas_element(&behind, 0.0, 0.0)?;
    }
    ctx.draw_image_with_html_canvas_element(&behind, 0.0, 0.0)
}

/// Two clear canvases of `width`×`height`, kept between frames (the stage redraws often; an export
/// asks for its own size): `pair` 0 for the blurred background, 1 for the shadow and outline.
fn scratch_pair(
    pair: usize,
    width: u32,
    height: u32,
) -> Result<(HtmlCanvasElement, HtmlCanvasElement), JsValue> {
    type Pair = (HtmlCanvasElement, HtmlCanvasElement);
    thread_local! {
        static SCRATCH: std::cell::RefCell<[Option<Pair>; 2]> =
            const { std::cell::RefCell::new([None, None]) };
    }
    let kept = SCRATCH.with_borrow(|pairs| pairs[pair].clone());
    let kept = match kept {
        Some(kept) => kept,
        None => (dom::canvas(width, height)?, dom::canvas(width, height)?),
    };
    for canvas in [&kept.0, &kept.1] {
        if canvas.width() != width || canvas.height() != height {
            // Resizing clears the canvas and its context's state.
            canvas.set_width(width);
            canvas.set_height(height);
        } else {
            let ctx = dom::context(canvas)?;
            ctx.set_global_composite_operation("source-over")?;
            ctx.clear_rect(0.0, 0.0, f64::from(width), f64::from(height));
        }
    }
    SCRATCH.with_borrow_mut(|pairs| pairs[pair] = Some(kept.clone()));
    Ok(kept)
}

/// What is drawn around the subject, with the subject's box (photo pixels) that sizes it.
#[derive(Clone, Copy, Default)]
pub struct Effects<'a> {
    pub shadow: Option<&'a Shadow>,
    pub outline: Option<&'a Outline>,
    pub subject: Option<Rect>,
}

impl<'a> Effects<'a> {
    pub fn of(look: &'a Look, subject: Option<Rect>) -> Self {
        Self {
            shadow: look.shadow.as_ref(),
            outline: look.outline.as_ref(),
            subject,
        }
    }

    fn any(&self) -> bool {
        self.shadow.is_some() || self.outline.is_some()
    }
}

/// The softest shadow's blur, as a share of the subject's larger side (the server's too).
const MAX_SOFTNESS: f64 = 0.08;
/// A contact shadow is the silhouette flattened to this share of its height (the server's too).
const CONTACT_FLATTENING: f64 = 0.12;

/// Draws the photo through its mask over whatever is on `ctx`, inside the output rectangle, with
/// its shadow and outline under it. `scratch` is a canvas the size of the target.
pub fn draw_subject(
    ctx: &CanvasRenderingContext2d,
    scratch: &HtmlCanvasElement,
    layers: &Layers,
    output: Rect,
    t: &Transform,
    effects: Effects<'_>,
) -> Result<(), JsValue> {
    let (tw, th) = (scratch.width(), scratch.height());
    let sctx = dom::context(scratch)?;
    sctx.clear_rect(0.0, 0.0, f64::from(tw), f64::from(th));
    draw_layer(&sctx, &layers.colour, layers, t)?;
    sctx.set_global_composite_operation("destination-in")?;
    draw_layer(&sctx, &layers.mask, layers, t)?;
    sctx.set_global_composite_operation("source-over")?;
    ctx.save();
    clip(ctx, target_rect(output, t));
    let result = (|| {
        if effects.any() {
            draw_effects(ctx, scratch, layers, t, effects)?;
        }
        ctx.draw_image_with_html_canvas_element(scratch, 0.0, 0.0)
    })();
    ctx.restore();
    result
}

/// The outline and the shadow of the cut-out subject on `subject` (a target-sized canvas), drawn
/// on `ctx` under where the subject goes.
fn draw_effects(
    ctx: &CanvasRenderingContext2d,
    subject: &HtmlCanvasElement,
    layers: &Layers,
    t: &Transform,
    effects: Effects<'_>,
) -> Result<(), JsValue> {
    let (tw, th) = (subject.width(), subject.height());
    let (outline, silhouette) = scratch_pair(1, tw, th)?;
    if let Some(stroke) = effects.outline {
        // The silhouette grown by the width: the subject drawn around two rings of that radius
        // and half of it, then painted in the outline's colour.
        let octx = dom::context(&outline)?;
        let radius = f64::from(stroke.width.clamp(1, 100)) * t.scale;
        for ring in [radius, radius / 2.0] {
            let steps = ((std::f64::consts::TAU * ring / 2.0).ceil() as usize).clamp(8, 64);
            for step in 0..steps {
                let angle = std::f64::consts::TAU * step as f64 / steps as f64;
                octx.draw_image_with_html_canvas_element(
                    subject,
                    ring * angle.cos(),
                    ring * angle.sin(),
                )?;
            }
        }
        octx.draw_image_with_html_canvas_element(subject, 0.0, 0.0)?;
        octx.set_global_composite_operation("source-in")?;
        octx.set_fill_style_str(&stroke.hex);
        octx.fill_rect(0.0, 0.0, f64::from(tw), f64::from(th));
        octx.set_global_composite_operation("source-over")?;
    }
    if let (Some(shadow), Some(subject_box)) = (effects.shadow, effects.subject) {
        let sctx = dom::context(&silhouette)?;
        sctx.draw_image_with_html_canvas_element(&outline, 0.0, 0.0)?;
        sctx.draw_image_with_html_canvas_element(subject, 0.0, 0.0)?;
        sctx.set_global_composite_operation("source-in")?;
        sctx.set_fill_style_str("#000000");
        sctx.fill_rect(0.0, 0.0, f64::from(tw), f64::from(th));
        sctx.set_global_composite_operation("source-over")?;
        let size = f64::from(subject_box.width.max(subject_box.height)) * t.scale;
        let sigma = f64::from(shadow.softness.min(100)) / 100.0 * MAX_SOFTNESS * size;
        let (dx, dy) = (
            f64::from(shadow.offset[0]) / 100.0 * size,
            f64::from(shadow.offset[1]) / 100.0 * size,
        );
        ctx.save();
        if sigma >= 0.5 {
            ctx.set_filter(&format!("blur({sigma:.2}px)"));
        }
        ctx.set_global_alpha(f64::from(shadow.opacity.min(100)) / 100.0);
        let drawn = match shadow.kind {
            ShadowKind::Drop => ctx.draw_image_with_html_canvas_element(&silhouette, dx, dy),
            ShadowKind::Contact => {
                // Flattened about the base: the silhouette's middle row lands on the base.
                let [_, top] = t.to_stage(0.0, f64::from(subject_box.y));
                let height = f64::from(subject_box.height) * t.scale;
                let base = top + height;
                let middle = base - height / 2.0;
                let y0 = base - middle * CONTACT_FLATTENING;
                ctx.draw_image_with_html_canvas_element_and_dw_and_dh(
                    &silhouette,
                    dx,
                    y0 + dy,
                    f64::from(tw),
                    f64::from(th) * CONTACT_FLATTENING,
                )
            }
        };
        ctx.restore();
        drawn?;
    }
    if effects.outline.is_some() {
        ctx.save();
        if let Some(subject_box) = effects.subject {
            let [left, top, right, bottom] =
                geometry::stroke_bounds(subject_box, layers.width, layers.height);
            let [x0, y0] = t.to_stage(left, top);
            let [x1, y1] = t.to_stage(right, bottom);
            clip(ctx, [x0, y0, x1 - x0, y1 - y0]);
        }
        let drawn = ctx.draw_image_with_html_canvas_element(&outline, 0.0, 0.0);
        ctx.restore();
        drawn?;
    }
    Ok(())
}

/// The before/after comparison: the original photo over the left `fraction` of the target.
pub fn draw_before(
    ctx: &CanvasRenderingContext2d,
    layers: &Layers,
    t: &Transform,
    fraction: f64,
    target: [f64; 2],
) -> Result<(), JsValue> {
    let split = target[0] * fraction;
    ctx.save();
    clip(ctx, [0.0, 0.0, split, target[1]]);
    ctx.clear_rect(0.0, 0.0, split, target[1]);
    draw_photo(ctx, &layers.original, layers, t)?;
    ctx.restore();
    ctx.set_fill_style_str("#ffffff");
    ctx.fill_rect(split - 1.0, 0.0, 2.0, target[1]);
    Ok(())
}

/// The brush's outline at `[x, y]` on the stage, dark and light so it shows on any picture; `ratio`
/// is the device pixel ratio.
pub fn draw_brush_outline(
    ctx: &CanvasRenderingContext2d,
    [x, y]: [f64; 2],
    diameter: f64,
    ratio: f64,
) -> Result<(), JsValue> {
    ctx.begin_path();
    ctx.arc(x, y, diameter / 2.0, 0.0, std::f64::consts::TAU)?;
    ctx.set_stroke_style_str("rgba(0,0,0,0.7)");
    ctx.set_line_width(2.0 * ratio);
    ctx.stroke();
    ctx.set_stroke_style_str("rgba(255,255,255,0.9)");
    ctx.set_line_width(ratio);
    ctx.stroke();
    Ok(())
}

thread_local! {
    /// The checkerboard tile, made once (the stage redraws on every pointer move).
    static CHECKER: std::cell::OnceCell<HtmlCanvasElement> = const { std::cell::OnceCell::new() };
}

fn checker_tile() -> Result<HtmlCanvasElement, JsValue> {
    let tile = dom::canvas(16, 16)?;
    let ctx = dom::context(&tile)?;
    ctx.set_fill_style_str("#ffffff");
    ctx.fill_rect(0.0, 0.0, 16.0, 16.0);
    ctx.set_fill_style_str("#d1d5db");
    ctx.fill_rect(0.0, 0.0, 8.0, 8.0);
    ctx.fill_rect(8.0, 8.0, 8.0, 8.0);
    Ok(tile)
}

/// Starts the mask over from the model's: the cutout PNG's alpha channel.
pub fn reset_mask(layers: &Layers, base: &ImageBitmap) -> Result<(), JsValue> {
    let ctx = dom::context(&layers.mask)?;
    ctx.set_global_composite_operation("source-over")?;
    ctx.clear_rect(0.0, 0.0, f64::from(layers.width), f64::from(layers.height));
    ctx.draw_image_with_image_bitmap_and_dw_and_dh(
        base,
        0.0,
        0.0,
        f64::from(layers.width),
        f64::from(layers.height),
    )
}

/// Stamps along a stroke. Stamps sit at even steps along the whole path, so drawing a stroke
/// piece by piece while the pointer moves and replaying it at once give the same pixels.
pub struct Stamper {
    /// Distance walked since the last stamp.
    carry: f64,
    last: Option<[f32; 2]>,
}

impl Stamper {
    pub fn new() -> Self {
        Self {
            carry: 0.0,
            last: None,
        }
    }

    fn spacing(stroke: &Stroke) -> f64 {
        (f64::from(stroke.size) * 0.125).max(0.5)
    }

    /// Stamps the path from the last point to `point`.
    pub fn to(
        &mut self,
        mask: &HtmlCanvasElement,
        stroke: &Stroke,
        point: [f32; 2],
    ) -> Result<(), JsValue> {
        let ctx = dom::context(mask)?;
        let Some(last) = self.last.replace(point) else {
            return stamp(&ctx, stroke, point[0].into(), point[1].into());
        };
        let (dx, dy) = (f64::from(point[0] - last[0]), f64::from(point[1] - last[1]));
        let length = dx.hypot(dy);
        let spacing = Self::spacing(stroke);
        let mut along = spacing - self.carry;
        while along <= length {
            let f = along / length;
            stamp(
                &ctx,
                stroke,
                f64::from(last[0]) + dx * f,
                f64::from(last[1]) + dy * f,
            )?;
            along += spacing;
        }
        self.carry = length - (along - spacing);
        Ok(())
    }
}

/// Replays a whole stroke onto the mask.
pub fn replay(mask: &HtmlCanvasElement, stroke: &Stroke) -> Result<(), JsValue> {
    let mut stamper = Stamper::new();
    for &point in &stroke.points {
        stamper.to(mask, stroke, point)?;
    }
    Ok(())
}

fn stamp(ctx: &CanvasRenderingContext2d, stroke: &Stroke, x: f64, y: f64) -> Result<(), JsValue> {
    let radius = (f64::from(stroke.size) / 2.0).max(0.5);
    let hardness = f64::from(stroke.hardness.min(100)) / 100.0;
    ctx.set_global_composite_operation(match stroke.mode {
        BrushMode::Erase => "destination-out",
        BrushMode::Restore => "source-over",
    })?;
    if hardness >= 0.99 {
        ctx.set_fill_style_str("#ffffff");
    } else {
        let gradient = ctx.create_radial_gradient(x, y, radius * hardness, x, y, radius)?;
        gradient.add_color_stop(0.0, "rgba(255,255,255,1)")?;
        gradient.add_color_stop(1.0, "rgba(255,255,255,0)")?;
        ctx.set_fill_style_canvas_gradient(&gradient);
    }
    ctx.begin_path();
    ctx.arc(x, y, radius, 0.0, std::f64::consts::TAU)?;
    ctx.fill();
    ctx.set_global_composite_operation("source-over")
}
