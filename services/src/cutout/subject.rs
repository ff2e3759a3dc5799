//! Whether a mask holds a subject at all. A photo in which the model finds nothing (a blank wall,
//! a sky) would otherwise come back as an empty, fully transparent "result"; it is refused instead
//! ([`crate::Error::NoSubject`]), and nothing is stored.

use image::GrayImage;

/// A pixel at least this opaque is subject (half opacity: the model's own decision boundary).
pub const SUBJECT_ALPHA: u8 = 128;

/// A mask is a subject when at least one pixel in this many is subject (and at least one pixel):
/// stray specks of a few pixels in a large photo are noise, not something to cut out. In a 48 MP
/// photo that asks for 480 pixels, a patch of about 22×22.
pub const MIN_SUBJECT_SHARE: u64 = 100_000;

/// Whether `mask` shows a subject worth cutting out.
pub fn has_subject(mask: &GrayImage) -> bool {
    let total = u64::from(mask.width()) * u64::from(mask.height());
    let needed = (total / MIN_SUBJECT_SHARE).max(1);
    let mut found = 0u64;
    for alpha in mask.as_raw() {
        if *alpha >= SUBJECT_ALPHA {
            found += 1;
            if found >= needed {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    #[test]
    fn an_empty_mask_has_no_subject() {
        assert!(!has_subject(&GrayImage::new(64, 48)));
        assert!(!has_subject(&GrayImage::from_pixel(
            64,
            48,
            Luma([SUBJECT_ALPHA - 1])
        )));
        assert!(!has_subject(&GrayImage::new(0, 0)));
    }

    #[test]
    fn one_half_opaque_pixel_is_a_subject_in_a_small_photo() {
        let mut mask = GrayImage::new(64, 48);
        mask.put_pixel(10, 10, Luma([SUBJECT_ALPHA]));
        assert!(has_subject(&mask));
    }

    #[test]
    fn a_few_specks_in_a_large_photo_are_noise() {
        let mut mask = GrayImage::new(1000, 1000);
        for x in 0..9 {
            mask.put_pixel(x * 100, 500, Luma([255]));
        }
        assert!(!has_subject(&mask), "9 pixels of a million");
        for x in 0..10 {
            mask.put_pixel(x, 10, Luma([255]));
        }
        assert!(has_subject(&mask), "19 pixels of a million");
    }
}
