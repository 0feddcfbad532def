//! The postmortem list: what is in draft, in review or published, what is due and what is late.

use chrono::Utc;
use leptos::prelude::*;

use crate::api::list_postmortems;
use crate::components::badges::{PostmortemStatusBadge, SeverityBadge};
use crate::components::countdown::due_text;
use crate::components::filters::SeverityFilter;
use crate::components::format;
use crate::components::layout::PageHead;
use crate::components::list::{ListResults, ListTable, StatusTabs, query_filter, refilter};
use crate::domain::PostmortemStatus;
use crate::model::{PostmortemFilter, PostmortemSummary};

#[component]
pub fn PostmortemsPage() -> impl IntoView {
    let filter = query_filter::<PostmortemFilter>(&["limit"]);
    let list = Resource::new(move || filter.get(), list_postmortems);
    let on_severity = refilter(filter, |f, severity| f.severity = severity);
    view! {
        <PageHead heading="Postmortems"/>
        <div class="filters">
            <StatusTabs filter=filter/>
            <SeverityFilter id="pm-filter-severity" value=Signal::derive(move || filter.get().severity) on_pick=on_severity/>
        </div>
        <ListResults filter=filter list=list loading="Loading postmortems…"
            empty_id="postmortem-list-empty" none="No postmortems yet. Start one from a resolved incident's page."
            no_match="No postmortems match these filters."
            rows=|items| view! { <PostmortemTable items=items/> }/>
    }
}

#[component]
fn PostmortemTable(items: Vec<PostmortemSummary>) -> impl IntoView {
    let now = Utc::now();
    view! {
        <ListTable id="postmortem-list"
            heads=&["Incident", "Title", "Severity", "Status", "Root cause", "Due", "Updated"]>
            {items.into_iter().map(|p| {
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
        </ListTable>
    }
}
