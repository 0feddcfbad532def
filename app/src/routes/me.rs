//! One's own account (`/me`), for every role: name, password (the current one required), API
//! tokens, and the address of one's calendar feed.

use leptos::prelude::*;

use crate::api::{CreateMyToken, RevokeMyToken, UpdateMe, get_me, list_my_tokens, public_origin};
use crate::components::error_box::ErrorBox;
use crate::components::format;
use crate::components::layout::PageHead;
use crate::components::session::use_session;
use crate::model::{MePatch, TokenInfo, User};

/// Every section creates its resources right away, so that the page hydrates in order.
#[component]
pub fn MePage() -> impl IntoView {
    let session = use_session();
    // One action per form, so that each shows only the outcome of its own submission.
    let rename = ServerAction::<UpdateMe>::new();
    let repass = ServerAction::<UpdateMe>::new();
    let create = ServerAction::<CreateMyToken>::new();
    let me = Resource::new(
        move || (rename.version().get(), repass.version().get()),
        |_| get_me(),
    );
    Effect::new(move |_| {
        if matches!(rename.value().get(), Some(Ok(_))) {
            // The top bar shows the name.
            session.changed();
        }
    });
    let origin = Resource::new(|| (), |_| public_origin());
    view! {
        <PageHead heading="Your account"/>
        <Transition fallback=|| view! { <p class="muted">"Loading your account…"</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(u) => view! {
                        <p class="muted" id="me-facts">{u.email.clone()}" · "{u.role.label()}
                            " · member since "{format::datetime(u.created_at)}</p>
                        <div class="me-grid">
                            <NameForm user=u.clone() update=rename/>
                            <PasswordForm user=u update=repass/>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
        <MyTokens create=create/>
        <CalendarFeed me=me origin=origin create=create/>
    }
}

/// The message of a finished `/me` change, under the form that made it.
fn outcome(update: ServerAction<UpdateMe>, ok: &'static str, id: &'static str) -> impl IntoView {
    move || {
        update.value().get().map(|r| match r {
            Ok(_) => view! { <p class="ok" role="status" id=id>{ok}</p> }.into_any(),
            Err(e) => view! { <ErrorBox error=e/> }.into_any(),
        })
    }
}

#[component]
fn NameForm(user: User, update: ServerAction<UpdateMe>) -> impl IntoView {
    let name = RwSignal::new(user.name.clone());
    let current = RwSignal::new(String::new());
    let version = user.version;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        update.dispatch(UpdateMe {
            patch: MePatch {
                name: Some(name.get_untracked()),
                current_password: current.get_untracked(),
                version: Some(version),
                ..Default::default()
            },
        });
        current.set(String::new());
    };
    view! {
        <section class="card" id="me-name">
            <h2>"Name"</h2>
            <form on:submit=submit id="name-form">
                <label class="field"><span>"Name"</span>
                    <input type="text" id="me-name-input" required maxlength="100" autocomplete="name" bind:value=name/></label>
                <label class="field"><span>"Current password"</span>
                    <input type="password" id="me-name-current" required autocomplete="current-password" bind:value=current/></label>
                <button type="submit" id="save-name">"Save name"</button>
            </form>
            {outcome(update, "Name saved.", "name-saved")}
        </section>
    }
}

#[component]
fn PasswordForm(user: User, update: ServerAction<UpdateMe>) -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let mismatch = RwSignal::new(false);
    let version = user.version;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if new.get_untracked() != repeat.get_untracked() {
            mismatch.set(true);
            return;
        }
        mismatch.set(false);
        update.dispatch(UpdateMe {
            patch: MePatch {
                password: Some(new.get_untracked()),
                current_password: current.get_untracked(),
                version: Some(version),
                ..Default::default()
            },
        });
        for s in [current, new, repeat] {
            s.set(String::new());
        }
    };
    view! {
        <section class="card" id="me-password">
            <h2>"Password"</h2>
            <form on:submit=submit id="password-form">
                <label class="field"><span>"Current password"</span>
                    <input type="password" id="pw-current" required autocomplete="current-password" bind:value=current/></label>
                <label class="field"><span>"New password "<span class="muted small">"(at least 8 characters)"</span></span>
                    <input type="password" id="pw-new" required minlength="8" autocomplete="new-password" bind:value=new/></label>
                <label class="field"><span>"New password again"</span>
                    <input type="password" id="pw-repeat" required autocomplete="new-password" bind:value=repeat/></label>
                {move || mismatch.get().then(|| view! {
                    <p class="error-box" role="alert" id="pw-mismatch">"The two new passwords differ; type the same one twice."</p>
                })}
                <button type="submit" id="save-password">"Change password"</button>
            </form>
            {outcome(update, "Password changed. Your other sessions have been signed out.", "password-saved")}
        </section>
    }
}

