//! Sessions: tower-sessions records kept in the database ([`DbSessionStore`]) and what a signed-in
//! session holds ([`auth`]). A session exists only after a login: anonymous visitors get no cookie.

pub mod auth;
mod store;

pub use auth::{
    CurrentUser, browser_family, current_user, revoke_all, sign_in, sign_out, sign_out_everywhere,
};
pub use store::DbSessionStore;
pub use tower_sessions::Session;
