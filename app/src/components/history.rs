//! A record's history from the audit log: who changed which field from what to what.

use leptos::prelude::*;

use crate::api::record_history;
use crate::components::error_box::ErrorBox;
use crate::components::format;

#[component]
pub fn RecordHistory(record_type: &'static str, key: String) -> impl IntoView {
    let entries = Resource::new(
        move || (record_type, key.clone()),
        |(t, k)| record_history(t.to_owned(), k),
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading history…"</p> }>
            {move || Suspend::new(async move {
                match entries.await {
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No recorded changes."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="list history">
                            <thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Change"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|e| view! {
                                    <tr>
                                        <td><time datetime=e.at.to_rfc3339()>{format::datetime(e.at)}</time></td>
                                        <td>{e.actor}</td>
                                        <td>{e.action}{e.field.map(|f| view! { " " <code>{f}</code> })}</td>
                                        <td>
                                            {e.old.map(|o| view! { <del>{o}</del> " → " })}
                                            {e.new.map(|n| view! { <ins>{n}</ins> })}
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
