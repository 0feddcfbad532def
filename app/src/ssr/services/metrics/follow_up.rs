//! RCA completion, recurrence, sev1 update gaps, top drivers and the monthly trend.

use sea_orm::ConnectionTrait;

use super::*;
use crate::domain::Severity;
use crate::domain::metrics::{self as m, rate};
use crate::error::{AppError, AppResult};
use crate::model::{MetricsQuery, MonthMetrics, NameCount, TopDrivers, UpdateGap};
use crate::ssr::services::common::{Sql, conditions};
use crate::ssr::to_ms;

pub(super) async fn rca_completion(
    db: &Exec<'_, impl ConnectionTrait>,
    q: &MetricsQuery,
    per: &Period,
) -> AppResult<Option<f64>> {
    let mut p = Sql::new();
    let (r0, r1) = (p.bind(per.start_ms), p.bind(per.end_ms));
    let published = conditions::published(&mut p, "pm");
    let due = conditions::rca_due(&mut p, "i", &published, to_ms(per.as_of));
    let filter = incident_filter(q, &mut p, "i");
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS r, \
           COUNT(*) FILTER (WHERE {published} AND pm.published_at IS NOT NULL \
             AND i.rca_due_at IS NOT NULL AND pm.published_at <= i.rca_due_at) AS ok \
         FROM incidents i LEFT JOIN postmortems pm ON pm.incident_id = i.id \
         WHERE {due} AND i.resolved_at >= {r0} AND i.resolved_at < {r1}{filter}"
    );
    let r = rows(db, sql, p).await?;
    let Some(r) = r.first() else { return Ok(None) };
    Ok(rate(int(r, "ok")?, int(r, "r")?))
}

/// The period's incidents that recur: linked to a known error that another incident, detected
/// strictly earlier, is linked to. (The rate's denominator is the period's incident count.)
pub(super) async fn recurring(
    db: &Exec<'_, impl ConnectionTrait>,
    q: &MetricsQuery,
    per: &Period,
) -> AppResult<u64> {
    let mut p = Sql::new();
    let cond = in_period(q, per, &mut p);
    // Joined from the links (the period's linked incidents are few) rather than probed per
    // incident of the period.
    let sql = format!(
        "SELECT CAST(COUNT(DISTINCT i.id) AS BIGINT) AS rec \
         FROM incidents i JOIN known_error_incidents l1 ON l1.incident_id = i.id \
         WHERE {cond} AND {}",
        conditions::recurs_through("l1", "i")
    );
    let r = rows(db, sql, p).await?;
    r.first().map_or(Ok(0), |r| int(r, "rec"))
}

pub(super) async fn update_gaps(
    db: &Exec<'_, impl ConnectionTrait>,
    q: &MetricsQuery,
    per: &Period,
) -> AppResult<Vec<UpdateGap>> {
    let mut p = Sql::new();
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

pub(super) async fn drivers(
    db: &Exec<'_, impl ConnectionTrait>,
    q: &MetricsQuery,
    per: &Period,
) -> AppResult<TopDrivers> {
    // `select` names the group; `wrap` may turn the grouped query into one that names it
    // (the known errors' keys are looked up once per known error, not once per incident).
    let root_join = conditions::root_cause_join("i");
    let run = |select: &'static str, join: &str, wrap: Option<fn(String) -> String>| {
        let mut p = Sql::new();
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
        run("pm.root_cause_category", &root_join, None,),
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
pub(super) fn trend(
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
