//! The one way imgigo talks to Stripe's API: async-stripe's client, pointed at
//! `IMGIGO_STRIPE_API_BASE` (Stripe's own address unless a test points it at a local stand-in),
//! with a time limit, and Stripe's failures turned into a sentence for the person. Nothing of a
//! failure's details (which may echo request data) reaches the person; the log gets its kind.

use std::time::Duration;

use stripe::{Client, ClientBuilder, StripeError};

use crate::Error;
use crate::config::BillingConfig;

/// How long one call to Stripe may take before the person is told to try again.
const TIMEOUT: Duration = Duration::from_secs(20);

/// A client for the configured account and address.
pub fn client(billing: &BillingConfig) -> Result<Client, Error> {
    // async-stripe appends `v1/…` to the base, which must end in a slash.
    let mut base = billing.api_base.trim_end_matches('/').to_string();
    base.push('/');
    ClientBuilder::new(billing.secret_key.clone())
        .url(base)
        .timeout(TIMEOUT)
        .build()
        .map_err(|err| unavailable("set up the Stripe client", err))
}

/// Cancels subscription `id` at once (`DELETE /v1/subscriptions/{id}`). Sent as a plain request
/// and its answer not read beyond success: the full subscription object is large and only the
/// success matters here.
pub async fn cancel_subscription(client: &Client, id: &str) -> Result<(), StripeError> {
    use stripe_client_core::{RequestBuilder, StripeMethod};
    let path = format!(
        "/subscriptions/{}",
        url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>()
    );
    RequestBuilder::new(StripeMethod::Delete, path)
        .customize::<miniserde::json::Value>()
        .send(client)
        .await
        .map(drop)
}

/// One of a customer's invoices, as the account page lists it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct InvoiceSummary {
    pub id: String,
    /// Unix seconds.
    pub created: i64,
    pub status: Option<String>,
    /// In the currency's smallest unit.
    pub amount_paid: Option<i64>,
    pub currency: Option<String>,
    /// Stripe's page for it (and its PDF and receipt), where Stripe made one.
    pub hosted_invoice_url: Option<String>,
}

/// The newest (at most `limit`, 1 to 100) invoices of `customer` (`GET /v1/invoices`). Read as
/// plain JSON, only the fields above: Stripe's full invoice object is large and changes often.
pub async fn invoices(
    client: &Client,
    customer: &str,
    limit: u8,
) -> Result<Vec<InvoiceSummary>, StripeError> {
    use stripe_client_core::{RequestBuilder, StripeMethod};
    #[derive(serde::Serialize)]
    struct Query<'a> {
        customer: &'a str,
        limit: u8,
    }
    #[derive(serde::Deserialize)]
    struct List {
        data: Vec<InvoiceSummary>,
    }
    let answer = RequestBuilder::new(StripeMethod::Get, "/invoices")
        .query(&Query {
            customer,
            limit: limit.clamp(1, 100),
        })
        .customize::<miniserde::json::Value>()
        .send(client)
        .await?;
    let list: List = serde_json::from_str(&miniserde::json::to_string(&answer))
        .map_err(|err| StripeError::JSONDeserialize(err.to_string()))?;
    Ok(list.data)
}

/// What the person is told when Stripe could not be used.
pub const UNAVAILABLE: &str = "Payments are unavailable right now and nothing was charged. Please try again in a few minutes.";

/// A failed call to Stripe, as the person is told it (503: nothing happened, try again).
pub fn unavailable(what: &str, err: StripeError) -> Error {
    unavailable_saying(what, err, UNAVAILABLE)
}

/// As [`unavailable`], with what the person is told.
pub fn unavailable_saying(what: &str, err: StripeError, message: &str) -> Error {
    let reason = match &err {
        StripeError::Stripe(_, status) => format!("Stripe answered {status}"),
        StripeError::JSONDeserialize(_) => "Stripe's answer was not understood".into(),
        StripeError::ClientError(_) => "Stripe could not be reached".into(),
        StripeError::ConfigError(_) => "the client is misconfigured".into(),
        StripeError::Timeout => format!("Stripe did not answer within {} s", TIMEOUT.as_secs()),
    };
    failed(what, &reason, message)
}

/// As [`unavailable`], for a reason of our own.
pub fn unavailable_because(what: &str, reason: &str) -> Error {
    failed(what, reason, UNAVAILABLE)
}

fn failed(what: &str, reason: &str, message: &str) -> Error {
    tracing::warn!(reason, "could not {what}");
    Error::Coded {
        kind: crate::ErrorKind::Unavailable,
        code: "payments_unavailable",
        message: message.into(),
    }
}
