//! Background pictures: the preset photos, fetched the first time they are needed and kept, and a
//! background of one's own, read from a file and stored beside the image it belongs to.

use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, ImageBitmap};

use super::{Engine, dom, store, with, workspace};
use crate::editor::document::Background;
use crate::editor::messages;
use crate::editor::presets;
use crate::editor::state::Ui;

impl Engine {
    /// The picture a background needs, when it has arrived.
    pub(super) fn backdrop_image(&self, background: &Background) -> Option<ImageBitmap> {
        match background {
            Background::Preset { id } => self.presets.get(id).cloned(),
            Background::Library { id, .. } => self.presets.get(&library_key(*id)).cloned(),
            Background::Own => self.open.as_ref()?.own_background.clone(),
            _ => None,
        }
    }

    /// Starts loading a preset or library photo the first time it is needed; draws again once it
    /// is here.
    pub(super) fn ensure_backdrop_image(&mut self, background: &Background) {
        let (id, url) = match background {
            Background::Preset { id } => match presets::find(id) {
                Some(preset) => (id.clone(), preset.url()),
                None => return,
            },
            // Through our server, which fetches it from Pexels.
            Background::Library { id, .. } => {
                (library_key(*id), format!("/api/v1/backgrounds/{id}"))
            }
            _ => return,
        };
        if self.presets.contains_key(&id) || !self.loading.insert(id.clone()) {
            return;
        }
        let ui = self.ui;
        spawn_local(async move {
            let fetched = fetch_bitmap(&url).await;
            with(|engine| engine.loading.remove(&id));
            match fetched {
                Ok(bitmap) => {
                    with(|engine| {
                        engine.presets.insert(id, bitmap);
                        engine.draw();
                    });
                }
                Err(_) => ui.error("That background photo could not be loaded. Please try again."),
            }
        });
    }
}

/// Where a library photo is kept beside the presets.
fn library_key(id: u64) -> String {
    format!("library-{id}")
}

async fn fetch_bitmap(url: &str) -> Result<ImageBitmap, JsValue> {
    let response: web_sys::Response =
        wasm_bindgen_futures::JsFuture::from(dom::window()?.fetch_with_str(url))
            .await?
            .dyn_into()?;
    if !response.ok() {
        return Err(JsValue::from_str("not found"));
    }
    let blob: Blob = wasm_bindgen_futures::JsFuture::from(response.blob()?)
        .await?
        .dyn_into()?;
    dom::bitmap(&blob).await
}

/// A background of one's own, from the file input, for the open image.
pub fn own_background(ui: Ui, event: leptos::ev::Event) {
    let Some(input) = dom::input_of(&event) else {
        return;
    };
    let Some(file) = input.files().and_then(|list| list.get(0)) else {
        return;
    };
    input.set_value("");
    spawn_local(async move {
        let head = dom::head(&file, 16).await.unwrap_or_default();
        if messages::sniff(&head).is_none() {
            return ui.error(messages::NOT_AN_IMAGE);
        }
        let Ok(bitmap) = dom::bitmap(&file).await else {
            return ui.error("Your browser could not read that image. Try another one.");
        };
        let target = with(|engine| {
            let open = engine.open.as_mut()?;
            open.own_background = Some(bitmap);
            Some((engine.db.clone(), open.record.id.clone()))
        })
        .flatten();
        let Some((db, id)) = target else {
            return;
        };
        ui.set_look(|look| look.background = Background::Own);
        if let Some(db) = db {
            let blob: Blob = file.into();
            if let Err(err) = store::set_background(&db, &id, &blob).await {
                workspace::report_store_error(ui, err);
            }
        }
    });
}
