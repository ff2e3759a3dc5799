//! Aggregate analytics on SQLite and PostgreSQL (`IMGIGO_TEST_DATABASE`): the schema has no place
//! for a person; counters reach the database with their coarse dimensions only, add up across
//! flushes and processes, wait in RAM when the database fails, honour GPC, DNT, robots and a
//! signed-in person's choice, and go after 13 months.

use std::net::IpAddr;

use chrono::{Months, TimeDelta};
use entity::{analytics_daily, analytics_visitors};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder, Statement};
use services::analytics::{self, Channel, PageView};
use services::privacy::consent::{self, Method, Purpose};
use services::testing::AccountsHarness;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const PIXEL: &str =
    "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36";

fn view<'a>(route: &'a str, user_agent: &'a str, ip: &str) -> PageView<'a> {
    PageView {
        route,
        user_agent,
        referer: None,
        ip: ip.parse::<IpAddr>().expect("ip"),
        opted_out: false,
        user_id: None,
    }
}

async fn rows(app: &services::AppState) -> Vec<(String, String, String, String, String, i64)> {
    analytics_daily::Entity::find()
        .order_by_asc(analytics_daily::Column::Kind)
        .order_by_asc(analytics_daily::Column::Route)
        .order_by_asc(analytics_daily::Column::Browser)
        .all(&app.db)
        .await
        .expect("rows")
        .into_iter()
        .map(|row| {
            (
                row.kind,
                row.route,
                row.browser,
                row.device,
                row.referrer,
                row.count,
            )
        })
        .collect()
}

/// The columns of `table`, from the database's own catalogue.
async fn columns(app: &services::AppState, table: &str) -> Vec<String> {
    let backend = app.db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Sqlite => {
            format!("SELECT name FROM pragma_table_info('{table}')")
        }
        _ => format!(
            "SELECT column_name AS name FROM information_schema.columns WHERE table_name = '{table}' AND table_schema = current_schema()"
        ),
    };
    app.db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .expect("the catalogue")
        .into_iter()
        .map(|row| row.try_get::<String>("", "name").expect("a column name"))
        .collect()
}

#[tokio::test]
async fn no_analytics_table_has_a_place_for_a_person_or_a_url() {
    let harness = AccountsHarness::new().await;
    let tables: Vec<String> = services::db::table_names(&harness.app.db)
        .await
        .expect("tables")
        .into_iter()
        .filter(|table| table.starts_with("analytics"))
        .collect();
    assert_eq!(tables, ["analytics_daily", "analytics_visitors"]);
    for table in &tables {
        let columns = columns(&harness.app, table).await;
        assert!(columns.len() >= 2, "{table}: {columns:?}");
        for column in columns {
            let lower = column.to_ascii_lowercase();
            for forbidden in [
                "ip", "addr", "user", "session", "url", "path", "agent", "email", "cookie",
            ] {
                assert!(
                    !lower.split('_').any(|part| part == forbidden) && !lower.contains("addr"),
                    "{table}.{column} could hold personal data or a full URL"
                );
            }
        }
    }
}

#[tokio::test]
async fn page_views_and_cutouts_are_counted_by_coarse_dimensions_and_added_up() {
    let harness = AccountsHarness::new().await;
    let app = &harness.app;
    let mut from_news = view("/", FIREFOX, "203.0.113.7");
    from_news.referer = Some("https://www.news.example.org/story/123?utm_source=x");
    assert!(analytics::page_view(app, &from_news).await.expect("count"));
    assert!(
        analytics::page_view(app, &view("/", FIREFOX, "203.0.113.7"))
            .await
            .expect("count")
    );
    assert!(
        analytics::page_view(app, &view("/pricing", PIXEL, "198.51.100.1"))
            .await
            .expect("count")
    );
    // This site's own links are no referrer.
    let mut inside = view("/pricing", PIXEL, "198.51.100.1");
    inside.referer = Some("https://imgigo.test/");
    assert!(analytics::page_view(app, &inside).await.expect("count"));

    // Not counted: GPC or DNT, robots.
    let mut gpc = view("/", FIREFOX, "192.0.2.1");
    gpc.opted_out = true;
    assert!(!analytics::page_view(app, &gpc).await.expect("count"));
    for robot in [
        "Googlebot/2.1",
        "curl/8.5.0",
        "Mozilla/5.0 HeadlessChrome/131.0",
        "",
    ] {
        assert!(
            !analytics::page_view(app, &view("/", robot, "192.0.2.2"))
                .await
                .expect("count")
        );
    }
    analytics::cutout(app, Channel::Web);
    analytics::cutout(app, Channel::Web);
    analytics::cutout(app, Channel::Api);
    analytics::flush(app).await.expect("flush");

    let expected = vec![
        (
            "cutout".into(),
            "api".into(),
            String::new(),
            String::new(),
            String::new(),
            1,
        ),
        (
            "cutout".into(),
            "web".into(),
            String::new(),
            String::new(),
            String::new(),
            2,
        ),
        (
            "view".into(),
            "/".into(),
            "Firefox".into(),
            "desktop".into(),
            String::new(),
            1,
        ),
        (
            "view".into(),
            "/".into(),
            "Firefox".into(),
            "desktop".into(),
            "news.example.org".into(),
            1,
        ),
        (
            "view".into(),
            "/pricing".into(),
            "Chrome".into(),
            "mobile".into(),
            String::new(),
            2,
        ),
    ];
    let mut got = rows(app).await;
    got.sort();
    assert_eq!(got, expected);

    // A second flush adds to the same rows; a second process's counters too.
    assert!(
        analytics::page_view(app, &view("/pricing", PIXEL, "198.51.100.1"))
            .await
            .expect("count")
    );
    analytics::flush(app).await.expect("flush");
    let other = services::AppState::new(
        (*app.config).clone(),
        app.db.clone(),
        services::cutout::device::cpu(),
    )
    .with_clock(harness.clock.clone());
    assert!(
        analytics::page_view(&other, &view("/pricing", PIXEL, "198.51.100.9"))
            .await
            .expect("count")
    );
    analytics::flush(&other).await.expect("flush");
    let pricing = rows(app)
        .await
        .into_iter()
        .find(|row| row.1 == "/pricing")
        .expect("the pricing row");
    assert_eq!(pricing.5, 4);

    // Visitors: two people the first time (address and browser), one new one in the other
    // process; nothing that names them is anywhere.
    let visitors = analytics_visitors::Entity::find()
        .all(&app.db)
        .await
        .expect("visitors");
    assert_eq!(visitors.len(), 1);
    assert_eq!(visitors[0].visitors, 3);
    let today = today(&harness);
    let days = analytics::daily(&app.db, today - TimeDelta::days(1), today)
        .await
        .expect("daily");
    assert_eq!(days.len(), 2);
    assert_eq!(
        (days[0].views, days[0].cutouts, days[0].visitors),
        (0, 0, 0)
    );
    assert_eq!(
        (days[1].views, days[1].cutouts, days[1].visitors),
        (6, 3, 3)
    );
}

