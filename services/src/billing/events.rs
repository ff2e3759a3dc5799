//! Stripe's webhook events, applied exactly once. A delivery is checked ([`super::signature`])
//! before its body is read; an event already applied (its id is recorded in `stripe_events`)
//! changes nothing; each grant is also unique by what caused it (the checkout's id), so a replay
//! under a new event id, or an event and its retry racing, grant once. Events arriving out of
//! order are harmless: a checkout grants when it is paid, whichever of its events says so first.
//! Events imgigo has no use for are acknowledged and recorded.
//!
//! Handled:
//! - `checkout.session.completed` and `checkout.session.async_payment_succeeded`, paid: for a credit
//!   pack (mode `payment`) the pack named in the session's metadata (`pack`, set when imgigo creates
//!   the session) grants its credits, from the operator's products file, to the account in
//!   `client_reference_id`, with a receipt by mail; for a plan (mode `subscription`) the
//!   subscription is remembered for that account ([`plans::subscribed`]).
//! - `invoice.paid` and `invoice.payment_succeeded` of a plan's subscription: the month's credits
//!   and a receipt ([`plans::invoice_paid`]); for a subscription not known yet, a 5xx, so Stripe
//!   delivers it again after the checkout's event.
//! - `invoice.payment_failed`: the plan is `past_due`, and a mail says what to do.
//! - `customer.subscription.updated`: a plan changed in Stripe's portal (its price names another
//!   plan of the products file) or its state changed.
//! - `customer.subscription.deleted`: the plan has ended, and a mail says so.

use std::collections::HashMap;

use entity::{stripe_events, users};
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set};
use serde::Deserialize;

