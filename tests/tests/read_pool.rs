//! On a SQLite file the server reads through a pool of read-only connections and writes
//! through its one writer. Every read the site offers — each GET operation of the OpenAPI
//! document and each page — must work through the readers: a read that writes on the side
//! would fail there ("attempt to write a readonly database"), so each is fetched here over
//! the two pools the server builds, with data of every kind in the database.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: failing loudly is the point

use app::domain::Role;
use axum::http::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tests::FileDb;
use tests::http::{Client, PASSWORD, created, user};

/// The text a page shows where a read failed on the server.
const FAILED: &str = "the cause has been logged";

#[tokio::test]
async fn every_read_works_through_the_read_only_pool() {
    let f = FileDb::new("read-pool").await;
    // The readers really are read-only.
    assert!(
        f.reader
            .execute_unprepared("UPDATE settings SET value = value")
            .await
            .is_err(),
        "a reader refuses writes"
    );
    let site = Client::over(f.state());
    user(&f.db, "admin@example.org", Role::Admin).await;
    user(&f.db, "ic@example.org", Role::Responder).await;
    let admin = site.login("admin@example.org", PASSWORD).await;
    let ic = site.login("ic@example.org", PASSWORD).await;

    // Data of every kind, written through the writer.
    let i = created(
        &ic,
        "/api/v1/incidents",
        json!({"title": "Checkout errors", "severity": "sev2", "services": ["checkout"],
               "tags": ["db"], "summary": "Errors **spiked**"}),
    )
    .await;
    let key = i["key"].as_str().unwrap().to_owned();
    let event = created(
        &ic,
        &format!("/api/v1/incidents/{key}/timeline"),
        json!({"kind": "note", "body": "Rolled back"}),
    )
    .await;
    let r = ic
        .put(
            &format!("/api/v1/incidents/{key}/postmortem"),
            json!({"body": "# What happened", "root_cause_category": "deployment",
                   "five_whys": ["a deploy"],
                   "contributing_factors": [{"category": "process", "description": "no canary"}]}),
        )
        .await;
    assert!(r.status.is_success(), "postmortem saved: {}", r.text);
    let a = created(
        &ic,
        "/api/v1/actions",
        json!({"title": "Add a canary", "incident": key, "owner": "ic@example.org",
               "team": "payments", "due_date": "2026-12-20"}),
    )
    .await;
    let action = a["key"].as_str().unwrap().to_owned();
    let ke = created(
        &ic,
        "/api/v1/known-errors",
        json!({"title": "Pool exhaustion", "symptoms": "timeouts", "workaround": "restart"}),
    )
    .await;
    let ke = ke["key"].as_str().unwrap().to_owned();
    let r = ic
        .post(
            &format!("/api/v1/known-errors/{ke}/incidents"),
            json!({"incident": key}),
        )
        .await;
    assert!(r.status.is_success(), "linked: {}", r.text);
    created(
        &ic,
        &format!("/api/v1/incidents/{key}/comments"),
        json!({"body": "Over to @admin@example.org"}),
    )
    .await;
    let hook = created(
        &admin,
        "/api/v1/hooks",
        json!({"name": "am", "source": "alertmanager", "default_severity": "sev3"}),
    )
    .await;
    let channel = created(
        &admin,
        "/api/v1/channels",
        json!({"name": "ops", "kind": "webhook", "url": "http://127.0.0.1:9/ops",
               "events": ["incident.declared"]}),
    )
    .await;
    let tracker = created(
        &admin,
        "/api/v1/trackers",
        json!({"name": "GitHub", "kind": "github", "base_url": "http://127.0.0.1:9",
               "project": "acme/api", "credentials": {"token": "ghp_x"}}),
    )
    .await;
    created(&ic, "/api/v1/me/tokens", json!({"name": "laptop"})).await;

    // Every GET operation of the OpenAPI document, its parameters filled in.
    let doc = admin.get("/api/v1/openapi.json").await.body;
    let paths = doc["paths"].as_object().unwrap();
    let mut fetched = 0;
    for (path, ops) in paths {
        if ops.get("get").is_none() || path == "/api/v1/stream" {
            continue;
        }
        let id = if path.starts_with("/api/v1/hooks") {
            &hook["id"]
        } else if path.starts_with("/api/v1/channels") {
            &channel["id"]
        } else if path.starts_with("/api/v1/trackers") {
            &tracker["id"]
        } else {
            &event["id"]
        };
        let k = if path.starts_with("/api/v1/actions") {
            &action
        } else if path.starts_with("/api/v1/known-errors") {
            &ke
        } else {
            &key
        };
        let kind = if path.ends_with("/comments") {
            "incidents"
        } else {
            "incident"
        };
        let mut url = path
            .replace("{key}", k)
            .replace("{id}", &id.to_string())
            .replace("{email}", "ic@example.org")
            .replace("{owner}", "ic@example.org")
            .replace("{record_type}", kind);
        if path == "/api/v1/presence" {
            url.push_str(&format!("?topic=incident:{key}"));
        }
        assert!(!url.contains('{'), "every parameter filled in: {url}");
        let r = admin.get(&url).await;
        assert!(
            r.status.is_success(),
            "GET {url} through the readers: {} {}",
            r.status,
            r.text
        );
        fetched += 1;
    }
    assert!(fetched >= 35, "the document lists the reads ({fetched})");

    // Every page, as the admin (who sees them all).
    let pages = [
        "/".to_owned(),
        "/incidents".into(),
        format!("/incidents/{key}"),
        format!("/incidents/{key}/postmortem"),
        "/incidents/new".into(),
        "/postmortems".into(),
        "/actions".into(),
        "/actions/all".into(),
        format!("/actions/{action}"),
        "/known-errors".into(),
        format!("/known-errors/{ke}"),
        "/known-errors/new".into(),
        "/dashboard".into(),
        "/notifications".into(),
        "/me".into(),
        "/admin".into(),
    ];
    for page in &pages {
        let r = admin.get(page).await;
        assert!(
            r.status == StatusCode::OK || r.status.is_redirection(),
            "{page}: {}",
            r.status
        );
        assert!(
            !r.text.contains(FAILED),
            "{page} shows a failed read:\n{}",
            r.text
        );
    }
    // What the pages ask for after they load (server functions) goes through the readers too:
    // the incident page's people and the nav counts among them.
    let r = ic.get(&format!("/incidents/{key}")).await;
    assert!(r.text.contains("Checkout errors"), "{}", r.text);
    assert!(!r.text.contains(FAILED));

    // And writes still work while the readers serve: one more entry appears at once.
    created(
        &ic,
        &format!("/api/v1/incidents/{key}/timeline"),
        json!({"kind": "note", "body": "Recovered"}),
    )
    .await;
    let t: Value = ic
        .get(&format!("/api/v1/incidents/{key}/timeline"))
        .await
        .body;
    assert!(
        t.as_array()
            .unwrap()
            .iter()
            .any(|e| e["body"] == "Recovered"),
        "a read after a write sees it: {t}"
    );
}
