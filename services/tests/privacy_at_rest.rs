//! What the server keeps at rest holds no more than it must (issue 13): session rows hold a hash of
//! the cookie's id, the file outbox is emptied after 7 days and of an erased account's mail, and a
//! role change leaves an audit row the person sees. On SQLite by default, PostgreSQL with
//! `IMGIGO_TEST_DATABASE=postgres`.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use entity::users::Role;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use services::accounts::registration::{self, Registration};
use services::accounts::roles;
use services::mail::{MailConfig, Mailer, templates};
use services::privacy::{audit, deletion, export};
use services::sessions::{self, DbSessionStore, Session};
use services::testing::AccountsHarness;

const PASSWORD: &str = "correct horse battery staple";

async fn verified_user(h: &AccountsHarness, email: &str) -> entity::users::Model {
    registration::register(
        &h.app,
        Registration {
            name: "Ada".into(),
            email: email.into(),
            password: PASSWORD.into(),
            age_confirmed: true,
            policy_accepted: true,
            marketing: false,
            analytics: false,
        },
        IpAddr::from([203, 0, 113, 21]),
    )
    .await
    .expect("register");
    let token = h.token("verify_email", email, 1).await;
    registration::verify_email(&h.app, &token)
        .await
        .expect("verify")
}

#[tokio::test]
async fn session_rows_hold_a_hash_of_the_cookie_id_and_the_cookie_still_works() {
    let h = AccountsHarness::new().await;
    let user = verified_user(&h, "ada@example.com").await;
    let store = DbSessionStore::of(&h.app);
    let session = Session::new(None, Arc::new(store.clone()), None);
    sessions::sign_in(&h.app, &session, &user, Some("Firefox/133.0"))
        .await
        .expect("sign in");
    session.save().await.expect("save");
    let cookie_id = session.id().expect("an id after login");

    let rows = entity::sessions::Entity::find()
        .filter(entity::sessions::Column::UserId.eq(user.id))
        .all(&h.app.db)
        .await
        .expect("select");
    assert_eq!(rows.len(), 1);
    let stored = &rows[0].id;
    assert_ne!(
        stored,
        &cookie_id.to_string(),
        "the cookie's id is not stored"
    );
    assert!(
        !rows[0].data.contains(&cookie_id.to_string()),
        "nor is it in the data"
    );
    assert_eq!(stored.len(), 64, "SHA-256 in hex");
    assert!(stored.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(stored, &DbSessionStore::stored_id(&cookie_id));

    // The next request presents the cookie: the session loads from the hashed row.
    let again = Session::new(Some(cookie_id), Arc::new(store.clone()), None);
    assert_eq!(
        sessions::current_user(&h.app, &again)
            .await
            .expect("current")
            .map(|u| u.id),
        Some(user.id)
    );
    // Nothing is stored under the cookie's own id.
    assert!(
        entity::sessions::Entity::find_by_id(cookie_id.to_string())
            .one(&h.app.db)
            .await
            .expect("select")
            .is_none()
    );

    // Signing out deletes the hashed row.
    sessions::sign_out(&again).await.expect("sign out");
    assert!(
        entity::sessions::Entity::find_by_id(stored.clone())
            .one(&h.app.db)
            .await
            .expect("select")
            .is_none()
    );
}

/// `app` writing mail to `dir` instead of memory.
fn with_outbox(app: &services::AppState, dir: &Path) -> services::AppState {
    let mailer = Mailer::from_config(&MailConfig {
        smtp_url: None,
        from: "imgigo <no-reply@imgigo.test>".into(),
        outbox_dir: dir.to_path_buf(),
        smtp_ca_file: None,
        unsubscribe_mailto: None,
        dkim: None,
    })
    .expect("outbox mailer");
    app.clone().with_mailer(mailer)
}

/// The outbox's mail files and their contents.
fn outbox(dir: &Path) -> Vec<(std::path::PathBuf, String)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("read");
            (path, text)
        })
        .collect();
    files.sort();
    files
}

fn age(path: &Path, by: Duration) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open")
        .set_modified(SystemTime::now() - by)
        .expect("set mtime");
}

