//! How a fuzz input becomes a request for `server::api::form::read`, shared by the fuzz target
//! (`fuzz_targets/form_reader.rs`) and the replay test (`server/tests/fuzz_regressions.rs`), so a
//! crash file found by the fuzzer is fed through exactly the same request there.
//!
//! The first byte chooses the shape (`byte % 6`) and the byte limit (`64 << (byte >> 4)`, 64 bytes
//! to 2 MB: small limits make the size checks reachable with short inputs); the rest is the body.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::Request;
use server::api::form::Fields;

/// The multipart boundary is fixed (the seeds and `form_reader.dict` use it) so the fuzzer starts
/// from well-formed bodies.
pub const SHAPES: [&str; 6] = [
    "multipart/form-data; boundary=imgigo-fuzz-boundary",
    "application/x-www-form-urlencoded",
    "application/json",
    "image/png",
    "application/octet-stream",
    "text/plain",
];

/// The remove.bg route's names (the seeds and the dictionary use them); any other is refused.
pub const FIELDS: Fields = Fields {
    files: &["image_file", "image", "bg_image_file"],
    base64: &["image_file_b64", "bg_image_file_b64"],
    text: &[
        "size",
        "format",
        "type",
        "channels",
        "bg_color",
        "crop",
        "crop_margin",
        "scale",
        "roi",
        "position",
    ],
};

/// The request, its query and its byte limit; `None` for the empty input.
pub fn request(data: &[u8]) -> Option<(Request, HashMap<String, String>, usize)> {
    let (&selector, body) = data.split_first()?;
    let content_type = SHAPES[usize::from(selector) % SHAPES.len()];
    let max_bytes = 64usize << (selector >> 4);
    let request = Request::builder()
        .method("POST")
        .uri("/v1.0/removebg")
        .header("content-type", content_type)
        .body(Body::from(body.to_vec()))
        .ok()?;
    // A query parameter none of the seeds repeats in its body (a field sent twice is refused).
    let query = HashMap::from([("position".to_string(), "original".to_string())]);
    Some((request, query, max_bytes))
}

/// What must hold of any form `read` accepted.
pub fn check(form: &server::api::form::Form, max_bytes: usize) {
    // Base64 photos are decoded into `files` too: none may be past the limit.
    for (name, file) in &form.files {
        assert!(
            file.len() <= max_bytes,
            "{name}: a file past the byte limit was kept"
        );
    }
    assert!(form.files.len() + form.fields.len() <= server::api::form::MAX_PARTS);
    for (name, value) in &form.fields {
        assert!(
            FIELDS.text.contains(&name.as_str()),
            "unknown field {name} kept"
        );
        assert!(
            value.len() <= server::api::form::MAX_TEXT_FIELD,
            "{name}: a text field past the limit"
        );
    }
}
