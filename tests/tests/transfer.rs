//! Export and import of the whole data set, on SQLite and PostgreSQL: the round trip on a
//! large generated data set and on data written through the API, every class of bad input
//! refused with every bad record named and nothing written, the empty-database rule, the
//! admin-only endpoints, and backdating only where the SPEC allows it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: failing loudly is the point

use app::domain::Role;
use app::error::AppError;
use app::ssr::audit::{self, Verdict};
use app::ssr::auth::Actor;
use app::ssr::services::transfer::{self, Quiet};
use axum::http::StatusCode;
use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};
use tests::db_test;
use tests::http::{Client, PASSWORD, signed_in, user as add_user};

/// Every table an import writes to, and the key counters.
async fn snapshot(db: &DatabaseConnection) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for t in [
        "users",
        "incidents",
        "incident_services",
        "incident_tags",
        "incident_roles",
        "timeline_events",
        "postmortems",
        "postmortem_reviewers",
        "known_errors",
        "known_error_services",
        "known_error_incidents",
        "known_error_terms",
        "actions",
        "action_verifications",
        "settings",
        "audit_log",
    ] {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {t}"),
            ))
            .await
            .unwrap()
            .unwrap();
        out.push((t.to_owned(), row.try_get::<i64>("", "n").unwrap()));
    }
    for row in db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT kind, last_value FROM key_counters ORDER BY kind",
        ))
        .await
        .unwrap()
    {
        out.push((
            format!("counter {}", row.try_get::<String>("", "kind").unwrap()),
            row.try_get::<i64>("", "last_value").unwrap(),
        ));
    }
    out
}

async fn export_value(db: &DatabaseConnection) -> Value {
    let doc = transfer::export(db, &Actor::system(), Utc::now(), &Quiet)
        .await
        .unwrap();
    let mut v = serde_json::to_value(doc).unwrap();
    v.as_object_mut().unwrap().remove("exported_at");
    v
}

async fn import_value(db: &DatabaseConnection, doc: &Value) -> Result<(), AppError> {
    transfer::import(
        db,
        &Actor::system(),
        doc.to_string().as_bytes(),
        Utc::now(),
        &Quiet,
    )
    .await
    .map(|_| ())
}

/// A second empty database of the same kind as `db`.
async fn fresh_like(db: &DatabaseConnection) -> (DatabaseConnection, Option<tests::PgTestDb>) {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let pg = tests::PgTestDb::create().await.unwrap();
            (pg.db.clone(), Some(pg))
        }
        _ => (tests::sqlite_db().await, None),
    }
}

