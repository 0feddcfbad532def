//! The one builder of hand-written SQL: values are bound as numbered parameters (`$1`, …),
//! never spliced into the text. A whole statement runs as it is on both databases; a
//! condition inside a sea-orm query is respelled for the backend, since sea-query replaces
//! only its own marks there (`?` in order on SQLite, `$n` on PostgreSQL).

use sea_orm::sea_query::Expr;
use sea_orm::{DbBackend, Statement, Value};

/// Bound values and the placeholders that name them.
#[derive(Debug, Default)]
pub struct Sql {
    values: Vec<Value>,
}

impl Sql {
    pub fn new() -> Self {
        Self::default()
    }

    /// Binds a value; returns its placeholder (`$n`), which may appear more than once.
    pub fn bind(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        format!("${}", self.values.len())
    }

    /// Placeholders of a list, for `IN (…)`.
    pub fn bind_all<V: Into<Value>>(&mut self, vs: impl IntoIterator<Item = V>) -> String {
        vs.into_iter()
            .map(|v| self.bind(v))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A whole statement.
    pub fn statement(self, backend: DbBackend, sql: impl Into<String>) -> Statement {
        Statement::from_sql_and_values(backend, sql.into(), self.values)
    }

    /// A condition for a sea-orm query's `filter`.
    pub fn condition(self, backend: DbBackend, sql: &str) -> Expr {
        match backend {
            DbBackend::Postgres => Expr::cust_with_values(sql.to_owned(), self.values),
            _ => {
                let (text, order) = positional(sql);
                let values = order
                    .into_iter()
                    .filter_map(|n| self.values.get(n - 1).cloned())
                    .collect::<Vec<_>>();
                Expr::cust_with_values(text, values)
            }
        }
    }
}

/// `$n` marks (outside quotes) → `?`, with the value number each one stands for, in order.
fn positional(sql: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(sql.len());
    let mut order = Vec::new();
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), _) if c == q => {
                quote = None;
                out.push(c);
            }
            (Some(_), _) => out.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                out.push(c);
            }
            (None, '$') if chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut n = 0usize;
                while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
                    n = n * 10 + d as usize;
                    chars.next();
                }
                order.push(n);
                out.push('?');
            }
            (None, _) => out.push(c),
        }
    }
    (out, order)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{Query, SqliteQueryBuilder};

    #[test]
    fn marks_become_positional_in_use_order_outside_quotes() {
        let (text, order) = positional(r#"a = $2 AND "x$1" = '$1' AND b IN ($1, $2, $10)"#);
        assert_eq!(text, r#"a = ? AND "x$1" = '$1' AND b IN (?, ?, ?)"#);
        assert_eq!(order, [2, 1, 2, 10]);
    }

    #[test]
    fn a_reused_value_is_bound_again_on_sqlite() {
        let mut p = Sql::new();
        let a = p.bind(5);
        let cond = p.condition(DbBackend::Sqlite, &format!("x < {a} OR y < {a}"));
        let (sql, values) = Query::select()
            .expr(Expr::val(1))
            .and_where(cond)
            .build(SqliteQueryBuilder);
        assert_eq!(sql, "SELECT ? WHERE x < ? OR y < ?");
        assert_eq!(values.0.len(), 3);
    }
}
