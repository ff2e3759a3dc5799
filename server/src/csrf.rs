//! Cross-site request forgery protection: the session cookie is `SameSite=Lax`, and every
//! state-changing request to a page, form or server function must carry an `Origin` header naming
//! this site. A missing or foreign Origin is refused with 403 before anything runs.
//!
//! The APIs (`/api/…`, `/v1.0/…`) and result links (`/r/…`) never act on the session cookie —
//! they authenticate with `X-Api-Key` or the key in the link — so scripts and curl may call them
//! without an Origin. Stripe's webhook (`/webhooks/…`) is authenticated by its signature.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use services::AppState;

const NO_ORIGIN: &str = "This request was refused because it did not say which site sent it. Please reload the page and try again (browser extensions that strip the Origin header can cause this).";
const FOREIGN_ORIGIN: &str = "This request came from another website, so it was refused to protect your account. If you meant to do this, open imgigo directly and try again.";

/// Paths that never use the session cookie.
fn exempt(path: &str) -> bool {
    ["/api/", "/v1.0/", "/r/", "/webhooks/"]
        .iter()
        .any(|prefix| path.starts_with(prefix))
        // A mail client's one-click unsubscribe (RFC 8058) has no Origin; its signed token is
        // the whole authority, and it uses no cookie.
        || path == services::mail::unsubscribe::PATH
}

fn changes_state(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Whether `origin` is this site: the configured public address, or the address the request was
/// sent to (`Host`), so a server reached by another name still accepts its own pages' forms.
pub fn same_origin(origin: &str, headers: &HeaderMap, public_url: &str) -> bool {
    let origin = origin.trim_end_matches('/');
    if origin.eq_ignore_ascii_case(public_url.trim_end_matches('/')) {
        return true;
    }
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let scheme = if public_url.starts_with("https://") {
        "https"
    } else {
        "http"
    };
    origin.eq_ignore_ascii_case(&format!("{scheme}://{host}"))
}

pub async fn check_origin(State(app): State<AppState>, request: Request, next: Next) -> Response {
    if !changes_state(request.method()) || exempt(request.uri().path()) {
        return next.run(request).await;
    }
    let headers = request.headers();
    match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        None => refuse(NO_ORIGIN),
        Some(origin) if same_origin(origin, headers, &app.config.public_url) => {
            next.run(request).await
        }
        Some(_) => refuse(FOREIGN_ORIGIN),
    }
}

fn refuse(message: &str) -> Response {
    tracing::warn!("state-changing request refused: missing or foreign Origin");
    ApiError::new(StatusCode::FORBIDDEN, message).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn origins_must_name_this_site() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:4123"));
        let public = "http://127.0.0.1:3000";
        assert!(same_origin("http://127.0.0.1:3000", &headers, public));
        assert!(same_origin("http://127.0.0.1:4123", &headers, public));
        assert!(!same_origin("http://evil.test", &headers, public));
        assert!(!same_origin("https://127.0.0.1:4123", &headers, public));
        assert!(!same_origin("null", &headers, public));
        assert!(exempt("/api/v1/cutouts") && exempt("/v1.0/removebg") && exempt("/r/abc"));
        assert!(!exempt("/_app/login") && !exempt("/account"));
    }
}
