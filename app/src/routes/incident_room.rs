//! The editable parts of the incident page: the status bar, title and severity (a change asks
//! for a reason), services, tags, summary and customer impact with a live preview, and the
//! corrections of timeline entries. What a person is typing lives in [`Drafts`], owned by the
//! page, so a refetch (after someone else's change) never wipes it.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::api::{CorrectTimelineEvent, UpdateIncident, timeline_event_history};
use crate::components::badges::{IncidentStatusBadge, SeverityBadge};
use crate::components::error_box::ErrorBox;
use crate::components::format;
use crate::components::history::HistoryTable;
use crate::domain::{EventKind, Severity, Visibility};
use crate::model::{EventPatch, Incident, IncidentPatch, Labels, TimelineEvent};

/// The parts of an incident edited in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Title,
    Severity,
    Services,
    Tags,
    Summary,
    Impact,
}

/// Everything typed on the page that is not saved yet, and which editor is open.
#[derive(Clone, Copy)]
pub struct Drafts {
    pub editing: RwSignal<Option<Field>>,
    /// The field whose save is in flight, so its answer closes (or keeps) that editor only.
    pub saving: RwSignal<Option<Field>>,
    pub title: RwSignal<String>,
    pub severity: RwSignal<String>,
    pub reason: RwSignal<String>,
    pub services: RwSignal<String>,
    pub tags: RwSignal<String>,
    pub summary: RwSignal<String>,
    pub impact: RwSignal<String>,
    pub quick: RwSignal<String>,
    pub quick_kind: RwSignal<crate::domain::EventKind>,
    pub quick_customer: RwSignal<bool>,
    /// The timeline entry being corrected and its draft.
    pub entry: RwSignal<Option<i64>>,
    pub entry_body: RwSignal<String>,
    pub entry_kind: RwSignal<String>,
    pub entry_at: RwSignal<String>,
    pub entry_customer: RwSignal<bool>,
    /// Bumped to refetch the incident and its timeline (after a 409, or a live change).
    pub reload: RwSignal<u64>,
}

impl Drafts {
    pub fn new() -> Self {
        Self {
            editing: RwSignal::new(None),
            saving: RwSignal::new(None),
            title: RwSignal::new(String::new()),
            severity: RwSignal::new(String::new()),
            reason: RwSignal::new(String::new()),
            services: RwSignal::new(String::new()),
            tags: RwSignal::new(String::new()),
            summary: RwSignal::new(String::new()),
            impact: RwSignal::new(String::new()),
            quick: RwSignal::new(String::new()),
            quick_kind: RwSignal::new(crate::domain::EventKind::Update),
            quick_customer: RwSignal::new(false),
            entry: RwSignal::new(None),
            entry_body: RwSignal::new(String::new()),
            entry_kind: RwSignal::new(String::new()),
            entry_at: RwSignal::new(String::new()),
            entry_customer: RwSignal::new(false),
            reload: RwSignal::new(0),
        }
    }

    /// Opens the editor of `f` with the incident's current value.
    fn open(&self, f: Field, inc: &Incident) {
        match f {
            Field::Title => self.title.set(inc.title.clone()),
            Field::Severity => {
                self.severity.set(inc.severity.as_str().to_owned());
                self.reason.set(String::new());
            }
            Field::Services => self.services.set(inc.services.join(", ")),
            Field::Tags => self.tags.set(inc.tags.join(", ")),
            Field::Summary => self.summary.set(inc.summary.clone()),
            Field::Impact => self.impact.set(inc.customer_impact.clone()),
        }
        self.editing.set(Some(f));
    }

    /// The change the open editor of `f` makes.
    fn patch(&self, f: Field, version: i32) -> IncidentPatch {
        let list = |s: RwSignal<String>| {
            s.get_untracked()
                .split(',')
                .map(|x| x.trim().to_owned())
                .filter(|x| !x.is_empty())
                .collect::<Vec<_>>()
        };
        let mut p = IncidentPatch {
            version: Some(version),
            ..Default::default()
        };
        match f {
            Field::Title => p.title = Some(self.title.get_untracked()),
            Field::Severity => {
                p.severity = self.severity.get_untracked().parse().ok();
                p.reason = Some(self.reason.get_untracked()).filter(|r| !r.trim().is_empty());
            }
            Field::Services => p.services = Some(list(self.services)),
            Field::Tags => p.tags = Some(list(self.tags)),
            Field::Summary => p.summary = Some(self.summary.get_untracked()),
            Field::Impact => p.customer_impact = Some(self.impact.get_untracked()),
        }
        p
    }
}

