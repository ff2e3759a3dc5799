//! The HTTP APIs: the native one ([`native`]), the remove.bg-compatible one ([`removebg`]) and the
//! editor's background library ([`library`]), Stripe's webhook ([`webhooks`]),
//! sharing body reading ([`form`]), option parsing ([`options`]), how errors are refused
//! ([`refusal`]) and answers ([`reply`]).
//!
//! Upload bytes are read into wiped-on-drop buffers under the byte limit, never to a file, and never
//! logged; result keys appear only in responses (the request log records paths, not queries).

pub mod form;
pub mod library;
mod limits;
pub mod native;
pub mod openapi;
pub mod options;
pub mod refusal;
pub mod removebg;
mod reply;
pub mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::state::ServerState;

pub fn routes() -> Router<ServerState> {
    Router::new()
        .route("/api/v1/cutouts", post(native::create))
        .route("/r/{id}", get(native::download).delete(native::remove))
        .route("/v1.0/removebg", post(removebg::remove_background))
        .route("/v1.0/account", get(removebg::account))
        .route("/api/openapi.json", get(openapi::document))
        .route("/api/v1/backgrounds", get(library::search))
        .route("/api/v1/backgrounds/{id}", get(library::image))
        .route("/webhooks/stripe", post(webhooks::stripe))
        // The byte limit is enforced while reading, with our own message.
        .layer(DefaultBodyLimit::disable())
}
