//! Incidents and their timelines.

use app::model::{
    Incident, IncidentFilter, IncidentPatch, IncidentSummary, NewEvent, NewIncident, Page,
    TimelineEvent,
};
use app::ssr::AppState;
use app::ssr::services::{incident_write, incidents};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;

use super::{ApiJson, ApiQuery, ApiResult, ErrorBody, Me};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/incidents", get(list).post(create))
        .route("/incidents/{key}", get(show).patch(update))
        .route("/incidents/{key}/timeline", get(timeline).post(add_event))
}

#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", params(IncidentFilter),
    responses((status = 200, description = "One page, newest first; `next` is the cursor of the following page", body = Page<IncidentSummary>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list(
    State(s): State<AppState>,
    Me(me): Me,
    ApiQuery(f): ApiQuery<IncidentFilter>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(incidents::list(&s.db, &me, &f).await?))
}

#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", request_body = NewIncident,
    responses((status = 201, body = Incident), (status = 403, body = ErrorBody), (status = 422, description = "A value breaks a rule; `fields` names it", body = ErrorBody)))]
async fn create(
    State(s): State<AppState>,
    Me(me): Me,
    ApiJson(new): ApiJson<NewIncident>,
) -> ApiResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(incident_write::create(&s.db, &me, new, Utc::now()).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/incidents/{key}", tag = "incidents", params(("key" = String, Path, description = "e.g. INC-7")),
    responses((status = 200, body = Incident), (status = 404, body = ErrorBody)))]
async fn show(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(incident_write::get(&s.db, &me, &key).await?))
}

#[utoipa::path(patch, path = "/api/v1/incidents/{key}", tag = "incidents", params(("key" = String, Path)), request_body = IncidentPatch,
    responses((status = 200, body = Incident), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "Stale version", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
    ApiJson(p): ApiJson<IncidentPatch>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        incident_write::update(&s.db, &me, &key, p, Utc::now()).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/incidents/{key}/timeline", tag = "incidents", params(("key" = String, Path)),
    responses((status = 200, description = "Ordered by occurred_at, then id", body = Vec<TimelineEvent>), (status = 404, body = ErrorBody)))]
async fn timeline(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(incident_write::timeline(&s.db, &me, &key).await?))
}

#[utoipa::path(post, path = "/api/v1/incidents/{key}/timeline", tag = "incidents", params(("key" = String, Path)), request_body = NewEvent,
    responses((status = 201, body = TimelineEvent), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn add_event(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
    ApiJson(e): ApiJson<NewEvent>,
) -> ApiResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(incident_write::add_event(&s.db, &me, &key, e, Utc::now()).await?),
    ))
}
