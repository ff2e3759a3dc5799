//! The durable mail outbox against a real SMTP server (aiosmtpd on loopback) and the database this
//! run asked for (SQLite, or PostgreSQL with `IMGIGO_TEST_DATABASE=postgres`): mail survives an
//! SMTP outage, a restart, and a crash between delivery and its mark; given-up mail is visible
//! without its content; bodies at rest are sealed.

use std::sync::Arc;

use chrono::TimeDelta;
use entity::mail_outbox;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use services::AppState;
use services::clock::{Clock, ManualClock};
use services::mail::{self, outbox, sender, templates};
use services::testing::{SmtpSink, TestDatabase, smtp_node};

async fn node(db: &TestDatabase, smtp_port: u16, clock: &Arc<ManualClock>) -> AppState {
    smtp_node(db, smtp_port, clock, &[]).await
}

fn mails(to: &str) -> Vec<templates::Mail> {
    vec![
        templates::password_reset(to, "Ada", "https://imgigo.test/reset?token=one", 60),
        templates::password_changed(to, "Ada", "https://imgigo.test/forgot"),
        templates::account_deleted(to, "Ada"),
    ]
}

async fn rows(app: &AppState) -> Vec<mail_outbox::Model> {
    mail_outbox::Entity::find()
        .all(&app.db)
        .await
        .expect("outbox rows")
}

fn message_id(raw: &str) -> String {
    raw.lines()
        .find_map(|line| line.strip_prefix("Message-ID: "))
        .expect("a Message-ID header")
        .trim()
        .to_string()
}

#[tokio::test]
async fn an_smtp_outage_delays_mail_and_loses_none() {
    let db = TestDatabase::new().await;
    let clock = ManualClock::new();
    let mut sink = SmtpSink::start();
    sink.stop();
    let app = node(&db, sink.port, &clock).await;
    for mail in mails("ada@example.com") {
        mail::queue(&app, &app.db, None, &mail)
            .await
            .expect("queued");
    }

    // SMTP is down: every mail stays queued, tried once, with a reason that names no one.
    let pass = sender::deliver_due(&app).await.expect("a pass");
    assert_eq!((pass.sent, pass.retrying, pass.failed), (0, 3, 0));
    for row in rows(&app).await {
        assert_eq!(row.status, outbox::status::QUEUED);
        assert_eq!(row.attempts, 1);
        assert_eq!(
            row.last_error.as_deref(),
            Some("cannot reach the SMTP server")
        );
        // (PostgreSQL keeps microseconds.)
        let retry_at = clock.now() + outbox::backoff(1);
        assert!((row.next_attempt_at - retry_at).abs() < TimeDelta::milliseconds(1));
        assert!(row.body.is_some());
    }
    // Sealed at rest: neither the address nor a link is readable in the row.
    for row in rows(&app).await {
        let body = String::from_utf8_lossy(row.body.as_deref().unwrap_or_default()).to_string();
        assert!(!body.contains("ada@example.com") && !body.contains("token=one"));
        assert!(!row.recipient.contains("ada"));
    }

    // Back up, but nothing is due before the backoff ends.
    sink.restart();
    assert_eq!(sender::deliver_due(&app).await.expect("pass").sent, 0);
    clock.advance(TimeDelta::seconds(31));
    let pass = sender::deliver_due(&app).await.expect("a pass");
    assert_eq!((pass.sent, pass.retrying, pass.failed), (3, 0, 0));
    // Once each, and never again.
    assert_eq!(sender::deliver_due(&app).await.expect("pass").sent, 0);
    let received = sink.messages();
    assert_eq!(received.len(), 3, "each mail exactly once");
    for mail in mails("ada@example.com") {
        assert_eq!(
            received
                .iter()
                .filter(|raw| raw.contains(&format!("Subject: {}", mail.subject)))
                .count(),
            1
        );
    }
    for row in rows(&app).await {
        assert_eq!(row.status, outbox::status::SENT);
        assert_eq!(row.body, None, "the body is wiped once delivered");
    }

    // Delivered rows go after the grace period.
    clock.advance(outbox::SENT_KEPT + TimeDelta::seconds(1));
    assert_eq!(outbox::purge(&app).await.expect("purge"), 3);
    assert!(rows(&app).await.is_empty());
}