impl Default for Drafts {
    fn default() -> Self {
        Self::new()
    }
}

/// Closes the editor whose save succeeded; a refused save keeps it open with its text.
pub fn close_on_success(drafts: Drafts, update: ServerAction<UpdateIncident>) {
    Effect::new(move |_| {
        if let Some(result) = update.value().get() {
            let f = drafts.saving.get_untracked();
            if result.is_ok() && f.is_some() && drafts.editing.get_untracked() == f {
                drafts.editing.set(None);
                drafts.saving.set(None);
            }
        }
    });
}

fn save(drafts: Drafts, update: ServerAction<UpdateIncident>, key: &str, f: Field, version: i32) {
    drafts.saving.set(Some(f));
    update.dispatch(UpdateIncident {
        key: key.to_owned(),
        patch: drafts.patch(f, version),
    });
}

/// The error of the last save of `f`, with a way to reload the incident that keeps the text.
#[component]
fn SaveError(f: Field, drafts: Drafts, update: ServerAction<UpdateIncident>) -> impl IntoView {
    let shown = move || {
        if drafts.saving.get() != Some(f) {
            return None;
        }
        update.value().get().and_then(Result::err).map(|e| {
            let stale = matches!(e, crate::error::AppError::Conflict { .. });
            view! {
                <div class="edit-error">
                    <ErrorBox error=e/>
                    {stale.then(|| view! {
                        <button type="button" class="secondary small reload-part"
                            on:click=move |_| drafts.reload.update(|n| *n += 1)>
                            "Reload the incident (your text stays)"
                        </button>
                    })}
                </div>
            }
        })
    };
    view! { <div class="save-error-slot">{shown}</div> }
}

/// The bar on top while the incident is open: what it is, for how long, who leads, and the
/// next key time to set.
#[component]
pub fn StatusBar(inc: Incident) -> impl IntoView {
    if !inc.status.is_active() {
        return ().into_any();
    }
    let now = crate::components::countdown::ticking_now(std::time::Duration::from_secs(1));
    let detected = inc.detected_at;
    let rendered_at = inc.updated_at.max(Utc::now());
    let open_for = move || {
        let end = now.get().unwrap_or(rendered_at);
        format::minutes((end - detected).num_seconds() as f64 / 60.0)
    };
    let next = [
        ("acknowledged", inc.acknowledged_at),
        ("mitigated", inc.mitigated_at),
        ("resolved", inc.resolved_at),
    ]
    .into_iter()
    .find(|(_, t)| t.is_none())
    .map(|(n, _)| n);
    view! {
        <div class="status-bar" id="status-bar" role="status">
            <IncidentStatusBadge status=inc.status/>
            <SeverityBadge severity=inc.severity/>
            <span>"Open for "<strong>{open_for}</strong></span>
            <span>"Commander: "<strong>{inc.commander_name.clone().or(inc.commander.clone()).unwrap_or_else(|| "nobody yet".into())}</strong></span>
            {next.map(|n| view! { <a href="#key-times" class="next-step">"Next: set "{n}</a> })}
        </div>
    }
    .into_any()
}

