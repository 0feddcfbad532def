//! Comment threads on a record (incident, postmortem, action, known error): replies one level
//! deep, edit by the author, removal by the author or an admin, review threads resolved,
//! `@e-mail` mentions suggested as they are typed, and an optional quoted passage.

use leptos::prelude::*;

use crate::api::{AddComment, DeleteComment, EditComment, SuggestMentions, list_comments};
use crate::components::error_box::ErrorBox;
use crate::components::format;
use crate::components::live::{LiveMessage, live_ticks, use_live};
use crate::components::session::use_session;
use crate::domain::comment::{may_comment, may_delete, may_edit, may_resolve, mention_prefix};
use crate::domain::live::LiveKind;
use crate::domain::{CommentOn, Role, UserId};
use crate::model::{Comment, CommentPatch, CurrentUser, NewComment, Thread, comment_anchor};

/// The stream topic of a record's comments.
fn topic(on: CommentOn, key: &str) -> String {
    match on {
        CommentOn::Incident => format!("incident:{key}"),
        CommentOn::Postmortem => format!("postmortem:{key}"),
        CommentOn::Action => format!("action:{key}"),
        CommentOn::KnownError => format!("known-error:{key}"),
    }
}

/// The resources and actions of a record's comments, made with the page (so they hydrate:
/// a resource created inside a suspended view would not) and handed to [`Comments`].
#[derive(Clone, Copy)]
pub struct CommentsPanel {
    on: CommentOn,
    key: Signal<String>,
    threads: Resource<Result<Vec<Thread>, crate::error::AppError>>,
    add: ServerAction<AddComment>,
    edit: ServerAction<EditComment>,
    delete: ServerAction<DeleteComment>,
}

impl CommentsPanel {
    /// The comments of the record `key` gives. `live` is the page's stream when it has one
    /// on this record; otherwise the panel opens its own.
    pub fn new(
        on: CommentOn,
        key: impl Fn() -> String + Send + Sync + 'static,
        live: Option<ReadSignal<Option<LiveMessage>>>,
    ) -> Self {
        let key = Signal::derive(key);
        let add = ServerAction::<AddComment>::new();
        let edit = ServerAction::<EditComment>::new();
        let delete = ServerAction::<DeleteComment>::new();
        let live = live.unwrap_or_else(|| use_live(move || Some(topic(on, &key.get()))));
        // The stream names the record by the same word as the comment's record type.
        let record = on.as_str();
        let changed = live_ticks(live, move |m| {
            m.kind == LiveKind::CommentAdded
                && m.data.record == record
                && m.data.key == key.get_untracked()
        });
        let threads = Resource::new(
            move || {
                (
                    key.get(),
                    add.version().get(),
                    edit.version().get(),
                    delete.version().get(),
                    changed.get(),
                )
            },
            move |(k, ..)| list_comments(on, k),
        );
        Self {
            on,
            key,
            threads,
            add,
            edit,
            delete,
        }
    }
}

/// The threads of one record and the box to start one. `quote`, when given, holds a passage
/// the next comment is about (the postmortem editor fills it).
#[component]
pub fn Comments(
    panel: CommentsPanel,
    #[prop(optional)] quote: Option<RwSignal<String>>,
    /// Called with the number of open review threads whenever the list loads.
    #[prop(optional, into)]
    on_open_threads: Option<Callback<usize>>,
) -> impl IntoView {
    let CommentsPanel {
        on,
        key,
        threads,
        add,
        edit,
        delete,
    } = panel;
    let ctx = Ctx {
        on,
        key,
        me: StoredValue::new(None),
        add,
        edit,
        delete,
        replying: RwSignal::new(None),
        editing: RwSignal::new(None),
    };
    let session = use_session();
    // Read, not awaited: the composer is made with the page and shown once the reader is
    // known to be one who comments.
    let can_comment = move || {
        session
            .user
            .get()
            .and_then(Result::ok)
            .flatten()
            .is_some_and(|u| may_comment(u.role, u.id))
    };
    let quote = quote.unwrap_or_else(|| RwSignal::new(String::new()));
    view! {
        <section class="card comments" id="comments">
            <h2>"Comments"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading comments…"</p> }>
                {move || Suspend::new(async move {
                    let me = session.user.await.ok().flatten();
                    ctx.me.set_value(me);
                    match threads.await {
                        Ok(list) => {
                            if let Some(cb) = on_open_threads {
                                cb.run(list.iter().filter(|t| !t.comment.resolved && !t.comment.deleted).count());
                            }
                            if list.is_empty() {
                                view! { <p class="muted" id="no-comments">"No comments yet."</p> }.into_any()
                            } else {
                                view! {
                                    <ol class="threads">
                                        {list.into_iter().map(|t| view! { <ThreadView t=t ctx=ctx/> }).collect_view()}
                                    </ol>
                                }.into_any()
                            }
                        }
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    }
                })}
            </Transition>
            <div class="composer-slot" hidden=move || !can_comment()>
                <Composer ctx=ctx parent=None quote=quote/>
            </div>
        </section>
    }
}

