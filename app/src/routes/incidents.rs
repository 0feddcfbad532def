//! The incident list: filters in the address (so a filtered view can be shared), keyset pages.

use leptos::prelude::*;
use leptos_router::components::Form;

use crate::api::list_incidents;
use crate::components::badges::{IncidentStatusBadge, SeverityBadge};
use crate::components::filters::SeverityFilter;
use crate::components::format;
use crate::components::layout::PageHead;
use crate::components::list::{ListResults, ListTable, StatusTabs, href, query_filter, refilter};
use crate::components::live::{live_ticks, use_live};
use crate::domain::live::LiveKind;
use crate::model::{IncidentFilter, IncidentSummary};

#[component]
pub fn IncidentsPage() -> impl IntoView {
    let filter = query_filter::<IncidentFilter>(&["limit"]);
    // Declared, changed or resolved anywhere: the list and the active ones follow by themselves.
    let live = use_live(|| Some("incidents".to_owned()));
    let moved = live_ticks(live, |m| m.kind == LiveKind::IncidentUpdated);
    let incidents = Resource::new(
        move || (filter.get(), moved.get()),
        |(f, _)| list_incidents(f),
    );
    let active = Resource::new(
        move || moved.get(),
        |_| {
            list_incidents(IncidentFilter {
                active: Some(true),
                limit: Some(50),
                ..Default::default()
            })
        },
    );
    let on_severity = refilter(filter, |f, severity| f.severity = severity);

    view! {
        <PageHead heading="Incidents">
            <a class="button" href="/incidents/new" accesskey="n" id="declare-link">"Declare incident"</a>
        </PageHead>
        <div class="filters" role="search">
            <StatusTabs filter=filter/>
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
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let list = active.await.map(|p| p.items).unwrap_or_default();
                (!list.is_empty()).then(|| view! {
                    <section class="card active-now" id="active-incidents" aria-label="Active incidents">
                        <h2>"Active now"<span class="nav-count active-count">{list.len()}</span></h2>
                        <ul class="active-list">
                            {list.into_iter().map(|i| view! {
                                <li>
                                    <a href=format!("/incidents/{}", i.key) class="active-item">
                                        <SeverityBadge severity=i.severity/>
                                        <span class="key">{i.key.clone()}</span>
                                        <span class="grow">{i.title}</span>
                                        <IncidentStatusBadge status=i.status/>
                                        <span class="muted small">{i.commander.map(|c| format!("IC {c}"))}</span>
                                    </a>
                                </li>
                            }).collect_view()}
                        </ul>
                    </section>
                })
            })}
        </Transition>
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
        <ListResults filter=filter list=incidents loading="Loading incidents…"
            empty_id="incident-list-empty" none="No incidents recorded yet."
            no_match="No incidents match these filters."
            rows=|items| view! { <IncidentTable items=items/> }/>
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
fn IncidentTable(items: Vec<IncidentSummary>) -> impl IntoView {
    view! {
        <ListTable id="incident-list" numeric=&["Time to resolve"]
            heads=&["Key", "Title", "Severity", "Status", "Services", "Detected", "Time to resolve"]>
            {items.into_iter().map(|i| view! {
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
        </ListTable>
    }
}
