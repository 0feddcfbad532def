//! Creating an action's issue in Jira (Cloud v3 and Data Center v2), GitHub and GitLab,
//! against contract servers that check each request against the vendor's documented shape
//! (tests/src/trackers.rs), on SQLite and PostgreSQL: the link is stored and shown, a second
//! create is 409 and sends nothing, the tracker's refusals are 502 with its own words and a
//! 429 says when to retry, both linking nothing, and no answer holds a credential.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: failing loudly is the point

use app::domain::Role;
use app::ssr::auth::Actor;
use axum::http::StatusCode;
use serde_json::{Value, json};
use tests::db_test;
use tests::http::{Client, admin, created, signed_in};
use tests::trackers::Contract;

const TOKEN: &str = "ghp_contract-token-never-shown";

async fn tracker(admin: &Client, body: Value) -> i64 {
    created(admin, "/api/v1/trackers", body).await["id"]
        .as_i64()
        .unwrap()
}

async fn action(c: &Client, title: &str) -> String {
    tests::http::action_key(
        c,
        json!({"title": title, "owner": "ic@example.org", "due_date": "2026-12-18",
               "priority": "high", "description": "Page the on-call when the pool is 90% used."}),
    )
    .await
}

db_test!(github_and_gitlab_issues_are_created_and_linked_once, |db| {
    let api = Contract::start().await;
    let admin = admin(&db).await;
    let ic = signed_in(&db, "ic@example.org", Role::Responder).await;
    let gh = tracker(
        &admin,
        json!({"name": "GitHub", "kind": "github", "base_url": api.url(""),
               "project": "acme-sre/payments-api", "credentials": {"token": TOKEN}}),
    )
    .await;
    let gl = tracker(
        &admin,
        json!({"name": "GitLab", "kind": "gitlab", "base_url": api.url("/api/v4"),
               "project": "sre/payments-api", "credentials": {"token": "glpat-never-shown"}}),
    )
    .await;
    let a1 = action(&ic, "Alert on pool saturation").await;
    let r = ic
        .post(
            &format!("/api/v1/actions/{a1}/tracker"),
            json!({"tracker": gh}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["issue"]["key"], "214");
    assert_eq!(r.body["issue"]["kind"], "github");
    assert_eq!(r.body["issue"]["state"], "open");
    assert_eq!(
        r.body["external_url"],
        "https://github.com/acme-sre/payments-api/issues/214"
    );
    assert!(!r.text.contains(TOKEN));
    let seen = api.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/repos/acme-sre/payments-api/issues");
    assert_eq!(
        seen[0].headers["authorization"].to_str().unwrap(),
        format!("Bearer {TOKEN}")
    );
    let body = &seen[0].body;
    assert_eq!(body["title"], format!("{a1}: Alert on pool saturation"));
    assert_eq!(body["labels"], json!(["hindsight"]));
    let text = body["body"].as_str().unwrap();
    assert!(
        text.contains("Priority: High") && text.contains("Due: 2026-12-18"),
        "{text}"
    );
    assert!(text.contains("Page the on-call"), "{text}");
    assert!(text.ends_with(&format!("/actions/{a1}")), "{text}");
    // Twice: refused, nothing sent.
    let again = ic
        .post(
            &format!("/api/v1/actions/{a1}/tracker"),
            json!({"tracker": gl}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert_eq!(api.seen().len(), 1);
    // The action page's data and its history show the link.
    let shown = ic.get(&format!("/api/v1/actions/{a1}")).await.body;
    assert_eq!(shown["issue"]["tracker_name"], "GitHub");
    let h = ic.get(&format!("/api/v1/history/action/{a1}")).await;
    assert!(h.text.contains("GitHub #214"), "{}", h.text);

    let a2 = action(&ic, "Raise the pool size").await;
    let r = ic
        .post(
            &format!("/api/v1/actions/{a2}/tracker"),
            json!({"tracker": gl}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["issue"]["key"], "43");
    assert_eq!(r.body["issue"]["state"], "opened");
    let s = &api.seen()[1];
    assert_eq!(s.path, "/api/v4/projects/sre%2Fpayments-api/issues");
    assert_eq!(s.headers["private-token"], "glpat-never-shown");
    assert_eq!(s.body["due_date"], "2026-12-18");
    assert_eq!(s.body["labels"], "hindsight");
});

db_test!(jira_cloud_gets_adf_and_data_center_text, |db| {
    let api = Contract::start().await;
    let admin = admin(&db).await;
    let ic = signed_in(&db, "ic@example.org", Role::Responder).await;
    // Data Center: any host that is not *.atlassian.net speaks v2.
    let dc = tracker(
        &admin,
        json!({"name": "Jira DC", "kind": "jira", "base_url": api.url(""),
               "project": "OPS", "credentials": {"pat": "dc-pat-never-shown"}}),
    )
    .await;
    let a1 = action(&ic, "Alert on pool saturation").await;
    let r = ic
        .post(
            &format!("/api/v1/actions/{a1}/tracker"),
            json!({"tracker": dc}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["issue"]["key"], "OPS-57");
    assert_eq!(r.body["external_url"], api.url("/browse/OPS-57"));
    let s = &api.seen()[0];
    assert_eq!(s.path, "/rest/api/2/issue");
    assert_eq!(s.headers["authorization"], "Bearer dc-pat-never-shown");
    assert_eq!(s.body["fields"]["priority"]["name"], "High");
    assert_eq!(s.body["fields"]["duedate"], "2026-12-18");

    // Cloud: a site on *.atlassian.net, here resolved to the contract server.
    let cloud_base = format!("http://acme-sre.atlassian.net:{}", api.addr.port());
    let cloud = tracker(
        &admin,
        json!({"name": "Jira Cloud", "kind": "jira", "base_url": cloud_base,
               "project": "SRE", "credentials": {"email": "bot@acme.example", "api_token": "cloud-token-never-shown"}}),
    )
    .await;
    let http = reqwest::Client::builder()
        .resolve("acme-sre.atlassian.net", api.addr)
        .build()
        .unwrap();
    let a2 = action(&ic, "Raise the pool size").await;
    let owner = {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        app::ssr::entities::user::Entity::find()
            .filter(app::ssr::entities::user::Column::Email.eq("ic@example.org"))
            .one(&db)
            .await
            .unwrap()
            .unwrap()
    };
    let a = app::ssr::services::tracker::link::create_issue(
        &db,
        &Actor::from_user(&owner, app::ssr::auth::Via::System),
        &http,
        "https://hindsight.example",
        &a2,
        cloud,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(a.issue.as_ref().unwrap().key, "SRE-58");
    let s = &api.seen()[1];
    assert_eq!(s.path, "/rest/api/3/issue");
    assert!(
        s.headers["authorization"]
            .to_str()
            .unwrap()
            .starts_with("Basic ")
    );
    let d = &s.body["fields"]["description"];
    assert_eq!(d["type"], "doc");
    let link = d["content"].as_array().unwrap().last().unwrap()["content"][0].clone();
    assert_eq!(
        link["marks"][0]["attrs"]["href"],
        format!("https://hindsight.example/actions/{a2}")
    );
});

db_test!(refusals_link_nothing_and_say_what_the_tracker_said, |db| {
    let api = Contract::start().await;
    let admin = admin(&db).await;
    let ic = signed_in(&db, "ic@example.org", Role::Responder).await;
    let viewer = signed_in(&db, "v@example.org", Role::Viewer).await;
    let dc = tracker(
        &admin,
        json!({"name": "Jira DC", "kind": "jira", "base_url": api.url(""),
               "project": "OPS", "credentials": {"pat": "dc-pat-never-shown"}}),
    )
    .await;
    let a = action(&ic, "Alert on pool saturation").await;
    let path = format!("/api/v1/actions/{a}/tracker");
    api.fail_next(
        400,
        None,
        json!({"errorMessages": [], "errors": {"priority": "Field 'priority' cannot be set."}}),
    );
    let r = ic.post(&path, json!({"tracker": dc})).await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{}", r.body);
    assert_eq!(
        r.body["error"]["message"],
        "Jira answered 400: priority: Field 'priority' cannot be set."
    );
    api.fail_next(429, Some(30), json!({}));
    let r = ic.post(&path, json!({"tracker": dc})).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("try again in 30 s"),
        "{}",
        r.body
    );
    assert!(!r.text.contains("dc-pat-never-shown"));
    let shown = ic.get(&format!("/api/v1/actions/{a}")).await.body;
    assert!(shown["issue"].is_null(), "nothing linked: {shown}");
    // Unknown tracker, a viewer: refused before anything is sent.
    let before = api.seen().len();
    let r = ic.post(&path, json!({"tracker": 999})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(tests::http::field(&r), "tracker");
    assert_eq!(
        viewer.post(&path, json!({"tracker": dc})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(api.seen().len(), before);
    // Now it works.
    let r = ic.post(&path, json!({"tracker": dc})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
});
