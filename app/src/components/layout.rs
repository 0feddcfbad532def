//! The frame around every page: the top bar with navigation and the user menu.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::{Logout, nav_counts};
use crate::components::live::{live_ticks, use_live};
use crate::components::session::use_session;
use crate::domain::Role;
use crate::domain::live::LiveKind;

/// The main navigation; `A` marks the current section with aria-current="page" by itself.
#[component]
pub fn TopNav() -> impl IntoView {
    let session = use_session();
    // The counts follow the stream: an incident declared or resolved anywhere, a mention.
    let live = use_live(move || {
        session
            .user
            .get()
            .and_then(|u| u.ok().flatten())
            .map(|_| "incidents,notifications".to_owned())
    });
    let moved = live_ticks(live, |m| {
        matches!(m.kind, LiveKind::IncidentUpdated | LiveKind::CommentAdded)
    });
    // Also counted again on every navigation: reading a notification changes no stream.
    let path = leptos_router::hooks::use_location().pathname;
    let counts = Resource::new(
        move || (session.epoch.get(), moved.get(), path.get()),
        |_| nav_counts(),
    );
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
                <A href="/incidents" attr:class="nav-link" attr:accesskey="i">
                    "Incidents"
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            counts.await.ok().filter(|c| c.active_incidents > 0).map(|c| view! {
                                <span class="nav-count active-count" id="nav-active" title="Incidents being worked on now">{c.active_incidents}</span>
                            })
                        })}
                    </Transition>
                </A>
                {link("/postmortems", "Postmortems", "p")}
                {link("/actions", "Actions", "a")}
                {link("/known-errors", "Known errors", "k")}
                {link("/dashboard", "Dashboard", "d")}
                <A href="/notifications" attr:class="nav-link" attr:accesskey="o" attr:id="nav-notifications" attr:title="Mentions and review requests">
                "Notifications"
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        counts.await.ok().filter(|c| c.unread_notifications > 0).map(|c| view! {
                            <span class="nav-count unread-count" id="nav-unread">{c.unread_notifications}</span>
                        })
                    })}
                </Transition>
            </A>
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
            {admin.then(|| view! { <A href="/admin" attr:class="nav-link" attr:accesskey="g">"Admin"</A> })}
            <A href="/me" attr:class="nav-link who" attr:accesskey="m" attr:title=format!("Your account ({role})") attr:id="nav-me">
                {name}<span class="muted">" · "{role}</span>
            </A>
            <ActionForm action=logout attr:class="inline-form">
                <button type="submit" class="link-button" id="sign-out">"Sign out"</button>
            </ActionForm>
        </div>
    }
}

/// A page's heading (also the document's title, unless `title` differs) and what stands
/// beside it (a button, tabs).
#[component]
pub fn PageHead(
    heading: &'static str,
    #[prop(optional)] title: Option<&'static str>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <leptos_meta::Title text=title.unwrap_or(heading)/>
        <div class="page-head"><h1>{heading}</h1>{children.map(|c| c())}</div>
    }
}
