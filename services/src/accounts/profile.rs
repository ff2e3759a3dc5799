//! Changing one's own name, password and email address. A new address is confirmed by mail before
//! it replaces the old one, and the old address is told.

use entity::account_tokens::Purpose;
use entity::users;
use sea_orm::{ActiveModelTrait, Set};

use super::{find_by_email, link, normalize_email, normalize_name, password, tokens};
use crate::mail::templates;
use crate::{AppState, Error};

const WRONG_PASSWORD: &str = "That is not your current password.";

pub async fn update_name(
    app: &AppState,
    user: &users::Model,
    name: &str,
) -> Result<users::Model, Error> {
    let name = normalize_name(name)?;
    let mut active: users::ActiveModel = user.clone().into();
    active.name = Set(name);
    active.updated_at = Set(app.clock.now());
    Ok(active.update(&app.db).await?)
}

/// Checks the current password, at most a few wrong ones per account in a while (a stolen session
/// must not be able to guess the password through this form).
async fn check_current(app: &AppState, user: &users::Model, current: &str) -> Result<(), Error> {
    app.abuse.check_password_attempt(user.id)?;
    if app.passwords.verify(current, &user.password_hash).await? {
        Ok(())
    } else {
        app.abuse.record_wrong_password(user.id);
        Err(Error::Invalid {
            field: "current_password",
            message: WRONG_PASSWORD.into(),
        })
    }
}

/// Changes the password after checking the current one. Every *other* session ends (the caller
/// signs the current one in again), and the owner gets a mail.
#[tracing::instrument(skip_all)]
pub async fn change_password(
    app: &AppState,
    user: &users::Model,
    current: &str,
    new_password: &str,
) -> Result<users::Model, Error> {
    check_current(app, user, current).await?;
    password::check_policy(new_password, &user.email)?;
    let hash = app.passwords.hash(new_password).await?;
    let user = crate::db::transaction(&app.db, async |txn| {
        let mut active: users::ActiveModel = user.clone().into();
        active.password_hash = Set(hash);
        active.updated_at = Set(app.clock.now());
        let user = active.update(txn).await?;
        crate::sessions::revoke_all(app, txn, user.id).await?;
        let mail = templates::password_changed(&user.email, &user.name, &link(app, "/forgot"));
        crate::mail::queue(app, txn, Some(user.id), &mail).await?;
        Ok(user)
    })
    .await?;
    app.outbox.wake(app);
    Ok(user)
}

/// Mails a confirmation link to `new_email`. The answer does not say whether that address has an
/// account; if it does, confirming fails with a clear message instead.
#[tracing::instrument(skip_all)]
pub async fn request_email_change(
    app: &AppState,
    user: &users::Model,
    new_email: &str,
    current: &str,
) -> Result<(), Error> {
    check_current(app, user, current).await?;
    let new_email = normalize_email(new_email)?;
    if new_email == user.email {
        return Err(Error::Invalid {
            field: "email",
            message: "that is already your address".into(),
        });
    }
    if !app.abuse.may_mail(&new_email) {
        return Ok(());
    }
    crate::db::transaction(&app.db, async |txn| {
        let token = tokens::issue(
            app,
            txn,
            user.id,
            Purpose::ChangeEmail,
            Some(new_email.clone()),
        )
        .await?;
        let mail = templates::confirm_new_email(
            &new_email,
            &user.name,
            &link(app, &format!("/account/email?token={token}")),
            tokens::lifetime(Purpose::ChangeEmail).num_hours(),
        );
        crate::mail::queue(app, txn, Some(user.id), &mail).await?;
        Ok(())
    })
    .await?;
    app.outbox.wake(app);
    Ok(())
}

/// Switches to the confirmed new address and tells the old one.
#[tracing::instrument(skip_all)]
pub async fn confirm_email_change(app: &AppState, token: &str) -> Result<users::Model, Error> {
    let user = crate::db::transaction(&app.db, async |txn| {
        let row = tokens::redeem(app, txn, token, Purpose::ChangeEmail).await?;
        let new_email = row
            .new_email
            .ok_or_else(|| Error::Internal("an email-change token without an address".into()))?;
        let user = super::find_by_id_in(txn, row.user_id)
            .await?
            .ok_or(Error::NotFound("account"))?;
        if find_by_email(txn, &new_email).await?.is_some() {
            return Err(Error::Conflict(
                "Another account already uses that address, so yours keeps its old one.".into(),
            ));
        }
        let old_email = user.email.clone();
        let now = app.clock.now();
        let mut active: users::ActiveModel = user.into();
        active.email = Set(new_email.clone());
        active.email_verified_at = Set(Some(now));
        active.updated_at = Set(now);
        let user = active.update(txn).await?;
        let mail =
            templates::email_changed(&old_email, &user.name, &new_email, &link(app, "/forgot"));
        crate::mail::queue(app, txn, Some(user.id), &mail).await?;
        Ok(user)
    })
    .await?;
    app.outbox.wake(app);
    tracing::info!(user_id = user.id, "email changed");
    Ok(user)
}
