//! The photo library in the page: whether the server has one, and searches through
//! `GET /api/v1/backgrounds` (our server asks Pexels; the browser never talks to Pexels).

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::dom;
use crate::editor::state::{Library, LibraryPhoto, Ui};
use crate::server_fns::photo_library;

/// Asks the server whether it has a library; the search shows only if it does.
pub fn check_library(_ui: Ui, library: RwSignal<Library>) {
    spawn_local(async move {
        if let Ok(available) = photo_library().await {
            library.try_update(|library| library.available = available);
        }
    });
}

#[derive(serde::Deserialize)]
struct Answer {
    photos: Vec<LibraryPhoto>,
}

/// Searches the library for `query`; the results replace the last ones.
pub fn search_library(ui: Ui, library: RwSignal<Library>, query: String) {
    let query = query.trim().to_string();
    if query.is_empty() {
        return;
    }
    library.update(|library| library.searching = true);
    spawn_local(async move {
        let address = format!(
            "/api/v1/backgrounds?q={}",
            String::from(js_sys::encode_uri_component(&query))
        );
        let found = fetch_json(&address).await;
        if library
            .try_update(|library| library.searching = false)
            .is_none()
        {
            return;
        }
        match found.and_then(|text| {
            serde_json::from_str::<Answer>(&text).map_err(|_| JsValue::from_str("unreadable"))
        }) {
            Ok(answer) => library.update(|library| {
                library.searched = Some(query);
                library.photos = answer.photos;
            }),
            Err(err) => {
                leptos::logging::warn!("library: {}", dom::describe(&err));
                ui.error("The photo search did not work. Please try again in a moment.");
            }
        }
    });
}

async fn fetch_json(address: &str) -> Result<String, JsValue> {
    let response: web_sys::Response =
        wasm_bindgen_futures::JsFuture::from(dom::window()?.fetch_with_str(address))
            .await?
            .dyn_into()?;
    if !response.ok() {
        return Err(JsValue::from_str(&format!("status {}", response.status())));
    }
    wasm_bindgen_futures::JsFuture::from(response.text()?)
        .await?
        .as_string()
        .ok_or_else(|| JsValue::from_str("not text"))
}
