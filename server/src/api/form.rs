//! Reading a cutout request in any of the shapes clients send: `multipart/form-data`,
//! `application/x-www-form-urlencoded`, `application/json`, or the photo itself as the body.
//!
//! Every request is bounded before it is parsed: the whole body may be at most the upload limit
//! plus [`FIELD_MARGIN`] (the body is cut off past it, with a 413), a form holds at most
//! [`MAX_PARTS`] fields, every field name must be one the API knows (400 naming it), and a text
//! field that is not a photo holds at most [`MAX_TEXT_FIELD`] bytes. Base64 photos are decoded in
//! place, inside the body's own buffer, so one request never holds more than the upload limit plus
//! the margin in memory. Files go into wiped-on-drop buffers as they arrive; nothing touches disk.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine as _;
use http_body_util::{BodyExt, Limited};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use zeroize::Zeroizing;

use services::Error;

/// The most fields (parts, JSON keys, form pairs, query parameters) one request may carry.
pub const MAX_PARTS: usize = 16;
/// Room for the text fields beside the photo: the body may exceed the upload limit by this much.
pub const FIELD_MARGIN: usize = 64 * 1024;
/// The longest text field that is not a photo (a colour, a size, a URL).
pub const MAX_TEXT_FIELD: usize = 4096;

/// The field names an API accepts, by kind.
#[derive(Clone, Copy, Debug)]
pub struct Fields {
    /// Fields holding a photo's bytes (multipart parts; the raw body is named `image`).
    pub files: &'static [&'static str],
    /// Text fields holding a base64 photo (a data-URL prefix is allowed).
    pub base64: &'static [&'static str],
    /// Short text fields (options).
    pub text: &'static [&'static str],
}

impl Fields {
    fn kind(&self, name: &str) -> Option<Kind> {
        if self.files.contains(&name) {
            Some(Kind::File)
        } else if self.base64.contains(&name) {
            Some(Kind::Base64)
        } else if self.text.contains(&name) {
            Some(Kind::Text)
        } else {
            None
        }
    }

    /// Every accepted name, for the message that refuses another.
    fn listing(&self) -> String {
        let mut names: Vec<&str> = self
            .files
            .iter()
            .chain(self.base64)
            .chain(self.text)
            .copied()
            .collect();
        names.sort_unstable();
        names.join(", ")
    }

