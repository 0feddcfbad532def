//! The incident list: filters in the address (so a filtered view can be shared), keyset pages.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::list_incidents;
use crate::components::badges::{IncidentStatusBadge, SeverityBadge};
use crate::components::error_box::ErrorBox;
use crate::components::filters::SeverityFilter;
use crate::components::format;
use crate::domain::{IncidentStatus, Severity};
use crate::model::{IncidentFilter, IncidentSummary, Page};

/// The list's address for a filter.
fn href(f: &IncidentFilter) -> String {
    let qs = serde_urlencoded::to_string(f).unwrap_or_default();
    if qs.is_empty() {
        "/incidents".to_owned()
    } else {
        format!("/incidents?{qs}")
    }
}

#[component]
pub fn IncidentsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        let text = |k: &str| q.get(k).filter(|s| !s.trim().is_empty());
        IncidentFilter {
            status: q.get("status").and_then(|s| s.parse().ok()),
            severity: q.get("severity").and_then(|s| s.parse().ok()),
            service: text("service"),
            q: text("q"),
            detected_from: q.get("detected_from").and_then(|s| s.parse().ok()),
            detected_to: q.get("detected_to").and_then(|s| s.parse().ok()),
            resolved_from: q.get("resolved_from").and_then(|s| s.parse().ok()),
            resolved_to: q.get("resolved_to").and_then(|s| s.parse().ok()),
            root_cause_category: q.get("root_cause_category").and_then(|s| s.parse().ok()),
            recurring: q.get("recurring").and_then(|s| s.parse().ok()),
            rca_due: q.get("rca_due").and_then(|s| s.parse().ok()),
            page: text("page"),
            limit: None,
        }
    });
    let incidents = Resource::new(move || filter.get(), list_incidents);
    let with = move |change: &dyn Fn(&mut IncidentFilter)| {
        let mut f = filter.get();
        f.page = None;
        change(&mut f);
        href(&f)
    };
    let status_tab = move |status: Option<IncidentStatus>, label: &'static str| {
        let target = with(&|f| f.status = status);
        let current = move || filter.get().status == status;
        view! { <a href=target class="tab" aria-current=move || current().then_some("page")>{label}</a> }
    };
    let navigate = use_navigate();
    let on_severity = move |severity: Option<Severity>| {
        let mut f = filter.get_untracked();
        f.page = None;
        f.severity = severity;
        navigate(&href(&f), Default::default());
    };

    view! {
        <Title text="Incidents"/>
        <div class="page-head">
            <h1>"Incidents"</h1>
            <a class="button" href="/incidents/new" accesskey="n" id="declare-link">"Declare incident"</a>
        </div>
        <div class="filters" role="search">
            <nav class="tabs" aria-label="Status">
                {move || view! {
                    {status_tab(None, "All")}
                    {IncidentStatus::ALL.iter().map(|s| status_tab(Some(*s), s.label())).collect_view()}
                }}
            </nav>
            <SeverityFilter id="filter-severity" value=Signal::derive(move || filter.get().severity) on_pick=on_severity/>
            <Form method="GET" action="/incidents" attr:class="search">
                {move || filter.get().status.map(|s| view! { <input type="hidden" name="status" value=s.as_str()/> })}
                {move || filter.get().severity.map(|s| view! { <input type="hidden" name="severity" value=s.as_str()/> })}
                <input type="text" name="service" placeholder="Service" aria-label="Service" class="short"
                    prop:value=move || filter.get().service.unwrap_or_default()/>
                <input type="search" name="q" placeholder="Search incidents and timelines…" aria-label="Search incidents"
                    accesskey="s" prop:value=move || filter.get().q.unwrap_or_default()/>
                {move || hidden_scope(&filter.get()).into_iter().map(|(name, value)| view! { <input type="hidden" name=name value=value/> }).collect_view()}
                <button type="submit">"Search"</button>
            </Form>
        </div>
        {move || {
            let f = filter.get();
            let scope = scope_text(&f);
            (!scope.is_empty()).then(|| {
                let all = href(&IncidentFilter {
                    detected_from: None,
                    detected_to: None,
                    resolved_from: None,
                    resolved_to: None,
                    root_cause_category: None,
                    recurring: None,
                    rca_due: None,
                    page: None,
                    ..f.clone()
                });
                view! { <p class="muted" id="detected-range">{scope}" · "<a href=all>"clear"</a></p> }
            })
        }}
        <Transition fallback=|| view! { <p class="muted">"Loading incidents…"</p> }>
            {move || Suspend::new(async move {
                match incidents.await {
                    Ok(page) => view! { <IncidentTable page=page filter=filter.get()/> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn range_text(
    what: &str,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> Option<String> {
    (from.is_some() || to.is_some()).then(|| {
        let from = from.map_or_else(|| "the start".into(), |d| d.to_string());
        let to = to.map_or_else(|| "today".into(), |d| d.to_string());
        format!("{what} from {from} to {to}")
    })
}

/// The filters the form does not show (they come from dashboard links), in words.
fn scope_text(f: &IncidentFilter) -> String {
    let mut parts: Vec<String> = [
        range_text("Detected", f.detected_from, f.detected_to),
        range_text("Resolved", f.resolved_from, f.resolved_to),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some(c) = f.root_cause_category {
        parts.push(format!("root cause: {}", c.label()));
    }
    match f.recurring {
        Some(true) => parts.push("recurring (a known error seen earlier)".into()),
        Some(false) => parts.push("not recurring".into()),
        None => {}
    }
    if f.rca_due == Some(true) {
        parts.push("sev1 and sev2 whose RCA is published or past its deadline".into());
    }
    parts.join(" · ")
}

/// The same filters as hidden form fields, kept when the form is submitted.
fn hidden_scope(f: &IncidentFilter) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let dates = [
        ("detected_from", f.detected_from),
        ("detected_to", f.detected_to),
        ("resolved_from", f.resolved_from),
        ("resolved_to", f.resolved_to),
    ];
    for (name, d) in dates {
        if let Some(d) = d {
            out.push((name, d.to_string()));
        }
    }
    if let Some(c) = f.root_cause_category {
        out.push(("root_cause_category", c.as_str().to_owned()));
    }
    if let Some(r) = f.recurring {
        out.push(("recurring", r.to_string()));
    }
    if f.rca_due == Some(true) {
        out.push(("rca_due", "true".to_owned()));
    }
    out
}

#[component]
fn IncidentTable(page: Page<IncidentSummary>, filter: IncidentFilter) -> impl IntoView {
    if page.items.is_empty() {
        let message = if filter == IncidentFilter::default() {
            "No incidents recorded yet."
        } else {
            "No incidents match these filters."
        };
        return view! { <p class="empty-state" id="incident-list-empty">{message}</p> }.into_any();
    }
    let first_page = filter.page.is_some().then(|| {
        href(&IncidentFilter {
            page: None,
            ..filter.clone()
        })
    });
    let next_page = page.next.clone().map(|c| {
        href(&IncidentFilter {
            page: Some(c),
            ..filter.clone()
        })
    });
    view! {
        <table class="list" id="incident-list">
            <thead>
                <tr>
                    <th scope="col">"Key"</th>
                    <th scope="col">"Title"</th>
                    <th scope="col">"Severity"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Services"</th>
                    <th scope="col">"Detected"</th>
                    <th scope="col" class="num">"Time to resolve"</th>
                </tr>
            </thead>
            <tbody>
                {page.items.into_iter().map(|i| view! {
                    <tr>
                        <td class="key"><a href=format!("/incidents/{}", i.key)>{i.key.clone()}</a></td>
                        <td>{i.title}</td>
                        <td><SeverityBadge severity=i.severity/></td>
                        <td><IncidentStatusBadge status=i.status/></td>
                        <td class="muted">{i.services.join(", ")}</td>
                        <td><time datetime=i.detected_at.to_rfc3339()>{format::datetime(i.detected_at)}</time></td>
                        <td class="num">{i.durations.time_to_resolve.map(format::minutes).unwrap_or_else(|| "—".into())}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <nav class="pager" aria-label="Pages">
            {first_page.map(|h| view! { <a href=h>"← First page"</a> })}
            {next_page.map(|h| view! { <a href=h rel="next">"Next page →"</a> })}
        </nav>
    }
    .into_any()
}
