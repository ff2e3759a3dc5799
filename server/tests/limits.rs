//! Limits over HTTP: wrong API keys throttled per address (before the database is asked) on both
//! APIs, `GET /v1.0/account` limited like every other call, IPv6 callers counted per /64, wrong
//! current passwords (password change, account deletion) throttled per account, and `image_url`
//! kept to the web's ports.

mod support;

use axum::body::Body;
use http::{Request, StatusCode, header};
use support::*;

/// A cheap call of each kind that takes the API's door: the body is never read when the door
/// refuses, and is refused itself (400) when the door lets it through.
fn api_call(path: &str, key: Option<&str>) -> Request<Body> {
    let mut request = if path == "/v1.0/account" {
        Request::get(path)
    } else {
        Request::post(path).header(header::CONTENT_TYPE, "image/png")
    };
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    request.body(Body::from("not an image")).expect("request")
}

const PATHS: [&str; 3] = ["/api/v1/cutouts", "/v1.0/removebg", "/v1.0/account"];

/// The answer's status and `Retry-After`, if any.
async fn status_and_wait(api: &TestApp, request: Request<Body>) -> (StatusCode, Option<u64>) {
    let response = api.send(request).await;
    let wait = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok());
    (response.status(), wait)
}

#[tokio::test]
async fn a_flood_of_wrong_api_keys_is_refused_per_address_before_the_database() {
    let api = TestApp::new().await;
    // Ten wrong keys from one /64 are answered as wrong (401, or remove.bg's 403)…
    for n in 0..10u16 {
        let path = PATHS[usize::from(n) % PATHS.len()];
        let key = format!("imgigo_wrong{n}");
        let from_host = format!("2001:db8:aa:1::{n:x}");
        let (status, wait) =
            status_and_wait(&api, from(&from_host, api_call(path, Some(&key)))).await;
        assert!(
            matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN),
            "{path}: {status}"
        );
        assert_eq!(wait, None);
    }
    // …then the network waits, on every endpoint, whichever host in it asks.
    for path in PATHS {
        let (status, wait) = status_and_wait(
            &api,
            from(
                "2001:db8:aa:1:ffff::9",
                api_call(path, Some("imgigo_wrong")),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{path}");
        let wait = wait.expect("Retry-After");
        assert!((1..=60).contains(&wait), "{path}: {wait}");
    }
    let message = api
        .send(from(
            "2001:db8:aa:1::1",
            api_call("/api/v1/cutouts", Some("imgigo_x")),
        ))
        .await;
    assert!(
        String::from_utf8_lossy(&bytes(message).await).contains("Too many invalid API keys"),
        "a sentence saying why"
    );
    // Other networks are not affected.
    let (status, _) = status_and_wait(
        &api,
        from(
            "2001:db8:aa:2::1",
            api_call("/api/v1/cutouts", Some("imgigo_wrong")),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The refusal happens before any lookup: with the database gone, the throttled network still
    // gets its 429, while a fresh network's key lookup now fails.
    api.app
        .db
        .clone()
        .close()
        .await
        .expect("close the database");
    let (status, _) = status_and_wait(
        &api,
        from(
            "2001:db8:aa:1::2",
            api_call("/api/v1/cutouts", Some("imgigo_wrong")),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, _) = status_and_wait(
        &api,
        from(
            "198.51.100.3",
            api_call("/api/v1/cutouts", Some("imgigo_wrong")),
        ),
    )
    .await;
    assert!(
        status.is_server_error(),
        "the lookup needs the database: {status}"
    );
}

/// A confirmed account and one API key for it.
async fn account_with_key(api: &TestApp, email: &str) -> String {
    let user = services::accounts::roles::create_admin(&api.app, "Ada", email, PASSWORD)
        .await
        .expect("account");
    services::accounts::api_keys::create(&api.app, &user, "script")
        .await
        .expect("key")
        .secret
}

#[tokio::test]
async fn v1_account_is_limited_per_key_like_every_other_call() {
    let api = TestApp::builder()
        .env("IMGIGO_KEY_BURST", "3")
        .env("IMGIGO_KEY_PER_MINUTE", "1")
        .build()
        .await;
    let secret = account_with_key(&api, "ada@example.com").await;
    for remaining in ["2", "1", "0"] {
        let response = api.send(api_call("/v1.0/account", Some(&secret))).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, "x-ratelimit-limit"), "3");
        assert_eq!(header(&response, "x-ratelimit-remaining"), remaining);
    }
    let (status, wait) = status_and_wait(&api, api_call("/v1.0/account", Some(&secret))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(wait.is_some_and(|wait| wait >= 1), "Retry-After");
    // The same key's bucket covers the cutout APIs too.
    let (status, _) = status_and_wait(&api, api_call("/v1.0/removebg", Some(&secret))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn anonymous_ipv6_callers_share_the_limit_of_their_64() {
    let api = TestApp::builder()
        .env("IMGIGO_ANON_BURST", "2")
        .env("IMGIGO_ANON_PER_MINUTE", "1")
        .build()
        .await;
    for host in ["2001:db8:77:1::1", "2001:db8:77:1:ffff:ffff:ffff:ffff"] {
        let (status, _) =
            status_and_wait(&api, from(host, api_call("/api/v1/cutouts", None))).await;
        assert_ne!(status, StatusCode::TOO_MANY_REQUESTS, "{host}");
    }
    let (status, wait) = status_and_wait(
        &api,
        from("2001:db8:77:1::abcd", api_call("/api/v1/cutouts", None)),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "a third host of the same /64"
    );
    assert!(wait.is_some());
    let (status, _) = status_and_wait(
        &api,
        from("2001:db8:77:2::1", api_call("/api/v1/cutouts", None)),
    )
    .await;
    assert_ne!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the next /64 has its own"
    );
}

async fn status_and_text(response: http::Response<Body>) -> (StatusCode, Option<String>, String) {
    let status = response.status();
    let wait = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    (
        status,
        wait,
        String::from_utf8_lossy(&bytes(response).await).to_string(),
    )
}

#[tokio::test]
async fn a_sixth_wrong_current_password_is_throttled_for_password_change_and_deletion() {
    let api = TestApp::without_model().await;
    let cookie = api.admin("Ada", "ada@example.com").await;
    let change = |current: &'static str| {
        let cookie = cookie.clone();
        let api = &api;
        async move {
            let form = [
                ("current_password", current),
                ("password", "a new passphrase, long enough"),
            ];
            status_and_text(api.call("change_password", &form, Some(&cookie)).await).await
        }
    };
    for attempt in 1..=5 {
        let (status, wait, text) = change("not my password").await;
        assert!(status.is_client_error(), "attempt {attempt}: {status}");
        assert_ne!(status, StatusCode::TOO_MANY_REQUESTS, "attempt {attempt}");
        assert!(text.contains("not your current password"), "{text}");
        assert_eq!(wait, None);
    }
    let (status, wait, text) = change("not my password").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(wait.is_some(), "Retry-After");
    assert!(text.contains("please wait 15 minutes"), "{text}");
    // Even the right password waits (otherwise the pause would confirm a guess)…
    let (status, _, _) = change(PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // …and deleting the account checks the same count.
    let form = [("password", PASSWORD), ("confirm", "on")];
    let (status, _, _) =
        status_and_text(api.call("delete_account", &form, Some(&cookie)).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

    // Another account is not affected; its own deletion form is throttled after five wrong tries.
    let other = api.admin("Ada", "bob@example.com").await;
    let wrong = [("password", "not my password"), ("confirm", "on")];
    for attempt in 1..=5 {
        let (status, _, text) =
            status_and_text(api.call("delete_account", &wrong, Some(&other)).await).await;
        assert!(status.is_client_error(), "attempt {attempt}: {status}");
        assert_ne!(status, StatusCode::TOO_MANY_REQUESTS, "attempt {attempt}");
        assert!(text.contains("not your current password"), "{text}");
    }
    let (status, wait, _) =
        status_and_text(api.call("delete_account", &wrong, Some(&other)).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(wait.is_some(), "Retry-After");
    let login = [("email", "bob@example.com"), ("password", PASSWORD)];
    let response = api.call("login", &login, None).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the throttled deletion deleted nothing"
    );
}

#[tokio::test]
async fn image_url_on_another_port_is_refused_outside_tests() {
    let api = TestApp::builder()
        .fetch(services::fetch::FetchPolicy {
            enabled: true,
            ..Default::default()
        })
        .build()
        .await;
    for url in [
        "http://example.com:8080/photo.png",
        "https://example.com:8443/photo.png",
        "http://1.1.1.1:6379/",
    ] {
        let response = api.removebg("application/json", url_body(url), &[]).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{url}");
        let (_, detail) = errors(&json(response).await);
        assert!(detail.contains("image_url"), "{url}: {detail}");
        assert!(detail.contains("80 and 443"), "{url}: {detail}");
    }
}

/// A network that keeps earning refusals (here: uploads of the wrong type) is blocked for a minute
/// after 30 within ten minutes: every request from it is then a 429 with `Retry-After`, pages
/// included, while other networks go on; an admin lifts the block.
#[tokio::test]
async fn a_network_that_keeps_hitting_limits_is_blocked_for_a_while_and_can_be_let_back() {
    let app = TestApp::fake().await;
    let refused = |peer: &str| {
        app.send_in_process(from_peer(
            peer,
            Request::post("/api/v1/cutouts")
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from("not an image"))
                .expect("request"),
        ))
    };
    let page = |peer: &str| {
        app.send_in_process(from_peer(
            peer,
            Request::get("/healthz")
                .body(Body::empty())
                .expect("request"),
        ))
    };
    let mut statuses = Vec::new();
    for _ in 0..services::abuse::blocklist::STRIKES {
        statuses.push(refused("203.0.113.77").await.status());
    }
    assert!(
        statuses
            .iter()
            .all(|status| status.is_client_error() && *status != StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let blocked = page("203.0.113.77").await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = blocked
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(text(blocked).await.contains("try again in"));
    assert_eq!(
        page("203.0.113.78").await.status(),
        StatusCode::OK,
        "others go on"
    );

    let blocks = app.app.abuse.blocks.blocks();
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].network.to_string(), "203.0.113.77");
    assert!(app.app.abuse.blocks.lift(blocks[0].network));
    assert_eq!(page("203.0.113.77").await.status(), StatusCode::OK);
}