fn today(harness: &AccountsHarness) -> chrono::NaiveDate {
    use services::clock::Clock;
    harness.clock.now().date_naive()
}

#[tokio::test]
async fn a_signed_in_person_is_counted_only_with_statistics_on() {
    let harness = AccountsHarness::new().await;
    let app = &harness.app;
    let ada = services::accounts::roles::create_admin(
        app,
        "Ada",
        "ada@example.com",
        "correct horse battery staple",
    )
    .await
    .expect("an account");
    let mut signed_in = view("/account", FIREFOX, "203.0.113.7");
    signed_in.user_id = Some(ada.id);
    assert!(
        !analytics::page_view(app, &signed_in).await.expect("count"),
        "statistics are off unless turned on"
    );
    let now = today(&harness)
        .and_hms_opt(12, 0, 0)
        .expect("noon")
        .and_utc();
    consent::record(
        &app.db,
        "test",
        ada.id,
        Purpose::Analytics,
        true,
        Method::Settings,
        now,
    )
    .await
    .expect("on");
    assert!(analytics::page_view(app, &signed_in).await.expect("count"));
    consent::record(
        &app.db,
        "test",
        ada.id,
        Purpose::Analytics,
        false,
        Method::Settings,
        now,
    )
    .await
    .expect("off again");
    assert!(!analytics::page_view(app, &signed_in).await.expect("count"));
    analytics::flush(app).await.expect("flush");
    let counted: i64 = rows(app).await.iter().map(|row| row.5).sum();
    assert_eq!(counted, 1);
}

#[tokio::test]
async fn counters_wait_in_ram_while_the_database_fails_and_old_days_go() {
    let harness = AccountsHarness::new().await;
    let app = &harness.app;
    assert!(
        analytics::page_view(app, &view("/", FIREFOX, "203.0.113.7"))
            .await
            .expect("count")
    );
    // A database that refuses the write: the flush fails and keeps the counter.
    app.db
        .execute_unprepared("ALTER TABLE analytics_daily RENAME TO analytics_daily_away")
        .await
        .expect("rename");
    analytics::flush(app).await.expect_err("the table is gone");
    app.db
        .execute_unprepared("ALTER TABLE analytics_daily_away RENAME TO analytics_daily")
        .await
        .expect("rename back");
    analytics::flush(app).await.expect("flush");
    assert_eq!(rows(app).await.len(), 1, "nothing lost");
    assert_eq!(rows(app).await[0].5, 1);

    // 13 months later the day goes; the day after it stays.
    let today = today(&harness);
    let old = |day: chrono::NaiveDate| analytics_daily::ActiveModel {
        day: sea_orm::Set(day.format("%Y-%m-%d").to_string()),
        kind: sea_orm::Set("view".into()),
        route: sea_orm::Set("/".into()),
        browser: sea_orm::Set("Firefox".into()),
        device: sea_orm::Set("desktop".into()),
        referrer: sea_orm::Set(String::new()),
        count: sea_orm::Set(5),
        ..Default::default()
    };
    let cutoff = today.checked_sub_months(Months::new(13)).expect("a day");
    analytics_daily::Entity::insert_many([old(cutoff - TimeDelta::days(1)), old(cutoff)])
        .exec_without_returning(&app.db)
        .await
        .expect("old rows");
    let purged = services::jobs::purge_accounts(app)
        .await
        .expect("retention");
    assert_eq!(purged.analytics_rows, 1);
    assert_eq!(rows(app).await.len(), 2);
}
