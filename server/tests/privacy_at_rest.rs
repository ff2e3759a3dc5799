//! The privacy promise kept in what we store and send (issue 13), over HTTP: a transparent result
//! holds no colour of the removed background in any format or API that returns or stores it, and
//! pages with personal data are never cached.

mod support;
use support::*;

use axum::body::Body;
use http::{Request, StatusCode, header};
use image::{Rgb, RgbImage};
use services::cutout::fake::FakeEngine;

const WIDTH: u32 = 160;
const HEIGHT: u32 = 120;
/// The background's two colours, in diagonal stripes: nothing like them may come back.
const PATTERN: [[u8; 3]; 2] = [[240, 10, 230], [10, 230, 240]];

/// Greens where the fake engine sees the subject, the striped pattern everywhere else.
fn striped_photo() -> RgbImage {
    RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        if FakeEngine::is_subject(x, y, WIDTH, HEIGHT) {
            Rgb([20 + (x % 30) as u8, 130 + (y % 50) as u8, 40])
        } else {
            Rgb(PATTERN[((x + y) / 6 % 2) as usize])
        }
    })
}

/// `color.jpg` of a ZIP: around the subject, nothing near the pattern's colours.
fn assert_zip_without_background(what: &str, zip: Vec<u8>) {
    let jpeg = zip_member(&zip, "color.jpg");
    let color = image::load_from_memory(&jpeg).expect("jpeg").to_rgb8();
    assert_eq!(color.dimensions(), (WIDTH, HEIGHT), "{what}");
    for (x, y, pixel) in color.enumerate_pixels() {
        if FakeEngine::is_subject(x, y, WIDTH, HEIGHT) {
            continue;
        }
        for pattern in PATTERN {
            let distance: u32 = pixel
                .0
                .iter()
                .zip(pattern)
                .map(|(&a, b)| u32::from(a.abs_diff(b)))
                .sum();
            assert!(
                distance > 150,
                "{what}: ({x}, {y}) is {:?}, the background's {pattern:?}",
                pixel.0
            );
        }
    }
}

async fn download(api: &TestApp, link: &str) -> Vec<u8> {
    let response = api.get(link, None).await;
    assert_eq!(response.status(), StatusCode::OK, "{link}");
    bytes(response).await
}

#[tokio::test]
async fn no_stored_or_returned_transparent_result_holds_the_removed_background() {
    let api = TestApp::fake().await;
    let photo = striped_photo();
    let upload = png(&photo);

    // The native API, PNG and WebP: the answer and the stored copy behind X-Result-Url.
    for format in ["png", "webp"] {
        let response = api
            .post_raw(&format!("?format={format}"), "image/png", upload.clone())
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{format}");
        let link = header(&response, "x-result-url").to_string();
        let answer = bytes(response).await;
        assert_transparent_cutout(format, &decode_rgba(&answer), &photo);
        let stored = download(&api, &link).await;
        assert_transparent_cutout(
            &format!("{format} re-downloaded"),
            &decode_rgba(&stored),
            &photo,
        );
    }

    // The JSON answer's link (multipart upload, WebP).
    let response = api
        .post_form(
            &[
                ("image", Part::File(upload.clone())),
                ("format", Part::Text("webp")),
            ],
            Some("application/json"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body = json(response).await;
    let link = body["result"]["url"].as_str().expect("url").to_string();
    let stored = download(&api, &link).await;
    assert_transparent_cutout("JSON link", &decode_rgba(&stored), &photo);

    // The native ZIP, answered and stored.
    let response = api
        .post_form(
            &[
                ("image", Part::File(upload.clone())),
                ("format", Part::Text("zip")),
            ],
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let link = header(&response, "x-result-url").to_string();
    assert_zip_without_background("native zip", bytes(response).await);
    assert_zip_without_background("native zip re-downloaded", download(&api, &link).await);

    // remove.bg: PNG and WebP with channels=rgba, and its ZIP.
    for (format, channels) in [("png", "rgba"), ("webp", "rgba"), ("auto", "rgba")] {
        let request = serde_json::json!({
            "image_file_b64": b64(&upload),
            "size": "full",
            "format": format,
            "channels": channels,
        });
        let response = api
            .removebg(
                "application/json",
                serde_json::to_vec(&request).expect("json"),
                &[],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "remove.bg {format}");
        assert_transparent_cutout(
            &format!("remove.bg {format}"),
            &decode_rgba(&bytes(response).await),
            &photo,
        );
    }
    let request = serde_json::json!({
        "image_file_b64": b64(&upload),
        "size": "full",
        "format": "zip",
    });
    let response = api
        .removebg(
            "application/json",
            serde_json::to_vec(&request).expect("json"),
            &[],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_zip_without_background("remove.bg zip", bytes(response).await);
}

#[tokio::test]
async fn pages_with_personal_data_are_never_cached() {
    let api = TestApp::fake().await;
    services::accounts::roles::create_admin(&api.app, "Root", "root@example.com", PASSWORD)
        .await
        .expect("admin");
    let login = api
        .call(
            "login",
            &[("email", "root@example.com"), ("password", PASSWORD)],
            None,
        )
        .await;
    assert_eq!(login.status(), StatusCode::OK);
    assert_eq!(
        header(&login, "cache-control"),
        "no-store",
        "a server function"
    );
    let cookie = session_cookie(&login).expect("a session cookie");

    for path in ["/account", "/account/export", "/staff", "/admin"] {
        for cookie in [Some(cookie.as_str()), None] {
            let mut request = Request::get(path);
            if let Some(cookie) = cookie {
                request = request.header(header::COOKIE, cookie);
            }
            let response = api
                .send_in_process(request.body(Body::empty()).expect("request"))
                .await;
            let expected = if cookie.is_some() {
                StatusCode::OK
            } else {
                StatusCode::SEE_OTHER
            };
            assert_eq!(response.status(), expected, "{path} {cookie:?}");
            assert_eq!(
                header(&response, "cache-control"),
                "no-store",
                "{path} {cookie:?}"
            );
        }
    }
    // Public pages may be cached as usual.
    for path in ["/", "/privacy"] {
        let response = api
            .send_in_process(Request::get(path).body(Body::empty()).expect("request"))
            .await;
        assert_ne!(
            response
                .headers()
                .get(header::CACHE_CONTROL)
                .and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "{path}"
        );
    }
}
