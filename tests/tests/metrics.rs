//! The metrics API on a hand-built data set where every edge the SPEC names is decided by a
//! minute or a day: inclusive dates in the organisation's time zone, completion on the due
//! date, cancelled actions nowhere, the median of an even count, nearest-rank p90,
//! business-day RCA deadlines, strictly earlier recurrence, top drivers tied by name. Records
//! are written through the services with a fake clock; the figures are read over HTTP.

use app::domain::{ActionStatus, PostmortemStatus, Priority, Role, RootCauseCategory, Severity};
use app::model::{
    ActionTransition, NewAction, NewIncident, NewKnownError, PostmortemInput, PostmortemTransition,
};
use app::ssr::auth::Actor;
use app::ssr::services::{
    action as actions, known_error as known_errors, postmortem as postmortems,
};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use tests::http::{Client, PASSWORD, user as add_user};
use tests::{db_test, seed};

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

struct Inc<'a> {
    title: &'a str,
    severity: Severity,
    started: Option<&'a str>,
    detected: &'a str,
    mitigated: Option<&'a str>,
    resolved: Option<&'a str>,
    services: &'a [&'a str],
}

async fn incident(db: &sea_orm::DatabaseConnection, a: &Actor, i: Inc<'_>) -> String {
    let resolved = i.resolved.map(t);
    seed::declared(
        db,
        a,
        NewIncident {
            title: i.title.into(),
            severity: Some(i.severity),
            status: resolved.map(|_| app::domain::IncidentStatus::Resolved),
            services: i.services.iter().map(|s| (*s).to_owned()).collect(),
            started_at: i.started.map(t),
            detected_at: Some(t(i.detected)),
            mitigated_at: i.mitigated.map(t),
            resolved_at: resolved,
            ..Default::default()
        },
        resolved.unwrap_or(t(i.detected)),
    )
    .await
    .key
}

/// An action created at `created`, then moved through `steps` (status, when).
async fn action(
    db: &sea_orm::DatabaseConnection,
    admin: &Actor,
    new: NewAction,
    created: &str,
    steps: &[(ActionStatus, &str)],
) -> String {
    let a = actions::create(db, admin, new, t(created)).await.unwrap();
    for (to, at) in steps {
        let tr = ActionTransition {
            to: *to,
            at: None,
            result: (*to == ActionStatus::Verified)
                .then_some(app::domain::VerificationResult::Effective),
            evidence: (*to == ActionStatus::Verified).then(|| "checked".to_owned()),
            reason: (*to == ActionStatus::Cancelled).then(|| "duplicate".to_owned()),
            version: None,
        };
        actions::transition(db, admin, &a.key, tr, t(at))
            .await
            .unwrap();
    }
    a.key
}

