//! Server functions: each one finds the shared state and the caller, and delegates to the
//! service layer, so the UI and the REST API run the same code. Endpoints are fixed (no
//! hash suffix) under `/rpc`, apart from the REST API under `/api/v1`.

use leptos::prelude::*;

use crate::domain::settings::OrgSettings;
use crate::domain::{CommentOn, PostmortemStatus};
use crate::error::AppError;
use crate::model::{
    Action, ActionFilter, ActionInbox, ActionPatch, ActionSummary, ActionTransition, AuditEntry,
    CreatedToken, CurrentUser, EventPatch, Incident, IncidentFilter, IncidentKnownError,
    IncidentPatch, IncidentSummary, KnownError, KnownErrorFilter, KnownErrorPatch,
    KnownErrorSummary, Labels, Metrics, MetricsQuery, NewAction, NewEvent, NewIncident,
    NewKnownError, NewUser, Page, Postmortem, PostmortemContext, PostmortemFilter, PostmortemInput,
    PostmortemSummary, Suggestion, TimelineEvent, TimelineView, TokenInfo, User, UserPatch,
};
use crate::model::{
    Comment, CommentPatch, MePatch, MentionCandidate, NavigationCounts, NewComment,
    NotificationFilter, NotificationPage, Thread,
};

mod integrations;
pub use integrations::*;

#[cfg(feature = "ssr")]
pub(crate) mod ctx {
    //! What a server function needs from its request, and the one way its body runs.

    use leptos::prelude::*;

    use crate::error::{AppError, AppResult};
    use crate::ssr::AppState;
    use crate::ssr::auth::{Actor, Auth};

    pub fn state() -> AppResult<AppState> {
        use_context::<AppState>().ok_or_else(|| {
            tracing::error!("AppState missing from the server function context");
            AppError::internal()
        })
    }

    pub fn parts() -> AppResult<axum::http::request::Parts> {
        use_context::<axum::http::request::Parts>().ok_or_else(AppError::internal)
    }

    /// The caller if signed in.
    pub fn signed_in() -> AppResult<Option<Actor>> {
        let parts = parts()?;
        Ok(parts
            .extensions
            .get::<Auth>()
            .cloned()
            .unwrap_or_default()
            .0)
    }

    /// The signed-in caller, or 401.
    pub fn actor() -> AppResult<Actor> {
        signed_in()?.ok_or_else(AppError::unauthorized)
    }

    /// Runs a server function's body with the shared state and the signed-in caller (401
    /// without one), and gives its error its HTTP status.
    pub async fn run<T, F, Fut>(body: F) -> AppResult<T>
    where
        F: FnOnce(AppState, Actor) -> Fut,
        Fut: Future<Output = AppResult<T>>,
    {
        finish(async { body(state()?, actor()?).await }.await)
    }

    /// [`run`] for a body that needs the request itself rather than a signed-in caller
    /// (signing in and out).
    pub async fn run_request<T, F, Fut>(body: F) -> AppResult<T>
    where
        F: FnOnce(AppState, axum::http::request::Parts) -> Fut,
        Fut: Future<Output = AppResult<T>>,
    {
        finish(async { body(state()?, parts()?).await }.await)
    }

    /// Gives an error its HTTP status (server functions answer 500 otherwise).
    pub fn finish<T>(r: AppResult<T>) -> AppResult<T> {
        if let Err(e) = &r
            && let Some(res) = use_context::<leptos_axum::ResponseOptions>()
        {
            res.set_status(
                axum::http::StatusCode::from_u16(e.status())
                    .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
            );
        }
        r
    }

    /// Adds a response header (e.g. `Set-Cookie`).
    pub fn set_header(name: axum::http::HeaderName, value: &str) {
        if let (Some(res), Ok(v)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            axum::http::HeaderValue::from_str(value),
        ) {
            res.append_header(name, v);
        }
    }
}

/// Only local paths are followed after sign-in (no open redirect).
pub fn safe_next(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.chars().all(|c| c.is_ascii_graphic());
    if ok {
        next.to_owned()
    } else {
        "/incidents".to_owned()
    }
}

/// One page of the incident list.
#[server(prefix = "/rpc", endpoint = "list_incidents")]
pub async fn list_incidents(filter: IncidentFilter) -> Result<Page<IncidentSummary>, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::incident::list(&state.reader, &actor, &filter).await
    })
    .await
}

