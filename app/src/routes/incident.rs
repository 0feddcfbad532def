//! The incident page: header with live durations, status and key-time controls, a quick-add
//! box and the timeline. Every change updates the page in place.

use chrono::Utc;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{
    AddTimelineEvent, CorrectTimelineEvent, LinkKnownError, UnlinkKnownError, UpdateIncident,
    get_incident, incident_alerts, incident_known_errors, incident_labels, incident_timeline,
    suggested_known_errors,
};
use crate::components::actions::{ActionsCard, ActionsPanel};
use crate::components::badges::IncidentStatusBadge;
use crate::components::comments::{Comments, CommentsPanel};
use crate::components::error_box::ErrorBox;
use crate::components::format;
use crate::components::history::RecordHistory;
use crate::components::live::{live_ticks, use_live};
use crate::components::session::use_session;
use crate::domain::authz::{Op, allows};
use crate::domain::live::LiveKind;
use crate::domain::{CommentOn, EventKind, IncidentStatus, Visibility};
use crate::model::{Alert, Incident, IncidentPatch, NewEvent, TIMELINE_SHOWN, TimelineView};

use super::incident_room::{
    Drafts, IncidentDetails, LabelLists, StatusBar, TimelineEntry, TitleAndSeverity,
    close_on_success, local_value, parse_local,
};

#[component]
pub fn IncidentPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || params.read().get("key").unwrap_or_default();
    let session = use_session();
    let update = ServerAction::<UpdateIncident>::new();
    let add = ServerAction::<AddTimelineEvent>::new();
    let correct = ServerAction::<CorrectTimelineEvent>::new();
    // What is typed on the page lives here, above every refetch.
    let drafts = Drafts::new();
    close_on_success(drafts, update);
    // Cleared here, once per page, not in the box: the box is re-rendered by every refetch,
    // and a new box must not mistake the last answer for a new one and wipe fresh text.
    Effect::new(move |_| {
        if matches!(add.value().get(), Some(Ok(_))) {
            drafts.quick.set(String::new());
        }
    });
    Effect::new(move |_| {
        if matches!(correct.value().get(), Some(Ok(_))) {
            drafts.entry.set(None);
        }
    });
    // Someone else's change arrives on the stream; the page refetches what it shows.
    let live = use_live(move || Some(format!("incident:{}", key())));
    let changed = live_ticks(live, |m| {
        matches!(
            m.kind,
            LiveKind::IncidentUpdated | LiveKind::TimelineAdded | LiveKind::AlertReceived
        )
    });
    // The incident and its timeline follow every write of this page and every live change.
    let source = move || {
        (
            key(),
            update.version().get(),
            add.version().get(),
            correct.version().get(),
            drafts.reload.get(),
            changed.get(),
        )
    };
    let incident = Resource::new(source, |(k, ..)| get_incident(k));
    // The latest entries only, until the reader asks for the earlier ones.
    let whole_timeline = RwSignal::new(false);
    let timeline = Resource::new(
        move || (source(), whole_timeline.get()),
        |((k, ..), all)| incident_timeline(k, all),
    );
    let alerts = Resource::new(move || (key(), changed.get()), |(k, _)| incident_alerts(k));
    let labels = Resource::new(move || update.version().get(), |_| incident_labels());
    let actions = ActionsPanel::for_incident(key);
    let ke = KnownErrorPanel::for_incident(key, update, add);
    // The quick-add box, the timeline and the comments stand outside the incident's own
    // refetch (a change someone else makes re-renders the header and the details, never the
    // box being typed in), and are made with the page, not after an await, so their
    // boundaries hydrate in the order the server rendered them.
    let can_write = move || {
        session
            .user
            .get()
            .and_then(Result::ok)
            .flatten()
            .is_some_and(|u| allows(u.role, u.id, Op::WriteIncident))
    };
    let comments = CommentsPanel::new(CommentOn::Incident, key, Some(live));
    let room = view! {
        <div class="quick-add-slot" hidden=move || !can_write()>
            <QuickAdd key=Signal::derive(key) add=add drafts=drafts/>
        </div>
        <TimelineList timeline=timeline whole=whole_timeline key=Signal::derive(key) drafts=drafts correct=correct/>
        <Comments panel=comments/>
    };
    let may = move |op: Op| allowed(session, op);
    let side = Side {
        incident,
        update,
        alerts,
        actions,
        ke,
    };
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading incident…"</p> }>
            {move || Suspend::new(async move {
                let can_write = may(Op::WriteIncident).await;
                match incident.await {
                    Ok(inc) => view! {
                        <Title text=format!("{} {}", inc.key, inc.title)/>
                        <StatusBar inc=inc.clone()/>
                        {view! { <IncidentHeader inc=inc.clone() can_write=can_write drafts=drafts update=update/> }.into_any()}
                        {move || drafts.saving.get().is_none().then(|| update.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })).flatten()}
                    }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
        <LabelLists labels=labels/>
        <div class="incident-grid">
            <div>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let can_write = may(Op::WriteIncident).await;
                        incident.await.ok().map(|inc| view! {
                            <IncidentDetails inc=inc can_write=can_write drafts=drafts update=update/>
                        })
                    })}
                </Transition>
                {room}
            </div>
            <IncidentAside side=side/>
        </div>
    }
}

