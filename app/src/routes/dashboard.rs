//! The leadership dashboard: headline tiles, trends, overdue work by team, top drivers and the
//! by-team table, for a period and filters kept in the address (so a view can be shared and
//! printed). Every number links to the records behind it.

use leptos::prelude::*;
use leptos_router::components::Form;

use crate::api::get_metrics;
use crate::components::charts::{BarList, ColumnChart, LineChart, Point};
use crate::components::error_box::ErrorBox;
use crate::components::format;
use crate::components::layout::PageHead;
use crate::components::list::{href, query_filter};
use crate::domain::Severity;
use crate::model::{
    ActionFilter, IncidentFilter, Metrics, MetricsQuery, MonthMetrics, NameCount, TeamMetrics,
    UpdateGap,
};

fn pct(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

fn rate_text(v: Option<f64>) -> String {
    v.map(pct).unwrap_or_else(|| "—".into())
}

/// `2026-08` → `Aug 26`.
fn month_label(month: &str) -> String {
    chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map(|d| d.format("%b %y").to_string())
        .unwrap_or_else(|_| month.to_owned())
}

fn incidents_text(n: u64) -> String {
    if n == 1 {
        "1 incident".into()
    } else {
        format!("{n} incidents")
    }
}

fn hours(m: f64) -> String {
    format::minutes(m)
}

fn actions_href(f: ActionFilter) -> String {
    href(&f)
}

fn incidents_href(f: IncidentFilter) -> String {
    href(&f)
}

/// The first and last day of `month` (`2026-08`) inside the period [from, to].
fn month_bounds(
    month: &str,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> (Option<chrono::NaiveDate>, Option<chrono::NaiveDate>) {
    let Ok(first) = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d") else {
        return (Some(from), Some(to));
    };
    let last = first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(first);
    (Some(first.max(from)), Some(last.min(to)))
}

/// The period's date inputs, filled with `from` and `to`.
fn period_inputs(from: Option<chrono::NaiveDate>, to: Option<chrono::NaiveDate>) -> AnyView {
    let text = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    view! {
        <label class="inline">"From "<input type="date" name="from" id="dash-from" value=text(from)/></label>
        <label class="inline">"to "<input type="date" name="to" id="dash-to" value=text(to)/></label>
    }
    .into_any()
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let q = query_filter::<MetricsQuery>(&["as_of"]);
    let metrics = Resource::new(move || q.get(), get_metrics);
    view! {
        <PageHead heading="Follow-through" title="Dashboard">
            <button class="secondary no-print" id="print" onclick="window.print()">"Print"</button>
        </PageHead>
        <Form method="GET" action="/dashboard" attr:class="filters no-print" attr:id="dashboard-filters">
            {move || {
                let f = q.get();
                view! {
                    <Transition fallback=move || period_inputs(f.from, f.to)>
                        {move || Suspend::new(async move {
                            // The period actually shown, also when the address names none.
                            match metrics.await {
                                Ok(m) => period_inputs(Some(m.from), Some(m.to)),
                                Err(_) => period_inputs(f.from, f.to),
                            }
                        })}
                    </Transition>
                    <input type="text" name="team" class="short" placeholder="Team" aria-label="Team" id="dash-team" value=f.team.clone().unwrap_or_default()/>
                    <input type="text" name="service" class="short" placeholder="Service" aria-label="Service" id="dash-service" value=f.service.clone().unwrap_or_default()/>
                    <select name="severity" aria-label="Severity" id="dash-severity">
                        <option value="">"All severities"</option>
                        {Severity::ALL.iter().map(|s| view! { <option value=s.as_str() selected=f.severity == Some(*s)>{s.label()}</option> }).collect_view()}
                    </select>
                    <button type="submit" class="secondary">"Apply"</button>
                    <a href="/dashboard">"Last 90 days"</a>
                }
            }}
        </Form>
        <Transition fallback=|| view! { <p class="muted">"Computing metrics…"</p> }>
            {move || Suspend::new(async move {
                match metrics.await {
                    Ok(m) => view! { <Board m=m q=q.get()/> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Tile(
    label: &'static str,
    value: String,
    href: String,
    id: &'static str,
    #[prop(optional)] note: Option<String>,
    #[prop(optional)] bad: bool,
) -> impl IntoView {
    view! {
        <a class=if bad { "tile bad" } else { "tile" } href=href id=id>
            <span class="stat-label">{label}</span>
            <span class="tile-value">{value}</span>
            {note.map(|n| view! { <span class="muted small">{n}</span> })}
        </a>
    }
}

/// The dashboard's filters as the lists behind its numbers take them.
#[derive(Debug, Clone)]
struct Scope {
    team: Option<String>,
    service: Option<String>,
    severity: Option<Severity>,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
}

impl Scope {
    fn new(m: &Metrics, q: &MetricsQuery) -> Self {
        Self {
            team: q.team.clone(),
            service: q.service.clone(),
            severity: q.severity,
            from: m.from,
            to: m.to,
        }
    }

    /// The list of actions as the metrics scope them: the team, and the severity and service of
    /// their incident.
    fn actions(&self, f: ActionFilter) -> String {
        actions_href(ActionFilter {
            team: f.team.or_else(|| self.team.clone()),
            service: self.service.clone(),
            severity: self.severity,
            ..f
        })
    }

    /// Incidents of the service and severity detected in the period.
    fn incidents(&self) -> IncidentFilter {
        IncidentFilter {
            service: self.service.clone(),
            severity: self.severity,
            detected_from: Some(self.from),
            detected_to: Some(self.to),
            ..Default::default()
        }
    }

    /// A point a month of the trend, linking to the records of that month.
    fn monthly(
        &self,
        m: &Metrics,
        value: fn(&MonthMetrics) -> Option<f64>,
        link: impl Fn(Option<chrono::NaiveDate>, Option<chrono::NaiveDate>) -> String,
    ) -> Vec<Point> {
        m.trend
            .iter()
            .map(|t| {
                let (first, last) = month_bounds(&t.month, self.from, self.to);
                Point {
                    label: month_label(&t.month),
                    value: value(t),
                    href: Some(link(first, last)),
                }
            })
            .collect()
    }
}

fn drivers(rows: &[NameCount], link: impl Fn(&str) -> String) -> Vec<Point> {
    rows.iter()
        .map(|r| Point {
            label: r.name.clone(),
            value: Some(r.count as f64),
            href: Some(link(&r.name)),
        })
        .collect()
}

#[component]
fn Board(m: Metrics, q: MetricsQuery) -> impl IntoView {
    let scope = Scope::new(&m, &q);
    let period = format!("{} to {}", m.from, m.to);
    view! {
        <p class="muted" id="dashboard-period">{period}{q.team.clone().map(|t| format!(" · team {t}"))}{q.service.clone().map(|s| format!(" · service {s}"))}{q.severity.map(|s| format!(" · {}", s.label()))}</p>
        <Tiles m=m.clone() scope=scope.clone()/>
        <Charts m=m.clone() scope=scope.clone()/>
        <ByTeam m=m.clone() scope=scope/>
        <UpdateGaps m=m/>
    }
}

#[component]
fn Tiles(m: Metrics, scope: Scope) -> impl IntoView {
    let mttr = |sev: &str| m.incidents.time_to_resolve.get(sev).map(|s| s.mean);
    let inc_scope = scope.incidents();
    view! {
        <section class="tiles" id="tiles">
            <Tile label="On-time closure" id="tile-on-time" value=rate_text(m.actions.on_time_rate)
                note=format!("critical {}", rate_text(m.actions.critical_on_time_rate))
                href=scope.actions(ActionFilter { due_from: Some(m.from), due_to: Some(m.to), ..Default::default() })/>
            <Tile label="Overdue actions" id="tile-overdue" value=m.actions.overdue.to_string() bad={m.actions.overdue > 0}
                note=format!("{} critical", m.actions.overdue_by_priority.get("critical").copied().unwrap_or(0))
                href=scope.actions(ActionFilter { overdue: Some(true), ..Default::default() })/>
            <Tile label="Verification overdue" id="tile-verification" value=m.verification.overdue.to_string() bad={m.verification.overdue > 0}
                note=format!("on time {}", rate_text(m.verification.on_time_rate))
                href=scope.actions(ActionFilter { verification_overdue: Some(true), ..Default::default() })/>
            <Tile label="RCA on time" id="tile-rca" value=rate_text(m.rca.completion_rate)
                note="sev1 and sev2".to_owned()
                href=incidents_href(IncidentFilter { rca_due: Some(true), detected_from: None, detected_to: None, resolved_from: Some(m.from), resolved_to: Some(m.to), ..inc_scope.clone() })/>
            <Tile label="Recurrence" id="tile-recurrence" value=rate_text(m.recurrence_rate)
                note=format!("of {}", incidents_text(m.incidents.count.get("total").copied().unwrap_or(0)))
                href=incidents_href(IncidentFilter { recurring: Some(true), ..inc_scope.clone() })/>
            <Tile label="MTTR sev1" id="tile-mttr-sev1" value=mttr("sev1").map(hours).unwrap_or_else(|| "—".into())
                note=incidents_text(m.incidents.count.get("sev1").copied().unwrap_or(0))
                href=incidents_href(IncidentFilter { severity: Some(Severity::Sev1), ..inc_scope.clone() })/>
            <Tile label="MTTR sev2" id="tile-mttr-sev2" value=mttr("sev2").map(hours).unwrap_or_else(|| "—".into())
                note=incidents_text(m.incidents.count.get("sev2").copied().unwrap_or(0))
                href=incidents_href(IncidentFilter { severity: Some(Severity::Sev2), ..inc_scope.clone() })/>
        </section>
    }
}

#[component]
fn Charts(m: Metrics, scope: Scope) -> impl IntoView {
    let inc_scope = scope.incidents();
    let on_time_points = scope.monthly(
        &m,
        |t| t.on_time_rate,
        |first, last| {
            scope.actions(ActionFilter {
                due_from: first,
                due_to: last,
                ..Default::default()
            })
        },
    );
    let mttr_points = scope.monthly(
        &m,
        |t| t.mttr_minutes,
        |first, last| {
            incidents_href(IncidentFilter {
                detected_from: first,
                detected_to: last,
                ..inc_scope.clone()
            })
        },
    );
    let overdue_by_team: Vec<Point> = {
        let mut rows: Vec<_> = m.by_team.iter().filter(|t| t.overdue > 0).collect();
        rows.sort_by(|a, b| b.overdue.cmp(&a.overdue).then_with(|| a.team.cmp(&b.team)));
        rows.into_iter()
            .map(|t| Point {
                label: t.team.clone(),
                value: Some(t.overdue as f64),
                href: Some(scope.actions(ActionFilter {
                    team: Some(t.team.clone()),
                    overdue: Some(true),
                    ..Default::default()
                })),
            })
            .collect()
    };
    let categories = drivers(&m.top_drivers.root_cause_category, |c| {
        incidents_href(IncidentFilter {
            root_cause_category: c.parse().ok(),
            ..inc_scope.clone()
        })
    });
    let services = drivers(&m.top_drivers.service, |s| {
        incidents_href(IncidentFilter {
            service: Some(s.to_owned()),
            severity: scope.severity,
            detected_from: Some(m.from),
            detected_to: Some(m.to),
            ..Default::default()
        })
    });
    let kes = drivers(&m.top_drivers.known_error, |k| format!("/known-errors/{k}"));
    view! {
        <div class="chart-grid">
            <section class="card">
                <h2>"On-time closure by month"</h2>
                <ColumnChart points=on_time_points label="Share of actions due each month closed on time".into() max=1.0 fmt=pct id="chart-on-time"/>
            </section>
            <section class="card">
                <h2>"Mean time to resolve by month"</h2>
                <LineChart points=mttr_points label="Mean time to resolve of incidents detected each month".into() fmt=hours id="chart-mttr"/>
            </section>
            <section class="card">
                <h2>"Overdue actions by team"</h2>
                <BarList points=overdue_by_team label="Overdue actions by team".into() id="chart-overdue-teams"/>
            </section>
            <section class="card">
                <h2>"Top drivers"</h2>
                <h3 class="small muted">"Root cause"</h3>
                <BarList points=categories label="Incidents by root-cause category".into() id="drivers-category"/>
                <h3 class="small muted">"Service"</h3>
                <BarList points=services label="Incidents by service".into() id="drivers-service"/>
                <h3 class="small muted">"Known error"</h3>
                <BarList points=kes label="Incidents by known error".into() id="drivers-known-error"/>
            </section>
        </div>
    }
}

#[component]
fn ByTeam(m: Metrics, scope: Scope) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"By team"</h2>
            {if m.by_team.is_empty() {
                view! { <p class="muted">"No actions with a team."</p> }.into_any()
            } else {
                view! {
                    <table class="list" id="by-team">
                        <thead><tr><th scope="col">"Team"</th><th scope="col" class="num">"Open"</th><th scope="col" class="num">"Overdue"</th>
                            <th scope="col" class="num">"On time"</th><th scope="col" class="num">"Verification overdue"</th></tr></thead>
                        <tbody>
                            {m.by_team.iter().map(|t| view! { <TeamRow t=t.clone() scope=scope.clone()/> }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn UpdateGaps(m: Metrics) -> impl IntoView {
    let sev1_gaps = m.comms.sev1_update_gap.clone();
    let target = m.comms.target_minutes;
    view! {
        <section class="card">
            <h2>"Sev1 customer updates "<span class="muted small">{format!("(target: every {target} min; within target {})", rate_text(m.comms.within_target_rate))}</span></h2>
            {if sev1_gaps.is_empty() {
                view! { <p class="muted">"No sev1 incidents in this period."</p> }.into_any()
            } else {
                view! {
                    <table class="list" id="update-gaps">
                        <thead><tr><th scope="col">"Incident"</th><th scope="col" class="num">"Longest gap"</th></tr></thead>
                        <tbody>
                            {sev1_gaps.into_iter().map(|g| view! { <GapRow g=g target=target/> }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn TeamRow(t: TeamMetrics, scope: Scope) -> impl IntoView {
    let f = |overdue: Option<bool>, status| {
        scope.actions(ActionFilter {
            team: Some(t.team.clone()),
            overdue,
            status,
            ..Default::default()
        })
    };
    view! {
        <tr>
            <td><a href=f(None, None)>{t.team.clone()}</a></td>
            <td class="num"><a href=f(None, Some(crate::domain::ActionStatus::Open))>{t.open}</a></td>
            <td class="num"><a href=f(Some(true), None)>{t.overdue}</a></td>
            <td class="num">{rate_text(t.on_time_rate)}</td>
            <td class="num"><a href=scope.actions(ActionFilter { team: Some(t.team.clone()), verification_overdue: Some(true), ..Default::default() })>{t.verification_overdue}</a></td>
        </tr>
    }
}

#[component]
fn GapRow(g: UpdateGap, target: u32) -> impl IntoView {
    let late = g.max_gap_minutes > f64::from(target);
    view! {
        <tr class=if late { "overdue" } else { "" }>
            <td class="key"><a href=format!("/incidents/{}", g.incident)>{g.incident.clone()}</a></td>
            <td class="num">{format::minutes(g.max_gap_minutes)}</td>
        </tr>
    }
}
