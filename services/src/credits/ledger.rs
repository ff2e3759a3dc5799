//! The credits ledger. Every change to an account's credits happens in one write transaction that
//! locks the account's balance row (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's `BEGIN
//! IMMEDIATE` takes the database's write lock), checks, updates the row and appends one ledger row
//! per bucket touched. So concurrent charges never overspend, and the invariant holds: for every
//! account and bucket, the ledger's amounts add up to the balance, and each row's `balance_after`
//! is the total after it.
//!
//! The free allowance is renewed lazily: the first change in a new month lets the old month's
//! unused allowance lapse (an `expiry` row) and grants the new one (a `grant` row, once per month).

use chrono::{DateTime, Utc};
use entity::{credit_accounts, credit_ledger};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::{Balance, Bucket, Kind, as_credits, month_of};
use crate::{Error, ErrorKind, db};

/// Where the free allowance's rows come from.
const ALLOWANCE: &str = "allowance";

/// What a charge took, to show (`X-Credits-Charged`) and to give back if the work fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Charge {
    pub user_id: i64,
    /// Hundredths of a credit.
    pub amount: i64,
    /// How much came from each bucket.
    pub parts: Vec<(Bucket, i64)>,
    /// The first ledger row of the charge: what a refund refers to.
    pub row: i64,
}

/// Adds `amount` hundredths to `bucket`, caused by `source`/`reference` (a Stripe checkout or
/// invoice id). Returns `false`, changing nothing, when that grant was already made.
#[allow(clippy::too_many_arguments)]
pub async fn grant(
    db: &DatabaseConnection,
    user_id: i64,
    bucket: Bucket,
    amount: i64,
    source: &str,
    reference: &str,
    allowance: i64,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    db::write_transaction(db, async |txn| {
        grant_in(
            txn, user_id, bucket, amount, source, reference, allowance, now,
        )
        .await
    })
    .await
}

/// [`grant`] inside the caller's write transaction, so that what the grant causes (its receipt)
/// commits with it.
#[allow(clippy::too_many_arguments)]
pub async fn grant_in(
    txn: &DatabaseTransaction,
    user_id: i64,
    bucket: Bucket,
    amount: i64,
    source: &str,
    reference: &str,
    allowance: i64,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    if amount <= 0 {
        return Err(Error::Internal(format!(
            "a grant must be positive, not {amount}"
        )));
    }
    {
        let mut account = locked(txn, user_id, allowance, now).await?;
        if recorded(txn, user_id, Kind::Grant, Some(bucket), source, reference).await? {
            return Ok(false);
        }
        *account.balance.get_mut(bucket) += amount;
        append(
            txn,
            &account,
            Kind::Grant,
            bucket,
            amount,
            source,
            Some(reference),
            None,
            now,
        )
        .await?;
        account.save(txn, now).await?;
        Ok(true)
    }
}

/// Notes on `user_id`'s grant from `source`/`reference` what Stripe charged for it (smallest unit,
/// currency), in the caller's transaction: the revenue the admin dashboard shows.
pub async fn record_payment(
    txn: &DatabaseTransaction,
    user_id: i64,
    source: &str,
    reference: &str,
    paid_minor: i64,
    currency: &str,
) -> Result<(), Error> {
    credit_ledger::Entity::update_many()
        .col_expr(
            credit_ledger::Column::PaidMinor,
            sea_orm::sea_query::Expr::value(paid_minor),
        )
        .col_expr(
            credit_ledger::Column::Currency,
            sea_orm::sea_query::Expr::value(
                currency
                    .to_ascii_lowercase()
                    .chars()
                    .take(3)
                    .collect::<String>(),
            ),
        )
        .filter(credit_ledger::Column::UserId.eq(user_id))
        .filter(credit_ledger::Column::Kind.eq(Kind::Grant.as_str()))
        .filter(credit_ledger::Column::Source.eq(source))
        .filter(credit_ledger::Column::SourceRef.eq(reference))
        .exec(txn)
        .await?;
    Ok(())
}

/// A plan's month paid: what is left of the plan's previous month lapses (an expiry row) and the
/// month's `amount` hundredths are granted, both caused by `source`/`reference` (Stripe's invoice).
/// Returns `false`, changing nothing, when that invoice was applied already.
pub async fn renew(
    db: &DatabaseConnection,
    user_id: i64,
    amount: i64,
    source: &str,
    reference: &str,
    allowance: i64,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    db::write_transaction(db, async |txn| {
        renew_in(txn, user_id, amount, source, reference, allowance, now).await
    })
    .await
}

