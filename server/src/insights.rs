//! `/admin/insights`: the operations dashboard. Traffic, cutouts, cutout time (median and 95th
//! percentile), refusals by kind, signups and credits bought per day for the last 30 or 90 days, drawn as SVG on
//! the server (no script, nothing from elsewhere, so the strict CSP stays), with every number in a
//! table below and as CSV (`/admin/insights.csv`). Admins only. The data are the aggregate
//! analytics rows (see `services::analytics`): nothing here can name a person.

use axum::extract::{Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use html_escape::encode_text as text;
use serde::Deserialize;
use services::AppState;
use services::analytics::Daily;
use services::metrics::REFUSALS;
use services::sessions::Session;

use crate::plain::page;

pub const PATH: &str = "/admin/insights";
pub const CSV_PATH: &str = "/admin/insights.csv";

/// The refusals' colours and names, in [`REFUSALS`]' order.
const REFUSAL_KINDS: [(&str, &str); 5] = [
    ("#8e44ad", "413 too large"),
    ("#2f80ed", "415 wrong type"),
    ("#f2994a", "422 unusable"),
    ("#eb5757", "429 too many"),
    ("#7f8c8d", "503 busy or no model"),
];

#[derive(Deserialize)]
pub struct Range {
    days: Option<u32>,
}

impl Range {
    /// 30 or 90 days (anything else is 30).
    fn days(&self) -> i64 {
        if self.days == Some(90) { 90 } else { 30 }
    }
}

/// The signed-in admin's numbers for `days` days, or the answer for everyone else.
async fn data(
    app: &AppState,
    session: Option<Session>,
    days: i64,
) -> Result<Result<Vec<Daily>, services::Error>, Response> {
    crate::admin_accounts::admin(app, session.as_ref()).await?;
    // The last minute's counters first, so the page shows what just happened.
    Ok(match services::analytics::flush(app).await {
        Ok(()) => services::analytics::last_days(app, days).await,
        Err(err) => Err(err),
    })
}

pub async fn show(
    State(app): State<AppState>,
    Query(range): Query<Range>,
    request: Request,
) -> Response {
    let days = range.days();
    let series = match data(&app, request.extensions().get::<Session>().cloned(), days).await {
        Ok(series) => series,
        Err(response) => return response,
    };
    let (series, keys) = match (series, services::accounts::api_keys::live_count(&app).await) {
        (Ok(series), Ok(keys)) => (series, keys),
        (Err(err), _) | (_, Err(err)) => {
            tracing::warn!(error = %err, "the dashboard could not be read");
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Insights",
                "<p class=\"form-error\" role=\"alert\">The numbers could not be read. Please try again in a minute.</p>",
            );
        }
    };
    page(StatusCode::OK, "Insights", &body(&series, days, keys))
}

fn body(series: &[Daily], days: i64, live_keys: u64) -> String {
    let sum = |f: fn(&Daily) -> i64| series.iter().map(f).sum::<i64>();
    let other = if days == 90 { 30 } else { 90 };
    let mut html = format!(
        "<p>The last {days} days, per day (UTC). <a href=\"{PATH}?days={other}\">Show {other} days</a> · <a href=\"{CSV_PATH}?days={days}\" download>Download as CSV</a></p>\
         <ul class=\"totals\" data-testid=\"totals\"><li>Page loads: <strong>{}</strong></li><li>Visitors (daily estimates added up): <strong>{}</strong></li><li>Cutouts: <strong>{}</strong></li><li>Signups: <strong>{}</strong></li><li>API keys in use now: <strong data-testid=\"live-keys\">{live_keys}</strong></li></ul>",
        sum(|d| d.views),
        sum(|d| d.visitors),
        sum(|d| d.cutouts),
        sum(|d| d.signups),
    );
    html.push_str(&chart(
        "traffic",
        "Page loads (bars) and visitors (line)",
        series,
        &[Series::Bars("#2f80ed", "page loads", |d| {
            Some(d.views as f64)
        })],
        &[Series::Line("#27ae60", "visitors", |d| {
            Some(d.visitors as f64)
        })],
    ));
    html.push_str(&chart(
        "cutouts",
        "Cutouts",
        series,
        &[Series::Bars("#8e44ad", "cutouts", |d| {
            Some(d.cutouts as f64)
        })],
        &[],
    ));
    html.push_str(&chart(
        "latency",
        "Cutout time in ms, median and 95th percentile (upper bound of its bucket)",
        series,
        &[],
        &[
            Series::Line("#2f80ed", "median", |d| d.p50_ms.map(ms)),
            Series::Line("#eb5757", "95th percentile", |d| d.p95_ms.map(ms)),
        ],
    ));
    let refusals: Vec<Series> = (0..REFUSALS.len()).map(Series::Stacked).collect();
    html.push_str(&chart(
        "refusals",
        "Refusals by kind",
        series,
        &refusals,
        &[],
    ));
    html.push_str(&chart(
        "signups",
        "Signups",
        series,
        &[Series::Bars("#27ae60", "signups", |d| {
            Some(d.signups as f64)
        })],
        &[],
    ));
    html.push_str(&chart(
        "credits",
        "Credits bought (packs and plan months paid through Stripe)",
        series,
        &[Series::Bars("#f2994a", "credits bought", |d| {
            Some(d.credits_bought as f64 / 100.0)
        })],
        &[],
    ));
    let money: Vec<Series> = currencies(series)
        .iter()
        .zip(MONEY_COLOURS.iter().cycle())
        .map(|(currency, colour)| Series::Money(colour, currency.to_ascii_uppercase()))
        .collect();
    if money.is_empty() {
        html.push_str("<p data-testid=\"no-revenue\">No payments in this period.</p>");
    } else {
        html.push_str(&chart(
            "revenue",
            "Revenue: what Stripe charged, per currency",
            series,
            &money,
            &[],
        ));
    }
    html.push_str(&table(series));
    html
}

