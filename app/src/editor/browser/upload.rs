//! The one request that carries image data: the photo, sent to `POST /api/v1/cutouts` with upload
//! progress (XMLHttpRequest, since `fetch` reports none). The answer is the transparent PNG cutout,
//! whose alpha channel is the mask, and the 7-day link to the server's encrypted copy.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, File, FormData, ProgressEvent, XmlHttpRequest, XmlHttpRequestResponseType};

use super::dom;
use crate::editor::messages::{UploadFailure, server_message};
use crate::editor::state::ResultLink;

pub const ENDPOINT: &str = "/api/v1/cutouts";

pub struct Cutout {
    /// RGBA PNG: the photo with the mask as its alpha channel.
    pub png: Blob,
    pub link: Option<ResultLink>,
}

fn unreachable_server() -> UploadFailure {
    UploadFailure {
        status: 0,
        message: None,
        retry_after: None,
    }
}

/// Uploads `file`; `progress` is called with 0–100 while the bytes go out, then `processing` once
/// they are all sent and the model is working.
pub async fn cut_out(
    file: &File,
    progress: impl Fn(u8) + 'static,
    processing: impl Fn() + 'static,
) -> Result<Cutout, UploadFailure> {
    let xhr = XmlHttpRequest::new().map_err(|_| unreachable_server())?;
    let form = FormData::new().map_err(|_| unreachable_server())?;
    form.append_with_blob_and_filename("image", file, &file.name())
        .map_err(|_| unreachable_server())?;
    form.append_with_str("format", "png")
        .map_err(|_| unreachable_server())?;
    xhr.open("POST", ENDPOINT)
        .map_err(|_| unreachable_server())?;
    xhr.set_response_type(XmlHttpRequestResponseType::Blob);

    let on_progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |event: ProgressEvent| {
        if event.length_computable() && event.total() > 0.0 {
            progress(
                (event.loaded() / event.total() * 100.0)
                    .round()
                    .clamp(0.0, 100.0) as u8,
            );
        }
    });
    let on_sent = Closure::<dyn FnMut()>::new(processing);
    let upload = xhr.upload().map_err(|_| unreachable_server())?;
    upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    upload.set_onload(Some(on_sent.as_ref().unchecked_ref()));

    let (promise, resolve, reject) = dom::deferred().map_err(|_| unreachable_server())?;
    xhr.set_onload(Some(&resolve));
    xhr.set_onerror(Some(&reject));
    xhr.set_onabort(Some(&reject));
    xhr.send_with_opt_form_data(Some(&form))
        .map_err(|_| unreachable_server())?;
    let settled = JsFuture::from(promise).await;
    drop((on_progress, on_sent));
    settled.map_err(|_| unreachable_server())?;

    let status = xhr.status().unwrap_or(0);
    let body: Option<Blob> = xhr.response().ok().and_then(|r| r.dyn_into().ok());
    if status == 200 {
        let png = body.ok_or_else(unreachable_server)?;
        let link = match (
            xhr.get_response_header("x-result-url").ok().flatten(),
            xhr.get_response_header("x-result-expires").ok().flatten(),
        ) {
            (Some(url), Some(expires)) => Some(ResultLink { url, expires }),
            _ => None,
        };
        return Ok(Cutout { png, link });
    }
    let message = match &body {
        Some(blob) => dom::text(blob).await.ok().and_then(|t| server_message(&t)),
        None => None,
    };
    let retry_after = xhr
        .get_response_header("retry-after")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse().ok());
    Err(UploadFailure {
        status,
        message,
        retry_after,
    })
}

/// Deletes the server's copy of a result early (`DELETE` on its link; no body). True when the copy
/// is gone: deleted now (204) or already (404: expired, or deleted before). False when the server
/// could not be reached or answered anything else, so the editor can say a copy is left.
pub async fn delete_result(link: &ResultLink) -> bool {
    let Ok(window) = dom::window() else {
        return false;
    };
    let init = web_sys::RequestInit::new();
    init.set_method("DELETE");
    let Ok(response) = JsFuture::from(window.fetch_with_str_and_init(&link.url, &init)).await
    else {
        return false;
    };
    response
        .dyn_into::<web_sys::Response>()
        .is_ok_and(|response| matches!(response.status(), 204 | 404))
}
