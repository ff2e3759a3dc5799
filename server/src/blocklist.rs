//! The block list at the door: a network on it is answered 429 with `Retry-After` before any other
//! work; every refusal a network earns (429, 401, 413, 415) is a strike towards a block (see
//! `services::abuse::blocklist`).

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use services::AppState;
use services::abuse::ClientIp;

/// Answers that count as a strike: rate limited, wrong credentials, refused uploads.
const STRIKES: [StatusCode; 4] = [
    StatusCode::TOO_MANY_REQUESTS,
    StatusCode::UNAUTHORIZED,
    StatusCode::PAYLOAD_TOO_LARGE,
    StatusCode::UNSUPPORTED_MEDIA_TYPE,
];

pub async fn gate(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let Some(ClientIp(ip)) = request.extensions().get::<ClientIp>().copied() else {
        return next.run(request).await;
    };
    if let Some(seconds) = app.abuse.blocks.blocked(ip) {
        app.metrics.request("(blocked)", 429, 0.0);
        let mut response = (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::CACHE_CONTROL, "no-store")],
            format!(
                "Too many refused requests came from your network, so it is paused for a while. Please try again in {} seconds.\n",
                seconds
            ),
        )
            .into_response();
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    let response = next.run(request).await;
    if STRIKES.contains(&response.status()) {
        app.abuse.blocks.strike(ip);
    }
    response
}