#[tokio::test]
async fn mail_queued_before_a_restart_goes_out_after_it() {
    let db = TestDatabase::new().await;
    let clock = ManualClock::new();
    let sink = SmtpSink::start();
    {
        // The first process queues and stops before its sender ran.
        let before = node(&db, sink.port, &clock).await;
        mail::queue(
            &before,
            &before.db,
            None,
            &templates::password_changed("ada@example.com", "Ada", "https://imgigo.test/forgot"),
        )
        .await
        .expect("queued");
    }
    let after = node(&db, sink.port, &clock).await;
    after.outbox.start(&after);
    let raw = sink
        .wait_for(|raw| raw.contains("To: ada@example.com"))
        .await;
    assert!(raw.contains("Message-ID: <outbox-"), "{raw}");
    for _ in 0..200 {
        if rows(&after).await[0].status == outbox::status::SENT {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(rows(&after).await[0].status, outbox::status::SENT);
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test]
async fn a_crash_between_delivery_and_its_mark_sends_again_with_the_same_message_id() {
    let db = TestDatabase::new().await;
    let clock = ManualClock::new();
    let sink = SmtpSink::start();
    let first = node(&db, sink.port, &clock).await;
    mail::queue(
        &first,
        &first.db,
        None,
        &templates::password_changed("ada@example.com", "Ada", "https://imgigo.test/forgot"),
    )
    .await
    .expect("queued");
    first.outbox.crash_after_next_send();
    let pass = sender::deliver_due(&first).await.expect("a pass");
    assert!(pass.crashed);
    assert_eq!(sink.messages().len(), 1, "the SMTP server has it");
    let row = rows(&first).await.remove(0);
    assert_eq!(
        row.status,
        outbox::status::SENDING,
        "but it was never marked"
    );
    drop(first);

    // Another process (or the same one restarted) leaves the claim alone while it may still be
    // live, then takes the row over.
    let second = node(&db, sink.port, &clock).await;
    assert_eq!(sender::deliver_due(&second).await.expect("pass").sent, 0);
    assert_eq!(sink.messages().len(), 1);
    clock.advance(outbox::CLAIM + TimeDelta::seconds(1));
    assert_eq!(sender::deliver_due(&second).await.expect("pass").sent, 1);
    let received = sink.messages();
    assert_eq!(received.len(), 2, "at least once: the mail went again");
    assert_eq!(
        message_id(&received[0]),
        message_id(&received[1]),
        "a repeat carries the same Message-ID, so a receiver can tell"
    );
    let row = rows(&second).await.remove(0);
    assert_eq!(
        (row.status.as_str(), row.attempts),
        (outbox::status::SENT, 2)
    );
    assert_eq!(sender::deliver_due(&second).await.expect("pass").sent, 0);
}

#[tokio::test]
async fn two_senders_on_one_database_send_each_mail_once() {
    let db = TestDatabase::new().await;
    let clock = ManualClock::new();
    let sink = SmtpSink::start();
    let a = node(&db, sink.port, &clock).await;
    let b = node(&db, sink.port, &clock).await;
    for n in 0..8 {
        let mail = templates::password_changed(
            &format!("user{n}@example.com"),
            "Ada",
            "https://imgigo.test/forgot",
        );
        mail::queue(&a, &a.db, None, &mail).await.expect("queued");
    }
    let (pa, pb) = tokio::join!(sender::deliver_due(&a), sender::deliver_due(&b));
    let sent = pa.expect("pass a").sent + pb.expect("pass b").sent;
    assert_eq!(sent, 8);
    let received = sink.messages();
    assert_eq!(received.len(), 8, "no mail twice");
    for n in 0..8 {
        let to = format!("To: user{n}@example.com");
        assert_eq!(received.iter().filter(|raw| raw.contains(&to)).count(), 1);
    }
}

#[tokio::test]
async fn mail_that_never_gets_through_is_given_up_and_shown_without_content() {
    let db = TestDatabase::new().await;
    let clock = ManualClock::new();
    let mut sink = SmtpSink::start();
    sink.stop();
    let app = node(&db, sink.port, &clock).await;
    let mail = templates::password_changed("ada@example.com", "Ada", "https://imgigo.test/forgot");
    mail::queue(&app, &app.db, None, &mail)
        .await
        .expect("queued");
    let mut failed = 0;
    for attempt in 1..=outbox::MAX_ATTEMPTS {
        let pass = sender::deliver_due(&app).await.expect("a pass");
        failed += pass.failed;
        assert_eq!(pass.sent, 0);
        if attempt < outbox::MAX_ATTEMPTS {
            assert_eq!(pass.retrying, 1, "attempt {attempt} is retried");
        }
        clock.advance(outbox::backoff(attempt) + TimeDelta::seconds(1));
    }
    assert_eq!(failed, 1);
    let row = rows(&app).await.remove(0);
    assert_eq!(row.status, outbox::status::FAILED);
    assert_eq!(row.attempts, outbox::MAX_ATTEMPTS);
    assert_eq!(row.body, None, "a given-up mail's one-time links are gone");
    let health = outbox::health(&app).await.expect("health");
    assert_eq!((health.queued, health.failed), (0, 1));
    assert_eq!(health.recent_failures[0].kind, "password_changed");
    assert_eq!(
        health.recent_failures[0].reason,
        "cannot reach the SMTP server"
    );
    // Kept a week for the admin page, then deleted.
    assert_eq!(outbox::purge(&app).await.expect("purge"), 0);
    clock.advance(outbox::FAILED_KEPT + TimeDelta::seconds(1));
    assert_eq!(outbox::purge(&app).await.expect("purge"), 1);
}

#[tokio::test]
async fn a_persons_rows_are_found_and_deleted_by_account_or_address() {
    let db = TestDatabase::new().await;
    let clock = ManualClock::new();
    let mut sink = SmtpSink::start();
    sink.stop();
    let app = node(&db, sink.port, &clock).await;
    // Addressed to the person but queued without an account (a privacy request sent signed out),
    // and someone else's.
    mail::queue(&app, &app.db, None, &mails("Ada@Example.com")[0])
        .await
        .expect("queued");
    mail::queue(&app, &app.db, None, &mails("bob@example.com")[0])
        .await
        .expect("queued");
    let found = outbox::for_person(&app, 4242, "ada@example.com")
        .await
        .expect("rows");
    assert_eq!(found.len(), 1, "the address matches whatever its case");
    let deleted = outbox::delete_for_person(&app, &app.db, 4242, "ada@example.com")
        .await
        .expect("deleted");
    assert_eq!(deleted, 1);
    let left = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::Kind.eq("password_reset"))
        .all(&app.db)
        .await
        .expect("rows");
    assert_eq!(left.len(), 1, "bob's mail stays");
}

/// The sending rate, for the notes (not a timed test: run it with `--ignored --nocapture`): 500
/// mails to 500 addresses queued, then one sender delivers them to aiosmtpd over one connection
/// pool.
#[tokio::test]
#[ignore = "a measurement: run by hand"]
async fn measure_the_sending_rate() {
    let db = TestDatabase::new().await;
    let clock = ManualClock::new();
    let sink = SmtpSink::start();
    let app = node(&db, sink.port, &clock).await;
    const N: usize = 500;
    let queued = std::time::Instant::now();
    for n in 0..N {
        let mail = templates::password_changed(
            &format!("user{n}@example.com"),
            "Ada",
            "https://imgigo.test/forgot",
        );
        mail::queue(&app, &app.db, None, &mail)
            .await
            .expect("queued");
    }
    let queueing = queued.elapsed();
    let started = std::time::Instant::now();
    let pass = sender::deliver_due(&app).await.expect("a pass");
    let sending = started.elapsed();
    assert_eq!(pass.sent, N as u64);
    for _ in 0..200 {
        if sink.messages().len() == N {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(sink.messages().len(), N);
    println!(
        "queued {N} in {:.2} s ({:.0}/s); delivered in {:.2} s ({:.0} mails/s)",
        queueing.as_secs_f64(),
        N as f64 / queueing.as_secs_f64(),
        sending.as_secs_f64(),
        N as f64 / sending.as_secs_f64()
    );
}
