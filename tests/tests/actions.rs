//! The SPEC's action (CAPA) rules through the REST API, on SQLite and PostgreSQL: defaults,
//! the transition machine, four-eyes verification, reopening on a failed verification,
//! cancellation, backdating by admins only, ownership and the list's filters.

use app::domain::Role;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use tests::db_test;
use tests::http::{Client, Reply, all_signed_in, assert_refused, created, field, item_keys};

struct People {
    ic: Client,
    owner: Client,
    other: Client,
    admin: Client,
}

async fn people(db: &sea_orm::DatabaseConnection) -> People {
    let [ic, owner, other, admin] = all_signed_in(
        db,
        [
            ("ic@example.org", Role::Responder),
            ("owner@example.org", Role::Member),
            ("other@example.org", Role::Member),
            ("admin@example.org", Role::Admin),
        ],
    )
    .await;
    People {
        ic,
        owner,
        other,
        admin,
    }
}

async fn create(c: &Client, body: Value) -> Value {
    created(c, "/api/v1/actions", body).await
}

async fn go(c: &Client, key: &str, body: Value) -> Reply {
    c.post(&format!("/api/v1/actions/{key}/transition"), body)
        .await
}

db_test!(created_with_the_spec_defaults_and_checked, |db| {
    let p = people(&db).await;
    p.ic.post(
        "/api/v1/incidents",
        json!({"title": "Outage", "severity": "sev2"}),
    )
    .await;
    let a = create(&p.ic, json!({"title": "Add a canary stage", "incident": "inc-1", "owner": "Owner@example.org", "team": " payments ", "due_date": "2026-12-01"})).await;
    assert_eq!(a["key"], "ACT-1");
    assert_eq!(a["kind"], "corrective");
    assert_eq!(a["priority"], "medium");
    assert_eq!(a["status"], "open");
    assert_eq!(a["verification_required"], true);
    assert_eq!(a["incident"], "INC-1");
    assert_eq!(a["owner"], "owner@example.org");
    assert_eq!(a["team"], "payments");
    let d = create(
        &p.ic,
        json!({"title": "Update the runbook", "kind": "documentation"}),
    )
    .await;
    assert_eq!(
        d["verification_required"], false,
        "only corrective and preventive by default"
    );
    let pv = create(
        &p.ic,
        json!({"title": "Alert on saturation", "kind": "preventive"}),
    )
    .await;
    assert_eq!(pv["verification_required"], true);
    for (body, f) in [
        (json!({"title": ""}), "title"),
        (
            json!({"title": "x", "owner": "nobody@example.org"}),
            "owner",
        ),
        (json!({"title": "x", "incident": "INC-9"}), "incident"),
        (json!({"title": "x", "known_error": "KE-9"}), "known_error"),
        (
            json!({"title": "x", "external_url": "javascript:alert(1)"}),
            "external_url",
        ),
        (json!({"title": "x", "kind": "wish"}), "kind"),
        (json!({"title": "x", "due_date": "2026-02-30"}), "due_date"),
    ] {
        let r = p.ic.post("/api/v1/actions", body.clone()).await;
        assert_refused(&r, &body, f);
    }
    assert_eq!(
        create(&p.ic, json!({"title": "next"})).await["key"],
        "ACT-4",
        "refusals used no key"
    );
    // Members may not create; the incident's postmortem lists the action live.
    assert_eq!(
        p.owner
            .post("/api/v1/actions", json!({"title": "x"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    p.ic.put("/api/v1/incidents/INC-1/postmortem", json!({}))
        .await;
    let md = p.ic.get("/api/v1/incidents/INC-1/postmortem.md").await.text;
    assert!(
        md.contains("Add a canary stage") && md.contains("| Open |"),
        "{md}"
    );
});

db_test!(done_sets_completion_and_the_verification_deadline, |db| {
    let p = people(&db).await;
    create(
        &p.ic,
        json!({"title": "Fix the pool", "owner": "owner@example.org"}),
    )
    .await;
    let r = go(&p.owner, "ACT-1", json!({"to": "in_progress"})).await;
    assert_eq!(r.body["status"], "in_progress", "{}", r.body);
    let r = go(&p.owner, "ACT-1", json!({"to": "done"})).await;
    assert_eq!(r.body["status"], "done");
    let completed =
        chrono::DateTime::parse_from_rfc3339(r.body["completed_at"].as_str().unwrap()).unwrap();
    assert!((Utc::now() - completed.with_timezone(&Utc)).num_seconds() < 60);
    let due = (completed.date_naive() + Duration::days(30)).to_string();
    assert_eq!(r.body["verification_due"], due.as_str());
    // A given verification_due is kept; the setting changes the default.
    p.admin
        .patch("/api/v1/settings", json!({"verification_days": 10}))
        .await;
    create(
        &p.ic,
        json!({"title": "b", "owner": "owner@example.org", "verification_due": "2027-01-15"}),
    )
    .await;
    assert_eq!(
        go(&p.owner, "ACT-2", json!({"to": "done"})).await.body["verification_due"],
        "2027-01-15"
    );
    create(&p.ic, json!({"title": "c", "owner": "owner@example.org"})).await;
    let r = go(&p.owner, "ACT-3", json!({"to": "done"})).await;
    let completed =
        chrono::DateTime::parse_from_rfc3339(r.body["completed_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        r.body["verification_due"],
        (completed.date_naive() + Duration::days(10))
            .to_string()
            .as_str()
    );
    // No verification needed: no deadline, and done is the end.
    create(
        &p.ic,
        json!({"title": "d", "kind": "process", "owner": "owner@example.org"}),
    )
    .await;
    let r = go(&p.owner, "ACT-4", json!({"to": "done"})).await;
    assert_eq!(r.body["verification_due"], Value::Null);
    let r = go(
        &p.ic,
        "ACT-4",
        json!({"to": "verified", "result": "effective", "evidence": "x"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&r), "to");
});

db_test!(verification_is_four_eyes_and_a_failure_reopens, |db| {
    let p = people(&db).await;
    create(
        &p.ic,
        json!({"title": "Raise the pool size", "owner": "ic@example.org"}),
    )
    .await;
    go(&p.ic, "ACT-1", json!({"to": "done"})).await;
    // The owner may not verify their own action.
    let r = go(
        &p.ic,
        "ACT-1",
        json!({"to": "verified", "result": "effective", "evidence": "graphs"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("four-eyes")
    );
    // Someone else: result and evidence are required.
    let r = go(
        &p.admin,
        "ACT-1",
        json!({"to": "verified", "evidence": "graphs"}),
    )
    .await;
    assert_eq!(field(&r), "result");
    let r = go(
        &p.admin,
        "ACT-1",
        json!({"to": "verified", "result": "effective", "evidence": "  "}),
    )
    .await;
    assert_eq!(field(&r), "evidence");
    assert_eq!(
        p.ic.get("/api/v1/actions/ACT-1").await.body["status"],
        "done",
        "refusals change nothing"
    );
    // A failed verification reopens it and stays in the history.
    let r = go(&p.admin, "ACT-1", json!({"to": "verified", "result": "not_effective", "evidence": "errors came back on Monday"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "open");
    assert_eq!(r.body["completed_at"], Value::Null);
    assert_eq!(r.body["verification_due"], Value::Null);
    assert_eq!(r.body["reopen_count"], 1);
    assert_eq!(r.body["verifications"][0]["result"], "not_effective");
    assert_eq!(
        r.body["verifications"][0]["verified_by"],
        "admin@example.org"
    );
    // Done again, then verified effective by someone else.
    go(&p.ic, "ACT-1", json!({"to": "done"})).await;
    let r = go(&p.admin, "ACT-1", json!({"to": "verified", "result": "effective", "evidence": "**no** recurrence in 30 days"})).await;
    assert_eq!(r.body["status"], "verified");
    assert_eq!(r.body["verified_by"], "admin@example.org");
    assert_eq!(r.body["verification_result"], "effective");
    assert_eq!(r.body["verifications"].as_array().unwrap().len(), 2);
    // Verified is final: no cancel, no reopen.
    assert_eq!(
        field(&go(&p.admin, "ACT-1", json!({"to": "cancelled", "reason": "x"})).await),
        "to"
    );
    assert_eq!(
        field(&go(&p.admin, "ACT-1", json!({"to": "open"})).await),
        "to"
    );
    let h =
        p.ic.get("/api/v1/history/action/ACT-1")
            .await
            .body
            .to_string();
    assert!(
        h.contains("not_effective") && h.contains("errors came back"),
        "{h}"
    );
});

db_test!(
    every_other_step_is_refused_and_cancelling_needs_a_reason,
    |db| {
        let p = people(&db).await;
        create(&p.ic, json!({"title": "a"})).await;
        for to in ["open", "verified"] {
            assert_eq!(
                field(&go(&p.ic, "ACT-1", json!({"to": to})).await),
                "to",
                "open → {to}"
            );
        }
        go(&p.ic, "ACT-1", json!({"to": "in_progress"})).await;
        for to in ["open", "in_progress", "verified"] {
            assert_eq!(
                field(&go(&p.ic, "ACT-1", json!({"to": to})).await),
                "to",
                "in_progress → {to}"
            );
        }
        let r = go(&p.ic, "ACT-1", json!({"to": "cancelled"})).await;
        assert_eq!(field(&r), "reason");
        let r = go(
            &p.ic,
            "ACT-1",
            json!({"to": "cancelled", "reason": "Superseded by ACT-9"}),
        )
        .await;
        assert_eq!(r.body["status"], "cancelled");
        assert_eq!(r.body["cancelled_reason"], "Superseded by ACT-9");
        for to in ["open", "in_progress", "done", "verified", "cancelled"] {
            assert_eq!(
                field(&go(&p.ic, "ACT-1", json!({"to": to, "reason": "r"})).await),
                "to",
                "cancelled → {to}"
            );
        }
        // done → open reopens.
        create(&p.ic, json!({"title": "b"})).await;
        go(&p.ic, "ACT-2", json!({"to": "done"})).await;
        let r = go(&p.ic, "ACT-2", json!({"to": "open"})).await;
        assert_eq!(r.body["status"], "open");
        assert_eq!(r.body["reopen_count"], 1);
        assert_eq!(r.body["completed_at"], Value::Null);
        // Stale versions are refused.
        let v = r.body["version"].as_i64().unwrap();
        assert_eq!(
            go(&p.ic, "ACT-2", json!({"to": "done", "version": v - 1}))
                .await
                .status,
            StatusCode::CONFLICT
        );
        assert_eq!(
            p.ic.patch(
                "/api/v1/actions/ACT-2",
                json!({"title": "x", "version": v - 1})
            )
            .await
            .status,
            StatusCode::CONFLICT
        );
    }
);

db_test!(
    backdating_is_for_admins_and_owners_change_only_their_own,
    |db| {
        let p = people(&db).await;
        let a = create(&p.ic, json!({"title": "a", "owner": "owner@example.org"})).await;
        // Backdated to the moment it was recorded: before now, not before it existed.
        let at = a["created_at"].as_str().unwrap().to_owned();
        let r = go(&p.ic, "ACT-1", json!({"to": "done", "at": at})).await;
        assert_eq!(field(&r), "at", "a responder may not backdate");
        let r = go(
            &p.admin,
            "ACT-1",
            json!({"to": "done", "at": (Utc::now() + Duration::hours(1)).to_rfc3339()}),
        )
        .await;
        assert_eq!(field(&r), "at", "not in the future");
        let r = go(
            &p.admin,
            "ACT-1",
            json!({"to": "done", "at": (Utc::now() - Duration::days(400)).to_rfc3339()}),
        )
        .await;
        assert_eq!(field(&r), "at", "not before the action existed");
        let r = go(&p.admin, "ACT-1", json!({"to": "done", "at": at})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let got =
            chrono::DateTime::parse_from_rfc3339(r.body["completed_at"].as_str().unwrap()).unwrap();
        let want = chrono::DateTime::parse_from_rfc3339(&at).unwrap();
        assert_eq!(got.timestamp_millis(), want.timestamp_millis());
        // The owner (a member) edits and moves their own action, not someone else's.
        create(&p.ic, json!({"title": "b", "owner": "other@example.org"})).await;
        assert_eq!(
            go(&p.owner, "ACT-2", json!({"to": "in_progress"}))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            p.owner
                .patch("/api/v1/actions/ACT-2", json!({"title": "mine now"}))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let r = p
            .other
            .patch(
                "/api/v1/actions/ACT-2",
                json!({"due_date": "2027-03-01", "external_url": "https://tracker.example/PAY-12"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["external_url"], "https://tracker.example/PAY-12");
        assert_eq!(
            go(&p.other, "ACT-2", json!({"to": "in_progress"}))
                .await
                .body["status"],
            "in_progress"
        );
    }
);

db_test!(the_list_filters_and_pages, |db| {
    let p = people(&db).await;
    let yesterday = (Utc::now().date_naive() - Duration::days(1)).to_string();
    let tomorrow = (Utc::now().date_naive() + Duration::days(1)).to_string();
    create(&p.ic, json!({"title": "late", "owner": "owner@example.org", "team": "payments", "due_date": yesterday, "priority": "critical"})).await;
    create(&p.ic, json!({"title": "fine", "owner": "owner@example.org", "team": "payments", "due_date": tomorrow})).await;
    create(&p.ic, json!({"title": "late but done", "owner": "other@example.org", "team": "search", "due_date": yesterday, "kind": "process"})).await;
    go(&p.ic, "ACT-3", json!({"to": "done"})).await;
    assert_eq!(
        item_keys(&p.ic.get("/api/v1/actions").await.body),
        ["ACT-3", "ACT-2", "ACT-1"]
    );
    let overdue = p.ic.get("/api/v1/actions?overdue=true").await.body;
    assert_eq!(item_keys(&overdue), ["ACT-1"], "done is not overdue");
    assert_eq!(overdue["items"][0]["overdue"], true);
    assert_eq!(
        item_keys(
            &p.ic
                .get("/api/v1/actions?owner=owner@example.org")
                .await
                .body
        ),
        ["ACT-2", "ACT-1"]
    );
    assert_eq!(
        item_keys(&p.ic.get("/api/v1/actions?team=search").await.body),
        ["ACT-3"]
    );
    assert_eq!(
        item_keys(&p.ic.get("/api/v1/actions?status=done").await.body),
        ["ACT-3"]
    );
    assert_eq!(
        item_keys(&p.ic.get("/api/v1/actions?kind=process").await.body),
        ["ACT-3"]
    );
    assert_eq!(
        item_keys(&p.ic.get("/api/v1/actions?priority=critical").await.body),
        ["ACT-1"]
    );
    assert!(
        item_keys(
            &p.ic
                .get("/api/v1/actions?owner=nobody@example.org")
                .await
                .body
        )
        .is_empty()
    );
    let p1 = p.ic.get("/api/v1/actions?limit=2").await.body;
    let next = p1["next"].as_str().unwrap().to_owned();
    assert_eq!(
        item_keys(
            &p.ic
                .get(&format!("/api/v1/actions?limit=2&page={next}"))
                .await
                .body
        ),
        ["ACT-1"]
    );
    assert_eq!(
        p.ic.get("/api/v1/actions?status=nope").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        p.ic.get("/api/v1/actions/ACT-1").await.body["overdue"],
        true
    );
});

db_test!(csv_export_parses_back_with_the_same_filters, |db| {
    let p = people(&db).await;
    p.ic.post(
        "/api/v1/incidents",
        json!({"title": "Outage", "severity": "sev2"}),
    )
    .await;
    create(&p.ic, json!({"title": "Fix, with \"quotes\", commas\nand a newline", "owner": "owner@example.org", "team": "payments", "incident": "INC-1", "due_date": "2026-01-02"})).await;
    create(&p.ic, json!({"title": "Other team", "team": "search"})).await;
    let r = p.ic.get("/api/v1/actions.csv?team=payments").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers[axum::http::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let mut rd = csv::Reader::from_reader(r.text.as_bytes());
    let headers: Vec<String> = rd.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(
        &headers[..5],
        ["key", "title", "kind", "priority", "status"]
    );
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1, "the team filter applies");
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    assert_eq!(&rows[0][col("key")], "ACT-1");
    assert_eq!(
        &rows[0][col("title")],
        "Fix, with \"quotes\", commas\nand a newline"
    );
    assert_eq!(&rows[0][col("owner")], "owner@example.org");
    assert_eq!(&rows[0][col("incident")], "INC-1");
    assert_eq!(&rows[0][col("due_date")], "2026-01-02");
    assert_eq!(&rows[0][col("overdue")], "true");
    let all = p.ic.get("/api/v1/actions.csv").await.text;
    assert_eq!(
        csv::Reader::from_reader(all.as_bytes()).records().count(),
        2
    );
    assert_eq!(
        p.ic.anonymous().get("/api/v1/actions.csv").await.status,
        StatusCode::UNAUTHORIZED
    );
});

db_test!(the_owners_calendar_parses_back_as_all_day_events, |db| {
    use icalendar::{Calendar, Component, DatePerhapsTime};
    let p = people(&db).await;
    create(&p.ic, json!({"title": "Open with a due date", "owner": "owner@example.org", "due_date": "2026-12-01"})).await;
    create(&p.ic, json!({"title": "Awaiting verification", "owner": "owner@example.org", "due_date": "2026-11-01", "verification_due": "2026-12-20"})).await;
    go(&p.owner, "ACT-2", json!({"to": "done"})).await;
    create(
        &p.ic,
        json!({"title": "Someone else's", "owner": "other@example.org", "due_date": "2026-12-02"}),
    )
    .await;
    create(
        &p.ic,
        json!({"title": "Cancelled", "owner": "owner@example.org", "due_date": "2026-12-03"}),
    )
    .await;
    go(&p.ic, "ACT-4", json!({"to": "cancelled", "reason": "dup"})).await;
    let r = p.ic.get("/api/v1/calendar/owner@example.org.ics").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        r.headers[axum::http::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let cal: Calendar = r.text.parse().unwrap();
    let events: Vec<(String, DatePerhapsTime)> = cal
        .components
        .iter()
        .filter_map(|c| c.as_event())
        .map(|e| (e.get_summary().unwrap().to_owned(), e.get_start().unwrap()))
        .collect();
    let day = |y, m, d| DatePerhapsTime::Date(chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap());
    assert_eq!(
        events,
        [
            (
                "ACT-1 due: Open with a due date".to_owned(),
                day(2026, 12, 1)
            ),
            (
                "ACT-2 verification due: Awaiting verification".to_owned(),
                day(2026, 12, 20)
            ),
        ]
    );
    // A calendar app subscribes with a token in the address; without one it is refused.
    let anon = p.ic.anonymous();
    assert_eq!(
        anon.get("/api/v1/calendar/owner@example.org.ics")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        anon.get("/api/v1/calendar/owner@example.org.ics?token=hs_wrong")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let t = p
        .owner
        .post("/api/v1/tokens", json!({"name": "calendar"}))
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = anon
        .get(&format!("/api/v1/calendar/owner@example.org.ics?token={t}"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text.matches("BEGIN:VEVENT").count(), 2);
    assert_eq!(
        p.ic.get("/api/v1/calendar/nobody@example.org.ics")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        p.ic.get("/api/v1/calendar/owner@example.org").await.status,
        StatusCode::NOT_FOUND
    );
});

db_test!(my_actions_sort_by_urgency_and_route_verifications, |db| {
    let p = people(&db).await;
    p.ic.post(
        "/api/v1/incidents",
        json!({"title": "Outage", "severity": "sev2"}),
    )
    .await;
    let today = Utc::now().date_naive();
    let day = |n: i64| (today + Duration::days(n)).to_string();
    // The owner's open work, created in a scrambled order.
    for (title, due, prio) in [
        ("undated", None, "critical"),
        ("next week", Some(day(7)), "low"),
        ("long overdue", Some(day(-10)), "low"),
        ("tomorrow medium", Some(day(1)), "medium"),
        ("tomorrow critical", Some(day(1)), "critical"),
        ("just overdue", Some(day(-1)), "high"),
    ] {
        create(&p.ic, json!({"title": title, "owner": "owner@example.org", "due_date": due, "priority": prio, "incident": "INC-1"})).await;
    }
    // Someone else's open action, and the owner's action that is finished or cancelled.
    create(
        &p.ic,
        json!({"title": "not mine", "owner": "other@example.org", "due_date": day(-3)}),
    )
    .await;
    let done = create(
        &p.ic,
        json!({"title": "finished", "owner": "owner@example.org"}),
    )
    .await;
    let done = done["key"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        go(&p.owner, &done, json!({"to": "done"})).await.status,
        StatusCode::OK
    );
    let cancelled = create(
        &p.ic,
        json!({"title": "dropped", "owner": "owner@example.org"}),
    )
    .await;
    let cancelled = cancelled["key"].as_str().unwrap_or_default().to_owned();
    go(
        &p.ic,
        &cancelled,
        json!({"to": "cancelled", "reason": "duplicate"}),
    )
    .await;
    // Another member's done work, and a done action that needs no verification.
    let theirs = create(
        &p.ic,
        json!({"title": "their fix", "owner": "other@example.org"}),
    )
    .await;
    let theirs = theirs["key"].as_str().unwrap_or_default().to_owned();
    go(&p.other, &theirs, json!({"to": "done"})).await;
    let doc = create(
        &p.ic,
        json!({"title": "docs", "owner": "other@example.org", "kind": "documentation"}),
    )
    .await;
    go(
        &p.other,
        doc["key"].as_str().unwrap_or_default(),
        json!({"to": "done"}),
    )
    .await;

    let titles = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x["title"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let r = p.owner.get("/api/v1/actions/mine").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        titles(&r.body["owned"]),
        [
            "long overdue",
            "just overdue",
            "tomorrow critical",
            "tomorrow medium",
            "next week",
            "undated"
        ]
    );
    assert_eq!(r.body["owned"][0]["overdue"], true);
    assert_eq!(r.body["owned"][0]["incident"], "INC-1");
    assert_eq!(r.body["owned"][2]["overdue"], false);
    assert_eq!(titles(&r.body["awaiting_verification"]), ["finished"]);
    assert_eq!(r.body["can_verify"], false, "members verify nothing");
    assert_eq!(r.body["to_verify"], json!([]));
    assert_eq!(r.body["today"], today.to_string());

    // A responder sees both members' done work to verify, never work needing no verification.
    let r = p.ic.get("/api/v1/actions/mine").await;
    assert_eq!(r.body["can_verify"], true);
    assert_eq!(r.body["to_verify_total"], 2);
    assert_eq!(titles(&r.body["owned"]), Vec::<String>::new());
    // Earliest verification deadline first; one without a deadline comes last.
    assert_eq!(
        titles(&r.body["to_verify"]),
        ["finished", "their fix"],
        "same deadline: the older first"
    );
    let r =
        p.ic.patch(
            &format!("/api/v1/actions/{done}"),
            json!({"verification_due": null}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = p.ic.get("/api/v1/actions/mine").await;
    assert_eq!(titles(&r.body["to_verify"]), ["their fix", "finished"]);
    assert_eq!(r.body["to_verify_more"], false);
    // Once verified it leaves every queue.
    let v = go(
        &p.ic,
        &done,
        json!({"to": "verified", "result": "effective", "evidence": "no alerts for a week"}),
    )
    .await;
    assert_eq!(v.status, StatusCode::OK, "{}", v.body);
    assert_eq!(
        p.ic.get("/api/v1/actions/mine").await.body["to_verify_total"],
        1
    );
    assert_eq!(
        titles(&p.owner.get("/api/v1/actions/mine").await.body["awaiting_verification"]),
        Vec::<String>::new()
    );
    // An admin who owns done work does not see it among what they may verify.
    let own = create(
        &p.admin,
        json!({"title": "admin's own", "owner": "admin@example.org"}),
    )
    .await;
    go(
        &p.admin,
        own["key"].as_str().unwrap_or_default(),
        json!({"to": "done"}),
    )
    .await;
    let r = p.admin.get("/api/v1/actions/mine").await;
    assert_eq!(titles(&r.body["to_verify"]), ["their fix"]);
    assert_eq!(titles(&r.body["awaiting_verification"]), ["admin's own"]);
    // Strangers get nothing.
    let anon = Client::new(db.clone());
    assert_eq!(
        anon.get("/api/v1/actions/mine").await.status,
        StatusCode::UNAUTHORIZED
    );
});

db_test!(the_list_filters_by_incident_and_known_error, |db| {
    let p = people(&db).await;
    for t in ["One", "Two"] {
        p.ic.post("/api/v1/incidents", json!({"title": t, "severity": "sev3"}))
            .await;
    }
    p.ic.post("/api/v1/known-errors", json!({"title": "Pool exhaustion"}))
        .await;
    create(&p.ic, json!({"title": "a", "incident": "INC-1"})).await;
    create(
        &p.ic,
        json!({"title": "b", "incident": "INC-2", "known_error": "KE-1"}),
    )
    .await;
    create(
        &p.ic,
        json!({"title": "c", "incident": "INC-1", "known_error": "KE-1"}),
    )
    .await;
    let keys = |r: Reply| item_keys(&r.body);
    assert_eq!(
        keys(p.owner.get("/api/v1/actions?incident=inc-1").await),
        ["ACT-3", "ACT-1"]
    );
    assert_eq!(
        keys(p.owner.get("/api/v1/actions?known_error=KE-1").await),
        ["ACT-3", "ACT-2"]
    );
    assert_eq!(
        keys(
            p.owner
                .get("/api/v1/actions?known_error=KE-1&incident=INC-2")
                .await
        ),
        ["ACT-2"]
    );
    assert_eq!(
        keys(p.owner.get("/api/v1/actions?incident=INC-99").await),
        Vec::<String>::new()
    );
    let r = p.owner.get("/api/v1/actions?incident=INC-1").await;
    assert_eq!(r.body["items"][0]["incident"], "INC-1");
    let csv = p.owner.get("/api/v1/actions.csv?incident=INC-2").await.text;
    assert_eq!(csv.lines().count(), 2, "header and one row: {csv}");
});
