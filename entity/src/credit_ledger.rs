//! `credit_ledger`: every change to an account's credits, append-only. `amount` (hundredths of a
//! credit, negative for charges and expiries) of every row of an account adds up to its
//! `credit_accounts` balance; `balance_after` is that running total. `source`/`source_ref` name
//! what caused it (a Stripe checkout or invoice, an API call, a month's allowance), unique per kind
//! so nothing is granted twice.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credit_ledger")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// `grant`, `charge`, `refund`, `expiry` or `adjustment`.
    pub kind: String,
    /// `subscription`, `payg` or `free`.
    pub bucket: String,
    pub amount: i64,
    pub balance_after: i64,
    pub source: String,
    pub source_ref: Option<String>,
    pub note: Option<String>,
    /// What Stripe charged for this grant, in the currency's smallest unit (grants from a
    /// checkout or a paid invoice only).
    pub paid_minor: Option<i64>,
    /// That amount's currency, lower case (`eur`).
    pub currency: Option<String>,
    pub created_at: DateTimeUtc,
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
