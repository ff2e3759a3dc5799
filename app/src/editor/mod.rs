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
use leptos::prelude::RwSignal;
use state::{Library, Ui};

/// The browser engine is loaded after the page: its code (and the workspace's view) sit in wasm
/// chunks of their own (`#[lazy]`, `cargo leptos build --split`), so the first load of `/` carries
/// only the introduction, the picker and the messages (issue 16). The page's own calls go through
/// [`client`]: they hand their work to the engine once its chunk has arrived. The workspace, which
/// is drawn only once there is an image, calls the engine directly through [`engine`].
macro_rules! engine_calls {
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

/// Calls from the workspace's view (in the engine's chunk); on the server, where no event ever
/// fires, they do nothing.
pub mod engine {
    use super::*;

    engine_calls! {
        /// Pointer on the stage: brush strokes and panning.
        fn pointer(event: ev::PointerEvent);
        fn wheel(event: ev::WheelEvent);
        /// Shows another image of the history.
        fn select(id: String);
        /// Removes one image from the history (and its server link).
        fn forget(id: String);
        fn own_background(event: ev::Event);
        /// Whether the server has a photo library (Pexels, through our server), into `library`.
        fn check_library(library: RwSignal<Library>);
        /// Searches the photo library; the results go into `library`.
        fn search_library(library: RwSignal<Library>, query: String);
        /// Full-resolution export: download, or copy to the clipboard.
        fn export(copy: bool);
        fn clear_history();
        /// Draws the open image again (the stage's canvas can appear after the image was opened).
        fn redraw();
    }
}

/// Calls from the page itself, which is in the first chunk: each loads the engine's chunk first
/// (once) and then runs in it. What an event carries that does not outlive the event (dropped
/// files) is taken out of it at once.
pub mod client {
    use super::*;

    /// Starts the engine once the page is hydrated (it restores the workspace and listens for
    /// keyboard shortcuts); pasted images are taken from here on.
    pub fn start(ui: Ui) {
        #[cfg(feature = "hydrate")]
        {
            use leptos::prelude::{Owner, StoredValue};
            // Pasting works from now on; the listener goes with the page.
            let paste = browser::paste_listener(move |files| lazy::run(lazy::add_files(ui, files)));
            let _ = StoredValue::new_local(paste);
            // The engine's effects belong to the page, as if it had started right here: they go
            // away with it.
            lazy::run(lazy::start(ui, Owner::current()));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ui;
    }

    /// Drops the engine when the page goes away.
    pub fn stop(ui: Ui) {
        #[cfg(feature = "hydrate")]
        lazy::run(lazy::stop(ui));
        #[cfg(not(feature = "hydrate"))]
        let _ = ui;
    }

    /// Files from the picker (`change` on the file input).
    pub fn files_chosen(ui: Ui, event: ev::Event) {
        #[cfg(feature = "hydrate")]
        lazy::run(lazy::add_files(ui, browser::chosen_files(&event)));
        #[cfg(not(feature = "hydrate"))]
        let _ = (ui, event);
    }

    /// Files dropped on the page (readable only while the event is dispatched).
    pub fn files_dropped(ui: Ui, event: ev::DragEvent) {
        #[cfg(feature = "hydrate")]
        lazy::run(lazy::add_files(ui, browser::dropped_files(&event)));
        #[cfg(not(feature = "hydrate"))]
        let _ = (ui, event);
    }
}

/// The split points into the engine's chunk. A call waits for the chunk the first time only.
#[cfg(feature = "hydrate")]
mod lazy {
    use leptos::lazy;
    use leptos::prelude::Owner;
    use web_sys::File;

    use super::Ui;
    use super::browser;

    pub fn run(call: impl Future<Output = ()> + 'static) {
        leptos::task::spawn_local(call);
    }

    /// Starts the engine, under the page's owner, unless the page is gone by now.
    #[lazy]
    pub fn start(ui: Ui, owner: Option<Owner>) {
        if !ui.alive() {
            return;
        }
        match owner {
            Some(owner) => owner.with(|| browser::start(ui)),
            None => browser::start(ui),
        }
    }

    #[lazy]
    pub fn stop(ui: Ui) {
        browser::stop(ui)
    }

    #[lazy]
    pub fn add_files(ui: Ui, files: Vec<File>) {
        if ui.alive() {
            browser::add_files(ui, files)
        }
    }
}
