//! Everything the imgigo server *does*, independent of how it is called (pages, REST API, CLI, jobs).
//! One module per responsibility; no HTTP handlers and no UI components live here.

pub mod abuse;
pub mod accounts;
pub mod analytics;
pub mod billing;
pub mod clock;
pub mod config;
pub mod credits;
pub mod cutout;
pub mod data_dir;
pub mod db;
pub mod error;
pub mod fetch;
pub mod health;
pub mod jobs;
pub mod mail;
pub mod markdown;
pub mod metrics;
pub mod pexels;
pub mod privacy;
pub mod ratelimit;
pub mod results;
pub mod secret;
pub mod sessions;
pub mod state;

pub use error::{Error, ErrorKind};
pub use state::AppState;
#[cfg(feature = "test-support")]
pub mod testing;
