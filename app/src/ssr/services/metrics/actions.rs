//! The action figures: five grouped queries over the index ranges they count.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, QueryResult, Value};

use super::*;
use crate::domain::{ActionStatus, Priority};
use crate::error::{AppError, AppResult};
use crate::model::MetricsQuery;
use crate::ssr::services::common::Sql;
use crate::ssr::services::common::text::clean;

/// The action filter: not cancelled, the team, and the incident filter through the action's
/// incident.
pub(super) fn action_filter(q: &MetricsQuery, p: &mut Sql) -> String {
    let mut c = format!("a.status <> {}", p.bind(ActionStatus::Cancelled.as_str()));
    if let Some(t) = clean(q.team.as_deref()) {
        c += &format!(" AND a.team = {}", p.bind(t));
    }
    if q.severity.is_some() || clean(q.service.as_deref()).is_some() {
        let inner = incident_filter(q, p, "fi");
        c += &format!(" AND a.incident_id IN (SELECT fi.id FROM incidents fi WHERE 1 = 1{inner})");
    }
    c
}

/// Action counts of one team (or of the actions without one).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct ActionCounts {
    pub(super) due: u64,
    pub(super) due_on_time: u64,
    pub(super) crit_due: u64,
    pub(super) crit_on_time: u64,
    pub(super) created: u64,
    pub(super) closed: u64,
    pub(super) open: u64,
    pub(super) overdue: [u64; 4],
    pub(super) ver_overdue: u64,
    pub(super) ver_due: u64,
    pub(super) ver_on_time: u64,
}

impl ActionCounts {
    pub(super) fn add(&mut self, o: &ActionCounts) {
        self.due += o.due;
        self.due_on_time += o.due_on_time;
        self.crit_due += o.crit_due;
        self.crit_on_time += o.crit_on_time;
        self.created += o.created;
        self.closed += o.closed;
        self.open += o.open;
        for i in 0..4 {
            self.overdue[i] += o.overdue[i];
        }
        self.ver_overdue += o.ver_overdue;
        self.ver_due += o.ver_due;
        self.ver_on_time += o.ver_on_time;
    }
}

/// `CASE` bucketing `col` by the exclusive upper bounds: 0, 1, …; -1 past the last.
pub(super) fn bucket_of(p: &mut Sql, col: &str, bounds: Vec<Value>) -> String {
    let mut c = String::from("CASE");
    for (i, b) in bounds.into_iter().enumerate() {
        c += &format!(" WHEN {col} < {} THEN {i}", p.bind(b));
    }
    c + " ELSE -1 END"
}

/// The action figures: per team (and team-less) counts, and (due, on time) per month.
pub(super) struct ActionFigures {
    pub(super) teams: BTreeMap<Option<String>, ActionCounts>,
    pub(super) months: Vec<(u64, u64)>,
}

/// The rows of the group that meet `cond` (an aggregate `FILTER` skips the others, cheaper
/// than summing a CASE on both databases).
pub(super) fn sum(cond: String) -> String {
    format!("COUNT(*) FILTER (WHERE {cond})")
}

pub(super) fn team(r: &QueryResult) -> AppResult<Option<String>> {
    Ok(r.try_get::<Option<String>>("", "team")?)
}

