//! Server functions: each one finds the shared state and the caller, and delegates to the
//! service layer, so the UI and the REST API run the same code. Endpoints are fixed (no
//! hash suffix) under `/rpc`, apart from the REST API under `/api/v1`.

use leptos::prelude::*;

use crate::domain::PostmortemStatus;
use crate::domain::settings::OrgSettings;
use crate::error::AppError;
use crate::model::{
    Action, ActionFilter, ActionInbox, ActionPatch, ActionSummary, ActionTransition, AuditEntry,
    CreatedToken, CurrentUser, Incident, IncidentFilter, IncidentKnownError, IncidentPatch,
    IncidentSummary, KnownError, KnownErrorFilter, KnownErrorPatch, KnownErrorSummary, Metrics,
    MetricsQuery, NewAction, NewEvent, NewIncident, NewKnownError, NewUser, Page, Postmortem,
    PostmortemContext, PostmortemFilter, PostmortemInput, PostmortemSummary, Suggestion,
    TimelineEvent, TokenInfo, User, UserPatch,
};

#[cfg(feature = "ssr")]
pub(crate) mod ctx {
    //! What a server function needs from its request.

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

    /// The signed-in caller, or 401.
    pub fn actor() -> AppResult<Actor> {
        let parts = parts()?;
        let auth = parts.extensions.get::<Auth>().cloned().unwrap_or_default();
        auth.0.ok_or_else(AppError::unauthorized)
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
    ctx::finish(
        async move {
            crate::ssr::services::incidents::list(&ctx::state()?.db, &ctx::actor()?, &filter).await
        }
        .await,
    )
}

/// One incident with everything its page shows in the header.
#[server(prefix = "/rpc", endpoint = "get_incident")]
pub async fn get_incident(key: String) -> Result<Incident, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::incident_write::get(&ctx::state()?.db, &ctx::actor()?, &key).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "incident_timeline")]
pub async fn incident_timeline(key: String) -> Result<Vec<TimelineEvent>, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::incident_write::timeline(&ctx::state()?.db, &ctx::actor()?, &key)
                .await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "declare_incident", input = server_fn::codec::Json)]
pub async fn declare_incident(new: NewIncident) -> Result<Incident, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::incident_write::create(
                &ctx::state()?.db,
                &ctx::actor()?,
                new,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "update_incident", input = server_fn::codec::Json)]
pub async fn update_incident(key: String, patch: IncidentPatch) -> Result<Incident, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::incident_write::update(
                &ctx::state()?.db,
                &ctx::actor()?,
                &key,
                patch,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "add_timeline_event", input = server_fn::codec::Json)]
pub async fn add_timeline_event(key: String, event: NewEvent) -> Result<TimelineEvent, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::incident_write::add_event(
                &ctx::state()?.db,
                &ctx::actor()?,
                &key,
                event,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

/// The postmortem of an incident, or `None` when it has none yet.
#[server(prefix = "/rpc", endpoint = "get_postmortem")]
pub async fn get_postmortem(key: String) -> Result<Option<Postmortem>, AppError> {
    ctx::finish(
        async move {
            match crate::ssr::services::postmortems::get(&ctx::state()?.db, &ctx::actor()?, &key)
                .await
            {
                Ok(p) => Ok(Some(p)),
                Err(AppError::NotFound { .. }) => {
                    // The incident itself must exist.
                    crate::ssr::services::incident_write::get(
                        &ctx::state()?.db,
                        &ctx::actor()?,
                        &key,
                    )
                    .await?;
                    Ok(None)
                }
                Err(e) => Err(e),
            }
        }
        .await,
    )
}

/// The incident, timeline and actions the postmortem document shows.
#[server(prefix = "/rpc", endpoint = "get_postmortem_context")]
pub async fn get_postmortem_context(key: String) -> Result<PostmortemContext, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::postmortems::context(&ctx::state()?.db, &ctx::actor()?, &key)
                .await
        }
        .await,
    )
}

