//! Accounts: optional, holding only what the privacy policy lists (name, email, password hash).
//!
//! - [`registration`]: sign up (with the 13+ confirmation and policy consent), verify the address,
//!   resend the link.
//! - [`login`]: check a password, with per-IP throttling and per-address lockout.
//! - [`recovery`]: forgot / reset password.
//! - [`profile`]: name, password and email changes.
//! - [`api_keys`]: keys for the cutout API, stored hashed.
//! - [`roles`]: user / support / admin, and `imgigo admin create`.
//! - [`results`]: which results an account's API key created (ids only).
//!
//! Every answer that could reveal whether an address has an account is the same either way, and
//! mail goes out in the background so timing does not tell either.

pub mod api_keys;
pub mod login;
pub mod password;
pub mod profile;
pub mod recovery;
pub mod registration;
pub mod results;
pub mod roles;
pub mod tokens;

use entity::users;
/// An account's role, for callers that check or change it without importing `entity`.
pub use entity::users::Role;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::{AppState, Error};

/// The address as stored and compared: trimmed and lower-cased, checked to be a mail address.
pub fn normalize_email(email: &str) -> Result<String, Error> {
    let email = email.trim().to_lowercase();
    let invalid = |message: &str| Error::Invalid {
        field: "email",
        message: message.to_string(),
    };
    if email.is_empty() {
        return Err(invalid("enter your email address"));
    }
    if email.len() > 254 {
        return Err(invalid("that address is too long"));
    }
    let parsed: Result<lettre::Address, _> = email.parse();
    match parsed {
        Ok(address) if address.domain().contains('.') || address.domain() == "localhost" => {
            Ok(email)
        }
        _ => Err(invalid("enter an address like name@example.com")),
    }
}

/// A display name: 1 to 100 characters, no control characters.
pub fn normalize_name(name: &str) -> Result<String, Error> {
    let name = name.trim();
    let invalid = |message: &str| Error::Invalid {
        field: "name",
        message: message.to_string(),
    };
    if name.is_empty() {
        return Err(invalid("enter your name (any name you like)"));
    }
    if name.chars().count() > 100 {
        return Err(invalid("use at most 100 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid("use letters, digits and punctuation only"));
    }
    Ok(name.to_string())
}

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<users::Model>, Error> {
    Ok(users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(db)
        .await?)
}

pub async fn find_by_id(app: &AppState, id: i64) -> Result<Option<users::Model>, Error> {
    find_by_id_in(&app.db, id).await
}

pub(crate) async fn find_by_id_in(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<users::Model>, Error> {
    Ok(users::Entity::find_by_id(id).one(db).await?)
}

/// An absolute link on this site.
pub(crate) fn link(app: &AppState, path_and_query: &str) -> String {
    format!("{}{path_and_query}", app.config.public_url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(
            normalize_email("  Ada@Example.COM ").expect("valid"),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "a b@example.com",
            "ada@example",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            normalize_name("  Ada Lovelace ").expect("valid"),
            "Ada Lovelace"
        );
        assert!(normalize_name("   ").is_err());
        assert!(normalize_name(&"a".repeat(101)).is_err());
        assert!(normalize_name("Ada\u{0}").is_err());
    }
}
