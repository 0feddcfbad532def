//! The incident figures: counts, duration totals and months in one grouped pass, then the
//! medians and p90s from the database's percentile aggregates.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DbBackend};

use super::*;
use crate::domain::Severity;
use crate::domain::calendar::OrgCalendar;
use crate::domain::metrics::{self as m};
use crate::error::AppResult;
use crate::model::{DurationStats, MetricsQuery};
use crate::ssr::services::common::Sql;
use crate::ssr::to_ms;

/// The three durations the metrics summarise, as (start column, end column).
pub(super) const DURATIONS: [(&str, &str); 3] = [
    ("detected_at", "resolved_at"),
    ("detected_at", "mitigated_at"),
    ("started_at", "detected_at"),
];

/// What the period's incidents give: counts by severity, the three duration summaries, and
/// per month the count and the mean time to resolve.
pub(super) struct IncidentFigures {
    pub(super) count: BTreeMap<String, u64>,
    pub(super) durations: [BTreeMap<String, DurationStats>; 3],
    /// Per month: (incidents, resolved, sum of time to resolve in ms).
    pub(super) months: Vec<(u64, u64, i64)>,
}

/// One query grouped by severity and month gives every count and sum (the time to resolve of
/// a month is the first duration's); then one query picks the values at the ranks the
/// medians and p90s need.
pub(super) async fn incident_figures(
    db: &Exec<'_, impl ConnectionTrait>,
    q: &MetricsQuery,
    per: &Period,
    cal: &OrgCalendar,
) -> AppResult<IncidentFigures> {
    let months = per.months();
    let mut p = Sql::new();
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
pub(super) async fn ranked(
    db: &Exec<'_, impl ConnectionTrait>,
    q: &MetricsQuery,
    per: &Period,
    totals: &[BTreeMap<String, (u64, i64)>; 3],
) -> AppResult<[BTreeMap<String, DurationStats>; 3]> {
    let mut out: [BTreeMap<String, DurationStats>; 3] = Default::default();
    let backend = db.db.get_database_backend();
    let mut p = Sql::new();
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
pub(super) fn minutes(s: m::Summary) -> DurationStats {
    DurationStats {
        mean: s.mean / 60_000.0,
        median: s.median / 60_000.0,
        p90: s.p90 / 60_000.0,
    }
}
