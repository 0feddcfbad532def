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
use leptos_router::{Lazy, path};

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
                    <Route path=path!("/incidents") view={Lazy::<IncidentListPage>::new()}/>
                    <Route path=path!("/incidents/new") view={Lazy::<ListPages>::new()}/>
                    <Route path=path!("/incidents/:key") view={Lazy::<RecordPages>::new()}/>
                    <Route path=path!("/incidents/:key/postmortem") view={Lazy::<RecordPages>::new()}/>
                    <Route path=path!("/postmortems") view={Lazy::<ListPages>::new()}/>
                    <Route path=path!("/actions") view={Lazy::<ListPages>::new()}/>
                    <Route path=path!("/actions/all") view={Lazy::<ListPages>::new()}/>
                    <Route path=path!("/actions/:key") view={Lazy::<RecordPages>::new()}/>
                    <Route path=path!("/known-errors") view={Lazy::<ListPages>::new()}/>
                    <Route path=path!("/known-errors/new") view={Lazy::<ListPages>::new()}/>
                    <Route path=path!("/known-errors/:key") view={Lazy::<RecordPages>::new()}/>
                    <Route path=path!("/dashboard") view={Lazy::<DashboardPages>::new()}/>
                    <Route path=path!("/admin") view={Lazy::<AdminPages>::new()}/>
                    <Route path=path!("/me") view={Lazy::<ListPages>::new()}/>
                    <Route path=path!("/notifications") view={Lazy::<ListPages>::new()}/>
                </Routes>
            </main>
        </Router>
    }
}

/// Pages whose code the browser fetches when one of them is first shown: `#[lazy_route]`
/// puts a section's views into a WebAssembly module of its own, which `.ci/build-site` splits
/// off the main bundle (code two sections share goes into a chunk both fetch). The server
/// renders them like any other page. Few sections, not one per page: each split multiplies
/// the shared chunks a page must fetch. The sign-in page and the shell stay in the main
/// module.
/// Whether `path` fits a route `pattern` whose `:name` segments stand for any one segment.
fn path_matches(pattern: &str, path: &str) -> bool {
    let mut want = pattern.trim_matches('/').split('/');
    let mut have = path.trim_matches('/').split('/');
    loop {
        match (want.next(), have.next()) {
            (None, None) => return true,
            (Some(w), Some(h)) if w.starts_with(':') && !h.is_empty() => {}
            (Some(w), Some(h)) if w == h => {}
            _ => return false,
        }
    }
}

macro_rules! lazy_section {
    ($(#[$doc:meta])* $section:ident { $($path:literal => $page:path),+ $(,)? }) => {
        $(#[$doc])*
        struct $section;

        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $section {
            fn data() -> Self {
                $section
            }

            fn view(_this: Self) -> AnyView {
                // The path picks the page, by the same patterns as the routes.
                let path = leptos_router::hooks::use_location().pathname.get_untracked();
                $(if path_matches($path, &path) {
                    return view! { <RequireUser>{$page()}</RequireUser> }.into_any();
                })+
                view! { <NotFound/> }.into_any()
            }
        }
    };
}

lazy_section!(
    /// The incident list: the page most people open first, so it travels alone.
    IncidentListPage {
        "/incidents" => incidents::IncidentsPage,
    }
);

lazy_section!(
    /// The other lists and the forms that start a record.
    ListPages {
        "/incidents/new" => declare::DeclarePage,
        "/postmortems" => postmortems::PostmortemsPage,
        "/actions" => actions::MyActionsPage,
        "/actions/all" => actions::AllActionsPage,
        "/known-errors" => known_errors::KnownErrorsPage,
        "/known-errors/new" => known_errors::NewKnownErrorPage,
        "/notifications" => notifications::NotificationsPage,
        "/me" => me::MePage,
    }
);

lazy_section!(
    /// A record's own page: incident room, postmortem editor, action, known error.
    RecordPages {
        "/incidents/:key" => incident::IncidentPage,
        "/incidents/:key/postmortem" => postmortem::PostmortemPage,
        "/actions/:key" => actions::ActionPage,
        "/known-errors/:key" => known_errors::KnownErrorPage,
    }
);

lazy_section!(
    /// The dashboard and its charts.
    DashboardPages {
        "/dashboard" => dashboard::DashboardPage,
    }
);

lazy_section!(
    /// Administration.
    AdminPages {
        "/admin" => admin::AdminPage,
    }
);

#[cfg(test)]
mod tests {
    use super::path_matches;

    #[test]
    fn a_section_finds_its_page_by_the_route_patterns() {
        assert!(path_matches("/incidents", "/incidents"));
        assert!(path_matches("/incidents", "/incidents/"));
        assert!(path_matches("/incidents/:key", "/incidents/INC-7"));
        assert!(path_matches(
            "/incidents/:key/postmortem",
            "/incidents/INC-7/postmortem"
        ));
        assert!(!path_matches(
            "/incidents/:key",
            "/incidents/INC-7/postmortem"
        ));
        assert!(!path_matches(
            "/incidents/:key/postmortem",
            "/incidents/INC-7"
        ));
        assert!(!path_matches("/incidents/:key", "/incidents"));
        assert!(!path_matches("/actions", "/actions/all"));
        assert!(!path_matches("/known-errors", "/known-errors-x"));
    }
}
