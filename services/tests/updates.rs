//! Product updates and one-click unsubscribe, over a real SMTP server (aiosmtpd) and the database
//! this run asked for: an update reaches only the opted-in, confirmed, unrestricted accounts of a
//! mixed population; its mail carries RFC 8058 headers and a visible link in both parts, which
//! transactional mail never does; the link unsubscribes once, survives a new address, and a forged
//! or expired one changes nothing.

use std::sync::Arc;

use chrono::TimeDelta;
use entity::consents::{Method, Purpose};
use entity::{consents, mail_outbox, users};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use services::AppState;
use services::accounts::Role;
use services::clock::{Clock, ManualClock};
use services::mail::{self, sender, unsubscribe, updates};
use services::privacy::consent;
use services::testing::{SmtpSink, TestDatabase, smtp_node};

async fn node(db: &TestDatabase, smtp_port: u16, clock: &Arc<ManualClock>) -> AppState {
    smtp_node(
        db,
        smtp_port,
        clock,
        &[("IMGIGO_UNSUBSCRIBE_MAILTO", "unsubscribe@imgigo.test")],
    )
    .await
}

/// An account as the test needs it; `choices` are its product-update answers, oldest first.
async fn person(
    app: &AppState,
    email: &str,
    role: Role,
    verified: bool,
    restricted: bool,
    choices: &[bool],
) -> users::Model {
    let now = app.clock.now();
    let user = users::ActiveModel {
        name: Set(email.split('@').next().unwrap_or("x").to_string()),
        email: Set(email.to_string()),
        password_hash: Set("not a hash".into()),
        role: Set(role),
        created_at: Set(now),
        updated_at: Set(now),
        email_verified_at: Set(verified.then_some(now)),
        sessions_revoked_at: Set(None),
        restricted_at: Set(restricted.then_some(now)),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("user");
    for (n, granted) in choices.iter().enumerate() {
        let method = if n == 0 {
            Method::Signup
        } else {
            Method::Settings
        };
        consent::record(
            &app.db,
            "v1",
            user.id,
            Purpose::Marketing,
            *granted,
            method,
            now,
        )
        .await
        .expect("consent");
    }
    user
}

fn unfold(raw: &str) -> String {
    raw.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
        .replace("\r\n ", " ")
        .replace("\r\n\t", " ")
}

/// A header's value, unfolded (RFC 5322: a line break before white space is removed).
fn header(raw: &str, name: &str) -> Option<String> {
    let raw = raw.replace("\r\n", "\n");
    raw.split("\n\n")
        .next()?
        .replace("\n ", " ")
        .replace("\n\t", "\t")
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name}: ")).map(str::to_string))
}

