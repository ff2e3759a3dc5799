//! The privacy rights on a real database (SQLite, and PostgreSQL with IMGIGO_TEST_DATABASE=postgres):
//! the export covers every table of the schema, deletion leaves no row naming the person, restriction
//! pauses API keys, staff access is audited and shown to the person.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::TimeDelta;
use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, JsonValue, QueryFilter, Statement};
use services::accounts::registration::{self, Registration};
use services::accounts::{api_keys, recovery};
use services::privacy::requests::{self, NewRequest};
use services::privacy::{audit, deletion, export, restriction};
use services::sessions::{self, DbSessionStore, Session};
use services::testing::AccountsHarness;
use services::{AppState, ErrorKind};

const PASSWORD: &str = "correct horse battery staple";

type Harness = AccountsHarness;

async fn harness() -> Harness {
    AccountsHarness::new().await
}

/// What these tests add to the shared harness.
trait Helpers {
    async fn full_account(&self, email: &str) -> entity::users::Model;
}

impl Helpers for Harness {
    /// An account with a row in every table: consents, a session, a pending link, an API key, an
    /// audit row.
    async fn full_account(&self, email: &str) -> entity::users::Model {
        let ip = IpAddr::from([203, 0, 113, 9]);
        registration::register(
            &self.app,
            Registration {
                name: "Ada".into(),
                email: email.into(),
                password: PASSWORD.into(),
                age_confirmed: true,
                policy_accepted: true,
                marketing: true,
                analytics: false,
            },
            ip,
        )
        .await
        .expect("register");
        let token = self.token("verify_email", email, 1).await;
        let user = registration::verify_email(&self.app, &token)
            .await
            .expect("verify");
        let session = Session::new(None, Arc::new(DbSessionStore::of(&self.app)), None);
        sessions::sign_in(&self.app, &session, &user, Some("Firefox/133.0"))
            .await
            .expect("sign in");
        session.save().await.expect("save");
        recovery::request_reset(&self.app, email, ip)
            .await
            .expect("a pending link");
        self.token("password_reset", email, 1).await;
        api_keys::create(&self.app, &user, "script")
            .await
            .expect("key");
        let admin = services::accounts::roles::create_admin(
            &self.app,
            "Root",
            &format!(
                "admin-{}@staff.test",
                email.split('@').next().unwrap_or("x")
            ),
            PASSWORD,
        )
        .await
        .expect("admin");
        requests::submit(
            &self.app,
            Some(&user),
            NewRequest {
                kind: "other".into(),
                message: "Which data centre holds my account?".into(),
                ..Default::default()
            },
            ip,
        )
        .await
        .expect("a request while signed in");
        requests::submit(
            &self.app,
            None,
            NewRequest {
                email: email.into(),
                kind: "access".into(),
                message: "Sent without logging in.".into(),
            },
            IpAddr::from([203, 0, 113, 77]),
        )
        .await
        .expect("a request by address");
        services::accounts::results::record(
            &self.app,
            user.id,
            &format!("made-with-the-key-of-{email}"),
            self.app.clock.now() + TimeDelta::days(7),
        )
        .await
        .expect("a result made with the key");
        audit::record(&self.app, &admin, user.id, "read the account's request")
            .await
            .expect("audit");
        services::credits::ledger::grant(
            &self.app.db,
            user.id,
            services::credits::Bucket::Payg,
            1000,
            "stripe_checkout",
            &format!("cs_for_{email}"),
            0,
            self.app.clock.now(),
        )
        .await
        .expect("credits bought");
        // A plan that has ended (an active one would be cancelled at Stripe on deletion).
        let subscription = format!("sub_for_{email}");
        services::billing::plans::subscribed(
            &self.app,
            user.id,
            "pro",
            &subscription,
            &format!("cus_for_{email}"),
            &format!("cs_plan_for_{email}"),
        )
        .await
        .expect("a plan");
        services::billing::plans::ended(&self.app, &subscription)
            .await
            .expect("the plan ended");
        user
    }
}

/// The export as the download serves it: JSON.
async fn exported(app: &AppState, user: &entity::users::Model) -> JsonValue {
    serde_json::to_value(export::export(app, user).await.expect("export")).expect("json")
}

/// Every row of every table, as JSON objects.
async fn all_rows(app: &AppState) -> Vec<(String, JsonValue)> {
    let backend = app.db.get_database_backend();
    let mut rows = Vec::new();
    for table in services::db::table_names(&app.db).await.expect("tables") {
        let found = JsonValue::find_by_statement(Statement::from_string(
            backend,
            format!("SELECT * FROM \"{table}\""),
        ))
        .all(&app.db)
        .await
        .expect("select");
        rows.extend(found.into_iter().map(|row| (table.clone(), row)));
    }
    rows
}

