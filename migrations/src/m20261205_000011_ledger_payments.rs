//! What a payment cost (issue 20's revenue): a credit grant from a Stripe checkout or a paid plan
//! invoice keeps the amount Stripe charged, in the currency's smallest unit, and the currency.
//! Empty on every other ledger row.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CreditLedger {
    Table,
    PaidMinor,
    Currency,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(CreditLedger::Table)
                    .add_column(ColumnDef::new(CreditLedger::PaidMinor).big_integer().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CreditLedger::Table)
                    .add_column(ColumnDef::new(CreditLedger::Currency).string_len(3).null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CreditLedger::Table)
                    .drop_column(CreditLedger::Currency)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CreditLedger::Table)
                    .drop_column(CreditLedger::PaidMinor)
                    .to_owned(),
            )
            .await
    }
}