    fn check(&self, name: &str) -> Result<Kind, Error> {
        self.kind(name).ok_or_else(|| {
            let shown: String = name.chars().take(40).collect();
            Error::BadRequest(format!(
                "unknown field `{shown}`: this API accepts {}",
                self.listing()
            ))
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    File,
    Base64,
    Text,
}

/// The files and text fields of one request. Base64 photos are already decoded into `files`
/// under their own field name; the raw-body shape names its file `image`.
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

    /// The first photo present among `names` (file or base64 fields, in order of preference).
    pub fn take_file(&mut self, names: &[&str]) -> Option<Zeroizing<Vec<u8>>> {
        names.iter().find_map(|name| self.files.remove(*name))
    }

    fn insert_text(&mut self, name: &str, value: String) -> Result<(), Error> {
        if self.fields.len() + self.files.len() >= MAX_PARTS {
            return Err(too_many_parts());
        }
        if self.fields.insert(name.to_string(), value).is_some() {
            return Err(twice(name));
        }
        Ok(())
    }

    fn insert_file(&mut self, name: &str, bytes: Zeroizing<Vec<u8>>) -> Result<(), Error> {
        if self.fields.len() + self.files.len() >= MAX_PARTS {
            return Err(too_many_parts());
        }
        if self.files.contains_key(name) || self.fields.contains_key(name) {
            return Err(twice(name));
        }
        self.files.insert(name.to_string(), bytes);
        Ok(())
    }
}

/// Reads the request and takes the photo from the first of `photo_names`; `missing` is the message
/// when there is none.
pub async fn read_photo(
    request: Request,
    query: HashMap<String, String>,
    max_bytes: usize,
    fields: &Fields,
    photo_names: &[&str],
    missing: &str,
) -> Result<(Form, Zeroizing<Vec<u8>>), Error> {
    let mut form = read(request, query, max_bytes, fields).await?;
    let photo = form
        .take_file(photo_names)
        .ok_or_else(|| Error::BadRequest(missing.to_string()))?;
    Ok((form, photo))
}

/// Reads every field of the request within the bounds above. `query` holds the query parameters,
/// which count as fields too.
pub async fn read(
    request: Request,
    query: HashMap<String, String>,
    max_bytes: usize,
    fields: &Fields,
) -> Result<Form, Error> {
    let content_type = content_type(request.headers());
    let mut form = Form {
        files: HashMap::new(),
        fields: HashMap::new(),
    };
    for (name, value) in query {
        if fields.check(&name)? != Kind::Text {
            return Err(Error::BadRequest(format!(
                "`{name}` cannot be a query parameter: send the photo in the body"
            )));
        }
        form.insert_text(&name, bounded_text(&name, value)?)?;
    }
    let cap = max_bytes.saturating_add(FIELD_MARGIN);
    if content_type.starts_with("multipart/form-data") {
        read_multipart(request, cap, max_bytes, fields, &mut form).await?;
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let body = read_body(request, cap, max_bytes).await?;
        read_urlencoded(body, max_bytes, fields, &mut form)?;
    } else if content_type.starts_with("application/json") {
        let body = read_body(request, cap, max_bytes).await?;
        read_json(body, max_bytes, fields, &mut form)?;
    } else if content_type.starts_with("image/")
        || content_type.starts_with("application/octet-stream")
    {
        let bytes = read_body(request, max_bytes, max_bytes).await?;
        form.insert_file("image", bytes)?;
    } else {
        return Err(Error::UnsupportedMedia(
            "send the photo as multipart/form-data, as JSON or form fields with a base64 photo, or as the request body with an image/* content type"
                .into(),
        ));
    }
    Ok(form)
}

async fn read_multipart(
    request: Request,
    cap: usize,
    max_bytes: usize,
    fields: &Fields,
    form: &mut Form,
) -> Result<(), Error> {
    let unreadable = move |err: axum::extract::multipart::MultipartError| {
        if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large(max_bytes)
        } else {
            Error::BadRequest(format!("the form could not be read: {}", err.body_text()))
        }
    };
    // The whole body, boundaries and part headers included, is cut off past the cap.
    let request = request.map(|body| Body::new(Limited::new(body, cap)));
    let mut multipart = Multipart::from_request(request, &()).await.map_err(|err| {
        Error::BadRequest(format!("the form could not be read: {}", err.body_text()))
    })?;
    let mut photo_bytes = 0usize;
    let mut text_bytes = 0usize;
    let mut parts = 0usize;
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable)? {
        parts += 1;
        if parts > MAX_PARTS {
            return Err(too_many_parts());
        }
        let name = field
            .name()
            .ok_or_else(|| Error::BadRequest("a part of the form has no name".into()))?
            .to_string();
        let kind = fields.check(&name)?;
        let mut bytes = Zeroizing::new(Vec::new());
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            match kind {
                Kind::File | Kind::Base64 => {
                    photo_bytes += chunk.len();
                    if photo_bytes > max_bytes {
                        return Err(too_large(max_bytes));
                    }
                }
                Kind::Text => {
                    text_bytes += chunk.len();
                    if bytes.len() + chunk.len() > MAX_TEXT_FIELD || text_bytes > FIELD_MARGIN {
                        return Err(text_too_long(&name));
                    }
                }
            }
            bytes.extend_from_slice(&chunk);
        }
        match kind {
            Kind::File => form.insert_file(&name, bytes)?,
            Kind::Base64 => {
                let end = bytes.len();
                decode_base64_ranges(&mut bytes, &[(0, end)], &name)?;
                form.insert_file(&name, bytes)?;
            }
            Kind::Text => {
                let text = String::from_utf8(bytes.to_vec())
                    .map_err(|_| Error::BadRequest(format!("the field {name} is not text")))?;
                form.insert_text(&name, text)?;
            }
        }
    }
    Ok(())
}

