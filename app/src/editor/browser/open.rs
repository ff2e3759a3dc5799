//! The image on the stage: opening one of the history (from IndexedDB, or from this session's
//! pictures that could not be stored) into full-resolution layers, and closing it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::*;
use web_sys::ImageBitmap;

use super::render::{self, Layers};
use super::store::{self, Images, ItemRecord};
use super::{db, dom, with};
use crate::editor::document::Stroke;
use crate::editor::geometry::{Rect, View};
use crate::editor::state::Ui;

/// The image on the stage.
pub(super) struct Open {
    pub(super) record: ItemRecord,
    pub(super) layers: Layers,
    /// The model's mask (the cutout PNG).
    pub(super) base: ImageBitmap,
    /// The strokes drawn on `layers.mask` so far.
    pub(super) applied: Vec<Stroke>,
    /// The subject's box in the edited mask, computed when a crop needs it.
    pub(super) subject: Option<Option<Rect>>,
    pub(super) own_background: Option<ImageBitmap>,
}

impl Open {
    /// Decodes an image's pictures into layers; the mask starts as the model made it.
    async fn load(record: &ItemRecord, images: &Images) -> Result<Self, JsValue> {
        let original = dom::bitmap(&images.original).await?;
        let base = dom::bitmap(&images.cutout).await?;
        let (width, height) = (original.width(), original.height());
        let layers = Layers {
            mask: dom::canvas(width, height)?,
            colour: render::subject_colours(&original, &base, width, height)?,
            original,
            width,
            height,
        };
        render::reset_mask(&layers, &base)?;
        let own_background = match &images.background {
            Some(blob) => dom::bitmap(blob).await.ok(),
            None => None,
        };
        Ok(Self {
            record: record.clone(),
            layers,
            base,
            applied: Vec::new(),
            subject: None,
            own_background,
        })
    }
}

/// Shows another image of the history.
pub fn select(ui: Ui, id: String) {
    spawn_local(async move {
        let records = match db() {
            Some(db) => store::records(&db).await.unwrap_or_default(),
            None => Vec::new(),
        };
        show(ui, id, records).await;
    });
}

/// Opens image `id`, one of `records`, on the stage and makes it the current one.
pub(super) async fn show(ui: Ui, id: String, records: Vec<ItemRecord>) {
    let Some(record) = records.into_iter().find(|r| r.id == id) else {
        return ui.error("That image is no longer in this browser's history.");
    };
    let db = db();
    let images = match with(|engine| engine.unsaved.get(&id).cloned()).flatten() {
        Some(images) => Some(images),
        None => match &db {
            Some(db) => store::images(db, &id).await.ok().flatten(),
            None => None,
        },
    };
    let Some(images) = images else {
        return ui.error("That image is no longer in this browser's history.");
    };
    let open = match Open::load(&record, &images).await {
        Ok(open) => open,
        Err(err) => {
            leptos::logging::warn!("opening an image: {}", dom::describe(&err));
            return ui.error(
                "Your browser could not open this image again. Try removing it and adding it anew.",
            );
        }
    };
    let doc = open.record.doc.clone();
    let size = (open.layers.width, open.layers.height);
    with(|engine| {
        engine.open = Some(open);
        engine.gesture = None;
    });
    ui.size.set(Some(size));
    ui.view.set(View::default());
    ui.compare.set(0);
    ui.current.set(Some(id.clone()));
    ui.doc.set(Some(doc));
    ui.shown.set(true);
    with(|engine| engine.sync_and_draw());
    if let Some(db) = db {
        let _ = store::set_current(&db, &id).await;
    }
}

/// Empties the stage.
pub(super) fn close(ui: Ui) {
    with(|engine| {
        engine.open = None;
        engine.gesture = None;
    });
    ui.shown.set(false);
    ui.doc.set(None);
    ui.current.set(None);
    ui.size.set(None);
    ui.output.set(None);
    if let Some(canvas) = with(|engine| engine.canvas()).flatten()
        && let Ok(ctx) = dom::context(&canvas)
    {
        ctx.clear_rect(
            0.0,
            0.0,
            f64::from(canvas.width()),
            f64::from(canvas.height()),
        );
    }
}
