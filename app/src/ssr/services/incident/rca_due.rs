//! The RCA deadline: the incident owns it (`rca_due_at`, from its severity and resolution);
//! its postmortem row carries a copy for the postmortem list's index, which only this module
//! writes, so the postmortem aggregate never has to be told of an incident change.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{CaseStatement, Expr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::domain::Severity;
use crate::error::AppResult;
use crate::ssr::entities::{incident, postmortem};
use crate::ssr::services::settings::OrgSettings;
use crate::ssr::{from_ms, to_ms};

pub fn rca_due(
    s: &OrgSettings,
    severity: Severity,
    resolved_at: Option<DateTime<Utc>>,
) -> Option<i64> {
    s.rca_deadlines
        .due_at(&s.calendar(), severity, resolved_at)
        .map(to_ms)
}

/// Keeps a postmortem's `due_at` equal to its incident's `rca_due_at` after an incident change.
pub async fn sync_due(
    txn: &impl ConnectionTrait,
    incident_id: i64,
    due: Option<i64>,
) -> AppResult<()> {
    postmortem::Entity::update_many()
        .col_expr(postmortem::Column::DueAt, Expr::value(due))
        .filter(postmortem::Column::IncidentId.eq(incident_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Recomputes every RCA due date after the calendar or the deadlines changed: the
/// incidents' `rca_due_at` and their postmortems' `due_at`, in batches of one statement each.
pub async fn recompute_due(txn: &impl ConnectionTrait, s: &OrgSettings) -> AppResult<usize> {
    let rows: Vec<(i64, Severity, i64, Option<i64>)> = incident::Entity::find()
        .select_only()
        .column(incident::Column::Id)
        .column(incident::Column::Severity)
        .column(incident::Column::ResolvedAt)
        .column(incident::Column::RcaDueAt)
        .filter(incident::Column::ResolvedAt.is_not_null())
        .into_tuple()
        .all(txn)
        .await?;
    let cal = s.calendar();
    let changed: Vec<(i64, Option<i64>)> = rows
        .into_iter()
        .filter_map(|(id, sev, resolved, due)| {
            let new = s
                .rca_deadlines
                .due_at(&cal, sev, Some(from_ms(resolved)))
                .map(to_ms);
            (new != due).then_some((id, new))
        })
        .collect();
    for chunk in changed.chunks(500) {
        let ids: Vec<i64> = chunk.iter().map(|(id, _)| *id).collect();
        let mut by_incident = CaseStatement::new();
        let mut by_pm = CaseStatement::new();
        for (id, due) in chunk {
            by_incident = by_incident.case(incident::Column::Id.eq(*id), Expr::val(*due));
            by_pm = by_pm.case(postmortem::Column::IncidentId.eq(*id), Expr::val(*due));
        }
        incident::Entity::update_many()
            .col_expr(incident::Column::RcaDueAt, by_incident.into())
            .filter(incident::Column::Id.is_in(ids.clone()))
            .exec(txn)
            .await?;
        postmortem::Entity::update_many()
            .col_expr(postmortem::Column::DueAt, by_pm.into())
            .filter(postmortem::Column::IncidentId.is_in(ids))
            .exec(txn)
            .await?;
    }
    Ok(changed.len())
}
