//! Alerts in, through the real router, on SQLite and PostgreSQL: hooks (admins only, the
//! secret shown once and stored hashed), Alertmanager, Grafana, PagerDuty and generic
//! deliveries with the SPEC's open / join / dedupe rules, the `alert` timeline events, a
//! resolved alert that never resolves the incident, and the refusals (401, 413, 422, 400)
//! that write nothing. The payloads are the vendors' documented shapes (`tests/fixtures/`,
//! sources in `tests/fixtures/SOURCES.md`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: failing loudly is the point

use app::domain::Role;
use axum::http::StatusCode;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};
use tests::db_test;
use tests::http::{Client, Reply, admin, created, signed_in};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// POSTs raw `body` to `path` with `headers`, as a sender (no session, no Origin) would.
async fn deliver(c: &Client, path: &str, headers: &[(&str, String)], body: Vec<u8>) -> Reply {
    tests::http::raw_post(c, path, headers, &body).await
}

/// A hook of `source` (auto-opening); returns (receive path, secret).
async fn hook(admin: &Client, name: &str, source: &str, extra: Value) -> (String, String) {
    let mut body = json!({"name": name, "source": source, "default_severity": "sev3"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let h = created(admin, "/api/v1/hooks", body).await;
    let path = format!("/api/v1/hooks/{}/receive", h["id"]);
    assert_eq!(
        h["receive_url"].as_str().unwrap(),
        format!("{}{path}", tests::http::ORIGIN)
    );
    (path, h["secret"].as_str().unwrap().to_owned())
}

fn bearer(secret: &str) -> Vec<(&'static str, String)> {
    vec![("authorization", format!("Bearer {secret}"))]
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// (incidents, alerts, timeline events) as stored.
async fn totals(db: &DatabaseConnection) -> (i64, i64, i64) {
    (
        count(db, "SELECT COUNT(*) FROM incidents").await,
        count(db, "SELECT COUNT(*) FROM alerts").await,
        count(db, "SELECT COUNT(*) FROM timeline_events").await,
    )
}

async fn timeline(c: &Client, key: &str) -> Vec<Value> {
    let r = c.get(&format!("/api/v1/incidents/{key}/timeline")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
        .as_array()
        .cloned()
        .or_else(|| r.body["items"].as_array().cloned())
        .unwrap()
}

fn bodies(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                e["kind"].as_str().unwrap(),
                e["body"].as_str().unwrap()
            )
        })
        .collect()
}

db_test!(hooks_are_for_admins_and_their_secret_is_shown_once, |db| {
    let a = admin(&db).await;
    let ic = signed_in(&db, "ic@example.org", Role::Responder).await;
    let r = ic
        .post(
            "/api/v1/hooks",
            json!({"name": "am", "source": "alertmanager", "default_severity": "sev3"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let (_, secret) = hook(&a, "am", "alertmanager", json!({})).await;
    assert!(secret.starts_with("hsh_") && secret.len() > 30, "{secret}");
    let list = a.get("/api/v1/hooks").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.text.contains(&secret), "never listed: {}", list.text);
    assert_eq!(list.body[0]["service_label"], "service");
    // Stored as a hash only.
    let stored = count(
        &db,
        &format!("SELECT COUNT(*) FROM hooks WHERE secret_hash = '{secret}' OR signing_secret = '{secret}'"),
    )
    .await;
    assert_eq!(stored, 0);
    let dup = a
        .post(
            "/api/v1/hooks",
            json!({"name": "am", "source": "grafana", "default_severity": "sev3"}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    let bad = a
        .post(
            "/api/v1/hooks",
            json!({"name": "x", "source": "nagios", "default_severity": "sev3"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(tests::http::field(&bad), "source");
    let history = a.get("/api/v1/history/hook/1").await;
    assert!(history.text.contains("alertmanager"), "{}", history.text);
});

db_test!(
    alertmanager_opens_one_incident_repeats_change_nothing_and_resolved_only_says_so,
    |db| {
        let a = admin(&db).await;
        let (path, secret) = hook(&a, "prod-am", "alertmanager", json!({})).await;
        let r = deliver(
            &a.anonymous(),
            &path,
            &bearer(&secret),
            fixture("alertmanager-firing.json"),
        )
        .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        assert_eq!(
            r.body,
            json!({"incident": "INC-1", "alerts_new": 1, "alerts_repeated": 0})
        );
        let inc = a.get("/api/v1/incidents/INC-1").await.body;
        assert_eq!(
            inc["title"], "p99 latency above 500ms on api-1",
            "commonAnnotations.summary"
        );
        assert_eq!(inc["severity"], "sev2", "critical → sev2");
        assert_eq!(
            inc["detected_at"], "2026-12-03T09:08:49Z",
            "the earliest startsAt"
        );
        assert_eq!(inc["status"], "investigating");
        let events = bodies(&timeline(&a, "INC-1").await);
        assert!(
            events
                .iter()
                .any(|e| e.starts_with(r"detection: Opened from an alert of prod\-am")),
            "{events:?}"
        );
        let alert_event = events
            .iter()
            .find(|e| e.starts_with("alert: Alert firing"))
            .expect("an alert event");
        assert!(
            alert_event.contains("`severity=critical`"),
            "labels: {alert_event}"
        );
        assert!(
            alert_event.contains("http://prometheus.example.org:9090/graph"),
            "generatorURL: {alert_event}"
        );
        let history = a.get("/api/v1/history/incident/INC-1").await;
        assert!(
            history.text.contains("hook:prod-am"),
            "who opened it: {}",
            history.text
        );

        // The sender repeats itself: nothing changes but the alert's last_seen.
        let before = totals(&db).await;
        let version = inc["version"].clone();
        let r = deliver(
            &a.anonymous(),
            &path,
            &bearer(&secret),
            fixture("alertmanager-firing.json"),
        )
        .await;
        assert_eq!(
            r.body,
            json!({"incident": "INC-1", "alerts_new": 0, "alerts_repeated": 1})
        );
        assert_eq!(totals(&db).await, before);
        assert_eq!(
            a.get("/api/v1/incidents/INC-1").await.body["version"],
            version
        );

        // Resolved: an event says so; the incident stays open.
        let r = deliver(
            &a.anonymous(),
            &path,
            &bearer(&secret),
            fixture("alertmanager-resolved.json"),
        )
        .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        assert_eq!(r.body["alerts_repeated"], 1);
        let events = bodies(&timeline(&a, "INC-1").await);
        assert!(
            events
                .iter()
                .any(|e| e.starts_with("alert: Alert resolved")),
            "{events:?}"
        );
        assert_eq!(
            a.get("/api/v1/incidents/INC-1").await.body["status"],
            "investigating"
        );
        let alerts = a.get("/api/v1/incidents/INC-1/alerts").await;
        assert_eq!(alerts.status, StatusCode::OK, "{}", alerts.body);
        let list = alerts.body.as_array().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["status"], "resolved");
        assert_eq!(list[0]["source"], "alertmanager");
        assert_eq!(list[0]["hook"], "prod-am");
        assert_eq!(list[0]["fingerprint"], "d0e760f24dcc9587");
        assert_eq!(list[0]["labels"]["instance"], "api-1.example.org:9100");
        assert!(list[0]["resolved_at"].is_string());
        // The resolved notice again: nothing new.
        let before = totals(&db).await;
        deliver(
            &a.anonymous(),
            &path,
            &bearer(&secret),
            fixture("alertmanager-resolved.json"),
        )
        .await;
        assert_eq!(totals(&db).await, before);
    }
);

/// An Alertmanager payload of group `group` with alerts `(fingerprint, status)`.
fn am(group: &str, alerts: &[(&str, &str)]) -> Vec<u8> {
    let list: Vec<Value> = alerts
        .iter()
        .map(|(fp, status)| {
            json!({"status": status, "labels": {"alertname": group, "service": "checkout", "severity": "warning", "fp": fp},
                   "annotations": {}, "startsAt": "2026-12-03T08:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                   "generatorURL": "", "fingerprint": fp})
        })
        .collect();
    json!({"receiver": "r", "status": "firing", "alerts": list, "groupLabels": {"alertname": group},
           "commonLabels": {"alertname": group}, "commonAnnotations": {}, "externalURL": "http://am",
           "version": "4", "groupKey": format!("{{}}:{{alertname=\"{group}\"}}"), "truncatedAlerts": 0})
    .to_string()
    .into_bytes()
}

db_test!(
    a_group_joins_its_open_incident_and_a_new_group_opens_another,
    |db| {
        let a = admin(&db).await;
        let (path, secret) = hook(
            &a,
            "am",
            "alertmanager",
            json!({"severity_map": {"warning": "sev4"}}),
        )
        .await;
        let s = bearer(&secret);
        let r = deliver(
            &a.anonymous(),
            &path,
            &s,
            am("DiskFull", &[("a1", "firing"), ("a2", "firing")]),
        )
        .await;
        assert_eq!(
            r.body,
            json!({"incident": "INC-1", "alerts_new": 2, "alerts_repeated": 0})
        );
        let inc = a.get("/api/v1/incidents/INC-1").await.body;
        assert_eq!(
            inc["title"], "DiskFull",
            "commonLabels.alertname without a summary"
        );
        assert_eq!(
            inc["severity"], "sev4",
            "the hook's map wins over the default one"
        );
        assert_eq!(inc["services"], json!(["checkout"]));
        let r = deliver(
            &a.anonymous(),
            &path,
            &s,
            am("DiskFull", &[("a1", "firing"), ("a3", "firing")]),
        )
        .await;
        assert_eq!(
            r.body,
            json!({"incident": "INC-1", "alerts_new": 1, "alerts_repeated": 1})
        );
        let r = deliver(&a.anonymous(), &path, &s, am("CpuHot", &[("b1", "firing")])).await;
        assert_eq!(r.body["incident"], "INC-2");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM incidents").await, 2);
        assert_eq!(
            a.get("/api/v1/incidents/INC-1/alerts")
                .await
                .body
                .as_array()
                .unwrap()
                .len(),
            3
        );
        // Once INC-1 is resolved, the group's next new alert opens a new incident.
        let r = a
            .patch("/api/v1/incidents/INC-1", json!({"status": "resolved"}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = deliver(
            &a.anonymous(),
            &path,
            &s,
            am("DiskFull", &[("a4", "firing")]),
        )
        .await;
        assert_eq!(r.body["incident"], "INC-3");
        // A new alert that arrives resolved opens nothing.
        let r = deliver(
            &a.anonymous(),
            &path,
            &s,
            am("Quiet", &[("q1", "resolved")]),
        )
        .await;
        assert_eq!(
            r.body,
            json!({"incident": null, "alerts_new": 1, "alerts_repeated": 0})
        );
        assert_eq!(count(&db, "SELECT COUNT(*) FROM incidents").await, 3);
    }
);

db_test!(
    a_burst_of_deliveries_of_one_group_opens_one_incident,
    |db| {
        let a = admin(&db).await;
        let (path, secret) = hook(&a, "am", "alertmanager", json!({})).await;
        let mut tasks = Vec::new();
        for i in 0..40 {
            let c = a.anonymous();
            let (path, s) = (path.clone(), bearer(&secret));
            tasks.push(tokio::spawn(async move {
                let fp = format!("f{}", i % 10);
                deliver(&c, &path, &s, am("Burst", &[(&fp, "firing")])).await
            }));
        }
        for t in tasks {
            let r = t.await.unwrap();
            assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
            assert_eq!(r.body["incident"], "INC-1");
        }
        assert_eq!(count(&db, "SELECT COUNT(*) FROM incidents").await, 1);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM alerts").await, 10);
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM timeline_events WHERE kind = 'alert'"
            )
            .await,
            10,
            "one event per new alert"
        );
    }
);

db_test!(
    a_thousand_alerts_in_a_burst_stay_correct_and_pages_keep_answering,
    |db| {
        let a = admin(&db).await;
        let (path, secret) = hook(&a, "am", "alertmanager", json!({})).await;
        // 200 deliveries of 5 new alerts each, 16 at a time, over 5 groups (as Alertmanager
        // sends one group per request), while a reader keeps loading the incident list.
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let (c, stop) = (a.clone(), stop.clone());
            tokio::spawn(async move {
                let mut answered = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let r = c.get("/api/v1/incidents?limit=50").await;
                    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
                    answered += 1;
                    tokio::task::yield_now().await;
                }
                answered
            })
        };
        let started = std::time::Instant::now();
        let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(16));
        let mut tasks = Vec::new();
        for d in 0..200 {
            let c = a.anonymous();
            let (path, s, sem) = (path.clone(), bearer(&secret), sem.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = sem.acquire().await.unwrap();
                let group = format!("Burst{}", d % 5);
                let fps: Vec<String> = (0..5).map(|k| format!("b{d}-{k}")).collect();
                let alerts: Vec<(&str, &str)> =
                    fps.iter().map(|f| (f.as_str(), "firing")).collect();
                deliver(&c, &path, &s, am(&group, &alerts)).await
            }));
        }
        for t in tasks {
            let r = t.await.unwrap();
            assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
            assert_eq!(r.body["alerts_new"], 5, "{}", r.body);
        }
        let took = started.elapsed();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let answered = reader.await.unwrap();
        eprintln!("1000 alerts in {took:?}; the list answered {answered} times meanwhile");
        assert!(took < std::time::Duration::from_secs(60), "{took:?}");
        assert!(answered > 0);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM incidents").await,
            5,
            "one per group"
        );
        assert_eq!(count(&db, "SELECT COUNT(*) FROM alerts").await, 1000);
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM alerts WHERE incident_id IS NULL").await,
            0
        );
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM timeline_events WHERE kind = 'alert'"
            )
            .await,
            1000
        );
    }
);

