//! `POST /billing/checkout`: the pricing page's "Buy" button, an ordinary form (it works without
//! the page's script). A signed-in person is sent on (303) to Stripe's hosted checkout page for the
//! chosen pack; anyone else to log in first. A refusal goes back to the pricing page, which says
//! why (`?error=<code>`): every redirect but the one to the checkout address Stripe gave us stays
//! on this site.

use axum::Form;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use services::sessions::{self, Session};
use services::{AppState, Error};

#[derive(Deserialize)]
pub struct CheckoutForm {
    pack: String,
}

/// The pricing page's reasons, by code (see `app::pages::pricing`).
fn back_to_pricing(code: &str) -> Response {
    no_store(Redirect::to(&format!("/pricing?error={code}")).into_response())
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub async fn checkout(State(app): State<AppState>, request: Request) -> Response {
    let session = request.extensions().get::<Session>().cloned();
    let form = match Form::<CheckoutForm>::from_request(request, &app).await {
        Ok(Form(form)) => form,
        Err(_) => return back_to_pricing("unknown_pack"),
    };
    let user = match session {
        Some(session) => match sessions::current_user(&app, &session).await {
            Ok(user) => user,
            Err(err) => {
                tracing::warn!(error = %err, "who is signed in could not be read");
                return back_to_pricing("payments_unavailable");
            }
        },
        None => None,
    };
    let Some(user) = user else {
        return no_store(Redirect::to("/login?next=%2Fpricing").into_response());
    };
    match services::billing::checkout::start_pack(&app, &user, &form.pack).await {
        Ok(url) => no_store(Redirect::to(&url).into_response()),
        Err(Error::Coded { code, .. }) => back_to_pricing(code),
        Err(err) => {
            tracing::warn!(error = %err, "a checkout could not be started");
            back_to_pricing("payments_unavailable")
        }
    }
}
