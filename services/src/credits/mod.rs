//! Credits (issue 18): what an account may spend on API calls. Amounts are integer hundredths of a
//! credit (remove.bg charges 0.25 for a preview). The balance is kept by bucket — the month's free
//! allowance, the plan's monthly credits, bought packs — and every change is a row of an
//! append-only ledger ([`ledger`]) whose amounts add up to the balance.

pub mod ledger;

use chrono::{DateTime, Utc};

/// Hundredths of a credit in one credit.
pub const UNIT: i64 = 100;

/// Where credits are kept; a charge takes from them in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// The free monthly allowance: renewed each month, unused credits lapse.
    Free,
    /// The plan's monthly credits.
    Subscription,
    /// Bought packs (remove.bg's "pay as you go").
    Payg,
}

impl Bucket {
    pub const ALL: [Bucket; 3] = [Bucket::Free, Bucket::Subscription, Bucket::Payg];

    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Free => "free",
            Bucket::Subscription => "subscription",
            Bucket::Payg => "payg",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.as_str() == text)
    }
}

/// What a ledger row records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Grant,
    Charge,
    Refund,
    Expiry,
    Adjustment,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Grant => "grant",
            Kind::Charge => "charge",
            Kind::Refund => "refund",
            Kind::Expiry => "expiry",
            Kind::Adjustment => "adjustment",
        }
    }
}

/// An account's credits now, in hundredths, by bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Balance {
    pub free: i64,
    pub subscription: i64,
    pub payg: i64,
}

impl Balance {
    pub fn total(&self) -> i64 {
        self.free + self.subscription + self.payg
    }

    pub fn get(&self, bucket: Bucket) -> i64 {
        match bucket {
            Bucket::Free => self.free,
            Bucket::Subscription => self.subscription,
            Bucket::Payg => self.payg,
        }
    }

    fn get_mut(&mut self, bucket: Bucket) -> &mut i64 {
        match bucket {
            Bucket::Free => &mut self.free,
            Bucket::Subscription => &mut self.subscription,
            Bucket::Payg => &mut self.payg,
        }
    }
}

/// `hundredths` as credits for people and for remove.bg's JSON (`0.25`, `1`, `12.5`).
pub fn as_credits(hundredths: i64) -> f64 {
    hundredths as f64 / UNIT as f64
}

/// The allowance's month of `now`, `YYYY-MM` (UTC).
pub fn month_of(now: DateTime<Utc>) -> String {
    now.format("%Y-%m").to_string()
}

/// What a paid API call costs, as remove.bg charges: a full-size result 1 credit…
pub const FULL_CALL: i64 = UNIT;
/// …and a preview (at most a quarter megapixel) a quarter.
pub const PREVIEW_CALL: i64 = UNIT / 4;

/// Charges an API call to `user_id`'s account when payments are on (`None`, nothing charged, when
/// they are off). Too few credits: `insufficient_credits`.
pub async fn charge_call(
    app: &crate::AppState,
    user_id: i64,
    cost: i64,
) -> Result<Option<ledger::Charge>, crate::Error> {
    let Some(billing) = &app.config.billing else {
        return Ok(None);
    };
    ledger::charge(
        &app.db,
        user_id,
        cost,
        "api",
        billing.free_credits,
        app.clock.now(),
    )
    .await
    .map(Some)
}

/// Gives back a call's charge: its work failed, and a failed call costs nothing.
pub async fn refund_call(
    app: &crate::AppState,
    charge: &ledger::Charge,
) -> Result<(), crate::Error> {
    let free = app.config.billing.as_ref().map_or(0, |b| b.free_credits);
    ledger::refund(&app.db, charge, free, app.clock.now()).await
}

/// The account's credits, when payments are on.
pub async fn balance_of(
    app: &crate::AppState,
    user_id: i64,
) -> Result<Option<Balance>, crate::Error> {
    let Some(billing) = &app.config.billing else {
        return Ok(None);
    };
    ledger::balance(&app.db, user_id, billing.free_credits, app.clock.now())
        .await
        .map(Some)
}

/// What was bought on one day: hundredths of a credit, and what Stripe charged per currency
/// (smallest unit).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bought {
    pub credits: i64,
    pub paid: std::collections::BTreeMap<String, i64>,
}

/// What was bought per day (UTC) from `from` to `to`: grants from Stripe checkouts and paid plan
/// invoices in the ledger (accounts deleted since took their rows with them). At most a million
/// rows are read.
pub async fn bought_per_day(
    db: &impl sea_orm::ConnectionTrait,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<std::collections::BTreeMap<chrono::NaiveDate, Bought>, crate::Error> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let start = from.and_time(chrono::NaiveTime::MIN).and_utc();
    let end = (to + chrono::TimeDelta::days(1))
        .and_time(chrono::NaiveTime::MIN)
        .and_utc();
    type Row = (DateTime<Utc>, i64, Option<i64>, Option<String>);
    let rows: Vec<Row> = entity::credit_ledger::Entity::find()
        .select_only()
        .column(entity::credit_ledger::Column::CreatedAt)
        .column(entity::credit_ledger::Column::Amount)
        .column(entity::credit_ledger::Column::PaidMinor)
        .column(entity::credit_ledger::Column::Currency)
        .filter(entity::credit_ledger::Column::Kind.eq(Kind::Grant.as_str()))
        .filter(entity::credit_ledger::Column::Source.is_in([
            crate::billing::checkout::SOURCE,
            crate::billing::plans::SOURCE,
        ]))
        .filter(entity::credit_ledger::Column::CreatedAt.gte(start))
        .filter(entity::credit_ledger::Column::CreatedAt.lt(end))
        .limit(1_000_000)
        .into_tuple()
        .all(db)
        .await?;
    let mut days: std::collections::BTreeMap<chrono::NaiveDate, Bought> =
        std::collections::BTreeMap::new();
    for (at, amount, paid, currency) in rows {
        let day = days.entry(at.date_naive()).or_default();
        day.credits += amount;
        if let (Some(paid), Some(currency)) = (paid, currency) {
            *day.paid.entry(currency).or_insert(0) += paid;
        }
    }
    Ok(days)
}
