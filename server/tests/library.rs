//! The editor's background library over real HTTP, against a local stand-in for Pexels' API and
//! image host (its search, photo and image routes as Pexels documents them): searches carry the
//! photographer's credit, photos come through our server, and nothing of the visitor reaches Pexels.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Path, Query};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::get;
use http::{Request, StatusCode, header};

mod support;
use support::*;

const KEY: &str = "test-pexels-key";

/// What the stand-in saw: each request's path and query, and its headers.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<(String, HeaderMap)>>>);

impl Seen {
    fn paths(&self) -> Vec<String> {
        self.0
            .lock()
            .expect("seen")
            .iter()
            .map(|(p, _)| p.clone())
            .collect()
    }
}

fn jpeg(seed: u32) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    photo(16, 12, seed)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("jpeg");
    out.into_inner()
}

fn photo_json(base: &str, id: u64) -> serde_json::Value {
    // Photo 666 names an image outside the image host: it must not be fetched.
    let host = if id == 666 {
        "http://127.0.0.2:9"
    } else {
        base
    };
    serde_json::json!({
        "id": id, "width": 4000, "height": 3000, "alt": format!("Photo {id}"),
        "url": format!("https://www.pexels.com/photo/{id}/"),
        "photographer": "Ada Lens", "photographer_url": "https://www.pexels.com/@ada",
        "avg_color": "#778899",
        "src": {
            "original": format!("{host}/photos/{id}-original.jpeg"),
            "large2x": format!("{host}/photos/{id}-large.jpeg"),
            "large": format!("{host}/photos/{id}-l.jpeg"),
            "medium": format!("{host}/photos/{id}-small.jpeg"),
            "small": format!("{host}/photos/{id}-s.jpeg"),
            "tiny": format!("{host}/photos/{id}-t.jpeg")
        }
    })
}

/// Pexels' search, photo and image routes on loopback; the key must be the operator's.
async fn fake_pexels() -> (String, Seen) {
    let seen = Seen::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let record = {
        let seen = seen.clone();
        move |path: String, headers: &HeaderMap| {
            seen.0.lock().expect("seen").push((path, headers.clone()));
        }
    };
    let authorised =
        |headers: &HeaderMap| headers.get(header::AUTHORIZATION).is_some_and(|v| v == KEY);
    let app = axum::Router::new()
        .route(
            "/v1/search",
            get({
                let (record, base) = (record.clone(), base.clone());
                move |Query(query): Query<std::collections::HashMap<String, String>>,
                      headers: HeaderMap| async move {
                    let q = query.get("query").cloned().unwrap_or_default();
                    record(format!("/v1/search?query={q}&page={}", query.get("page").cloned().unwrap_or_default()), &headers);
                    if !authorised(&headers) {
                        return StatusCode::UNAUTHORIZED.into_response();
                    }
                    axum::Json(serde_json::json!({
                        "page": 1, "per_page": 24, "total_results": 3,
                        "photos": [photo_json(&base, 101), photo_json(&base, 102), photo_json(&base, 666)],
                        "next_page": format!("{base}/v1/search?page=2&query={q}")
                    }))
                    .into_response()
                }
            }),
        )
        .route(
            "/v1/photos/{id}",
            get({
                let (record, base) = (record.clone(), base.clone());
                move |Path(id): Path<u64>, headers: HeaderMap| async move {
                    record(format!("/v1/photos/{id}"), &headers);
                    if !authorised(&headers) {
                        return StatusCode::UNAUTHORIZED.into_response();
                    }
                    if id != 303 {
                        return StatusCode::NOT_FOUND.into_response();
                    }
                    axum::Json(photo_json(&base, id)).into_response()
                }
            }),
        )
        .route(
            "/photos/{file}",
            get({
                let record = record.clone();
                move |Path(file): Path<String>, headers: HeaderMap| async move {
                    record(format!("/photos/{file}"), &headers);
                    let seed = if file.contains("small") { 1 } else { 2 };
                    ([(header::CONTENT_TYPE, "image/jpeg")], jpeg(seed)).into_response()
                }
            }),
        );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, seen)
}

async fn library(base: &str) -> TestApp {
    TestApp::builder()
        .env("IMGIGO_PEXELS_KEY", KEY)
        .env("IMGIGO_PEXELS_API", base)
        .env("IMGIGO_PEXELS_IMAGES", base)
        .build()
        .await
}

/// A visitor's request: from an address, with a cookie and a browser's user agent.
fn visitor(path: &str) -> Request<Body> {
    from(
        "203.0.113.9",
        Request::get(path)
            .header(header::COOKIE, "imgigo_session=secret-session")
            .header(header::USER_AGENT, "Mozilla/5.0 (visitor)")
            .body(Body::empty())
            .expect("request"),
    )
}

