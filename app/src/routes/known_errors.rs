//! The known-error database: the list with search, recording a problem, and a problem's page
//! with its workaround first, the incidents it caused and their dates.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::api::{
    CreateKnownError, LinkKnownError, UnlinkKnownError, UpdateKnownError, get_known_error,
    list_known_errors,
};
use crate::components::badges::{IncidentStatusBadge, KnownErrorStatusBadge, SeverityBadge};
use crate::components::error_box::ErrorBox;
use crate::components::format;
use crate::components::history::RecordHistory;
use crate::components::session::use_session;
use crate::domain::KnownErrorStatus;
use crate::domain::authz::{Op, allows};
use crate::markdown::render;
use crate::model::{
    KnownError, KnownErrorFilter, KnownErrorPatch, KnownErrorSummary, NewKnownError, Page,
};

fn href(f: &KnownErrorFilter) -> String {
    let qs = serde_urlencoded::to_string(f).unwrap_or_default();
    if qs.is_empty() {
        "/known-errors".to_owned()
    } else {
        format!("/known-errors?{qs}")
    }
}

fn split_services(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[component]
pub fn KnownErrorsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        let text = |k: &str| q.get(k).filter(|s| !s.trim().is_empty());
        KnownErrorFilter {
            status: q.get("status").and_then(|s| s.parse().ok()),
            service: text("service"),
            q: text("q"),
            page: text("page"),
            limit: None,
        }
    });
    let list = Resource::new(move || filter.get(), list_known_errors);
    let tab = move |status: Option<KnownErrorStatus>, label: &'static str| {
        let mut f = filter.get();
        f.page = None;
        f.status = status;
        let target = href(&f);
        let current = move || filter.get().status == status;
        view! { <a href=target class="tab" aria-current=move || current().then_some("page")>{label}</a> }
    };
    view! {
        <Title text="Known errors"/>
        <div class="page-head">
            <h1>"Known errors"</h1>
            <a class="button" href="/known-errors/new" id="new-known-error">"Record a known error"</a>
        </div>
        <div class="filters" role="search">
            <nav class="tabs" aria-label="Status">
                {move || view! {
                    {tab(None, "All")}
                    {KnownErrorStatus::ALL.iter().map(|s| tab(Some(*s), s.label())).collect_view()}
                }}
            </nav>
            <Form method="GET" action="/known-errors" attr:class="search">
                {move || filter.get().status.map(|s| view! { <input type="hidden" name="status" value=s.as_str()/> })}
                <input type="text" name="service" placeholder="Service" aria-label="Service" class="short"
                    prop:value=move || filter.get().service.unwrap_or_default()/>
                <input type="search" name="q" id="ke-search" placeholder="Search symptoms, causes, workarounds…" aria-label="Search known errors"
                    accesskey="s" prop:value=move || filter.get().q.unwrap_or_default()/>
                <button type="submit">"Search"</button>
            </Form>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading known errors…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(page) => view! { <KnownErrorTable page=page filter=filter.get()/> }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn KnownErrorTable(page: Page<KnownErrorSummary>, filter: KnownErrorFilter) -> impl IntoView {
    if page.items.is_empty() {
        let message = if filter == KnownErrorFilter::default() {
            "No known errors recorded yet."
        } else {
            "No known errors match these filters."
        };
        return view! { <p class="empty-state" id="ke-list-empty">{message}</p> }.into_any();
    }
    let next_page = page.next.clone().map(|c| {
        href(&KnownErrorFilter {
            page: Some(c),
            ..filter.clone()
        })
    });
    view! {
        <table class="list" id="ke-list">
            <thead><tr>
                <th scope="col">"Key"</th><th scope="col">"Title"</th><th scope="col">"Status"</th>
                <th scope="col">"Fix version"</th><th scope="col">"Services"</th>
                <th scope="col" class="num">"Incidents"</th><th scope="col">"Last seen"</th>
            </tr></thead>
            <tbody>
                {page.items.into_iter().map(|k| view! {
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
            </tbody>
        </table>
        <nav class="pager" aria-label="Pages">
            {next_page.map(|h| view! { <a href=h rel="next">"Next page →"</a> })}
        </nav>
    }
    .into_any()
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
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading known error…"</p> }>
            {move || Suspend::new(async move {
                let can_write = session.user.await.ok().flatten().is_some_and(|u| allows(u.role, u.id, Op::WriteKnownError));
                match ke.await {
                    Ok(k) => view! { <KnownErrorView ke=k can_write=can_write update=update link=link unlink=unlink/> }.into_any(),
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
) -> impl IntoView {
    let editing = RwSignal::new(false);
    let n = ke.linked_incidents.len();
    let first = ke.linked_incidents.first().map(|i| i.detected_at);
    let last = ke.linked_incidents.last().map(|i| i.detected_at);
    let recurrence = match (n, first, last) {
        (0, ..) => "No incidents linked yet.".to_owned(),
        (1, Some(f), _) => format!("Caused 1 incident, on {}.", format::datetime(f)),
        (_, Some(f), Some(l)) => format!(
            "Caused {n} incidents, first {}, last {}.",
            format::datetime(f),
            format::datetime(l)
        ),
        _ => String::new(),
    };
    let key = ke.key.clone();
    let f = Fields::new(Some(&ke));
    let version = ke.version;
    let save = {
        let key = key.clone();
        move |ev: leptos::ev::SubmitEvent| {
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
        }
    };
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
    let workaround = render(&ke.workaround);
    view! {
        <Title text=format!("{} {}", ke.key, ke.title)/>
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/known-errors">"Known errors"</a>" / "{ke.key.clone()}</nav>
        <header class="incident-head">
            <div class="incident-title">
                <span class="key">{ke.key.clone()}</span>
                <h1>{ke.title.clone()}</h1>
                <KnownErrorStatusBadge status=ke.status/>
                {ke.fix_version.clone().map(|v| view! { <span class="badge">"fix "{v}</span> })}
            </div>
            <p class="muted" id="ke-recurrence">{recurrence}{(!ke.services.is_empty()).then(|| format!(" Services: {}.", ke.services.join(", ")))}</p>
        </header>
        <div class="incident-grid">
            <div>
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
            </div>
            <aside>
                {can_write.then(|| view! {
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
                })}
                <section class="card"><RecordHistory record_type="known_error" key=ke.key.clone()/></section>
            </aside>
        </div>
    }
}
