//! Alerts in: hooks (`/hooks`, admins) and the deliveries of Alertmanager, Grafana, PagerDuty
//! and generic senders (`/hooks/{id}/receive`, authenticated by the hook's own secret, not a
//! session or API token), and the alerts of an incident.

use app::model::{Alert, CreatedHook, Hook, NewHook, Received};
use app::ssr::AppState;
use app::ssr::services::alert::{self as alerts, receive};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;

use super::{ApiError, ApiJson, ApiResult, ErrorBody, Me};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/hooks", get(list).post(create))
        .route("/hooks/{id}", get(show).delete(remove))
        .route("/hooks/{id}/receive", post(receive_delivery))
        .route("/incidents/{key}/alerts", get(of_incident))
}

fn id_of(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>()
        .map_err(|_| ApiError(app::error::AppError::not_found(format!("hook {raw}"))))
}

#[utoipa::path(post, path = "/api/v1/hooks", tag = "alerts", request_body = NewHook,
    responses((status = 201, description = "The hook; `secret` is shown this once", body = CreatedHook),
        (status = 403, body = ErrorBody), (status = 409, description = "A hook of that name exists", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(
    State(s): State<AppState>,
    Me(me): Me,
    ApiJson(new): ApiJson<NewHook>,
) -> ApiResult<impl IntoResponse> {
    let h = alerts::create(&s.db, &me, new, &s.config.public_origin, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(h)))
}

#[utoipa::path(get, path = "/api/v1/hooks", tag = "alerts",
    responses((status = 200, body = Vec<Hook>), (status = 403, body = ErrorBody)))]
async fn list(State(s): State<AppState>, Me(me): Me) -> ApiResult<Json<Vec<Hook>>> {
    Ok(Json(
        alerts::list(&s.reader, &me, &s.config.public_origin).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/hooks/{id}", tag = "alerts", params(("id" = i64, Path)),
    responses((status = 200, body = Hook), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn show(
    State(s): State<AppState>,
    Me(me): Me,
    Path(id): Path<String>,
) -> ApiResult<Json<Hook>> {
    Ok(Json(
        alerts::get(&s.reader, &me, id_of(&id)?, &s.config.public_origin).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/hooks/{id}", tag = "alerts", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted; its alerts stay with their incidents"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn remove(
    State(s): State<AppState>,
    Me(me): Me,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    alerts::delete(&s.db, &me, id_of(&id)?, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `?token=` for senders that cannot set a header.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceiveQuery {
    /// The hook's secret.
    pub token: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/hooks/{id}/receive", tag = "alerts", params(("id" = i64, Path), ReceiveQuery),
    request_body(content = serde_json::Value, description = "Alertmanager or Grafana webhook (version 4), a PagerDuty v3 webhook event, or the generic `{fingerprint, title, status, severity?, service?, occurred_at?, body?, url?}`"),
    responses((status = 202, body = Received),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "Wrong secret or signature (or no such hook)", body = ErrorBody),
        (status = 413, description = "Over 1 MB", body = ErrorBody),
        (status = 422, description = "A field the rules need is missing or malformed; `fields` names it", body = ErrorBody)),
    security(("hook_secret" = [])))]
async fn receive_delivery(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ReceiveQuery>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<(StatusCode, Json<Received>)> {
    let d = super::inbound::Delivery::read(
        &id,
        headers,
        body,
        alerts::MAX_BODY,
        "the hook's secret or signature does not match",
        "a delivery",
    )
    .await?;
    let cred = receive::Credentials {
        bearer: d
            .header("authorization")
            .and_then(|v| v.strip_prefix("Bearer ").map(|t| t.trim().to_owned())),
        token: q.token,
        signature: d.header("x-pagerduty-signature"),
    };
    let hook = receive::authenticate(&s.db, d.id, &cred, &d.body).await?;
    let out = receive::apply(&s.db, &hook, &d.body, Utc::now()).await?;
    Ok((StatusCode::ACCEPTED, Json(out)))
}

#[utoipa::path(get, path = "/api/v1/incidents/{key}/alerts", tag = "alerts", params(("key" = String, Path)),
    responses((status = 200, description = "The incident's alerts, first seen first", body = Vec<Alert>), (status = 404, body = ErrorBody)))]
async fn of_incident(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
) -> ApiResult<Json<Vec<Alert>>> {
    Ok(Json(alerts::of_incident(&s.reader, &me, &key).await?))
}
