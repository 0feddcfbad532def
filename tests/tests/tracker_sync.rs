//! Tracker sync after the link, on SQLite and PostgreSQL, against the contract server
//! (tests/src/trackers.rs): comments on the issue when the action is verified, found not
//! effective or cancelled (through the outbox, with its retries); the reconciliation job
//! catching up on missed webhooks (close and reopen), its rounds taken once with two workers,
//! its back-off on 429 and on a spent rate-limit budget; and no credential in any answer,
//! history entry, stored error or log line.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: failing loudly is the point

use std::sync::{Arc, Mutex};

use app::domain::Role;
use app::ssr::services::tracker::{outbound, reconcile};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::{Value, json};
use tests::db_test;
use tests::http::{Client, admin, created, signed_in};
use tests::trackers::{Contract, connect as tracker, linked};

const GH_TOKEN: &str = "ghp_Sup3rS3cretT0kenValue";
const JIRA_TOKEN: &str = "ATATT3xJiraApiTokenSecret";

async fn github(admin: &Client, api: &Contract) -> (i64, String) {
    tracker(
        admin,
        api,
        json!({"name": "GitHub", "kind": "github", "project": "acme-sre/payments-api",
               "credentials": {"token": GH_TOKEN}}),
    )
    .await
}

async fn transition(c: &Client, key: &str, body: Value) {
    let r = c
        .post(&format!("/api/v1/actions/{key}/transition"), body)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

fn http() -> reqwest::Client {
    app::ssr::http_client().unwrap()
}

fn comments(api: &Contract) -> Vec<tests::trackers::Seen> {
    api.seen()
        .into_iter()
        .filter(|s| s.path.ends_with("/comments") || s.path.ends_with("/comment"))
        .collect()
}

db_test!(verdicts_and_cancellations_are_told_to_the_tracker, |db| {
    let api = Contract::start().await;
    let admin = admin(&db).await;
    let ic = signed_in(&db, "ic@example.org", Role::Responder).await;
    let sre = signed_in(&db, "sre@example.org", Role::Responder).await;
    let (gh, _) = github(&admin, &api).await;
    let (jira, _) = tracker(
        &admin,
        &api,
        json!({"name": "Jira", "kind": "jira", "base_url": "", "project": "OPS",
               "credentials": {"pat": JIRA_TOKEN}}),
    )
    .await;
    let (a1, n1, _) = linked(&ic, gh, "Alert on pool saturation").await;
    let (a2, k2, _) = linked(&ic, jira, "Load-test the failover").await;
    let (a3, n3, _) = linked(&ic, gh, "Rewrite the pool").await;
    let (a4, _, _) = (
        created(
            &ic,
            "/api/v1/actions",
            json!({"title": "Not linked", "owner": "ic@example.org"}),
        )
        .await["key"]
            .as_str()
            .unwrap()
            .to_owned(),
        (),
        (),
    );
    for a in [&a1, &a2, &a4] {
        transition(&ic, a, json!({"to": "done"})).await;
    }
    transition(&sre, &a1, json!({"to": "verified", "result": "effective", "evidence": "Alert fired in the game day."})).await;
    transition(&sre, &a2, json!({"to": "verified", "result": "not_effective", "evidence": "Failover took 9 minutes."})).await;
    transition(
        &ic,
        &a3,
        json!({"to": "cancelled", "reason": "Superseded by ACT-9."}),
    )
    .await;
    transition(
        &sre,
        &a4,
        json!({"to": "verified", "result": "effective", "evidence": "ok"}),
    )
    .await;
    // Nothing is posted in the change's request: the outbox does it.
    assert!(comments(&api).is_empty());
    // The first attempt meets a 503 and is retried later, like any delivery.
    api.fail_next(503, None, json!({"message": "Service Unavailable"}));
    let now = Utc::now();
    assert_eq!(
        outbound::run_once_at(&db, &http(), || now).await.unwrap(),
        3
    );
    assert_eq!(comments(&api).len(), 3, "three messages tried, one refused");
    let later = now + Duration::seconds(16);
    assert_eq!(
        outbound::run_once_at(&db, &http(), || later).await.unwrap(),
        1
    );
    assert_eq!(
        outbound::run_once_at(&db, &http(), || later).await.unwrap(),
        0
    );
    let posted: Vec<_> = comments(&api)
        .into_iter()
        .filter(|s| !s.body.is_null())
        .collect();
    let on = |path: &str| -> Vec<Value> {
        posted
            .iter()
            .filter(|s| s.path == path)
            .map(|s| s.body.clone())
            .collect()
    };
    let c1 = on(&format!(
        "/repos/acme-sre/payments-api/issues/{n1}/comments"
    ));
    let c1: Vec<_> = c1
        .iter()
        .filter(|b| b["body"].as_str().unwrap().contains("verified"))
        .collect();
    assert_eq!(c1.len(), 2, "refused once (503), then posted: {posted:?}");
    let text = c1[0]["body"].as_str().unwrap();
    assert!(
        text.contains(&format!(
            "{a1} was verified effective in Hindsight by sre@example.org"
        )),
        "{text}"
    );
    assert!(text.contains("Alert fired in the game day."));
    assert!(text.contains(&format!("/actions/{a1}")));
    // Jira Data Center: v2, the comment as text.
    let c2 = on(&format!("/rest/api/2/issue/{k2}/comment"));
    assert!(!c2.is_empty(), "{posted:?}");
    let text = c2[0]["body"].as_str().unwrap();
    assert!(
        text.contains("found not effective") && text.contains("open again"),
        "{text}"
    );
    let c3 = on(&format!(
        "/repos/acme-sre/payments-api/issues/{n3}/comments"
    ));
    assert_eq!(c3.len(), 1);
    assert!(
        c3[0]["body"]
            .as_str()
            .unwrap()
            .contains("cancelled in Hindsight by ic@example.org")
    );
    assert!(
        c3[0]["body"]
            .as_str()
            .unwrap()
            .contains("Superseded by ACT-9.")
    );
    // Every one delivered once; the unlinked action told nobody.
    let rows = app::ssr::entities::delivery::Entity::find()
        .all(&db)
        .await
        .unwrap();
    let to_trackers: Vec<_> = rows.iter().filter(|d| d.tracker_id.is_some()).collect();
    assert_eq!(to_trackers.len(), 3);
    assert!(
        to_trackers
            .iter()
            .all(|d| d.status == app::domain::DeliveryStatus::Delivered)
    );
    assert!(to_trackers.iter().any(|d| d.attempts == 2));
    // A tracker that refuses for good (401): failed at once, with its words, no credential.
    let (a5, _, _) = linked(&ic, gh, "Page on queue depth").await;
    transition(&ic, &a5, json!({"to": "cancelled", "reason": "Duplicate."})).await;
    api.fail_next(401, None, json!({"message": "Bad credentials"}));
    assert_eq!(
        outbound::run_once_at(&db, &http(), || later).await.unwrap(),
        1
    );
    let rows = app::ssr::entities::delivery::Entity::find()
        .all(&db)
        .await
        .unwrap();
    let failed = rows.iter().find(|d| d.record_key == a5).unwrap();
    assert_eq!(failed.status, app::domain::DeliveryStatus::Failed);
    let err = failed.last_error.clone().unwrap();
    assert!(
        err.contains("401") && err.contains("Bad credentials"),
        "{err}"
    );
    assert!(!err.contains(GH_TOKEN));
    assert!(
        rows.iter()
            .all(|d| !d.body.contains(GH_TOKEN) && !d.body.contains(JIRA_TOKEN))
    );
});

/// The action as the API shows it.
async fn action(c: &Client, key: &str) -> Value {
    c.get(&format!("/api/v1/actions/{key}")).await.body
}

db_test!(reconciliation_catches_up_on_missed_webhooks, |db| {
    let api = Contract::start().await;
    let admin = admin(&db).await;
    let ic = signed_in(&db, "ic@example.org", Role::Responder).await;
    let (gh, _) = github(&admin, &api).await;
    let (gl, _) = tracker(
        &admin,
        &api,
        json!({"name": "GitLab", "kind": "gitlab", "base_url": "/api/v4", "project": "sre/payments-api",
               "credentials": {"token": "glpat-secret"}}),
    )
    .await;
    let (jira, _) = tracker(
        &admin,
        &api,
        json!({"name": "Jira Cloud", "kind": "jira", "base_url": "", "project": "OPS",
               "credentials": {"pat": JIRA_TOKEN}}),
    )
    .await;
    let (a1, n1, created_at) = linked(&ic, gh, "Alert on pool saturation").await;
    let (a2, n2, c2) = linked(&ic, gl, "Add a runbook").await;
    let (a3, k3, c3) = linked(&ic, jira, "Load-test the failover").await;
    let (a4, _, _) = linked(&ic, gh, "Done here, still open there").await;
    transition(&ic, &a4, json!({"to": "done"})).await;
    let poll = Duration::seconds(900);
    // The webhooks were lost: the tracker closed three issues.
    for (k, at) in [(&n1, &created_at), (&n2, &c2), (&k3, &c3)] {
        api.close(k, at);
    }
    let t0 = Utc::now();
    let r = reconcile::run_once(&db, &http(), poll, t0).await.unwrap();
    assert_eq!((r.trackers, r.read, r.moved), (3, 4, 3), "{r:?}");
    for (a, at) in [(&a1, &created_at), (&a2, &c2), (&a3, &c3)] {
        let v = action(&ic, a).await;
        assert_eq!(v["status"], "done", "{a}: {v}");
        assert_eq!(v["completed_at"], json!(at), "the tracker's time");
        assert!(v["issue"]["synced_at"].is_string());
    }
    assert_eq!(action(&ic, &a3).await["issue"]["state"], "Done");
    let h = ic.get(&format!("/api/v1/history/action/{a2}")).await;
    assert!(h.text.contains("through GitLab: GitLab"), "{}", h.text);
    // Done in Hindsight while the issue is open there: the open issue reopens nothing.
    assert_eq!(action(&ic, &a4).await["status"], "done");
    // Within the period nothing is read again.
    let seen = api.reads().len();
    let r = reconcile::run_once(&db, &http(), poll, t0 + Duration::seconds(60))
        .await
        .unwrap();
    assert_eq!(r, reconcile::Report::default());
    assert_eq!(api.reads().len(), seen);
    // Reopened in the tracker (webhook lost again): the next round reopens the action; the
    // verification stays Hindsight's.
    api.reopen(&n1);
    let t1 = t0 + poll + Duration::seconds(1);
    let r = reconcile::run_once(&db, &http(), poll, t1).await.unwrap();
    assert_eq!((r.trackers, r.moved), (3, 1), "{r:?}");
    assert_eq!(action(&ic, &a1).await["status"], "open");
    assert_eq!(action(&ic, &a2).await["status"], "done");
    // A verified action is not read any more.
    let sre = signed_in(&db, "sre@example.org", Role::Responder).await;
    transition(
        &sre,
        &a2,
        json!({"to": "verified", "result": "effective", "evidence": "ok"}),
    )
    .await;
    let before = api
        .reads()
        .iter()
        .filter(|s| s.path.contains("/api/v4/"))
        .count();
    reconcile::run_once(&db, &http(), poll, t1 + poll + Duration::seconds(1))
        .await
        .unwrap();
    let after = api
        .reads()
        .iter()
        .filter(|s| s.path.contains("/api/v4/"))
        .count();
    assert_eq!(before, after);
    // Each read carried the tracker's own authentication (the contract checks it).
    assert!(
        api.reads()
            .iter()
            .all(|s| s.headers.get("authorization").is_some()
                || s.headers.get("private-token").is_some())
    );
});

db_test!(
    rounds_back_off_when_rate_limited_and_run_once_with_two_workers,
    |db| {
        let api = Contract::start().await;
        let admin = admin(&db).await;
        let ic = signed_in(&db, "ic@example.org", Role::Responder).await;
        let (gh, _) = github(&admin, &api).await;
        for i in 0..4 {
            linked(&ic, gh, &format!("Action {i}")).await;
        }
        let poll = Duration::seconds(900);
        // 429 with Retry-After: the round ends at once; the next starts when asked.
        api.fail_next(
            429,
            Some(120),
            json!({"message": "API rate limit exceeded"}),
        );
        let t0 = Utc::now();
        let r = reconcile::run_once(&db, &http(), poll, t0).await.unwrap();
        assert_eq!((r.read, r.limited), (0, 1), "{r:?}");
        assert_eq!(api.reads().len(), 1);
        let t = app::ssr::entities::tracker::Entity::find_by_id(gh)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(t.next_poll_at, app::ssr::to_ms(t0 + Duration::seconds(120)));
        assert!(t.poll_error.unwrap().contains("rate-limiting"));
        let admin_view = admin.get("/api/v1/trackers").await;
        assert!(!admin_view.text.contains(GH_TOKEN));
        let shown = &admin_view.body[0];
        assert!(
            shown["poll_error"]
                .as_str()
                .unwrap()
                .contains("rate-limiting"),
            "{shown}"
        );
        assert!(shown["polled_at"].is_string());
        reconcile::run_once(&db, &http(), poll, t0 + Duration::seconds(119))
            .await
            .unwrap();
        assert_eq!(api.reads().len(), 1, "not before Retry-After");
        // GitHub's spent budget on a success (403 is the other form): the round stops after
        // this read until x-ratelimit-reset.
        let t1 = t0 + Duration::seconds(121);
        let reset = (t1 + Duration::seconds(300)).timestamp();
        api.answer_next(
            403,
            vec![
                ("x-ratelimit-remaining".into(), "0".into()),
                ("x-ratelimit-reset".into(), reset.to_string()),
            ],
            json!({"message": "API rate limit exceeded for installation."}),
        );
        let r = reconcile::run_once(&db, &http(), poll, t1).await.unwrap();
        assert_eq!(r.limited, 1, "{r:?}");
        let t = app::ssr::entities::tracker::Entity::find_by_id(gh)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(t.next_poll_at, reset * 1000);
        // Two workers side by side (each with its own client, as two processes) at one instant: the
        // round is taken once and each issue read once.
        let t2 = DateTime::from_timestamp(reset + 1, 0).unwrap();
        let before = api.reads().len();
        let (h1, h2) = (http(), http());
        let (x, y) = tokio::join!(
            reconcile::run_once(&db, &h1, poll, t2),
            reconcile::run_once(&db, &h2, poll, t2)
        );
        let (x, y) = (x.unwrap(), y.unwrap());
        assert_eq!(x.trackers + y.trackers, 1, "{x:?} {y:?}");
        assert_eq!(x.read + y.read, 4);
        assert_eq!(api.reads().len() - before, 4);
        let t = app::ssr::entities::tracker::Entity::find_by_id(gh)
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(t.poll_error, None, "a clean round clears the error");
    }
);

/// A writer the log lines go to, to read them back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn every_flow(db: &DatabaseConnection, api: &Contract) -> (String, Vec<String>) {
    let admin = admin(db).await;
    let ic = signed_in(db, "ic@example.org", Role::Responder).await;
    let sre = signed_in(db, "sre@example.org", Role::Responder).await;
    let (gh, secret) = github(&admin, api).await;
    let mut answers = Vec::new();
    // A refused create, a good one, a comment refused then sent, a reconciliation that fails
    // and one that works, a forged and a good webhook with the ?token= form.
    let a = created(
        &ic,
        "/api/v1/actions",
        json!({"title": "A", "owner": "ic@example.org"}),
    )
    .await;
    let key = a["key"].as_str().unwrap().to_owned();
    api.fail_next(401, None, json!({"message": "Bad credentials"}));
    let r = ic
        .post(
            &format!("/api/v1/actions/{key}/tracker"),
            json!({"tracker": gh}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    answers.push(r.text);
    let (act, number, _) = linked(&ic, gh, "B").await;
    transition(&ic, &act, json!({"to": "done"})).await;
    transition(
        &sre,
        &act,
        json!({"to": "verified", "result": "effective", "evidence": "ok"}),
    )
    .await;
    api.fail_next(500, None, json!({"message": "boom"}));
    let now = Utc::now();
    outbound::run_once_at(db, &http(), || now).await.unwrap();
    outbound::run_once_at(db, &http(), || now + Duration::seconds(20))
        .await
        .unwrap();
    api.fail_next(401, None, json!({"message": "Bad credentials"}));
    reconcile::run_once(db, &http(), Duration::seconds(900), now)
        .await
        .unwrap();
    api.close(&number, &now.to_rfc3339());
    reconcile::run_once(
        db,
        &http(),
        Duration::seconds(900),
        now + Duration::seconds(901),
    )
    .await
    .unwrap();
    let r = tests::http::raw_post(
        &ic.anonymous(),
        &format!("/api/v1/trackers/{gh}/receive?token=wrong"),
        &[],
        b"{}",
    )
    .await;
    answers.push(r.text);
    for path in [
        "/api/v1/trackers",
        &format!("/api/v1/actions/{act}"),
        &format!("/api/v1/history/action/{act}"),
        "/api/v1/history/tracker/1",
        "/api/v1/export",
    ] {
        answers.push(admin.get(path).await.text);
    }
    (secret, answers)
}

db_test!(
    credentials_never_appear_in_answers_history_errors_or_logs,
    |db| {
        let api = Contract::start().await;
        let logs = Captured::default();
        let sink = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .finish();
        let (secret, answers) = {
            let _guard = tracing::subscriber::set_default(subscriber);
            every_flow(&db, &api).await
        };
        let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        assert!(
            logs.len() > 1000,
            "the flows were logged at TRACE: {} bytes",
            logs.len()
        );
        let stored: Vec<String> = {
            let d = app::ssr::entities::delivery::Entity::find()
                .all(&db)
                .await
                .unwrap();
            let t = app::ssr::entities::tracker::Entity::find()
                .all(&db)
                .await
                .unwrap();
            d.iter()
                .map(|d| format!("{} {:?}", d.body, d.last_error))
                .chain(t.iter().map(|t| format!("{:?}", t.poll_error)))
                .collect()
        };
        for needle in [GH_TOKEN, secret.as_str()] {
            assert!(!logs.contains(needle), "a log line holds a credential");
            for a in &answers {
                assert!(!a.contains(needle), "an answer holds a credential: {a}");
            }
            for s in &stored {
                assert!(
                    !s.contains(needle),
                    "a stored message or error holds a credential: {s}"
                );
            }
        }
    }
);
