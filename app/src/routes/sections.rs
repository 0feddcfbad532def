//! Sections whose pages are not built yet: they say so plainly.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
fn NotYet(title: &'static str, what: &'static str) -> impl IntoView {
    view! {
        <Title text=title/>
        <h1>{title}</h1>
        <section class="empty-state">
            <p>{what}</p>
            <p class="muted">"This section is not available in this version yet."</p>
        </section>
    }
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! { <NotYet title="Dashboard" what="Follow-through: on-time closure, overdue actions, MTTR and RCA completion."/> }
}
