//! The SPEC's follow-through metrics, aggregated in the database: five grouped action queries
//! (each over its own index range), one grouped pass over the period's incidents (counts,
//! duration totals, months), one pass for the medians and p90s (the database's percentile
//! aggregates), RCA completion, recurrence, sev1 update gaps and top drivers. The same SQL runs
//! on SQLite and PostgreSQL but for the spelling of the percentile aggregates; independent
//! statements run side by side on the pool's connections.

mod actions;
mod follow_up;
mod incidents;
mod operational;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, QueryResult, Statement};

use crate::domain::Priority;
use crate::domain::authz::Op;
use crate::domain::calendar::OrgCalendar;
use crate::domain::metrics::rate;
use crate::error::{AppError, AppResult};
use crate::model::{
    ActionMetrics, CommsMetrics, IncidentMetrics, Metrics, MetricsQuery, RcaMetrics, TeamMetrics,
    VerificationMetrics,
};
use crate::ssr::auth::Actor;
use crate::ssr::services::common::text::clean;
use crate::ssr::services::common::{Sql, conditions};
use crate::ssr::services::settings;
use crate::ssr::to_ms;

use actions::*;
use follow_up::*;
use incidents::*;
pub use incidents::{disc_fraction, stats};
pub use operational::{Operational, operational};

/// Longest period, in days (a trend chart of more than ten years says little).
pub const MAX_DAYS: i64 = 3_660;

/// Default period: the last 90 days, `to` included.
pub const DEFAULT_DAYS: i64 = 90;

/// Where statements go: the database, and (for the benchmark's raw-SQL baseline) a list.
pub struct Exec<'a, C> {
    pub db: &'a C,
    pub record: Option<&'a std::sync::Mutex<Vec<Statement>>>,
}

async fn rows<C: ConnectionTrait>(
    x: &Exec<'_, C>,
    sql: String,
    p: Sql,
) -> AppResult<Vec<QueryResult>> {
    let stmt = p.statement(x.db.get_database_backend(), sql);
    // Recording still runs the statement: later statements depend on earlier answers.
    if let Some(list) = x.record
        && let Ok(mut l) = list.lock()
    {
        l.push(stmt.clone());
    }
    Ok(x.db.query_all_raw(stmt).await?)
}

fn int(r: &QueryResult, col: &str) -> AppResult<u64> {
    // SUM over no rows is NULL; PostgreSQL's SUM of integers is NUMERIC, so sums are cast.
    Ok(r.try_get::<Option<i64>>("", col)?.unwrap_or(0).max(0) as u64)
}

/// The period and the moments the metrics use, in the organisation's calendar.
#[derive(Debug, Clone)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub as_of: DateTime<Utc>,
    pub today: NaiveDate,
    /// First instant of `from` and of the day after `to`, in ms.
    pub start_ms: i64,
    pub end_ms: i64,
}

impl Period {
    pub fn new(q: &MetricsQuery, cal: &OrgCalendar, now: DateTime<Utc>) -> AppResult<Self> {
        let as_of = q.as_of.unwrap_or(now);
        let today = cal.date_of(as_of);
        let to = q.to.unwrap_or(today);
        let from = q
            .from
            .unwrap_or_else(|| to - Duration::days(DEFAULT_DAYS - 1));
        if from > to {
            return Err(AppError::invalid("from", "must not be after to"));
        }
        if (to - from).num_days() >= MAX_DAYS {
            return Err(AppError::invalid(
                "from",
                format!("the period may span at most {MAX_DAYS} days"),
            ));
        }
        Ok(Self {
            from,
            to,
            as_of,
            today,
            start_ms: to_ms(cal.start_of(from)),
            end_ms: to_ms(cal.start_of(to + Duration::days(1))),
        })
    }

    /// The months the period touches, each as (`YYYY-MM`, first day, first day of the next),
    /// clipped to the period.
    pub fn months(&self) -> Vec<(String, NaiveDate, NaiveDate)> {
        let mut out = Vec::new();
        let mut first = self.from.with_day(1).unwrap_or(self.from);
        while first <= self.to {
            let next = first
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(self.to + Duration::days(1));
            out.push((
                first.format("%Y-%m").to_string(),
                first.max(self.from),
                next.min(self.to + Duration::days(1)),
            ));
            first = next;
        }
        out
    }
}

/// The incident filter (`service`, `severity`) as a condition on `alias`.
fn incident_filter(q: &MetricsQuery, p: &mut Sql, alias: &str) -> String {
    conditions::incident_scope(p, alias, q.severity, clean(q.service.as_deref()).as_deref())
}

/// The period's incidents (detected in it) with the filters, as a condition on `i`.
fn in_period(q: &MetricsQuery, per: &Period, p: &mut Sql) -> String {
    format!(
        "i.detected_at >= {} AND i.detected_at < {}{}",
        p.bind(per.start_ms),
        p.bind(per.end_ms),
        incident_filter(q, p, "i")
    )
}

/// `GET /metrics`.
pub async fn compute(
    db: &impl ConnectionTrait,
    actor: &Actor,
    q: &MetricsQuery,
    now: DateTime<Utc>,
) -> AppResult<Metrics> {
    compute_with(db, actor, q, now, None).await
}

