//! The SPEC's follow-through metrics, aggregated in the database: five grouped action queries
//! (each over its own index range), one grouped pass over the period's incidents (counts,
//! duration totals, months), one pass for the medians and p90s (the database's percentile
//! aggregates), RCA completion, recurrence, sev1 update gaps and top drivers. The same SQL runs
//! on SQLite and PostgreSQL but for the spelling of the percentile aggregates; independent
//! statements run side by side on the pool's connections.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};

use crate::domain::authz::Op;
use crate::domain::calendar::OrgCalendar;
use crate::domain::metrics::{self as m, rate};
use crate::domain::{ActionStatus, Priority, Severity};
use crate::error::{AppError, AppResult};
use crate::model::{
    ActionMetrics, CommsMetrics, DurationStats, IncidentMetrics, Metrics, MetricsQuery,
    MonthMetrics, NameCount, RcaMetrics, TeamMetrics, TopDrivers, UpdateGap, VerificationMetrics,
};
use crate::ssr::auth::Actor;
use crate::ssr::settings;
use crate::ssr::to_ms;

/// Longest period, in days (a trend chart of more than ten years says little).
pub const MAX_DAYS: i64 = 3_660;
/// Default period: the last 90 days, `to` included.
pub const DEFAULT_DAYS: i64 = 90;

/// A statement with numbered parameters (`$1`, …), which both SQLite and PostgreSQL read.
#[derive(Default)]
struct Sql {
    values: Vec<Value>,
}

impl Sql {
    /// The placeholder of a new parameter.
    fn bind(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        format!("${}", self.values.len())
    }
}

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
    let stmt = Statement::from_sql_and_values(x.db.get_database_backend(), sql, p.values);
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
    let mut c = String::new();
    if let Some(s) = q.severity {
        c += &format!(" AND {alias}.severity = {}", p.bind(s.as_str()));
    }
    if let Some(svc) = clean(q.service.as_deref()) {
        c += &format!(
            " AND EXISTS (SELECT 1 FROM incident_services fs WHERE fs.incident_id = {alias}.id AND fs.service = {})",
            p.bind(svc)
        );
    }
    c
}

