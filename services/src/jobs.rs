//! Retention jobs: what the server's janitor runs every ten minutes and `imgigo purge` runs once
//! (for cron). Each removes what the privacy policy says must go and reports counts only.

use crate::sessions::DbSessionStore;
use crate::{AppState, Error};

/// How many rows or files each job removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    /// Sessions past their expiry.
    pub sessions: u64,
    /// Mailed links past their expiry.
    pub links: u64,
    /// Accounts never confirmed within 7 days.
    pub unconfirmed_accounts: u64,
    /// Privacy requests closed more than a year ago.
    pub closed_requests: u64,
    /// File-outbox mail older than 7 days.
    pub outbox_mail: u64,
    /// Outbox rows delivered more than an hour ago or given up more than 7 days ago.
    pub mail_rows: u64,
    /// Analytics rows of days more than 13 months ago.
    pub analytics_rows: u64,
}

/// The database jobs. Forgets in-RAM throttles, rate-limit buckets and lockouts that ended, too.
pub async fn purge_accounts(app: &AppState) -> Result<Purged, Error> {
    app.abuse.forget_idle();
    app.limiter.forget_idle();
    app.key_limiter.forget_idle();
    // Accounts first: their sessions and links go with them and are not counted twice.
    let unconfirmed_accounts = crate::accounts::registration::purge_unverified(app).await?;
    let purged = Purged {
        sessions: DbSessionStore::of(app).purge_expired().await?,
        links: crate::accounts::tokens::purge_expired(app).await?,
        unconfirmed_accounts,
        closed_requests: crate::privacy::requests::purge_closed(app).await?,
        outbox_mail: app.mailer.purge_outbox(app.clock.now().into()).await?,
        mail_rows: crate::mail::outbox::purge(app).await?,
        analytics_rows: crate::analytics::purge(&app.db, app.clock.now()).await?,
    };
    crate::accounts::results::purge_expired(app).await?;
    if purged != Purged::default() {
        tracing::info!(
            sessions = purged.sessions,
            links = purged.links,
            unconfirmed_accounts = purged.unconfirmed_accounts,
            closed_requests = purged.closed_requests,
            outbox_mail = purged.outbox_mail,
            mail_rows = purged.mail_rows,
            analytics_rows = purged.analytics_rows,
            "retention: expired data deleted"
        );
    }
    Ok(purged)
}