/// Whether the signed-in user may do `op` (false while signed out).
async fn allowed(session: crate::components::session::Session, op: Op) -> bool {
    session
        .user
        .await
        .ok()
        .flatten()
        .is_some_and(|u| allows(u.role, u.id, op))
}

/// What the incident page's side column shows and changes.
#[derive(Clone, Copy)]
struct Side {
    incident: Resource<Result<Incident, crate::error::AppError>>,
    update: ServerAction<UpdateIncident>,
    alerts: Resource<Result<Vec<Alert>, crate::error::AppError>>,
    actions: ActionsPanel,
    ke: KnownErrorPanel,
}

/// The side column: status controls, alerts, the postmortem, actions, known errors, people,
/// key times and the history.
#[component]
fn IncidentAside(side: Side) -> impl IntoView {
    let Side {
        incident,
        update,
        alerts,
        actions,
        ke,
    } = side;
    let session = use_session();
    let may = move |op: Op| allowed(session, op);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let can_write = may(Op::WriteIncident).await;
                let can_link = may(Op::WriteKnownError).await;
                incident.await.ok().map(|inc| view! {
                    <aside>
                        {can_write.then(|| view! { <StatusControls inc=inc.clone() update=update/> })}
                        <AlertsCard alerts=alerts/>
                        <PostmortemCard inc=inc.clone()/>
                        <ActionsCard incident=inc.key.clone() panel=actions/>
                        <KnownErrorsCard key=inc.key.clone() panel=ke can_link=can_link/>
                        {can_write.then(|| view! { <People inc=inc.clone() update=update/> })}
                        {can_write.then(|| view! { <KeyTimes inc=inc.clone() update=update/> })}
                        <section class="card"><RecordHistory record_type=crate::domain::RecordType::Incident key=inc.key.clone()/></section>
                    </aside>
                }.into_any())
            })}
        </Transition>
    }
}

#[component]
fn IncidentHeader(
    inc: Incident,
    can_write: bool,
    drafts: Drafts,
    update: ServerAction<UpdateIncident>,
) -> impl IntoView {
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
                <TitleAndSeverity inc=inc.clone() can_write=can_write drafts=drafts update=update/>
                <span id="incident-status"><IncidentStatusBadge status=inc.status/></span>
            </div>
            <div class="stats">
                <div class="stat" id="stat-open"><span class="stat-label">{if resolved.is_some() { "Duration" } else { "Open for" }}</span><span class="stat-value">{open_for}</span></div>
                {dur("Time to detect", "stat-ttd", d.time_to_detect)}
                {dur("Time to acknowledge", "stat-tta", d.time_to_acknowledge)}
                {dur("Time to mitigate", "stat-ttm", d.time_to_mitigate)}
                {dur("Time to resolve", "stat-ttr", d.time_to_resolve)}
            </div>
            // The services are in the details below; here who leads and how often it reopened.
            <p class="muted">
                {inc.commander_name.clone().map(|n| format!("Commander: {n}"))}
                {(inc.reopen_count > 0).then(|| {
                    let sep = if inc.commander_name.is_some() { " · " } else { "" };
                    format!("{sep}reopened {}×", inc.reopen_count)
                })}
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

impl KnownErrorPanel {
    /// What is linked (with recurrence) and what looks similar. The suggestions follow the
    /// incident's text, so they refresh after every change of it.
    fn for_incident(
        key: impl Fn() -> String + Copy + Send + Sync + 'static,
        update: ServerAction<UpdateIncident>,
        add: ServerAction<AddTimelineEvent>,
    ) -> Self {
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
        Self {
            link,
            unlink,
            linked,
            suggested,
        }
    }
}

/// Linked known errors with their workaround and recurrence, and suggestions to link in one
/// click.
#[component]
fn KnownErrorsCard(key: String, panel: KnownErrorPanel, can_link: bool) -> impl IntoView {
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
                                            {can_link.then(|| view! {
                                                <button class="link-button small" on:click=move |_| { unlink.dispatch(UnlinkKnownError { known_error: kk.clone(), incident: ik.clone() }); }>"Unlink"</button>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    })
                }}
            </Transition>
            {can_link.then(|| view! {
                <form class="row-form" on:submit=link_manual id="link-ke-form">
                    <input type="text" class="short" placeholder="KE-12" aria-label="Known error key" bind:value=manual/>
                    <button type="submit" class="secondary small">"Link"</button>
                </form>
            })}
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
                                            {can_link.then(|| view! {
                                                <button class="secondary small link-ke" id=format!("link-{}", s.key)
                                                    on:click=move |_| { link.dispatch(LinkKnownError { known_error: kk.clone(), incident: ik.clone() }); }>"Link"</button>
                                            })}
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
/// The alerts that opened or joined the incident: firing first, each with its labels, when
/// it was first and last seen, and a link to where it came from. Shown only when there are.
#[component]
fn AlertsCard(alerts: Resource<Result<Vec<Alert>, crate::error::AppError>>) -> impl IntoView {
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let mut list = alerts.await.unwrap_or_default();
                if list.is_empty() {
                    return ().into_any();
                }
                list.sort_by_key(|a| (a.status != crate::domain::AlertStatus::Firing, std::cmp::Reverse(a.last_seen_at)));
                let firing = list.iter().filter(|a| a.status == crate::domain::AlertStatus::Firing).count();
                view! {
                    <section class="card" id="alerts-card">
                        <h2>"Alerts "<span class="muted small">{format!("{firing} firing of {}", list.len())}</span></h2>
                        <ul class="alert-list">
                            {list.into_iter().map(|a| view! { <AlertItem a=a/> }).collect_view()}
                        </ul>
                    </section>
                }.into_any()
            })}
        </Transition>
    }
}

