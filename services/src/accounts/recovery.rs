//! Forgot / reset password. The request answers the same for every address; the reset link works
//! once, for an hour, and ends every session of the account.

use std::net::IpAddr;

use entity::account_tokens::Purpose;
use entity::users;
use sea_orm::{ActiveModelTrait, Set};

use super::{find_by_email, link, normalize_email, password, tokens};
use crate::abuse::Action;
use crate::mail::templates;
use crate::{AppState, Error};

/// Mails a reset link if `email` has an account.
#[tracing::instrument(skip_all)]
pub async fn request_reset(app: &AppState, email: &str, ip: IpAddr) -> Result<(), Error> {
    app.abuse.check(Action::MailRequest, ip)?;
    let email = normalize_email(email)?;
    let Some(user) = find_by_email(&app.db, &email).await? else {
        return Ok(());
    };
    if !app.abuse.may_mail(&email) {
        return Ok(());
    }
    crate::db::transaction(&app.db, async |txn| {
        let token = tokens::issue(app, txn, user.id, Purpose::ResetPassword, None).await?;
        let mail = templates::password_reset(
            &user.email,
            &user.name,
            &link(app, &format!("/reset?token={token}")),
            tokens::lifetime(Purpose::ResetPassword).num_minutes(),
        );
        crate::mail::queue(app, txn, Some(user.id), &mail).await?;
        Ok(())
    })
    .await?;
    app.outbox.wake(app);
    Ok(())
}

/// Sets a new password with a reset token. The address counts as confirmed (the person read the
/// mail), every session ends, and the owner is told.
#[tracing::instrument(skip_all)]
pub async fn reset(app: &AppState, token: &str, new_password: &str) -> Result<users::Model, Error> {
    let user = crate::db::transaction(&app.db, async |txn| {
        let row = tokens::redeem(app, txn, token, Purpose::ResetPassword).await?;
        let user = super::find_by_id_in(txn, row.user_id)
            .await?
            .ok_or(Error::NotFound("account"))?;
        // A refused passphrase leaves the link unused: the transaction is rolled back.
        password::check_policy(new_password, &user.email)?;
        let hash = app.passwords.hash(new_password).await?;
        let now = app.clock.now();
        let verified = user.email_verified_at.unwrap_or(now);
        let mut active: users::ActiveModel = user.into();
        active.password_hash = Set(hash);
        active.email_verified_at = Set(Some(verified));
        active.updated_at = Set(now);
        let user = active.update(txn).await?;
        crate::sessions::revoke_all(app, txn, user.id).await?;
        let mail = templates::password_changed(&user.email, &user.name, &link(app, "/forgot"));
        crate::mail::queue(app, txn, Some(user.id), &mail).await?;
        Ok(user)
    })
    .await?;
    app.outbox.wake(app);
    app.abuse
        .lockout
        .clear(&crate::abuse::AddressKey::of(&user.email));
    tracing::info!(user_id = user.id, "password reset");
    Ok(user)
}
