//! The workspace in the browser's IndexedDB (database `imgigo`): one record per image with its edit
//! (`items`, JSON), its pictures as blobs (`images`: original, cutout, thumbnail, own background)
//! and which image is open (`meta`). Nothing here is ever sent to the server.

use idb::builder::{DatabaseBuilder, ObjectStoreBuilder};
use idb::{Database, Factory, TransactionMode};
use js_sys::{Object, Reflect};
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

use crate::editor::document::Document;
use crate::editor::state::ResultLink;

pub const DATABASE: &str = "imgigo";
const VERSION: u32 = 1;
const ITEMS: &str = "items";
const IMAGES: &str = "images";
const META: &str = "meta";
const CURRENT: &str = "current";

#[derive(Debug)]
pub enum StoreError {
    /// The browser's storage quota is used up.
    Quota,
    Other(String),
}

impl StoreError {
    fn from_idb(error: idb::Error) -> Self {
        let text = error.to_string();
        if text.contains("Quota") {
            Self::Quota
        } else {
            Self::Other(text)
        }
    }
}

impl From<idb::Error> for StoreError {
    fn from(error: idb::Error) -> Self {
        Self::from_idb(error)
    }
}

impl From<JsValue> for StoreError {
    fn from(error: JsValue) -> Self {
        if super::dom::exception_name(&error).as_deref() == Some("QuotaExceededError") {
            Self::Quota
        } else {
            Self::Other(super::dom::describe(&error))
        }
    }
}

/// What is kept about one image besides its pictures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemRecord {
    pub id: String,
    pub name: String,
    /// Milliseconds since the epoch.
    pub created: f64,
    pub width: u32,
    pub height: u32,
    pub link: Option<ResultLink>,
    pub doc: Document,
}

/// The pictures of one image.
#[derive(Clone)]
pub struct Images {
    pub original: Blob,
    pub cutout: Blob,
    pub thumbnail: Blob,
    pub background: Option<Blob>,
}

impl Images {
    fn to_js(&self) -> Result<JsValue, JsValue> {
        let object = Object::new();
        Reflect::set(&object, &"original".into(), &self.original)?;
        Reflect::set(&object, &"cutout".into(), &self.cutout)?;
        Reflect::set(&object, &"thumbnail".into(), &self.thumbnail)?;
        if let Some(background) = &self.background {
            Reflect::set(&object, &"background".into(), background)?;
        }
        Ok(object.into())
    }

    fn from_js(value: &JsValue) -> Option<Self> {
        let blob = |name: &str| {
            Reflect::get(value, &JsValue::from_str(name))
                .ok()
                .and_then(|v| v.dyn_into::<Blob>().ok())
        };
        Some(Self {
            original: blob("original")?,
            cutout: blob("cutout")?,
            thumbnail: blob("thumbnail")?,
            background: blob("background"),
        })
    }
}

/// Whether the database exists already (so a visit that stores nothing creates nothing).
pub async fn exists() -> bool {
    let Some(factory) = web_sys::window().and_then(|w| w.indexed_db().ok().flatten()) else {
        return false;
    };
    let Ok(databases) = Reflect::get(&factory, &"databases".into()) else {
        return false;
    };
    let Ok(databases) = databases.dyn_into::<js_sys::Function>() else {
        // No `databases()` in this browser: look inside.
        return true;
    };
    let Ok(promise) = databases.call0(&factory) else {
        return false;
    };
    let Ok(list) = JsFuture::from(js_sys::Promise::from(promise)).await else {
        return false;
    };
    js_sys::Array::from(&list).iter().any(|entry| {
        Reflect::get(&entry, &"name".into())
            .ok()
            .and_then(|name| name.as_string())
            .as_deref()
            == Some(DATABASE)
    })
}

pub async fn open() -> Result<Database, StoreError> {
    Ok(DatabaseBuilder::new(DATABASE)
        .version(VERSION)
        .add_object_store(ObjectStoreBuilder::new(ITEMS))
        .add_object_store(ObjectStoreBuilder::new(IMAGES))
        .add_object_store(ObjectStoreBuilder::new(META))
        .build()
        .await?)
}

/// Waits for the transaction's outcome; a write over the quota ends in an abort. (Listening on the
/// transaction ourselves: idb's own future reported committed transactions as aborted in Chromium.)
async fn finish(transaction: idb::Transaction) -> Result<(), StoreError> {
    let transaction: web_sys::IdbTransaction = transaction.into();
    let (promise, resolve, _) = super::dom::deferred()?;
    let done = resolve.clone();
    let on_complete = Closure::<dyn FnMut()>::new(move || {
        let _ = done.call1(&JsValue::NULL, &JsValue::TRUE);
    });
    let on_abort = Closure::<dyn FnMut()>::new(move || {
        let _ = resolve.call1(&JsValue::NULL, &JsValue::FALSE);
    });
    transaction.set_oncomplete(Some(on_complete.as_ref().unchecked_ref()));
    transaction.set_onabort(Some(on_abort.as_ref().unchecked_ref()));
    // No explicit commit: the transaction commits by itself once its requests are done.
    let committed = JsFuture::from(promise).await?.is_truthy();
    drop((on_complete, on_abort));
    if committed {
        return Ok(());
    }
    match transaction.error() {
        Some(error) if error.name() == "QuotaExceededError" => Err(StoreError::Quota),
        Some(error) => Err(StoreError::Other(format!(
            "{}: {}",
            error.name(),
            error.message()
        ))),
        None => Err(StoreError::Other("the browser aborted the write".into())),
    }
}

