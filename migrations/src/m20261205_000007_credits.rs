//! Credits (issue 18): one balance row per account, in hundredths of a credit and by bucket (the
//! plan's monthly credits, bought packs, the free monthly allowance), an append-only ledger whose
//! amounts add up to that balance, and the Stripe events already applied (each applied once).
//! Every row belongs to an account and goes with it (the privacy policy's deletion right); no
//! payment data is stored, only Stripe's ids of what was bought.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum CreditAccounts {
    Table,
    UserId,
    Subscription,
    Payg,
    Free,
    FreeMonth,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CreditLedger {
    Table,
    Id,
    UserId,
    Kind,
    Bucket,
    Amount,
    BalanceAfter,
    Source,
    SourceRef,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum StripeEvents {
    Table,
    Id,
    Kind,
    ReceivedAt,
}

fn amount(column: CreditAccounts) -> ColumnDef {
    ColumnDef::new(column)
        .big_integer()
        .not_null()
        .default(0)
        .check(Expr::col(column).gte(0))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CreditAccounts::Table)
                    .col(
                        ColumnDef::new(CreditAccounts::UserId)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(amount(CreditAccounts::Subscription))
                    .col(amount(CreditAccounts::Payg))
                    .col(amount(CreditAccounts::Free))
                    .col(
                        ColumnDef::new(CreditAccounts::FreeMonth)
                            .string_len(7)
                            .not_null()
                            .default(""),
                    )
                    .col(
                        ColumnDef::new(CreditAccounts::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CreditAccounts::Table, CreditAccounts::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CreditLedger::Table)
                    .col(
                        ColumnDef::new(CreditLedger::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(CreditLedger::UserId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(CreditLedger::Kind).string_len(16).not_null())
                    .col(
                        ColumnDef::new(CreditLedger::Bucket)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CreditLedger::Amount)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CreditLedger::BalanceAfter)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CreditLedger::Source)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CreditLedger::SourceRef)
                            .string_len(255)
                            .null(),
                    )
                    .col(ColumnDef::new(CreditLedger::Note).string_len(255).null())
                    .col(
                        ColumnDef::new(CreditLedger::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CreditLedger::Table, CreditLedger::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // What a grant or refund came from is applied once per bucket: a checkout, an invoice, a
        // month's allowance, a charge given back. (Rows without a reference, such as charges, are
        // not constrained: NULLs differ.)
        manager
            .create_index(
                Index::create()
                    .name("credit_ledger_once")
                    .table(CreditLedger::Table)
                    .col(CreditLedger::Source)
                    .col(CreditLedger::SourceRef)
                    .col(CreditLedger::Kind)
                    .col(CreditLedger::Bucket)
                    .col(CreditLedger::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("credit_ledger_user")
                    .table(CreditLedger::Table)
                    .col(CreditLedger::UserId)
                    .col(CreditLedger::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StripeEvents::Table)
                    .col(
                        ColumnDef::new(StripeEvents::Id)
                            .string_len(255)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(StripeEvents::Kind)
                            .string_len(128)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(StripeEvents::ReceivedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StripeEvents::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CreditLedger::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CreditAccounts::Table).to_owned())
            .await
    }
}
