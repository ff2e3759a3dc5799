//! Server functions: each one authenticates (where needed), validates, calls one `services`
//! function and maps the error. Their bodies exist only in the server build.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;

/// The privacy policy in force and the version consent is recorded against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyDocument {
    pub version: String,
    pub text: String,
}

#[server(prefix = "/_app", endpoint = "privacy_policy")]
pub async fn privacy_policy() -> Result<PolicyDocument, AppError> {
    use services::privacy::policy::{POLICY_TEXT, POLICY_VERSION};
    Ok(PolicyDocument {
        version: POLICY_VERSION.to_string(),
        text: POLICY_TEXT.to_string(),
    })
}