db_test!(round_trip_of_a_large_generated_data_set, |db| {
    let generated = serde_json::to_value(tests::transfer_data::document(1_500, 3_000)).unwrap();
    import_value(&db, &generated).await.unwrap();
    let first = export_value(&db).await;
    assert_eq!(first["incidents"].as_array().unwrap().len(), 1_500);
    assert_eq!(first["actions"].as_array().unwrap().len(), 3_000);
    // The generated records come back as they went in (the derived fields aside).
    let mut g0 = generated["actions"][3].clone();
    let mut f0 = first["actions"][3].clone();
    for v in [&mut g0, &mut f0] {
        v.as_object_mut().unwrap().remove("verification_due");
    }
    assert_eq!(f0, g0);
    assert_eq!(
        first["incidents"][6]["timeline"],
        generated["incidents"][6]["timeline"]
    );

    let (other, _pg) = fresh_like(&db).await;
    import_value(&other, &first).await.unwrap();
    let second = export_value(&other).await;
    assert_eq!(
        first, second,
        "export → import → export gives the same document"
    );
    let data = |s: Vec<(String, i64)>| {
        s.into_iter()
            .filter(|(t, _)| t != "settings" && t != "audit_log")
            .collect::<Vec<_>>()
    };
    assert_eq!(data(snapshot(&db).await), data(snapshot(&other).await));

    // Over HTTP too, with a body larger than other requests may send.
    let (third, _pg3) = fresh_like(&db).await;
    let importer = signed_in(&third, "importer@example.org", Role::Admin).await;
    assert!(first.to_string().len() > 2 << 20);
    let r = importer.post("/api/v1/import", first.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["actions"], 3_000);
    assert_eq!(r.body["users_created"], 24);

    // Key counters moved past the imported keys: new records get new keys.
    let admin_email = "new-admin@example.org";
    let c = signed_in(&other, admin_email, Role::Admin).await;
    let r = c
        .post(
            "/api/v1/incidents",
            json!({"title": "After the import", "severity": "sev3"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["key"], "INC-1501");
    let r = c.post("/api/v1/actions", json!({"title": "Next"})).await;
    assert_eq!(r.body["key"], "ACT-3001");
    // The history shows the import, and the chain holds.
    let r = c.get("/api/v1/history/action/ACT-7").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body[0]["action"], "import", "{}", r.body);
    assert!(matches!(
        audit::verify(&other).await.unwrap(),
        Verdict::Intact { .. }
    ));
    // Derived fields were derived: RCA due dates, suggestion index.
    assert!(
        second["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["rca_due_at"].is_string())
    );
    let r = c
        .get("/api/v1/incidents/INC-1/suggested-known-errors")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
});

db_test!(round_trip_of_data_written_through_the_api, |db| {
    add_user(&db, "admin@example.org", Role::Admin).await;
    add_user(&db, "ic@example.org", Role::Responder).await;
    add_user(&db, "owner@example.org", Role::Member).await;
    let c = Client::new(db.clone());
    let admin = c.login("admin@example.org", PASSWORD).await;
    let ic = c.login("ic@example.org", PASSWORD).await;
    let r = ic
        .post(
            "/api/v1/incidents",
            json!({"title": "Checkout down — 決済", "severity": "sev1", "services": ["checkout"],
                   "commander": "ic@example.org", "roles": {"scribe": "owner@example.org"}, "tags": ["payments"],
                   "started_at": "2026-01-05T09:00:00Z", "detected_at": "2026-01-05T09:10:00Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    ic.post(
        "/api/v1/incidents/INC-1/timeline",
        json!({"kind": "update", "body": "Looking", "occurred_at": "2026-01-05T09:20:00Z"}),
    )
    .await;
    ic.post(
        "/api/v1/incidents/INC-1/timeline",
        json!({"kind": "mitigation", "body": "Rolled back", "occurred_at": "2026-01-05T09:40:00Z"}),
    )
    .await;
    let r = ic
        .patch(
            "/api/v1/incidents/INC-1",
            json!({"status": "resolved", "resolved_at": "2026-01-05T10:00:00Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = ic.put("/api/v1/incidents/INC-1/postmortem", json!({"root_cause_category": "deployment", "root_cause": "Bad deploy", "five_whys": ["a", "b"], "contributing_factors": [{"category": "testing", "description": "No canary"}], "reviewers": ["admin@example.org"]})).await;
    assert!(r.status.is_success(), "{}", r.body);
    for to in ["in_review", "published"] {
        let r = ic
            .post(
                "/api/v1/incidents/INC-1/postmortem/transition",
                json!({"to": to}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let r = ic
        .patch("/api/v1/incidents/INC-1", json!({"status": "closed"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = ic.post("/api/v1/known-errors", json!({"title": "Deploys skip the canary", "status": "fix_scheduled", "fix_version": "2.4", "services": ["checkout"], "incidents": ["INC-1"]})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    for body in [
        json!({"title": "Canary stage", "incident": "INC-1", "known_error": "KE-1", "owner": "owner@example.org", "team": "payments", "due_date": "2026-02-01", "external_url": "https://jira.example.org/OPS-1"}),
        json!({"title": "Runbook", "kind": "documentation", "owner": "owner@example.org"}),
        json!({"title": "Dropped", "owner": "owner@example.org"}),
    ] {
        let r = ic.post("/api/v1/actions", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let steps = [
        ("ACT-1", json!({"to": "done"})),
        (
            "ACT-1",
            json!({"to": "verified", "result": "not_effective", "evidence": "Still failing"}),
        ),
        ("ACT-1", json!({"to": "done"})),
        (
            "ACT-1",
            json!({"to": "verified", "result": "effective", "evidence": "Clean week"}),
        ),
        (
            "ACT-2",
            json!({"to": "done", "at": (Utc::now() - chrono::Duration::milliseconds(10)).to_rfc3339()}),
        ),
        ("ACT-3", json!({"to": "cancelled", "reason": "Superseded"})),
    ];
    for (key, body) in steps {
        let r = admin
            .post(&format!("/api/v1/actions/{key}/transition"), body)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{key}: {}", r.body);
    }
    let r = admin.get("/api/v1/export").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers.get("content-disposition").is_some());
    let first = r.body.clone();
    assert_eq!(first["format"], "hindsight/v1");
    assert!(first["exported_at"].is_string());
    let text = r.text.clone();
    for secret in ["password", "token", "$argon2", "hindsight_session"] {
        assert!(!text.contains(secret), "the export holds no {secret}");
    }
    assert_eq!(
        first["actions"][0]["verifications"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(first["actions"][0]["reopen_count"], 1);

    // A fresh instance with its own admin imports it over HTTP.
    let (other, _pg) = fresh_like(&db).await;
    let admin2 = signed_in(&other, "admin@example.org", Role::Admin).await;
    let r = admin2.post("/api/v1/import", first.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["users_existing"], 1);
    assert_eq!(r.body["users_created"], 2);
    let mut a = first.clone();
    let mut b = admin2.get("/api/v1/export").await.body;
    for v in [&mut a, &mut b] {
        v.as_object_mut().unwrap().remove("exported_at");
    }
    assert_eq!(a, b);
    // Imported users have no password until an admin sets one.
    let r = admin2.get("/api/v1/users/owner@example.org").await;
    assert_eq!(r.body["has_password"], false, "{}", r.body);
    // The same document again: the database is no longer empty.
    let before = snapshot(&other).await;
    let r = admin2.post("/api/v1/import", first.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("empty database")
    );
    assert_eq!(snapshot(&other).await, before);
});

// ----- bad input: every bad record is named, nothing is written -----

/// A small valid document the bad-input tests spoil.
fn base() -> Value {
    json!({
        "format": "hindsight/v1",
        "users": [
            {"email": "ann@example.org", "name": "Ann", "role": "responder"},
            {"email": "bob@example.org", "name": "Bob", "role": "member"}
        ],
        "incidents": [
            {"key": "INC-1", "title": "Outage", "severity": "sev2", "status": "resolved",
             "services": ["api"], "commander": "ann@example.org",
             "detected_at": "2026-01-05T09:00:00Z", "resolved_at": "2026-01-05T10:00:00Z",
             "timeline": [{"occurred_at": "2026-01-05T09:05:00Z", "kind": "update", "body": "x", "visibility": "internal", "author": "ann@example.org"}],
             "postmortem": {"status": "draft", "body": "…"}},
            {"key": "INC-2", "title": "Second", "severity": "sev3", "status": "investigating",
             "detected_at": "2026-01-06T09:00:00Z"}
        ],
        "known_errors": [{"key": "KE-1", "title": "Pool", "status": "open", "incidents": ["INC-1"]}],
        "actions": [
            {"key": "ACT-1", "incident": "INC-1", "title": "Fix", "kind": "corrective", "priority": "high",
             "owner": "bob@example.org", "status": "verified", "created_at": "2026-01-06T09:00:00Z",
             "completed_at": "2026-01-07T09:00:00Z", "verified_at": "2026-01-08T09:00:00Z",
             "verified_by": "ann@example.org", "verification_result": "effective", "verification_evidence": "ok"}
        ]
    })
}

/// Imports `doc` and expects a 422 naming each `(record, field)`; checks nothing was written.
async fn refused(db: &DatabaseConnection, doc: &Value, expected: &[(&str, &str)]) {
    let before = snapshot(db).await;
    let err = import_value(db, doc).await.expect_err("refused");
    assert_eq!(err.status(), 422, "{err:?}");
    let body = err.to_body();
    let records = body["error"]["records"].as_array().expect("records listed");
    for (record, field) in expected {
        assert!(
            records
                .iter()
                .any(|r| r["record"] == *record && r["field"] == *field),
            "{record} {field} reported in {records:#?}"
        );
    }
    assert_eq!(snapshot(db).await, before, "nothing written");
}

fn set(doc: &mut Value, path: &[&str], v: Value) {
    let mut at = doc;
    for p in path {
        at = match p.parse::<usize>() {
            Ok(i) => &mut at[i],
            Err(_) => &mut at[*p],
        };
    }
    *at = v;
}

db_test!(the_valid_base_document_imports, |db| {
    let (other, _pg) = fresh_like(&db).await;
    import_value(&other, &base()).await.unwrap();
    let e = export_value(&other).await;
    assert_eq!(
        e["actions"][0]["verification_due"], "2026-02-06",
        "derived: completed + 30 days"
    );
    assert_eq!(
        e["actions"][0]["verification_required"], true,
        "default of corrective"
    );
    assert_eq!(
        e["incidents"][1]["created_at"], "2026-01-06T09:00:00Z",
        "defaults to detected_at"
    );
});

db_test!(unknown_format_is_refused, |db| {
    let mut doc = base();
    doc["format"] = json!("jira/v2");
    refused(&db, &doc, &[("document", "format")]).await;
    doc.as_object_mut().unwrap().remove("format");
    refused(&db, &doc, &[("document", "format")]).await;
    let before = snapshot(&db).await;
    let err = transfer::import(&db, &Actor::system(), b"{not json", Utc::now(), &Quiet)
        .await
        .unwrap_err();
    assert_eq!(err.status(), 422);
    assert_eq!(err.fields()[0].field, "body");
    assert_eq!(snapshot(&db).await, before);
});

db_test!(a_document_broken_after_its_records_writes_nothing, |db| {
    // The document is read a record at a time; a fault near its end is still found before
    // anything is written, wherever its lists come (here `users` after the records).
    let text = base().to_string();
    assert!(text.find("\"users\"") > text.find("\"incidents\""));
    let before = snapshot(&db).await;
    for broken in [
        &text[..text.len() - 1],
        &format!("{text} {{}}"),
        &text.replacen("\"format\"", "\"users\":[],\"format\"", 1),
    ] {
        let err = transfer::import(&db, &Actor::system(), broken.as_bytes(), Utc::now(), &Quiet)
            .await
            .unwrap_err();
        assert_eq!(err.status(), 422, "{err:?}");
        assert_eq!(err.fields()[0].record.as_deref(), Some("document"));
        assert_eq!(snapshot(&db).await, before, "nothing written");
    }
    // Read from a file as from memory.
    let path = std::env::temp_dir().join(format!(
        "hindsight-import-{}-{:?}.json",
        std::process::id(),
        db.get_database_backend()
    ));
    std::fs::write(&path, &text).unwrap();
    let (other, _pg) = fresh_like(&db).await;
    let summary = transfer::import_from(
        &other,
        &Actor::system(),
        transfer::Source::file(&path),
        Utc::now(),
        &Quiet,
    )
    .await
    .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(
        (summary.incidents, summary.actions, summary.users_created),
        (2, 1, 2)
    );
});

db_test!(malformed_fields_are_named_for_every_record, |db| {
    let mut doc = base();
    set(&mut doc, &["incidents", "0", "severity"], json!("sev0"));
    set(
        &mut doc,
        &["incidents", "1", "detected_at"],
        json!("yesterday"),
    );
    set(&mut doc, &["actions", "0", "priority"], json!(3));
    set(&mut doc, &["known_errors", "0", "title"], json!("a\u{0}b"));
    refused(
        &db,
        &doc,
        &[
            ("INC-1", "severity"),
            ("INC-2", "detected_at"),
            ("ACT-1", "priority"),
            ("KE-1", "title"),
        ],
    )
    .await;
});

db_test!(duplicate_and_malformed_keys_are_refused, |db| {
    let mut doc = base();
    let mut dup = doc["incidents"][1].clone();
    dup["title"] = json!("Again");
    doc["incidents"].as_array_mut().unwrap().push(dup);
    let mut bad = doc["actions"][0].clone();
    bad["key"] = json!("ACT-01");
    doc["actions"].as_array_mut().unwrap().push(bad);
    let mut wrong_kind = doc["known_errors"][0].clone();
    wrong_kind["key"] = json!("INC-9");
    doc["known_errors"].as_array_mut().unwrap().push(wrong_kind);
    doc["users"]
        .as_array_mut()
        .unwrap()
        .push(json!({"email": "ANN@example.org", "name": "Ann 2", "role": "viewer"}));
    refused(
        &db,
        &doc,
        &[
            ("INC-2", "key"),
            ("ACT-01", "key"),
            ("INC-9", "key"),
            ("ANN@example.org", "email"),
        ],
    )
    .await;
});

db_test!(unknown_users_are_refused, |db| {
    let mut doc = base();
    set(
        &mut doc,
        &["incidents", "0", "commander"],
        json!("ghost@example.org"),
    );
    set(
        &mut doc,
        &["incidents", "0", "timeline", "0", "author"],
        json!("nobody@example.org"),
    );
    set(
        &mut doc,
        &["actions", "0", "owner"],
        json!("ghost@example.org"),
    );
    refused(
        &db,
        &doc,
        &[
            ("INC-1", "commander"),
            ("INC-1 timeline[0]", "author"),
            ("ACT-1", "owner"),
        ],
    )
    .await;
    // A user already in the database may be named without being in the document.
    add_user(&db, "ghost@example.org", Role::Member).await;
    set(
        &mut doc,
        &["incidents", "0", "timeline", "0", "author"],
        json!("ann@example.org"),
    );
    import_value(&db, &doc).await.unwrap();
});

db_test!(key_times_out_of_order_are_refused, |db| {
    let mut doc = base();
    set(
        &mut doc,
        &["incidents", "0", "resolved_at"],
        json!("2026-01-05T08:00:00Z"),
    );
    set(
        &mut doc,
        &["incidents", "1", "started_at"],
        json!("2026-01-07T09:00:00Z"),
    );
    set(
        &mut doc,
        &["actions", "0", "verified_at"],
        json!("2026-01-06T09:00:00Z"),
    );
    refused(
        &db,
        &doc,
        &[
            ("INC-1", "resolved_at"),
            ("INC-2", "detected_at"),
            ("ACT-1", "verified_at"),
        ],
    )
    .await;
});

db_test!(closing_a_sev1_or_sev2_needs_a_published_postmortem, |db| {
    let mut doc = base();
    set(&mut doc, &["incidents", "0", "status"], json!("closed"));
    set(
        &mut doc,
        &["incidents", "0", "closed_at"],
        json!("2026-01-06T10:00:00Z"),
    );
    let mut sev1 = doc["incidents"][1].clone();
    sev1["key"] = json!("INC-3");
    sev1["severity"] = json!("sev1");
    sev1["status"] = json!("closed");
    sev1["resolved_at"] = json!("2026-01-06T10:00:00Z");
    sev1["closed_at"] = json!("2026-01-06T11:00:00Z");
    doc["incidents"].as_array_mut().unwrap().push(sev1);
    refused(&db, &doc, &[("INC-1", "status"), ("INC-3", "status")]).await;
});

db_test!(publishing_needs_a_root_cause, |db| {
    let mut doc = base();
    set(
        &mut doc,
        &["incidents", "0", "postmortem"],
        json!({"status": "published", "published_at": "2026-01-07T10:00:00Z", "root_cause_category": "deployment"}),
    );
    set(
        &mut doc,
        &["incidents", "1", "postmortem"],
        json!({"status": "published", "root_cause": "x", "published_at": "2026-01-07T10:00:00Z"}),
    );
    refused(
        &db,
        &doc,
        &[
            ("INC-1 postmortem", "root_cause"),
            ("INC-2 postmortem", "root_cause_category"),
        ],
    )
    .await;
});

db_test!(fix_scheduled_and_fixed_need_a_fix_version, |db| {
    let mut doc = base();
    set(&mut doc, &["known_errors", "0", "status"], json!("fixed"));
    doc["known_errors"].as_array_mut().unwrap().push(
        json!({"key": "KE-2", "title": "Other", "status": "fix_scheduled", "fix_version": "  "}),
    );
    refused(
        &db,
        &doc,
        &[("KE-1", "fix_version"), ("KE-2", "fix_version")],
    )
    .await;
});

db_test!(
    four_eyes_is_enforced_on_verified_actions_and_their_history,
    |db| {
        let mut doc = base();
        set(
            &mut doc,
            &["actions", "0", "verified_by"],
            json!("bob@example.org"),
        );
        doc["actions"].as_array_mut().unwrap().push(json!({
        "key": "ACT-2", "title": "Reopened", "kind": "preventive", "priority": "low",
        "owner": "ann@example.org", "status": "open", "reopen_count": 1,
        "verifications": [{"verified_by": "ann@example.org", "verified_at": "2026-01-08T09:00:00Z", "result": "not_effective", "evidence": "no"}]
    }));
        refused(
            &db,
            &doc,
            &[
                ("ACT-1", "verified_by"),
                ("ACT-2", "verifications.0.verified_by"),
            ],
        )
        .await;
    }
);

db_test!(inconsistent_action_states_are_refused, |db| {
    let mut doc = base();
    let a = doc["actions"][0].as_object_mut().unwrap();
    a.remove("verification_result");
    a.remove("verification_evidence");
    doc["actions"].as_array_mut().unwrap().push(json!({"key": "ACT-2", "title": "Done", "kind": "process", "priority": "low", "status": "done"}));
    doc["actions"].as_array_mut().unwrap().push(json!({"key": "ACT-3", "title": "Gone", "kind": "process", "priority": "low", "status": "cancelled"}));
    refused(
        &db,
        &doc,
        &[
            ("ACT-1", "verification_result"),
            ("ACT-1", "verification_evidence"),
            ("ACT-2", "completed_at"),
            ("ACT-3", "cancelled_reason"),
        ],
    )
    .await;
});

db_test!(links_to_unknown_records_are_refused, |db| {
    let mut doc = base();
    set(
        &mut doc,
        &["known_errors", "0", "incidents"],
        json!(["INC-1", "INC-77"]),
    );
    set(&mut doc, &["actions", "0", "incident"], json!("INC-99"));
    set(&mut doc, &["actions", "0", "known_error"], json!("KE-5"));
    refused(
        &db,
        &doc,
        &[
            ("KE-1", "incidents.1"),
            ("ACT-1", "incident"),
            ("ACT-1", "known_error"),
        ],
    )
    .await;
});

db_test!(a_database_with_records_is_not_an_import_target, |db| {
    import_value(&db, &base()).await.unwrap();
    let before = snapshot(&db).await;
    let mut doc = base();
    doc["incidents"] = json!([]);
    doc["known_errors"] = json!([]);
    doc["actions"] = json!([{"key": "ACT-9", "title": "x", "kind": "process", "priority": "low", "status": "open"}]);
    let err = import_value(&db, &doc).await.unwrap_err();
    assert_eq!(err.status(), 409);
    assert_eq!(snapshot(&db).await, before);
});

db_test!(export_and_import_are_for_admins_only, |db| {
    add_user(&db, "ic@example.org", Role::Responder).await;
    add_user(&db, "viewer@example.org", Role::Viewer).await;
    let c = Client::new(db.clone());
    let before = snapshot(&db).await;
    for who in ["ic@example.org", "viewer@example.org"] {
        let u = c.login(who, PASSWORD).await;
        assert_eq!(u.get("/api/v1/export").await.status, StatusCode::FORBIDDEN);
        let r = u.post("/api/v1/import", base()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    }
    assert_eq!(
        c.get("/api/v1/export").await.status,
        StatusCode::UNAUTHORIZED
    );
    let after = snapshot(&db).await;
    // Sign-ins write audit rows; the data tables are untouched.
    assert_eq!(before[1..15], after[1..15]);
    let r = c.get("/api/v1/openapi.json").await;
    for path in ["/api/v1/export", "/api/v1/import"] {
        assert!(r.body["paths"].get(path).is_some(), "{path} documented");
    }
    // The admin page links the download.
    add_user(&db, "admin@example.org", Role::Admin).await;
    let page = c
        .login("admin@example.org", PASSWORD)
        .await
        .get("/admin")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("href=\"/api/v1/export\""),
        "{}",
        page.text
    );
});

db_test!(an_http_import_reports_every_bad_record, |db| {
    let admin = signed_in(&db, "admin@example.org", Role::Admin).await;
    let mut doc = base();
    set(&mut doc, &["incidents", "0", "severity"], json!("sev9"));
    set(
        &mut doc,
        &["actions", "0", "owner"],
        json!("ghost@example.org"),
    );
    let before = snapshot(&db).await;
    let r = admin.post("/api/v1/import", doc).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["error"]["code"], "invalid");
    let records = r.body["error"]["records"].as_array().unwrap();
    assert_eq!(records.len(), 2, "{records:?}");
    assert!(records.iter().all(|p| p["reason"].is_string()));
    assert_eq!(snapshot(&db).await, before);
});

db_test!(
    backdated_action_history_only_through_admin_transitions,
    |db| {
        let ic = signed_in(&db, "ic@example.org", Role::Responder).await;
        let r = ic
            .post(
                "/api/v1/actions",
                json!({"title": "x", "completed_at": "2026-01-01T00:00:00Z"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = ic
            .post(
                "/api/v1/actions",
                json!({"title": "x", "created_at": "2026-01-01T00:00:00Z"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = ic.post("/api/v1/actions", json!({"title": "x"})).await;
        assert_eq!(r.status, StatusCode::CREATED);
        for field in ["completed_at", "verified_at", "created_at"] {
            let r = ic
                .patch(
                    "/api/v1/actions/ACT-1",
                    json!({field: "2026-01-01T00:00:00Z"}),
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{field}: {}",
                r.body
            );
        }
        let r = ic
            .post(
                "/api/v1/actions/ACT-1/transition",
                json!({"to": "done", "at": "2026-01-01T00:00:00Z"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        // Incident key times stay editable by responders.
        ic.post(
            "/api/v1/incidents",
            json!({"title": "t", "severity": "sev3", "detected_at": "2026-01-05T09:00:00Z"}),
        )
        .await;
        let r = ic.patch("/api/v1/incidents/INC-1", json!({"detected_at": "2026-01-05T08:00:00Z", "acknowledged_at": "2026-01-05T08:30:00Z"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
);