#[tokio::test]
async fn the_retention_job_deletes_outbox_mail_older_than_seven_days() {
    let h = AccountsHarness::new().await;
    let dir = tempfile::tempdir().expect("dir");
    let app = with_outbox(&h.app, dir.path());
    let (old, fresh) = ("old@example.com", "fresh@example.com");
    for to in [old, fresh] {
        app.mailer
            .send(templates::password_changed(
                to,
                "Someone",
                "https://imgigo.test/forgot",
            ))
            .await
            .expect("to the outbox");
    }
    let files = outbox(dir.path());
    assert_eq!(files.len(), 2);
    for (path, text) in &files {
        if text.contains(old) {
            age(path, Duration::from_secs(8 * 24 * 3600));
        } else {
            // Six days and 23 hours: not due yet.
            age(path, Duration::from_secs(7 * 24 * 3600 - 3600));
        }
    }

    let purged = services::jobs::purge_accounts(&app).await.expect("purge");
    assert_eq!(purged.outbox_mail, 1);
    let left = outbox(dir.path());
    assert_eq!(left.len(), 1);
    assert!(left[0].1.contains(fresh), "the recent mail stays");

    // A week later by the server's clock, the other one is due too.
    h.clock.advance(chrono::TimeDelta::hours(2));
    let purged = services::jobs::purge_accounts(&app).await.expect("purge");
    assert_eq!(purged.outbox_mail, 1);
    assert!(outbox(dir.path()).is_empty());
}

#[tokio::test]
async fn deleting_an_account_deletes_its_outbox_mail_but_delivers_the_confirmation() {
    let h = AccountsHarness::new().await;
    let user = verified_user(&h, "ada@example.com").await;
    let dir = tempfile::tempdir().expect("dir");
    let app = with_outbox(&h.app, dir.path());
    for to in [user.email.as_str(), "other@example.com", "ADA@example.com"] {
        app.mailer
            .send(templates::password_changed(
                to,
                "Ada",
                "https://imgigo.test/forgot",
            ))
            .await
            .expect("to the outbox");
    }
    assert_eq!(outbox(dir.path()).len(), 3);

    deletion::delete_account(&app, &user, PASSWORD, true)
        .await
        .expect("delete");

    // The confirmation is sent in the background: wait for it.
    let mut files = Vec::new();
    for _ in 0..300 {
        files = outbox(dir.path());
        if files
            .iter()
            .any(|(_, text)| text.contains("Your imgigo account was deleted"))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let to_ada: Vec<_> = files
        .iter()
        .filter(|(_, text)| text.to_ascii_lowercase().contains("to: ada@example.com"))
        .collect();
    assert_eq!(to_ada.len(), 1, "only the confirmation is left: {files:?}");
    assert!(to_ada[0].1.contains("Your imgigo account was deleted"));
    assert!(
        files
            .iter()
            .any(|(_, text)| text.contains("To: other@example.com")),
        "another person's mail stays"
    );
    assert_eq!(files.len(), 2);
}

#[tokio::test]
async fn a_role_change_is_audited_for_the_person_and_in_their_export() {
    let h = AccountsHarness::new().await;
    let user = verified_user(&h, "ada@example.com").await;
    let admin = roles::create_admin(&h.app, "Root", "root@example.com", PASSWORD)
        .await
        .expect("admin");
    roles::set_role(&h.app, &admin, "ada@example.com", Role::Support)
        .await
        .expect("support");
    // Giving the role it has already changes nothing and is not recorded again.
    roles::set_role(&h.app, &admin, "ada@example.com", Role::Support)
        .await
        .expect("again");
    roles::set_role(&h.app, &admin, "ada@example.com", Role::User)
        .await
        .expect("back");

    let rows = audit::for_subject(&h.app, user.id).await.expect("audit");
    let actions: Vec<&str> = rows.iter().map(|row| row.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "role changed to user by an admin",
            "role changed to support by an admin"
        ]
    );
    assert!(rows.iter().all(|row| row.staff_role == "admin"));
    assert!(
        audit::for_subject(&h.app, admin.id)
            .await
            .expect("audit")
            .is_empty(),
        "the rows are the changed account's, not the admin's"
    );
    let user = services::accounts::find_by_id(&h.app, user.id)
        .await
        .expect("find")
        .expect("user");
    let dump =
        serde_json::to_string(&export::export(&h.app, &user).await.expect("export")).expect("json");
    assert!(
        dump.contains("role changed to support by an admin"),
        "{dump}"
    );
}
