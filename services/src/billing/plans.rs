//! Monthly plans: the subscriptions accounts started through Checkout (`billing_subscriptions`),
//! what Stripe's events do to them, the billing portal where a person changes or cancels one, and
//! cancelling at Stripe when an account is deleted.
//!
//! A plan's credits come with each paid invoice (`invoice.paid`, or `invoice.payment_succeeded`
//! which Stripe sends beside it): what was left of the previous month lapses and the plan's
//! monthly credits are granted, once per invoice ([`crate::credits::ledger::renew`]). An invoice
//! for a subscription imgigo does not know yet (its checkout's event not applied yet) is an error,
//! answered 5xx, so Stripe delivers it again later.

use entity::billing_subscriptions as subscriptions;
use entity::users;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use stripe_billing::billing_portal_session::CreateBillingPortalSession;

use super::checkout::{billing, refused};
use super::{receipts, stripe_api as client};
use crate::credits::ledger;
use crate::mail::templates;
use crate::{AppState, Error, ErrorKind};

/// The ledger's `source` of a plan's month (the reference is Stripe's invoice id).
pub const SOURCE: &str = "stripe_invoice";

/// States in which a subscription still is the account's plan (Stripe's names).
const LIVE: &[&str] = &["active", "trialing", "past_due", "incomplete", "unpaid"];

/// The plan's name in the products file, or its id when the operator removed it since.
pub fn name(app: &AppState, plan: &str) -> String {
    app.config
        .billing
        .as_ref()
        .and_then(|billing| billing.products.plan(plan))
        .map_or_else(|| plan.to_string(), |plan| plan.name.clone())
}

/// The account's plan while it lasts: its newest subscription not cancelled.
pub async fn current(app: &AppState, user_id: i64) -> Result<Option<subscriptions::Model>, Error> {
    Ok(subscriptions::Entity::find()
        .filter(subscriptions::Column::UserId.eq(user_id))
        .filter(subscriptions::Column::Status.is_in(LIVE.iter().copied()))
        .order_by_desc(subscriptions::Column::CreatedAt)
        .one(&app.db)
        .await?)
}

