pub mod developers;
pub mod error;
pub mod home;
pub mod not_found;
pub mod privacy;
