//! The signed-in user for the whole UI, and the gate in front of every page but sign-in.

use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

use crate::api::whoami;
use crate::components::error_box::ErrorBox;
use crate::error::AppError;
use crate::model::CurrentUser;

/// The current user, refetched whenever `epoch` moves (after sign-in and sign-out).
#[derive(Clone, Copy)]
pub struct Session {
    pub user: Resource<Result<Option<CurrentUser>, AppError>>,
    pub epoch: RwSignal<u32>,
}

impl Session {
    pub fn provide() -> Self {
        let epoch = RwSignal::new(0u32);
        let user = Resource::new(move || epoch.get(), |_| whoami());
        let s = Self { user, epoch };
        provide_context(s);
        s
    }

    pub fn changed(&self) {
        self.epoch.update(|n| *n += 1);
    }
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// Renders `children` for a signed-in user; sends everyone else to the sign-in page and
/// back here afterwards.
#[component]
pub fn RequireUser(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.user.await {
                    Ok(Some(_)) => children.read_value()().into_any(),
                    Ok(None) => {
                        let here = format!("{}{}", location.pathname.get_untracked(), location.search.get_untracked());
                        let next = serde_urlencoded::to_string([("next", here)]).unwrap_or_default();
                        view! { <Redirect path=format!("/login?{next}")/> }.into_any()
                    }
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
