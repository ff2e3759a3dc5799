//! `/admin/insights` after a scripted day of traffic: the charts' bars and points carry the day's
//! numbers (page loads, visitors, cutouts, cutout time, refusals by kind, signups), the table and
//! the CSV agree; visitors are sent to log in and other accounts get 403.

mod support;
use support::*;

use axum::body::Body;
use http::{Request, StatusCode, header};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

/// The `data-value` of the element for `day` in `series` inside chart `chart`.
fn value(html: &str, chart: &str, series: &str, day: &str) -> f64 {
    let start = html
        .find(&format!("data-testid=\"chart-{chart}\""))
        .unwrap_or_else(|| panic!("no chart {chart}"));
    let end = html[start..]
        .find("</svg>")
        .map_or(html.len(), |at| start + at);
    let svg = &html[start..end];
    let marker = format!("data-day=\"{day}\" data-series=\"{series}\" data-value=\"");
    svg.split(&marker)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("no {series} for {day} in chart {chart}"))
}

#[tokio::test]
async fn the_dashboard_shows_a_scripted_day_in_charts_a_table_and_csv() {
    let _turn = page_turn().await;
    let app = TestApp::builder().mail_capture().build().await;
    let admin = app.admin("Root", "root@example.com").await;
    // The day: three page loads by two browsers, two cutouts, one refused upload, one signup.
    for agent in [
        FIREFOX,
        FIREFOX,
        "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile Safari/604.1",
    ] {
        let response = app
            .send(
                Request::get("/pricing")
                    .header(header::USER_AGENT, agent)
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let _ = text(response).await;
    }
    for seed in [1, 2] {
        let response = app
            .post_form(&[("image", Part::File(png(&photo(40, 30, seed))))], None)
            .await;
        assert!(response.status().is_success());
    }
    let refused = app
        .post_form(&[("image", Part::File(b"not an image".to_vec()))], None)
        .await;
    let refused = refused.status().as_u16().to_string();
    let ada = app.account("ada@example.com").await;

    let today = services::clock::Clock::now(&*app.app.clock)
        .date_naive()
        .to_string();
    let response = app.get("/admin/insights", Some(&admin)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = text(response).await;
    assert_eq!(value(&html, "traffic", "page loads", &today), 3.0);
    assert_eq!(value(&html, "traffic", "visitors", &today), 2.0);
    assert_eq!(value(&html, "cutouts", "cutouts", &today), 2.0);
    assert_eq!(value(&html, "signups", "signups", &today), 1.0);
    let refusal_series = if refused == "415" {
        "415 wrong type"
    } else {
        "422 unusable"
    };
    assert_eq!(value(&html, "refusals", refusal_series, &today), 1.0);
    assert_eq!(value(&html, "refusals", "429 too many", &today), 0.0);
    let median = value(&html, "latency", "median", &today);
    assert!(median >= 250.0, "{median}");
    assert!(value(&html, "latency", "95th percentile", &today) >= median);
    assert_eq!(html.matches("data-testid=\"chart-").count(), 6);
    assert_eq!(
        html.matches("<tr data-day=").count(),
        30,
        "30 days by default"
    );
    assert!(!html.contains("<script"), "no script");

    let response = app.get("/admin/insights?days=90", Some(&admin)).await;
    assert_eq!(text(response).await.matches("<tr data-day=").count(), 90);
    let response = app.get("/admin/insights.csv", Some(&admin)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .expect("type")
            .starts_with("text/csv")
    );
    let csv = text(response).await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "day,page_loads,visitors,cutouts,median_ms,p95_ms,refused_413,refused_415,refused_422,refused_429,refused_503,signups,credits_bought"
    );
    assert_eq!(lines.len(), 31);
    let row: Vec<&str> = lines[30].split(',').collect();
    assert_eq!(row[0], today);
    assert_eq!(&row[1..4], ["3", "2", "2"]);
    assert_eq!(row[11], "1");
    assert_eq!(row[12], "0", "no credits bought");

    assert_eq!(
        app.get("/admin/insights", None).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.get("/admin/insights", Some(&ada)).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/admin/insights.csv", Some(&ada)).await.status(),
        StatusCode::FORBIDDEN
    );
}
