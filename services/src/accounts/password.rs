//! Password hashing with argon2id at OWASP's recommended minimum (19 MiB of memory, 2 passes, one
//! lane; OWASP Password Storage Cheat Sheet), off the async runtime, a few at a time so a flood of
//! logins cannot take every core and gigabytes of RAM.

use std::sync::{Arc, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;
use zeroize::Zeroizing;

use crate::Error;

/// Memory in KiB, passes and lanes: OWASP's first argon2id configuration.
pub const MEMORY_KIB: u32 = 19_456;
pub const PASSES: u32 = 2;
pub const LANES: u32 = 1;

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 128;

pub struct Passwords {
    params: Params,
    /// Hashes running at once.
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified against when an address has no account so that
    /// "no such account" takes as long as "wrong password".
    dummy: OnceLock<String>,
}

impl Default for Passwords {
    fn default() -> Self {
        Self::new(Params::new(MEMORY_KIB, PASSES, LANES, None).unwrap_or_default())
    }
}

impl Passwords {
    pub fn new(params: Params) -> Self {
        let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            params,
            permits: Arc::new(Semaphore::new(parallel.max(2))),
            dummy: OnceLock::new(),
        }
    }

    fn argon2(params: Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`).
    pub async fn hash(&self, password: &str) -> Result<String, Error> {
        let password = Zeroizing::new(password.as_bytes().to_vec());
        let params = self.params.clone();
        self.blocking(move || hash_now(params, &password)).await?
    }

    /// Whether `password` matches `phc`. A malformed stored hash counts as no match.
    pub async fn verify(&self, password: &str, phc: &str) -> Result<bool, Error> {
        let password = Zeroizing::new(password.as_bytes().to_vec());
        let phc = phc.to_string();
        self.blocking(move || verify_now(&password, &phc)).await
    }

    /// Spends the time of one verification without an account to verify against.
    pub async fn verify_nothing(&self, password: &str) -> Result<(), Error> {
        let dummy = match self.dummy.get() {
            Some(dummy) => dummy.clone(),
            None => {
                let made = self.hash("imgigo dummy password for timing").await?;
                self.dummy.get_or_init(|| made).clone()
            }
        };
        self.verify(password, &dummy).await.map(|_| ())
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Error> {
        let _permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::Unavailable("password check"))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|err| Error::Internal(format!("password hashing stopped: {err}")))
    }
}

fn hash_now(params: Params, password: &[u8]) -> Result<String, Error> {
    let salt = SaltString::generate(&mut OsRng);
    Passwords::argon2(params)
        .hash_password(password, &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| Error::Internal(format!("argon2 failed: {err}")))
}

fn verify_now(password: &[u8], phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    // The parameters come from the stored hash, so older hashes keep verifying after a change.
    Argon2::default().verify_password(password, &parsed).is_ok()
}

/// The password rules (ASVS 2.1): 12 to 128 characters, anything allowed, not the email address.
pub fn check_policy(password: &str, email: &str) -> Result<(), Error> {
    let length = password.chars().count();
    let invalid = |message: &str| Error::Invalid {
        field: "password",
        message: message.to_string(),
    };
    if length < MIN_LENGTH {
        return Err(invalid(&format!(
            "use at least {MIN_LENGTH} characters (a few words make a good one)"
        )));
    }
    if length > MAX_LENGTH {
        return Err(invalid(&format!("use at most {MAX_LENGTH} characters")));
    }
    if password.trim().eq_ignore_ascii_case(email.trim()) {
        return Err(invalid("choose something other than your email address"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_carry_the_owasp_parameters() {
        let passwords = Passwords::default();
        let hash = passwords.hash("correct horse battery").await.expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            passwords
                .verify("correct horse battery", &hash)
                .await
                .expect("verify")
        );
        assert!(
            !passwords
                .verify("correct horse batterY", &hash)
                .await
                .expect("verify")
        );
        assert!(!passwords.verify("x", "not a hash").await.expect("verify"));
        let again = passwords.hash("correct horse battery").await.expect("hash");
        assert_ne!(hash, again, "every hash has its own salt");
        passwords.verify_nothing("anything").await.expect("dummy");
    }

    #[test]
    fn the_policy_names_what_to_change() {
        assert!(check_policy("short", "a@b.c").is_err());
        assert!(check_policy(&"x".repeat(129), "a@b.c").is_err());
        assert!(check_policy("ada@example.com", "ada@example.com").is_err());
        assert!(check_policy("twelve chars", "a@b.c").is_ok());
        assert!(check_policy("ünïcödé pässwörd", "a@b.c").is_ok());
    }
}
