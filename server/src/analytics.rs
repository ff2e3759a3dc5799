//! Counts page loads for the aggregate analytics (see `services::analytics`): after a page
//! answered 200 with HTML, its route's template (never the URL), the browser family, device class
//! and referring host are counted; `Sec-GPC: 1`, `DNT: 1`, robots and signed-in people who have
//! statistics off are not. Nothing is stored per request.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use services::AppState;
use services::abuse::ClientIp;
use services::analytics::{self, PageView};

/// Who is signed in for this page load (set by `access::signed_in`), for the statistics choice.
#[derive(Clone, Copy, Debug)]
pub struct Viewer(pub Option<i64>);

fn header_text(request: &Request, name: header::HeaderName, limit: usize) -> Option<String> {
    request
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.chars().take(limit).collect())
}

pub async fn count_page_view(
    State(app): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_string());
    let user_agent = header_text(&request, header::USER_AGENT, 512).unwrap_or_default();
    let referer = header_text(&request, header::REFERER, 2048);
    let opted_out = analytics::opted_out(
        header_text(&request, header::HeaderName::from_static("sec-gpc"), 8).as_deref(),
        header_text(&request, header::DNT, 8).as_deref(),
    );
    let ip = request.extensions().get::<ClientIp>().map(|ip| ip.0);
    let user_id = request
        .extensions()
        .get::<Viewer>()
        .and_then(|viewer| viewer.0);
    let response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if response.status() == StatusCode::OK
        && html
        && let (Some(route), Some(ip)) = (route, ip)
    {
        let view = PageView {
            route: &route,
            user_agent: &user_agent,
            referer: referer.as_deref(),
            ip,
            opted_out,
            user_id,
        };
        if let Err(err) = analytics::page_view(&app, &view).await {
            tracing::warn!(error = %err, "a page view could not be counted");
        }
    }
    response
}
