pub mod developers;
pub mod error;
pub mod not_found;
pub mod privacy;
