//! The mails about payments that need the account's new balance: a receipt per granted pack and
//! per paid plan month, and the account page's address that they (and the portal) link to.

use chrono::{DateTime, Utc};
use entity::users;
use sea_orm::ConnectionTrait;

use super::money;
use crate::config::BillingConfig;
use crate::credits::ledger;
use crate::mail::templates;
use crate::{AppState, Error};

/// The account page's credits section, where payment mails and Stripe's portal lead back to.
pub fn credits_page(app: &AppState) -> String {
    format!(
        "{}/account#credits",
        app.config.public_url.trim_end_matches('/')
    )
}

/// What one payment granted, for its receipt.
pub struct Paid<'a> {
    /// What was bought ("100 credits", "Pro (a month)").
    pub item: &'a str,
    /// Hundredths of a credit granted.
    pub granted: i64,
    /// What Stripe charged, in the currency's smallest unit, and the currency.
    pub amount: Option<(i64, &'a str)>,
    /// Stripe's reference (the checkout session or the invoice).
    pub reference: &'a str,
    /// Stripe's page for the invoice, where there is one.
    pub invoice_url: Option<&'a str>,
}

/// Queues `user`'s receipt for `paid`, with the balance after it, in the transaction that
/// granted it (so a payment's credits and its receipt commit together).
pub async fn queue(
    app: &AppState,
    txn: &impl ConnectionTrait,
    billing: &BillingConfig,
    user: &users::Model,
    paid: &Paid<'_>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let balance = ledger::balance(txn, user.id, billing.free_credits, now).await?;
    let amount = paid
        .amount
        .and_then(|(minor, currency)| money::amount(minor, currency));
    let mail = templates::receipt(
        &user.email,
        &user.name,
        &templates::Receipt {
            item: paid.item,
            credits: &money::phrase(paid.granted),
            amount: amount.as_deref(),
            date: &now.format("%Y-%m-%d %H:%M UTC").to_string(),
            reference: paid.reference,
            balance: &money::phrase(balance.total()),
            invoice_url: paid.invoice_url,
        },
        &credits_page(app),
    );
    crate::mail::queue(app, txn, Some(user.id), &mail).await?;
    Ok(())
}
