//! The Content-Security-Policy: only our own origin's scripts, styles, images and connections; inline
//! scripts only with this response's nonce (Leptos' hydration bootstrap carries it); wasm may compile.

use http::HeaderValue;
use http::header::CONTENT_SECURITY_POLICY;
use leptos::nonce::use_nonce;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

/// The policy sent with every response. Pages pass their nonce; everything else passes `None`.
/// `form_targets` are the other origins a form may lead to (by the redirect that answers it):
/// Stripe's checkout and billing portal when payments are on. Browsers check `form-action` on a
/// form's redirects too, so without them "Buy" would stop at our own 303.
pub fn content_security_policy(nonce: Option<&str>, form_targets: &[String]) -> String {
    let scripts = match nonce {
        Some(nonce) => format!("script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"),
        None => "script-src 'self' 'wasm-unsafe-eval'".to_string(),
    };
    let form_action = std::iter::once("form-action 'self'")
        .chain(form_targets.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    [
        "default-src 'self'",
        scripts.as_str(),
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "media-src 'self' blob:",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        form_action.as_str(),
        "frame-ancestors 'none'",
    ]
    .join("; ")
}

/// Called while a page renders: sends the policy that allows exactly this page's inline scripts.
pub fn send_page_csp() {
    let (nonce, response) = (use_nonce(), use_context::<ResponseOptions>());
    let (Some(nonce), Some(response)) = (nonce.clone(), response.clone()) else {
        // The page then goes out with the policy for other responses, which blocks its inline
        // scripts: it is not hydrated. Seen once in a CI run under load (every inline script of
        // `/` refused); logged so the next occurrence says which part was missing.
        tracing::warn!(
            nonce = nonce.is_some(),
            response_options = response.is_some(),
            "a page is rendered without its script nonce; its scripts will be blocked"
        );
        return;
    };
    let form_targets = use_context::<services::AppState>()
        .and_then(|app| {
            app.config
                .billing
                .as_ref()
                .map(|billing| billing.form_targets())
        })
        .unwrap_or_default();
    if let Ok(value) = HeaderValue::from_str(&content_security_policy(Some(&nonce), &form_targets))
    {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_third_party_sources_and_no_framing() {
        let csp = content_security_policy(Some("abc"), &[]);
        assert!(csp.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline"));
        assert!(
            !csp.contains("http"),
            "no other origin may be allowed: {csp}"
        );
        assert!(!content_security_policy(None, &[]).contains("nonce"));
        assert!(
            content_security_policy(None, &["https://checkout.stripe.com".into()])
                .contains("form-action 'self' https://checkout.stripe.com;")
        );
    }
}
