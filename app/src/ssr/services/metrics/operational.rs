//! What `/metrics` exports for Prometheus: open work and open incidents right now.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::*;
use crate::domain::{ActionStatus, Priority, Severity};
use crate::error::{AppError, AppResult};
use crate::ssr::services::common::Sql;
use crate::ssr::services::settings;

/// What operators graph: open and overdue actions by priority, verifications overdue, open
/// incidents by severity (for `/metrics`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Operational {
    /// (priority, open, overdue)
    pub actions: Vec<(Priority, u64, u64)>,
    pub verification_overdue: u64,
    /// (severity, open incidents: neither resolved nor closed)
    pub incidents: Vec<(Severity, u64)>,
}

pub async fn operational(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<Operational> {
    let s = settings::load(db).await?;
    let x = &Exec { db, record: None };
    let today = s.calendar().date_of(now);
    let mut p = Sql::new();
    let (open, in_progress, done) = (
        p.bind(ActionStatus::Open.as_str()),
        p.bind(ActionStatus::InProgress.as_str()),
        p.bind(ActionStatus::Done.as_str()),
    );
    let today = p.bind(today);
    let sql = format!(
        "SELECT a.priority AS g, \
           COUNT(*) FILTER (WHERE a.status IN ({open}, {in_progress})) AS open_n, \
           COUNT(*) FILTER (WHERE a.status IN ({open}, {in_progress}) AND a.due_date < {today}) AS overdue, \
           COUNT(*) FILTER (WHERE a.status = {done} AND a.verification_required = TRUE AND a.verification_due < {today}) AS ver \
         FROM actions a WHERE a.status IN ({open}, {in_progress}, {done}) GROUP BY a.priority"
    );
    let mut out = Operational {
        actions: Priority::ALL.iter().map(|p| (*p, 0, 0)).collect(),
        incidents: Severity::ALL.iter().map(|s| (*s, 0)).collect(),
        ..Default::default()
    };
    for r in rows(x, sql, p).await? {
        let g: Priority = r
            .try_get::<String>("", "g")?
            .parse()
            .map_err(|_| AppError::internal())?;
        if let Some(e) = out.actions.iter_mut().find(|e| e.0 == g) {
            e.1 = int(&r, "open_n")?;
            e.2 = int(&r, "overdue")?;
        }
        out.verification_overdue += int(&r, "ver")?;
    }
    let mut p = Sql::new();
    let (resolved, closed) = (
        p.bind(crate::domain::IncidentStatus::Resolved.as_str()),
        p.bind(crate::domain::IncidentStatus::Closed.as_str()),
    );
    let sql = format!(
        "SELECT i.severity AS g, CAST(COUNT(*) AS BIGINT) AS n FROM incidents i \
         WHERE i.status NOT IN ({resolved}, {closed}) GROUP BY i.severity"
    );
    for r in rows(x, sql, p).await? {
        let g: Severity = r
            .try_get::<String>("", "g")?
            .parse()
            .map_err(|_| AppError::internal())?;
        if let Some(e) = out.incidents.iter_mut().find(|e| e.0 == g) {
            e.1 = int(&r, "n")?;
        }
    }
    Ok(out)
}