fn read_urlencoded(
    mut body: Zeroizing<Vec<u8>>,
    max_bytes: usize,
    fields: &Fields,
    form: &mut Form,
) -> Result<(), Error> {
    // Base64 values are percent-decoded and then base64-decoded in place; the rest are short.
    let mut photos: Vec<(String, (usize, usize))> = Vec::new();
    // Counted before anything is parsed: a flood of pairs is refused as a flood.
    let pairs = body
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .count();
    if pairs > MAX_PARTS {
        return Err(too_many_parts());
    }
    let mut start = 0usize;
    while start <= body.len() {
        let end = body[start..]
            .iter()
            .position(|&b| b == b'&')
            .map_or(body.len(), |at| start + at);
        if end > start {
            let pair = start..end;
            let split = body[pair.clone()]
                .iter()
                .position(|&b| b == b'=')
                .map_or(end, |at| start + at);
            let name: String = form_urlencoded::parse(&body[start..split])
                .next()
                .map(|(name, _)| name.into_owned())
                .unwrap_or_default();
            let value = (split.saturating_add(1).min(end), end);
            match fields.check(&name)? {
                Kind::Base64 => photos.push((name, value)),
                Kind::File => return Err(file_not_in_text(&name)),
                Kind::Text => {
                    if value.1 - value.0 > MAX_TEXT_FIELD * 3 {
                        return Err(text_too_long(&name));
                    }
                    let text = form_urlencoded::parse(&body[start..end])
                        .next()
                        .map(|(_, value)| value.into_owned())
                        .unwrap_or_default();
                    form.insert_text(&name, bounded_text(&name, text)?)?;
                }
            }
        }
        start = end + 1;
    }
    let mut ranges = Vec::with_capacity(photos.len());
    for (_, (from, to)) in &photos {
        let length = percent_decode_in_place(&mut body[*from..*to]);
        if length / 4 * 3 > max_bytes {
            return Err(too_large(max_bytes));
        }
        ranges.push((*from, *from + length));
    }
    split_photos(body, photos, ranges, form)
}

fn read_json(
    mut body: Zeroizing<Vec<u8>>,
    max_bytes: usize,
    fields: &Fields,
    form: &mut Form,
) -> Result<(), Error> {
    // Values stay borrowed from the body (no copy of a base64 photo); at most MAX_PARTS keys.
    let mut photos: Vec<(String, (usize, usize))> = Vec::new();
    {
        let entries = serde_json::from_slice::<Entries<'_>>(&body)
            .map_err(|err| Error::BadRequest(format!("the JSON body could not be read: {err}")))?;
        let base = body.as_ptr() as usize;
        for (name, raw) in entries.0 {
            let text = raw.get();
            match fields.check(&name)? {
                Kind::Base64 => {
                    if !(text.len() >= 2 && text.starts_with('"') && text.ends_with('"')) {
                        return Err(Error::BadRequest(format!(
                            "`{name}` must be a string of base64"
                        )));
                    }
                    let from = text.as_ptr() as usize - base + 1;
                    photos.push((name, (from, from + text.len() - 2)));
                }
                Kind::File => return Err(file_not_in_text(&name)),
                Kind::Text => {
                    if text.len() > MAX_TEXT_FIELD {
                        return Err(text_too_long(&name));
                    }
                    let value: serde_json::Value = serde_json::from_str(text).map_err(|err| {
                        Error::BadRequest(format!("the JSON body could not be read: {err}"))
                    })?;
                    let value = match value {
                        serde_json::Value::String(text) => text,
                        serde_json::Value::Null => continue,
                        serde_json::Value::Bool(_) | serde_json::Value::Number(_) => {
                            // Booleans and numbers as their JSON text: `true`, `12`.
                            value.to_string()
                        }
                        _ => {
                            return Err(Error::BadRequest(format!(
                                "`{name}` must be a string, a number or a boolean"
                            )));
                        }
                    };
                    form.insert_text(&name, value)?;
                }
            }
        }
    }
    let mut ranges = Vec::with_capacity(photos.len());
    for (name, (from, to)) in &photos {
        // JSON may escape `/` as `\/`; any other escape cannot occur in base64.
        let length = unescape_slashes_in_place(&mut body[*from..*to])
            .ok_or_else(|| Error::BadRequest(format!("`{name}` is not valid base64")))?;
        if length / 4 * 3 > max_bytes {
            return Err(too_large(max_bytes));
        }
        ranges.push((*from, *from + length));
    }
    split_photos(body, photos, ranges, form)
}

