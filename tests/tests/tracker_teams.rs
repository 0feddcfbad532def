//! Teams mapped to trackers, on SQLite and PostgreSQL, against the contract server
//! (tests/src/trackers.rs): a team maps to one tracker (422 naming `teams` otherwise, nothing
//! written); a new action of a mapped team gets its issue by itself, through the outbox
//! (exactly once with two workers, none when it was linked in one click meanwhile, none for
//! an unmapped team); a failed create is retried like any delivery, except one that may have
//! been carried out without an answer, which is never sent twice.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: failing loudly is the point

use app::domain::{DeliveryStatus, Role};
use app::ssr::entities::delivery;
use app::ssr::services::tracker::outbound;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::{Value, json};
use tests::db_test;
use tests::http::{Client, admin, assert_refused, signed_in};
use tests::trackers::{Contract, Seen, connect};

const GH_TOKEN: &str = "ghp_teams-token-never-shown";

fn http() -> reqwest::Client {
    app::ssr::http_client().unwrap()
}

/// The issue creations the contract server received.
fn creates(api: &Contract) -> Vec<Seen> {
    api.seen()
        .into_iter()
        .filter(|s| {
            s.method == axum::http::Method::POST
                && (s.path.ends_with("/issues") || s.path.ends_with("/issue"))
        })
        .collect()
}

async fn action(ic: &Client, title: &str, team: &str) -> String {
    tests::http::action_key(
        ic,
        json!({"title": title, "owner": "ic@example.org", "team": team, "priority": "high"}),
    )
    .await
}

async fn deliveries(db: &DatabaseConnection, key: &str) -> Vec<delivery::Model> {
    delivery::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.record_key == key && d.tracker_id.is_some())
        .collect()
}

fn github(teams: Value) -> Value {
    json!({"name": "GitHub", "kind": "github", "base_url": "", "project": "acme-sre/payments-api",
           "credentials": {"token": GH_TOKEN}, "teams": teams})
}

