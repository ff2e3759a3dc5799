//! Accounts: email verification and session revocation on `users`; consent records, database
//! sessions, one-time tokens (verify, reset, email change) and hashed API keys.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    EmailVerifiedAt,
    SessionsRevokedAt,
}

#[derive(DeriveIden)]
enum Consents {
    Table,
    Id,
    UserId,
    Purpose,
    Granted,
    PolicyVersion,
    Method,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    Data,
    Browser,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum AccountTokens {
    Table,
    Id,
    UserId,
    Purpose,
    TokenHash,
    NewEmail,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    UserId,
    Name,
    Prefix,
    KeyHash,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

fn id(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn time(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

fn user_id(
    table: impl IntoIden,
    name: impl IntoIden,
    nullable: bool,
) -> (ColumnDef, ForeignKeyCreateStatement) {
    let name = name.into_iden();
    let mut column = ColumnDef::new(name.clone());
    column.big_integer();
    if !nullable {
        column.not_null();
    }
    let foreign = ForeignKey::create()
        .from(table, name)
        .to(Users::Table, Users::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned();
    (column, foreign)
}

/// An index on a table's `user_id`, for "everything of this account" (export, deletion).
fn by_user(name: &str, table: impl IntoIden, column: impl IntoIden) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table(table)
        .col(column)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Users::EmailVerifiedAt, Users::SessionsRevokedAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .add_column(ColumnDef::new(column).timestamp_with_time_zone().null())
                        .to_owned(),
                )
                .await?;
        }

        let (user, mut foreign) = user_id(Consents::Table, Consents::UserId, false);
        manager
            .create_table(
                Table::create()
                    .table(Consents::Table)
                    .col(id(Consents::Id))
                    .col(user)
                    .col(ColumnDef::new(Consents::Purpose).string_len(32).not_null())
                    .col(ColumnDef::new(Consents::Granted).boolean().not_null())
                    .col(
                        ColumnDef::new(Consents::PolicyVersion)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(ColumnDef::new(Consents::Method).string_len(32).not_null())
                    .col(time(Consents::CreatedAt))
                    .foreign_key(&mut foreign)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(by_user("consents_user", Consents::Table, Consents::UserId))
            .await?;

        let (user, mut foreign) = user_id(Sessions::Table, Sessions::UserId, true);
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(
                        ColumnDef::new(Sessions::Id)
                            .string_len(64)
                            .not_null()
                            .primary_key(),
                    )
                    .col(user)
                    .col(ColumnDef::new(Sessions::Data).text().not_null())
                    .col(ColumnDef::new(Sessions::Browser).string_len(64).null())
                    .col(time(Sessions::CreatedAt))
                    .col(time(Sessions::ExpiresAt))
                    .foreign_key(&mut foreign)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(by_user("sessions_user", Sessions::Table, Sessions::UserId))
            .await?;

        let (user, mut foreign) = user_id(AccountTokens::Table, AccountTokens::UserId, false);
        manager
            .create_table(
                Table::create()
                    .table(AccountTokens::Table)
                    .col(id(AccountTokens::Id))
                    .col(user)
                    .col(
                        ColumnDef::new(AccountTokens::Purpose)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AccountTokens::TokenHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(AccountTokens::NewEmail)
                            .string_len(320)
                            .null(),
                    )
                    .col(time(AccountTokens::CreatedAt))
                    .col(time(AccountTokens::ExpiresAt))
                    .foreign_key(&mut foreign)
                    .to_owned(),
            )
            .await?;

        let (user, mut foreign) = user_id(ApiKeys::Table, ApiKeys::UserId, false);
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(id(ApiKeys::Id))
                    .col(user)
                    .col(ColumnDef::new(ApiKeys::Name).string_len(100).not_null())
                    .col(ColumnDef::new(ApiKeys::Prefix).string_len(32).not_null())
                    .col(
                        ColumnDef::new(ApiKeys::KeyHash)
                            .string_len(64)
                            .not_null()
                            .unique_key(),
                    )
                    .col(time(ApiKeys::CreatedAt))
                    .col(
                        ColumnDef::new(ApiKeys::LastUsedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ApiKeys::RevokedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .foreign_key(&mut foreign)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(by_user("api_keys_user", ApiKeys::Table, ApiKeys::UserId))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ApiKeys::Table.into_iden(),
            AccountTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
            Consents::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [Users::SessionsRevokedAt, Users::EmailVerifiedAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
