//! The incident page's edits through the API, on SQLite and PostgreSQL: severity changes with
//! a reason in the timeline, corrections of timeline entries (who may, the version, the
//! history that keeps the earlier text, the mitigation rule), the services and tags offered
//! as suggestions, and a 409 that says who changed the record.

use app::domain::Role;
use axum::http::StatusCode;
use serde_json::{Value, json};
use tests::db_test;
use tests::http::{all_signed_in, assert_refused, declare, declare_key};

fn entries_of_kind<'a>(timeline: &'a Value, kind: &str) -> Vec<&'a str> {
    timeline
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .map(|e| e["body"].as_str().unwrap())
        .collect()
}

db_test!(
    a_severity_change_is_an_escalation_entry_with_its_reason,
    |db| {
        let [ic] = all_signed_in(&db, [("ic@example.org", Role::Responder)]).await;
        let inc = declare(&ic, json!({"title": "Checkout slow", "severity": "sev3"})).await;
        let r = ic
        .patch(
            "/api/v1/incidents/INC-1",
            json!({"severity": "sev1", "reason": "all EU customers affected", "version": inc["version"]}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["severity"], "sev1");
        let r = ic
            .patch("/api/v1/incidents/INC-1", json!({"severity": "sev2"}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        // A change of something else adds no escalation entry.
        ic.patch("/api/v1/incidents/INC-1", json!({"title": "Checkout down"}))
            .await;
        let t = ic.get("/api/v1/incidents/INC-1/timeline").await.body;
        assert_eq!(
            entries_of_kind(&t, "escalation"),
            [
                "Severity escalated: SEV3 → SEV1: all EU customers affected",
                "Severity de-escalated: SEV1 → SEV2"
            ],
            "{t}"
        );
        let long = "x".repeat(2001);
        let body = json!({"severity": "sev4", "reason": long});
        let r = ic.patch("/api/v1/incidents/INC-1", body.clone()).await;
        assert_refused(&r, &body, "reason");
        let after = ic.get("/api/v1/incidents/INC-1").await.body;
        assert_eq!(
            after["severity"], "sev2",
            "a refused change changes nothing"
        );
    }
);

db_test!(a_stale_write_names_who_changed_the_incident, |db| {
    let [ic, other] = all_signed_in(
        &db,
        [
            ("ic@example.org", Role::Responder),
            ("sre@example.org", Role::Responder),
        ],
    )
    .await;
    let inc = declare(&ic, json!({"title": "Queue backlog", "severity": "sev2"})).await;
    let v = inc["version"].clone();
    let r = other
        .patch(
            "/api/v1/incidents/INC-1",
            json!({"summary": "consumers stuck", "version": v}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = ic
        .patch(
            "/api/v1/incidents/INC-1",
            json!({"title": "Queue backlog in eu-1", "version": v}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let msg = r.body["error"]["message"].as_str().unwrap();
    assert!(msg.contains("sre@example.org"), "{msg}");
    let now = ic.get("/api/v1/incidents/INC-1").await.body;
    assert_eq!(now["title"], "Queue backlog");
    assert_eq!(now["summary"], "consumers stuck");
});

db_test!(
    timeline_entries_are_corrected_by_their_author_or_a_responder,
    |db| {
        let [ic, sre, member, viewer] = all_signed_in(
            &db,
            [
                ("ic@example.org", Role::Responder),
                ("sre@example.org", Role::Responder),
                ("dev@example.org", Role::Member),
                ("ro@example.org", Role::Viewer),
            ],
        )
        .await;
        declare_key(&ic, json!({"title": "DNS failures", "severity": "sev2"})).await;
        let e = ic
            .post(
                "/api/v1/incidents/INC-1/timeline",
                json!({"kind": "update", "body": "resolver at 100% CPU"}),
            )
            .await
            .body;
        let id = e["id"].as_i64().unwrap();
        assert_eq!(e["version"], 1);
        assert!(e.get("edited_at").is_none(), "{e}");
        let path = format!("/api/v1/incidents/INC-1/timeline/{id}");

        // The author corrects text and visibility; the entry says it was edited.
        let r = ic
        .patch(
            &path,
            json!({"body": "resolver pods at 100% CPU", "visibility": "customer", "version": 1}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["body"], "resolver pods at 100% CPU");
        assert_eq!(r.body["visibility"], "customer");
        assert_eq!(r.body["version"], 2);
        assert!(r.body["edited_at"].is_string(), "{}", r.body);

        // Another responder may correct it too; a stale version is a 409 naming the last editor.
        let r = sre
            .patch(&path, json!({"kind": "decision", "version": 1}))
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("ic@example.org"),
            "{}",
            r.body
        );
        let r = sre
            .patch(&path, json!({"kind": "decision", "version": 2}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);

        // A member who did not write it and a viewer may not.
        for (who, c) in [("member", &member), ("viewer", &viewer)] {
            let r = c.patch(&path, json!({"body": "mine now"})).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body);
        }

        // Nothing is lost: the history holds every text the entry had, newest first.
        let h = ic.get(&format!("{path}/history")).await;
        assert_eq!(h.status, StatusCode::OK, "{}", h.body);
        let h = h.body.as_array().unwrap().clone();
        assert_eq!(h.len(), 3, "{h:?}");
        assert_eq!(h[0]["action"], "timeline_edit");
        assert_eq!(h[0]["actor"], "sre@example.org");
        assert!(h[0]["new"].as_str().unwrap().contains("decision"));
        assert!(
            h[1]["old"]
                .as_str()
                .unwrap()
                .contains("resolver at 100% CPU")
        );
        assert!(
            h[1]["new"]
                .as_str()
                .unwrap()
                .contains("resolver pods at 100% CPU")
        );
        assert_eq!(h[2]["action"], "timeline_add");
        assert_eq!(
            h[2]["new"], h[1]["old"],
            "the entry as added and as the first correction found it read alike: {h:?}"
        );

        // Bad corrections change nothing.
        let empty = json!({"body": "  "});
        assert_refused(&ic.patch(&path, empty.clone()).await, &empty, "body");
        let auto = json!({"kind": "status_change"});
        assert_refused(&ic.patch(&path, auto.clone()).await, &auto, "kind");
        let t = ic.get("/api/v1/incidents/INC-1/timeline").await.body;
        let status_entry = t
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "status_change")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let r = ic
            .patch(
                &format!("/api/v1/incidents/INC-1/timeline/{status_entry}"),
                json!({"body": "nothing happened"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let forged = json!({"kind": "status_change", "body": "Status: Investigating → Closed"});
        let r = ic
            .post("/api/v1/incidents/INC-1/timeline", forged.clone())
            .await;
        assert_refused(&r, &forged, "kind");
        let e = t
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id)
            .unwrap();
        assert_eq!(e["body"], "resolver pods at 100% CPU");
        assert_eq!(e["kind"], "decision");

        // An entry of another incident, or none, is not found.
        declare_key(&ic, json!({"title": "Other", "severity": "sev4"})).await;
        for p in [
            format!("/api/v1/incidents/INC-2/timeline/{id}"),
            "/api/v1/incidents/INC-1/timeline/999999".to_owned(),
        ] {
            let r = ic.patch(&p, json!({"body": "x"})).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{p}: {}", r.body);
            let r = ic.get(&format!("{p}/history")).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{p}: {}", r.body);
        }
    }
);

db_test!(
    an_author_who_became_a_member_still_corrects_their_entry,
    |db| {
        let [ic, admin] = all_signed_in(
            &db,
            [
                ("ic@example.org", Role::Responder),
                ("admin@example.org", Role::Admin),
            ],
        )
        .await;
        declare_key(&ic, json!({"title": "Disk full", "severity": "sev3"})).await;
        let id = ic
            .post(
                "/api/v1/incidents/INC-1/timeline",
                json!({"kind": "note", "body": "log volume at 99%"}),
            )
            .await
            .body["id"]
            .as_i64()
            .unwrap();
        let r = admin
            .patch("/api/v1/users/ic@example.org", json!({"role": "member"}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = ic
            .patch(
                &format!("/api/v1/incidents/INC-1/timeline/{id}"),
                json!({"body": "log volume at 98%"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
);

db_test!(
    a_correction_to_an_earlier_mitigation_moves_mitigated_at,
    |db| {
        let [ic] = all_signed_in(&db, [("ic@example.org", Role::Responder)]).await;
        declare_key(
        &ic,
        json!({"title": "API errors", "severity": "sev2", "detected_at": "2026-11-30T10:00:00Z"}),
    )
    .await;
        let e = ic
        .post(
            "/api/v1/incidents/INC-1/timeline",
            json!({"kind": "note", "body": "rolled back the deploy", "occurred_at": "2026-11-30T10:20:00Z"}),
        )
        .await
        .body;
        let inc = ic.get("/api/v1/incidents/INC-1").await.body;
        assert!(inc["mitigated_at"].is_null());
        let r = ic
            .patch(
                &format!("/api/v1/incidents/INC-1/timeline/{}", e["id"]),
                json!({"kind": "mitigation"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let inc = ic.get("/api/v1/incidents/INC-1").await.body;
        assert_eq!(inc["mitigated_at"], "2026-11-30T10:20:00Z", "{inc}");
        // Before detection is refused and changes nothing.
        let early = json!({"occurred_at": "2026-11-30T09:00:00Z"});
        let r = ic
            .patch(
                &format!("/api/v1/incidents/INC-1/timeline/{}", e["id"]),
                early.clone(),
            )
            .await;
        assert_refused(&r, &early, "occurred_at");
        let t = ic.get("/api/v1/incidents/INC-1/timeline").await.body;
        let same = t
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == e["id"])
            .unwrap();
        assert_eq!(same["occurred_at"], "2026-11-30T10:20:00Z");
    }
);

db_test!(
    services_and_tags_in_use_are_suggested_most_used_first,
    |db| {
        let [ic, viewer] = all_signed_in(
            &db,
            [
                ("ic@example.org", Role::Responder),
                ("ro@example.org", Role::Viewer),
            ],
        )
        .await;
        for (svc, tags) in [
            (json!(["checkout", "payments"]), json!(["db"])),
            (json!(["payments"]), json!(["db", "network"])),
            (json!(["payments", "search"]), json!([])),
        ] {
            declare(
                &ic,
                json!({"title": "x", "severity": "sev4", "services": svc, "tags": tags}),
            )
            .await;
        }
        let r = viewer.get("/api/v1/labels").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            r.body["services"],
            json!(["payments", "checkout", "search"])
        );
        assert_eq!(r.body["tags"], json!(["db", "network"]));
        assert_eq!(
            ic.anonymous().get("/api/v1/labels").await.status,
            StatusCode::UNAUTHORIZED
        );
        // The counts are kept between requests, but a change of an incident's services or
        // tags is suggested at once.
        let r = ic
            .patch(
                "/api/v1/incidents/INC-3",
                json!({"services": ["search", "zeta"], "tags": ["zz"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = viewer.get("/api/v1/labels").await;
        assert_eq!(
            r.body["services"],
            json!(["payments", "checkout", "search", "zeta"])
        );
        assert_eq!(r.body["tags"], json!(["db", "network", "zz"]));
    }
);

db_test!(
    the_page_shows_the_whole_incident_and_edit_controls_only_to_writers,
    |db| {
        let [ic, viewer] = all_signed_in(
            &db,
            [
                ("ic@example.org", Role::Responder),
                ("vi@example.org", Role::Viewer),
            ],
        )
        .await;
        declare(
            &ic,
            json!({"title": "Checkout slow", "severity": "sev2", "services": ["checkout"],
               "tags": ["eu-west"], "summary": "Latency **doubled**",
               "customer_impact": "Some _payments_ timed out",
               "roles": {"scribe": "vi@example.org"}}),
        )
        .await;
        let r = ic
        .post(
            "/api/v1/incidents/INC-1/timeline",
            json!({"kind": "update", "body": "We are investigating slow checkouts.", "visibility": "customer"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let page = |html: &str, what: &str| html.contains(what);
        let writer = ic.get("/incidents/INC-1").await.text;
        let reader = viewer.get("/incidents/INC-1").await.text;
        for html in [&writer, &reader] {
            // Everything the incident is, rendered (markdown as markup).
            assert!(
                page(html, "<strong>doubled</strong>"),
                "the summary renders"
            );
            assert!(
                page(html, "<em>payments</em>"),
                "the customer impact renders"
            );
            assert!(page(html, "eu-west"), "tags");
            assert!(page(html, "checkout"), "services");
            assert!(
                page(html, "scribe") && page(html, "vi@example.org"),
                "roles"
            );
            assert!(page(html, "Told customers"), "a customer update says so");
            assert!(
                page(html, "id=\"status-bar\""),
                "the status bar of an open incident"
            );
        }
        for id in [
            "id=\"edit-title\"",
            "id=\"edit-severity\"",
            "id=\"edit-services\"",
            "id=\"edit-tags\"",
            "id=\"edit-summary\"",
            "id=\"edit-impact\"",
            "id=\"people-form\"",
        ] {
            assert!(page(&writer, id), "a responder gets {id}");
            assert!(!page(&reader, id), "a viewer gets no {id}");
        }
    }
);

db_test!(
    the_incident_page_shows_the_latest_entries_of_a_long_timeline,
    |db| {
        use app::model::TIMELINE_SHOWN;
        use app::ssr::auth::Actor;
        use app::ssr::services::incident::recent_timeline;
        let [ic] = all_signed_in(&db, [("ic@example.org", Role::Responder)]).await;
        declare(&ic, json!({"title": "Checkout slow", "severity": "sev3"})).await;
        // Declaring wrote the first entry; the others are an hour apart, the last the newest.
        let start = chrono::Utc::now() - chrono::Duration::days(30);
        let more = TIMELINE_SHOWN as usize + 4;
        for i in 0..more {
            let at = start + chrono::Duration::hours(i as i64);
            let r = ic
                .post(
                    "/api/v1/incidents/INC-1/timeline",
                    json!({"kind": "note", "body": format!("Step {i}"), "occurred_at": at}),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        }
        let all = ic.get("/api/v1/incidents/INC-1/timeline").await;
        let all = all.body.as_array().unwrap().clone();
        assert_eq!(all.len(), more + 1, "the API answers the whole timeline");
        let actor = Actor::system();
        let latest = recent_timeline(&db, &actor, "INC-1", Some(TIMELINE_SHOWN))
            .await
            .unwrap();
        assert!(latest.earlier);
        let bodies = |events: &[app::model::TimelineEvent]| {
            events.iter().map(|e| e.body.clone()).collect::<Vec<_>>()
        };
        let expected: Vec<String> = all[all.len() - TIMELINE_SHOWN as usize..]
            .iter()
            .map(|e| e["body"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(bodies(&latest.events), expected, "the latest, oldest first");
        let whole = recent_timeline(&db, &actor, "INC-1", None).await.unwrap();
        assert!(!whole.earlier);
        assert_eq!(whole.events.len(), more + 1);
        // Exactly as many as are shown: nothing earlier.
        let exact = recent_timeline(&db, &actor, "INC-1", Some(more as u64 + 1))
            .await
            .unwrap();
        assert!(!exact.earlier);
        assert_eq!(exact.events.len(), more + 1);
        // The page: the latest entries and the button for the earlier ones.
        let page = ic.get("/incidents/INC-1").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains(r#"id="timeline-earlier""#), "no button");
        let first_shown = &expected[0];
        let before_it = all[all.len() - TIMELINE_SHOWN as usize - 1]["body"]
            .as_str()
            .unwrap();
        assert!(first_shown.starts_with("Step ") && before_it.starts_with("Step "));
        assert!(
            page.text.contains(&format!("Step {}<", more - 1)),
            "the newest is shown"
        );
        assert!(
            page.text.contains(&format!("{first_shown}<")),
            "the oldest of the latest is"
        );
        assert!(
            !page.text.contains(&format!("{before_it}<")),
            "the one before it is not"
        );
        assert!(!page.text.contains("Step 0<"), "the oldest is not");
    }
);