/// Decodes the base64 `ranges` of `body` in place and hands each photo to `form` under its name.
fn split_photos(
    mut body: Zeroizing<Vec<u8>>,
    photos: Vec<(String, (usize, usize))>,
    ranges: Vec<(usize, usize)>,
    form: &mut Form,
) -> Result<(), Error> {
    if photos.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = photos.iter().map(|(name, _)| name.as_str()).collect();
    let decoded = decode_base64_ranges(&mut body, &ranges, names.join(", ").as_str())?;
    // The photos now lie one after the other at the start of `body`; the last keeps the buffer.
    let mut pieces: Vec<(String, Zeroizing<Vec<u8>>)> = Vec::with_capacity(decoded.len());
    for ((name, _), length) in photos.into_iter().zip(decoded).rev() {
        let start = body.len() - length;
        let piece = Zeroizing::new(body.split_off(start));
        pieces.push((name, piece));
    }
    drop(body);
    for (name, piece) in pieces.into_iter().rev() {
        form.insert_file(&name, piece)?;
    }
    Ok(())
}

/// Decodes each base64 range of `buffer` (in increasing order, not overlapping) into the front of
/// `buffer`, one after the other, and truncates it to what was decoded; returns each photo's
/// length. A data-URL prefix (`data:image/png;base64,`) and surrounding whitespace are skipped.
///
/// Works in place: input is read in chunks of 4096 characters, each copied out before its decoded
/// bytes (3/4 of its length) are written at or before its own position, so nothing unread is
/// overwritten and no second copy of the photo is made.
fn decode_base64_ranges(
    buffer: &mut Zeroizing<Vec<u8>>,
    ranges: &[(usize, usize)],
    name: &str,
) -> Result<Vec<usize>, Error> {
    const CHUNK: usize = 4096;
    let invalid = || Error::BadRequest(format!("{name} is not valid base64"));
    let mut chunk = Zeroizing::new([0u8; CHUNK]);
    let mut write = 0usize;
    let mut lengths = Vec::with_capacity(ranges.len());
    for &(from, to) in ranges {
        let (mut from, mut to) = (from, to.min(buffer.len()));
        while from < to && buffer[from].is_ascii_whitespace() {
            from += 1;
        }
        while to > from && buffer[to - 1].is_ascii_whitespace() {
            to -= 1;
        }
        if buffer[from..to].starts_with(b"data:")
            && let Some(comma) = buffer[from..to].iter().position(|&b| b == b',')
        {
            from += comma + 1;
        }
        let started = write;
        let mut read = from;
        while read < to {
            let n = CHUNK.min(to - read);
            chunk[..n].copy_from_slice(&buffer[read..read + n]);
            // The output may not reach past this chunk's end: later input is still unread.
            let written = base64::engine::general_purpose::STANDARD
                .decode_slice(&chunk[..n], &mut buffer[write..read + n])
                .map_err(|_| invalid())?;
            write += written;
            read += n;
        }
        lengths.push(write - started);
    }
    buffer.truncate(write);
    Ok(lengths)
}

/// `\/` → `/` in place; `None` for any other backslash escape. Returns the new length.
fn unescape_slashes_in_place(bytes: &mut [u8]) -> Option<usize> {
    let (mut read, mut write) = (0usize, 0usize);
    while read < bytes.len() {
        let byte = bytes[read];
        if byte == b'\\' {
            if bytes.get(read + 1) != Some(&b'/') {
                return None;
            }
            read += 1;
        }
        bytes[write] = bytes[read];
        write += 1;
        read += 1;
    }
    Some(write)
}