/// What every part of a thread needs, `Copy`.
#[derive(Clone, Copy)]
struct Ctx {
    on: CommentOn,
    key: Signal<String>,
    me: StoredValue<Option<CurrentUser>>,
    add: ServerAction<AddComment>,
    edit: ServerAction<EditComment>,
    delete: ServerAction<DeleteComment>,
    /// The thread whose reply box is open.
    replying: RwSignal<Option<i64>>,
    /// The comment being edited.
    editing: RwSignal<Option<i64>>,
}

impl Ctx {
    fn me(&self) -> Option<(Role, UserId, String)> {
        self.me
            .with_value(|m| m.as_ref().map(|u| (u.role, u.id, u.email.clone())))
    }
}

#[component]
fn ThreadView(t: Thread, ctx: Ctx) -> impl IntoView {
    let top = t.comment.id;
    let resolved = t.comment.resolved;
    view! {
        <li class="thread" class:resolved=resolved>
            <CommentView c=t.comment ctx=ctx top=true/>
            {(!t.replies.is_empty()).then(|| view! {
                <ol class="replies">
                    {t.replies.into_iter().map(|c| view! { <li><CommentView c=c ctx=ctx top=false/></li> }).collect_view()}
                </ol>
            })}
            {move || (ctx.replying.get() == Some(top)).then(|| view! {
                <Composer ctx=ctx parent=Some(top) quote=RwSignal::new(String::new())/>
            })}
        </li>
    }
}

#[component]
fn CommentView(c: Comment, ctx: Ctx, top: bool) -> impl IntoView {
    let id = c.id;
    let me = ctx.me();
    // The wire carries the author's e-mail; the rules compare ids, so compare e-mails here.
    // The wire names the author by e-mail; the rules take ids, so the author is the reader
    // or, for the rules, anyone else.
    let mine = me.as_ref().is_some_and(|(_, _, email)| *email == c.author);
    let role = me.as_ref().map(|(r, ..)| *r);
    let my_id = me.as_ref().map_or(UserId(0), |(_, id, _)| *id);
    let author_id = if mine { my_id } else { UserId(my_id.0 + 1) };
    let can_edit = !c.deleted && mine && may_edit(my_id, author_id);
    let can_delete = !c.deleted && role.is_some_and(|r| may_delete(r, my_id, author_id));
    let can_resolve = top && !c.deleted && role.is_some_and(|r| may_resolve(r, my_id, author_id));
    let can_reply = top && role.is_some_and(|r| may_comment(r, my_id));
    let version = c.version;
    let resolved = c.resolved;
    let body = RwSignal::new(c.body.clone());
    let save_edit = move || {
        ctx.edit.dispatch(EditComment {
            id,
            patch: CommentPatch {
                body: Some(body.get_untracked()),
                resolved: None,
                version,
            },
        });
    };
    Effect::new(move |_| {
        if let Some(Ok(saved)) = ctx.edit.value().get()
            && saved.id == id
            && ctx.editing.get_untracked() == Some(id)
        {
            ctx.editing.set(None);
        }
    });
    let when = c.edited_at.map_or_else(
        || format::datetime(c.created_at),
        |e| {
            format!(
                "{} · edited {}",
                format::datetime(c.created_at),
                format::datetime(e)
            )
        },
    );
    let shown = {
        let c = c.clone();
        move || {
            if ctx.editing.get() == Some(id) {
                view! {
                    <form class="comment-edit" on:submit=move |ev| { ev.prevent_default(); save_edit(); }>
                        <MentionArea text=body id=format!("comment-edit-{id}") label="Edit comment" on_send=Callback::new(move |()| save_edit())/>
                        <div class="button-row">
                            <button type="submit" class="small">"Save"</button>
                            <button type="button" class="secondary small" on:click=move |_| ctx.editing.set(None)>"Cancel"</button>
                        </div>
                        {move || ctx.edit.value().get().and_then(Result::err).map(|e| view! { <ErrorBox error=e/> })}
                    </form>
                }
                .into_any()
            } else if c.deleted {
                view! { <p class="muted removed">"This comment was removed."</p> }.into_any()
            } else {
                view! { <div class="doc comment-body" inner_html=crate::markdown::render(&c.body)></div> }.into_any()
            }
        }
    };
    view! {
        <article class="comment" id=comment_anchor(id)>
            <header class="comment-head">
                <strong>{c.author_name.clone()}</strong>
                <span class="muted small">" "{when}</span>
                {(top && resolved).then(|| view! { <span class="pill resolved-pill">"Resolved"</span> })}
            </header>
            {c.quote.clone().filter(|q| !q.trim().is_empty()).map(|q| view! { <blockquote class="comment-quote">{q}</blockquote> })}
            {shown}
            <div class="comment-tools">
                {can_reply.then(|| view! {
                    <button type="button" class="link-button small reply" on:click=move |_| ctx.replying.set(Some(id))>"Reply"</button>
                })}
                {can_edit.then(|| view! {
                    <button type="button" class="link-button small edit-comment" on:click=move |_| ctx.editing.set(Some(id))>"Edit"</button>
                })}
                {can_resolve.then(|| view! {
                    <button type="button" class="link-button small resolve"
                        on:click=move |_| { ctx.edit.dispatch(EditComment { id, patch: CommentPatch { body: None, resolved: Some(!resolved), version } }); }>
                        {if resolved { "Reopen" } else { "Resolve" }}
                    </button>
                })}
                {can_delete.then(|| view! {
                    <button type="button" class="link-button small danger delete-comment"
                        on:click=move |_| {
                            if confirm("Remove this comment? Its replies stay.") {
                                ctx.delete.dispatch(DeleteComment { id });
                            }
                        }>"Remove"</button>
                })}
            </div>
        </article>
    }
}