#[tokio::test]
async fn an_update_reaches_only_opted_in_confirmed_unrestricted_accounts_with_one_click_headers() {
    let db = TestDatabase::new().await;
    let clock = ManualClock::new();
    let sink = SmtpSink::start();
    let app = node(&db, sink.port, &clock).await;
    let admin = person(&app, "root@example.com", Role::Admin, true, false, &[false]).await;
    let ada = person(&app, "ada@example.com", Role::User, true, false, &[true]).await;
    person(
        &app,
        "unconfirmed@example.com",
        Role::User,
        false,
        false,
        &[true],
    )
    .await;
    person(
        &app,
        "restricted@example.com",
        Role::User,
        true,
        true,
        &[true],
    )
    .await;
    person(&app, "never@example.com", Role::User, true, false, &[false]).await;
    person(
        &app,
        "withdrew@example.com",
        Role::User,
        true,
        false,
        &[true, false],
    )
    .await;
    let fay = person(
        &app,
        "later@example.com",
        Role::User,
        true,
        false,
        &[false, true],
    )
    .await;
    person(&app, "silent@example.com", Role::User, true, false, &[]).await;

    let audience: Vec<i64> = updates::audience(&app)
        .await
        .expect("audience")
        .iter()
        .map(|user| user.id)
        .collect();
    assert_eq!(audience, [ada.id, fay.id]);

    let draft = updates::Draft::new(
        "What's new in imgigo",
        "# Sharper hair\n\nEdges are **better**. See [the editor](https://imgigo.test/).\n\n<script>alert(1)</script>",
    )
    .expect("draft");
    // Only admins.
    let err = updates::send(&app, &ada, &draft)
        .await
        .expect_err("not an admin");
    assert_eq!(err.kind(), services::ErrorKind::Forbidden);
    let preview = updates::preview(&app, &admin, &draft)
        .await
        .expect("preview");
    assert_eq!(preview.recipients, 2);
    assert!(preview.html.contains("<strong>better</strong>") && !preview.html.contains("<script>"));

    let update = updates::send(&app, &admin, &draft).await.expect("sent");
    assert_eq!(update.recipients, 2);
    let rows = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::UpdateId.eq(update.id))
        .all(&app.db)
        .await
        .expect("rows");
    let mut row_users: Vec<Option<i64>> = rows.iter().map(|row| row.user_id).collect();
    row_users.sort();
    assert_eq!(row_users, [Some(ada.id), Some(fay.id)]);
    // Audited in the admin's own log.
    let audit = services::privacy::audit::for_subject(&app, admin.id)
        .await
        .expect("audit");
    assert!(
        audit[0]
            .action
            .contains(&format!("product update #{}", update.id))
    );

    // A transactional mail beside it.
    mail::queue(
        &app,
        &app.db,
        Some(ada.id),
        &mail::templates::password_changed("ada@example.com", "ada", "https://imgigo.test/forgot"),
    )
    .await
    .expect("queued");
    // The update woke this process's sender; the transactional mail goes on its next pass.
    app.outbox.wake(&app);
    for _ in 0..200 {
        let waiting = mail::outbox::health(&app).await.expect("health").queued;
        if waiting == 0 && sink.messages().len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(sender::deliver_due(&app).await.expect("a pass").sent, 0);
    let received = sink.messages();
    assert_eq!(received.len(), 3);
    let updates_received: Vec<&String> = received
        .iter()
        .filter(|raw| raw.contains("Subject: What's new in imgigo"))
        .collect();
    assert_eq!(updates_received.len(), 2);
    for raw in &updates_received {
        let list = header(raw, "List-Unsubscribe").expect("List-Unsubscribe");
        assert!(
            list.starts_with("<https://imgigo.test/mail/unsubscribe?t="),
            "{list}"
        );
        assert!(
            list.ends_with(", <mailto:unsubscribe@imgigo.test?subject=unsubscribe>"),
            "{list}"
        );
        assert_eq!(
            header(raw, "List-Unsubscribe-Post").as_deref(),
            Some("List-Unsubscribe=One-Click")
        );
        let url = list.trim_start_matches('<').split('>').next().expect("url");
        let text = unfold(raw);
        // Visible in both parts: the plain text and the HTML link.
        assert!(
            text.replace("\r\n", "\n").contains(&format!("\n{url}\n")),
            "{text}"
        );
        assert!(text.contains(&format!("href=\"{url}\"")), "{text}");
        // Raw HTML in the Markdown is text in the HTML part (the plain part is the Markdown).
        let html = text
            .split("Content-Type: text/html")
            .nth(1)
            .expect("an HTML part");
        assert!(
            !html.contains("<script>") && html.contains("&lt;script&gt;"),
            "{html}"
        );
    }
    // The two links differ: each names its own account.
    let links: Vec<String> = updates_received
        .iter()
        .filter_map(|raw| header(raw, "List-Unsubscribe"))
        .collect();
    assert_ne!(links[0], links[1]);
    let transactional = received
        .iter()
        .find(|raw| raw.contains("Subject: Your imgigo password was changed"))
        .expect("the transactional mail");
    assert_eq!(header(transactional, "List-Unsubscribe"), None);
    assert_eq!(header(transactional, "List-Unsubscribe-Post"), None);
    assert!(!unfold(transactional).contains("unsubscribe"));
    // Progress: nothing waiting.
    let sent = updates::sent(&app, &admin).await.expect("list");
    assert_eq!(
        (sent[0].id, sent[0].waiting, sent[0].failed),
        (update.id, 0, 0)
    );
}

