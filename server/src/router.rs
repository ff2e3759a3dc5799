//! The axum router: Leptos pages and server functions, health checks, static files, and the layers
//! every response passes through (security headers, compression, request tracing).

use axum::Router;
use axum::extract::Request;
use axum::middleware;
use axum::routing::{get, post};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, file_and_error_handler_with_context, generate_route_list};
use tower_http::compression::CompressionLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use services::sessions::DbSessionStore;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::http_headers::{Hsts, security_headers};
use crate::state::ServerState;
use crate::{
    access, account_export, admin_accounts, analytics, api, billing, blocklist, client_ip, csrf,
    health, insights, metrics, unsubscribe,
};

/// The session cookie: `__Host-` prefixed (so no subdomain can set it) when served over TLS.
pub fn session_cookie_name(tls: bool) -> &'static str {
    if tls {
        "__Host-imgigo_session"
    } else {
        "imgigo_session"
    }
}

/// Sessions in the database; a cookie only once something is stored (a login), `HttpOnly`,
/// `SameSite=Lax`, `Secure` over HTTPS, expiring after the idle time.
fn session_layer(app: &services::AppState) -> SessionManagerLayer<DbSessionStore> {
    let tls = app.config.served_over_tls();
    let idle = time::Duration::seconds(app.config.session_idle.num_seconds());
    SessionManagerLayer::new(DbSessionStore::of(app))
        .with_name(session_cookie_name(tls))
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(tls)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(idle))
}

pub fn build(state: ServerState) -> Router {
    let routes = generate_route_list(app::App);
    let services_state = state.app.clone();
    let context = move || provide_context(services_state.clone());
    let hsts = Hsts(state.app.config.served_over_tls());
    let options = state.leptos_options.clone();
    let app = state.app.clone();

    Router::new()
        .leptos_routes_with_context(&state, routes, context.clone(), move || {
            app::shell(options.clone())
        })
        // Pages only (a route layer covers the routes added before it). Counting runs inside
        // `signed_in`, which tells it who is signed in.
        .route_layer(middleware::from_fn_with_state(
            app.clone(),
            analytics::count_page_view,
        ))
        .route_layer(middleware::from_fn_with_state(
            app.clone(),
            access::signed_in,
        ))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/account/export", get(account_export::download))
        .route(insights::PATH, get(insights::show))
        .route(insights::CSV_PATH, get(insights::csv))
        .route(admin_accounts::PATH, get(admin_accounts::show))
        .route(
            &format!("{}/find", admin_accounts::PATH),
            post(admin_accounts::find),
        )
        .route(
            &format!("{}/delete", admin_accounts::PATH),
            post(admin_accounts::delete),
        )
        .route(
            &format!("{}/lift", admin_accounts::PATH),
            post(admin_accounts::lift),
        )
        .route("/billing/checkout", post(billing::checkout))
        .route("/billing/portal", post(billing::portal))
        .route(
            services::mail::unsubscribe::PATH,
            get(unsubscribe::show).post(unsubscribe::apply),
        )
        .merge(api::routes())
        .fallback(file_and_error_handler_with_context::<ServerState, _>(
            context,
            app::shell,
        ))
        // Every answer counted by route template and status (`/metrics`).
        .layer(middleware::from_fn_with_state(app.clone(), metrics::record))
        .with_state(state)
        .layer(middleware::from_fn_with_state(
            app.clone(),
            access::require_account,
        ))
        .layer(session_layer(&app))
        .layer(middleware::from_fn_with_state(app.clone(), csrf::check_origin))
        // Inside `client_ip`, which names the caller's network.
        .layer(middleware::from_fn_with_state(app.clone(), blocklist::gate))
        .layer(middleware::from_fn_with_state(app, client_ip::attach))
        .layer(middleware::from_fn_with_state(hsts, security_headers))
        .layer(CompressionLayer::new())
        .layer(
            TraceLayer::new_for_http()
                // The path only: queries will carry result keys, which must never reach a log.
                .make_span_with(|request: &Request| {
                    tracing::info_span!("http", method = %request.method(), path = %request.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}
