//! The editor's engine, in the browser only. It owns what signals cannot hold (canvases, decoded
//! images, the IndexedDB connection, pointer state), follows the [`Ui`] signals to redraw and save,
//! and runs the upload queue one photo at a time.

mod dom;
mod render;
mod store;
mod upload;

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use gloo_storage::{LocalStorage, Storage};
use idb::Database;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{
    Blob, ClipboardEvent, File, HtmlCanvasElement, HtmlInputElement, ImageBitmap, KeyboardEvent,
};

use super::document::{Background, BrushMode, Document, Look, Stroke};
use super::geometry::{self, Rect, Transform, View};
use super::history;
use super::messages::{self, UploadFailure};
use super::prefs::{self, Prefs};
use super::presets;
use super::state::{ItemStatus, ItemView, NoticeKind, Tool, Ui};
use render::{Backdrop, Layers, Stamper};
use store::{Images, ItemRecord, StoreError};

/// The image on the stage.
struct Open {
    record: ItemRecord,
    layers: Layers,
    /// The model's mask (the cutout PNG).
    base: ImageBitmap,
    /// The strokes drawn on `layers.mask` so far.
    applied: Vec<Stroke>,
    /// The subject's box in the edited mask, computed when a crop needs it.
    subject: Option<Option<Rect>>,
    own_background: Option<ImageBitmap>,
}

/// A brush stroke or a pan in progress.
enum Gesture {
    Stroke { stroke: Stroke, stamper: Stamper },
    Pan { last: [f64; 2] },
}

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
    loading: std::collections::HashSet<String>,
    listeners: Vec<Listener>,
}

impl Drop for Engine {
    fn drop(&mut self) {
        if let Ok(window) = dom::window() {
            for (name, listener) in &self.listeners {
                let _ = window
                    .remove_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
            }
        }
        for url in self.thumbnails.values() {
            dom::revoke(url);
        }
    }
}

thread_local! {
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
}

fn with<R>(f: impl FnOnce(&mut Engine) -> R) -> Option<R> {
    ENGINE.with(|engine| engine.try_borrow_mut().ok()?.as_mut().map(f))
}

fn new_id() -> String {
    let now = js_sys::Date::now() as u64;
    let random = (js_sys::Math::random() * 1e12) as u64;
    format!("{now:x}-{random:x}")
}

// ---------------------------------------------------------------------------------------------
// Start-up

pub fn start(ui: Ui) {
    // A new page (after client-side navigation) gets a new engine.
    stop(ui);
    if let Ok(saved) = LocalStorage::get::<Prefs>(prefs::STORAGE_KEY) {
        ui.prefs.set(saved);
    }
    apply_theme(ui);
    let listeners = listen(ui);
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
            loading: std::collections::HashSet::new(),
            listeners,
        });
    });

    // Preferences are written only when they change.
    Effect::new(move |previous: Option<()>| {
        let prefs = ui.prefs.get();
        if previous.is_some() && LocalStorage::set(prefs::STORAGE_KEY, &prefs).is_err() {
            ui.error("Your browser did not let us save your preferences.");
        }
    });
    // Redraw on any change that shows.
    Effect::new(move |_| {
        ui.doc.track();
        ui.view.track();
        ui.compare.track();
        ui.shown.track();
        ui.tool.track();
        with(|engine| engine.sync_and_draw());
    });
    // Save the edit whenever it changes.
    Effect::new(move |_| {
        let Some(doc) = ui.doc.get() else {
            return;
        };
        let save = with(|engine| {
            let open = engine.open.as_mut()?;
            if open.record.doc == doc {
                return None;
            }
            open.record.doc = doc;
            Some((engine.db.clone(), open.record.clone()))
        })
        .flatten();
        if let Some((Some(db), record)) = save {
            spawn_local(async move {
                if let Err(err) = store::save(&db, &record).await {
                    report_store_error(ui, err);
                }
            });
        }
    });
    // A message that only informs goes away by itself; errors stay until dismissed.
    Effect::new(move |_| {
        let Some(notice) = ui.notice.get() else {
            return;
        };
        if notice.kind == NoticeKind::Info {
            spawn_local(async move {
                dom::sleep(8000).await;
                if ui.notice.get_untracked().as_ref() == Some(&notice) {
                    ui.notice.set(None);
                }
            });
        }
    });
    // The current image stays in sight in a long queue.
    Effect::new(move |_| {
        if ui.current.get().is_some() {
            ui.items.track();
            spawn_local(async move {
                dom::sleep(0).await;
                reveal_current_in_queue();
            });
        }
    });
    // A question about deleting gets the keyboard's focus, on the safe answer.
    Effect::new(move |_| {
        if ui.confirm.get().is_some() {
            spawn_local(async move {
                dom::sleep(0).await;
                focus("[data-testid='confirm-no']");
            });
        }
    });
    spawn_local(restore(ui));
}

