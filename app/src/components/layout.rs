//! The frame around every page: the top bar with navigation.

use leptos::prelude::*;
use leptos_router::components::A;

/// The main navigation; the current section is marked for screen readers and the eye.
#[component]
pub fn TopNav() -> impl IntoView {
    // `A` marks the current section with aria-current="page" by itself (prefix match).
    let link = move |href: &'static str, label: &'static str, key: &'static str| {
        view! {
            <A href=href attr:class="nav-link" attr:accesskey=key>
                {label}
            </A>
        }
    };
    view! {
        <header class="topbar">
            <a class="brand" href="/incidents" aria-label="Hindsight home">
                <span class="brand-mark" aria-hidden="true">"◐"</span>
                " Hindsight"
            </a>
            <nav class="nav" aria-label="Main">
                {link("/incidents", "Incidents", "i")}
                {link("/actions", "Actions", "a")}
                {link("/known-errors", "Known errors", "k")}
                {link("/dashboard", "Dashboard", "d")}
            </nav>
        </header>
    }
}
