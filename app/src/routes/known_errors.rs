//! The known-error database: the list with search, recording a problem, and a problem's page
//! with its workaround first, the incidents it caused and their dates.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api::{
    CreateKnownError, LinkKnownError, UnlinkKnownError, UpdateKnownError, get_known_error,
    list_known_errors,
};
use crate::components::badges::{IncidentStatusBadge, KnownErrorStatusBadge, SeverityBadge};
use crate::components::comments::{Comments, CommentsPanel};
use crate::components::error_box::ErrorBox;
use crate::components::format;
use crate::components::history::RecordHistory;
use crate::components::layout::PageHead;
use crate::components::list::{ListResults, ListTable, StatusTabs, query_filter};
use crate::components::session::use_session;
use crate::domain::CommentOn;
use crate::domain::KnownErrorStatus;
use crate::domain::authz::{Op, allows};
use crate::markdown::render;
use crate::model::{
    KnownError, KnownErrorFilter, KnownErrorPatch, KnownErrorSummary, NewKnownError,
};

fn split_services(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[component]
fn KnownErrorTable(items: Vec<KnownErrorSummary>) -> impl IntoView {
    view! {
        <ListTable id="ke-list" numeric=&["Incidents"]
            heads=&["Key", "Title", "Status", "Fix version", "Services", "Incidents", "Last seen"]>
            {items.into_iter().map(|k| view! {
                <tr>
                    <td class="key"><a href=format!("/known-errors/{}", k.key)>{k.key.clone()}</a></td>
                    <td>{k.title}</td>
                    <td><KnownErrorStatusBadge status=k.status/></td>
                    <td>{k.fix_version.unwrap_or_default()}</td>
                    <td class="muted">{k.services.join(", ")}</td>
                    <td class="num">{k.incident_count}</td>
                    <td>{k.last_seen.map(format::datetime).unwrap_or_else(|| "—".into())}</td>
                </tr>
            }).collect_view()}
        </ListTable>
    }
}

#[component]
pub fn KnownErrorsPage() -> impl IntoView {
    let filter = query_filter::<KnownErrorFilter>(&["limit"]);
    let list = Resource::new(move || filter.get(), list_known_errors);
    view! {
        <PageHead heading="Known errors">
            <a class="button" href="/known-errors/new" id="new-known-error">"Record a known error"</a>
        </PageHead>
        <div class="filters" role="search">
            <StatusTabs filter=filter/>
            <Form method="GET" action="/known-errors" attr:class="search">
                {move || filter.get().status.map(|s| view! { <input type="hidden" name="status" value=s.as_str()/> })}
                <input type="text" name="service" placeholder="Service" aria-label="Service" class="short"
                    prop:value=move || filter.get().service.unwrap_or_default()/>
                <input type="search" name="q" id="ke-search" placeholder="Search symptoms, causes, workarounds…" aria-label="Search known errors"
                    accesskey="s" prop:value=move || filter.get().q.unwrap_or_default()/>
                <button type="submit">"Search"</button>
            </Form>
        </div>
        <ListResults filter=filter list=list loading="Loading known errors…"
            empty_id="ke-list-empty" none="No known errors recorded yet."
            no_match="No known errors match these filters."
            rows=|items| view! { <KnownErrorTable items=items/> }/>
    }
}

/// The fields of a known error, for recording and for editing.
#[derive(Clone, Copy)]
struct Fields {
    title: RwSignal<String>,
    symptoms: RwSignal<String>,
    root_cause: RwSignal<String>,
    workaround: RwSignal<String>,
    status: RwSignal<KnownErrorStatus>,
    fix_version: RwSignal<String>,
    services: RwSignal<String>,
}

impl Fields {
    fn new(k: Option<&KnownError>) -> Self {
        Self {
            title: RwSignal::new(k.map(|k| k.title.clone()).unwrap_or_default()),
            symptoms: RwSignal::new(k.map(|k| k.symptoms.clone()).unwrap_or_default()),
            root_cause: RwSignal::new(k.map(|k| k.root_cause.clone()).unwrap_or_default()),
            workaround: RwSignal::new(k.map(|k| k.workaround.clone()).unwrap_or_default()),
            status: RwSignal::new(k.map_or(KnownErrorStatus::Open, |k| k.status)),
            fix_version: RwSignal::new(k.and_then(|k| k.fix_version.clone()).unwrap_or_default()),
            services: RwSignal::new(k.map(|k| k.services.join(", ")).unwrap_or_default()),
        }
    }
}

#[component]
fn FieldsForm(f: Fields) -> impl IntoView {
    view! {
        <label class="field"><span>"Title"</span>
            <input type="text" id="ke-title" required maxlength="200" bind:value=f.title placeholder="e.g. Connection pool exhaustion under peak load"/></label>
        <label class="field"><span>"Symptoms "<span class="muted">"(what responders see)"</span></span>
            <textarea id="ke-symptoms" rows="3" bind:value=f.symptoms></textarea></label>
        <label class="field"><span>"Root cause"</span>
            <textarea id="ke-root-cause" rows="3" bind:value=f.root_cause></textarea></label>
        <label class="field"><span>"Workaround "<span class="muted">"(markdown)"</span></span>
            <textarea id="ke-workaround" rows="5" bind:value=f.workaround></textarea></label>
        <div class="settings-grid">
            <label class="field"><span>"Status"</span>
                <select id="ke-status" on:change=move |ev| { if let Ok(s) = event_target_value(&ev).parse() { f.status.set(s); } }>
                    {KnownErrorStatus::ALL.iter().map(|s| view! { <option value=s.as_str() selected=f.status.get_untracked() == *s>{s.label()}</option> }).collect_view()}
                </select>
            </label>
            <label class="field"><span>"Fix version "<span class="muted">"(needed when a fix is scheduled or done)"</span></span>
                <input type="text" id="ke-fix-version" bind:value=f.fix_version/></label>
            <label class="field"><span>"Services "<span class="muted">"(comma-separated)"</span></span>
                <input type="text" id="ke-services" bind:value=f.services/></label>
        </div>
    }
}

#[component]
pub fn NewKnownErrorPage() -> impl IntoView {
    let create = ServerAction::<CreateKnownError>::new();
    let f = Fields::new(None);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(k)) = create.value().get() {
            navigate(&format!("/known-errors/{}", k.key), Default::default());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let fix = f.fix_version.get_untracked();
        create.dispatch(CreateKnownError {
            new: NewKnownError {
                title: f.title.get_untracked(),
                symptoms: f.symptoms.get_untracked(),
                root_cause: f.root_cause.get_untracked(),
                workaround: f.workaround.get_untracked(),
                status: Some(f.status.get_untracked()),
                fix_version: Some(fix).filter(|v| !v.trim().is_empty()),
                services: split_services(&f.services.get_untracked()),
                incidents: Vec::new(),
            },
        });
    };
    view! {
        <Title text="Record a known error"/>
        <section class="card narrow-wide">
            <h1>"Record a known error"</h1>
            <form on:submit=submit id="ke-form">
                <FieldsForm f=f/>
                <button type="submit" id="ke-submit" disabled=move || create.pending().get()>"Record"</button>
            </form>
            {move || create.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
        </section>
    }
}

#[component]
pub fn KnownErrorPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || params.read().get("key").unwrap_or_default();
    let session = use_session();
    let update = ServerAction::<UpdateKnownError>::new();
    let link = ServerAction::<LinkKnownError>::new();
    let unlink = ServerAction::<UnlinkKnownError>::new();
    let ke = Resource::new(
        move || {
            (
                key(),
                update.version().get(),
                link.version().get(),
                unlink.version().get(),
            )
        },
        |(k, ..)| get_known_error(k),
    );
    let comments = CommentsPanel::new(CommentOn::KnownError, key, None);
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading known error…"</p> }>
            {move || Suspend::new(async move {
                let can_write = session.user.await.ok().flatten().is_some_and(|u| allows(u.role, u.id, Op::WriteKnownError));
                match ke.await {
                    Ok(k) => view! { <KnownErrorView ke=k can_write=can_write update=update link=link unlink=unlink comments=comments/> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn KnownErrorView(
    ke: KnownError,
    can_write: bool,
    update: ServerAction<UpdateKnownError>,
    link: ServerAction<LinkKnownError>,
    unlink: ServerAction<UnlinkKnownError>,
    comments: CommentsPanel,
) -> impl IntoView {
    view! {
        <Title text=format!("{} {}", ke.key, ke.title)/>
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/known-errors">"Known errors"</a>" / "{ke.key.clone()}</nav>
        <KnownErrorHead ke=ke.clone()/>
        <div class="incident-grid">
            <div>
                <KnownErrorText ke=ke.clone()/>
                <LinkedIncidents ke=ke.clone() can_write=can_write link=link unlink=unlink/>
                <KnownErrorActions ke=ke.clone()/>
                <Comments panel=comments/>
            </div>
            <aside>
                {can_write.then(|| view! { <EditKnownError ke=ke.clone() update=update/> })}
                <section class="card"><RecordHistory record_type=crate::domain::RecordType::KnownError key=ke.key.clone()/></section>
            </aside>
        </div>
    }
}

/// "Caused 3 incidents, first …, last …."
fn recurrence_text(ke: &KnownError) -> String {
    let n = ke.linked_incidents.len();
    let first = ke.linked_incidents.first().map(|i| i.detected_at);
    let last = ke.linked_incidents.last().map(|i| i.detected_at);
    match (n, first, last) {
        (0, ..) => "No incidents linked yet.".to_owned(),
        (1, Some(f), _) => format!("Caused 1 incident, on {}.", format::datetime(f)),
        (_, Some(f), Some(l)) => format!(
            "Caused {n} incidents, first {}, last {}.",
            format::datetime(f),
            format::datetime(l)
        ),
        _ => String::new(),
    }
}

#[component]
fn KnownErrorHead(ke: KnownError) -> impl IntoView {
    let recurrence = recurrence_text(&ke);
    view! {
        <header class="incident-head">
            <div class="incident-title">
                <span class="key">{ke.key.clone()}</span>
                <h1>{ke.title.clone()}</h1>
                <KnownErrorStatusBadge status=ke.status/>
                {ke.fix_version.clone().map(|v| view! { <span class="badge">"fix "{v}</span> })}
            </div>
            <p class="muted" id="ke-recurrence">{recurrence}{(!ke.services.is_empty()).then(|| format!(" Services: {}.", ke.services.join(", ")))}</p>
        </header>
    }
}

/// The workaround first, then the symptoms and the root cause.
#[component]
fn KnownErrorText(ke: KnownError) -> impl IntoView {
    let workaround = render(&ke.workaround);
    view! {
        <section class="card workaround">
            <h2>"Workaround"</h2>
            {if ke.workaround.trim().is_empty() {
                view! { <p class="muted">"No workaround recorded."</p> }.into_any()
            } else {
                view! { <div class="doc" id="ke-workaround-text" inner_html=workaround></div> }.into_any()
            }}
        </section>
        <section class="card">
            <h2>"Symptoms"</h2>
            <p class="prewrap">{if ke.symptoms.trim().is_empty() { "—".to_owned() } else { ke.symptoms.clone() }}</p>
            <h2>"Root cause"</h2>
            <p class="prewrap">{if ke.root_cause.trim().is_empty() { "Not known yet.".to_owned() } else { ke.root_cause.clone() }}</p>
        </section>
    }
}

#[component]
fn LinkedIncidents(
    ke: KnownError,
    can_write: bool,
    link: ServerAction<LinkKnownError>,
    unlink: ServerAction<UnlinkKnownError>,
) -> impl IntoView {
    let key = ke.key.clone();
    let incident_to_link = RwSignal::new(String::new());
    let do_link = {
        let key = key.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            link.dispatch(LinkKnownError {
                known_error: key.clone(),
                incident: incident_to_link.get_untracked().trim().to_owned(),
            });
        }
    };
    Effect::new(move |_| {
        if matches!(link.value().get(), Some(Ok(_))) {
            incident_to_link.set(String::new());
        }
    });
    view! {
        <section class="card">
            <h2>"Incidents"</h2>
            {move || unlink.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
            {if ke.linked_incidents.is_empty() {
                view! { <p class="muted">"None yet."</p> }.into_any()
            } else {
                view! {
                    <table class="list" id="ke-incidents">
                        <thead><tr><th>"Key"</th><th>"Title"</th><th>"Severity"</th><th>"Status"</th><th>"Detected"</th><th></th></tr></thead>
                        <tbody>
                            {ke.linked_incidents.iter().enumerate().map(|(i, inc)| {
                                let (k, ik) = (key.clone(), inc.key.clone());
                                view! {
                                    <tr>
                                        <td class="key"><a href=format!("/incidents/{}", inc.key)>{inc.key.clone()}</a></td>
                                        <td>{inc.title.clone()}{(i > 0).then(|| view! { " "<span class="badge recurrence">"recurrence"</span> })}</td>
                                        <td><SeverityBadge severity=inc.severity/></td>
                                        <td><IncidentStatusBadge status=inc.status/></td>
                                        <td>{format::datetime(inc.detected_at)}</td>
                                        <td>{can_write.then(|| view! {
                                            <button class="link-button" on:click=move |_| { unlink.dispatch(UnlinkKnownError { known_error: k.clone(), incident: ik.clone() }); }>"Unlink"</button>
                                        })}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            {can_write.then(|| view! {
                <form class="row-form" on:submit=do_link id="ke-link-form">
                    <input type="text" id="ke-link-incident" placeholder="INC-123" aria-label="Incident key" bind:value=incident_to_link/>
                    <button type="submit" class="secondary">"Link incident"</button>
                </form>
            })}
            {move || link.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
        </section>
    }
}

#[component]
fn KnownErrorActions(ke: KnownError) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Actions"</h2>
            {if ke.actions.is_empty() {
                view! { <p class="muted">"No actions against this known error."</p> }.into_any()
            } else {
                view! {
                    <ul>{ke.actions.iter().map(|a| view! {
                        <li><a class="key" href=format!("/actions/{}", a.key)>{a.key.clone()}</a>" "{a.title.clone()}" · "{a.status.label()}{a.due_date.map(|d| format!(" · due {d}"))}</li>
                    }).collect_view()}</ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn EditKnownError(ke: KnownError, update: ServerAction<UpdateKnownError>) -> impl IntoView {
    let editing = RwSignal::new(false);
    let f = Fields::new(Some(&ke));
    let (key, version) = (ke.key.clone(), ke.version);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let fix = f.fix_version.get_untracked();
        update.dispatch(UpdateKnownError {
            key: key.clone(),
            patch: KnownErrorPatch {
                version: Some(version),
                title: Some(f.title.get_untracked()),
                symptoms: Some(f.symptoms.get_untracked()),
                root_cause: Some(f.root_cause.get_untracked()),
                workaround: Some(f.workaround.get_untracked()),
                status: Some(f.status.get_untracked()),
                fix_version: Some(Some(fix).filter(|v| !v.trim().is_empty())),
                services: Some(split_services(&f.services.get_untracked())),
            },
        });
    };
    view! {
        <section class="card">
            <h2>"Edit"</h2>
            <button class="secondary" id="ke-edit" on:click=move |_| editing.update(|e| *e = !*e)>
                {move || if editing.get() { "Close editor" } else { "Edit this known error" }}
            </button>
            <Show when=move || editing.get()>
                <form on:submit=save.clone() id="ke-edit-form">
                    <FieldsForm f=f/>
                    <button type="submit" id="ke-save">"Save"</button>
                </form>
            </Show>
            {move || update.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
        </section>
    }
}
