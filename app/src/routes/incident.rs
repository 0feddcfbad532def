//! The incident page: header with live durations, status and key-time controls, a quick-add
//! box and the timeline. Every change updates the page in place.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{
    AddTimelineEvent, LinkKnownError, UnlinkKnownError, UpdateIncident, get_incident,
    incident_known_errors, incident_timeline, suggested_known_errors,
};
use crate::components::actions::{ActionsCard, ActionsPanel};
use crate::components::badges::{IncidentStatusBadge, SeverityBadge};
use crate::components::error_box::ErrorBox;
use crate::components::format;
use crate::components::history::RecordHistory;
use crate::domain::{EventKind, IncidentStatus, Visibility};
use crate::model::{Incident, IncidentPatch, NewEvent, TimelineEvent};

#[component]
pub fn IncidentPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || params.read().get("key").unwrap_or_default();
    let update = ServerAction::<UpdateIncident>::new();
    let add = ServerAction::<AddTimelineEvent>::new();
    let incident = Resource::new(
        move || (key(), update.version().get(), add.version().get()),
        |(k, _, _)| get_incident(k),
    );
    let timeline = Resource::new(
        move || (key(), update.version().get(), add.version().get()),
        |(k, _, _)| incident_timeline(k),
    );
    // Known errors: what is linked (with recurrence) and what looks similar. The suggestions
    // follow the incident's text, so they refresh after every change of it.
    let link = ServerAction::<LinkKnownError>::new();
    let unlink = ServerAction::<UnlinkKnownError>::new();
    let linked = Resource::new(
        move || (key(), link.version().get(), unlink.version().get()),
        |(k, ..)| incident_known_errors(k),
    );
    let suggested = Resource::new(
        move || {
            (
                key(),
                link.version().get(),
                unlink.version().get(),
                update.version().get(),
                add.version().get(),
            )
        },
        |(k, ..)| suggested_known_errors(k),
    );
    let actions = ActionsPanel::for_incident(key);
    let ke = KnownErrorPanel {
        link,
        unlink,
        linked,
        suggested,
    };
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading incident…"</p> }>
            {move || Suspend::new(async move {
                match incident.await {
                    Ok(inc) => view! {
                        <Title text=format!("{} {}", inc.key, inc.title)/>
                        {view! { <IncidentHeader inc=inc.clone()/> }.into_any()}
                        {move || update.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
                        <div class="incident-grid">
                            {view! {
                                <div>
                                    <QuickAdd key=inc.key.clone() add=add/>
                                    <TimelineList timeline=timeline/>
                                </div>
                            }.into_any()}
                            {view! {
                                <aside>
                                    <StatusControls inc=inc.clone() update=update/>
                                    <PostmortemCard inc=inc.clone()/>
                                    <ActionsCard incident=inc.key.clone() panel=actions/>
                                    <KnownErrorsCard key=inc.key.clone() panel=ke/>
                                    <People inc=inc.clone() update=update/>
                                    <KeyTimes inc=inc.clone() update=update/>
                                    <section class="card"><RecordHistory record_type="incident" key=inc.key.clone()/></section>
                                </aside>
                            }.into_any()}
                        </div>
                    }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn IncidentHeader(inc: Incident) -> impl IntoView {
    let now = crate::components::countdown::ticking_now(std::time::Duration::from_secs(1));
    let detected = inc.detected_at;
    let resolved = inc.resolved_at;
    let rendered_at = inc.updated_at.max(Utc::now());
    let open_for = move || {
        let end = resolved.unwrap_or_else(|| now.get().unwrap_or(rendered_at));
        format::minutes((end - detected).num_seconds() as f64 / 60.0)
    };
    let d = inc.durations;
    let dur = |label: &'static str, id: &'static str, v: Option<f64>| {
        view! {
            <div class="stat" id=id><span class="stat-label">{label}</span><span class="stat-value">{v.map(format::minutes).unwrap_or_else(|| "—".into())}</span></div>
        }
    };
    view! {
        <header class="incident-head">
            <div class="incident-title">
                <span class="key">{inc.key.clone()}</span>
                <h1>{inc.title.clone()}</h1>
                <SeverityBadge severity=inc.severity/>
                <span id="incident-status"><IncidentStatusBadge status=inc.status/></span>
            </div>
            <div class="stats">
                <div class="stat" id="stat-open"><span class="stat-label">{if resolved.is_some() { "Duration" } else { "Open for" }}</span><span class="stat-value">{open_for}</span></div>
                {dur("Time to detect", "stat-ttd", d.time_to_detect)}
                {dur("Time to acknowledge", "stat-tta", d.time_to_acknowledge)}
                {dur("Time to mitigate", "stat-ttm", d.time_to_mitigate)}
                {dur("Time to resolve", "stat-ttr", d.time_to_resolve)}
            </div>
            <p class="muted">
                {inc.services.join(", ")}
                {inc.commander_name.clone().map(|n| view! { " · Commander: "{n} })}
                {(inc.reopen_count > 0).then(|| format!(" · reopened {}×", inc.reopen_count))}
            </p>
        </header>
    }
}

/// The known-error resources and actions of the incident page (created with the page, so
/// they hydrate).
#[derive(Clone, Copy)]
struct KnownErrorPanel {
    link: ServerAction<LinkKnownError>,
    unlink: ServerAction<UnlinkKnownError>,
    linked: Resource<Result<Vec<crate::model::IncidentKnownError>, crate::error::AppError>>,
    suggested: Resource<Result<Vec<crate::model::Suggestion>, crate::error::AppError>>,
}

/// Linked known errors with their workaround and recurrence, and suggestions to link in one
/// click.
#[component]
fn KnownErrorsCard(key: String, panel: KnownErrorPanel) -> impl IntoView {
    let KnownErrorPanel {
        link,
        unlink,
        linked,
        suggested,
    } = panel;
    let k1 = key.clone();
    let k2 = key.clone();
    let manual = RwSignal::new(String::new());
    Effect::new(move |_| {
        if matches!(link.value().get(), Some(Ok(_))) {
            manual.set(String::new());
        }
    });
    let link_manual = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        link.dispatch(LinkKnownError {
            known_error: manual.get_untracked().trim().to_owned(),
            incident: k2.clone(),
        });
    };
    view! {
        <section class="card" id="known-errors-card">
            <h2>"Known errors"</h2>
            {move || link.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
            {move || unlink.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
            <Transition fallback=|| ()>
                {move || {
                    let k = k1.clone();
                    Suspend::new(async move {
                        let list = linked.await.unwrap_or_default();
                        if list.is_empty() {
                            return view! { <p class="muted small" id="linked-known-errors">"None linked."</p> }.into_any();
                        }
                        view! {
                            <ul class="ke-linked" id="linked-known-errors">
                                {list.into_iter().map(|ke| {
                                    let (kk, ik) = (ke.key.clone(), k.clone());
                                    view! {
                                        <li>
                                            <a class="key" href=format!("/known-errors/{}", ke.key)>{ke.key.clone()}</a>" "{ke.title.clone()}
                                            {ke.recurrence.then(|| view! {
                                                " "<span class="badge recurrence" title=format!("{} earlier incident(s) with this known error", ke.earlier_incidents)>
                                                    {format!("recurrence ({} before)", ke.earlier_incidents)}
                                                </span>
                                            })}
                                            {ke.fix_verified_before.then(|| view! {
                                                <p class="warn small">"A fix for this had been verified effective before this incident: it did not hold."</p>
                                            })}
                                            {(!ke.workaround.trim().is_empty()).then(|| view! {
                                                <details class="small" open=true><summary>"Workaround"</summary><div class="doc" inner_html=crate::markdown::render(&ke.workaround)></div></details>
                                            })}
                                            <button class="link-button small" on:click=move |_| { unlink.dispatch(UnlinkKnownError { known_error: kk.clone(), incident: ik.clone() }); }>"Unlink"</button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    })
                }}
            </Transition>
            <form class="row-form" on:submit=link_manual id="link-ke-form">
                <input type="text" class="short" placeholder="KE-12" aria-label="Known error key" bind:value=manual/>
                <button type="submit" class="secondary small">"Link"</button>
            </form>
            <h3 class="small">"Suggested"</h3>
            <Transition fallback=|| ()>
                {move || {
                    let k = key.clone();
                    Suspend::new(async move {
                        let list: Vec<_> = suggested.await.unwrap_or_default().into_iter().filter(|s| !s.linked).collect();
                        if list.is_empty() {
                            return view! { <p class="muted small" id="suggested-known-errors">"No similar known errors."</p> }.into_any();
                        }
                        view! {
                            <ul class="ke-suggested" id="suggested-known-errors">
                                {list.into_iter().map(|s| {
                                    let (kk, ik) = (s.key.clone(), k.clone());
                                    let why = if s.shared_services.is_empty() { String::new() } else { format!("shares {}", s.shared_services.join(", ")) };
                                    view! {
                                        <li>
                                            <a class="key" href=format!("/known-errors/{}", s.key)>{s.key.clone()}</a>" "{s.title.clone()}
                                            " "<span class="muted small">{why}</span>
                                            <button class="secondary small link-ke" id=format!("link-{}", s.key)
                                                on:click=move |_| { link.dispatch(LinkKnownError { known_error: kk.clone(), incident: ik.clone() }); }>"Link"</button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    })
                }}
            </Transition>
        </section>
    }
}

/// The postmortem's state and deadline, one click from the incident.
#[component]
fn PostmortemCard(inc: Incident) -> impl IntoView {
    use crate::components::badges::PostmortemStatusBadge;
    use crate::components::countdown::DueCountdown;
    let href = format!("/incidents/{}/postmortem", inc.key);
    let published = inc.postmortem_status == Some(crate::domain::PostmortemStatus::Published);
    view! {
        <section class="card" id="postmortem-card">
            <h2>"Postmortem"</h2>
            {match inc.postmortem_status {
                Some(s) => view! {
                    <p><PostmortemStatusBadge status=s/></p>
                    <p><a href=href class="button secondary" id="open-postmortem">"Open postmortem"</a></p>
                }.into_any(),
                None => view! {
                    <p class="muted">{if inc.severity.requires_postmortem() { "Required before this incident can close." } else { "Not started." }}</p>
                    <p><a href=href class="button secondary" id="open-postmortem">"Write postmortem"</a></p>
                }.into_any(),
            }}
            {inc.rca_due_at.map(|d| view! { <p class="small">"RCA "<DueCountdown due=Some(d) done=published rendered_at=inc.updated_at.max(Utc::now())/></p> })}
        </section>
    }
}

#[component]
fn StatusControls(inc: Incident, update: ServerAction<UpdateIncident>) -> impl IntoView {
    let next: Vec<IncidentStatus> = IncidentStatus::ALL
        .iter()
        .copied()
        .filter(|s| {
            s.rank() > inc.status.rank()
                || (inc.status == IncidentStatus::Resolved && *s == IncidentStatus::Investigating)
        })
        .collect();
    let key = inc.key.clone();
    let version = inc.version;
    view! {
        <section class="card">
            <h2>"Status"</h2>
            <div class="button-row">
                {next.into_iter().map(|to| {
                    let key = key.clone();
                    let label = if to == IncidentStatus::Investigating { "Reopen".to_owned() } else { format!("→ {}", to.label()) };
                    view! {
                        <button class="secondary" id=format!("to-{}", to.as_str())
                            on:click=move |_| { update.dispatch(UpdateIncident { key: key.clone(), patch: IncidentPatch { version: Some(version), status: Some(to), ..Default::default() } }); }>
                            {label}
                        </button>
                    }
                }).collect_view()}
            </div>
        </section>
    }
}

/// `datetime-local` value (UTC) for a time.
fn local_value(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

fn parse_local(s: &str) -> Option<DateTime<Utc>> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .ok()
        .map(|n| n.and_utc())
}

#[component]
fn KeyTimes(inc: Incident, update: ServerAction<UpdateIncident>) -> impl IntoView {
    let started = RwSignal::new(local_value(inc.started_at));
    let detected = RwSignal::new(local_value(Some(inc.detected_at)));
    let acknowledged = RwSignal::new(local_value(inc.acknowledged_at));
    let mitigated = RwSignal::new(local_value(inc.mitigated_at));
    let resolved = RwSignal::new(local_value(inc.resolved_at));
    let is_resolved = inc.resolved_at.is_some();
    let key = inc.key.clone();
    let version = inc.version;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let opt = |s: RwSignal<String>| Some(parse_local(&s.get_untracked()));
        update.dispatch(UpdateIncident {
            key: key.clone(),
            patch: IncidentPatch {
                version: Some(version),
                started_at: opt(started),
                detected_at: parse_local(&detected.get_untracked()),
                acknowledged_at: opt(acknowledged),
                mitigated_at: opt(mitigated),
                resolved_at: if is_resolved { opt(resolved) } else { None },
                ..Default::default()
            },
        });
    };
    let field = |label: &'static str, id: &'static str, value: RwSignal<String>| {
        view! {
            <label class="field"><span>{label}</span><input type="datetime-local" id=id bind:value=value/></label>
        }
    };
    view! {
        <section class="card">
            <h2>"Key times " <span class="muted small">"(UTC)"</span></h2>
            <dl class="times">
                <dt>"RCA due"</dt><dd>{inc.rca_due_at.map(format::datetime).unwrap_or_else(|| "—".into())}</dd>
                <dt>"Closed"</dt><dd>{inc.closed_at.map(format::datetime).unwrap_or_else(|| "—".into())}</dd>
            </dl>
            <form on:submit=submit class="times-form">
                {field("Impact started", "time-started", started)}
                {field("Detected", "time-detected", detected)}
                {field("Acknowledged", "time-acknowledged", acknowledged)}
                {field("Mitigated", "time-mitigated", mitigated)}
                {is_resolved.then(|| field("Resolved", "time-resolved", resolved))}
                <button type="submit" class="secondary">"Save times"</button>
            </form>
        </section>
    }
}

/// Commander and incident roles (scribe, comms lead), by e-mail.
#[component]
fn People(inc: Incident, update: ServerAction<UpdateIncident>) -> impl IntoView {
    let commander = RwSignal::new(inc.commander.clone().unwrap_or_default());
    let scribe = RwSignal::new(inc.roles.get("scribe").cloned().unwrap_or_default());
    let comms = RwSignal::new(inc.roles.get("comms_lead").cloned().unwrap_or_default());
    let others: Vec<(String, String)> = inc
        .roles
        .iter()
        .filter(|(r, _)| *r != "scribe" && *r != "comms_lead")
        .map(|(r, e)| (r.clone(), e.clone()))
        .collect();
    let key = inc.key.clone();
    let version = inc.version;
    let kept = others.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut roles: std::collections::BTreeMap<String, String> = kept.iter().cloned().collect();
        for (role, v) in [
            ("scribe", scribe.get_untracked()),
            ("comms_lead", comms.get_untracked()),
        ] {
            if !v.trim().is_empty() {
                roles.insert(role.to_owned(), v.trim().to_owned());
            }
        }
        let c = commander.get_untracked();
        update.dispatch(UpdateIncident {
            key: key.clone(),
            patch: IncidentPatch {
                version: Some(version),
                commander: Some(Some(c.trim().to_owned()).filter(|c| !c.is_empty())),
                roles: Some(roles),
                ..Default::default()
            },
        });
    };
    view! {
        <section class="card">
            <h2>"People"</h2>
            <form on:submit=submit id="people-form">
                <label class="field"><span>"Commander"</span><input type="email" id="people-commander" placeholder="e-mail" bind:value=commander/></label>
                <label class="field"><span>"Scribe"</span><input type="email" id="people-scribe" placeholder="e-mail" bind:value=scribe/></label>
                <label class="field"><span>"Comms lead"</span><input type="email" id="people-comms" placeholder="e-mail" bind:value=comms/></label>
                {others.into_iter().map(|(r, e)| view! { <p class="muted small">{r}": "{e}</p> }).collect_view()}
                <button type="submit" class="secondary">"Save people"</button>
            </form>
        </section>
    }
}

#[component]
fn QuickAdd(key: String, add: ServerAction<AddTimelineEvent>) -> impl IntoView {
    let body = RwSignal::new(String::new());
    let kind = RwSignal::new(EventKind::Update);
    let customer = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let event = NewEvent {
            occurred_at: None,
            kind: kind.get_untracked(),
            body: body.get_untracked(),
            visibility: Some(if customer.get_untracked() {
                Visibility::Customer
            } else {
                Visibility::Internal
            }),
        };
        add.dispatch(AddTimelineEvent {
            key: key.clone(),
            event,
        });
    };
    Effect::new(move |_| {
        if matches!(add.value().get(), Some(Ok(_))) {
            body.set(String::new());
        }
    });
    view! {
        <form class="card quick-add" on:submit=submit id="quick-add">
            <div class="row-form">
                <select aria-label="Event kind" id="quick-kind" on:change=move |ev| { if let Ok(k) = event_target_value(&ev).parse() { kind.set(k); } }>
                    {EventKind::ALL.iter().filter(|k| **k != EventKind::StatusChange).map(|k| view! { <option value=k.as_str() selected=*k == EventKind::Update>{k.label()}</option> }).collect_view()}
                </select>
                <input type="text" id="quick-body" class="grow" placeholder="What happened? (Enter to add)" aria-label="Event text" bind:value=body/>
                <label class="inline"><input type="checkbox" bind:checked=customer/>" customer-facing"</label>
                <button type="submit" id="quick-submit">"Add"</button>
            </div>
            {move || add.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
        </form>
    }
}

#[component]
fn TimelineList(
    timeline: Resource<Result<Vec<TimelineEvent>, crate::error::AppError>>,
) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Timeline"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading timeline…"</p> }>
                {move || Suspend::new(async move {
                    match timeline.await {
                        Ok(events) => view! {
                            <ol class="timeline" id="timeline">
                                {events.into_iter().map(|e| view! {
                                    <li class=format!("event kind-{} vis-{}", e.kind.as_str(), e.visibility.as_str())>
                                        <time datetime=e.occurred_at.to_rfc3339()>{e.occurred_at.format("%m-%d %H:%M").to_string()}</time>
                                        <span class="event-kind">{e.kind.label()}</span>
                                        {(e.visibility == Visibility::Customer).then(|| view! { <span class="badge">"customer"</span> })}
                                        <span class="event-body doc" inner_html=crate::markdown::render(&e.body)></span>
                                        <span class="muted small">{e.author.unwrap_or_default()}</span>
                                    </li>
                                }).collect_view()}
                            </ol>
                        }.into_any(),
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
