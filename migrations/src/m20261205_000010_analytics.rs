//! Cookieless, aggregate-only analytics (issue 20). `analytics_daily` holds one counter per day
//! and combination of coarse dimensions: what was counted (`kind`: a page view, a cutout), the
//! route's template (never a URL with ids or keys), the browser family, the device class and the
//! referring site's host. `analytics_visitors` holds one estimate of unique visitors per day,
//! counted in RAM from a hash of (address, user agent, a salt that lives only in RAM and changes
//! every day). No column can hold an address, an account, a session or a full URL; rows older than
//! 13 months are deleted by the retention jobs.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AnalyticsDaily {
    Table,
    Id,
    Day,
    Kind,
    Route,
    Browser,
    Device,
    Referrer,
    Count,
}

#[derive(DeriveIden)]
enum AnalyticsVisitors {
    Table,
    Day,
    Visitors,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AnalyticsDaily::Table)
                    .col(
                        ColumnDef::new(AnalyticsDaily::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(AnalyticsDaily::Day)
                            .string_len(10)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AnalyticsDaily::Kind)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AnalyticsDaily::Route)
                            .string_len(80)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AnalyticsDaily::Browser)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AnalyticsDaily::Device)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AnalyticsDaily::Referrer)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AnalyticsDaily::Count)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("analytics_daily_key")
                    .table(AnalyticsDaily::Table)
                    .col(AnalyticsDaily::Day)
                    .col(AnalyticsDaily::Kind)
                    .col(AnalyticsDaily::Route)
                    .col(AnalyticsDaily::Browser)
                    .col(AnalyticsDaily::Device)
                    .col(AnalyticsDaily::Referrer)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AnalyticsVisitors::Table)
                    .col(
                        ColumnDef::new(AnalyticsVisitors::Day)
                            .string_len(10)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(AnalyticsVisitors::Visitors)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AnalyticsVisitors::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AnalyticsDaily::Table).to_owned())
            .await
    }
}
