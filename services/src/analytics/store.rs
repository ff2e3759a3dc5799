//! The analytics tables: counters added every minute, rows deleted after 13 months, and the
//! per-day totals the dashboard shows.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Months, NaiveDate, Utc};
use entity::{analytics_daily, analytics_visitors};
use sea_orm::sea_query::{Alias, Expr, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QuerySelect, Set,
};

use super::Key;
use crate::{AppState, Error};

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// Adds the counters waiting in RAM to the database; on failure they wait for the next try.
pub async fn flush(app: &AppState) -> Result<(), Error> {
    let (counters, visitors) = app.analytics.take();
    if counters.is_empty() && visitors.is_empty() {
        return Ok(());
    }
    match write(app, &counters, &visitors).await {
        Ok(()) => Ok(()),
        Err(err) => {
            app.analytics.restore(counters, visitors);
            Err(err)
        }
    }
}

async fn write(
    app: &AppState,
    counters: &HashMap<Key, i64>,
    visitors: &HashMap<NaiveDate, i64>,
) -> Result<(), Error> {
    crate::db::transaction(&app.db, async |txn| {
        // Update, else insert (no ON CONFLICT: SQLite 3.51 sometimes refused this upsert as
        // matching no unique index). Two processes inserting the same new key at once: one fails
        // on the unique index, keeps its counters in RAM and adds them a minute later.
        for (key, count) in counters {
            let updated = analytics_daily::Entity::update_many()
                .col_expr(
                    analytics_daily::Column::Count,
                    Expr::col(analytics_daily::Column::Count).add(*count),
                )
                .filter(analytics_daily::Column::Day.eq(day_text(key.day)))
                .filter(analytics_daily::Column::Kind.eq(key.kind.as_str()))
                .filter(analytics_daily::Column::Route.eq(key.route.as_str()))
                .filter(analytics_daily::Column::Browser.eq(key.browser))
                .filter(analytics_daily::Column::Device.eq(key.device))
                .filter(analytics_daily::Column::Referrer.eq(key.referrer.as_str()))
                .exec(txn)
                .await?
                .rows_affected;
            if updated == 0 {
                analytics_daily::Entity::insert(analytics_daily::ActiveModel {
                    day: Set(day_text(key.day)),
                    kind: Set(key.kind.as_str().to_string()),
                    route: Set(key.route.clone()),
                    browser: Set(key.browser.to_string()),
                    device: Set(key.device.to_string()),
                    referrer: Set(key.referrer.clone()),
                    count: Set(*count),
                    ..Default::default()
                })
                .exec_without_returning(txn)
                .await?;
            }
        }
        for (day, count) in visitors {
            let updated = analytics_visitors::Entity::update_many()
                .col_expr(
                    analytics_visitors::Column::Visitors,
                    Expr::col(analytics_visitors::Column::Visitors).add(*count),
                )
                .filter(analytics_visitors::Column::Day.eq(day_text(*day)))
                .exec(txn)
                .await?
                .rows_affected;
            if updated == 0 {
                analytics_visitors::Entity::insert(analytics_visitors::ActiveModel {
                    day: Set(day_text(*day)),
                    visitors: Set(*count),
                })
                .exec_without_returning(txn)
                .await?;
            }
        }
        Ok(())
    })
    .await
}

