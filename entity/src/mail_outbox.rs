//! `mail_outbox`: every mail before (and shortly after) it is delivered. `body` is the sealed mail
//! (recipient, subject, both parts), wiped when the row is `sent` or `failed`; `recipient` is a
//! keyed digest of the address, never the address. `status`: `queued`, `sending` (claimed by a
//! sender until `next_attempt_at`), `sent`, `failed`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The account the mail is about, when there is one (the rows go with it).
    pub user_id: Option<i64>,
    /// The product update this mail is part of, if it is one.
    pub update_id: Option<i64>,
    /// What kind of mail (`verify_email`, `receipt`, …): never its content.
    pub kind: String,
    /// HMAC-SHA256 of the lower-cased address under the server secret (hex).
    pub recipient: String,
    pub body: Option<Vec<u8>>,
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: i32,
    /// When the next attempt is due (for `sending`: when the claim lapses).
    pub next_attempt_at: DateTimeUtc,
    /// Why the last attempt failed, in a few words without the address or content.
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
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
