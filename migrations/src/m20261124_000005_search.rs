//! Full-text search over incidents (title, summary, customer impact) and their timelines:
//! FTS5 tables kept in step by triggers on SQLite, generated `tsvector` columns with GIN
//! indexes on PostgreSQL. Both stem English words (porter / `english`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE IF NOT EXISTS incidents_fts USING fts5(title, summary, customer_impact, content='incidents', content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER IF NOT EXISTS incidents_fts_ai AFTER INSERT ON incidents BEGIN \
       INSERT INTO incidents_fts(rowid, title, summary, customer_impact) VALUES (new.id, new.title, new.summary, new.customer_impact); END",
    "CREATE TRIGGER IF NOT EXISTS incidents_fts_ad AFTER DELETE ON incidents BEGIN \
       INSERT INTO incidents_fts(incidents_fts, rowid, title, summary, customer_impact) VALUES ('delete', old.id, old.title, old.summary, old.customer_impact); END",
    "CREATE TRIGGER IF NOT EXISTS incidents_fts_au AFTER UPDATE OF title, summary, customer_impact ON incidents BEGIN \
       INSERT INTO incidents_fts(incidents_fts, rowid, title, summary, customer_impact) VALUES ('delete', old.id, old.title, old.summary, old.customer_impact); \
       INSERT INTO incidents_fts(rowid, title, summary, customer_impact) VALUES (new.id, new.title, new.summary, new.customer_impact); END",
    "CREATE VIRTUAL TABLE IF NOT EXISTS timeline_fts USING fts5(body, content='timeline_events', content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER IF NOT EXISTS timeline_fts_ai AFTER INSERT ON timeline_events BEGIN \
       INSERT INTO timeline_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER IF NOT EXISTS timeline_fts_ad AFTER DELETE ON timeline_events BEGIN \
       INSERT INTO timeline_fts(timeline_fts, rowid, body) VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER IF NOT EXISTS timeline_fts_au AFTER UPDATE OF body ON timeline_events BEGIN \
       INSERT INTO timeline_fts(timeline_fts, rowid, body) VALUES ('delete', old.id, old.body); \
       INSERT INTO timeline_fts(rowid, body) VALUES (new.id, new.body); END",
    "INSERT INTO incidents_fts(incidents_fts) VALUES ('rebuild')",
    "INSERT INTO timeline_fts(timeline_fts) VALUES ('rebuild')",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS incidents_fts_ai",
    "DROP TRIGGER IF EXISTS incidents_fts_ad",
    "DROP TRIGGER IF EXISTS incidents_fts_au",
    "DROP TRIGGER IF EXISTS timeline_fts_ai",
    "DROP TRIGGER IF EXISTS timeline_fts_ad",
    "DROP TRIGGER IF EXISTS timeline_fts_au",
    "DROP TABLE IF EXISTS incidents_fts",
    "DROP TABLE IF EXISTS timeline_fts",
];

const PG_UP: &[&str] = &[
    "ALTER TABLE incidents ADD COLUMN IF NOT EXISTS search tsvector GENERATED ALWAYS AS \
       (to_tsvector('english', coalesce(title, '') || ' ' || coalesce(summary, '') || ' ' || coalesce(customer_impact, ''))) STORED",
    "CREATE INDEX IF NOT EXISTS idx_incidents_search ON incidents USING GIN (search)",
    "ALTER TABLE timeline_events ADD COLUMN IF NOT EXISTS search tsvector GENERATED ALWAYS AS (to_tsvector('english', coalesce(body, ''))) STORED",
    "CREATE INDEX IF NOT EXISTS idx_timeline_search ON timeline_events USING GIN (search)",
];

const PG_DOWN: &[&str] = &[
    "DROP INDEX IF EXISTS idx_timeline_search",
    "ALTER TABLE timeline_events DROP COLUMN IF EXISTS search",
    "DROP INDEX IF EXISTS idx_incidents_search",
    "ALTER TABLE incidents DROP COLUMN IF EXISTS search",
];

async fn run(m: &SchemaManager<'_>, sqlite: &[&str], pg: &[&str]) -> Result<(), DbErr> {
    let statements = match m.get_database_backend() {
        DbBackend::Sqlite => sqlite,
        _ => pg,
    };
    for sql in statements {
        m.get_connection().execute_unprepared(sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        run(m, SQLITE_UP, PG_UP).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        run(m, SQLITE_DOWN, PG_DOWN).await
    }
}
