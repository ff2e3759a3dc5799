//! The upload path as the fuzz target (`fuzz_targets/upload_decode.rs`) and the replay test
//! (`services/tests/upload_fuzz_regressions.rs`) both drive it, so a crash file found by the fuzzer
//! is fed through exactly the same calls there.

use services::cutout::upload::{SourceFormat, UploadLimits, decode};
use zeroize::Zeroizing;

/// Small limits: a header may claim a huge image, and the decoder must refuse it from the header
/// instead of the fuzzer spending its time (and memory) on 50 MP allocations.
pub const LIMITS: UploadLimits = UploadLimits {
    max_bytes: 1 << 20,
    max_pixels: 4_000_000,
    max_decode_bytes: 16 << 20,
};

/// Sniffs and decodes `data`; a decoded photo must be within the limits, of the sniffed format,
/// with one RGB triple per pixel. Returns its size, or the error the API would answer with.
pub fn run(data: &[u8]) -> Result<(u32, u32), services::Error> {
    let sniffed = SourceFormat::sniff(data);
    let bytes = Zeroizing::new(data.to_vec());
    let photo = decode(&bytes, &LIMITS)?;
    let (width, height) = photo.dimensions();
    assert!(width > 0 && height > 0, "a decoded photo has pixels");
    assert!(u64::from(width) * u64::from(height) <= LIMITS.max_pixels);
    assert_eq!(Some(photo.format), sniffed, "decoded as the sniffed format");
    assert_eq!(photo.rgb().len(), width as usize * height as usize * 3);
    Ok((width, height))
}
