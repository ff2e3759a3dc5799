//! Plain server-rendered pages (the unsubscribe link's page, the admin's account tools): the
//! site's stylesheet, no script, never cached, and nothing added to the pages' client bundle.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use html_escape::encode_text;

/// A page titled `title` around `body` (HTML the caller escaped).
pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"robots\" content=\"noindex\"><title>{0} · imgigo</title><link rel=\"stylesheet\" href=\"/pkg/imgigo.css\"></head><body><main class=\"account\"><h1>{0}</h1>{1}<p><a href=\"/\">imgigo</a></p></main></body></html>",
        encode_text(title),
        body
    );
    let mut response = (status, Html(html)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