/// Five grouped queries, run side by side, each over the rows it counts only (a range of one
/// date, or the open or waiting statuses) through an index that holds every column it reads.
/// The date ranges group by day and team, the order of their indexes (migration 10), so the
/// database never sorts; the days are summed up here.
pub(super) async fn action_figures(
    db: &Exec<'_, impl ConnectionTrait>,
    q: &MetricsQuery,
    per: &Period,
) -> AppResult<ActionFigures> {
    // Due in the period: D and on time, by day and team, with the critical ones apart.
    let due = async {
        let mut p = Sql::new();
        let (from, to, today) = (p.bind(per.from), p.bind(per.to), p.bind(per.today));
        let critical = p.bind(Priority::Critical.as_str());
        let filter = action_filter(q, &mut p);
        let counted = format!("(a.completed_on IS NOT NULL OR a.due_date < {today})");
        let on_time = "(a.completed_on IS NOT NULL AND a.completed_on <= a.due_date)";
        let sql = format!(
            "SELECT a.due_date AS day, a.team AS team, {} AS due, {} AS ok, {} AS crit_due, {} AS crit_ok \
             FROM actions a WHERE a.due_date >= {from} AND a.due_date <= {to} AND {filter} \
             GROUP BY a.due_date, a.team",
            sum(counted.clone()),
            sum(on_time.into()),
            sum(format!("a.priority = {critical} AND {counted}")),
            sum(format!("a.priority = {critical} AND {on_time}")),
        );
        rows(db, sql, p).await
    };
    // Created in the period: closure.
    let created = async {
        let mut p = Sql::new();
        let (from, to) = (p.bind(per.from), p.bind(per.to));
        let (done, verified) = (
            p.bind(ActionStatus::Done.as_str()),
            p.bind(ActionStatus::Verified.as_str()),
        );
        let filter = action_filter(q, &mut p);
        let sql = format!(
            "SELECT a.team AS team, CAST(COUNT(*) AS BIGINT) AS created, {} AS closed FROM actions a \
             WHERE a.created_on >= {from} AND a.created_on <= {to} AND {filter} \
             GROUP BY a.created_on, a.team",
            sum(format!("a.status IN ({done}, {verified})")),
        );
        rows(db, sql, p).await
    };
    // Verification due in the period: verified on time.
    let verification = async {
        let mut p = Sql::new();
        let (from, to, today) = (p.bind(per.from), p.bind(per.to), p.bind(per.today));
        let verified = p.bind(ActionStatus::Verified.as_str());
        let filter = action_filter(q, &mut p);
        let sql = format!(
            "SELECT a.team AS team, {} AS v, {} AS ok FROM actions a \
             WHERE a.verification_due >= {from} AND a.verification_due <= {to} AND {filter} \
             GROUP BY a.verification_due, a.team",
            sum(format!(
                "a.status = {verified} OR a.verification_due < {today}"
            )),
            sum(format!(
                "a.status = {verified} AND a.verified_on IS NOT NULL AND a.verified_on <= a.verification_due"
            )),
        );
        rows(db, sql, p).await
    };
    // Open work, whenever due: open and overdue by team and priority.
    let open = async {
        let mut p = Sql::new();
        let (open, in_progress) = (
            p.bind(ActionStatus::Open.as_str()),
            p.bind(ActionStatus::InProgress.as_str()),
        );
        let today = p.bind(per.today);
        let filter = action_filter(q, &mut p);
        let sql = format!(
            "SELECT a.team AS team, a.priority AS prio, CAST(COUNT(*) AS BIGINT) AS open_n, {} AS overdue \
             FROM actions a WHERE a.status IN ({open}, {in_progress}) AND {filter} GROUP BY a.team, a.priority",
            sum(format!("a.due_date < {today}")),
        );
        rows(db, sql, p).await
    };
    // Done work waiting for a verification that is past due.
    let waiting = async {
        let mut p = Sql::new();
        let done = p.bind(ActionStatus::Done.as_str());
        let today = p.bind(per.today);
        let filter = action_filter(q, &mut p);
        let sql = format!(
            "SELECT a.team AS team, CAST(COUNT(*) AS BIGINT) AS n FROM actions a \
             WHERE a.status = {done} AND a.verification_due < {today} AND a.verification_required = TRUE \
               AND {filter} GROUP BY a.team"
        );
        rows(db, sql, p).await
    };
    let (due, created, verification, open, waiting) =
        tokio::try_join!(due, created, verification, open, waiting)?;

    // The first day of each month after the first, for the monthly buckets.
    let starts: Vec<NaiveDate> = per.months().iter().skip(1).map(|m| m.1).collect();
    let mut fig = ActionFigures {
        teams: BTreeMap::new(),
        months: vec![(0, 0); starts.len() + 1],
    };
    for r in due {
        let (due, ok) = (int(&r, "due")?, int(&r, "ok")?);
        let c = fig.teams.entry(team(&r)?).or_default();
        c.due += due;
        c.due_on_time += ok;
        c.crit_due += int(&r, "crit_due")?;
        c.crit_on_time += int(&r, "crit_ok")?;
        let day: NaiveDate = r.try_get("", "day")?;
        let b = starts.partition_point(|s| *s <= day);
        if let Some(m) = fig.months.get_mut(b) {
            m.0 += due;
            m.1 += ok;
        }
    }
    for r in created {
        let c = fig.teams.entry(team(&r)?).or_default();
        c.created += int(&r, "created")?;
        c.closed += int(&r, "closed")?;
    }
    for r in verification {
        let c = fig.teams.entry(team(&r)?).or_default();
        c.ver_due += int(&r, "v")?;
        c.ver_on_time += int(&r, "ok")?;
    }
    for r in open {
        let prio: Priority = r
            .try_get::<String>("", "prio")?
            .parse()
            .map_err(|_| AppError::internal())?;
        let i = Priority::ALL.iter().position(|x| *x == prio).unwrap_or(3);
        let c = fig.teams.entry(team(&r)?).or_default();
        c.open += int(&r, "open_n")?;
        c.overdue[i] += int(&r, "overdue")?;
    }
    for r in waiting {
        fig.teams.entry(team(&r)?).or_default().ver_overdue += int(&r, "n")?;
    }
    Ok(fig)
}
