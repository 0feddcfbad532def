//! Known errors: full-text search for the list (FTS5 on SQLite, a generated `tsvector` with a
//! GIN index on PostgreSQL, like incidents), and the inverted index the suggestions rank
//! with (`known_error_terms`, one row per known error and stemmed term, plus each known
//! error's length in terms).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum KnownErrors {
    Table,
    Id,
    TermCount,
}

#[derive(DeriveIden, Clone, Copy)]
enum KnownErrorTerms {
    Table,
    KnownErrorId,
    Term,
    Tf,
}

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE IF NOT EXISTS known_errors_fts USING fts5(title, symptoms, root_cause, workaround, content='known_errors', content_rowid='id', tokenize='porter unicode61')",
    "CREATE TRIGGER IF NOT EXISTS known_errors_fts_ai AFTER INSERT ON known_errors BEGIN \
       INSERT INTO known_errors_fts(rowid, title, symptoms, root_cause, workaround) VALUES (new.id, new.title, new.symptoms, new.root_cause, new.workaround); END",
    "CREATE TRIGGER IF NOT EXISTS known_errors_fts_ad AFTER DELETE ON known_errors BEGIN \
       INSERT INTO known_errors_fts(known_errors_fts, rowid, title, symptoms, root_cause, workaround) VALUES ('delete', old.id, old.title, old.symptoms, old.root_cause, old.workaround); END",
    "CREATE TRIGGER IF NOT EXISTS known_errors_fts_au AFTER UPDATE OF title, symptoms, root_cause, workaround ON known_errors BEGIN \
       INSERT INTO known_errors_fts(known_errors_fts, rowid, title, symptoms, root_cause, workaround) VALUES ('delete', old.id, old.title, old.symptoms, old.root_cause, old.workaround); \
       INSERT INTO known_errors_fts(rowid, title, symptoms, root_cause, workaround) VALUES (new.id, new.title, new.symptoms, new.root_cause, new.workaround); END",
    "INSERT INTO known_errors_fts(known_errors_fts) VALUES ('rebuild')",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS known_errors_fts_ai",
    "DROP TRIGGER IF EXISTS known_errors_fts_ad",
    "DROP TRIGGER IF EXISTS known_errors_fts_au",
    "DROP TABLE IF EXISTS known_errors_fts",
];

const PG_UP: &[&str] = &[
    "ALTER TABLE known_errors ADD COLUMN IF NOT EXISTS search tsvector GENERATED ALWAYS AS \
       (to_tsvector('english', coalesce(title, '') || ' ' || coalesce(symptoms, '') || ' ' || coalesce(root_cause, '') || ' ' || coalesce(workaround, ''))) STORED",
    "CREATE INDEX IF NOT EXISTS idx_known_errors_search ON known_errors USING GIN (search)",
];

const PG_DOWN: &[&str] = &[
    "DROP INDEX IF EXISTS idx_known_errors_search",
    "ALTER TABLE known_errors DROP COLUMN IF EXISTS search",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(KnownErrors::Table)
                .add_column(integer(KnownErrors::TermCount).default(0))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(KnownErrorTerms::Table)
                .if_not_exists()
                .col(string(KnownErrorTerms::Term))
                .col(big_integer(KnownErrorTerms::KnownErrorId))
                .col(integer(KnownErrorTerms::Tf))
                .primary_key(
                    Index::create()
                        .col(KnownErrorTerms::Term)
                        .col(KnownErrorTerms::KnownErrorId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(KnownErrorTerms::Table, KnownErrorTerms::KnownErrorId)
                        .to(KnownErrors::Table, KnownErrors::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(crate::index(
            "idx_known_error_terms_ke",
            KnownErrorTerms::Table,
            &[KnownErrorTerms::KnownErrorId],
        ))
        .await?;
        let statements = match m.get_database_backend() {
            DbBackend::Sqlite => SQLITE_UP,
            _ => PG_UP,
        };
        for sql in statements {
            m.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let statements = match m.get_database_backend() {
            DbBackend::Sqlite => SQLITE_DOWN,
            _ => PG_DOWN,
        };
        for sql in statements {
            m.get_connection().execute_unprepared(sql).await?;
        }
        m.drop_table(Table::drop().table(KnownErrorTerms::Table).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(KnownErrors::Table)
                .drop_column(KnownErrors::TermCount)
                .to_owned(),
        )
        .await
    }
}
