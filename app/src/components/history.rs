//! A record's history from the audit log: who changed which field from what to what.
//! Loaded when opened, so a page with many records costs no query per record.

use leptos::prelude::*;

use crate::api::record_history;
use crate::components::error_box::ErrorBox;
use crate::components::format;
use crate::model::AuditEntry;

#[component]
pub fn RecordHistory(
    record_type: crate::domain::RecordType,
    key: String,
    #[prop(optional)] label: Option<&'static str>,
) -> impl IntoView {
    let load =
        Action::new(move |_: &()| record_history(record_type.as_str().to_owned(), key.clone()));
    let on_toggle = move |_| {
        if load.value().get_untracked().is_none() && !load.pending().get_untracked() {
            load.dispatch(());
        }
    };
    view! {
        <details class="history" on:toggle=on_toggle>
            <summary>{label.unwrap_or("History")}</summary>
            {move || match load.value().get() {
                None => view! { <p class="muted">"Loading history…"</p> }.into_any(),
                Some(Ok(list)) => view! { <HistoryTable list=list/> }.into_any(),
                Some(Err(e)) => view! { <ErrorBox error=e/> }.into_any(),
            }}
        </details>
    }
}

#[component]
pub fn HistoryTable(list: Vec<AuditEntry>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted">"No recorded changes."</p> }.into_any();
    }
    view! {
        <table class="list history">
            <thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Change"</th></tr></thead>
            <tbody>
                {list.into_iter().map(|e| view! {
                    <tr>
                        <td><time datetime=e.at.to_rfc3339()>{format::datetime(e.at)}</time></td>
                        <td>{e.actor}</td>
                        <td>{e.action.label()}{e.field.map(|f| view! { " " <code>{f}</code> })}</td>
                        <td>
                            {e.old.map(|o| view! { <del>{o}</del> " → " })}
                            {e.new.map(|n| view! { <ins>{n}</ins> })}
                        </td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
