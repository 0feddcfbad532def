//! Sessions, users and API tokens.

use app::model::{
    AuditEntry, CreatedToken, CurrentUser, MePatch, NewUser, TokenInfo, User, UserPatch,
};
use app::ssr::AppState;
use app::ssr::auth;
use app::ssr::services::{me as account, tokens, users};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;

use super::{ApiJson, ApiResult, ErrorBody, Me};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/session", post(login).delete(logout).get(whoami))
        .route("/users", get(list_users).post(create_user))
        .route("/users/{email}", get(get_user).patch(update_user))
        .route("/tokens", get(list_tokens).post(create_token))
        .route("/tokens/{id}", delete(revoke_token))
        .route("/history/{record_type}/{key}", get(history))
        .route("/me", get(get_me).patch(update_me))
        .route("/me/tokens", get(list_my_tokens).post(create_my_token))
        .route("/me/tokens/{id}", delete(revoke_my_token))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct Credentials {
    email: String,
    password: String,
}

#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = Credentials,
    responses((status = 200, description = "Signed in; the session cookie is set"), (status = 401, description = "Unknown e-mail or wrong password (the same answer)", body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    ApiJson(c): ApiJson<Credentials>,
) -> ApiResult<Response> {
    let (s, cookie) = auth::sign_in(&state, &parts, &c.email, &c.password, Utc::now()).await?;
    let body = serde_json::json!({ "user": s.actor.user, "expires_at": s.expires_at });
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses((status = 204, description = "Signed out; the session ended on the server")))]
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let cookie = auth::sign_out(&state, &headers, Utc::now()).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

#[utoipa::path(get, path = "/api/v1/session", tag = "session", responses((status = 200, body = CurrentUser), (status = 401, body = ErrorBody)))]
async fn whoami(Me(me): Me) -> Json<Option<CurrentUser>> {
    Json(me.user)
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses((status = 200, body = Vec<User>)))]
async fn list_users(State(s): State<AppState>, Me(me): Me) -> ApiResult<impl IntoResponse> {
    Ok(Json(users::list(&s.reader, &me).await?))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = User), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
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

#[utoipa::path(get, path = "/api/v1/users/{email}", tag = "users", params(("email" = String, Path)), responses((status = 200, body = User), (status = 404, body = ErrorBody)))]
async fn get_user(
    State(s): State<AppState>,
    Me(me): Me,
    Path(email): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(users::get(&s.reader, &me, &email).await?))
}

#[utoipa::path(patch, path = "/api/v1/users/{email}", tag = "users", params(("email" = String, Path)), request_body = UserPatch,
    responses((status = 200, body = User), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewToken {
    name: String,
    /// Admins may create a token for another user.
    #[serde(default)]
    owner: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", responses((status = 200, description = "Own tokens; admins see all", body = Vec<TokenInfo>)))]
async fn list_tokens(State(s): State<AppState>, Me(me): Me) -> ApiResult<impl IntoResponse> {
    Ok(Json(tokens::list(&s.reader, &me).await?))
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = NewToken,
    responses((status = 201, description = "The secret is in `token`, shown this once", body = CreatedToken), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
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

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = i64, Path)), responses((status = 200, body = TokenInfo), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_token(
    State(s): State<AppState>,
    Me(me): Me,
    Path(id): Path<i64>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(tokens::revoke(&s.db, &me, id, Utc::now()).await?))
}

#[utoipa::path(get, path = "/api/v1/me", tag = "me", responses((status = 200, description = "One's own account", body = User), (status = 401, body = ErrorBody)))]
async fn get_me(State(s): State<AppState>, Me(me): Me) -> ApiResult<impl IntoResponse> {
    Ok(Json(account::get(&s.reader, &me).await?))
}

#[utoipa::path(patch, path = "/api/v1/me", tag = "me", request_body = MePatch,
    responses((status = 200, description = "Changed; a new password ends every other session of the user", body = User), (status = 409, body = ErrorBody), (status = 422, description = "A bad name or password, or a wrong `current_password` (named in `fields`)", body = ErrorBody), (status = 429, description = "Too many wrong passwords for the account in the last hour", body = ErrorBody)))]
async fn update_me(
    State(s): State<AppState>,
    Me(me): Me,
    ApiJson(patch): ApiJson<MePatch>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(account::update(&s.db, &me, patch, Utc::now()).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewOwnToken {
    name: String,
}

#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "me", responses((status = 200, description = "One's own tokens, newest first (admins too: only their own)", body = Vec<TokenInfo>)))]
async fn list_my_tokens(State(s): State<AppState>, Me(me): Me) -> ApiResult<impl IntoResponse> {
    Ok(Json(account::list_tokens(&s.reader, &me).await?))
}

#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "me", request_body = NewOwnToken,
    responses((status = 201, description = "The secret is in `token`, shown this once", body = CreatedToken), (status = 422, body = ErrorBody)))]
async fn create_my_token(
    State(s): State<AppState>,
    Me(me): Me,
    ApiJson(t): ApiJson<NewOwnToken>,
) -> ApiResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(account::create_token(&s.db, &me, &t.name, Utc::now()).await?),
    ))
}

#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "me", params(("id" = i64, Path)), responses((status = 200, body = TokenInfo), (status = 404, description = "No token of yours has this id", body = ErrorBody)))]
async fn revoke_my_token(
    State(s): State<AppState>,
    Me(me): Me,
    Path(id): Path<i64>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        account::revoke_token(&s.db, &me, id, Utc::now()).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/history/{record_type}/{key}", tag = "audit", params(("record_type" = String, Path, description = "incident, user, api_token, …"), ("key" = String, Path)),
    responses((status = 200, description = "Newest first", body = Vec<AuditEntry>), (status = 404, description = "A record type the log does not keep")))]
async fn history(
    State(s): State<AppState>,
    Me(me): Me,
    Path((record_type, key)): Path<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    me.require(app::domain::authz::Op::Read)?;
    let record_type = app::ssr::audit::record_type(&record_type)?;
    Ok(Json(
        app::ssr::audit::history(&s.reader, record_type, &key, 500).await?,
    ))
}
