//! `credit_accounts`: an account's credits now, in hundredths of a credit, by bucket: the plan's
//! monthly credits (`subscription`), bought packs (`payg`) and the free monthly allowance (`free`,
//! for the month `free_month`, `YYYY-MM`). Changed only together with a `credit_ledger` row.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credit_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    pub subscription: i64,
    pub payg: i64,
    pub free: i64,
    pub free_month: String,
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
