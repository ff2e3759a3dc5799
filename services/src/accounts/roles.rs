//! Roles: `user`, `support` (answers requests) and `admin` (everything, including roles), and the
//! bootstrap of the first admin from the command line.

use entity::users::{self, Role};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use super::{find_by_email, normalize_email, normalize_name, password};
use crate::{AppState, Error};

/// Refuses unless `user` holds one of `allowed`.
pub fn require(user: &users::Model, allowed: &[Role]) -> Result<(), Error> {
    if allowed.contains(&user.role) {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "Your account does not have access to this page.".into(),
        ))
    }
}

/// `imgigo admin create`: a confirmed admin account (or an error if the address is taken).
pub async fn create_admin(
    app: &AppState,
    name: &str,
    email: &str,
    new_password: &str,
) -> Result<users::Model, Error> {
    let name = normalize_name(name)?;
    let email = normalize_email(email)?;
    password::check_policy(new_password, &email)?;
    if find_by_email(&app.db, &email).await?.is_some() {
        return Err(Error::Conflict(format!(
            "An account with {email} exists already; an admin can change its role on the admin page."
        )));
    }
    let hash = app.passwords.hash(new_password).await?;
    let now = app.clock.now();
    let user = users::ActiveModel {
        name: Set(name),
        email: Set(email),
        password_hash: Set(hash),
        role: Set(Role::Admin),
        created_at: Set(now),
        updated_at: Set(now),
        email_verified_at: Set(Some(now)),
        sessions_revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await?;
    tracing::info!(user_id = user.id, "admin account created");
    Ok(user)
}

/// An admin gives `email`'s account `role`. Admins cannot demote themselves (someone must stay).
pub async fn set_role(
    app: &AppState,
    admin: &users::Model,
    email: &str,
    role: Role,
) -> Result<users::Model, Error> {
    require(admin, &[Role::Admin])?;
    let email = normalize_email(email)?;
    let user = find_by_email(&app.db, &email)
        .await?
        .ok_or(Error::NotFound("account with that address"))?;
    if user.id == admin.id && role != Role::Admin {
        return Err(Error::Invalid {
            field: "role",
            message: "you cannot remove your own admin role; ask another admin".into(),
        });
    }
    if user.role == role {
        return Ok(user);
    }
    let mut active: users::ActiveModel = user.into();
    active.role = Set(role);
    active.updated_at = Set(app.clock.now());
    let user = active.update(&app.db).await?;
    // The person sees who changed what about their account (export and account page).
    crate::privacy::audit::record(
        app,
        admin,
        user.id,
        &format!("role changed to {} by an admin", role.as_str()),
    )
    .await?;
    tracing::info!(
        user_id = user.id,
        admin_id = admin.id,
        role = role.as_str(),
        "role changed"
    );
    Ok(user)
}

/// Counts for the staff page: no personal data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overview {
    pub accounts: u64,
    pub verified: u64,
    pub staff: u64,
    pub live_api_keys: u64,
}

pub async fn overview(app: &AppState, staff: &users::Model) -> Result<Overview, Error> {
    require(staff, &[Role::Support, Role::Admin])?;
    let accounts = users::Entity::find().count(&app.db).await?;
    let verified = users::Entity::find()
        .filter(users::Column::EmailVerifiedAt.is_not_null())
        .count(&app.db)
        .await?;
    let staff_count = users::Entity::find()
        .filter(users::Column::Role.is_in([Role::Support, Role::Admin]))
        .count(&app.db)
        .await?;
    let live_api_keys = crate::accounts::api_keys::live_count(app).await?;
    Ok(Overview {
        accounts,
        verified,
        staff: staff_count,
        live_api_keys,
    })
}
