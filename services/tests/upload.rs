//! Every upload in the corpus (`tests/corpus/`) gets the right verdict: readable photos decode
//! upright to RGB, everything else fails with the error kind the API turns into 400/413/415/422 and a
//! sentence a person understands. Bombs fail fast, before their pixels are allocated.

use std::path::PathBuf;

use services::ErrorKind;
use services::cutout::upload::{SourceFormat, UploadLimits, complete, decode};
use zeroize::Zeroizing;

fn corpus(name: &str) -> Zeroizing<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(name);
    Zeroizing::new(std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display())))
}

fn refused(name: &str, limits: &UploadLimits) -> (ErrorKind, String) {
    match decode(&corpus(name), limits) {
        Ok(photo) => panic!("{name} was accepted as {:?}", photo.dimensions()),
        Err(err) => (err.kind(), err.public_message()),
    }
}

#[test]
fn readable_photos_decode_to_rgb_at_their_size() {
    let limits = UploadLimits::default();
    for (name, format, size) in [
        ("cmyk.jpg", SourceFormat::Jpeg, (40, 30)),
        ("gray.jpg", SourceFormat::Jpeg, (33, 21)),
        ("gray16.png", SourceFormat::Png, (24, 18)),
        ("one-pixel.png", SourceFormat::Png, (1, 1)),
        ("animated.webp", SourceFormat::Webp, (32, 24)),
    ] {
        let photo = decode(&corpus(name), &limits).unwrap_or_else(|err| panic!("{name}: {err}"));
        assert_eq!(photo.format, format, "{name}");
        assert_eq!(photo.dimensions(), size, "{name}");
    }
    // The first frame of the animation (red), the CMYK colour converted to RGB (not black).
    let animated = decode(&corpus("animated.webp"), &limits).expect("webp");
    assert_eq!(animated.rgb().get_pixel(5, 5).0, [255, 0, 0]);
    let cmyk = decode(&corpus("cmyk.jpg"), &limits).expect("cmyk");
    let [r, g, b] = cmyk.rgb().get_pixel(10, 10).0;
    assert!(
        r > 150 && b < 100 && g > 60,
        "cmyk converted to {r},{g},{b}"
    );
}

#[test]
fn exif_orientation_is_applied() {
    // Stored 40×20 with a red band on the left and Orientation=6 (rotate 90° clockwise).
    let photo = decode(&corpus("rotated-exif.jpg"), &UploadLimits::default()).expect("jpeg");
    assert_eq!(photo.dimensions(), (20, 40));
    let top = photo.rgb().get_pixel(10, 2).0;
    let bottom = photo.rgb().get_pixel(10, 37).0;
    assert!(
        top[0] > 200 && top[1] < 80,
        "the red band is on top now: {top:?}"
    );
    assert!(bottom[1] > 200, "white at the bottom: {bottom:?}");
}

#[test]
fn non_images_are_415_and_say_what_is_accepted() {
    for name in ["image.svg", "document.pdf", "page.html", "text.png"] {
        let (kind, message) = refused(name, &UploadLimits::default());
        assert_eq!(kind, ErrorKind::UnsupportedMedia, "{name}");
        assert!(message.contains("JPEG, PNG or WebP"), "{name}: {message}");
    }
}

#[test]
fn damaged_images_are_422_with_a_readable_reason() {
    let (kind, message) = refused("corrupt-chunk.png", &UploadLimits::default());
    assert_eq!(kind, ErrorKind::Unprocessable);
    assert!(message.contains("could not be read"), "{message}");
}

#[test]
fn a_truncated_jpeg_is_422_and_says_the_file_ends_early() {
    let (kind, message) = refused("truncated.jpg", &UploadLimits::default());
    assert_eq!(kind, ErrorKind::Unprocessable);
    assert_eq!(message, complete::INCOMPLETE);
}

/// A 64×48 photo in `format`, whole.
fn encoded(format: image::ImageFormat) -> Vec<u8> {
    let photo = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, ((x + y) * 3) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    photo.write_to(&mut out, format).expect("encode");
    out.into_inner()
}

#[test]
fn every_truncation_of_a_jpeg_png_or_webp_is_refused_never_decoded() {
    let limits = UploadLimits::default();
    for format in [
        image::ImageFormat::Jpeg,
        image::ImageFormat::Png,
        image::ImageFormat::WebP,
    ] {
        let whole = encoded(format);
        decode(&Zeroizing::new(whole.clone()), &limits)
            .unwrap_or_else(|err| panic!("{format:?} whole: {err}"));
        // Every cut from half the file to one byte short (earlier cuts fail in the header).
        for cut in whole.len() / 2..whole.len() {
            match decode(&Zeroizing::new(whole[..cut].to_vec()), &limits) {
                Ok(_) => panic!("{format:?} cut at {cut} of {} was decoded", whole.len()),
                Err(err) => assert_eq!(err.kind(), ErrorKind::Unprocessable, "{format:?} {cut}"),
            }
        }
        let cut = &whole[..whole.len() - 1];
        let err = match decode(&Zeroizing::new(cut.to_vec()), &limits) {
            Ok(_) => panic!("{format:?} one byte short was decoded"),
            Err(err) => err,
        };
        assert_eq!(err.public_message(), complete::INCOMPLETE, "{format:?}");
    }
}

#[test]
fn empty_uploads_are_bad_requests() {
    let (kind, message) = refused("empty.png", &UploadLimits::default());
    assert_eq!(kind, ErrorKind::BadRequest);
    assert!(message.contains("empty"), "{message}");
}

#[test]
fn uploads_over_the_byte_limit_are_413() {
    let limits = UploadLimits {
        max_bytes: 1000,
        ..UploadLimits::default()
    };
    let (kind, message) = refused("bomb.png", &limits);
    assert_eq!(kind, ErrorKind::TooLarge);
    assert!(message.contains("limit"), "{message}");
}

#[test]
fn bombs_and_huge_headers_fail_fast_without_allocating_their_pixels() {
    // 20000×20000 (400 MP) in 48 KB, and a JPEG header claiming 65000×65000: refused from the header.
    for name in ["bomb.png", "huge-header.jpg"] {
        let (kind, message) = refused(name, &UploadLimits::default());
        assert_eq!(kind, ErrorKind::Unprocessable, "{name}");
        assert!(message.contains("megapixels"), "{name}: {message}");
    }
    // 36 MP is under the pixel limit; a decoder allowed 8 MB stops before allocating 36 MB.
    let tight = UploadLimits {
        max_decode_bytes: 8 << 20,
        ..UploadLimits::default()
    };
    let (kind, message) = refused("bomb-36mp.png", &tight);
    assert_eq!(kind, ErrorKind::Unprocessable);
    assert!(message.contains("MB allowed"), "{message}");
    // The same file decodes under the default limits: the refusal was the allocation limit.
    assert_eq!(
        decode(&corpus("bomb-36mp.png"), &UploadLimits::default())
            .expect("36 MP is allowed")
            .dimensions(),
        (6000, 6000)
    );
}
