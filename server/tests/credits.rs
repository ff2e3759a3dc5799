//! Credits over real HTTP (issue 18), with the fake engine: with payments on, calls with an API key
//! are charged as remove.bg charges (`X-Credits-Charged`: 0.25 for a preview, 1 at full size), the
//! month's free credits first; with too few, remove.bg's 402 `insufficient_credits` (and a 402 on
//! the native API) and nothing done; a call that fails costs nothing; `/v1.0/account` shows the
//! balance. With payments off nothing is ever charged.

use axum::body::Body;
use http::{Request, StatusCode, header};

mod support;
use support::*;

/// An app with payments on and `free` credits a month; returns it, an API key's secret and the
/// page turn (held for the test).
async fn paid_app(free: &str) -> (TestApp, String, tokio::sync::MutexGuard<'static, ()>) {
    let turn = page_turn().await;
    let app = TestApp::builder()
        .engine(services::cutout::fake::FakeEngine::new())
        .mail_capture()
        .env("IMGIGO_STRIPE_SECRET_KEY", "sk_test_imgigo")
        .env("IMGIGO_STRIPE_WEBHOOK_SECRET", "whsec_test")
        .env("IMGIGO_FREE_CREDITS", free)
        .build()
        .await;
    let secret = keyed(&app).await;
    (app, secret, turn)
}

async fn removebg(
    app: &TestApp,
    key: &str,
    size: &str,
    photo: &image::RgbImage,
) -> http::Response<Body> {
    let body = serde_json::json!({ "image_file_b64": b64(&png(photo)), "size": size }).to_string();
    app.removebg("application/json", body.into_bytes(), &[("x-api-key", key)])
        .await
}

/// Ada's account and an API key of hers; returns the key's secret.
async fn keyed(app: &TestApp) -> String {
    let cookie = app.account("ada@example.com").await;
    let created = app
        .call("create_api_key", &[("name", "script")], Some(&cookie))
        .await;
    assert_eq!(created.status(), StatusCode::OK);
    json(created).await["secret"]
        .as_str()
        .expect("secret")
        .to_string()
}

