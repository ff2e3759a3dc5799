//! Accounts over HTTP, in process: the forms' server functions with real cookies, the Origin check,
//! the account gate and roles, the session cookie's attributes, and API keys on the cutout APIs.

mod support;
use support::*;

use axum::body::Body;
use http::{Request, StatusCode, header};

/// A test app with this file's turn held for as long as it lives: the tests in this file render
/// pages, so they take turns ([`page_turn`]).
struct Turn {
    test_app: TestApp,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl std::ops::Deref for Turn {
    type Target = TestApp;

    fn deref(&self) -> &TestApp {
        &self.test_app
    }
}

/// Accounts with their mail captured, the tiny model for the cutouts their keys make.
async fn accounts_app() -> Turn {
    let turn = page_turn().await;
    Turn {
        test_app: TestApp::builder().mail_capture().build().await,
        _turn: turn,
    }
}

#[tokio::test]
async fn anonymous_visits_and_registration_set_no_cookie() {
    let app = accounts_app().await;
    for path in [
        "/",
        "/privacy",
        "/developers",
        "/register",
        "/login",
        "/forgot",
        "/verify?token=x",
        "/reset?token=x",
    ] {
        let response = app.get(path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(set_cookies(&response).is_empty(), "{path} set a cookie");
    }
    let response = app.register("ada@example.com", ORIGIN).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(set_cookies(&response).is_empty());
    let token = app.token("verify_email", "ada@example.com").await;
    let response = app.call("verify_email", &[("token", &token)], None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        set_cookies(&response).is_empty(),
        "verifying does not log in"
    );
    let response = app.call("verify_email", &[("token", &token)], None).await;
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "a link works once"
    );
    assert!(text(response).await.contains("expired or was already used"));
}

#[tokio::test]
async fn state_changing_requests_need_this_sites_origin() {
    let app = accounts_app().await;
    let form = [("email", "ada@example.com"), ("password", PASSWORD)];
    let missing = app.call_from("login", &form, None, None).await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    assert!(
        text(missing)
            .await
            .contains("did not say which site sent it")
    );
    let foreign = app
        .call_from("login", &form, None, Some("https://evil.test"))
        .await;
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    assert!(text(foreign).await.contains("another website"));
    // The same request from this site reaches the login (and fails on the unknown account).
    let ours = app.call("login", &form, None).await;
    assert_eq!(ours.status(), StatusCode::UNAUTHORIZED);
    // A signed-in session's cookie is no help to a forged request either.
    let cookie = app.account("eve@example.com").await;
    let forged = app
        .call_from(
            "create_api_key",
            &[("name", "stolen")],
            Some(&cookie),
            Some("https://evil.test"),
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let no_origin = app.call_from("logout", &[], Some(&cookie), None).await;
    assert_eq!(no_origin.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/account", Some(&cookie)).await.status(),
        StatusCode::OK,
        "still signed in"
    );
}

#[tokio::test]
async fn login_sets_a_rotating_http_only_lax_cookie_and_logout_ends_it() {
    let app = accounts_app().await;
    let response = app.register("ada@example.com", ORIGIN).await;
    assert_eq!(response.status(), StatusCode::OK);

    let unverified = app
        .call(
            "login",
            &[("email", "ada@example.com"), ("password", PASSWORD)],
            None,
        )
        .await;
    assert_eq!(unverified.status(), StatusCode::FORBIDDEN);
    assert!(set_cookies(&unverified).is_empty());
    assert!(
        text(unverified)
            .await
            .contains("confirm your email address")
    );

    let token = app.token("verify_email", "ada@example.com").await;
    app.call("verify_email", &[("token", &token)], None).await;

    let wrong = app
        .call(
            "login",
            &[
                ("email", "ada@example.com"),
                ("password", "not the password"),
            ],
            None,
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookies(&wrong).is_empty());

    let response = app
        .call(
            "login",
            &[
                ("email", "ada@example.com"),
                ("password", PASSWORD),
                ("next", "/account"),
            ],
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let raw = set_cookies(&response).join("\n");
    assert!(raw.contains("HttpOnly"), "{raw}");
    assert!(raw.contains("SameSite=Lax"), "{raw}");
    assert!(!raw.contains("Secure"), "plain http: {raw}");
    assert!(raw.contains("Path=/"), "{raw}");
    assert_eq!(
        header_opt(&response, "location"),
        Some("/account"),
        "the page goes on to `next`"
    );
    let first = session_cookie(&response).expect("cookie");

    // Logging in again from that session gives it a new id.
    let again = app
        .call(
            "login",
            &[("email", "ada@example.com"), ("password", PASSWORD)],
            Some(&first),
        )
        .await;
    let second = session_cookie(&again).expect("cookie");
    assert_ne!(first, second, "the session id rotates at login");
    assert_eq!(
        app.get("/account", Some(&first)).await.status(),
        StatusCode::SEE_OTHER,
        "the old id is dead"
    );

    let account = app.get("/account", Some(&second)).await;
    assert_eq!(account.status(), StatusCode::OK);
    let me = app.call("current_account", &[], Some(&second)).await;
    assert!(text(me).await.contains("ada@example.com"));

    let out = app.call("logout", &[], Some(&second)).await;
    assert!(
        set_cookies(&out).iter().any(|c| c.contains("Max-Age=0")),
        "the cookie is removed"
    );
    assert_eq!(
        app.get("/account", Some(&second)).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn over_https_the_cookie_is_secure_and_host_prefixed() {
    let _turn = page_turn().await;
    let app = TestApp::builder()
        .mail_capture()
        .env("IMGIGO_PUBLIC_URL", "https://imgigo.test")
        .build()
        .await;
    let response = app.register("ada@example.com", "https://imgigo.test").await;
    assert_eq!(response.status(), StatusCode::OK);
    let token = app.token("verify_email", "ada@example.com").await;
    app.call_from(
        "verify_email",
        &[("token", &token)],
        None,
        Some("https://imgigo.test"),
    )
    .await;
    let response = app
        .call_from(
            "login",
            &[("email", "ada@example.com"), ("password", PASSWORD)],
            None,
            Some("https://imgigo.test"),
        )
        .await;
    let raw = set_cookies(&response).join("\n");
    assert!(raw.starts_with("__Host-imgigo_session="), "{raw}");
    assert!(
        raw.contains("Secure") && raw.contains("HttpOnly") && raw.contains("SameSite=Lax"),
        "{raw}"
    );
}

#[tokio::test]
async fn gated_pages_send_visitors_to_log_in_and_refuse_the_wrong_role() {
    let app = accounts_app().await;
    let response = app.get("/account", None).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        header_opt(&response, "location"),
        Some("/login?next=%2Faccount")
    );
    let response = app.get("/admin", None).await;
    assert_eq!(
        header_opt(&response, "location"),
        Some("/login?next=%2Fadmin")
    );
    let anonymous = app.call("staff_overview", &[], None).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let user = app.account("ada@example.com").await;
    assert_eq!(
        app.get("/admin", Some(&user)).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/staff", Some(&user)).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call("staff_overview", &[], Some(&user)).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.call(
            "set_role",
            &[("email", "ada@example.com"), ("role", "admin")],
            Some(&user)
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );

    services::accounts::roles::create_admin(&app.app, "Root", "root@example.com", PASSWORD)
        .await
        .expect("admin");
    let admin = app.login("root@example.com", PASSWORD).await;
    assert_eq!(
        app.get("/admin", Some(&admin)).await.status(),
        StatusCode::OK
    );
    let counts = app.call("staff_overview", &[], Some(&admin)).await;
    assert_eq!(counts.status(), StatusCode::OK);
    assert!(text(counts).await.contains("\"accounts\":2"));
    let promoted = app
        .call(
            "set_role",
            &[("email", "ada@example.com"), ("role", "support")],
            Some(&admin),
        )
        .await;
    assert_eq!(promoted.status(), StatusCode::OK);
    assert_eq!(
        app.get("/staff", Some(&user)).await.status(),
        StatusCode::OK,
        "support sees the staff page"
    );
    assert_eq!(
        app.get("/admin", Some(&user)).await.status(),
        StatusCode::FORBIDDEN,
        "but not admin"
    );
}

#[tokio::test]
async fn api_keys_lift_anonymous_limits_and_stop_working_when_revoked() {
    let _turn = page_turn().await;
    let app = TestApp::builder()
        .mail_capture()
        .env("IMGIGO_ANON_BURST", "2")
        .env("IMGIGO_ANON_PER_MINUTE", "1")
        .env("IMGIGO_KEY_BURST", "7")
        .build()
        .await;
    let cookie = app.account("ada@example.com").await;
    let created = app
        .call("create_api_key", &[("name", "script")], Some(&cookie))
        .await;
    assert_eq!(created.status(), StatusCode::OK);
    let body = json(created).await;
    let secret = body["secret"].as_str().expect("secret").to_string();
    assert!(secret.starts_with("imgigo_"));
    let listed = text(app.call("account_overview", &[], Some(&cookie)).await).await;
    assert!(!listed.contains(&secret), "the list never shows the key");
    assert!(listed.contains(&secret[..13]), "but shows its prefix");
    app.mail("api_key_created", "ada@example.com").await;

    let photo = png(&image::RgbImage::from_pixel(
        48,
        32,
        image::Rgb([200, 120, 40]),
    ));
    let cutout = |key: Option<&str>| {
        let mut request =
            Request::post("/api/v1/cutouts?size=256").header(header::CONTENT_TYPE, "image/png");
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        request.body(Body::from(photo.clone())).expect("request")
    };
    // Anonymous: two, then 429.
    for _ in 0..2 {
        assert_eq!(app.send(cutout(None)).await.status(), StatusCode::OK);
    }
    assert_eq!(
        app.send(cutout(None)).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // With the key: its own, larger allowance.
    let keyed = app.send(cutout(Some(&secret))).await;
    assert_eq!(keyed.status(), StatusCode::OK);
    assert_eq!(header_opt(&keyed, "x-ratelimit-limit"), Some("7"));
    let account = app
        .send(
            Request::get("/v1.0/account")
                .header("x-api-key", &secret)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(account.status(), StatusCode::OK);
    // One truth: the account endpoint names the limit the keyed answers' header carries.
    let header_limit = header_opt(&keyed, "x-ratelimit-limit").and_then(|v| v.parse::<u64>().ok());
    let account = json(account).await;
    let api = &account["data"]["attributes"]["api"];
    assert_eq!(api["rate_limit"]["limit"].as_u64(), header_limit, "{api}");
    assert_eq!(api["free_calls"].as_u64(), header_limit, "{api}");
    assert!(
        api.get("per_minute").is_none(),
        "no second, different limit: {api}"
    );

    let bad = app.send(cutout(Some("imgigo_made-up"))).await;
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    assert!(text(bad).await.contains("not valid"));

    let id = {
        let listed = json(app.call("account_overview", &[], Some(&cookie)).await).await;
        listed["keys"][0]["id"].as_i64().expect("id")
    };
    let revoked = app
        .call("revoke_api_key", &[("id", &id.to_string())], Some(&cookie))
        .await;
    assert_eq!(revoked.status(), StatusCode::OK);
    let refused = app.send(cutout(Some(&secret))).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let removebg = app
        .send(
            Request::post("/v1.0/removebg")
                .header("x-api-key", &secret)
                .header(header::CONTENT_TYPE, "image/png")
                .body(Body::from(photo.clone()))
                .expect("request"),
        )
        .await;
    assert_eq!(
        removebg.status(),
        StatusCode::FORBIDDEN,
        "remove.bg answers bad keys with 403"
    );
}

#[tokio::test]
async fn login_is_locked_after_repeated_failures_with_retry_after() {
    let app = accounts_app().await;
    app.account("ada@example.com").await;
    for _ in 0..4 {
        let response = app
            .call(
                "login",
                &[("email", "ada@example.com"), ("password", "wrong password")],
                None,
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let locked = app
        .call(
            "login",
            &[("email", "ada@example.com"), ("password", "wrong password")],
            None,
        )
        .await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header_opt(&locked, "retry-after"), Some("900"));
    let right = app
        .call(
            "login",
            &[("email", "ada@example.com"), ("password", PASSWORD)],
            None,
        )
        .await;
    assert_eq!(
        right.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "locked even for the right password"
    );
    assert!(set_cookies(&right).is_empty());
}

#[tokio::test]
async fn sign_out_everywhere_ends_other_devices() {
    let app = accounts_app().await;
    let laptop = app.account("ada@example.com").await;
    let phone = app.login("ada@example.com", PASSWORD).await;
    assert_eq!(
        app.get("/account", Some(&laptop)).await.status(),
        StatusCode::OK
    );
    let response = app.call("sign_out_everywhere", &[], Some(&phone)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        app.get("/account", Some(&laptop)).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.get("/account", Some(&phone)).await.status(),
        StatusCode::SEE_OTHER
    );
}

// ---- the privacy centre ---------------------------------------------------------------------------

#[tokio::test]
async fn download_my_data_is_a_json_attachment_with_the_account() {
    let app = accounts_app().await;
    let anonymous = app.get("/account/export", None).await;
    assert_eq!(
        anonymous.status(),
        StatusCode::SEE_OTHER,
        "visitors log in first"
    );
    let cookie = app.account("ada@example.com").await;
    let response = app.get("/account/export", Some(&cookie)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = header(&response, "content-disposition").to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"imgigo-data-"),
        "{disposition}"
    );
    assert_eq!(header_opt(&response, "cache-control"), Some("no-store"));
    let document = json(response).await;
    assert_eq!(document["schema"], services::privacy::export::SCHEMA);
    assert_eq!(document["users"]["email"], "ada@example.com");
    assert_eq!(document["sessions"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn restriction_and_deletion_work_from_the_account_page() {
    let app = accounts_app().await;
    let cookie = app.account("ada@example.com").await;
    let created = app
        .call("create_api_key", &[("name", "script")], Some(&cookie))
        .await;
    let body = json(created).await;
    let secret = body["secret"].as_str().expect("secret").to_string();
    let account = |key: &str| {
        Request::get("/v1.0/account")
            .header("x-api-key", key)
            .body(Body::empty())
            .expect("request")
    };
    assert_eq!(app.send(account(&secret)).await.status(), StatusCode::OK);

    let restricted = app
        .call("set_restriction", &[("restricted", "true")], Some(&cookie))
        .await;
    assert_eq!(restricted.status(), StatusCode::OK);
    let refused = app.send(account(&secret)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(text(refused).await.contains("restricted"));
    app.call("set_restriction", &[("restricted", "false")], Some(&cookie))
        .await;
    assert_eq!(
        app.send(account(&secret)).await.status(),
        StatusCode::OK,
        "lifted"
    );

    let objection = app
        .call(
            "set_consent",
            &[("purpose", "marketing"), ("granted", "false")],
            Some(&cookie),
        )
        .await;
    assert_eq!(objection.status(), StatusCode::OK);
    let overview = json(app.call("account_overview", &[], Some(&cookie)).await).await;
    assert_eq!(overview["marketing"], false);
    assert_eq!(
        overview["consents"].as_array().map(Vec::len),
        Some(4),
        "signup ×3 (policy, product updates, statistics) + settings"
    );

    // A result made with the key: its link works until the account is deleted.
    let bytes = png(&image::RgbImage::from_pixel(
        40,
        30,
        image::Rgb([10, 200, 90]),
    ));
    let made = app
        .send(
            Request::post("/api/v1/cutouts?size=256")
                .header("x-api-key", &secret)
                .header(header::ACCEPT, "application/json")
                .header(header::CONTENT_TYPE, "image/png")
                .body(Body::from(bytes))
                .expect("request"),
        )
        .await;
    assert_eq!(made.status(), StatusCode::CREATED);
    let made = json(made).await;
    let link = made["result"]["url"].as_str().expect("link").to_string();
    assert_eq!(app.get(&link, None).await.status(), StatusCode::OK);

    let wrong = app
        .call(
            "delete_account",
            &[("password", "not it"), ("confirm", "on")],
            Some(&cookie),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let deleted = app
        .call(
            "delete_account",
            &[("password", PASSWORD), ("confirm", "on")],
            Some(&cookie),
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::OK);
    assert_eq!(
        header_opt(&deleted, "location"),
        Some("/account/deleted"),
        "deletion lands on the page that says it was done"
    );
    assert!(
        set_cookies(&deleted)
            .iter()
            .any(|c| c.contains("Max-Age=0")),
        "signed out"
    );
    app.mail("account_deleted", "ada@example.com").await;
    assert_eq!(
        app.get("/account", Some(&cookie)).await.status(),
        StatusCode::SEE_OTHER
    );
    let login = app
        .call(
            "login",
            &[("email", "ada@example.com"), ("password", PASSWORD)],
            None,
        )
        .await;
    assert_eq!(
        login.status(),
        StatusCode::UNAUTHORIZED,
        "the account is gone"
    );
    assert_eq!(
        app.send(account(&secret)).await.status(),
        StatusCode::FORBIDDEN,
        "its keys too"
    );
    assert_eq!(
        app.get(&link, None).await.status(),
        StatusCode::NOT_FOUND,
        "the results its key made are destroyed"
    );
}

/// Sign-up asks two questions with unticked boxes; the account page shows exactly what was ticked
/// (a browser's Do Not Track does not matter: nothing is on that the person did not turn on).
#[tokio::test]
async fn sign_up_choices_are_what_the_account_page_shows() {
    let app = accounts_app().await;
    for (email, analytics, marketing) in [
        ("none@example.com", None, None),
        ("stats@example.com", Some("on"), None),
        ("both@example.com", Some("on"), Some("on")),
    ] {
        let mut form = vec![
            ("name", "Ada"),
            ("email", email),
            ("password", PASSWORD),
            ("age", "on"),
            ("policy", "on"),
        ];
        if let Some(on) = analytics {
            form.push(("analytics", on));
        }
        if let Some(on) = marketing {
            form.push(("marketing", on));
        }
        let response = app.call("register", &form, None).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{}",
            text(response).await
        );
        let token = app.token("verify_email", email).await;
        app.call("verify_email", &[("token", &token)], None).await;
        let cookie = app.login(email, PASSWORD).await;
        let overview = json(app.call("account_overview", &[], Some(&cookie)).await).await;
        assert_eq!(overview["analytics"], analytics.is_some(), "{email}");
        assert_eq!(overview["marketing"], marketing.is_some(), "{email}");
        let signup: Vec<(String, bool)> = overview["consents"]
            .as_array()
            .expect("consents")
            .iter()
            .map(|row| {
                (
                    row["purpose"].as_str().unwrap_or_default().to_string(),
                    row["granted"].as_bool().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            signup,
            [
                ("privacy_policy".to_string(), true),
                ("marketing".to_string(), marketing.is_some()),
                ("analytics".to_string(), analytics.is_some()),
            ],
            "{email}: every question answered, as ticked"
        );
        let page = text(app.get("/account", Some(&cookie)).await).await;
        let shown = |what: &str, on: bool| format!("{what}: {}", if on { "on." } else { "off." });
        assert!(
            page.contains(&shown("Anonymous statistics", analytics.is_some())),
            "{email}: {page}"
        );
        assert!(page.contains(&shown("Product update mails", marketing.is_some())));
    }
    let register = text(app.get("/register", None).await).await;
    for question in [
        // Unticked: no `checked` attribute.
        "<input type=\"checkbox\" name=\"analytics\">",
        "Count my visits in the anonymous statistics",
        "<input type=\"checkbox\" name=\"marketing\">",
        "Send me product updates by mail",
    ] {
        assert!(
            register.contains(question),
            "sign-up asks: {question}\n{register}"
        );
    }
}

/// The pages state the session lengths the server is configured with.
#[tokio::test]
async fn pages_state_the_configured_session_lengths() {
    let _turn = page_turn().await;
    let app = TestApp::builder()
        .mail_capture()
        .env("IMGIGO_SESSION_IDLE_MINUTES", "45")
        .env("IMGIGO_SESSION_MAX_HOURS", "24")
        .build()
        .await;
    let cookies = text(app.get("/cookies", None).await).await;
    assert!(
        cookies.contains("Ends 45 minutes after your last visit, 1 day after logging in"),
        "{cookies}"
    );
    assert!(!cookies.contains("30 minutes") && !cookies.contains("12 hours"));
    let cookie = app.account("ada@example.com").await;
    let account = text(app.get("/account", Some(&cookie)).await).await;
    assert!(
        account.contains("A session ends after 45 minutes without use and 1 day after logging in."),
        "{account}"
    );
    let expired = app.call("account_overview", &[], None).await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    assert!(text(expired).await.contains("after 45 minutes without use"));
}

#[tokio::test]
async fn the_account_deleted_page_is_public_and_says_what_was_deleted() {
    let app = accounts_app().await;
    let page = app.get("/account/deleted", None).await;
    assert_eq!(page.status(), StatusCode::OK, "no login needed");
    assert!(set_cookies(&page).is_empty());
    let html = text(page).await;
    assert!(
        html.contains("Your account and its data are deleted"),
        "{html}"
    );
    assert!(html.contains("the results made with your API keys"));
    assert!(html.contains("We sent a confirmation"));
}

#[tokio::test]
async fn the_cookie_page_and_the_rights_list_are_public() {
    let app = accounts_app().await;
    let cookies = app.get("/cookies", None).await;
    assert_eq!(cookies.status(), StatusCode::OK);
    assert!(set_cookies(&cookies).is_empty());
    let html = text(cookies).await;
    assert!(html.contains("imgigo_session") && html.contains("HttpOnly"));
    let privacy = text(app.get("/privacy", None).await).await;
    for button in [
        "Download my data",
        "Delete my account",
        "Restrict processing",
        "Turn off",
    ] {
        assert!(privacy.contains(button), "the privacy page names {button}");
    }
    assert!(privacy.contains("href=\"/account#your-data\""));
}

#[tokio::test]
async fn privacy_requests_reach_the_staff_queue_and_only_staff_answer() {
    let app = accounts_app().await;
    let sent = app
        .call(
            "submit_privacy_request",
            &[
                ("email", "visitor@example.com"),
                ("kind", "access"),
                ("message", "What do you hold about me?"),
            ],
            None,
        )
        .await;
    assert_eq!(sent.status(), StatusCode::OK);
    assert!(set_cookies(&sent).is_empty(), "no account, no cookie");
    let id: i64 = text(sent).await.trim().parse().expect("the reference");
    app.mail("request_received", "visitor@example.com").await;
    let refused = app
        .call(
            "submit_privacy_request",
            &[("email", "nope"), ("kind", "access"), ("message", "x")],
            None,
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let user = app.account("ada@example.com").await;
    assert_eq!(
        app.call("staff_requests", &[], Some(&user)).await.status(),
        StatusCode::FORBIDDEN
    );
    let answer = [
        ("id", id.to_string()),
        ("response", "Nothing: you have no account.".to_string()),
        ("close", "on".to_string()),
    ];
    let answer: Vec<(&str, &str)> = answer.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        app.call("answer_request", &answer, Some(&user))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    services::accounts::roles::create_admin(&app.app, "Root", "root@example.com", PASSWORD)
        .await
        .expect("admin");
    let admin = app.login("root@example.com", PASSWORD).await;
    let queue = text(app.call("staff_requests", &[], Some(&admin)).await).await;
    assert!(queue.contains("visitor@example.com") && queue.contains("What do you hold about me?"));
    assert_eq!(
        app.call("answer_request", &answer, Some(&admin))
            .await
            .status(),
        StatusCode::OK
    );
    let reply = app.mail("request_answered", "visitor@example.com").await;
    assert!(reply.text.contains("Nothing: you have no account."));
    let staff_page = app.get("/staff", Some(&admin)).await;
    assert_eq!(staff_page.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_operators_own_privacy_policy_is_shown_and_named_by_new_consents() {
    let folder = tempfile::tempdir().expect("folder");
    let policy_text = "Privacy Policy\nThis server is run by the Example Photo Club.\n1. What We Keep\nOnly your email address, for the club newsletter.\n";
    let file = folder.path().join("policy.txt");
    std::fs::write(&file, policy_text).expect("policy file");
    let _turn = page_turn().await;
    let app = TestApp::builder()
        .mail_capture()
        .env("IMGIGO_PRIVACY_POLICY", &file.display().to_string())
        .build()
        .await;
    let version = services::privacy::policy::version_of(policy_text);
    assert_ne!(
        version,
        services::privacy::policy::PrivacyPolicy::bundled().version()
    );

    let page = app.get("/privacy", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = text(page).await;
    assert!(html.contains("This server is run by the Example Photo Club."));
    assert!(html.contains("1. What We Keep"));
    assert!(html.contains(&version), "the page names the version");
    assert!(!html.contains("6. Your Rights"), "not the bundled policy");

    // A consent recorded afterwards (sign-up's, then a change in the settings) names this text.
    let cookie = app.account("grace@example.com").await;
    let changed = app
        .call(
            "set_consent",
            &[("purpose", "analytics"), ("granted", "true")],
            Some(&cookie),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let overview = json(app.call("account_overview", &[], Some(&cookie)).await).await;
    let consents = overview["consents"].as_array().expect("consents");
    assert!(consents.len() >= 3, "{consents:?}");
    assert!(
        consents
            .iter()
            .all(|c| c["policy_version"] == version.as_str()),
        "{consents:?}"
    );
}

/// The header names the signed-in person and links to their account, on every page and in the
/// header itself (rendered in place, not streamed in later); visitors get "Log in".
#[tokio::test]
async fn the_header_shows_the_signed_in_persons_name() {
    let app = accounts_app().await;
    let header = |page: &str| {
        let start = page.find("<header").expect("a header");
        let end = page[start..].find("</header>").expect("the header's end") + start;
        page[start..end].to_string()
    };
    let visitor = header(&text(app.get("/", None).await).await);
    assert!(visitor.contains(r#"href="/login""#), "{visitor}");
    assert!(!visitor.contains("Ada"), "{visitor}");

    let cookie = app.account("ada@example.com").await;
    for path in ["/", "/privacy", "/account"] {
        let response = app.get(path, Some(&cookie)).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let shown = header(&text(response).await);
        assert!(shown.contains("Ada"), "{path}: {shown}");
        assert!(shown.contains(r#"href="/account""#), "{path}: {shown}");
        assert!(!shown.contains(r#"href="/login""#), "{path}: {shown}");
    }
}