/// Asks the reader to confirm (always yes on the server, where nothing is clicked).
pub fn confirm(message: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        window().confirm_with_message(message).unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = message;
        true
    }
}

/// The box that writes a new comment (or a reply to `parent`).
#[component]
fn Composer(ctx: Ctx, parent: Option<i64>, quote: RwSignal<String>) -> impl IntoView {
    let body = RwSignal::new(String::new());
    let id = parent.map_or_else(|| "comment-new".to_owned(), |p| format!("reply-{p}"));
    // This box's own submission: cleared once it is stored.
    let sent = RwSignal::new(false);
    let send = move || {
        sent.set(true);
        let q = quote.get_untracked();
        ctx.add.dispatch(AddComment {
            on: ctx.on,
            key: ctx.key.get_untracked(),
            new: NewComment {
                body: body.get_untracked(),
                parent,
                quote: (!q.trim().is_empty()).then_some(q),
            },
        });
    };
    Effect::new(move |_| {
        if let Some(Ok(c)) = ctx.add.value().get()
            && c.parent == parent
            && sent.get_untracked()
        {
            body.set(String::new());
            quote.set(String::new());
            sent.set(false);
            if parent.is_some() {
                ctx.replying.set(None);
            }
        }
    });
    let label = if parent.is_some() { "Reply" } else { "Comment" };
    view! {
        <form class="composer" id=format!("{id}-form") on:submit=move |ev| { ev.prevent_default(); send(); }>
            {move || {
                let q = quote.get();
                (!q.trim().is_empty()).then(|| view! {
                    <div class="quote-draft">
                        <blockquote class="comment-quote">{q}</blockquote>
                        <button type="button" class="link-button small" on:click=move |_| quote.set(String::new())>"Drop the quote"</button>
                    </div>
                })
            }}
            <MentionArea text=body id=id.clone() label=label on_send=Callback::new(move |()| send())/>
            <div class="button-row">
                <button type="submit" class="small" id=format!("{id}-submit")>{label}</button>
                {parent.is_some().then(|| view! {
                    <button type="button" class="secondary small" on:click=move |_| ctx.replying.set(None)>"Cancel"</button>
                })}
                <span class="muted small">"Markdown · @e-mail mentions · Ctrl+Enter sends"</span>
            </div>
            {move || sent.get().then(|| ctx.add.value().get().and_then(Result::err)).flatten().map(|e| view! { <ErrorBox error=e/> })}
        </form>
    }
}

/// A textarea that suggests people while an `@e-mail` is being typed at its end; picking one
/// (click, or Tab to it and Enter) completes the address.
#[component]
fn MentionArea(
    text: RwSignal<String>,
    id: String,
    label: &'static str,
    /// Ctrl+Enter (or Cmd+Enter).
    on_send: Callback<()>,
) -> impl IntoView {
    let typed = Memo::new(move |_| {
        text.with(|t| {
            mention_prefix(t)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
        })
    });
    // Asked as the address is typed; only the latest answer counts. An action, not a
    // resource: nothing to fetch while the page is rendered on the server.
    let suggest = ServerAction::<SuggestMentions>::new();
    Effect::new(move |_| {
        if let Some(prefix) = typed.get() {
            suggest.dispatch(SuggestMentions { prefix });
        }
    });
    let people = move || {
        typed
            .get()
            .and(suggest.value().get())
            .and_then(Result::ok)
            .unwrap_or_default()
    };
    let pick = move |email: String| {
        text.update(|t| {
            if let Some(p) = mention_prefix(t) {
                let cut = t.len() - p.len();
                t.truncate(cut);
                t.push_str(&email);
                t.push(' ');
            }
        });
    };
    let list_id = format!("{id}-people");
    view! {
        <textarea id=id.clone() class="comment-input" rows="3" aria-label=label bind:value=text
            on:keydown=move |ev| {
                if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                    ev.prevent_default();
                    on_send.run(());
                }
            }></textarea>
        {move || {
            let list = people();
            (!list.is_empty()).then(|| view! {
                <ul class="mention-list" id=list_id.clone() aria-label="People to mention">
                    {list.into_iter().take(8).map(|p| {
                        let email = p.email.clone();
                        view! {
                            <li><button type="button" class="link-button small mention-pick"
                                on:click=move |_| pick(email.clone())>
                                {p.name}" "<span class="muted">{p.email}</span>
                            </button></li>
                        }
                    }).collect_view()}
                </ul>
            })
        }}
    }
}
