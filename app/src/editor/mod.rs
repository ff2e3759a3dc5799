//! The editor at `/`: bring images, see the cutout, change the background, refine the mask, crop
//! and export. The page is rendered on the server; once hydrated, the browser-only engine
//! (`browser/`) draws on the canvas, talks to the cutout API and keeps the workspace in IndexedDB.
//! Nothing of the workspace goes back to the server: the only upload is the photo to cut out.

pub mod document;
pub mod geometry;
pub mod history;
pub mod messages;
pub mod prefs;
pub mod presets;
pub mod state;
mod view;

#[cfg(feature = "hydrate")]
mod browser;

pub use view::EditorPage;

use leptos::ev;
use state::Ui;

/// Calls into the browser engine; on the server (where no event ever fires) they do nothing.
macro_rules! client_calls {
    ($( $(#[$meta:meta])* fn $name:ident($($arg:ident : $ty:ty),*); )*) => {
        $(
            $(#[$meta])*
            #[cfg(feature = "hydrate")]
            pub fn $name(ui: Ui, $($arg: $ty),*) {
                browser::$name(ui, $($arg),*)
            }
            $(#[$meta])*
            #[cfg(not(feature = "hydrate"))]
            pub fn $name(_: Ui, $(_: $ty),*) {}
        )*
    };
}

pub mod client {
    use super::*;

    client_calls! {
        /// Starts the engine once the page is hydrated: restores the workspace, listens for paste
        /// and keyboard shortcuts.
        fn start();
        /// Drops the engine when the page goes away.
        fn stop();
        /// Files from the picker (`change` on the file input).
        fn files_chosen(event: ev::Event);
        /// Files dropped on the page.
        fn files_dropped(event: ev::DragEvent);
        /// Pointer on the stage: brush strokes and panning.
        fn pointer(event: ev::PointerEvent);
        fn wheel(event: ev::WheelEvent);
        /// Shows another image of the history.
        fn select(id: String);
        /// Removes one image from the history (and its server link).
        fn forget(id: String);
        fn own_background(event: ev::Event);
        /// Full-resolution export: download, or copy to the clipboard.
        fn export(copy: bool);
        fn clear_history();
        /// Applies the theme preference to the document.
        fn apply_theme();
    }
}
