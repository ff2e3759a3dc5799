//! The upload queue: photos from the picker, a drop or a paste are checked, wait their turn, go up
//! one at a time (retrying by themselves when the server asks to wait), and are kept and shown once
//! their cutout is back.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, File, ImageBitmap};

use super::store::{Images, ItemRecord};
use super::{dom, open, page, upload, with, workspace};
use crate::editor::document::{Document, Look};
use crate::editor::messages::{self, UploadFailure};
use crate::editor::state::{ItemStatus, ItemView, Ui};

/// The files chosen with the picker (`change` on the file input); the input is emptied so that
/// the same file can be chosen again later.
pub fn chosen_files(event: &web_sys::Event) -> Vec<File> {
    let Some(input) = dom::input_of(event) else {
        return Vec::new();
    };
    let files = input
        .files()
        .map(|list| dom::files_of(&list))
        .unwrap_or_default();
    input.set_value("");
    files
}

/// The files dropped on the page: the browser hands them out only while the event is dispatched.
pub fn dropped_files(event: &leptos::ev::DragEvent) -> Vec<File> {
    event
        .data_transfer()
        .and_then(|data| data.files())
        .map(|list| dom::files_of(&list))
        .unwrap_or_default()
}

fn new_id() -> String {
    let now = js_sys::Date::now() as u64;
    let random = (js_sys::Math::random() * 1e12) as u64;
    format!("{now:x}-{random:x}")
}

/// Puts the images among `files` in the queue (the others are listed as failed), and runs the
/// queue unless it is running already.
pub fn add_files(ui: Ui, files: Vec<File>) {
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
                open::show(ui, id, vec![record]).await;
                page::reveal_result();
            }
        }
        Err(message) => mark_failed(ui, &id, &file, message),
    }
}

/// An upload that did not work: back in the queue after a countdown when the server asked to wait,
/// failed otherwise.
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
    mark_failed(ui, &id, &file, message);
}

/// Marks the image as failed in the queue and says why.
fn mark_failed(ui: Ui, id: &str, file: &File, message: String) {
    ui.update_item(id, |item| item.status = ItemStatus::Failed(message.clone()));
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
    if let Some(url) = workspace::thumbnail_url(id, &images.thumbnail) {
        ui.update_item(id, |item| item.thumbnail = Some(url));
    }
    if let Err(err) = workspace::store_new(ui, &record, &images).await {
        with(|engine| engine.unsaved.insert(id.to_string(), images));
        workspace::report_store_error(ui, err);
    }
    Ok(record)
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