/// Percent-decoding (`%2B` → `+`, `+` → space) in place; returns the new length.
fn percent_decode_in_place(bytes: &mut [u8]) -> usize {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let (mut read, mut write) = (0usize, 0usize);
    while read < bytes.len() {
        let byte = bytes[read];
        let (value, step) = match byte {
            b'+' => (b' ', 1),
            b'%' => match (
                bytes.get(read + 1).copied().and_then(hex),
                bytes.get(read + 2).copied().and_then(hex),
            ) {
                (Some(high), Some(low)) => (high << 4 | low, 3),
                _ => (b'%', 1),
            },
            other => (other, 1),
        };
        bytes[write] = value;
        write += 1;
        read += step;
    }
    write
}

/// A JSON object's entries with their values borrowed from the body; more than [`MAX_PARTS`] keys
/// stop the parse at once (no map of a million fields is ever built).
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de> serde::Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Object;
        impl<'de> Visitor<'de> for Object {
            type Value = Entries<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object of fields")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if entries.len() >= MAX_PARTS {
                        return Err(de::Error::custom(format!("more than {MAX_PARTS} fields")));
                    }
                    if key.len() > 64 {
                        return Err(de::Error::custom("a field name is too long"));
                    }
                    let value: &'de RawValue = map.next_value()?;
                    entries.push((key.into_owned(), value));
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(Object)
    }
}

/// A file field sent in a text-only body (JSON, form fields).
fn file_not_in_text(name: &str) -> Error {
    Error::BadRequest(format!(
        "`{name}` must be a file: send it as multipart/form-data, or use the base64 field"
    ))
}

fn bounded_text(name: &str, value: String) -> Result<String, Error> {
    if value.len() > MAX_TEXT_FIELD {
        Err(text_too_long(name))
    } else {
        Ok(value)
    }
}

fn text_too_long(name: &str) -> Error {
    Error::BadRequest(format!(
        "the field {name} is longer than {MAX_TEXT_FIELD} bytes"
    ))
}

fn too_many_parts() -> Error {
    Error::BadRequest(format!(
        "the request has more than {MAX_PARTS} fields; send the photo and its options only"
    ))
}

fn twice(name: &str) -> Error {
    Error::BadRequest(format!("the field {name} is given more than once"))
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The body, up to `limit` bytes (`max_bytes` is the limit people are told about). A declared
/// `Content-Length` over the limit is refused before anything is read.
async fn read_body(
    request: Request,
    limit: usize,
    max_bytes: usize,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large(max_bytes));
    }
    let mut body = request.into_body();
    let mut bytes = Zeroizing::new(Vec::with_capacity(
        declared.map_or(0, |length| length as usize),
    ));
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

/// How much of a refused request's body is read and thrown away, and for how long, so the client
/// sees the answer instead of a reset connection (closing a socket with unread data resets it).
const DRAIN_BYTES: usize = 64 * 1000 * 1000;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(10);