/// The action filter: not cancelled, the team, and the incident filter through the action's
/// incident.
fn action_filter(q: &MetricsQuery, p: &mut Sql) -> String {
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

fn clean(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Action counts of one team (or of the actions without one).
#[derive(Debug, Default, Clone, Copy)]
struct ActionCounts {
    due: u64,
    due_on_time: u64,
    crit_due: u64,
    crit_on_time: u64,
    created: u64,
    closed: u64,
    open: u64,
    overdue: [u64; 4],
    ver_overdue: u64,
    ver_due: u64,
    ver_on_time: u64,
}

impl ActionCounts {
    fn add(&mut self, o: &ActionCounts) {
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
fn bucket_of(p: &mut Sql, col: &str, bounds: Vec<Value>) -> String {
    let mut c = String::from("CASE");
    for (i, b) in bounds.into_iter().enumerate() {
        c += &format!(" WHEN {col} < {} THEN {i}", p.bind(b));
    }
    c + " ELSE -1 END"
}

/// The action figures: per team (and team-less) counts, and (due, on time) per month.
struct ActionFigures {
    teams: BTreeMap<Option<String>, ActionCounts>,
    months: Vec<(u64, u64)>,
}

/// The rows of the group that meet `cond` (an aggregate `FILTER` skips the others, cheaper
/// than summing a CASE on both databases).
fn sum(cond: String) -> String {
    format!("COUNT(*) FILTER (WHERE {cond})")
}

fn team(r: &QueryResult) -> AppResult<Option<String>> {
    Ok(r.try_get::<Option<String>>("", "team")?)
}

/// Five grouped queries, run side by side, each over the rows it counts only (a range of one
/// date, or the open or waiting statuses) through an index that holds every column it reads.
/// The date ranges group by day and team, the order of their indexes (migration 10), so the
/// database never sorts; the days are summed up here.
async fn action_figures(
    db: &Exec<'_, impl ConnectionTrait>,
    q: &MetricsQuery,
    per: &Period,
) -> AppResult<ActionFigures> {
    // Due in the period: D and on time, by day and team, with the critical ones apart.
    let due = async {
        let mut p = Sql::default();
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
        let mut p = Sql::default();
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
        let mut p = Sql::default();
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
        let mut p = Sql::default();
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
        let mut p = Sql::default();
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

/// The period's incidents (detected in it) with the filters, as a condition on `i`.
fn in_period(q: &MetricsQuery, per: &Period, p: &mut Sql) -> String {
    format!(
        "i.detected_at >= {} AND i.detected_at < {}{}",
        p.bind(per.start_ms),
        p.bind(per.end_ms),
        incident_filter(q, p, "i")
    )
}

/// The three durations the metrics summarise, as (start column, end column).
const DURATIONS: [(&str, &str); 3] = [
    ("detected_at", "resolved_at"),
    ("detected_at", "mitigated_at"),
    ("started_at", "detected_at"),
];

/// What the period's incidents give: counts by severity, the three duration summaries, and
/// per month the count and the mean time to resolve.
struct IncidentFigures {
    count: BTreeMap<String, u64>,
    durations: [BTreeMap<String, DurationStats>; 3],
    /// Per month: (incidents, resolved, sum of time to resolve in ms).
    months: Vec<(u64, u64, i64)>,
}

/// One query grouped by severity and month gives every count and sum (the time to resolve of
/// a month is the first duration's); then one query picks the values at the ranks the
/// medians and p90s need.
async fn incident_figures(
    db: &Exec<'_, impl ConnectionTrait>,
    q: &MetricsQuery,
    per: &Period,
    cal: &OrgCalendar,
) -> AppResult<IncidentFigures> {
    let months = per.months();
    let mut p = Sql::default();
    let bucket = bucket_of(
        &mut p,
        "i.detected_at",
        months
            .iter()
            .map(|(_, _, next)| to_ms(cal.start_of(*next)).into())
            .collect(),
    );
    let cond = in_period(q, per, &mut p);
    let cols: Vec<String> = DURATIONS
        .iter()
        .enumerate()
        .map(|(k, (start, end))| {
            format!(
                "CAST(COUNT(i.{end} - i.{start}) AS BIGINT) AS n{k}, CAST(SUM(i.{end} - i.{start}) AS BIGINT) AS s{k}"
            )
        })
        .collect();
    let sql = format!(
        "SELECT i.severity AS g, CAST({bucket} AS BIGINT) AS b, CAST(COUNT(*) AS BIGINT) AS n, {} \
         FROM incidents i WHERE {cond} GROUP BY i.severity, {bucket}",
        cols.join(", ")
    );
    let mut count: BTreeMap<String, u64> = Severity::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), 0))
        .collect();
    let mut total = 0;
    let mut month_figures = vec![(0u64, 0u64, 0i64); months.len()];
    // (n, sum) per duration, per group ("all" included).
    let mut totals: [BTreeMap<String, (u64, i64)>; 3] = Default::default();
    for r in rows(db, sql, p).await? {
        let g: String = r.try_get("", "g")?;
        let n = int(&r, "n")?;
        total += n;
        *count.entry(g.clone()).or_default() += n;
        let mut sums = [(0u64, 0i64); 3];
        for (k, t) in totals.iter_mut().enumerate() {
            let n = int(&r, &format!("n{k}"))?;
            if n > 0 {
                let s = r.try_get::<Option<i64>>("", &format!("s{k}"))?.unwrap_or(0);
                sums[k] = (n, s);
                for key in [g.clone(), "all".into()] {
                    let e = t.entry(key).or_insert((0, 0));
                    e.0 += n;
                    e.1 += s;
                }
            }
        }
        if let Some(mo) = usize::try_from(r.try_get::<i64>("", "b")?)
            .ok()
            .and_then(|b| month_figures.get_mut(b))
        {
            mo.0 += n;
            mo.1 += sums[0].0;
            mo.2 += sums[0].1;
        }
    }
    count.insert("total".into(), total);
    Ok(IncidentFigures {
        count,
        durations: ranked(db, q, per, &totals).await?,
        months: month_figures,
    })
}

/// The fraction under which the database's `percentile_disc` picks the value at `rank` of `n`
/// values, ranks counted from one. SQLite takes the value at index `⌊p·(n−1)⌋` counted from
/// zero, PostgreSQL the one at `⌈p·n⌉` counted from one; the fraction aims half a rank below
/// the wanted one, so rounding in the product never moves it to a neighbour.
pub fn disc_fraction(backend: DbBackend, rank: u64, n: u64) -> f64 {
    let (r, n) = (rank as f64, n as f64);
    match backend {
        DbBackend::Postgres => ((r - 0.5) / n).clamp(0.0, 1.0),
        _ if n <= 1.0 => 0.0,
        _ if r >= n => 1.0,
        _ => ((r - 0.5) / (n - 1.0)).clamp(0.0, 1.0),
    }
}

/// Mean, median and p90 of the three durations per group, from their totals, the medians and
/// the p90s. One statement, one pass over the period's incidents, takes those with the
/// database's own aggregates (which sort each group's values in memory, far cheaper than
/// numbering rows with a window function), each over its group (a `FILTER` by severity) or
/// over all incidents: the median as `percentile_cont(0.5)` (the mean of the two middle
/// values of an even count), the p90 as `percentile_disc` at the nearest rank, whose
/// fraction follows from the group's count.
async fn ranked(
    db: &Exec<'_, impl ConnectionTrait>,
    q: &MetricsQuery,
    per: &Period,
    totals: &[BTreeMap<String, (u64, i64)>; 3],
) -> AppResult<[BTreeMap<String, DurationStats>; 3]> {
    let mut out: [BTreeMap<String, DurationStats>; 3] = Default::default();
    let backend = db.db.get_database_backend();
    let mut p = Sql::default();
    // (column, duration, group, count, sum) of every group that has values.
    let mut wanted = Vec::new();
    let mut cols = Vec::new();
    for (k, (start, end)) in DURATIONS.iter().enumerate() {
        for (gi, (g, (n, sum))) in totals[k].iter().enumerate() {
            let f = p.bind(disc_fraction(backend, m::p90_rank(*n), *n));
            let filter = if g == "all" {
                String::new()
            } else {
                format!(" FILTER (WHERE i.severity = {})", p.bind(g.clone()))
            };
            let c = format!("{k}_{gi}");
            cols.push(if backend == DbBackend::Postgres {
                // Both aggregates order the same values, so PostgreSQL sorts them once.
                let d = format!("CAST(i.{end} - i.{start} AS DOUBLE PRECISION)");
                format!(
                    "percentile_cont(0.5) WITHIN GROUP (ORDER BY {d}){filter} AS m{c}, \
                     CAST(percentile_disc({f}) WITHIN GROUP (ORDER BY {d}){filter} AS BIGINT) AS p{c}"
                )
            } else {
                let d = format!("i.{end} - i.{start}");
                format!(
                    "median({d}){filter} AS m{c}, CAST(percentile_disc({d}, {f}){filter} AS BIGINT) AS p{c}"
                )
            });
            wanted.push((c, k, g, *n, *sum));
        }
    }
    if wanted.is_empty() {
        return Ok(out);
    }
    let cond = in_period(q, per, &mut p);
    let sql = format!("SELECT {} FROM incidents i WHERE {cond}", cols.join(", "));
    let r = rows(db, sql, p).await?;
    let Some(r) = r.first() else { return Ok(out) };
    for (c, k, g, n, sum) in wanted {
        let median = r.try_get::<Option<f64>>("", &format!("m{c}"))?;
        let p90 = r.try_get::<Option<i64>>("", &format!("p{c}"))?;
        if let (Some(median), Some(p90)) = (median, p90) {
            let s = m::Summary {
                mean: sum as f64 / n as f64,
                median,
                p90: p90 as f64,
            };
            out[k].insert(g.clone(), minutes(s));
        }
    }
    Ok(out)
}

/// Minutes from a summary of milliseconds, given the values at ranks (the reference path).
pub fn stats(n: u64, sum_ms: i64, at: impl Fn(u64) -> Option<i64>) -> Option<DurationStats> {
    m::summary(n, sum_ms as f64, |r| at(r).map(|v| v as f64)).map(minutes)
}

/// Minutes from a summary of milliseconds (both paths do the same arithmetic).
fn minutes(s: m::Summary) -> DurationStats {
    DurationStats {
        mean: s.mean / 60_000.0,
        median: s.median / 60_000.0,
        p90: s.p90 / 60_000.0,
    }
}

async fn rca_completion(
    db: &Exec<'_, impl ConnectionTrait>,
    q: &MetricsQuery,
    per: &Period,
) -> AppResult<Option<f64>> {
    let mut p = Sql::default();
    let (s1, s2) = (
        p.bind(Severity::Sev1.as_str()),
        p.bind(Severity::Sev2.as_str()),
    );
    let (r0, r1) = (p.bind(per.start_ms), p.bind(per.end_ms));
    let published = p.bind(crate::domain::PostmortemStatus::Published.as_str());
    let as_of = p.bind(to_ms(per.as_of));
    let filter = incident_filter(q, &mut p, "i");
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS r, \
           COUNT(*) FILTER (WHERE pm.status = {published} AND pm.published_at IS NOT NULL \
             AND i.rca_due_at IS NOT NULL AND pm.published_at <= i.rca_due_at) AS ok \
         FROM incidents i LEFT JOIN postmortems pm ON pm.incident_id = i.id \
         WHERE i.severity IN ({s1}, {s2}) AND i.resolved_at >= {r0} AND i.resolved_at < {r1}{filter} \
           AND (pm.status = {published} OR i.rca_due_at < {as_of})"
    );
    let r = rows(db, sql, p).await?;
    let Some(r) = r.first() else { return Ok(None) };
    Ok(rate(int(r, "ok")?, int(r, "r")?))
}

/// The period's incidents that recur: linked to a known error that another incident, detected
/// strictly earlier, is linked to. (The rate's denominator is the period's incident count.)
async fn recurring(
    db: &Exec<'_, impl ConnectionTrait>,
    q: &MetricsQuery,
    per: &Period,
) -> AppResult<u64> {
    let mut p = Sql::default();
    let cond = in_period(q, per, &mut p);
    // Joined from the links (the period's linked incidents are few) rather than probed per
    // incident of the period.
    let sql = format!(
        "SELECT CAST(COUNT(DISTINCT i.id) AS BIGINT) AS rec \
         FROM incidents i JOIN known_error_incidents l1 ON l1.incident_id = i.id \
         WHERE {cond} AND EXISTS (SELECT 1 FROM known_error_incidents l2 \
           JOIN incidents j ON j.id = l2.incident_id \
           WHERE l2.known_error_id = l1.known_error_id AND j.detected_at < i.detected_at)"
    );
    let r = rows(db, sql, p).await?;
    r.first().map_or(Ok(0), |r| int(r, "rec"))
}

async fn update_gaps(
    db: &Exec<'_, impl ConnectionTrait>,
    q: &MetricsQuery,
    per: &Period,
) -> AppResult<Vec<UpdateGap>> {
    let mut p = Sql::default();
    let sev1 = p.bind(Severity::Sev1.as_str());
    let as_of = p.bind(to_ms(per.as_of));
    let update = p.bind(crate::domain::EventKind::Update.as_str());
    let cond = in_period(q, per, &mut p);
    let sql = format!(
        "WITH s AS (SELECT i.id AS id, i.detected_at AS t0, \
                      COALESCE(i.resolved_at, {as_of}) AS t1 FROM incidents i \
                    WHERE i.severity = {sev1} AND {cond}), \
         pts AS (SELECT id, t0 AS t FROM s \
                 UNION ALL SELECT s.id, e.occurred_at FROM s JOIN timeline_events e ON e.incident_id = s.id \
                   AND e.kind = {update} AND e.occurred_at >= s.t0 AND e.occurred_at <= s.t1 \
                 UNION ALL SELECT id, t1 FROM s), \
         g AS (SELECT id, t - LAG(t) OVER (PARTITION BY id ORDER BY t) AS gap FROM pts), \
         mg AS (SELECT id, MAX(gap) AS gap FROM g GROUP BY id) \
         SELECT i.key AS key, CAST(mg.gap AS BIGINT) AS gap FROM mg JOIN incidents i ON i.id = mg.id \
         ORDER BY i.seq"
    );
    rows(db, sql, p)
        .await?
        .iter()
        .map(|r| {
            Ok(UpdateGap {
                incident: r.try_get("", "key")?,
                max_gap_minutes: r.try_get::<Option<i64>>("", "gap")?.unwrap_or(0).max(0) as f64
                    / 60_000.0,
            })
        })
        .collect()
}

async fn drivers(
    db: &Exec<'_, impl ConnectionTrait>,
    q: &MetricsQuery,
    per: &Period,
) -> AppResult<TopDrivers> {
    // `select` names the group; `wrap` may turn the grouped query into one that names it
    // (the known errors' keys are looked up once per known error, not once per incident).
    let run = |select: &'static str, join: &'static str, wrap: Option<fn(String) -> String>| {
        let mut p = Sql::default();
        let cond = in_period(q, per, &mut p);
        let grouped = format!(
            "SELECT {select} AS name, CAST(COUNT(*) AS BIGINT) AS n FROM incidents i {join} WHERE {cond} GROUP BY {select}"
        );
        let sql = match wrap {
            Some(w) => w(grouped),
            None => grouped,
        };
        async move {
            let mut out = Vec::new();
            for r in rows(db, sql, p).await? {
                out.push((r.try_get::<String>("", "name")?, int(&r, "n")?));
            }
            Ok::<_, AppError>(
                m::top(out)
                    .into_iter()
                    .map(|(name, count)| NameCount { name, count })
                    .collect::<Vec<_>>(),
            )
        }
    };
    let (root_cause_category, service, known_error) = tokio::try_join!(
        run(
            "pm.root_cause_category",
            "JOIN postmortems pm ON pm.incident_id = i.id AND pm.root_cause_category IS NOT NULL",
            None,
        ),
        run(
            "sv.service",
            "JOIN incident_services sv ON sv.incident_id = i.id",
            None,
        ),
        run(
            "kl.known_error_id",
            "JOIN known_error_incidents kl ON kl.incident_id = i.id",
            Some(|grouped| format!(
                "SELECT ke.key AS name, g.n AS n FROM ({grouped}) g JOIN known_errors ke ON ke.id = g.name"
            )),
        ),
    )?;
    Ok(TopDrivers {
        root_cause_category,
        service,
        known_error,
    })
}

/// Month by month: on-time rate of the actions due, and incidents with their mean time to
/// resolve (buckets are bounds computed here, so both databases group alike).
fn trend(
    per: &Period,
    action_months: &[(u64, u64)],
    incident_months: &[(u64, u64, i64)],
) -> Vec<MonthMetrics> {
    per.months()
        .into_iter()
        .enumerate()
        .map(|(i, (month, ..))| {
            let (due, ok) = action_months.get(i).copied().unwrap_or_default();
            let (n, resolved, ttr) = incident_months.get(i).copied().unwrap_or_default();
            MonthMetrics {
                month,
                on_time_rate: rate(ok, due),
                mttr_minutes: (resolved > 0).then(|| ttr as f64 / resolved as f64 / 60_000.0),
                incidents: n,
            }
        })
        .collect()
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
    let mut p = Sql::default();
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
    let mut p = Sql::default();
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

#[cfg(test)]
mod tests {
    use super::*;

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
