//! sea-orm entities: one module per table. The schema itself is owned by the `migrations` crate.

pub mod account_results;
pub mod account_tokens;
pub mod analytics_daily;
pub mod analytics_visitors;
pub mod api_keys;
pub mod audit_log;
pub mod billing_subscriptions;
pub mod consents;
pub mod credit_accounts;
pub mod credit_ledger;
pub mod job_runs;
pub mod mail_outbox;
pub mod privacy_requests;
pub mod product_updates;
pub mod sessions;
pub mod stripe_events;
pub mod users;