fn focus(selector: &str) {
    if let Some(element) = dom::document()
        .ok()
        .and_then(|d| d.query_selector(selector).ok().flatten())
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = element.focus();
    }
}

/// Scrolls the queue sideways (never the page) so the current image is in its middle.
fn reveal_current_in_queue() {
    let Ok(document) = dom::document() else {
        return;
    };
    let find = |selector: &str| {
        document
            .query_selector(selector)
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    };
    if let (Some(queue), Some(item)) = (find(".queue"), find(".queue-item.current")) {
        let left = item.offset_left() - (queue.client_width() - item.offset_width()) / 2;
        queue.set_scroll_left(left.max(0));
    }
}

/// Brings a new result into view when it is not all on screen (the page may be scrolled, or the
/// screen small): the stage at the top, the actions and backgrounds below it.
fn reveal_result() {
    let Ok(window) = dom::window() else {
        return;
    };
    let Some(column) = dom::document()
        .ok()
        .and_then(|d| d.query_selector(".stage-column").ok().flatten())
    else {
        return;
    };
    let rect = column.get_bounding_client_rect();
    let height = window
        .inner_height()
        .ok()
        .and_then(|h| h.as_f64())
        .unwrap_or(0.0);
    if rect.top() < 0.0 || rect.bottom() > height {
        column.scroll_into_view_with_bool(true);
    }
}

/// Drops the engine when its page goes away; its window listeners go with it.
pub fn stop(_ui: Ui) {
    let engine = ENGINE.with(|engine| engine.borrow_mut().take());
    drop(engine);
}

