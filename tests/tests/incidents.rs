//! The SPEC's incident and timeline rules through the REST API, on SQLite and PostgreSQL.

use app::domain::Role;
use axum::http::StatusCode;
use serde_json::{Value, json};
use tests::db_test;
use tests::http::{column, declare, field, item_keys, responder, signed_in};

db_test!(
    declaring_needs_only_title_and_severity_and_keys_are_sequential,
    |db| {
        let c = responder(&db).await;
        let a = declare(
            &c,
            json!({"title": "Checkout returns 502", "severity": "sev2"}),
        )
        .await;
        assert_eq!(a["key"], "INC-1");
        assert_eq!(a["status"], "investigating");
        assert!(
            a["detected_at"].as_str().is_some(),
            "detected_at defaults to now"
        );
        assert_eq!(a["version"], 1);
        let b = declare(&c, json!({"title": "Search slow", "severity": "sev4", "services": [" search ", "api", "search"], "commander": "IC@example.org", "roles": {"scribe": "ic@example.org"}, "tags": ["eu"]})).await;
        assert_eq!(b["key"], "INC-2");
        assert_eq!(b["services"], json!(["api", "search"]));
        assert_eq!(b["commander"], "ic@example.org");
        assert_eq!(b["roles"]["scribe"], "ic@example.org");
        // Lower-case keys are accepted wherever a key is taken.
        assert_eq!(
            c.get("/api/v1/incidents/inc-2").await.body["title"],
            "Search slow"
        );
        assert_eq!(
            c.get("/api/v1/incidents/INC-99").await.status,
            StatusCode::NOT_FOUND
        );
    }
);

db_test!(
    bad_declarations_are_422_naming_the_field_and_write_nothing,
    |db| {
        let c = responder(&db).await;
        let cases = [
            (json!({"severity": "sev2"}), "title"),
            (json!({"title": "", "severity": "sev2"}), "title"),
            (
                json!({"title": "x".repeat(201), "severity": "sev2"}),
                "title",
            ),
            (json!({"title": "ok"}), "severity"),
            (json!({"title": "ok", "severity": "sev0"}), "severity"),
            (
                json!({"title": "ok", "severity": "sev1", "commander": "nobody@example.org"}),
                "commander",
            ),
            (
                json!({"title": "ok", "severity": "sev1", "started_at": "2026-01-01T10:00:00Z", "detected_at": "2026-01-01T09:00:00Z"}),
                "started_at",
            ),
            (
                json!({"title": "ok", "severity": "sev1", "detected_at": "2026-01-01T09:00:00Z", "acknowledged_at": "2026-01-01T08:00:00Z"}),
                "acknowledged_at",
            ),
            (
                json!({"title": "ok", "severity": "sev1", "status": "closed"}),
                "status",
            ),
        ];
        for (body, name) in cases {
            let r = c.post("/api/v1/incidents", body.clone()).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{body}: {}",
                r.body
            );
            assert!(
                field(&r).contains(name)
                    || r.body["error"]["message"].as_str().unwrap().contains(name),
                "{body} names {name}: {}",
                r.body
            );
        }
        let list = c.get("/api/v1/incidents").await.body;
        assert!(list["items"].as_array().unwrap().is_empty());
        // The failed attempts used no key: the next incident is INC-1.
        assert_eq!(
            declare(&c, json!({"title": "first", "severity": "sev3"})).await["key"],
            "INC-1"
        );
    }
);

