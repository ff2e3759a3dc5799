//! Accounts on a real database (SQLite by default, PostgreSQL with `IMGIGO_TEST_DATABASE=postgres`):
//! every flow and every refusal — registration and consent rows, verification links (expired,
//! reused), login (wrong password, unverified, unknown address answered the same, lockout that
//! expires, per-IP throttling), password reset and change, email change, sessions in the database
//! (rotation, idle and absolute expiry, sign out everywhere), API keys and roles.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::TimeDelta;
use entity::consents::{Method, Purpose};
use entity::users::Role;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use services::ErrorKind;
use services::accounts::registration::{self, Registration};
use services::accounts::{api_keys, login, profile, recovery, roles};
use services::sessions::{self, DbSessionStore, Session};
use services::testing::AccountsHarness;

const PASSWORD: &str = "correct horse battery staple";

type Harness = AccountsHarness;

async fn harness() -> Harness {
    AccountsHarness::new().await
}

fn ip(n: u8) -> IpAddr {
    IpAddr::from([198, 51, 100, n])
}

fn form(email: &str) -> Registration {
    Registration {
        name: "Ada Lovelace".into(),
        email: email.into(),
        password: PASSWORD.into(),
        age_confirmed: true,
        policy_accepted: true,
        marketing: false,
        analytics: false,
    }
}

/// What these tests add to the shared harness.
trait Helpers {
    async fn verified_user(&self, email: &str) -> entity::users::Model;
    fn session(&self) -> Session;
}

impl Helpers for Harness {
    async fn verified_user(&self, email: &str) -> entity::users::Model {
        registration::register(&self.app, form(email), ip(1))
            .await
            .expect("register");
        let token = self.token("verify_email", email, 1).await;
        registration::verify_email(&self.app, &token)
            .await
            .expect("verify")
    }

    fn session(&self) -> Session {
        Session::new(None, Arc::new(DbSessionStore::of(&self.app)), None)
    }
}

#[tokio::test]
async fn register_records_consent_and_login_waits_for_the_verified_address() {
    let h = harness().await;
    let mut with_news = form("  Ada@Example.com ");
    with_news.marketing = true;
    registration::register(&h.app, with_news, ip(1))
        .await
        .expect("register");
    let user = entity::users::Entity::find()
        .one(&h.app.db)
        .await
        .expect("select")
        .expect("a user");
    assert_eq!(user.email, "ada@example.com");
    assert_eq!(user.role, Role::User);
    assert!(
        user.password_hash
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
    );
    assert!(!user.password_hash.contains(PASSWORD));
    assert!(user.email_verified_at.is_none());

    let consents = services::privacy::consent::history(&h.app.db, user.id)
        .await
        .expect("consents");
    let summary: Vec<(Purpose, bool, Method)> = consents
        .iter()
        .map(|c| (c.purpose, c.granted, c.method))
        .collect();
    assert_eq!(
        summary,
        [
            (Purpose::PrivacyPolicy, true, Method::Signup),
            (Purpose::Marketing, true, Method::Signup),
            (Purpose::Analytics, false, Method::Signup)
        ]
    );
    assert!(
        consents
            .iter()
            .all(|c| c.policy_version
                == services::privacy::policy::PrivacyPolicy::bundled().version())
    );

    // Unverified: the right password is refused with a sentence that says why.
    let err = login::authenticate(&h.app, "ada@example.com", PASSWORD, ip(1))
        .await
        .expect_err("unverified");
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert!(err.public_message().contains("confirm your email"));

    let mail = h.mail("verify_email", "ada@example.com", 1).await;
    assert!(mail.text.contains("https://imgigo.test/verify?token="));
    assert!(
        mail.html
            .contains("<a href=\"https://imgigo.test/verify?token=")
    );
    let token = h.token("verify_email", "ada@example.com", 1).await;
    let verified = registration::verify_email(&h.app, &token)
        .await
        .expect("verify");
    assert!(verified.email_verified_at.is_some());

    let signed_in = login::authenticate(&h.app, "ADA@example.com ", PASSWORD, ip(1))
        .await
        .expect("login");
    assert_eq!(signed_in.id, user.id);

    // The link works once.
    let err = registration::verify_email(&h.app, &token)
        .await
        .expect_err("reused");
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    assert!(err.public_message().contains("expired or was already used"));
}

