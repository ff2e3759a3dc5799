//! Result ids, keys and the AES-256-GCM envelope.
//!
//! Plaintext = `[len u8][content type][bytes]`, so even the type of a stored result is sealed; the
//! id is the associated data, so a ciphertext cannot be replayed under another id.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use zeroize::{Zeroize, Zeroizing};

use crate::Error;

/// A result's public name: 128 random bits, URL-safe base64 (22 characters).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResultId(String);

impl ResultId {
    pub(crate) fn random() -> Self {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts only what [`ResultId::random`] produces (so it is also safe as a file name).
    pub fn parse(text: &str) -> Option<Self> {
        let decoded = URL_SAFE_NO_PAD.decode(text).ok()?;
        (decoded.len() == 16 && text.len() == 22).then(|| Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The 256-bit key only the client holds; wiped when dropped. `Debug` never shows it.
pub struct ResultKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for ResultKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResultKey(…)")
    }
}

impl ResultKey {
    pub(crate) fn random() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(&mut key[..]);
        Self(key)
    }

    /// URL-safe base64 without padding (43 characters), for the link.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.0[..])
    }

    pub fn parse(text: &str) -> Option<Self> {
        let mut decoded = URL_SAFE_NO_PAD.decode(text).ok()?;
        if decoded.len() != 32 {
            decoded.zeroize();
            return None;
        }
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&decoded);
        decoded.zeroize();
        Some(Self(key))
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new((&*self.0).into())
    }
}

/// `nonce ‖ ciphertext+tag` of one result.
pub(crate) fn seal(
    id: &ResultId,
    key: &ResultKey,
    content_type: &str,
    bytes: &[u8],
) -> Result<Vec<u8>, Error> {
    let type_len = u8::try_from(content_type.len())
        .map_err(|_| Error::Internal("content type too long".into()))?;
    let mut plaintext = Zeroizing::new(Vec::with_capacity(1 + content_type.len() + bytes.len()));
    plaintext.push(type_len);
    plaintext.extend_from_slice(content_type.as_bytes());
    plaintext.extend_from_slice(bytes);
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let sealed = key
        .cipher()
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &plaintext,
                aad: id.as_str().as_bytes(),
            },
        )
        .map_err(|_| Error::Internal("encryption failed".into()))?;
    let mut out = Vec::with_capacity(12 + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// The content type and bytes, or `None` for a wrong key or a damaged envelope.
pub(crate) fn open(
    id: &ResultId,
    key: &ResultKey,
    envelope: &[u8],
) -> Option<(String, Zeroizing<Vec<u8>>)> {
    if envelope.len() < 12 {
        return None;
    }
    let (nonce, sealed) = envelope.split_at(12);
    let plaintext = Zeroizing::new(
        key.cipher()
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: id.as_str().as_bytes(),
                },
            )
            .ok()?,
    );
    let type_len = usize::from(*plaintext.first()?);
    let content_type = std::str::from_utf8(plaintext.get(1..1 + type_len)?)
        .ok()?
        .to_string();
    let bytes = Zeroizing::new(plaintext.get(1 + type_len..)?.to_vec());
    Some((content_type, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_results_open_only_with_their_key_and_id() {
        let (id, key) = (ResultId::random(), ResultKey::random());
        let envelope = seal(&id, &key, "image/png", b"pixels").expect("seal");
        assert!(
            !envelope.windows(6).any(|w| w == b"pixels"),
            "ciphertext only"
        );
        let (content_type, bytes) = open(&id, &key, &envelope).expect("open");
        assert_eq!(
            (content_type.as_str(), &bytes[..]),
            ("image/png", &b"pixels"[..])
        );
        assert!(
            open(&id, &ResultKey::random(), &envelope).is_none(),
            "wrong key"
        );
        assert!(
            open(&ResultId::random(), &key, &envelope).is_none(),
            "other id"
        );
        let mut tampered = envelope.clone();
        tampered[20] ^= 1;
        assert!(open(&id, &key, &tampered).is_none(), "tampered");
    }

    #[test]
    fn ids_and_keys_round_trip_and_refuse_anything_else() {
        let (id, key) = (ResultId::random(), ResultKey::random());
        assert_eq!(ResultId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(id.as_str().len(), 22);
        let text = key.encode();
        assert_eq!(text.len(), 43);
        assert_eq!(ResultKey::parse(&text).map(|k| k.encode()), Some(text));
        for bad in ["", "../../etc/passwd", "short", &"A".repeat(23)] {
            assert!(ResultId::parse(bad).is_none(), "{bad}");
            assert!(ResultKey::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(format!("{key:?}"), "ResultKey(…)");
    }
}
