//! Corrective and preventive actions: "My actions" (what I owe, by urgency, and what waits for
//! my verification), the list of all actions with its filters, and an action's page with its
//! transitions, the four-eyes verification form, its history and its comments.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_params_map;

use crate::api::{
    TransitionAction, UpdateAction, get_action, list_actions, list_users, my_actions,
};
use crate::components::actions::{
    ActionStatusBadge, ActionTable, Deadline, PeopleList, PriorityBadge, may_change,
};
use crate::components::comments::{Comments, CommentsPanel};
use crate::components::error_box::ErrorBox;
use crate::components::format;
use crate::components::history::RecordHistory;
use crate::components::layout::PageHead;
use crate::components::list::{ListResults, StatusTabs, Tab, href, query_filter};
use crate::components::session::use_session;
use crate::domain::{ActionKind, ActionStatus, CommentOn, Priority, VerificationResult};
use crate::error::AppError;
use crate::markdown::render;
use crate::model::{
    Action, ActionFilter, ActionInbox, ActionPatch, ActionTransition, CurrentUser, User,
};

#[component]
fn SectionTabs(mine: bool) -> impl IntoView {
    view! {
        <nav class="tabs" aria-label="Actions">
            <Tab href="/actions".into() current=mine label="My actions"/>
            <Tab href="/actions/all".into() current=!mine label="All actions"/>
        </nav>
    }
}