/// Sign-up asks two questions with unticked boxes; each answer becomes a consent row exactly as
/// given (withdrawn when unticked), so nothing is on that the person did not turn on.
#[tokio::test]
async fn sign_up_records_exactly_the_ticked_choices() {
    let h = harness().await;
    for (email, marketing, analytics) in [
        ("none@example.com", false, false),
        ("news@example.com", true, false),
        ("stats@example.com", false, true),
        ("both@example.com", true, true),
    ] {
        registration::register(
            &h.app,
            Registration {
                marketing,
                analytics,
                ..form(email)
            },
            ip(2),
        )
        .await
        .expect("register");
        let user = entity::users::Entity::find()
            .filter(entity::users::Column::Email.eq(email))
            .one(&h.app.db)
            .await
            .expect("select")
            .expect("the account");
        let db = &h.app.db;
        let current = |purpose| services::privacy::consent::current(db, user.id, purpose);
        assert!(current(Purpose::PrivacyPolicy).await.expect("policy"));
        assert_eq!(
            current(Purpose::Marketing).await.expect("marketing"),
            marketing,
            "{email}: product update mails as ticked"
        );
        assert_eq!(
            current(Purpose::Analytics).await.expect("analytics"),
            analytics,
            "{email}: anonymous statistics as ticked"
        );
        let rows = services::privacy::consent::history(db, user.id)
            .await
            .expect("history");
        let asked: Vec<(Purpose, bool)> = rows
            .iter()
            .filter(|row| row.method == Method::Signup)
            .map(|row| (row.purpose, row.granted))
            .collect();
        assert_eq!(
            asked,
            [
                (Purpose::PrivacyPolicy, true),
                (Purpose::Marketing, marketing),
                (Purpose::Analytics, analytics)
            ],
            "{email}: one row per question, as answered"
        );
    }
}

