//! Action pieces shared by pages: labels, the due-date text, the action table, and the card
//! that lists a record's actions and creates one in a few keystrokes.

use chrono::NaiveDate;
use leptos::prelude::*;

use crate::api::{CreateAction, CreateTrackerIssue, list_actions, list_users, tracker_choices};
use crate::components::error_box::ErrorBox;
use crate::components::list::ListTable;
use crate::components::session::use_session;
use crate::domain::authz::{Op, allows};
use crate::domain::{ActionKind, ActionStatus, Priority};
use crate::error::AppError;
use crate::model::{
    ActionFilter, ActionSummary, CurrentUser, NewAction, Page, TrackerChoice, User,
};

/// Whether `user` may change an action owned by `owner` (an e-mail): the owner, responders
/// and admins (the rule of [`Op::ChangeAction`]).
pub fn may_change(user: Option<&CurrentUser>, owner: Option<&str>) -> bool {
    user.is_some_and(|u| {
        let owner_id = (owner == Some(u.email.as_str())).then_some(u.id);
        allows(u.role, u.id, Op::ChangeAction { owner: owner_id })
    })
}

/// `overdue by 3 days` / `due today` / `due tomorrow` / `due in 4 days` / `no due date`,
/// and whether it is overdue (past the date, not on it).
pub fn due_text(due: Option<NaiveDate>, today: NaiveDate) -> (String, bool) {
    let Some(due) = due else {
        return ("no due date".into(), false);
    };
    let days = (due - today).num_days();
    let plural = |n: i64| if n == 1 { "" } else { "s" };
    match days {
        d if d < 0 => (format!("overdue by {} day{}", -d, plural(-d)), true),
        0 => ("due today".into(), false),
        1 => ("due tomorrow".into(), false),
        d => (format!("due in {d} day{}", plural(d)), false),
    }
}

#[component]
pub fn ActionStatusBadge(status: ActionStatus) -> impl IntoView {
    view! { <span class=format!("badge act act-{}", status.as_str())>{status.label()}</span> }
}

#[component]
pub fn PriorityBadge(priority: Priority) -> impl IntoView {
    view! { <span class=format!("badge prio prio-{}", priority.as_str())>{priority.label()}</span> }
}

/// Which deadline a table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    Due,
    Verification,
}

const HEADS: [&str; 7] = ["Key", "Title", "Priority", "Status", "Owner", "Team", "Due"];
const VERIFICATION_HEADS: [&str; 7] = [
    "Key",
    "Title",
    "Priority",
    "Status",
    "Owner",
    "Team",
    "Verification due",
];

/// A table of actions. With `today`, deadlines read "due in 3 days"; without, as dates.
#[component]
pub fn ActionTable(
    items: Vec<ActionSummary>,
    id: &'static str,
    #[prop(optional)] today: Option<NaiveDate>,
    #[prop(default = Deadline::Due)] deadline: Deadline,
) -> impl IntoView {
    let heads = match deadline {
        Deadline::Due => &HEADS,
        Deadline::Verification => &VERIFICATION_HEADS,
    };
    view! {
        <ListTable id=id heads=heads>
            {items.into_iter().map(|a| {
                let date = if deadline == Deadline::Due { a.due_date } else { a.verification_due };
                let (text, late) = match today {
                    Some(t) => due_text(date, t),
                    None => (date.map(|d| d.to_string()).unwrap_or_else(|| "—".into()), false),
                };
                let late = late || (deadline == Deadline::Due && a.overdue);
                view! {
                    <tr class=if late { "overdue" } else { "" }>
                        <td class="key"><a href=format!("/actions/{}", a.key)>{a.key.clone()}</a></td>
                        <td>
                            {a.title.clone()}
                            {a.incident.clone().map(|i| view! { " "<a class="muted small" href=format!("/incidents/{i}")>{i.clone()}</a> })}
                        </td>
                        <td><PriorityBadge priority=a.priority/></td>
                        <td><ActionStatusBadge status=a.status/></td>
                        <td>{a.owner.clone().unwrap_or_else(|| "unassigned".into())}</td>
                        <td class="muted">{a.team.clone().unwrap_or_default()}</td>
                        <td class=if late { "countdown overdue" } else { "countdown" } title=date.map(|d| d.to_string()).unwrap_or_default()>
                            {if late { "⚠ " } else { "" }}{text}
                        </td>
                    </tr>
                }
            }).collect_view()}
        </ListTable>
    }
}

