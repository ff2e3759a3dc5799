//! Input: the window's listeners (paste, keyboard shortcuts, resize), and the pointer and wheel on
//! the stage. Each turns what the person did into a change of the [`Ui`] signals or the engine.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{ClipboardEvent, HtmlInputElement, KeyboardEvent};

use super::dom::{self, WindowListener};
use super::{page, with};
use crate::editor::geometry::View;
use crate::editor::state::{Tool, Ui};

/// Pasted images go to `take` (they are readable only while the event is dispatched). Listens
/// from the moment the page is hydrated, before the engine has arrived; for as long as the
/// returned value lives.
pub fn paste_listener(take: impl Fn(Vec<web_sys::File>) + 'static) -> WindowListener {
    WindowListener::new("paste", move |event| {
        let Some(event) = event.dyn_ref::<ClipboardEvent>() else {
            return;
        };
        let files = event
            .clipboard_data()
            .and_then(|data| data.files())
            .map(|list| dom::files_of(&list))
            .unwrap_or_default();
        if !files.is_empty() {
            event.prevent_default();
            take(files);
        }
    })
}

/// The engine's window-level listeners: keyboard shortcuts, resize.
pub(super) fn listen(ui: Ui) -> Vec<WindowListener> {
    let keys = WindowListener::new("keydown", move |event| {
        if let Some(event) = event.dyn_ref::<KeyboardEvent>() {
            shortcut(ui, event);
        }
    });
    let resize = WindowListener::new("resize", move |_| {
        with(|engine| engine.draw());
    });
    vec![keys, resize]
}

fn shortcut(ui: Ui, event: &KeyboardEvent) {
    let typing = event
        .target()
        .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
        .is_some_and(|input| {
            matches!(
                input.type_().as_str(),
                "text" | "email" | "search" | "number"
            )
        });
    let key = event.key();
    if key == "Escape" {
        ui.confirm.set(None);
        page::toggle_shortcuts(Some(false));
        return;
    }
    // While a question is open, keys belong to it.
    if typing || ui.confirm.with_untracked(Option::is_some) {
        return;
    }
    if key == "?" {
        page::toggle_shortcuts(None);
        event.prevent_default();
        return;
    }
    if !ui.shown.get_untracked() {
        return;
    }
    let command = event.ctrl_key() || event.meta_key();
    let handled = match key.as_str() {
        "z" | "Z" if command && event.shift_key() => {
            ui.redo();
            true
        }
        "z" | "Z" if command => {
            ui.undo();
            true
        }
        "y" if command => {
            ui.redo();
            true
        }
        _ if command || event.alt_key() => false,
        "v" | "V" => {
            ui.tool.set(Tool::Move);
            true
        }
        "e" | "E" => {
            ui.tool.set(Tool::Erase);
            true
        }
        "r" | "R" => {
            ui.tool.set(Tool::Restore);
            true
        }
        "+" | "=" => {
            ui.view.update(|v| *v = v.zoomed(1.25));
            true
        }
        "-" => {
            ui.view.update(|v| *v = v.zoomed(1.0 / 1.25));
            true
        }
        "0" => {
            ui.view.set(View::default());
            true
        }
        "[" | "]" => {
            let step: i64 = if key == "]" { 4 } else { -4 };
            ui.prefs
                .update(|p| p.brush_size = (i64::from(p.brush_size) + step).clamp(4, 200) as u32);
            true
        }
        _ => false,
    };
    if handled {
        event.prevent_default();
    }
}

/// Pointer on the stage: a brush stroke or a pan; a finished stroke goes into the edit.
pub fn pointer(ui: Ui, event: leptos::ev::PointerEvent) {
    if !ui.shown.get_untracked() {
        return;
    }
    let ratio = dom::pixel_ratio().unwrap_or(1.0);
    let at = [
        f64::from(event.offset_x()) * ratio,
        f64::from(event.offset_y()) * ratio,
    ];
    let tool = ui.tool.get_untracked();
    let kind = event.type_();
    let finished = with(|engine| engine.on_pointer(&kind, at, tool, &event)).flatten();
    if let Some(stroke) = finished {
        ui.doc.update(|doc| {
            if let Some(doc) = doc {
                doc.add_stroke(stroke);
            }
        });
    }
}

/// The wheel zooms the stage.
pub fn wheel(ui: Ui, event: leptos::ev::WheelEvent) {
    if !ui.shown.get_untracked() {
        return;
    }
    event.prevent_default();
    let factor = if event.delta_y() < 0.0 {
        1.1
    } else {
        1.0 / 1.1
    };
    ui.view.update(|v| *v = v.zoomed(factor));
}
