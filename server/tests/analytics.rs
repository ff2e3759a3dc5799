//! Page loads and cutouts counted over HTTP: a page that answered with HTML is counted under its
//! route's template (never the query that carried a token), with GPC, DNT, robots, refused pages
//! and signed-in people with statistics off left out; a finished cutout is counted, a refused one
//! is not.

mod support;
use support::*;

use axum::body::Body;
use http::{Request, StatusCode, header};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

async fn page(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> StatusCode {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .send(request.body(Body::empty()).expect("request"))
        .await;
    let status = response.status();
    let _ = text(response).await;
    status
}

/// Every counter written so far: (kind, route, browser, referrer) → count.
async fn counted(app: &TestApp) -> Vec<(String, String, String, String, i64)> {
    services::analytics::flush(&app.app).await.expect("flush");
    let today = app.app.clock.now().date_naive();
    let mut rows: Vec<_> = services::analytics::counters_of(&app.app.db, today)
        .await
        .expect("rows")
        .into_iter()
        .map(|row| (row.kind, row.route, row.browser, row.referrer, row.count))
        .collect();
    rows.sort();
    rows
}

#[tokio::test]
async fn pages_are_counted_by_template_without_gpc_dnt_robots_or_refusals() {
    let _turn = page_turn().await;
    let app = TestApp::builder().mail_capture().build().await;
    let ua = (header::USER_AGENT.as_str(), FIREFOX);
    assert_eq!(
        page(
            &app,
            "/",
            &[
                ua,
                ("referer", "https://search.example.net/?q=remove+background")
            ]
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(
        page(&app, "/reset?token=a-secret-token", &[ua]).await,
        StatusCode::OK
    );
    // Left out.
    assert_eq!(
        page(&app, "/", &[ua, ("sec-gpc", "1")]).await,
        StatusCode::OK
    );
    assert_eq!(page(&app, "/", &[ua, ("dnt", "1")]).await, StatusCode::OK);
    assert_eq!(
        page(&app, "/", &[(header::USER_AGENT.as_str(), "Googlebot/2.1")]).await,
        StatusCode::OK
    );
    assert_eq!(
        page(&app, "/no-such-page", &[ua]).await,
        StatusCode::NOT_FOUND
    );
    // A gated page answered with a redirect to the login: not a page view.
    assert_ne!(page(&app, "/account", &[ua]).await, StatusCode::OK);

    let rows = counted(&app).await;
    assert_eq!(
        rows,
        [
            (
                "view".to_string(),
                "/".to_string(),
                "Firefox".to_string(),
                "search.example.net".to_string(),
                1
            ),
            (
                "view".to_string(),
                "/reset".to_string(),
                "Firefox".to_string(),
                String::new(),
                1
            ),
        ]
    );
}

#[tokio::test]
async fn a_signed_in_person_is_counted_only_after_turning_statistics_on() {
    let _turn = page_turn().await;
    let app = TestApp::builder().mail_capture().build().await;
    let ada = app.account("ada@example.com").await;
    let ua = (header::USER_AGENT.as_str(), FIREFOX);
    let cookie = (header::COOKIE.as_str(), ada.as_str());
    assert_eq!(page(&app, "/pricing", &[ua, cookie]).await, StatusCode::OK);
    let views = |rows: Vec<(String, String, String, String, i64)>| {
        rows.into_iter()
            .filter(|row| row.0 == "view")
            .collect::<Vec<_>>()
    };
    assert!(
        views(counted(&app).await).is_empty(),
        "statistics are off by default"
    );
    let response = app
        .call(
            "set_consent",
            &[("purpose", "analytics"), ("granted", "true")],
            Some(&ada),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(page(&app, "/pricing", &[ua, cookie]).await, StatusCode::OK);
    let rows = views(counted(&app).await);
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].1.as_str(), rows[0].4), ("/pricing", 1));
}

#[tokio::test]
async fn a_finished_cutout_is_counted_and_a_refused_one_is_not() {
    let app = TestApp::fake().await;
    let upload = png(&photo(40, 30, 3));
    let response = app.post_form(&[("image", Part::File(upload))], None).await;
    assert!(response.status().is_success(), "{}", response.status());
    let refused = app
        .post_form(&[("image", Part::File(b"not an image".to_vec()))], None)
        .await;
    assert!(refused.status().is_client_error());
    let rows = counted(&app).await;
    let cutouts: Vec<_> = rows.iter().filter(|row| row.0 == "cutout").collect();
    assert_eq!(
        cutouts,
        [&(
            "cutout".to_string(),
            "web".to_string(),
            String::new(),
            String::new(),
            1
        )]
    );
    // Its time, in one bucket; the refusal by its status (for the dashboard).
    let times: i64 = rows
        .iter()
        .filter(|row| row.0 == "cutout_time")
        .map(|row| row.4)
        .sum();
    assert_eq!(times, 1);
    let refusals: Vec<_> = rows.iter().filter(|row| row.0 == "refusal").collect();
    assert_eq!(refusals.len(), 1);
    assert!(["415", "422"].contains(&refusals[0].1.as_str()));
}