#[tokio::test]
async fn the_export_holds_a_row_from_every_table_of_the_schema() {
    let h = harness().await;
    let user = h.full_account("ada@example.com").await;
    let document = exported(&h.app, &user).await;
    assert_eq!(document["schema"], export::SCHEMA);
    let tables = services::db::table_names(&h.app.db).await.expect("tables");
    assert!(tables.len() >= 6, "{tables:?}");
    // Tables about no one: the ids and types of the Stripe events already applied, and the
    // product updates sent (subject, count; who sent one is in the audit log), the days the daily
    // jobs ran.
    const NOT_PERSONAL: [&str; 5] = [
        "analytics_daily",
        "analytics_visitors",
        "job_runs",
        "product_updates",
        "stripe_events",
    ];
    for table in tables
        .iter()
        .filter(|t| !NOT_PERSONAL.contains(&t.as_str()))
    {
        let section = &document[table.as_str()];
        let filled = match section {
            JsonValue::Array(rows) => !rows.is_empty(),
            JsonValue::Object(fields) => !fields.is_empty(),
            _ => false,
        };
        assert!(
            filled,
            "the export has no rows from table `{table}`: add it to privacy/export.rs"
        );
    }
    assert_eq!(document["users"]["email"], "ada@example.com");
    let text = document.to_string();
    assert!(!text.contains("argon2"), "no password hash");
    assert!(
        !text.contains("key_hash") && !text.contains("token_hash"),
        "no digests"
    );
    assert_eq!(document["consents"].as_array().map(Vec::len), Some(3));
    assert_eq!(document["sessions"][0]["browser"], "Firefox");
    assert_eq!(document["audit_log"][0]["staff_role"], "admin");
}

#[tokio::test]
async fn deletion_needs_the_password_and_leaves_no_row_naming_the_person() {
    let h = harness().await;
    let user = h.full_account("ada@example.com").await;
    let other = h.full_account("bob@example.com").await;

    let err = deletion::delete_account(&h.app, &user, PASSWORD, false)
        .await
        .expect_err("unconfirmed");
    assert_eq!(err.kind(), ErrorKind::Invalid);
    let err = deletion::delete_account(&h.app, &user, "wrong password", true)
        .await
        .expect_err("password");
    assert_eq!(err.kind(), ErrorKind::Invalid);

    // Mail to the address queued without the account (as a request sent signed out is) is the
    // person's too.
    services::mail::queue(
        &h.app,
        &h.app.db,
        None,
        &services::mail::templates::password_changed(
            "ada@example.com",
            "Ada",
            "https://imgigo.test/forgot",
        ),
    )
    .await
    .expect("queued");
    deletion::delete_account(&h.app, &user, PASSWORD, true)
        .await
        .expect("delete");
    h.mail("account_deleted", "ada@example.com", 1).await;
    let digest = services::mail::outbox::recipient_digest(&h.app.secret, "ada@example.com");
    let kinds: Vec<String> = entity::mail_outbox::Entity::find()
        .filter(entity::mail_outbox::Column::Recipient.eq(digest))
        .all(&h.app.db)
        .await
        .expect("outbox")
        .into_iter()
        .map(|row| row.kind)
        .collect();
    assert_eq!(kinds, ["account_deleted"], "only the confirmation's row");

    let id = user.id;
    let id_columns = ["user_id", "subject_id"];
    for (table, row) in all_rows(&h.app).await {
        let text = row.to_string();
        assert!(
            !text.contains("ada@example.com"),
            "{table} still names the email: {text}"
        );
        for column in id_columns {
            assert_ne!(
                row.get(column).and_then(JsonValue::as_i64),
                Some(id),
                "{table}.{column}: {text}"
            );
        }
        if table == "users" {
            assert_ne!(
                row.get("id").and_then(JsonValue::as_i64),
                Some(id),
                "the users row"
            );
        }
    }
    // The other account is untouched.
    let left = exported(&h.app, &other).await;
    assert_eq!(left["api_keys"].as_array().map(Vec::len), Some(1));
    assert!(
        services::accounts::login::authenticate(
            &h.app,
            "ada@example.com",
            PASSWORD,
            IpAddr::from([198, 51, 100, 1])
        )
        .await
        .is_err()
    );
}

