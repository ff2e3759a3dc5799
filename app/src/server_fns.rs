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
    // The operator's policy (`IMGIGO_PRIVACY_POLICY`) or the bundled one.
    let app = use_context::<services::AppState>().ok_or_else(AppError::internal)?;
    let policy = &app.config.privacy_policy;
    Ok(PolicyDocument {
        version: policy.version().to_string(),
        text: policy.text().to_string(),
    })
}

/// The preset backgrounds' sources and licences, as HTML rendered from the shipped `LICENSES.md`.
#[server(prefix = "/_app", endpoint = "background_licences")]
pub async fn background_licences() -> Result<String, AppError> {
    use crate::markdown::{BACKGROUND_LICENSES, to_html};
    Ok(to_html(BACKGROUND_LICENSES))
}

/// Whether this server has a photo library for backgrounds (an operator's Pexels key): the editor
/// shows its search only then.
// A GET: it changes nothing, and a bodiless POST would look like a hidden upload to the privacy test.
#[server(prefix = "/_app", endpoint = "photo_library", input = server_fn::codec::GetUrl)]
pub async fn photo_library() -> Result<bool, AppError> {
    let app = use_context::<services::AppState>().ok_or_else(AppError::internal)?;
    Ok(app.pexels.is_some())
}
