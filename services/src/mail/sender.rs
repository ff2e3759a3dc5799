//! The background sender: delivers the outbox's due rows, one claim at a time, so that several
//! processes can run it on one database without sending a row twice.
//!
//! Delivery guarantee: a row is claimed (an update that matches only the state that was read),
//! delivered, then marked sent. A mail is delivered once unless the process dies between the SMTP
//! server's acceptance and the mark; then the claim lapses after [`CLAIM`](super::outbox::CLAIM)
//! and the mail goes again, with the same `Message-ID`, so at least once and never lost.

use std::sync::atomic::Ordering;
use std::time::Duration;

use entity::mail_outbox;

use super::outbox::{self, Outbox};
use crate::{AppState, Error};

/// How often the sender looks for due rows when nothing wakes it (retries come due this way).
const POLL: Duration = Duration::from_secs(5);
/// Rows claimed per look.
const BATCH: u64 = 32;
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
        for row in rows {
            if !app.outbox.may_send_to(&row.recipient, app.clock.now()) {
                outbox::defer(app, &row).await?;
                continue;
            }
            if !outbox::claim(app, &row).await? {
                continue;
            }
            claimed_any = true;
            deliver(app, &app.outbox, &row, &mut pass).await?;
            if pass.crashed {
                return Ok(pass);
            }
        }
        if !claimed_any {
            return Ok(pass);
        }
    }
}

async fn deliver(
    app: &AppState,
    outbox: &Outbox,
    row: &mail_outbox::Model,
    pass: &mut Pass,
) -> Result<(), Error> {
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
        pass.failed += 1;
        tracing::warn!(kind = %row.kind, id = row.id, "mail given up: cannot be opened");
        return Ok(());
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
                pass.crashed = true;
                return Ok(());
            }
            outbox::mark_sent(app, row.id).await?;
            pass.sent += 1;
            tracing::info!(kind = %row.kind, transport = app.mailer.kind(), "mail sent");
        }
        Err(failure) => {
            let gave_up =
                outbox::mark_failed(app, row.id, attempts, failure.permanent, &failure.reason)
                    .await?;
            if gave_up {
                pass.failed += 1;
                tracing::warn!(kind = %row.kind, id = row.id, attempts, reason = %failure.reason, "mail given up");
            } else {
                pass.retrying += 1;
                tracing::info!(kind = %row.kind, id = row.id, attempts, reason = %failure.reason, "mail will be retried");
            }
        }
    }
    Ok(())
}
