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

/// Renders `children` for a signed-in user. The server already sends strangers to sign in
/// before rendering; this catches a session that ends while the page is open (the next
/// client-side navigation goes to sign-in, and back here afterwards). The children are
/// created right away, not after an `await`, so their own resources hydrate in order.
#[component]
pub fn RequireUser(children: Children) -> impl IntoView {
    let session = use_session();
    let location = use_location();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match session.user.await {
                    Ok(None) => {
                        let here = format!("{}{}", location.pathname.get_untracked(), location.search.get_untracked());
                        let next = serde_urlencoded::to_string([("next", here)]).unwrap_or_default();
                        Some(view! { <Redirect path=format!("/login?{next}")/> }.into_any())
                    }
                    Err(e) => Some(view! { <ErrorBox error=e/> }.into_any()),
                    Ok(Some(_)) => None,
                }
            })}
        </Suspense>
        {children()}
    }
}
