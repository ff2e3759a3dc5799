//! "Restrict processing": while set, the account's data is only stored — no cutouts on it, its API
//! keys are refused with a sentence that says why, and only legally required mail is sent.

use entity::users;
use sea_orm::{ActiveModelTrait, Set};

use crate::{AppState, Error};

pub const RESTRICTED: &str = "Processing of this account's data is restricted at the owner's request, so its API keys are paused. Lift the restriction on the account page to use them again.";

pub async fn set_restricted(
    app: &AppState,
    user: &users::Model,
    restricted: bool,
) -> Result<users::Model, Error> {
    let mut active: users::ActiveModel = user.clone().into();
    active.restricted_at = Set(restricted.then(|| user.restricted_at.unwrap_or(app.clock.now())));
    active.updated_at = Set(app.clock.now());
    let user = active.update(&app.db).await?;
    tracing::info!(user_id = user.id, restricted, "restriction changed");
    Ok(user)
}

pub fn is_restricted(user: &users::Model) -> bool {
    user.restricted_at.is_some()
}