#[tokio::test]
async fn restriction_pauses_api_keys_until_lifted() {
    let h = harness().await;
    let user = h.full_account("ada@example.com").await;
    let created = api_keys::create(&h.app, &user, "second")
        .await
        .expect("key");
    api_keys::authenticate(&h.app, &created.secret)
        .await
        .expect("works");

    let user = restriction::set_restricted(&h.app, &user, true)
        .await
        .expect("restrict");
    assert!(user.restricted_at.is_some());
    let refused = api_keys::authenticate(&h.app, &created.secret)
        .await
        .expect_err("paused");
    assert_eq!(refused.kind(), ErrorKind::Forbidden);
    assert!(refused.public_message().contains("restricted"), "{refused}");
    assert_eq!(
        api_keys::create(&h.app, &user, "third")
            .await
            .err()
            .map(|e| e.kind()),
        Some(ErrorKind::Forbidden)
    );
    let document = exported(&h.app, &user).await;
    assert!(!document["users"]["restricted_at"].is_null());

    let user = restriction::set_restricted(&h.app, &user, false)
        .await
        .expect("lift");
    assert!(user.restricted_at.is_none());
    api_keys::authenticate(&h.app, &created.secret)
        .await
        .expect("works again");
}

#[tokio::test]
async fn the_retention_jobs_remove_expired_links_and_unconfirmed_accounts_and_count_them() {
    let h = harness().await;
    h.full_account("kept@example.com").await;
    registration::register(
        &h.app,
        Registration {
            name: "Never".into(),
            email: "never@example.com".into(),
            password: PASSWORD.into(),
            age_confirmed: true,
            policy_accepted: true,
            marketing: false,
            analytics: false,
        },
        IpAddr::from([203, 0, 113, 10]),
    )
    .await
    .expect("register");
    h.token("verify_email", "never@example.com", 1).await;
    assert_eq!(
        services::jobs::purge_accounts(&h.app).await.expect("purge"),
        services::jobs::Purged::default(),
        "nothing is due yet"
    );
    h.clock.advance(TimeDelta::days(8));
    let purged = services::jobs::purge_accounts(&h.app).await.expect("purge");
    assert_eq!(purged.unconfirmed_accounts, 1);
    // The kept account's reset link (60 min) and the unconfirmed one's verification link (48 h,
    // gone with its account) are both expired now.
    assert_eq!(purged.links, 1);
    let tables = all_rows(&h.app).await;
    assert!(
        tables
            .iter()
            .all(|(_, row)| !row.to_string().contains("never@example.com"))
    );
}

fn request(kind: &str, email: &str, message: &str) -> NewRequest {
    NewRequest {
        email: email.into(),
        kind: kind.into(),
        message: message.into(),
    }
}

