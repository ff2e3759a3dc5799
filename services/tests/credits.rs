//! The credits ledger on a real database (SQLite by default, PostgreSQL with
//! `IMGIGO_TEST_DATABASE=postgres`; `make test` runs both): grants applied once, charges in bucket
//! order, refunds, the monthly allowance, parallel charges that never overspend, and the
//! invariant — every account's ledger adds up to its balance, bucket by bucket, and each row's
//! `balance_after` is the running total — recomputed from the rows after every test.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use entity::{credit_accounts, credit_ledger, users};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use services::ErrorKind;
use services::credits::ledger;
use services::credits::{Balance, Bucket};
use services::testing::TestDatabase;

/// The free allowance these tests use: 2 credits a month.
const ALLOWANCE: i64 = 200;

fn december() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 5, 10, 0, 0).unwrap()
}

async fn user(db: &DatabaseConnection, email: &str) -> i64 {
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
    .insert(db)
    .await
    .expect("insert user")
    .id
}

/// The invariant, recomputed from the rows: per bucket the amounts add up to the balance row, and
/// each row's `balance_after` is the running total of all buckets.
async fn assert_ledger_adds_up(db: &DatabaseConnection, user_id: i64) -> Balance {
    let rows = credit_ledger::Entity::find()
        .filter(credit_ledger::Column::UserId.eq(user_id))
        .order_by_asc(credit_ledger::Column::Id)
        .all(db)
        .await
        .expect("ledger");
    let mut sums: HashMap<String, i64> = HashMap::new();
    let mut running = 0;
    for row in &rows {
        *sums.entry(row.bucket.clone()).or_default() += row.amount;
        running += row.amount;
        assert_eq!(row.balance_after, running, "row {} ({})", row.id, row.kind);
        assert!(running >= 0, "the balance never went below zero: {row:?}");
    }
    let account = credit_accounts::Entity::find_by_id(user_id)
        .one(db)
        .await
        .expect("account")
        .expect("a balance row");
    let balance = Balance {
        free: account.free,
        subscription: account.subscription,
        payg: account.payg,
    };
    for bucket in Bucket::ALL {
        assert_eq!(
            sums.get(bucket.as_str()).copied().unwrap_or(0),
            balance.get(bucket),
            "{bucket:?}: the ledger adds up to the balance"
        );
    }
    balance
}

#[tokio::test]
async fn grants_apply_once_and_charges_take_free_then_plan_then_packs() {
    let test_db = TestDatabase::new().await;
    let db = test_db.connect().await.expect("connect and migrate");
    let ada = user(&db, "ada@example.com").await;
    let now = december();

    assert!(
        ledger::grant(
            &db,
            ada,
            Bucket::Payg,
            1000,
            "stripe_checkout",
            "cs_1",
            ALLOWANCE,
            now
        )
        .await
        .expect("grant")
    );
    // The same checkout again (a replayed webhook): nothing changes.
    assert!(
        !ledger::grant(
            &db,
            ada,
            Bucket::Payg,
            1000,
            "stripe_checkout",
            "cs_1",
            ALLOWANCE,
            now
        )
        .await
        .expect("grant again")
    );
    assert!(
        ledger::grant(
            &db,
            ada,
            Bucket::Subscription,
            300,
            "stripe_invoice",
            "in_1",
            ALLOWANCE,
            now
        )
        .await
        .expect("plan")
    );
    let balance = ledger::balance(&db, ada, ALLOWANCE, now)
        .await
        .expect("balance");
    assert_eq!(
        balance,
        Balance {
            free: 200,
            subscription: 300,
            payg: 1000
        }
    );

    // 4 credits: the 2 free, then 2 of the plan's 3.
    let charge = ledger::charge(&db, ada, 400, "api", ALLOWANCE, now)
        .await
        .expect("charge");
    assert_eq!(
        charge.parts,
        vec![(Bucket::Free, 200), (Bucket::Subscription, 200)]
    );
    // 3 more: the plan's last 1, then 2 of the packs.
    let charge = ledger::charge(&db, ada, 300, "api", ALLOWANCE, now)
        .await
        .expect("charge");
    assert_eq!(
        charge.parts,
        vec![(Bucket::Subscription, 100), (Bucket::Payg, 200)]
    );
    // Given back (the cutout failed), to the buckets it came from; twice changes nothing more.
    ledger::refund(&db, &charge, ALLOWANCE, now)
        .await
        .expect("refund");
    ledger::refund(&db, &charge, ALLOWANCE, now)
        .await
        .expect("refund again");
    assert_eq!(
        ledger::balance(&db, ada, ALLOWANCE, now)
            .await
            .expect("balance"),
        Balance {
            free: 0,
            subscription: 100,
            payg: 1000
        }
    );
    assert_ledger_adds_up(&db, ada).await;
}

#[tokio::test]
async fn too_few_credits_is_payment_required_and_takes_nothing() {
    let test_db = TestDatabase::new().await;
    let db = test_db.connect().await.expect("connect and migrate");
    let ada = user(&db, "ada@example.com").await;
    let now = december();
    ledger::charge(&db, ada, 125, "api", ALLOWANCE, now)
        .await
        .expect("1.25 of the 2 free");
    let err = ledger::charge(&db, ada, 100, "api", ALLOWANCE, now)
        .await
        .expect_err("0.75 left");
    assert_eq!(err.kind(), ErrorKind::PaymentRequired);
    assert!(
        err.public_message()
            .contains("needs 1 credit and the account has 0.75"),
        "{}",
        err.public_message()
    );
    let balance = assert_ledger_adds_up(&db, ada).await;
    assert_eq!(balance.total(), 75, "nothing taken by the refused charge");
    // A preview (0.25) still fits.
    ledger::charge(&db, ada, 25, "api", ALLOWANCE, now)
        .await
        .expect("a preview");
    assert_eq!(assert_ledger_adds_up(&db, ada).await.total(), 50);
}

