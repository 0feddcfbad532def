//! The postmortem of an incident: the editor with its live preview (the same renderer and
//! composer as the published page and the exports), autosave with optimistic locking, the
//! review workflow, reviewers' approvals and the RCA countdown.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{
    ApprovePostmortem, SavePostmortem, TransitionPostmortem, get_postmortem,
    get_postmortem_context, who_is_here,
};
use crate::components::actions::{ActionsCard, ActionsPanel};
use crate::components::badges::{PostmortemStatusBadge, SeverityBadge};
use crate::components::comments::{Comments, CommentsPanel, confirm};
use crate::components::countdown::DueCountdown;
use crate::components::error_box::ErrorBox;
use crate::components::history::RecordHistory;
use crate::components::live::{LiveMessage, live_ticks, use_live};
use crate::components::session::use_session;
use crate::document;
use crate::domain::CommentOn;
use crate::domain::authz::{Op, allows};
use crate::domain::live::LiveKind;
use crate::domain::live::Present;
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
    let live = use_live(move || Some(format!("postmortem:{}", key())));
    // Bumped to load the postmortem again: someone else saved it while this page shows it
    // read-only, or while the editor holds nothing unsaved.
    let reload = RwSignal::new(0u32);
    let pm = Resource::new(
        move || {
            (
                key(),
                start.version().get(),
                transition.version().get(),
                approve.version().get(),
                reload.get(),
            )
        },
        |(k, ..)| get_postmortem(k),
    );
    let ctx = Resource::new(key, get_postmortem_context);
    let comments = CommentsPanel::new(CommentOn::Postmortem, key, Some(live));
    // Who else has the postmortem open, following the stream's presence changes.
    let moved = live_ticks(live, |m| {
        matches!(
            m.kind,
            LiveKind::PresenceChanged | LiveKind::PostmortemSaved
        )
    });
    let present = Resource::new(
        move || (key(), moved.get()),
        |(k, _)| who_is_here(format!("postmortem:{k}")),
    );
    let actions = ActionsPanel::for_incident(key);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading postmortem…"</p> }>
            {move || Suspend::new(async move {
                let user = session.user.await.ok().flatten();
                let (pm, ctx) = (pm.await, ctx.await);
                let view = match (pm, ctx) {
                    (Ok(pm), Ok(ctx)) => view! { <PostmortemView pm=pm ctx=ctx user=user start=start transition=transition approve=approve actions=actions live=live reload=reload comments=comments present=present/> }.into_any(),
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
    live: ReadSignal<Option<LiveMessage>>,
    reload: RwSignal<u32>,
    comments: CommentsPanel,
    present: Resource<Result<Vec<Present>, AppError>>,
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
                    <button id="start-postmortem" on:click=move |_| { start.dispatch(SavePostmortem { key: k.clone(), input: PostmortemInput { version: Some(0), ..PostmortemInput::default() } }); }>
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
    let open_threads = RwSignal::new(usize::try_from(pm.open_threads).unwrap_or(usize::MAX));
    let me_email = user.as_ref().map(|u| u.email.clone());
    // Someone else's save: with nothing unsaved here, load it; with unsaved text, stop
    // autosave and say so, before either overwrites the other.
    Effect::new(move |_| {
        let Some(m) = live.get() else { return };
        let theirs = m.data.by.is_some() && m.data.by != me_email;
        let newer = m
            .data
            .version
            .is_some_and(|v| v > i64::from(version.get_untracked()));
        if m.kind != LiveKind::PostmortemSaved || !theirs || !newer {
            return;
        }
        match state.get_untracked() {
            SaveState::Saved(_) => reload.update(|n| *n += 1),
            SaveState::Conflict => {}
            _ => state.set(SaveState::Conflict),
        }
    });
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
                transition=transition approve=approve open_threads=open_threads/>
            {move || transition.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
            {move || approve.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
        </header>
    }
    .into_any();

    let quote = RwSignal::new(String::new());
    let body = if editable {
        view! {
            <AlsoHere present=present me=user.as_ref().map(|u| u.email.clone())/>
            <Editor pm=pm.clone() ctx=ctx.clone() version=version state=state quote=quote/>
        }
        .into_any()
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
        <Comments panel=comments quote=quote
            on_open_threads=Callback::new(move |n| open_threads.set(n))/>
        <ActionsCard incident=pm.incident.clone() panel=actions/>
        <section class="card"><RecordHistory record_type=crate::domain::RecordType::Postmortem key=pm.incident.clone()/></section>
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
    open_threads: RwSignal<usize>,
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
                        on:click=move |_| {
                            let open = open_threads.get_untracked();
                            let sure = to != Published || open == 0 || confirm(&format!(
                                "{open} review thread{} still open. Publish anyway?",
                                if open == 1 { " is" } else { "s are" }
                            ));
                            if sure {
                                transition.dispatch(TransitionPostmortem { key: k.clone(), to, version: Some(version.get_untracked()) });
                            }
                        }>
                        {label}
                    </button>
                }
            }).collect_view())}
            {(is_reviewer && status == InReview && !approved_by_me).then(|| {
                let k = pm_key.clone();
                view! { <button class="secondary" id="approve" on:click=move |_| { approve.dispatch(ApprovePostmortem { key: k.clone() }); }>"Approve"</button> }
            })}
            {approved_by_me.then(|| view! { <span class="muted">"You approved this postmortem."</span> })}
            {move || (status != Published && open_threads.get() > 0).then(|| {
                let n = open_threads.get();
                view! {
                    <a class="open-threads warn" href="#comments" id="open-threads">
                        {if n == 1 { "1 open review thread".to_owned() } else { format!("{n} open review threads") }}
                    </a>
                }
            })}
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

/// What the editor holds, field by field.
#[derive(Clone, Copy)]
struct Draft {
    body: RwSignal<String>,
    category: RwSignal<Option<RootCauseCategory>>,
    root_cause: RwSignal<String>,
    /// Saved when the field is left, not while an address is half typed.
    reviewers: RwSignal<String>,
    /// What the reviewers field shows while it is being typed in.
    reviewers_text: RwSignal<String>,
    whys: RwSignal<Vec<Row>>,
    factors: RwSignal<Vec<Row>>,
    next_id: StoredValue<u64>,
}

impl Draft {
    fn new(pm: &Postmortem) -> Self {
        let mut next_id = 0u64;
        let whys = rows(
            pm.five_whys.iter().map(|w| (w.clone(), String::new())),
            &mut next_id,
        );
        let factors = rows(
            pm.contributing_factors
                .iter()
                .map(|f| (f.category.clone(), f.description.clone())),
            &mut next_id,
        );
        Self {
            body: RwSignal::new(pm.body.clone()),
            category: RwSignal::new(pm.root_cause_category),
            root_cause: RwSignal::new(pm.root_cause.clone()),
            reviewers: RwSignal::new(pm.reviewers.join(", ")),
            reviewers_text: RwSignal::new(pm.reviewers.join(", ")),
            whys: RwSignal::new(whys),
            factors: RwSignal::new(factors),
            next_id: StoredValue::new(next_id),
        }
    }

    /// An empty row with an identity of its own.
    fn new_row(self) -> Row {
        self.next_id.update_value(|n| *n += 1);
        Row {
            id: self.next_id.get_value(),
            a: RwSignal::new(String::new()),
            b: RwSignal::new(String::new()),
        }
    }

    /// What the editor holds now, as an edit (tracked: a change to any field re-runs the caller).
    fn input(self) -> PostmortemInput {
        PostmortemInput {
            version: None,
            body: Some(self.body.get()),
            root_cause_category: Some(self.category.get()),
            root_cause: Some(self.root_cause.get()),
            five_whys: Some(self.whys.get().iter().map(|r| r.a.get()).collect()),
            contributing_factors: Some(
                self.factors
                    .get()
                    .iter()
                    .map(|r| ContributingFactor {
                        category: r.a.get(),
                        description: r.b.get(),
                    })
                    .collect(),
            ),
            reviewers: Some(
                self.reviewers
                    .get()
                    .split([',', ' ', ';'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
        }
    }

    /// The document as it would be published with these edits.
    fn document(self, base: &Postmortem) -> Postmortem {
        let i = self.input();
        Postmortem {
            body: i.body.unwrap_or_default(),
            root_cause_category: i.root_cause_category.flatten(),
            root_cause: i.root_cause.unwrap_or_default(),
            five_whys: i.five_whys.unwrap_or_default(),
            contributing_factors: i.contributing_factors.unwrap_or_default(),
            reviewers: i.reviewers.unwrap_or_default(),
            ..base.clone()
        }
    }
}

/// Autosave: a change waits for a quiet second, then saves with the version it was based on.
/// A save that races another editor gets 409 and autosave stops; nothing is lost. Returns
/// "save now" (Ctrl+S).
fn autosave(
    key: String,
    draft: Draft,
    version: RwSignal<i32>,
    state: RwSignal<SaveState>,
) -> impl Fn() + Clone + Send + Sync + 'static {
    let save = ServerAction::<SavePostmortem>::new();
    let edits = RwSignal::new(0u64);
    let sent = StoredValue::new(0u64);
    let timer = StoredValue::new(None::<TimeoutHandle>);
    let busy = move || {
        matches!(
            state.get_untracked(),
            SaveState::Conflict | SaveState::Saving
        )
    };
    let save_now = move || {
        if busy() {
            return;
        }
        if let Some(h) = timer.get_value() {
            h.clear();
        }
        sent.set_value(edits.get_untracked());
        state.set(SaveState::Saving);
        let mut i = draft.input();
        i.version = Some(version.get_untracked());
        save.dispatch(SavePostmortem {
            key: key.clone(),
            input: i,
        });
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
            let _ = draft.input();
            if first.is_some() {
                edits.update(|n| *n += 1);
                if !busy() {
                    state.set(SaveState::Unsaved);
                }
                schedule();
            }
        }
    });
    Effect::new(move |_| match save.value().get() {
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
    });
    on_cleanup(move || {
        if let Some(h) = timer.get_value() {
            h.clear();
        }
    });
    save_now
}

#[component]
fn Editor(
    pm: Postmortem,
    ctx: PostmortemContext,
    version: RwSignal<i32>,
    state: RwSignal<SaveState>,
    quote: RwSignal<String>,
) -> impl IntoView {
    let draft = Draft::new(&pm);
    let base = pm.clone();
    let preview = Memo::new(move |_| document::html(&draft.document(&base), &ctx));
    let save_now = autosave(pm.incident.clone(), draft, version, state);
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if (ev.ctrl_key() || ev.meta_key()) && ev.key() == "s" {
            ev.prevent_default();
            save_now();
        }
    };
    view! {
        <div class="editor-grid" on:keydown=on_keydown>
            <form class="card editor" id="postmortem-editor" on:submit=move |ev| ev.prevent_default()>
                <div class="editor-bar">
                    <SaveStatus state=state/>
                    <button type="button" class="link-button small" id="quote-selection"
                        title="Select a passage in the document or the preview first"
                        on:mousedown=move |ev| ev.prevent_default()
                        on:click=move |_| {
                            let q = selected_passage();
                            if !q.trim().is_empty() {
                                quote.set(q);
                                focus("comment-new");
                            }
                        }>"Comment on the selection"</button>
                </div>
                <RootCauseFields draft=draft/>
                <WhysField draft=draft/>
                <FactorsField draft=draft/>
                <label class="field"><span>"Reviewers"</span>
                    <input type="text" id="pm-reviewers" bind:value=draft.reviewers_text placeholder="e-mails, separated by commas"
                        on:change=move |_| draft.reviewers.set(draft.reviewers_text.get_untracked())/>
                </label>
                <label class="field"><span>"Document "<span class="muted small">"(markdown; the Timeline section is filled from the incident's timeline)"</span></span>
                    <textarea id="pm-body" class="body-input" rows="24" bind:value=draft.body spellcheck="true"></textarea>
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

/// Who else has this postmortem open, from the stream's presence.
#[component]
fn AlsoHere(
    present: Resource<Result<Vec<Present>, AppError>>,
    me: Option<String>,
) -> impl IntoView {
    let people = present;
    view! {
        <Transition fallback=|| ()>
            {move || {
                let me = me.clone();
                Suspend::new(async move {
                    let others: Vec<_> = people.await.unwrap_or_default().into_iter().filter(|p| Some(&p.email) != me.as_ref()).collect();
                    (!others.is_empty()).then(|| {
                        let names = others.iter().map(|p| p.name.clone()).collect::<Vec<_>>().join(", ");
                        let verb = if others.len() == 1 { "has" } else { "have" };
                        view! {
                            <p class="presence warn-box" id="presence" role="status">
                                <strong>{names}</strong>{format!(" {verb} this postmortem open too.")}
                                " Saves are checked: if they save first, autosave here stops and says so, and nothing is overwritten."
                            </p>
                        }
                    })
                })
            }}
        </Transition>
    }
}

/// The passage selected in the page (the preview) or, failing that, in the document's text
/// box, at most as long as a quote may be.
fn selected_passage() -> String {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let in_page = window()
            .get_selection()
            .ok()
            .flatten()
            .map(|s| String::from(s.to_string()))
            .unwrap_or_default();
        let text = if in_page.trim().is_empty() {
            document()
                .get_element_by_id("pm-body")
                .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlTextAreaElement>().ok())
                .map(|t| {
                    let (a, b) = (
                        t.selection_start().ok().flatten().unwrap_or(0) as usize,
                        t.selection_end().ok().flatten().unwrap_or(0) as usize,
                    );
                    // Selection offsets count UTF-16 code units.
                    let units: Vec<u16> = t.value().encode_utf16().collect();
                    String::from_utf16_lossy(units.get(a.min(b)..b.min(units.len())).unwrap_or(&[]))
                })
                .unwrap_or_default()
        } else {
            in_page
        };
        text.trim()
            .chars()
            .take(crate::domain::comment::MAX_QUOTE)
            .collect()
    }
    #[cfg(not(feature = "hydrate"))]
    String::new()
}

