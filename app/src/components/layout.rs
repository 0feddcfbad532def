//! The frame around every page: the top bar with navigation and the user menu.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::Logout;
use crate::components::session::use_session;
use crate::domain::Role;

/// The main navigation; `A` marks the current section with aria-current="page" by itself.
#[component]
pub fn TopNav() -> impl IntoView {
    let session = use_session();
    let link = move |href: &'static str, label: &'static str, key: &'static str| {
        view! { <A href=href attr:class="nav-link" attr:accesskey=key>{label}</A> }
    };
    view! {
        <header class="topbar">
            <a class="brand" href="/incidents" aria-label="Hindsight home">
                <span class="brand-mark" aria-hidden="true">"◐"</span>
                " Hindsight"
            </a>
            <nav class="nav" aria-label="Main">
                {link("/incidents", "Incidents", "i")}
                {link("/postmortems", "Postmortems", "p")}
                {link("/actions", "Actions", "a")}
                {link("/known-errors", "Known errors", "k")}
                {link("/dashboard", "Dashboard", "d")}
            </nav>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    session.user.await.ok().flatten().map(|u| {
                        let admin = u.role == Role::Admin;
                        view! { <UserMenu name=u.name role=u.role.label() admin=admin/> }
                    })
                })}
            </Transition>
        </header>
    }
}

#[component]
fn UserMenu(name: String, role: &'static str, admin: bool) -> impl IntoView {
    let session = use_session();
    let logout = ServerAction::<Logout>::new();
    Effect::new(move |_| {
        if matches!(logout.value().get(), Some(Ok(()))) {
            session.changed();
        }
    });
    view! {
        <div class="user-menu">
            <A href="/admin" attr:class="nav-link" attr:accesskey="m">{if admin { "Admin" } else { "Account" }}</A>
            <span class="who" title=role>{name}<span class="muted">" · "{role}</span></span>
            <ActionForm action=logout attr:class="inline-form">
                <button type="submit" class="link-button" id="sign-out">"Sign out"</button>
            </ActionForm>
        </div>
    }
}
