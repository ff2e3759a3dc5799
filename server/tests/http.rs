//! The HTTP surface, in process: pages render on the server, every response carries the security
//! headers, anonymous visits get no cookie, health checks tell the truth, logs never hold a query.

use axum::Router;
use axum::body::Body;
use http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use server::state::ServerState;
use services::AppState;
use services::config::Config;
use services::testing::TestDatabase;
use tower::ServiceExt;

struct TestApp {
    router: Router,
    app: AppState,
    _db: TestDatabase,
    _site: tempfile::TempDir,
}

impl TestApp {
    async fn new() -> Self {
        Self::with_env(&[]).await
    }

    async fn with_env(vars: &[(&str, &str)]) -> Self {
        let db = TestDatabase::new().await;
        let site = tempfile::tempdir().expect("site folder");
        std::fs::create_dir_all(site.path().join("pkg")).expect("pkg folder");
        std::fs::write(site.path().join("pkg/imgigo.css"), "body{color:#111}").expect("css");
        std::fs::write(site.path().join("robots.txt"), "User-agent: *\n").expect("robots");
        let mut vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        vars.push(("DATABASE_URL".into(), db.url.clone()));
        vars.push(("IMGIGO_SITE_ROOT".into(), site.path().display().to_string()));
        vars.push((
            "IMGIGO_DATA_DIR".into(),
            site.path().join("data").display().to_string(),
        ));
        let config =
            Config::load(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
                .expect("test configuration");
        let app = AppState::init(config).await.expect("state");
        let router = server::router::build(ServerState::new(app.clone()));
        Self {
            router,
            app,
            _db: db,
            _site: site,
        }
    }

    async fn send(&self, request: Request<Body>) -> Response<Body> {
        self.router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible router")
    }

    async fn get(&self, path: &str) -> Response<Body> {
        self.send(Request::get(path).body(Body::empty()).expect("request"))
            .await
    }
}

async fn text(response: Response<Body>) -> String {
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    String::from_utf8(bytes.to_vec()).expect("utf-8 body")
}

fn header<'a>(response: &'a Response<Body>, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("missing header {name}"))
        .to_str()
        .expect("ascii header")
}

fn assert_security_headers(response: &Response<Body>) {
    let csp = header(response, "content-security-policy");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(header(response, "x-content-type-options"), "nosniff");
    assert_eq!(header(response, "referrer-policy"), "no-referrer");
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
    let app = TestApp::new().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_security_headers(&response);
    let csp = header(&response, "content-security-policy").to_string();
    assert!(
        response.headers().get(header::SET_COOKIE).is_none(),
        "anonymous views set no cookie"
    );
    let html = text(response).await;
    assert!(html.contains("Remove the background from any photo"));
    // The editor's controls are in the first HTML; the picker waits for hydration to work.
    for testid in [
        "dropzone",
        "file-input",
        "canvas",
        "download",
        "clear-history",
    ] {
        assert!(
            html.contains(&format!(r#"data-testid="{testid}""#)),
            "{testid}"
        );
    }
    assert!(html.contains(r#"data-hydrated="false""#));
    assert!(html.contains("/backgrounds/studio.thumb.jpg"));
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
    let app = TestApp::new().await;
    let first = header(&app.get("/").await, "content-security-policy").to_string();
    let second = header(&app.get("/").await, "content-security-policy").to_string();
    assert_ne!(first, second);
}

#[tokio::test]
async fn the_privacy_page_shows_the_policy_and_its_version() {
    let app = TestApp::new().await;
    let response = app.get("/privacy").await;
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
    let app = TestApp::new().await;
    let response = app.get("/backgrounds/licences").await;
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
    let app = TestApp::new().await;
    let response = app.get("/developers").await;
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
    let app = TestApp::new().await;
    let response = app
        .send(
            Request::post("/_app/privacy_policy")
                // Server functions, like every state-changing request, need this site's Origin.
                .header(header::ORIGIN, "http://127.0.0.1:3000")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "application/json")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_security_headers(&response);
    let json: serde_json::Value = serde_json::from_str(&text(response).await).expect("json");
    assert_eq!(
        json["version"],
        services::privacy::policy::PrivacyPolicy::bundled().version()
    );
    assert!(
        json["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("Privacy Policy"))
    );
}

#[tokio::test]
async fn unknown_paths_get_the_404_page_with_status_404() {
    let app = TestApp::new().await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_security_headers(&response);
    assert!(response.headers().get(header::SET_COOKIE).is_none());
    let html = text(response).await;
    assert!(html.contains("Page not found"));
    assert!(html.contains(r#"data-testid="not-found""#));
}

#[tokio::test]
async fn static_files_are_served_with_the_same_headers() {
    let app = TestApp::new().await;
    let response = app.get("/pkg/imgigo.css").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_security_headers(&response);
    assert_eq!(text(response).await, "body{color:#111}");
    let robots = app.get("/robots.txt").await;
    assert_eq!(robots.status(), StatusCode::OK);
}

#[tokio::test]
async fn healthz_answers_while_the_process_runs() {
    let app = TestApp::new().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_security_headers(&response);
    let json: serde_json::Value = serde_json::from_str(&text(response).await).expect("json");
    assert_eq!(json["status"], "ok");
}

#[tokio::test]
async fn readyz_reports_the_database_and_fails_when_it_is_gone() {
    let app = TestApp::new().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&text(response).await).expect("json");
    assert_eq!(json["status"], "ready");
    assert_eq!(json["checks"]["database"], "ok");
    assert_eq!(
        json["checks"]["database_backend"],
        services::testing::Backend::from_env().name()
    );
    // No IMGIGO_DEVICE and no GPU here: auto settles on the CPU and says so.
    let device = &json["checks"]["device"];
    assert_eq!(device["requested"], "auto");
    assert_eq!(device["kind"], "cpu");
    let name = device["name"].as_str().expect("device name");
    assert!(name.starts_with("CPU ("), "{name}");
    // This test app never loads a model.
    assert_eq!(json["checks"]["model"], "unavailable");

    app.app.db.close_by_ref().await.expect("close the pool");
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let json: serde_json::Value = serde_json::from_str(&text(response).await).expect("json");
    assert_eq!(json["error"]["status"], 503);
    let message = json["error"]["message"].as_str().expect("message");
    assert!(message.contains("database is unavailable"), "{message}");
}

#[tokio::test]
async fn hsts_is_sent_only_when_served_over_tls() {
    let app = TestApp::with_env(&[("IMGIGO_PUBLIC_URL", "https://imgigo.example")]).await;
    let response = app.get("/healthz").await;
    assert_eq!(
        header(&response, "strict-transport-security"),
        "max-age=63072000; includeSubDomains"
    );
}

#[tokio::test]
async fn pages_are_compressed_when_the_client_accepts_it() {
    let app = TestApp::new().await;
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