/// One incident with everything its page shows in the header.
#[server(prefix = "/rpc", endpoint = "get_incident")]
pub async fn get_incident(key: String) -> Result<Incident, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::incident::get(&state.reader, &actor, &key).await
    })
    .await
}

/// The incident page's timeline: its latest [`TIMELINE_SHOWN`](crate::model::TIMELINE_SHOWN)
/// entries, or all of them with `all`.
#[server(prefix = "/rpc", endpoint = "incident_timeline")]
pub async fn incident_timeline(key: String, all: bool) -> Result<TimelineView, AppError> {
    ctx::run(|state, actor| async move {
        let last = (!all).then_some(crate::model::TIMELINE_SHOWN);
        crate::ssr::services::incident::recent_timeline(&state.reader, &actor, &key, last).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "correct_timeline_event", input = server_fn::codec::Json)]
pub async fn correct_timeline_event(
    key: String,
    id: i64,
    patch: EventPatch,
) -> Result<TimelineEvent, AppError> {
    ctx::run(|state, actor| async move {
        let now = chrono::Utc::now();
        crate::ssr::services::incident::correct_event(&state.db, &actor, &key, id, patch, now).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "timeline_event_history")]
pub async fn timeline_event_history(key: String, id: i64) -> Result<Vec<AuditEntry>, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::incident::event_history(&state.reader, &actor, &key, id).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "incident_labels")]
pub async fn incident_labels() -> Result<Labels, AppError> {
    ctx::run(|state, actor| async move { state.labels.get(&state.reader, &actor).await }).await
}

#[server(prefix = "/rpc", endpoint = "declare_incident", input = server_fn::codec::Json)]
pub async fn declare_incident(new: NewIncident) -> Result<Incident, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::incident::create(&state.db, &actor, new, chrono::Utc::now()).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "update_incident", input = server_fn::codec::Json)]
pub async fn update_incident(key: String, patch: IncidentPatch) -> Result<Incident, AppError> {
    ctx::run(|state, actor| async move {
        let now = chrono::Utc::now();
        crate::ssr::services::incident::update(&state.db, &actor, &key, patch, now).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "add_timeline_event", input = server_fn::codec::Json)]
pub async fn add_timeline_event(key: String, event: NewEvent) -> Result<TimelineEvent, AppError> {
    ctx::run(|state, actor| async move {
        let now = chrono::Utc::now();
        crate::ssr::services::incident::add_event(&state.db, &actor, &key, event, now).await
    })
    .await
}

/// The postmortem of an incident, or `None` when it has none yet.
#[server(prefix = "/rpc", endpoint = "get_postmortem")]
pub async fn get_postmortem(key: String) -> Result<Option<Postmortem>, AppError> {
    ctx::run(|state, actor| async move {
        match crate::ssr::services::postmortem::get(&state.reader, &actor, &key).await {
            Ok(p) => Ok(Some(p)),
            Err(AppError::NotFound { .. }) => {
                // The incident itself must exist.
                crate::ssr::services::incident::get(&state.reader, &actor, &key).await?;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    })
    .await
}

/// The incident, timeline and actions the postmortem document shows.
#[server(prefix = "/rpc", endpoint = "get_postmortem_context")]
pub async fn get_postmortem_context(key: String) -> Result<PostmortemContext, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::postmortem::context(&state.reader, &actor, &key).await
    })
    .await
}

/// Creates (from the template) or saves the postmortem; a stale `version` is refused.
#[server(prefix = "/rpc", endpoint = "save_postmortem", input = server_fn::codec::Json)]
pub async fn save_postmortem(key: String, input: PostmortemInput) -> Result<Postmortem, AppError> {
    ctx::run(|state, actor| async move {
        let now = chrono::Utc::now();
        let saved = crate::ssr::services::postmortem::put(&state.db, &actor, &key, input, now);
        saved.await.map(|(p, _)| p)
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "transition_postmortem", input = server_fn::codec::Json)]
pub async fn transition_postmortem(
    key: String,
    to: PostmortemStatus,
    version: Option<i32>,
) -> Result<Postmortem, AppError> {
    ctx::run(|state, actor| async move {
        let transition = crate::model::PostmortemTransition { to, version };
        let now = chrono::Utc::now();
        crate::ssr::services::postmortem::transition(&state.db, &actor, &key, transition, now).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "approve_postmortem")]
pub async fn approve_postmortem(key: String) -> Result<Postmortem, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::postmortem::approve(&state.db, &actor, &key, chrono::Utc::now()).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "list_postmortems")]
pub async fn list_postmortems(
    filter: PostmortemFilter,
) -> Result<Page<PostmortemSummary>, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::postmortem::list(&state.reader, &actor, &filter, chrono::Utc::now())
            .await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "get_settings")]
