//! The workspace kept in this browser, as the engine uses it: new images stored within the quota and
//! the history's size, edits saved as they change, thumbnails' object URLs, one image or the whole
//! history forgotten (the browser's copies and the server's), and what to say when storage fails.
//! The IndexedDB calls themselves are in `store`.

use std::rc::Rc;

use idb::Database;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::Blob;

use super::store::{self, Images, ItemRecord, StoreError};
use super::{db, dom, open, upload, with};
use crate::editor::document::Document;
use crate::editor::history;
use crate::editor::state::{ItemStatus, Ui};

pub(super) fn report_store_error(ui: Ui, err: StoreError) {
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

/// An object URL for image `id`'s thumbnail, revoked when the image leaves the queue.
pub(super) fn thumbnail_url(id: &str, thumbnail: &Blob) -> Option<String> {
    let url = dom::object_url(thumbnail)?;
    with(|engine| engine.thumbnails.insert(id.to_string(), url.clone()));
    Some(url)
}

/// Takes image `id` off the queue and frees its thumbnail.
fn drop_item(ui: Ui, id: &str) {
    ui.items.update(|items| items.retain(|item| item.id != id));
    if let Some(url) = with(|engine| engine.thumbnails.remove(id)).flatten() {
        dom::revoke(&url);
    }
}

/// Saves the open image's edit, when `doc` differs from what is saved.
pub(super) fn save_edit(ui: Ui, doc: Document) {
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
}

/// Adds to IndexedDB; when the quota is reached, drops the oldest images and tries again.
pub(super) async fn store_new(
    ui: Ui,
    record: &ItemRecord,
    images: &Images,
) -> Result<(), StoreError> {
    let db = match db() {
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

/// Removes one image from the history (and its server link); the newest finished one opens when it
/// was on the stage.
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
            open::close(ui);
            let next = ui.items.with_untracked(|items| {
                items
                    .iter()
                    .rev()
                    .find(|i| i.status == ItemStatus::Done)
                    .map(|i| i.id.clone())
            });
            if let Some(next) = next {
                open::select(ui, next);
            }
        }
    });
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

/// Forgets every image: the queue, the IndexedDB database and the server's copies.
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
        open::close(ui);
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