/// What the signed-in user owes, overdue first, and what waits for their verification.
#[component]
pub fn MyActionsPage() -> impl IntoView {
    let session = use_session();
    let inbox = Resource::new(|| (), |_| my_actions());
    view! {
        <PageHead heading="My actions"><SectionTabs mine=true/></PageHead>
        <Transition fallback=|| view! { <p class="muted">"Loading your actions…"</p> }>
            {move || Suspend::new(async move {
                let email = session.user.await.ok().flatten().map(|u| u.email);
                match inbox.await {
                    Ok(i) => view! { <Inbox inbox=i email=email/> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Inbox(inbox: ActionInbox, email: Option<String>) -> impl IntoView {
    let today = inbox.today;
    let overdue = inbox.owned.iter().filter(|a| a.overdue).count();
    let owned_n = inbox.owned.len();
    let shown = inbox.to_verify.len() as u64;
    let total = inbox.to_verify_total;
    let total_text = if inbox.to_verify_more {
        format!("{total}+")
    } else {
        total.to_string()
    };
    view! {
        <section class="card">
            <h2>"Owned by me "<span class="muted">{format!("· {owned_n} open")}{(overdue > 0).then(|| format!(", {overdue} overdue"))}</span></h2>
            {if inbox.owned.is_empty() {
                view! { <p class="muted" id="owned-none">"Nothing open is assigned to you."</p> }.into_any()
            } else {
                view! { <ActionTable items=inbox.owned id="owned-actions" today=today/> }.into_any()
            }}
            {email.map(|e| view! {
                <p class="muted small">"Calendar feed of your deadlines: "
                    <a href=format!("/api/v1/calendar/{e}.ics") id="calendar-feed">{format!("{e}.ics")}</a>
                    " (a calendar app subscribes with "<code>"?token="</code>" and an API token from your account page)."</p>
            })}
        </section>
        {(!inbox.awaiting_verification.is_empty()).then(|| view! {
            <section class="card">
                <h2>"Done, waiting for someone to verify"</h2>
                <ActionTable items=inbox.awaiting_verification id="awaiting-verification" today=today deadline=Deadline::Verification/>
            </section>
        })}
        <section class="card">
            <h2>"Waiting for my verification "{inbox.can_verify.then(|| view! { <span class="muted">{format!("· {total_text}")}</span> })}</h2>
            {if !inbox.can_verify {
                view! { <p class="muted" id="to-verify-none">"Responders and admins verify actions; someone other than the owner checks that a fix worked."</p> }.into_any()
            } else if inbox.to_verify.is_empty() {
                view! { <p class="muted" id="to-verify-none">"No completed actions wait for a verification."</p> }.into_any()
            } else {
                view! {
                    <ActionTable items=inbox.to_verify id="to-verify" today=today deadline=Deadline::Verification/>
                    {(total > shown).then(|| view! {
                        <a href=href(&ActionFilter { status: Some(ActionStatus::Done), ..Default::default() })>{format!("All {total_text} done actions")}</a>
                    })}
                }.into_any()
            }}
        </section>
    }
}

/// Every action, newest first, with the list's filters; paginated by key.
#[component]
pub fn AllActionsPage() -> impl IntoView {
    let filter = query_filter::<ActionFilter>(&["limit"]);
    let list = Resource::new(move || filter.get(), list_actions);
    let people = Resource::new(|| (), |_| list_users());
    let csv = move || {
        let f = ActionFilter {
            page: None,
            ..filter.get()
        };
        let qs = serde_urlencoded::to_string(&f).unwrap_or_default();
        format!("/api/v1/actions.csv?{qs}")
    };
    view! {
        <PageHead heading="Actions" title="All actions"><SectionTabs mine=false/></PageHead>
        <div class="filters">
            <StatusTabs filter=filter/>
        </div>
        <Form method="GET" action="/actions/all" attr:class="filters" attr:id="action-filters">
            {move || {
                let f = filter.get();
                view! {
                    {f.status.map(|s| view! { <input type="hidden" name="status" value=s.as_str()/> })}
                    {f.overdue.filter(|o| *o).map(|_| view! { <input type="hidden" name="overdue" value="true"/> })}
                    {f.incident.clone().map(|i| view! { <input type="hidden" name="incident" value=i/> })}
                    {f.known_error.clone().map(|k| view! { <input type="hidden" name="known_error" value=k/> })}
                    {f.due_from.map(|d| view! { <input type="hidden" name="due_from" value=d.to_string()/> })}
                    {f.due_to.map(|d| view! { <input type="hidden" name="due_to" value=d.to_string()/> })}
                    {f.verification_overdue.filter(|o| *o).map(|_| view! { <input type="hidden" name="verification_overdue" value="true"/> })}
                    {f.service.clone().map(|s| view! { <input type="hidden" name="service" value=s/> })}
                    {f.severity.map(|s| view! { <input type="hidden" name="severity" value=s.as_str()/> })}
                    <input type="email" name="owner" list="people-list" placeholder="Owner e-mail" aria-label="Owner" id="filter-owner" value=f.owner.clone().unwrap_or_default()/>
                    <input type="text" name="team" placeholder="Team" aria-label="Team" class="short" id="filter-team" value=f.team.clone().unwrap_or_default()/>
                    <select name="kind" aria-label="Kind" id="filter-kind">
                        <option value="">"All kinds"</option>
                        {ActionKind::ALL.iter().map(|k| view! { <option value=k.as_str() selected=f.kind == Some(*k)>{k.label()}</option> }).collect_view()}
                    </select>
                    <select name="priority" aria-label="Priority" id="filter-priority">
                        <option value="">"All priorities"</option>
                        {Priority::ALL.iter().map(|p| view! { <option value=p.as_str() selected=f.priority == Some(*p)>{p.label()}</option> }).collect_view()}
                    </select>
                    <button type="submit" class="secondary">"Filter"</button>
                    <a href=csv download="actions.csv">"CSV"</a>
                }
            }}
            <PeopleList people=people/>
        </Form>
        {move || {
            let f = filter.get();
            let scope = scope_text(&f);
            (!scope.is_empty()).then(|| view! { <p class="muted" id="action-scope">{scope}" · "<a href=href(&ActionFilter::default())>"show all"</a></p> })
        }}
        <ListResults filter=filter list=list loading="Loading actions…"
            empty_id="action-list-empty" none="No actions yet. Create them from an incident's or a postmortem's page."
            no_match="No actions match these filters."
            rows=|items| view! { <ActionTable items=items id="action-list"/> }/>
    }
}

/// The filters the form does not show, in words: "Actions of INC-4 · due 2026-01-01 to …".
fn scope_text(f: &ActionFilter) -> String {
    let mut parts = Vec::new();
    let about = [f.incident.clone(), f.known_error.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
    if !about.is_empty() {
        parts.push(format!("Actions of {}", about.join(", ")));
    }
    if f.due_from.is_some() || f.due_to.is_some() {
        let from = f
            .due_from
            .map_or_else(|| "any date".into(), |d| d.to_string());
        let to = f
            .due_to
            .map_or_else(|| "any date".into(), |d| d.to_string());
        parts.push(format!("due {from} to {to}"));
    }
    if f.verification_overdue == Some(true) {
        parts.push("verification overdue".into());
    }
    match (f.severity, f.service.as_deref()) {
        (Some(sev), Some(svc)) => parts.push(format!("of {} incidents of {svc}", sev.label())),
        (Some(sev), None) => parts.push(format!("of {} incidents", sev.label())),
        (None, Some(svc)) => parts.push(format!("of incidents of {svc}")),
        (None, None) => {}
    }
    parts.join(" · ")
}

#[component]
pub fn ActionPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || params.read().get("key").unwrap_or_default();
    let session = use_session();
    let update = ServerAction::<UpdateAction>::new();
    let transition = ServerAction::<TransitionAction>::new();
    let link = ServerAction::<crate::api::CreateTrackerIssue>::new();
    let action = Resource::new(
        move || {
            (
                key(),
                update.version().get(),
                transition.version().get(),
                link.version().get(),
            )
        },
        |(k, ..)| get_action(k),
    );
    let trackers = Resource::new(|| (), |_| crate::api::tracker_choices());
    let people = Resource::new(|| (), |_| list_users());
    // Made with the page, beside the action's view rather than in it: a change of status
    // re-renders the action, never the thread someone is typing in.
    let comments = CommentsPanel::new(CommentOn::Action, key, None);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading action…"</p> }>
            {move || Suspend::new(async move {
                let user = session.user.await.ok().flatten();
                match action.await {
                    Ok(a) => view! { <ActionView a=a.clone() user=user.clone() update=update transition=transition people=people/> <TrackerIssue a=a user=user link=link trackers=trackers/> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
        <div class="incident-grid">
            <div><Comments panel=comments/></div>
        </div>
    }
}

/// The action's issue in a tracker: where it is and its state, or (for those who may change
/// the action) a one-click create in one of the connected trackers.
#[component]
fn TrackerIssue(
    a: Action,
    user: Option<CurrentUser>,
    link: ServerAction<crate::api::CreateTrackerIssue>,
    trackers: Resource<Result<Vec<crate::model::TrackerChoice>, AppError>>,
) -> impl IntoView {
    let chosen = RwSignal::new(None::<i64>);
    let key = a.key.clone();
    let can_change = may_change(user.as_ref(), a.owner.as_deref());
    view! {
        <Transition fallback=|| ()>
            {move || {
                let key = key.clone();
                let a = a.clone();
                Suspend::new(async move {
                    let list = trackers.await.unwrap_or_default();
                    match (a.issue, list.is_empty()) {
                        (Some(i), _) => view! {
                            <section class="card" id="tracker-issue">
                                <h2>"Tracker issue"</h2>
                                <p>
                                    {i.url.clone().filter(|u| u.starts_with("https://") || u.starts_with("http://")).map(|u| view! {
                                        <a href=u rel="noopener noreferrer" target="_blank" id="tracker-issue-link">{format!("{} {}", i.tracker_name, crate::domain::issue_name(&i.key))}</a>
                                    })}
                                    {i.state.clone().map(|s| view! { " · "<span class="badge">{s}</span> })}
                                </p>
                                <p class="small muted">{i.synced_at.map(|t| format!("Last synced {}", format::datetime(t))).unwrap_or_default()}
                                    " · The tracker may say done; only a verification here proves the action effective."</p>
                            </section>
                        }.into_any(),
                        (None, false) if can_change => {
                            let first = list[0].id;
                            let key = key.clone();
                            view! {
                                <section class="card" id="tracker-issue">
                                    <h2>"Tracker issue"</h2>
                                    <form class="row-form" id="create-tracker-issue" on:submit=move |ev: leptos::ev::SubmitEvent| {
                                        ev.prevent_default();
                                        link.dispatch(crate::api::CreateTrackerIssue { key: key.clone(), tracker: chosen.get_untracked().unwrap_or(first) });
                                    }>
                                        <select aria-label="Tracker" id="tracker-choice" on:change=move |ev| chosen.set(event_target_value(&ev).parse().ok())>
                                            {list.iter().map(|t| view! { <option value=t.id.to_string()>{format!("{} ({})", t.name, t.kind.label())}</option> }).collect_view()}
                                        </select>
                                        <button type="submit" disabled=move || link.pending().get()>
                                            {move || if link.pending().get() { "Creating…" } else { "Create issue" }}
                                        </button>
                                    </form>
                                    {move || link.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
                                </section>
                            }.into_any()
                        }
                        _ => ().into_any(),
                    }
                })
            }}
        </Transition>
    }
}

fn markdown_or(text: &str, empty: &'static str, id: &'static str) -> AnyView {
    if text.trim().is_empty() {
        view! { <p class="muted" id=id>{empty}</p> }.into_any()
    } else {
        view! { <div class="doc" id=id inner_html=render(text)></div> }.into_any()
    }
}

#[component]
fn ActionView(
    a: Action,
    user: Option<CurrentUser>,
    update: ServerAction<UpdateAction>,
    transition: ServerAction<TransitionAction>,
    people: Resource<Result<Vec<User>, AppError>>,
) -> impl IntoView {
    let can_change = may_change(user.as_ref(), a.owner.as_deref());
    let is_owner = user
        .as_ref()
        .is_some_and(|u| a.owner.as_deref() == Some(u.email.as_str()));
    let facts = view! {
        <dl class="times" id="action-facts">
            <dt>"Owner"</dt><dd id="action-owner">{a.owner.clone().unwrap_or_else(|| "unassigned".into())}</dd>
            <dt>"Team"</dt><dd>{a.team.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt>"Kind"</dt><dd>{a.kind.label()}</dd>
            <dt>"Due"</dt><dd class=if a.overdue { "countdown overdue" } else { "" } id="action-due">
                {a.due_date.map(|d| d.to_string()).unwrap_or_else(|| "no due date".into())}{a.overdue.then_some(" · overdue")}</dd>
            {a.incident.clone().map(|i| view! { <dt>"Incident"</dt><dd><a href=format!("/incidents/{i}")>{i.clone()}</a>" · "<a href=format!("/incidents/{i}/postmortem")>"postmortem"</a></dd> })}
            {a.known_error.clone().map(|k| view! { <dt>"Known error"</dt><dd><a href=format!("/known-errors/{k}")>{k.clone()}</a></dd> })}
            {a.external_url.clone().map(|u| view! { <dt>"Tracker"</dt><dd><a href=u.clone() class="tracker-link" id="action-tracker" title=u.clone() rel="noopener noreferrer" target="_blank">{u.clone()}</a></dd> })}
            {a.completed_at.map(|t| view! { <dt>"Completed"</dt><dd>{format::datetime(t)}</dd> })}
            {(a.reopen_count > 0).then(|| view! { <dt>"Reopened"</dt><dd>{format!("{}×", a.reopen_count)}</dd> })}
        </dl>
    };
    let verification = view! {
        <section class="card" id="verification">
            <h2>"Verification"</h2>
            {if a.verification_required {
                view! {
                    <p>
                        {match (a.status, a.verification_due) {
                            (ActionStatus::Verified, _) => format!("Verified effective by {} on {}.",
                                a.verified_by.clone().unwrap_or_default(),
                                a.verified_at.map(format::datetime).unwrap_or_default()),
                            (_, Some(d)) => format!("Required; due {d}."),
                            _ => "Required once the action is done.".to_owned(),
                        }}
                    </p>
                    <h3 class="small muted">"Plan"</h3>
                    {markdown_or(&a.verification_plan, "No verification plan written.", "verification-plan")}
                }.into_any()
            } else {
                view! { <p class="muted">"Not required: this action is complete when done."</p> }.into_any()
            }}
            {(!a.verifications.is_empty()).then(|| view! {
                <h3>"Attempts"</h3>
                <ol class="attempts" id="verification-attempts">
                    {a.verifications.iter().map(|v| view! {
                        <li class=format!("attempt attempt-{}", v.result.as_str())>
                            <strong>{v.result.label()}</strong>" · "{v.verified_by.clone().unwrap_or_default()}" · "{format::datetime(v.verified_at)}
                            <div class="doc" inner_html=render(&v.evidence)></div>
                        </li>
                    }).collect_view()}
                </ol>
            })}
        </section>
    };
    view! {
        <Title text=format!("{} {}", a.key, a.title)/>
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/actions">"Actions"</a>" / "{a.key.clone()}</nav>
        <header class="incident-head">
            <div class="incident-title">
                <span class="key">{a.key.clone()}</span>
                <h1>{a.title.clone()}</h1>
                <span id="action-status"><ActionStatusBadge status=a.status/></span>
                <PriorityBadge priority=a.priority/>
                {a.overdue.then(|| view! { <span class="badge overdue-badge">"overdue"</span> })}
            </div>
        </header>
        {move || transition.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
        <div class="incident-grid">
            <div>
                <section class="card">
                    <h2>"Description"</h2>
                    {markdown_or(&a.description, "No description.", "action-description")}
                </section>
                {verification}
                <section class="card"><RecordHistory record_type=crate::domain::RecordType::Action key=a.key.clone()/></section>
            </div>
            <aside>
                <section class="card">
                    <h2>"Status"</h2>
                    {facts}
                    <Workflow a=a.clone() can_change=can_change is_owner=is_owner transition=transition/>
                </section>
                {can_change.then(|| view! { <EditAction a=a.clone() update=update people=people/> })}
            </aside>
        </div>
    }
}

/// The transitions this user may make now, with the verification and cancel forms.
#[component]
fn Workflow(
    a: Action,
    can_change: bool,
    is_owner: bool,
    transition: ServerAction<TransitionAction>,
) -> impl IntoView {
    use ActionStatus::*;
    if !can_change {
        let why = if a.status == Done && a.verification_required {
            "Waiting for a verification by a responder or admin."
        } else {
            "Only the owner, responders and admins change this action."
        };
        return view! { <p class="muted" id="workflow-note">{why}</p> }.into_any();
    }
    let key = a.key.clone();
    let version = a.version;
    let go = {
        let key = key.clone();
        move |to: ActionStatus| {
            let key = key.clone();
            move |_| {
                transition.dispatch(TransitionAction {
                    key: key.clone(),
                    transition: ActionTransition {
                        to,
                        at: None,
                        result: None,
                        evidence: None,
                        reason: None,
                        version: Some(version),
                    },
                });
            }
        }
    };
    let status = a.status;
    let verify_here = status == Done && a.verification_required;
    let cancelling = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let cancel = {
        let key = key.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            transition.dispatch(TransitionAction {
                key: key.clone(),
                transition: ActionTransition {
                    to: Cancelled,
                    at: None,
                    result: None,
                    evidence: None,
                    reason: Some(reason.get_untracked()),
                    version: Some(version),
                },
            });
        }
    };
    view! {
        <div class="button-row" id="action-transitions">
            {(status == Open).then(|| view! { <button class="secondary" id="act-start" on:click=go(InProgress)>"Start work"</button> })}
            {status.is_open().then(|| view! { <button id="act-done" on:click=go(Done)>"Mark done"</button> })}
            {(status == Done).then(|| view! { <button class="secondary" id="act-reopen" on:click=go(Open)>"Reopen"</button> })}
            {(status != Verified && status != Cancelled).then(|| view! {
                <button class="link-button" id="act-cancel" on:click=move |_| cancelling.update(|c| *c = !*c)>"Cancel action…"</button>
            })}
        </div>
        <Show when=move || cancelling.get()>
            <form class="row-form" on:submit=cancel.clone() id="cancel-form">
                <input type="text" id="cancel-reason" class="grow" required bind:value=reason placeholder="Why is it no longer needed?" aria-label="Reason for cancelling"/>
                <button type="submit" class="danger">"Cancel action"</button>
            </form>
        </Show>
        {match (verify_here, is_owner) {
            (true, true) => view! { <p class="muted" id="workflow-note">"Done. Someone other than you verifies that it worked (four-eyes rule)."</p> }.into_any(),
            (true, false) => view! { <VerifyForm key=key.clone() version=version transition=transition/> }.into_any(),
            _ => ().into_any(),
        }}
    }
    .into_any()
}

#[component]
fn VerifyForm(
    key: String,
    version: i32,
    transition: ServerAction<TransitionAction>,
) -> impl IntoView {
    let result = RwSignal::new(VerificationResult::Effective);
    let evidence = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        transition.dispatch(TransitionAction {
            key: key.clone(),
            transition: ActionTransition {
                to: ActionStatus::Verified,
                at: None,
                result: Some(result.get_untracked()),
                evidence: Some(evidence.get_untracked()),
                reason: None,
                version: Some(version),
            },
        });
    };
    view! {
        <form id="verify-form" class="verify-form" on:submit=submit>
            <h3>"Verify"</h3>
            <fieldset class="severity-pick">
                <legend class="sr-only">"Result"</legend>
                {VerificationResult::ALL.iter().map(|r| {
                    let r = *r;
                    view! {
                        <label class=format!("pill result-{}", r.as_str())>
                            <input type="radio" name="verification-result" id=format!("verify-{}", r.as_str()) value=r.as_str()
                                checked=r == VerificationResult::Effective on:change=move |_| result.set(r)/>
                            {r.label()}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <label class="field"><span>"Evidence "<span class="muted">"(markdown: what you checked, links to dashboards)"</span></span>
                <textarea id="verify-evidence" rows="4" required bind:value=evidence></textarea></label>
            <button type="submit" id="verify-submit">"Record verification"</button>
            <p class="muted small">"“Not effective” reopens the action; the attempt stays in its history."</p>
        </form>
    }
}

#[component]
fn EditAction(
    a: Action,
    update: ServerAction<UpdateAction>,
    people: Resource<Result<Vec<User>, AppError>>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let title = RwSignal::new(a.title.clone());
    let description = RwSignal::new(a.description.clone());
    let owner = RwSignal::new(a.owner.clone().unwrap_or_default());
    let team = RwSignal::new(a.team.clone().unwrap_or_default());
    let due = RwSignal::new(a.due_date.map(|d| d.to_string()).unwrap_or_default());
    let kind = RwSignal::new(a.kind);
    let priority = RwSignal::new(a.priority);
    let required = RwSignal::new(a.verification_required);
    let plan = RwSignal::new(a.verification_plan.clone());
    let vdue = RwSignal::new(
        a.verification_due
            .map(|d| d.to_string())
            .unwrap_or_default(),
    );
    let url = RwSignal::new(a.external_url.clone().unwrap_or_default());
    let key = a.key.clone();
    let version = a.version;
    let opt = |s: String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        update.dispatch(UpdateAction {
            key: key.clone(),
            patch: ActionPatch {
                version: Some(version),
                title: Some(title.get_untracked()),
                description: Some(description.get_untracked()),
                kind: Some(kind.get_untracked()),
                priority: Some(priority.get_untracked()),
                owner: Some(opt(owner.get_untracked())),
                team: Some(opt(team.get_untracked())),
                due_date: Some(due.get_untracked().parse().ok()),
                verification_required: Some(required.get_untracked()),
                verification_plan: Some(plan.get_untracked()),
                verification_due: Some(vdue.get_untracked().parse().ok()),
                external_url: Some(opt(url.get_untracked())),
                incident: None,
                known_error: None,
            },
        });
    };
    view! {
        <section class="card">
            <h2>"Edit"</h2>
            <button class="secondary" id="action-edit" on:click=move |_| open.update(|o| *o = !*o)>
                {move || if open.get() { "Close editor" } else { "Edit this action" }}
            </button>
            <Show when=move || open.get()>
                <form on:submit=save.clone() id="action-edit-form">
                    <label class="field"><span>"Title"</span><input type="text" id="edit-title" required maxlength="200" bind:value=title/></label>
                    <label class="field"><span>"Description "<span class="muted">"(markdown)"</span></span><textarea id="edit-description" rows="5" bind:value=description></textarea></label>
                    <label class="field"><span>"Owner"</span><input type="email" id="edit-owner" list="people-list" bind:value=owner placeholder="e-mail"/></label>
                    <label class="field"><span>"Team"</span><input type="text" id="edit-team" bind:value=team/></label>
                    <label class="field"><span>"Due date"</span><input type="date" id="edit-due" bind:value=due/></label>
                    <label class="field"><span>"Kind"</span>
                        <select id="edit-kind" on:change=move |ev| { if let Ok(k) = event_target_value(&ev).parse() { kind.set(k); } }>
                            {ActionKind::ALL.iter().map(|k| view! { <option value=k.as_str() selected=kind.get_untracked() == *k>{k.label()}</option> }).collect_view()}
                        </select></label>
                    <label class="field"><span>"Priority"</span>
                        <select id="edit-priority" on:change=move |ev| { if let Ok(p) = event_target_value(&ev).parse() { priority.set(p); } }>
                            {Priority::ALL.iter().map(|p| view! { <option value=p.as_str() selected=priority.get_untracked() == *p>{p.label()}</option> }).collect_view()}
                        </select></label>
                    <label class="inline"><input type="checkbox" id="edit-verification-required" bind:checked=required/>" Needs verification"</label>
                    <label class="field"><span>"Verification plan "<span class="muted">"(markdown)"</span></span><textarea id="edit-plan" rows="3" bind:value=plan></textarea></label>
                    <label class="field"><span>"Verification due"</span><input type="date" id="edit-verification-due" bind:value=vdue/></label>
                    <label class="field"><span>"Tracker link"</span><input type="url" id="edit-url" bind:value=url placeholder="https://"/></label>
                    <button type="submit" id="action-save">"Save"</button>
                </form>
            </Show>
            <PeopleList people=people/>
            {move || update.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
        </section>
    }
}