fn record_json(record: &ItemRecord) -> Result<JsValue, StoreError> {
    serde_json::to_string(record)
        .map(|json| JsValue::from_str(&json))
        .map_err(|err| StoreError::Other(err.to_string()))
}

/// Stores a new image: its record, its pictures, and makes it the open one.
pub async fn add(db: &Database, record: &ItemRecord, images: &Images) -> Result<(), StoreError> {
    let transaction = db.transaction(&[ITEMS, IMAGES, META], TransactionMode::ReadWrite)?;
    let key = JsValue::from_str(&record.id);
    transaction
        .object_store(IMAGES)?
        .put(&images.to_js()?, Some(&key))?
        .await?;
    transaction
        .object_store(ITEMS)?
        .put(&record_json(record)?, Some(&key))?
        .await?;
    transaction
        .object_store(META)?
        .put(&key, Some(&JsValue::from_str(CURRENT)))?
        .await?;
    finish(transaction).await
}

/// Saves an image's record (its edit, mostly).
pub async fn save(db: &Database, record: &ItemRecord) -> Result<(), StoreError> {
    let transaction = db.transaction(&[ITEMS], TransactionMode::ReadWrite)?;
    transaction
        .object_store(ITEMS)?
        .put(&record_json(record)?, Some(&JsValue::from_str(&record.id)))?
        .await?;
    finish(transaction).await
}

pub async fn set_background(db: &Database, id: &str, background: &Blob) -> Result<(), StoreError> {
    let Some(mut images) = images(db, id).await? else {
        return Err(StoreError::Other("the image is no longer stored".into()));
    };
    images.background = Some(background.clone());
    let transaction = db.transaction(&[IMAGES], TransactionMode::ReadWrite)?;
    transaction
        .object_store(IMAGES)?
        .put(&images.to_js()?, Some(&JsValue::from_str(id)))?
        .await?;
    finish(transaction).await
}

pub async fn set_current(db: &Database, id: &str) -> Result<(), StoreError> {
    let transaction = db.transaction(&[META], TransactionMode::ReadWrite)?;
    transaction
        .object_store(META)?
        .put(&JsValue::from_str(id), Some(&JsValue::from_str(CURRENT)))?
        .await?;
    finish(transaction).await
}

pub async fn current(db: &Database) -> Result<Option<String>, StoreError> {
    let transaction = db.transaction(&[META], TransactionMode::ReadOnly)?;
    let value = transaction
        .object_store(META)?
        .get(JsValue::from_str(CURRENT))?
        .await?;
    Ok(value.and_then(|v| v.as_string()))
}

/// Every stored image's record, oldest first. Records that no longer parse are skipped.
pub async fn records(db: &Database) -> Result<Vec<ItemRecord>, StoreError> {
    let transaction = db.transaction(&[ITEMS], TransactionMode::ReadOnly)?;
    let values = transaction
        .object_store(ITEMS)?
        .get_all(None, None)?
        .await?;
    let mut records: Vec<ItemRecord> = values
        .iter()
        .filter_map(|v| v.as_string())
        .filter_map(|json| serde_json::from_str(&json).ok())
        .collect();
    records.sort_by(|a, b| a.created.total_cmp(&b.created));
    Ok(records)
}

pub async fn images(db: &Database, id: &str) -> Result<Option<Images>, StoreError> {
    let transaction = db.transaction(&[IMAGES], TransactionMode::ReadOnly)?;
    let value = transaction
        .object_store(IMAGES)?
        .get(JsValue::from_str(id))?
        .await?;
    Ok(value.as_ref().and_then(Images::from_js))
}

pub async fn remove(db: &Database, id: &str) -> Result<(), StoreError> {
    let transaction = db.transaction(&[ITEMS, IMAGES], TransactionMode::ReadWrite)?;
    let key = JsValue::from_str(id);
    transaction
        .object_store(ITEMS)?
        .delete(key.clone())?
        .await?;
    transaction.object_store(IMAGES)?.delete(key)?.await?;
    finish(transaction).await
}

/// Deletes the whole database.
pub async fn destroy(db: Option<std::rc::Rc<Database>>) -> Result<(), StoreError> {
    if let Some(db) = db {
        db.close();
    }
    Factory::new()?.delete(DATABASE)?.await?;
    Ok(())
}