/// Title and severity, each edited in place: Enter saves, Escape cancels; a severity change
/// asks why and goes into the timeline as an escalation.
#[component]
pub fn TitleAndSeverity(
    inc: Incident,
    can_write: bool,
    drafts: Drafts,
    update: ServerAction<UpdateIncident>,
) -> impl IntoView {
    let (k1, k2) = (inc.key.clone(), inc.key.clone());
    let version = inc.version;
    let current = inc.severity;
    let open_title = {
        let inc = inc.clone();
        move |_| drafts.open(Field::Title, &inc)
    };
    let open_severity = {
        let inc = inc.clone();
        move |_| drafts.open(Field::Severity, &inc)
    };
    let title_view = {
        let title = inc.title.clone();
        move || {
            if drafts.editing.get() == Some(Field::Title) {
                let key = k1.clone();
                view! {
                    <form class="inline-edit" id="title-form" on:submit=move |ev| { ev.prevent_default(); save(drafts, update, &key, Field::Title, version); }>
                        <input type="text" id="title-input" class="title-input" aria-label="Title" maxlength="200" autofocus=true
                            bind:value=drafts.title
                            on:keydown=move |ev| if ev.key() == "Escape" { drafts.editing.set(None); }/>
                        <button type="submit" class="small">"Save"</button>
                        <button type="button" class="secondary small" on:click=move |_| drafts.editing.set(None)>"Cancel"</button>
                    </form>
                }.into_any()
            } else {
                view! { <h1 id="incident-title">{title.clone()}</h1> }.into_any()
            }
        }
    };
    let severity_view = move || {
        if drafts.editing.get() == Some(Field::Severity) {
            let key = k2.clone();
            let changed = move || drafts.severity.get() != current.as_str();
            let verb = move || match drafts.severity.get().parse::<Severity>() {
                Ok(s) if s.level() < current.level() => "Escalate",
                Ok(s) if s.level() > current.level() => "De-escalate",
                _ => "Change",
            };
            view! {
                <form class="inline-edit severity-edit" id="severity-form" on:submit=move |ev| { ev.prevent_default(); if changed() { save(drafts, update, &key, Field::Severity, version); } }>
                    <select id="severity-select" aria-label="Severity" bind:value=drafts.severity>
                        {Severity::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                    </select>
                    <input type="text" id="severity-reason" class="grow" placeholder="Why? (shown in the timeline)" aria-label="Reason for the severity change"
                        bind:value=drafts.reason
                        on:keydown=move |ev| if ev.key() == "Escape" { drafts.editing.set(None); }/>
                    <button type="submit" class="small" id="severity-save" disabled=move || !changed()>{verb}</button>
                    <button type="button" class="secondary small" on:click=move |_| drafts.editing.set(None)>"Cancel"</button>
                </form>
            }.into_any()
        } else {
            view! { <SeverityBadge severity=current/> }.into_any()
        }
    };
    view! {
        {title_view}
        {can_write.then(|| view! {
            <button type="button" class="icon-button" id="edit-title" title="Edit the title" aria-label="Edit the title" on:click=open_title>"✎"</button>
        })}
        {severity_view}
        {can_write.then(|| view! {
            <button type="button" class="secondary small" id="edit-severity" on:click=open_severity>"Change severity"</button>
        })}
        <SaveError f=Field::Title drafts=drafts update=update/>
        <SaveError f=Field::Severity drafts=drafts update=update/>
    }
}

/// The services and tags in use, offered while a list field is edited (`list=` names them).
#[component]
pub fn LabelLists(labels: Resource<Result<Labels, crate::error::AppError>>) -> impl IntoView {
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let l = labels.await.unwrap_or_default();
                view! {
                    <datalist id="known-services">{l.services.into_iter().map(|s| view! { <option value=s/> }).collect_view()}</datalist>
                    <datalist id="known-tags">{l.tags.into_iter().map(|s| view! { <option value=s/> }).collect_view()}</datalist>
                }
            })}
        </Transition>
    }
}

/// Services, tags, summary and customer impact: shown, and edited in place by those who may.
#[component]
pub fn IncidentDetails(
    inc: Incident,
    can_write: bool,
    drafts: Drafts,
    update: ServerAction<UpdateIncident>,
) -> impl IntoView {
    let roles: Vec<(String, String)> = inc.roles.clone().into_iter().collect();
    view! {
        <section class="card details" id="incident-details">
            <ListField f=Field::Services label="Services" values=inc.services.clone() list="known-services" inc=inc.clone() can_write=can_write drafts=drafts update=update/>
            <ListField f=Field::Tags label="Tags" values=inc.tags.clone() list="known-tags" inc=inc.clone() can_write=can_write drafts=drafts update=update/>
            {(!roles.is_empty()).then(|| view! {
                <p class="small roles" id="incident-roles">
                    {roles.into_iter().map(|(r, e)| view! { <span class="role"><span class="muted">{r.replace('_', " ")}": "</span>{e}</span> }).collect_view()}
                </p>
            })}
            <MarkdownField f=Field::Summary label="Summary" text=inc.summary.clone() inc=inc.clone() can_write=can_write drafts=drafts update=update/>
            <MarkdownField f=Field::Impact label="Customer impact" text=inc.customer_impact.clone() inc=inc.clone() can_write=can_write drafts=drafts update=update/>
        </section>
    }
}

fn draft_of(drafts: Drafts, f: Field) -> RwSignal<String> {
    match f {
        Field::Title => drafts.title,
        Field::Severity => drafts.severity,
        Field::Services => drafts.services,
        Field::Tags => drafts.tags,
        Field::Summary => drafts.summary,
        Field::Impact => drafts.impact,
    }
}

