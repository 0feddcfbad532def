//! Deadline reminders with a fake clock, on SQLite and PostgreSQL: which actions get one,
//! exactly once per state (also across restarts and with many runs at once on separate
//! connection pools), again after a reopen, never stopped by a closed incident — each queued
//! as a message of the outbox for the channels that listen (`action.due_soon`,
//! `action.overdue`, `action.verification_due`), the `reminder_webhook_url` setting among them.

use std::sync::Mutex;

use app::domain::{ChannelKind, NotifyEvent, Role};
use app::model::NewChannel;
use app::ssr::auth::Actor;
use app::ssr::entities::delivery;
use app::ssr::services::notify::{channels, deliver};
use app::ssr::services::reminders;
use chrono::{DateTime, Duration, TimeZone, Utc};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::json;
use tests::db_test;
use tests::http::{all_signed_in, signed_in};

/// A channel that hears the three reminder events (nothing listens at that address: the
/// tests read the outbox, not a receiver).
async fn listening(db: &sea_orm::DatabaseConnection) {
    channels::create(
        db,
        &Actor::system(),
        NewChannel {
            name: "reminders".into(),
            kind: ChannelKind::Webhook,
            url: "http://127.0.0.1:9/reminders".into(),
            events: channels::REMINDER_EVENTS.to_vec(),
            filter: None,
        },
        Utc::now(),
    )
    .await
    .unwrap();
}

/// What the outbox holds: (action, the reminder's kind as the old sender named it, body).
async fn queued(
    db: &sea_orm::DatabaseConnection,
) -> Vec<(String, &'static str, serde_json::Value)> {
    let mut v: Vec<_> = delivery::Entity::find()
        .order_by_asc(delivery::Column::Id)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|d| {
            let kind = match d.event.parse::<NotifyEvent>().unwrap() {
                NotifyEvent::ActionDueSoon => "due_soon",
                NotifyEvent::ActionOverdue => "overdue",
                NotifyEvent::ActionVerificationDue => "verification_due",
                other => panic!("not a reminder: {other}"),
            };
            (d.record_key, kind, serde_json::from_str(&d.body).unwrap())
        })
        .collect();
    v.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    v
}

