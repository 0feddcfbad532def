//! Benchmark: alerts in and notifications out, through the real router on a loopback port.
//! Prints the receive throughput (Alertmanager deliveries of 5 alerts, 16 senders at once)
//! for one group (every alert joins one incident) and for many groups (every delivery opens
//! an incident), and the delivery latency from a committed change to the receiver (p50 /
//! p99) with the delivery worker running in this process.
//!
//! `cargo run -p tests --release --bin bench-alerts [-- DELIVERIES] [DATABASE_URL]`
//! Without a URL it uses a fresh SQLite file under the system's temporary folder; with one,
//! the database must be empty.

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::ssr::auth::Actor;
use serde_json::{Value, json};
use tests::bench::pct;
use tests::receiver::Receiver;

fn payload(group: &str, fps: &[String]) -> String {
    let alerts: Vec<Value> = fps
        .iter()
        .map(|fp| {
            json!({"status": "firing", "labels": {"alertname": group, "service": "checkout", "severity": "critical", "fp": fp},
                   "annotations": {"summary": format!("{group} is slow")}, "startsAt": "2026-12-03T08:00:00Z",
                   "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus.example.org/graph", "fingerprint": fp})
        })
        .collect();
    json!({"receiver": "hindsight", "status": "firing", "alerts": alerts, "groupLabels": {"alertname": group},
           "commonLabels": {"alertname": group}, "commonAnnotations": {"summary": format!("{group} is slow")},
           "externalURL": "http://alertmanager.example.org", "version": "4",
           "groupKey": format!("{{}}:{{alertname=\"{group}\"}}"), "truncatedAlerts": 0})
    .to_string()
}

/// Sends `n` deliveries of 5 new alerts each, 16 at a time; `group(i)` names delivery i's group.
async fn burst(
    http: &reqwest::Client,
    url: &str,
    secret: &str,
    n: usize,
    tag: &str,
    group: impl Fn(usize) -> String,
) -> f64 {
    let sem = Arc::new(tokio::sync::Semaphore::new(16));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let (http, url, auth, sem) = (
            http.clone(),
            url.to_owned(),
            format!("Bearer {secret}"),
            sem.clone(),
        );
        let fps: Vec<String> = (0..5).map(|k| format!("{tag}-{i}-{k}")).collect();
        let body = payload(&group(i), &fps);
        tasks.push(tokio::spawn(async move {
            let _p = sem.acquire().await.unwrap();
            let r = http
                .post(&url)
                .header("authorization", auth)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(
                r.status().as_u16(),
                202,
                "{}",
                r.text().await.unwrap_or_default()
            );
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    (n * 5) as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(400);
    let (url, file) = tests::bench::database(args.next(), "alerts");
    let db = app::ssr::db::connect_and_migrate(&url)
        .await
        .expect("database");
    println!(
        "backend: {}, {n} deliveries of 5 alerts per run",
        app::ssr::db::backend_name(&db)
    );
    let state = tests::http::state(db.clone());
    let router = hindsight::web::router(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    let system = Actor::system();
    let now = chrono::Utc::now();
    let hook = app::ssr::services::alert::create(
        &db,
        &system,
        serde_json::from_value(
            json!({"name": "bench", "source": "alertmanager", "default_severity": "sev3"}),
        )
        .unwrap(),
        &format!("http://{addr}"),
        now,
    )
    .await
    .unwrap();
    let receive = format!("http://{addr}/api/v1/hooks/{}/receive", hook.hook.id);
    let http = reqwest::Client::new();

    let one = burst(&http, &receive, &hook.secret, n, "one", |_| {
        "OneGroup".into()
    })
    .await;
    println!("receive, one group (joins one incident)     {one:>9.0} alerts/s");
    let many = burst(&http, &receive, &hook.secret, n, "many", |i| {
        format!("Group{i}")
    })
    .await;
    println!("receive, many groups (an incident each)     {many:>9.0} alerts/s");

    // Delivery latency: a webhook channel on a local receiver, the worker of this process,
    // one change at a time.
    let rx = Receiver::start().await;
    app::ssr::services::notify::channels::create(
        &db,
        &system,
        serde_json::from_value(
            json!({"name": "bench", "kind": "webhook", "url": rx.url("/bench"),
            "events": ["incident.declared"]}),
        )
        .unwrap(),
        now,
    )
    .await
    .unwrap();
    tokio::spawn(hindsight::jobs::deliveries_loop(
        db.clone(),
        state.http.clone(),
        Duration::from_millis(1000),
    ));
    let rounds = 200;
    let mut ms = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let t = Instant::now();
        app::ssr::services::incident::create(
            &db,
            &system,
            serde_json::from_value(json!({"title": format!("Latency {i}"), "severity": "sev3"}))
                .unwrap(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        let committed = Instant::now();
        let deadline = committed + Duration::from_secs(30);
        while rx.got_at("/bench").len() <= i {
            assert!(Instant::now() < deadline, "message {i} never arrived");
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        let arrived = rx.got_at("/bench")[i].at;
        ms.push(arrived.saturating_duration_since(committed).as_secs_f64() * 1000.0);
        let _ = t;
    }
    println!(
        "delivery, change committed → receiver       p50 {:>7.1} ms   p99 {:>7.1} ms  ({rounds} messages)",
        pct(ms.clone(), 0.5),
        pct(ms, 0.99)
    );
    db.close().await.ok();
    if let Some(f) = file {
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", f.display()));
        }
    }
}
