//! Where the subject goes and what is drawn around it, over real HTTP with the fake engine (a known
//! ellipse, so every position can be computed by hand): remove.bg's `roi`, `scale`, `position`,
//! `crop_margin` with several values and its shadows; the native `output_size`/`fit`/`padding`,
//! marketplace presets, shadows and outlines; and remove.bg's error codes for each.
//!
//! The fake subject of an 80×60 photo is the ellipse filling the box at (20, 15), 40×30.

use http::StatusCode;
use image::RgbaImage;

mod support;
use support::*;

const W: u32 = 80;
const H: u32 = 60;

fn upload() -> Vec<u8> {
    png(&subject_photo(W, H))
}

/// The native API's JSON answer and the result it links to.
async fn native(api: &TestApp, options: &[(&str, &'static str)]) -> (serde_json::Value, RgbaImage) {
    let mut parts = vec![("image", Part::File(upload()))];
    parts.extend(
        options
            .iter()
            .map(|&(name, value)| (name, Part::Text(value))),
    );
    let response = api.post_form(&parts, Some("application/json")).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{options:?}");
    let body = json(response).await;
    let link = body["result"]["url"].as_str().expect("url").to_string();
    let result = api.get(&link, None).await;
    assert_eq!(result.status(), StatusCode::OK);
    let image = decode_rgba(&bytes(result).await);
    let result = &body["result"];
    assert_eq!(
        (result["width"].as_u64(), result["height"].as_u64()),
        (
            Some(u64::from(image.width())),
            Some(u64::from(image.height()))
        ),
        "{options:?}"
    );
    (body, image)
}

fn foreground(body: &serde_json::Value) -> (u64, u64, u64, u64) {
    let f = &body["result"]["foreground"];
    let n = |name: &str| f[name].as_u64().expect("a number");
    (n("left"), n("top"), n("width"), n("height"))
}

/// remove.bg's answer: status, headers' foreground box, and the image (or the error code).
async fn removebg(
    api: &TestApp,
    fields: &[(&str, &'static str)],
) -> (StatusCode, Result<(RgbaImage, [String; 4]), String>) {
    let mut parts = vec![("image_file", Part::File(upload()))];
    parts.extend(
        fields
            .iter()
            .map(|&(name, value)| (name, Part::Text(value))),
    );
    removebg_parts(api, parts).await
}

async fn removebg_parts(
    api: &TestApp,
    parts: Vec<(&str, Part)>,
) -> (StatusCode, Result<(RgbaImage, [String; 4]), String>) {
    let (content_type, body) = multipart(&parts);
    let response = api.removebg(&content_type, body, &[]).await;
    let status = response.status();
    if status != StatusCode::OK {
        return (status, Err(errors(&json(response).await).0));
    }
    let boxed = ["left", "top", "width", "height"]
        .map(|side| header(&response, &format!("x-foreground-{side}")).to_string());
    (status, Ok((decode_rgba(&bytes(response).await), boxed)))
}

fn opaque_box(image: &RgbaImage) -> Option<(u32, u32, u32, u32)> {
    let solid: Vec<(u32, u32)> = image
        .enumerate_pixels()
        .filter(|(_, _, p)| p.0[3] == 255)
        .map(|(x, y, _)| (x, y))
        .collect();
    let left = solid.iter().map(|p| p.0).min()?;
    let right = solid.iter().map(|p| p.0).max()?;
    let top = solid.iter().map(|p| p.1).min()?;
    let bottom = solid.iter().map(|p| p.1).max()?;
    Some((left, top, right - left + 1, bottom - top + 1))
}

#[tokio::test]
async fn a_roi_limits_where_the_subject_may_be_on_both_apis() {
    let api = TestApp::fake().await;
    assert_eq!(fake_subject_box(W, H), (20, 15, 40, 30));
    // The left half (column 40, half of the last column 79 rounded, is included).
    let (status, result) = removebg(&api, &[("roi", "0% 0% 50% 100%"), ("format", "png")]).await;
    assert_eq!(status, StatusCode::OK);
    let (image, _) = result.expect("image");
    for (x, y, pixel) in image.enumerate_pixels() {
        if x > 40 {
            assert_eq!(pixel.0[3], 0, "({x}, {y}) is outside the region");
        }
    }
    assert_eq!(image.get_pixel(30, 30).0[3], 255, "the left part stays");
    let (body, native) = native(&api, &[("roi", "0px 0px 40px 59px")]).await;
    assert_eq!(foreground(&body), (20, 15, 21, 30));
    assert_eq!(native.get_pixel(50, 30).0[3], 0);
    // A region without the subject: nothing to cut out.
    let (status, result) = removebg(&api, &[("roi", "0% 0% 10% 10%")]).await;
    assert_eq!(
        (status, result.err().as_deref()),
        (StatusCode::BAD_REQUEST, Some("unknown_foreground"))
    );
}

#[tokio::test]
async fn remove_bg_layout_errors_use_its_codes() {
    let api = TestApp::fake().await;
    for (fields, code) in [
        (&[("roi", "0 0 80 10")][..], "roi_exceeds_bounds"),
        (&[("roi", "10 10 10 50")][..], "roi_region_empty"),
        (&[("roi", "a b c d")][..], "invalid_roi"),
        (&[("roi", "0 0 10")][..], "invalid_roi"),
        (&[("scale", "5%")][..], "invalid_scale"),
        (&[("position", "left")][..], "invalid_position"),
        (
            &[("crop", "true"), ("crop_margin", "10px 60%")][..],
            "invalid_crop_margin",
        ),
        (&[("bg_color", "#12")][..], "invalid_bg_color"),
        (&[("shadow_type", "soft")][..], "invalid_shadow_type"),
        (
            &[("shadow_type", "drop"), ("shadow_opacity", "200")][..],
            "invalid_shadow_opacity",
        ),
        (
            &[("semitransparency", "false")][..],
            "invalid_semitransparency",
        ),
        (&[("size", "huge")][..], "invalid_size"),
    ] {
        let (status, result) = removebg(&api, fields).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{fields:?}");
        assert_eq!(result.err().as_deref(), Some(code), "{fields:?}");
    }
    // Sources: two photos, none, two backgrounds.
    let two = vec![
        ("image_file", Part::File(upload())),
        ("image_file_b64", Part::Text("iVBORw0KGgo=")),
    ];
    let none = vec![("size", Part::Text("full"))];
    let backgrounds = vec![
        ("image_file", Part::File(upload())),
        ("bg_color", Part::Text("red")),
        ("bg_image_file", Part::File(upload())),
    ];
    for (parts, code) in [
        (two, "multiple_sources"),
        (none, "missing_source"),
        (backgrounds, "multiple_bg_sources"),
    ] {
        let (status, result) = removebg_parts(&api, parts).await;
        assert_eq!(
            (status, result.err().as_deref()),
            (StatusCode::BAD_REQUEST, Some(code))
        );
    }
    let (content_type, body) = multipart(&[("image_file", Part::File(corpus("bomb.png")))]);
    let response = api.removebg(&content_type, body, &[]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let (code, detail) = errors(&json(response).await);
    assert_eq!(code, "resolution_too_high");
    assert!(detail.contains("400 megapixels"), "{detail}");
    // remove.bg's newest size name.
    let (status, _) = removebg(&api, &[("size", "50MP")]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn remove_bg_scale_and_position_place_the_subject() {
    let api = TestApp::fake().await;
    // 25 %: the 40×30 box's tighter fit is 2× (80/40 = 60/30), a quarter of it is ½, centred.
    let (status, result) = removebg(&api, &[("scale", "25%"), ("format", "png")]).await;
    assert_eq!(status, StatusCode::OK);
    let (image, boxed) = result.expect("image");
    assert_eq!(image.dimensions(), (W, H));
    assert_eq!(boxed, ["30", "23", "20", "15"].map(String::from));
    for (x, y, pixel) in image.enumerate_pixels() {
        if pixel.0[3] > 0 {
            assert!(
                (28..52).contains(&x) && (21..40).contains(&y),
                "({x}, {y}) is outside the placed box: {pixel:?}"
            );
        }
    }
    assert_eq!(image.get_pixel(40, 30).0[3], 255);
    // Moved to the top left corner, not resized: each subject pixel is the photo's, shifted.
    let (status, result) = removebg(&api, &[("position", "0%"), ("format", "png")]).await;
    assert_eq!(status, StatusCode::OK);
    let (image, boxed) = result.expect("image");
    assert_eq!(boxed, ["0", "0", "40", "30"].map(String::from));
    let photo = subject_photo(W, H);
    let mut compared = 0;
    for (x, y, pixel) in image.enumerate_pixels() {
        if pixel.0[3] == 255 {
            let [r, g, b] = photo.get_pixel(x + 20, y + 15).0;
            assert_eq!(pixel.0, [r, g, b, 255], "({x}, {y})");
            compared += 1;
        }
    }
    assert!(compared > 800, "{compared} subject pixels");
    assert_eq!(opaque_box(&image).map(|b| (b.0, b.1)), Some((0, 0)));
    // Two margins: 5 px above and below, none at the sides.
    let (status, result) = removebg(
        &api,
        &[
            ("crop", "true"),
            ("crop_margin", "5px 0px"),
            ("format", "png"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (image, boxed) = result.expect("image");
    assert_eq!(image.dimensions(), (40, 40));
    assert_eq!(boxed, ["0", "5", "40", "30"].map(String::from));
}

#[tokio::test]
async fn presets_and_canvases_size_the_result() {
    let api = TestApp::fake().await;
    // Amazon: white, 2000×2000, the subject filling 85 % along its tighter fit (across: 40 px of
    // 2000 is 50×, against 66× down), so 1700 px wide, centred.
    let (body, image) = native(&api, &[("preset", "amazon")]).await;
    assert_eq!(image.dimensions(), (2000, 2000));
    assert_eq!(foreground(&body), (150, 363, 1700, 1275));
    assert_eq!(image.get_pixel(5, 5).0, [255, 255, 255, 255]);
    // The corner of the subject's box is outside the ellipse: white too.
    assert_eq!(image.get_pixel(170, 390).0, [255, 255, 255, 255]);
    // The middle is the subject's middle: (40, 30) in the photo.
    let [r, g, b] = subject_photo(W, H).get_pixel(40, 30).0;
    let middle = image.get_pixel(1000, 1000).0;
    for (c, want) in [r, g, b].into_iter().enumerate() {
        assert!(
            middle[c].abs_diff(want) <= 6,
            "{middle:?} against {r} {g} {b}"
        );
    }
    // eBay: 1600 square, 90 %.
    let (body, image) = native(&api, &[("preset", "ebay")]).await;
    assert_eq!(image.dimensions(), (1600, 1600));
    assert_eq!(foreground(&body).2, 1440);
    // The whole result inside 200×100 less 10 px: scaled by 80/60, centred.
    let (body, image) = native(&api, &[("output_size", "200x100"), ("padding", "10px")]).await;
    assert_eq!(image.dimensions(), (200, 100));
    assert_eq!(foreground(&body), (74, 30, 53, 40));
    assert_eq!(image.get_pixel(5, 50).0[3], 0);
    assert_eq!(image.get_pixel(100, 50).0[3], 255);
    // Covering 200×100: 2.5×, the top and bottom cut.
    let (body, image) = native(&api, &[("output_size", "200x100"), ("fit", "cover")]).await;
    assert_eq!(image.dimensions(), (200, 100));
    assert_eq!(foreground(&body), (50, 13, 100, 75));
    // Bad values, each with a sentence.
    for (options, words) in [
        (&[("preset", "walmart")][..], "amazon, ebay"),
        (&[("preset", "amazon"), ("scale", "50%")][..], "leave out"),
        (&[("output_size", "0x5")][..], "each side"),
        (&[("output_size", "20000x20")][..], "each side"),
        (&[("fit", "cover")][..], "only with output_size"),
        (&[("outline_width", "500")][..], "0 to 200"),
        (&[("shadow", "huge")][..], "drop or contact"),
        (&[("roi", "0 0 100 10")][..], "reaches past the photo"),
    ] {
        let mut parts = vec![("image", Part::File(upload()))];
        parts.extend(
            options
                .iter()
                .map(|&(name, value)| (name, Part::Text(value))),
        );
        let response = api.post_form(&parts, None).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{options:?}"
        );
        let said = message(response).await;
        assert!(said.contains(words), "{options:?}: {said}");
    }
}

#[tokio::test]
async fn shadows_and_outlines_are_drawn_beside_the_subject_never_over_it() {
    let api = TestApp::fake().await;
    let white = [255, 255, 255, 255];
    let (_, plain) = native(&api, &[("bg_color", "white")]).await;
    let photo = subject_photo(W, H);
    // A hard black drop shadow 10 % of the subject's 40 px (4 px) right and down.
    let (_, shadowed) = native(
        &api,
        &[
            ("bg_color", "white"),
            ("shadow", "drop"),
            ("shadow_opacity", "100"),
            ("shadow_softness", "0"),
            ("shadow_offset", "10 10"),
        ],
    )
    .await;
    assert_eq!(plain.get_pixel(62, 30).0, white);
    assert_eq!(shadowed.get_pixel(62, 30).0, [0, 0, 0, 255]);
    assert_eq!(shadowed.get_pixel(75, 55).0, white);
    assert_eq!(shadowed.get_pixel(10, 5).0, white);
    for (x, y, pixel) in shadowed.enumerate_pixels() {
        if services::cutout::fake::FakeEngine::is_subject(x, y, W, H) {
            let [r, g, b] = photo.get_pixel(x, y).0;
            assert_eq!(
                pixel.0,
                [r, g, b, 255],
                "the subject is on top at ({x}, {y})"
            );
        }
    }
    // A contact shadow: under the base, not above the top.
    let (_, contact) = native(
        &api,
        &[
            ("bg_color", "white"),
            ("shadow", "contact"),
            ("shadow_opacity", "100"),
        ],
    )
    .await;
    assert!(
        contact.get_pixel(40, 45).0[0] < 200,
        "{:?}",
        contact.get_pixel(40, 45)
    );
    assert_eq!(contact.get_pixel(40, 5).0, white);
    // A red outline 3 px wide: 2 px left of the subject is red, 5 px is white.
    let (_, outlined) = native(
        &api,
        &[
            ("bg_color", "white"),
            ("outline_width", "3"),
            ("outline_color", "#ff0000"),
        ],
    )
    .await;
    assert_eq!(outlined.get_pixel(18, 30).0, [255, 0, 0, 255]);
    assert_eq!(outlined.get_pixel(15, 30).0, white);
    let [r, g, b] = photo.get_pixel(40, 30).0;
    assert_eq!(outlined.get_pixel(40, 30).0, [r, g, b, 255]);
    // On a transparent background the shadow is part of the result's alpha.
    let (_, clear) = native(
        &api,
        &[
            ("shadow", "drop"),
            ("shadow_opacity", "50"),
            ("shadow_softness", "0"),
            ("shadow_offset", "10 10"),
        ],
    )
    .await;
    assert_eq!(clear.get_pixel(62, 30).0, [0, 0, 0, 128]);
    assert_eq!(clear.get_pixel(10, 5).0, [0, 0, 0, 0]);
}

#[tokio::test]
async fn remove_bg_shadows_darken_only_around_the_subject() {
    let api = TestApp::fake().await;
    let darkness = |image: &RgbaImage| -> u64 {
        image
            .enumerate_pixels()
            .filter(|(x, y, _)| !services::cutout::fake::FakeEngine::is_subject(*x, *y, W, H))
            .map(|(_, _, p)| {
                u64::from(765 - (u16::from(p.0[0]) + u16::from(p.0[1]) + u16::from(p.0[2])))
            })
            .sum()
    };
    let cut = |fields: &'static [(&'static str, &'static str)]| {
        let api = &api;
        async move {
            let (status, result) = removebg(api, fields).await;
            assert_eq!(status, StatusCode::OK, "{fields:?}");
            result.expect("image").0
        }
    };
    let plain = cut(&[("bg_color", "white"), ("format", "png")]).await;
    assert_eq!(darkness(&plain), 0);
    for fields in [
        &[
            ("bg_color", "white"),
            ("format", "png"),
            ("shadow_type", "drop"),
        ][..],
        &[
            ("bg_color", "white"),
            ("format", "png"),
            ("add_shadow", "true"),
        ][..],
        &[
            ("bg_color", "white"),
            ("format", "png"),
            ("shadow_type", "3D"),
            ("shadow_opacity", "90"),
        ][..],
    ] {
        let shadowed = cut(fields).await;
        assert!(
            darkness(&shadowed) > 2000,
            "{fields:?}: {}",
            darkness(&shadowed)
        );
        for (x, y, pixel) in shadowed.enumerate_pixels() {
            if services::cutout::fake::FakeEngine::is_subject(x, y, W, H) {
                assert_eq!(pixel, plain.get_pixel(x, y), "{fields:?} ({x}, {y})");
            }
        }
    }
}

/// A model whose mask ramps softly across x = 28..52 (a 4× upsample's blur) on every photo.
#[derive(Clone)]
struct SoftEdge;

impl services::cutout::queue::Segment for SoftEdge {
    fn mask(
        &self,
        image: &image::RgbImage,
        _: services::cutout::ModelSize,
    ) -> Result<image::GrayImage, services::Error> {
        Ok(image::GrayImage::from_fn(
            image.width(),
            image.height(),
            |x, _| image::Luma([((46.0 - x as f32) / 12.0 * 255.0).clamp(0.0, 255.0) as u8]),
        ))
    }
}

#[tokio::test]
async fn refine_guided_pulls_a_soft_mask_to_the_photos_edge() {
    let api = TestApp::builder().engine(SoftEdge).build().await;
    // The photo's own edge is at x = 40: red on the left, blue on the right.
    let photo = image::RgbImage::from_fn(96, 40, |x, _| {
        image::Rgb(if x < 40 { [220, 40, 30] } else { [20, 60, 200] })
    });
    let cut = |refine: &'static str| {
        let (api, photo) = (&api, png(&photo));
        async move {
            let response = api
                .post_form(
                    &[
                        ("image", Part::File(photo)),
                        ("format", Part::Text("mask")),
                        ("refine", Part::Text(refine)),
                    ],
                    None,
                )
                .await;
            assert_eq!(response.status(), StatusCode::OK, "{refine}");
            image::load_from_memory(&bytes(response).await)
                .expect("png")
                .to_luma8()
        }
    };
    let error = |mask: &image::GrayImage| -> i32 {
        (0..96)
            .map(|x| (i32::from(mask.get_pixel(x, 20).0[0]) - if x < 40 { 255 } else { 0 }).abs())
            .sum()
    };
    let (plain, refined) = (cut("none").await, cut("guided").await);
    assert!(
        error(&refined) * 3 < error(&plain) * 2,
        "guided {} against {}",
        error(&refined),
        error(&plain)
    );
    let response = api
        .post_form(
            &[
                ("image", Part::File(png(&photo))),
                ("refine", Part::Text("magic")),
            ],
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(message(response).await.contains("none or guided"));
}
