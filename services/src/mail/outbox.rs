//! The durable outbox: every mail is first a row in `mail_outbox` (in the transaction of the change
//! that causes it, where there is one), then the [`sender`](super::sender) delivers it.
//!
//! A row's body is the mail sealed with AES-256-GCM under a key derived from the server secret
//! (the row id is not known before the insert, so the associated data is the row's kind and
//! recipient digest: a body cannot be moved to another row's recipient). The address itself is
//! kept only inside the seal; the `recipient` column is a keyed digest, enough to find the rows of
//! an erased address. Bodies are wiped as soon as a row is sent or given up; the rows themselves
//! go after [`SENT_KEPT`] / [`FAILED_KEPT`].

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use chrono::{DateTime, Duration, Utc};
use entity::mail_outbox;
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use zeroize::Zeroizing;

use super::Mail;
use crate::secret::ServerSecret;
use crate::{AppState, Error};

/// Attempts before a row is given up (the last about 4 hours after the first).
pub const MAX_ATTEMPTS: i32 = 8;
/// The wait after the first failed attempt; it doubles after each (capped at [`MAX_RETRY`]).
pub const FIRST_RETRY: Duration = Duration::seconds(30);
pub const MAX_RETRY: Duration = Duration::hours(1);
/// How long a sender's claim on a row lasts: a sender that dies mid-delivery leaves its row to be
/// tried again after this.
pub const CLAIM: Duration = Duration::minutes(5);
/// How long a delivered row's metadata stays (its body is wiped at once).
pub const SENT_KEPT: Duration = Duration::hours(1);
/// How long a given-up row's metadata stays for the admin page.
pub const FAILED_KEPT: Duration = Duration::days(7);
/// At most this many mails to one address per minute; more wait their turn.
pub const PER_RECIPIENT_PER_MINUTE: usize = 10;

/// Row states.
pub mod status {
    pub const QUEUED: &str = "queued";
    pub const SENDING: &str = "sending";
    pub const SENT: &str = "sent";
    pub const FAILED: &str = "failed";
}

/// The process's side of the outbox: the sealing key, the sender's wake-up, and the per-address
/// pace. The rows are the truth; this holds nothing that a restart would lose.
pub struct Outbox {
    key: Zeroizing<[u8; 32]>,
    pub(super) notify: Notify,
    started: AtomicBool,
    /// Set when the state this outbox belongs to was rebuilt with another mailer or clock: its
    /// sender stops at its next wake-up.
    pub(super) retired: AtomicBool,
    /// Fault seam for tests: the sender stops dead after its next successful delivery, before
    /// marking the row sent (what a crash there would do).
    pub(super) crash_after_send: AtomicBool,
    recent: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Outbox(…)")
    }
}

/// What is sealed in a row.
#[derive(Serialize, Deserialize)]
struct Sealed {
    to: String,
    subject: String,
    text: String,
    html: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unsubscribe: Option<String>,
}

impl Outbox {
    pub fn new(secret: &ServerSecret) -> Self {
        Self {
            key: secret.derive_key("mail outbox v1"),
            notify: Notify::new(),
            started: AtomicBool::new(false),
            retired: AtomicBool::new(false),
            crash_after_send: AtomicBool::new(false),
            recent: Mutex::new(HashMap::new()),
        }
    }

    /// Starts this process's sender once (the server does at start, so mail queued before a
    /// restart goes out; queueing does too).
    pub fn start(&self, app: &AppState) {
        if !self.started.swap(true, Ordering::SeqCst) {
            tokio::spawn(super::sender::run(app.clone()));
        }
    }

    /// Stops this outbox's sender (see [`Outbox::retired`]); the rows stay for the next one.
    pub fn retire(&self) {
        self.retired.store(true, Ordering::SeqCst);
        self.notify.notify_one();
    }

    /// Tells the sender that a row is waiting (starting it where needed).
    pub fn wake(&self, app: &AppState) {
        self.start(app);
        self.notify.notify_one();
    }

    /// Test seam: the sender stops after its next delivery without marking the row, as a crash
    /// between the SMTP server's "250 OK" and the database's commit would.
    pub fn crash_after_next_send(&self) {
        self.crash_after_send.store(true, Ordering::SeqCst);
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new((&*self.key).into())
    }

