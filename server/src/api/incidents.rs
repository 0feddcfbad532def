//! Incidents and their timelines.

use app::model::{IncidentFilter, IncidentPatch, NewEvent, NewIncident};
use app::ssr::AppState;
use app::ssr::services::{incident_write, incidents};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;

use super::{ApiJson, ApiQuery, ApiResult, Me};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/incidents", get(list).post(create))
        .route("/incidents/{key}", get(show).patch(update))
        .route("/incidents/{key}/timeline", get(timeline).post(add_event))
}

async fn list(
    State(s): State<AppState>,
    Me(me): Me,
    ApiQuery(f): ApiQuery<IncidentFilter>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(incidents::list(&s.db, &me, &f).await?))
}

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

async fn show(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(incident_write::get(&s.db, &me, &key).await?))
}

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

async fn timeline(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(incident_write::timeline(&s.db, &me, &key).await?))
}

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