/// Every statement `compute` runs for `q`, for measuring the SQL alone.
pub async fn statements(
    db: &impl ConnectionTrait,
    q: &MetricsQuery,
    now: DateTime<Utc>,
) -> AppResult<Vec<Statement>> {
    let list = std::sync::Mutex::new(Vec::new());
    compute_with(db, &Actor::system(), q, now, Some(&list)).await?;
    Ok(list.into_inner().unwrap_or_default())
}

async fn compute_with(
    db: &impl ConnectionTrait,
    actor: &Actor,
    q: &MetricsQuery,
    now: DateTime<Utc>,
    record: Option<&std::sync::Mutex<Vec<Statement>>>,
) -> AppResult<Metrics> {
    actor.require(Op::Read)?;
    let s = settings::load(db).await?;
    let cal = s.calendar();
    let per = Period::new(q, &cal, now)?;
    let x = &Exec { db, record };
    // The statements do not depend on one another (but for the ranks, which follow their
    // totals): they run side by side, each on a connection of the pool. The incident figures
    // go first, as the longest chain.
    let (inc, fig, gaps, rca, recurring, top_drivers) = tokio::try_join!(
        incident_figures(x, q, &per, &cal),
        action_figures(x, q, &per),
        update_gaps(x, q, &per),
        rca_completion(x, q, &per),
        recurring(x, q, &per),
        drivers(x, q, &per),
    )?;
    let recurrence_rate = rate(
        recurring,
        inc.count.get("total").copied().unwrap_or_default(),
    );
    let teams = &fig.teams;
    let mut all = ActionCounts::default();
    for c in teams.values() {
        all.add(c);
    }
    let mut by_team: Vec<TeamMetrics> = teams
        .iter()
        .filter_map(|(t, c): (&Option<String>, &ActionCounts)| {
            t.clone().map(|team| TeamMetrics {
                team,
                open: c.open,
                overdue: c.overdue.iter().sum(),
                on_time_rate: rate(c.due_on_time, c.due),
                verification_overdue: c.ver_overdue,
            })
        })
        .collect();
    by_team.sort_by(|a, b| a.team.as_bytes().cmp(b.team.as_bytes()));
    let [ttr, ttm, ttd] = inc.durations;
    let target = s.update_gap_target_minutes;
    let within = gaps
        .iter()
        .filter(|g| g.max_gap_minutes <= f64::from(target))
        .count() as u64;
    Ok(Metrics {
        from: per.from,
        to: per.to,
        as_of: per.as_of,
        actions: ActionMetrics {
            on_time_rate: rate(all.due_on_time, all.due),
            closure_rate: rate(all.closed, all.created),
            overdue: all.overdue.iter().sum(),
            overdue_by_priority: Priority::ALL
                .iter()
                .zip(all.overdue)
                .map(|(p, n)| (p.as_str().to_owned(), n))
                .collect(),
            critical_on_time_rate: rate(all.crit_on_time, all.crit_due),
        },
        verification: VerificationMetrics {
            overdue: all.ver_overdue,
            on_time_rate: rate(all.ver_on_time, all.ver_due),
        },
        incidents: IncidentMetrics {
            count: inc.count,
            time_to_resolve: ttr,
            time_to_mitigate: ttm,
            time_to_detect: ttd,
        },
        rca: RcaMetrics {
            completion_rate: rca,
        },
        recurrence_rate,
        comms: CommsMetrics {
            within_target_rate: rate(within, gaps.len() as u64),
            sev1_update_gap: gaps,
            target_minutes: target,
        },
        top_drivers,
        by_team,
        trend: trend(&per, &fig.months, &inc.months),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::metrics as m;
    use sea_orm::DbBackend;

    /// `disc_fraction` lands on the wanted rank under each database's own arithmetic: SQLite's
    /// `percentile_disc` reads index `(unsigned)(p·(n−1))` from 0, PostgreSQL's row
    /// `ceil(p·n)` from 1 (both in double precision).
    #[test]
    fn the_fraction_picks_every_rank_on_both_databases() {
        let sqlite = |r: u64, n: u64| {
            let p = disc_fraction(DbBackend::Sqlite, r, n);
            assert!((0.0..=1.0).contains(&p), "fraction {p} for rank {r} of {n}");
            (p * (n - 1) as f64) as u64 + 1
        };
        let postgres = |r: u64, n: u64| {
            let p = disc_fraction(DbBackend::Postgres, r, n);
            assert!((0.0..=1.0).contains(&p), "fraction {p} for rank {r} of {n}");
            ((p * n as f64).ceil() as u64).max(1)
        };
        let check = |r: u64, n: u64| {
            assert_eq!(sqlite(r, n), r, "SQLite: rank {r} of {n}");
            assert_eq!(postgres(r, n), r, "PostgreSQL: rank {r} of {n}");
        };
        for n in 1..=400 {
            for r in 1..=n {
                check(r, n);
            }
        }
        for n in (401..=2_000_000).step_by(997).chain([u32::MAX as u64]) {
            for r in [1, 2, m::p90_rank(n), n.div_ceil(2), n / 2 + 1, n - 1, n] {
                check(r, n);
            }
        }
    }
}
