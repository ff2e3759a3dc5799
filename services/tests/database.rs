//! The schema and the error mapping on a real database: SQLite by default, PostgreSQL when
//! `IMGIGO_TEST_DATABASE=postgres` (`make test` runs both).

use chrono::Utc;
use entity::users;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, PaginatorTrait, Set};
use services::testing::{Backend, TestDatabase};
use services::{Error, ErrorKind};

fn new_user(email: &str) -> users::ActiveModel {
    let now = Utc::now();
    users::ActiveModel {
        name: Set("Ada".into()),
        email: Set(email.into()),
        password_hash: Set("$argon2id$v=19$placeholder".into()),
        role: Set(users::Role::User),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

#[tokio::test]
async fn migrations_create_a_working_schema_on_the_requested_backend() {
    let test_db = TestDatabase::new().await;
    let db = test_db.connect().await.expect("connect and migrate");
    assert_eq!(services::db::backend_name(&db), test_db.backend.name());

    let saved = new_user("ada@example.com")
        .insert(&db)
        .await
        .expect("insert");
    assert!(saved.id > 0);
    assert_eq!(saved.role, users::Role::User);
    let found = users::Entity::find_by_id(saved.id)
        .one(&db)
        .await
        .expect("select");
    assert_eq!(found.map(|u| u.email), Some("ada@example.com".to_string()));

    // Running the migrations again is a no-op, as at every start.
    services::db::migrate(&db).await.expect("second migrate");
    assert_eq!(users::Entity::find().count(&db).await.expect("count"), 1);
}

#[tokio::test]
async fn a_duplicate_email_is_a_conflict_not_an_internal_error() {
    let test_db = TestDatabase::new().await;
    let db = test_db.connect().await.expect("connect and migrate");
    new_user("same@example.com")
        .insert(&db)
        .await
        .expect("first insert");
    let err: Error = new_user("same@example.com")
        .insert(&db)
        .await
        .expect_err("unique email")
        .into();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err:?}");
}

#[tokio::test]
async fn every_migration_is_reversible() {
    let test_db = TestDatabase::new().await;
    let db = test_db.connect().await.expect("connect and migrate");
    let applied = Migrator::get_applied_migrations(&db)
        .await
        .expect("applied")
        .len();
    assert_eq!(applied, Migrator::migrations().len());

    Migrator::down(&db, None).await.expect("all the way down");
    assert!(
        Migrator::get_applied_migrations(&db)
            .await
            .expect("applied")
            .is_empty()
    );
    let probe = db.execute_unprepared("SELECT COUNT(*) FROM users").await;
    assert!(probe.is_err(), "users must be gone after down");

    Migrator::up(&db, None).await.expect("and up again");
    new_user("again@example.com")
        .insert(&db)
        .await
        .expect("insert after up");
}

#[tokio::test]
async fn an_unreachable_database_is_reported_unavailable() {
    // Port 1 on loopback refuses connections at once.
    let url = match Backend::from_env() {
        Backend::Postgres => "postgres://postgres@127.0.0.1:1/nothing",
        Backend::Sqlite => "sqlite:///nonexistent-folder-imgigo/x.db?mode=ro",
    };
    let err = services::db::connect(url)
        .await
        .expect_err("must not connect");
    assert!(
        matches!(err.kind(), ErrorKind::Unavailable | ErrorKind::Internal),
        "{err:?}"
    );
}

#[tokio::test]
async fn readiness_reports_the_backend() {
    let test_db = TestDatabase::new().await;
    let db = test_db.connect().await.expect("connect and migrate");
    let config = services::config::Config::load(|_| None).expect("config");
    let app = services::AppState::new(config, db, services::cutout::device::cpu());
    let readiness = services::health::readiness(&app).await.expect("ready");
    assert_eq!(readiness.database, "ok");
    assert_eq!(readiness.database_backend, test_db.backend.name());
    assert_eq!(readiness.device.kind, "cpu");
    app.db.close_by_ref().await.expect("close");
    let err = services::health::readiness(&app)
        .await
        .expect_err("closed pool is not ready");
    assert_eq!(err.kind(), ErrorKind::Unavailable);
}

/// Every column of the migrated schema, as `table.column`, on the backend this run uses.
async fn columns(db: &sea_orm::DatabaseConnection, backend: Backend) -> Vec<String> {
    use sea_orm::{Statement, TryGetable};
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT m.name || '.' || p.name AS col FROM sqlite_master m \
             JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
        }
        Backend::Postgres => {
            "SELECT table_name || '.' || column_name AS col FROM information_schema.columns \
             WHERE table_schema = current_schema()"
        }
    };
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("the schema")
        .iter()
        .map(|row| String::try_get(row, "", "col").expect("a column name"))
        .collect()
}

/// The privacy policy: "Billing information is processed securely via Stripe and is never stored
/// on our servers." No column may be made to hold a card, a bank account or a billing address:
/// payments keep only Stripe's ids, amounts and the credits ledger.
#[tokio::test]
async fn no_column_could_hold_card_data_or_a_billing_address() {
    let test_db = TestDatabase::new().await;
    let db = test_db.connect().await.expect("connect and migrate");
    let all = columns(&db, test_db.backend).await;
    assert!(
        all.iter().any(|c| c == "billing_subscriptions.customer_id"),
        "the schema was read: {all:?}"
    );
    const PAYMENT_DATA: &[&str] = &[
        "card",
        "pan",
        "cvc",
        "cvv",
        "expiry",
        "exp_month",
        "exp_year",
        "iban",
        "bic",
        "bank",
        "account_number",
        "routing",
        "address",
        "street",
        "postal",
        "postcode",
        "zip",
        "city",
        "country",
        "phone",
        "vat",
        "tax_id",
        "billing_name",
    ];
    for column in &all {
        let name = column
            .split('.')
            .nth(1)
            .unwrap_or(column)
            .to_ascii_lowercase();
        let words: Vec<&str> = name.split('_').collect();
        for word in PAYMENT_DATA {
            let hit = if word.contains('_') {
                name.contains(word)
            } else {
                words.contains(word)
            };
            assert!(!hit, "{column} looks like payment data ({word})");
        }
    }
}
