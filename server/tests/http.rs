//! The HTTP surface, over a loopback listener: pages render on the server, every response carries the security
//! headers, anonymous visits get no cookie, health checks tell the truth, logs never hold a query.
//! The tests take turns ([`page_turn`]).

mod support;
use support::*;

use axum::body::Body;
use http::{Request, Response, StatusCode, header};

fn assert_security_headers(response: &Response<Body>) {
    let csp = header(response, "content-security-policy");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(header(response, "x-content-type-options"), "nosniff");
    assert_eq!(header(response, "referrer-policy"), "same-origin");
    assert!(header(response, "permissions-policy").contains("camera=()"));
    assert_eq!(header(response, "x-frame-options"), "DENY");
    assert!(
        response
            .headers()
            .get(header::STRICT_TRANSPORT_SECURITY)
            .is_none()
    );
}

#[tokio::test]
async fn the_home_page_is_rendered_on_the_server_with_a_nonce_bound_csp() {
    let _turn = page_turn().await;
    let app = TestApp::without_model().await;
    let response = app.get("/", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_security_headers(&response);
    let csp = header(&response, "content-security-policy").to_string();
    assert!(
        response.headers().get(header::SET_COOKIE).is_none(),
        "anonymous views set no cookie"
    );
    let html = text(response).await;
    assert!(html.contains("Remove the background from any photo"));
    // The picker (and the footer's theme) are in the first HTML; the picker waits for hydration to
    // work. The workspace is drawn in the browser from the first photo on, from a chunk of its own.
    for testid in ["dropzone", "file-input", "theme"] {
        assert!(
            html.contains(&format!(r#"data-testid="{testid}""#)),
            "{testid}"
        );
    }
    for testid in ["canvas", "download", "clear-history"] {
        assert!(
            !html.contains(&format!(r#"data-testid="{testid}""#)),
            "{testid} waits for a photo"
        );
    }
    assert!(html.contains(r#"data-hydrated="false""#));
    assert!(
        html.contains("/pkg/imgigo.js"),
        "hydration script is referenced"
    );
    // The inline hydration bootstrap carries exactly the nonce the header allows.
    let nonce = html
        .split("nonce=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a nonce on the hydration script");
    assert!(nonce.len() >= 16);
    assert!(
        csp.contains(&format!("'nonce-{nonce}'")),
        "{csp} vs {nonce}"
    );
    assert!(!csp.contains("unsafe-inline"));
}

#[tokio::test]
async fn each_page_view_gets_a_fresh_nonce() {
    let _turn = page_turn().await;
    let app = TestApp::without_model().await;
    let first = header(&app.get("/", None).await, "content-security-policy").to_string();
    let second = header(&app.get("/", None).await, "content-security-policy").to_string();
    assert_ne!(first, second);
}

#[tokio::test]
async fn the_privacy_page_shows_the_policy_and_its_version() {
    let _turn = page_turn().await;
    let app = TestApp::without_model().await;
    let response = app.get("/privacy", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get(header::SET_COOKIE).is_none());
    let html = text(response).await;
    assert!(
        html.contains("<h1>Privacy Policy</h1>"),
        "title rendered as a heading"
    );
    assert!(html.contains("<h2>6. Your Rights</h2>"));
    assert!(html.contains("Processed results are kept for 7 days"));
    assert!(html.contains(services::privacy::policy::PrivacyPolicy::bundled().version()));
}

#[tokio::test]
async fn the_background_licences_are_a_rendered_page_not_raw_markdown() {
    let _turn = page_turn().await;
    let app = TestApp::without_model().await;
    let response = app.get("/backgrounds/licences", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        header(&response, "content-type").starts_with("text/html"),
        "an HTML page"
    );
    assert_security_headers(&response);
    let html = text(response).await;
    assert!(html.contains("<h1>Preset backgrounds: sources and licences</h1>"));
    assert!(html.contains("<table>") && html.contains("<code>studio.jpg</code>"));
    assert!(
        html.contains(
            r#"<a href="https://creativecommons.org/publicdomain/zero/1.0/">CC0 1.0</a>"#
        )
    );
    assert!(!html.contains("# Preset"), "no Markdown heading left");
    assert!(!html.contains("|---|"), "no Markdown table left");
    // The editor links here.
    assert_eq!(app::editor::presets::LICENSES_URL, "/backgrounds/licences");
}

#[tokio::test]
async fn the_developers_page_shows_curl_examples_for_both_apis() {
    let _turn = page_turn().await;
    let app = TestApp::without_model().await;
    let response = app.get("/developers", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = text(response).await;
    assert!(html.contains("The imgigo API"));
    assert!(html.contains("/api/v1/cutouts"), "native example");
    assert!(html.contains("/v1.0/removebg"), "remove.bg example");
    assert!(
        html.contains("href=\"/api/openapi.json\""),
        "links the OpenAPI document"
    );
    assert!(html.contains("href=\"/developers\""), "in the navigation");
}

#[tokio::test]
async fn the_policy_server_function_answers_json() {
    let _turn = page_turn().await;
    let app = TestApp::without_model().await;
    let response = app
        .send(
            Request::post("/_app/privacy_policy")
                // Server functions, like every state-changing request, need this site's Origin.
                .header(header::ORIGIN, ORIGIN)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "application/json")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_security_headers(&response);
    let body = json(response).await;
    assert_eq!(
        body["version"],
        services::privacy::policy::PrivacyPolicy::bundled().version()
    );
    assert!(
        body["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("Privacy Policy"))
    );
}

#[tokio::test]
async fn unknown_paths_get_the_404_page_with_status_404() {
    let _turn = page_turn().await;
    let app = TestApp::without_model().await;
    let response = app.get("/no/such/page", None).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_security_headers(&response);
    assert!(response.headers().get(header::SET_COOKIE).is_none());
    let html = text(response).await;
    assert!(html.contains("Page not found"));
    assert!(html.contains(r#"data-testid="not-found""#));
}

#[tokio::test]
async fn static_files_are_served_with_the_same_headers() {
    let _turn = page_turn().await;
    let app = TestApp::without_model().await;
    let response = app.get("/pkg/imgigo.css", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_security_headers(&response);
    assert_eq!(text(response).await, "body{color:#111}");
    let robots = app.get("/robots.txt", None).await;
    assert_eq!(robots.status(), StatusCode::OK);
}

#[tokio::test]
async fn healthz_answers_while_the_process_runs() {
    let _turn = page_turn().await;
    let app = TestApp::without_model().await;
    let response = app.get("/healthz", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_security_headers(&response);
    let body = json(response).await;
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readyz_reports_the_database_and_fails_when_it_is_gone() {
    let _turn = page_turn().await;
    let app = TestApp::without_model().await;
    let response = app.get("/readyz", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json(response).await;
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(
        body["checks"]["database_backend"],
        services::testing::Backend::from_env().name()
    );
    // No IMGIGO_DEVICE and no GPU here: auto settles on the CPU and says so.
    let device = &body["checks"]["device"];
    assert_eq!(device["requested"], "auto");
    assert_eq!(device["kind"], "cpu");
    let name = device["name"].as_str().expect("device name");
    assert!(name.starts_with("CPU ("), "{name}");
    // This test app never loads a model.
    assert_eq!(body["checks"]["model"], "unavailable");

    app.app.db.close_by_ref().await.expect("close the pool");
    let response = app.get("/readyz", None).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = json(response).await;
    assert_eq!(body["error"]["status"], 503);
    let message = body["error"]["message"].as_str().expect("message");
    assert!(message.contains("database is unavailable"), "{message}");
}

#[tokio::test]
async fn hsts_is_sent_only_when_served_over_tls() {
    let _turn = page_turn().await;
    let app = TestApp::builder()
        .without_model()
        .env("IMGIGO_PUBLIC_URL", "https://imgigo.example")
        .build()
        .await;
    let response = app.get("/healthz", None).await;
    assert_eq!(
        header(&response, "strict-transport-security"),
        "max-age=63072000; includeSubDomains"
    );
}

#[tokio::test]
async fn pages_are_compressed_when_the_client_accepts_it() {
    let _turn = page_turn().await;
    let app = TestApp::without_model().await;
    let response = app
        .send(
            Request::get("/privacy")
                .header(header::ACCEPT_ENCODING, "gzip")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-encoding"), "gzip");
}
