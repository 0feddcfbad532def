//! The leadership dashboard: headline tiles, trends, overdue work by team, top drivers and the
//! by-team table, for a period and filters kept in the address (so a view can be shared and
//! printed). Every number links to the records behind it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::get_metrics;
use crate::components::charts::{BarList, ColumnChart, LineChart, Point};
use crate::components::error_box::ErrorBox;
use crate::components::format;
use crate::domain::Severity;
use crate::model::{ActionFilter, IncidentFilter, Metrics, MetricsQuery};

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
    let qs = serde_urlencoded::to_string(&f).unwrap_or_default();
    if qs.is_empty() {
        "/actions/all".into()
    } else {
        format!("/actions/all?{qs}")
    }
}

fn incidents_href(f: IncidentFilter) -> String {
    let qs = serde_urlencoded::to_string(&f).unwrap_or_default();
    if qs.is_empty() {
        "/incidents".into()
    } else {
        format!("/incidents?{qs}")
    }
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

#[component]
pub fn DashboardPage() -> impl IntoView {
    let query = use_query_map();
    let q = Memo::new(move |_| {
        let m = query.read();
        let text = |k: &str| m.get(k).filter(|s| !s.trim().is_empty());
        MetricsQuery {
            from: m.get("from").and_then(|s| s.parse().ok()),
            to: m.get("to").and_then(|s| s.parse().ok()),
            as_of: None,
            team: text("team"),
            service: text("service"),
            severity: m.get("severity").and_then(|s| s.parse().ok()),
        }
    });
    let metrics = Resource::new(move || q.get(), get_metrics);
    view! {
        <Title text="Dashboard"/>
        <div class="page-head">
            <h1>"Follow-through"</h1>
            <button class="secondary no-print" id="print" onclick="window.print()">"Print"</button>
        </div>
        <Form method="GET" action="/dashboard" attr:class="filters no-print" attr:id="dashboard-filters">
            {move || {
                let f = q.get();
                view! {
                    <label class="inline">"From "<input type="date" name="from" id="dash-from" value=f.from.map(|d| d.to_string()).unwrap_or_default()/></label>
                    <label class="inline">"to "<input type="date" name="to" id="dash-to" value=f.to.map(|d| d.to_string()).unwrap_or_default()/></label>
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

#[component]
fn Board(m: Metrics, q: MetricsQuery) -> impl IntoView {
    let team = q.team.clone();
    let (service, severity) = (q.service.clone(), q.severity);
    // Actions as the metrics scope them: the team, and the severity and service of their
    // incident.
    let scoped = move |f: ActionFilter| ActionFilter {
        team: f.team.or_else(|| team.clone()),
        service: service.clone(),
        severity,
        ..f
    };
    let mttr = |sev: &str| m.incidents.time_to_resolve.get(sev).map(|s| s.mean);
    let inc_scope = IncidentFilter {
        service: q.service.clone(),
        severity: q.severity,
        detected_from: Some(m.from),
        detected_to: Some(m.to),
        ..Default::default()
    };
    let period = format!("{} to {}", m.from, m.to);
    let on_time_points: Vec<Point> = m
        .trend
        .iter()
        .map(|t| {
            let (first, last) = month_bounds(&t.month, m.from, m.to);
            Point {
                label: month_label(&t.month),
                value: t.on_time_rate,
                href: Some(actions_href(scoped(ActionFilter {
                    due_from: first,
                    due_to: last,
                    ..Default::default()
                }))),
            }
        })
        .collect();
    let mttr_points: Vec<Point> = m
        .trend
        .iter()
        .map(|t| {
            let (first, last) = month_bounds(&t.month, m.from, m.to);
            Point {
                label: month_label(&t.month),
                value: t.mttr_minutes,
                href: Some(incidents_href(IncidentFilter {
                    detected_from: first,
                    detected_to: last,
                    ..inc_scope.clone()
                })),
            }
        })
        .collect();
    let overdue_by_team: Vec<Point> = {
        let mut rows: Vec<_> = m.by_team.iter().filter(|t| t.overdue > 0).collect();
        rows.sort_by(|a, b| b.overdue.cmp(&a.overdue).then_with(|| a.team.cmp(&b.team)));
        rows.into_iter()
            .map(|t| Point {
                label: t.team.clone(),
                value: Some(t.overdue as f64),
                href: Some(actions_href(scoped(ActionFilter {
                    team: Some(t.team.clone()),
                    overdue: Some(true),
                    ..Default::default()
                }))),
            })
            .collect()
    };
    let drivers = |rows: &[crate::model::NameCount], link: &dyn Fn(&str) -> Option<String>| {
        rows.iter()
            .map(|r| Point {
                label: r.name.clone(),
                value: Some(r.count as f64),
                href: link(&r.name),
            })
            .collect::<Vec<_>>()
    };
    let categories = drivers(&m.top_drivers.root_cause_category, &|c| {
        Some(incidents_href(IncidentFilter {
            root_cause_category: c.parse().ok(),
            ..inc_scope.clone()
        }))
    });
    let services = drivers(&m.top_drivers.service, &|s| {
        Some(incidents_href(IncidentFilter {
            service: Some(s.to_owned()),
            severity: q.severity,
            detected_from: Some(m.from),
            detected_to: Some(m.to),
            ..Default::default()
        }))
    });
    let kes = drivers(&m.top_drivers.known_error, &|k| {
        Some(format!("/known-errors/{k}"))
    });
    let sev1_gaps = m.comms.sev1_update_gap.clone();
    let target = m.comms.target_minutes;
    view! {
        <p class="muted" id="dashboard-period">{period}{q.team.clone().map(|t| format!(" · team {t}"))}{q.service.clone().map(|s| format!(" · service {s}"))}{q.severity.map(|s| format!(" · {}", s.label()))}</p>
        <section class="tiles" id="tiles">
            <Tile label="On-time closure" id="tile-on-time" value=rate_text(m.actions.on_time_rate)
                note=format!("critical {}", rate_text(m.actions.critical_on_time_rate))
                href=actions_href(scoped(ActionFilter { due_from: Some(m.from), due_to: Some(m.to), ..Default::default() }))/>
            <Tile label="Overdue actions" id="tile-overdue" value=m.actions.overdue.to_string() bad={m.actions.overdue > 0}
                note=format!("{} critical", m.actions.overdue_by_priority.get("critical").copied().unwrap_or(0))
                href=actions_href(scoped(ActionFilter { overdue: Some(true), ..Default::default() }))/>
            <Tile label="Verification overdue" id="tile-verification" value=m.verification.overdue.to_string() bad={m.verification.overdue > 0}
                note=format!("on time {}", rate_text(m.verification.on_time_rate))
                href=actions_href(scoped(ActionFilter { verification_overdue: Some(true), ..Default::default() }))/>
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
                            {m.by_team.iter().map(|t| {
                                let f = |overdue: Option<bool>, status| actions_href(scoped(ActionFilter { team: Some(t.team.clone()), overdue, status, ..Default::default() }));
                                view! {
                                    <tr>
                                        <td><a href=f(None, None)>{t.team.clone()}</a></td>
                                        <td class="num"><a href=f(None, Some(crate::domain::ActionStatus::Open))>{t.open}</a></td>
                                        <td class="num"><a href=f(Some(true), None)>{t.overdue}</a></td>
                                        <td class="num">{rate_text(t.on_time_rate)}</td>
                                        <td class="num"><a href=actions_href(scoped(ActionFilter { team: Some(t.team.clone()), verification_overdue: Some(true), ..Default::default() }))>{t.verification_overdue}</a></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
        <section class="card">
            <h2>"Sev1 customer updates "<span class="muted small">{format!("(target: every {target} min; within target {})", rate_text(m.comms.within_target_rate))}</span></h2>
            {if sev1_gaps.is_empty() {
                view! { <p class="muted">"No sev1 incidents in this period."</p> }.into_any()
            } else {
                view! {
                    <table class="list" id="update-gaps">
                        <thead><tr><th scope="col">"Incident"</th><th scope="col" class="num">"Longest gap"</th></tr></thead>
                        <tbody>
                            {sev1_gaps.into_iter().map(|g| {
                                let late = g.max_gap_minutes > f64::from(target);
                                view! {
                                    <tr class=if late { "overdue" } else { "" }>
                                        <td class="key"><a href=format!("/incidents/{}", g.incident)>{g.incident.clone()}</a></td>
                                        <td class="num">{format::minutes(g.max_gap_minutes)}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}
