//! The trackers' webhooks through the real router, on SQLite and PostgreSQL, with the
//! vendors' documented payloads (tests/fixtures/trackers/): GitHub `issues` closed and
//! reopened (`X-Hub-Signature-256`), GitLab `Issue Hook` close and reopen (`X-Gitlab-Token`),
//! Jira `jira:issue_updated` to Done and back (`?token=`). Done moves the action to `done` at
//! the tracker's time and the history says through which tracker; verification stays under the
//! four-eyes rule; replays, unknown issues, other events and other projects change nothing;
//! forged deliveries are 401.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: failing loudly is the point

use app::domain::Role;
use axum::http::StatusCode;
use serde_json::{Value, json};
use tests::db_test;
use tests::http::{Client, Reply, admin, signed_in};
use tests::trackers::{Contract, connect as tracker, linked};

fn fixture(name: &str) -> Value {
    let p = format!("{}/fixtures/trackers/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn sign(secret: &str, body: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// POSTs `body` to `path` as the tracker would (no session, no Origin).
async fn post(c: &Client, path: &str, headers: &[(&str, String)], body: &[u8]) -> Reply {
    tests::http::raw_post(c, path, headers, body).await
}

db_test!(github_closes_and_reopens_and_four_eyes_still_hold, |db| {
    let api = Contract::start().await;
    let admin = admin(&db).await;
    let ic = signed_in(&db, "ic@example.org", Role::Responder).await;
    let other = signed_in(&db, "sre@example.org", Role::Responder).await;
    let (id, secret) = tracker(
        &admin,
        &api,
        json!({"name": "GitHub", "kind": "github", "project": "acme-sre/payments-api",
               "credentials": {"token": "ghp_x"}}),
    )
    .await;
    let path = format!("/api/v1/trackers/{id}/receive");
    let (act, number, created_at) = linked(&ic, id, "Alert on pool saturation").await;
    let mut closed = fixture("github-issues-closed-webhook.json");
    closed["issue"]["number"] = json!(number.parse::<i64>().unwrap());
    closed["issue"]["closed_at"] = json!(created_at);
    let body = serde_json::to_vec(&closed).unwrap();
    let headers = |sig: String, delivery: &str| {
        vec![
            ("x-github-event", "issues".to_owned()),
            ("x-github-delivery", delivery.to_owned()),
            ("x-hub-signature-256", sig),
        ]
    };
    // Forged or unsigned: 401, nothing changes.
    let r = post(
        &ic.anonymous(),
        &path,
        &headers(sign("wrong", &body), "d-0"),
        &body,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    let r = post(
        &ic.anonymous(),
        &path,
        &[("x-github-event", "issues".into())],
        &body,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        ic.get(&format!("/api/v1/actions/{act}")).await.body["status"],
        "open"
    );

    let r = post(
        &ic.anonymous(),
        &path,
        &headers(sign(&secret, &body), "d-1"),
        &body,
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert_eq!(r.body, json!({"action": act, "result": "done"}));
    let a = ic.get(&format!("/api/v1/actions/{act}")).await.body;
    assert_eq!(a["status"], "done");
    assert_eq!(
        a["completed_at"], created_at,
        "the tracker's time (not before creation)"
    );
    assert_eq!(a["issue"]["state"], "closed");
    let h = ic.get(&format!("/api/v1/history/action/{act}")).await;
    assert!(h.text.contains("through GitHub: GitHub"), "{}", h.text);
    // The same delivery again: replayed, nothing changes.
    let r = post(
        &ic.anonymous(),
        &path,
        &headers(sign(&secret, &body), "d-1"),
        &body,
    )
    .await;
    assert_eq!(r.body["result"], "replayed", "{}", r.body);

    // Done in the tracker is not proven: the owner still may not verify; someone else may.
    let verify = json!({"to": "verified", "result": "effective", "evidence": "Pool alert fired in the game day."});
    let r = ic
        .post(&format!("/api/v1/actions/{act}/transition"), verify.clone())
        .await;
    assert!(r.status.is_client_error(), "{}", r.body);
    assert!(r.text.contains("four-eyes"), "{}", r.text);

    // Reopened: back to open.
    let mut reopened = fixture("github-issues-reopened-webhook.json");
    reopened["issue"]["number"] = json!(number.parse::<i64>().unwrap());
    let body = serde_json::to_vec(&reopened).unwrap();
    let r = post(
        &ic.anonymous(),
        &path,
        &headers(sign(&secret, &body), "d-2"),
        &body,
    )
    .await;
    assert_eq!(r.body["result"], "reopened", "{}", r.body);
    let a = ic.get(&format!("/api/v1/actions/{act}")).await.body;
    assert_eq!(a["status"], "open");
    assert_eq!(a["reopen_count"], 1);

    // Closed as not planned: the state is shown, the action does not move.
    let mut np = closed.clone();
    np["issue"]["state_reason"] = json!("not_planned");
    let body = serde_json::to_vec(&np).unwrap();
    let r = post(
        &ic.anonymous(),
        &path,
        &headers(sign(&secret, &body), "d-3"),
        &body,
    )
    .await;
    assert_eq!(r.body["result"], "unchanged", "{}", r.body);
    let a = ic.get(&format!("/api/v1/actions/{act}")).await.body;
    assert_eq!(a["status"], "open");
    assert_eq!(a["issue"]["state"], "closed (not_planned)");

    // Unknown issue, another repository, another event: taken, nothing changes.
    for (mutate, event) in [
        (json!({"issue": {"number": 999}}), "issues"),
        (
            json!({"repository": {"full_name": "acme-sre/other"}}),
            "issues",
        ),
        (json!({}), "push"),
    ] {
        let mut v = closed.clone();
        if let Some(n) = mutate["issue"]["number"].as_i64() {
            v["issue"]["number"] = json!(n);
        }
        if let Some(r) = mutate["repository"]["full_name"].as_str() {
            v["repository"]["full_name"] = json!(r);
        }
        let body = serde_json::to_vec(&v).unwrap();
        let mut h = headers(sign(&secret, &body), &format!("d-{event}-{mutate}"));
        h[0].1 = event.to_owned();
        let r = post(&ic.anonymous(), &path, &h, &body).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        assert!(r.body["action"].is_null(), "{}", r.body);
    }
    assert_eq!(
        ic.get(&format!("/api/v1/actions/{act}")).await.body["status"],
        "open"
    );
    // Done again, then verified by someone else.
    let body = serde_json::to_vec(&closed).unwrap();
    post(
        &ic.anonymous(),
        &path,
        &headers(sign(&secret, &body), "d-4"),
        &body,
    )
    .await;
    let r = other
        .post(&format!("/api/v1/actions/{act}/transition"), verify)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "verified");
});

db_test!(
    gitlab_and_jira_close_and_reopen_through_their_own_auth,
    |db| {
        let api = Contract::start().await;
        let admin = admin(&db).await;
        let ic = signed_in(&db, "ic@example.org", Role::Responder).await;
        let (gl, gl_secret) = tracker(
        &admin,
        &api,
        json!({"name": "GitLab", "kind": "gitlab", "base_url": "/api/v4", "project": "sre/payments-api",
               "credentials": {"token": "glpat-x"}}),
    )
    .await;
        let (act, iid, _) = linked(&ic, gl, "Raise the pool size").await;
        let path = format!("/api/v1/trackers/{gl}/receive");
        let mut close = fixture("gitlab-issue-close-webhook.json");
        close["object_attributes"]["iid"] = json!(iid.parse::<i64>().unwrap());
        close["object_attributes"]["closed_at"] = json!("2030-01-01 00:00:00 UTC");
        let body = serde_json::to_vec(&close).unwrap();
        let h = |tok: &str, uuid: &str| {
            vec![
                ("x-gitlab-event", "Issue Hook".to_owned()),
                ("x-gitlab-token", tok.to_owned()),
                ("idempotency-key", uuid.to_owned()),
            ]
        };
        let r = post(&ic.anonymous(), &path, &h("wrong", "g-0"), &body).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let r = post(&ic.anonymous(), &path, &h(&gl_secret, "g-1"), &body).await;
        assert_eq!(r.body["result"], "done", "{}", r.body);
        let a = ic.get(&format!("/api/v1/actions/{act}")).await.body;
        assert_eq!(a["status"], "done");
        // A time in the future (clocks differ) is taken as now, never later.
        let done_at =
            chrono::DateTime::parse_from_rfc3339(a["completed_at"].as_str().unwrap()).unwrap();
        assert!(done_at <= chrono::Utc::now());
        let mut reopen = fixture("gitlab-issue-reopen-webhook.json");
        reopen["object_attributes"]["iid"] = json!(iid.parse::<i64>().unwrap());
        let body = serde_json::to_vec(&reopen).unwrap();
        let r = post(&ic.anonymous(), &path, &h(&gl_secret, "g-2"), &body).await;
        assert_eq!(r.body["result"], "reopened", "{}", r.body);
        assert_eq!(
            ic.get(&format!("/api/v1/actions/{act}")).await.body["status"],
            "open"
        );
        let hist = ic.get(&format!("/api/v1/history/action/{act}")).await;
        assert!(
            hist.text.contains("through GitLab: GitLab"),
            "{}",
            hist.text
        );

        // Jira without a signing secret: the receive URL's token.
        let (jira, jira_secret) = tracker(
        &admin,
        &api,
        json!({"name": "Jira DC", "kind": "jira", "project": "OPS", "credentials": {"pat": "p"}}),
    )
    .await;
        let (act, key, _) = linked(&ic, jira, "Document the failover").await;
        let mut done = fixture("jira-issue-updated-webhook.json");
        done["issue"]["key"] = json!(key);
        let body = serde_json::to_vec(&done).unwrap();
        let path = format!("/api/v1/trackers/{jira}/receive");
        let r = post(&ic.anonymous(), &format!("{path}?token=nope"), &[], &body).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let r = post(
            &ic.anonymous(),
            &format!("{path}?token={jira_secret}"),
            &[],
            &body,
        )
        .await;
        assert_eq!(r.body["result"], "done", "{}", r.body);
        let a = ic.get(&format!("/api/v1/actions/{act}")).await.body;
        assert_eq!(a["status"], "done");
        assert_eq!(a["issue"]["state"], "Done");
        // Signed with X-Hub-Signature works too; back to To Do reopens.
        let mut back = fixture("jira-issue-reopened-webhook.json");
        back["issue"]["key"] = json!(key);
        let body = serde_json::to_vec(&back).unwrap();
        let r = post(
            &ic.anonymous(),
            &path,
            &[("x-hub-signature", sign(&jira_secret, &body))],
            &body,
        )
        .await;
        assert_eq!(r.body["result"], "reopened", "{}", r.body);
        assert_eq!(
            ic.get(&format!("/api/v1/actions/{act}")).await.body["status"],
            "open"
        );
        // Not JSON: 400, nothing changes.
        let r = post(
            &ic.anonymous(),
            &format!("{path}?token={jira_secret}"),
            &[],
            b"not json",
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }
);