pub async fn get_settings() -> Result<OrgSettings, AppError> {
    // The page never needs the webhook address once saved: it stays on the server.
    ctx::run(|state, actor| async move {
        let s = crate::ssr::services::settings::get(&state.reader, &actor).await?;
        Ok(s.without_secrets())
    })
    .await
}

/// Changes some settings (admins): an object of setting name → value.
#[server(prefix = "/rpc", endpoint = "update_settings", input = server_fn::codec::Json)]
pub async fn update_settings(
    patch: serde_json::Map<String, serde_json::Value>,
) -> Result<OrgSettings, AppError> {
    ctx::run(|state, actor| async move {
        let s =
            crate::ssr::services::settings::update(&state.db, &actor, patch, chrono::Utc::now())
                .await?;
        Ok(s.without_secrets())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "list_known_errors")]
pub async fn list_known_errors(
    filter: KnownErrorFilter,
) -> Result<Page<KnownErrorSummary>, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::known_error::list(&state.reader, &actor, &filter).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "get_known_error")]
pub async fn get_known_error(key: String) -> Result<KnownError, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::known_error::get(&state.reader, &actor, &key).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "create_known_error", input = server_fn::codec::Json)]
pub async fn create_known_error(new: NewKnownError) -> Result<KnownError, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::known_error::create(&state.db, &actor, new, chrono::Utc::now()).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "update_known_error", input = server_fn::codec::Json)]
pub async fn update_known_error(
    key: String,
    patch: KnownErrorPatch,
) -> Result<KnownError, AppError> {
    ctx::run(|state, actor| async move {
        let now = chrono::Utc::now();
        crate::ssr::services::known_error::update(&state.db, &actor, &key, patch, now).await
    })
    .await
}

/// Links an incident and a known error (from either page).
#[server(prefix = "/rpc", endpoint = "link_known_error")]
pub async fn link_known_error(
    known_error: String,
    incident: String,
) -> Result<KnownError, AppError> {
    ctx::run(|state, actor| async move {
        let (ke, now) = (&known_error, chrono::Utc::now());
        crate::ssr::services::known_error::link(&state.db, &actor, ke, &incident, now).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "unlink_known_error")]
pub async fn unlink_known_error(
    known_error: String,
    incident: String,
) -> Result<KnownError, AppError> {
    ctx::run(|state, actor| async move {
        let (ke, now) = (&known_error, chrono::Utc::now());
        crate::ssr::services::known_error::unlink(&state.db, &actor, ke, &incident, now).await
    })
    .await
}

/// The known errors linked to an incident, with recurrence.
#[server(prefix = "/rpc", endpoint = "incident_known_errors")]
pub async fn incident_known_errors(key: String) -> Result<Vec<IncidentKnownError>, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::known_error::for_incident(&state.reader, &actor, &key).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "suggested_known_errors")]
pub async fn suggested_known_errors(key: String) -> Result<Vec<Suggestion>, AppError> {
    ctx::run(|state, actor| async move {
        let n = crate::ssr::services::known_error::SUGGESTIONS;
        crate::ssr::services::known_error::suggest(&state.reader, &actor, &key, n).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "list_actions")]
pub async fn list_actions(filter: ActionFilter) -> Result<Page<ActionSummary>, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::action::list(&state.reader, &actor, &filter, chrono::Utc::now()).await
    })
    .await
}

