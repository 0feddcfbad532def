//! The known-error database: problems, their links to incidents (from either side) and the
//! suggestions for an incident.

use app::model::{
    IncidentKnownError, KnownError, KnownErrorFilter, KnownErrorPatch, KnownErrorSummary,
    LinkIncident, LinkKnownError, NewKnownError, Page, Suggestion,
};
use app::ssr::AppState;
use app::ssr::services::known_error as known_errors;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get};
use axum::{Json, Router};
use chrono::Utc;

use super::{ApiJson, ApiQuery, ApiResult, ErrorBody, Me};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/known-errors", get(list).post(create))
        .route("/known-errors/{key}", get(show).patch(update))
        .route("/known-errors/{key}/incidents", axum::routing::post(link))
        .route("/known-errors/{key}/incidents/{incident}", delete(unlink))
        .route(
            "/incidents/{key}/known-errors",
            get(of_incident).post(link_from_incident),
        )
        .route(
            "/incidents/{key}/known-errors/{known_error}",
            delete(unlink_from_incident),
        )
        .route("/incidents/{key}/suggested-known-errors", get(suggested))
}

#[utoipa::path(get, path = "/api/v1/known-errors", tag = "known errors", params(KnownErrorFilter),
    responses((status = 200, description = "One page, newest first", body = Page<KnownErrorSummary>), (status = 422, body = ErrorBody)))]
async fn list(
    State(s): State<AppState>,
    Me(me): Me,
    ApiQuery(f): ApiQuery<KnownErrorFilter>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(known_errors::list(&s.reader, &me, &f).await?))
}

#[utoipa::path(post, path = "/api/v1/known-errors", tag = "known errors", request_body = NewKnownError,
    responses((status = 201, body = KnownError), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(
    State(s): State<AppState>,
    Me(me): Me,
    ApiJson(new): ApiJson<NewKnownError>,
) -> ApiResult<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(known_errors::create(&s.db, &me, new, Utc::now()).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/known-errors/{key}", tag = "known errors", params(("key" = String, Path, description = "e.g. KE-3")),
    responses((status = 200, body = KnownError), (status = 404, body = ErrorBody)))]
async fn show(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(known_errors::get(&s.reader, &me, &key).await?))
}

#[utoipa::path(patch, path = "/api/v1/known-errors/{key}", tag = "known errors", params(("key" = String, Path)), request_body = KnownErrorPatch,
    responses((status = 200, body = KnownError), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
    ApiJson(p): ApiJson<KnownErrorPatch>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        known_errors::update(&s.db, &me, &key, p, Utc::now()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/known-errors/{key}/incidents", tag = "known errors", params(("key" = String, Path)), request_body = LinkIncident,
    responses((status = 200, description = "Linked (linking twice changes nothing)", body = KnownError), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn link(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
    ApiJson(l): ApiJson<LinkIncident>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        known_errors::link(&s.db, &me, &key, &l.incident, Utc::now()).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/known-errors/{key}/incidents/{incident}", tag = "known errors", params(("key" = String, Path), ("incident" = String, Path)),
    responses((status = 200, body = KnownError), (status = 404, body = ErrorBody)))]
async fn unlink(
    State(s): State<AppState>,
    Me(me): Me,
    Path((key, incident)): Path<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        known_errors::unlink(&s.db, &me, &key, &incident, Utc::now()).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/incidents/{key}/known-errors", tag = "known errors", params(("key" = String, Path)),
    responses((status = 200, description = "Linked known errors, with recurrence", body = Vec<IncidentKnownError>), (status = 404, body = ErrorBody)))]
async fn of_incident(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        known_errors::for_incident(&s.reader, &me, &key).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/incidents/{key}/known-errors", tag = "known errors", params(("key" = String, Path)), request_body = LinkKnownError,
    responses((status = 200, body = Vec<IncidentKnownError>), (status = 404, body = ErrorBody)))]
async fn link_from_incident(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
    ApiJson(l): ApiJson<LinkKnownError>,
) -> ApiResult<impl IntoResponse> {
    known_errors::link(&s.db, &me, &l.known_error, &key, Utc::now()).await?;
    Ok(Json(known_errors::for_incident(&s.db, &me, &key).await?))
}

#[utoipa::path(delete, path = "/api/v1/incidents/{key}/known-errors/{known_error}", tag = "known errors", params(("key" = String, Path), ("known_error" = String, Path)),
    responses((status = 200, body = Vec<IncidentKnownError>), (status = 404, body = ErrorBody)))]
async fn unlink_from_incident(
    State(s): State<AppState>,
    Me(me): Me,
    Path((key, known_error)): Path<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    known_errors::unlink(&s.db, &me, &known_error, &key, Utc::now()).await?;
    Ok(Json(known_errors::for_incident(&s.db, &me, &key).await?))
}

#[utoipa::path(get, path = "/api/v1/incidents/{key}/suggested-known-errors", tag = "known errors", params(("key" = String, Path)),
    responses((status = 200, description = "The most similar known errors, best first", body = Vec<Suggestion>), (status = 404, body = ErrorBody)))]
async fn suggested(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        known_errors::suggest(&s.reader, &me, &key, known_errors::SUGGESTIONS).await?,
    ))
}
