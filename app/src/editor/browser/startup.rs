//! Start-up: the preferences from localStorage, the effects that follow the [`Ui`] signals (redraw,
//! save, notices, focus, scrolling), and the workspace brought back from IndexedDB.

use std::rc::Rc;

use gloo_storage::{LocalStorage, Storage};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::store;
use super::{dom, open, page, with, workspace};
use crate::editor::prefs::{self, Prefs};
use crate::editor::state::{ItemStatus, ItemView, NoticeKind, Ui};

/// The preferences saved by an earlier visit, if any.
pub(super) fn load_prefs(ui: Ui) {
    if let Ok(saved) = LocalStorage::get::<Prefs>(prefs::STORAGE_KEY) {
        ui.prefs.set(saved);
    }
}

/// The effects that keep the page, the canvas and the stores in step with the signals.
pub(super) fn follow(ui: Ui) {
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
        if let Some(doc) = ui.doc.get() {
            workspace::save_edit(ui, doc);
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
                page::reveal_current_in_queue();
            });
        }
    });
    // A question about deleting gets the keyboard's focus, on the safe answer.
    Effect::new(move |_| {
        if ui.confirm.get().is_some() {
            spawn_local(async move {
                dom::sleep(0).await;
                page::focus("[data-testid='confirm-no']");
            });
        }
    });
}

/// Brings back the workspace from IndexedDB, if this browser has one.
pub(super) async fn restore(ui: Ui) {
    if !store::exists().await {
        return;
    }
    let db = match store::open().await {
        Ok(db) => Rc::new(db),
        Err(err) => return workspace::report_store_error(ui, err),
    };
    with(|engine| engine.db = Some(db.clone()));
    let records = match store::records(&db).await {
        Ok(records) => records,
        Err(err) => return workspace::report_store_error(ui, err),
    };
    let mut items = Vec::new();
    for record in &records {
        let thumbnail = match store::images(&db, &record.id).await {
            Ok(Some(images)) => workspace::thumbnail_url(&record.id, &images.thumbnail),
            _ => None,
        };
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
        open::show(ui, id, records).await;
    }
}
