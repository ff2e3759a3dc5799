//! Credits and payments in the web app (issue 18): what the pricing page, the page Stripe's
//! checkout returns to and the account page's credits section show, and the server functions
//! behind them. Buying itself is an ordinary form post to `/billing/checkout` (the server sends the
//! browser on to Stripe's hosted page); credits are granted only by Stripe's signed webhook.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;
#[cfg(feature = "ssr")]
use crate::account::ssr::{answer, app_state, session, signed_in, stamp};

/// One pack for sale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackView {
    pub id: String,
    pub name: String,
    /// The price as the operator writes it (`€9`).
    pub price: String,
    /// Credits it grants (`100 credits`, `1 credit`).
    pub credits: String,
}

/// What the pricing page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricingView {
    /// Payments are configured on this server.
    pub payments: bool,
    pub signed_in: bool,
    /// Credits every account gets free each month.
    pub free_monthly: String,
    pub packs: Vec<PackView>,
    /// Monthly plans (`price` says "a month"; `credits` are each month's).
    pub plans: Vec<PackView>,
    /// The signed-in account's plan, by name, while it lasts.
    pub current_plan: Option<String>,
    /// Why the last purchase did not start, or that it was cancelled.
    pub notice: Option<String>,
}

/// One row of the account's credit history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerRowView {
    pub at: String,
    /// `grant`, `charge`, `refund`, `expiry`, `adjustment`.
    pub kind: String,
    /// What caused it, in words.
    pub what: String,
    /// Signed, as people write it (`+100`, `-0.25`).
    pub amount: String,
    pub balance: String,
}

/// The account's credits (payments on).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditsView {
    pub total: String,
    pub free: String,
    pub subscription: String,
    pub payg: String,
    pub free_monthly: String,
    /// The account's plan while it lasts: its name and Stripe's state (`active`, `past_due`).
    pub plan: Option<(String, String)>,
    pub history: Vec<LedgerRowView>,
}

/// One of the plan's invoices at Stripe.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceView {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `EUR 29.00`, when Stripe said.
    pub amount: Option<String>,
    /// Stripe's state: `paid`, `open`, …
    pub status: String,
    /// Stripe's page for it.
    pub url: Option<String>,
}

/// What the page after Stripe's checkout says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutView {
    /// Credits this checkout granted (`10 credits`), once Stripe confirmed it; `None` while not
    /// (yet).
    pub granted: Option<String>,
    /// The plan this checkout started, once Stripe confirmed it.
    pub subscribed: Option<String>,
    /// The account's balance (`10 credits`).
    pub balance: String,
}

/// Rows of history the account page shows.
#[cfg(feature = "ssr")]
const HISTORY_ROWS: u64 = 50;

#[cfg(feature = "ssr")]
fn what(source: &str, kind: &str) -> String {
    match (source, kind) {
        ("stripe_checkout", _) => "Credit pack bought".into(),
        ("stripe_invoice", "grant") => "Plan: this month's credits".into(),
        ("stripe_invoice", _) => "Plan: last month's credits lapsed".into(),
        ("allowance", "grant") => "Free monthly credits".into(),
        ("allowance", _) => "Unused free credits lapsed".into(),
        ("api", "charge") => "API call".into(),
        ("api", "refund") => "API call failed: refunded".into(),
        (_, kind) => kind.to_string(),
    }
}

/// The packs for sale; `error` / `cancelled` are the pricing page's query, sent back by the
/// checkout route or by Stripe.
#[server(prefix = "/_app", endpoint = "pricing_overview", input = server_fn::codec::GetUrl)]
pub async fn pricing_overview(
    error: Option<String>,
    cancelled: Option<String>,
) -> Result<PricingView, AppError> {
    answer! {
        use services::billing::{checkout, money};
        let app = app_state()?;
        let user = services::sessions::current_user(&app, &session().await?).await.ok().flatten();
        let signed_in = user.is_some();
        let notice = match (error.as_deref(), cancelled.as_deref()) {
            (Some(code), _) => checkout::refusal(code).map(str::to_string),
            (None, Some(_)) => Some("The checkout was cancelled: nothing was charged.".to_string()),
            (None, None) => None,
        };
        let Some(billing) = &app.config.billing else {
            return Ok(PricingView { payments: false, signed_in, free_monthly: "0".into(), packs: vec![], plans: vec![], current_plan: None, notice });
        };
        let view = |list: &[services::billing::products::Pack]| -> Vec<PackView> {
            list.iter()
                .map(|pack| PackView {
                    id: pack.id.clone(),
                    name: pack.name.clone(),
                    price: pack.shown_price.clone(),
                    credits: money::phrase(pack.hundredths),
                })
                .collect()
        };
        let current_plan = match &user {
            Some(user) => services::billing::plans::current(&app, user.id)
                .await?
                .map(|row| services::billing::plans::name(&app, &row.plan)),
            None => None,
        };
        Ok(PricingView {
            payments: true,
            signed_in,
            free_monthly: services::credits::as_credits(billing.free_credits).to_string(),
            packs: view(&billing.products.packs),
            plans: view(&billing.products.plans),
            current_plan,
            notice,
        })
    }
}

