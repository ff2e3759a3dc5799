//! The client's address for every request: the peer, or — when the peer is a trusted reverse
//! proxy — the nearest address in `X-Forwarded-For` that is not itself a trusted proxy. Kept in the
//! request's extensions ([`ClientIp`]) for rate limits and throttles; never stored or logged.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use services::AppState;
use services::abuse::ClientIp;

/// In-process callers without a peer share the unspecified address.
pub fn client_ip<B>(request: &http::Request<B>, trusted: &[IpAddr]) -> IpAddr {
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

pub async fn attach(State(app): State<AppState>, mut request: Request, next: Next) -> Response {
    let ip = client_ip(&request, &app.config.trusted_proxies);
    request.extensions_mut().insert(ClientIp(ip));
    next.run(request).await
}
