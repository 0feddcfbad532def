//! Notifications out against a real HTTP receiver (tests/src/receiver.rs), on SQLite and
//! PostgreSQL: the signed webhook body, delivered once; a 500 retried after the growing
//! delay; a 429 that waits what `Retry-After` says; a receiver that hangs, then answers; a 410
//! that fails at once; the end of the 24 hours; messages that carry no secret and no internal
//! text; and several workers on two pools delivering each message exactly once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: failing loudly is the point

use std::collections::BTreeMap;
use std::time::Duration;

use app::domain::Role;
use app::ssr::services::notify::{deliver, render};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use tests::db_test;
use tests::http::{Client, admin, created, signed_in};
use tests::receiver::{Answer, Receiver};

async fn channel(admin: &Client, name: &str, kind: &str, url: &str, events: &[&str]) -> Value {
    created(
        admin,
        "/api/v1/channels",
        json!({"name": name, "kind": kind, "url": url, "events": events}),
    )
    .await
}

async fn log(admin: &Client, id: &Value) -> Vec<Value> {
    let r = admin
        .get(&format!("/api/v1/channels/{id}/deliveries"))
        .await;
    assert_eq!(r.status, axum::http::StatusCode::OK, "{}", r.body);
    r.body["items"].as_array().unwrap().clone()
}

/// An instant of a JSON answer, in Unix milliseconds (how it is stored).
fn ms(v: &Value) -> i64 {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
        .unwrap()
        .timestamp_millis()
}

fn at(t: DateTime<Utc>) -> impl Fn() -> DateTime<Utc> {
    move || t
}

fn client() -> reqwest::Client {
    app::ssr::http_client().unwrap()
}

db_test!(a_webhook_message_is_signed_and_delivered_once, |db| {
    let rx = Receiver::start().await;
    let admin = admin(&db).await;
    let ic = signed_in(&db, "ic@example.org", Role::Responder).await;
    let c = created(
        &admin,
        "/api/v1/channels",
        json!({"name": "ops", "kind": "webhook", "url": rx.url("/ops?key=do-not-show"),
               "events": ["incident.declared", "incident.customer_update"]}),
    )
    .await;
    let secret = c["secret"].as_str().unwrap().to_owned();
    // Write-only: the URL and the secret never come back.
    let shown = admin.get(&format!("/api/v1/channels/{}", c["id"])).await;
    assert_eq!(shown.body["url_host"], rx.addr.to_string());
    assert!(!shown.text.contains("do-not-show") && !shown.text.contains(&secret));
    let inc = created(
        &ic,
        "/api/v1/incidents",
        json!({"title": "Checkout errors", "severity": "sev2", "services": ["checkout"]}),
    )
    .await;
    let key = inc["key"].as_str().unwrap().to_owned();
    // What responders write among themselves stays out; what customers were told goes out.
    for (text, visibility) in [
        ("Internal: the root cause is the new cache node", "internal"),
        ("We are investigating elevated checkout errors.", "customer"),
    ] {
        created(
            &ic,
            &format!("/api/v1/incidents/{key}/timeline"),
            json!({"kind": "update", "body": text, "visibility": visibility}),
        )
        .await;
    }
    assert_eq!(deliver::run_once(&db, &client()).await.unwrap(), 2);
    assert_eq!(deliver::run_once(&db, &client()).await.unwrap(), 0);
    let got = rx.got_at("/ops");
    assert_eq!(got.len(), 2, "each message once");
    let bodies: Vec<Value> = got.iter().map(|g| g.json()).collect();
    let declared = bodies
        .iter()
        .find(|b| b["event"] == "incident.declared")
        .unwrap();
    assert_eq!(declared["record"]["key"], key.as_str());
    assert_eq!(declared["severity"], "sev2");
    assert_eq!(declared["services"], json!(["checkout"]));
    assert!(
        declared["record"]["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/incidents/{key}")),
        "{declared}"
    );
    let update = bodies
        .iter()
        .find(|b| b["event"] == "incident.customer_update")
        .unwrap();
    assert!(
        update["summary"]
            .as_str()
            .unwrap()
            .contains("investigating elevated checkout errors"),
        "{update}"
    );
    for g in &got {
        let text = String::from_utf8_lossy(&g.body);
        assert!(!text.contains("root cause is the new cache node"), "{text}");
        assert!(
            !text.contains(&secret) && !text.contains("do-not-show"),
            "{text}"
        );
        // The signature: HMAC-SHA256 of "timestamp.body" with the channel's secret.
        let ts: i64 = g.header("x-hindsight-timestamp").unwrap().parse().unwrap();
        assert!((Utc::now().timestamp() - ts).abs() < 60);
        assert_eq!(
            g.header("x-hindsight-signature").unwrap(),
            render::signature(&secret, ts, &g.body)
        );
        assert_ne!(
            g.header("x-hindsight-signature").unwrap(),
            render::signature("another secret", ts, &g.body)
        );
        assert!(g.header("x-hindsight-delivery").is_some());
        assert_eq!(g.header("content-type").unwrap(), "application/json");
    }
    let entries = log(&admin, &c["id"]).await;
    assert_eq!(entries.len(), 2);
    for e in &entries {
        assert_eq!(e["status"], "delivered", "{e}");
        assert_eq!(e["attempts"], 1);
        assert_eq!(e["last_status"], 200);
        assert!(!e.to_string().contains("do-not-show"));
    }
    let ids: Vec<String> = got
        .iter()
        .map(|g| g.header("x-hindsight-delivery").unwrap())
        .collect();
    let mut logged: Vec<String> = entries.iter().map(|e| e["id"].to_string()).collect();
    logged.sort();
    let mut sent = ids.clone();
    sent.sort();
    assert_eq!(sent, logged, "the delivery header names the log's entry");
});

