//! Monthly plans (issue 18): one row per Stripe subscription an account started through Checkout,
//! so that Stripe's invoices (which name the subscription) credit the right account and the account
//! page can send the person to Stripe's billing portal. Only Stripe's ids, our plan's id and the
//! state are kept — never card data or a billing address. The rows go with the account.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum BillingSubscriptions {
    Table,
    Id,
    UserId,
    CustomerId,
    CheckoutId,
    Plan,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BillingSubscriptions::Table)
                    .col(
                        ColumnDef::new(BillingSubscriptions::Id)
                            .string_len(255)
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(BillingSubscriptions::UserId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(BillingSubscriptions::CustomerId)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(BillingSubscriptions::CheckoutId)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(BillingSubscriptions::Plan)
                            .string_len(100)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(BillingSubscriptions::Status)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(BillingSubscriptions::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(BillingSubscriptions::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(BillingSubscriptions::Table, BillingSubscriptions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("billing_subscriptions_user")
                    .table(BillingSubscriptions::Table)
                    .col(BillingSubscriptions::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(BillingSubscriptions::Table).to_owned())
            .await
    }
}
