//! The sign-in page. The form works without the WASM too (a plain POST and a redirect).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::{Login, safe_next};
use crate::components::error_box::ErrorBox;
use crate::components::session::use_session;

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = use_session();
    let query = use_query_map();
    let next = move || {
        safe_next(
            &query
                .read()
                .get("next")
                .unwrap_or_else(|| "/incidents".into()),
        )
    };
    let login = ServerAction::<Login>::new();
    Effect::new(move |_| {
        if matches!(login.value().get(), Some(Ok(()))) {
            session.changed();
        }
    });
    view! {
        <Title text="Sign in"/>
        <section class="card narrow">
            <h1>"Sign in to Hindsight"</h1>
            <ActionForm action=login attr:id="login-form">
                <input type="hidden" name="next" prop:value=next/>
                <label class="field">
                    <span>"E-mail"</span>
                    <input type="email" name="email" id="login-email" autocomplete="username" required autofocus/>
                </label>
                <label class="field">
                    <span>"Password"</span>
                    <input type="password" name="password" id="login-password" autocomplete="current-password" required/>
                </label>
                <button type="submit" id="login-submit" disabled=move || login.pending().get()>
                    {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            {move || login.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
        </section>
    }
}
