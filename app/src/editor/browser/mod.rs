//! The editor's engine, in the browser only. It owns what signals cannot hold (canvases, decoded
//! images, the IndexedDB connection, pointer state), follows the [`Ui`] signals to redraw and save,
//! and runs the upload queue one photo at a time.
//!
//! This module holds the engine itself, one per page in a thread-local, and its start and stop;
//! each job it does lives in its own module below.

mod backgrounds;
mod brush;
mod dom;
mod export;
mod input;
mod library;
mod open;
mod page;
mod queue;
mod render;
mod stage;
mod startup;
mod store;
mod upload;
mod workspace;

use std::cell::RefCell;
use std::collections::{HashMap, HashSet, VecDeque};
use std::rc::Rc;

use idb::Database;
use leptos::task::spawn_local;
use web_sys::{File, HtmlCanvasElement, ImageBitmap};

use super::state::Ui;
use brush::Gesture;
use dom::WindowListener;
use open::Open;
use store::Images;

pub use backgrounds::own_background;
pub use export::export;
pub use input::{paste_listener, pointer, wheel};
pub use library::{check_library, search_library};
pub use open::select;
pub use queue::{add_files, chosen_files, dropped_files};
pub use workspace::{clear_history, forget};

struct Engine {
    ui: Ui,
    db: Option<Rc<Database>>,
    open: Option<Open>,
    queue: VecDeque<(String, File)>,
    running: bool,
    /// Pictures of images this session could not store (quota), so they still open.
    unsaved: HashMap<String, Images>,
    thumbnails: HashMap<String, String>,
    presets: HashMap<String, ImageBitmap>,
    gesture: Option<Gesture>,
    /// Pointer position on the stage (device pixels) for the brush outline.
    hover: Option<[f64; 2]>,
    scratch: Option<HtmlCanvasElement>,
    /// Preset photos being fetched.
    loading: HashSet<String>,
    /// Keyboard shortcuts and resize (paste is the page's: it works before the engine has
    /// arrived); removed from the window with the engine.
    _listeners: Vec<WindowListener>,
}

impl Drop for Engine {
    fn drop(&mut self) {
        for url in self.thumbnails.values() {
            dom::revoke(url);
        }
    }
}

thread_local! {
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
}

/// Runs `f` on this page's engine; `None` when there is none, or it is busy (a re-entrant call).
fn with<R>(f: impl FnOnce(&mut Engine) -> R) -> Option<R> {
    ENGINE.with(|engine| engine.try_borrow_mut().ok()?.as_mut().map(f))
}

/// The IndexedDB connection, once the workspace is open.
fn db() -> Option<Rc<Database>> {
    with(|engine| engine.db.clone()).flatten()
}

pub fn start(ui: Ui) {
    // A new page (after client-side navigation) gets a new engine.
    let earlier = ENGINE.with(|engine| engine.borrow_mut().take());
    drop(earlier);
    startup::load_prefs(ui);
    let listeners = input::listen(ui);
    ENGINE.with(|engine| {
        *engine.borrow_mut() = Some(Engine {
            ui,
            db: None,
            open: None,
            queue: VecDeque::new(),
            running: false,
            unsaved: HashMap::new(),
            thumbnails: HashMap::new(),
            presets: HashMap::new(),
            gesture: None,
            hover: None,
            scratch: None,
            loading: HashSet::new(),
            _listeners: listeners,
        });
    });
    startup::follow(ui);
    spawn_local(startup::restore(ui));
}

pub fn redraw(_ui: Ui) {
    // Once the view that called is in the document and laid out.
    spawn_local(async {
        dom::sleep(0).await;
        with(|engine| engine.sync_and_draw());
    });
}

/// Drops the engine when its page goes away; its window listeners go with it.
pub fn stop(ui: Ui) {
    // Only this page's engine: a stop that waited for its chunk may come after the next page's start.
    let engine = ENGINE.with(|engine| {
        let mut engine = engine.borrow_mut();
        if engine
            .as_ref()
            .is_some_and(|engine| engine.ui.hydrated == ui.hydrated)
        {
            engine.take()
        } else {
            None
        }
    });
    drop(engine);
}