/// "My actions".
#[server(prefix = "/rpc", endpoint = "my_actions")]
pub async fn my_actions() -> Result<ActionInbox, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::action::inbox(&state.reader, &actor, chrono::Utc::now()).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "get_action")]
pub async fn get_action(key: String) -> Result<Action, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::action::get(&state.reader, &actor, &key, chrono::Utc::now()).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "create_action", input = server_fn::codec::Json)]
pub async fn create_action(new: NewAction) -> Result<Action, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::action::create(&state.db, &actor, new, chrono::Utc::now()).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "update_action", input = server_fn::codec::Json)]
pub async fn update_action(key: String, patch: ActionPatch) -> Result<Action, AppError> {
    ctx::run(|state, actor| async move {
        let now = chrono::Utc::now();
        crate::ssr::services::action::update(&state.db, &actor, &key, patch, now).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "transition_action", input = server_fn::codec::Json)]
pub async fn transition_action(
    key: String,
    transition: ActionTransition,
) -> Result<Action, AppError> {
    ctx::run(|state, actor| async move {
        let now = chrono::Utc::now();
        crate::ssr::services::action::transition(&state.db, &actor, &key, transition, now).await
    })
    .await
}

/// The follow-through metrics (the dashboard).
// JSON: the query's absent dates and filters do not survive the URL encoding (a client-side
// visit to the dashboard was a 500).
#[server(prefix = "/rpc", endpoint = "get_metrics", input = server_fn::codec::Json)]
pub async fn get_metrics(query: MetricsQuery) -> Result<Metrics, AppError> {
    ctx::run(|state, actor| async move {
        let now = chrono::Utc::now();
        crate::ssr::services::metrics::compute(&state.reader, &actor, &query, now).await
    })
    .await
}

/// The signed-in user, if any.
#[server(prefix = "/rpc", endpoint = "whoami")]
pub async fn whoami() -> Result<Option<CurrentUser>, AppError> {
    ctx::finish(ctx::signed_in().map(|actor| actor.and_then(|a| a.user)))
}

/// Signs in and goes to `next`.
#[server(prefix = "/rpc", endpoint = "login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    ctx::run_request(|state, parts| async move {
        let now = chrono::Utc::now();
        let (_, cookie) = crate::ssr::auth::sign_in(&state, &parts, &email, &password, now).await?;
        ctx::set_header(axum::http::header::SET_COOKIE, &cookie);
        leptos_axum::redirect(&safe_next(next.as_deref().unwrap_or("/incidents")));
        Ok(())
    })
    .await
}

/// Signs out (the session ends on the server) and goes to the sign-in page.
#[server(prefix = "/rpc", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    ctx::run_request(|state, parts| async move {
        let now = chrono::Utc::now();
        let cookie = crate::ssr::auth::sign_out(&state, &parts.headers, now).await?;
        ctx::set_header(axum::http::header::SET_COOKIE, &cookie);
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<User>, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::users::list(&state.reader, &actor).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "create_user")]
pub async fn create_user(user: NewUser) -> Result<User, AppError> {
    ctx::run(|state, actor| async move {
        let password = user.password.clone().filter(|p| !p.is_empty());
        let user = NewUser { password, ..user };
        crate::ssr::services::users::create(&state.db, &actor, user, chrono::Utc::now()).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "update_user")]
pub async fn update_user(email: String, patch: UserPatch) -> Result<User, AppError> {
    ctx::run(|state, actor| async move {
        let now = chrono::Utc::now();
        crate::ssr::services::users::update(&state.db, &actor, &email, patch, now).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "list_tokens")]
pub async fn list_tokens() -> Result<Vec<TokenInfo>, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::tokens::list(&state.reader, &actor).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "create_token")]
pub async fn create_token(name: String) -> Result<CreatedToken, AppError> {
    ctx::run(|state, actor| async move {
        let now = chrono::Utc::now();
        crate::ssr::services::tokens::create(&state.db, &actor, None, &name, now).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "revoke_token")]
pub async fn revoke_token(id: i64) -> Result<TokenInfo, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::tokens::revoke(&state.db, &actor, id, chrono::Utc::now()).await
    })
    .await
}

/// One's own account (`/me`).
#[server(prefix = "/rpc", endpoint = "get_me")]
pub async fn get_me() -> Result<User, AppError> {
    ctx::run(
        |state, actor| async move { crate::ssr::services::me::get(&state.reader, &actor).await },
    )
    .await
}

