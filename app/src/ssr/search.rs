//! Full-text search behind one function: FTS5 on SQLite, `tsvector` on PostgreSQL.

use sea_orm::DbBackend;
use sea_orm::sea_query::{Expr, SimpleExpr};

/// The words of a query: runs of letters and digits, lower-cased, at most 12. Everything else
/// (quotes, operators, punctuation) is dropped, so user input can never be query syntax.
pub fn terms(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(12)
        .map(str::to_lowercase)
        .collect()
}

/// A condition on `incidents.id`: the incident's title, summary or customer impact, or one of
/// its timeline events, contains every word (as a prefix, stemmed). `None` when the query has
/// no words.
pub fn incident_condition(backend: DbBackend, q: &str) -> Option<SimpleExpr> {
    let words = terms(q);
    if words.is_empty() {
        return None;
    }
    Some(match backend {
        DbBackend::Postgres => {
            let query = words
                .iter()
                .map(|w| format!("{w}:*"))
                .collect::<Vec<_>>()
                .join(" & ");
            Expr::cust_with_values(
                r#"("incidents"."search" @@ to_tsquery('english', $1) OR "incidents"."id" IN (SELECT "incident_id" FROM "timeline_events" WHERE "search" @@ to_tsquery('english', $2)))"#,
                [query.clone(), query],
            )
        }
        _ => {
            let query = words
                .iter()
                .map(|w| format!("\"{w}\"*"))
                .collect::<Vec<_>>()
                .join(" ");
            Expr::cust_with_values(
                r#""incidents"."id" IN (SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH ? UNION SELECT "incident_id" FROM "timeline_events" WHERE "id" IN (SELECT rowid FROM timeline_fts WHERE timeline_fts MATCH ?))"#,
                [query.clone(), query],
            )
        }
    })
}

/// A condition on `known_errors.id`: its title, symptoms, root cause or workaround contains
/// every word (as a prefix, stemmed). `None` when the query has no words.
pub fn known_error_condition(backend: DbBackend, q: &str) -> Option<SimpleExpr> {
    let words = terms(q);
    if words.is_empty() {
        return None;
    }
    Some(match backend {
        DbBackend::Postgres => {
            let query = words
                .iter()
                .map(|w| format!("{w}:*"))
                .collect::<Vec<_>>()
                .join(" & ");
            Expr::cust_with_values(
                r#""known_errors"."search" @@ to_tsquery('english', $1)"#,
                [query],
            )
        }
        _ => {
            let query = words
                .iter()
                .map(|w| format!("\"{w}\"*"))
                .collect::<Vec<_>>()
                .join(" ");
            Expr::cust_with_values(
                r#""known_errors"."id" IN (SELECT rowid FROM known_errors_fts WHERE known_errors_fts MATCH ?)"#,
                [query],
            )
        }
    })
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
