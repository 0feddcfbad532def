//! The SPEC's postmortem rules through the REST API, on SQLite and PostgreSQL: templates,
//! the review workflow and its publish gate, the closing gate, RCA deadlines in business days,
//! optimistic locking, reviewers, the list, the exports and hostile markdown.

use app::domain::Role;
use axum::http::StatusCode;
use serde_json::{Value, json};
use tests::db_test;
use tests::http::{
    Client, PASSWORD, Reply, admin, all_signed_in, column, declare_key, field, responder,
    signed_in, user as add_user,
};

/// A sev1 incident resolved on Friday 2 January 2026 at 10:00 UTC.
async fn resolved_sev1(c: &Client) -> String {
    declare_key(
        c,
        json!({"title": "Checkout down", "severity": "sev1", "status": "resolved",
               "detected_at": "2026-01-02T09:00:00Z", "resolved_at": "2026-01-02T10:00:00Z",
               "services": ["checkout"]}),
    )
    .await
}

async fn transition(c: &Client, key: &str, to: &str) -> Reply {
    c.post(
        &format!("/api/v1/incidents/{key}/postmortem/transition"),
        json!({"to": to}),
    )
    .await
}

db_test!(created_from_the_severity_template_then_edited, |db| {
    let c = responder(&db).await;
    let key = declare_key(&c, json!({"title": "Search slow", "severity": "sev3"})).await;
    let path = format!("/api/v1/incidents/{key}/postmortem");
    assert_eq!(c.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        c.get("/api/v1/incidents/INC-99/postmortem").await.status,
        StatusCode::NOT_FOUND
    );

    let r = c.put(&path, json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["status"], "draft");
    assert_eq!(r.body["version"], 1);
    assert_eq!(r.body["body"], app::domain::postmortem::default_template());
    let headings: Vec<&str> = r.body["body"]
        .as_str()
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .collect();
    assert_eq!(headings, app::domain::postmortem::DEFAULT_SECTIONS);
    assert_eq!(r.body["published_at"], Value::Null);
    assert_eq!(r.body["due_at"], Value::Null, "unresolved: no deadline yet");

    let r = c
        .put(
            &path,
            json!({"version": 1, "root_cause": "A flag turned off the cache.",
                   "root_cause_category": "config_change",
                   "five_whys": ["Why slow?", "Why no cache?"],
                   "contributing_factors": [{"category": " Process ", "description": "No review of flag changes"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["version"], 2);
    assert_eq!(r.body["five_whys"], json!(["Why slow?", "Why no cache?"]));
    assert_eq!(r.body["contributing_factors"][0]["category"], "process");
    assert_eq!(r.body["root_cause_category"], "config_change");
    // Absent fields stay; an identical save changes nothing and keeps the version.
    let same = c
        .put(
            &path,
            json!({"version": 2, "root_cause": "A flag turned off the cache."}),
        )
        .await;
    assert_eq!(same.status, StatusCode::OK);
    assert_eq!(same.body["version"], 2);
    assert_eq!(
        same.body["five_whys"],
        json!(["Why slow?", "Why no cache?"])
    );
    // Reorder the whys and clear the category.
    let r = c
        .put(&path, json!({"version": 2, "five_whys": ["Why no cache?", "Why slow?"], "root_cause_category": null}))
        .await;
    assert_eq!(r.body["five_whys"], json!(["Why no cache?", "Why slow?"]));
    assert_eq!(r.body["root_cause_category"], Value::Null);
    // The incident shows its postmortem's status.
    assert_eq!(
        c.get(&format!("/api/v1/incidents/{key}")).await.body["postmortem_status"],
        "draft"
    );
});

db_test!(templates_are_a_setting_per_severity, |db| {
    let a = admin(&db).await;
    let r = a
        .patch(
            "/api/v1/settings",
            json!({"postmortem_templates": {"sev1": "## What broke\n\n## Follow-up\n"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body["postmortem_templates"]["sev2"],
        app::domain::postmortem::default_template(),
        "the others keep the default"
    );
    let k1 = declare_key(&a, json!({"title": "Down", "severity": "sev1"})).await;
    let k2 = declare_key(&a, json!({"title": "Slow", "severity": "sev2"})).await;
    let p1 = a
        .put(&format!("/api/v1/incidents/{k1}/postmortem"), json!({}))
        .await;
    assert_eq!(p1.body["body"], "## What broke\n\n## Follow-up\n");
    let p2 = a
        .put(&format!("/api/v1/incidents/{k2}/postmortem"), json!({}))
        .await;
    assert_eq!(p2.body["body"], app::domain::postmortem::default_template());
    // A body given at creation wins over the template.
    let k3 = declare_key(&a, json!({"title": "Odd", "severity": "sev1"})).await;
    let p3 = a
        .put(
            &format!("/api/v1/incidents/{k3}/postmortem"),
            json!({"body": "mine"}),
        )
        .await;
    assert_eq!(p3.body["body"], "mine");
});

db_test!(settings_are_checked_and_only_admins_change_them, |db| {
    let a = admin(&db).await;
    let c = responder(&db).await;
    assert_eq!(c.get("/api/v1/settings").await.body["timezone"], "UTC");
    let r = c
        .patch("/api/v1/settings", json!({"timezone": "Europe/Berlin"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    for (patch, f) in [
        (json!({"timezone": "Mars/Olympus"}), "timezone"),
        (
            json!({"rca_deadlines": {"sev1": 999, "sev2": 10, "sev3": 20, "sev4": null}}),
            "rca_deadlines.sev1",
        ),
        (json!({"session_idle_minutes": 0}), "session_idle_minutes"),
        (json!({"holidays": ["2026-02-30"]}), "holidays"),
        (json!({"no_such_setting": 1}), "no_such_setting"),
        (json!({"verification_days": "ten"}), "verification_days"),
    ] {
        let r = a.patch("/api/v1/settings", patch.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{patch}: {}",
            r.body
        );
        assert_eq!(field(&r), f, "{patch}: {}", r.body);
    }
    // Nothing was written by the refused changes.
    let s = a.get("/api/v1/settings").await.body;
    assert_eq!(s["timezone"], "UTC");
    assert_eq!(s["rca_deadlines"]["sev1"], 5);
    assert_eq!(s["session_idle_minutes"], 30);
    let r = a
        .patch(
            "/api/v1/settings",
            json!({"holidays": ["2026-12-25", "2026-01-01", "2026-12-25"]}),
        )
        .await;
    assert_eq!(r.body["holidays"], json!(["2026-01-01", "2026-12-25"]));
    let h = a.get("/api/v1/history/settings/org").await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.body);
    assert!(h.body.to_string().contains("holidays"), "{}", h.body);
});

db_test!(the_workflow_and_the_publish_gate, |db| {
    let c = responder(&db).await;
    let key = resolved_sev1(&c).await;
    let path = format!("/api/v1/incidents/{key}/postmortem");
    assert_eq!(
        transition(&c, &key, "in_review").await.status,
        StatusCode::NOT_FOUND,
        "no postmortem yet"
    );
    c.put(&path, json!({})).await;
    let r = transition(&c, &key, "published").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&r), "to", "draft cannot skip review");
    let r = transition(&c, &key, "bogus").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        transition(&c, &key, "in_review").await.body["status"],
        "in_review"
    );
    let r = transition(&c, &key, "published").await;
    assert_eq!(field(&r), "root_cause_category", "{}", r.body);
    c.put(
        &path,
        json!({"root_cause_category": "deployment", "root_cause": "   "}),
    )
    .await;
    let r = transition(&c, &key, "published").await;
    assert_eq!(field(&r), "root_cause", "{}", r.body);
    assert_eq!(
        c.get(&path).await.body["status"],
        "in_review",
        "a refused step changes nothing"
    );
    c.put(&path, json!({"root_cause": "A deploy skipped the canary."}))
        .await;
    let r = transition(&c, &key, "published").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "published");
    assert!(r.body["published_at"].is_string());
    // Published is read-only until reopened.
    let r = c.put(&path, json!({"root_cause": "changed"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&r), "status");
    assert_eq!(field(&transition(&c, &key, "in_review").await), "to");
    let r = transition(&c, &key, "draft").await;
    assert_eq!(r.body["status"], "draft");
    assert_eq!(
        r.body["published_at"],
        Value::Null,
        "reopening clears published_at"
    );
    assert_eq!(
        transition(&c, &key, "in_review").await.body["status"],
        "in_review"
    );
    assert_eq!(
        transition(&c, &key, "draft").await.body["status"],
        "draft",
        "changes requested"
    );
    let history = c.get(&format!("/api/v1/history/postmortem/{key}")).await;
    assert!(
        history.body.to_string().contains("published_at"),
        "{}",
        history.body
    );
});

db_test!(sev1_and_sev2_close_only_after_publication, |db| {
    let c = responder(&db).await;
    let key = resolved_sev1(&c).await;
    let inc = format!("/api/v1/incidents/{key}");
    let r = c.patch(&inc, json!({"status": "closed"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "no postmortem");
    c.put(
        &format!("{inc}/postmortem"),
        json!({"root_cause_category": "capacity", "root_cause": "Pool too small"}),
    )
    .await;
    transition(&c, &key, "in_review").await;
    let r = c.patch(&inc, json!({"status": "closed"})).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "in review is not published"
    );
    assert_eq!(c.get(&inc).await.body["status"], "resolved");
    transition(&c, &key, "published").await;
    let r = c.patch(&inc, json!({"status": "closed"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // A sev3 closes without one.
    let k3 = declare_key(
        &c,
        json!({"title": "Minor", "severity": "sev3", "status": "resolved"}),
    )
    .await;
    let r = c
        .patch(
            &format!("/api/v1/incidents/{k3}"),
            json!({"status": "closed"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
});

db_test!(due_at_counts_business_days_and_follows_settings, |db| {
    let a = admin(&db).await;
    // Friday 2 January 2026 10:00 UTC + 5 business days = Friday 9 January 10:00.
    let key = resolved_sev1(&a).await;
    let path = format!("/api/v1/incidents/{key}/postmortem");
    let pm = a.put(&path, json!({})).await.body;
    assert_eq!(pm["due_at"], "2026-01-09T10:00:00Z");
    // A holiday on Monday 5 January moves it to Monday 12 January.
    a.patch("/api/v1/settings", json!({"holidays": ["2026-01-05"]}))
        .await;
    assert_eq!(a.get(&path).await.body["due_at"], "2026-01-12T10:00:00Z");
    assert_eq!(
        a.get(&format!("/api/v1/incidents/{key}")).await.body["rca_due_at"],
        "2026-01-12T10:00:00Z"
    );
    // Two business days for sev1: Tuesday 6 and Wednesday 7.
    a.patch(
        "/api/v1/settings",
        json!({"rca_deadlines": {"sev1": 2, "sev2": 10, "sev3": 20, "sev4": null}}),
    )
    .await;
    assert_eq!(a.get(&path).await.body["due_at"], "2026-01-07T10:00:00Z");
    // Severity and resolution changes move it too; reopening clears it.
    a.patch(
        &format!("/api/v1/incidents/{key}"),
        json!({"severity": "sev4"}),
    )
    .await;
    assert_eq!(
        a.get(&path).await.body["due_at"],
        Value::Null,
        "sev4 has no deadline"
    );
    a.patch(
        &format!("/api/v1/incidents/{key}"),
        json!({"severity": "sev2"}),
    )
    .await;
    // sev2: 10 business days from Fri 2 Jan, skipping Mon 5 Jan → Mon 19 Jan.
    assert_eq!(a.get(&path).await.body["due_at"], "2026-01-19T10:00:00Z");
    a.patch(
        &format!("/api/v1/incidents/{key}"),
        json!({"status": "investigating"}),
    )
    .await;
    assert_eq!(a.get(&path).await.body["due_at"], Value::Null);
    // The list marks it overdue once due and unpublished.
    a.patch(
        &format!("/api/v1/incidents/{key}"),
        json!({"status": "resolved", "resolved_at": "2026-01-02T10:00:00Z"}),
    )
    .await;
    let list = a.get("/api/v1/postmortems?overdue=true").await.body;
    assert_eq!(list["items"][0]["incident"], key.as_str());
    assert_eq!(list["items"][0]["overdue"], true);
});

db_test!(two_editors_never_overwrite_each_other, |db| {
    let c = responder(&db).await;
    let d = signed_in(&db, "second@example.org", Role::Responder).await;
    let key = declare_key(&c, json!({"title": "Race", "severity": "sev2"})).await;
    let path = format!("/api/v1/incidents/{key}/postmortem");
    let v = c.put(&path, json!({})).await.body["version"].clone();
    // Both editors loaded version 1; the first save wins, the second is refused.
    let first = c
        .put(&path, json!({"version": v, "body": "first editor"}))
        .await;
    assert_eq!(first.status, StatusCode::OK);
    let second = d
        .put(&path, json!({"version": v, "body": "second editor"}))
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.body);
    assert_eq!(second.body["error"]["code"], "conflict");
    let now = c.get(&path).await.body;
    assert_eq!(now["body"], "first editor");
    assert_eq!(now["version"], 2);
    // A stale transition is refused too.
    let r = d
        .post(
            &format!("{path}/transition"),
            json!({"to": "in_review", "version": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(c.get(&path).await.body["status"], "draft");
    // Concurrent saves from many tasks carrying the same version: exactly one wins.
    let mut handles = Vec::new();
    for i in 0..6 {
        let c = c.clone();
        let path = path.clone();
        handles.push(tokio::spawn(async move {
            c.put(&path, json!({"version": 2, "body": format!("writer {i}")}))
                .await
                .status
        }));
    }
    let mut ok = 0;
    for h in handles {
        match h.await.unwrap() {
            StatusCode::OK => ok += 1,
            StatusCode::CONFLICT => {}
            s => panic!("unexpected {s}"),
        }
    }
    assert_eq!(ok, 1, "one writer wins, the others get 409");
    assert_eq!(c.get(&path).await.body["version"], 3);
});

db_test!(bad_edits_are_422_and_write_nothing, |db| {
    let c = responder(&db).await;
    let key = declare_key(&c, json!({"title": "Edits", "severity": "sev2"})).await;
    let path = format!("/api/v1/incidents/{key}/postmortem");
    c.put(&path, json!({"root_cause": "kept"})).await;
    for (body, f) in [
        (json!({"body": "x".repeat(200_001)}), "body"),
        (json!({"root_cause": "x".repeat(10_001)}), "root_cause"),
        (json!({"five_whys": vec!["why"; 21]}), "five_whys"),
        (
            json!({"five_whys": ["ok", "x".repeat(2_001)]}),
            "five_whys.1",
        ),
        (
            json!({"contributing_factors": [{"category": "x".repeat(51), "description": "d"}]}),
            "contributing_factors.0.category",
        ),
        (
            json!({"contributing_factors": [{"category": "a"}]}),
            "contributing_factors",
        ),
        (
            json!({"root_cause_category": "gremlins"}),
            "root_cause_category",
        ),
        (json!({"reviewers": ["nobody@example.org"]}), "reviewers"),
        (json!({"status": "published"}), "status"),
        (json!({"root_cause": "a\u{0}b"}), "root_cause"),
    ] {
        let r = c.put(&path, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(field(&r).starts_with(f), "{f}: {}", r.body);
    }
    let now = c.get(&path).await.body;
    assert_eq!(now["version"], 1);
    assert_eq!(now["root_cause"], "kept");
    assert_eq!(now["reviewers"], json!([]));
});

db_test!(reviewers_approve_in_review, |db| {
    let c = responder(&db).await;
    let [rev, other] = all_signed_in(
        &db,
        [
            ("rev@example.org", Role::Member),
            ("other@example.org", Role::Member),
        ],
    )
    .await;
    let key = declare_key(&c, json!({"title": "Reviewed", "severity": "sev2"})).await;
    let path = format!("/api/v1/incidents/{key}/postmortem");
    let r = c
        .put(
            &path,
            json!({"reviewers": ["REV@example.org", "ic@example.org", "rev@example.org"]}),
        )
        .await;
    assert_eq!(
        r.body["reviewers"],
        json!(["ic@example.org", "rev@example.org"])
    );
    let approve = format!("{path}/approve");
    assert_eq!(
        rev.post(&approve, json!({})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not in review"
    );
    transition(&c, &key, "in_review").await;
    let r = rev.post(&approve, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["approvals"][0]["reviewer"], "rev@example.org");
    assert_eq!(
        other.post(&approve, json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    // A viewer named as reviewer still changes nothing.
    add_user(&db, "view@example.org", Role::Viewer).await;
    c.put(
        &path,
        json!({"reviewers": ["rev@example.org", "view@example.org", "ic@example.org"]}),
    )
    .await;
    let viewer = Client::new(db.clone())
        .login("view@example.org", PASSWORD)
        .await;
    assert_eq!(
        viewer.post(&approve, json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    // Members may read but not edit.
    assert_eq!(
        rev.put(&path, json!({"root_cause": "x"})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(rev.get(&path).await.status, StatusCode::OK);
    // Removing a reviewer drops their approval; back to draft clears the rest.
    let r = c
        .put(&path, json!({"reviewers": ["rev@example.org"]}))
        .await;
    assert_eq!(r.body["approvals"].as_array().unwrap().len(), 1);
    let r = transition(&c, &key, "draft").await;
    assert_eq!(r.body["approvals"], json!([]));
    assert_eq!(r.body["reviewers"], json!(["rev@example.org"]));
});

db_test!(the_list_filters_and_pages, |db| {
    let c = responder(&db).await;
    let mut keys = Vec::new();
    for (i, sev) in ["sev1", "sev2", "sev3", "sev2", "sev1"].iter().enumerate() {
        let k = declare_key(
            &c,
            json!({"title": format!("Incident {i}"), "severity": sev}),
        )
        .await;
        c.put(
            &format!("/api/v1/incidents/{k}/postmortem"),
            json!({"root_cause_category": "data", "root_cause": "r"}),
        )
        .await;
        keys.push(k);
    }
    transition(&c, &keys[1], "in_review").await;
    let all = c.get("/api/v1/postmortems").await.body;
    let got = column(&all["items"], "incident");
    assert_eq!(got, ["INC-5", "INC-4", "INC-3", "INC-2", "INC-1"]);
    let sev2 = c.get("/api/v1/postmortems?severity=sev2").await.body;
    assert_eq!(sev2["items"].as_array().unwrap().len(), 2);
    let review = c.get("/api/v1/postmortems?status=in_review").await.body;
    assert_eq!(review["items"][0]["incident"], "INC-2");
    assert_eq!(review["items"].as_array().unwrap().len(), 1);
    let p1 = c.get("/api/v1/postmortems?limit=2").await.body;
    assert_eq!(p1["items"].as_array().unwrap().len(), 2);
    let next = p1["next"].as_str().unwrap();
    let p2 = c
        .get(&format!("/api/v1/postmortems?limit=2&page={next}"))
        .await
        .body;
    assert_eq!(p2["items"][0]["incident"], "INC-3");
    assert_eq!(
        c.get("/api/v1/postmortems?page=zzz").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        c.get("/api/v1/postmortems?status=nope").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        c.get("/api/v1/postmortems?overdue=true").await.body["items"],
        json!([]),
        "unresolved: nothing due"
    );
});

/// An action linked to the incident, inserted directly (actions get their own API later).
async fn seed_action(
    db: &sea_orm::DatabaseConnection,
    incident_key: &str,
    status: app::domain::ActionStatus,
) {
    use app::ssr::entities::{action, incident};
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
    let inc = incident::Entity::find()
        .filter(incident::Column::Key.eq(incident_key))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let now = chrono::Utc::now();
    action::ActiveModel {
        key: Set("ACT-1".into()),
        seq: Set(1),
        incident_id: Set(Some(app::domain::IncidentId(inc.id))),
        title: Set("Add a canary stage".into()),
        description: Set(String::new()),
        kind: Set(app::domain::ActionKind::Preventive),
        priority: Set(app::domain::Priority::High),
        due_date: Set(chrono::NaiveDate::from_ymd_opt(2026, 2, 1)),
        status: Set(status),
        verification_required: Set(true),
        verification_plan: Set(String::new()),
        reopen_count: Set(0),
        created_at: Set(now.timestamp_millis()),
        created_on: Set(now.date_naive()),
        updated_at: Set(now.timestamp_millis()),
        version: Set(1),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
}

db_test!(
    exports_carry_the_rca_the_body_the_timeline_and_live_actions,
    |db| {
        let c = responder(&db).await;
        let key = resolved_sev1(&c).await;
        c.post(
        &format!("/api/v1/incidents/{key}/timeline"),
        json!({"occurred_at": "2026-01-02T09:20:00Z", "kind": "rollback", "body": "Rolled back **v42**"}),
    )
    .await;
        let path = format!("/api/v1/incidents/{key}/postmortem");
        c.put(
        &path,
        json!({"body": "## Summary\n\nCheckout failed.\n\n## Timeline\n\nNotes under the timeline.\n\n## Lessons\n\nCanary first.\n",
               "root_cause_category": "deployment", "root_cause": "The deploy skipped the canary.",
               "five_whys": ["Why did checkout fail?", "", "Why was the canary skipped?"],
               "contributing_factors": [{"category": "process", "description": "Manual deploy path"}]}),
    )
    .await;
        seed_action(&db, &key, app::domain::ActionStatus::InProgress).await;

        let md = c.get(&format!("{path}.md")).await;
        assert_eq!(md.status, StatusCode::OK);
        assert!(
            md.headers[axum::http::header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/markdown")
        );
        assert!(
            md.headers[axum::http::header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .contains("INC-1-postmortem.md")
        );
        let t = &md.text;
        for needle in [
            "# Postmortem: INC\\-1 Checkout down",
            "**Severity:** SEV1",
            "**Root-cause category:** Deployment",
            "The deploy skipped the canary.",
            "1. Why did checkout fail?\n2. Why was the canary skipped?\n",
            "- **process:** Manual deploy path",
            "## Summary\n\nCheckout failed.",
            "Rolled back **v42**",
            "Notes under the timeline.",
            "## Lessons",
            "| ACT\\-1 | Add a canary stage | Preventive | High | In progress |",
        ] {
            assert!(t.contains(needle), "{needle:?} missing from:\n{t}");
        }
        // The generated timeline sits under the body's Timeline heading, before the author's notes.
        let tl = t.find("## Timeline").unwrap();
        assert!(
            tl < t.find("Rolled back").unwrap()
                && t.find("Rolled back").unwrap() < t.find("Notes under").unwrap()
        );
        assert_eq!(t.matches("## Timeline").count(), 1);

        let html = c.get(&format!("{path}.html")).await;
        assert_eq!(html.status, StatusCode::OK);
        assert!(
            html.headers[axum::http::header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("default-src 'none'")
        );
        let h = &html.text;
        assert!(h.starts_with("<!DOCTYPE html>"));
        assert!(h.contains("<title>Postmortem INC-1 Checkout down</title>"));
        assert!(h.contains("@media print"));
        assert!(h.contains("<h2>Root cause analysis</h2>"));
        assert!(h.contains("<strong>v42</strong>"));
        assert!(h.contains("<td>In progress</td>"), "{h}");
        assert!(!h.to_ascii_lowercase().contains("<script"));

        // Live: the action's status as it is now, not as it was when the postmortem was written.
        use sea_orm::ConnectionTrait;
        db.execute_unprepared("UPDATE actions SET status = 'done'")
            .await
            .unwrap();
        let md = c.get(&format!("{path}.md")).await;
        assert!(md.text.contains("| High | Done |"), "{}", md.text);
        // No postmortem, no export.
        let k2 = declare_key(&c, json!({"title": "x", "severity": "sev3"})).await;
        assert_eq!(
            c.get(&format!("/api/v1/incidents/{k2}/postmortem.md"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            c.anonymous().get(&format!("{path}.html")).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
);

db_test!(hostile_markdown_never_reaches_a_reader_as_markup, |db| {
    let c = responder(&db).await;
    let key = declare_key(
        &c,
        json!({"title": "<script>alert(1)</script>", "severity": "sev2"}),
    )
    .await;
    let hostile = app::markdown::HOSTILE.join("\n\n").replace('\0', "");
    let path = format!("/api/v1/incidents/{key}/postmortem");
    c.put(
        &path,
        json!({"body": hostile, "root_cause": "<img src=x onerror=alert(1)>",
               "five_whys": ["[x](javascript:alert(1))"],
               "contributing_factors": [{"category": "<b>", "description": "<script>alert(2)</script>"}]}),
    )
    .await;
    c.post(
        &format!("/api/v1/incidents/{key}/timeline"),
        json!({"kind": "note", "body": "<svg onload=alert(3)>"}),
    )
    .await;
    let html = c.get(&format!("{path}.html")).await.text;
    let start = html.find("<article class=\"postmortem\">").unwrap() + 28;
    let end = html.rfind("</article>").unwrap();
    tests::html::assert_inert(&html[start..end], "the exported postmortem");
    assert_eq!(html.to_ascii_lowercase().matches("<script").count(), 0);
    assert!(html.contains("&lt;script&gt;"), "raw HTML is shown as text");
    let md = c.get(&format!("{path}.md")).await.text;
    tests::html::assert_inert(&app::markdown::render(&md), "the markdown export, rendered");
    // The source is kept as written: the API returns what the author typed.
    assert!(
        c.get(&path).await.body["body"]
            .as_str()
            .unwrap()
            .contains("<script>alert(1)</script>")
    );
});

db_test!(a_closed_sev1_keeps_its_postmortem_published, |db| {
    let c = responder(&db).await;
    let key = resolved_sev1(&c).await;
    let inc = format!("/api/v1/incidents/{key}");
    c.put(
        &format!("{inc}/postmortem"),
        json!({"root_cause_category": "capacity", "root_cause": "Pool too small"}),
    )
    .await;
    transition(&c, &key, "in_review").await;
    transition(&c, &key, "published").await;
    assert_eq!(
        c.patch(&inc, json!({"status": "closed"})).await.status,
        StatusCode::OK
    );
    let r = transition(&c, &key, "draft").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.body["error"]["message"].as_str().unwrap().contains(&key),
        "the refusal names the incident: {}",
        r.body
    );
    let pm = c.get(&format!("{inc}/postmortem")).await.body;
    assert_eq!(pm["status"], "published", "nothing changed");
    // The data stays importable: the export of it passes the import's own checks.
    let admin = admin(&db).await;
    let doc = admin.get("/api/v1/export").await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(
        doc.body["incidents"][0]["postmortem"]["status"],
        "published"
    );

    // Below sev2 a closed incident's postmortem may still be reopened.
    let k3 = declare_key(
        &c,
        json!({"title": "Minor", "severity": "sev3", "status": "resolved"}),
    )
    .await;
    c.put(
        &format!("/api/v1/incidents/{k3}/postmortem"),
        json!({"root_cause_category": "capacity", "root_cause": "Small"}),
    )
    .await;
    transition(&c, &k3, "in_review").await;
    transition(&c, &k3, "published").await;
    c.patch(
        &format!("/api/v1/incidents/{k3}"),
        json!({"status": "closed"}),
    )
    .await;
    assert_eq!(transition(&c, &k3, "draft").await.status, StatusCode::OK);
});

/// Two first saves of one postmortem racing: the other pool's save creates the row while this
/// one is under way. On PostgreSQL this one looked before the row existed and wrote after: the
/// unique index makes it a 409. On SQLite a save takes the write lock when it begins
/// (`BEGIN IMMEDIATE`), so this one waits for the winner's commit, then finds the row although
/// it said `version: 0` (a first save): a 409 too. Either way the winner's text stays and there
/// is one row.
async fn racing_first_saves(pools: tests::TwoPools, serialised: bool) {
    use app::ssr::auth::Actor;
    use app::ssr::entities::postmortem;
    use app::ssr::services::{incident as incidents, postmortem as postmortems};
    use sea_orm::{
        ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
        TransactionTrait,
    };

    let system = Actor::system();
    let now = chrono::Utc::now();
    let inc = tests::seed::declared(
        &pools.a,
        &system,
        serde_json::from_value(json!({"title": "Race", "severity": "sev2"})).unwrap(),
        now,
    )
    .await;
    let row = incidents::find(&pools.a, &inc.key).await.unwrap();
    // The winner: a first save on the other pool, not yet committed.
    let winner = pools.b.begin().await.unwrap();
    postmortem::ActiveModel {
        incident_id: Set(app::domain::IncidentId(row.id)),
        status: Set(app::domain::PostmortemStatus::Draft),
        body: Set("the winner's text".into()),
        root_cause_category: Set(None),
        root_cause: Set(String::new()),
        five_whys: Set("[]".into()),
        contributing_factors: Set("[]".into()),
        due_at: Set(None),
        published_at: Set(None),
        created_at: Set(now.timestamp_millis()),
        updated_at: Set(now.timestamp_millis()),
        version: Set(1),
        ..Default::default()
    }
    .insert(&winner)
    .await
    .unwrap();
    let a = pools.a.clone();
    let key = inc.key.clone();
    let loser = tokio::spawn(async move {
        postmortems::put(
            &a,
            &Actor::system(),
            &key,
            // The editor's first save: version 0, "there was no postmortem when I looked".
            serde_json::from_value(json!({"version": 0, "body": "the loser's text"})).unwrap(),
            chrono::Utc::now(),
        )
        .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    if serialised {
        assert!(
            !loser.is_finished(),
            "the second save waits for the write lock"
        );
    }
    winner.commit().await.unwrap();
    let result = loser.await.unwrap();
    let err = result.expect_err("the second first save loses");
    assert_eq!(err.status(), 409, "{err}");
    assert!(err.to_string().contains(&inc.key), "{err}");
    let pm = postmortems::get(&pools.a, &system, &inc.key).await.unwrap();
    assert_eq!(pm.body, "the winner's text");
    assert_eq!(pm.version, 1);
    let rows = postmortem::Entity::find()
        .filter(postmortem::Column::IncidentId.eq(row.id))
        .count(&pools.a)
        .await
        .unwrap();
    assert_eq!(rows, 1, "one postmortem, never two");
}

#[tokio::test]
async fn racing_first_saves_one_wins_the_other_409_sqlite() {
    racing_first_saves(tests::TwoPools::sqlite("pm-race").await, true).await;
}

#[tokio::test]
async fn racing_first_saves_one_wins_the_other_409_postgres() {
    let Some(pools) = tests::TwoPools::postgres().await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set, so the PostgreSQL half did not run");
        return;
    };
    racing_first_saves(pools, false).await;
}

db_test!(
    a_first_save_after_another_is_a_409_and_changes_nothing,
    |db| {
        let c = responder(&db).await;
        let key = declare_key(&c, json!({"title": "Queue stuck", "severity": "sev3"})).await;
        let path = format!("/api/v1/incidents/{key}/postmortem");
        let r = c.put(&path, json!({"version": 0, "body": "first"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let r = c.put(&path, json!({"version": 0, "body": "second"})).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert!(r.body.to_string().contains(&key), "{}", r.body);
        let r = c.get(&path).await;
        assert_eq!(r.body["body"], "first");
        assert_eq!(r.body["version"], 1);
        // Without a version the last writer wins.
        let r = c.put(&path, json!({"body": "third"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
);

db_test!(a_corrupt_stored_list_is_an_error_not_an_empty_list, |db| {
    use app::ssr::entities::postmortem;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let c = responder(&db).await;
    let key = declare_key(&c, json!({"title": "Search slow", "severity": "sev3"})).await;
    let path = format!("/api/v1/incidents/{key}/postmortem");
    let r = c
        .put(&path, json!({"five_whys": ["why one", "why two"]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    postmortem::Entity::update_many()
        .col_expr(postmortem::Column::FiveWhys, Expr::value("{not json"))
        .filter(postmortem::Column::Status.eq(app::domain::PostmortemStatus::Draft))
        .exec(&db)
        .await
        .unwrap();
    let r = c.get(&path).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
    // An edit of another field does not write an empty list over the stored value.
    let r = c.put(&path, json!({"root_cause": "x"})).await;
    assert_ne!(r.status, StatusCode::OK, "{}", r.body);
    let stored = postmortem::Entity::find().one(&db).await.unwrap().unwrap();
    assert_eq!(stored.five_whys, "{not json");
});
