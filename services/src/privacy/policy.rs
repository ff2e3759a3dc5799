//! The privacy policy people agree to, and the version consent is recorded against.
//!
//! `privacy_policy.txt` is a copy of the product's policy; a test keeps it equal to the source and
//! ties the version to the text, so the text cannot change without a new version.

/// Bump this whenever the text changes; consent records name the version they were given for.
pub const POLICY_VERSION: &str = "2026-11-28";

/// The policy, as plain text: the first line is the title, numbered lines start sections, lines
/// beginning with `- ` are list items.
pub const POLICY_TEXT: &str = include_str!("privacy_policy.txt");

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// The sha256 of the text that [`POLICY_VERSION`] names.
    const TEXT_SHA256_FOR_VERSION: &str =
        "f17972f4aeda48cd805f8dd0e31cf162f7b3c83d6e23dca5396b22e0cc8836fb";

    #[test]
    fn the_version_names_this_exact_text() {
        let digest = format!("{:x}", Sha256::digest(POLICY_TEXT.as_bytes()));
        assert_eq!(
            digest, TEXT_SHA256_FOR_VERSION,
            "the policy text changed: bump POLICY_VERSION and update TEXT_SHA256_FOR_VERSION"
        );
    }

    #[test]
    fn the_copy_matches_the_product_policy() {
        assert!(POLICY_TEXT.starts_with("Privacy Policy\n"));
        assert!(POLICY_TEXT.contains("6. Your Rights"));
        // The product's source of truth sits beside the repository in a checkout with `shared/`.
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/PRIVACY_POLICY.txt");
        if let Ok(text) = std::fs::read_to_string(&source) {
            assert_eq!(
                POLICY_TEXT,
                text,
                "services/src/privacy/privacy_policy.txt drifted from {}",
                source.display()
            );
        }
    }
}
