//! The postmortem list: what is in draft, in review or published, what is due and what is late.

use chrono::Utc;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::list_postmortems;
use crate::components::badges::{PostmortemStatusBadge, SeverityBadge};
use crate::components::countdown::due_text;
use crate::components::error_box::ErrorBox;
use crate::components::filters::SeverityFilter;
use crate::components::format;
use crate::domain::{PostmortemStatus, Severity};
use crate::model::{Page, PostmortemFilter, PostmortemSummary};

fn href(f: &PostmortemFilter) -> String {
    let qs = serde_urlencoded::to_string(f).unwrap_or_default();
    if qs.is_empty() {
        "/postmortems".to_owned()
    } else {
        format!("/postmortems?{qs}")
    }
}

#[component]
pub fn PostmortemsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        PostmortemFilter {
            status: q.get("status").and_then(|s| s.parse().ok()),
            severity: q.get("severity").and_then(|s| s.parse().ok()),
            overdue: q.get("overdue").and_then(|s| s.parse().ok()),
            page: q.get("page").filter(|s| !s.is_empty()),
            limit: None,
        }
    });
    let list = Resource::new(move || filter.get(), list_postmortems);
    let tab = move |status: Option<PostmortemStatus>, overdue: bool, label: &'static str| {
        let target = href(&PostmortemFilter {
            status,
            overdue: overdue.then_some(true),
            severity: filter.get().severity,
            ..Default::default()
        });
        let current = move || {
            let f = filter.get();
            f.status == status && f.overdue.unwrap_or(false) == overdue
        };
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
        <Title text="Postmortems"/>
        <div class="page-head"><h1>"Postmortems"</h1></div>
        <div class="filters">
            <nav class="tabs" aria-label="Status">
                {move || view! {
                    {tab(None, false, "All")}
                    {PostmortemStatus::ALL.iter().map(|s| tab(Some(*s), false, s.label())).collect_view()}
                    {tab(None, true, "Overdue")}
                }}
            </nav>
            <SeverityFilter id="pm-filter-severity" value=Signal::derive(move || filter.get().severity) on_pick=on_severity/>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading postmortems…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(page) => view! { <PostmortemTable page=page filter=filter.get()/> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn PostmortemTable(page: Page<PostmortemSummary>, filter: PostmortemFilter) -> impl IntoView {
    if page.items.is_empty() {
        let message = if filter == PostmortemFilter::default() {
            "No postmortems yet. Start one from a resolved incident's page."
        } else {
            "No postmortems match these filters."
        };
        return view! { <p class="empty-state" id="postmortem-list-empty">{message}</p> }
            .into_any();
    }
    let now = Utc::now();
    let next_page = page.next.clone().map(|c| {
        href(&PostmortemFilter {
            page: Some(c),
            ..filter.clone()
        })
    });
    let first_page = filter.page.is_some().then(|| {
        href(&PostmortemFilter {
            page: None,
            ..filter.clone()
        })
    });
    view! {
        <table class="list" id="postmortem-list">
            <thead>
                <tr>
                    <th scope="col">"Incident"</th>
                    <th scope="col">"Title"</th>
                    <th scope="col">"Severity"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Root cause"</th>
                    <th scope="col">"Due"</th>
                    <th scope="col">"Updated"</th>
                </tr>
            </thead>
            <tbody>
                {page.items.into_iter().map(|p| {
                    let published = p.status == PostmortemStatus::Published;
                    let (due, overdue) = due_text(p.due_at, published, now);
                    view! {
                        <tr class=if p.overdue { "overdue" } else { "" }>
                            <td class="key"><a href=format!("/incidents/{}/postmortem", p.incident)>{p.incident.clone()}</a></td>
                            <td>{p.incident_title}</td>
                            <td><SeverityBadge severity=p.severity/></td>
                            <td><PostmortemStatusBadge status=p.status/></td>
                            <td class="muted">{p.root_cause_category.map(|c| c.label()).unwrap_or("—")}</td>
                            <td class=if overdue { "countdown overdue" } else { "countdown" } title=p.due_at.map(format::datetime).unwrap_or_default()>
                                {if overdue { "⚠ " } else { "" }}{if published { p.published_at.map(|t| format!("published {}", format::datetime(t))).unwrap_or(due) } else { due }}
                            </td>
                            <td><time datetime=p.updated_at.to_rfc3339()>{format::datetime(p.updated_at)}</time></td>
                        </tr>
                    }
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
