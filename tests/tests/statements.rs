//! The SQL statements each page and API read runs, counted on SQLite and PostgreSQL with the
//! connection's metric callback: a page's count does not grow with its data (more timeline
//! entries, actions, comments and incidents change nothing), and stays within its budget.
//! Prints the counts (`cargo test -p tests --test statements -- --nocapture`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: failing loudly is the point

use std::sync::{Arc, Mutex};

use app::domain::Role;
use axum::http::StatusCode;
use sea_orm::DatabaseConnection;
use serde_json::json;
use tests::db_test;
use tests::http::{Client, created, signed_in};

type Log = Arc<Mutex<Vec<String>>>;

/// Held by each test of this file while it runs: they run one at a time. Two of them side by
/// side, one on SQLite and one on PostgreSQL (never side by side in one server), now and then
/// left a page read waiting forever in one of them (about one run in six; never in 25 runs
/// one at a time, nor with two SQLite or two PostgreSQL tests side by side).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `db` with every statement it runs written to the log.
fn counted(db: DatabaseConnection) -> (DatabaseConnection, Log) {
    let mut db = db;
    let log: Log = Arc::default();
    let l = log.clone();
    db.set_metric_callback(move |i| l.lock().unwrap().push(i.statement.sql.clone()));
    (db, log)
}

/// The statements one GET of `path` runs.
async fn statements(c: &Client, log: &Log, path: &str) -> Vec<String> {
    log.lock().unwrap().clear();
    let r = c.get(path).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    std::mem::take(&mut *log.lock().unwrap())
}

/// An incident with `events` timeline entries, `actions` actions and `comments` comments.
async fn incident(c: &Client, n: usize) -> String {
    let i = created(
        c,
        "/api/v1/incidents",
        json!({"title": format!("Checkout errors {n}"), "severity": "sev2",
               "services": ["checkout", "payments"], "tags": ["db"]}),
    )
    .await;
    let key = i["key"].as_str().unwrap().to_owned();
    grow(c, &key, 2).await;
    key
}

/// Adds `n` timeline entries, actions and comments to incident `key`.
async fn grow(c: &Client, key: &str, n: usize) {
    for j in 0..n {
        created(
            c,
            &format!("/api/v1/incidents/{key}/timeline"),
            json!({"kind": "note", "body": format!("Step {j}")}),
        )
        .await;
        created(
            c,
            "/api/v1/actions",
            json!({"title": format!("Fix {j}"), "incident": key, "owner": "ic@example.org",
                   "team": "payments", "due_date": "2026-12-20"}),
        )
        .await;
        created(
            c,
            &format!("/api/v1/incidents/{key}/comments"),
            json!({"body": format!("Comment {j} for @ic@example.org")}),
        )
        .await;
    }
}

const PAGES: [&str; 9] = [
    "/incidents/{key}",
    "/incidents",
    "/actions/all",
    "/actions",
    "/dashboard",
    "/api/v1/incidents/{key}",
    "/api/v1/incidents?limit=50",
    "/api/v1/actions?limit=50",
    "/api/v1/metrics",
];

async fn counts(c: &Client, log: &Log, key: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for p in PAGES {
        let path = p.replace("{key}", key);
        // The first read fills what a process keeps between requests (settings and label
        // lists for a few seconds); of the next three the one with fewest statements is
        // counted, so a cache that expires between two reads on a busy machine does not count
        // as growth.
        statements(c, log, &path).await;
        let mut fewest = statements(c, log, &path).await;
        for _ in 0..2 {
            let next = statements(c, log, &path).await;
            if next.len() < fewest.len() {
                fewest = next;
            }
        }
        out.push((p.to_owned(), fewest));
    }
    out
}

db_test!(statements_per_page_do_not_grow_with_the_data, |db| {
    let _turn = ONE_AT_A_TIME.lock().await;
    let (db, log) = counted(db);
    let ic = signed_in(&db, "ic@example.org", Role::Responder).await;
    let key = incident(&ic, 0).await;
    let before = counts(&ic, &log, &key).await;
    // Ten times the timeline, actions and comments, and more incidents.
    grow(&ic, &key, 18).await;
    for n in 1..6 {
        incident(&ic, n).await;
    }
    let after = counts(&ic, &log, &key).await;
    eprintln!("{:<28} {:>5} {:>5}", "page", "small", "large");
    for ((page, a), (_, b)) in before.iter().zip(&after) {
        eprintln!("{page:<28} {:>5} {:>5}", a.len(), b.len());
        // `STATEMENTS_SHOW=1`: each page's statements, to see what a page runs.
        if std::env::var_os("STATEMENTS_SHOW").is_some() {
            for s in b {
                eprintln!("    {}", s.chars().take(220).collect::<String>());
            }
        }
    }
    for ((page, a), (_, b)) in before.iter().zip(&after) {
        assert_eq!(
            a.len(),
            b.len(),
            "{page} ran more statements with more data:\n{}\n---\n{}",
            a.join("\n"),
            b.join("\n")
        );
    }
});

db_test!(the_incident_page_reads_its_incident_once, |db| {
    let _turn = ONE_AT_A_TIME.lock().await;
    let (db, log) = counted(db);
    let ic = signed_in(&db, "ic@example.org", Role::Responder).await;
    let key = incident(&ic, 0).await;
    let by_key = |all: &[String]| {
        all.iter()
            .filter(|s| s.contains(r#"FROM "incidents" WHERE "incidents"."seq" = "#))
            .count()
    };
    // The header, timeline, alerts, actions, known errors, suggestions and comments each find
    // the incident by its key; while the page renders they share one read.
    let page = statements(&ic, &log, &format!("/incidents/{key}")).await;
    assert_eq!(by_key(&page), 1, "{}", page.join("\n"));
    // A second view reads it again (nothing is kept between requests) …
    let again = statements(&ic, &log, &format!("/incidents/{key}")).await;
    assert_eq!(by_key(&again), 1);
    // … and so does each API read.
    statements(&ic, &log, &format!("/api/v1/incidents/{key}")).await;
    let api = statements(&ic, &log, &format!("/api/v1/incidents/{key}")).await;
    assert_eq!(by_key(&api), 1);
});