/// A bucket bound as a plotted value (slower than the last bucket: shown at 64 s).
fn ms(bound: u32) -> f64 {
    if bound == u32::MAX {
        64_000.0
    } else {
        f64::from(bound)
    }
}

enum Series {
    Bars(&'static str, &'static str, fn(&Daily) -> Option<f64>),
    /// One refusal kind of a stacked bar (index into [`REFUSALS`]).
    Stacked(usize),
    Line(&'static str, &'static str, fn(&Daily) -> Option<f64>),
    /// Revenue in one currency (its upper-case code is the name), in whole units.
    Money(&'static str, String),
}

/// The colours of the revenue bars, one per currency in turn.
const MONEY_COLOURS: [&str; 4] = ["#27ae60", "#2f80ed", "#f2994a", "#8e44ad"];

/// The currencies paid in during `days`, lower case, sorted.
fn currencies(days: &[Daily]) -> Vec<String> {
    let mut all: Vec<String> = days
        .iter()
        .flat_map(|day| day.revenue.keys().cloned())
        .collect();
    all.sort();
    all.dedup();
    all
}

impl Series {
    fn value(&self, day: &Daily) -> Option<f64> {
        match self {
            Series::Bars(_, _, f) | Series::Line(_, _, f) => f(day),
            Series::Stacked(at) => Some(day.refusals[*at] as f64),
            Series::Money(_, code) => {
                let currency = code.to_ascii_lowercase();
                let minor = day.revenue.get(&currency).copied().unwrap_or(0);
                Some(services::billing::money::units(minor, &currency))
            }
        }
    }

