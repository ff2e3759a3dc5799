//! The privacy policy people agree to, and the version consent is recorded against.
//!
//! The policy is the operator's document: `IMGIGO_PRIVACY_POLICY` names a plain-text file of their
//! own; without it the bundled text (`privacy_policy.txt`, a copy of the product's policy, kept
//! equal to it by a test) is served. The version is derived from the text itself
//! ([`version_of`]), so a consent row always names exactly the text that was shown, and a changed
//! text can never keep an old version.

use std::sync::Arc;

use sha2::{Digest, Sha256};

/// The bundled policy, as plain text: the first line is the title, numbered lines start sections,
/// lines beginning with `- ` are list items (the format of an operator's own file too).
pub const DEFAULT_POLICY_TEXT: &str = include_str!("privacy_policy.txt");

/// The policy in force: its text and the version derived from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrivacyPolicy {
    text: Arc<str>,
    version: String,
}

impl PrivacyPolicy {
    /// A policy with this text; its version is [`version_of`] the text.
    pub fn new(text: impl Into<Arc<str>>) -> Self {
        let text: Arc<str> = text.into();
        let version = version_of(&text);
        Self { text, version }
    }

    /// The bundled policy ([`DEFAULT_POLICY_TEXT`]).
    pub fn bundled() -> Self {
        Self::new(DEFAULT_POLICY_TEXT)
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// What consent rows record: `sha256:` and the first 16 hex digits of the text's SHA-256.
    pub fn version(&self) -> &str {
        &self.version
    }
}

impl Default for PrivacyPolicy {
    fn default() -> Self {
        Self::bundled()
    }
}

/// `sha256:` and the first 16 hex digits (64 bits) of the SHA-256 of `text`: short enough for a
/// consent row, long enough that two texts never share one by chance.
pub fn version_of(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sha256 of the bundled text: a change to the text must be deliberate (and changes the
    /// version consent rows record).
    const TEXT_SHA256: &str = "f17972f4aeda48cd805f8dd0e31cf162f7b3c83d6e23dca5396b22e0cc8836fb";

    #[test]
    fn the_version_names_this_exact_text() {
        let digest = format!("{:x}", Sha256::digest(DEFAULT_POLICY_TEXT.as_bytes()));
        assert_eq!(
            digest, TEXT_SHA256,
            "the bundled policy text changed: update TEXT_SHA256 (the version follows the text)"
        );
        assert_eq!(
            PrivacyPolicy::bundled().version(),
            format!("sha256:{}", &TEXT_SHA256[..16])
        );
    }

    #[test]
    fn a_different_text_has_a_different_version() {
        let own = PrivacyPolicy::new("Privacy Policy\nOur own words.\n");
        assert_ne!(own.version(), PrivacyPolicy::bundled().version());
        assert_eq!(own.text(), "Privacy Policy\nOur own words.\n");
        assert!(own.version().starts_with("sha256:") && own.version().len() == 23);
    }

    #[test]
    fn the_copy_matches_the_product_policy() {
        assert!(DEFAULT_POLICY_TEXT.starts_with("Privacy Policy\n"));
        assert!(DEFAULT_POLICY_TEXT.contains("6. Your Rights"));
        // The product's source of truth sits beside the repository (`../shared/`, as in CI); a
        // missing copy fails the test rather than letting a drift pass unnoticed.
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/PRIVACY_POLICY.txt");
        let text = std::fs::read_to_string(&source).unwrap_or_else(|err| {
            panic!(
                "the product's privacy policy must sit beside the repository, at {} \
                 (../shared/PRIVACY_POLICY.txt from the repository root), to check the bundled \
                 copy against it: {err}",
                source.display()
            )
        });
        assert_eq!(
            DEFAULT_POLICY_TEXT,
            text,
            "services/src/privacy/privacy_policy.txt drifted from {}",
            source.display()
        );
    }
}
