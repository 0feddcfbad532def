//! The integrations on the admin page: alert sources (hooks) with a ready configuration for
//! each sender, notification channels with their subscriptions, a "send test" button and
//! the delivery log, and issue trackers. Admins only; others are told who manages them.

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::api::{
    CreateChannel, CreateHook, CreateTracker, DeleteChannel, DeleteHook, DeleteTracker,
    TestChannel, UpdateChannel, UpdateTracker, channel_deliveries, list_channels, list_hooks,
    list_trackers,
};
use crate::components::error_box::ErrorBox;
use crate::components::format;
use crate::components::session::use_session;
use crate::domain::notify::ChannelFilter;
use crate::domain::{
    ChannelKind, DeliveryStatus, HookSource, NotifyEvent, Role, Severity, TrackerKind,
};
use crate::model::{
    Channel, ChannelPatch, Delivery, Hook, NewChannel, NewHook, NewTracker, Tracker,
    TrackerCredentials, TrackerPatch,
};

/// The configuration a sender needs, ready to paste: (title, text). `secret` is the hook's
/// secret when it is known (right after creation), else a placeholder.
pub fn snippets(
    source: HookSource,
    url: &str,
    secret: Option<&str>,
) -> Vec<(&'static str, String)> {
    let secret = secret.unwrap_or("<the hook's secret>");
    match source {
        HookSource::Alertmanager => vec![(
            "alertmanager.yml",
            format!(
                "route:\n  receiver: hindsight\n  group_by: ['alertname', 'service']\n\
                 receivers:\n  - name: hindsight\n    webhook_configs:\n      - url: '{url}'\n\
                 \x20       send_resolved: true\n        http_config:\n          authorization:\n\
                 \x20           type: Bearer\n            credentials: '{secret}'\n"
            ),
        )],
        HookSource::Grafana => vec![
            (
                "Contact point (Webhook)",
                format!(
                    "URL: {url}\nHTTP method: POST\nAuthorization header scheme: Bearer\n\
                     Authorization header credentials: {secret}\n"
                ),
            ),
            (
                "Provisioning file (contact point)",
                format!(
                    "apiVersion: 1\ncontactPoints:\n  - orgId: 1\n    name: hindsight\n    receivers:\n\
                     \x20     - uid: hindsight\n        type: webhook\n        settings:\n\
                     \x20         url: {url}\n          httpMethod: POST\n\
                     \x20         authorization_scheme: Bearer\n          authorization_credentials: {secret}\n"
                ),
            ),
        ],
        HookSource::Pagerduty => vec![(
            "PagerDuty: Integrations → Generic Webhooks (v3) → New Webhook",
            format!(
                "Webhook URL: {url}\nEvent subscription: incident.triggered, incident.acknowledged,\n\
                 \x20 incident.resolved, incident.annotated\nPagerDuty shows a signing secret once: \
                 create this hook with it (it checks X-PagerDuty-Signature).\n"
            ),
        )],
        HookSource::Generic => vec![(
            "curl",
            format!(
                "curl -sS -X POST '{url}' \\\n  -H 'Authorization: Bearer {secret}' \\\n  \
                 -H 'Content-Type: application/json' \\\n  -d '{{\"fingerprint\": \"disk-full-db-1\", \
                 \"title\": \"Disk full on db-1\", \"status\": \"firing\", \"severity\": \"sev2\", \
                 \"service\": \"database\", \"url\": \"https://monitoring.example.org/d/db-1\"}}'\n"
            ),
        )],
    }
}

/// "critical=sev1, warning=sev3" → the map; the error names the part that does not parse.
pub fn parse_severity_map(text: &str) -> Result<BTreeMap<String, Severity>, String> {
    let mut map = BTreeMap::new();
    for part in text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (label, sev) = part
            .split_once('=')
            .ok_or_else(|| format!("“{part}” is not label=severity"))?;
        let sev = sev
            .trim()
            .parse::<Severity>()
            .map_err(|_| format!("“{}” is not sev1, sev2, sev3 or sev4", sev.trim()))?;
        map.insert(label.trim().to_owned(), sev);
    }
    Ok(map)
}

fn names(text: &str) -> Vec<String> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn is_admin(u: Option<crate::model::CurrentUser>) -> bool {
    u.is_some_and(|u| u.role == Role::Admin)
}