    fn colour_and_name(&self) -> (&'static str, &str) {
        match self {
            Series::Bars(colour, name, _) | Series::Line(colour, name, _) => (colour, name),
            Series::Stacked(at) => REFUSAL_KINDS[*at],
            Series::Money(colour, code) => (colour, code),
        }
    }
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 180.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 20.0;

/// One chart: bars (stacked when several) and lines over the days, a scale, a legend.
fn chart(id: &str, title: &str, days: &[Daily], bars: &[Series], lines: &[Series]) -> String {
    let stacked_max = days
        .iter()
        .map(|day| bars.iter().filter_map(|s| s.value(day)).sum::<f64>())
        .fold(0.0, f64::max);
    let line_max = days
        .iter()
        .flat_map(|day| lines.iter().filter_map(|s| s.value(day)))
        .fold(0.0, f64::max);
    let max = stacked_max.max(line_max).max(1.0);
    let plot_w = WIDTH - LEFT;
    let plot_h = HEIGHT - BOTTOM;
    let step = plot_w / days.len().max(1) as f64;
    let y = |value: f64| plot_h - value / max * (plot_h - 8.0);
    let mut svg = format!(
        "<figure class=\"chart\"><figcaption>{}</figcaption><svg data-testid=\"chart-{id}\" role=\"img\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"100%\" preserveAspectRatio=\"none\" font-size=\"11\"><title>{}</title>\
         <line x1=\"{LEFT}\" y1=\"{plot_h}\" x2=\"{WIDTH}\" y2=\"{plot_h}\" stroke=\"currentColor\" stroke-opacity=\"0.4\"/>\
         <text x=\"{}\" y=\"12\" text-anchor=\"end\" fill=\"currentColor\">{}</text><text x=\"{}\" y=\"{plot_h}\" text-anchor=\"end\" fill=\"currentColor\">0</text>",
        text(title),
        text(title),
        LEFT - 4.0,
        round(max),
        LEFT - 4.0,
    );
    for (index, day) in days.iter().enumerate() {
        let x = LEFT + index as f64 * step;
        let mut base = 0.0;
        for series in bars {
            let value = series.value(day).unwrap_or(0.0);
            let (colour, name) = series.colour_and_name();
            let top = y(base + value);
            svg.push_str(&format!(
                "<rect data-day=\"{date}\" data-series=\"{name}\" data-value=\"{value}\" x=\"{:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\"><title>{date}: {value} {name}</title></rect>",
                x + step * 0.1,
                step * 0.8,
                (y(base) - top).max(0.0),
                date = day.day,
            ));
            base += value;
        }
    }
    for series in lines {
        let (colour, name) = series.colour_and_name();
        let points: Vec<String> = days
            .iter()
            .enumerate()
            .filter_map(|(index, day)| {
                let value = series.value(day)?;
                Some(format!(
                    "{:.1},{:.1}",
                    LEFT + (index as f64 + 0.5) * step,
                    y(value)
                ))
            })
            .collect();
        svg.push_str(&format!(
            "<polyline data-series=\"{name}\" points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>",
            points.join(" ")
        ));
        for (index, day) in days.iter().enumerate() {
            if let Some(value) = series.value(day) {
                svg.push_str(&format!(
                    "<circle data-day=\"{}\" data-series=\"{name}\" data-value=\"{value}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{colour}\"/>",
                    day.day,
                    LEFT + (index as f64 + 0.5) * step,
                    y(value)
                ));
            }
        }
    }
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        svg.push_str(&format!(
            "<text x=\"{LEFT}\" y=\"{HEIGHT}\" fill=\"currentColor\">{}</text><text x=\"{WIDTH}\" y=\"{HEIGHT}\" text-anchor=\"end\" fill=\"currentColor\">{}</text>",
            first.day, last.day
        ));
    }
    svg.push_str("</svg><p class=\"legend\">");
    for series in bars.iter().chain(lines) {
        let (colour, name) = series.colour_and_name();
        svg.push_str(&format!(
            "<span><svg width=\"10\" height=\"10\" aria-hidden=\"true\"><rect width=\"10\" height=\"10\" fill=\"{colour}\"/></svg> {name}</span> "
        ));
    }
    svg.push_str("</p></figure>");
    svg
}

fn round(value: f64) -> String {
    if value >= 10.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn cell(value: Option<u32>) -> String {
    match value {
        Some(u32::MAX) => "more than 32000".into(),
        Some(bound) => format!("≤ {bound}"),
        None => String::new(),
    }
}

/// One day's numbers in the table's and the CSV's column order; `time` writes a cutout time.
fn columns(
    day: &Daily,
    currencies: &[String],
    time: impl Fn(Option<u32>) -> String,
) -> Vec<String> {
    let mut values = vec![
        day.day.to_string(),
        day.views.to_string(),
        day.visitors.to_string(),
        day.cutouts.to_string(),
        time(day.p50_ms),
        time(day.p95_ms),
    ];
    values.extend(day.refusals.iter().map(i64::to_string));
    values.push(day.signups.to_string());
    values.push(format!("{}", day.credits_bought as f64 / 100.0));
    for currency in currencies {
        let minor = day.revenue.get(currency).copied().unwrap_or(0);
        values.push(format!(
            "{}",
            services::billing::money::units(minor, currency)
        ));
    }
    values
}

fn table(days: &[Daily]) -> String {
    let mut html = String::from(
        "<table data-testid=\"insights-table\"><caption>Every number, per day</caption><thead><tr><th>Day</th><th>Page loads</th><th>Visitors</th><th>Cutouts</th><th>Median ms</th><th>95th ms</th>",
    );
    for (_, name) in REFUSAL_KINDS {
        html.push_str(&format!("<th>{name}</th>"));
    }
    html.push_str("<th>Signups</th><th>Credits bought</th>");
    let currencies = currencies(days);
    for currency in &currencies {
        html.push_str(&format!(
            "<th>Revenue {}</th>",
            currency.to_ascii_uppercase()
        ));
    }
    html.push_str("</tr></thead><tbody>");
    for day in days.iter().rev() {
        html.push_str(&format!("<tr data-day=\"{}\">", day.day));
        for value in columns(day, &currencies, cell) {
            html.push_str(&format!("<td>{value}</td>"));
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table>");
    html
}

/// The same numbers as CSV.
pub async fn csv(
    State(app): State<AppState>,
    Query(range): Query<Range>,
    request: Request,
) -> Response {
    let days = range.days();
    let series = match data(&app, request.extensions().get::<Session>().cloned(), days).await {
        Ok(Ok(series)) => series,
        Err(response) => return response,
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "the dashboard could not be read");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "the numbers could not be read\n",
            )
                .into_response();
        }
    };
    let mut out = String::from("day,page_loads,visitors,cutouts,median_ms,p95_ms");
    for status in REFUSALS {
        out.push_str(&format!(",refused_{status}"));
    }
    out.push_str(",signups,credits_bought");
    let currencies = currencies(&series);
    for currency in &currencies {
        out.push_str(&format!(",revenue_{currency}"));
    }
    out.push('\n');
    let number = |value: Option<u32>| value.map_or(String::new(), |v| v.to_string());
    for day in &series {
        out.push_str(&columns(day, &currencies, number).join(","));
        out.push('\n');
    }
    let mut response = (StatusCode::OK, out).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let name = format!("attachment; filename=\"imgigo-insights-{days}-days.csv\"");
    if let Ok(value) = HeaderValue::from_str(&name) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
