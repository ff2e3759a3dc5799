//! Small wrappers over the browser APIs the editor uses: elements, window listeners, canvases,
//! image decoding, blobs, object URLs, downloads. Every failure comes back as a `JsValue`; callers
//! turn it into a sentence.

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, CanvasRenderingContext2d, ColorSpaceConversion, Document, File, FileList,
    HtmlAnchorElement, HtmlCanvasElement, HtmlElement, HtmlInputElement, ImageBitmap,
    ImageBitmapOptions, PremultiplyAlpha, Url, Window,
};

pub fn window() -> Result<Window, JsValue> {
    web_sys::window().ok_or_else(|| JsValue::from_str("no window"))
}

pub fn document() -> Result<Document, JsValue> {
    window()?
        .document()
        .ok_or_else(|| JsValue::from_str("no document"))
}

/// Device pixels per CSS pixel, never below 1.
pub fn pixel_ratio() -> Result<f64, JsValue> {
    Ok(window()?.device_pixel_ratio().max(1.0))
}

/// The first element that matches `selector`, if it is an HTML one.
pub fn element(selector: &str) -> Option<HtmlElement> {
    document()
        .ok()?
        .query_selector(selector)
        .ok()
        .flatten()?
        .dyn_into()
        .ok()
}

/// The files of a file list (picker, drop or paste).
pub fn files_of(list: &FileList) -> Vec<File> {
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

/// The file input an event came from.
pub fn input_of(event: &web_sys::Event) -> Option<HtmlInputElement> {
    event.target()?.dyn_into().ok()
}

/// A listener on the window for as long as this value lives.
pub struct WindowListener {
    name: &'static str,
    closure: Closure<dyn FnMut(web_sys::Event)>,
}

impl WindowListener {
    pub fn new(name: &'static str, handler: impl FnMut(web_sys::Event) + 'static) -> Self {
        let closure = Closure::<dyn FnMut(web_sys::Event)>::new(handler);
        if let Ok(window) = window() {
            let _ = window.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
        }
        Self { name, closure }
    }
}

impl Drop for WindowListener {
    fn drop(&mut self) {
        if let Ok(window) = window() {
            let _ = window.remove_event_listener_with_callback(
                self.name,
                self.closure.as_ref().unchecked_ref(),
            );
        }
    }
}

pub fn canvas(width: u32, height: u32) -> Result<HtmlCanvasElement, JsValue> {
    let canvas: HtmlCanvasElement = document()?.create_element("canvas")?.dyn_into()?;
    canvas.set_width(width.max(1));
    canvas.set_height(height.max(1));
    Ok(canvas)
}

pub fn context(canvas: &HtmlCanvasElement) -> Result<CanvasRenderingContext2d, JsValue> {
    canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("no 2d context"))?
        .dyn_into::<CanvasRenderingContext2d>()
        .map_err(JsValue::from)
}

/// Decodes an image without colour conversion or premultiplication, so pixel values (and the
/// mask's alpha) come through unchanged. EXIF orientation is applied, as the server does.
pub async fn bitmap(blob: &Blob) -> Result<ImageBitmap, JsValue> {
    let options = ImageBitmapOptions::new();
    options.set_color_space_conversion(ColorSpaceConversion::None);
    options.set_premultiply_alpha(PremultiplyAlpha::None);
    let promise =
        window()?.create_image_bitmap_with_blob_and_image_bitmap_options(blob, &options)?;
    JsFuture::from(promise).await?.dyn_into()
}

/// A promise and the functions that settle it.
pub fn deferred() -> Result<(Promise, js_sys::Function, js_sys::Function), JsValue> {
    let (mut resolve, mut reject) = (None, None);
    let promise = Promise::new(&mut |res, rej| {
        resolve = Some(res);
        reject = Some(rej);
    });
    match (resolve, reject) {
        (Some(resolve), Some(reject)) => Ok((promise, resolve, reject)),
        _ => Err(JsValue::from_str("the promise did not start")),
    }
}

/// The canvas encoded as `mime` (quality 0–1 for JPEG and WebP).
pub async fn encode(canvas: &HtmlCanvasElement, mime: &str, quality: f64) -> Result<Blob, JsValue> {
    let (promise, resolve, reject) = deferred()?;
    let callback = Closure::once(move |blob: JsValue| {
        let _ = if blob.is_null() {
            reject.call1(
                &JsValue::NULL,
                &JsValue::from_str("the image could not be encoded"),
            )
        } else {
            resolve.call1(&JsValue::NULL, &blob)
        };
    });
    canvas.to_blob_with_type_and_encoder_options(
        callback.as_ref().unchecked_ref(),
        mime,
        &JsValue::from_f64(quality),
    )?;
    let blob = JsFuture::from(promise).await?;
    drop(callback);
    blob.dyn_into()
}

/// The first `n` bytes of a blob (enough to sniff its format).
pub async fn head(blob: &Blob, n: i32) -> Result<Vec<u8>, JsValue> {
    let part = blob.slice_with_i32_and_i32(0, n)?;
    let buffer = JsFuture::from(part.array_buffer()).await?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

pub async fn text(blob: &Blob) -> Result<String, JsValue> {
    JsFuture::from(blob.text())
        .await?
        .as_string()
        .ok_or_else(|| JsValue::from_str("not text"))
}

pub fn object_url(blob: &Blob) -> Option<String> {
    Url::create_object_url_with_blob(blob).ok()
}

pub fn revoke(url: &str) {
    let _ = Url::revoke_object_url(url);
}

/// Saves a blob as a download named `name`.
pub fn download(blob: &Blob, name: &str) -> Result<(), JsValue> {
    let url = Url::create_object_url_with_blob(blob)?;
    let anchor: HtmlAnchorElement = document()?.create_element("a")?.dyn_into()?;
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    // The click has started the download; the URL may go once the event loop moves on.
    let revoke_later = Closure::once_into_js(move || revoke(&url));
    window()?.set_timeout_with_callback_and_timeout_and_arguments_0(
        revoke_later.unchecked_ref(),
        10_000,
    )?;
    Ok(())
}

/// Puts a PNG on the clipboard.
pub async fn copy_png(blob: &Blob) -> Result<(), JsValue> {
    let record = js_sys::Object::new();
    js_sys::Reflect::set(&record, &JsValue::from_str("image/png"), blob)?;
    let item = web_sys::ClipboardItem::new_with_record_from_str_to_blob_promise(&record)?;
    let items = Array::of1(&item);
    let clipboard = window()?.navigator().clipboard();
    JsFuture::from(clipboard.write(&items)).await?;
    Ok(())
}

/// Waits `ms` milliseconds.
pub async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        if let Ok(window) = window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// A readable description of a JS error, for the notice area.
pub fn describe(error: &JsValue) -> String {
    if let Some(exception) = error.dyn_ref::<web_sys::DomException>() {
        return format!("{}: {}", exception.name(), exception.message());
    }
    if let Some(error) = error.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    error.as_string().unwrap_or_else(|| "unknown error".into())
}

/// The DOMException name of an error (`QuotaExceededError`, `NotAllowedError`…), if it is one.
pub fn exception_name(error: &JsValue) -> Option<String> {
    error
        .dyn_ref::<web_sys::DomException>()
        .map(|exception| exception.name())
}