fn field_id(f: Field) -> &'static str {
    match f {
        Field::Title => "title",
        Field::Severity => "severity",
        Field::Services => "services",
        Field::Tags => "tags",
        Field::Summary => "summary",
        Field::Impact => "impact",
    }
}

/// A comma-separated list (services, tags) with suggestions from the ones in use.
#[component]
fn ListField(
    f: Field,
    label: &'static str,
    values: Vec<String>,
    list: &'static str,
    inc: Incident,
    can_write: bool,
    drafts: Drafts,
    update: ServerAction<UpdateIncident>,
) -> impl IntoView {
    let id = field_id(f);
    let key = inc.key.clone();
    let version = inc.version;
    let draft = draft_of(drafts, f);
    let shown = move || {
        if drafts.editing.get() == Some(f) {
            let key = key.clone();
            view! {
                <form class="inline-edit" id=format!("{id}-form") on:submit=move |ev| { ev.prevent_default(); save(drafts, update, &key, f, version); }>
                    <input type="text" id=format!("{id}-input") class="grow" list=list autofocus=true
                        placeholder="comma-separated" aria-label=label bind:value=draft
                        on:keydown=move |ev| if ev.key() == "Escape" { drafts.editing.set(None); }/>
                    <button type="submit" class="small">"Save"</button>
                    <button type="button" class="secondary small" on:click=move |_| drafts.editing.set(None)>"Cancel"</button>
                </form>
            }.into_any()
        } else if values.is_empty() {
            view! { <span class="muted" id=format!("{id}-value")>"none"</span> }.into_any()
        } else {
            view! {
                <span id=format!("{id}-value")>{values.iter().map(|v| view! { <span class="chip">{v.clone()}</span> }).collect_view()}</span>
            }.into_any()
        }
    };
    view! {
        <div class="detail-row">
            <span class="detail-label">{label}</span>
            {shown}
            {can_write.then(|| view! {
                <button type="button" class="link-button small" id=format!("edit-{id}") on:click=move |_| drafts.open(f, &inc)>"Edit"</button>
            })}
        </div>
        <SaveError f=f drafts=drafts update=update/>
    }
}

/// Markdown text (summary, customer impact), rendered; edited with the live preview.
#[component]
fn MarkdownField(
    f: Field,
    label: &'static str,
    text: String,
    inc: Incident,
    can_write: bool,
    drafts: Drafts,
    update: ServerAction<UpdateIncident>,
) -> impl IntoView {
    let id = field_id(f);
    let key = inc.key.clone();
    let version = inc.version;
    let draft = draft_of(drafts, f);
    let shown = move || {
        if drafts.editing.get() == Some(f) {
            let key = key.clone();
            let submit = move || save(drafts, update, &key, f, version);
            let submit2 = submit.clone();
            view! {
                <form class="markdown-edit" id=format!("{id}-form") on:submit=move |ev| { ev.prevent_default(); submit(); }>
                    <div class="split">
                        <textarea id=format!("{id}-input") rows="8" aria-label=label autofocus=true bind:value=draft
                            on:keydown=move |ev| {
                                if ev.key() == "Escape" { drafts.editing.set(None); }
                                if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) { ev.prevent_default(); submit2(); }
                            }></textarea>
                        <div class="doc preview" id=format!("{id}-preview") aria-label="Preview" inner_html=move || crate::markdown::render(&draft.get())></div>
                    </div>
                    <div class="button-row">
                        <button type="submit" class="small">"Save"</button>
                        <button type="button" class="secondary small" on:click=move |_| drafts.editing.set(None)>"Cancel"</button>
                        <span class="muted small">"Markdown · Ctrl+Enter saves · Esc cancels"</span>
                    </div>
                </form>
            }.into_any()
        } else if text.trim().is_empty() {
            view! { <p class="muted" id=format!("{id}-value")>"Not written yet."</p> }.into_any()
        } else {
            view! { <div class="doc" id=format!("{id}-value") inner_html=crate::markdown::render(&text)></div> }.into_any()
        }
    };
    view! {
        <div class="detail-block">
            <h3>{label}
                {can_write.then(|| view! {
                    " "<button type="button" class="link-button small" id=format!("edit-{id}") on:click=move |_| drafts.open(f, &inc)>"Edit"</button>
                })}
            </h3>
            {shown}
            <SaveError f=f drafts=drafts update=update/>
        </div>
    }
}

