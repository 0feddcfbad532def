//! The error page for unknown addresses (served with status 404).

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(axum::http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text="Not found"/>
        <section class="empty-state" role="alert">
            <h1>"Page not found"</h1>
            <p>"Nothing lives at this address. It may have been mistyped, or the record's key may have changed."</p>
            <p><a class="button" href="/incidents">"Go to incidents"</a></p>
        </section>
    }
}