#[tokio::test]
async fn without_a_key_there_is_no_library() {
    let api = TestApp::new().await;
    for path in ["/api/v1/backgrounds?q=beach", "/api/v1/backgrounds/101"] {
        let response = api.get(path, None).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(message(response).await.contains("Pexels"), "{path}");
    }
}

#[tokio::test]
async fn searches_carry_the_credit_and_photos_come_through_our_server() {
    let (base, seen) = fake_pexels().await;
    let api = library(&base).await;
    let response = api
        .send(visitor("/api/v1/backgrounds?q=sunny%20beach&page=1"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json(response).await;
    assert_eq!(body["more"], true);
    let photos = body["photos"].as_array().expect("photos");
    assert_eq!(photos.len(), 3);
    let first = &photos[0];
    assert_eq!(first["id"], 101);
    assert_eq!(first["photographer"], "Ada Lens");
    assert_eq!(first["photographer_url"], "https://www.pexels.com/@ada");
    assert_eq!(first["pexels_url"], "https://www.pexels.com/photo/101/");
    assert_eq!(first["thumbnail"], "/api/v1/backgrounds/101?size=small");
    assert_eq!(first["image"], "/api/v1/backgrounds/101");
    assert!(
        !body.to_string().contains(&base),
        "no address of Pexels' reaches the page: {body}"
    );

    // The thumbnail and the large photo, through us: one request each to the image host.
    for (path, seed, file) in [
        (
            "/api/v1/backgrounds/101?size=small",
            1,
            "/photos/101-small.jpeg",
        ),
        ("/api/v1/backgrounds/101", 2, "/photos/101-large.jpeg"),
    ] {
        let response = api.send(visitor(path)).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&response, "content-type"), "image/jpeg");
        assert_eq!(bytes(response).await, jpeg(seed), "{path}");
        assert_eq!(seen.paths().last().map(String::as_str), Some(file));
    }
    assert_eq!(
        seen.paths(),
        [
            "/v1/search?query=sunny beach&page=1",
            "/photos/101-small.jpeg",
            "/photos/101-large.jpeg"
        ],
        "the search was remembered: no second API call for its photos"
    );
    // Nothing of the visitor went to Pexels: not their address, cookie or browser.
    for (path, headers) in seen.0.lock().expect("seen").iter() {
        for name in ["x-forwarded-for", "forwarded", "cookie", "referer"] {
            assert!(headers.get(name).is_none(), "{path} carried {name}");
        }
        assert_eq!(
            headers.get(header::USER_AGENT).map(|v| v.as_bytes()),
            Some(&b"imgigo"[..])
        );
        let key = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
        if path.starts_with("/photos/") {
            assert_eq!(key, None, "the key goes only to the API: {path}");
        } else {
            assert_eq!(key, Some(KEY.as_bytes()), "{path}");
        }
    }

    // A photo never searched is looked up by id; an unknown one is a 404.
    let response = api.get("/api/v1/backgrounds/303?size=small", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = api.get("/api/v1/backgrounds/404", None).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // An answer naming an image elsewhere is not followed.
    let before = seen.paths().len();
    let response = api.get("/api/v1/backgrounds/666", None).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(seen.paths().len(), before, "nothing was fetched");
}

#[tokio::test]
async fn bad_searches_are_refused_and_the_library_is_limited_per_address() {
    let (base, seen) = fake_pexels().await;
    let api = library(&base).await;
    let long = format!("/api/v1/backgrounds?q={}", "a".repeat(101));
    for path in [
        "/api/v1/backgrounds",
        "/api/v1/backgrounds?q=%20%20",
        "/api/v1/backgrounds?q=sea&page=0",
        "/api/v1/backgrounds?q=sea&page=51",
        "/api/v1/backgrounds?q=sea&page=two",
        long.as_str(),
        "/api/v1/backgrounds/101?size=huge",
    ] {
        let response = api.get(path, None).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}"
        );
    }
    assert!(seen.paths().is_empty(), "refused before asking Pexels");
    let response = api.get("/api/v1/backgrounds/abc", None).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // One address: a hundred requests at once, then a 429 with Retry-After; another address is free.
    let mut limited = None;
    for _ in 0..150 {
        let response = api.send(visitor("/api/v1/backgrounds?q=sea")).await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(response);
            break;
        }
        assert_eq!(response.status(), StatusCode::OK);
    }
    let limited = limited.expect("limited");
    assert!(header(&limited, "retry-after").parse::<u64>().is_ok());
    let other = api
        .send(from(
            "198.51.100.4",
            Request::get("/api/v1/backgrounds?q=sea")
                .body(Body::empty())
                .expect("request"),
        ))
        .await;
    assert_eq!(other.status(), StatusCode::OK);
}