#[component]
fn MyTokens(create: ServerAction<CreateMyToken>) -> impl IntoView {
    let revoke = ServerAction::<RevokeMyToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_my_tokens(),
    );
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(_)))
            && let Some(f) = form.get()
        {
            f.reset();
        }
    });
    view! {
        <section class="card" id="me-tokens">
            <h2>"Your API tokens"</h2>
            <p class="muted">"A token acts as you, with your role, for scripts and for your calendar feed. Send it as "
                <code>"Authorization: Bearer <token>"</code>". Revoke a token you no longer use."</p>
            <ActionForm action=create node_ref=form attr:class="row-form" attr:id="create-my-token">
                <input type="text" name="name" placeholder="what it is for, e.g. calendar" aria-label="Token name" required maxlength="100"/>
                <button type="submit">"Create token"</button>
            </ActionForm>
            {move || create.value().get().map(|r| match r {
                Ok(t) => view! {
                    <div class="callout" role="status" id="new-token-box">
                        <p><strong>"Copy this token now: it is shown this once and never again."</strong></p>
                        <code class="secret" id="new-token">{t.token}</code>
                        <button type="button" class="secondary" id="copy-token"
                            onclick="navigator.clipboard.writeText(document.getElementById('new-token').textContent).then(() => { this.textContent = 'Copied'; })">
                            "Copy"</button>
                    </div>
                }.into_any(),
                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
            })}
            {move || revoke.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted" id="my-tokens-empty">"You have no tokens."</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="list" id="my-tokens">
                                <thead><tr><th>"Name"</th><th>"Starts with"</th><th>"Created"</th><th>"Last used"</th><th></th></tr></thead>
                                <tbody>{list.into_iter().map(|t| view! { <MyTokenRow token=t revoke=revoke/> }).collect_view()}</tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn MyTokenRow(token: TokenInfo, revoke: ServerAction<RevokeMyToken>) -> impl IntoView {
    let id = token.id;
    let label = format!("Revoke {}", token.name);
    view! {
        <tr>
            <td>{token.name}</td>
            <td><code>{token.prefix}"…"</code></td>
            <td>{format::datetime(token.created_at)}</td>
            <td>{token.last_used_at.map(format::datetime).unwrap_or_else(|| "never".into())}</td>
            <td>
                {match token.revoked_at {
                    Some(at) => view! { <span class="muted">"revoked "{format::datetime(at)}</span> }.into_any(),
                    None => view! {
                        <button class="danger" aria-label=label on:click=move |_| { revoke.dispatch(RevokeMyToken { id }); }>"Revoke"</button>
                    }.into_any(),
                }}
            </td>
        </tr>
    }
}

/// The address of the feed of one's own action deadlines. Calendar apps send no headers, so
/// the token goes in the address; right after creating a token the address is complete.
#[component]
fn CalendarFeed(
    me: Resource<Result<User, crate::error::AppError>>,
    origin: Resource<Result<String, crate::error::AppError>>,
    create: ServerAction<CreateMyToken>,
) -> impl IntoView {
    view! {
        <section class="card" id="me-calendar">
            <h2>"Calendar feed"</h2>
            <Transition fallback=|| ()>
                {move || {
                    let fresh = create.value().get().and_then(Result::ok).map(|t| t.token);
                    Suspend::new(async move {
                    let (Ok(u), origin) = (me.await, origin.await.unwrap_or_default()) else {
                        return ().into_any();
                    };
                    let base = format!("{origin}/api/v1/calendar/{}.ics", u.email);
                    view! {
                        <p>"Subscribe to your actions' due dates and verification deadlines in any calendar app (\"add calendar from URL\")."</p>
                        {match fresh {
                            Some(token) => view! {
                                <p><strong>"Your feed, with the token just created (keep it private):"</strong></p>
                                <code class="secret" id="calendar-url">{format!("{base}?token={token}")}</code>
                            }.into_any(),
                            None => view! {
                                <p class="muted">"Create a token above (e.g. named \"calendar\") and its complete address appears here. Or add your token by hand:"</p>
                                <code class="secret" id="calendar-url">{format!("{base}?token=")}<em>"your-token"</em></code>
                            }.into_any(),
                        }}
                    }.into_any()
                })}}
            </Transition>
        </section>
    }
}
