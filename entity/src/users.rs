//! `users`: a registered account. Only what the privacy policy says we collect: name, email and an
//! argon2id password hash (never the password itself).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[sea_orm(unique)]
    pub email: String,
    #[serde(skip_serializing)]
    pub password_hash: String,
    pub role: Role,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When the person followed the verification link; `None` until then (login waits for it).
    pub email_verified_at: Option<DateTimeUtc>,
    /// "Sign out everywhere": sessions that logged in before this moment are no longer valid.
    pub sessions_revoked_at: Option<DateTimeUtc>,
    /// Restriction of processing (GDPR art. 18): while set, no cutouts on the account, API keys
    /// refused, and only legally required mail.
    pub restricted_at: Option<DateTimeUtc>,
}

/// What an account may do. Stored as text so a new role needs no schema change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[sea_orm(string_value = "user")]
    User,
    /// Answers privacy requests and support questions.
    #[sea_orm(string_value = "support")]
    Support,
    #[sea_orm(string_value = "admin")]
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Support => "support",
            Role::Admin => "admin",
        }
    }

    /// Whether this role is staff (support or admin).
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Support | Role::Admin)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::consents::Entity")]
    Consents,
    #[sea_orm(has_many = "super::sessions::Entity")]
    Sessions,
    #[sea_orm(has_many = "super::account_tokens::Entity")]
    AccountTokens,
    #[sea_orm(has_many = "super::api_keys::Entity")]
    ApiKeys,
    #[sea_orm(has_many = "super::audit_log::Entity")]
    AuditLog,
}

impl ActiveModelBehavior for ActiveModel {}
