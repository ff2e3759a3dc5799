//! `account_tokens`: single-use links sent by mail (verify the address, reset the password, confirm
//! a new address). Only a keyed hash of the token is stored; the row is deleted when used.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub purpose: Purpose,
    #[sea_orm(unique)]
    pub token_hash: String,
    /// For [`Purpose::ChangeEmail`]: the address that replaces the old one once confirmed.
    pub new_email: Option<String>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Purpose {
    #[sea_orm(string_value = "verify_email")]
    VerifyEmail,
    #[sea_orm(string_value = "reset_password")]
    ResetPassword,
    #[sea_orm(string_value = "change_email")]
    ChangeEmail,
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
