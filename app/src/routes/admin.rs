//! Administration: users and roles (admins), API tokens (admins see everyone's; each user
//! manages their own on `/me`), every setting, and the export of all data.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{CreateToken, CreateUser, RevokeToken, UpdateUser, list_tokens, list_users};
use crate::components::error_box::ErrorBox;
use crate::components::format;
use crate::components::history::RecordHistory;
use crate::components::session::use_session;
use crate::domain::Role;
use crate::model::{TokenInfo, User, UserPatch};

/// Both sections create their resources right away (not after an `await`), so that the
/// page hydrates; what a role may not do, the section leaves out once the user is known.
#[component]
pub fn AdminPage() -> impl IntoView {
    view! {
        <Title text="Administration"/>
        <h1>"Administration"</h1>
        <UsersSection/>
        <TokensSection/>
        <super::integrations::HooksSection/>
        <super::integrations::ChannelsSection/>
        <super::integrations::TrackersSection/>
        <SettingsSection/>
        <DataSection/>
    }
}

/// The whole data set as a download (`GET /api/v1/export`, admins only). Static, so it
/// renders the same on the server and in the browser.
#[component]
fn DataSection() -> impl IntoView {
    view! {
        <section class="card" id="data">
            <h2>"Data"</h2>
            <p>
                <a href="/api/v1/export" download="hindsight-export.json">"Export all data"</a>
                " (admins): every user, incident, postmortem, known error and action as one JSON document (hindsight/v1), without passwords or tokens. Load it into an empty instance with "
                <code>"hindsight import FILE"</code>"."
            </p>
        </section>
    }
}