async fn credits(app: &TestApp, key: &str) -> serde_json::Value {
    let response = app
        .send(
            Request::get("/v1.0/account")
                .header("x-api-key", key)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    json(response).await["data"]["attributes"]["credits"].clone()
}

#[tokio::test]
async fn calls_with_a_key_are_charged_until_the_credits_run_out() {
    let (app, key, _turn) = paid_app("1.5").await;
    let photo = subject_photo(80, 60);
    assert_eq!(credits(&app, &key).await["total"].as_f64(), Some(1.5));

    let preview = removebg(&app, &key, "preview", &photo).await;
    assert_eq!(preview.status(), StatusCode::OK);
    assert_eq!(header(&preview, "x-credits-charged"), "0.25");
    let full = removebg(&app, &key, "full", &photo).await;
    assert_eq!(full.status(), StatusCode::OK);
    assert_eq!(header(&full, "x-credits-charged"), "1");
    let left = credits(&app, &key).await;
    assert_eq!(left["total"].as_f64(), Some(0.25), "{left}");
    assert_eq!(left["free"].as_f64(), Some(0.25), "{left}");

    // A full-size call needs 1: refused with remove.bg's code, nothing charged.
    let refused = removebg(&app, &key, "full", &photo).await;
    assert_eq!(refused.status(), StatusCode::PAYMENT_REQUIRED);
    let (code, detail) = errors(&json(refused).await);
    assert_eq!(code, "insufficient_credits", "{detail}");
    assert_eq!(credits(&app, &key).await["total"].as_f64(), Some(0.25));

    // The native API answers a clear 402 too.
    let native = app
        .send(
            Request::post("/api/v1/cutouts")
                .header(header::CONTENT_TYPE, "image/png")
                .header("x-api-key", &key)
                .body(Body::from(png(&photo)))
                .expect("request"),
        )
        .await;
    assert_eq!(native.status(), StatusCode::PAYMENT_REQUIRED);
    let said = message(native).await;
    assert!(
        said.contains("needs 1 credit and the account has 0.25"),
        "{said}"
    );

    // The last quarter buys one more preview.
    let last = removebg(&app, &key, "preview", &photo).await;
    assert_eq!(last.status(), StatusCode::OK);
    assert_eq!(credits(&app, &key).await["total"].as_f64(), Some(0.0));
}

#[tokio::test]
async fn a_call_that_fails_costs_nothing() {
    let (app, key, _turn) = paid_app("1").await;
    // One flat colour: the fake finds no subject, remove.bg's 400 `unknown_foreground`.
    let flat = image::RgbImage::from_pixel(40, 30, image::Rgb([90, 90, 90]));
    let response = removebg(&app, &key, "full", &flat).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(errors(&json(response).await).0, "unknown_foreground");
    assert_eq!(credits(&app, &key).await["total"].as_f64(), Some(1.0));
    // Invalid options are refused before anything is charged.
    let body =
        serde_json::json!({ "image_file_b64": b64(&png(&subject_photo(80, 60))), "size": "huge" })
            .to_string();
    let response = app
        .removebg(
            "application/json",
            body.into_bytes(),
            &[("x-api-key", &key)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(credits(&app, &key).await["total"].as_f64(), Some(1.0));
}

#[tokio::test]
async fn without_payments_nothing_is_charged() {
    let _turn = page_turn().await;
    let app = TestApp::builder()
        .engine(services::cutout::fake::FakeEngine::new())
        .mail_capture()
        .build()
        .await;
    let key = keyed(&app).await;
    for _ in 0..3 {
        let response = removebg(&app, &key, "full", &subject_photo(80, 60)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, "x-credits-charged"), "0");
    }
    assert_eq!(credits(&app, &key).await["total"].as_f64(), Some(0.0));
}

/// A paid app selling one pack, its webhook secret, and the account's id and key.
async fn shop() -> (
    TestApp,
    String,
    i64,
    tokio::sync::MutexGuard<'static, ()>,
    tempfile::TempDir,
) {
    let turn = page_turn().await;
    let dir = tempfile::tempdir().expect("temp");
    let products = dir.path().join("products.json");
    std::fs::write(
        &products,
        r#"{"packs":[{"id":"credits-10","name":"10 credits","price":"price_10","credits":10,"shown_price":"€2"}]}"#,
    )
    .expect("products file");
    let app = TestApp::builder()
        .engine(services::cutout::fake::FakeEngine::new())
        .mail_capture()
        .env("IMGIGO_STRIPE_SECRET_KEY", "sk_test_imgigo")
        .env("IMGIGO_STRIPE_WEBHOOK_SECRET", "whsec_new,whsec_old")
        .env("IMGIGO_FREE_CREDITS", "0")
        .env("IMGIGO_PRODUCTS", products.to_str().expect("path"))
        .build()
        .await;
    let key = keyed(&app).await;
    let user_id = services::accounts::find_by_email(&app.app.db, "ada@example.com")
        .await
        .expect("lookup")
        .expect("ada")
        .id;
    (app, key, user_id, turn, dir)
}

fn checkout_event(event: &str, kind: &str, session: &str, user_id: i64, status: &str) -> Vec<u8> {
    serde_json::json!({
        "id": event,
        "object": "event",
        "type": kind,
        "data": { "object": {
            "id": session,
            "object": "checkout.session",
            "mode": "payment",
            "payment_status": status,
            "client_reference_id": user_id.to_string(),
            "metadata": { "pack": "credits-10" },
        } }
    })
    .to_string()
    .into_bytes()
}

async fn deliver(app: &TestApp, body: &[u8], signature: &str) -> http::Response<Body> {
    app.send(
        Request::post("/webhooks/stripe")
            .header(header::CONTENT_TYPE, "application/json")
            .header("stripe-signature", signature)
            .body(Body::from(body.to_vec()))
            .expect("request"),
    )
    .await
}

#[tokio::test]
async fn a_signed_paid_checkout_grants_its_pack_once() {
    let (app, key, ada, _turn, _dir) = shop().await;
    let now = app.app.clock.now().timestamp();
    let sign =
        |body: &[u8], secret: &str, at: i64| services::billing::signature::sign(body, secret, at);

    // Completed but not paid yet (a bank transfer): nothing; then paid: 10 credits.
    let pending = checkout_event("evt_1", "checkout.session.completed", "cs_1", ada, "unpaid");
    let response = deliver(&app, &pending, &sign(&pending, "whsec_new", now)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(credits(&app, &key).await["total"].as_f64(), Some(0.0));
    let paid = checkout_event(
        "evt_2",
        "checkout.session.async_payment_succeeded",
        "cs_1",
        ada,
        "paid",
    );
    // Signed with the secret being rotated out: still accepted.
    let response = deliver(&app, &paid, &sign(&paid, "whsec_old", now)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(credits(&app, &key).await["payg"].as_f64(), Some(10.0));

    // The same event again, and the same checkout under another event: no more credits.
    assert_eq!(
        deliver(&app, &paid, &sign(&paid, "whsec_new", now))
            .await
            .status(),
        StatusCode::OK
    );
    let again = checkout_event("evt_3", "checkout.session.completed", "cs_1", ada, "paid");
    assert_eq!(
        deliver(&app, &again, &sign(&again, "whsec_new", now))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(credits(&app, &key).await["total"].as_f64(), Some(10.0));
    // One receipt for the one grant, whichever events said it was paid.
    app.mail("receipt", "ada@example.com").await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(app.mail_count("receipt"), 1);

    // An event imgigo has no use for is acknowledged.
    let other = br#"{"id":"evt_4","object":"event","type":"customer.created","data":{"object":{"id":"cus_1"}}}"#;
    assert_eq!(
        deliver(&app, other, &sign(other, "whsec_new", now))
            .await
            .status(),
        StatusCode::OK
    );

    // Refused, and nothing granted: a tampered body, a stale signature, a foreign secret, none.
    let second = checkout_event("evt_5", "checkout.session.completed", "cs_2", ada, "paid");
    let signature = sign(&second, "whsec_new", now);
    let mut tampered = second.clone();
    let at = tampered.len() - 3;
    tampered[at] = b' ';
    for (body, signature) in [
        (tampered.clone(), signature.clone()),
        (second.clone(), sign(&second, "whsec_new", now - 301)),
        (second.clone(), sign(&second, "whsec_elsewhere", now)),
        (second.clone(), String::new()),
    ] {
        let response = deliver(&app, &body, &signature).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{signature}");
        assert!(message(response).await.starts_with("Refused"));
    }
    assert_eq!(credits(&app, &key).await["total"].as_f64(), Some(10.0));
    // The genuine one grants.
    assert_eq!(
        deliver(&app, &second, &signature).await.status(),
        StatusCode::OK
    );
    assert_eq!(credits(&app, &key).await["total"].as_f64(), Some(20.0));

    // The credits pay for calls.
    let response = removebg(&app, &key, "full", &subject_photo(80, 60)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(credits(&app, &key).await["total"].as_f64(), Some(19.0));
}

#[tokio::test]
async fn without_payments_the_webhook_is_not_there() {
    let app = TestApp::fake().await;
    let body = br#"{"id":"evt_1","type":"customer.created","data":{"object":{}}}"#;
    let signature =
        services::billing::signature::sign(body, "whsec_x", app.app.clock.now().timestamp());
    assert_eq!(
        deliver(&app, body, &signature).await.status(),
        StatusCode::NOT_FOUND
    );
}