fn names(v: &Value) -> Vec<(String, u64)> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    (
                        r["name"].as_str().unwrap_or("").to_owned(),
                        r["count"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

db_test!(every_edge_the_spec_names, |db| {
    let sys = Actor::system();
    app::ssr::services::settings::update(
        &db,
        &sys,
        json!({"timezone": "Europe/Berlin", "update_gap_target_minutes": 60})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        t("2026-01-01T00:00:00Z"),
    )
    .await
    .unwrap();
    let admin = seed::actor(&db, "admin@example.org", Role::Admin).await;
    let owner = seed::actor(&db, "owner@example.org", Role::Member).await;
    let _ = owner;

    // January 2026 in Berlin (UTC+1): 2025-12-31T23:00Z to 2026-01-31T23:00Z.
    // INC-1: detected 00:30 on 1 January in Berlin, in the period (sev2, TTR 10 min).
    let i1 = incident(
        &db,
        &admin,
        Inc {
            title: "Edge in",
            severity: Severity::Sev2,
            started: Some("2025-12-31T23:20:00Z"),
            detected: "2025-12-31T23:30:00Z",
            mitigated: Some("2025-12-31T23:35:00Z"),
            resolved: Some("2025-12-31T23:40:00Z"),
            services: &["b"],
        },
    )
    .await;
    // INC-2: 00:30 on 1 February in Berlin, outside (though still 31 January in UTC).
    incident(
        &db,
        &admin,
        Inc {
            title: "Edge out",
            severity: Severity::Sev2,
            started: None,
            detected: "2026-01-31T23:30:00Z",
            mitigated: None,
            resolved: Some("2026-02-01T01:00:00Z"),
            services: &["b"],
        },
    )
    .await;
    // INC-3..5: sev2 with TTR 20, 30 and 100 minutes; with INC-1 the TTRs are 10, 20, 30, 100.
    let i3 = incident(
        &db,
        &admin,
        Inc {
            title: "Twenty",
            severity: Severity::Sev2,
            started: None,
            detected: "2026-01-05T10:00:00Z",
            mitigated: None,
            resolved: Some("2026-01-05T10:20:00Z"),
            services: &["a"],
        },
    )
    .await;
    let i4 = incident(
        &db,
        &admin,
        Inc {
            title: "Thirty",
            severity: Severity::Sev2,
            started: None,
            detected: "2026-01-05T10:00:00Z",
            mitigated: None,
            resolved: Some("2026-01-05T10:30:00Z"),
            services: &["Z"],
        },
    )
    .await;
    incident(
        &db,
        &admin,
        Inc {
            title: "Hundred",
            severity: Severity::Sev2,
            started: None,
            detected: "2026-01-20T10:00:00Z",
            mitigated: None,
            resolved: Some("2026-01-20T11:40:00Z"),
            services: &[],
        },
    )
    .await;
    // INC-6, INC-7: sev1 resolved Friday 9 January 10:00 Berlin; 5 business days → Friday
    // 16 January 10:00 Berlin (09:00Z). One is published a minute before, one a minute after.
    let s1 = incident(
        &db,
        &admin,
        Inc {
            title: "Sev1 on time",
            severity: Severity::Sev1,
            started: None,
            detected: "2026-01-09T08:00:00Z",
            mitigated: None,
            resolved: Some("2026-01-09T09:00:00Z"),
            services: &[],
        },
    )
    .await;
    let s2 = incident(
        &db,
        &admin,
        Inc {
            title: "Sev1 late",
            severity: Severity::Sev1,
            started: None,
            detected: "2026-01-09T08:00:00Z",
            mitigated: None,
            resolved: Some("2026-01-09T09:00:00Z"),
            services: &[],
        },
    )
    .await;
    for (key, at, cat) in [
        (&s1, "2026-01-16T08:59:00Z", RootCauseCategory::ConfigChange),
        (&s2, "2026-01-16T09:01:00Z", RootCauseCategory::Capacity),
    ] {
        postmortems::put(
            &db,
            &admin,
            key,
            PostmortemInput {
                root_cause_category: Some(Some(cat)),
                root_cause: Some("a cause".into()),
                ..Default::default()
            },
            t("2026-01-12T10:00:00Z"),
        )
        .await
        .unwrap();
        for to in [PostmortemStatus::InReview, PostmortemStatus::Published] {
            postmortems::transition(
                &db,
                &admin,
                key,
                PostmortemTransition { to, version: None },
                t(at),
            )
            .await
            .unwrap();
        }
    }
    // Sev1 update gaps: INC-6 gets updates 30 and 50 minutes after detection (longest gap 30
    // to the resolution at 60); INC-7 none (60).
    for m in [30, 50] {
        seed::event(
            &db,
            &admin,
            &s1,
            app::model::NewEvent {
                occurred_at: Some(t("2026-01-09T08:00:00Z") + chrono::Duration::minutes(m)),
                kind: app::domain::EventKind::Update,
                body: "update".into(),
                visibility: None,
            },
            t("2026-01-09T09:00:00Z"),
        )
        .await;
    }

    // Recurrence: INC-3 and INC-4 share a detection minute and a known error: neither is
    // "strictly earlier". INC-1 (earlier) links another known error with INC-5... no: with
    // the later INC-3 through KE-2, so INC-3 recurs.
    let ke1 = seed::known_error(
        &db,
        &admin,
        NewKnownError {
            title: "Same minute".into(),
            ..Default::default()
        },
        t("2026-01-06T00:00:00Z"),
    )
    .await
    .key;
    let ke2 = seed::known_error(
        &db,
        &admin,
        NewKnownError {
            title: "Earlier".into(),
            ..Default::default()
        },
        t("2026-01-06T00:00:00Z"),
    )
    .await
    .key;
    for (ke, inc) in [(&ke1, &i3), (&ke1, &i4), (&ke2, &i1), (&ke2, &i3)] {
        known_errors::link(&db, &admin, ke, inc, t("2026-01-06T00:00:00Z"))
            .await
            .unwrap();
    }

    // Actions (team payments unless said), created in January Berlin time unless said.
    let base = |title: &str, due: &str| NewAction {
        title: title.into(),
        team: Some("payments".into()),
        due_date: Some(d(due)),
        owner: Some("owner@example.org".into()),
        ..Default::default()
    };
    // Completed 23:30 Berlin on its due date: on time.
    action(
        &db,
        &admin,
        base("on the day", "2026-01-15"),
        "2026-01-02T10:00:00Z",
        &[(ActionStatus::Done, "2026-01-15T22:30:00Z")],
    )
    .await;
    // Completed 00:30 Berlin the day after: late (though still the due date in UTC).
    action(
        &db,
        &admin,
        base("a day late", "2026-01-15"),
        "2026-01-02T10:00:00Z",
        &[(ActionStatus::Done, "2026-01-15T23:30:00Z")],
    )
    .await;
    // Open and past due: late, overdue (critical).
    action(
        &db,
        &admin,
        NewAction {
            priority: Some(Priority::Critical),
            ..base("forgotten", "2026-01-20")
        },
        "2026-01-02T10:00:00Z",
        &[],
    )
    .await;
    // Cancelled while overdue: counts nowhere.
    action(
        &db,
        &admin,
        base("dropped", "2026-01-10"),
        "2026-01-02T10:00:00Z",
        &[(ActionStatus::Cancelled, "2026-01-20T10:00:00Z")],
    )
    .await;
    // Open, due after "today" (10 February): not in D, not overdue. Another team.
    action(
        &db,
        &admin,
        NewAction {
            team: Some("api".into()),
            ..base("later", "2026-02-20")
        },
        "2025-12-31T22:59:00Z",
        &[],
    )
    .await;
    // Verified a day before its verification deadline (another team, created on 31 Dec
    // Berlin: outside the closure period).
    action(
        &db,
        &admin,
        NewAction {
            team: Some("api".into()),
            verification_due: Some(d("2026-01-25")),
            ..base("proven", "2026-01-12")
        },
        "2025-12-31T22:00:00Z",
        &[
            (ActionStatus::Done, "2026-01-11T10:00:00Z"),
            (ActionStatus::Verified, "2026-01-24T10:00:00Z"),
        ],
    )
    .await;
    // Done, verification due 1 February and not verified by 10 February: verification overdue, late.
    action(
        &db,
        &admin,
        NewAction {
            verification_due: Some(d("2026-01-31")),
            ..base("unproven", "2026-01-30")
        },
        "2026-01-03T10:00:00Z",
        &[(ActionStatus::Done, "2026-01-29T10:00:00Z")],
    )
    .await;

    let c = Client::new(db.clone())
        .login("owner@example.org", PASSWORD)
        .await;
    let r = c
        .get("/api/v1/metrics?from=2026-01-01&to=2026-01-31&as_of=2026-02-10T12:00:00Z")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let m = &r.body;
    assert_eq!(m["from"], "2026-01-01");
    assert_eq!(m["to"], "2026-01-31");
    // Incidents: INC-2 is February in Berlin.
    assert_eq!(
        m["incidents"]["count"],
        json!({"sev1": 2, "sev2": 4, "sev3": 0, "sev4": 0, "total": 6})
    );
    // TTR of sev2: 10, 20, 30, 100 → mean 40, median (20+30)/2 = 25, p90 = ⌈3.6⌉ = 4th = 100.
    assert_eq!(
        m["incidents"]["time_to_resolve"]["sev2"],
        json!({"mean": 40.0, "median": 25.0, "p90": 100.0})
    );
    assert_eq!(
        m["incidents"]["time_to_resolve"]["sev1"],
        json!({"mean": 60.0, "median": 60.0, "p90": 60.0})
    );
    // All six: 10, 20, 30, 60, 60, 100 → median 45, p90 = ⌈5.4⌉ = 6th = 100.
    assert_eq!(m["incidents"]["time_to_resolve"]["all"]["median"], 45.0);
    assert_eq!(m["incidents"]["time_to_resolve"]["all"]["p90"], 100.0);
    assert_eq!(
        m["incidents"]["time_to_detect"],
        json!({"sev2": {"mean": 10.0, "median": 10.0, "p90": 10.0}, "all": {"mean": 10.0, "median": 10.0, "p90": 10.0}})
    );
    assert!(
        m["incidents"]["time_to_resolve"].get("sev3").is_none(),
        "a severity without data is left out"
    );
    // RCA: sev1/sev2 resolved in January (INC-1 at 00:40 on 1 January in Berlin, not INC-2):
    // all six are past their deadlines or published; only INC-6 was published by its
    // business-day deadline (INC-7 a minute after it).
    assert_eq!(m["rca"]["completion_rate"], json!(1.0 / 6.0));
    // Recurrence: only INC-3 (KE-2 links the earlier INC-1); INC-3/INC-4 tie on KE-1.
    assert_eq!(m["recurrence_rate"], json!(1.0 / 6.0));
    // Update gaps: INC-6 30 min, INC-7 60 min; target 60 → both within.
    assert_eq!(
        m["comms"]["sev1_update_gap"],
        json!([{"incident": s1, "max_gap_minutes": 30.0}, {"incident": s2, "max_gap_minutes": 60.0}])
    );
    assert_eq!(m["comms"]["within_target_rate"], 1.0);
    // Actions: D = on the day, a day late, forgotten, proven, unproven (not dropped, not
    // later) → on time: on the day, proven, unproven = 3/5.
    assert_eq!(m["actions"]["on_time_rate"], 0.6);
    assert_eq!(m["actions"]["critical_on_time_rate"], 0.0);
    assert_eq!(m["actions"]["overdue"], 1);
    assert_eq!(
        m["actions"]["overdue_by_priority"],
        json!({"critical": 1, "high": 0, "medium": 0, "low": 0})
    );
    // Created in January (Berlin): on the day, a day late, forgotten, unproven (cancelled and
    // the two created on 31 December are out) → done or verified: 3 of 4.
    assert_eq!(m["actions"]["closure_rate"], 0.75);
    // Done on 15 January: verification due 30 days later, not yet overdue; unproven is.
    assert_eq!(m["verification"]["overdue"], 1);
    // V: proven (verified a day early) and unproven (past due) → 1 of 2.
    assert_eq!(m["verification"]["on_time_rate"], 0.5);
    // Top drivers: services a, b, Z once each (INC-2 is out) → plain string order Z, a, b.
    assert_eq!(
        names(&m["top_drivers"]["service"]),
        [
            ("Z".to_owned(), 1),
            ("a".to_owned(), 1),
            ("b".to_owned(), 1)
        ]
    );
    assert_eq!(
        names(&m["top_drivers"]["root_cause_category"]),
        [("capacity".to_owned(), 1), ("config_change".to_owned(), 1)]
    );
    assert_eq!(
        names(&m["top_drivers"]["known_error"]),
        [(ke1.clone(), 2), (ke2.clone(), 2)]
    );
    assert_eq!(
        m["by_team"],
        json!([
            {"team": "api", "open": 1, "overdue": 0, "on_time_rate": 1.0, "verification_overdue": 0},
            {"team": "payments", "open": 1, "overdue": 1, "on_time_rate": 0.5, "verification_overdue": 1},
        ])
    );

    // Filters: a team, a severity.
    let r = c
        .get("/api/v1/metrics?from=2026-01-01&to=2026-01-31&as_of=2026-02-10T12:00:00Z&team=api")
        .await;
    assert_eq!(r.body["actions"]["on_time_rate"], 1.0);
    assert_eq!(
        r.body["incidents"]["count"]["total"], 6,
        "teams filter actions only"
    );
    let r = c.get("/api/v1/metrics?from=2026-01-01&to=2026-01-31&as_of=2026-02-10T12:00:00Z&severity=sev1").await;
    assert_eq!(r.body["incidents"]["count"]["total"], 2);
    assert_eq!(
        r.body["actions"]["on_time_rate"],
        Value::Null,
        "no action belongs to a sev1 incident"
    );
    // Bad input: 422 naming the field.
    for (q, f) in [
        ("from=2026-02-01&to=2026-01-01", "from"),
        ("from=yesterday", "from"),
        ("severity=sev9", "severity"),
        ("as_of=soon", "as_of"),
    ] {
        let r = c.get(&format!("/api/v1/metrics?{q}")).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{q}: {}",
            r.body
        );
        assert_eq!(r.body["error"]["fields"][0]["field"], f, "{q}: {}", r.body);
    }
    // Defaults: the 90 days up to today.
    let r = c.get("/api/v1/metrics").await;
    let to = r.body["to"]
        .as_str()
        .unwrap_or("")
        .parse::<NaiveDate>()
        .unwrap();
    let from = r.body["from"]
        .as_str()
        .unwrap_or("")
        .parse::<NaiveDate>()
        .unwrap();
    assert_eq!((to - from).num_days(), 89);
});

db_test!(a_new_time_zone_moves_the_dates_the_metrics_compare, |db| {
    let admin = seed::actor(&db, "admin@example.org", Role::Admin).await;
    add_user(&db, "owner@example.org", Role::Member).await;
    // Completed at 23:30 UTC on its due date: on time in UTC, a day late in Berlin.
    action(
        &db,
        &admin,
        NewAction {
            title: "late in Berlin".into(),
            due_date: Some(d("2026-01-15")),
            owner: Some("owner@example.org".into()),
            ..Default::default()
        },
        "2026-01-14T23:30:00Z",
        &[(ActionStatus::Done, "2026-01-15T23:30:00Z")],
    )
    .await;
    let c = Client::new(db.clone())
        .login("admin@example.org", PASSWORD)
        .await;
    let q = "/api/v1/metrics?from=2026-01-15&to=2026-01-15&as_of=2026-02-01T00:00:00Z";
    let r = c.get(q).await;
    assert_eq!(r.body["actions"]["on_time_rate"], 1.0, "{}", r.body);
    assert_eq!(
        r.body["actions"]["closure_rate"],
        Value::Null,
        "created on the 14th in UTC"
    );
    let r = c
        .patch("/api/v1/settings", json!({"timezone": "Europe/Berlin"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = c.get(q).await;
    assert_eq!(r.body["actions"]["on_time_rate"], 0.0, "{}", r.body);
    assert_eq!(
        r.body["actions"]["closure_rate"], 1.0,
        "created on the 15th in Berlin"
    );
});

db_test!(prometheus_metrics_count_open_work_and_time_requests, |db| {
    let admin = seed::actor(&db, "admin@example.org", Role::Admin).await;
    let now = Utc::now();
    for sev in [Severity::Sev1, Severity::Sev2, Severity::Sev2] {
        seed::declared(
            &db,
            &admin,
            NewIncident {
                title: "open".into(),
                severity: Some(sev),
                ..Default::default()
            },
            now,
        )
        .await;
    }
    let overdue = NewAction {
        title: "overdue".into(),
        priority: Some(Priority::Critical),
        due_date: Some(now.date_naive() - chrono::Duration::days(3)),
        ..Default::default()
    };
    action(&db, &admin, overdue.clone(), &now.to_rfc3339(), &[]).await;
    action(
        &db,
        &admin,
        NewAction {
            due_date: None,
            ..overdue
        },
        &now.to_rfc3339(),
        &[],
    )
    .await;
    let c = Client::new(db.clone());
    // A request first, so a latency is recorded.
    c.get("/healthz").await;
    let r = c.get("/metrics").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers[axum::http::header::CONTENT_TYPE]
            .to_str()
            .unwrap_or("")
            .starts_with("text/plain"),
    );
    let text = r.text;
    for line in [
        "hindsight_actions_open{priority=\"critical\"} 2",
        "hindsight_actions_overdue{priority=\"critical\"} 1",
        "hindsight_actions_overdue{priority=\"low\"} 0",
        "hindsight_verifications_overdue 0",
        "hindsight_incidents_open{severity=\"sev1\"} 1",
        "hindsight_incidents_open{severity=\"sev2\"} 2",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
    }
    assert!(
        text.contains("hindsight_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",status=\"200\""),
        "{text}"
    );
    // With a token configured, a scrape must send it.
    let mut state = tests::http::state(db.clone());
    state.config = std::sync::Arc::new(app::ssr::RuntimeConfig {
        metrics_token: Some("scrape-secret".into()),
        ..app::ssr::RuntimeConfig::new(tests::http::ORIGIN)
    });
    let guarded = Client {
        app: hindsight::web::router(state),
        ..Client::new(db.clone())
    };
    let r = guarded.get("/metrics").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(!r.text.contains("scrape-secret"));
    assert_eq!(
        guarded.with_token("wrong").get("/metrics").await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = guarded.with_token("scrape-secret").get("/metrics").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("hindsight_actions_open"));
});

/// The metrics read through a second SQLite pool: read-only connections beside the writer.
/// They see what the writer committed and cannot write themselves.
#[tokio::test]
async fn the_sqlite_reader_pool_sees_commits_and_cannot_write() {
    use sea_orm::ConnectionTrait;
    let dir = std::env::temp_dir().join(format!("hindsight-reader-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("h.db").display());
    let db = app::ssr::db::connect_and_migrate(&url).await.unwrap();
    let reader = app::ssr::db::connect_reader(&url, &db).await.unwrap();
    let admin = seed::actor(&db, "admin@x.org", Role::Admin).await;
    let key = incident(
        &db,
        &admin,
        Inc {
            title: "Checkout errors",
            severity: Severity::Sev2,
            started: None,
            detected: "2026-03-02T10:00:00Z",
            mitigated: None,
            resolved: None,
            services: &[],
        },
    )
    .await;
    assert_eq!(key, "INC-1");
    let q = app::model::MetricsQuery {
        from: Some(d("2026-03-01")),
        to: Some(d("2026-03-31")),
        ..Default::default()
    };
    let m = app::ssr::services::metrics::compute(&reader, &admin, &q, t("2026-04-01T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(m.incidents.count["sev2"], 1);
    let write = reader
        .execute_unprepared("UPDATE incidents SET title = 'changed'")
        .await;
    assert!(write.is_err(), "the reader pool wrote: {write:?}");
    // In-memory databases have no second pool: the reader is the writer.
    let mem = tests::sqlite_db().await;
    let same = app::ssr::db::connect_reader("sqlite::memory:", &mem)
        .await
        .unwrap();
    same.execute_unprepared("CREATE TABLE scratch (x INTEGER)")
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

// The connections are set up for the metrics' statements: SQLite has its percentile
// functions (the server would not start without them), PostgreSQL sessions run without JIT
// compilation and with index pages priced as cached.
db_test!(connections_are_set_up_for_the_metrics, |db| {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let one = |sql: &str| {
        let db = db.clone();
        let stmt = Statement::from_string(db.get_database_backend(), sql.to_owned());
        async move { db.query_one_raw(stmt).await.unwrap().unwrap() }
    };
    match db.get_database_backend() {
        DbBackend::Postgres => {
            for (name, value) in app::ssr::db::PG_SESSION {
                let r = one(&format!("SELECT current_setting('{name}') AS v")).await;
                assert_eq!(r.try_get::<String>("", "v").unwrap(), value, "{name}");
            }
        }
        _ => {
            let r = one(
                "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < 10) \
                 SELECT median(x) AS m, percentile_disc(x, 0.9) AS p FROM s",
            )
            .await;
            assert_eq!(r.try_get::<f64>("", "m").unwrap(), 5.5);
            assert_eq!(r.try_get::<f64>("", "p").unwrap(), 9.0);
        }
    }
});