/// `datetime-local` value (UTC) for a time.
pub fn local_value(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

pub fn parse_local(s: &str) -> Option<DateTime<Utc>> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .ok()
        .map(|n| n.and_utc())
}

/// One timeline entry: what was told to customers stands out; its author or a responder
/// corrects it in place, and an edited entry shows its earlier text on request.
#[component]
pub fn TimelineEntry(
    e: TimelineEvent,
    key: String,
    can_correct: bool,
    drafts: Drafts,
    correct: ServerAction<CorrectTimelineEvent>,
) -> impl IntoView {
    let id = e.id;
    let customer = e.visibility == Visibility::Customer;
    let editing = move || drafts.entry.get() == Some(id);
    let open = {
        let e = e.clone();
        move |_| {
            drafts.entry_body.set(e.body.clone());
            drafts.entry_kind.set(e.kind.as_str().to_owned());
            drafts.entry_at.set(local_value(Some(e.occurred_at)));
            drafts
                .entry_customer
                .set(e.visibility == Visibility::Customer);
            drafts.entry.set(Some(id));
        }
    };
    let version = e.version;
    let k = key.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        correct.dispatch(CorrectTimelineEvent {
            key: k.clone(),
            id,
            patch: EventPatch {
                version: Some(version),
                occurred_at: parse_local(&drafts.entry_at.get_untracked()),
                kind: drafts.entry_kind.get_untracked().parse().ok(),
                body: Some(drafts.entry_body.get_untracked()),
                visibility: Some(if drafts.entry_customer.get_untracked() {
                    Visibility::Customer
                } else {
                    Visibility::Internal
                }),
            },
        });
    };
    let history = Action::new(move |_: &()| timeline_event_history(key.clone(), id));
    let body_html = crate::markdown::render(&e.body);
    let kind_options = || {
        EventKind::ALL
            .iter()
            .filter(|k| **k != EventKind::StatusChange)
            .map(|k| view! { <option value=k.as_str()>{k.label()}</option> })
            .collect_view()
    };
    view! {
        <li class=format!("event kind-{} vis-{}", e.kind.as_str(), e.visibility.as_str()) id=format!("event-{id}")>
            <time datetime=e.occurred_at.to_rfc3339()>{e.occurred_at.format("%m-%d %H:%M").to_string()}</time>
            <span class="event-kind">{e.kind.label()}</span>
            {customer.then(|| view! { <span class="badge customer-update" title="This entry is what customers were told">"Told customers"</span> })}
            <Show when=editing fallback=move || view! { <span class="event-body doc" inner_html=body_html.clone()></span> }>
                <form class="entry-edit" on:submit=submit.clone()>
                    <div class="row-form">
                        <select aria-label="Entry kind" bind:value=drafts.entry_kind>{kind_options()}</select>
                        <input type="datetime-local" aria-label="When (UTC)" bind:value=drafts.entry_at/>
                        <label class="inline"><input type="checkbox" bind:checked=drafts.entry_customer/>" told customers"</label>
                    </div>
                    <textarea rows="3" aria-label="Entry text" class="entry-body-input" bind:value=drafts.entry_body
                        on:keydown=move |ev| if ev.key() == "Escape" { drafts.entry.set(None); }></textarea>
                    <div class="button-row">
                        <button type="submit" class="small">"Save correction"</button>
                        <button type="button" class="secondary small" on:click=move |_| drafts.entry.set(None)>"Cancel"</button>
                    </div>
                    {move || correct.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
                </form>
            </Show>
            <span class="muted small">{e.author.clone().unwrap_or_default()}</span>
            {e.edited_at.map(|t| view! {
                <details class="entry-history small" on:toggle=move |_| { if history.value().get_untracked().is_none() { history.dispatch(()); } }>
                    <summary title=format!("corrected {}", format::datetime(t))>"edited"</summary>
                    {move || match history.value().get() {
                        None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                        Some(Ok(list)) => view! { <HistoryTable list=list/> }.into_any(),
                        Some(Err(e)) => view! { <ErrorBox error=e/> }.into_any(),
                    }}
                </details>
            })}
            {(can_correct && e.kind != EventKind::StatusChange).then(|| view! {
                <button type="button" class="link-button small edit-entry" on:click=open>"Correct"</button>
            })}
        </li>
    }
}
