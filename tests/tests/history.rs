//! A record's history through the REST API, on SQLite and PostgreSQL: every kind of record the
//! audit log keeps answers, newest entry first; a kind it does not keep is a 404.

use app::domain::RecordType;
use axum::http::StatusCode;
use serde_json::json;
use tests::db_test;
use tests::http::{declare, responder};

db_test!(history_by_record_type, |db| {
    let c = responder(&db).await;
    declare(&c, json!({"title": "Checkout down", "severity": "sev2"})).await;
    c.patch("/api/v1/incidents/INC-1", json!({"status": "identified"}))
        .await;
    let h = c.get("/api/v1/history/incident/INC-1").await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.body);
    let list = h.body.as_array().unwrap();
    assert_eq!(list[0]["action"], "update", "newest first: {}", h.body);
    assert!(list.iter().any(|e| e["action"] == "create"));

    // Every kind the log keeps is an address; an unknown one is a 404, not an empty list.
    for t in RecordType::ALL {
        let r = c.get(&format!("/api/v1/history/{t}/none")).await;
        assert_eq!(r.status, StatusCode::OK, "{t}");
        assert_eq!(r.body, json!([]));
    }
    for bad in ["incidents", "audit_log", "INCIDENT"] {
        let r = c.get(&format!("/api/v1/history/{bad}/INC-1")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}: {}", r.body);
        assert!(r.body["error"]["message"].as_str().unwrap().contains(bad));
    }
});