    fn seal(&self, mail: &Mail, recipient: &str) -> Result<Vec<u8>, Error> {
        let plaintext = Zeroizing::new(
            serde_json::to_vec(&Sealed {
                to: mail.to.clone(),
                subject: mail.subject.clone(),
                text: mail.text.clone(),
                html: mail.html.clone(),
                unsubscribe: mail.unsubscribe.clone(),
            })
            .map_err(|err| Error::Internal(format!("cannot encode a mail: {err}")))?,
        );
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let aad = associated_data(&mail.kind, recipient);
        let sealed = self
            .cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| Error::Internal("mail encryption failed".into()))?;
        let mut out = Vec::with_capacity(12 + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// The mail of a row, or `None` when the body is gone or cannot be opened (another secret).
    pub(super) fn open(&self, row: &mail_outbox::Model) -> Option<Mail> {
        let envelope = row.body.as_deref()?;
        if envelope.len() < 12 {
            return None;
        }
        let (nonce, sealed) = envelope.split_at(12);
        let aad = associated_data(&row.kind, &row.recipient);
        let plaintext = Zeroizing::new(
            self.cipher()
                .decrypt(
                    Nonce::from_slice(nonce),
                    Payload {
                        msg: sealed,
                        aad: &aad,
                    },
                )
                .ok()?,
        );
        let sealed: Sealed = serde_json::from_slice(&plaintext).ok()?;
        Some(Mail {
            kind: row.kind.clone().into(),
            to: sealed.to,
            subject: sealed.subject,
            text: sealed.text,
            html: sealed.html,
            unsubscribe: sealed.unsubscribe,
        })
    }

    /// Whether another mail to `recipient` may go now (at most [`PER_RECIPIENT_PER_MINUTE`]);
    /// counts nothing: [`Outbox::count_sent_to`] does, once the row is claimed.
    pub(super) fn may_send_to(&self, recipient: &str, now: DateTime<Utc>) -> bool {
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let window = now - Duration::minutes(1);
        if recent.len() > 10_000 {
            recent.retain(|_, times| times.back().is_some_and(|last| *last > window));
        }
        let Some(times) = recent.get_mut(recipient) else {
            return true;
        };
        while times.front().is_some_and(|first| *first <= window) {
            times.pop_front();
        }
        times.len() < PER_RECIPIENT_PER_MINUTE
    }

    /// Counts a mail to `recipient` against its pace.
    pub(super) fn count_sent_to(&self, recipient: &str, now: DateTime<Utc>) {
        self.recent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(recipient.to_string())
            .or_default()
            .push_back(now);
    }
}

fn associated_data(kind: &str, recipient: &str) -> Vec<u8> {
    format!("mail_outbox\0{kind}\0{recipient}").into_bytes()
}

/// The keyed digest that stands for an address in the outbox.
pub fn recipient_digest(secret: &ServerSecret, email: &str) -> String {
    secret.sign_hex(format!("mail recipient\0{}", email.trim().to_lowercase()).as_bytes())
}

/// Queues `mail` in `conn` (a transaction, where the change that causes the mail has one). Call
/// [`Outbox::wake`] after the commit, or use [`send`].
pub async fn queue(
    app: &AppState,
    conn: &impl ConnectionTrait,
    user_id: Option<i64>,
    mail: &Mail,
) -> Result<i64, Error> {
    insert(app, conn, user_id, None, mail).await
}

/// Queues one mail of product update `update_id` (see [`super::updates`]).
pub(super) async fn insert(
    app: &AppState,
    conn: &impl ConnectionTrait,
    user_id: Option<i64>,
    update_id: Option<i64>,
    mail: &Mail,
) -> Result<i64, Error> {
    let recipient = recipient_digest(&app.secret, &mail.to);
    let body = app.outbox.seal(mail, &recipient)?;
    let now = app.clock.now();
    let row = mail_outbox::ActiveModel {
        user_id: Set(user_id),
        update_id: Set(update_id),
        kind: Set(mail.kind.to_string()),
        recipient: Set(recipient),
        body: Set(Some(body)),
        status: Set(status::QUEUED.to_string()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let id = mail_outbox::Entity::insert(row)
        .exec(conn)
        .await?
        .last_insert_id;
    tracing::debug!(kind = %mail.kind, id, "mail queued");
    Ok(id)
}

/// Queues `mail` on its own and wakes the sender: for mail that no database change causes.
pub async fn send(app: &AppState, user_id: Option<i64>, mail: Mail) -> Result<(), Error> {
    queue(app, &app.db, user_id, &mail).await?;
    app.outbox.wake(app);
    Ok(())
}

/// The rows due now (queued and due, or claimed by a sender whose claim lapsed), oldest first.
pub(super) async fn due(app: &AppState, limit: u64) -> Result<Vec<mail_outbox::Model>, Error> {
    Ok(mail_outbox::Entity::find()
        .filter(mail_outbox::Column::Status.is_in([status::QUEUED, status::SENDING]))
        .filter(mail_outbox::Column::NextAttemptAt.lte(app.clock.now()))
        .order_by_asc(mail_outbox::Column::NextAttemptAt)
        .order_by_asc(mail_outbox::Column::Id)
        .limit(limit)
        .all(&app.db)
        .await?)
}

/// Claims `row` for this sender until [`CLAIM`] from now, counting an attempt. `false` when
/// another sender changed the row first (the update matches only the state that was read).
pub(super) async fn claim(app: &AppState, row: &mail_outbox::Model) -> Result<bool, Error> {
    let now = app.clock.now();
    let result = mail_outbox::Entity::update_many()
        .col_expr(mail_outbox::Column::Status, Expr::value(status::SENDING))
        .col_expr(mail_outbox::Column::Attempts, Expr::value(row.attempts + 1))
        .col_expr(mail_outbox::Column::NextAttemptAt, Expr::value(now + CLAIM))
        .col_expr(mail_outbox::Column::UpdatedAt, Expr::value(now))
        .filter(mail_outbox::Column::Id.eq(row.id))
        .filter(mail_outbox::Column::Status.eq(row.status.as_str()))
        .filter(mail_outbox::Column::Attempts.eq(row.attempts))
        .filter(mail_outbox::Column::NextAttemptAt.eq(row.next_attempt_at))
        .exec(&app.db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Puts a due row back a minute without counting an attempt (its address had enough for now).
pub(super) async fn defer(app: &AppState, row: &mail_outbox::Model) -> Result<(), Error> {
    mail_outbox::Entity::update_many()
        .col_expr(
            mail_outbox::Column::NextAttemptAt,
            Expr::value(app.clock.now() + Duration::minutes(1)),
        )
        .filter(mail_outbox::Column::Id.eq(row.id))
        .filter(mail_outbox::Column::Status.eq(row.status.as_str()))
        .filter(mail_outbox::Column::NextAttemptAt.eq(row.next_attempt_at))
        .exec(&app.db)
        .await?;
    Ok(())
}

/// Marks a claimed row delivered and wipes its body.
pub(super) async fn mark_sent(app: &AppState, id: i64) -> Result<(), Error> {
    mail_outbox::Entity::update_many()
        .col_expr(mail_outbox::Column::Status, Expr::value(status::SENT))
        .col_expr(
            mail_outbox::Column::Body,
            Expr::value(Option::<Vec<u8>>::None),
        )
        .col_expr(
            mail_outbox::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .col_expr(mail_outbox::Column::UpdatedAt, Expr::value(app.clock.now()))
        .filter(mail_outbox::Column::Id.eq(id))
        .filter(mail_outbox::Column::Status.eq(status::SENDING))
        .exec(&app.db)
        .await?;
    Ok(())
}

/// Records a failed attempt: back in the queue after the backoff, or given up (body wiped) after
/// [`MAX_ATTEMPTS`] or a permanent refusal. Returns whether it was given up.
pub(super) async fn mark_failed(
    app: &AppState,
    id: i64,
    attempts: i32,
    permanent: bool,
    reason: &str,
) -> Result<bool, Error> {
    let now = app.clock.now();
    let reason: String = reason.chars().take(200).collect();
    let give_up = permanent || attempts >= MAX_ATTEMPTS;
    let mut update = mail_outbox::Entity::update_many()
        .col_expr(mail_outbox::Column::LastError, Expr::value(Some(reason)))
        .col_expr(mail_outbox::Column::UpdatedAt, Expr::value(now));
    update = if give_up {
        update
            .col_expr(mail_outbox::Column::Status, Expr::value(status::FAILED))
            .col_expr(
                mail_outbox::Column::Body,
                Expr::value(Option::<Vec<u8>>::None),
            )
    } else {
        update
            .col_expr(mail_outbox::Column::Status, Expr::value(status::QUEUED))
            .col_expr(
                mail_outbox::Column::NextAttemptAt,
                Expr::value(now + backoff(attempts)),
            )
    };
    update
        .filter(mail_outbox::Column::Id.eq(id))
        .filter(mail_outbox::Column::Status.eq(status::SENDING))
        .exec(&app.db)
        .await?;
    Ok(give_up)
}

/// The wait after `attempts` failed attempts: 30 s, 1 min, 2 min, … at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(16);
    (FIRST_RETRY * 2i32.pow(doublings)).min(MAX_RETRY)
}

/// Deletes delivered rows after [`SENT_KEPT`] and given-up rows after [`FAILED_KEPT`]; returns how
/// many.
pub async fn purge(app: &AppState) -> Result<u64, Error> {
    let now = app.clock.now();
    let sent = mail_outbox::Entity::delete_many()
        .filter(mail_outbox::Column::Status.eq(status::SENT))
        .filter(mail_outbox::Column::UpdatedAt.lt(now - SENT_KEPT))
        .exec(&app.db)
        .await?
        .rows_affected;
    let failed = mail_outbox::Entity::delete_many()
        .filter(mail_outbox::Column::Status.eq(status::FAILED))
        .filter(mail_outbox::Column::UpdatedAt.lt(now - FAILED_KEPT))
        .exec(&app.db)
        .await?
        .rows_affected;
    Ok(sent + failed)
}

/// The rows of a person: their account's and any addressed to `email`.
fn of_person(app: &AppState, user_id: i64, email: &str) -> sea_orm::Condition {
    sea_orm::Condition::any()
        .add(mail_outbox::Column::UserId.eq(user_id))
        .add(mail_outbox::Column::Recipient.eq(recipient_digest(&app.secret, email)))
}

/// What the export shows of a person's outbox rows (metadata; the bodies are sealed and short-lived).
pub async fn for_person(
    app: &AppState,
    user_id: i64,
    email: &str,
) -> Result<Vec<mail_outbox::Model>, Error> {
    Ok(mail_outbox::Entity::find()
        .filter(of_person(app, user_id, email))
        .order_by_asc(mail_outbox::Column::Id)
        .all(&app.db)
        .await?)
}

/// Deletes a person's outbox rows (account deletion); returns how many.
pub async fn delete_for_person(
    app: &AppState,
    conn: &impl ConnectionTrait,
    user_id: i64,
    email: &str,
) -> Result<u64, Error> {
    Ok(mail_outbox::Entity::delete_many()
        .filter(of_person(app, user_id, email))
        .exec(conn)
        .await?
        .rows_affected)
}

/// The outbox as the staff page shows it: counts by state, and the given-up rows' kind, reason
/// and time (no address, no content).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Health {
    pub queued: u64,
    pub failed: u64,
    pub recent_failures: Vec<FailedMail>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedMail {
    pub kind: String,
    pub reason: String,
    pub attempts: i32,
    pub at: DateTime<Utc>,
}

pub async fn health(app: &AppState) -> Result<Health, Error> {
    let queued = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::Status.is_in([status::QUEUED, status::SENDING]))
        .count(&app.db)
        .await?;
    let failed_rows = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::Status.eq(status::FAILED))
        .order_by_desc(mail_outbox::Column::UpdatedAt)
        .limit(20)
        .all(&app.db)
        .await?;
    let failed = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::Status.eq(status::FAILED))
        .count(&app.db)
        .await?;
    Ok(Health {
        queued,
        failed,
        recent_failures: failed_rows
            .into_iter()
            .map(|row| FailedMail {
                kind: row.kind,
                reason: row.last_error.unwrap_or_default(),
                attempts: row.attempts,
                at: row.updated_at,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(4), Duration::seconds(240));
        assert_eq!(backoff(8), Duration::hours(1));
        assert_eq!(backoff(100), Duration::hours(1));
    }

    #[test]
    fn a_sealed_body_opens_only_in_its_own_row() {
        let outbox = Outbox::new(&ServerSecret::random());
        let mail = super::super::templates::password_changed(
            "ada@example.com",
            "Ada",
            "https://imgigo.test/forgot",
        );
        let body = outbox.seal(&mail, "digest-a").expect("sealed");
        let plain = String::from_utf8_lossy(&body);
        assert!(!plain.contains("ada@example.com") && !plain.contains("Hello"));
        let now = Utc::now();
        let mut row = mail_outbox::Model {
            id: 1,
            user_id: None,
            update_id: None,
            kind: "password_changed".into(),
            recipient: "digest-a".into(),
            body: Some(body),
            status: status::QUEUED.into(),
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            created_at: now,
            updated_at: now,
        };
        assert_eq!(outbox.open(&row), Some(mail));
        row.recipient = "digest-b".into();
        assert_eq!(outbox.open(&row), None, "moved to another recipient");
        row.recipient = "digest-a".into();
        assert!(
            Outbox::new(&ServerSecret::random()).open(&row).is_none(),
            "another secret"
        );
    }

    #[test]
    fn one_address_gets_at_most_ten_a_minute() {
        let outbox = Outbox::new(&ServerSecret::random());
        let now = Utc::now();
        for _ in 0..PER_RECIPIENT_PER_MINUTE {
            assert!(outbox.may_send_to("a", now));
            assert!(outbox.may_send_to("a", now), "asking counts nothing");
            outbox.count_sent_to("a", now);
        }
        assert!(!outbox.may_send_to("a", now));
        assert!(outbox.may_send_to("b", now), "others are not held up");
        assert!(outbox.may_send_to("a", now + Duration::seconds(61)));
    }
}
