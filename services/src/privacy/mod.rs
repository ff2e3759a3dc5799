//! Privacy: the policy the product promises and the consent ledger. Export, deletion and
//! restriction come with the privacy centre.

pub mod consent;
pub mod policy;