#[tokio::test]
async fn requests_get_a_deadline_a_queue_with_overdue_first_and_an_audited_answer() {
    let h = harness().await;
    let ip = IpAddr::from([192, 0, 2, 1]);
    let user = h.full_account("ada@example.com").await;
    let admin =
        services::accounts::roles::create_admin(&h.app, "Root", "root@staff.test", PASSWORD)
            .await
            .expect("admin");

    let bad = requests::submit(&h.app, None, request("nonsense", "x@example.com", "hi"), ip)
        .await
        .expect_err("unknown kind");
    assert_eq!(bad.kind(), ErrorKind::Invalid);
    let empty = requests::submit(&h.app, None, request("other", "x@example.com", "  "), ip)
        .await
        .expect_err("empty message");
    assert_eq!(empty.kind(), ErrorKind::Invalid);

    let early = requests::submit(
        &h.app,
        None,
        request(
            "deletion",
            "Someone@Example.com",
            "Please delete what you hold about me.",
        ),
        ip,
    )
    .await
    .expect("anonymous request");
    assert_eq!(early.email, "someone@example.com");
    assert_eq!(early.due_at - early.created_at, requests::ANSWER_WITHIN);
    let mail = h.mail("request_received", "someone@example.com", 1).await;
    assert!(mail.subject.contains(&format!("#{}", early.id)));
    h.clock.advance(TimeDelta::days(31));
    let late = requests::submit(
        &h.app,
        Some(&user),
        request("correction", "", "My name is misspelt."),
        ip,
    )
    .await
    .expect("signed-in request");
    assert_eq!(late.email, "ada@example.com", "the account's address");

    assert_eq!(
        requests::queue(&h.app, &user)
            .await
            .expect_err("not staff")
            .kind(),
        ErrorKind::Forbidden
    );
    let queue = requests::queue(&h.app, &admin).await.expect("queue");
    let seen = audit::for_subject(&h.app, user.id).await.expect("audit");
    assert!(
        seen.iter()
            .any(|row| row.action
                == format!("saw your privacy request #{} in the staff queue", late.id)),
        "looking at the queue is audited for the account's requests"
    );
    let dues: Vec<_> = queue.iter().map(|r| r.due_at).collect();
    assert!(
        dues.windows(2).all(|w| w[0] <= w[1]),
        "by deadline, overdue first"
    );
    assert!(queue.iter().any(|r| r.id == early.id));
    assert!(requests::overdue(&h.app, &queue[0]), "past 30 days");
    assert!(!requests::overdue(
        &h.app,
        queue.iter().find(|r| r.id == late.id).expect("late")
    ));

    let answered = requests::answer(
        &h.app,
        &admin,
        late.id,
        "Fixed: use the Name field any time.",
        true,
    )
    .await
    .expect("answer");
    assert!(answered.closed_at.is_some());
    let mail = h.mail("request_answered", "ada@example.com", 1).await;
    assert!(mail.text.contains("Fixed: use the Name field any time."));
    let audit_rows = audit::for_subject(&h.app, user.id).await.expect("audit");
    assert!(
        audit_rows
            .iter()
            .any(|row| row.action == format!("answered your privacy request #{}", late.id))
    );
    let mine = requests::for_user(&h.app, &user).await.expect("mine");
    assert!(mine.iter().any(|r| r.id == late.id && r.response.is_some()));

    h.clock.advance(TimeDelta::days(366));
    assert_eq!(
        requests::purge_closed(&h.app).await.expect("purge"),
        1,
        "closed a year ago"
    );
    assert!(
        requests::for_user(&h.app, &user)
            .await
            .expect("mine")
            .iter()
            .all(|r| r.id != late.id)
    );
}

#[tokio::test]
async fn deletion_destroys_the_accounts_results_even_without_a_model() {
    let h = harness().await;
    // The store is there (as `AppState::init` opens it), the model is not: no cutout service.
    let dir = tempfile::tempdir().expect("temp");
    let store = Arc::new(
        services::results::ResultStore::open(
            dir.path(),
            services::results::StoreLimits::default(),
            h.clock.clone(),
        )
        .expect("store"),
    );
    let app = h.app.clone().with_results(store.clone());
    assert!(app.cutouts().is_none(), "no model loaded");
    let user = h.full_account("ada-results@example.test").await;
    let (id, key) = store.put("image/png", b"a cutout").expect("put");
    let (other, other_key) = store.put("image/png", b"someone else's").expect("put");
    services::accounts::results::record(
        &app,
        user.id,
        id.as_str(),
        services::clock::Clock::now(&*h.clock) + TimeDelta::days(7),
    )
    .await
    .expect("record");
    deletion::delete_account(&app, &user, PASSWORD, true)
        .await
        .expect("delete");
    assert_eq!(
        store.get(&id, &key).err().map(|err| err.kind()),
        Some(ErrorKind::NotFound),
        "the account's result is destroyed"
    );
    assert!(
        store.get(&other, &other_key).is_ok(),
        "others' results stay"
    );
}

#[tokio::test]
async fn staff_get_one_digest_a_day_of_requests_due_within_a_week_or_overdue() {
    let h = harness().await;
    let admin =
        services::accounts::roles::create_admin(&h.app, "Root", "root@staff.test", PASSWORD)
            .await
            .expect("admin");
    let ip = |n: u8| IpAddr::from([192, 0, 2, n]);
    let submit = async |n: u8, email: &str| {
        requests::submit(
            &h.app,
            None,
            request("access", email, "What do you hold?"),
            ip(n),
        )
        .await
        .expect("request")
    };
    // Nothing due: no mail.
    let closed = submit(1, "closed@example.com").await;
    requests::answer(&h.app, &admin, closed.id, "Nothing.", true)
        .await
        .expect("closed");
    assert_eq!(
        services::privacy::reminders::daily_digest(&h.app)
            .await
            .expect("digest"),
        0
    );
    let late = submit(2, "late@example.com").await;
    h.clock.advance(TimeDelta::days(5));
    let soon = submit(3, "soon@example.com").await;
    h.clock.advance(TimeDelta::days(28));
    let fresh = submit(4, "fresh@example.com").await;

    // A new day: one mail per staff account, listing the overdue and the nearly due only.
    assert_eq!(
        services::privacy::reminders::daily_digest(&h.app)
            .await
            .expect("digest"),
        1
    );
    let digest = h.mail("privacy_digest", "root@staff.test", 1).await;
    assert_eq!(digest.subject, "Privacy requests due: 2 (1 overdue)");
    assert!(
        digest
            .text
            .contains(&format!("#{} access (open), due", late.id))
    );
    assert!(digest.text.contains("— overdue"));
    assert!(digest.text.contains(&format!("#{} access (open)", soon.id)));
    assert!(!digest.text.contains(&format!("#{} ", fresh.id)));
    assert!(!digest.text.contains(&format!("#{} ", closed.id)));
    assert!(
        !digest.text.contains("@example.com") && !digest.text.contains("What do you hold"),
        "no requester's address or message: {}",
        digest.text
    );
    assert!(digest.text.contains("https://imgigo.test/staff"));
    assert!(digest.unsubscribe.is_none(), "work mail, not marketing");
    // Once a day.
    assert_eq!(
        services::privacy::reminders::daily_digest(&h.app)
            .await
            .expect("digest"),
        0
    );
    h.clock.advance(TimeDelta::days(1));
    assert_eq!(
        services::privacy::reminders::daily_digest(&h.app)
            .await
            .expect("digest"),
        1
    );
}