#[tokio::test]
async fn the_link_unsubscribes_once_after_an_address_change_and_forged_or_expired_links_do_nothing()
{
    let db = TestDatabase::new().await;
    let clock = ManualClock::new();
    let sink = SmtpSink::start();
    let app = node(&db, sink.port, &clock).await;
    let ada = person(&app, "ada@example.com", Role::User, true, false, &[true]).await;
    let bob = person(&app, "bob@example.com", Role::User, true, false, &[true]).await;
    let link = unsubscribe::link(&app, ada.id, clock.now());
    let token = link.split("?t=").nth(1).expect("token").to_string();

    // The address changes after the mail went out: the link still works (it names the account).
    let mut changed: users::ActiveModel = ada.clone().into();
    changed.email = Set("ada.new@example.com".into());
    changed.update(&app.db).await.expect("new address");

    // Looking changes nothing.
    let looked = unsubscribe::look(&app, &token).await.expect("look");
    assert!(looked.subscribed);
    assert_eq!(looked.masked_email, "a•••@example.com");
    assert!(
        consent::current(&app.db, ada.id, Purpose::Marketing)
            .await
            .expect("current")
    );

    // Forged: another account's id under this signature, a changed signature, junk.
    let (payload, sig) = token.rsplit_once('.').expect("signed");
    let (_, expires) = payload.split_once('.').expect("payload");
    let mut other_sig = sig.to_string();
    other_sig.replace_range(0..1, if sig.starts_with('0') { "1" } else { "0" });
    for forged in [
        format!("{}.{expires}.{sig}", bob.id),
        format!("{payload}.{other_sig}"),
        "junk".to_string(),
        String::new(),
        format!("{payload}.{sig}{}", "0".repeat(200)),
    ] {
        let err = unsubscribe::unsubscribe(&app, &forged)
            .await
            .expect_err("forged");
        assert_eq!(err.kind(), services::ErrorKind::BadRequest);
    }
    assert!(
        consent::current(&app.db, bob.id, Purpose::Marketing)
            .await
            .expect("bob")
    );

    // The real link, twice: one consent row, method `unsubscribe`.
    for _ in 0..2 {
        let done = unsubscribe::unsubscribe(&app, &token)
            .await
            .expect("unsubscribed");
        assert!(!done.subscribed);
    }
    let rows = consents::Entity::find()
        .filter(consents::Column::UserId.eq(ada.id))
        .filter(consents::Column::Method.eq(Method::Unsubscribe))
        .all(&app.db)
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].granted);
    assert!(
        !consent::current(&app.db, ada.id, Purpose::Marketing)
            .await
            .expect("current")
    );
    assert!(
        updates::audience(&app)
            .await
            .expect("audience")
            .iter()
            .all(|u| u.id != ada.id)
    );

    // Expired: six months and a day later, bob's link from today changes nothing.
    let bobs = unsubscribe::link(&app, bob.id, clock.now());
    let bobs = bobs.split("?t=").nth(1).expect("token").to_string();
    clock.advance(unsubscribe::LIFETIME + TimeDelta::days(1));
    let err = unsubscribe::unsubscribe(&app, &bobs)
        .await
        .expect_err("expired");
    assert_eq!(err.kind(), services::ErrorKind::BadRequest);
    assert!(
        consent::current(&app.db, bob.id, Purpose::Marketing)
            .await
            .expect("bob")
    );
}
