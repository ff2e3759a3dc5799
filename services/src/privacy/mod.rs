//! Privacy: the policy the product promises, and the rights in it as software — the consent
//! ledger, "download my data" ([`export`]), "delete my account" ([`deletion`]), restriction of
//! processing ([`restriction`]), requests for anything else ([`requests`]) and the staff-access
//! audit ([`audit`]).

pub mod audit;
pub mod consent;
pub mod deletion;
pub mod export;
pub mod policy;
pub mod reminders;
pub mod requests;
pub mod restriction;
pub mod staff;
