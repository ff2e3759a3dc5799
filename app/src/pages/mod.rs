pub mod account;
pub mod auth;
pub mod cookies;
pub mod developers;
pub mod error;
mod forms;
pub mod not_found;
pub mod privacy;
pub mod staff;
