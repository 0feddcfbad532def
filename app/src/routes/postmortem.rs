//! The postmortem of an incident: the editor with its live preview (the same renderer and
//! composer as the published page and the exports), autosave with optimistic locking, the
//! review workflow, reviewers' approvals and the RCA countdown.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{
    ApprovePostmortem, SavePostmortem, TransitionPostmortem, get_postmortem, get_postmortem_context,
};
use crate::components::actions::{ActionsCard, ActionsPanel};
use crate::components::badges::{PostmortemStatusBadge, SeverityBadge};
use crate::components::countdown::DueCountdown;
use crate::components::error_box::ErrorBox;
use crate::components::history::RecordHistory;
use crate::components::session::use_session;
use crate::document;
use crate::domain::authz::{Op, allows};
use crate::domain::{PostmortemStatus, RootCauseCategory};
use crate::error::AppError;
use crate::model::{
    ContributingFactor, CurrentUser, Postmortem, PostmortemContext, PostmortemInput,
};

/// Factor categories offered while typing (any text is accepted).
const FACTOR_CATEGORIES: [&str; 10] = [
    "process",
    "technical",
    "monitoring",
    "testing",
    "communication",
    "documentation",
    "people",
    "dependency",
    "capacity",
    "change management",
];

#[component]
pub fn PostmortemPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || params.read().get("key").unwrap_or_default();
    let session = use_session();
    let start = ServerAction::<SavePostmortem>::new();
    let transition = ServerAction::<TransitionPostmortem>::new();
    let approve = ServerAction::<ApprovePostmortem>::new();
    let pm = Resource::new(
        move || {
            (
                key(),
                start.version().get(),
                transition.version().get(),
                approve.version().get(),
            )
        },
        |(k, ..)| get_postmortem(k),
    );
    let ctx = Resource::new(key, get_postmortem_context);
    let actions = ActionsPanel::for_incident(key);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading postmortem…"</p> }>
            {move || Suspend::new(async move {
                let user = session.user.await.ok().flatten();
                let (pm, ctx) = (pm.await, ctx.await);
                let view = match (pm, ctx) {
                    (Ok(pm), Ok(ctx)) => view! { <PostmortemView pm=pm ctx=ctx user=user start=start transition=transition approve=approve actions=actions/> }.into_any(),
                    (Err(e), _) | (_, Err(e)) => view! { <ErrorBox error=e/> }.into_any(),
                };
                view
            })}
        </Transition>
    }
}

