//! "Delete my account" (erasure): after the password is entered again and the person confirms,
//! the `users` row is deleted and every table that names the account goes with it (foreign keys
//! cascade: consents, sessions — so they end at once —, links, API keys, audit rows, requests,
//! result ids, credits, plans), and the results its API keys created are destroyed in the result
//! store. A plan is cancelled at Stripe first, so nothing more is charged. A confirmation mail goes
//! to the address that was deleted (a legally required mail).

use entity::users;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::mail::templates;
use crate::{AppState, Error};

pub async fn delete_account(
    app: &AppState,
    user: &users::Model,
    password: &str,
    confirmed: bool,
) -> Result<(), Error> {
    if !confirmed {
        return Err(Error::Invalid {
            field: "confirm",
            message:
                "Tick the box to confirm that the account and everything in it should be deleted."
                    .into(),
        });
    }
    // Throttled per account like the password change: each wrong guess costs an argon2 hash.
    app.abuse.check_password_attempt(user.id)?;
    if !app.passwords.verify(password, &user.password_hash).await? {
        app.abuse.record_wrong_password(user.id);
        return Err(Error::Invalid {
            field: "password",
            message: "that is not your current password".into(),
        });
    }
    erase(app, user).await
}

/// Deletes `user` and everything that names it, then mails the confirmation: the second half of
/// [`delete_account`], and what an admin does for a verified request
/// ([`crate::privacy::staff::delete_for_request`]).
pub(crate) async fn erase(app: &AppState, user: &users::Model) -> Result<(), Error> {
    // A plan must not go on charging a deleted account: cancelled at Stripe first, and while
    // Stripe cannot be reached nothing is deleted (the person is told to try again).
    crate::billing::plans::cancel_all(app, user.id).await?;
    // Results made with the account's keys: destroyed even though we never held their keys.
    let results: Vec<crate::results::ResultId> = crate::accounts::results::for_user(app, user.id)
        .await?
        .iter()
        .filter_map(|row| crate::results::ResultId::parse(&row.result_id))
        .collect();
    crate::db::transaction(&app.db, async |txn| {
        // Requests sent from the address without signing in name the person too.
        entity::privacy_requests::Entity::delete_many()
            .filter(entity::privacy_requests::Column::Email.eq(user.email.as_str()))
            .exec(txn)
            .await?;
        // Mail waiting in the outbox for the person (pending links, receipts) goes too.
        crate::mail::outbox::delete_for_person(app, txn, user.id, &user.email).await?;
        users::Entity::delete_by_id(user.id).exec(txn).await?;
        Ok(())
    })
    .await?;
    // The store is opened at start independently of the model, so this works without one.
    let destroyed = app.destroy_results(results).await?;
    tracing::info!(destroyed, "results of a deleted account destroyed");
    // Mail waiting in the file outbox names the address too; removed before the confirmation is
    // queued, so the confirmation itself is delivered.
    let outbox = app.mailer.purge_outbox_to(&user.email).await?;
    tracing::info!(outbox, "outbox mail of a deleted account removed");
    crate::mail::send(
        app,
        None,
        templates::account_deleted(&user.email, &user.name),
    )
    .await?;
    tracing::info!("account deleted");
    Ok(())
}
