//! The pricing and account pages' payment buttons, ordinary forms (they work without the page's
//! script): `POST /billing/checkout` (`pack=…` or `plan=…`) sends a signed-in person on (303) to
//! Stripe's hosted checkout page, `POST /billing/portal` to Stripe's billing portal for their plan;
//! anyone else is sent to log in first. A refusal goes back to the pricing page, which says why
//! (`?error=<code>`): every redirect but the ones to the addresses Stripe gave us stays on this
//! site.

use axum::Form;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use services::sessions::{self, Session};
use services::{AppState, Error};

#[derive(Deserialize)]
pub struct CheckoutForm {
    pack: Option<String>,
    plan: Option<String>,
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
    let user = match signed_in(&app, session).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let started = match (&form.pack, &form.plan) {
        (Some(pack), None) => services::billing::checkout::start_pack(&app, &user, pack).await,
        (None, Some(plan)) => services::billing::checkout::start_plan(&app, &user, plan).await,
        _ => return back_to_pricing("unknown_pack"),
    };
    went_to_stripe(started)
}

pub async fn portal(State(app): State<AppState>, request: Request) -> Response {
    let session = request.extensions().get::<Session>().cloned();
    let user = match signed_in(&app, session).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    went_to_stripe(services::billing::plans::portal(&app, &user).await)
}

/// Stripe's page, or back to the pricing page with the reason.
fn went_to_stripe(started: Result<String, Error>) -> Response {
    match started {
        Ok(url) => no_store(Redirect::to(&url).into_response()),
        Err(Error::Coded { code, .. }) => back_to_pricing(code),
        Err(err) => {
            tracing::warn!(error = %err, "a payment page could not be opened");
            back_to_pricing("payments_unavailable")
        }
    }
}

/// The signed-in account, or the answer that sends the browser to log in.
async fn signed_in(
    app: &AppState,
    session: Option<Session>,
) -> Result<services::sessions::CurrentUser, Response> {
    let user = match session {
        Some(session) => match sessions::current_user(app, &session).await {
            Ok(user) => user,
            Err(err) => {
                tracing::warn!(error = %err, "who is signed in could not be read");
                return Err(back_to_pricing("payments_unavailable"));
            }
        },
        None => None,
    };
    user.ok_or_else(|| no_store(Redirect::to("/login?next=%2Fpricing").into_response()))
}
