//! Every anonymous request is bounded, proved over real HTTP: fields and parts, bytes held per
//! request, caller numbers, connection timeouts and the connection cap, the disk budget, decoding
//! a few at a time (peak memory of 8 concurrent 50 MP uploads), a panicking engine, and SIGTERM.

use std::time::{Duration, Instant};

use http::StatusCode;
use services::cutout::fake::FakeEngine;
use services::cutout::upload::UploadLimits;
use services::results::StoreLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod support;
use support::*;

#[tokio::test]
async fn parts_floods_and_unknown_names_are_refused_with_the_name() {
    let api = TestApp::fake().await;
    let photo = png(&photo(40, 30, 3));

    // An unknown name is refused by name, whatever the body's shape.
    let (content_type, body) = multipart(&[
        ("image", Part::File(photo.clone())),
        ("formt", Part::Text("png")),
    ]);
    let response = api.post_raw("", &content_type, body).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let text = message(response).await;
    assert!(text.contains("unknown field `formt`"), "{text}");
    let response = api
        .post_raw("?colour=red", "image/png", photo.clone())
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(message(response).await.contains("`colour`"));

    // 1,000 parts, 1,000 form pairs, 1,000 JSON keys: refused at once, nothing accumulated.
    let parts: Vec<(String, Part)> = (0..1000)
        .map(|i| (format!("f{i}"), Part::Text("x")))
        .collect();
    let named: Vec<(&str, Part)> = parts
        .iter()
        .map(|(name, _)| (name.as_str(), Part::Text("x")))
        .collect();
    let (content_type, body) = multipart(&named);
    let response = api.post_raw("", &content_type, body).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let pairs = (0..1000)
        .map(|i| format!("f{i}=1"))
        .collect::<Vec<_>>()
        .join("&");
    let response = api
        .post_raw("", "application/x-www-form-urlencoded", pairs.into_bytes())
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let keys: serde_json::Map<String, serde_json::Value> = (0..1000)
        .map(|i| (format!("format{i}"), serde_json::Value::from(i)))
        .collect();
    let response = api
        .post_raw(
            "",
            "application/json",
            serde_json::to_vec(&keys).expect("json"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(message(response).await.contains("more than 16 fields"));

    // Seventeen names remove.bg knows, each once: over the part cap.
    let names = [
        "image_url",
        "bg_image_url",
        "size",
        "type",
        "type_level",
        "format",
        "roi",
        "crop",
        "crop_margin",
        "scale",
        "position",
        "channels",
        "add_shadow",
        "semitransparency",
        "bg_color",
        "image_file",
        "bg_image_file",
    ];
    let seventeen: Vec<(&str, Part)> = names.iter().map(|name| (*name, Part::Text("x"))).collect();
    let (content_type, body) = multipart(&seventeen);
    let response = api.removebg(&content_type, body, &[]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let (code, detail) = errors(&json(response).await);
    assert_eq!(code, "invalid_parameters");
    assert!(detail.contains("more than 16 fields"), "{detail}");

    // A field given twice is refused, not silently overwritten.
    let (content_type, body) = multipart(&[
        ("image", Part::File(photo.clone())),
        ("format", Part::Text("png")),
        ("format", Part::Text("jpg")),
    ]);
    let response = api.post_raw("", &content_type, body).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(message(response).await.contains("more than once"));
}

#[tokio::test]
async fn one_request_holds_at_most_the_upload_limit() {
    let limits = UploadLimits {
        max_bytes: 1_000_000,
        ..UploadLimits::default()
    };
    let api = TestApp::builder()
        .engine(FakeEngine::new())
        .upload(limits)
        .build()
        .await;
    // Two files each under the limit but together over it.
    let (content_type, body) = multipart(&[
        ("image", Part::File(vec![0x89; 600_000])),
        ("bg_image", Part::File(vec![0x89; 600_000])),
    ]);
    let response = api.post_raw("", &content_type, body).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A base64 body: the body itself is bounded by the limit plus the small field margin.
    let encoded = b64(&vec![7u8; 900_000]);
    let body = serde_json::to_vec(&serde_json::json!({ "image_b64": encoded })).expect("json");
    let response = api.post_raw("", "application/json", body).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A declared length over the limit is refused before the body is sent.
    let mut stream = tokio::net::TcpStream::connect(api.addr)
        .await
        .expect("connect");
    let head = format!(
        "POST /api/v1/cutouts HTTP/1.1\r\nHost: {}\r\nContent-Type: image/png\r\nContent-Length: 50000000\r\nConnection: close\r\n\r\n",
        api.addr
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut answer))
        .await
        .expect("answered without the body")
        .expect("read");
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 413"),
        "{}",
        String::from_utf8_lossy(&answer[..answer.len().min(200)])
    );
}

#[tokio::test]
async fn caller_numbers_are_capped_never_overflowed() {
    let api = TestApp::fake().await;
    let photo = png(&photo(40, 30, 4));
    for margin in [
        "4294967295px",
        "18446744073709551616px",
        "501px",
        "51%",
        "1e40%",
        // Far beyond any photo: refused before anything is allocated for them.
        "10000px",
        "1000%",
    ] {
        let response = api
            .post_raw(
                &format!("?crop=true&crop_margin={margin}"),
                "image/png",
                photo.clone(),
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{margin}"
        );
        assert!(
            message(response).await.contains("at most 500px"),
            "{margin}"
        );
        let (content_type, body) = multipart(&[
            ("image_file", Part::File(photo.clone())),
            ("crop", Part::Text("true")),
            ("crop_margin", Part::Text(margin)),
        ]);
        let response = api.removebg(&content_type, body, &[]).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{margin}");
    }
    // A margin that is not one is refused even without `crop` (schemathesis found it ignored).
    let response = api
        .post_raw(
            "",
            "application/json",
            serde_json::to_vec(&serde_json::json!({
                "image_b64": b64(&photo), "crop_margin": false
            }))
            .expect("json"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The largest margin allowed is clamped to the photo.
    let response = api
        .post_raw("?crop=true&crop_margin=500px", "image/png", photo)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "x-width"), "40");
    assert_eq!(header(&response, "x-height"), "30");
}

fn tight(header_timeout: u64, max_connections: usize) -> server::connections::ConnectionLimits {
    server::connections::ConnectionLimits {
        max_connections,
        header_timeout: Duration::from_secs(header_timeout),
        min_body_rate: 100_000,
        body_grace: Duration::from_secs(1),
        shutdown_deadline: Duration::from_secs(5),
    }
}

/// The app behind the production accept loop with `limits`.
async fn bounded(limits: server::connections::ConnectionLimits) -> (TestApp, std::net::SocketAddr) {
    let api = TestApp::fake().await;
    let (addr, _task) = listen_with(api.router.clone(), limits).await;
    (api, addr)
}

/// Reads until the server closes; `true` if it closed within `within`.
async fn closed_within(stream: &mut tokio::net::TcpStream, within: Duration) -> (bool, Vec<u8>) {
    let mut seen = Vec::new();
    let outcome = tokio::time::timeout(within, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    (outcome.is_ok(), seen)
}

#[tokio::test]
async fn a_slow_loris_client_and_an_idle_connection_are_cut_off() {
    let (_api, addr) = bounded(tight(1, 64)).await;
    // Headers one byte at a time, never finished.
    let mut loris = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let started = Instant::now();
    let drip = async {
        for byte in b"POST /api/v1/cutouts HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
            if loris.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), drip).await;
    let (closed, seen) = closed_within(&mut loris, Duration::from_secs(3)).await;
    assert!(closed, "the slow-loris connection was cut off");
    assert!(started.elapsed() < Duration::from_secs(8));
    assert!(
        !String::from_utf8_lossy(&seen).contains(" 200 "),
        "no answer served"
    );

    // An idle keep-alive connection goes after the header timeout too.
    let mut idle = tokio::net::TcpStream::connect(addr).await.expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let (closed, seen) = closed_within(&mut idle, Duration::from_secs(4)).await;
    assert!(String::from_utf8_lossy(&seen).starts_with("HTTP/1.1 200"));
    assert!(closed, "the idle connection was closed");
}

#[tokio::test]
async fn an_upload_below_the_minimum_rate_is_cut_off_and_one_above_it_arrives() {
    let (_api, addr) = bounded(tight(5, 64)).await;
    let photo = png(&photo(300, 200, 5));
    // A body that has to arrive at 100 kB/s after a 1 s grace: 600 kB at ~200 kB/s arrives.
    let mut body = photo.clone();
    body.resize(600_000, 0); // trailing bytes after the PNG's end are ignored by the decoder
    let mut fast = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST /api/v1/cutouts?format=mask HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    fast.write_all(head.as_bytes()).await.expect("head");
    for chunk in body.chunks(20_000) {
        fast.write_all(chunk).await.expect("chunk");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut answer = Vec::new();
    fast.read_to_end(&mut answer).await.expect("read");
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer[..answer.len().min(300)])
    );
    // 1 kB every 100 ms is 10 kB/s: cut off soon after the grace.
    let mut slow = tokio::net::TcpStream::connect(addr).await.expect("connect");
    slow.write_all(
        b"POST /api/v1/cutouts HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 1000000\r\n\r\n",
    )
    .await
    .expect("head");
    let started = Instant::now();
    let mut cut = false;
    for _ in 0..60 {
        if slow.write_all(&[0u8; 1000]).await.is_err() {
            cut = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut probe = [0u8; 512];
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(1), slow.read(&mut probe)).await
        {
            // An answer (400: the upload was interrupted) or the close.
            assert!(n == 0 || !String::from_utf8_lossy(&probe[..n]).contains(" 200 "));
            cut = true;
            break;
        }
    }
    assert!(cut, "the trickling upload was cut off");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn beyond_the_connection_cap_new_clients_wait() {
    let (_api, addr) = bounded(tight(30, 2)).await;
    let first = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let _second = tokio::net::TcpStream::connect(addr).await.expect("connect");
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The kernel completes the handshake, but the server does not serve a third connection…
    let waiting =
        tokio::spawn(async move { try_exchange(addr, "GET /healthz HTTP/1.1", b"").await });
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        !waiting.is_finished(),
        "a third connection was served past the cap"
    );
    // …until one of the two closes.
    drop(first);
    let answer = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("served once a slot is free")
        .expect("join")
        .expect("answer");
    assert_eq!(answer.0, 200);
}

