//! `/mail/unsubscribe?t=…`, the link in every product update (RFC 8058 one-click): a GET shows a
//! small page with the account's masked address and a button, and changes nothing (mail scanners
//! follow links); a POST — the button, or a mail client's `List-Unsubscribe=One-Click` — turns
//! product updates off without a login or a cookie. Both answer the same when repeated. Plain
//! server-rendered HTML: no script, no session, and nothing added to the pages' client bundle.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use html_escape::{encode_double_quoted_attribute, encode_text};
use serde::Deserialize;
use services::mail::unsubscribe::{self, Subscription};
use services::{AppState, Error};

use crate::plain::page;

#[derive(Deserialize)]
pub struct Link {
    #[serde(default)]
    t: String,
}

pub async fn show(State(app): State<AppState>, Query(link): Query<Link>) -> Response {
    match unsubscribe::look(&app, &link.t).await {
        Ok(Subscription {
            masked_email,
            subscribed: true,
        }) => page(
            StatusCode::OK,
            "Unsubscribe from product updates?",
            &format!(
                "<p>Product updates from imgigo go to {}. Press the button to stop them; mail about your account (such as password resets and receipts) is not affected.</p>\
                 <form method=\"post\" action=\"{}?t={}\"><button class=\"button\" type=\"submit\" data-testid=\"unsubscribe\">Unsubscribe</button></form>",
                encode_text(&masked_email),
                unsubscribe::PATH,
                encode_double_quoted_attribute(&link.t),
            ),
        ),
        Ok(Subscription { masked_email, .. }) => done(&masked_email),
        Err(err) => refused(&err),
    }
}

pub async fn apply(State(app): State<AppState>, Query(link): Query<Link>) -> Response {
    match unsubscribe::unsubscribe(&app, &link.t).await {
        Ok(Subscription { masked_email, .. }) => done(&masked_email),
        Err(err) => refused(&err),
    }
}

fn done(masked_email: &str) -> Response {
    page(
        StatusCode::OK,
        "You are unsubscribed",
        &format!(
            "<p data-testid=\"unsubscribed\">No more product updates go to {}. You can turn them on again on your <a href=\"/account\">account page</a>.</p>",
            encode_text(masked_email)
        ),
    )
}

fn refused(err: &Error) -> Response {
    let status = match err.kind() {
        services::ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    let message = if status == StatusCode::BAD_REQUEST {
        err.to_string()
    } else {
        tracing::warn!(error = %err, "unsubscribe failed");
        "Something went wrong on our side and nothing was changed. Please try again in a minute."
            .to_string()
    };
    page(
        status,
        "This link did not work",
        &format!(
            "<p class=\"form-error\" role=\"alert\">{}</p>",
            encode_text(&message)
        ),
    )
}
