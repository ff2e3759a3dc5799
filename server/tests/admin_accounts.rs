//! `/admin/accounts` over HTTP: anonymous visitors are sent to log in, support staff get 403, an
//! admin finds an account by email (audited for the person) and deletes it for a verified request
//! (the confirmation mail goes out); a POST from another site is refused by the Origin check.

mod support;
use support::*;

use axum::body::Body;
use http::{Request, StatusCode, header};

async fn post(
    app: &TestApp,
    path: &str,
    form: &str,
    cookie: &str,
    origin: &str,
) -> (StatusCode, String) {
    let response = app
        .send(
            Request::post(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, cookie)
                .header(header::ORIGIN, origin)
                .body(Body::from(form.to_string()))
                .expect("request"),
        )
        .await;
    let status = response.status();
    (status, text(response).await)
}

#[tokio::test]
async fn an_admin_finds_and_deletes_an_account_for_a_verified_request() {
    let _turn = page_turn().await;
    let app = TestApp::builder().mail_capture().build().await;
    let admin = app.admin("Root", "root@example.com").await;
    let ada = app.account("ada@example.com").await;
    drop(ada);

    let anonymous = app.get("/admin/accounts", None).await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    let helper = app.account("helper@example.com").await;
    let response = app
        .call(
            "set_role",
            &[("email", "helper@example.com"), ("role", "support")],
            Some(&admin),
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        text(response).await
    );
    let (status, _) = post(
        &app,
        "/admin/accounts/find",
        "email=ada%40example.com",
        &helper,
        ORIGIN,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "support staff cannot");

    let page = app.get("/admin/accounts", Some(&admin)).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(text(page).await.contains("Find the account"));
    let (status, _) = post(
        &app,
        "/admin/accounts/find",
        "email=ada%40example.com",
        &admin,
        "https://evil.example",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another site's form");

    let (status, body) = post(
        &app,
        "/admin/accounts/find",
        "email=ADA%40example.com",
        &admin,
        ORIGIN,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("data-testid=\"admin-account\""), "{body}");
    assert!(body.contains("ada@example.com"));
    let id: i64 = body
        .split("name=\"account\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|id| id.parse().ok())
        .expect("the account's number in the form");
    let audit = services::privacy::audit::for_subject(&app.app, id)
        .await
        .expect("audit");
    assert!(
        audit
            .iter()
            .any(|row| row.action.contains("looked up your account"))
    );

    let (status, body) = post(
        &app,
        "/admin/accounts/find",
        "email=nobody%40example.com",
        &admin,
        ORIGIN,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("No account has the address"));

    let (status, body) = post(
        &app,
        "/admin/accounts/delete",
        &format!("account={id}&reason=verified"),
        &admin,
        ORIGIN,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not confirmed: {body}"
    );
    assert!(body.contains("Tick the box"));
    let (status, body) = post(
        &app,
        "/admin/accounts/delete",
        &format!("account={id}&reason=mail+to+the+privacy+address%2C+identity+checked&confirm=yes"),
        &admin,
        ORIGIN,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("data-testid=\"admin-deleted\""));
    app.mail("account_deleted", "ada@example.com").await;
    let (status, _) = post(
        &app,
        "/admin/accounts/delete",
        &format!("account={id}&reason=again&confirm=yes"),
        &admin,
        ORIGIN,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "gone");
}

/// Blocked networks are listed on the page (from RAM) and an admin lets one back in.
#[tokio::test]
async fn an_admin_sees_the_blocked_networks_and_lets_one_back_in() {
    let _turn = page_turn().await;
    let app = TestApp::builder().mail_capture().build().await;
    let admin = app.admin("Root", "root@example.com").await;
    let network: std::net::IpAddr = "203.0.113.5".parse().expect("ip");
    for _ in 0..services::abuse::blocklist::STRIKES {
        app.app.abuse.blocks.strike(network);
    }
    let page = text(app.get("/admin/accounts", Some(&admin)).await).await;
    assert!(page.contains("1 blocked now"), "{page}");
    assert!(page.contains("<td>203.0.113.5</td>"));
    let (status, body) = post(
        &app,
        "/admin/accounts/lift",
        "network=203.0.113.5",
        &admin,
        ORIGIN,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("data-testid=\"block-lifted\""));
    assert!(body.contains("0 blocked now"));
    assert_eq!(app.app.abuse.blocks.blocked(network), None);
    let (status, _) = post(
        &app,
        "/admin/accounts/lift",
        "network=203.0.113.5",
        &admin,
        ORIGIN,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing left to lift");
    let (status, _) = post(
        &app,
        "/admin/accounts/lift",
        "network=not-an-address",
        &admin,
        ORIGIN,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
