//! `sessions.id` now holds the SHA-256 of the cookie's id instead of the id itself. Rows written
//! before hold plaintext ids that would work as cookies from a database dump and that the store can
//! no longer find anyway, so they are deleted: everyone signs in again. There is nothing to undo
//! (the rows are gone, and hashed rows are valid under the old schema), so `down` does nothing.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .exec_stmt(Query::delete().from_table(Sessions::Table).to_owned())
            .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
