//! `consents`: the ledger of what a person agreed to (or withdrew), for which policy version, when
//! and how. Rows are only ever added, so the history is the proof.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "consents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub purpose: Purpose,
    pub granted: bool,
    pub policy_version: String,
    pub method: Method,
    pub created_at: DateTimeUtc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// The privacy policy (and terms) at sign-up, with the 13-or-older confirmation.
    #[sea_orm(string_value = "privacy_policy")]
    PrivacyPolicy,
    /// Product news by email.
    #[sea_orm(string_value = "marketing")]
    Marketing,
    /// Cookieless, aggregated usage analytics.
    #[sea_orm(string_value = "analytics")]
    Analytics,
}

/// Where the choice was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum Method {
    #[sea_orm(string_value = "signup")]
    Signup,
    #[sea_orm(string_value = "settings")]
    Settings,
    #[sea_orm(string_value = "banner")]
    Banner,
    #[sea_orm(string_value = "unsubscribe")]
    Unsubscribe,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