/// The resources of an actions card, made with the page (so they hydrate) and handed down.
#[derive(Clone, Copy)]
pub struct ActionsPanel {
    pub create: ServerAction<CreateAction>,
    /// A one-click tracker issue for an action of the list.
    pub link: ServerAction<CreateTrackerIssue>,
    pub list: Resource<Result<Page<ActionSummary>, AppError>>,
    pub people: Resource<Result<Vec<User>, AppError>>,
    pub trackers: Resource<Result<Vec<TrackerChoice>, AppError>>,
}

/// Most actions a card lists (the rest are one click away).
const CARD_LIMIT: u32 = 50;

impl ActionsPanel {
    /// The actions of the incident whose key `key` gives.
    pub fn for_incident(key: impl Fn() -> String + Send + Sync + 'static) -> Self {
        let create = ServerAction::<CreateAction>::new();
        let link = ServerAction::<CreateTrackerIssue>::new();
        let list = Resource::new(
            move || (key(), create.version().get(), link.version().get()),
            |(k, _, _)| {
                list_actions(ActionFilter {
                    incident: Some(k),
                    limit: Some(CARD_LIMIT),
                    ..Default::default()
                })
            },
        );
        let people = Resource::new(|| (), |_| list_users());
        let trackers = Resource::new(|| (), |_| tracker_choices());
        Self {
            create,
            link,
            list,
            people,
            trackers,
        }
    }
}