fn kinds(q: &[(String, &'static str, serde_json::Value)]) -> Vec<(String, &'static str)> {
    q.iter().map(|(a, k, _)| (a.clone(), *k)).collect()
}

/// Monday 2 March 2026, 09:00 UTC: "today" is 2026-03-02.
fn monday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

async fn run(db: &sea_orm::DatabaseConnection, now: DateTime<Utc>) -> usize {
    reminders::run(db, "https://hindsight.example", now)
        .await
        .unwrap()
}

db_test!(reminders_go_out_once_per_state, |db| {
    let [ic, admin] = all_signed_in(
        &db,
        [
            ("ic@example.org", Role::Responder),
            ("admin@example.org", Role::Admin),
        ],
    )
    .await;
    ic.post(
        "/api/v1/incidents",
        json!({"title": "Outage", "severity": "sev3", "status": "resolved"}),
    )
    .await;
    let mk = |title: &str, due: &str| json!({"title": title, "owner": "ic@example.org", "team": "payments", "due_date": due, "incident": "INC-1"});
    for body in [
        mk("due tomorrow", "2026-03-03"),      // ACT-1 due soon
        mk("overdue", "2026-02-20"),           // ACT-2 overdue
        mk("verification late", "2026-02-01"), // ACT-3 done, verification overdue
        mk("far away", "2026-03-12"),          // ACT-4 nothing yet
        mk("cancelled", "2026-02-01"),         // ACT-5 nothing
    ] {
        assert_eq!(
            ic.post("/api/v1/actions", body).await.status,
            axum::http::StatusCode::CREATED
        );
    }
    ic.patch(
        "/api/v1/actions/ACT-3",
        json!({"verification_due": "2026-02-27"}),
    )
    .await;
    ic.post("/api/v1/actions/ACT-3/transition", json!({"to": "done"}))
        .await;
    ic.post(
        "/api/v1/actions/ACT-5/transition",
        json!({"to": "cancelled", "reason": "dup"}),
    )
    .await;
    // The incident is closed: its actions' reminders go on.
    ic.patch("/api/v1/incidents/INC-1", json!({"status": "closed"}))
        .await;

    // Nothing listens yet: nothing is queued, and nothing is marked as told.
    assert_eq!(run(&db, monday()).await, 0);
    listening(&db).await;
    assert_eq!(run(&db, monday()).await, 3);
    let q = queued(&db).await;
    assert_eq!(
        kinds(&q),
        [
            ("ACT-1".to_owned(), "due_soon"),
            ("ACT-2".to_owned(), "overdue"),
            ("ACT-3".to_owned(), "verification_due"),
        ]
    );
    let overdue = &q.iter().find(|x| x.0 == "ACT-2").unwrap().2;
    assert!(
        overdue["summary"]
            .as_str()
            .unwrap()
            .starts_with("ACT-2 is overdue (due 2026-02-20): overdue — ic@example.org (payments)"),
        "{overdue}"
    );
    assert_eq!(
        overdue["record"]["url"],
        "https://hindsight.example/actions/ACT-2"
    );
    assert_eq!(overdue["event"], "action.overdue");
    assert_eq!(overdue["facts"]["deadline"], "2026-02-20");
    assert_eq!(overdue["team"], "payments");
    assert_eq!(
        overdue["severity"], "sev3",
        "the incident's, for the channels' filters"
    );

    // Again, later that day, or after a restart (the same database): nothing.
    assert_eq!(run(&db, monday() + Duration::hours(5)).await, 0);

    // A week on: ACT-1 has become overdue, ACT-4 is due soon; the others were told already.
    let before = queued(&db).await.len();
    assert_eq!(run(&db, monday() + Duration::days(8)).await, 2);
    let q = queued(&db).await;
    assert_eq!(q.len(), before + 2);
    assert!(kinds(&q).contains(&("ACT-1".to_owned(), "overdue")));
    assert!(kinds(&q).contains(&("ACT-4".to_owned(), "due_soon")));

    // Done, then reopened and still late: a new state, a new reminder.
    admin
        .post("/api/v1/actions/ACT-2/transition", json!({"to": "done"}))
        .await;
    admin
        .post("/api/v1/actions/ACT-2/transition", json!({"to": "open"}))
        .await;
    assert_eq!(run(&db, monday() + Duration::days(8)).await, 1);
    let overdue_act2 = kinds(&queued(&db).await)
        .into_iter()
        .filter(|k| *k == ("ACT-2".to_owned(), "overdue"))
        .count();
    assert_eq!(overdue_act2, 2, "once before the reopen, once after");

    // A new due date is a new state.
    ic.patch("/api/v1/actions/ACT-4", json!({"due_date": "2026-03-01"}))
        .await;
    assert_eq!(run(&db, monday() + Duration::days(8)).await, 1);
    assert_eq!(run(&db, monday() + Duration::days(8)).await, 0);
});

db_test!(
    the_webhook_address_is_checked_and_kept_from_non_admins,
    |db| {
        let [ic, admin] = all_signed_in(
            &db,
            [
                ("ic@example.org", Role::Responder),
                ("admin@example.org", Role::Admin),
            ],
        )
        .await;
        let r = admin
            .patch(
                "/api/v1/settings",
                json!({"reminder_webhook_url": "ftp://hooks.example"}),
            )
            .await;
        assert_eq!(r.status, axum::http::StatusCode::UNPROCESSABLE_ENTITY);
        let secret = "https://hooks.slack.example/services/T000/B000/XXXXSECRET";
        let r = admin
            .patch("/api/v1/settings", json!({"reminder_webhook_url": secret}))
            .await;
        assert_eq!(r.body["reminder_webhook_url"], secret, "admins see it");
        assert_eq!(
            ic.get("/api/v1/settings").await.body["reminder_webhook_url"],
            "(set)"
        );
        let history = ic.get("/api/v1/history/settings/org").await.text;
        assert!(
            !history.contains("XXXXSECRET"),
            "never in the history: {history}"
        );
        assert!(history.contains("reminder_webhook_url"));
    }
);

/// The `reminder_webhook_url` setting against a local receiver: a Slack-style message with
/// `text`, one POST per reminder; a receiver that is down keeps the message for a retry and
/// its error never names the address.
#[tokio::test]
async fn the_reminder_webhook_setting_posts_slack_messages() {
    use axum::routing::post;
    let got: std::sync::Arc<Mutex<Vec<serde_json::Value>>> = Default::default();
    let store = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |axum::Json(v): axum::Json<serde_json::Value>| {
            let store = store.clone();
            async move {
                store.lock().unwrap().push(v);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });

    let db = tests::sqlite_db().await;
    let [ic, admin] = all_signed_in(
        &db,
        [
            ("ic@example.org", Role::Responder),
            ("admin@example.org", Role::Admin),
        ],
    )
    .await;
    let r = admin
        .patch(
            "/api/v1/settings",
            json!({"reminder_webhook_url": format!("http://{addr}/hook")}),
        )
        .await;
    assert_eq!(r.status, axum::http::StatusCode::OK, "{}", r.body);
    // The setting keeps a channel of its own, subscribed to the three reminder events.
    let list = admin.get("/api/v1/channels").await.body;
    assert_eq!(list[0]["managed"], "reminder_webhook_url", "{list}");
    assert_eq!(list[0]["kind"], "slack");
    assert_eq!(list[0]["events"].as_array().unwrap().len(), 3);
    ic.post(
        "/api/v1/actions",
        json!({"title": "Late fix", "owner": "ic@example.org", "due_date": "2026-02-01"}),
    )
    .await;
    assert_eq!(run(&db, monday()).await, 1);
    let client = app::ssr::http_client().unwrap();
    assert_eq!(deliver::run_once_at(&db, &client, monday).await.unwrap(), 1);
    let bodies = got.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1);
    assert!(
        bodies[0]["text"]
            .as_str()
            .unwrap()
            .contains("ACT-1 is overdue"),
        "{}",
        bodies[0]
    );
    assert!(bodies[0]["blocks"].is_array());
    // Sent: nothing left to send.
    assert_eq!(deliver::run_once_at(&db, &client, monday).await.unwrap(), 0);

    // A receiver that is down: the message waits for a retry; the error has no address.
    admin
        .patch(
            "/api/v1/settings",
            json!({"reminder_webhook_url": "http://127.0.0.1:9/hook-secret"}),
        )
        .await;
    ic.post(
        "/api/v1/actions",
        json!({"title": "Another", "due_date": "2026-02-01"}),
    )
    .await;
    assert_eq!(run(&db, monday()).await, 1);
    assert_eq!(deliver::run_once_at(&db, &client, monday).await.unwrap(), 1);
    let id = list[0]["id"].as_i64().unwrap();
    let log = admin
        .get(&format!("/api/v1/channels/{id}/deliveries"))
        .await;
    let newest = &log.body["items"][0];
    assert_eq!(newest["status"], "pending", "{}", log.body);
    assert_eq!(newest["attempts"], 1);
    // Tried again after the first delay, 15 s.
    assert_eq!(newest["next_attempt_at"], "2026-03-02T09:00:15Z");
    assert!(!log.text.contains("hook-secret"), "{}", log.text);
    assert!(newest["last_error"].is_string());
    // Clearing the setting removes its channel.
    admin
        .patch("/api/v1/settings", json!({"reminder_webhook_url": null}))
        .await;
    assert_eq!(admin.get("/api/v1/channels").await.body, json!([]));
}

/// Seeds reminders through pool `a`, then runs the job 8 times at once, alternating between
/// pools `a` and `b`: each reminder is queued once, whichever run wins it.
async fn concurrent_runs_send_once(a: sea_orm::DatabaseConnection, b: sea_orm::DatabaseConnection) {
    let ic = signed_in(&a, "ic@example.org", Role::Responder).await;
    let mk = |title: &str, due: &str| json!({"title": title, "owner": "ic@example.org", "due_date": due});
    for body in [
        mk("late one", "2026-02-20"),   // ACT-1 overdue
        mk("late two", "2026-02-01"),   // ACT-2 overdue
        mk("soon one", "2026-03-03"),   // ACT-3 due soon
        mk("soon two", "2026-03-04"),   // ACT-4 due soon
        mk("late three", "2026-01-15"), // ACT-5 overdue
        mk("far away", "2026-04-01"),   // ACT-6 nothing
        mk("verify", "2026-02-01"),     // ACT-7 done, verification overdue
    ] {
        assert_eq!(
            ic.post("/api/v1/actions", body).await.status,
            axum::http::StatusCode::CREATED
        );
    }
    ic.patch(
        "/api/v1/actions/ACT-7",
        json!({"verification_due": "2026-02-27"}),
    )
    .await;
    ic.post("/api/v1/actions/ACT-7/transition", json!({"to": "done"}))
        .await;
    let expected = [
        ("ACT-1".to_owned(), "overdue"),
        ("ACT-2".to_owned(), "overdue"),
        ("ACT-3".to_owned(), "due_soon"),
        ("ACT-4".to_owned(), "due_soon"),
        ("ACT-5".to_owned(), "overdue"),
        ("ACT-7".to_owned(), "verification_due"),
    ];
    listening(&a).await;

    let mut set = tokio::task::JoinSet::new();
    for i in 0..8 {
        let db = if i % 2 == 0 { a.clone() } else { b.clone() };
        set.spawn(async move { reminders::run(&db, "https://hindsight.example", monday()).await });
    }
    let counts: Vec<usize> = set
        .join_all()
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        kinds(&queued(&a).await),
        expected,
        "each reminder once (runs queued {counts:?})"
    );
    assert_eq!(counts.iter().sum::<usize>(), expected.len(), "{counts:?}");
    // And later runs, on either pool, find nothing left to send.
    assert_eq!(run(&a, monday() + Duration::hours(1)).await, 0);
    assert_eq!(run(&b, monday() + Duration::hours(2)).await, 0);
}

#[tokio::test]
async fn concurrent_runs_send_each_reminder_once_sqlite() {
    let pools = tests::TwoPools::sqlite("reminders").await;
    concurrent_runs_send_once(pools.a.clone(), pools.b.clone()).await;
}

#[tokio::test]
async fn concurrent_runs_send_each_reminder_once_postgres() {
    let Some(pools) = tests::TwoPools::postgres().await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set, so the PostgreSQL half did not run");
        return;
    };
    concurrent_runs_send_once(pools.a.clone(), pools.b.clone()).await;
}