db_test!(a_team_maps_to_one_tracker, |db| {
    let api = Contract::start().await;
    let admin = admin(&db).await;
    let (gh, _) = connect(
        &admin,
        &api,
        github(json!(["Payments", " payments ", "SRE"])),
    )
    .await;
    let t = admin.get(&format!("/api/v1/trackers/{gh}")).await.body;
    assert_eq!(t["teams"], json!(["Payments", "SRE"]), "trimmed, once each");
    // Another tracker cannot take a team that is mapped (told apart without regard to case).
    let jira = json!({"name": "Jira", "kind": "jira", "base_url": api.url(""), "project": "OPS",
                      "credentials": {"pat": "jira-pat"}, "teams": ["payments"]});
    let r = admin.post("/api/v1/trackers", jira.clone()).await;
    assert_refused(&r, &jira, "teams");
    assert!(r.text.contains("GitHub"), "names the tracker: {}", r.text);
    assert_eq!(
        admin
            .get("/api/v1/trackers")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    for bad in [json!([""]), json!(["x".repeat(101)]), json!(["a\u{7}b"])] {
        let mut b = jira.clone();
        b["teams"] = bad;
        assert_refused(
            &admin.post("/api/v1/trackers", b.clone()).await,
            &b,
            "teams",
        );
    }
    let mut storage = jira.clone();
    storage["teams"] = json!(["Storage"]);
    let (jid, _) = connect(&admin, &api, {
        let mut b = storage;
        b["base_url"] = json!("");
        b
    })
    .await;
    // Nor through a change; a tracker keeps its own teams when it is changed.
    let r = admin
        .patch(
            &format!("/api/v1/trackers/{jid}"),
            json!({"teams": ["sre"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.text.contains("teams"), "{}", r.text);
    let r = admin
        .patch(
            &format!("/api/v1/trackers/{gh}"),
            json!({"teams": ["SRE", "payments"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = admin
        .patch(
            &format!("/api/v1/trackers/{gh}"),
            json!({"teams": ["Payments"]}),
        )
        .await;
    assert_eq!(r.body["teams"], json!(["Payments"]));
    let r = admin
        .patch(
            &format!("/api/v1/trackers/{jid}"),
            json!({"teams": ["Storage", "sre"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["teams"], json!(["Storage", "sre"]));
    // The change is in the tracker's history.
    let h = admin.get(&format!("/api/v1/history/tracker/{gh}")).await;
    assert!(h.text.contains("teams"), "{}", h.text);
    // A change that changes nothing records nothing.
    let t = admin.get(&format!("/api/v1/trackers/{gh}")).await.body;
    let r = admin
        .patch(
            &format!("/api/v1/trackers/{gh}"),
            json!({"name": t["name"], "base_url": t["base_url"], "project": t["project"],
                   "teams": t["teams"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["version"], t["version"]);
    assert_eq!(
        admin
            .get(&format!("/api/v1/history/tracker/{gh}"))
            .await
            .text,
        h.text
    );
    // [] maps none.
    let r = admin
        .patch(&format!("/api/v1/trackers/{jid}"), json!({"teams": []}))
        .await;
    assert_eq!(r.body["teams"], json!([]));
    // Only admins map teams.
    let ic = signed_in(&db, "ic@example.org", Role::Responder).await;
    let r = ic
        .patch(
            &format!("/api/v1/trackers/{gh}"),
            json!({"teams": ["Search"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
});

db_test!(new_actions_of_a_mapped_team_get_their_issue_once, |db| {
    let api = Contract::start().await;
    let admin = admin(&db).await;
    let ic = signed_in(&db, "ic@example.org", Role::Responder).await;
    let (gh, _) = connect(&admin, &api, github(json!(["Payments"]))).await;
    let (jira, _) = connect(
        &admin,
        &api,
        json!({"name": "Jira", "kind": "jira", "base_url": "", "project": "OPS",
               "credentials": {"pat": "jira-pat-never-shown"}, "teams": ["SRE"]}),
    )
    .await;
    let a1 = action(&ic, "Alert on pool saturation", "payments").await;
    let a2 = action(&ic, "Load-test the failover", "SRE").await;
    let a3 = action(&ic, "Tune the index", "Search").await;
    let a4 = action(&ic, "Page on queue depth", "Payments").await;
    let a5 = action(&ic, "Cancelled before it was sent", "Payments").await;
    // Nothing is sent in the action's own request: the outbox does it.
    assert!(creates(&api).is_empty());
    assert!(
        deliveries(&db, &a3).await.is_empty(),
        "Search maps to no tracker"
    );
    // a4 is linked in one click before the outbox gets to it; a5 is cancelled.
    let r = ic
        .post(
            &format!("/api/v1/actions/{a4}/tracker"),
            json!({"tracker": gh}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let a4_issue = r.body["issue"].clone();
    let r = ic
        .post(
            &format!("/api/v1/actions/{a5}/transition"),
            json!({"to": "cancelled", "reason": "Duplicate of an older action."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(creates(&api).len(), 1);
    // Two workers at once: each message is taken by one.
    let now = Utc::now();
    let (h1, h2) = (http(), http());
    let (x, y) = tokio::join!(
        outbound::run_once_at(&db, &h1, || now),
        outbound::run_once_at(&db, &h2, || now)
    );
    assert_eq!(x.unwrap() + y.unwrap(), 4, "a1, a2, a4 and a5, each once");
    assert_eq!(
        outbound::run_once_at(&db, &http(), || now + Duration::hours(1))
            .await
            .unwrap(),
        0
    );
    let made = creates(&api);
    assert_eq!(
        made.len(),
        3,
        "a4's one-click issue, then a1's and a2's: {made:?}"
    );
    let gh_made: Vec<&Seen> = made
        .iter()
        .filter(|s| s.path == "/repos/acme-sre/payments-api/issues")
        .collect();
    assert_eq!(gh_made.len(), 2);
    let title = gh_made[1].body["title"].as_str().unwrap();
    assert_eq!(title, format!("{a1}: Alert on pool saturation"));
    assert!(
        gh_made[1].body["body"]
            .as_str()
            .unwrap()
            .contains(&format!("/actions/{a1}"))
    );
    assert!(
        gh_made[1].body["labels"]
            .as_array()
            .unwrap()
            .contains(&json!("hindsight"))
    );
    let jira_made: Vec<&Seen> = made
        .iter()
        .filter(|s| s.path.contains("/rest/api/"))
        .collect();
    assert_eq!(jira_made.len(), 1);
    assert_eq!(
        jira_made[0].body["fields"]["summary"],
        json!(format!("{a2}: Load-test the failover"))
    );
    // Linked, shown on the action, in its history through the tracker.
    let v1 = ic.get(&format!("/api/v1/actions/{a1}")).await.body;
    assert_eq!(v1["issue"]["tracker"], json!(gh), "{v1}");
    assert!(v1["external_url"].as_str().unwrap().contains("/issues/"));
    let v2 = ic.get(&format!("/api/v1/actions/{a2}")).await.body;
    assert_eq!(v2["issue"]["tracker"], json!(jira), "{v2}");
    assert!(v2["issue"]["key"].as_str().unwrap().starts_with("OPS-"));
    let h = ic.get(&format!("/api/v1/history/action/{a1}")).await;
    assert!(
        h.text.contains("tracker_issue") && h.text.contains("through GitHub: GitHub"),
        "{}",
        h.text
    );
    // The list rows name the issue.
    let rows = ic.get("/api/v1/actions?team=payments").await.body;
    let row = rows["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == json!(a1))
        .unwrap()
        .clone();
    assert!(row["issue_key"].as_str().unwrap().starts_with('#'), "{row}");
    assert_eq!(row["external_url"], v1["external_url"]);
    // a4 kept its one-click issue; a5 got none; every message delivered.
    let v4 = ic.get(&format!("/api/v1/actions/{a4}")).await.body;
    assert_eq!(v4["issue"]["key"], a4_issue["key"]);
    assert_eq!(v4["issue"]["url"], a4_issue["url"]);
    let v5 = ic.get(&format!("/api/v1/actions/{a5}")).await.body;
    assert!(v5["issue"].is_null(), "{v5}");
    for k in [&a1, &a2, &a4, &a5] {
        let d = deliveries(&db, k).await;
        let created: Vec<_> = d.iter().filter(|d| d.event == "tracker.create").collect();
        assert_eq!(created.len(), 1, "{k}");
        assert_eq!(created[0].status, DeliveryStatus::Delivered, "{k}");
        assert_eq!(created[0].attempts, 1, "{k}");
        assert!(!created[0].body.contains(GH_TOKEN));
    }
});

db_test!(a_create_is_retried_unless_it_may_have_happened, |db| {
    let api = Contract::start().await;
    let admin = admin(&db).await;
    let ic = signed_in(&db, "ic@example.org", Role::Responder).await;
    connect(&admin, &api, github(json!(["Payments"]))).await;
    // A 503 is retried later and then makes the issue.
    let a1 = action(&ic, "Alert on pool saturation", "Payments").await;
    api.fail_next(503, None, json!({"message": "Service Unavailable"}));
    let now = Utc::now();
    assert_eq!(
        outbound::run_once_at(&db, &http(), || now).await.unwrap(),
        1
    );
    let d = &deliveries(&db, &a1).await[0];
    assert_eq!(d.status, DeliveryStatus::Pending, "{d:?}");
    assert!(d.last_error.as_deref().unwrap().contains("503"));
    assert!(ic.get(&format!("/api/v1/actions/{a1}")).await.body["issue"].is_null());
    let later = now + Duration::seconds(16);
    assert_eq!(
        outbound::run_once_at(&db, &http(), || later).await.unwrap(),
        1
    );
    assert_eq!(
        deliveries(&db, &a1).await[0].status,
        DeliveryStatus::Delivered
    );
    assert!(!ic.get(&format!("/api/v1/actions/{a1}")).await.body["issue"].is_null());
    assert_eq!(creates(&api).len(), 2);
    // A success without the new issue in it: the issue may exist, so it is not sent again,
    // and the error says where to look.
    let a2 = action(&ic, "Add a runbook", "Payments").await;
    api.answer_next(201, vec![], json!({}));
    assert_eq!(
        outbound::run_once_at(&db, &http(), || later).await.unwrap(),
        1
    );
    let d = &deliveries(&db, &a2).await[0];
    assert_eq!(d.status, DeliveryStatus::Failed, "{d:?}");
    let err = d.last_error.clone().unwrap();
    assert!(
        err.contains("may have been created") && err.contains("GitHub"),
        "{err}"
    );
    assert_eq!(
        outbound::run_once_at(&db, &http(), || later + Duration::hours(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(creates(&api).len(), 3);
    assert!(ic.get(&format!("/api/v1/actions/{a2}")).await.body["issue"].is_null());
    // A refusal for good (401) fails at once with the tracker's words, no credential.
    let a3 = action(&ic, "Page on queue depth", "Payments").await;
    api.fail_next(401, None, json!({"message": "Bad credentials"}));
    assert_eq!(
        outbound::run_once_at(&db, &http(), || later).await.unwrap(),
        1
    );
    let d = &deliveries(&db, &a3).await[0];
    assert_eq!(d.status, DeliveryStatus::Failed);
    let err = d.last_error.clone().unwrap();
    assert!(
        err.contains("401") && err.contains("Bad credentials"),
        "{err}"
    );
    assert!(!err.contains(GH_TOKEN));
    // A tracker that cannot be reached (nothing was sent) is retried.
    let (dead, _) = connect(
        &admin,
        &api,
        json!({"name": "Gone", "kind": "gitlab", "base_url": "", "project": "sre/gone",
               "credentials": {"token": "glpat-x"}, "teams": ["Gone"]}),
    )
    .await;
    admin
        .patch(
            &format!("/api/v1/trackers/{dead}"),
            json!({"base_url": "http://127.0.0.1:9/api/v4"}),
        )
        .await;
    let a4 = action(&ic, "Nobody answers", "Gone").await;
    assert_eq!(
        outbound::run_once_at(&db, &http(), || later).await.unwrap(),
        1
    );
    let d = &deliveries(&db, &a4).await[0];
    assert_eq!(d.status, DeliveryStatus::Pending, "{d:?}");
    assert!(
        d.last_error
            .as_deref()
            .unwrap()
            .contains("cannot reach GitLab"),
        "{d:?}"
    );
});
