//! The background sender: delivers the outbox's due rows, each under its own claim (so that
//! several processes can run it on one database without sending a row twice), a few side by side.
//!
//! Delivery guarantee: a row is claimed (an update that matches only the state that was read),
//! delivered, then marked sent. A mail is delivered once unless the process dies between the SMTP
//! server's acceptance and the mark; then the claim lapses after [`CLAIM`](super::outbox::CLAIM)
//! and the mail goes again, with the same `Message-ID`, so at least once and never lost.

use std::sync::atomic::Ordering;
use std::time::Duration;

use entity::mail_outbox;
use futures_util::future::join_all;

use super::outbox::{self, Outbox};
use crate::{AppState, Error};

/// How often the sender looks for due rows when nothing wakes it (retries come due this way).
const POLL: Duration = Duration::from_secs(5);
/// Rows claimed per look.
const BATCH: u64 = 32;
/// Deliveries at once (the SMTP transport keeps a pool of connections).
const CONCURRENT: usize = 8;
/// The longest one delivery may take (the SMTP transport has its own, shorter timeout).
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(60);

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub sent: u64,
    pub retrying: u64,
    pub failed: u64,
    /// The test seam stopped the sender after a delivery, before its mark.
    pub crashed: bool,
}

pub(super) async fn run(app: AppState) {
    loop {
        if app.outbox.retired.load(Ordering::SeqCst) {
            return;
        }
        match deliver_due(&app).await {
            Ok(pass) if pass.crashed => return,
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "the mail sender could not read the outbox"),
        }
        tokio::select! {
            () = app.outbox.notify.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

/// Delivers every row due now; returns what happened.
pub async fn deliver_due(app: &AppState) -> Result<Pass, Error> {
    let mut pass = Pass::default();
    loop {
        let rows = outbox::due(app, BATCH).await?;
        let mut claimed_any = false;
        // Claimed a few at a time and delivered side by side, so that no claim waits behind more
        // deliveries than one timeout's worth.
        for group in rows.chunks(CONCURRENT) {
            let mut claimed = Vec::with_capacity(group.len());
            for row in group {
                let now = app.clock.now();
                if !app.outbox.may_send_to(&row.recipient, now) {
                    outbox::defer(app, row).await?;
                    continue;
                }
                if outbox::claim(app, row).await? {
                    app.outbox.count_sent_to(&row.recipient, now);
                    claimed.push(row.clone());
                }
            }
            claimed_any |= !claimed.is_empty();
            let outcomes = join_all(
                claimed
                    .into_iter()
                    .map(|row| async move { deliver(app, &app.outbox, &row).await }),
            )
            .await;
            for outcome in outcomes {
                match outcome? {
                    Outcome::Sent => pass.sent += 1,
                    Outcome::Retrying => pass.retrying += 1,
                    Outcome::Failed => pass.failed += 1,
                    Outcome::Crashed => pass.crashed = true,
                }
            }
            if pass.crashed {
                return Ok(pass);
            }
        }
        if !claimed_any {
            return Ok(pass);
        }
    }
}

/// What became of one claimed row.
enum Outcome {
    Sent,
    Retrying,
    Failed,
    Crashed,
}

async fn deliver(
    app: &AppState,
    outbox: &Outbox,
    row: &mail_outbox::Model,
) -> Result<Outcome, Error> {
    let attempts = row.attempts + 1;
    let Some(mail) = outbox.open(row) else {
        outbox::mark_failed(
            app,
            row.id,
            attempts,
            true,
            "the sealed mail cannot be opened (was the server secret changed?)",
        )
        .await?;
        tracing::warn!(kind = %row.kind, id = row.id, "mail given up: cannot be opened");
        return Ok(Outcome::Failed);
    };
    let message_id = format!(
        "<outbox-{}.{}@{}>",
        row.id,
        &app.secret
            .sign_hex(format!("mail message id\0{}", row.id).as_bytes())
            .get(..16)
            .unwrap_or_default(),
        app.mailer.domain()
    );
    let delivered = match tokio::time::timeout(
        DELIVERY_TIMEOUT,
        app.mailer.deliver(&mail, Some(message_id)),
    )
    .await
    {
        Ok(result) => result,
        Err(_) => Err(super::transport::Failure {
            permanent: false,
            reason: "the delivery took longer than a minute".into(),
        }),
    };
    match delivered {
        Ok(()) => {
            if outbox.crash_after_send.swap(false, Ordering::SeqCst) {
                return Ok(Outcome::Crashed);
            }
            outbox::mark_sent(app, row.id).await?;
            tracing::info!(kind = %row.kind, transport = app.mailer.kind(), "mail sent");
            Ok(Outcome::Sent)
        }
        Err(failure) => {
            let gave_up =
                outbox::mark_failed(app, row.id, attempts, failure.permanent, &failure.reason)
                    .await?;
            if gave_up {
                tracing::warn!(kind = %row.kind, id = row.id, attempts, reason = %failure.reason, "mail given up");
                Ok(Outcome::Failed)
            } else {
                tracing::info!(kind = %row.kind, id = row.id, attempts, reason = %failure.reason, "mail will be retried");
                Ok(Outcome::Retrying)
            }
        }
    }
}