/// Requests from outside the privacy centre: an admin finds the account by any spelling of its
/// address (the person sees the lookup in their audit log), then deletes it for a verified request
/// with the usual erasure and confirmation mail, the reason kept in the admin's own audit log.
/// Support staff can do neither; an admin cannot delete themself or another admin here.
#[tokio::test]
async fn an_admin_finds_an_account_by_email_audited_and_deletes_it_for_a_verified_request() {
    use services::privacy::staff;
    let h = harness().await;
    let user = h.full_account("ada@example.com").await;
    let admin =
        services::accounts::roles::create_admin(&h.app, "Chief", "chief@staff.test", PASSWORD)
            .await
            .expect("admin");
    let support =
        services::accounts::roles::create_admin(&h.app, "Helper", "helper@staff.test", PASSWORD)
            .await
            .expect("account");
    let support = services::accounts::roles::set_role(
        &h.app,
        &admin,
        &support.email,
        services::accounts::Role::Support,
    )
    .await
    .expect("support");

    let err = staff::find_account(&h.app, &support, "ada@example.com")
        .await
        .expect_err("support cannot look accounts up");
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert!(
        staff::find_account(&h.app, &admin, "nobody@example.com")
            .await
            .expect("lookup")
            .is_none()
    );
    let before = audit::for_subject(&h.app, user.id)
        .await
        .expect("audit")
        .len();
    let found = staff::find_account(&h.app, &admin, "  ADA@Example.com ")
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(
        (found.id, found.email.as_str()),
        (user.id, "ada@example.com")
    );
    assert!(found.confirmed && !found.restricted);
    assert_eq!(found.live_api_keys, 1);
    let log = audit::for_subject(&h.app, user.id).await.expect("audit");
    assert_eq!(log.len(), before + 1);
    assert!(
        log[0].action.contains("looked up your account"),
        "{:?}",
        log[0]
    );
    assert_eq!(log[0].staff_role, "admin");

    for (who, id, reason, confirmed) in [
        (&support, user.id, "verified", true),
        (&admin, user.id, "  ", true),
        (&admin, user.id, "verified by mail", false),
        (&admin, admin.id, "verified by mail", true),
    ] {
        staff::delete_for_request(&h.app, who, id, reason, confirmed)
            .await
            .expect_err("refused");
    }
    let err = staff::delete_for_request(&h.app, &admin, 999_999, "verified by mail", true)
        .await
        .expect_err("no such account");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    staff::delete_for_request(
        &h.app,
        &admin,
        user.id,
        "mail of 3 Dec to the privacy address, identity checked",
        true,
    )
    .await
    .expect("deleted");
    h.mail("account_deleted", "ada@example.com", 1).await;
    assert!(
        services::accounts::find_by_email(&h.app.db, "ada@example.com")
            .await
            .expect("lookup")
            .is_none()
    );
    let own = audit::for_subject(&h.app, admin.id).await.expect("audit");
    assert!(
        own.iter().any(|row| row.action
            == format!(
                "deleted account #{} for a verified request: mail of 3 Dec to the privacy address, identity checked",
                user.id
            )),
        "{own:?}"
    );
    for (table, row) in all_rows(&h.app).await {
        assert!(
            !row.to_string().contains("ada@example.com"),
            "{table} still names the email"
        );
    }
}
