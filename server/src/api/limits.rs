//! Anonymous callers' rate limit at the API's door: the peer address (never stored or logged) picks
//! the bucket; answers carry `X-RateLimit-Limit`, `-Remaining` and `-Reset`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderMap;
use axum::response::Response;
use services::AppState;
use services::ratelimit::{Allowance, Verdict};

use super::reply::set;

/// The client's address: the peer, or — when the peer is a trusted reverse proxy — the nearest
/// address in `X-Forwarded-For` that is not itself a trusted proxy. In-process callers without a
/// peer share a single bucket.
pub fn client_ip(request: &Request, trusted: &[IpAddr]) -> IpAddr {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|part| part.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

/// Runs `handler` if the caller's bucket has room and adds the allowance headers; otherwise answers
/// `limited(message)` (each API words its 429 in its own shape) with `Retry-After`.
pub async fn guarded<Fut: Future<Output = Response>>(
    app: &AppState,
    request: Request,
    limited: impl FnOnce(String) -> Response,
    handler: impl FnOnce(Request) -> Fut,
) -> Response {
    match app
        .limiter
        .check(client_ip(&request, &app.config.trusted_proxies))
    {
        Verdict::Allowed(allowance) => {
            let mut response = handler(request).await;
            allowance_headers(response.headers_mut(), allowance);
            response
        }
        Verdict::Limited { limit, retry_after } => {
            let mut response = limited(limited_message(retry_after));
            limited_headers(response.headers_mut(), limit, retry_after);
            response
        }
    }
}

fn allowance_headers(headers: &mut HeaderMap, allowance: Allowance) {
    set(headers, "x-ratelimit-limit", &allowance.limit.to_string());
    set(
        headers,
        "x-ratelimit-remaining",
        &allowance.remaining.to_string(),
    );
    set(headers, "x-ratelimit-reset", &allowance.reset.to_string());
}

fn limited_headers(headers: &mut HeaderMap, limit: u32, retry_after: u64) {
    set(headers, "retry-after", &retry_after.to_string());
    set(headers, "x-ratelimit-limit", &limit.to_string());
    set(headers, "x-ratelimit-remaining", "0");
    set(headers, "x-ratelimit-reset", &retry_after.to_string());
}

/// The sentence for a limited caller.
fn limited_message(retry_after: u64) -> String {
    format!(
        "Too many requests from your address: anonymous use is limited. Please try again in {retry_after} seconds."
    )
}
