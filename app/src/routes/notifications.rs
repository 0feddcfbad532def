//! `/notifications`: the reader's mentions and review requests, newest first, unread ones
//! marked; each opens the comment (or the postmortem) in place and counts as read.

use leptos::prelude::*;

use crate::api::{ReadNotifications, list_notifications};
use crate::components::error_box::ErrorBox;
use crate::components::format;
use crate::components::layout::PageHead;
use crate::components::live::{live_ticks, use_live};
use crate::domain::live::LiveKind;
use crate::model::{Notification, NotificationFilter};

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let read = ServerAction::<ReadNotifications>::new();
    let live = use_live(|| Some("notifications".to_owned()));
    let arrived = live_ticks(live, |m| m.kind == LiveKind::CommentAdded);
    let page = Resource::new(
        move || (read.version().get(), arrived.get()),
        |_| {
            list_notifications(NotificationFilter {
                limit: Some(100),
                ..Default::default()
            })
        },
    );
    view! {
        <PageHead heading="Notifications">
            <button type="button" class="secondary" id="read-all"
                on:click=move |_| { read.dispatch(ReadNotifications { ids: Vec::new() }); }>
                "Mark all read"
            </button>
        </PageHead>
        <Transition fallback=|| view! { <p class="muted">"Loading notifications…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) if p.items.is_empty() => view! {
                        <p class="muted" id="no-notifications">"Nothing for you yet. When someone mentions you with @ and your e-mail, or asks you to review a postmortem, it shows here."</p>
                    }.into_any(),
                    Ok(p) => view! {
                        <p class="muted" id="unread-count">{match p.unread { 0 => "All read.".to_owned(), 1 => "1 unread.".to_owned(), n => format!("{n} unread.") }}</p>
                        <ul class="notifications" id="notifications">
                            {p.items.into_iter().map(|n| view! { <NotificationRow n=n read=read/> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn NotificationRow(n: Notification, read: ServerAction<ReadNotifications>) -> impl IntoView {
    let unread = n.read_at.is_none();
    let id = n.id;
    let what = format!(
        "{} · {} {}",
        n.kind.label(),
        n.record_type.label(),
        n.record
    );
    view! {
        <li class="notification" class:unread=unread id=format!("notification-{id}")>
            <a href=n.link.clone() class="notification-link"
                on:click=move |_| { if unread { read.dispatch(ReadNotifications { ids: vec![id] }); } }>
                <span class="notification-what">{what}</span>
                {n.excerpt.map(|e| view! { <span class="notification-excerpt">{e}</span> })}
            </a>
            <span class="muted small">
                {n.actor.map(|a| format!("{a} · "))}
                <time datetime=n.created_at.to_rfc3339()>{format::datetime(n.created_at)}</time>
            </span>
            {unread.then(|| view! {
                <button type="button" class="link-button small mark-read"
                    on:click=move |_| { read.dispatch(ReadNotifications { ids: vec![id] }); }>"Mark read"</button>
            })}
        </li>
    }
}