#[component]
fn AlertItem(a: Alert) -> impl IntoView {
    let firing = a.status == crate::domain::AlertStatus::Firing;
    let title = a
        .summary
        .clone()
        .or_else(|| a.labels.get("alertname").cloned())
        .unwrap_or_else(|| a.fingerprint.clone());
    // A sender's link is shown only when it is a web address (never `javascript:`).
    let link = a
        .url
        .clone()
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"));
    view! {
        <li class=if firing { "alert firing" } else { "alert resolved" }>
            <div class="alert-head">
                <span class=if firing { "badge alert-firing" } else { "badge alert-resolved" }>{a.status.label()}</span>
                <strong>{title}</strong>
            </div>
            <div class="small muted">
                {a.source.label()}{a.hook.clone().map(|h| format!(" · {h}"))}
                " · first seen "{format::datetime(a.first_seen_at)}
                " · last seen "{format::datetime(a.last_seen_at)}
                {a.resolved_at.map(|t| format!(" · resolved {}", format::datetime(t)))}
            </div>
            <div class="alert-labels">
                {a.labels.iter().map(|(k, v)| view! { <code class="label-chip">{format!("{k}={v}")}</code> }).collect_view()}
            </div>
            {link.map(|u| view! { <a class="small" href=u target="_blank" rel="noopener noreferrer">"Open in the source"</a> })}
        </li>
    }
}

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
        <section class="card" id="key-times">
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

/// The quick-add box. Its draft (text, kind, audience) lives in the page's [`Drafts`], so a
/// refetch that re-renders the box keeps what is being typed.
#[component]
fn QuickAdd(
    key: Signal<String>,
    add: ServerAction<AddTimelineEvent>,
    drafts: Drafts,
) -> impl IntoView {
    let (body, kind, customer) = (drafts.quick, drafts.quick_kind, drafts.quick_customer);
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
            key: key.get_untracked(),
            event,
        });
    };
    view! {
        <form class="card quick-add" on:submit=submit id="quick-add">
            <div class="row-form">
                <select aria-label="Event kind" id="quick-kind" prop:value=move || kind.get().as_str() on:change=move |ev| { if let Ok(k) = event_target_value(&ev).parse() { kind.set(k); } }>
                    {EventKind::ALL.iter().filter(|k| **k != EventKind::StatusChange).map(|k| view! { <option value=k.as_str() selected=*k == kind.get_untracked()>{k.label()}</option> }).collect_view()}
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
    timeline: Resource<Result<TimelineView, crate::error::AppError>>,
    /// Set to show the entries before the latest [`TIMELINE_SHOWN`].
    whole: RwSignal<bool>,
    key: Signal<String>,
    drafts: Drafts,
    correct: ServerAction<CorrectTimelineEvent>,
) -> impl IntoView {
    let session = use_session();
    view! {
        <section class="card">
            <h2>"Timeline"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading timeline…"</p> }>
                {move || Suspend::new(async move {
                    let me = session.user.await.ok().flatten();
                    let responder = me
                        .as_ref()
                        .is_some_and(|u| allows(u.role, u.id, Op::WriteIncident));
                    let may_write = me
                        .as_ref()
                        .is_some_and(|u| u.role != crate::domain::Role::Viewer);
                    let my_email = me.map(|u| u.email);
                    let key = key.get_untracked();
                    match timeline.await {
                        Ok(TimelineView { events, earlier }) => view! {
                            {earlier.then(|| view! {
                                <p class="muted" id="timeline-earlier-note">
                                    {format!("The latest {TIMELINE_SHOWN} entries. ")}
                                    <button type="button" class="link-button" id="timeline-earlier" on:click=move |_| whole.set(true)>
                                        "Show earlier entries"
                                    </button>
                                </p>
                            })}
                            <ol class="timeline" id="timeline">
                                {events.into_iter().map(|e| {
                                    let mine = may_write && e.author.is_some() && e.author == my_email;
                                    view! { <TimelineEntry e=e key=key.clone() can_correct=responder || mine drafts=drafts correct=correct/> }
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
