//! The brush and the pan: a gesture from pointer down to up, its stroke stamped on the mask as it
//! grows, and the mask brought back in line with the edit's strokes after undo, redo or a reload.

use leptos::prelude::*;

use super::render::{self, Stamper};
use super::{Engine, dom};
use crate::editor::document::{BrushMode, Stroke};
use crate::editor::state::Tool;

/// A brush stroke or a pan in progress.
pub(super) enum Gesture {
    Stroke { stroke: Stroke, stamper: Stamper },
    Pan { last: [f64; 2] },
}

impl Engine {
    /// Returns a stroke when one has just ended.
    pub(super) fn on_pointer(
        &mut self,
        kind: &str,
        at: [f64; 2],
        tool: Tool,
        event: &web_sys::PointerEvent,
    ) -> Option<Stroke> {
        self.hover = (kind != "pointerleave").then_some(at);
        match kind {
            "pointerdown" => {
                if let Some(canvas) = self.canvas() {
                    let _ = canvas.set_pointer_capture(event.pointer_id());
                }
                self.gesture = Some(match tool {
                    Tool::Move => Gesture::Pan { last: at },
                    Tool::Erase | Tool::Restore => {
                        let (t, ..) = self.transform()?;
                        let prefs = self.ui.prefs.get_untracked();
                        let ratio = dom::pixel_ratio().ok()?;
                        Gesture::Stroke {
                            stroke: Stroke {
                                mode: if tool == Tool::Erase {
                                    BrushMode::Erase
                                } else {
                                    BrushMode::Restore
                                },
                                size: (f64::from(prefs.brush_size) * ratio / t.scale) as f32,
                                hardness: prefs.hardness,
                                points: Vec::new(),
                            },
                            stamper: Stamper::new(),
                        }
                    }
                });
                self.extend_gesture(at);
                None
            }
            "pointermove" => {
                if self.gesture.is_some() {
                    self.extend_gesture(at);
                } else if tool != Tool::Move {
                    self.draw();
                }
                None
            }
            _ => {
                let ended = self.gesture.take();
                let stroke = match ended {
                    Some(Gesture::Stroke { stroke, .. }) if !stroke.points.is_empty() => {
                        if let Some(open) = self.open.as_mut() {
                            open.applied.push(stroke.clone());
                            open.subject = None;
                        }
                        Some(stroke)
                    }
                    _ => None,
                };
                self.draw();
                stroke
            }
        }
    }

    fn extend_gesture(&mut self, at: [f64; 2]) {
        let Some((t, output, size, _)) = self.transform() else {
            return;
        };
        match self.gesture.as_mut() {
            Some(Gesture::Pan { last }) => {
                let (dx, dy) = (at[0] - last[0], at[1] - last[1]);
                *last = at;
                let view = self.ui.view.get_untracked().panned(output, size, dx, dy);
                // Setting the view redraws.
                self.ui.view.set(view);
            }
            Some(Gesture::Stroke { stroke, stamper }) => {
                let [x, y] = t.to_photo(at[0], at[1]);
                let point = [x as f32, y as f32];
                stroke.points.push(point);
                if let Some(open) = &self.open
                    && let Err(err) = stamper.to(&open.layers.mask, stroke, point)
                {
                    leptos::logging::warn!("brush: {}", dom::describe(&err));
                }
                self.draw();
            }
            None => {}
        }
    }

    /// Brings the mask in line with the edit's strokes.
    pub(super) fn sync_mask(&mut self) {
        // Most redraws (pan, zoom, background) leave the strokes alone: compare before copying.
        let wanted: Option<Vec<Stroke>> = match self.open.as_ref() {
            Some(open) => self.ui.doc.with_untracked(|doc| {
                let doc = doc.as_ref()?;
                (!doc.strokes().eq(open.applied.iter())).then(|| doc.strokes().cloned().collect())
            }),
            None => None,
        };
        if let (Some(open), Some(wanted)) = (self.open.as_mut(), wanted) {
            let result = if wanted.starts_with(&open.applied) {
                wanted[open.applied.len()..]
                    .iter()
                    .try_for_each(|stroke| render::replay(&open.layers.mask, stroke))
            } else {
                render::reset_mask(&open.layers, &open.base).and_then(|()| {
                    wanted
                        .iter()
                        .try_for_each(|stroke| render::replay(&open.layers.mask, stroke))
                })
            };
            if let Err(err) = result {
                leptos::logging::warn!("redrawing the mask: {}", dom::describe(&err));
            }
            open.applied = wanted;
            open.subject = None;
        }
    }
}
