//! Corrective and preventive actions.

use app::model::{
    Action, ActionFilter, ActionPatch, ActionSummary, ActionTransition, NewAction, Page,
};
use app::ssr::AppState;
use app::ssr::services::actions;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;

use super::{ApiJson, ApiQuery, ApiResult, ErrorBody, Me};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/actions", get(list).post(create))
        .route("/actions/{key}", get(show).patch(update))
        .route("/actions/{key}/transition", post(transition))
}

#[utoipa::path(get, path = "/api/v1/actions", tag = "actions", params(ActionFilter),
    responses((status = 200, description = "One page, newest first", body = Page<ActionSummary>), (status = 422, body = ErrorBody)))]
async fn list(
    State(s): State<AppState>,
    Me(me): Me,
    ApiQuery(f): ApiQuery<ActionFilter>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(actions::list(&s.db, &me, &f, Utc::now()).await?))
}

#[utoipa::path(post, path = "/api/v1/actions", tag = "actions", request_body = NewAction,
    responses((status = 201, body = Action), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(
    State(s): State<AppState>,
    Me(me): Me,
    ApiJson(new): ApiJson<NewAction>,
) -> ApiResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(actions::create(&s.db, &me, new, Utc::now()).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/actions/{key}", tag = "actions", params(("key" = String, Path, description = "e.g. ACT-4")),
    responses((status = 200, body = Action), (status = 404, body = ErrorBody)))]
async fn show(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(actions::get(&s.db, &me, &key, Utc::now()).await?))
}

#[utoipa::path(patch, path = "/api/v1/actions/{key}", tag = "actions", params(("key" = String, Path)), request_body = ActionPatch,
    responses((status = 200, body = Action), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
    ApiJson(p): ApiJson<ActionPatch>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        actions::update(&s.db, &me, &key, p, Utc::now()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/actions/{key}/transition", tag = "actions", params(("key" = String, Path)), request_body = ActionTransition,
    responses((status = 200, body = Action), (status = 403, description = "Not yours to change, or the four-eyes rule", body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn transition(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
    ApiJson(t): ApiJson<ActionTransition>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        actions::transition(&s.db, &me, &key, t, Utc::now()).await?,
    ))
}
