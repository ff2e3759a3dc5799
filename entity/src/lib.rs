//! sea-orm entities: one module per table. The schema itself is owned by the `migrations` crate.

pub mod users;