fn focus(id: &str) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        if let Some(e) = document()
            .get_element_by_id(id)
            .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok())
        {
            let _ = e.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

/// Where the text stands: saved, unsaved, saving, in conflict or failed.
#[component]
fn SaveStatus(state: RwSignal<SaveState>) -> impl IntoView {
    move || {
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
    }
}

#[component]
fn RootCauseFields(draft: Draft) -> impl IntoView {
    let category = draft.category;
    view! {
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
            <textarea id="pm-root-cause" rows="3" bind:value=draft.root_cause placeholder="The underlying cause, in a sentence or two (markdown)"></textarea>
        </label>
    }
}

/// The rows of an editable list: each drawn by `row` (given its index, the number of rows and
/// the row) and followed by its "Remove" button.
#[component]
fn EditableRows<R, V>(rows: RwSignal<Vec<Row>>, class: &'static str, row: R) -> impl IntoView
where
    R: Fn(usize, usize, Row) -> V + Copy + Send + Sync + 'static,
    V: IntoView + 'static,
{
    move || {
        let list = rows.get();
        let n = list.len();
        list.into_iter()
            .enumerate()
            .map(|(i, r)| {
                let id = r.id;
                view! {
                    <li class=class>
                        {row(i, n, r)}
                        <button type="button" class="icon" title="Remove" aria-label="Remove" on:click=move |_| rows.update(|v| v.retain(|r| r.id != id))>"✕"</button>
                    </li>
                }
            })
            .collect_view()
    }
}

/// The five whys, in order, each movable and removable.
#[component]
fn WhysField(draft: Draft) -> impl IntoView {
    let whys = draft.whys;
    let why = move |i: usize, n: usize, r: Row| {
        let shift = move |d: isize| {
            whys.update(|v| {
                let j = i as isize + d;
                if j >= 0 && (j as usize) < v.len() {
                    v.swap(i, j as usize);
                }
            })
        };
        view! {
            <input type="text" class="grow why-input" aria-label=format!("Why {}", i + 1) bind:value=r.a
                placeholder=if i == 0 { "Why did it happen?" } else { "Why was that?" }/>
            <button type="button" class="icon" title="Move up" aria-label="Move up" disabled=i == 0 on:click=move |_| shift(-1)>"↑"</button>
            <button type="button" class="icon" title="Move down" aria-label="Move down" disabled=i + 1 == n on:click=move |_| shift(1)>"↓"</button>
        }
    };
    view! {
        <fieldset class="field">
            <legend>"Five whys"</legend>
            <ol class="whys" id="pm-whys"><EditableRows rows=whys class="why" row=why/></ol>
            <button type="button" class="secondary" id="add-why" on:click=move |_| whys.update(|v| v.push(draft.new_row()))>"+ Add a why"</button>
        </fieldset>
    }
}

#[component]
fn FactorsField(draft: Draft) -> impl IntoView {
    let factors = draft.factors;
    let factor = |i: usize, _: usize, r: Row| {
        view! {
            <input type="text" class="short" list="factor-categories" aria-label=format!("Factor {} category", i + 1) placeholder="category" bind:value=r.a/>
            <input type="text" class="grow" aria-label=format!("Factor {} description", i + 1) placeholder="What made it worse or more likely?" bind:value=r.b/>
        }
    };
    view! {
        <fieldset class="field">
            <legend>"Contributing factors"</legend>
            <ul class="factors" id="pm-factors"><EditableRows rows=factors class="factor" row=factor/></ul>
            <datalist id="factor-categories">
                {FACTOR_CATEGORIES.iter().map(|c| view! { <option value=*c></option> }).collect_view()}
            </datalist>
            <button type="button" class="secondary" id="add-factor" on:click=move |_| factors.update(|v| v.push(draft.new_row()))>"+ Add a factor"</button>
        </fieldset>
    }
}