/// A paid subscription checkout: remembers the subscription for the account (its credits come
/// with the invoice). Applying it again changes nothing.
pub async fn subscribed(
    app: &AppState,
    user_id: i64,
    plan: &str,
    subscription: &str,
    customer: &str,
    checkout: &str,
) -> Result<(), Error> {
    let now = app.clock.now();
    subscriptions::Entity::insert(subscriptions::ActiveModel {
        id: Set(subscription.to_string()),
        user_id: Set(user_id),
        customer_id: Set(customer.to_string()),
        checkout_id: Set(checkout.to_string()),
        plan: Set(plan.to_string()),
        status: Set("active".into()),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(subscriptions::Column::Id)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&app.db)
    .await?;
    tracing::info!(user_id, plan, "plan started");
    Ok(())
}

/// What a paid invoice says.
pub struct PaidInvoice<'a> {
    pub id: &'a str,
    pub subscription: &'a str,
    /// What was charged, in the currency's smallest unit, and the currency.
    pub amount: Option<(i64, &'a str)>,
    /// Stripe's page for the invoice (and its receipt).
    pub url: Option<&'a str>,
}

/// A plan's invoice was paid: the month's credits, and a receipt. `false` when it was applied
/// before (nothing granted, nothing mailed).
pub async fn invoice_paid(app: &AppState, invoice: &PaidInvoice<'_>) -> Result<bool, Error> {
    let billing = billing(app)?;
    let Some(row) = find(app, invoice.subscription).await? else {
        // Its checkout's event has not been applied yet (events arrive in any order), or the
        // account was deleted after cancelling. Failing makes Stripe deliver it again later.
        return Err(Error::Internal(format!(
            "invoice {} is for subscription {}, which no account has (yet)",
            invoice.id, invoice.subscription
        )));
    };
    let Some(plan) = billing.products.plan(&row.plan) else {
        return Err(Error::Internal(format!(
            "invoice {} is for plan {:?}, which the products file no longer lists",
            invoice.id, row.plan
        )));
    };
    let now = app.clock.now();
    let user = users::Entity::find_by_id(row.user_id).one(&app.db).await?;
    // The month's credits, the plan's state and the receipt commit together.
    let renewed = crate::db::write_transaction(&app.db, async |txn| {
        let renewed = ledger::renew_in(
            txn,
            row.user_id,
            plan.hundredths,
            SOURCE,
            invoice.id,
            billing.free_credits,
            now,
        )
        .await?;
        change(app, txn, &row, None, Some("active")).await?;
        if renewed && let Some((minor, currency)) = invoice.amount {
            ledger::record_payment(txn, row.user_id, SOURCE, invoice.id, minor, currency).await?;
        }
        if renewed && let Some(user) = &user {
            let paid = receipts::Paid {
                item: &format!("{} (a month)", plan.name),
                granted: plan.hundredths,
                amount: invoice.amount,
                reference: invoice.id,
                invoice_url: invoice.url,
            };
            receipts::queue(app, txn, billing, user, &paid, now).await?;
        }
        Ok(renewed)
    })
    .await?;
    app.outbox.wake(app);
    Ok(renewed)
}

/// A plan's invoice could not be paid: the plan is `past_due` and the person is told how to fix it.
pub async fn invoice_failed(
    app: &AppState,
    subscription: &str,
    url: Option<&str>,
) -> Result<bool, Error> {
    let Some(row) = find(app, subscription).await? else {
        return Ok(false);
    };
    crate::db::transaction(&app.db, async |txn| {
        change(app, txn, &row, None, Some("past_due")).await?;
        if let Some(user) = users::Entity::find_by_id(row.user_id).one(txn).await? {
            let mail = templates::plan_payment_failed(
                &user.email,
                &user.name,
                &name(app, &row.plan),
                url,
                &receipts::credits_page(app),
            );
            crate::mail::queue(app, txn, Some(user.id), &mail).await?;
        }
        Ok(())
    })
    .await?;
    app.outbox.wake(app);
    Ok(true)
}

/// The subscription ended at Stripe (cancelled in the portal, or unpaid for too long).
pub async fn ended(app: &AppState, subscription: &str) -> Result<bool, Error> {
    let Some(row) = find(app, subscription).await? else {
        return Ok(false);
    };
    let ended = crate::db::transaction(&app.db, async |txn| {
        if !change(app, txn, &row, None, Some("canceled")).await? {
            return Ok(false);
        }
        if let Some(user) = users::Entity::find_by_id(row.user_id).one(txn).await? {
            let mail = templates::plan_cancelled(&user.email, &user.name, &name(app, &row.plan));
            crate::mail::queue(app, txn, Some(user.id), &mail).await?;
        }
        Ok(true)
    })
    .await?;
    if ended {
        app.outbox.wake(app);
    }
    Ok(ended)
}

/// A subscription changed at Stripe: its plan (when its price is one of the products file's
/// plans) and its state. `false` when it is not one of ours or nothing changed.
pub async fn updated(
    app: &AppState,
    subscription: &str,
    plan: Option<&str>,
    status: Option<&str>,
) -> Result<bool, Error> {
    let Some(row) = find(app, subscription).await? else {
        return Ok(false);
    };
    change(
        app,
        &app.db,
        &row,
        plan,
        status.filter(|status| status.len() <= 32),
    )
    .await
}

async fn find(app: &AppState, subscription: &str) -> Result<Option<subscriptions::Model>, Error> {
    Ok(subscriptions::Entity::find_by_id(subscription.to_string())
        .one(&app.db)
        .await?)
}

/// Sets the row's plan and state where they differ (an ended plan keeps its state); whether
/// anything changed.
async fn change(
    app: &AppState,
    db: &impl ConnectionTrait,
    row: &subscriptions::Model,
    plan: Option<&str>,
    status: Option<&str>,
) -> Result<bool, Error> {
    let plan = plan.filter(|plan| *plan != row.plan);
    let status = status.filter(|status| *status != row.status && row.status != "canceled");
    if plan.is_none() && status.is_none() {
        return Ok(false);
    }
    let mut active: subscriptions::ActiveModel = row.clone().into();
    if let Some(plan) = plan {
        tracing::info!(user_id = row.user_id, plan, "plan changed");
        active.plan = Set(plan.to_string());
    }
    if let Some(status) = status {
        active.status = Set(status.to_string());
    }
    active.updated_at = Set(app.clock.now());
    active.update(db).await?;
    Ok(true)
}

/// The address of Stripe's billing portal for `user`'s plan (change the card, the plan, cancel).
pub async fn portal(app: &AppState, user: &users::Model) -> Result<String, Error> {
    let billing = billing(app)?;
    let Some(plan) = current(app, user.id).await? else {
        return Err(refused(ErrorKind::NotFound, "no_plan"));
    };
    let session = CreateBillingPortalSession::new()
        .customer(plan.customer_id)
        .return_url(receipts::credits_page(app))
        .send(&client::client(billing)?)
        .await
        .map_err(|err| client::unavailable("open the billing portal", err))?;
    Ok(session.url)
}

/// Cancels every plan of `user_id` at Stripe at once (the account is being deleted: nothing more
/// may be charged). Fails, and the caller deletes nothing, while Stripe cannot be reached.
pub async fn cancel_all(app: &AppState, user_id: i64) -> Result<usize, Error> {
    let live = subscriptions::Entity::find()
        .filter(subscriptions::Column::UserId.eq(user_id))
        .filter(subscriptions::Column::Status.is_in(LIVE.iter().copied()))
        .all(&app.db)
        .await?;
    if live.is_empty() {
        return Ok(0);
    }
    let Some(billing) = &app.config.billing else {
        // Payments were switched off since: Stripe cannot be told, and the operator must.
        return Err(Error::Coded {
            kind: ErrorKind::Unavailable,
            code: "payments_off",
            message: "Your plan could not be cancelled because payments are switched off on this server, so nothing was deleted. Please write to the operator.".into(),
        });
    };
    let stripe = client::client(billing)?;
    for row in &live {
        client::cancel_subscription(&stripe, &row.id)
            .await
            .map_err(|err| {
                client::unavailable_saying(
                    "cancel a subscription",
                    err,
                    "Your plan could not be cancelled at Stripe just now, so nothing was deleted. Please try again in a few minutes.",
                )
            })?;
    }
    tracing::info!(
        user_id,
        cancelled = live.len(),
        "plans cancelled for a deleted account"
    );
    Ok(live.len())
}

/// Invoices shown on the account page, at most.
const INVOICES: u8 = 24;

/// The invoices of `user_id`'s plans, newest first, read from Stripe (imgigo keeps only their ids
/// in the ledger). Empty without a plan; an error while Stripe cannot be reached.
pub async fn invoices(app: &AppState, user_id: i64) -> Result<Vec<client::InvoiceSummary>, Error> {
    let billing = billing(app)?;
    let mut customers: Vec<String> = subscriptions::Entity::find()
        .filter(subscriptions::Column::UserId.eq(user_id))
        .all(&app.db)
        .await?
        .into_iter()
        .map(|row| row.customer_id)
        .collect();
    customers.sort();
    customers.dedup();
    if customers.is_empty() {
        return Ok(Vec::new());
    }
    let stripe = client::client(billing)?;
    let mut all = Vec::new();
    for customer in customers.iter().take(4) {
        let found = client::invoices(&stripe, customer, INVOICES)
            .await
            .map_err(|err| client::unavailable("list invoices", err))?;
        all.extend(found);
    }
    all.sort_by_key(|invoice| std::cmp::Reverse(invoice.created));
    all.truncate(INVOICES.into());
    Ok(all)
}
