//! Buying a credit pack or starting a monthly plan: a Stripe Checkout session (Stripe's hosted page
//! takes the card; imgigo never sees it) and, afterwards, what became of it. The session carries
//! the account (`client_reference_id`) and the pack or plan (`metadata.pack` / `metadata.plan`);
//! credits are granted only when Stripe's signed webhook says it was paid ([`super::events`]), never
//! because a browser came back to the success page.

use entity::{credit_ledger, users};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use stripe_checkout::CheckoutSessionMode;
use stripe_checkout::checkout_session::{CreateCheckoutSession, CreateCheckoutSessionLineItems};

use super::stripe_api as client;
use crate::config::BillingConfig;
use crate::{AppState, Error, ErrorKind};

/// The ledger's `source` of a pack bought through Checkout.
pub const SOURCE: &str = "stripe_checkout";

/// Longest Checkout session id accepted from a browser (Stripe's are about 66 characters).
const MAX_SESSION_ID: usize = 255;

/// Why a purchase was refused, by the code the pricing page is sent back with
/// (`/pricing?error=<code>`); `None` for a code of no refusal.
pub fn refusal(code: &str) -> Option<&'static str> {
    Some(match code {
        "payments_off" => "Payments are off on this server: nothing can be bought here.",
        "unknown_pack" => {
            "That pack is not for sale (any more). Please choose one from the pricing page."
        }
        "restricted" => {
            "Your account's processing is restricted, so nothing can be bought with it. Lift the restriction on your account page first."
        }
        "unknown_plan" => {
            "That plan is not offered (any more). Please choose one from the pricing page."
        }
        "has_plan" => {
            "You already have a plan. Change or cancel it with \"Manage your plan\" on your account page."
        }
        "no_plan" => "You have no plan to manage yet: choose one on the pricing page.",
        "payments_unavailable" => super::stripe_api::UNAVAILABLE,
        _ => return None,
    })
}

pub(super) fn refused(kind: ErrorKind, code: &'static str) -> Error {
    Error::Coded {
        kind,
        code,
        message: refusal(code).unwrap_or_default().into(),
    }
}

fn payments_off() -> Error {
    refused(ErrorKind::NotFound, "payments_off")
}

/// The payment settings, or the error that says payments are off.
pub fn billing(app: &AppState) -> Result<&BillingConfig, Error> {
    app.config.billing.as_ref().ok_or_else(payments_off)
}

/// Starts the purchase of pack `pack_id` for `user`: returns the address of Stripe's checkout page.
pub async fn start_pack(
    app: &AppState,
    user: &users::Model,
    pack_id: &str,
) -> Result<String, Error> {
    let billing = billing(app)?;
    let Some(pack) = billing.products.pack(pack_id) else {
        return Err(refused(ErrorKind::BadRequest, "unknown_pack"));
    };
    start(
        app,
        billing,
        user,
        CheckoutSessionMode::Payment,
        "pack",
        pack,
    )
    .await
}

/// Starts monthly plan `plan_id` for `user` (one plan at a time): the checkout page's address.
pub async fn start_plan(
    app: &AppState,
    user: &users::Model,
    plan_id: &str,
) -> Result<String, Error> {
    let billing = billing(app)?;
    let Some(plan) = billing.products.plan(plan_id) else {
        return Err(refused(ErrorKind::BadRequest, "unknown_plan"));
    };
    if super::plans::current(app, user.id).await?.is_some() {
        return Err(refused(ErrorKind::Conflict, "has_plan"));
    }
    start(
        app,
        billing,
        user,
        CheckoutSessionMode::Subscription,
        "plan",
        plan,
    )
    .await
}

/// A Checkout session for `item` (a pack, or a plan's monthly price), named in the metadata under
/// `key`; Stripe's page address.
async fn start(
    app: &AppState,
    billing: &BillingConfig,
    user: &users::Model,
    mode: CheckoutSessionMode,
    key: &str,
    item: &super::products::Pack,
) -> Result<String, Error> {
    if user.restricted_at.is_some() {
        return Err(refused(ErrorKind::Forbidden, "restricted"));
    }
    let base = app.config.public_url.trim_end_matches('/');
    let request = CreateCheckoutSession::new()
        .mode(mode)
        .line_items(vec![CreateCheckoutSessionLineItems {
            price: Some(item.price.clone()),
            quantity: Some(1),
            ..CreateCheckoutSessionLineItems::new()
        }])
        .client_reference_id(user.id.to_string())
        .customer_email(user.email.clone())
        .metadata(std::collections::HashMap::from([(
            key.to_string(),
            item.id.clone(),
        )]))
        .success_url(format!("{base}/pricing?session_id={{CHECKOUT_SESSION_ID}}"))
        .cancel_url(format!("{base}/pricing?cancelled={}", item.id));
    let session = request
        .send(&client::client(billing)?)
        .await
        .map_err(|err| client::unavailable("create a checkout session", err))?;
    let Some(url) = session.url else {
        return Err(client::unavailable_because(
            "create a checkout session",
            "Stripe's answer had no checkout address",
        ));
    };
    tracing::info!(user_id = user.id, item = %item.id, "checkout started");
    Ok(url)
}

/// What the success page can say about a checkout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Stripe confirmed a pack: this many hundredths of a credit were granted.
    Granted(i64),
    /// Stripe confirmed a plan: its name (its credits come with each paid invoice).
    Subscribed(String),
    /// Not confirmed (yet): the webhook has not arrived, or it is someone else's session.
    Pending,
}

/// Whether the checkout `session_id` of `user_id` has been credited. Reads only our ledger: the id
/// from the browser's address bar is never trusted to grant anything.
pub async fn outcome(app: &AppState, user_id: i64, session_id: &str) -> Result<Outcome, Error> {
    billing(app)?;
    if session_id.is_empty() || session_id.len() > MAX_SESSION_ID {
        return Ok(Outcome::Pending);
    }
    let granted = credit_ledger::Entity::find()
        .filter(credit_ledger::Column::UserId.eq(user_id))
        .filter(credit_ledger::Column::Kind.eq(crate::credits::Kind::Grant.as_str()))
        .filter(credit_ledger::Column::Source.eq(SOURCE))
        .filter(credit_ledger::Column::SourceRef.eq(session_id))
        .one(&app.db)
        .await?;
    if let Some(row) = granted {
        return Ok(Outcome::Granted(row.amount));
    }
    let plan = entity::billing_subscriptions::Entity::find()
        .filter(entity::billing_subscriptions::Column::UserId.eq(user_id))
        .filter(entity::billing_subscriptions::Column::CheckoutId.eq(session_id))
        .one(&app.db)
        .await?;
    Ok(match plan {
        Some(row) => Outcome::Subscribed(super::plans::name(app, &row.plan)),
        None => Outcome::Pending,
    })
}