/// Creates (from the template) or saves the postmortem; a stale `version` is refused.
#[server(prefix = "/rpc", endpoint = "save_postmortem", input = server_fn::codec::Json)]
pub async fn save_postmortem(key: String, input: PostmortemInput) -> Result<Postmortem, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::postmortems::put(
                &ctx::state()?.db,
                &ctx::actor()?,
                &key,
                input,
                chrono::Utc::now(),
            )
            .await
            .map(|(p, _)| p)
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "transition_postmortem", input = server_fn::codec::Json)]
pub async fn transition_postmortem(
    key: String,
    to: PostmortemStatus,
    version: Option<i32>,
) -> Result<Postmortem, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::postmortems::transition(
                &ctx::state()?.db,
                &ctx::actor()?,
                &key,
                crate::model::PostmortemTransition { to, version },
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "approve_postmortem")]
pub async fn approve_postmortem(key: String) -> Result<Postmortem, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::postmortems::approve(
                &ctx::state()?.db,
                &ctx::actor()?,
                &key,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "list_postmortems")]
pub async fn list_postmortems(
    filter: PostmortemFilter,
) -> Result<Page<PostmortemSummary>, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::postmortems::list(
                &ctx::state()?.db,
                &ctx::actor()?,
                &filter,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "get_settings")]
pub async fn get_settings() -> Result<OrgSettings, AppError> {
    ctx::finish(
        async move { crate::ssr::settings::get(&ctx::state()?.db, &ctx::actor()?).await }.await,
    )
}

/// Changes some settings (admins): an object of setting name → value.
#[server(prefix = "/rpc", endpoint = "update_settings", input = server_fn::codec::Json)]
pub async fn update_settings(
    patch: serde_json::Map<String, serde_json::Value>,
) -> Result<OrgSettings, AppError> {
    ctx::finish(
        async move {
            crate::ssr::settings::update(
                &ctx::state()?.db,
                &ctx::actor()?,
                patch,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "list_known_errors")]
pub async fn list_known_errors(
    filter: KnownErrorFilter,
) -> Result<Page<KnownErrorSummary>, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::known_errors::list(&ctx::state()?.db, &ctx::actor()?, &filter)
                .await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "get_known_error")]
pub async fn get_known_error(key: String) -> Result<KnownError, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::known_errors::get(&ctx::state()?.db, &ctx::actor()?, &key).await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "create_known_error", input = server_fn::codec::Json)]
pub async fn create_known_error(new: NewKnownError) -> Result<KnownError, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::known_errors::create(
                &ctx::state()?.db,
                &ctx::actor()?,
                new,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "update_known_error", input = server_fn::codec::Json)]
pub async fn update_known_error(
    key: String,
    patch: KnownErrorPatch,
) -> Result<KnownError, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::known_errors::update(
                &ctx::state()?.db,
                &ctx::actor()?,
                &key,
                patch,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

/// Links an incident and a known error (from either page).
#[server(prefix = "/rpc", endpoint = "link_known_error")]
pub async fn link_known_error(
    known_error: String,
    incident: String,
) -> Result<KnownError, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::known_errors::link(
                &ctx::state()?.db,
                &ctx::actor()?,
                &known_error,
                &incident,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "unlink_known_error")]
pub async fn unlink_known_error(
    known_error: String,
    incident: String,
) -> Result<KnownError, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::known_errors::unlink(
                &ctx::state()?.db,
                &ctx::actor()?,
                &known_error,
                &incident,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

/// The known errors linked to an incident, with recurrence.
#[server(prefix = "/rpc", endpoint = "incident_known_errors")]
pub async fn incident_known_errors(key: String) -> Result<Vec<IncidentKnownError>, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::known_errors::for_incident(
                &ctx::state()?.db,
                &ctx::actor()?,
                &key,
            )
            .await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "suggested_known_errors")]
pub async fn suggested_known_errors(key: String) -> Result<Vec<Suggestion>, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::known_errors::suggest(
                &ctx::state()?.db,
                &ctx::actor()?,
                &key,
                crate::ssr::services::known_errors::SUGGESTIONS,
            )
            .await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "list_actions")]
pub async fn list_actions(filter: ActionFilter) -> Result<Page<ActionSummary>, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::actions::list(
                &ctx::state()?.db,
                &ctx::actor()?,
                &filter,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

/// "My actions".
#[server(prefix = "/rpc", endpoint = "my_actions")]
pub async fn my_actions() -> Result<ActionInbox, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::actions::inbox(
                &ctx::state()?.db,
                &ctx::actor()?,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "get_action")]
pub async fn get_action(key: String) -> Result<Action, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::actions::get(
                &ctx::state()?.db,
                &ctx::actor()?,
                &key,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "create_action", input = server_fn::codec::Json)]
pub async fn create_action(new: NewAction) -> Result<Action, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::actions::create(
                &ctx::state()?.db,
                &ctx::actor()?,
                new,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "update_action", input = server_fn::codec::Json)]
