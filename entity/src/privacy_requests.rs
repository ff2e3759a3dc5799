//! `privacy_requests`: what a person asked of us (with or without an account), its status, our
//! answer, and the 30-day deadline the policy promises.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "privacy_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The account that asked, when it was signed in.
    pub user_id: Option<i64>,
    /// Where the answer goes.
    pub email: String,
    pub kind: Kind,
    pub message: String,
    pub status: Status,
    pub response: Option<String>,
    pub created_at: DateTimeUtc,
    pub due_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Kind {
    #[sea_orm(string_value = "access")]
    Access,
    #[sea_orm(string_value = "correction")]
    Correction,
    #[sea_orm(string_value = "deletion")]
    Deletion,
    #[sea_orm(string_value = "objection")]
    Objection,
    #[sea_orm(string_value = "portability")]
    Portability,
    #[sea_orm(string_value = "restriction")]
    Restriction,
    #[sea_orm(string_value = "other")]
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    #[sea_orm(string_value = "open")]
    Open,
    #[sea_orm(string_value = "answered")]
    Answered,
    #[sea_orm(string_value = "closed")]
    Closed,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Access => "access",
            Kind::Correction => "correction",
            Kind::Deletion => "deletion",
            Kind::Objection => "objection",
            Kind::Portability => "portability",
            Kind::Restriction => "restriction",
            Kind::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Kind::Access,
            Kind::Correction,
            Kind::Deletion,
            Kind::Objection,
            Kind::Portability,
            Kind::Restriction,
            Kind::Other,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Answered => "answered",
            Status::Closed => "closed",
        }
    }
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
