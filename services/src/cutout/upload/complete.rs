//! Whether an upload's file is whole. Decoders are forgiving: zune-jpeg paints the missing rest of
//! a truncated JPEG grey and reports success, so a half-downloaded photo would be cut out as if it
//! were whole. Each format's structure says where the file must end; a file that stops before
//! that is refused ([`INCOMPLETE`]).
//!
//! The walks only read, advance at least one byte per step and never index past the end, so any
//! input (fuzzed ones included) ends in a verdict.

use super::SourceFormat;

/// The sentence for a file that ends early.
pub const INCOMPLETE: &str = "This photo is incomplete: the file ends early, maybe it was not fully downloaded. Try another copy of the photo.";

/// Whether `bytes` (sniffed as `format`) run to their format's end. A file whose structure is
/// damaged in some other way counts as whole here: the decoder judges that.
pub fn is_complete(format: SourceFormat, bytes: &[u8]) -> bool {
    match format {
        SourceFormat::Jpeg => jpeg_is_complete(bytes),
        SourceFormat::Png => png_is_complete(bytes),
        SourceFormat::Webp => webp_is_complete(bytes),
    }
}

/// A JPEG ends with EOI (`FF D9`) after its last scan. Segments are skipped by their lengths (so
/// an EXIF thumbnail's EOI inside APP1 is not taken for the end); after SOS comes entropy-coded
/// data, where `FF 00` and the restart markers `FF D0`–`FF D7` are data, and any other marker ends
/// the scan.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    const SOI: u8 = 0xD8;
    const EOI: u8 = 0xD9;
    const SOS: u8 = 0xDA;
    const TEM: u8 = 0x01;
    let is_restart = |marker: u8| (0xD0..=0xD7).contains(&marker);
    if bytes.len() < 2 || bytes[0] != 0xFF || bytes[1] != SOI {
        return true;
    }
    let mut pos = 2;
    loop {
        // The next marker: `FF` (fill bytes `FF FF …` allowed) then its code. Stray bytes between
        // segments are skipped, as libjpeg does.
        while pos < bytes.len() && bytes[pos] != 0xFF {
            pos += 1;
        }
        while pos < bytes.len() && bytes[pos] == 0xFF {
            pos += 1;
        }
        let Some(&marker) = bytes.get(pos) else {
            return false;
        };
        pos += 1;
        match marker {
            EOI => return true,
            SOI | TEM => continue,
            m if is_restart(m) => continue,
            _ => {}
        }
        let (Some(&high), Some(&low)) = (bytes.get(pos), bytes.get(pos + 1)) else {
            return false;
        };
        let length = usize::from(u16::from_be_bytes([high, low]));
        if length < 2 {
            // Not a segment length: damaged, not short. The decoder says so.
            return true;
        }
        pos += length;
        if pos > bytes.len() {
            return false;
        }
        if marker == SOS {
            // Entropy-coded data up to the next marker that is not data.
            loop {
                while pos < bytes.len() && bytes[pos] != 0xFF {
                    pos += 1;
                }
                let Some(&next) = bytes.get(pos + 1) else {
                    return false;
                };
                if next == 0x00 || is_restart(next) {
                    pos += 2;
                } else if next == 0xFF {
                    pos += 1;
                } else {
                    break;
                }
            }
        }
    }
}

/// A PNG ends with its IEND chunk; the chunks before it are walked by their lengths.
fn png_is_complete(bytes: &[u8]) -> bool {
    const SIGNATURE: usize = 8;
    let mut pos = SIGNATURE;
    loop {
        let Some(head) = bytes.get(pos..pos + 8) else {
            return false;
        };
        let length = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        // Length, type, data and CRC.
        let Some(end) = pos.checked_add(12).and_then(|n| n.checked_add(length)) else {
            return false;
        };
        if end > bytes.len() {
            return false;
        }
        if &head[4..8] == b"IEND" {
            return true;
        }
        pos = end;
    }
}

