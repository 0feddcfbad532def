//! Conditions that a dashboard figure and the list it opens both apply, written once so the two
//! cannot drift apart: the incident scope (severity, service), recurrence, RCA due and root
//! cause. Each returns SQL over a table alias with its values bound in `p`.

use crate::domain::{PostmortemStatus, RootCauseCategory, Severity};

use super::sql::Sql;

/// The incident filter of the metrics and lists: a severity, and a service the incident
/// affected. ` AND …` conditions on `i` (empty for no filter).
pub fn incident_scope(
    p: &mut Sql,
    i: &str,
    severity: Option<Severity>,
    service: Option<&str>,
) -> String {
    let mut c = String::new();
    if let Some(s) = severity {
        c += &format!(" AND {i}.severity = {}", p.bind(s.as_str()));
    }
    if let Some(svc) = service {
        c += &format!(
            " AND EXISTS (SELECT 1 FROM incident_services fs WHERE fs.incident_id = {i}.id AND fs.service = {})",
            p.bind(svc)
        );
    }
    c
}

/// The incident, through its link `l` to a known error, recurs: another incident linked to
/// the same known error was detected strictly earlier than `i`.
pub fn recurs_through(l: &str, i: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM known_error_incidents l2 JOIN incidents j ON j.id = l2.incident_id \
         WHERE l2.known_error_id = {l}.known_error_id AND j.detected_at < {i}.detected_at)"
    )
}

/// `i` is a recurrence (the SPEC's recurrence rate counts these).
pub fn recurring(i: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM known_error_incidents l1 WHERE l1.incident_id = {i}.id AND {})",
        recurs_through("l1", i)
    )
}

/// The postmortem `pm` is published (for a join on the incident's postmortem).
pub fn published(p: &mut Sql, pm: &str) -> String {
    format!(
        "{pm}.status = {}",
        p.bind(PostmortemStatus::Published.as_str())
    )
}

/// `i` has a published postmortem (without a join).
pub fn has_published_postmortem(p: &mut Sql, i: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM postmortems pm WHERE pm.incident_id = {i}.id AND {})",
        published(p, "pm")
    )
}

/// The RCA-completion rule's population: a resolved sev1 or sev2 incident whose RCA is either
/// done (`is_published`, the caller's spelling of "its postmortem is published") or past its
/// deadline at `as_of_ms`.
pub fn rca_due(p: &mut Sql, i: &str, is_published: &str, as_of_ms: i64) -> String {
    format!(
        "{i}.severity IN ({}, {}) AND {i}.resolved_at IS NOT NULL AND ({is_published} OR {i}.rca_due_at < {})",
        p.bind(Severity::Sev1.as_str()),
        p.bind(Severity::Sev2.as_str()),
        p.bind(as_of_ms)
    )
}

/// The join of `i` to its postmortem `pm` when that names a root-cause category (the drivers
/// group by it).
pub fn root_cause_join(i: &str) -> String {
    format!("JOIN postmortems pm ON pm.incident_id = {i}.id AND pm.root_cause_category IS NOT NULL")
}

/// `i`'s postmortem names `category` (the list a root-cause driver opens).
pub fn root_cause_is(p: &mut Sql, i: &str, category: RootCauseCategory) -> String {
    format!(
        "EXISTS (SELECT 1 FROM postmortems pm WHERE pm.incident_id = {i}.id AND pm.root_cause_category = {})",
        p.bind(category.as_str())
    )
}

/// A row of `P` has a child row in `C` (joined by `fk` on `P`'s `id`) whose `col` is `value`:
/// a correlated `EXISTS`, one primary-key probe per row, so a newest-first index walk can stop
/// after one page (an `IN` list would first collect every match).
pub fn has_child<P, C>(
    parent_id: P::Column,
    fk: C::Column,
    col: C::Column,
    value: impl Into<sea_orm::Value>,
) -> sea_orm::sea_query::SimpleExpr
where
    P: sea_orm::EntityTrait + Default,
    C: sea_orm::EntityTrait + Default,
{
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(C::default())
            .and_where(Expr::col((C::default(), fk)).equals((P::default(), parent_id)))
            .and_where(Expr::col((C::default(), col)).eq(value.into()))
            .to_owned(),
    )
}

/// Actions with a deadline ahead of their owner: open work with a due date, and done work
/// that waits for a verification with a verification deadline. `by` keeps the deadlines on
/// or before it (the reminders' horizon); `None` keeps every dated one (the calendar feed).
pub fn action_deadlines(by: Option<chrono::NaiveDate>) -> sea_orm::Condition {
    use crate::domain::ActionStatus;
    use crate::ssr::entities::action;
    use sea_orm::{ColumnTrait, Condition};
    let dated = |col: action::Column| match by {
        Some(d) => col.lte(d),
        None => col.is_not_null(),
    };
    Condition::any()
        .add(
            Condition::all()
                .add(action::Column::Status.is_in([ActionStatus::Open, ActionStatus::InProgress]))
                .add(dated(action::Column::DueDate)),
        )
        .add(
            Condition::all()
                .add(action::Column::Status.eq(ActionStatus::Done))
                .add(action::Column::VerificationRequired.eq(true))
                .add(dated(action::Column::VerificationDue)),
        )
}
