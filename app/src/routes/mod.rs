//! Pages, one module per section, and the document shell they render into.

mod actions;
mod admin;
mod dashboard;
mod declare;
mod incident;
mod incident_room;
mod incidents;
mod integrations;
mod known_errors;
mod login;
mod me;
mod not_found;
mod notifications;
mod postmortem;
mod postmortems;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::path;

use crate::components::layout::TopNav;
use crate::components::session::{RequireUser, Session};
pub use not_found::NotFound;

/// The HTML document the server renders every page into.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' fill='%23334155'/%3E%3Cpath d='M8 1a7 7 0 0 1 0 14z' fill='%23f59e0b'/%3E%3C/svg%3E"/>
                <link rel="stylesheet" href=format!("/{}/{}.css", options.site_pkg_dir, options.output_name)/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The application: layout, navigation and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    Session::provide();
    view! {
        <Title formatter=|t: String| if t.is_empty() { "Hindsight".to_owned() } else { format!("{t} · Hindsight") }/>
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <TopNav/>
            <main id="main" class="page">
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=|| view! { <Redirect path="/incidents"/> }/>
                    <Route path=path!("/login") view=login::LoginPage/>
                    <Route path=path!("/incidents") view=|| view! { <RequireUser><incidents::IncidentsPage/></RequireUser> }/>
                    <Route path=path!("/incidents/new") view=|| view! { <RequireUser><declare::DeclarePage/></RequireUser> }/>
                    <Route path=path!("/incidents/:key") view=|| view! { <RequireUser><incident::IncidentPage/></RequireUser> }/>
                    <Route path=path!("/incidents/:key/postmortem") view=|| view! { <RequireUser><postmortem::PostmortemPage/></RequireUser> }/>
                    <Route path=path!("/postmortems") view=|| view! { <RequireUser><postmortems::PostmortemsPage/></RequireUser> }/>
                    <Route path=path!("/actions") view=|| view! { <RequireUser><actions::MyActionsPage/></RequireUser> }/>
                    <Route path=path!("/actions/all") view=|| view! { <RequireUser><actions::AllActionsPage/></RequireUser> }/>
                    <Route path=path!("/actions/:key") view=|| view! { <RequireUser><actions::ActionPage/></RequireUser> }/>
                    <Route path=path!("/known-errors") view=|| view! { <RequireUser><known_errors::KnownErrorsPage/></RequireUser> }/>
                    <Route path=path!("/known-errors/new") view=|| view! { <RequireUser><known_errors::NewKnownErrorPage/></RequireUser> }/>
                    <Route path=path!("/known-errors/:key") view=|| view! { <RequireUser><known_errors::KnownErrorPage/></RequireUser> }/>
                    <Route path=path!("/dashboard") view=|| view! { <RequireUser><dashboard::DashboardPage/></RequireUser> }/>
                    <Route path=path!("/admin") view=|| view! { <RequireUser><admin::AdminPage/></RequireUser> }/>
                    <Route path=path!("/me") view=|| view! { <RequireUser><me::MePage/></RequireUser> }/>
                    <Route path=path!("/notifications") view=|| view! { <RequireUser><notifications::NotificationsPage/></RequireUser> }/>
                </Routes>
            </main>
        </Router>
    }
}