use super::{checkout, plans, receipts, signature};
use crate::config::BillingConfig;
use crate::credits::{Bucket, ledger};
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
    customer: Option<String>,
    subscription: Option<String>,
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
        // Stripe sends both for a paid invoice; the invoice id makes the second change nothing.
        "invoice.paid" | "invoice.payment_succeeded" => {
            let invoice = invoice(event.data.object)?;
            match invoice.subscription() {
                Some(subscription) => {
                    let paid = plans::PaidInvoice {
                        id: &invoice.id,
                        subscription,
                        amount: invoice.amount_paid.zip(invoice.currency.as_deref()),
                        url: invoice.hosted_invoice_url.as_deref(),
                    };
                    applied(plans::invoice_paid(app, &paid).await?)
                }
                None => Outcome::Ignored,
            }
        }
        "invoice.payment_failed" => {
            let invoice = invoice(event.data.object)?;
            match invoice.subscription() {
                Some(subscription) => applied(
                    plans::invoice_failed(app, subscription, invoice.hosted_invoice_url.as_deref())
                        .await?,
                ),
                None => Outcome::Ignored,
            }
        }
        "customer.subscription.deleted" => {
            let subscription: Subscription = serde_json::from_value(event.data.object)
                .map_err(|_| Error::BadRequest("Refused: not a subscription.".into()))?;
            applied(plans::ended(app, &subscription.id).await?)
        }
        // A plan changed in Stripe's portal: the next invoices grant the new plan's credits.
        "customer.subscription.updated" => {
            let subscription: Subscription = serde_json::from_value(event.data.object)
                .map_err(|_| Error::BadRequest("Refused: not a subscription.".into()))?;
            let price = subscription.price();
            let plan = price.and_then(|price| {
                billing
                    .products
                    .plans
                    .iter()
                    .find(|plan| plan.price == price)
            });
            applied(
                plans::updated(
                    app,
                    &subscription.id,
                    plan.map(|plan| plan.id.as_str()),
                    subscription.status.as_deref(),
                )
                .await?,
            )
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

fn applied(changed: bool) -> Outcome {
    if changed {
        Outcome::Applied
    } else {
        Outcome::Ignored
    }
}

#[derive(Deserialize)]
struct Subscription {
    id: String,
    status: Option<String>,
    items: Option<SubscriptionItems>,
}

#[derive(Deserialize)]
struct SubscriptionItems {
    data: Vec<SubscriptionItem>,
}

#[derive(Deserialize)]
struct SubscriptionItem {
    price: Option<IdOnly>,
    plan: Option<IdOnly>,
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

impl Subscription {
    /// The price of its first item (imgigo's plans have one), `price` or, in older API versions,
    /// `plan`.
    fn price(&self) -> Option<&str> {
        let item = self.items.as_ref()?.data.first()?;
        item.price
            .as_ref()
            .or(item.plan.as_ref())
            .map(|id| id.id.as_str())
    }
}

/// The fields of an invoice imgigo reads. Its subscription is `subscription` in older API
/// versions and `parent.subscription_details.subscription` in newer ones.
#[derive(Deserialize)]
struct Invoice {
    id: String,
    subscription: Option<String>,
    parent: Option<InvoiceParent>,
    amount_paid: Option<i64>,
    currency: Option<String>,
    hosted_invoice_url: Option<String>,
}

#[derive(Deserialize)]
struct InvoiceParent {
    subscription_details: Option<SubscriptionDetails>,
}

#[derive(Deserialize)]
struct SubscriptionDetails {
    subscription: Option<String>,
}

impl Invoice {
    fn subscription(&self) -> Option<&str> {
        self.subscription
            .as_deref()
            .or_else(|| {
                self.parent
                    .as_ref()?
                    .subscription_details
                    .as_ref()?
                    .subscription
                    .as_deref()
            })
            .filter(|id| !id.is_empty() && id.len() <= 255)
    }
}

fn invoice(object: serde_json::Value) -> Result<Invoice, Error> {
    let invoice: Invoice = serde_json::from_value(object)
        .map_err(|_| Error::BadRequest("Refused: not an invoice.".into()))?;
    if invoice.id.is_empty() || invoice.id.len() > 255 {
        return Err(Error::BadRequest("Refused: not an invoice.".into()));
    }
    Ok(invoice)
}

/// A paid checkout: a credit pack grants its credits; a plan's is remembered for its invoices.
async fn checkout(
    app: &AppState,
    billing: &BillingConfig,
    object: serde_json::Value,
) -> Result<Outcome, Error> {
    let session: CheckoutSession = serde_json::from_value(object)
        .map_err(|_| Error::BadRequest("Refused: not a checkout session.".into()))?;
    let subscription = session.mode.as_deref() == Some("subscription");
    if !(subscription || session.mode.as_deref() == Some("payment"))
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
    if subscription {
        return subscribed(app, billing, user_id, &session).await;
    }
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
    // The credits and their receipt commit together; a replayed event grants nothing and mails
    // nothing.
    crate::db::write_transaction(&app.db, async |txn| {
        let granted = ledger::grant_in(
            txn,
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
            if let (Some(minor), Some(currency)) =
                (session.amount_total, session.currency.as_deref())
            {
                ledger::record_payment(
                    txn,
                    user_id,
                    checkout::SOURCE,
                    &session.id,
                    minor,
                    currency,
                )
                .await?;
            }
            let paid = receipts::Paid {
                item: &pack.name,
                granted: pack.hundredths,
                amount: session.amount_total.zip(session.currency.as_deref()),
                reference: &session.id,
                invoice_url: None,
            };
            receipts::queue(app, txn, billing, &user, &paid, now).await?;
        }
        Ok(())
    })
    .await?;
    app.outbox.wake(app);
    Ok(Outcome::Applied)
}

/// A paid plan checkout: the subscription is remembered for the account; the credits come with
/// its invoice.
async fn subscribed(
    app: &AppState,
    billing: &BillingConfig,
    user_id: i64,
    session: &CheckoutSession,
) -> Result<Outcome, Error> {
    let plan = session
        .metadata
        .get("plan")
        .map(String::as_str)
        .unwrap_or_default();
    if billing.products.plan(plan).is_none() {
        return Err(Error::Internal(format!(
            "checkout {} started plan {plan:?}, which the products file no longer lists",
            session.id
        )));
    }
    let (Some(subscription), Some(customer)) = (&session.subscription, &session.customer) else {
        return Err(Error::BadRequest(
            "Refused: a subscription checkout without its subscription or customer.".into(),
        ));
    };
    if subscription.len() > 255 || customer.len() > 255 || session.id.len() > 255 {
        return Err(Error::BadRequest("Refused: not a checkout session.".into()));
    }
    if users::Entity::find_by_id(user_id)
        .one(&app.db)
        .await?
        .is_none()
    {
        tracing::warn!(session = %session.id, "a plan checkout for an account deleted since");
        return Ok(Outcome::Ignored);
    }
    plans::subscribed(app, user_id, plan, subscription, customer, &session.id).await?;
    Ok(Outcome::Applied)
}
