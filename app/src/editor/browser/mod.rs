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
pub use input::{pointer, wheel};
pub use open::select;
pub use queue::{files_chosen, files_dropped};
pub use startup::apply_theme;
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
    /// Paste, keyboard shortcuts and resize; removed from the window with the engine.
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
    stop(ui);
    startup::load_prefs(ui);
    apply_theme(ui);
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

/// Drops the engine when its page goes away; its window listeners go with it.
pub fn stop(_ui: Ui) {
    let engine = ENGINE.with(|engine| engine.borrow_mut().take());
    drop(engine);
}
