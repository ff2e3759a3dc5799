//! Signing up and confirming the address. Registering with an address that already has an account
//! answers exactly like a new one and mails the owner instead (no enumeration).

use std::net::IpAddr;

use entity::account_tokens::Purpose as TokenPurpose;
use entity::consents::{Method, Purpose};
use entity::users::{self, Role};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::{find_by_email, link, normalize_email, normalize_name, password, tokens};
use crate::abuse::Action;
use crate::mail::templates;
use crate::privacy::consent;
use crate::{AppState, Error};

/// What the sign-up form sends.
#[derive(Clone, Debug, Default)]
pub struct Registration {
    pub name: String,
    pub email: String,
    pub password: String,
    /// "I am 13 or older."
    pub age_confirmed: bool,
    /// "I accept the privacy policy" (the version in force).
    pub policy_accepted: bool,
    /// "Send me product updates by mail"; unticked unless the person ticks it.
    pub marketing: bool,
    /// "Count my visits in the anonymous statistics"; unticked unless the person ticks it.
    pub analytics: bool,
}

/// Creates the account (unverified) and mails the confirmation link. The answer is the same when
/// the address is already registered.
#[tracing::instrument(skip_all)]
pub async fn register(app: &AppState, form: Registration, ip: IpAddr) -> Result<(), Error> {
    app.abuse.check(Action::Register, ip)?;
    let name = normalize_name(&form.name)?;
    let email = normalize_email(&form.email)?;
    password::check_policy(&form.password, &email)?;
    if !form.age_confirmed {
        return Err(Error::Invalid {
            field: "age",
            message:
                "Please confirm that you are 13 or older: imgigo accounts are for people aged 13 and over."
                    .into(),
        });
    }
    if !form.policy_accepted {
        return Err(Error::Invalid {
            field: "policy",
            message: "Please read and accept the privacy policy to create an account.".into(),
        });
    }

    // Hash first in every case: the answer takes as long whether or not the address is taken.
    let hash = app.passwords.hash(&form.password).await?;
    if let Some(existing) = find_by_email(&app.db, &email).await? {
        tell_owner(app, &existing).await?;
        return Ok(());
    }

    let now = app.clock.now();
    let registered = crate::db::transaction(&app.db, async |txn| {
        let user = users::ActiveModel {
            name: Set(name),
            email: Set(email.clone()),
            password_hash: Set(hash),
            role: Set(Role::User),
            created_at: Set(now),
            updated_at: Set(now),
            email_verified_at: Set(None),
            sessions_revoked_at: Set(None),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        consent::record(
            txn,
            app.config.privacy_policy.version(),
            user.id,
            Purpose::PrivacyPolicy,
            true,
            Method::Signup,
            now,
        )
        .await?;
        // Both choices are recorded as made, ticked or not, so the history shows what was asked.
        for (purpose, granted) in [
            (Purpose::Marketing, form.marketing),
            (Purpose::Analytics, form.analytics),
        ] {
            consent::record(
                txn,
                app.config.privacy_policy.version(),
                user.id,
                purpose,
                granted,
                Method::Signup,
                now,
            )
            .await?;
        }
        let token = tokens::issue(app, txn, user.id, TokenPurpose::VerifyEmail, None).await?;
        // The link is queued with the account: both exist, or neither.
        crate::mail::queue(app, txn, Some(user.id), &verification(app, &user, &token)).await?;
        Ok(user)
    })
    .await;
    let user = match registered {
        Ok(registered) => registered,
        // Someone registered the same address a moment ago (the new user row is the only one
        // that can conflict): nothing was kept, and the owner hears of it as above.
        Err(Error::Conflict(_)) => {
            if let Some(existing) = find_by_email(&app.db, &email).await? {
                tell_owner(app, &existing).await?;
            }
            return Ok(());
        }
        Err(err) => return Err(err),
    };

    app.outbox.wake(app);
    crate::analytics::signup(app);
    tracing::info!(user_id = user.id, "account registered");
    Ok(())
}

async fn tell_owner(app: &AppState, existing: &users::Model) -> Result<(), Error> {
    if app.abuse.may_mail(&existing.email) {
        let mail = templates::already_registered(
            &existing.email,
            &existing.name,
            &link(app, "/login"),
            &link(app, "/forgot"),
        );
        crate::mail::send(app, Some(existing.id), mail).await?;
    }
    Ok(())
}

fn verification(app: &AppState, user: &users::Model, token: &str) -> templates::Mail {
    let hours = tokens::lifetime(TokenPurpose::VerifyEmail).num_hours();
    templates::verify_email(
        &user.email,
        &user.name,
        &link(app, &format!("/verify?token={token}")),
        hours,
    )
}

/// Confirms the address with the mailed token.
#[tracing::instrument(skip_all)]
pub async fn verify_email(app: &AppState, token: &str) -> Result<users::Model, Error> {
    let user = crate::db::transaction(&app.db, async |txn| {
        let row = tokens::redeem(app, txn, token, TokenPurpose::VerifyEmail).await?;
        let user = super::find_by_id_in(txn, row.user_id)
            .await?
            .ok_or(Error::NotFound("account"))?;
        if user.email_verified_at.is_some() {
            return Ok(user);
        }
        let mut active: users::ActiveModel = user.into();
        let now = app.clock.now();
        active.email_verified_at = Set(Some(now));
        active.updated_at = Set(now);
        Ok(active.update(txn).await?)
    })
    .await?;
    tracing::info!(user_id = user.id, "email verified");
    Ok(user)
}

/// Sends a fresh confirmation link if `email` has an unverified account; answers the same always.
#[tracing::instrument(skip_all)]
pub async fn resend_verification(app: &AppState, email: &str, ip: IpAddr) -> Result<(), Error> {
    app.abuse.check(Action::MailRequest, ip)?;
    let email = normalize_email(email)?;
    let Some(user) = find_by_email(&app.db, &email).await? else {
        return Ok(());
    };
    if user.email_verified_at.is_some() || !app.abuse.may_mail(&email) {
        return Ok(());
    }
    crate::db::transaction(&app.db, async |txn| {
        let token = tokens::issue(app, txn, user.id, TokenPurpose::VerifyEmail, None).await?;
        crate::mail::queue(app, txn, Some(user.id), &verification(app, &user, &token)).await?;
        Ok(())
    })
    .await?;
    app.outbox.wake(app);
    Ok(())
}

/// Accounts whose address was never confirmed are deleted this long after registering (the
/// verification mail says so); their consent rows and links go with them.
pub const UNVERIFIED_KEPT: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// Deletes accounts never confirmed within [`UNVERIFIED_KEPT`]; returns how many.
pub async fn purge_unverified(app: &AppState) -> Result<u64, Error> {
    let cutoff = app.clock.now() - UNVERIFIED_KEPT;
    let result = users::Entity::delete_many()
        .filter(users::Column::EmailVerifiedAt.is_null())
        .filter(users::Column::CreatedAt.lt(cutoff))
        .exec(&app.db)
        .await?;
    Ok(result.rows_affected)
}