db_test!(
    status_moves_forward_skipping_steps_and_resolved_reopens,
    |db| {
        let c = responder(&db).await;
        declare(
            &c,
            json!({"title": "t", "severity": "sev3", "detected_at": "2026-10-01T00:00:00Z"}),
        )
        .await;
        let r = c
            .patch("/api/v1/incidents/INC-1", json!({"status": "monitoring"}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "skip identified: {}", r.body);
        let r = c
            .patch("/api/v1/incidents/INC-1", json!({"status": "identified"}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "no moving back");
        assert_eq!(field(&r), "status");
        let r = c
            .patch("/api/v1/incidents/INC-1", json!({"status": "resolved"}))
            .await;
        assert!(
            r.body["resolved_at"].as_str().is_some(),
            "entering resolved sets resolved_at"
        );
        assert!(r.body["time_to_resolve"].as_f64().is_some());
        let r = c
            .patch(
                "/api/v1/incidents/INC-1",
                json!({"status": "investigating"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            r.body["resolved_at"],
            Value::Null,
            "reopening clears resolved_at"
        );
        assert_eq!(r.body["reopen_count"], 1);
        let given = "2026-11-01T12:00:00Z";
        let r = c
            .patch(
                "/api/v1/incidents/INC-1",
                json!({"status": "resolved", "resolved_at": given}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            r.body["resolved_at"], "2026-11-01T12:00:00Z",
            "resolved_at as given"
        );
        let r = c
            .patch("/api/v1/incidents/INC-1", json!({"status": "closed"}))
            .await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "a sev3 closes without a postmortem"
        );
        assert!(r.body["closed_at"].as_str().is_some());
        let r = c
            .patch(
                "/api/v1/incidents/INC-1",
                json!({"status": "investigating"}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "closed is final"
        );
    }
);

db_test!(sev1_and_sev2_close_only_with_a_published_postmortem, |db| {
    let c = responder(&db).await;
    declare(
        &c,
        json!({"title": "big", "severity": "sev1", "status": "resolved"}),
    )
    .await;
    let r = c
        .patch("/api/v1/incidents/INC-1", json!({"status": "closed"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("postmortem"),
        "{}",
        r.body
    );
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let inc = app::ssr::services::incident::find(&db, "INC-1")
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    let mut pm = app::ssr::entities::postmortem::ActiveModel {
        incident_id: Set(app::domain::IncidentId(inc.id)),
        status: Set(app::domain::PostmortemStatus::InReview),
        body: Set(String::new()),
        root_cause: Set("x".into()),
        five_whys: Set("[]".into()),
        contributing_factors: Set("[]".into()),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap()
    .into_active_model();
    assert_eq!(
        c.patch("/api/v1/incidents/INC-1", json!({"status": "closed"}))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "in review is not enough"
    );
    pm.status = Set(app::domain::PostmortemStatus::Published);
    pm.update(&db).await.unwrap();
    assert_eq!(
        c.patch("/api/v1/incidents/INC-1", json!({"status": "closed"}))
            .await
            .status,
        StatusCode::OK
    );
});

db_test!(
    key_time_order_violations_name_the_field_and_change_nothing,
    |db| {
        let c = responder(&db).await;
        declare(
            &c,
            json!({"title": "t", "severity": "sev2", "detected_at": "2026-03-01T10:00:00Z"}),
        )
        .await;
        let cases = [
            (json!({"started_at": "2026-03-01T10:30:00Z"}), "started_at"),
            (
                json!({"acknowledged_at": "2026-03-01T09:59:00Z"}),
                "acknowledged_at",
            ),
            (
                json!({"mitigated_at": "2026-03-01T09:00:00Z"}),
                "mitigated_at",
            ),
            (
                json!({"detected_at": "2026-03-01T10:00:00Z", "mitigated_at": "2026-03-01T09:00:00Z"}),
                "mitigated_at",
            ),
            (
                json!({"resolved_at": "2026-03-01T11:00:00Z"}),
                "resolved_at",
            ),
        ];
        for (body, name) in cases {
            let r = c.patch("/api/v1/incidents/INC-1", body.clone()).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{body}: {}",
                r.body
            );
            assert_eq!(field(&r), name, "{body}");
        }
        let r = c
            .patch(
                "/api/v1/incidents/INC-1",
                json!({"mitigated_at": "2026-03-01T10:20:00Z"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let r = c
            .patch(
                "/api/v1/incidents/INC-1",
                json!({"status": "resolved", "resolved_at": "2026-03-01T10:10:00Z"}),
            )
            .await;
        assert_eq!(
            field(&r),
            "resolved_at",
            "resolved before mitigated: {}",
            r.body
        );
        let r = c
            .patch(
                "/api/v1/incidents/INC-1",
                json!({"detected_at": "2026-03-01T10:30:00Z"}),
            )
            .await;
        assert_eq!(
            field(&r),
            "detected_at",
            "detected after mitigated names the changed field: {}",
            r.body
        );
        let now = c.get("/api/v1/incidents/INC-1").await.body;
        assert_eq!(now["version"], 2, "only the one good write counted");
        assert_eq!(now["time_to_mitigate"], 20.0);
    }
);

db_test!(a_stale_version_is_a_409_and_changes_nothing, |db| {
    let c = responder(&db).await;
    declare(&c, json!({"title": "t", "severity": "sev2"})).await;
    let r = c
        .patch(
            "/api/v1/incidents/INC-1",
            json!({"version": 1, "title": "first edit"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["version"], 2);
    let r = c
        .patch(
            "/api/v1/incidents/INC-1",
            json!({"version": 1, "title": "second edit from an old copy"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.body["error"]["code"], "conflict");
    assert_eq!(
        c.get("/api/v1/incidents/INC-1").await.body["title"],
        "first edit"
    );
});

db_test!(status_and_key_time_changes_add_status_change_events, |db| {
    let c = responder(&db).await;
    declare(&c, json!({"title": "t", "severity": "sev2"})).await;
    c.patch("/api/v1/incidents/INC-1", json!({"status": "identified"}))
        .await;
    c.patch(
        "/api/v1/incidents/INC-1",
        json!({"acknowledged_at": chrono::Utc::now().to_rfc3339()}),
    )
    .await;
    c.patch(
        "/api/v1/incidents/INC-1",
        json!({"summary": "no event for this"}),
    )
    .await;
    let tl = c.get("/api/v1/incidents/INC-1/timeline").await.body;
    let changes: Vec<&str> = tl
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "status_change")
        .map(|e| e["body"].as_str().unwrap())
        .collect();
    assert_eq!(changes.len(), 3, "{changes:?}");
    assert!(
        changes[1].contains("Investigating → Identified"),
        "{changes:?}"
    );
    assert!(changes[2].starts_with("acknowledged_at"), "{changes:?}");
});

db_test!(mitigation_events_set_mitigated_at_only_when_earlier, |db| {
    let c = responder(&db).await;
    declare(
        &c,
        json!({"title": "t", "severity": "sev1", "detected_at": "2026-03-01T10:00:00Z"}),
    )
    .await;
    let add = |at: &str| json!({"kind": "mitigation", "occurred_at": at, "body": "rolled back"});
    assert_eq!(
        c.post(
            "/api/v1/incidents/INC-1/timeline",
            add("2026-03-01T10:40:00Z")
        )
        .await
        .status,
        StatusCode::CREATED
    );
    assert_eq!(
        c.get("/api/v1/incidents/INC-1").await.body["mitigated_at"],
        "2026-03-01T10:40:00Z",
        "first mitigation sets it"
    );
    c.post(
        "/api/v1/incidents/INC-1/timeline",
        add("2026-03-01T10:50:00Z"),
    )
    .await;
    assert_eq!(
        c.get("/api/v1/incidents/INC-1").await.body["mitigated_at"],
        "2026-03-01T10:40:00Z",
        "a later one does not"
    );
    c.post(
        "/api/v1/incidents/INC-1/timeline",
        add("2026-03-01T10:15:00Z"),
    )
    .await;
    let inc = c.get("/api/v1/incidents/INC-1").await.body;
    assert_eq!(
        inc["mitigated_at"], "2026-03-01T10:15:00Z",
        "an earlier one moves it back"
    );
    assert_eq!(inc["time_to_mitigate"], 15.0);
    let r = c
        .post(
            "/api/v1/incidents/INC-1/timeline",
            add("2026-03-01T09:00:00Z"),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "before detection: {}",
        r.body
    );
    assert_eq!(field(&r), "occurred_at");
    // Other kinds never touch it.
    c.post("/api/v1/incidents/INC-1/timeline", json!({"kind": "update", "occurred_at": "2026-03-01T10:05:00Z", "body": "customers informed", "visibility": "customer"})).await;
    assert_eq!(
        c.get("/api/v1/incidents/INC-1").await.body["mitigated_at"],
        "2026-03-01T10:15:00Z"
    );
    let tl = c.get("/api/v1/incidents/INC-1/timeline").await.body;
    let kinds: Vec<(&str, &str)> = tl
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["occurred_at"].as_str().unwrap(),
                e["kind"].as_str().unwrap(),
            )
        })
        .collect();
    let mut sorted = kinds.clone();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    assert_eq!(kinds, sorted, "ordered by occurred_at");
    let moves = tl
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["kind"] == "status_change" && e["body"].as_str().unwrap().starts_with("mitigated_at")
        })
        .count();
    assert_eq!(
        moves, 2,
        "each change of mitigated_at is a status_change event"
    );
    let update = tl
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "update")
        .unwrap();
    assert_eq!(update["visibility"], "customer");
    assert_eq!(update["author"], "ic@example.org");
});

db_test!(
    timeline_events_keep_time_then_id_order_and_default_to_internal,
    |db| {
        let c = responder(&db).await;
        declare(
            &c,
            json!({"title": "t", "severity": "sev3", "detected_at": "2026-03-01T10:00:00Z"}),
        )
        .await;
        for body in ["b", "a"] {
            c.post(
                "/api/v1/incidents/INC-1/timeline",
                json!({"kind": "note", "occurred_at": "2026-03-01T11:00:00Z", "body": body}),
            )
            .await;
        }
        c.post(
            "/api/v1/incidents/INC-1/timeline",
            json!({"kind": "deploy", "occurred_at": "2026-03-01T10:30:00Z", "body": "v2"}),
        )
        .await;
        let tl = c.get("/api/v1/incidents/INC-1/timeline").await.body;
        let bodies: Vec<&str> = tl
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] != "status_change")
            .map(|e| e["body"].as_str().unwrap())
            .collect();
        assert_eq!(bodies, ["v2", "b", "a"]);
        assert!(
            tl.as_array()
                .unwrap()
                .iter()
                .all(|e| e["kind"] == "status_change" || e["visibility"] == "internal")
        );
        let r = c
            .post(
                "/api/v1/incidents/INC-1/timeline",
                json!({"kind": "gossip", "body": "x"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = c
            .post(
                "/api/v1/incidents/INC-1/timeline",
                json!({"kind": "note", "body": "  "}),
            )
            .await;
        assert_eq!(field(&r), "body");
    }
);

db_test!(only_responders_and_admins_write_incidents, |db| {
    let c = responder(&db).await;
    declare(&c, json!({"title": "t", "severity": "sev3"})).await;
    for (email, role) in [
        ("mem@example.org", Role::Member),
        ("view@example.org", Role::Viewer),
    ] {
        let other = signed_in(&db, email, role).await;
        assert_eq!(
            other
                .post(
                    "/api/v1/incidents",
                    json!({"title": "x", "severity": "sev3"})
                )
                .await
                .status,
            StatusCode::FORBIDDEN,
            "{email}"
        );
        assert_eq!(
            other
                .patch("/api/v1/incidents/INC-1", json!({"title": "x"}))
                .await
                .status,
            StatusCode::FORBIDDEN,
            "{email}"
        );
        assert_eq!(
            other
                .post(
                    "/api/v1/incidents/INC-1/timeline",
                    json!({"kind": "note", "body": "x"})
                )
                .await
                .status,
            StatusCode::FORBIDDEN,
            "{email}"
        );
        assert_eq!(
            other.get("/api/v1/incidents/INC-1").await.status,
            StatusCode::OK,
            "{email} reads"
        );
    }
    let admin = signed_in(&db, "boss@example.org", Role::Admin).await;
    assert_eq!(
        admin
            .patch("/api/v1/incidents/INC-1", json!({"title": "by admin"}))
            .await
            .status,
        StatusCode::OK
    );
    // Every write is in the incident's history.
    let h = c.get("/api/v1/history/incident/INC-1").await.body;
    let actions = column(&h, "action");
    assert!(
        actions.contains(&"create") && actions.contains(&"update"),
        "{actions:?}"
    );
    let title = h
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["field"] == "title" && r["action"] == "update")
        .unwrap();
    assert_eq!(
        (
            title["old"].as_str(),
            title["new"].as_str(),
            title["actor"].as_str()
        ),
        (Some("t"), Some("by admin"), Some("boss@example.org"))
    );
});

db_test!(list_filters_work_through_the_api, |db| {
    let c = responder(&db).await;
    declare(
        &c,
        json!({"title": "Checkout 502", "severity": "sev1", "services": ["checkout"]}),
    )
    .await;
    declare(
        &c,
        json!({"title": "Search slow", "severity": "sev3", "services": ["search"]}),
    )
    .await;
    assert_eq!(
        item_keys(&c.get("/api/v1/incidents?severity=sev1").await.body),
        ["INC-1"]
    );
    assert_eq!(
        item_keys(&c.get("/api/v1/incidents?service=search").await.body),
        ["INC-2"]
    );
    assert_eq!(
        item_keys(&c.get("/api/v1/incidents?q=checkout").await.body),
        ["INC-1"]
    );
    let r = c.get("/api/v1/incidents?severity=urgent").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
});

db_test!(
    full_text_search_covers_title_summary_impact_and_timeline,
    |db| {
        let c = responder(&db).await;
        declare(&c, json!({"title": "Checkout returns 502", "severity": "sev2", "summary": "Connection pool exhaustion in payments-db"})).await;
        declare(&c, json!({"title": "Search is slow", "severity": "sev3", "customer_impact": "Login failures for SSO customers"})).await;
        declare(&c, json!({"title": "Unrelated", "severity": "sev4"})).await;
        c.post(
            "/api/v1/incidents/INC-3/timeline",
            json!({"kind": "deploy", "body": "Deployed hotfix for the flaky cronjob"}),
        )
        .await;
        let search = |q: &str| {
            let c = c.clone();
            let q = q.to_owned();
            async move {
                item_keys(
                    &c.get(&format!("/api/v1/incidents?q={}", q.replace(' ', "+")))
                        .await
                        .body,
                )
            }
        };
        assert_eq!(search("exhaustion").await, ["INC-1"], "summary");
        assert_eq!(search("sso").await, ["INC-2"], "customer impact");
        assert_eq!(search("cronjob").await, ["INC-3"], "timeline");
        assert_eq!(search("check").await, ["INC-1"], "prefix");
        assert_eq!(
            search("failure").await,
            ["INC-2"],
            "stemmed: failure finds failures"
        );
        assert_eq!(search("pool payments").await, ["INC-1"], "all words");
        assert!(
            search("pool unrelated").await.is_empty(),
            "every word must match"
        );
        let hostile = c
            .get("/api/v1/incidents?q=%22%2A%22+OR+NEAR%28x%29+1%3D1")
            .await;
        assert_eq!(
            hostile.status,
            StatusCode::OK,
            "query syntax is plain words, never an error: {}",
            hostile.body
        );
        assert!(item_keys(&hostile.body).is_empty());
        // Edits are found at once.
        c.patch(
            "/api/v1/incidents/INC-3",
            json!({"title": "Kafka consumer lag"}),
        )
        .await;
        assert_eq!(search("kafka").await, ["INC-3"]);
        assert!(search("unrelated").await.is_empty());
    }
);
