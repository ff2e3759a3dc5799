//! Drawing the open image on the stage canvas (`#editor-canvas`): the canvas sized to its box in
//! device pixels, the photo-to-canvas transform of the view, the output rectangle (crop), and one
//! frame of backdrop, subject, comparison and brush outline.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

use super::render::{self, Backdrop, Effects, Layers};
use super::{Engine, dom};
use crate::editor::document::Look;
use crate::editor::geometry::{self, Rect, Transform};
use crate::editor::state::Tool;

impl Engine {
    /// Brings the mask in line with the edit's strokes, then draws.
    pub(super) fn sync_and_draw(&mut self) {
        self.sync_mask();
        self.draw();
    }

    pub(super) fn canvas(&self) -> Option<HtmlCanvasElement> {
        dom::document()
            .ok()?
            .get_element_by_id("editor-canvas")?
            .dyn_into()
            .ok()
    }

    /// The area the result shows, in photo pixels.
    pub(super) fn output(&mut self, look: &Look) -> Option<Rect> {
        let open = self.open.as_ref()?;
        let (w, h) = (open.layers.width, open.layers.height);
        if !look.crop.enabled {
            return Some(Rect::of_image(w, h));
        }
        let subject = self.subject();
        Some(geometry::output_rect(&look.crop, subject, w, h))
    }

    /// The subject's box in the edited mask, read back once per change of the mask.
    pub(super) fn subject(&mut self) -> Option<Rect> {
        let open = self.open.as_mut()?;
        if open.subject.is_none() {
            open.subject = Some(subject_box(&open.layers).unwrap_or(None));
        }
        open.subject.flatten()
    }

    /// The shadow and outline of `look`, sized by the subject (looked up only when there are any).
    pub(super) fn effects<'a>(&mut self, look: &'a Look) -> Effects<'a> {
        let subject = if look.shadow.is_some() || look.outline.is_some() {
            self.subject()
        } else {
            None
        };
        Effects::of(look, subject)
    }

    fn stage(&self) -> Option<(HtmlCanvasElement, [f64; 2])> {
        let canvas = self.canvas()?;
        let ratio = dom::pixel_ratio().ok()?;
        let (w, h) = (
            (f64::from(canvas.client_width()) * ratio).round().max(1.0),
            (f64::from(canvas.client_height()) * ratio).round().max(1.0),
        );
        if canvas.width() != w as u32 || canvas.height() != h as u32 {
            canvas.set_width(w as u32);
            canvas.set_height(h as u32);
        }
        Some((canvas, [w, h]))
    }

    pub(super) fn transform(&mut self) -> Option<(Transform, Rect, [f64; 2], HtmlCanvasElement)> {
        let look = self.ui.look_untracked()?;
        let output = self.output(&look)?;
        let (canvas, size) = self.stage()?;
        let view = self.ui.view.get_untracked();
        Some((view.transform(output, size), output, size, canvas))
    }

    pub(super) fn draw(&mut self) {
        if let Err(err) = self.try_draw() {
            leptos::logging::warn!("drawing: {}", dom::describe(&err));
        }
    }

    fn try_draw(&mut self) -> Result<(), JsValue> {
        let Some(look) = self
            .ui
            .doc
            .with_untracked(|d| d.as_ref().map(|d| d.look().clone()))
        else {
            return Ok(());
        };
        self.ensure_backdrop_image(&look.background);
        let Some((t, output, size, canvas)) = self.transform() else {
            return Ok(());
        };
        let ctx = dom::context(&canvas)?;
        ctx.clear_rect(0.0, 0.0, size[0], size[1]);
        let scratch = match &self.scratch {
            Some(s) if s.width() == size[0] as u32 && s.height() == size[1] as u32 => s.clone(),
            _ => {
                let s = dom::canvas(size[0] as u32, size[1] as u32)?;
                self.scratch = Some(s.clone());
                s
            }
        };
        let effects = self.effects(&look);
        let Some(open) = &self.open else {
            return Ok(());
        };
        let image = self.backdrop_image(&look.background);
        let backdrop = match Backdrop::of(&look.background, image.as_ref(), &open.layers) {
            Backdrop::None => Backdrop::Checker,
            other => other,
        };
        render::draw_backdrop(&ctx, &backdrop, &open.layers, output, &t)?;
        render::draw_subject(&ctx, &scratch, &open.layers, output, &t, effects)?;
        let compare = self.ui.compare.get_untracked();
        if compare > 0 {
            render::draw_before(&ctx, &open.layers, &t, f64::from(compare) / 100.0, size)?;
        }
        if let (Some(at), true) = (self.hover, self.ui.tool.get_untracked() != Tool::Move) {
            let ratio = dom::pixel_ratio()?;
            let diameter = f64::from(self.ui.prefs.get_untracked().brush_size) * ratio;
            render::draw_brush_outline(&ctx, at, diameter, ratio)?;
        }
        // The mapping from photo to canvas pixels, for tools and tests that point at the photo.
        let _ = canvas.set_attribute(
            "data-transform",
            &format!("{} {} {}", t.scale, t.offset[0], t.offset[1]),
        );
        let size = Some((output.width, output.height));
        if self.ui.output.get_untracked() != size {
            self.ui.output.set(size);
        }
        let _ = canvas.set_attribute(
            "data-output",
            &format!(
                "{} {} {} {}",
                output.x, output.y, output.width, output.height
            ),
        );
        Ok(())
    }
}

/// The subject's box in the edited mask (read back from the canvas once per change).
fn subject_box(layers: &Layers) -> Result<Option<Rect>, JsValue> {
    let ctx = dom::context(&layers.mask)?;
    let data = ctx.get_image_data(0.0, 0.0, f64::from(layers.width), f64::from(layers.height))?;
    Ok(geometry::subject_box(
        &data.data(),
        layers.width,
        layers.height,
        16,
    ))
}
