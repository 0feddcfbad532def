//! Deadline reminders with a fake clock and a recording sender, on SQLite and PostgreSQL:
//! which actions get one, exactly once per state (also across restarts and with many runs at
//! once on separate connection pools), again after a reopen, retried after a failed send, and
//! never stopped by a closed incident.

use std::sync::Mutex;

use app::domain::Role;
use app::ssr::services::reminders::{self, Reminder, Sender};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;
use tests::db_test;
use tests::http::{all_signed_in, signed_in};

#[derive(Default)]
struct Recorder {
    sent: Mutex<Vec<Reminder>>,
    fail: bool,
    /// How long each send takes (a slow webhook), so concurrent runs overlap.
    pause: Option<std::time::Duration>,
}

impl Sender for Recorder {
    async fn send(&self, r: &Reminder) -> Result<(), String> {
        if let Some(p) = self.pause {
            tokio::time::sleep(p).await;
        }
        if self.fail {
            return Err("webhook down".into());
        }
        self.sent.lock().unwrap().push(r.clone());
        Ok(())
    }
}

impl Recorder {
    fn kinds(&self) -> Vec<(String, &'static str)> {
        let mut v: Vec<_> = self
            .sent
            .lock()
            .unwrap()
            .iter()
            .map(|r| (r.action.clone(), r.kind.as_str()))
            .collect();
        v.sort();
        v
    }
}

/// Monday 2 March 2026, 09:00 UTC: "today" is 2026-03-02.
fn monday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

async fn run(db: &sea_orm::DatabaseConnection, r: &Recorder, now: DateTime<Utc>) -> usize {
    reminders::run(db, r, "https://hindsight.example", now)
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

    let r = Recorder::default();
    assert_eq!(run(&db, &r, monday()).await, 3);
    assert_eq!(
        r.kinds(),
        [
            ("ACT-1".to_owned(), "due_soon"),
            ("ACT-2".to_owned(), "overdue"),
            ("ACT-3".to_owned(), "verification_overdue"),
        ]
    );
    let sent = r.sent.lock().unwrap().clone();
    let overdue = sent.iter().find(|x| x.action == "ACT-2").unwrap();
    assert!(
        overdue
            .text
            .starts_with("ACT-2 is overdue (due 2026-02-20): overdue — ic@example.org (payments)"),
        "{}",
        overdue.text
    );
    assert_eq!(overdue.url, "https://hindsight.example/actions/ACT-2");
    // The webhook's JSON has a Slack-compatible `text`.
    let body = serde_json::to_value(overdue).unwrap();
    assert!(
        body["text"].is_string() && body["kind"] == "overdue" && body["deadline"] == "2026-02-20"
    );

    // Again, later that day, or after a restart (a new sender, the same database): nothing.
    let again = Recorder::default();
    assert_eq!(run(&db, &again, monday() + Duration::hours(5)).await, 0);

    // A week on: ACT-1 has become overdue, ACT-4 is due soon; the others were told already.
    let week = Recorder::default();
    assert_eq!(run(&db, &week, monday() + Duration::days(8)).await, 2);
    assert_eq!(
        week.kinds(),
        [
            ("ACT-1".to_owned(), "overdue"),
            ("ACT-4".to_owned(), "due_soon")
        ]
    );

    // Done, then reopened and still late: a new state, a new reminder.
    admin
        .post("/api/v1/actions/ACT-2/transition", json!({"to": "done"}))
        .await;
    admin
        .post("/api/v1/actions/ACT-2/transition", json!({"to": "open"}))
        .await;
    let reopened = Recorder::default();
    assert_eq!(run(&db, &reopened, monday() + Duration::days(8)).await, 1);
    assert_eq!(reopened.kinds(), [("ACT-2".to_owned(), "overdue")]);

    // A failed send is not recorded, so it is tried again.
    ic.patch("/api/v1/actions/ACT-4", json!({"due_date": "2026-03-01"}))
        .await;
    let down = Recorder {
        fail: true,
        ..Default::default()
    };
    assert_eq!(run(&db, &down, monday() + Duration::days(8)).await, 0);
    let up = Recorder::default();
    assert_eq!(run(&db, &up, monday() + Duration::days(8)).await, 1);
    assert_eq!(
        up.kinds(),
        [("ACT-4".to_owned(), "overdue")],
        "a new due date is a new state"
    );
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

/// The real webhook sender against a local receiver: JSON with `text`, one POST per reminder.
#[tokio::test]
async fn the_webhook_posts_json_with_a_text_field() {
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
    let ic = signed_in(&db, "ic@example.org", Role::Responder).await;
    ic.post(
        "/api/v1/actions",
        json!({"title": "Late fix", "owner": "ic@example.org", "due_date": "2026-02-01"}),
    )
    .await;
    let hook = hindsight::jobs::Webhook::new(format!("http://{addr}/hook")).unwrap();
    let n = reminders::run(&db, &hook, "https://hindsight.example", monday())
        .await
        .unwrap();
    assert_eq!(n, 1);
    let bodies = got.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1);
    assert!(
        bodies[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("ACT-1 is overdue"),
        "{}",
        bodies[0]
    );
    // A receiver that is down: nothing recorded, an error without the address.
    let down = hindsight::jobs::Webhook::new("http://127.0.0.1:9/hook-secret".into()).unwrap();
    ic.post(
        "/api/v1/actions",
        json!({"title": "Another", "due_date": "2026-02-01"}),
    )
    .await;
    let err = down
        .send(&reminders::Reminder {
            text: "x".into(),
            kind: reminders::ReminderKind::Overdue,
            action: "ACT-2".into(),
            title: "x".into(),
            owner: None,
            team: None,
            deadline: chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
            url: String::new(),
        })
        .await
        .unwrap_err();
    assert!(!err.contains("hook-secret"), "{err}");
    assert_eq!(
        reminders::run(&db, &down, "https://hindsight.example", monday())
            .await
            .unwrap(),
        0
    );
}

/// Seeds reminders through pool `a`, then runs the job 8 times at once, alternating between
/// pools `a` and `b`, with a slow sender: each reminder goes out once, whichever run wins it.
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
        ("ACT-7".to_owned(), "verification_overdue"),
    ];

    let rec = std::sync::Arc::new(Recorder {
        pause: Some(std::time::Duration::from_millis(20)),
        ..Default::default()
    });
    let mut set = tokio::task::JoinSet::new();
    for i in 0..8 {
        let db = if i % 2 == 0 { a.clone() } else { b.clone() };
        let rec = rec.clone();
        set.spawn(async move {
            reminders::run(&db, &*rec, "https://hindsight.example", monday()).await
        });
    }
    let counts: Vec<usize> = set
        .join_all()
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        rec.kinds(),
        expected,
        "each reminder once (runs sent {counts:?})"
    );
    assert_eq!(counts.iter().sum::<usize>(), expected.len(), "{counts:?}");
    // And later runs, on either pool, find nothing left to send.
    let later = Recorder::default();
    assert_eq!(run(&a, &later, monday() + Duration::hours(1)).await, 0);
    assert_eq!(run(&b, &later, monday() + Duration::hours(2)).await, 0);
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
