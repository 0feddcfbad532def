//! Sessions, users and API tokens.

use app::model::{CurrentUser, NewUser, UserPatch};
use app::ssr::AppState;
use app::ssr::auth::{self, SESSION_COOKIE, clear_session_cookie, cookie_value, session_cookie};
use app::ssr::services::{tokens, users};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;

use super::{ApiJson, ApiResult, Me};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/session", post(login).delete(logout).get(whoami))
        .route("/users", get(list_users).post(create_user))
        .route("/users/{email}", get(get_user).patch(update_user))
        .route("/tokens", get(list_tokens).post(create_token))
        .route("/tokens/{id}", delete(revoke_token))
        .route("/history/{record_type}/{key}", get(history))
}

#[derive(Deserialize)]
struct Credentials {
    email: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Extension(addr): axum::Extension<crate::web::ClientAddr>,
    ApiJson(c): ApiJson<Credentials>,
) -> ApiResult<Response> {
    let settings = app::ssr::settings::load(&state.db).await?;
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let previous = cookie_value(&headers, SESSION_COOKIE);
    let s = auth::login(
        &state.db,
        auth::Attempt {
            email: &c.email,
            password: &c.password,
            address: &addr.0,
            user_agent: ua,
            previous: previous.as_deref(),
        },
        Utc::now(),
        &settings,
    )
    .await?;
    let max_age = (s.expires_at - Utc::now()).num_seconds();
    let cookie = session_cookie(&s.secret, max_age, state.config.secure_cookies);
    let body = serde_json::json!({ "user": s.actor.user, "expires_at": s.expires_at });
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(secret) = cookie_value(&headers, SESSION_COOKIE) {
        auth::logout(&state.db, &secret, Utc::now()).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(
            header::SET_COOKIE,
            clear_session_cookie(state.config.secure_cookies),
        )],
    )
        .into_response())
}

async fn whoami(Me(me): Me) -> Json<Option<CurrentUser>> {
    Json(me.user)
}

async fn list_users(State(s): State<AppState>, Me(me): Me) -> ApiResult<impl IntoResponse> {
    Ok(Json(users::list(&s.db, &me).await?))
}

async fn create_user(
    State(s): State<AppState>,
    Me(me): Me,
    ApiJson(new): ApiJson<NewUser>,
) -> ApiResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(users::create(&s.db, &me, new, Utc::now()).await?),
    ))
}

async fn get_user(
    State(s): State<AppState>,
    Me(me): Me,
    Path(email): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(users::get(&s.db, &me, &email).await?))
}

async fn update_user(
    State(s): State<AppState>,
    Me(me): Me,
    Path(email): Path<String>,
    ApiJson(patch): ApiJson<UserPatch>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        users::update(&s.db, &me, &email, patch, Utc::now()).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
    /// Admins may create a token for another user.
    #[serde(default)]
    owner: Option<String>,
}

async fn list_tokens(State(s): State<AppState>, Me(me): Me) -> ApiResult<impl IntoResponse> {
    Ok(Json(tokens::list(&s.db, &me).await?))
}

async fn create_token(
    State(s): State<AppState>,
    Me(me): Me,
    ApiJson(t): ApiJson<NewToken>,
) -> ApiResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(tokens::create(&s.db, &me, t.owner.as_deref(), &t.name, Utc::now()).await?),
    ))
}

async fn revoke_token(
    State(s): State<AppState>,
    Me(me): Me,
    Path(id): Path<i64>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(tokens::revoke(&s.db, &me, id, Utc::now()).await?))
}

async fn history(
    State(s): State<AppState>,
    Me(me): Me,
    Path((record_type, key)): Path<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    me.require(app::domain::authz::Op::Read)?;
    Ok(Json(
        app::ssr::audit::history(&s.db, &record_type, &key, 500).await?,
    ))
}
