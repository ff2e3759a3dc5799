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

    let draft = [("subject", "News"), ("body", "Hello **there**.")];
    // Only admins write updates.
    let response = app.call("update_send", &draft, Some(&ada)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = app
        .call(
            "update_preview",
            &[("subject", ""), ("body", "x")],
            Some(&admin),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refusal = json(response).await;
    assert!(
        refusal["message"]
            .as_str()
            .unwrap_or_default()
            .contains("subject"),
        "{refusal}"
    );
    let preview = json(app.call("update_preview", &draft, Some(&admin)).await).await;
    assert_eq!(preview["recipients"], 1);
    assert!(
        preview["html"]
            .as_str()
            .unwrap_or_default()
            .contains("<strong>there</strong>")
    );
    let response = app.call("update_send", &draft, Some(&admin)).await;
    assert_eq!(response.status(), StatusCode::OK);
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
}
