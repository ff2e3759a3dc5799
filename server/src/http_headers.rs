//! Security headers on every response. Pages set their own Content-Security-Policy (with the nonce of
//! their hydration script); every other response gets the same policy without a nonce.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderValue;
use http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};

/// Whether to send HSTS: only when people reach us over TLS.
#[derive(Clone, Copy, Debug)]
pub struct Hsts(pub bool);

const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), \
     interest-cohort=(), browsing-topics=()";

/// Pages (and everything below them) that show personal data, and the server functions that
/// answer with it: neither the browser's cache nor a shared one may keep a copy.
const PERSONAL: &[&str] = &[
    "/account", "/pricing", "/billing", "/staff", "/admin", "/_app",
];

fn is_personal(path: &str) -> bool {
    PERSONAL.iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

pub async fn security_headers(State(hsts): State<Hsts>, request: Request, next: Next) -> Response {
    let personal = is_personal(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if personal {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if !headers.contains_key(CONTENT_SECURITY_POLICY)
        && let Ok(value) = HeaderValue::from_str(&app::security::content_security_policy(None, &[]))
    {
        headers.insert(CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Result links carry their key in the query: never leak a URL to another site. `same-origin`
    // (not `no-referrer`) so that a form posted without the page's script still says it came
    // from this site: browsers send `Origin: null` for a form under `no-referrer`, which the CSRF
    // check refuses.
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static(PERMISSIONS_POLICY),
    );
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    if hsts.0 {
        headers.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::is_personal;

    #[test]
    fn personal_paths_are_the_pages_and_what_is_below_them() {
        for path in [
            "/account",
            "/account/",
            "/account/export",
            "/staff",
            "/admin",
            "/admin/x",
            "/_app/current_account",
        ] {
            assert!(is_personal(path), "{path}");
        }
        for path in [
            "/",
            "/accounts",
            "/administrator",
            "/privacy",
            "/pkg/imgigo.js",
        ] {
            assert!(!is_personal(path), "{path}");
        }
    }
}