#[tokio::test]
async fn registration_refuses_bad_input_with_reasons() {
    let h = harness().await;
    let cases: Vec<(Registration, &str)> = vec![
        (
            Registration {
                password: "short".into(),
                ..form("a@example.com")
            },
            "password",
        ),
        (
            Registration {
                email: "not-an-address".into(),
                ..form("a@example.com")
            },
            "email",
        ),
        (
            Registration {
                name: " ".into(),
                ..form("a@example.com")
            },
            "name",
        ),
        (
            Registration {
                age_confirmed: false,
                ..form("a@example.com")
            },
            "age",
        ),
        (
            Registration {
                policy_accepted: false,
                ..form("a@example.com")
            },
            "policy",
        ),
    ];
    for (registration, field) in cases {
        match registration::register(&h.app, registration, ip(2)).await {
            Err(services::Error::Invalid { field: got, .. }) => assert_eq!(got, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert_eq!(
        entity::users::Entity::find()
            .count(&h.app.db)
            .await
            .expect("count"),
        0
    );
}

#[tokio::test]
async fn an_existing_address_gets_the_same_answer_and_its_owner_a_mail() {
    let h = harness().await;
    h.verified_user("ada@example.com").await;
    let mut again = form("ada@example.com");
    again.password = "a different password".into();
    registration::register(&h.app, again, ip(3))
        .await
        .expect("same answer as a new account");
    let mail = h.mail("already_registered", "ada@example.com", 1).await;
    assert!(mail.text.contains("https://imgigo.test/forgot"));
    assert_eq!(
        entity::users::Entity::find()
            .count(&h.app.db)
            .await
            .expect("count"),
        1
    );
    // The original password still works; the second one does not.
    login::authenticate(&h.app, "ada@example.com", PASSWORD, ip(3))
        .await
        .expect("original password");
}

#[tokio::test]
async fn wrong_and_unknown_logins_look_the_same_and_lock_out_then_unlock() {
    let h = harness().await;
    h.verified_user("ada@example.com").await;
    let wrong = login::authenticate(&h.app, "ada@example.com", "not the password", ip(4))
        .await
        .expect_err("wrong password");
    let unknown = login::authenticate(&h.app, "nobody@example.com", "not the password", ip(5))
        .await
        .expect_err("unknown address");
    assert_eq!(wrong.kind(), ErrorKind::Unauthorized);
    assert_eq!(wrong.public_message(), unknown.public_message());

    // Five wrong passwords (from different addresses) lock the account…
    for n in 0..4 {
        let _ = login::authenticate(&h.app, "ada@example.com", "still wrong", ip(10 + n)).await;
    }
    let locked = login::authenticate(&h.app, "ada@example.com", PASSWORD, ip(20))
        .await
        .expect_err("locked, even with the right password");
    assert_eq!(locked.kind(), ErrorKind::TooManyRequests);
    assert!(
        locked.public_message().contains("paused for 15 minutes"),
        "{locked}"
    );
    // …and an unknown address locks the same way (no enumeration through the lockout).
    for n in 0..5 {
        let _ = login::authenticate(&h.app, "nobody@example.com", "x", ip(30 + n)).await;
    }
    let locked_unknown = login::authenticate(&h.app, "nobody@example.com", "x", ip(40))
        .await
        .expect_err("locked");
    assert_eq!(locked_unknown.kind(), ErrorKind::TooManyRequests);

    h.clock.advance(TimeDelta::minutes(16));
    login::authenticate(&h.app, "ada@example.com", PASSWORD, ip(21))
        .await
        .expect("the lock expired");
}

#[tokio::test]
async fn one_address_is_throttled_on_login_and_registration() {
    let h = harness().await;
    let from = ip(50);
    let mut limited = None;
    for n in 0..20 {
        if let Err(err) = login::authenticate(&h.app, &format!("p{n}@example.com"), "x", from).await
            && err.kind() == ErrorKind::TooManyRequests
        {
            limited = Some(n);
            break;
        }
    }
    assert_eq!(limited, Some(10), "ten attempts at once, then a wait");
    let mut refused = None;
    for n in 0..10 {
        if let Err(err) =
            registration::register(&h.app, form(&format!("r{n}@example.com")), from).await
        {
            assert_eq!(err.kind(), ErrorKind::TooManyRequests, "{err}");
            refused = Some(n);
            break;
        }
    }
    assert_eq!(refused, Some(5));
    // Another network is unaffected.
    registration::register(&h.app, form("other@example.com"), ip(51))
        .await
        .expect("other address");
}

#[tokio::test]
async fn one_inbox_gets_a_few_requested_mails_then_no_more_for_a_while() {
    let h = harness().await;
    h.verified_user("ada@example.com").await;
    for n in 0..6 {
        recovery::request_reset(&h.app, "ada@example.com", ip(60 + n))
            .await
            .expect("the same answer every time");
    }
    let resets = h
        .settle()
        .await
        .iter()
        .filter(|m| m.kind == "password_reset")
        .count();
    assert_eq!(resets, 3, "a burst of three per address, then one a minute");
}

#[tokio::test]
async fn verification_links_expire() {
    let h = harness().await;
    registration::register(&h.app, form("ada@example.com"), ip(1))
        .await
        .expect("register");
    let token = h.token("verify_email", "ada@example.com", 1).await;
    h.clock.advance(TimeDelta::hours(49));
    let err = registration::verify_email(&h.app, &token)
        .await
        .expect_err("expired");
    assert_eq!(err.kind(), ErrorKind::BadRequest);
    // Asking again sends a new link that works; a made-up token never does.
    registration::resend_verification(&h.app, "ada@example.com", ip(1))
        .await
        .expect("resend");
    let fresh = h.token("verify_email", "ada@example.com", 2).await;
    assert_ne!(fresh, token);
    registration::verify_email(&h.app, &fresh)
        .await
        .expect("fresh link");
    assert!(registration::verify_email(&h.app, "made-up").await.is_err());
    // Unknown addresses get the same answer and no mail.
    registration::resend_verification(&h.app, "nobody@example.com", ip(1))
        .await
        .expect("same answer");
    assert!(
        h.settle()
            .await
            .iter()
            .all(|m| m.to != "nobody@example.com")
    );
}

#[tokio::test]
async fn unconfirmed_accounts_are_deleted_after_seven_days_with_their_rows() {
    let h = harness().await;
    h.verified_user("kept@example.com").await;
    registration::register(&h.app, form("never@example.com"), ip(9))
        .await
        .expect("register");
    h.mail("verify_email", "never@example.com", 1).await;
    h.clock.advance(TimeDelta::days(6));
    assert_eq!(
        registration::purge_unverified(&h.app).await.expect("purge"),
        0
    );
    h.clock.advance(TimeDelta::days(1) + TimeDelta::minutes(1));
    assert_eq!(
        registration::purge_unverified(&h.app).await.expect("purge"),
        1
    );
    let left: Vec<String> = entity::users::Entity::find()
        .all(&h.app.db)
        .await
        .expect("users")
        .into_iter()
        .map(|u| u.email)
        .collect();
    assert_eq!(left, ["kept@example.com"]);
    assert_eq!(
        entity::account_tokens::Entity::find()
            .count(&h.app.db)
            .await
            .expect("count"),
        0,
        "its link went with it"
    );
    assert_eq!(
        entity::consents::Entity::find()
            .count(&h.app.db)
            .await
            .expect("count"),
        3,
        "only the kept account's consent rows remain (policy, product updates, statistics)"
    );
}

#[tokio::test]
async fn password_reset_works_once_ends_sessions_and_tells_the_owner() {
    let h = harness().await;
    let user = h.verified_user("ada@example.com").await;
    let session = h.session();
    sessions::sign_in(&h.app, &session, &user, Some("Firefox/133.0"))
        .await
        .expect("sign in");
    session.save().await.expect("save");
    assert!(
        sessions::current_user(&h.app, &session)
            .await
            .expect("current")
            .is_some()
    );

    recovery::request_reset(&h.app, "nobody@example.com", ip(6))
        .await
        .expect("same answer for unknown addresses");
    recovery::request_reset(&h.app, "ada@example.com", ip(6))
        .await
        .expect("request");
    let token = h.token("password_reset", "ada@example.com", 1).await;
    let err = recovery::reset(&h.app, &token, "short")
        .await
        .expect_err("policy");
    assert_eq!(err.kind(), ErrorKind::Invalid);
    h.clock.advance(TimeDelta::seconds(1));
    recovery::reset(&h.app, &token, "a brand new passphrase")
        .await
        .expect("reset (the refused attempt did not use the link up)");
    assert!(
        recovery::reset(&h.app, &token, "another new passphrase")
            .await
            .is_err(),
        "reused"
    );
    h.mail("password_changed", "ada@example.com", 1).await;

    assert!(
        sessions::current_user(&h.app, &session)
            .await
            .expect("current")
            .is_none(),
        "the old session ended"
    );
    assert!(
        login::authenticate(&h.app, "ada@example.com", PASSWORD, ip(6))
            .await
            .is_err()
    );
    login::authenticate(&h.app, "ada@example.com", "a brand new passphrase", ip(6))
        .await
        .expect("new password");

    // Reset links expire after an hour.
    recovery::request_reset(&h.app, "ada@example.com", ip(7))
        .await
        .expect("request");
    let late = h.token("password_reset", "ada@example.com", 2).await;
    h.clock.advance(TimeDelta::minutes(61));
    assert_eq!(
        recovery::reset(&h.app, &late, "too late passphrase")
            .await
            .expect_err("expired")
            .kind(),
        ErrorKind::BadRequest
    );
}

#[tokio::test]
async fn sessions_rotate_expire_and_end_everywhere() {
    let h = harness().await;
    let user = h.verified_user("ada@example.com").await;
    let store = DbSessionStore::of(&h.app);

    let first = h.session();
    first.insert("probe", 1).await.expect("insert");
    first.save().await.expect("save");
    let before = first.id().expect("an id");
    sessions::sign_in(
        &h.app,
        &first,
        &user,
        Some("Mozilla/5.0 Chrome/131.0 Safari/537.36"),
    )
    .await
    .expect("sign in");
    first.save().await.expect("save");
    assert_ne!(first.id(), Some(before), "the id rotates at login");
    let row =
        entity::sessions::Entity::find_by_id(DbSessionStore::stored_id(&first.id().expect("id")))
            .one(&h.app.db)
            .await
            .expect("select")
            .expect("a row");
    assert_eq!(row.user_id, Some(user.id));
    assert_eq!(row.browser.as_deref(), Some("Chrome"));

    // The same session, loaded again from the database as the next request would.
    let again = Session::new(first.id(), Arc::new(store.clone()), None);
    assert_eq!(
        sessions::current_user(&h.app, &again)
            .await
            .expect("current")
            .map(|u| u.id),
        Some(user.id)
    );

    // Idle for longer than 30 minutes: gone.
    h.clock.advance(TimeDelta::minutes(31));
    assert!(
        sessions::current_user(&h.app, &again)
            .await
            .expect("current")
            .is_none()
    );

    // Active, but 12 hours after login: gone too.
    let second = h.session();
    sessions::sign_in(&h.app, &second, &user, None)
        .await
        .expect("sign in");
    for _ in 0..25 {
        h.clock.advance(TimeDelta::minutes(29));
        if sessions::current_user(&h.app, &second)
            .await
            .expect("current")
            .is_none()
        {
            break;
        }
    }
    assert!(
        sessions::current_user(&h.app, &second)
            .await
            .expect("current")
            .is_none()
    );

    // Sign out everywhere ends a session on another device at once.
    let laptop = h.session();
    sessions::sign_in(&h.app, &laptop, &user, None)
        .await
        .expect("sign in");
    laptop.save().await.expect("save");
    let phone = h.session();
    sessions::sign_in(&h.app, &phone, &user, None)
        .await
        .expect("sign in");
    phone.save().await.expect("save");
    sessions::sign_out_everywhere(&h.app, &phone, user.id)
        .await
        .expect("everywhere");
    assert!(
        sessions::current_user(&h.app, &laptop)
            .await
            .expect("current")
            .is_none()
    );
    assert_eq!(
        entity::sessions::Entity::find()
            .filter(entity::sessions::Column::UserId.eq(user.id))
            .count(&h.app.db)
            .await
            .expect("count"),
        0
    );
    let fresh = h.session();
    let user = services::accounts::find_by_id(&h.app, user.id)
        .await
        .expect("find")
        .expect("user");
    sessions::sign_in(&h.app, &fresh, &user, None)
        .await
        .expect("sign in");
    assert!(
        sessions::current_user(&h.app, &fresh)
            .await
            .expect("current")
            .is_some(),
        "logging in again works"
    );
}

#[tokio::test]
async fn password_and_email_changes_check_the_password_and_confirm_by_mail() {
    let h = harness().await;
    let user = h.verified_user("ada@example.com").await;
    let err = profile::change_password(&h.app, &user, "wrong", "new passphrase here")
        .await
        .expect_err("current password");
    assert_eq!(err.kind(), ErrorKind::Invalid);
    let user = profile::change_password(&h.app, &user, PASSWORD, "new passphrase here")
        .await
        .expect("change");
    h.mail("password_changed", "ada@example.com", 1).await;

    let renamed = profile::update_name(&h.app, &user, "  Augusta ")
        .await
        .expect("rename");
    assert_eq!(renamed.name, "Augusta");

    profile::request_email_change(
        &h.app,
        &renamed,
        "augusta@example.org",
        "new passphrase here",
    )
    .await
    .expect("request");
    let token = h.token("confirm_new_email", "augusta@example.org", 1).await;
    let unchanged = services::accounts::find_by_id(&h.app, user.id)
        .await
        .expect("find")
        .expect("user");
    assert_eq!(
        unchanged.email, "ada@example.com",
        "not before confirmation"
    );
    let changed = profile::confirm_email_change(&h.app, &token)
        .await
        .expect("confirm");
    assert_eq!(changed.email, "augusta@example.org");
    let told = h.mail("email_changed", "ada@example.com", 1).await;
    assert!(told.text.contains("a•••@example.org"));
    assert!(
        profile::confirm_email_change(&h.app, &token).await.is_err(),
        "once only"
    );
    login::authenticate(&h.app, "augusta@example.org", "new passphrase here", ip(8))
        .await
        .expect("new address logs in");
}

#[tokio::test]
async fn api_keys_are_shown_once_stored_hashed_and_revocable() {
    let h = harness().await;
    let user = h.verified_user("ada@example.com").await;
    let created = api_keys::create(&h.app, &user, "laptop")
        .await
        .expect("create");
    assert!(created.secret.starts_with("imgigo_"));
    assert_eq!(created.secret.len(), "imgigo_".len() + 43);
    assert!(created.secret.starts_with(&created.key.prefix));
    assert!(!created.key.key_hash.contains(&created.secret[7..]));
    h.mail("api_key_created", "ada@example.com", 1).await;

    let identity = api_keys::authenticate(&h.app, &created.secret)
        .await
        .expect("valid key");
    assert_eq!(identity.user_id, user.id);
    let listed = api_keys::list(&h.app, user.id).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_used_at.is_some(), "last use is recorded");

    let wrong = api_keys::authenticate(&h.app, "imgigo_not-a-real-key")
        .await
        .expect_err("unknown");
    assert_eq!(wrong.kind(), ErrorKind::Unauthorized);

    // Another account cannot revoke it; the owner can, and it stops working at once.
    let other = h.verified_user("eve@example.com").await;
    assert_eq!(
        api_keys::revoke(&h.app, other.id, created.key.id)
            .await
            .expect_err("not theirs")
            .kind(),
        ErrorKind::NotFound
    );
    api_keys::revoke(&h.app, user.id, created.key.id)
        .await
        .expect("revoke");
    let revoked = api_keys::authenticate(&h.app, &created.secret)
        .await
        .expect_err("revoked");
    assert_eq!(revoked.public_message(), wrong.public_message());
    assert!(
        api_keys::list(&h.app, user.id).await.expect("list")[0]
            .revoked_at
            .is_some()
    );
}

#[tokio::test]
async fn roles_gate_staff_actions_and_admins_bootstrap() {
    let h = harness().await;
    let admin = roles::create_admin(&h.app, "Root", "root@example.com", PASSWORD)
        .await
        .expect("admin");
    assert_eq!(admin.role, Role::Admin);
    assert!(admin.email_verified_at.is_some());
    assert_eq!(
        roles::create_admin(&h.app, "Root", "root@example.com", PASSWORD)
            .await
            .expect_err("taken")
            .kind(),
        ErrorKind::Conflict
    );
    let user = h.verified_user("ada@example.com").await;
    assert_eq!(
        roles::overview(&h.app, &user)
            .await
            .expect_err("user")
            .kind(),
        ErrorKind::Forbidden
    );
    assert_eq!(
        roles::set_role(&h.app, &user, "root@example.com", Role::User)
            .await
            .expect_err("user")
            .kind(),
        ErrorKind::Forbidden
    );
    let support = roles::set_role(&h.app, &admin, "ada@example.com", Role::Support)
        .await
        .expect("promote");
    let overview = roles::overview(&h.app, &support)
        .await
        .expect("support sees counts");
    assert_eq!((overview.accounts, overview.staff), (2, 2));
    assert_eq!(
        roles::set_role(&h.app, &support, "ada@example.com", Role::Admin)
            .await
            .expect_err("support is not admin")
            .kind(),
        ErrorKind::Forbidden
    );
    assert_eq!(
        roles::set_role(&h.app, &admin, "root@example.com", Role::User)
            .await
            .expect_err("no self-demotion")
            .kind(),
        ErrorKind::Invalid
    );
}
