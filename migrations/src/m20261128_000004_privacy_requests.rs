//! Privacy requests: anything a person asks of us beyond the self-service buttons (also from people
//! without an account), answered by staff within 30 days.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PrivacyRequests {
    Table,
    Id,
    UserId,
    Email,
    Kind,
    Message,
    Status,
    Response,
    CreatedAt,
    DueAt,
    ClosedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PrivacyRequests::Table)
                    .col(
                        ColumnDef::new(PrivacyRequests::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(PrivacyRequests::UserId).big_integer().null())
                    .col(
                        ColumnDef::new(PrivacyRequests::Email)
                            .string_len(320)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PrivacyRequests::Kind)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ColumnDef::new(PrivacyRequests::Message).text().not_null())
                    .col(
                        ColumnDef::new(PrivacyRequests::Status)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(PrivacyRequests::Response).text().null())
                    .col(
                        ColumnDef::new(PrivacyRequests::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PrivacyRequests::DueAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(PrivacyRequests::ClosedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PrivacyRequests::Table, PrivacyRequests::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("privacy_requests_email")
                    .table(PrivacyRequests::Table)
                    .col(PrivacyRequests::Email)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PrivacyRequests::Table).to_owned())
            .await
    }
}
