//! Reversible schema migrations. Every migration has a `down` that undoes its `up` exactly; the
//! database tests run up → down → up on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_create_users;
mod m20261128_000002_accounts;
mod m20261128_000003_privacy_centre;
mod m20261128_000004_privacy_requests;
mod m20261128_000005_account_results;
mod m20261201_000006_hash_session_ids;
mod m20261205_000007_credits;
mod m20261205_000008_subscriptions;
mod m20261205_000009_mail_outbox;
mod m20261205_000010_analytics;
mod m20261205_000011_ledger_payments;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_create_users::Migration),
            Box::new(m20261128_000002_accounts::Migration),
            Box::new(m20261128_000003_privacy_centre::Migration),
            Box::new(m20261128_000004_privacy_requests::Migration),
            Box::new(m20261128_000005_account_results::Migration),
            Box::new(m20261201_000006_hash_session_ids::Migration),
            Box::new(m20261205_000007_credits::Migration),
            Box::new(m20261205_000008_subscriptions::Migration),
            Box::new(m20261205_000009_mail_outbox::Migration),
            Box::new(m20261205_000010_analytics::Migration),
            Box::new(m20261205_000011_ledger_payments::Migration),
        ]
    }
}
