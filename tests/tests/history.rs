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

db_test!(a_stored_action_the_server_never_writes_is_an_error, |db| {
    use app::ssr::entities::audit_log;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let c = responder(&db).await;
    declare(&c, json!({"title": "Queue stuck", "severity": "sev3"})).await;
    let h = c.get("/api/v1/history/incident/INC-1").await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.body);
    assert_eq!(h.body[0]["action"], "create");
    // Changed outside Hindsight (by someone who removed the append-only guard): the history
    // says something is wrong instead of showing it.
    use sea_orm::ConnectionTrait;
    let drop_guard = match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => "DROP TRIGGER audit_log_no_update",
        _ => "DROP TRIGGER audit_log_no_change ON audit_log",
    };
    db.execute_unprepared(drop_guard).await.unwrap();
    audit_log::Entity::update_many()
        .col_expr(audit_log::Column::Action, Expr::value("frobnicate"))
        .filter(audit_log::Column::RecordKey.eq("INC-1"))
        .exec(&db)
        .await
        .unwrap();
    let h = c.get("/api/v1/history/incident/INC-1").await;
    assert_eq!(h.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", h.body);
    assert!(!h.body.to_string().contains("frobnicate"), "{}", h.body);
});