db_test!(refused_deliveries_write_nothing, |db| {
    let a = admin(&db).await;
    let (path, secret) = hook(&a, "am", "alertmanager", json!({})).await;
    let anon = a.anonymous();
    let before = totals(&db).await;
    let wrong = deliver(
        &anon,
        &path,
        &bearer("hsh_wrong"),
        fixture("alertmanager-firing.json"),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.body);
    let none = deliver(&anon, &path, &[], fixture("alertmanager-firing.json")).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    let other = deliver(
        &anon,
        "/api/v1/hooks/999/receive",
        &bearer(&secret),
        fixture("alertmanager-firing.json"),
    )
    .await;
    assert_eq!(
        other.status,
        StatusCode::UNAUTHORIZED,
        "an unknown hook looks like a wrong secret"
    );
    // Malformed: 422 naming the field.
    let mut v: Value = serde_json::from_slice(&fixture("alertmanager-firing.json")).unwrap();
    v["alerts"][0]
        .as_object_mut()
        .unwrap()
        .remove("fingerprint");
    let r = deliver(&anon, &path, &bearer(&secret), v.to_string().into_bytes()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(tests::http::field(&r), "alerts.0.fingerprint");
    let mut v: Value = serde_json::from_slice(&fixture("alertmanager-firing.json")).unwrap();
    v["alerts"][0]["startsAt"] = json!("yesterday");
    let r = deliver(&anon, &path, &bearer(&secret), v.to_string().into_bytes()).await;
    assert_eq!(tests::http::field(&r), "alerts.0.startsAt");
    let mut v: Value = serde_json::from_slice(&fixture("alertmanager-firing.json")).unwrap();
    v["version"] = json!("3");
    let r = deliver(&anon, &path, &bearer(&secret), v.to_string().into_bytes()).await;
    assert_eq!(tests::http::field(&r), "version");
    let r = deliver(&anon, &path, &bearer(&secret), b"not json".to_vec()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Over 1 MB: 413.
    let mut v: Value = serde_json::from_slice(&fixture("alertmanager-firing.json")).unwrap();
    v["commonAnnotations"]["description"] = json!("x".repeat(1 << 20));
    let r = deliver(&anon, &path, &bearer(&secret), v.to_string().into_bytes()).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(totals(&db).await, before);
    // The query-string token works too.
    let r = deliver(
        &anon,
        &format!("{path}?token={secret}"),
        &[],
        fixture("alertmanager-firing.json"),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
});

db_test!(grafana_and_generic_sources_follow_the_same_rules, |db| {
    let a = admin(&db).await;
    let (gpath, gsecret) = hook(&a, "grafana", "grafana", json!({})).await;
    let r = deliver(
        &a.anonymous(),
        &gpath,
        &bearer(&gsecret),
        fixture("grafana-firing.json"),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert_eq!(r.body["incident"], "INC-1");
    let n = r.body["alerts_new"].as_u64().unwrap();
    assert!(n >= 1, "{}", r.body);
    let alerts = a.get("/api/v1/incidents/INC-1/alerts").await.body;
    assert_eq!(alerts.as_array().unwrap().len() as u64, n);
    assert_eq!(alerts[0]["source"], "grafana");

    let (path, secret) = hook(
        &a,
        "ci",
        "generic",
        json!({"severity_map": {"page": "sev1"}}),
    )
    .await;
    let s = bearer(&secret);
    let body = |fp: &str, status: &str, sev: &str| {
        json!({"fingerprint": fp, "title": format!("Deploy {fp} failed"), "status": status,
               "severity": sev, "service": "billing", "url": "https://ci.example.org/run/7", "body": "exit 1"})
        .to_string()
        .into_bytes()
    };
    let r = deliver(&a.anonymous(), &path, &s, body("g1", "firing", "sev1")).await;
    assert_eq!(r.body["incident"], "INC-2", "{}", r.body);
    let inc = a.get("/api/v1/incidents/INC-2").await.body;
    assert_eq!(
        inc["severity"], "sev1",
        "a Hindsight severity is taken as it is"
    );
    assert_eq!(inc["services"], json!(["billing"]));
    assert_eq!(inc["title"], "Deploy g1 failed");
    let r = deliver(&a.anonymous(), &path, &s, body("g2", "firing", "page")).await;
    assert_eq!(
        a.get(&format!(
            "/api/v1/incidents/{}",
            r.body["incident"].as_str().unwrap()
        ))
        .await
        .body["severity"],
        "sev1",
        "through the map"
    );
    let r = deliver(&a.anonymous(), &path, &s, body("g3", "firing", "critical")).await;
    assert_eq!(
        a.get(&format!(
            "/api/v1/incidents/{}",
            r.body["incident"].as_str().unwrap()
        ))
        .await
        .body["severity"],
        "sev2"
    );
    // The same fingerprint again, even with another time: repeated; then resolved.
    let r = deliver(&a.anonymous(), &path, &s, body("g1", "firing", "sev1")).await;
    assert_eq!(
        r.body,
        json!({"incident": "INC-2", "alerts_new": 0, "alerts_repeated": 1})
    );
    let r = deliver(&a.anonymous(), &path, &s, body("g1", "resolved", "sev1")).await;
    assert_eq!(r.body["alerts_repeated"], 1);
    assert_eq!(
        a.get("/api/v1/incidents/INC-2").await.body["status"],
        "investigating"
    );
    let r = deliver(
        &a.anonymous(),
        &path,
        &s,
        json!({"fingerprint": "x", "status": "firing"})
            .to_string()
            .into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(tests::http::field(&r), "title");
    let r = deliver(
        &a.anonymous(),
        &path,
        &s,
        json!({"fingerprint": "x", "title": "t", "status": "open"})
            .to_string()
            .into_bytes(),
    )
    .await;
    assert_eq!(tests::http::field(&r), "status");
});

fn pd_sign(secret: &str, body: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

db_test!(
    pagerduty_webhooks_are_verified_and_follow_the_incident,
    |db| {
        let a = admin(&db).await;
        let secret = "pd-signing-secret-from-pagerduty";
        let (path, shown) = hook(&a, "pd", "pagerduty", json!({"signing_secret": secret})).await;
        assert_eq!(shown, secret);
        let anon = a.anonymous();
        let sig = |body: &[u8]| vec![("x-pagerduty-signature", pd_sign(secret, body))];
        let triggered = fixture("pagerduty-v3-triggered.json");
        // A bad signature, or none: 401, nothing written.
        let bad = deliver(
            &anon,
            &path,
            &[("x-pagerduty-signature", "v1=00ff".into())],
            triggered.clone(),
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
        let bearer_only = deliver(&anon, &path, &bearer(secret), triggered.clone()).await;
        assert_eq!(
            bearer_only.status,
            StatusCode::UNAUTHORIZED,
            "PagerDuty signs; a bearer is not enough"
        );
        assert_eq!(count(&db, "SELECT COUNT(*) FROM incidents").await, 0);
        // Two signatures while PagerDuty rotates its secret: one matching is enough.
        let rotating = vec![(
            "x-pagerduty-signature",
            format!("v1=deadbeef, {}", pd_sign(secret, &triggered)),
        )];
        let r = deliver(&anon, &path, &rotating, triggered.clone()).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        assert_eq!(
            r.body,
            json!({"incident": "INC-1", "alerts_new": 1, "alerts_repeated": 0})
        );
        let inc = a.get("/api/v1/incidents/INC-1").await.body;
        assert_eq!(inc["title"], "HighRequestLatency on api-1.example.org:9100");
        assert_eq!(inc["services"], json!(["Checkout API"]));
        assert!(inc["acknowledged_at"].is_null());
        // The same event again: nothing.
        let before = totals(&db).await;
        let r = deliver(&anon, &path, &sig(&triggered), triggered.clone()).await;
        assert_eq!(r.body["alerts_new"], 0);
        assert_eq!(totals(&db).await, before);
        let ack = fixture("pagerduty-v3-acknowledged.json");
        let r = deliver(&anon, &path, &sig(&ack), ack.clone()).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        let inc = a.get("/api/v1/incidents/INC-1").await.body;
        assert!(inc["acknowledged_at"].is_string(), "acknowledged: {inc}");
        let first_ack = inc["acknowledged_at"].clone();
        let before = totals(&db).await;
        deliver(&anon, &path, &sig(&ack), ack).await;
        assert_eq!(
            totals(&db).await,
            before,
            "a repeated acknowledgement changes nothing"
        );
        let note = fixture("pagerduty-v3-annotated.json");
        deliver(&anon, &path, &sig(&note), note).await;
        let resolved = fixture("pagerduty-v3-resolved.json");
        let r = deliver(&anon, &path, &sig(&resolved), resolved).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        let inc = a.get("/api/v1/incidents/INC-1").await.body;
        assert_eq!(
            inc["status"], "investigating",
            "PagerDuty's resolve never resolves it"
        );
        assert_eq!(inc["acknowledged_at"], first_ack);
        let events = bodies(&timeline(&a, "INC-1").await);
        for want in [
            "Acknowledged in PagerDuty",
            "Note in PagerDuty",
            "Resolved in PagerDuty",
        ] {
            assert!(
                events.iter().any(|e| e.contains(want)),
                "{want}: {events:?}"
            );
        }
        let alerts = a.get("/api/v1/incidents/INC-1/alerts").await.body;
        assert_eq!(alerts[0]["source"], "pagerduty");
        assert_eq!(alerts[0]["status"], "resolved");
        assert_eq!(
            alerts[0]["url"],
            "https://example-corp.pagerduty.com/incidents/Q1ZK7RX4TFM2BA"
        );
    }
);
