//! `billing_subscriptions`: the Stripe subscriptions (monthly plans) accounts started through
//! Checkout: Stripe's subscription, customer and checkout session ids, our plan's id, and its state (`active`,
//! `past_due`, `canceled`, as Stripe names them). No card data, no billing address.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "billing_subscriptions")]
pub struct Model {
    /// Stripe's subscription id (`sub_…`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: i64,
    /// Stripe's customer id (`cus_…`): whom the billing portal is opened for.
    pub customer_id: String,
    /// The Checkout session that started it (what the success page asks about).
    pub checkout_id: String,
    /// Our plan's id in the products file.
    pub plan: String,
    pub status: String,
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
