//! Product updates and their one-click unsubscribe over HTTP: an admin previews and sends an
//! update through the server functions (others are refused); the link's GET shows a page and
//! changes nothing; a POST as a mail client sends it (RFC 8058: no cookie, no Origin) turns
//! product updates off, again and again with the same answer; a forged link changes nothing.

mod support;
use support::*;

use axum::body::Body;
use http::{Request, StatusCode, header};
use services::privacy::consent::{self, Purpose};

/// The path and query of an absolute link.
fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find('/')
        .map_or("/".to_string(), |at| rest[at..].to_string())
}

async fn one_click(app: &TestApp, path: &str) -> http::Response<Body> {
    app.send(
        Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("List-Unsubscribe=One-Click"))
            .expect("request"),
    )
    .await
}

async fn marketing(app: &TestApp, email: &str) -> bool {
    let user = services::accounts::find_by_email(&app.app.db, email)
        .await
        .expect("lookup")
        .expect("account");
    consent::current(&app.app.db, user.id, Purpose::Marketing)
        .await
        .expect("consent")
}

#[tokio::test]
async fn an_update_s_link_unsubscribes_by_post_without_cookie_and_get_changes_nothing() {
    let _turn = page_turn().await;
    let app = TestApp::builder().mail_capture().build().await;
    let admin = app.admin("Root", "root@example.com").await;
    let ada = app.account("ada@example.com").await;
    let response = app
        .call(
            "set_consent",
            &[("purpose", "marketing"), ("granted", "true")],
            Some(&ada),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let draft = |intent| {
        [
            ("subject", "News"),
            ("body", "Hello **there**."),
            ("intent", intent),
        ]
    };
    // Only admins write updates.
    let response = app.call("compose_update", &draft("send"), Some(&ada)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = app
        .call(
            "compose_update",
            &[("subject", ""), ("body", "x"), ("intent", "preview")],
            Some(&admin),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refusal = json(response).await;
    let reason = refusal["message"].as_str().unwrap_or_default();
    assert!(reason.contains("subject"), "{refusal}");
    let preview = json(
        app.call("compose_update", &draft("preview"), Some(&admin))
            .await,
    )
    .await;
    assert_eq!(preview["recipients"], 1);
    assert_eq!(preview["queued"], serde_json::Value::Null);
    let plain = preview["text"].as_str().unwrap_or_default();
    assert!(
        plain.starts_with("Hello **there**.") && plain.contains("Unsubscribe"),
        "{plain}"
    );
    assert_eq!(
        app.mail_count("product_update"),
        0,
        "a preview sends nothing"
    );
    let sent = json(
        app.call("compose_update", &draft("send"), Some(&admin))
            .await,
    )
    .await;
    assert_eq!(sent["queued"], 1, "{sent}");
    let mail = app.mail("product_update", "ada@example.com").await;
    let link = mail.unsubscribe.clone().expect("an unsubscribe link");
    assert!(mail.text.contains(&link) && mail.html.contains(&link));
    let path = path_of(&link);
    assert!(path.starts_with("/mail/unsubscribe?t="), "{path}");

    // GET: a page with a button; nothing changes.
    let response = app.get(&path, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "cache-control"), "no-store");
    let page = text(response).await;
    assert!(
        page.contains("a•••@example.com") && page.contains("data-testid=\"unsubscribe\""),
        "{page}"
    );
    assert!(marketing(&app, "ada@example.com").await);

    // POST as a mail client: no cookie, no Origin.
    for _ in 0..2 {
        let response = one_click(&app, &path).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(text(response).await.contains("No more product updates"));
    }
    assert!(!marketing(&app, "ada@example.com").await);
    let account = json(app.call("account_overview", &[], Some(&ada)).await).await;
    assert_eq!(account["marketing"], false);

    // Forged: refused with a sentence, and nothing changes for anyone.
    let response = one_click(
        &app,
        "/mail/unsubscribe?t=1.9999999999.00000000000000000000000000000000",
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(text(response).await.contains("not valid"));
    let response = app.get("/mail/unsubscribe", None).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // The outbox's health and the updates' delivery are for admins: everything went out.
    let overview = json(app.call("mail_overview", &[], Some(&admin)).await).await;
    assert_eq!(
        (overview["queued"].as_u64(), overview["failed"].as_u64()),
        (Some(0), Some(0)),
        "{overview}"
    );
    assert_eq!(overview["updates"][0]["subject"], "News");
    assert_eq!(overview["updates"][0]["recipients"], 1);
    let response = app.call("mail_overview", &[], Some(&ada)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}
