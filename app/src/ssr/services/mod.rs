//! The service layer: authorisation, validation and persistence. Server functions and REST
//! handlers both call these functions and nothing else.

pub mod actions;
pub mod incident_write;
pub mod incidents;
pub mod keys;
pub mod known_errors;
pub mod metrics;
pub mod postmortems;
pub mod reminders;
pub mod tokens;
pub mod transfer;
pub mod users;

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// Writes `am` to the row `id` only if its version is still `version` (optimistic locking).
/// `false` means someone else changed it first: the caller answers 409 and writes nothing.
pub async fn compare_and_set<A, E>(
    txn: &impl ConnectionTrait,
    am: A,
    id: (E::Column, i64),
    version: (E::Column, i32),
) -> crate::error::AppResult<bool>
where
    A: ActiveModelTrait<Entity = E>,
    E: EntityTrait,
{
    let res = E::update_many()
        .set(am)
        .filter(id.0.eq(id.1))
        .filter(version.0.eq(version.1))
        .exec(txn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Adds an error for a text field holding NUL (PostgreSQL cannot store it) or longer than
/// `max` characters: the one text check of every service.
pub(crate) fn check_text(
    bad: &mut Vec<crate::error::FieldError>,
    field: &str,
    text: &str,
    max: usize,
) {
    if text.contains('\0') {
        bad.push(crate::error::FieldError::new(
            field,
            "must not contain the NUL character",
        ));
    } else if text.chars().count() > max {
        bad.push(crate::error::FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
}

/// A custom SQL condition with `?` marks for its values, written for the connection's
/// database: sea-query replaces only the backend's own mark (`?` on SQLite, `$n` on
/// PostgreSQL), so the marks are renumbered for PostgreSQL here. The SQL text must hold no
/// other `?`.
pub(crate) fn cust_sql(
    backend: sea_orm::DbBackend,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> sea_orm::sea_query::Expr {
    let sql = if backend == sea_orm::DbBackend::Postgres {
        let mut out = String::with_capacity(sql.len() + 8);
        let mut n = 0;
        for c in sql.chars() {
            if c == '?' {
                n += 1;
                out.push_str(&format!("${n}"));
            } else {
                out.push(c);
            }
        }
        out
    } else {
        sql.to_owned()
    };
    sea_orm::sea_query::Expr::cust_with_values(sql, values)
}