pub async fn update_action(key: String, patch: ActionPatch) -> Result<Action, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::actions::update(
                &ctx::state()?.db,
                &ctx::actor()?,
                &key,
                patch,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "transition_action", input = server_fn::codec::Json)]
pub async fn transition_action(
    key: String,
    transition: ActionTransition,
) -> Result<Action, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::actions::transition(
                &ctx::state()?.db,
                &ctx::actor()?,
                &key,
                transition,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

/// The follow-through metrics (the dashboard).
#[server(prefix = "/rpc", endpoint = "get_metrics")]
pub async fn get_metrics(query: MetricsQuery) -> Result<Metrics, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::metrics::compute(
                &ctx::state()?.reader,
                &ctx::actor()?,
                &query,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

/// The signed-in user, if any.
#[server(prefix = "/rpc", endpoint = "whoami")]
pub async fn whoami() -> Result<Option<CurrentUser>, AppError> {
    ctx::finish(
        async move {
            let parts = ctx::parts()?;
            let auth = parts
                .extensions
                .get::<crate::ssr::auth::Auth>()
                .cloned()
                .unwrap_or_default();
            Ok(auth.0.and_then(|a| a.user))
        }
        .await,
    )
}

/// Signs in and goes to `next`.
#[server(prefix = "/rpc", endpoint = "login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    ctx::finish(
        async move {
            let (_, cookie) = crate::ssr::auth::sign_in(
                &ctx::state()?,
                &ctx::parts()?,
                &email,
                &password,
                chrono::Utc::now(),
            )
            .await?;
            ctx::set_header(axum::http::header::SET_COOKIE, &cookie);
            leptos_axum::redirect(&safe_next(next.as_deref().unwrap_or("/incidents")));
            Ok(())
        }
        .await,
    )
}

/// Signs out (the session ends on the server) and goes to the sign-in page.
#[server(prefix = "/rpc", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    ctx::finish(
        async move {
            let cookie = crate::ssr::auth::sign_out(
                &ctx::state()?,
                &ctx::parts()?.headers,
                chrono::Utc::now(),
            )
            .await?;
            ctx::set_header(axum::http::header::SET_COOKIE, &cookie);
            leptos_axum::redirect("/login");
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<User>, AppError> {
    ctx::finish(
        async move { crate::ssr::services::users::list(&ctx::state()?.db, &ctx::actor()?).await }
            .await,
    )
}

#[server(prefix = "/rpc", endpoint = "create_user")]
pub async fn create_user(user: NewUser) -> Result<User, AppError> {
    ctx::finish(
        async move {
            let password = user.password.clone().filter(|p| !p.is_empty());
            let user = NewUser { password, ..user };
            crate::ssr::services::users::create(
                &ctx::state()?.db,
                &ctx::actor()?,
                user,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "update_user")]
pub async fn update_user(email: String, patch: UserPatch) -> Result<User, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::users::update(
                &ctx::state()?.db,
                &ctx::actor()?,
                &email,
                patch,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "list_tokens")]
pub async fn list_tokens() -> Result<Vec<TokenInfo>, AppError> {
    ctx::finish(
        async move { crate::ssr::services::tokens::list(&ctx::state()?.db, &ctx::actor()?).await }
            .await,
    )
}

#[server(prefix = "/rpc", endpoint = "create_token")]
pub async fn create_token(name: String) -> Result<CreatedToken, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::tokens::create(
                &ctx::state()?.db,
                &ctx::actor()?,
                None,
                &name,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

#[server(prefix = "/rpc", endpoint = "revoke_token")]
pub async fn revoke_token(id: i64) -> Result<TokenInfo, AppError> {
    ctx::finish(
        async move {
            crate::ssr::services::tokens::revoke(
                &ctx::state()?.db,
                &ctx::actor()?,
                id,
                chrono::Utc::now(),
            )
            .await
        }
        .await,
    )
}

/// A record's history from the audit log, newest first.
#[server(prefix = "/rpc", endpoint = "record_history")]
pub async fn record_history(record_type: String, key: String) -> Result<Vec<AuditEntry>, AppError> {
    ctx::finish(
        async move {
            let actor = ctx::actor()?;
            actor.require(crate::domain::authz::Op::Read)?;
            crate::ssr::audit::history(&ctx::state()?.db, &record_type, &key, 500).await
        }
        .await,
    )
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
