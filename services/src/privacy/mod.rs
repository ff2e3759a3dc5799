//! Privacy: the policy the product promises. Consent, export, deletion and restriction come with the
//! privacy centre.

pub mod policy;