/// An incident's actions and a form that adds one: type a title, Tab to the owner, Enter.
/// Each action shows its tracker issue, or (to those who may change it, when a tracker is
/// connected) a one-click "Create issue".
#[component]
pub fn ActionsCard(incident: String, panel: ActionsPanel) -> impl IntoView {
    let session = use_session();
    let list_href = format!("/actions/all?incident={incident}");
    let chosen = RwSignal::new(None::<i64>);
    view! {
        <section class="card" id="actions-card">
            <h2>"Actions"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading actions…"</p> }>
                {move || {
                    let list_href = list_href.clone();
                    Suspend::new(async move {
                    let user = session.user.await.ok().flatten();
                    let trackers = panel.trackers.await.unwrap_or_default();
                    match panel.list.await {
                        Ok(page) if page.items.is_empty() => view! { <p class="muted" id="actions-none">"No actions yet."</p> }.into_any(),
                        Ok(page) => {
                            let first = trackers.first().map(|t| t.id);
                            let offer = |a: &ActionSummary| {
                                first.is_some()
                                    && a.issue_key.is_none()
                                    && a.external_url.is_none()
                                    && matches!(a.status, ActionStatus::Open | ActionStatus::InProgress)
                                    && may_change(user.as_ref(), a.owner.as_deref())
                            };
                            let any_offer = page.items.iter().any(offer);
                            let offers: Vec<bool> = page.items.iter().map(offer).collect();
                            view! {
                            {(any_offer && trackers.len() > 1).then(|| view! {
                                <label class="small muted tracker-pick">"Issues go to "
                                    <select id="card-tracker" on:change=move |ev| chosen.set(event_target_value(&ev).parse().ok())>
                                        {trackers.iter().map(|t| view! { <option value=t.id.to_string()>{format!("{} ({})", t.name, t.kind.label())}</option> }).collect_view()}
                                    </select>
                                </label>
                            })}
                            <ul class="action-list" id="incident-actions">
                                {page.items.into_iter().zip(offers).map(|(a, offer)| {
                                    let key = a.key.clone();
                                    let label = format!("Create a tracker issue for {}", a.key);
                                    view! {
                                    <li class=if a.overdue { "overdue" } else { "" }>
                                        <a class="key" href=format!("/actions/{}", a.key)>{a.key.clone()}</a>" "
                                        <span>{a.title.clone()}</span>" "
                                        <ActionStatusBadge status=a.status/>
                                        <span class="muted small">
                                            {a.owner.clone().map(|o| format!(" {o}"))}
                                            {a.due_date.map(|d| format!(" · due {d}"))}
                                            {a.overdue.then_some(" · overdue")}
                                        </span>
                                        {a.external_url.clone().filter(|u| u.starts_with("https://") || u.starts_with("http://")).map(|u| view! {
                                            " "<a class="small issue-link" href=u rel="noopener noreferrer" target="_blank">{a.issue_key.clone().unwrap_or_else(|| "issue".into())}</a>
                                        })}
                                        {offer.then(|| view! {
                                            " "<button type="button" class="small secondary create-issue" aria-label=label
                                                disabled=move || panel.link.pending().get()
                                                on:click=move |_| {
                                                    if let Some(tracker) = chosen.get_untracked().or(first) {
                                                        panel.link.dispatch(CreateTrackerIssue { key: key.clone(), tracker });
                                                    }
                                                }>"Create issue"</button>
                                        })}
                                    </li>
                                }}).collect_view()}
                            </ul>
                            {page.next.is_some().then(|| view! { <a href=list_href>"All of this incident's actions"</a> })}
                        }.into_any()
                        }
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                    })
                }}
            </Transition>
            {move || panel.link.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
            <Transition fallback=|| ()>
                {move || {
                    let incident = incident.clone();
                    Suspend::new(async move {
                        let can_create = session.user.await.ok().flatten().is_some_and(|u| allows(u.role, u.id, Op::CreateAction));
                        can_create.then(|| view! { <QuickAction incident=incident panel=panel/> })
                    })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn QuickAction(incident: String, panel: ActionsPanel) -> impl IntoView {
    let create = panel.create;
    let title = RwSignal::new(String::new());
    let owner = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let kind = RwSignal::new(ActionKind::Corrective);
    let priority = RwSignal::new(Priority::Medium);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let owner = owner.get_untracked();
        create.dispatch(CreateAction {
            new: NewAction {
                incident: Some(incident.clone()),
                title: title.get_untracked(),
                owner: Some(owner).filter(|o| !o.trim().is_empty()),
                due_date: due.get_untracked().parse().ok(),
                kind: Some(kind.get_untracked()),
                priority: Some(priority.get_untracked()),
                ..Default::default()
            },
        });
    };
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(_))) {
            title.set(String::new());
        }
    });
    view! {
        <form class="quick-action" on:submit=submit id="quick-action">
            <input type="text" id="qa-title" required maxlength="200" accesskey="n" bind:value=title
                placeholder="New action (Alt+Shift+N)" aria-label="New action title"/>
            <input type="email" id="qa-owner" list="people-list" bind:value=owner placeholder="Owner e-mail (Enter to add)" aria-label="Owner"/>
            <div class="qa-row">
                <input type="date" id="qa-due" bind:value=due aria-label="Due date" title="Due date"/>
                <select id="qa-kind" aria-label="Kind" title="Kind" on:change=move |ev| { if let Ok(k) = event_target_value(&ev).parse() { kind.set(k); } }>
                    {ActionKind::ALL.iter().map(|k| view! { <option value=k.as_str() selected=*k == ActionKind::Corrective>{k.label()}</option> }).collect_view()}
                </select>
                <select id="qa-priority" aria-label="Priority" title="Priority" on:change=move |ev| { if let Ok(p) = event_target_value(&ev).parse() { priority.set(p); } }>
                    {Priority::ALL.iter().map(|p| view! { <option value=p.as_str() selected=*p == Priority::Medium>{p.label()}</option> }).collect_view()}
                </select>
                <button type="submit" id="qa-submit" disabled=move || create.pending().get()>"Add action"</button>
            </div>
            <PeopleList people=panel.people/>
            {move || create.value().get().map(|r| match r {
                Ok(a) => view! { <p class="ok" id="qa-created">"Created "<a href=format!("/actions/{}", a.key)>{a.key.clone()}</a></p> }.into_any(),
                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
            })}
        </form>
    }
}

/// `<datalist id="people-list">` of active users, for owner fields.
#[component]
pub fn PeopleList(people: Resource<Result<Vec<User>, AppError>>) -> impl IntoView {
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let people = people.await.unwrap_or_default();
                view! {
                    <datalist id="people-list">
                        {people.into_iter().filter(|u| u.active).map(|u| view! { <option value=u.email.clone()>{u.name.clone()}</option> }).collect_view()}
                    </datalist>
                }
            })}
        </Transition>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_text_counts_days_and_marks_only_past_dates_overdue() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        let d = |day| NaiveDate::from_ymd_opt(2026, 3, day);
        assert_eq!(due_text(d(7), today), ("overdue by 3 days".into(), true));
        assert_eq!(due_text(d(9), today), ("overdue by 1 day".into(), true));
        assert_eq!(due_text(d(10), today), ("due today".into(), false));
        assert_eq!(due_text(d(11), today), ("due tomorrow".into(), false));
        assert_eq!(due_text(d(15), today), ("due in 5 days".into(), false));
        assert_eq!(due_text(None, today), ("no due date".into(), false));
    }
}