/// Deletes the rows of days more than [`super::RETENTION_MONTHS`] months before `now`.
pub async fn purge(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, Error> {
    let Some(cutoff) = now
        .date_naive()
        .checked_sub_months(Months::new(super::RETENTION_MONTHS))
    else {
        return Ok(0);
    };
    let cutoff = day_text(cutoff);
    let counters = analytics_daily::Entity::delete_many()
        .filter(analytics_daily::Column::Day.lt(cutoff.clone()))
        .exec(db)
        .await?
        .rows_affected;
    let visitors = analytics_visitors::Entity::delete_many()
        .filter(analytics_visitors::Column::Day.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected;
    Ok(counters + visitors)
}

/// One day's totals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Daily {
    pub day: NaiveDate,
    pub views: i64,
    pub visitors: i64,
    pub cutouts: i64,
    pub signups: i64,
    /// Refusals by status (413, 415, 422, 429, 503), in [`crate::metrics::REFUSALS`]' order.
    pub refusals: [i64; 5],
    /// The finished cutouts' median and 95th-percentile time, as the upper bound (ms) of the
    /// bucket it fell in (`u32::MAX`: slower than the last bucket); `None` without cutouts.
    pub p50_ms: Option<u32>,
    pub p95_ms: Option<u32>,
    /// Hundredths of a credit bought (packs and plan months paid through Stripe) by accounts that
    /// still exist (a deleted account's ledger goes with it).
    pub credits_bought: i64,
    /// What Stripe charged for them, per currency (lower-case code → smallest unit).
    pub revenue: BTreeMap<String, i64>,
}

/// The upper bound of the bucket holding the `quantile` of `buckets` (bound, count), sorted.
fn quantile(buckets: &BTreeMap<u32, i64>, quantile: f64) -> Option<u32> {
    let total: i64 = buckets.values().sum();
    if total <= 0 {
        return None;
    }
    let rank = ((total as f64) * quantile).ceil().max(1.0) as i64;
    let mut seen = 0;
    for (bound, count) in buckets {
        seen += count;
        if seen >= rank {
            return Some(*bound);
        }
    }
    buckets.keys().next_back().copied()
}

/// The totals of every day from `from` to `to` (both included; days without traffic are zeros).
pub async fn daily(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Daily>, Error> {
    let (first, last) = (day_text(from), day_text(to));
    let counts: Vec<(String, String, String, i64)> = analytics_daily::Entity::find()
        .select_only()
        .column(analytics_daily::Column::Day)
        .column(analytics_daily::Column::Kind)
        .column(analytics_daily::Column::Route)
        // SUM of a bigint is a numeric on PostgreSQL: cast back.
        .column_as(
            Expr::from(Func::cast_as(
                Func::sum(Expr::col(analytics_daily::Column::Count)),
                Alias::new("bigint"),
            )),
            "total",
        )
        .filter(analytics_daily::Column::Day.between(first.clone(), last.clone()))
        .group_by(analytics_daily::Column::Day)
        .group_by(analytics_daily::Column::Kind)
        .group_by(analytics_daily::Column::Route)
        .into_tuple()
        .all(db)
        .await?;
    let visitors: Vec<(String, i64)> = analytics_visitors::Entity::find()
        .select_only()
        .column(analytics_visitors::Column::Day)
        .column(analytics_visitors::Column::Visitors)
        .filter(analytics_visitors::Column::Day.between(first, last))
        .into_tuple()
        .all(db)
        .await?;
    let mut days: BTreeMap<NaiveDate, Daily> = from
        .iter_days()
        .take_while(|day| *day <= to)
        .take(3660)
        .map(|day| {
            (
                day,
                Daily {
                    day,
                    ..Daily::default()
                },
            )
        })
        .collect();
    let mut times: BTreeMap<NaiveDate, BTreeMap<u32, i64>> = BTreeMap::new();
    let parse = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
    for (day, kind, route, total) in counts {
        let Some(date) = parse(&day) else { continue };
        let Some(entry) = days.get_mut(&date) else {
            continue;
        };
        match kind.as_str() {
            "view" => entry.views += total,
            "cutout" => entry.cutouts += total,
            "signup" => entry.signups += total,
            "refusal" => {
                let status: u16 = route.parse().unwrap_or(0);
                if let Some(at) = crate::metrics::REFUSALS.iter().position(|s| *s == status) {
                    entry.refusals[at] += total;
                }
            }
            "cutout_time" => {
                let bound = route.parse().unwrap_or(u32::MAX);
                *times.entry(date).or_default().entry(bound).or_insert(0) += total;
            }
            _ => {}
        }
    }
    for (date, buckets) in &times {
        if let Some(entry) = days.get_mut(date) {
            entry.p50_ms = quantile(buckets, 0.5);
            entry.p95_ms = quantile(buckets, 0.95);
        }
    }
    for (day, count) in visitors {
        if let Some(entry) = parse(&day).and_then(|day| days.get_mut(&day)) {
            entry.visitors += count;
        }
    }
    Ok(days.into_values().collect())
}

/// The totals of the `days` days up to today (UTC), today included.
pub async fn last_days(app: &AppState, days: i64) -> Result<Vec<Daily>, Error> {
    let to = app.clock.now().date_naive();
    let from = to - chrono::TimeDelta::days(days.clamp(1, 3660) - 1);
    let mut series = daily(&app.db, from, to).await?;
    let bought = crate::credits::bought_per_day(&app.db, from, to).await?;
    for day in &mut series {
        if let Some(bought) = bought.get(&day.day) {
            day.credits_bought = bought.credits;
            day.revenue = bought.paid.clone();
        }
    }
    Ok(series)
}

/// Every counter of `day`, as stored (for the dashboard's breakdowns, and tests).
pub async fn counters_of(
    db: &impl ConnectionTrait,
    day: NaiveDate,
) -> Result<Vec<analytics_daily::Model>, Error> {
    Ok(analytics_daily::Entity::find()
        .filter(analytics_daily::Column::Day.eq(day_text(day)))
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_come_from_the_buckets() {
        let buckets: BTreeMap<u32, i64> = [(250, 50), (500, 40), (1000, 9), (u32::MAX, 1)].into();
        assert_eq!(quantile(&buckets, 0.5), Some(250));
        assert_eq!(quantile(&buckets, 0.95), Some(1000));
        assert_eq!(quantile(&buckets, 1.0), Some(u32::MAX));
        assert_eq!(quantile(&BTreeMap::new(), 0.5), None);
    }
}