/// [`renew`] inside the caller's write transaction.
pub async fn renew_in(
    txn: &DatabaseTransaction,
    user_id: i64,
    amount: i64,
    source: &str,
    reference: &str,
    allowance: i64,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    if amount <= 0 {
        return Err(Error::Internal(format!(
            "a plan's month must grant credits, not {amount}"
        )));
    }
    {
        let mut account = locked(txn, user_id, allowance, now).await?;
        let bucket = Bucket::Subscription;
        if recorded(txn, user_id, Kind::Grant, Some(bucket), source, reference).await? {
            return Ok(false);
        }
        let left = account.balance.subscription;
        if left > 0 {
            account.balance.subscription = 0;
            append(
                txn,
                &account,
                Kind::Expiry,
                bucket,
                -left,
                source,
                Some(reference),
                None,
                now,
            )
            .await?;
        }
        account.balance.subscription = amount;
        append(
            txn,
            &account,
            Kind::Grant,
            bucket,
            amount,
            source,
            Some(reference),
            None,
            now,
        )
        .await?;
        account.save(txn, now).await?;
        Ok(true)
    }
}

/// Takes `amount` hundredths from the account: the month's free allowance first, then the plan's
/// credits, then bought packs. Not enough in all of them together: an `insufficient_credits`
/// error and nothing taken.
pub async fn charge(
    db: &DatabaseConnection,
    user_id: i64,
    amount: i64,
    source: &str,
    allowance: i64,
    now: DateTime<Utc>,
) -> Result<Charge, Error> {
    if amount <= 0 {
        return Err(Error::Internal(format!(
            "a charge must be positive, not {amount}"
        )));
    }
    db::write_transaction(db, async |txn| {
        let mut account = locked(txn, user_id, allowance, now).await?;
        let have = account.balance.total();
        if have < amount {
            return Err(insufficient(amount, have));
        }
        let mut left = amount;
        let mut parts = Vec::new();
        let mut first = None;
        for bucket in Bucket::ALL {
            let take = left.min(account.balance.get(bucket));
            if take == 0 {
                continue;
            }
            left -= take;
            *account.balance.get_mut(bucket) -= take;
            let row = append(
                txn,
                &account,
                Kind::Charge,
                bucket,
                -take,
                source,
                None,
                None,
                now,
            )
            .await?;
            first.get_or_insert(row);
            parts.push((bucket, take));
        }
        account.save(txn, now).await?;
        Ok(Charge {
            user_id,
            amount,
            parts,
            row: first.unwrap_or_default(),
        })
    })
    .await
}

/// Gives back what `charge` took, to the buckets it came from (the work it paid for failed).
/// Refunding the same charge twice changes nothing the second time.
pub async fn refund(
    db: &DatabaseConnection,
    charge: &Charge,
    allowance: i64,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let reference = charge.row.to_string();
    db::write_transaction(db, async |txn| {
        let mut account = locked(txn, charge.user_id, allowance, now).await?;
        if recorded(
            txn,
            charge.user_id,
            Kind::Refund,
            None,
            "charge",
            &reference,
        )
        .await?
        {
            return Ok(());
        }
        for &(bucket, amount) in &charge.parts {
            *account.balance.get_mut(bucket) += amount;
            append(
                txn,
                &account,
                Kind::Refund,
                bucket,
                amount,
                "charge",
                Some(&reference),
                None,
                now,
            )
            .await?;
        }
        account.save(txn, now).await
    })
    .await
}

/// The account's credits now (without writing: a month's allowance not yet renewed shows as
/// renewed).
pub async fn balance(
    db: &impl ConnectionTrait,
    user_id: i64,
    allowance: i64,
    now: DateTime<Utc>,
) -> Result<Balance, Error> {
    let row = credit_accounts::Entity::find_by_id(user_id).one(db).await?;
    let month = month_of(now);
    Ok(match row {
        Some(row) => Balance {
            free: if row.free_month == month {
                row.free
            } else {
                allowance
            },
            subscription: row.subscription,
            payg: row.payg,
        },
        None => Balance {
            free: allowance,
            ..Balance::default()
        },
    })
}