/// A WebP file is one RIFF chunk whose header gives its size; the file must hold all of it.
fn webp_is_complete(bytes: &[u8]) -> bool {
    let Some(size) = bytes.get(4..8) else {
        return false;
    };
    let size = u32::from_le_bytes([size[0], size[1], size[2], size[3]]) as u64;
    // "RIFF" and the size field come before the counted bytes.
    bytes.len() as u64 >= size + 8
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn encoded(format: image::ImageFormat) -> Vec<u8> {
        let photo = image::RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([(x * 4) as u8, (y * 5) as u8, ((x + y) * 3) as u8])
        });
        let mut out = Cursor::new(Vec::new());
        photo.write_to(&mut out, format).expect("encode");
        out.into_inner()
    }

    #[test]
    fn whole_files_are_complete_and_every_shorter_cut_is_not() {
        for (image_format, format) in [
            (image::ImageFormat::Jpeg, SourceFormat::Jpeg),
            (image::ImageFormat::Png, SourceFormat::Png),
            (image::ImageFormat::WebP, SourceFormat::Webp),
        ] {
            let bytes = encoded(image_format);
            assert!(is_complete(format, &bytes), "{format:?}");
            for cut in 2..bytes.len() {
                assert!(
                    !is_complete(format, &bytes[..cut]),
                    "{format:?} cut at {cut} of {}",
                    bytes.len()
                );
            }
        }
    }

    #[test]
    fn trailing_bytes_after_the_end_are_allowed() {
        let mut bytes = encoded(image::ImageFormat::Jpeg);
        bytes.extend_from_slice(b"trailing data from a camera");
        assert!(is_complete(SourceFormat::Jpeg, &bytes));
    }

    /// SOI, an APP1 segment holding a whole thumbnail JPEG (with its own EOI), then the main image.
    fn with_thumbnail(main: &[u8]) -> Vec<u8> {
        let thumbnail = encoded(image::ImageFormat::Jpeg);
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&thumbnail);
        let length = u16::try_from(app1.len() + 2).expect("fits");
        let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE1];
        bytes.extend_from_slice(&length.to_be_bytes());
        bytes.extend_from_slice(&app1);
        bytes.extend_from_slice(&main[2..]);
        bytes
    }

    #[test]
    fn a_thumbnails_end_inside_app1_is_not_the_files_end() {
        let main = encoded(image::ImageFormat::Jpeg);
        let whole = with_thumbnail(&main);
        assert!(is_complete(SourceFormat::Jpeg, &whole));
        // Cut inside the main image's scan, well after the thumbnail's EOI.
        let cut = &whole[..whole.len() - 20];
        assert!(!is_complete(SourceFormat::Jpeg, cut));
    }

    #[test]
    fn stuffed_bytes_and_restart_markers_are_scan_data() {
        // SOI, SOS (length 2), data with FF00, RST0 and fill bytes, then EOI.
        let whole = [
            0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF,
            0xFF, 0xD9,
        ];
        assert!(is_complete(SourceFormat::Jpeg, &whole));
        assert!(!is_complete(SourceFormat::Jpeg, &whole[..13]));
        assert!(!is_complete(SourceFormat::Jpeg, &whole[..whole.len() - 1]));
    }

    #[test]
    fn hostile_inputs_end_in_a_verdict() {
        let cases: [&[u8]; 7] = [
            &[0xFF, 0xD8],
            &[0xFF, 0xD8, 0xFF, 0xFF, 0xFF],
            &[0xFF, 0xD8, 0xFF, 0xC0, 0xFF, 0xFF],
            &[0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF],
            &[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x00],
            b"\x89PNG\r\n\x1a\n\xff\xff\xff\xffIDAT",
            b"RIFF\xff\xff\xff\xffWEBP",
        ];
        for case in cases {
            for format in [SourceFormat::Jpeg, SourceFormat::Png, SourceFormat::Webp] {
                let _ = is_complete(format, case);
            }
        }
        assert!(!is_complete(
            SourceFormat::Png,
            b"\x89PNG\r\n\x1a\n\xff\xff\xff\xffIDAT"
        ));
        assert!(!is_complete(
            SourceFormat::Webp,
            b"RIFF\xff\xff\xff\xffWEBP"
        ));
    }
}
