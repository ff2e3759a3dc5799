//! Reading a cutout request in any of the shapes clients send: `multipart/form-data`,
//! `application/x-www-form-urlencoded`, `application/json`, or the photo itself as the body.
//! Files go into wiped-on-drop buffers under the byte limit, as they arrive; nothing touches disk.

use std::collections::HashMap;

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderMap, header};
use base64::Engine as _;
use http_body_util::BodyExt;
use zeroize::Zeroizing;

use services::Error;

/// The files and text fields of one request. The raw-body shape names its file `image`.
pub struct Form {
    pub files: HashMap<String, Zeroizing<Vec<u8>>>,
    pub fields: HashMap<String, String>,
}

impl Form {
    /// A text field, trimmed; `None` when missing or empty.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .map(|value| value.trim())
            .filter(|value| !value.is_empty())
    }

    /// The first file present among `names`, or a base64 text field among `b64_names`.
    pub fn take_file(
        &mut self,
        names: &[&str],
        b64_names: &[&str],
        max_bytes: usize,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
        for name in names {
            if let Some(file) = self.files.remove(*name) {
                return Ok(Some(file));
            }
        }
        for name in b64_names {
            if let Some(text) = self.fields.remove(*name) {
                let text = Zeroizing::new(text);
                let encoded = text.trim();
                // The payload may carry a data-URL prefix.
                let encoded = encoded.split_once(',').map_or(encoded, |(_, data)| data);
                if encoded.len() / 4 * 3 > max_bytes {
                    return Err(too_large(max_bytes));
                }
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .map_err(|_| Error::BadRequest(format!("{name} is not valid base64")))?;
                return Ok(Some(Zeroizing::new(bytes)));
            }
        }
        Ok(None)
    }
}

/// Reads the request and takes the photo from the first of `names` (files) or `b64_names`
/// (base64 text fields); `missing` is the message when there is none.
pub async fn read_photo(
    request: Request,
    query: HashMap<String, String>,
    max_bytes: usize,
    (names, b64_names): (&[&str], &[&str]),
    missing: &str,
) -> Result<(Form, Zeroizing<Vec<u8>>), Error> {
    let mut form = read(request, query, max_bytes).await?;
    let photo = form
        .take_file(names, b64_names, max_bytes)?
        .ok_or_else(|| Error::BadRequest(missing.to_string()))?;
    Ok((form, photo))
}

/// Longest text field accepted (a base64 photo is a text field in JSON and urlencoded bodies).
fn text_limit(max_bytes: usize) -> usize {
    max_bytes / 3 * 4 + 1024
}

pub async fn read(
    request: Request,
    query: HashMap<String, String>,
    max_bytes: usize,
) -> Result<Form, Error> {
    let content_type = content_type(request.headers());
    let mut form = Form {
        files: HashMap::new(),
        fields: query,
    };
    if content_type.starts_with("multipart/form-data") {
        let unreadable = |err: axum::extract::multipart::MultipartError| {
            Error::BadRequest(format!("the form could not be read: {}", err.body_text()))
        };
        let mut multipart = Multipart::from_request(request, &()).await.map_err(|err| {
            Error::BadRequest(format!("the form could not be read: {}", err.body_text()))
        })?;
        while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
            let name = field.name().unwrap_or_default().to_string();
            if field.file_name().is_some() {
                let mut bytes = Zeroizing::new(Vec::new());
                while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                    if bytes.len() + chunk.len() > max_bytes {
                        return Err(too_large(max_bytes));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                form.files.insert(name, bytes);
            } else {
                let mut value = Zeroizing::new(Vec::new());
                while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                    if value.len() + chunk.len() > text_limit(max_bytes) {
                        return Err(too_large(max_bytes));
                    }
                    value.extend_from_slice(&chunk);
                }
                let text = String::from_utf8(value.to_vec())
                    .map_err(|_| Error::BadRequest(format!("the field {name} is not text")))?;
                form.fields.insert(name, text);
            }
        }
        Ok(form)
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let body = read_body(request, text_limit(max_bytes), max_bytes).await?;
        for (name, value) in form_urlencoded::parse(&body) {
            form.fields.insert(name.into_owned(), value.into_owned());
        }
        Ok(form)
    } else if content_type.starts_with("application/json") {
        let body = read_body(request, text_limit(max_bytes), max_bytes).await?;
        let value: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|err| Error::BadRequest(format!("the JSON body could not be read: {err}")))?;
        let serde_json::Value::Object(object) = value else {
            return Err(Error::BadRequest("the JSON body must be an object".into()));
        };
        for (name, value) in object {
            let text = match value {
                serde_json::Value::String(text) => text,
                serde_json::Value::Null => continue,
                // Booleans and numbers as their JSON text: `true`, `12`.
                other => other.to_string(),
            };
            form.fields.insert(name, text);
        }
        Ok(form)
    } else if content_type.starts_with("image/")
        || content_type.starts_with("application/octet-stream")
    {
        let bytes = read_body(request, max_bytes, max_bytes).await?;
        form.files.insert("image".into(), bytes);
        Ok(form)
    } else {
        Err(Error::UnsupportedMedia(
            "send the photo as multipart/form-data, as JSON or form fields with image_file_b64, or as the request body with an image/* content type"
                .into(),
        ))
    }
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The body, up to `limit` bytes (`max_bytes` is the limit people are told about).
async fn read_body(
    request: Request,
    limit: usize,
    max_bytes: usize,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let mut body = request.into_body();
    let mut bytes = Zeroizing::new(Vec::new());
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| Error::BadRequest("the upload was interrupted".into()))?;
        if let Some(chunk) = frame.data_ref() {
            if bytes.len() + chunk.len() > limit {
                return Err(too_large(max_bytes));
            }
            bytes.extend_from_slice(chunk);
        }
    }
    Ok(bytes)
}

pub fn too_large(max_bytes: usize) -> Error {
    Error::TooLarge(format!(
        "the upload is over the {} MB limit",
        max_bytes.div_ceil(1_000_000)
    ))
}