/// The account's ledger, newest first, at most `limit` rows.
pub async fn history(
    db: &impl ConnectionTrait,
    user_id: i64,
    limit: u64,
) -> Result<Vec<credit_ledger::Model>, Error> {
    Ok(credit_ledger::Entity::find()
        .filter(credit_ledger::Column::UserId.eq(user_id))
        .order_by_desc(credit_ledger::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

fn insufficient(needed: i64, have: i64) -> Error {
    Error::Coded {
        kind: ErrorKind::PaymentRequired,
        code: "insufficient_credits",
        message: format!(
            "This call needs {} credit{} and the account has {} left. Buy more on your account page (no credits were charged).",
            as_credits(needed),
            if needed == super::UNIT { "" } else { "s" },
            as_credits(have),
        ),
    }
}

/// An account's balance row, locked for this transaction.
struct Locked {
    user_id: i64,
    balance: Balance,
    month: String,
}

impl Locked {
    async fn save(&self, txn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<(), Error> {
        credit_accounts::ActiveModel {
            user_id: Set(self.user_id),
            subscription: Set(self.balance.subscription),
            payg: Set(self.balance.payg),
            free: Set(self.balance.free),
            free_month: Set(self.month.clone()),
            updated_at: Set(now),
        }
        .update(txn)
        .await?;
        Ok(())
    }
}

/// Creates the account's balance row if it has none, locks it, and renews the free allowance when
/// a new month began (saving that at once, so the rows always match).
async fn locked(
    txn: &impl ConnectionTrait,
    user_id: i64,
    allowance: i64,
    now: DateTime<Utc>,
) -> Result<Locked, Error> {
    let fresh = credit_accounts::ActiveModel {
        user_id: Set(user_id),
        subscription: Set(0),
        payg: Set(0),
        free: Set(0),
        free_month: Set(String::new()),
        updated_at: Set(now),
    };
    credit_accounts::Entity::insert(fresh)
        .on_conflict(
            OnConflict::column(credit_accounts::Column::UserId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    let row = credit_accounts::Entity::find_by_id(user_id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(Error::NotFound("account"))?;
    let mut account = Locked {
        user_id,
        balance: Balance {
            free: row.free,
            subscription: row.subscription,
            payg: row.payg,
        },
        month: row.free_month.clone(),
    };
    let month = month_of(now);
    if account.month != month {
        if account.balance.free > 0 {
            let lapsed = account.balance.free;
            account.balance.free = 0;
            let old = account.month.clone();
            append(
                txn,
                &account,
                Kind::Expiry,
                Bucket::Free,
                -lapsed,
                ALLOWANCE,
                Some(&old),
                None,
                now,
            )
            .await?;
        }
        account.month = month.clone();
        if allowance > 0 {
            account.balance.free = allowance;
            append(
                txn,
                &account,
                Kind::Grant,
                Bucket::Free,
                allowance,
                ALLOWANCE,
                Some(&month),
                None,
                now,
            )
            .await?;
        }
        account.save(txn, now).await?;
    }
    Ok(account)
}

/// Whether the account's ledger already has a `kind` row (in `bucket`, or any) caused by
/// `source`/`reference`: what makes grants and refunds once-only.
async fn recorded(
    txn: &impl ConnectionTrait,
    user_id: i64,
    kind: Kind,
    bucket: Option<Bucket>,
    source: &str,
    reference: &str,
) -> Result<bool, Error> {
    let mut query = credit_ledger::Entity::find()
        .filter(credit_ledger::Column::UserId.eq(user_id))
        .filter(credit_ledger::Column::Source.eq(source))
        .filter(credit_ledger::Column::SourceRef.eq(reference))
        .filter(credit_ledger::Column::Kind.eq(kind.as_str()));
    if let Some(bucket) = bucket {
        query = query.filter(credit_ledger::Column::Bucket.eq(bucket.as_str()));
    }
    Ok(query.one(txn).await?.is_some())
}

/// Appends a ledger row for a change already made to `account`'s balance; returns its id.
#[allow(clippy::too_many_arguments)]
async fn append(
    txn: &impl ConnectionTrait,
    account: &Locked,
    kind: Kind,
    bucket: Bucket,
    amount: i64,
    source: &str,
    reference: Option<&str>,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<i64, Error> {
    let row = credit_ledger::ActiveModel {
        user_id: Set(account.user_id),
        kind: Set(kind.as_str().to_string()),
        bucket: Set(bucket.as_str().to_string()),
        amount: Set(amount),
        balance_after: Set(account.balance.total()),
        source: Set(source.to_string()),
        source_ref: Set(reference.map(str::to_string)),
        note: Set(note),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(row.id)
}