/// Organisation settings, every one of them (`OrgSettings::KEYS`): calendar, deadlines,
/// sessions, the reminder webhook and postmortem templates. Everyone signed in sees them
/// (the webhook only as set or not); admins change them.
#[component]
fn SettingsSection() -> impl IntoView {
    let session = use_session();
    let save = ServerAction::<crate::api::UpdateSettings>::new();
    let settings = Resource::new(move || save.version().get(), |_| crate::api::get_settings());
    view! {
        <section class="card" id="settings">
            <h2>"Organisation settings"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading settings…"</p> }>
                {move || Suspend::new(async move {
                    let admin = session.user.await.ok().flatten().is_some_and(|u| u.role == Role::Admin);
                    match settings.await {
                        Ok(s) => view! { <SettingsForm settings=s admin=admin save=save/> }.into_any(),
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn SettingsForm(
    settings: crate::domain::settings::OrgSettings,
    admin: bool,
    save: ServerAction<crate::api::UpdateSettings>,
) -> impl IntoView {
    use crate::domain::Severity;
    let days = |d: Option<u32>| d.map(|d| d.to_string()).unwrap_or_default();
    let timezone = RwSignal::new(settings.timezone.clone());
    let holidays = RwSignal::new(
        settings
            .holidays
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let rca = [
        RwSignal::new(days(settings.rca_deadlines.sev1)),
        RwSignal::new(days(settings.rca_deadlines.sev2)),
        RwSignal::new(days(settings.rca_deadlines.sev3)),
        RwSignal::new(days(settings.rca_deadlines.sev4)),
    ];
    let verification = RwSignal::new(settings.verification_days.to_string());
    let idle = RwSignal::new(settings.session_idle_minutes.to_string());
    let absolute = RwSignal::new(settings.session_absolute_hours.to_string());
    let update_gap = RwSignal::new(settings.update_gap_target_minutes.to_string());
    // The saved address never comes back to the page: only whether one is set. The field
    // starts empty; what is typed replaces the address, and "remove" clears it.
    let webhook_set = settings.reminder_webhook_url.is_some();
    let webhook = RwSignal::new(String::new());
    let webhook_clear = RwSignal::new(false);
    let t = &settings.postmortem_templates;
    let templates = [
        RwSignal::new(t.sev1.clone()),
        RwSignal::new(t.sev2.clone()),
        RwSignal::new(t.sev3.clone()),
        RwSignal::new(t.sev4.clone()),
    ];
    let which = RwSignal::new(0usize);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let num = |s: RwSignal<String>| -> serde_json::Value {
            let v = s.get_untracked();
            match v.trim() {
                "" => serde_json::Value::Null,
                t => t
                    .parse::<u64>()
                    .map(serde_json::Value::from)
                    .unwrap_or_else(|_| serde_json::Value::from(t)),
            }
        };
        let holidays: Vec<String> = holidays
            .get_untracked()
            .split(['\n', ',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        let mut patch = serde_json::Map::new();
        patch.insert("timezone".into(), timezone.get_untracked().trim().into());
        patch.insert("holidays".into(), holidays.into());
        patch.insert(
            "rca_deadlines".into(),
            serde_json::json!({"sev1": num(rca[0]), "sev2": num(rca[1]), "sev3": num(rca[2]), "sev4": num(rca[3])}),
        );
        patch.insert("verification_days".into(), num(verification));
        patch.insert("session_idle_minutes".into(), num(idle));
        patch.insert("session_absolute_hours".into(), num(absolute));
        patch.insert("update_gap_target_minutes".into(), num(update_gap));
        let typed = webhook.get_untracked().trim().to_owned();
        if !typed.is_empty() {
            patch.insert("reminder_webhook_url".into(), typed.into());
        } else if webhook_clear.get_untracked() {
            patch.insert("reminder_webhook_url".into(), serde_json::Value::Null);
        }
        patch.insert(
            "postmortem_templates".into(),
            serde_json::json!({
                "sev1": templates[0].get_untracked(), "sev2": templates[1].get_untracked(),
                "sev3": templates[2].get_untracked(), "sev4": templates[3].get_untracked(),
            }),
        );
        save.dispatch(crate::api::UpdateSettings { patch });
    };
    view! {
        <form on:submit=submit id="settings-form" class="settings-form">
            <fieldset disabled=!admin>
                <div class="settings-grid">
                    <label class="field"><span>"Time zone (IANA)"</span><input type="text" id="set-timezone" bind:value=timezone/></label>
                    <label class="field"><span>"Days to verify an action"</span><input type="number" min="1" id="set-verification" bind:value=verification/></label>
                    <label class="field"><span>"Session idle timeout (minutes)"</span><input type="number" min="5" id="set-idle" bind:value=idle/></label>
                    <label class="field"><span>"Session lifetime (hours)"</span><input type="number" min="1" max="720" id="set-absolute" bind:value=absolute/></label>
                    <label class="field"><span>"Sev1 customer-update gap target (minutes)"</span><input type="number" min="1" max="1440" id="set-update-gap" bind:value=update_gap/></label>
                </div>
                <fieldset class="field">
                    <legend>"Reminder webhook"</legend>
                    <p class="muted small">"Deadline reminders (due soon, overdue, verification due) go to this Slack incoming webhook, as the channel "<code>"reminder_webhook_url"</code>" under Notification channels. The address often holds a secret: once saved it is never shown again."</p>
                    <label class="field"><span>{if webhook_set { "Replace the address (one is set)" } else { "Address (none set: reminders are off)" }}</span>
                        <input type="url" id="set-webhook" autocomplete="off" spellcheck="false"
                            placeholder=if webhook_set { "•••••••• saved; type a new address to replace it" } else { "https://hooks.example.com/…" }
                            bind:value=webhook/></label>
                    {webhook_set.then(|| view! {
                        <label class="inline"><input type="checkbox" id="set-webhook-clear" bind:checked=webhook_clear/>" Remove the address (turns reminders off)"</label>
                    })}
                </fieldset>
                <fieldset class="field">
                    <legend>"Postmortem due (business days after resolution; blank: no deadline)"</legend>
                    <div class="settings-grid">
                        {Severity::ALL.iter().enumerate().map(|(i, s)| view! {
                            <label class="field"><span>{s.label()}</span><input type="number" min="0" id=format!("set-rca-{}", s.as_str()) bind:value=rca[i]/></label>
                        }).collect_view()}
                    </div>
                </fieldset>
                <label class="field"><span>"Holidays (YYYY-MM-DD, one per line)"</span>
                    <textarea id="set-holidays" rows="4" bind:value=holidays></textarea>
                </label>
                <fieldset class="field">
                    <legend>"Postmortem templates"</legend>
                    <nav class="tabs" aria-label="Template severity">
                        {Severity::ALL.iter().enumerate().map(|(i, s)| view! {
                            <button type="button" class="tab" id=format!("template-tab-{}", s.as_str())
                                aria-current=move || (which.get() == i).then_some("page")
                                on:click=move |_| which.set(i)>{s.label()}</button>
                        }).collect_view()}
                    </nav>
                    {move || {
                        let i = which.get();
                        view! { <textarea id="set-template" rows="14" class="body-input" bind:value=templates[i]></textarea> }
                    }}
                </fieldset>
                {admin.then(|| view! { <button type="submit" id="save-settings">"Save settings"</button> })}
            </fieldset>
            {move || save.value().get().map(|r| match r {
                Ok(_) => view! { <p class="muted" id="settings-saved">"Settings saved."</p> }.into_any(),
                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
            })}
            {(!admin).then(|| view! { <p class="muted">"Only admins change settings."</p> })}
        </form>
        <RecordHistory record_type=crate::domain::RecordType::Settings key="org".to_owned()/>
    }
}

#[component]
fn UsersSection() -> impl IntoView {
    let session = use_session();
    let create = ServerAction::<CreateUser>::new();
    let update = ServerAction::<UpdateUser>::new();
    let users = Resource::new(
        move || (create.version().get(), update.version().get()),
        |_| list_users(),
    );
    view! {
        <section class="card">
            <h2>"Users"</h2>
            {move || update.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
            <Transition fallback=|| view! { <p class="muted">"Loading users…"</p> }>
                {move || Suspend::new(async move {
                    let admin = session.user.await.ok().flatten().is_some_and(|u| u.role == Role::Admin);
                    match users.await {
                        Ok(list) => view! {
                            <table class="list" id="user-list">
                                <thead><tr><th>"E-mail"</th><th>"Name"</th><th>"Role"</th><th>"Active"</th><th>"Password"</th><th>"History"</th></tr></thead>
                                <tbody>{list.into_iter().map(|u| view! { <UserRow user=u update=update admin=admin/> }).collect_view()}</tbody>
                            </table>
                            {if admin {
                                view! { <AddUserForm create=create/> }.into_any()
                            } else {
                                view! { <p class="muted">"Only admins manage users and roles."</p> }.into_any()
                            }}
                        }.into_any(),
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The form to add a user (admins only).
#[component]
fn AddUserForm(create: ServerAction<CreateUser>) -> impl IntoView {
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(_)))
            && let Some(f) = form.get()
        {
            f.reset();
        }
    });
    view! {
        <h3>"Add a user"</h3>
        <ActionForm action=create node_ref=form attr:class="row-form" attr:id="add-user">
            <input type="email" name="user[email]" placeholder="e-mail" aria-label="E-mail" required/>
            <input type="text" name="user[name]" placeholder="name" aria-label="Name" required/>
            <select name="user[role]" aria-label="Role">
                {Role::ALL.iter().map(|r| view! { <option value=r.as_str() selected=*r == Role::Member>{r.label()}</option> }).collect_view()}
            </select>
            <input type="password" name="user[password]" placeholder="password (optional)" aria-label="Password" autocomplete="new-password"/>
            <button type="submit">"Add user"</button>
        </ActionForm>
        {move || create.value().get().map(|r| match r {
            Ok(u) => view! { <p class="ok" role="status">"Added "{u.email}"."</p> }.into_any(),
            Err(e) => view! { <ErrorBox error=e/> }.into_any(),
        })}
    }
}

#[component]
fn UserRow(user: User, update: ServerAction<UpdateUser>, admin: bool) -> impl IntoView {
    let email = user.email.clone();
    let version = user.version;
    let patch = move |p: UserPatch| {
        update.dispatch(UpdateUser {
            email: email.clone(),
            patch: UserPatch {
                version: Some(version),
                ..p
            },
        });
    };
    let set_role = {
        let patch = patch.clone();
        move |ev: leptos::ev::Event| {
            if let Ok(role) = event_target_value(&ev).parse::<Role>() {
                patch(UserPatch {
                    role: Some(role),
                    ..Default::default()
                });
            }
        }
    };
    let set_active = {
        let patch = patch.clone();
        move |ev: leptos::ev::Event| {
            patch(UserPatch {
                active: Some(event_target_checked(&ev)),
                ..Default::default()
            })
        }
    };
    let password = RwSignal::new(String::new());
    let set_password = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        patch(UserPatch {
            password: Some(password.get_untracked()),
            ..Default::default()
        });
        password.set(String::new());
    };
    let key = user.email.clone();
    view! {
        <tr>
            <td>{user.email.clone()}</td>
            <td>{user.name.clone()}</td>
            <td>
                <select aria-label=format!("Role of {}", user.email) on:change=set_role disabled=!admin>
                    {Role::ALL.iter().map(|r| view! { <option value=r.as_str() selected=*r == user.role>{r.label()}</option> }).collect_view()}
                </select>
            </td>
            <td><input type="checkbox" aria-label=format!("{} is active", user.email) prop:checked=user.active on:change=set_active disabled=!admin/></td>
            <td>
                <form class="inline-form" on:submit=set_password hidden=!admin>
                    <input type="password" placeholder=if user.has_password { "new password" } else { "set a password" }
                        aria-label=format!("New password for {}", user.email) autocomplete="new-password"
                        bind:value=password/>
                    <button type="submit" class="secondary">"Set"</button>
                </form>
            </td>
            <td><RecordHistory record_type=crate::domain::RecordType::User key=key label="Show"/></td>
        </tr>
    }
}

#[component]
fn TokensSection() -> impl IntoView {
    let session = use_session();
    let token_form = NodeRef::<leptos::html::Form>::new();
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(_)))
            && let Some(f) = token_form.get()
        {
            f.reset();
        }
    });
    view! {
        <section class="card">
            <h2>"API tokens"</h2>
            <p class="muted">"A token acts as its owner, with the owner's role. Send it as "<code>"Authorization: Bearer <token>"</code>"."</p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let admin = session.user.await.ok().flatten().is_some_and(|u| u.role == Role::Admin);
                    if admin {
                        view! {
                            <ActionForm action=create node_ref=token_form attr:class="row-form" attr:id="create-token">
                                <input type="text" name="name" placeholder="what it is for, e.g. CI" aria-label="Token name" required/>
                                <button type="submit">"Create token"</button>
                            </ActionForm>
                        }.into_any()
                    } else {
                        view! { <p id="tokens-on-me">"Create and revoke your own tokens on "<a href="/me">"your account page"</a>"."</p> }.into_any()
                    }
                })}
            </Suspense>
            {move || create.value().get().map(|r| match r {
                Ok(t) => view! {
                    <div class="callout" role="status">
                        <p><strong>"Copy this token now: it is not shown again."</strong></p>
                        <code class="secret" id="new-token">{t.token}</code>
                    </div>
                }.into_any(),
                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
            })}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No tokens yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="list">
                                <thead><tr><th>"Name"</th><th>"Owner"</th><th>"Starts with"</th><th>"Created"</th><th>"Last used"</th><th></th></tr></thead>
                                <tbody>{list.into_iter().map(|t| view! { <TokenRow token=t revoke=revoke/> }).collect_view()}</tbody>
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
fn TokenRow(token: TokenInfo, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    let id = token.id;
    view! {
        <tr>
            <td>{token.name}</td>
            <td>{token.owner}</td>
            <td><code>{token.prefix}"…"</code></td>
            <td>{format::datetime(token.created_at)}</td>
            <td>{token.last_used_at.map(format::datetime).unwrap_or_else(|| "never".into())}</td>
            <td>
                {match token.revoked_at {
                    Some(at) => view! { <span class="muted">"revoked "{format::datetime(at)}</span> }.into_any(),
                    None => view! {
                        <button class="danger" on:click=move |_| { revoke.dispatch(RevokeToken { id }); }>"Revoke"</button>
                    }.into_any(),
                }}
            </td>
        </tr>
    }
}