db_test!(answers_decide_when_a_message_is_tried_again, |db| {
    let rx = Receiver::start().await;
    rx.script("/flaky", &[Answer::Status(500)]);
    rx.script("/busy", &[Answer::TooMany(120)]);
    rx.script("/gone", &[Answer::Status(410)]);
    rx.script("/hang", &[Answer::Hang(Duration::from_secs(15))]);
    let admin = admin(&db).await;
    let ic = signed_in(&db, "ic@example.org", Role::Responder).await;
    let mut ids = BTreeMap::new();
    for (name, kind) in [
        ("flaky", "slack"),
        ("busy", "teams"),
        ("gone", "slack"),
        ("hang", "webhook"),
    ] {
        let c = channel(
            &admin,
            name,
            kind,
            &rx.url(&format!("/{name}")),
            &["incident.declared"],
        )
        .await;
        ids.insert(name, c["id"].clone());
    }
    // Nobody listens on port 9 of the loopback.
    let down = channel(
        &admin,
        "down",
        "slack",
        "http://127.0.0.1:9/hook",
        &["incident.declared"],
    )
    .await;
    created(
        &ic,
        "/api/v1/incidents",
        json!({"title": "Queue backlog", "severity": "sev3"}),
    )
    .await;
    let t0 = Utc::now();
    let secs = |s: i64| t0 + chrono::Duration::seconds(s);
    let started = std::time::Instant::now();
    assert_eq!(
        deliver::run_once_at(&db, &client(), at(t0)).await.unwrap(),
        5
    );
    // The hanging receiver held its attempt until the 10 s timeout, no longer.
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(14),
        "{took:?}"
    );
    let first = |name: &str| {
        let id = ids[name].clone();
        let admin = &admin;
        async move { log(admin, &id).await.remove(0) }
    };
    let flaky = first("flaky").await;
    assert_eq!(flaky["status"], "pending", "{flaky}");
    assert_eq!(flaky["last_status"], 500);
    assert_eq!(ms(&flaky["next_attempt_at"]), secs(15).timestamp_millis());
    let busy = first("busy").await;
    assert_eq!(busy["status"], "pending", "{busy}");
    assert_eq!(busy["last_status"], 429);
    assert_eq!(ms(&busy["next_attempt_at"]), secs(120).timestamp_millis());
    let gone = first("gone").await;
    assert_eq!(gone["status"], "failed", "{gone}");
    assert_eq!(gone["last_status"], 410);
    let hang = first("hang").await;
    assert_eq!(hang["status"], "pending", "{hang}");
    assert_eq!(hang["last_error"], "no answer within 10 s");
    let d = log(&admin, &down["id"]).await.remove(0);
    assert_eq!(d["status"], "pending", "{d}");
    assert_eq!(d["last_error"], "cannot connect to the receiver");
    assert!(d["last_status"].is_null());

    // Before any delay is over, nothing is due.
    assert_eq!(
        deliver::run_once_at(&db, &client(), at(secs(10)))
            .await
            .unwrap(),
        0
    );
    // After 15 s: the 500, the hang and the unreachable one are tried again; the 429 waits.
    assert_eq!(
        deliver::run_once_at(&db, &client(), at(secs(16)))
            .await
            .unwrap(),
        3
    );
    assert_eq!(first("flaky").await["status"], "delivered");
    assert_eq!(first("flaky").await["attempts"], 2);
    assert_eq!(first("hang").await["status"], "delivered");
    assert_eq!(first("busy").await["attempts"], 1);
    // The unreachable one now waits 30 s (the delay doubles).
    let d = log(&admin, &down["id"]).await.remove(0);
    assert_eq!(d["attempts"], 2);
    assert_eq!(ms(&d["next_attempt_at"]), secs(46).timestamp_millis());
    assert_eq!(
        deliver::run_once_at(&db, &client(), at(secs(119)))
            .await
            .unwrap(),
        1,
        "only the unreachable one is due"
    );
    assert_eq!(
        deliver::run_once_at(&db, &client(), at(secs(121)))
            .await
            .unwrap(),
        1
    );
    assert_eq!(first("busy").await["status"], "delivered");
    assert_eq!(rx.got_at("/busy").len(), 2);
    assert_eq!(rx.got_at("/gone").len(), 1, "a 410 is not tried again");
    assert_eq!(rx.got_at("/flaky").len(), 2);

    // Near the end of the 24 hours: a failed attempt whose next try would be later gives up.
    let late = t0 + chrono::Duration::hours(24) - chrono::Duration::seconds(5);
    assert_eq!(
        deliver::run_once_at(&db, &client(), at(late))
            .await
            .unwrap(),
        1
    );
    let d = log(&admin, &down["id"]).await.remove(0);
    assert_eq!(d["status"], "failed", "{d}");
    assert_eq!(
        deliver::run_once_at(&db, &client(), at(late + chrono::Duration::hours(1)))
            .await
            .unwrap(),
        0,
        "nothing is left to send"
    );
});

