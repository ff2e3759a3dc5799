//! The server's secret: the key that makes the single-use links' stored digests useless without it
//! (HMAC-SHA256). From `IMGIGO_SECRET` (at least 32 bytes, hex or base64) when several nodes share a
//! database; otherwise a random key created once in `data/secret.key` (owner-only permissions).

use std::path::Path;

use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::Error;

pub const SECRET_FILE: &str = "secret.key";

#[derive(Clone)]
pub struct ServerSecret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSecret(…)")
    }
}

impl PartialEq for ServerSecret {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_slice() == other.0.as_slice()
    }
}

impl Eq for ServerSecret {}

impl ServerSecret {
    /// A fresh random secret (tests, and the first start).
    pub fn random() -> Self {
        let mut bytes = Zeroizing::new(vec![0u8; 32]);
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Decodes `IMGIGO_SECRET`: hex or base64, at least 32 bytes.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let bytes = decode_hex(text)
            .or_else(|| base64::engine::general_purpose::STANDARD.decode(text).ok())
            .or_else(|| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(text)
                    .ok()
            })?;
        (bytes.len() >= 32).then(|| Self(Zeroizing::new(bytes)))
    }

    /// The secret in `dir/secret.key`, created (mode 0600) when missing.
    pub fn load_or_create(dir: &Path) -> Result<Self, Error> {
        let path = dir.join(SECRET_FILE);
        refuse_if_shared(&path)?;
        match std::fs::read(&path) {
            Ok(bytes) if bytes.len() >= 32 => return Ok(Self(Zeroizing::new(bytes))),
            Ok(_) => {
                return Err(Error::Setup(format!(
                    "{} is shorter than 32 bytes; delete it to make a new one",
                    path.display()
                )));
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => {
                return Err(Error::Internal(format!(
                    "cannot read {}: {err}",
                    path.display()
                )));
            }
        }
        crate::data_dir::prepare(dir)?;
        let secret = Self::random();
        write_private(&path, &secret.0)
            .map_err(|err| Error::Internal(format!("cannot write {}: {err}", path.display())))?;
        Ok(secret)
    }

    /// HMAC-SHA256 of `message` under this secret, as lowercase hex.
    pub fn sign_hex(&self, message: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(message);
        format!("{:x}", mac.finalize().into_bytes())
    }

    /// Whether `signature_hex` is the first bytes of the HMAC-SHA256 of `message` (as
    /// [`ServerSecret::sign_hex`] would print them, cut to an even length of at least 32 hex
    /// digits), compared in constant time.
    pub fn verify_hex_prefix(&self, message: &[u8], signature_hex: &str) -> bool {
        if signature_hex.len() < 32 || signature_hex.len() > 64 {
            return false;
        }
        let Some(signature) = decode_hex(signature_hex) else {
            return false;
        };
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(message);
        mac.verify_truncated_left(&signature).is_ok()
    }

    /// A 256-bit key for one purpose (`label`), derived from this secret (HMAC-SHA256 of the
    /// label), so that no two uses share a key.
    pub fn derive_key(&self, label: &str) -> Zeroizing<[u8; 32]> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"imgigo key derivation\0");
        mac.update(label.as_bytes());
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&mac.finalize().into_bytes());
        key
    }
}

pub(crate) fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// A secret that other users can read is no secret: whoever read it can forge the mailed links'
/// digests. Refused at start (the binary exits 2) rather than silently tightened, so the operator
/// learns that it may have leaked.
#[cfg(unix)]
fn refuse_if_shared(path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    let mode = match std::fs::metadata(path) {
        Ok(meta) => meta.permissions().mode(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(err) => {
            return Err(Error::Internal(format!(
                "cannot read {}: {err}",
                path.display()
            )));
        }
    };
    if mode & 0o077 == 0 {
        return Ok(());
    }
    Err(Error::Setup(format!(
        "{path} can be read by other users (mode {mode:o}); run `chmod 600 {path}` and, if others may \
         have read it, delete it so a new secret is made (mailed links sent so far stop working)",
        path = path.display(),
        mode = mode & 0o777,
    )))
}

#[cfg(not(unix))]
fn refuse_if_shared(_: &Path) -> Result<(), Error> {
    Ok(())
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_prefix_is_checked_whole_and_never_too_short() {
        let secret = ServerSecret::random();
        let full = secret.sign_hex(b"message");
        assert!(secret.verify_hex_prefix(b"message", &full));
        assert!(secret.verify_hex_prefix(b"message", &full[..32]));
        assert!(
            !secret.verify_hex_prefix(b"message", &full[..30]),
            "too short to be safe"
        );
        assert!(
            !secret.verify_hex_prefix(b"message", &full[..33]),
            "odd length"
        );
        assert!(!secret.verify_hex_prefix(b"other", &full[..32]));
        assert!(!ServerSecret::random().verify_hex_prefix(b"message", &full[..32]));
        let mut flipped = full[..32].to_string();
        flipped.replace_range(31..32, if flipped.ends_with('0') { "1" } else { "0" });
        assert!(!secret.verify_hex_prefix(b"message", &flipped));
        assert!(!secret.verify_hex_prefix(b"message", &"zz".repeat(16)));
        assert!(!secret.verify_hex_prefix(b"message", &format!("{full}00")));
    }

    #[test]
    fn a_secret_is_made_once_and_read_back() {
        let dir = tempfile::tempdir().expect("dir");
        let first = ServerSecret::load_or_create(dir.path()).expect("create");
        let second = ServerSecret::load_or_create(dir.path()).expect("read");
        assert_eq!(first.sign_hex(b"x"), second.sign_hex(b"x"));
        assert_ne!(first.sign_hex(b"x"), ServerSecret::random().sign_hex(b"x"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SECRET_FILE))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_others_can_read_is_refused_with_what_to_do() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        ServerSecret::load_or_create(dir.path()).expect("create");
        let path = dir.path().join(SECRET_FILE);
        for mode in [0o640, 0o604, 0o644, 0o660] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
            let err = ServerSecret::load_or_create(dir.path()).expect_err("shared secret");
            let Error::Setup(message) = err else {
                panic!("not a setup error: {err:?}");
            };
            assert!(
                message.contains(&format!("chmod 600 {}", path.display())),
                "{message}"
            );
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).expect("chmod");
        ServerSecret::load_or_create(dir.path()).expect("owner-only is fine");
    }

    #[test]
    fn configured_secrets_must_be_long_enough() {
        assert!(ServerSecret::parse(&"ab".repeat(32)).is_some());
        assert!(ServerSecret::parse(&"ab".repeat(8)).is_none());
        assert!(ServerSecret::parse("not a secret").is_none());
    }
}
