//! `POST /webhooks/stripe`: where Stripe tells this server what was paid. The raw body (at most
//! 256 KB) is checked against the `Stripe-Signature` header before anything in it is read
//! ([`services::billing::events`]). Answers: 200 `{"received": true}` (also for a repeated or
//! unused event), 400 for a refused signature or a body that is not an event, 404 when payments
//! are off, 413 for a body over the limit, 5xx when applying failed (Stripe delivers it again).
//! Not part of the public API (no key, no cookie, no Origin: the signature is the authentication).

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use services::billing::events::{self, MAX_BODY};
use services::{AppState, Error};

use super::reply::{failure, no_store};

pub async fn stripe(State(app): State<AppState>, request: Request) -> Response {
    let Some(billing) = app.config.billing.clone() else {
        return failure(Error::Coded {
            kind: services::ErrorKind::NotFound,
            code: "payments_off",
            message: "Payments are off on this server.".into(),
        });
    };
    let signature = request
        .headers()
        .get("stripe-signature")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let Ok(body) = axum::body::to_bytes(request.into_body(), MAX_BODY).await else {
        return failure(Error::TooLarge(format!(
            "A webhook body may be at most {} KB.",
            MAX_BODY / 1024
        )));
    };
    match events::receive(&app, &billing, &signature, &body).await {
        Ok(outcome) => {
            tracing::info!(?outcome, "stripe webhook");
            let mut response =
                (StatusCode::OK, axum::Json(json!({ "received": true }))).into_response();
            no_store(&mut response);
            response
        }
        Err(err) => failure(err),
    }
}
