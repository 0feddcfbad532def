//! Incidents and their timelines.

use app::model::{
    AuditEntry, EventPatch, Incident, IncidentFilter, IncidentPatch, IncidentSummary, Labels,
    NewEvent, NewIncident, Page, TimelineEvent,
};
use app::ssr::AppState;
use app::ssr::services::incident as incidents;
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
        .route(
            "/incidents/{key}/timeline/{id}",
            axum::routing::patch(correct_event),
        )
        .route("/incidents/{key}/timeline/{id}/history", get(event_history))
        .route("/labels", get(labels))
}

#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", params(IncidentFilter),
    responses((status = 200, description = "One page, newest first; `next` is the cursor of the following page", body = Page<IncidentSummary>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list(
    State(s): State<AppState>,
    Me(me): Me,
    ApiQuery(f): ApiQuery<IncidentFilter>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(incidents::list(&s.reader, &me, &f).await?))
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
        Json(incidents::create(&s.db, &me, new, Utc::now()).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/incidents/{key}", tag = "incidents", params(("key" = String, Path, description = "e.g. INC-7")),
    responses((status = 200, body = Incident), (status = 404, body = ErrorBody)))]
async fn show(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(incidents::get(&s.reader, &me, &key).await?))
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
        incidents::update(&s.db, &me, &key, p, Utc::now()).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/incidents/{key}/timeline", tag = "incidents", params(("key" = String, Path)),
    responses((status = 200, description = "Ordered by occurred_at, then id", body = Vec<TimelineEvent>), (status = 404, body = ErrorBody)))]
async fn timeline(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(incidents::timeline(&s.reader, &me, &key).await?))
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
        Json(incidents::add_event(&s.db, &me, &key, e, Utc::now()).await?),
    ))
}

#[utoipa::path(patch, path = "/api/v1/incidents/{key}/timeline/{id}", tag = "incidents",
    params(("key" = String, Path), ("id" = i64, Path, description = "The entry's id")), request_body = EventPatch,
    description = "Corrects a timeline entry (its author or a responder). The earlier text stays in the entry's history. The server's `status_change` entries are not corrected.",
    responses((status = 200, body = TimelineEvent), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "Stale version; the message names who changed it", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn correct_event(
    State(s): State<AppState>,
    Me(me): Me,
    Path((key, id)): Path<(String, i64)>,
    ApiJson(p): ApiJson<EventPatch>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        incidents::correct_event(&s.db, &me, &key, id, p, Utc::now()).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/incidents/{key}/timeline/{id}/history", tag = "incidents",
    params(("key" = String, Path), ("id" = i64, Path)),
    responses((status = 200, description = "How the entry was written and each correction, newest first", body = Vec<AuditEntry>), (status = 404, body = ErrorBody)))]
async fn event_history(
    State(s): State<AppState>,
    Me(me): Me,
    Path((key, id)): Path<(String, i64)>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        incidents::event_history(&s.reader, &me, &key, id).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/labels", tag = "incidents",
    responses((status = 200, description = "The services and tags in use, most used first", body = Labels), (status = 401, body = ErrorBody)))]
async fn labels(State(s): State<AppState>, Me(me): Me) -> ApiResult<impl IntoResponse> {
    Ok(Json(s.labels.get(&s.reader, &me).await?))
}
