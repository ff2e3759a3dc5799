//! Export: the result drawn again at full resolution, encoded in the chosen format, then downloaded
//! or copied to the clipboard (always PNG).

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

use super::render::{self, Backdrop};
use super::{Engine, dom, with};
use crate::editor::geometry::{self, Transform};
use crate::editor::prefs::{self, ExportFormat};
use crate::editor::state::Ui;

pub fn export(ui: Ui, copy: bool) {
    let prefs = ui.prefs.get_untracked();
    let format = if copy {
        ExportFormat::Png
    } else {
        prefs.format
    };
    let name = ui
        .current_item()
        .map(|item| prefs::export_name(&item.name, format))
        .unwrap_or_else(|| prefs::export_name("image", format));
    ui.busy_exporting.set(true);
    spawn_local(async move {
        let result = match with(|engine| engine.render_full(format)).flatten() {
            Some(Ok(canvas)) => {
                let quality = if format == ExportFormat::Png {
                    1.0
                } else {
                    0.92
                };
                dom::encode(&canvas, format.mime(), quality).await
            }
            Some(Err(err)) => Err(err),
            None => Err(JsValue::from_str("nothing to export")),
        };
        ui.busy_exporting.set(false);
        let blob = match result {
            Ok(blob) => blob,
            Err(err) => {
                leptos::logging::warn!("export: {}", dom::describe(&err));
                return ui.error(
                    "The image could not be exported. Try a smaller crop or another format.",
                );
            }
        };
        if copy {
            match dom::copy_png(&blob).await {
                Ok(()) => {
                    ui.copied.set(true);
                    ui.info("Copied to the clipboard.");
                    dom::sleep(2500).await;
                    ui.copied.set(false);
                }
                Err(err) => {
                    leptos::logging::warn!("clipboard: {}", dom::describe(&err));
                    ui.error("Your browser did not allow copying the image. Use Download instead.");
                }
            }
        } else if let Err(err) = dom::download(&blob, &name) {
            leptos::logging::warn!("download: {}", dom::describe(&err));
            ui.error("The download could not start. Please try again.");
        }
    });
}

impl Engine {
    /// The result at full resolution (or at the look's export size), on a canvas of the output
    /// rectangle's shape.
    fn render_full(&mut self, format: ExportFormat) -> Option<Result<HtmlCanvasElement, JsValue>> {
        let look = self.ui.look_untracked()?;
        let output = self.output(&look)?;
        let effects = self.effects(&look);
        let open = self.open.as_ref()?;
        let image = self.backdrop_image(&look.background);
        let (scale, width, height) = geometry::export_size(output, look.export_side);
        Some((|| {
            let canvas = dom::canvas(width, height)?;
            let scratch = dom::canvas(width, height)?;
            let ctx = dom::context(&canvas)?;
            let t = Transform {
                scale,
                offset: [-f64::from(output.x) * scale, -f64::from(output.y) * scale],
            };
            if format == ExportFormat::Jpeg {
                // JPEG has no transparency: white where nothing else is.
                ctx.set_fill_style_str("#ffffff");
                ctx.fill_rect(0.0, 0.0, f64::from(width), f64::from(height));
            }
            let backdrop = Backdrop::of(&look.background, image.as_ref(), &open.layers);
            render::draw_backdrop(&ctx, &backdrop, &open.layers, output, &t)?;
            render::draw_subject(&ctx, &scratch, &open.layers, output, &t, effects)?;
            Ok(canvas)
        })())
    }
}
