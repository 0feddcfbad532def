//! The reference implementation of the SPEC's metrics: plain Rust over in-memory records,
//! written from the SPEC's definitions, sharing only the arithmetic helpers
//! (`app::domain::metrics`) with the database path. The property test compares the two.

use std::collections::{BTreeMap, BTreeSet};

use app::domain::calendar::OrgCalendar;
use app::domain::metrics::{longest_gap, rate, top};
use app::domain::settings::OrgSettings;
use app::domain::{ActionStatus, EventKind, PostmortemStatus, Priority, Severity};
use app::model::{
    ActionMetrics, CommsMetrics, IncidentMetrics, Metrics, MetricsQuery, MonthMetrics, NameCount,
    RcaMetrics, TeamMetrics, TopDrivers, UpdateGap, VerificationMetrics,
};
use app::ssr::services::metrics::{Period, stats};
use chrono::{DateTime, NaiveDate, Utc};

#[derive(Debug, Clone)]
pub struct RefIncident {
    pub id: i64,
    pub seq: i64,
    pub severity: Severity,
    pub services: Vec<String>,
    pub started_at: Option<i64>,
    pub detected_at: i64,
    pub mitigated_at: Option<i64>,
    pub resolved_at: Option<i64>,
}

impl RefIncident {
    pub fn key(&self) -> String {
        format!("INC-{}", self.seq)
    }
}

#[derive(Debug, Clone)]
pub struct RefPostmortem {
    pub incident_id: i64,
    pub status: PostmortemStatus,
    pub published_at: Option<i64>,
    pub root_cause_category: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RefEvent {
    pub incident_id: i64,
    pub kind: EventKind,
    pub occurred_at: i64,
}

#[derive(Debug, Clone)]
pub struct RefAction {
    pub incident_id: Option<i64>,
    pub team: Option<String>,
    pub priority: Priority,
    pub status: ActionStatus,
    pub due_date: Option<NaiveDate>,
    pub created_at: i64,
    pub completed_at: Option<i64>,
    pub verification_required: bool,
    pub verification_due: Option<NaiveDate>,
    pub verified_at: Option<i64>,
}

/// Everything the metrics read.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub incidents: Vec<RefIncident>,
    pub postmortems: Vec<RefPostmortem>,
    pub events: Vec<RefEvent>,
    /// (known error key, incident id)
    pub links: Vec<(String, i64)>,
    pub actions: Vec<RefAction>,
}

fn ms(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t).unwrap_or_default()
}

/// RCA completion's R and the on-time part of it: sev1/sev2 incidents resolved in the period
/// (and matching the query's filters) whose postmortem is published or whose deadline is
/// before `as_of`; on time when published no later than the deadline.
pub fn rca_counts(
    d: &Dataset,
    q: &MetricsQuery,
    s: &OrgSettings,
    now: DateTime<Utc>,
) -> (u64, u64) {
    let cal: OrgCalendar = s.calendar();
    let per = Period::new(q, &cal, now).expect("a valid period");
    let (start, end) = (per.start_ms, per.end_ms);
    let svc = q
        .service
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let pm_of: BTreeMap<i64, &RefPostmortem> =
        d.postmortems.iter().map(|p| (p.incident_id, p)).collect();
    let as_of = app::ssr::to_ms(per.as_of);
    let mut r_total = 0;
    let mut r_ok = 0;
    for i in d.incidents.iter().filter(|i| {
        matches!(i.severity, Severity::Sev1 | Severity::Sev2)
            && i.resolved_at.is_some_and(|r| r >= start && r < end)
            && q.severity.is_none_or(|s| i.severity == s)
            && svc.is_none_or(|s| i.services.iter().any(|x| x == s))
    }) {
        let deadline = s
            .rca_deadlines
            .due_at(&cal, i.severity, i.resolved_at.map(ms))
            .map(app::ssr::to_ms);
        let pm = pm_of.get(&i.id);
        let published = pm.is_some_and(|p| p.status == PostmortemStatus::Published);
        if published || deadline.is_some_and(|dl| dl < as_of) {
            r_total += 1;
            let in_time = pm
                .and_then(|p| p.published_at)
                .zip(deadline)
                .is_some_and(|(p, dl)| p <= dl);
            if published && in_time {
                r_ok += 1;
            }
        }
    }
    (r_total, r_ok)
}

