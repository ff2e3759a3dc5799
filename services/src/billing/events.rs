//! Stripe's webhook events, applied exactly once. A delivery is checked ([`super::signature`])
//! before its body is read; an event already applied (its id is recorded in `stripe_events`)
//! changes nothing; each grant is also unique by what caused it (the checkout's id), so a replay
//! under a new event id, or an event and its retry racing, grant once. Events arriving out of
//! order are harmless: a checkout grants when it is paid, whichever of its events says so first.
//! Events imgigo has no use for are acknowledged and recorded.
//!
//! Handled: `checkout.session.completed` and `checkout.session.async_payment_succeeded` for a
//! credit pack (mode `payment`, `payment_status` `paid`): the pack named in the session's metadata
//! (`pack`, set when imgigo creates the session) grants its credits, from the operator's products
//! file, to the account in `client_reference_id`.

use std::collections::HashMap;

use entity::{stripe_events, users};
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set};
use serde::Deserialize;

use super::{checkout, money, signature};
use crate::config::BillingConfig;
use crate::credits::{Bucket, ledger};
use crate::mail::templates;
use crate::{AppState, Error};

/// A webhook body larger than this is refused (Stripe's events are a few kilobytes).
pub const MAX_BODY: usize = 256 * 1024;

/// What a delivery did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Credits were granted (or had been, for this checkout, under another event).
    Applied,
    /// This event id was applied before.
    Repeated,
    /// Nothing to do for this event (its type, or a checkout not paid yet).
    Ignored,
}

#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    object: serde_json::Value,
}

#[derive(Deserialize)]
struct CheckoutSession {
    id: String,
    mode: Option<String>,
    payment_status: Option<String>,
    client_reference_id: Option<String>,
    /// What was charged, in the currency's smallest unit.
    amount_total: Option<i64>,
    currency: Option<String>,
    #[serde(default)]
    metadata: HashMap<String, String>,
}

/// Checks and applies one delivery: `signature_header` is the `Stripe-Signature` value, `body`
/// the raw body. A refused signature or an unreadable body is a `BadRequest` (answered 400);
/// a failure to apply is an error Stripe sees as 5xx, so it delivers the event again later.
pub async fn receive(
    app: &AppState,
    billing: &BillingConfig,
    signature_header: &str,
    body: &[u8],
) -> Result<Outcome, Error> {
    let now = app.clock.now();
    signature::verify(signature_header, body, &billing.webhook_secrets, now)
        .map_err(|refused| Error::BadRequest(format!("Refused: {refused}.")))?;
    let event: Event = serde_json::from_slice(body)
        .map_err(|_| Error::BadRequest("Refused: the body is not a Stripe event.".into()))?;
    if event.id.is_empty() || event.id.len() > 255 || event.kind.len() > 128 {
        return Err(Error::BadRequest(
            "Refused: the body is not a Stripe event.".into(),
        ));
    }
    if stripe_events::Entity::find_by_id(event.id.clone())
        .one(&app.db)
        .await?
        .is_some()
    {
        return Ok(Outcome::Repeated);
    }
    let outcome = match event.kind.as_str() {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            checkout(app, billing, event.data.object).await?
        }
        _ => Outcome::Ignored,
    };
    // Recorded after the effect: a crash in between means Stripe delivers again, and the grant's
    // own uniqueness makes that harmless.
    stripe_events::Entity::insert(stripe_events::ActiveModel {
        id: Set(event.id),
        kind: Set(event.kind),
        received_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(stripe_events::Column::Id)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&app.db)
    .await?;
    Ok(outcome)
}

/// A paid checkout of a credit pack grants the pack's credits.
async fn checkout(
    app: &AppState,
    billing: &BillingConfig,
    object: serde_json::Value,
) -> Result<Outcome, Error> {
    let session: CheckoutSession = serde_json::from_value(object)
        .map_err(|_| Error::BadRequest("Refused: not a checkout session.".into()))?;
    if session.mode.as_deref() != Some("payment")
        || session.payment_status.as_deref() != Some("paid")
    {
        return Ok(Outcome::Ignored);
    }
    let Some(user_id) = session
        .client_reference_id
        .as_deref()
        .and_then(|id| id.parse::<i64>().ok())
    else {
        // Not a checkout imgigo made.
        tracing::warn!(session = %session.id, "a paid checkout without an imgigo account");
        return Ok(Outcome::Ignored);
    };
    let pack_id = session
        .metadata
        .get("pack")
        .map(String::as_str)
        .unwrap_or_default();
    let Some(pack) = billing.products.pack(pack_id) else {
        // The operator removed the pack after it was bought: never drop a paid credit silently.
        // Failing makes Stripe deliver again (for days) while the operator puts it back.
        return Err(Error::Internal(format!(
            "checkout {} paid for pack {pack_id:?}, which the products file no longer lists",
            session.id
        )));
    };
    let Some(user) = users::Entity::find_by_id(user_id).one(&app.db).await? else {
        tracing::warn!(session = %session.id, "a paid checkout for an account deleted since");
        return Ok(Outcome::Ignored);
    };
    let now = app.clock.now();
    let granted = ledger::grant(
        &app.db,
        user_id,
        Bucket::Payg,
        pack.hundredths,
        checkout::SOURCE,
        &session.id,
        billing.free_credits,
        now,
    )
    .await?;
    if granted {
        // One receipt per grant: a replayed event grants nothing and mails nothing.
        let balance = ledger::balance(&app.db, user_id, billing.free_credits, now).await?;
        let amount = match (session.amount_total, session.currency.as_deref()) {
            (Some(minor), Some(currency)) => money::amount(minor, currency),
            _ => None,
        };
        let account = format!(
            "{}/account#credits",
            app.config.public_url.trim_end_matches('/')
        );
        app.mailer.send_in_background(templates::receipt(
            &user.email,
            &user.name,
            &templates::Receipt {
                item: &pack.name,
                credits: &money::credits(pack.hundredths),
                amount: amount.as_deref(),
                date: &now.format("%Y-%m-%d %H:%M UTC").to_string(),
                reference: &session.id,
                balance: &money::credits(balance.total()),
            },
            &account,
        ));
    }
    Ok(Outcome::Applied)
}