#[component]
fn PostmortemView(
    pm: Option<Postmortem>,
    ctx: PostmortemContext,
    user: Option<CurrentUser>,
    start: ServerAction<SavePostmortem>,
    transition: ServerAction<TransitionPostmortem>,
    approve: ServerAction<ApprovePostmortem>,
    actions: ActionsPanel,
) -> impl IntoView {
    let inc = ctx.incident.clone();
    let can_write = user
        .as_ref()
        .is_some_and(|u| allows(u.role, u.id, Op::WritePostmortem));
    let key = inc.key.clone();
    let head = view! {
        <Title text=format!("Postmortem {} {}", inc.key, inc.title)/>
        <nav class="crumbs" aria-label="Breadcrumb">
            <a href="/postmortems">"Postmortems"</a>" / "
            <a href=format!("/incidents/{}", inc.key)>{inc.key.clone()}</a>
        </nav>
    };
    let Some(pm) = pm else {
        let k = key.clone();
        return view! {
            {head}
            <div class="page-head"><h1>"Postmortem: "{inc.title.clone()}</h1><SeverityBadge severity=inc.severity/></div>
            <section class="card empty-state" id="no-postmortem">
                <p>"This incident has no postmortem yet."</p>
                {inc.rca_due_at.map(|d| view! { <p>"Due "<DueCountdown due=Some(d) done=false rendered_at=Utc::now()/></p> })}
                {can_write.then(|| view! {
                    <button id="start-postmortem" on:click=move |_| { start.dispatch(SavePostmortem { key: k.clone(), input: PostmortemInput::default() }); }>
                        {format!("Start from the {} template", inc.severity.label())}
                    </button>
                })}
                {move || start.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
            </section>
        }
        .into_any();
    };

    let editable = can_write && pm.status != PostmortemStatus::Published;
    let is_reviewer = user
        .as_ref()
        .is_some_and(|u| pm.reviewers.contains(&u.email));
    let approved_by_me = user
        .as_ref()
        .is_some_and(|u| pm.approvals.iter().any(|a| a.reviewer == u.email));
    let status = pm.status;
    let version = RwSignal::new(pm.version);
    let state = RwSignal::new(SaveState::Saved(pm.updated_at));
    let header = view! {
        {head}
        <header class="pm-head">
            <div class="incident-title">
                <h1>"Postmortem: "{inc.title.clone()}</h1>
                <SeverityBadge severity=inc.severity/>
                <PostmortemStatusBadge status=pm.status/>
            </div>
            <p class="pm-facts">
                <span>"RCA "<DueCountdown due=pm.due_at done=pm.status == PostmortemStatus::Published rendered_at=Utc::now()/></span>
                {pm.published_at.map(|p| view! { <span>" · published "{crate::components::format::datetime(p)}</span> })}
                <span>" · "<a href=format!("/api/v1/incidents/{}/postmortem.md", pm.incident) id="export-md">"Markdown"</a></span>
                <span>" · "<a href=format!("/api/v1/incidents/{}/postmortem.html", pm.incident) id="export-html" target="_blank" rel="noopener">"Printable page"</a></span>
            </p>
            <Workflow pm_key=pm.incident.clone() status=status version=version state=state
                can_write=can_write is_reviewer=is_reviewer approved_by_me=approved_by_me
                transition=transition approve=approve/>
            {move || transition.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
            {move || approve.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
        </header>
    }
    .into_any();

    let body = if editable {
        view! { <Editor pm=pm.clone() ctx=ctx.clone() version=version state=state/> }.into_any()
    } else {
        let html = document::html(&pm, &ctx);
        view! {
            <article class="card doc" id="postmortem-document" inner_html=html></article>
        }
        .into_any()
    };
    view! {
        {header}
        {body}
        <ActionsCard incident=pm.incident.clone() panel=actions/>
        <section class="card"><RecordHistory record_type="postmortem" key=pm.incident.clone()/></section>
    }
    .into_any()
}

/// Where the editor's text stands relative to the server.
#[derive(Debug, Clone, PartialEq)]
enum SaveState {
    Saved(DateTime<Utc>),
    Unsaved,
    Saving,
    /// Someone else saved a newer version: autosave stops so nothing is overwritten.
    Conflict,
    Failed(AppError),
}

#[allow(clippy::too_many_arguments)]
#[component]
fn Workflow(
    pm_key: String,
    status: PostmortemStatus,
    version: RwSignal<i32>,
    state: RwSignal<SaveState>,
    can_write: bool,
    is_reviewer: bool,
    approved_by_me: bool,
    transition: ServerAction<TransitionPostmortem>,
    approve: ServerAction<ApprovePostmortem>,
) -> impl IntoView {
    use PostmortemStatus::*;
    let steps: Vec<(PostmortemStatus, &'static str, &'static str)> = match status {
        Draft => vec![(InReview, "Submit for review", "to-in_review")],
        InReview => vec![
            (Published, "Publish", "to-published"),
            (Draft, "Request changes", "to-draft"),
        ],
        Published => vec![(Draft, "Reopen", "to-draft")],
    };
    let saved = move || matches!(state.get(), SaveState::Saved(_));
    let k = pm_key.clone();
    view! {
        <div class="button-row">
            {can_write.then(|| steps.into_iter().map(|(to, label, id)| {
                let k = k.clone();
                view! {
                    <button id=id class=if to == Published { "" } else { "secondary" }
                        disabled=move || !saved()
                        title=move || if saved() { String::new() } else { "Wait until your changes are saved".into() }
                        on:click=move |_| { transition.dispatch(TransitionPostmortem { key: k.clone(), to, version: Some(version.get_untracked()) }); }>
                        {label}
                    </button>
                }
            }).collect_view())}
            {(is_reviewer && status == InReview && !approved_by_me).then(|| {
                let k = pm_key.clone();
                view! { <button class="secondary" id="approve" on:click=move |_| { approve.dispatch(ApprovePostmortem { key: k.clone() }); }>"Approve"</button> }
            })}
            {approved_by_me.then(|| view! { <span class="muted">"You approved this postmortem."</span> })}
        </div>
    }
}

/// One row of an ordered list being edited, with a stable identity for keyed rendering.
#[derive(Clone, Copy)]
struct Row {
    id: u64,
    a: RwSignal<String>,
    b: RwSignal<String>,
}

fn rows(items: impl IntoIterator<Item = (String, String)>, next: &mut u64) -> Vec<Row> {
    items
        .into_iter()
        .map(|(a, b)| {
            *next += 1;
            Row {
                id: *next,
                a: RwSignal::new(a),
                b: RwSignal::new(b),
            }
        })
        .collect()
}

/// Milliseconds of quiet typing before an autosave.
const AUTOSAVE_MS: u64 = 1_000;

#[component]
fn Editor(
    pm: Postmortem,
    ctx: PostmortemContext,
    version: RwSignal<i32>,
    state: RwSignal<SaveState>,
) -> impl IntoView {
    let key = pm.incident.clone();
    let mut next_id = 0u64;
    let body = RwSignal::new(pm.body.clone());
    let category = RwSignal::new(pm.root_cause_category);
    let root_cause = RwSignal::new(pm.root_cause.clone());
    // Reviewers are saved when the field is left, not while an address is half typed.
    let reviewers = RwSignal::new(pm.reviewers.join(", "));
    let reviewers_text = RwSignal::new(pm.reviewers.join(", "));
    let whys = RwSignal::new(rows(
        pm.five_whys.iter().map(|w| (w.clone(), String::new())),
        &mut next_id,
    ));
    let factors = RwSignal::new(rows(
        pm.contributing_factors
            .iter()
            .map(|f| (f.category.clone(), f.description.clone())),
        &mut next_id,
    ));
    let next_id = StoredValue::new(next_id);
    let new_row = move || {
        next_id.update_value(|n| *n += 1);
        Row {
            id: next_id.get_value(),
            a: RwSignal::new(String::new()),
            b: RwSignal::new(String::new()),
        }
    };

    // What the editor holds now, as an edit and as the document it previews.
    let input = move || PostmortemInput {
        version: None,
        body: Some(body.get()),
        root_cause_category: Some(category.get()),
        root_cause: Some(root_cause.get()),
        five_whys: Some(whys.get().iter().map(|r| r.a.get()).collect()),
        contributing_factors: Some(
            factors
                .get()
                .iter()
                .map(|r| ContributingFactor {
                    category: r.a.get(),
                    description: r.b.get(),
                })
                .collect(),
        ),
        reviewers: Some(
            reviewers
                .get()
                .split([',', ' ', ';'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
    };
    let base = pm.clone();
    let preview = Memo::new(move |_| {
        let i = input();
        let doc = Postmortem {
            body: i.body.unwrap_or_default(),
            root_cause_category: i.root_cause_category.flatten(),
            root_cause: i.root_cause.unwrap_or_default(),
            five_whys: i.five_whys.unwrap_or_default(),
            contributing_factors: i.contributing_factors.unwrap_or_default(),
            reviewers: i.reviewers.unwrap_or_default(),
            ..base.clone()
        };
        document::html(&doc, &ctx)
    });

    // Autosave: a change waits for a quiet second, then saves with the version it was based
    // on. A save that races another editor gets 409 and autosave stops; nothing is lost.
    let save = ServerAction::<SavePostmortem>::new();
    let edits = RwSignal::new(0u64);
    let sent = StoredValue::new(0u64);
    let timer = StoredValue::new(None::<TimeoutHandle>);
    let save_now = {
        let key = key.clone();
        move || {
            if matches!(
                state.get_untracked(),
                SaveState::Conflict | SaveState::Saving
            ) {
                return;
            }
            if let Some(h) = timer.get_value() {
                h.clear();
            }
            sent.set_value(edits.get_untracked());
            state.set(SaveState::Saving);
            let mut i = input();
            i.version = Some(version.get_untracked());
            save.dispatch(SavePostmortem {
                key: key.clone(),
                input: i,
            });
        }
    };
    let schedule = {
        let save_now = save_now.clone();
        move || {
            if let Some(h) = timer.get_value() {
                h.clear();
            }
            let save_now = save_now.clone();
            timer.set_value(
                set_timeout_with_handle(save_now, std::time::Duration::from_millis(AUTOSAVE_MS))
                    .ok(),
            );
        }
    };
    // Any change to any field marks the editor unsaved and schedules a save.
    Effect::new({
        let schedule = schedule.clone();
        move |first: Option<()>| {
            let _ = input();
            if first.is_some() {
                edits.update(|n| *n += 1);
                if !matches!(
                    state.get_untracked(),
                    SaveState::Conflict | SaveState::Saving
                ) {
                    state.set(SaveState::Unsaved);
                }
                schedule();
            }
        }
    });
    Effect::new({
        let schedule = schedule.clone();
        move |_| match save.value().get() {
            Some(Ok(saved)) => {
                version.set(saved.version);
                if edits.get_untracked() > sent.get_value() {
                    state.set(SaveState::Unsaved);
                    schedule();
                } else {
                    state.set(SaveState::Saved(saved.updated_at));
                }
            }
            Some(Err(AppError::Conflict { .. })) => state.set(SaveState::Conflict),
            Some(Err(e)) => state.set(SaveState::Failed(e)),
            None => {}
        }
    });
    on_cleanup(move || {
        if let Some(h) = timer.get_value() {
            h.clear();
        }
    });
    let on_keydown = {
        let save_now = save_now.clone();
        move |ev: leptos::ev::KeyboardEvent| {
            if (ev.ctrl_key() || ev.meta_key()) && ev.key() == "s" {
                ev.prevent_default();
                save_now();
            }
        }
    };

    let status_line = move || {
        match state.get() {
        SaveState::Saved(at) => view! { <span class="save-state saved" id="save-state">{format!("Saved {}", at.format("%H:%M:%S UTC"))}</span> }.into_any(),
        SaveState::Unsaved => view! { <span class="save-state" id="save-state">"Unsaved changes…"</span> }.into_any(),
        SaveState::Saving => view! { <span class="save-state" id="save-state">"Saving…"</span> }.into_any(),
        SaveState::Conflict => view! {
            <div class="error-box" role="alert" id="save-conflict">
                <strong>"Someone else saved this postmortem after you opened it."</strong>
                " Autosave has stopped so neither of you loses work. Copy what you need from here, then "
                <a href="" on:click=move |ev| { ev.prevent_default(); let _ = window().location().reload(); }>"reload"</a>
                " to see their version."
            </div>
        }.into_any(),
        SaveState::Failed(e) => view! { <div id="save-state"><ErrorBox error=e/></div> }.into_any(),
    }
    };

    let why_rows = move || {
        let list = whys.get();
        let n = list.len();
        list.into_iter()
            .enumerate()
            .map(|(i, r)| {
                let id = r.id;
                let shift = move |d: isize| {
                    whys.update(|v| {
                        let j = i as isize + d;
                        if j >= 0 && (j as usize) < v.len() {
                            v.swap(i, j as usize);
                        }
                    })
                };
                view! {
                    <li class="why">
                        <input type="text" class="grow why-input" aria-label=format!("Why {}", i + 1) bind:value=r.a
                            placeholder=if i == 0 { "Why did it happen?" } else { "Why was that?" }/>
                        <button type="button" class="icon" title="Move up" aria-label="Move up" disabled=i == 0 on:click=move |_| shift(-1)>"↑"</button>
                        <button type="button" class="icon" title="Move down" aria-label="Move down" disabled=i + 1 == n on:click=move |_| shift(1)>"↓"</button>
                        <button type="button" class="icon" title="Remove" aria-label="Remove" on:click=move |_| whys.update(|v| v.retain(|r| r.id != id))>"✕"</button>
                    </li>
                }
            })
            .collect_view()
    };
    let factor_rows = move || {
        factors
            .get()
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let id = r.id;
                view! {
                    <li class="factor">
                        <input type="text" class="short" list="factor-categories" aria-label=format!("Factor {} category", i + 1) placeholder="category" bind:value=r.a/>
                        <input type="text" class="grow" aria-label=format!("Factor {} description", i + 1) placeholder="What made it worse or more likely?" bind:value=r.b/>
                        <button type="button" class="icon" title="Remove" aria-label="Remove" on:click=move |_| factors.update(|v| v.retain(|r| r.id != id))>"✕"</button>
                    </li>
                }
            })
            .collect_view()
    };

    view! {
        <div class="editor-grid" on:keydown=on_keydown>
            <form class="card editor" id="postmortem-editor" on:submit=move |ev| ev.prevent_default()>
                <div class="editor-bar">{status_line}</div>
                <h2>"Root cause analysis"</h2>
                <label class="field"><span>"Root-cause category"</span>
                    <select id="pm-category" on:change=move |ev| category.set(event_target_value(&ev).parse().ok())>
                        <option value="" selected=category.get_untracked().is_none()>"— choose —"</option>
                        {RootCauseCategory::ALL.iter().map(|c| view! {
                            <option value=c.as_str() selected=category.get_untracked() == Some(*c)>{c.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="field"><span>"Root cause"</span>
                    <textarea id="pm-root-cause" rows="3" bind:value=root_cause placeholder="The underlying cause, in a sentence or two (markdown)"></textarea>
                </label>
                <fieldset class="field">
                    <legend>"Five whys"</legend>
                    <ol class="whys" id="pm-whys">{why_rows}</ol>
                    <button type="button" class="secondary" id="add-why" on:click=move |_| whys.update(|v| v.push(new_row()))>"+ Add a why"</button>
                </fieldset>
                <fieldset class="field">
                    <legend>"Contributing factors"</legend>
                    <ul class="factors" id="pm-factors">{factor_rows}</ul>
                    <datalist id="factor-categories">
                        {FACTOR_CATEGORIES.iter().map(|c| view! { <option value=*c></option> }).collect_view()}
                    </datalist>
                    <button type="button" class="secondary" id="add-factor" on:click=move |_| factors.update(|v| v.push(new_row()))>"+ Add a factor"</button>
                </fieldset>
                <label class="field"><span>"Reviewers"</span>
                    <input type="text" id="pm-reviewers" bind:value=reviewers_text placeholder="e-mails, separated by commas"
                        on:change=move |_| reviewers.set(reviewers_text.get_untracked())/>
                </label>
                <label class="field"><span>"Document "<span class="muted small">"(markdown; the Timeline section is filled from the incident's timeline)"</span></span>
                    <textarea id="pm-body" class="body-input" rows="24" bind:value=body spellcheck="true"></textarea>
                </label>
                <p class="muted small">"Saves by itself a second after you stop typing · Ctrl+S saves now"</p>
            </form>
            <section class="card preview" aria-label="Preview" aria-live="off">
                <div class="preview-label muted small">"Preview — exactly as published"</div>
                <article class="doc" id="postmortem-preview" inner_html=move || preview.get()></article>
            </section>
        </div>
    }
}