#[tokio::test]
async fn a_panicking_engine_fails_one_request_with_500_and_the_next_works() {
    let engine = FakeEngine {
        panic_on_width: Some(13),
        ..FakeEngine::new()
    };
    let api = TestApp::builder().engine(engine).build().await;
    let response = api.post_raw("", "image/png", png(&photo(13, 10, 1))).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(message(response).await.contains("went wrong on our side"));
    let response = api.post_raw("", "image/png", png(&photo(20, 10, 1))).await;
    assert_eq!(response.status(), StatusCode::OK);
    let queue = api.app.cutouts().expect("cutouts").queue().clone();
    assert_eq!(queue.panics(), 1);
    assert_eq!(queue.in_use(), 0);
    let ready = api
        .send(
            http::Request::get("/readyz")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    let ready = json(ready).await;
    assert_eq!(ready["checks"]["model"], "ready", "{ready}");
    assert_eq!(ready["checks"]["worker_panics"], 1, "{ready}");
}

#[tokio::test]
async fn a_full_disk_budget_answers_503_with_retry_after_on_both_apis() {
    let store = StoreLimits {
        ram_bytes: 0,
        disk_bytes: 1,
    };
    let api = TestApp::builder()
        .engine(FakeEngine::new())
        .store(store)
        .build()
        .await;
    let response = api.post_raw("", "image/png", png(&photo(20, 10, 1))).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let seconds: u64 = header(&response, "retry-after").parse().expect("seconds");
    assert!((60..=3600).contains(&seconds));
    assert!(
        message(response)
            .await
            .contains("storage for results is full")
    );
    let (content_type, body) = multipart(&[("image_file", Part::File(png(&photo(20, 10, 1))))]);
    let response = api.removebg(&content_type, body, &[]).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(api.app.results().expect("store").usage().0, 0);
}

#[tokio::test]
async fn field_floods_are_refused_at_once_with_a_sentence_on_both_apis() {
    let api = TestApp::fake().await;
    let started = Instant::now();
    // Five thousand parts: distinct unknown names, then one known name over and over.
    let names: Vec<String> = (0..5000).map(|i| format!("f{i}")).collect();
    let unknown: Vec<(&str, Part)> = names
        .iter()
        .map(|name| (name.as_str(), Part::Text("x")))
        .collect();
    let repeated: Vec<(&str, Part)> = (0..5000).map(|_| ("format", Part::Text("png"))).collect();
    for (what, parts, words) in [
        ("unknown names", &unknown, "unknown field `f0`"),
        ("one name 5000 times", &repeated, "more than once"),
    ] {
        let (content_type, body) = multipart(parts);
        let response = api.post_raw("", &content_type, body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{what}");
        let said = message(response).await;
        assert!(said.contains(words), "{what}: {said}");
    }
    let repeated: Vec<(&str, Part)> = (0..5000).map(|_| ("size", Part::Text("full"))).collect();
    let (content_type, body) = multipart(&repeated);
    let response = api.removebg(&content_type, body, &[]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let (code, detail) = errors(&json(response).await);
    assert_eq!(code, "invalid_parameters");
    assert!(detail.contains("more than once"), "{detail}");
    // Five thousand urlencoded pairs, on both APIs.
    let pairs = (0..5000)
        .map(|i| format!("f{i}=1"))
        .collect::<Vec<_>>()
        .join("&");
    let response = api
        .post_raw(
            "",
            "application/x-www-form-urlencoded",
            pairs.clone().into_bytes(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let said = message(response).await;
    assert!(said.contains("more than 16 fields"), "{said}");
    let response = api
        .removebg("application/x-www-form-urlencoded", pairs.into_bytes(), &[])
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let (_, detail) = errors(&json(response).await);
    assert!(detail.contains("more than 16 fields"), "{detail}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "five floods took {:?}",
        started.elapsed()
    );
    assert_eq!(api.app.results().expect("store").usage().0, 0);
}

/// Every file under `dir`, however deep.
fn files_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_in(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[tokio::test]
async fn a_result_that_cannot_be_written_to_disk_is_a_500_and_nothing_is_kept() {
    // No RAM budget: every result spills to a file at once.
    let api = TestApp::builder()
        .engine(FakeEngine::new())
        .store(StoreLimits {
            ram_bytes: 0,
            ..StoreLimits::default()
        })
        .build()
        .await;
    let store = api.app.results().expect("store");
    let results = api.data.path().join("results");
    let upload = png(&photo(20, 10, 1));
    let response = api.post_raw("", "image/png", upload.clone()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let link = header(&response, "x-result-url").to_string();
    assert_eq!(files_in(&results).len(), 1, "spilled to a file");

    // The results folder becomes a plain file (tests run as root, so chmod would not stop us).
    let kept = tempfile::tempdir().expect("aside");
    std::fs::rename(&results, kept.path().join("results")).expect("move the folder aside");
    std::fs::write(&results, b"not a folder").expect("a file in its place");
    let before = files_in(api.data.path());
    let response = api.post_raw("", "image/png", upload.clone()).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(response.headers().get("x-result-url").is_none());
    let said = message(response).await;
    assert!(said.contains("went wrong on our side"), "{said}");
    let (content_type, body) = multipart(&[("image_file", Part::File(upload.clone()))]);
    let response = api.removebg(&content_type, body, &[]).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let (code, detail) = errors(&json(response).await);
    assert!(
        !code.is_empty() && detail.contains("went wrong on our side"),
        "{code}: {detail}"
    );
    // Nothing half-written: no new file anywhere, no result held in RAM, one result known.
    assert_eq!(files_in(api.data.path()), before);
    assert_eq!(store.usage(), (1, 0), "only the first result");

    // With the folder back, the first result opens and new ones are stored again.
    std::fs::remove_file(&results).expect("remove the file");
    std::fs::rename(kept.path().join("results"), &results).expect("the folder back");
    assert_eq!(api.get(&link, None).await.status(), StatusCode::OK);
    let response = api.post_raw("", "image/png", upload).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(files_in(&results).len(), 2);
    assert_eq!(store.usage(), (2, 0));
}

/// A 50-megapixel JPEG (8660×5773) with a gradient, so it compresses to a few megabytes.
fn fifty_megapixels() -> Vec<u8> {
    let image = image::RgbImage::from_fn(8660, 5773, |x, y| {
        image::Rgb([(x / 40) as u8, (y / 30) as u8, ((x + y) / 60) as u8])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&image)
        .expect("jpeg");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_concurrent_50_megapixel_uploads_are_decoded_a_few_at_a_time() {
    let jpeg = std::sync::Arc::new(fifty_megapixels());
    // What is measured is memory, not time: a slow machine (2 GHz, avx2 only) took over the
    // default 60 s to get through the eight, so the queue may wait longer here.
    let server = FakeServer::start(&[("IMGIGO_QUEUE", "8"), ("IMGIGO_QUEUE_SECONDS", "600")]).await;
    let baseline = server.peak_rss();
    let addr = server.addr;
    let requests: Vec<_> = (0..8)
        .map(|_| {
            let jpeg = jpeg.clone();
            tokio::spawn(async move {
                try_exchange(
                    addr,
                    "POST /api/v1/cutouts?format=mask HTTP/1.1\r\nContent-Type: image/jpeg",
                    &jpeg,
                )
                .await
            })
        })
        .collect();
    for request in requests {
        let (status, _, body) = request.await.expect("join").expect("answer");
        assert_eq!(
            status,
            200,
            "{}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        );
        let mask = image::load_from_memory(&body).expect("png").to_luma8();
        assert_eq!(mask.dimensions(), (8660, 5773));
    }
    let peak = server.peak_rss();
    // One 50 MP cutout in flight holds about 0.3 GB (RGB, mask, RGBA, decoder buffers); all eight
    // at once would pass 2.5 GB. Two processing slots keep the peak near two of them (measured:
    // 681 MB); four or more decoding together would cross this line.
    eprintln!(
        "peak RSS: {} MB (baseline {} MB)",
        peak / 1_000_000,
        baseline / 1_000_000
    );
    assert!(peak < 1_200_000_000, "peak RSS {} MB", peak / 1_000_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_cutout_in_flight_then_exits() {
    let mut server = FakeServer::start(&[
        ("IMGIGO_FAKE_DELAY_MS", "2000"),
        ("IMGIGO_SHUTDOWN_SECONDS", "20"),
    ])
    .await;
    let addr = server.addr;
    let photo = png(&photo(60, 40, 8));
    let in_flight = tokio::spawn(async move {
        try_exchange(
            addr,
            "POST /api/v1/cutouts HTTP/1.1\r\nContent-Type: image/png",
            &photo,
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(600)).await;
    server.terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no new connections after SIGTERM"
    );
    let (status, headers, body) = in_flight.await.expect("join").expect("answered");
    assert_eq!(status, 200);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-type" && v == "image/png")
    );
    assert!(image::load_from_memory(&body).is_ok());
    let started = Instant::now();
    let code = loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            break status.code();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "it exits after the drain"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(code, Some(0));
}