db_test!(a_test_message_answers_with_the_receivers_result, |db| {
    let rx = Receiver::start().await;
    rx.script("/t", &[Answer::Status(404)]);
    let admin = admin(&db).await;
    let c = channel(&admin, "t", "slack", &rx.url("/t"), &["incident.declared"]).await;
    let path = format!("/api/v1/channels/{}/test", c["id"]);
    let r = admin.post(&path, json!({})).await;
    assert_eq!(r.status, axum::http::StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["delivered"], false);
    assert_eq!(r.body["status"], 404);
    let r = admin.post(&path, json!({})).await;
    assert_eq!(r.body["delivered"], true, "{}", r.body);
    let body = rx.got_at("/t")[1].json();
    assert!(body["text"].as_str().unwrap().contains("test"), "{body}");
    assert!(body["blocks"].is_array());
    // Members cannot send tests.
    let member = signed_in(&db, "m@example.org", Role::Member).await;
    assert_eq!(
        member.post(&path, json!({})).await.status,
        axum::http::StatusCode::FORBIDDEN
    );
});

db_test!(new_alerts_are_told_once_each_delivery, |db| {
    let rx = Receiver::start().await;
    let admin = admin(&db).await;
    let c = channel(
        &admin,
        "alerts",
        "slack",
        &rx.url("/alerts"),
        &["alert.received"],
    )
    .await;
    let hook = created(
        &admin,
        "/api/v1/hooks",
        json!({"name": "cron", "source": "generic", "default_severity": "sev3"}),
    )
    .await;
    let sender = admin
        .anonymous()
        .with_token(hook["secret"].as_str().unwrap());
    let path = format!("/api/v1/hooks/{}/receive", hook["id"]);
    let alert = |fp: &str| {
        json!({"fingerprint": fp, "title": format!("Disk full on {fp}"), "status": "firing",
               "occurred_at": "2026-12-03T08:00:00Z"})
    };
    // The first alert opens the incident; the same again changes nothing; another of the
    // same group (the generic source groups by fingerprint, so a new one opens another).
    for (fp, new) in [("db-1", 1), ("db-1", 0), ("db-2", 1)] {
        let r = sender.post(&path, alert(fp)).await;
        assert_eq!(r.status, axum::http::StatusCode::ACCEPTED, "{}", r.body);
        assert_eq!(r.body["alerts_new"], new, "{}", r.body);
    }
    assert_eq!(deliver::run_once(&db, &client()).await.unwrap(), 2);
    let texts: Vec<String> = rx
        .got_at("/alerts")
        .iter()
        .map(|g| g.json()["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        texts.len(),
        2,
        "one message per new alert, none for the repeat"
    );
    assert!(
        texts.iter().any(|t| t.contains("Disk full on db-1")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("Disk full on db-2")),
        "{texts:?}"
    );
    assert_eq!(log(&admin, &c["id"]).await.len(), 2);
});

/// 30 messages, six workers on two pools side by side, a receiver slow enough that they
/// overlap: every message arrives exactly once.
async fn workers_deliver_each_message_once(a: DatabaseConnection, b: DatabaseConnection) {
    let rx = Receiver::start().await;
    rx.delay_all(Duration::from_millis(30));
    let admin = admin(&a).await;
    let ic = signed_in(&a, "ic@example.org", Role::Responder).await;
    channel(
        &admin,
        "all",
        "webhook",
        &rx.url("/all"),
        &["incident.declared"],
    )
    .await;
    for i in 0..30 {
        created(
            &ic,
            "/api/v1/incidents",
            json!({"title": format!("Incident {i}"), "severity": "sev3"}),
        )
        .await;
    }
    let mut workers = Vec::new();
    for w in 0..6 {
        let db = if w % 2 == 0 { a.clone() } else { b.clone() };
        workers.push(tokio::spawn(async move {
            let client = app::ssr::http_client().unwrap();
            let mut sent = 0;
            // Small batches, so that the workers take turns.
            for _ in 0..200 {
                let claimed = deliver::claim(&db, Utc::now(), 2).await.unwrap();
                if claimed.is_empty() {
                    break;
                }
                for c in &claimed {
                    let out = deliver::send(&client, c, Utc::now()).await;
                    deliver::finish(&db, c, &out, Utc::now()).await.unwrap();
                    sent += 1;
                }
            }
            sent
        }));
    }
    let mut total = 0;
    for w in workers {
        total += w.await.unwrap();
    }
    let got = rx.got_at("/all");
    let mut per: BTreeMap<String, usize> = BTreeMap::new();
    for g in &got {
        *per.entry(g.header("x-hindsight-delivery").unwrap())
            .or_default() += 1;
    }
    assert_eq!(total, 30, "the workers sent 30 in all");
    assert_eq!(got.len(), 30, "30 requests reached the receiver");
    assert_eq!(per.len(), 30, "30 different messages");
    assert!(per.values().all(|n| *n == 1), "{per:?}");
}

#[tokio::test]
async fn workers_deliver_each_message_once_sqlite() {
    let pools = tests::TwoPools::sqlite("deliveries").await;
    workers_deliver_each_message_once(pools.a.clone(), pools.b.clone()).await;
}

#[tokio::test]
async fn workers_deliver_each_message_once_postgres() {
    let Some(pools) = tests::TwoPools::postgres().await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set, so the PostgreSQL half did not run");
        return;
    };
    workers_deliver_each_message_once(pools.a.clone(), pools.b.clone()).await;
}
