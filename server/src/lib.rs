//! The imgigo server: configuration, telemetry, the HTTP router and the command-line entry points.
//! The binary in `main.rs` only parses the command line and calls into here.

pub mod access;
pub mod account_export;
pub mod admin_accounts;
pub mod admin_cli;
pub mod analytics;
pub mod api;
pub mod billing;
pub mod blocklist;
pub mod cli;
pub mod client_ip;
pub mod connections;
pub mod csrf;
pub mod cutout_cli;
pub mod error;
pub mod health;
pub mod http_headers;
pub mod insights;
pub mod metrics;
pub mod plain;
pub mod router;
pub mod serve;
pub mod state;
pub mod telemetry;
pub mod unsubscribe;