/// Changes one's own name and/or password; `current_password` is always required.
#[server(prefix = "/rpc", endpoint = "update_me", input = server_fn::codec::Json)]
pub async fn update_me(patch: MePatch) -> Result<User, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::me::update(&state.db, &actor, patch, chrono::Utc::now()).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "list_my_tokens")]
pub async fn list_my_tokens() -> Result<Vec<TokenInfo>, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::me::list_tokens(&state.reader, &actor).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "create_my_token")]
pub async fn create_my_token(name: String) -> Result<CreatedToken, AppError> {
    ctx::run(|state, actor| async move {
        let now = chrono::Utc::now();
        crate::ssr::services::me::create_token(&state.db, &actor, &name, now).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "revoke_my_token")]
pub async fn revoke_my_token(id: i64) -> Result<TokenInfo, AppError> {
    ctx::run(|state, actor| async move {
        let now = chrono::Utc::now();
        crate::ssr::services::me::revoke_token(&state.db, &actor, id, now).await
    })
    .await
}

/// The address people use to reach the site, for the calendar-feed address on `/me`.
#[server(prefix = "/rpc", endpoint = "public_origin")]
pub async fn public_origin() -> Result<String, AppError> {
    ctx::run(|state, _| async move { Ok(state.config.public_origin.clone()) }).await
}

/// A record's history from the audit log, newest first.
#[server(prefix = "/rpc", endpoint = "record_history")]
pub async fn record_history(record_type: String, key: String) -> Result<Vec<AuditEntry>, AppError> {
    ctx::run(|state, actor| async move {
        actor.require(crate::domain::authz::Op::Read)?;
        let record_type = crate::ssr::audit::record_type(&record_type)?;
        crate::ssr::audit::history(&state.reader, record_type, &key, 500).await
    })
    .await
}

/// What the navigation counts: incidents being worked on and the caller's unread
/// notifications.
#[server(prefix = "/rpc", endpoint = "nav_counts")]
pub async fn nav_counts() -> Result<NavigationCounts, AppError> {
    use crate::ssr::services::{incident, notification};
    // The sign-in page shows the navigation too: a stranger counts nothing (not a 401).
    let Some(actor) = ctx::signed_in()? else {
        return Ok(NavigationCounts::default());
    };
    let state = ctx::state()?;
    ctx::finish(
        async {
            Ok(NavigationCounts {
                active_incidents: incident::active_count(&state.reader, &actor).await?,
                unread_notifications: notification::unread(&state.reader, &actor).await?,
            })
        }
        .await,
    )
}

/// The threads on a record.
#[server(prefix = "/rpc", endpoint = "list_comments")]
pub async fn list_comments(on: CommentOn, key: String) -> Result<Vec<Thread>, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::comment::list(&state.reader, &actor, on, &key).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "add_comment", input = server_fn::codec::Json)]
pub async fn add_comment(on: CommentOn, key: String, new: NewComment) -> Result<Comment, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::comment::create(&state.db, &actor, on, &key, new, chrono::Utc::now())
            .await
    })
    .await
}

/// Edits a comment's text, or resolves or reopens its thread.
#[server(prefix = "/rpc", endpoint = "edit_comment", input = server_fn::codec::Json)]
pub async fn edit_comment(id: i64, patch: CommentPatch) -> Result<Comment, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::comment::update(&state.db, &actor, id, patch, chrono::Utc::now())
            .await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "delete_comment")]
pub async fn delete_comment(id: i64) -> Result<Comment, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::comment::delete(&state.db, &actor, id, chrono::Utc::now()).await
    })
    .await
}

/// The people an `@` being typed may mean.
#[server(prefix = "/rpc", endpoint = "suggest_mentions")]
pub async fn suggest_mentions(prefix: String) -> Result<Vec<MentionCandidate>, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::comment::suggest(&state.reader, &actor, &prefix).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "list_notifications")]
pub async fn list_notifications(filter: NotificationFilter) -> Result<NotificationPage, AppError> {
    ctx::run(|state, actor| async move {
        crate::ssr::services::notification::list(&state.reader, &actor, &filter).await
    })
    .await
}

/// Marks the caller's notifications read: these `ids`, or all of them when `ids` is empty.
#[server(prefix = "/rpc", endpoint = "read_notifications", input = server_fn::codec::Json)]
pub async fn read_notifications(ids: Vec<i64>) -> Result<u64, AppError> {
    ctx::run(|state, actor| async move {
        use crate::ssr::services::notification;
        notification::mark_read(&state.db, &actor, &ids, chrono::Utc::now()).await
    })
    .await
}

/// Who has the page of `topic` (`postmortem:KEY`, `incident:KEY`) open now.
#[server(prefix = "/rpc", endpoint = "who_is_here")]
pub async fn who_is_here(topic: String) -> Result<Vec<crate::domain::live::Present>, AppError> {
    ctx::run(|state, actor| async move {
        let topic = crate::domain::live::Topic::parse(&topic)
            .map_err(|e| AppError::invalid("topic", e.to_string()))?;
        crate::ssr::live::present(&state.reader, &actor, &topic, chrono::Utc::now()).await
    })
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(
            super::safe_next("/incidents?status=open"),
            "/incidents?status=open"
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "/a b",
            "",
        ] {
            assert_eq!(super::safe_next(bad), "/incidents", "{bad}");
        }
    }
}
