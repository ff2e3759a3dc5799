//! The cutout API over real HTTP (a loopback listener, a hyper client) with a small random-weight
//! model (the real one is covered by `make reference` and by hand with curl): every route, every
//! output format, the bad-input corpus, the full queue, expiry, early delete, the key check, the
//! rate limit, and the privacy invariant that no image byte reaches a file in plaintext.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::SystemTime;

use axum::body::Body;
use http::{Request, StatusCode, header};
use image::{GrayImage, RgbImage};
use services::cutout::fake::FakeEngine;
use services::cutout::queue::Segment;
use services::cutout::upload::UploadLimits;
use services::cutout::{ModelSize, QueueLimits};
use services::results::StoreLimits;

mod support;
use support::*;

#[tokio::test]
async fn a_raw_upload_comes_back_as_a_png_with_a_link_that_works_until_deleted() {
    let api = TestApp::new().await;
    let upload = png(&photo(120, 80, 1));
    let response = api.post_raw("?size=256", "image/png", upload).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-type"), "image/png");
    assert_eq!(header(&response, "x-width"), "120");
    assert_eq!(header(&response, "x-height"), "80");
    assert_eq!(header(&response, "cache-control"), "no-store");
    let link = header(&response, "x-result-url").to_string();
    assert!(link.starts_with("/r/") && link.contains("?key="), "{link}");
    let first = bytes(response).await;
    let decoded = image::load_from_memory(&first).expect("png");
    assert_eq!((decoded.width(), decoded.height()), (120, 80));
    assert!(decoded.color().has_alpha());

    let again = api
        .send(Request::get(&link).body(Body::empty()).expect("get"))
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    assert!(header(&again, "content-disposition").starts_with("attachment"));
    assert_eq!(bytes(again).await, first, "the same bytes, decrypted");

    let deleted = api
        .send(Request::delete(&link).body(Body::empty()).expect("delete"))
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = api
        .send(Request::get(&link).body(Body::empty()).expect("get"))
        .await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_wrong_key_an_unknown_id_and_a_broken_link_get_the_same_404() {
    let api = TestApp::new().await;
    let response = api
        .post_raw("?size=256", "image/png", png(&photo(16, 16, 2)))
        .await;
    let link = header(&response, "x-result-url").to_string();
    let (path, key) = link.split_once("?key=").expect("key");
    let mut wrong = key.to_string();
    wrong.replace_range(0..1, if key.starts_with('A') { "B" } else { "A" });
    let mut messages = Vec::new();
    for target in [
        format!("{path}?key={wrong}"),
        format!("/r/AAAAAAAAAAAAAAAAAAAAAA?key={key}"),
        path.to_string(),
        format!("/r/not-an-id?key={key}"),
    ] {
        for method in ["GET", "DELETE"] {
            let response = api
                .send(
                    Request::builder()
                        .method(method)
                        .uri(&target)
                        .body(Body::empty())
                        .expect("request"),
                )
                .await;
            assert_eq!(
                response.status(),
                StatusCode::NOT_FOUND,
                "{method} {target}"
            );
            messages.push(json(response).await["error"]["message"].to_string());
        }
    }
    messages.dedup();
    assert_eq!(
        messages.len(),
        1,
        "one message for every failure: {messages:?}"
    );
    let still = api
        .send(Request::get(&link).body(Body::empty()).expect("get"))
        .await;
    assert_eq!(
        still.status(),
        StatusCode::OK,
        "failed deletes removed nothing"
    );
}

#[tokio::test]
async fn every_output_format_has_its_type_and_decodes() {
    let api = TestApp::new().await;
    let upload = png(&photo(40, 30, 3));
    for (format, content_type) in [
        ("png", "image/png"),
        ("webp", "image/webp"),
        ("jpg", "image/jpeg"),
        ("mask", "image/png"),
        ("zip", "application/zip"),
    ] {
        let response = api
            .post_form(
                &[
                    ("image", Part::File(upload.clone())),
                    ("format", Part::Text(format)),
                    ("size", Part::Text("256")),
                ],
                None,
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{format}");
        assert_eq!(header(&response, "content-type"), content_type, "{format}");
        let body = bytes(response).await;
        if format == "zip" {
            assert!(body.starts_with(b"PK"), "a zip archive");
        } else {
            let decoded = image::load_from_memory(&body).expect(format);
            assert_eq!((decoded.width(), decoded.height()), (40, 30), "{format}");
            if format == "mask" {
                assert_eq!(decoded.color(), image::ColorType::L8);
            }
        }
    }
}

/// The photo for the fake engine's known mask (an ellipse: [`FakeEngine::is_subject`]).
const W: u32 = 80;
const H: u32 = 60;

/// One channel's distance.
fn near(a: u8, b: u8, by: u8) -> bool {
    a.abs_diff(b) <= by
}

/// The mean of `photo` in the `radius` square around `(x, y)` (clipped to the photo).
fn local_mean(photo: &RgbImage, x: u32, y: u32, radius: u32) -> [u8; 3] {
    let (mut sum, mut n) = ([0u32; 3], 0u32);
    for j in y.saturating_sub(radius)..(y + radius + 1).min(photo.height()) {
        for i in x.saturating_sub(radius)..(x + radius + 1).min(photo.width()) {
            for (c, value) in photo.get_pixel(i, j).0.iter().enumerate() {
                sum[c] += u32::from(*value);
            }
            n += 1;
        }
    }
    sum.map(|s| (s / n) as u8)
}

/// Every pixel: the subject's exactly as photographed, `behind(x, y)` everywhere else.
fn assert_composed(
    what: &str,
    result: &RgbImage,
    photo: &RgbImage,
    behind: impl Fn(u32, u32) -> [u8; 3],
) {
    assert_eq!(result.dimensions(), photo.dimensions(), "{what}");
    for (x, y, pixel) in result.enumerate_pixels() {
        let expected = if FakeEngine::is_subject(x, y, W, H) {
            photo.get_pixel(x, y).0
        } else {
            behind(x, y)
        };
        assert_eq!(pixel.0, expected, "{what} at ({x}, {y})");
    }
}

/// `bg_color` with an alpha, through both APIs: the result keeps an alpha channel, the colour
/// see-through where the mask is clear, the subject opaque and unchanged.
#[tokio::test]
async fn a_see_through_bg_color_leaves_the_result_partly_transparent() {
    let api = TestApp::fake().await;
    let original = subject_photo(W, H);
    let upload = png(&original);
    for (path, file_field, color) in [
        ("/api/v1/cutouts", "image", "#00ff0080"),
        ("/v1.0/removebg", "image_file", "0f08"),
    ] {
        let response = api
            .post_form_to(
                path,
                &[
                    (file_field, Part::File(upload.clone())),
                    ("bg_color", Part::Text(color)),
                    ("size", Part::Text("full")),
                    ("format", Part::Text("png")),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let decoded = image::load_from_memory(&bytes(response).await).expect("png");
        assert!(
            decoded.color().has_alpha(),
            "{path}: a see-through colour keeps the alpha"
        );
        let decoded = decoded.to_rgba8();
        assert_eq!(decoded.dimensions(), (W, H), "{path}");
        let expected_clear = if path == "/api/v1/cutouts" {
            [0, 255, 0, 0x80]
        } else {
            [0, 255, 0, 0x88]
        };
        for (x, y, pixel) in decoded.enumerate_pixels() {
            if FakeEngine::is_subject(x, y, W, H) {
                let [r, g, b] = original.get_pixel(x, y).0;
                assert_eq!(pixel.0, [r, g, b, 255], "{path}: subject at ({x}, {y})");
            } else {
                assert_eq!(pixel.0, expected_clear, "{path}: background at ({x}, {y})");
            }
        }
    }
    // Digits that are not a colour are refused with a sentence naming the field: 422 on the
    // native API (its invalid options), 400 on remove.bg's (as remove.bg answers).
    for (path, file_field, status) in [
        ("/api/v1/cutouts", "image", StatusCode::UNPROCESSABLE_ENTITY),
        ("/v1.0/removebg", "image_file", StatusCode::BAD_REQUEST),
    ] {
        let response = api
            .post_form_to(
                path,
                &[
                    (file_field, Part::File(upload.clone())),
                    ("bg_color", Part::Text("#00ff008")),
                ],
            )
            .await;
        assert_eq!(response.status(), status, "{path}");
        let body = String::from_utf8(bytes(response).await).expect("utf-8");
        assert!(body.contains("bg_color"), "{path}: {body}");
    }
}

#[tokio::test]
async fn backgrounds_crop_and_json_answers() {
    let api = TestApp::fake().await;
    let original = subject_photo(W, H);
    let upload = png(&original);
    let response = api
        .post_form(
            &[
                ("image", Part::File(upload.clone())),
                ("bg_color", Part::Text("#00ff00")),
                ("size", Part::Text("preview")),
                ("format", Part::Text("png")),
            ],
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let decoded = image::load_from_memory(&bytes(response).await).expect("png");
    assert!(
        !decoded.color().has_alpha(),
        "a colour background is opaque"
    );
    assert_composed("bg_color", &decoded.to_rgb8(), &original, |_, _| {
        [0, 255, 0]
    });

    // A background as large as the photo, every pixel different: it must sit exactly behind.
    let picture = RgbImage::from_fn(W, H, |x, y| image::Rgb([(x * 3) as u8, (y * 4) as u8, 200]));
    let response = api
        .post_form(
            &[
                ("image", Part::File(upload.clone())),
                ("bg_image", Part::File(png(&picture))),
                ("size", Part::Text("256")),
            ],
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let decoded = image::load_from_memory(&bytes(response).await).expect("png");
    assert_composed("bg_image", &decoded.to_rgb8(), &original, |x, y| {
        picture.get_pixel(x, y).0
    });

    // Blur: the checkerboard around the subject turns to its local grey; the subject stays sharp.
    let response = api
        .post_form(
            &[
                ("image", Part::File(upload.clone())),
                ("background", Part::Text("blur")),
                ("size", Part::Text("256")),
            ],
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK, "blur");
    let blurred = image::load_from_memory(&bytes(response).await)
        .expect("png")
        .to_rgb8();
    assert_eq!(blurred.dimensions(), (W, H));
    for (x, y, pixel) in blurred.enumerate_pixels() {
        if FakeEngine::is_subject(x, y, W, H) {
            assert_eq!(
                pixel.0,
                original.get_pixel(x, y).0,
                "blur: subject at ({x}, {y})"
            );
        } else if !(10..W - 10).contains(&x) && !(10..H - 10).contains(&y) {
            // In the corners, far from the subject: nothing but checkerboard to blur.
            let photographed = original.get_pixel(x, y).0;
            let mean = local_mean(&original, x, y, 2);
            for c in 0..3 {
                assert!(
                    !near(pixel.0[c], photographed[c], 60),
                    "blur: ({x}, {y}) is still the photo's {photographed:?}: {:?}",
                    pixel.0
                );
                assert!(
                    near(pixel.0[c], mean[c], 40),
                    "blur: ({x}, {y}) is {:?}, far from the local mean {mean:?}",
                    pixel.0
                );
            }
        }
    }

    let response = api
        .post_form(
            &[
                ("image", Part::File(upload.clone())),
                ("background", Part::Text("transparent")),
                ("size", Part::Text("256")),
            ],
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK, "transparent");
    assert_transparent_cutout(
        "transparent",
        &decode_rgba(&bytes(response).await),
        &original,
    );

    let response = api
        .post_form(
            &[
                ("image", Part::File(upload)),
                ("size", Part::Text("256")),
                ("crop", Part::Text("true")),
                ("crop_margin", Part::Text("10%")),
            ],
            Some("application/json"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(header(&response, "content-type"), "application/json");
    let body = json(response).await;
    let result = &body["result"];
    assert!(result["url"].as_str().expect("url").starts_with("/r/"));
    assert_eq!(result["content_type"], "image/png");
    assert!(result["expires_at"].as_str().expect("expiry").contains('T'));
    let (width, height) = (
        result["width"].as_u64().expect("w"),
        result["height"].as_u64().expect("h"),
    );
    // The subject's box plus 10 % of its larger side on every side.
    let (left, top, box_width, box_height) = fake_subject_box(W, H);
    let pad = (f64::from(box_width.max(box_height)) * 0.1).round() as u32;
    let window = crop_window(pad);
    assert_eq!((width, height), (u64::from(window.2), u64::from(window.3)));
    let foreground = &result["foreground"];
    assert_eq!(foreground["left"], left - window.0);
    assert_eq!(foreground["top"], top - window.1);
    assert_eq!(foreground["width"], box_width);
    assert_eq!(foreground["height"], box_height);
    assert!(
        foreground["left"].as_u64().expect("left") + foreground["width"].as_u64().expect("width")
            <= width
    );
}

/// `(left, top, width, height)` of a crop with `pad` pixels around the fake engine's subject in the
/// W×H photo, clipped to the photo.
fn crop_window(pad: u32) -> (u32, u32, u32, u32) {
    let (left, top, width, height) = fake_subject_box(W, H);
    let (x0, y0) = (left.saturating_sub(pad), top.saturating_sub(pad));
    let (x1, y1) = ((left + width + pad).min(W), (top + height + pad).min(H));
    (x0, y0, x1 - x0, y1 - y0)
}

#[tokio::test]
async fn a_crop_is_the_subjects_box_plus_the_margin_clipped_to_the_photo() {
    let api = TestApp::fake().await;
    let original = subject_photo(W, H);
    let (left, top, width, height) = fake_subject_box(W, H);
    assert!(width < W && height < H, "the subject leaves room to crop");
    // 18px reaches past the top and bottom edges but not the sides.
    for (margin, pad) in [("0px", 0), ("5", 5), ("18px", 18), ("500px", 500)] {
        let response = api
            .post_raw(
                &format!("?crop=true&crop_margin={margin}"),
                "image/png",
                png(&original),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{margin}");
        let window = crop_window(pad);
        assert_eq!(
            (header(&response, "x-width"), header(&response, "x-height")),
            (window.2.to_string().as_str(), window.3.to_string().as_str()),
            "{margin}"
        );
        let result = decode_rgba(&bytes(response).await);
        assert_eq!(result.dimensions(), (window.2, window.3), "{margin}");
        // The crop is taken from the right place: each pixel is the photo's beneath it.
        for (x, y, pixel) in result.enumerate_pixels() {
            let (px, py) = (x + window.0, y + window.1);
            if FakeEngine::is_subject(px, py, W, H) {
                let [r, g, b] = original.get_pixel(px, py).0;
                assert_eq!(pixel.0, [r, g, b, 255], "{margin}: ({x}, {y})");
            } else {
                assert_eq!(pixel.0[3], 0, "{margin}: ({x}, {y})");
            }
        }
    }
    assert_eq!(crop_window(0), (left, top, width, height));
    assert_eq!(
        crop_window(18).2,
        W - 4,
        "18px: clipped only at the top and bottom"
    );
    assert_eq!(crop_window(500), (0, 0, W, H));
    // Without `crop` the margin changes nothing.
    let response = api
        .post_raw("?crop_margin=10px", "image/png", png(&original))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        (header(&response, "x-width"), header(&response, "x-height")),
        ("80", "60")
    );
}

#[tokio::test]
async fn bad_inputs_get_the_right_status_and_a_readable_message() {
    let api = TestApp::builder()
        .upload(UploadLimits {
            max_bytes: 100_000,
            ..UploadLimits::default()
        })
        .build()
        .await;
    let cases: Vec<(&str, &str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "svg",
            "image/svg+xml",
            corpus("image.svg"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "JPEG, PNG or WebP",
        ),
        (
            "pdf",
            "application/octet-stream",
            corpus("document.pdf"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "JPEG, PNG or WebP",
        ),
        (
            "html",
            "image/png",
            corpus("page.html"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "JPEG, PNG or WebP",
        ),
        (
            "text named png",
            "image/png",
            corpus("text.png"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "JPEG, PNG or WebP",
        ),
        (
            "empty",
            "image/png",
            Vec::new(),
            StatusCode::BAD_REQUEST,
            "empty",
        ),
        (
            "truncated",
            "image/jpeg",
            corpus("truncated.jpg"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "the file ends early",
        ),
        (
            "corrupt chunk",
            "image/png",
            corpus("corrupt-chunk.png"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "could not be read",
        ),
        (
            "bomb",
            "image/png",
            corpus("bomb.png"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "megapixels",
        ),
        (
            "huge header",
            "image/jpeg",
            corpus("huge-header.jpg"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "megapixels",
        ),
        (
            "over the limit",
            "image/png",
            vec![0x89; 200_000],
            StatusCode::PAYLOAD_TOO_LARGE,
            "limit",
        ),
        (
            "not an image type",
            "text/plain",
            b"hello".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "multipart/form-data",
        ),
    ];
    for (what, content_type, body, status, words) in cases {
        let response = api.post_raw("?size=256", content_type, body).await;
        assert_eq!(response.status(), status, "{what}");
        let message = message(response).await;
        assert!(message.contains(words), "{what}: {message}");
    }
    for (query, words) in [
        ("?format=gif", "png, webp"),
        ("?size=100", "multiple of 32"),
        ("?size=big", "preview"),
        ("?bg_color=bluish", "colour"),
        ("?crop=maybe", "true or false"),
    ] {
        let response = api
            .post_raw(query, "image/png", corpus("one-pixel.png"))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}"
        );
        let message = message(response).await;
        assert!(message.contains(words), "{query}: {message}");
    }
    // Readable corner cases are accepted: 1×1, 16-bit, grayscale, CMYK, animated WebP, rotated.
    for name in [
        "one-pixel.png",
        "gray16.png",
        "gray.jpg",
        "cmyk.jpg",
        "animated.webp",
        "rotated-exif.jpg",
    ] {
        let response = api
            .post_raw("?size=256", "application/octet-stream", corpus(name))
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{name}");
    }
    let response = api.post_form(&[("format", Part::Text("png"))], None).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(message(response).await.contains("field `image`"));
}

#[tokio::test]
async fn without_a_model_the_routes_say_so() {
    let api = TestApp::without_model().await;
    let response = api.post_raw("", "image/png", corpus("one-pixel.png")).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let message = message(response).await;
    assert!(message.contains("model is not installed"), "{message}");
}

/// Holds every mask until the test releases it.
struct Gate(Mutex<mpsc::Receiver<()>>);

impl Segment for Gate {
    fn mask(&self, image: &RgbImage, _: ModelSize) -> Result<GrayImage, services::Error> {
        if let Ok(open) = self.0.lock() {
            let _ = open.recv();
        }
        // All subject: an empty mask would be answered "no subject found".
        Ok(GrayImage::from_pixel(
            image.width(),
            image.height(),
            image::Luma([255]),
        ))
    }
}

#[tokio::test]
async fn a_full_queue_answers_503_with_retry_after() {
    let (release, open) = mpsc::channel();
    let api = Arc::new(
        TestApp::builder()
            .engine(Gate(Mutex::new(open)))
            .queue(QueueLimits {
                waiting: 0,
                ..QueueLimits::default()
            })
            .build()
            .await,
    );
    let busy = tokio::spawn({
        let api = api.clone();
        async move {
            api.post_raw("?size=256", "image/png", corpus("one-pixel.png"))
                .await
                .status()
        }
    });
    // Wait until the first request holds the only place (its mask is held at the gate).
    let queue = api.app.cutouts().expect("cutouts").queue().clone();
    for _ in 0..500 {
        if queue.in_use() == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(queue.in_use(), 1, "the first request is being computed");
    let probe = api
        .post_raw("?size=256", "image/png", corpus("one-pixel.png"))
        .await;
    assert_eq!(probe.status(), StatusCode::SERVICE_UNAVAILABLE);
    let retry: u64 = header(&probe, "retry-after").parse().expect("seconds");
    assert!(retry >= 1);
    let message = message(probe).await;
    assert!(message.contains("try again"), "{message}");
    release.send(()).expect("release");
    assert_eq!(busy.await.expect("join"), StatusCode::OK);
}

fn files_under(dir: &Path, since: SystemTime, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            files_under(&path, since, out);
        } else if meta.is_file() && meta.modified().map(|m| m >= since).unwrap_or(false) {
            out.push(path);
        }
    }
}

#[tokio::test]
async fn no_image_byte_reaches_a_file_in_plaintext() {
    let started = SystemTime::now();
    // A zero RAM budget: every result is spilled to a file, so there are files to inspect.
    let api = TestApp::builder()
        .store(StoreLimits {
            ram_bytes: 0,
            ..StoreLimits::default()
        })
        .build()
        .await;
    let original = photo(64, 48, 0xC0FFEE);
    let upload = png(&original);
    let mut outputs = Vec::new();
    for format in ["png", "webp", "mask", "zip"] {
        let response = api
            .post_raw(
                &format!("?size=256&format={format}"),
                "image/png",
                upload.clone(),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{format}");
        outputs.push(bytes(response).await);
    }
    let needles: Vec<Vec<u8>> = vec![
        upload[upload.len() / 2..upload.len() / 2 + 48].to_vec(), // the upload's own bytes
        original.as_raw()[3000..3048].to_vec(),                   // decoded pixels
        outputs[0][outputs[0].len() / 2..outputs[0].len() / 2 + 48].to_vec(), // a result, encoded
    ];
    let mut files = Vec::new();
    files_under(api.data.path(), started, &mut files);
    files_under(&std::env::temp_dir(), started, &mut files);
    files.sort();
    files.dedup();
    let results: Vec<&PathBuf> = files
        .iter()
        .filter(|p| p.starts_with(api.data.path().join("results")))
        .collect();
    assert_eq!(
        results.len(),
        4,
        "every result spilled to its own file: {files:?}"
    );
    for file in &files {
        let Ok(content) = std::fs::read(file) else {
            continue;
        };
        for needle in &needles {
            assert!(
                !content.windows(needle.len()).any(|w| w == &needle[..]),
                "{} holds image bytes in plaintext",
                file.display()
            );
        }
    }
    for result in results {
        let content = std::fs::read(result).expect("result file");
        assert!(content.starts_with(b"IMGR"), "our envelope");
        assert!(
            !content.windows(4).any(|w| w == b"IHDR" || w == b"RIFF"),
            "no image container inside"
        );
    }
}

#[tokio::test]
async fn removebg_accepts_multipart_json_and_urlencoded_bodies() {
    let api = TestApp::fake().await;
    let original = subject_photo(900, 600);
    let photo_bytes = png(&original);
    let centre = original.get_pixel(450, 300).0;

    // multipart with image_file, default size = preview (≤ 0.25 MP), format auto → png.
    let response = api
        .post_form_to(
            "/v1.0/removebg",
            &[("image_file", Part::File(photo_bytes.clone()))],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-type"), "image/png");
    let (w, h): (u64, u64) = (
        header(&response, "x-width").parse().expect("w"),
        header(&response, "x-height").parse().expect("h"),
    );
    assert!(
        w * h <= 250_000 && w > 500,
        "preview is a quarter megapixel: {w}×{h}"
    );
    assert_eq!(header(&response, "x-credits-charged"), "0");
    assert_eq!(header(&response, "x-type"), "other");
    for name in [
        "x-foreground-top",
        "x-foreground-left",
        "x-foreground-width",
        "x-foreground-height",
    ] {
        let _: u64 = header(&response, name).parse().expect(name);
    }
    // The known mask, scaled: nothing left in the corner, the subject's colour in the middle.
    let preview = decode_rgba(&bytes(response).await);
    assert_eq!(u64::from(preview.width()), w);
    assert_eq!(preview.get_pixel(0, 0).0, [0, 0, 0, 0], "preview corner");
    let middle = preview
        .get_pixel(preview.width() / 2, preview.height() / 2)
        .0;
    assert_eq!(middle[3], 255, "preview middle");
    for c in 0..3 {
        assert!(near(middle[c], centre[c], 6), "{middle:?} vs {centre:?}");
    }

    // JSON body with booleans as JSON booleans, a colour background → auto = jpg; JSON answer.
    let body = serde_json::json!({
        "image_file_b64": b64(&photo_bytes),
        "size": "full",
        "bg_color": "81d4fa",
        "crop": false,
    });
    let response = api
        .removebg(
            "application/json",
            serde_json::to_vec(&body).expect("json"),
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-type"), "application/json");
    assert_eq!(
        (header(&response, "x-width"), header(&response, "x-height")),
        ("900", "600")
    );
    let value = json(response).await;
    use base64::Engine as _;
    let image = base64::engine::general_purpose::STANDARD
        .decode(value["data"]["result_b64"].as_str().expect("result_b64"))
        .expect("base64");
    assert_eq!(
        image::guess_format(&image).expect("format"),
        image::ImageFormat::Jpeg
    );
    for name in [
        "foreground_top",
        "foreground_left",
        "foreground_width",
        "foreground_height",
    ] {
        assert!(value["data"][name].is_u64(), "{name}");
    }
    // The colour behind, the subject in front (a JPEG: close, not exact).
    let colored = image::load_from_memory(&image).expect("jpeg").to_rgb8();
    assert_eq!(colored.dimensions(), (900, 600));
    for (x, y, expected) in [
        (0, 0, [0x81, 0xd4, 0xfa]),
        (899, 599, [0x81, 0xd4, 0xfa]),
        (100, 300, [0x81, 0xd4, 0xfa]),
        (450, 300, centre),
    ] {
        let got = colored.get_pixel(x, y).0;
        assert!(
            (0..3).all(|c| near(got[c], expected[c], 10)),
            "({x}, {y}): {got:?}, expected about {expected:?}"
        );
    }

    // urlencoded, legacy size name, alpha channel only, "true"/"false" strings.
    let form = format!(
        "image_file_b64={}&size=regular&channels=alpha&crop=false",
        b64(&photo_bytes)
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D")
    );
    let response = api
        .removebg("application/x-www-form-urlencoded", form.into_bytes(), &[])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let decoded = image::load_from_memory(&bytes(response).await).expect("png");
    assert_eq!(decoded.color(), image::ColorType::L8, "alpha only");
    let alpha = decoded.to_luma8();
    let (aw, ah) = alpha.dimensions();
    assert_eq!(alpha.get_pixel(0, 0).0, [0], "alpha corner");
    assert_eq!(alpha.get_pixel(aw / 2, ah / 2).0, [255], "alpha middle");
    // The ellipse covers π/16 of the picture.
    let opaque = alpha.pixels().filter(|p| p.0[0] >= 128).count() as f64;
    let share = opaque / f64::from(aw * ah);
    assert!(
        (share - std::f64::consts::PI / 16.0).abs() < 0.01,
        "{share}"
    );

    // zip and webp.
    for (format, content_type) in [("zip", "application/zip"), ("webp", "image/webp")] {
        let body = serde_json::json!({ "image_file_b64": b64(&photo_bytes), "format": format });
        let response = api
            .removebg(
                "application/json",
                serde_json::to_vec(&body).expect("json"),
                &[],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{format}");
        assert_eq!(header(&response, "content-type"), content_type, "{format}");
        let body = bytes(response).await;
        let alpha = if format == "zip" {
            image::load_from_memory(&zip_member(&body, "alpha.png"))
                .expect("alpha.png")
                .to_luma8()
        } else {
            let rgba = decode_rgba(&body);
            image::GrayImage::from_fn(rgba.width(), rgba.height(), |x, y| {
                image::Luma([rgba.get_pixel(x, y).0[3]])
            })
        };
        let (aw, ah) = alpha.dimensions();
        assert_eq!(alpha.get_pixel(0, 0).0, [0], "{format}: corner");
        assert_eq!(alpha.get_pixel(aw / 2, ah / 2).0, [255], "{format}: middle");
    }

    // crop with a margin: the subject's box plus the margin, exactly.
    let body = serde_json::json!({
        "image_file_b64": b64(&photo_bytes),
        "size": "full",
        "crop": true,
        "crop_margin": "30px",
    });
    let response = api
        .removebg(
            "application/json",
            serde_json::to_vec(&body).expect("json"),
            &[],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK, "crop");
    let (left, top, width, height) = fake_subject_box(900, 600);
    assert_eq!(
        (header(&response, "x-width"), header(&response, "x-height")),
        (
            (width + 60).to_string().as_str(),
            (height + 60).to_string().as_str()
        )
    );
    assert_eq!(header(&response, "x-foreground-left"), "30");
    assert_eq!(header(&response, "x-foreground-top"), "30");
    assert!(left >= 30 && top >= 30, "the margin fits inside the photo");
}

#[tokio::test]
async fn removebg_errors_use_its_shape_and_statuses() {
    let api = TestApp::new().await;
    let one = corpus("one-pixel.png");
    type Case<'a> = (
        Vec<u8>,
        &'a str,
        &'a [(&'a str, &'a str)],
        StatusCode,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            serde_json::to_vec(&serde_json::json!({ "size": "full" })).expect("json"),
            "application/json",
            &[],
            StatusCode::BAD_REQUEST,
            "image_file",
        ),
        (
            serde_json::to_vec(&serde_json::json!({ "image_url": "http://127.0.0.1/x.png" }))
                .expect("json"),
            "application/json",
            &[],
            StatusCode::BAD_REQUEST,
            "disabled",
        ),
        (
            serde_json::to_vec(&serde_json::json!({ "image_file_b64": b64(&one), "size": "huge" }))
                .expect("json"),
            "application/json",
            &[],
            StatusCode::BAD_REQUEST,
            "preview",
        ),
        (
            serde_json::to_vec(&serde_json::json!({ "image_file_b64": "@@@" })).expect("json"),
            "application/json",
            &[],
            StatusCode::BAD_REQUEST,
            "base64",
        ),
        (
            serde_json::to_vec(&serde_json::json!({ "image_file_b64": b64(&corpus("image.svg")) }))
                .expect("json"),
            "application/json",
            &[],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "JPEG, PNG or WebP",
        ),
        (
            serde_json::to_vec(&serde_json::json!({ "image_file_b64": b64(&corpus("bomb.png")) }))
                .expect("json"),
            "application/json",
            &[],
            // remove.bg's `resolution_too_high`.
            StatusCode::BAD_REQUEST,
            "megapixels",
        ),
        (
            b"{not json".to_vec(),
            "application/json",
            &[],
            StatusCode::BAD_REQUEST,
            "JSON",
        ),
        (
            one.clone(),
            "application/json",
            &[("x-api-key", "abc123")],
            StatusCode::FORBIDDEN,
            "not valid",
        ),
    ];
    for (body, content_type, extra, status, words) in cases {
        let response = api.removebg(content_type, body, extra).await;
        assert_eq!(response.status(), status, "{words}");
        let (code, detail) = errors(&json(response).await);
        assert!(!code.is_empty(), "{words}: an error code");
        assert!(detail.contains(words), "{words}: {detail}");
    }
    let response = api
        .send(
            Request::get("/v1.0/account")
                .header("x-api-key", "abc")
                .body(Body::empty())
                .expect("get"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(errors(&json(response).await).0, "auth_failed");
    let response = api
        .send(
            Request::get("/v1.0/account")
                .body(Body::empty())
                .expect("get"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn anonymous_callers_are_limited_per_address_with_headers() {
    let api = TestApp::builder()
        .env("IMGIGO_ANON_BURST", "2")
        .env("IMGIGO_ANON_PER_MINUTE", "1")
        .build()
        .await;
    let upload = corpus("one-pixel.png");
    let native = |ip: &str| {
        from(
            ip,
            Request::post("/api/v1/cutouts?size=256")
                .header(header::CONTENT_TYPE, "image/png")
                .body(Body::from(upload.clone()))
                .expect("request"),
        )
    };
    let first = api.send(native("198.51.100.1")).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(header(&first, "x-ratelimit-limit"), "2");
    assert_eq!(header(&first, "x-ratelimit-remaining"), "1");
    let _: u64 = header(&first, "x-ratelimit-reset").parse().expect("reset");
    assert_eq!(
        api.send(native("198.51.100.1")).await.status(),
        StatusCode::OK
    );
    let limited = api.send(native("198.51.100.1")).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = header(&limited, "retry-after")
        .parse()
        .expect("retry-after");
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(header(&limited, "x-ratelimit-remaining"), "0");
    let message = message(limited).await;
    assert!(message.contains("try again"), "{message}");

    // The remove.bg route shares the bucket and answers in its own shape.
    let body =
        serde_json::to_vec(&serde_json::json!({ "image_file_b64": b64(&upload) })).expect("json");
    let removebg = api
        .send(from(
            "198.51.100.1",
            Request::post("/v1.0/removebg")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .expect("request"),
        ))
        .await;
    assert_eq!(removebg.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(removebg.headers().contains_key("retry-after"));
    assert_eq!(errors(&json(removebg).await).0, "rate_limit_exceeded");

    // Another address has its own bucket.
    assert_eq!(
        api.send(native("2001:db8::9")).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn readyz_reports_the_model_state() {
    let ready = TestApp::new().await;
    let response = ready
        .send(Request::get("/readyz").body(Body::empty()).expect("get"))
        .await;
    assert_eq!(json(response).await["checks"]["model"], "ready");
    let without = TestApp::without_model().await;
    without.app.set_model_loading(true);
    let response = without
        .send(Request::get("/readyz").body(Body::empty()).expect("get"))
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "pages still work while the model loads"
    );
    assert_eq!(json(response).await["checks"]["model"], "loading");
    without.app.set_model_loading(false);
    let response = without
        .send(Request::get("/readyz").body(Body::empty()).expect("get"))
        .await;
    assert_eq!(json(response).await["checks"]["model"], "unavailable");
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route() {
    let api = TestApp::new().await;
    let response = api
        .send(
            Request::get("/api/openapi.json")
                .body(Body::empty())
                .expect("get"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let doc = json(response).await;
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    let paths = doc["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/api/v1/cutouts", "post"),
        ("/r/{id}", "get"),
        ("/r/{id}", "delete"),
        ("/v1.0/removebg", "post"),
        ("/v1.0/account", "get"),
        ("/api/v1/backgrounds", "get"),
        ("/api/v1/backgrounds/{id}", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path}"
        );
    }
    let form = &paths["/api/v1/cutouts"]["post"]["requestBody"]["content"]["multipart/form-data"];
    let image = &form["schema"]["properties"]["image"];
    assert!(image.is_object(), "the form names its image field: {form}");
    let statuses: Vec<&String> = paths["/api/v1/cutouts"]["post"]["responses"]
        .as_object()
        .expect("responses")
        .keys()
        .collect();
    for status in ["200", "201", "400", "413", "415", "422", "429", "503"] {
        assert!(
            statuses.iter().any(|s| s.as_str() == status),
            "{status} documented"
        );
    }
}

#[tokio::test]
async fn over_real_http_a_cutout_its_link_and_the_peer_rate_limit_work() {
    let api = TestApp::builder()
        .env("IMGIGO_ANON_BURST", "2")
        .env("IMGIGO_ANON_PER_MINUTE", "1")
        .build()
        .await;
    let addr = api.addr;
    let upload = png(&photo(64, 40, 11));
    let (status, headers, body) = exchange(
        addr,
        "POST /api/v1/cutouts?size=256&format=webp HTTP/1.1\r\nContent-Type: image/png",
        &upload,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(value(&headers, "content-type"), "image/webp");
    assert_eq!(
        value(&headers, "x-ratelimit-remaining"),
        "1",
        "the peer's own bucket"
    );
    let decoded = image::load_from_memory(&body).expect("webp");
    assert_eq!((decoded.width(), decoded.height()), (64, 40));

    let link = value(&headers, "x-result-url").to_string();
    let (status, headers, again) = exchange(addr, &format!("GET {link} HTTP/1.1"), b"").await;
    assert_eq!(status, 200);
    assert!(value(&headers, "content-disposition").contains("imgigo-cutout.webp"));
    assert_eq!(again, body);

    // The second upload uses the burst up; the third is refused with Retry-After.
    let (status, _, _) = exchange(
        addr,
        "POST /api/v1/cutouts?size=256 HTTP/1.1\r\nContent-Type: image/png",
        &upload,
    )
    .await;
    assert_eq!(status, 200);
    let (status, headers, body) = exchange(
        addr,
        "POST /api/v1/cutouts?size=256 HTTP/1.1\r\nContent-Type: image/png",
        &upload,
    )
    .await;
    assert_eq!(status, 429);
    let _: u64 = value(&headers, "retry-after").parse().expect("seconds");
    assert!(String::from_utf8_lossy(&body).contains("try again"));
}

#[tokio::test]
async fn image_url_is_fetched_only_when_enabled_and_never_from_private_addresses() {
    let (host, server) = photo_host().await;
    let enabled = services::fetch::FetchPolicy {
        enabled: true,
        ..Default::default()
    };

    // On, but the photo host is on loopback: refused, however the address is spelled.
    let api = TestApp::builder().fetch(enabled).build().await;
    for url in [
        format!("http://{host}/photo.png"),
        format!("http://localhost:{}/photo.png", host.port()),
        "http://169.254.169.254/latest/meta-data".to_string(),
        "file:///etc/passwd".to_string(),
    ] {
        let response = api.removebg("application/json", url_body(&url), &[]).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{url}");
        let (_, detail) = errors(&json(response).await);
        assert!(detail.contains("image_url"), "{url}: {detail}");
    }

    // With private addresses let through (a test-only switch), the fetch itself works:
    // a photo, a redirect to it, a size limit.
    let api = TestApp::builder()
        .fetch(services::fetch::FetchPolicy {
            allow_private: true,
            max_bytes: 2_000_000,
            ..enabled
        })
        .build()
        .await;
    for path in ["/photo.png", "/moved"] {
        let response = api
            .removebg(
                "application/json",
                url_body(&format!("http://{host}{path}")),
                &[],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            (header(&response, "x-width"), header(&response, "x-height")),
            ("30", "20")
        );
    }
    let response = api
        .removebg(
            "application/json",
            url_body(&format!("http://{host}/big.png")),
            &[],
        )
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let response = api
        .removebg(
            "application/json",
            url_body(&format!("http://{host}/missing.png")),
            &[],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(errors(&json(response).await).1.contains("404"));
    server.abort();
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_picks_the_bucket() {
    let api = TestApp::builder()
        .env("IMGIGO_ANON_BURST", "1")
        .env("IMGIGO_ANON_PER_MINUTE", "1")
        .env("IMGIGO_TRUSTED_PROXIES", "10.0.0.2")
        .build()
        .await;
    let upload = corpus("one-pixel.png");
    let send = |peer: &str, forwarded: Option<&str>| {
        let mut request =
            Request::post("/api/v1/cutouts?size=256").header(header::CONTENT_TYPE, "image/png");
        if let Some(forwarded) = forwarded {
            request = request.header("x-forwarded-for", forwarded);
        }
        api.send_in_process(from_peer(
            peer,
            request.body(Body::from(upload.clone())).expect("request"),
        ))
    };
    // In order: (peer, X-Forwarded-For, expected status).
    let steps = [
        // Two clients behind the proxy: one bucket each.
        ("10.0.0.2", "198.51.100.20", StatusCode::OK),
        ("10.0.0.2", "198.51.100.21", StatusCode::OK),
        ("10.0.0.2", "198.51.100.20", StatusCode::TOO_MANY_REQUESTS),
        // A client cannot pick its bucket by sending the header itself: only the proxy is believed.
        ("203.0.113.50", "198.51.100.99", StatusCode::OK),
        (
            "203.0.113.50",
            "198.51.100.98",
            StatusCode::TOO_MANY_REQUESTS,
        ),
        // A spoofed entry before the proxy's own is ignored: the proxy appends the real peer last.
        (
            "10.0.0.2",
            "198.51.100.77, 198.51.100.20",
            StatusCode::TOO_MANY_REQUESTS,
        ),
    ];
    for (peer, forwarded, status) in steps {
        assert_eq!(
            send(peer, Some(forwarded)).await.status(),
            status,
            "{peer} for {forwarded}"
        );
    }
}

#[tokio::test]
async fn results_are_gone_after_seven_days() {
    let api = TestApp::new().await;
    let response = api
        .post_raw("?size=256", "image/png", corpus("one-pixel.png"))
        .await;
    let link = header(&response, "x-result-url").to_string();
    let get = || api.send(Request::get(&link).body(Body::empty()).expect("get"));
    api.clock
        .advance(chrono::TimeDelta::days(7) - chrono::TimeDelta::seconds(1));
    assert_eq!(get().await.status(), StatusCode::OK, "still there on day 7");
    api.clock.advance(chrono::TimeDelta::seconds(1));
    assert_eq!(
        get().await.status(),
        StatusCode::NOT_FOUND,
        "gone after 7 days"
    );
    let cutouts = api.app.cutouts().expect("cutouts");
    assert_eq!(
        cutouts.purge_expired().await.expect("janitor"),
        1,
        "and the janitor destroys it"
    );
    assert_eq!(cutouts.results().usage(), (0, 0));
}

// ---- photos that cannot give a cutout ---------------------------------------------------------

fn stored(api: &TestApp) -> usize {
    api.app.cutouts().expect("cutouts").results().usage().0
}

/// A blank wall: the fake engine (like the model) finds no subject in one flat colour.
fn blank_photo() -> Vec<u8> {
    png(&RgbImage::from_pixel(64, 48, image::Rgb([236, 236, 230])))
}

#[tokio::test]
async fn a_photo_without_a_subject_is_refused_on_both_apis_and_nothing_is_stored() {
    let api = TestApp::fake().await;

    let native = api.post_raw("", "image/png", blank_photo()).await;
    assert_eq!(native.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(native.headers().get("x-result-url").is_none());
    let body = json(native).await;
    assert_eq!(body["error"]["status"], 422);
    assert_eq!(
        body["error"]["message"],
        "We couldn't find a subject in this photo, so there is nothing to cut out. Try a photo with a clear main subject."
    );

    let removebg = api.removebg("image/png", blank_photo(), &[]).await;
    assert_eq!(removebg.status(), StatusCode::BAD_REQUEST);
    let body = json(removebg).await;
    let (code, detail) = errors(&body);
    assert_eq!(code, "unknown_foreground");
    assert_eq!(
        body["errors"][0]["title"],
        "Could not identify foreground in image"
    );
    assert!(detail.contains("couldn't find a subject"), "{detail}");

    assert_eq!(
        stored(&api),
        0,
        "no result is kept for a photo without a subject"
    );

    // A photo with a subject still gives a cutout (and a stored result).
    let ok = api.post_raw("", "image/png", png(&photo(64, 48, 5))).await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(ok.headers().get("x-result-url").is_some());
    assert_eq!(stored(&api), 1);
}

/// A JPEG cut short, as a half-finished download leaves it.
fn truncated_jpeg() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    photo(200, 150, 9)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("jpeg");
    let mut bytes = out.into_inner();
    bytes.truncate(bytes.len() * 2 / 3);
    bytes
}

#[tokio::test]
async fn an_incomplete_photo_is_refused_on_both_apis_with_a_sentence() {
    let api = TestApp::fake().await;
    let sentence = services::cutout::upload::complete::INCOMPLETE;

    let native = api.post_raw("", "image/jpeg", truncated_jpeg()).await;
    assert_eq!(native.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json(native).await["error"]["message"], sentence);

    let removebg = api.removebg("image/jpeg", truncated_jpeg(), &[]).await;
    assert_eq!(removebg.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (code, detail) = errors(&json(removebg).await);
    assert_eq!(code, "unprocessable_image");
    assert_eq!(detail, sentence);

    // The corpus's truncated JPEG too (zune-jpeg alone would paint its missing half grey).
    let corpus_file = api
        .post_raw("", "image/jpeg", corpus("truncated.jpg"))
        .await;
    assert_eq!(corpus_file.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stored(&api), 0);
}

#[tokio::test]
async fn the_pixel_limit_says_the_size_the_limit_and_what_to_do() {
    let api = TestApp::fake().await;
    let response = api.post_raw("", "image/png", corpus("bomb.png")).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let message = message(response).await;
    assert_eq!(
        message,
        "This photo is 400 megapixels (20000×20000); we can take up to 50 megapixels. Please send a smaller copy."
    );
}
