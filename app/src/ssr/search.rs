//! Full-text search behind one function: FTS5 on SQLite, `tsvector` on PostgreSQL.

use sea_orm::DbBackend;
use sea_orm::sea_query::SimpleExpr;

use crate::ssr::services::common::Sql;

/// The words of a query: runs of letters and digits, lower-cased, at most 12. Everything else
/// (quotes, operators, punctuation) is dropped, so user input can never be query syntax.
pub fn terms(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(12)
        .map(str::to_lowercase)
        .collect()
}

/// The words of `q` as the engine's query, bound into the SQL that `pg` or `sqlite` writes
/// around its placeholder. `None` when the query has no words.
fn matching(
    backend: DbBackend,
    q: &str,
    pg: impl Fn(&str) -> String,
    sqlite: impl Fn(&str) -> String,
) -> Option<SimpleExpr> {
    let words = terms(q);
    if words.is_empty() {
        return None;
    }
    let mut p = Sql::new();
    let sql = if backend == DbBackend::Postgres {
        let query: Vec<String> = words.iter().map(|w| format!("{w}:*")).collect();
        pg(&p.bind(query.join(" & ")))
    } else {
        let query: Vec<String> = words.iter().map(|w| format!("\"{w}\"*")).collect();
        sqlite(&p.bind(query.join(" ")))
    };
    Some(p.condition(backend, &sql))
}

/// A condition on `incidents.id`: the incident's title, summary or customer impact, or one of
/// its timeline events, contains every word (as a prefix, stemmed). `None` when the query has
/// no words.
pub fn incident_condition(backend: DbBackend, q: &str) -> Option<SimpleExpr> {
    matching(
        backend,
        q,
        |q| {
            format!(
                r#"("incidents"."search" @@ to_tsquery('english', {q}) OR "incidents"."id" IN (SELECT "incident_id" FROM "timeline_events" WHERE "search" @@ to_tsquery('english', {q})))"#
            )
        },
        |q| {
            format!(
                r#""incidents"."id" IN (SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH {q} UNION SELECT "incident_id" FROM "timeline_events" WHERE "id" IN (SELECT rowid FROM timeline_fts WHERE timeline_fts MATCH {q}))"#
            )
        },
    )
}

/// A condition on `known_errors.id`: its title, symptoms, root cause or workaround contains
/// every word (as a prefix, stemmed). `None` when the query has no words.
pub fn known_error_condition(backend: DbBackend, q: &str) -> Option<SimpleExpr> {
    matching(
        backend,
        q,
        |q| format!(r#""known_errors"."search" @@ to_tsquery('english', {q})"#),
        |q| {
            format!(
                r#""known_errors"."id" IN (SELECT rowid FROM known_errors_fts WHERE known_errors_fts MATCH {q})"#
            )
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_syntax_never_reaches_the_engine() {
        assert_eq!(
            terms(r#"Checkout "502" OR drop* -- table"#),
            ["checkout", "502", "or", "drop", "table"]
        );
        assert!(terms("  \"*\" ^ () ").is_empty());
        assert!(incident_condition(DbBackend::Sqlite, "***").is_none());
    }
}