type Listener = (&'static str, Closure<dyn FnMut(web_sys::Event)>);

/// Window-level listeners: paste, keyboard shortcuts, resize.
fn listen(ui: Ui) -> Vec<Listener> {
    let Ok(window) = dom::window() else {
        return Vec::new();
    };
    let paste = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
        let Some(event) = event.dyn_ref::<ClipboardEvent>() else {
            return;
        };
        let files = event
            .clipboard_data()
            .and_then(|data| data.files())
            .map(|list| files_of(&list))
            .unwrap_or_default();
        if !files.is_empty() {
            event.prevent_default();
            add_files(ui, files);
        }
    });
    let keys = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
        if let Some(event) = event.dyn_ref::<KeyboardEvent>() {
            shortcut(ui, event);
        }
    });
    let resize = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        with(|engine| engine.draw());
    });
    let listeners = vec![("paste", paste), ("keydown", keys), ("resize", resize)];
    for (name, listener) in &listeners {
        let _ = window.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
    }
    listeners
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
        toggle_shortcuts(Some(false));
        return;
    }
    // While a question is open, keys belong to it.
    if typing || ui.confirm.with_untracked(Option::is_some) {
        return;
    }
    if key == "?" {
        toggle_shortcuts(None);
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

/// Opens, closes (`Some`) or flips (`None`) the keyboard shortcuts' help.
fn toggle_shortcuts(open: Option<bool>) {
    let Some(details) = dom::document()
        .ok()
        .and_then(|d| d.get_element_by_id("shortcuts"))
    else {
        return;
    };
    let open = open.unwrap_or(!details.has_attribute("open"));
    let _ = if open {
        details.set_attribute("open", "")
    } else {
        details.remove_attribute("open")
    };
    if open {
        details.scroll_into_view_with_bool(false);
    }
}

pub fn apply_theme(ui: Ui) {
    prefs::apply_theme(ui.prefs.get_untracked().theme);
}

/// Brings back the workspace from IndexedDB, if this browser has one.
async fn restore(ui: Ui) {
    if !store::exists().await {
        return;
    }
    let db = match store::open().await {
        Ok(db) => Rc::new(db),
        Err(err) => return report_store_error(ui, err),
    };
    with(|engine| engine.db = Some(db.clone()));
    let records = match store::records(&db).await {
        Ok(records) => records,
        Err(err) => return report_store_error(ui, err),
    };
    let mut items = Vec::new();
    for record in &records {
        let thumbnail = match store::images(&db, &record.id).await {
            Ok(Some(images)) => dom::object_url(&images.thumbnail),
            _ => None,
        };
        if let Some(url) = &thumbnail {
            with(|engine| engine.thumbnails.insert(record.id.clone(), url.clone()));
        }
        items.push(ItemView {
            id: record.id.clone(),
            name: record.name.clone(),
            thumbnail,
            status: ItemStatus::Done,
            link: record.link.clone(),
        });
    }
    ui.items.update(|list| {
        // Photos added while we were reading come after the history.
        let added = std::mem::take(list);
        *list = items;
        list.extend(added);
    });
    let current = store::current(&db).await.ok().flatten();
    let pick = current
        .filter(|id| records.iter().any(|r| &r.id == id))
        .or_else(|| records.last().map(|r| r.id.clone()));
    if let Some(id) = pick
        && ui.current.get_untracked().is_none()
    {
        show(ui, id, records).await;
    }
}

fn report_store_error(ui: Ui, err: StoreError) {
    match err {
        StoreError::Quota => ui.error(
            "Your browser's storage for this site is full, so this image won't come back after a reload. Clear history, or free some space, to keep new ones.",
        ),
        StoreError::Other(detail) => {
            leptos::logging::warn!("IndexedDB: {detail}");
            ui.error("Your browser did not let us keep the workspace; it will not survive a reload.");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Bringing images in

fn files_of(list: &web_sys::FileList) -> Vec<File> {
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

/// The file input an event came from.
fn input_of(event: &leptos::ev::Event) -> Option<HtmlInputElement> {
    event.target()?.dyn_into().ok()
}

pub fn files_chosen(ui: Ui, event: leptos::ev::Event) {
    let Some(input) = input_of(&event) else {
        return;
    };
    let files = input
        .files()
        .map(|list| files_of(&list))
        .unwrap_or_default();
    // Let the same file be chosen again later.
    input.set_value("");
    add_files(ui, files);
}

pub fn files_dropped(ui: Ui, event: leptos::ev::DragEvent) {
    let files = event
        .data_transfer()
        .and_then(|data| data.files())
        .map(|list| files_of(&list))
        .unwrap_or_default();
    add_files(ui, files);
}

fn add_files(ui: Ui, files: Vec<File>) {
    if files.is_empty() {
        return;
    }
    ui.notice.set(None);
    spawn_local(async move {
        for file in files {
            let id = new_id();
            let head = dom::head(&file, 16).await.unwrap_or_default();
            let accepted = messages::sniff(&head).is_some();
            ui.items.update(|items| {
                items.push(ItemView {
                    id: id.clone(),
                    name: file.name(),
                    thumbnail: None,
                    status: if accepted {
                        ItemStatus::Waiting
                    } else {
                        ItemStatus::Failed(messages::NOT_AN_IMAGE.into())
                    },
                    link: None,
                })
            });
            if accepted {
                with(|engine| engine.queue.push_back((id, file)));
            } else {
                ui.error(format!("“{}”: {}", file.name(), messages::NOT_AN_IMAGE));
            }
        }
        let start = with(|engine| !std::mem::replace(&mut engine.running, true)).unwrap_or(false);
        if start {
            run_queue(ui).await;
        }
    });
}

async fn run_queue(ui: Ui) {
    loop {
        let Some((id, file)) = with(|engine| engine.queue.pop_front()).flatten() else {
            with(|engine| engine.running = false);
            return;
        };
        process(ui, id, file).await;
    }
}

async fn process(ui: Ui, id: String, file: File) {
    let progress_id = id.clone();
    let processing_id = id.clone();
    ui.update_item(&id, |item| item.status = ItemStatus::Uploading(0));
    let result = upload::cut_out(
        &file,
        move |percent| {
            ui.update_item(&progress_id, |item| {
                if matches!(item.status, ItemStatus::Uploading(_)) {
                    item.status = ItemStatus::Uploading(percent);
                }
            })
        },
        move || ui.update_item(&processing_id, |item| item.status = ItemStatus::Processing),
    )
    .await;
    let cutout = match result {
        Ok(cutout) => cutout,
        Err(failure) => return failed(ui, id, file, failure).await,
    };
    match keep(ui, &id, &file, cutout).await {
        Ok(record) => {
            ui.update_item(&id, |item| {
                item.status = ItemStatus::Done;
                item.link = record.link.clone();
            });
            let untouched = ui
                .doc
                .with_untracked(|doc| doc.as_ref().is_none_or(|doc| !doc.can_undo()));
            if untouched {
                show(ui, id, vec![record]).await;
                reveal_result();
            }
        }
        Err(message) => {
            ui.update_item(&id, |item| {
                item.status = ItemStatus::Failed(message.clone())
            });
            ui.error(format!("“{}”: {message}", file.name()));
        }
    }
}

async fn failed(ui: Ui, id: String, file: File, failure: UploadFailure) {
    let message = messages::describe(&failure);
    if messages::retries_by_itself(&failure) {
        let mut left = failure.retry_after.unwrap_or(5).clamp(1, 120);
        while left > 0 {
            ui.update_item(&id, |item| item.status = ItemStatus::Retrying(left));
            dom::sleep(1000).await;
            left -= 1;
        }
        with(|engine| engine.queue.push_front((id, file)));
        return;
    }
    ui.update_item(&id, |item| {
        item.status = ItemStatus::Failed(message.clone())
    });
    ui.error(format!("“{}”: {message}", file.name()));
}

/// Decodes the cutout, makes a thumbnail and stores the new image in IndexedDB.
async fn keep(ui: Ui, id: &str, file: &File, cutout: upload::Cutout) -> Result<ItemRecord, String> {
    let unreadable = |_| {
        "This photo looks damaged or incomplete, so your browser can't show it. Try another copy of the photo."
            .to_string()
    };
    let original = dom::bitmap(file).await.map_err(unreadable)?;
    let thumbnail = thumbnail(&original).await.map_err(unreadable)?;
    let record = ItemRecord {
        id: id.to_string(),
        name: file.name(),
        created: js_sys::Date::now(),
        width: original.width(),
        height: original.height(),
        link: cutout.link,
        doc: Document::new(Look {
            background: ui.prefs.get_untracked().background,
            ..Look::default()
        }),
    };
    let images = Images {
        original: file.clone().into(),
        cutout: cutout.png,
        thumbnail,
        background: None,
    };
    if let Some(url) = dom::object_url(&images.thumbnail) {
        with(|engine| engine.thumbnails.insert(id.to_string(), url.clone()));
        ui.update_item(id, |item| item.thumbnail = Some(url));
    }
    if let Err(err) = store_new(ui, &record, &images).await {
        with(|engine| engine.unsaved.insert(id.to_string(), images));
        report_store_error(ui, err);
    }
    Ok(record)
}

/// Adds to IndexedDB; when the quota is reached, drops the oldest images and tries again.
async fn store_new(ui: Ui, record: &ItemRecord, images: &Images) -> Result<(), StoreError> {
    let db = match with(|engine| engine.db.clone()).flatten() {
        Some(db) => db,
        None => {
            let db = Rc::new(store::open().await?);
            with(|engine| engine.db = Some(db.clone()));
            db
        }
    };
    loop {
        match store::add(&db, record, images).await {
            Ok(()) => break,
            Err(StoreError::Quota) => {
                let ids = stored_ids(&db).await?;
                let Some(oldest) = history::make_room(&ids, &record.id) else {
                    return Err(StoreError::Quota);
                };
                store::remove(&db, oldest).await?;
                drop_item(ui, oldest);
            }
            Err(other) => return Err(other),
        }
    }
    // Keep the history to its size.
    let ids = stored_ids(&db).await?;
    for old in history::over_limit(&ids, history::KEEP) {
        store::remove(&db, old).await?;
        drop_item(ui, old);
    }
    Ok(())
}

/// The stored images' ids, oldest first.
async fn stored_ids(db: &Database) -> Result<Vec<String>, StoreError> {
    Ok(store::records(db)
        .await?
        .into_iter()
        .map(|record| record.id)
        .collect())
}

fn drop_item(ui: Ui, id: &str) {
    ui.items.update(|items| items.retain(|item| item.id != id));
    if let Some(url) = with(|engine| engine.thumbnails.remove(id)).flatten() {
        dom::revoke(&url);
    }
}

async fn thumbnail(original: &ImageBitmap) -> Result<Blob, JsValue> {
    let (w, h) = (f64::from(original.width()), f64::from(original.height()));
    let scale = (160.0 / w.max(h)).min(1.0);
    let canvas = dom::canvas((w * scale).round() as u32, (h * scale).round() as u32)?;
    dom::context(&canvas)?.draw_image_with_image_bitmap_and_dw_and_dh(
        original,
        0.0,
        0.0,
        f64::from(canvas.width()),
        f64::from(canvas.height()),
    )?;
    dom::encode(&canvas, "image/jpeg", 0.8).await
}

// ---------------------------------------------------------------------------------------------
// Opening an image

pub fn select(ui: Ui, id: String) {
    spawn_local(async move {
        let records = match with(|engine| engine.db.clone()).flatten() {
            Some(db) => store::records(&db).await.unwrap_or_default(),
            None => Vec::new(),
        };
        show(ui, id, records).await;
    });
}

async fn show(ui: Ui, id: String, records: Vec<ItemRecord>) {
    let Some(record) = records.into_iter().find(|r| r.id == id) else {
        return ui.error("That image is no longer in this browser's history.");
    };
    let db = with(|engine| engine.db.clone()).flatten();
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
    let opened = open_layers(&record, &images).await;
    let open = match opened {
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

async fn open_layers(record: &ItemRecord, images: &Images) -> Result<Open, JsValue> {
    let original = dom::bitmap(&images.original).await?;
    let base = dom::bitmap(&images.cutout).await?;
    let (width, height) = (original.width(), original.height());
    let layers = Layers {
        mask: dom::canvas(width, height)?,
        original,
        width,
        height,
    };
    render::reset_mask(&layers, &base)?;
    let own_background = match &images.background {
        Some(blob) => dom::bitmap(blob).await.ok(),
        None => None,
    };
    Ok(Open {
        record: record.clone(),
        layers,
        base,
        applied: Vec::new(),
        subject: None,
        own_background,
    })
}

// ---------------------------------------------------------------------------------------------
// Drawing

impl Engine {
    /// Brings the mask in line with the edit's strokes, then draws.
    fn sync_and_draw(&mut self) {
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
        self.draw();
    }

    fn canvas(&self) -> Option<HtmlCanvasElement> {
        dom::document()
            .ok()?
            .get_element_by_id("editor-canvas")?
            .dyn_into()
            .ok()
    }

    /// The area the result shows, in photo pixels.
    fn output(&mut self, look: &Look) -> Option<Rect> {
        let open = self.open.as_mut()?;
        let (w, h) = (open.layers.width, open.layers.height);
        if !look.crop.enabled {
            return Some(Rect::of_image(w, h));
        }
        if open.subject.is_none() {
            open.subject = Some(subject_box(&open.layers).unwrap_or(None));
        }
        Some(geometry::output_rect(
            &look.crop,
            open.subject.flatten(),
            w,
            h,
        ))
    }

    fn stage(&self) -> Option<(HtmlCanvasElement, [f64; 2])> {
        let canvas = self.canvas()?;
        let ratio = dom::window().ok()?.device_pixel_ratio().max(1.0);
        let (w, h) = (
            (f64::from(canvas.client_width()) * ratio).round().max(1.0),
            (f64::from(canvas.client_height()) * ratio).round().max(1.0),
        );
        if canvas.width() != w as u32 || canvas.height() != h as u32 {
            canvas.set_width(w as u32);
            canvas.set_height(h as u32);
        }
        Some((canvas, [w, h]))
    }

    fn transform(&mut self) -> Option<(Transform, Rect, [f64; 2], HtmlCanvasElement)> {
        let look = self.ui.look_untracked()?;
        let output = self.output(&look)?;
        let (canvas, size) = self.stage()?;
        let view = self.ui.view.get_untracked();
        Some((view.transform(output, size), output, size, canvas))
    }

    fn draw(&mut self) {
        if let Err(err) = self.try_draw() {
            leptos::logging::warn!("drawing: {}", dom::describe(&err));
        }
    }

    fn try_draw(&mut self) -> Result<(), JsValue> {
        let Some(look) = self
            .ui
            .doc
            .with_untracked(|d| d.as_ref().map(|d| d.look().clone()))
        else {
            return Ok(());
        };
        self.ensure_backdrop_image(&look.background);
        let Some((t, output, size, canvas)) = self.transform() else {
            return Ok(());
        };
        let ctx = dom::context(&canvas)?;
        ctx.clear_rect(0.0, 0.0, size[0], size[1]);
        let scratch = match &self.scratch {
            Some(s) if s.width() == size[0] as u32 && s.height() == size[1] as u32 => s.clone(),
            _ => {
                let s = dom::canvas(size[0] as u32, size[1] as u32)?;
                self.scratch = Some(s.clone());
                s
            }
        };
        let Some(open) = &self.open else {
            return Ok(());
        };
        let image = self.backdrop_image(&look.background);
        let backdrop = match Backdrop::of(&look.background, image.as_ref(), &open.layers) {
            Backdrop::None => Backdrop::Checker,
            other => other,
        };
        render::draw_backdrop(&ctx, &backdrop, &open.layers, output, &t)?;
        render::draw_subject(&ctx, &scratch, &open.layers, output, &t)?;
        let compare = self.ui.compare.get_untracked();
        if compare > 0 {
            render::draw_before(&ctx, &open.layers, &t, f64::from(compare) / 100.0, size)?;
        }
        // The brush outline.
        if let (Some([x, y]), true) = (self.hover, self.ui.tool.get_untracked() != Tool::Move) {
            let ratio = dom::window()?.device_pixel_ratio().max(1.0);
            let radius = f64::from(self.ui.prefs.get_untracked().brush_size) * ratio / 2.0;
            ctx.begin_path();
            ctx.arc(x, y, radius, 0.0, std::f64::consts::TAU)?;
            ctx.set_stroke_style_str("rgba(0,0,0,0.7)");
            ctx.set_line_width(2.0 * ratio);
            ctx.stroke();
            ctx.set_stroke_style_str("rgba(255,255,255,0.9)");
            ctx.set_line_width(ratio);
            ctx.stroke();
        }
        // The mapping from photo to canvas pixels, for tools and tests that point at the photo.
        let _ = canvas.set_attribute(
            "data-transform",
            &format!("{} {} {}", t.scale, t.offset[0], t.offset[1]),
        );
        let size = Some((output.width, output.height));
        if self.ui.output.get_untracked() != size {
            self.ui.output.set(size);
        }
        let _ = canvas.set_attribute(
            "data-output",
            &format!(
                "{} {} {} {}",
                output.x, output.y, output.width, output.height
            ),
        );
        Ok(())
    }

    fn backdrop_image(&self, background: &Background) -> Option<ImageBitmap> {
        match background {
            Background::Preset { id } => self.presets.get(id).cloned(),
            Background::Own => self.open.as_ref()?.own_background.clone(),
            _ => None,
        }
    }

    /// Starts loading a preset photo the first time it is needed; draws again once it is here.
    fn ensure_backdrop_image(&mut self, background: &Background) {
        let Background::Preset { id } = background else {
            return;
        };
        if self.presets.contains_key(id) || !self.loading.insert(id.clone()) {
            return;
        }
        let Some(preset) = presets::find(id) else {
            return;
        };
        let (ui, id, url) = (self.ui, id.clone(), preset.url());
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

/// The subject's box in the edited mask (read back from the canvas once per change).
fn subject_box(layers: &Layers) -> Result<Option<Rect>, JsValue> {
    let ctx = dom::context(&layers.mask)?;
    let data = ctx.get_image_data(0.0, 0.0, f64::from(layers.width), f64::from(layers.height))?;
    Ok(geometry::subject_box(
        &data.data(),
        layers.width,
        layers.height,
        16,
    ))
}

// ---------------------------------------------------------------------------------------------
// Pointer: brush and pan

pub fn pointer(ui: Ui, event: leptos::ev::PointerEvent) {
    if !ui.shown.get_untracked() {
        return;
    }
    let ratio = dom::window()
        .map(|w| w.device_pixel_ratio().max(1.0))
        .unwrap_or(1.0);
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

impl Engine {
    /// Returns a stroke when one has just ended.
    fn on_pointer(
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
                        let ratio = dom::window().ok()?.device_pixel_ratio().max(1.0);
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
}

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

// ---------------------------------------------------------------------------------------------
// Backgrounds of one's own

pub fn own_background(ui: Ui, event: leptos::ev::Event) {
    let Some(input) = input_of(&event) else {
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
                report_store_error(ui, err);
            }
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Export

pub fn export(ui: Ui, copy: bool) {
    let prefs = ui.prefs.get_untracked();
    let format = if copy {
        prefs::ExportFormat::Png
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
                let quality = if format == prefs::ExportFormat::Png {
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
    /// The result at full resolution, on a canvas the size of the output rectangle.
    fn render_full(
        &mut self,
        format: prefs::ExportFormat,
    ) -> Option<Result<HtmlCanvasElement, JsValue>> {
        let look = self.ui.look_untracked()?;
        let output = self.output(&look)?;
        let open = self.open.as_ref()?;
        let image = self.backdrop_image(&look.background);
        Some((|| {
            let canvas = dom::canvas(output.width, output.height)?;
            let scratch = dom::canvas(output.width, output.height)?;
            let ctx = dom::context(&canvas)?;
            let t = Transform {
                scale: 1.0,
                offset: [-f64::from(output.x), -f64::from(output.y)],
            };
            if format == prefs::ExportFormat::Jpeg {
                // JPEG has no transparency: white where nothing else is.
                ctx.set_fill_style_str("#ffffff");
                ctx.fill_rect(0.0, 0.0, f64::from(output.width), f64::from(output.height));
            }
            let backdrop = Backdrop::of(&look.background, image.as_ref(), &open.layers);
            render::draw_backdrop(&ctx, &backdrop, &open.layers, output, &t)?;
            render::draw_subject(&ctx, &scratch, &open.layers, output, &t)?;
            Ok(canvas)
        })())
    }
}

// ---------------------------------------------------------------------------------------------
// History

pub fn forget(ui: Ui, id: String) {
    spawn_local(async move {
        let db = with(|engine| {
            engine.queue.retain(|(queued, _)| queued != &id);
            engine.unsaved.remove(&id);
            engine.db.clone()
        })
        .flatten();
        let link = ui.items.with_untracked(|items| {
            items
                .iter()
                .find(|item| item.id == id)
                .and_then(|item| item.link.clone())
        });
        drop_item(ui, &id);
        if let Some(db) = &db
            && let Err(err) = store::remove(db, &id).await
        {
            report_store_error(ui, err);
        }
        if let Some(link) = link {
            upload::delete_result(&link).await;
        }
        if ui.current.get_untracked().as_deref() == Some(id.as_str()) {
            close(ui);
            let next = ui.items.with_untracked(|items| {
                items
                    .iter()
                    .rev()
                    .find(|i| i.status == ItemStatus::Done)
                    .map(|i| i.id.clone())
            });
            if let Some(next) = next {
                select(ui, next);
            }
        }
    });
}

fn close(ui: Ui) {
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

/// What "Clear history" says once the browser's copies are gone; `left` server copies could not
/// be deleted (the server unreachable or refusing), and the person must know they still exist.
fn history_cleared(left: usize) -> String {
    let browser = "History cleared: nothing of your images is left in this browser";
    match left {
        0 => format!("{browser}, and their download links are deleted."),
        1 => format!(
            "{browser}, but 1 copy on the server could not be deleted; it expires 7 days after it was made anyway."
        ),
        n => format!(
            "{browser}, but {n} copies on the server could not be deleted; they expire 7 days after they were made anyway."
        ),
    }
}

pub fn clear_history(ui: Ui) {
    spawn_local(async move {
        let links: Vec<_> = ui
            .items
            .with_untracked(|items| items.iter().filter_map(|item| item.link.clone()).collect());
        let (db, urls) = with(|engine| {
            engine.queue.clear();
            engine.unsaved.clear();
            let urls: Vec<String> = engine.thumbnails.drain().map(|(_, url)| url).collect();
            (engine.db.take(), urls)
        })
        .unwrap_or_default();
        for url in urls {
            dom::revoke(&url);
        }
        close(ui);
        ui.items.set(Vec::new());
        let stored = store::destroy(db).await;
        let mut left = 0;
        for link in &links {
            if !upload::delete_result(link).await {
                left += 1;
            }
        }
        match stored {
            Ok(()) => ui.info(history_cleared(left)),
            Err(err) => report_store_error(ui, err),
        }
    });
}