#[tokio::test]
async fn a_new_month_renews_the_allowance_and_lets_the_old_one_lapse() {
    let test_db = TestDatabase::new().await;
    let db = test_db.connect().await.expect("connect and migrate");
    let ada = user(&db, "ada@example.com").await;
    let now = december();
    ledger::charge(&db, ada, 50, "api", ALLOWANCE, now)
        .await
        .expect("charge");
    assert_eq!(assert_ledger_adds_up(&db, ada).await.free, 150);
    // January: the 1.5 left lapse, 2 new ones arrive; shown before any write, kept after one.
    let january = now + TimeDelta::days(30);
    assert_eq!(
        ledger::balance(&db, ada, ALLOWANCE, january)
            .await
            .expect("balance")
            .free,
        200
    );
    ledger::charge(&db, ada, 100, "api", ALLOWANCE, january)
        .await
        .expect("charge");
    assert_eq!(assert_ledger_adds_up(&db, ada).await.free, 100);
    let kinds: Vec<(String, i64)> = ledger::history(&db, ada, 10)
        .await
        .expect("history")
        .into_iter()
        .map(|row| (row.kind, row.amount))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("charge".to_string(), -100),
            ("grant".to_string(), 200),
            ("expiry".to_string(), -150),
            ("charge".to_string(), -50),
            ("grant".to_string(), 200),
        ],
        "newest first"
    );
}

#[tokio::test]
async fn a_plan_s_paid_month_replaces_what_was_left_of_the_last_one_once_per_invoice() {
    let test_db = TestDatabase::new().await;
    let db = test_db.connect().await.expect("connect and migrate");
    let ada = user(&db, "ada@example.com").await;
    let now = december();
    let renew = |invoice: &'static str, amount: i64| {
        let db = db.clone();
        async move {
            ledger::renew(&db, ada, amount, "stripe_invoice", invoice, ALLOWANCE, now)
                .await
                .expect("renew")
        }
    };
    assert!(renew("in_1", 500).await);
    ledger::grant(
        &db,
        ada,
        Bucket::Payg,
        300,
        "stripe_checkout",
        "cs_1",
        ALLOWANCE,
        now,
    )
    .await
    .expect("pack");
    // 2 (free) + 1.5 from the plan spent: the free ones first.
    ledger::charge(&db, ada, 350, "api", ALLOWANCE, now)
        .await
        .expect("charge");
    let before = assert_ledger_adds_up(&db, ada).await;
    assert_eq!(
        (before.free, before.subscription, before.payg),
        (0, 350, 300)
    );
    // The next month's invoice: the 3.5 left lapse, 5 arrive; bought credits stay.
    assert!(renew("in_2", 500).await);
    let after = assert_ledger_adds_up(&db, ada).await;
    assert_eq!((after.subscription, after.payg), (500, 300));
    // The same invoice again (a retried delivery): nothing.
    assert!(!renew("in_2", 500).await);
    assert_eq!(assert_ledger_adds_up(&db, ada).await, after);
    let newest: Vec<(String, String, i64)> = ledger::history(&db, ada, 2)
        .await
        .expect("history")
        .into_iter()
        .map(|row| (row.kind, row.bucket, row.amount))
        .collect();
    assert_eq!(
        newest,
        vec![
            ("grant".to_string(), "subscription".to_string(), 500),
            ("expiry".to_string(), "subscription".to_string(), -350),
        ]
    );
}

#[tokio::test]
async fn parallel_charges_never_overspend() {
    let test_db = TestDatabase::new().await;
    let db = test_db.connect().await.expect("connect and migrate");
    let ada = user(&db, "ada@example.com").await;
    let bob = user(&db, "bob@example.com").await;
    let now = december();
    for id in [ada, bob] {
        ledger::grant(
            &db,
            id,
            Bucket::Payg,
            800,
            "stripe_checkout",
            "cs_x",
            0,
            now,
        )
        .await
        .expect("grant");
    }
    // 8 credits each and 40 parallel charges of 1 credit, split over both accounts.
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let db = db.clone();
            let id = if i % 2 == 0 { ada } else { bob };
            tokio::spawn(async move { ledger::charge(&db, id, 100, "api", 0, now).await })
        })
        .collect();
    let mut charged = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => charged += 1,
            Err(err) => {
                assert_eq!(err.kind(), ErrorKind::PaymentRequired, "{err}");
                refused += 1;
            }
        }
    }
    assert_eq!((charged, refused), (16, 24));
    for id in [ada, bob] {
        assert_eq!(assert_ledger_adds_up(&db, id).await.total(), 0);
    }
}

#[tokio::test]
async fn deleting_the_account_deletes_its_credits() {
    let test_db = TestDatabase::new().await;
    let db = test_db.connect().await.expect("connect and migrate");
    let ada = user(&db, "ada@example.com").await;
    ledger::charge(&db, ada, 25, "api", ALLOWANCE, december())
        .await
        .expect("charge");
    users::Entity::delete_by_id(ada)
        .exec(&db)
        .await
        .expect("delete");
    assert!(
        credit_ledger::Entity::find()
            .all(&db)
            .await
            .expect("ledger")
            .is_empty()
    );
    assert!(
        credit_accounts::Entity::find()
            .all(&db)
            .await
            .expect("accounts")
            .is_empty()
    );
}