/// Answers `err` without keeping the body: it is read and discarded, within a byte and time budget.
pub async fn refuse_unread(request: Request, err: Error) -> Error {
    let mut body = request.into_body();
    let drain = async {
        let mut seen = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            if let Some(chunk) = frame.data_ref() {
                seen += chunk.len();
                if seen > DRAIN_BYTES {
                    break;
                }
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: Fields = Fields {
        files: &["image"],
        base64: &["image_b64", "bg_b64"],
        text: &["format", "size"],
    };

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    fn request(content_type: &str, body: Vec<u8>) -> Request {
        Request::builder()
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .expect("request")
    }

    async fn read_as(content_type: &str, body: Vec<u8>) -> Result<Form, Error> {
        read(
            request(content_type, body),
            HashMap::new(),
            1_000_000,
            &FIELDS,
        )
        .await
    }

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    #[test]
    fn base64_decodes_in_place_across_chunks_with_a_data_url_prefix() {
        let photo = sample(10_000);
        let text = format!("  data:image/png;base64,{}\n", b64(&photo));
        let mut buffer = Zeroizing::new(text.into_bytes());
        let end = buffer.len();
        let lengths = decode_base64_ranges(&mut buffer, &[(0, end)], "image_b64").expect("ok");
        assert_eq!(lengths, vec![photo.len()]);
        assert_eq!(&buffer[..], &photo[..]);
    }

    #[test]
    fn two_base64_ranges_land_one_after_the_other() {
        let (a, b) = (sample(5000), sample(9000));
        let text = format!("{{\"x\":\"{}\",\"y\":\"{}\"}}", b64(&a), b64(&b));
        let mut buffer = Zeroizing::new(text.clone().into_bytes());
        let first = text.find(&b64(&a)).expect("a");
        let second = text.find(&b64(&b)).expect("b");
        let ranges = [
            (first, first + b64(&a).len()),
            (second, second + b64(&b).len()),
        ];
        let lengths = decode_base64_ranges(&mut buffer, &ranges, "x, y").expect("ok");
        assert_eq!(lengths, vec![a.len(), b.len()]);
        assert_eq!(&buffer[..a.len()], &a[..]);
        assert_eq!(&buffer[a.len()..], &b[..]);
    }

    #[test]
    fn escapes_and_percent_signs_are_undone_in_place() {
        let mut json = *b"ab\\/cd";
        assert_eq!(unescape_slashes_in_place(&mut json), Some(5));
        assert_eq!(&json[..5], b"ab/cd");
        assert_eq!(unescape_slashes_in_place(&mut b"a\\nb".to_vec()), None);
        let mut form = b"a%2Bb%2F%3D+c%zz".to_vec();
        let length = percent_decode_in_place(&mut form);
        assert_eq!(&form[..length], b"a+b/= c%zz");
    }

    #[tokio::test]
    async fn every_shape_gives_the_same_photo_and_options() {
        let photo = sample(3000);
        let json = serde_json::to_vec(&serde_json::json!({
            "image_b64": b64(&photo), "format": "webp", "size": 512
        }))
        .expect("json");
        let urlencoded = format!(
            "image_b64={}&format=webp&size=512",
            form_urlencoded::byte_serialize(b64(&photo).as_bytes()).collect::<String>()
        );
        for (content_type, body) in [
            ("application/json", json),
            ("application/x-www-form-urlencoded", urlencoded.into_bytes()),
        ] {
            let mut form = read_as(content_type, body).await.expect(content_type);
            assert_eq!(form.field("format"), Some("webp"), "{content_type}");
            assert_eq!(form.field("size"), Some("512"), "{content_type}");
            let got = form.take_file(&["image", "image_b64"]).expect("photo");
            assert_eq!(&got[..], &photo[..], "{content_type}");
        }
    }

    #[tokio::test]
    async fn unknown_names_floods_and_oversized_bodies_are_refused() {
        let err = read_as("application/json", br#"{"formt":"png"}"#.to_vec())
            .await
            .err()
            .expect("unknown");
        assert!(err.to_string().contains("unknown field `formt`"), "{err}");
        let flood: serde_json::Map<String, serde_json::Value> = (0..1000)
            .map(|i| (format!("f{i}"), serde_json::Value::from(i)))
            .collect();
        let err = read_as(
            "application/json",
            serde_json::to_vec(&flood).expect("json"),
        )
        .await
        .err()
        .expect("flood");
        assert!(err.to_string().contains("more than 16 fields"), "{err}");
        let pairs = vec!["format=png"; 1000].join("&");
        let err = read_as("application/x-www-form-urlencoded", pairs.into_bytes())
            .await
            .err()
            .expect("pairs");
        assert!(err.to_string().contains("more than 16 fields"), "{err}");
        let big = vec![b'A'; 1_000_000 + FIELD_MARGIN + 1];
        let err = read_as("application/json", big).await.err().expect("big");
        assert!(matches!(err, Error::TooLarge(_)), "{err}");
        let twice = read_as(
            "application/json",
            br#"{"format":"png","format":"jpg"}"#.to_vec(),
        )
        .await
        .err()
        .expect("twice");
        assert!(twice.to_string().contains("more than once"), "{twice}");
    }
}
