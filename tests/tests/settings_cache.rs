//! The settings a process keeps between requests (the session's idle limit is read on every
//! signed-in request): served from memory, read again after this process changes them or
//! once older than `CACHE_FOR` (another process's change). Its own binary: the change
//! counter is process-wide, and other tests' changes would refill the cache under it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: failing loudly is the point

use std::sync::{Arc, Mutex};

use app::ssr::services::settings;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};

type Log = Arc<Mutex<Vec<String>>>;

fn counted(db: DatabaseConnection) -> (DatabaseConnection, Log) {
    let mut db = db;
    let log: Log = Arc::default();
    let l = log.clone();
    db.set_metric_callback(move |i| l.lock().unwrap().push(i.statement.sql.clone()));
    (db, log)
}

#[tokio::test]
async fn settings_are_kept_between_requests_and_read_again_after_a_change() {
    let (db, log) = counted(tests::sqlite_db().await);
    let cache = settings::Cache::default();
    assert_eq!(cache.get(&db).await.unwrap().session_idle_minutes, 30);
    log.lock().unwrap().clear();
    cache.get(&db).await.unwrap();
    assert!(log.lock().unwrap().is_empty(), "served from the cache");
    // Another process's change is seen once the cache is older than CACHE_FOR; this
    // process's own change at once.
    app::ssr::entities::setting::ActiveModel {
        key: Set("session_idle_minutes".into()),
        value: Set("10".into()),
        updated_at: Set(0),
        updated_by: Set(None),
        version: Set(1),
    }
    .insert(&db)
    .await
    .unwrap();
    assert_eq!(cache.get(&db).await.unwrap().session_idle_minutes, 30);
    settings::changed();
    assert_eq!(cache.get(&db).await.unwrap().session_idle_minutes, 10);
    assert_eq!(log.lock().unwrap().len(), 2, "the insert, then one read");
    assert!(settings::CACHE_FOR <= std::time::Duration::from_secs(5));

    // A change through the service (one test: the counter is shared by this binary's tests).
    let db = tests::sqlite_db().await;
    let cache = settings::Cache::default();
    assert_eq!(cache.get(&db).await.unwrap().session_idle_minutes, 30);
    let admin = tests::http::admin(&db).await;
    let r = admin
        .patch(
            "/api/v1/settings",
            serde_json::json!({"session_idle_minutes": 45}),
        )
        .await;
    assert_eq!(r.status, axum::http::StatusCode::OK, "{}", r.body);
    assert_eq!(cache.get(&db).await.unwrap().session_idle_minutes, 45);
}