/// Alert sources: the list, the form, and the secret and configuration once created.
#[component]
pub fn HooksSection() -> impl IntoView {
    let session = use_session();
    let create = ServerAction::<CreateHook>::new();
    let delete = ServerAction::<DeleteHook>::new();
    let hooks = Resource::new(
        move || (create.version().get(), delete.version().get()),
        |_| list_hooks(),
    );
    view! {
        <section class="card" id="hooks">
            <h2>"Alert sources"</h2>
            <p class="muted">"Alertmanager, Grafana, PagerDuty or any sender posts its alerts to a hook. A new alert opens an incident (or joins the open one of its group); repeated deliveries change nothing, and a resolved alert never resolves an incident by itself."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading alert sources…"</p> }>
                {move || Suspend::new(async move {
                    if !is_admin(session.user.await.ok().flatten()) {
                        return view! { <p class="muted">"Only admins manage alert sources."</p> }.into_any();
                    }
                    match hooks.await {
                        Ok(list) => view! {
                            {if list.is_empty() {
                                view! { <p class="muted" id="no-hooks">"No alert sources yet."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="list" id="hook-list">
                                        <thead><tr><th>"Name"</th><th>"Source"</th><th>"Opens incidents"</th><th>"Default severity"</th><th>"Receive URL"</th><th>"Last alert"</th><th></th></tr></thead>
                                        <tbody>{list.into_iter().map(|h| view! { <HookRow hook=h delete=delete/> }).collect_view()}</tbody>
                                    </table>
                                }.into_any()
                            }}
                            <NewHookForm create=create/>
                        }.into_any(),
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
            {move || delete.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
        </section>
    }
}

#[component]
fn HookRow(hook: Hook, delete: ServerAction<DeleteHook>) -> impl IntoView {
    let id = hook.id;
    let name = hook.name.clone();
    let remove = move |_| {
        let ok = window()
            .confirm_with_message(&format!(
                "Delete the alert source {name}? Senders using it get 401; its alerts stay with their incidents."
            ))
            .unwrap_or(false);
        if ok {
            delete.dispatch(DeleteHook { id });
        }
    };
    let snippets = snippets(hook.source, &hook.receive_url, None);
    view! {
        <tr id=format!("hook-{}", hook.id)>
            <td>{hook.name.clone()}</td>
            <td>{hook.source.label()}</td>
            <td>{if hook.auto_open { "yes" } else { "no: alerts join open incidents only" }}</td>
            <td>{hook.default_severity.label()}</td>
            <td>
                <code class="secret">{hook.receive_url.clone()}</code>
                <details><summary>"Configuration"</summary>
                    {snippets.into_iter().map(|(t, s)| view! { <h4>{t}</h4><pre class="snippet">{s}</pre> }).collect_view()}
                </details>
            </td>
            <td>{hook.last_received_at.map(format::datetime).unwrap_or_else(|| "never".into())}</td>
            <td><button type="button" class="danger small" on:click=remove aria-label=format!("Delete alert source {}", hook.name)>"Delete"</button></td>
        </tr>
    }
}

#[component]
fn NewHookForm(create: ServerAction<CreateHook>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let source = RwSignal::new(HookSource::Alertmanager);
    let default_severity = RwSignal::new(Severity::Sev3);
    let service_label = RwSignal::new(String::new());
    let map = RwSignal::new(String::new());
    let auto_open = RwSignal::new(true);
    let signing = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let severity_map = match parse_severity_map(&map.get_untracked()) {
            Ok(m) => m,
            Err(e) => {
                problem.set(Some(format!("Severity map: {e}")));
                return;
            }
        };
        problem.set(None);
        let label = service_label.get_untracked().trim().to_owned();
        let secret = signing.get_untracked().trim().to_owned();
        create.dispatch(CreateHook {
            hook: NewHook {
                name: name.get_untracked(),
                source: source.get_untracked(),
                severity_map,
                default_severity: default_severity.get_untracked(),
                service_label: (!label.is_empty()).then_some(label),
                auto_open: auto_open.get_untracked(),
                signing_secret: (source.get_untracked() == HookSource::Pagerduty
                    && !secret.is_empty())
                .then_some(secret),
            },
        });
    };
    view! {
        <h3>"Add an alert source"</h3>
        <form id="add-hook" class="settings-form" on:submit=submit>
            <div class="settings-grid">
                <label class="field"><span>"Name"</span><input type="text" id="hook-name" required maxlength="100" placeholder="e.g. prod-alertmanager" bind:value=name/></label>
                <label class="field"><span>"Source"</span>
                    <select id="hook-source" on:change=move |ev| { if let Ok(s) = event_target_value(&ev).parse() { source.set(s) } }>
                        {HookSource::ALL.iter().map(|s| view! { <option value=s.as_str() selected=*s == HookSource::Alertmanager>{s.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="field"><span>"Default severity"</span>
                    <select id="hook-severity" on:change=move |ev| { if let Ok(s) = event_target_value(&ev).parse() { default_severity.set(s) } }>
                        {Severity::ALL.iter().map(|s| view! { <option value=s.as_str() selected=*s == Severity::Sev3>{s.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="field"><span>"Service label (default "<code>"service"</code>")"</span><input type="text" id="hook-service-label" placeholder="service" bind:value=service_label/></label>
            </div>
            <label class="field"><span>"Severity map ("<code>"label=severity"</code>", comma-separated; default critical=sev2, warning=sev3)"</span>
                <input type="text" id="hook-map" placeholder="critical=sev1, warning=sev3, info=sev4" bind:value=map/></label>
            <p><label class="inline"><input type="checkbox" id="hook-auto-open" bind:checked=auto_open/>" Open an incident for a new alert group"</label></p>
            <Show when=move || source.get() == HookSource::Pagerduty>
                <label class="field"><span>"PagerDuty signing secret (from the webhook subscription; blank: Hindsight makes one)"</span>
                    <input type="password" id="hook-signing" autocomplete="off" bind:value=signing/></label>
            </Show>
            <button type="submit" id="create-hook">"Add alert source"</button>
        </form>
        {move || problem.get().map(|p| view! { <p class="error" role="alert">{p}</p> })}
        {move || create.value().get().map(|r| match r {
            Ok(h) => {
                let parts = snippets(h.hook.source, &h.hook.receive_url, Some(&h.secret));
                view! {
                    <div class="callout" role="status" id="new-hook">
                        <p><strong>"Copy the secret now: it is not shown again."</strong></p>
                        <code class="secret" id="new-hook-secret">{h.secret.clone()}</code>
                        <p>"Receive URL: "<code id="new-hook-url">{h.hook.receive_url.clone()}</code></p>
                        {parts.into_iter().map(|(t, s)| view! { <h4>{t}</h4><pre class="snippet">{s}</pre> }).collect_view()}
                    </div>
                }.into_any()
            }
            Err(e) => view! { <ErrorBox error=e/> }.into_any(),
        })}
    }
}

/// Notification channels: the list with their log and test button, and the form.
#[component]
pub fn ChannelsSection() -> impl IntoView {
    let session = use_session();
    let create = ServerAction::<CreateChannel>::new();
    let update = ServerAction::<UpdateChannel>::new();
    let delete = ServerAction::<DeleteChannel>::new();
    let channels = Resource::new(
        move || {
            (
                create.version().get(),
                update.version().get(),
                delete.version().get(),
            )
        },
        |_| list_channels(),
    );
    view! {
        <section class="card" id="channels">
            <h2>"Notification channels"</h2>
            <p class="muted">"Slack and Microsoft Teams (Workflows) incoming webhooks, or a signed JSON webhook. Each message is written with the change and delivered once, retried for 24 hours."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading channels…"</p> }>
                {move || Suspend::new(async move {
                    if !is_admin(session.user.await.ok().flatten()) {
                        return view! { <p class="muted">"Only admins manage notification channels."</p> }.into_any();
                    }
                    match channels.await {
                        Ok(list) => view! {
                            {if list.is_empty() {
                                view! { <p class="muted" id="no-channels">"No channels yet."</p> }.into_any()
                            } else {
                                view! {
                                    <div id="channel-list">
                                        {list.into_iter().map(|c| view! { <ChannelCard channel=c update=update delete=delete/> }).collect_view()}
                                    </div>
                                }.into_any()
                            }}
                            <NewChannelForm create=create/>
                        }.into_any(),
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
            {move || update.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
            {move || delete.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
        </section>
    }
}

fn filter_text(f: &Option<ChannelFilter>) -> String {
    let Some(f) = f.as_ref().filter(|f| !f.is_empty()) else {
        return "everything".into();
    };
    let mut parts = Vec::new();
    if let Some(s) = f.min_severity {
        parts.push(format!("{} or worse", s.label()));
    }
    if !f.services.is_empty() {
        parts.push(format!("services {}", f.services.join(", ")));
    }
    if !f.teams.is_empty() {
        parts.push(format!("teams {}", f.teams.join(", ")));
    }
    parts.join("; ")
}

#[component]
fn ChannelCard(
    channel: Channel,
    update: ServerAction<UpdateChannel>,
    delete: ServerAction<DeleteChannel>,
) -> impl IntoView {
    let id = channel.id;
    let test = ServerAction::<TestChannel>::new();
    let show_log = RwSignal::new(false);
    let name = channel.name.clone();
    let remove = move |_| {
        let ok = window()
            .confirm_with_message(&format!(
                "Delete the channel {name}? Its pending messages are dropped."
            ))
            .unwrap_or(false);
        if ok {
            delete.dispatch(DeleteChannel { id });
        }
    };
    let enabled = channel.enabled;
    let toggle = move |_| {
        update.dispatch(UpdateChannel {
            id,
            patch: ChannelPatch {
                enabled: Some(!enabled),
                ..Default::default()
            },
        });
    };
    let events = channel
        .events
        .iter()
        .map(|e| e.label())
        .collect::<Vec<_>>()
        .join(", ");
    let managed = channel.managed.is_some();
    view! {
        <article class="channel" id=format!("channel-{id}")>
            <header class="channel-head">
                <h3>{channel.name.clone()}</h3>
                <span class="badge">{channel.kind.label()}</span>
                <span class="muted">{channel.url_host.clone()}</span>
                {(!channel.enabled).then(|| view! { <span class="badge muted">"paused"</span> })}
            </header>
            <p class="small">"Events: "{events}</p>
            <p class="small">"Filter: "{filter_text(&channel.filter)}</p>
            {managed.then(|| view! { <p class="small muted">"Kept by the reminder webhook setting below: change its address there."</p> })}
            <div class="row-form">
                <button type="button" class="secondary small" on:click=move |_| { test.dispatch(TestChannel { id }); }
                    disabled=move || test.pending().get() aria-label=format!("Send a test message to {}", channel.name)>
                    {move || if test.pending().get() { "Sending…" } else { "Send test" }}
                </button>
                <button type="button" class="secondary small" aria-expanded=move || show_log.get().to_string()
                    on:click=move |_| show_log.update(|v| *v = !*v)>"Delivery log"</button>
                <button type="button" class="secondary small" on:click=toggle>{if enabled { "Pause" } else { "Resume" }}</button>
                {(!managed).then(|| view! { <button type="button" class="danger small" on:click=remove>"Delete"</button> })}
            </div>
            {move || test.value().get().map(|r| match r {
                Ok(t) if t.delivered => view! {
                    <p class="ok" role="status">"Test message delivered"{t.status.map(|s| format!(" (HTTP {s})")).unwrap_or_default()}"."</p>
                }.into_any(),
                Ok(t) => view! {
                    <p class="error" role="alert">"Test message not delivered: "
                        {t.error.unwrap_or_else(|| t.status.map(|s| format!("HTTP {s}")).unwrap_or_default())}</p>
                }.into_any(),
                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
            })}
            <Show when=move || show_log.get()>
                <DeliveryLog id=id refresh=test.version()/>
            </Show>
        </article>
    }
}

#[component]
fn DeliveryLog(id: i64, refresh: RwSignal<usize>) -> impl IntoView {
    let pages = RwSignal::new(Vec::<Delivery>::new());
    let next = RwSignal::new(None::<String>);
    let first = Resource::new(move || refresh.get(), move |_| channel_deliveries(id, None));
    let more = Action::new(move |cursor: &String| {
        let cursor = cursor.clone();
        async move {
            if let Ok(p) = channel_deliveries(id, Some(cursor)).await {
                pages.update(|v| v.extend(p.items));
                next.set(p.next);
            }
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the log…"</p> }>
            {move || Suspend::new(async move {
                match first.await {
                    Ok(p) if p.items.is_empty() => view! { <p class="muted">"No messages yet."</p> }.into_any(),
                    Ok(p) => {
                        pages.set(Vec::new());
                        next.set(p.next.clone());
                        view! {
                            <table class="list delivery-log">
                                <thead><tr><th>"When"</th><th>"Event"</th><th>"Record"</th><th>"Status"</th><th>"Attempts"</th><th>"Last answer"</th></tr></thead>
                                <tbody>
                                    {p.items.into_iter().map(|d| view! { <DeliveryRow d=d/> }).collect_view()}
                                    <For each=move || pages.get() key=|d| d.id let:d><DeliveryRow d=d/></For>
                                </tbody>
                            </table>
                            <Show when=move || next.get().is_some()>
                                <button type="button" class="secondary small" on:click=move |_| { if let Some(c) = next.get_untracked() { more.dispatch(c); } }>"Older"</button>
                            </Show>
                        }.into_any()
                    }
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn DeliveryRow(d: Delivery) -> impl IntoView {
    let event = d
        .event
        .parse::<NotifyEvent>()
        .map(|e| e.label().to_owned())
        .unwrap_or_else(|_| d.event.clone());
    let status = match d.status {
        DeliveryStatus::Pending => match d.next_attempt_at {
            Some(at) => format!("pending, next try {}", format::datetime(at)),
            None => "pending".into(),
        },
        DeliveryStatus::Delivered => format!(
            "delivered {}",
            d.delivered_at.map(format::datetime).unwrap_or_default()
        ),
        DeliveryStatus::Failed => "failed".into(),
    };
    let answer = match (d.last_status, d.last_error) {
        (Some(s), Some(e)) => format!("HTTP {s}: {e}"),
        (Some(s), None) => format!("HTTP {s}"),
        (None, Some(e)) => e,
        (None, None) => String::new(),
    };
    view! {
        <tr class=format!("delivery {}", d.status.as_str())>
            <td>{format::datetime(d.created_at)}</td>
            <td>{event}</td>
            <td>{d.record}</td>
            <td>{status}</td>
            <td>{d.attempts}</td>
            <td class="small">{answer}</td>
        </tr>
    }
}

#[component]
fn NewChannelForm(create: ServerAction<CreateChannel>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new(ChannelKind::Slack);
    let url = RwSignal::new(String::new());
    let chosen = RwSignal::new(vec![
        NotifyEvent::IncidentDeclared,
        NotifyEvent::IncidentSeverityChanged,
        NotifyEvent::IncidentStatusChanged,
    ]);
    let min_severity = RwSignal::new(None::<Severity>);
    let services = RwSignal::new(String::new());
    let teams = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let filter = ChannelFilter {
            min_severity: min_severity.get_untracked(),
            services: names(&services.get_untracked()),
            teams: names(&teams.get_untracked()),
        };
        create.dispatch(CreateChannel {
            channel: NewChannel {
                name: name.get_untracked(),
                kind: kind.get_untracked(),
                url: url.get_untracked(),
                events: chosen.get_untracked(),
                filter: (!filter.is_empty()).then_some(filter),
            },
        });
    };
    view! {
        <h3>"Add a channel"</h3>
        <form id="add-channel" class="settings-form" on:submit=submit>
            <div class="settings-grid">
                <label class="field"><span>"Name"</span><input type="text" id="channel-name" required maxlength="100" placeholder="e.g. #incidents" bind:value=name/></label>
                <label class="field"><span>"Kind"</span>
                    <select id="channel-kind" on:change=move |ev| { if let Ok(k) = event_target_value(&ev).parse() { kind.set(k) } }>
                        {ChannelKind::ALL.iter().map(|k| view! { <option value=k.as_str() selected=*k == ChannelKind::Slack>{k.label()}</option> }).collect_view()}
                    </select>
                </label>
            </div>
            <label class="field"><span>"Webhook URL (write-only: only its host is shown again)"</span>
                <input type="url" id="channel-url" required autocomplete="off" spellcheck="false"
                    placeholder=move || match kind.get() {
                        ChannelKind::Slack => "https://hooks.slack.com/services/…",
                        ChannelKind::Teams => "https://…logic.azure.com/workflows/…",
                        ChannelKind::Webhook => "https://example.org/hindsight-events",
                    }
                    bind:value=url/></label>
            <fieldset class="field" id="channel-events">
                <legend>"Events"</legend>
                <div class="checks">
                    {NotifyEvent::ALL.iter().map(|e| {
                        let e = *e;
                        view! {
                            <label class="inline"><input type="checkbox" value=e.as_str()
                                prop:checked=move || chosen.with(|c| c.contains(&e))
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    chosen.update(|c| { c.retain(|x| *x != e); if on { c.push(e) } });
                                }/>" "{e.label()}</label>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
            <fieldset class="field">
                <legend>"Only when (all that are set must match)"</legend>
                <div class="settings-grid">
                    <label class="field"><span>"Severity at least"</span>
                        <select id="channel-min-severity" on:change=move |ev| min_severity.set(event_target_value(&ev).parse().ok())>
                            <option value="" selected>"any"</option>
                            {Severity::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label class="field"><span>"Services (comma-separated)"</span><input type="text" id="channel-services" bind:value=services/></label>
                    <label class="field"><span>"Teams (actions; comma-separated)"</span><input type="text" id="channel-teams" bind:value=teams/></label>
                </div>
            </fieldset>
            <button type="submit" id="create-channel">"Add channel"</button>
        </form>
        {move || create.value().get().map(|r| match r {
            Ok(c) => match c.secret {
                Some(secret) => view! {
                    <div class="callout" role="status" id="new-channel">
                        <p><strong>"Added "{c.channel.name.clone()}". Copy its signing secret now: it is not shown again."</strong></p>
                        <code class="secret" id="new-channel-secret">{secret}</code>
                        <p class="small">"Each request carries "<code>"X-Hindsight-Signature: sha256=HMAC(secret, timestamp + \".\" + body)"</code>", "<code>"X-Hindsight-Timestamp"</code>" and "<code>"X-Hindsight-Delivery"</code>"."</p>
                    </div>
                }.into_any(),
                None => view! { <p class="ok" role="status" id="new-channel">"Added "{c.channel.name.clone()}"."</p> }.into_any(),
            },
            Err(e) => view! { <ErrorBox error=e/> }.into_any(),
        })}
    }
}

/// Where each tracker's webhook is set up, for the callout after creating one.
pub fn webhook_setup(kind: TrackerKind, url: &str, secret: &str) -> String {
    match kind {
        TrackerKind::Github => format!(
            "Repository Settings → Webhooks → Add webhook\nPayload URL: {url}\nContent type: application/json\nSecret: {secret}\nEvents: Issues\n"
        ),
        TrackerKind::Gitlab => format!(
            "Project Settings → Webhooks → Add new webhook\nURL: {url}\nSecret token: {secret}\nTrigger: Issues events\n"
        ),
        TrackerKind::Jira => format!(
            "System → WebHooks → Create a WebHook\nURL: {url}\nSecret: {secret}\nEvents: Issue updated\n(Without a secret field: {url}?token={secret})\n"
        ),
    }
}

/// Trackers: the list and the form (admins). Credentials are typed once and never shown.
#[component]
pub fn TrackersSection() -> impl IntoView {
    let session = use_session();
    let create = ServerAction::<CreateTracker>::new();
    let update = ServerAction::<UpdateTracker>::new();
    let delete = ServerAction::<DeleteTracker>::new();
    let trackers = Resource::new(
        move || {
            (
                create.version().get(),
                update.version().get(),
                delete.version().get(),
            )
        },
        |_| list_trackers(),
    );
    view! {
        <section class="card" id="trackers">
            <h2>"Issue trackers"</h2>
            <p class="muted">"Jira, GitHub or GitLab: an action's issue is created in one click (on its page or its incident's action list), or by itself for the teams mapped to a tracker; the tracker's webhook marks it done or reopens it. Only a verification here proves it effective."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading trackers…"</p> }>
                {move || Suspend::new(async move {
                    if !is_admin(session.user.await.ok().flatten()) {
                        return view! { <p class="muted">"Only admins connect trackers."</p> }.into_any();
                    }
                    match trackers.await {
                        Ok(list) => view! {
                            {if list.is_empty() {
                                view! { <p class="muted" id="no-trackers">"No trackers yet."</p> }.into_any()
                            } else {
                                view! {
                                    <table class="list" id="tracker-list">
                                        <thead><tr><th>"Name"</th><th>"Kind"</th><th>"Project"</th><th>"Signs in with"</th><th>"Webhook URL"</th><th>"Last sync"</th><th></th></tr></thead>
                                        <tbody>{list.into_iter().map(|t| {
                                            view! { <TrackerRow t=t update=update delete=delete/> }
                                        }).collect_view()}</tbody>
                                    </table>
                                }.into_any()
                            }}
                            <NewTrackerForm create=create/>
                        }.into_any(),
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
            {move || delete.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
        </section>
    }
}

/// One tracker of the table, with "Edit" (a form under the row) and "Disconnect".
#[component]
fn TrackerRow(
    t: Tracker,
    update: ServerAction<UpdateTracker>,
    delete: ServerAction<DeleteTracker>,
) -> impl IntoView {
    let id = t.id;
    let editing = RwSignal::new(false);
    let name = t.name.clone();
    let remove = move |_| {
        let ok = window()
            .confirm_with_message(&format!(
                "Disconnect {name}? Linked actions keep their issue link but no longer sync."
            ))
            .unwrap_or(false);
        if ok {
            delete.dispatch(DeleteTracker { id });
        }
    };
    let teams = t.teams.join(", ");
    let row = view! {
        <tr id=format!("tracker-{id}")>
            <td>{t.name.clone()}</td>
            <td>{t.kind.label()}{t.api_version.map(|v| format!(" (REST v{v})"))}</td>
            <td>
                <code>{t.project.clone()}</code>" · "<span class="small muted">{t.base_url.clone()}</span>
                {(!teams.is_empty()).then(|| view! { <div class="small">"Teams: "{teams.clone()}</div> })}
            </td>
            <td>{t.auth.clone()}</td>
            <td><code class="secret">{t.receive_url.clone()}</code></td>
            <td class="small">
                {match t.polled_at {
                    Some(at) => view! { <time datetime=at.to_rfc3339()>{at.format("%Y-%m-%d %H:%M UTC").to_string()}</time> }.into_any(),
                    None => view! { <span class="muted">"not yet"</span> }.into_any(),
                }}
                {t.poll_error.clone().map(|e| view! { <div class="error">{e}</div> })}
            </td>
            <td class="row-actions">
                <button type="button" class="secondary small" aria-expanded=move || editing.get().to_string()
                    aria-label=format!("Edit {}", t.name) on:click=move |_| editing.update(|e| *e = !*e)>"Edit"</button>
                " "
                <button type="button" class="danger small" on:click=remove>"Disconnect"</button>
            </td>
        </tr>
    };
    view! {
        {row}
        <Show when=move || editing.get()>
            <tr class="edit-row">
                <td colspan="7"><EditTracker t=t.clone() update=update editing=editing/></td>
            </tr>
        </Show>
    }
}

/// The form that changes a tracker: what is changed is sent with the version it was read
/// at; a token typed replaces the stored credentials (left blank, they stay).
#[component]
fn EditTracker(
    t: Tracker,
    update: ServerAction<UpdateTracker>,
    editing: RwSignal<bool>,
) -> impl IntoView {
    let id = t.id;
    let kind = t.kind;
    let name = RwSignal::new(t.name.clone());
    let base_url = RwSignal::new(t.base_url.clone());
    let project = RwSignal::new(t.project.clone());
    let teams = RwSignal::new(t.teams.join(", "));
    let done_states = RwSignal::new(t.done_states.clone().unwrap_or_default().join(", "));
    let email = RwSignal::new(String::new());
    let token = RwSignal::new(String::new());
    let old = t.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let changed = |new: String, was: &str| (new.trim() != was).then(|| new.trim().to_owned());
        let secret = token.get_untracked();
        let credentials =
            (!secret.is_empty()).then(|| match (kind, email.get_untracked().trim()) {
                (TrackerKind::Jira, "") => TrackerCredentials::Pat { pat: secret },
                (TrackerKind::Jira, e) => TrackerCredentials::Basic {
                    email: e.to_owned(),
                    api_token: secret,
                },
                _ => TrackerCredentials::Token { token: secret },
            });
        let new_teams = names(&teams.get_untracked());
        let states = names(&done_states.get_untracked());
        let states = (!states.is_empty()).then_some(states);
        update.dispatch(UpdateTracker {
            id,
            patch: TrackerPatch {
                name: changed(name.get_untracked(), &old.name),
                base_url: changed(base_url.get_untracked(), &old.base_url),
                project: changed(project.get_untracked(), &old.project),
                credentials,
                done_states: (kind == TrackerKind::Jira && states != old.done_states)
                    .then_some(states),
                teams: (new_teams != old.teams).then_some(new_teams),
                version: Some(old.version),
            },
        });
        token.set(String::new());
    };
    Effect::new(move |_| {
        if matches!(update.value().get(), Some(Ok(ref u)) if u.id == id) {
            editing.set(false);
        }
    });
    view! {
        <form class="settings-form" id=format!("edit-tracker-{id}") on:submit=submit>
            <div class="settings-grid">
                <label class="field"><span>"Name"</span><input type="text" class="edit-tracker-name" required maxlength="100" bind:value=name/></label>
                <label class="field"><span>"Base URL"</span><input type="url" class="edit-tracker-base-url" required bind:value=base_url/></label>
                <label class="field"><span>{match kind { TrackerKind::Jira => "Project key", TrackerKind::Github => "Repository (owner/repo)", TrackerKind::Gitlab => "Project path" }}</span>
                    <input type="text" class="edit-tracker-project" required bind:value=project/></label>
                <label class="field"><span>"Teams whose new actions get an issue here (comma-separated)"</span><input type="text" class="edit-tracker-teams" bind:value=teams/></label>
                {(kind == TrackerKind::Jira).then(|| view! {
                    <label class="field"><span>"Done states (comma-separated; blank: the “done” category)"</span><input type="text" class="edit-tracker-done" bind:value=done_states/></label>
                    <label class="field"><span>"Account e-mail (Cloud; blank for a Data Center token)"</span><input type="email" autocomplete="off" bind:value=email/></label>
                })}
                <label class="field"><span>"New token (write-only; blank keeps the stored one)"</span><input type="password" class="edit-tracker-token" autocomplete="off" bind:value=token/></label>
            </div>
            <div class="row-form">
                <button type="submit" disabled=move || update.pending().get()>{move || if update.pending().get() { "Saving…" } else { "Save tracker" }}</button>
                <button type="button" class="secondary" on:click=move |_| editing.set(false)>"Cancel"</button>
            </div>
            {move || update.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
        </form>
    }
}

#[component]
fn NewTrackerForm(create: ServerAction<CreateTracker>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new(TrackerKind::Github);
    let base_url = RwSignal::new("https://api.github.com".to_owned());
    let project = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let token = RwSignal::new(String::new());
    let done_states = RwSignal::new(String::new());
    let teams = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let secret = token.get_untracked();
        let credentials = match (kind.get_untracked(), email.get_untracked().trim()) {
            (TrackerKind::Jira, "") => TrackerCredentials::Pat { pat: secret },
            (TrackerKind::Jira, e) => TrackerCredentials::Basic {
                email: e.to_owned(),
                api_token: secret,
            },
            _ => TrackerCredentials::Token { token: secret },
        };
        let states = names(&done_states.get_untracked());
        create.dispatch(CreateTracker {
            tracker: NewTracker {
                name: name.get_untracked(),
                kind: kind.get_untracked(),
                base_url: base_url.get_untracked(),
                project: project.get_untracked(),
                credentials,
                done_states: (!states.is_empty()).then_some(states),
                teams: names(&teams.get_untracked()),
            },
        });
        token.set(String::new());
    };
    view! {
        <h3>"Connect a tracker"</h3>
        <form id="add-tracker" class="settings-form" on:submit=submit>
            <div class="settings-grid">
                <label class="field"><span>"Name"</span><input type="text" id="tracker-name" required maxlength="100" placeholder="e.g. Payments GitHub" bind:value=name/></label>
                <label class="field"><span>"Kind"</span>
                    <select id="tracker-kind" on:change=move |ev| {
                        if let Ok(k) = event_target_value(&ev).parse::<TrackerKind>() {
                            kind.set(k);
                            base_url.set(match k {
                                TrackerKind::Github => "https://api.github.com".into(),
                                TrackerKind::Gitlab => "https://gitlab.com/api/v4".into(),
                                TrackerKind::Jira => "https://YOUR-SITE.atlassian.net".into(),
                            });
                        }
                    }>
                        {TrackerKind::ALL.iter().map(|k| view! { <option value=k.as_str() selected=*k == TrackerKind::Github>{k.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="field"><span>"Base URL"</span><input type="url" id="tracker-base-url" required bind:value=base_url/></label>
                <label class="field"><span>{move || match kind.get() { TrackerKind::Jira => "Project key", TrackerKind::Github => "Repository (owner/repo)", TrackerKind::Gitlab => "Project path" }}</span>
                    <input type="text" id="tracker-project" required bind:value=project/></label>
            </div>
            <div class="settings-grid">
                <Show when=move || kind.get() == TrackerKind::Jira>
                    <label class="field"><span>"Account e-mail (Cloud; blank for a Data Center token)"</span><input type="email" id="tracker-email" autocomplete="off" bind:value=email/></label>
                </Show>
                <label class="field"><span>{move || match kind.get() { TrackerKind::Jira => "API token or personal access token", _ => "Access token" }}" (write-only)"</span>
                    <input type="password" id="tracker-token" required autocomplete="off" bind:value=token/></label>
                <Show when=move || kind.get() == TrackerKind::Jira>
                    <label class="field"><span>"Done states (comma-separated; blank: the “done” category)"</span><input type="text" id="tracker-done" bind:value=done_states/></label>
                </Show>
                <label class="field"><span>"Teams whose new actions get an issue here (comma-separated; optional)"</span><input type="text" id="tracker-teams" bind:value=teams/></label>
            </div>
            <button type="submit" id="create-tracker">"Connect tracker"</button>
        </form>
        {move || create.value().get().map(|r| match r {
            Ok(t) => view! {
                <div class="callout" role="status" id="new-tracker">
                    <p><strong>"Connected "{t.tracker.name.clone()}". Copy the webhook secret now: it is not shown again."</strong></p>
                    <code class="secret" id="new-tracker-secret">{t.secret.clone()}</code>
                    <pre class="snippet">{webhook_setup(t.tracker.kind, &t.tracker.receive_url, &t.secret)}</pre>
                </div>
            }.into_any(),
            Err(e) => view! { <ErrorBox error=e/> }.into_any(),
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_carry_the_url_and_the_secret_once_known() {
        let url = "https://hindsight.example.org/api/v1/hooks/3/receive";
        let am = snippets(HookSource::Alertmanager, url, Some("hsh_abc"));
        assert!(am[0].1.contains(&format!("url: '{url}'")));
        assert!(am[0].1.contains("credentials: 'hsh_abc'"));
        assert!(am[0].1.contains("send_resolved: true"));
        let generic = snippets(HookSource::Generic, url, None);
        assert!(generic[0].1.contains("Bearer <the hook's secret>"));
        assert!(generic[0].1.contains("\"fingerprint\""));
        for s in HookSource::ALL {
            assert!(snippets(*s, url, None).iter().all(|(_, t)| t.contains(url)));
        }
    }

    #[test]
    fn each_trackers_webhook_setup_names_the_url_and_secret() {
        for k in TrackerKind::ALL {
            let s = webhook_setup(*k, "https://h.example/api/v1/trackers/1/receive", "hst_x");
            assert!(
                s.contains("https://h.example/api/v1/trackers/1/receive"),
                "{s}"
            );
            assert!(s.contains("hst_x"), "{s}");
        }
        assert!(webhook_setup(TrackerKind::Github, "u", "s").contains("Issues"));
        assert!(webhook_setup(TrackerKind::Jira, "u", "s").contains("u?token=s"));
    }

    #[test]
    fn severity_maps_parse_and_name_what_is_wrong() {
        let m = parse_severity_map("critical=sev1, warning = sev3\ninfo=sev4").unwrap();
        assert_eq!(m["critical"], Severity::Sev1);
        assert_eq!(m["warning"], Severity::Sev3);
        assert_eq!(m.len(), 3);
        assert!(parse_severity_map("").unwrap().is_empty());
        assert!(
            parse_severity_map("critical")
                .unwrap_err()
                .contains("critical")
        );
        assert!(
            parse_severity_map("critical=p1")
                .unwrap_err()
                .contains("p1")
        );
    }
}
