//! The mail outbox (issue 19): every mail is first a row here, then delivered by the background
//! sender with retries. The body is sealed (AES-256-GCM under a key derived from the server
//! secret) and wiped once the mail is delivered or given up; the recipient is kept only as a keyed
//! digest, so that the rows of an erased address can be found without storing the address. Rows of
//! an account go with it.
//!
//! `product_updates`: the updates admins sent (subject, when, to how many); who sent one is in the
//! audit log. Each update's mails are outbox rows with its `update_id`, so its progress is a count.
//!
//! `job_runs`: the day a daily job (the staff's privacy-request digest) last ran, so that one
//! node of several, once a day, runs it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ProductUpdates {
    Table,
    Id,
    Subject,
    Recipients,
    CreatedAt,
}

#[derive(DeriveIden)]
enum JobRuns {
    Table,
    Name,
    LastDay,
}

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    Id,
    UserId,
    UpdateId,
    Kind,
    Recipient,
    Body,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JobRuns::Table)
                    .col(
                        ColumnDef::new(JobRuns::Name)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(JobRuns::LastDay).string_len(10).not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProductUpdates::Table)
                    .col(
                        ColumnDef::new(ProductUpdates::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ProductUpdates::Subject)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ProductUpdates::Recipients)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ProductUpdates::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MailOutbox::Table)
                    .col(
                        ColumnDef::new(MailOutbox::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(MailOutbox::UserId).big_integer().null())
                    .col(ColumnDef::new(MailOutbox::UpdateId).big_integer().null())
                    .col(ColumnDef::new(MailOutbox::Kind).string_len(64).not_null())
                    .col(
                        ColumnDef::new(MailOutbox::Recipient)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(ColumnDef::new(MailOutbox::Body).binary().null())
                    .col(ColumnDef::new(MailOutbox::Status).string_len(16).not_null())
                    .col(ColumnDef::new(MailOutbox::Attempts).integer().not_null())
                    .col(
                        ColumnDef::new(MailOutbox::NextAttemptAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(MailOutbox::LastError).string_len(200).null())
                    .col(
                        ColumnDef::new(MailOutbox::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(MailOutbox::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(MailOutbox::Table, MailOutbox::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(MailOutbox::Table, MailOutbox::UpdateId)
                            .to(ProductUpdates::Table, ProductUpdates::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("mail_outbox_due", MailOutbox::NextAttemptAt),
            ("mail_outbox_user", MailOutbox::UserId),
            ("mail_outbox_recipient", MailOutbox::Recipient),
            ("mail_outbox_update", MailOutbox::UpdateId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(MailOutbox::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MailOutbox::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ProductUpdates::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(JobRuns::Table).to_owned())
            .await
    }
}
