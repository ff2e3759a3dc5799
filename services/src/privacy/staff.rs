//! What admins do for requests that arrive outside the privacy centre (a mail to the privacy
//! address, a parent asking for a child's data to go): find an account by its email address and
//! delete it. Each lookup is written to the person's audit log, which they see on their account
//! page and in their export; a deletion (which takes that log with it) is written to the admin's
//! own. Support staff can do neither.

use chrono::{DateTime, Utc};
use entity::users;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::accounts::Role;
use crate::accounts::roles::require;
use crate::{AppState, Error};

/// The longest reason an admin can give for a deletion.
pub const MAX_REASON: usize = 200;

/// An account as an admin sees it after a lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub confirmed: bool,
    pub restricted: bool,
    pub live_api_keys: u64,
}

/// Looks an account up by its address (any spelling of it); the lookup is in the person's audit
/// log. `None` when no account has it (nothing is recorded then: there is no one to tell).
pub async fn find_account(
    app: &AppState,
    admin: &users::Model,
    email: &str,
) -> Result<Option<Found>, Error> {
    require(admin, &[Role::Admin])?;
    let email = crate::accounts::normalize_email(email)?;
    let Some(user) = crate::accounts::find_by_email(&app.db, &email).await? else {
        return Ok(None);
    };
    crate::privacy::audit::record(
        app,
        admin,
        user.id,
        "looked up your account by its email address (for a request sent to us)",
    )
    .await?;
    let live_api_keys = entity::api_keys::Entity::find()
        .filter(entity::api_keys::Column::UserId.eq(user.id))
        .filter(entity::api_keys::Column::RevokedAt.is_null())
        .count(&app.db)
        .await?;
    Ok(Some(Found {
        id: user.id,
        name: user.name,
        email: user.email,
        role: user.role,
        created_at: user.created_at,
        confirmed: user.email_verified_at.is_some(),
        restricted: user.restricted_at.is_some(),
        live_api_keys,
    }))
}

/// Deletes account `user_id` for a verified request, with the same erasure and confirmation mail
/// as "Delete my account"; `reason` (required) goes into the admin's own audit log with the
/// account's number. An admin cannot delete their own account here, nor another admin's.
pub async fn delete_for_request(
    app: &AppState,
    admin: &users::Model,
    user_id: i64,
    reason: &str,
    confirmed: bool,
) -> Result<(), Error> {
    require(admin, &[Role::Admin])?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON {
        return Err(Error::Invalid {
            field: "reason",
            message: format!(
                "Say which verified request this is for (at most {MAX_REASON} characters), such as “mail of 3 Dec to the privacy address, identity checked”."
            ),
        });
    }
    if !confirmed {
        return Err(Error::Invalid {
            field: "confirm",
            message:
                "Tick the box to confirm that this account and everything in it should be deleted."
                    .into(),
        });
    }
    if user_id == admin.id {
        return Err(Error::Invalid {
            field: "account",
            message: "Delete your own account from your account page.".into(),
        });
    }
    let Some(user) = users::Entity::find_by_id(user_id).one(&app.db).await? else {
        return Err(Error::NotFound("account"));
    };
    if user.role == Role::Admin {
        return Err(Error::Invalid {
            field: "account",
            message: "An admin account is deleted by its owner, or made an ordinary account first."
                .into(),
        });
    }
    crate::privacy::deletion::erase(app, &user).await?;
    crate::privacy::audit::record(
        app,
        admin,
        admin.id,
        &format!("deleted account #{user_id} for a verified request: {reason}"),
    )
    .await?;
    tracing::info!(
        user_id,
        "account deleted by an admin for a verified request"
    );
    Ok(())
}
