//! A real Prometheus Alertmanager (Debian's `prometheus-alertmanager`, installed by
//! `.ci/ensure-tools browser`) delivering to a Hindsight on loopback, on SQLite and
//! PostgreSQL: alerts fired with `amtool alert add` open one incident for their group, a
//! second alert of the group joins it while the first (delivered again) changes nothing,
//! and `send_resolved` marks both resolved in the timeline without resolving the incident.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: failing loudly is the point

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use app::domain::Role;
use serde_json::{Value, json};
use tests::db_test;
use tests::http::{Client, created, signed_in};

/// The Alertmanager binary: Debian's name first, then upstream's.
fn binary(name: &[&str]) -> PathBuf {
    for n in name {
        for dir in std::env::var("PATH").unwrap_or_default().split(':') {
            let p = PathBuf::from(dir).join(n);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!(
        "{} not found: run `.ci/ensure-tools browser` (it installs Debian's prometheus-alertmanager)",
        name.join(" or ")
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running Alertmanager, killed when dropped.
struct Alertmanager {
    child: Child,
    url: String,
    dir: PathBuf,
}

impl Alertmanager {
    async fn start(receive_url: &str, secret: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "hindsight-am-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(dir.join("data")).unwrap();
        // Short timers, so that the test takes seconds: first notice after 1 s, changes of a
        // group every 2 s, no repeats of an unchanged group within the test.
        let config = format!(
            "route:\n  receiver: hindsight\n  group_by: ['alertname']\n  group_wait: 1s\n  \
             group_interval: 2s\n  repeat_interval: 1h\nreceivers:\n  - name: hindsight\n    \
             webhook_configs:\n      - url: '{receive_url}'\n        send_resolved: true\n        \
             http_config:\n          authorization:\n            type: Bearer\n            \
             credentials: '{secret}'\n"
        );
        std::fs::write(dir.join("alertmanager.yml"), config).unwrap();
        let port = free_port();
        let log = std::fs::File::create(dir.join("alertmanager.log")).unwrap();
        let child = Command::new(binary(&["prometheus-alertmanager", "alertmanager"]))
            .arg(format!(
                "--config.file={}",
                dir.join("alertmanager.yml").display()
            ))
            .arg(format!("--storage.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .arg("--log.level=debug")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("Alertmanager starts");
        let am = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir,
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = http
                .get(format!("{}/-/ready", am.url))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "Alertmanager not ready:\n{}",
                am.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        am
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("alertmanager.log")).unwrap_or_default()
    }

    /// `amtool alert add` with these labels and flags.
    fn add(&self, args: &[&str]) {
        let out = Command::new(binary(&["amtool"]))
            .arg(format!("--alertmanager.url={}", self.url))
            .arg("alert")
            .arg("add")
            .args(args)
            .output()
            .expect("amtool runs");
        assert!(
            out.status.success(),
            "amtool alert add {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Polls `what` every 200 ms for up to 30 s until `done` holds; returns the last value.
async fn until(c: &Client, path: &str, done: impl Fn(&Value) -> bool, am: &Alertmanager) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = c.get(path).await;
        if done(&r.body) {
            return r.body;
        }
        assert!(
            Instant::now() < deadline,
            "{path} never got there: {}\n--- alertmanager ---\n{}",
            r.body,
            am.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn alert_events(timeline: &Value) -> Vec<String> {
    timeline
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "alert")
        .map(|e| e["body"].as_str().unwrap().to_owned())
        .collect()
}

db_test!(a_real_alertmanager_opens_joins_and_resolves, |db| {
    let admin = signed_in(&db, "admin@example.org", Role::Admin).await;
    let hook = created(
        &admin,
        "/api/v1/hooks",
        json!({"name": "prod-alertmanager", "source": "alertmanager", "default_severity": "sev3"}),
    )
    .await;
    let secret = hook["secret"].as_str().unwrap().to_owned();
    // The router on a real port, for Alertmanager to reach.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = admin.app.clone();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    let receive = format!("http://{addr}/api/v1/hooks/{}/receive", hook["id"]);
    let am = Alertmanager::start(&receive, &secret).await;

    let start = (chrono::Utc::now() - chrono::Duration::minutes(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let first = [
        "alertname=HighRequestLatency",
        "service=checkout",
        "severity=critical",
        "instance=api-1",
    ];
    let mut args: Vec<String> = first.iter().map(|s| s.to_string()).collect();
    args.push("--annotation=summary=p99 latency above 500ms on api-1".into());
    args.push("--generator-url=http://prometheus.example.org/graph?g0.expr=latency".into());
    args.push(format!("--start={start}"));
    am.add(&args.iter().map(String::as_str).collect::<Vec<_>>());

    // One incident, from the group's alert: title from the summary, critical → sev2.
    let list = until(
        &admin,
        "/api/v1/incidents",
        |b| b["items"].as_array().is_some_and(|i| !i.is_empty()),
        &am,
    )
    .await;
    let inc = &list["items"][0];
    let key = inc["key"].as_str().unwrap().to_owned();
    assert_eq!(inc["title"], "p99 latency above 500ms on api-1");
    assert_eq!(inc["severity"], "sev2");
    assert_eq!(inc["services"], json!(["checkout"]));
    let alerts = admin
        .get(&format!("/api/v1/incidents/{key}/alerts"))
        .await
        .body;
    assert_eq!(alerts.as_array().unwrap().len(), 1, "{alerts}");
    assert_eq!(alerts[0]["status"], "firing");
    assert_eq!(alerts[0]["labels"]["instance"], "api-1");
    assert_eq!(alerts[0]["source"], "alertmanager");
    assert_eq!(
        alerts[0]["url"],
        "http://prometheus.example.org/graph?g0.expr=latency"
    );
    let timeline = admin
        .get(&format!("/api/v1/incidents/{key}/timeline"))
        .await
        .body;
    assert!(
        timeline
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "detection"
                && e["body"]
                    .as_str()
                    .unwrap()
                    .contains("Opened from an alert of prod\\-alertmanager")),
        "{timeline}"
    );
    assert_eq!(alert_events(&timeline).len(), 1, "{timeline}");

    // The same alert again, and a second one of the group: Alertmanager sends the group
    // with both; the first changes nothing, the second joins the incident.
    am.add(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let mut second: Vec<String> = args.clone();
    second[3] = "instance=api-2".into();
    second[4] = "--annotation=summary=p99 latency above 500ms on api-2".into();
    am.add(&second.iter().map(String::as_str).collect::<Vec<_>>());
    let alerts = until(
        &admin,
        &format!("/api/v1/incidents/{key}/alerts"),
        |b| b.as_array().is_some_and(|a| a.len() == 2),
        &am,
    )
    .await;
    assert!(
        alerts
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["status"] == "firing")
    );
    let list = admin.get("/api/v1/incidents").await.body;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "one incident per group: {list}"
    );
    let timeline = admin
        .get(&format!("/api/v1/incidents/{key}/timeline"))
        .await
        .body;
    assert_eq!(alert_events(&timeline).len(), 2, "{timeline}");

    // Both end: the resolved notice marks them, the incident stays open.
    let end = (chrono::Utc::now() - chrono::Duration::seconds(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    for a in [&args, &second] {
        let mut a = a.clone();
        a.push(format!("--end={end}"));
        am.add(&a.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let alerts = until(
        &admin,
        &format!("/api/v1/incidents/{key}/alerts"),
        |b| {
            b.as_array()
                .is_some_and(|a| a.len() == 2 && a.iter().all(|x| x["status"] == "resolved"))
        },
        &am,
    )
    .await;
    assert!(alerts[0]["resolved_at"].is_string(), "{alerts}");
    let timeline = admin
        .get(&format!("/api/v1/incidents/{key}/timeline"))
        .await
        .body;
    let events = alert_events(&timeline);
    assert_eq!(events.len(), 4, "{events:?}");
    assert_eq!(
        events
            .iter()
            .filter(|e| e.starts_with("Alert resolved: p99 latency"))
            .count(),
        2,
        "{events:?}"
    );
    let inc = admin.get(&format!("/api/v1/incidents/{key}")).await.body;
    assert_eq!(
        inc["status"], "investigating",
        "a resolved alert never resolves the incident"
    );
    // Alertmanager logged its notifications as sent (no 4xx or 5xx from Hindsight).
    let log = am.log();
    assert!(!log.contains("unexpected status code"), "{log}");
});