/// The SPEC's metrics of `d`, computed record by record.
pub fn metrics(d: &Dataset, q: &MetricsQuery, s: &OrgSettings, now: DateTime<Utc>) -> Metrics {
    let cal: OrgCalendar = s.calendar();
    let per = Period::new(q, &cal, now).expect("a valid period");
    let (from, to, today) = (per.from, per.to, per.today);
    let date = |t: i64| cal.date_of(ms(t));
    let in_dates = |x: NaiveDate| x >= from && x <= to;
    let by_id: BTreeMap<i64, &RefIncident> = d.incidents.iter().map(|i| (i.id, i)).collect();
    let svc = q
        .service
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let team = q.team.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let incident_ok = |i: &RefIncident| {
        q.severity.is_none_or(|s| i.severity == s)
            && svc.is_none_or(|s| i.services.iter().any(|x| x == s))
    };
    let filtered_incident = q.severity.is_some() || svc.is_some();
    let acts: Vec<&RefAction> = d
        .actions
        .iter()
        .filter(|a| a.status != ActionStatus::Cancelled)
        .filter(|a| team.is_none_or(|t| a.team.as_deref() == Some(t)))
        .filter(|a| {
            !filtered_incident
                || a.incident_id
                    .and_then(|id| by_id.get(&id))
                    .is_some_and(|i| incident_ok(i))
        })
        .collect();

    // Actions.
    let completed = |a: &RefAction| a.completed_at.is_some();
    let in_d = |a: &RefAction| {
        a.due_date
            .is_some_and(|due| in_dates(due) && (completed(a) || due < today))
    };
    let on_time =
        |a: &RefAction| in_d(a) && a.completed_at.is_some_and(|c| Some(date(c)) <= a.due_date);
    let on_time_rate = |set: &[&RefAction]| {
        rate(
            set.iter().filter(|a| on_time(a)).count() as u64,
            set.iter().filter(|a| in_d(a)).count() as u64,
        )
    };
    let is_open = |a: &RefAction| matches!(a.status, ActionStatus::Open | ActionStatus::InProgress);
    let overdue = |a: &RefAction| is_open(a) && a.due_date.is_some_and(|due| due < today);
    let ver_overdue = |a: &RefAction| {
        a.status == ActionStatus::Done
            && a.verification_required
            && a.verification_due.is_some_and(|v| v < today)
    };
    let created: Vec<&&RefAction> = acts
        .iter()
        .filter(|a| in_dates(date(a.created_at)))
        .collect();
    let closed = created
        .iter()
        .filter(|a| matches!(a.status, ActionStatus::Done | ActionStatus::Verified))
        .count();
    let in_v = |a: &RefAction| {
        a.verification_due
            .is_some_and(|v| in_dates(v) && (a.status == ActionStatus::Verified || v < today))
    };
    let v_ok = |a: &RefAction| {
        in_v(a)
            && a.status == ActionStatus::Verified
            && a.verified_at
                .is_some_and(|t| Some(date(t)) <= a.verification_due)
    };
    let critical: Vec<&RefAction> = acts
        .iter()
        .copied()
        .filter(|a| a.priority == Priority::Critical)
        .collect();
    // Teams with something to show: open work, or actions due, created or up for
    // verification in the period, or waiting past their verification deadline.
    let in_scope = |a: &RefAction| {
        is_open(a)
            || a.due_date.is_some_and(in_dates)
            || in_dates(date(a.created_at))
            || a.verification_due.is_some_and(in_dates)
            || ver_overdue(a)
    };
    let teams: BTreeSet<&str> = acts
        .iter()
        .filter(|a| in_scope(a))
        .filter_map(|a| a.team.as_deref())
        .collect();
    let mut by_team: Vec<TeamMetrics> = teams
        .into_iter()
        .map(|t| {
            let mine: Vec<&RefAction> = acts
                .iter()
                .copied()
                .filter(|a| a.team.as_deref() == Some(t))
                .collect();
            TeamMetrics {
                team: t.to_owned(),
                open: mine.iter().filter(|a| is_open(a)).count() as u64,
                overdue: mine.iter().filter(|a| overdue(a)).count() as u64,
                on_time_rate: on_time_rate(&mine),
                verification_overdue: mine.iter().filter(|a| ver_overdue(a)).count() as u64,
            }
        })
        .collect();
    by_team.sort_by(|a, b| a.team.as_bytes().cmp(b.team.as_bytes()));

    // Incidents detected in the period.
    let start = per.start_ms;
    let end = per.end_ms;
    let incs: Vec<&RefIncident> = d
        .incidents
        .iter()
        .filter(|i| i.detected_at >= start && i.detected_at < end && incident_ok(i))
        .collect();
    let mut count: BTreeMap<String, u64> = Severity::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), 0))
        .collect();
    for i in &incs {
        *count.entry(i.severity.as_str().to_owned()).or_default() += 1;
    }
    count.insert("total".into(), incs.len() as u64);
    let summary = |f: &dyn Fn(&RefIncident) -> Option<i64>| {
        let mut groups: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        for i in &incs {
            if let Some(v) = f(i) {
                groups
                    .entry(i.severity.as_str().to_owned())
                    .or_default()
                    .push(v);
                groups.entry("all".to_owned()).or_default().push(v);
            }
        }
        groups
            .into_iter()
            .filter_map(|(g, mut v)| {
                v.sort_unstable();
                let st = stats(v.len() as u64, v.iter().sum(), |r| {
                    v.get((r as usize).checked_sub(1)?).copied()
                })?;
                Some((g, st))
            })
            .collect::<BTreeMap<_, _>>()
    };

    // RCA completion over sev1/sev2 resolved in the period.
    let pm_of: BTreeMap<i64, &RefPostmortem> =
        d.postmortems.iter().map(|p| (p.incident_id, p)).collect();
    let as_of = app::ssr::to_ms(per.as_of);
    let (r_total, r_ok) = rca_counts(d, q, s, now);

    // Recurrence: linked to a known error also linked to a strictly earlier incident.
    let mut incidents_of: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for (ke, id) in &d.links {
        incidents_of.entry(ke.as_str()).or_default().push(*id);
    }
    let recurring = incs
        .iter()
        .filter(|i| {
            d.links.iter().filter(|(_, id)| *id == i.id).any(|(ke, _)| {
                incidents_of[ke.as_str()]
                    .iter()
                    .any(|j| by_id.get(j).is_some_and(|o| o.detected_at < i.detected_at))
            })
        })
        .count();

    // Sev1 update gaps.
    let mut sev1: Vec<&&RefIncident> = incs
        .iter()
        .filter(|i| i.severity == Severity::Sev1)
        .collect();
    sev1.sort_by_key(|i| i.seq);
    let gaps: Vec<UpdateGap> = sev1
        .iter()
        .map(|i| {
            let updates: Vec<i64> = d
                .events
                .iter()
                .filter(|e| e.incident_id == i.id && e.kind == EventKind::Update)
                .map(|e| e.occurred_at)
                .collect();
            UpdateGap {
                incident: i.key(),
                max_gap_minutes: longest_gap(
                    i.detected_at,
                    i.resolved_at.unwrap_or(as_of),
                    &updates,
                ),
            }
        })
        .collect();
    let target = s.update_gap_target_minutes;
    let within = gaps
        .iter()
        .filter(|g| g.max_gap_minutes <= f64::from(target))
        .count();

    // Top drivers.
    let named = |rows: BTreeMap<String, u64>| {
        top(rows.into_iter().collect())
            .into_iter()
            .map(|(name, count)| NameCount { name, count })
            .collect::<Vec<_>>()
    };
    let mut cats: BTreeMap<String, u64> = BTreeMap::new();
    let mut services: BTreeMap<String, u64> = BTreeMap::new();
    let mut kes: BTreeMap<String, u64> = BTreeMap::new();
    for i in &incs {
        if let Some(c) = pm_of.get(&i.id).and_then(|p| p.root_cause_category.clone()) {
            *cats.entry(c).or_default() += 1;
        }
        for sv in &i.services {
            *services.entry(sv.clone()).or_default() += 1;
        }
        for (ke, _) in d.links.iter().filter(|(_, id)| *id == i.id) {
            *kes.entry(ke.clone()).or_default() += 1;
        }
    }

    // Month by month.
    let trend = per
        .months()
        .into_iter()
        .map(|(month, first, next)| {
            let due: Vec<&RefAction> = acts
                .iter()
                .copied()
                .filter(|a| a.due_date.is_some_and(|x| x >= first && x < next))
                .collect();
            let lo = app::ssr::to_ms(cal.start_of(first));
            let hi = app::ssr::to_ms(cal.start_of(next));
            let month_incs: Vec<&&RefIncident> = incs
                .iter()
                .filter(|i| i.detected_at >= lo && i.detected_at < hi)
                .collect();
            let resolved: Vec<i64> = month_incs
                .iter()
                .filter_map(|i| i.resolved_at.map(|r| r - i.detected_at))
                .collect();
            MonthMetrics {
                month,
                on_time_rate: on_time_rate(&due),
                mttr_minutes: (!resolved.is_empty()).then(|| {
                    resolved.iter().sum::<i64>() as f64 / resolved.len() as f64 / 60_000.0
                }),
                incidents: month_incs.len() as u64,
            }
        })
        .collect();

    Metrics {
        from,
        to,
        as_of: per.as_of,
        actions: ActionMetrics {
            on_time_rate: on_time_rate(&acts),
            closure_rate: rate(closed as u64, created.len() as u64),
            overdue: acts.iter().filter(|a| overdue(a)).count() as u64,
            overdue_by_priority: Priority::ALL
                .iter()
                .map(|p| {
                    (
                        p.as_str().to_owned(),
                        acts.iter()
                            .filter(|a| a.priority == *p && overdue(a))
                            .count() as u64,
                    )
                })
                .collect(),
            critical_on_time_rate: on_time_rate(&critical),
        },
        verification: VerificationMetrics {
            overdue: acts.iter().filter(|a| ver_overdue(a)).count() as u64,
            on_time_rate: rate(
                acts.iter().filter(|a| v_ok(a)).count() as u64,
                acts.iter().filter(|a| in_v(a)).count() as u64,
            ),
        },
        incidents: IncidentMetrics {
            count,
            time_to_resolve: summary(&|i| i.resolved_at.map(|r| r - i.detected_at)),
            time_to_mitigate: summary(&|i| i.mitigated_at.map(|m| m - i.detected_at)),
            time_to_detect: summary(&|i| i.started_at.map(|s| i.detected_at - s)),
        },
        rca: RcaMetrics {
            completion_rate: rate(r_ok, r_total),
        },
        recurrence_rate: rate(recurring as u64, incs.len() as u64),
        comms: CommsMetrics {
            within_target_rate: rate(within as u64, gaps.len() as u64),
            sev1_update_gap: gaps,
            target_minutes: target,
        },
        top_drivers: TopDrivers {
            root_cause_category: named(cats),
            service: named(services),
            known_error: named(kes),
        },
        by_team,
        trend,
    }
}
