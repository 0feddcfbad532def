//! Trackers (Jira, GitHub, GitLab) through the real router, on SQLite and PostgreSQL: admins
//! only, the webhook secret shown once, credentials sealed at rest and never in an answer,
//! the history or the export, each field checked (422 naming it), names unique (409),
//! credentials replaced, and a deleted tracker leaving its actions' links in place.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: failing loudly is the point

use app::domain::Role;
use axum::http::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use tests::db_test;
use tests::http::{admin, assert_refused, created, signed_in};

const JIRA_TOKEN: &str = "ATATT3xFfGF0-jira-api-token-never-shown";
const GH_TOKEN: &str = "ghp_github-token-never-shown";

db_test!(trackers_keep_their_credentials_to_themselves, |db| {
    let admin = admin(&db).await;
    let jira = created(
        &admin,
        "/api/v1/trackers",
        json!({"name": "Jira OPS", "kind": "jira", "base_url": "https://acme.atlassian.net/",
               "project": "OPS", "credentials": {"email": "bot@acme.example", "api_token": JIRA_TOKEN}}),
    )
    .await;
    assert!(jira["secret"].as_str().unwrap().starts_with("hst_"));
    assert_eq!(jira["auth"], "basic");
    assert_eq!(jira["api_version"], 3, "Cloud speaks REST v3");
    assert_eq!(jira["base_url"], "https://acme.atlassian.net");
    assert!(
        jira["receive_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/api/v1/trackers/{}/receive", jira["id"]))
    );
    let dc = created(
        &admin,
        "/api/v1/trackers",
        json!({"name": "Jira DC", "kind": "jira", "base_url": "https://jira.acme.example",
               "project": "SRE", "credentials": {"pat": "dc-pat-never-shown"},
               "done_states": ["Done", "Closed"]}),
    )
    .await;
    assert_eq!(dc["api_version"], 2);
    assert_eq!(dc["auth"], "pat");
    assert_eq!(dc["done_states"], json!(["Done", "Closed"]));
    let gh = created(
        &admin,
        "/api/v1/trackers",
        json!({"name": "GitHub", "kind": "github", "base_url": "https://api.github.com",
               "project": "acme-sre/payments-api", "credentials": {"token": GH_TOKEN}}),
    )
    .await;
    assert!(gh["api_version"].is_null());
    let secret = gh["secret"].as_str().unwrap().to_owned();

    // Reads: never the credentials, never the webhook secret.
    let list = admin.get("/api/v1/trackers").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body.as_array().unwrap().len(), 3);
    let one = admin.get(&format!("/api/v1/trackers/{}", gh["id"])).await;
    for text in [&list.text, &one.text] {
        for hidden in [JIRA_TOKEN, GH_TOKEN, "dc-pat-never-shown", secret.as_str()] {
            assert!(!text.contains(hidden), "{text}");
        }
    }
    assert!(one.body.get("secret").is_none());
    // At rest: sealed, not plain.
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT credentials, webhook_secret FROM trackers",
        ))
        .await
        .unwrap();
    for r in rows {
        let c: String = r.try_get("", "credentials").unwrap();
        let w: String = r.try_get("", "webhook_secret").unwrap();
        assert!(c.starts_with("v1:") && w.starts_with("v1:"));
        assert!(!c.contains("never-shown") && !w.contains("hst_"));
    }

    // Replaced credentials: the history says so, and holds neither old nor new.
    let r = admin
        .patch(
            &format!("/api/v1/trackers/{}", gh["id"]),
            json!({"credentials": {"token": "ghp_new-token-never-shown"}, "version": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["version"], 2);
    let stale = admin
        .patch(
            &format!("/api/v1/trackers/{}", gh["id"]),
            json!({"project": "acme-sre/other", "version": 1}),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    let h = admin
        .get(&format!("/api/v1/history/tracker/{}", gh["id"]))
        .await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.body);
    assert!(h.text.contains("replaced"), "{}", h.text);
    let export = admin.get("/api/v1/export").await;
    assert_eq!(export.status, StatusCode::OK);
    for text in [&h.text, &export.text] {
        for hidden in [
            GH_TOKEN,
            "ghp_new-token-never-shown",
            JIRA_TOKEN,
            secret.as_str(),
        ] {
            assert!(!text.contains(hidden), "{hidden} leaked");
        }
    }

    // Deleted: gone, and the name is free again.
    let r = admin
        .delete(&format!("/api/v1/trackers/{}", dc["id"]))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        admin
            .get(&format!("/api/v1/trackers/{}", dc["id"]))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin
            .get("/api/v1/trackers")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
});

db_test!(trackers_are_for_admins_and_checked_field_by_field, |db| {
    let admin = admin(&db).await;
    let responder = signed_in(&db, "ic@example.org", Role::Responder).await;
    let good = json!({"name": "GitLab", "kind": "gitlab", "base_url": "https://gitlab.acme.example/api/v4",
                      "project": "sre/payments-api", "credentials": {"token": "glpat-x"}});
    assert_eq!(
        responder
            .post("/api/v1/trackers", good.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        responder.get("/api/v1/trackers").await.status,
        StatusCode::FORBIDDEN
    );
    let with = |k: &str, v: serde_json::Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    for (body, field) in [
        (with("name", json!(" ")), "name"),
        (with("base_url", json!("gitlab.acme.example")), "base_url"),
        (with("base_url", json!("javascript:alert(1)")), "base_url"),
        (with("project", json!("/sre")), "project"),
        (
            with("credentials", json!({"email": "a@b", "api_token": "t"})),
            "credentials",
        ),
        (with("credentials", json!({"token": ""})), "credentials"),
        (with("done_states", json!([])), "done_states"),
    ] {
        let r = admin.post("/api/v1/trackers", body.clone()).await;
        assert_refused(&r, &body, field);
    }
    let bad_kind = with("kind", json!("trello"));
    let r = admin.post("/api/v1/trackers", bad_kind.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let jira_project = json!({"name": "J", "kind": "jira", "base_url": "https://acme.atlassian.net",
                              "project": "acme/repo", "credentials": {"pat": "x"}});
    assert_refused(
        &admin.post("/api/v1/trackers", jira_project.clone()).await,
        &jira_project,
        "project",
    );
    assert_eq!(
        admin.get("/api/v1/trackers").await.body,
        json!([]),
        "nothing refused was written"
    );
    created(&admin, "/api/v1/trackers", good.clone()).await;
    assert_eq!(
        admin.post("/api/v1/trackers", good).await.status,
        StatusCode::CONFLICT
    );
});
