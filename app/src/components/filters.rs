//! Filter controls shared by the lists.

use leptos::prelude::*;

use crate::domain::Severity;

/// A severity drop-down ("All severities" is `None`) that reports the choice.
#[component]
pub fn SeverityFilter(
    id: &'static str,
    #[prop(into)] value: Signal<Option<Severity>>,
    #[prop(into)] on_pick: Callback<Option<Severity>>,
) -> impl IntoView {
    view! {
        <label class="inline">
            <span class="sr-only">"Severity"</span>
            <select id=id name="severity" on:change=move |ev| on_pick.run(event_target_value(&ev).parse().ok())
                prop:value=move || value.get().map(|s| s.as_str()).unwrap_or_default()>
                <option value="">"All severities"</option>
                {Severity::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
            </select>
        </label>
    }
}