/// The signed-in account's credits and their history; `None` when payments are off.
#[server(prefix = "/_app", endpoint = "credits_overview", input = server_fn::codec::GetUrl)]
pub async fn credits_overview() -> Result<Option<CreditsView>, AppError> {
    answer! {
        let credits = |hundredths: i64| services::credits::as_credits(hundredths).to_string();
        let (app, _, user) = signed_in().await?;
        let Some(balance) = services::credits::balance_of(&app, user.id).await? else {
            return Ok(None);
        };
        let free_monthly = app.config.billing.as_ref().map_or(0, |b| b.free_credits);
        let history = services::credits::ledger::history(&app.db, user.id, HISTORY_ROWS)
            .await?
            .into_iter()
            .map(|row| LedgerRowView {
                at: stamp(row.created_at),
                what: what(&row.source, &row.kind),
                kind: row.kind,
                amount: if row.amount > 0 { format!("+{}", credits(row.amount)) } else { credits(row.amount) },
                balance: credits(row.balance_after),
            })
            .collect();
        let plan = services::billing::plans::current(&app, user.id)
            .await?
            .map(|row| (services::billing::plans::name(&app, &row.plan), row.status));
        Ok(Some(CreditsView {
            plan,
            total: credits(balance.total()),
            free: credits(balance.free),
            subscription: credits(balance.subscription),
            payg: credits(balance.payg),
            free_monthly: credits(free_monthly),
            history,
        }))
    }
}

/// Whether Stripe has confirmed checkout `session_id` (our ledger says; the id alone grants nothing).
#[server(prefix = "/_app", endpoint = "checkout_outcome", input = server_fn::codec::GetUrl)]
pub async fn checkout_outcome(session_id: String) -> Result<CheckoutView, AppError> {
    answer! {
        use services::billing::{checkout, money};
        let (app, _, user) = signed_in().await?;
        let (granted, subscribed) = match checkout::outcome(&app, user.id, &session_id).await? {
            checkout::Outcome::Granted(hundredths) => (Some(money::phrase(hundredths)), None),
            checkout::Outcome::Subscribed(plan) => (None, Some(plan)),
            checkout::Outcome::Pending => (None, None),
        };
        let balance = services::credits::balance_of(&app, user.id)
            .await?
            .map_or(0, |balance| balance.total());
        Ok(CheckoutView { granted, subscribed, balance: money::phrase(balance) })
    }
}

/// The signed-in account's plan invoices, read from Stripe (none without a plan).
#[server(prefix = "/_app", endpoint = "invoices_overview", input = server_fn::codec::GetUrl)]
pub async fn invoices_overview() -> Result<Vec<InvoiceView>, AppError> {
    answer! {
        use services::billing::{money, plans};
        let (app, _, user) = signed_in().await?;
        if app.config.billing.is_none() {
            return Ok(Vec::new());
        }
        Ok(plans::invoices(&app, user.id)
            .await?
            .into_iter()
            .map(|invoice| InvoiceView {
                date: chrono::DateTime::from_timestamp(invoice.created, 0)
                    .map(|at| at.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                amount: invoice
                    .amount_paid
                    .zip(invoice.currency.as_deref())
                    .and_then(|(minor, currency)| money::amount(minor, currency)),
                status: invoice.status.unwrap_or_default(),
                url: invoice
                    .hosted_invoice_url
                    .filter(|url| url.starts_with("https://") || url.starts_with("http://")),
            })
            .collect())
    }
}
