//! Test harness: databases for service tests (in-memory SQLite, and a fresh PostgreSQL
//! database per test when `TEST_DATABASE_URL` is set), and the pieces of the browser tests.

pub mod browser;

use std::sync::atomic::{AtomicU32, Ordering};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

/// A migrated in-memory SQLite database.
pub async fn sqlite_db() -> DatabaseConnection {
    app::ssr::db::connect_and_migrate("sqlite::memory:")
        .await
        .expect("in-memory SQLite opens and migrates")
}

/// A fresh PostgreSQL database, dropped again when this value goes away.
pub struct PgTestDb {
    pub db: DatabaseConnection,
    base_url: String,
    name: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let scheme_end = head.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match head[scheme_end..].find('/') {
        Some(i) => &head[..scheme_end + i],
        None => head,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl PgTestDb {
    /// A new, migrated database on the server of `TEST_DATABASE_URL`, or `None` without it.
    pub async fn create() -> Option<Self> {
        let base_url = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|s| !s.is_empty())?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "hs_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            nanos
        );
        let admin = Database::connect(&base_url)
            .await
            .expect("TEST_DATABASE_URL is reachable");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("test database can be created");
        admin.close().await.ok();
        let db = app::ssr::db::connect_and_migrate(&with_database(&base_url, &name))
            .await
            .expect("test database migrates");
        Some(Self { db, base_url, name })
    }
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        let base_url = self.base_url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime: do the async clean-up on a thread of its own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(admin) = Database::connect(&base_url).await {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

/// Runs the same test body on in-memory SQLite and, when `TEST_DATABASE_URL` is set, on a
/// fresh PostgreSQL database; without it the PostgreSQL half says it was skipped.
#[macro_export]
macro_rules! db_test {
    ($name:ident, |$db:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let $db = $crate::sqlite_db().await;
                $body
            }

            #[tokio::test]
            async fn postgres() {
                let Some(pg) = $crate::PgTestDb::create().await else {
                    eprintln!("skipped: TEST_DATABASE_URL is not set, so the PostgreSQL half did not run");
                    return;
                };
                let $db = pg.db.clone();
                $body
                drop(pg);
            }
        }
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_names_are_replaced_in_urls() {
        assert_eq!(
            super::with_database("postgres://u:p@localhost:5432/base?sslmode=disable", "x"),
            "postgres://u:p@localhost:5432/x?sslmode=disable"
        );
        assert_eq!(
            super::with_database("postgres://u@h/base", "y"),
            "postgres://u@h/y"
        );
        assert_eq!(
            super::with_database("postgres://u@h", "z"),
            "postgres://u@h/z"
        );
    }
}

/// Rows written straight through the entities, for tests that need data before the
/// corresponding write services exist or that must not depend on them.
pub mod seed {
    use app::domain::{IncidentStatus, Severity};
    use app::ssr::entities::{incident, incident_service};
    use chrono::{DateTime, Utc};
    use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

    pub async fn incident(
        db: &impl ConnectionTrait,
        seq: i64,
        title: &str,
        severity: Severity,
        status: IncidentStatus,
        services: &[&str],
        detected_at: DateTime<Utc>,
    ) -> incident::Model {
        let ms = detected_at.timestamp_millis();
        let resolved = matches!(status, IncidentStatus::Resolved | IncidentStatus::Closed)
            .then_some(ms + 90 * 60_000);
        let m = incident::ActiveModel {
            key: Set(format!("INC-{seq}")),
            seq: Set(seq),
            title: Set(title.to_owned()),
            severity: Set(severity),
            status: Set(status),
            summary: Set(String::new()),
            customer_impact: Set(String::new()),
            detected_at: Set(ms),
            resolved_at: Set(resolved),
            closed_at: Set((status == IncidentStatus::Closed).then_some(ms + 120 * 60_000)),
            reopen_count: Set(0),
            created_at: Set(ms),
            updated_at: Set(ms),
            version: Set(1),
            ..Default::default()
        }
        .insert(db)
        .await
        .expect("incident row");
        for s in services {
            incident_service::ActiveModel {
                incident_id: Set(m.id),
                service: Set((*s).to_owned()),
            }
            .insert(db)
            .await
            .expect("service row");
        }
        m
    }
}
