//! `analytics_daily`: one aggregate counter per day (`YYYY-MM-DD`, UTC), kind and coarse
//! dimensions. Nothing in it names a person, an address, a session or a full URL.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "analytics_daily")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub day: String,
    /// `view` (a page load) or `cutout` (a finished cutout; `route` is `web` or `api`).
    pub kind: String,
    /// The route's template (`/r/{key}`, never the key itself).
    pub route: String,
    pub browser: String,
    pub device: String,
    /// The referring site's host, or empty (typed in, this site, or not sent).
    pub referrer: String,
    pub count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
