//! Declaring an incident: a title and a severity are enough; everything else can follow.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

use crate::api::DeclareIncident;
use crate::components::error_box::ErrorBox;
use crate::components::session::use_session;
use crate::domain::Severity;
use crate::model::NewIncident;

#[component]
pub fn DeclarePage() -> impl IntoView {
    let session = use_session();
    let declare = ServerAction::<DeclareIncident>::new();
    let title = RwSignal::new(String::new());
    let severity = RwSignal::new(Severity::Sev3);
    let services = RwSignal::new(String::new());
    let summary = RwSignal::new(String::new());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(inc)) = declare.value().get() {
            navigate(&format!("/incidents/{}", inc.key), Default::default());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new = NewIncident {
            title: title.get_untracked(),
            severity: Some(severity.get_untracked()),
            services: services
                .get_untracked()
                .split(',')
                .map(str::to_owned)
                .collect(),
            summary: summary.get_untracked(),
            // Whoever declares leads until someone else takes over.
            commander: session
                .user
                .get_untracked()
                .and_then(Result::ok)
                .flatten()
                .map(|u| u.email),
            ..Default::default()
        };
        declare.dispatch(DeclareIncident { new });
    };
    view! {
        <Title text="Declare an incident"/>
        <section class="card narrow-wide">
            <h1>"Declare an incident"</h1>
            <form on:submit=submit id="declare-form">
                <label class="field">
                    <span>"What is happening?"</span>
                    <input type="text" id="declare-title" required maxlength="200" autofocus
                        placeholder="e.g. Checkout returns 502 for EU customers" bind:value=title/>
                </label>
                <fieldset class="field severity-pick">
                    <legend>"Severity"</legend>
                    {Severity::ALL.iter().map(|s| {
                        let s = *s;
                        view! {
                            <label class=format!("pill sev-{}", s.as_str())>
                                <input type="radio" name="severity" value=s.as_str()
                                    prop:checked=move || severity.get() == s
                                    on:change=move |_| severity.set(s)/>
                                {s.label()}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <label class="field">
                    <span>"Services "<span class="muted">"(comma-separated, optional)"</span></span>
                    <input type="text" id="declare-services" placeholder="checkout, payments-api" bind:value=services/>
                </label>
                <label class="field">
                    <span>"Summary "<span class="muted">"(markdown, optional)"</span></span>
                    <textarea id="declare-summary" rows="3" bind:value=summary></textarea>
                </label>
                <button type="submit" id="declare-submit" disabled=move || declare.pending().get()>"Declare incident"</button>
            </form>
            {move || declare.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
        </section>
    }
}
