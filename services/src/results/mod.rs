//! Finished cutouts, kept 7 days, readable only with the key in the user's link.
//!
//! Each result is encrypted with AES-256-GCM under a fresh random 256-bit key that the server hands
//! to the client (inside the link `/r/{id}?key=…`) and never keeps: nobody, staff included, can open
//! a stored result without the link. The ciphertext lives in RAM up to a byte budget; beyond it the
//! oldest entries move to files under `data/results/`, still encrypted. Entries expire
//! [`RESULT_TTL`] after creation; [`ResultStore::purge_expired`] (run by the janitor) destroys them,
//! and reads refuse them even before it runs. An unknown id, a wrong key and an expired entry all
//! answer the same "not found", so the answer reveals nothing.

mod crypto;
mod store;

pub use crypto::{ResultId, ResultKey};
pub use store::{Opened, ResultStore, StoreLimits};

/// The folder inside the data folder where results spill to encrypted files.
pub const RESULTS_DIR: &str = "results";

/// How long a result can be downloaded again.
pub const RESULT_TTL: chrono::TimeDelta = chrono::TimeDelta::days(7);
