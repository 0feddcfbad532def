//! Tracker sync: trackers (`/trackers`, admins). Credentials are write-only.

use app::model::{Action, CreatedTracker, NewTracker, Tracker, TrackerPatch};
use app::ssr::AppState;
use app::ssr::services::tracker as trackers;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;

use super::{ApiError, ApiJson, ApiResult, ErrorBody, Me};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/trackers", get(list).post(create))
        .route("/trackers/{id}", get(show).patch(update).delete(remove))
        .route("/actions/{key}/tracker", post(create_issue))
        .route("/trackers/{id}/receive", post(receive))
}

/// `?token=` for webhooks that cannot sign (Jira without a secret).
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceiveQuery {
    /// The tracker's webhook secret.
    pub token: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/trackers/{id}/receive", tag = "trackers", params(("id" = i64, Path), ReceiveQuery),
    request_body(content = serde_json::Value, description = "Jira `jira:issue_updated`, GitHub `issues` or GitLab `Issue Hook`"),
    responses((status = 202, description = "Taken: what it did to the linked action (also for unknown issues, other events and replays, which change nothing)", body = app::ssr::services::tracker::webhook::Outcome),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "Wrong signature or token (or no such tracker)", body = ErrorBody),
        (status = 413, description = "Over 1 MB", body = ErrorBody),
        (status = 422, description = "An issues event without the fields it needs", body = ErrorBody)))]
async fn receive(
    State(s): State<AppState>,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<ReceiveQuery>,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> ApiResult<(
    StatusCode,
    Json<app::ssr::services::tracker::webhook::Outcome>,
)> {
    use app::ssr::services::tracker::webhook;
    let d = super::inbound::Delivery::read(
        &id,
        headers,
        body,
        1 << 20,
        "the tracker's secret or signature does not match",
        "a webhook",
    )
    .await?;
    let presented = webhook::Presented {
        signature: d
            .header("x-hub-signature-256")
            .or_else(|| d.header("x-hub-signature")),
        gitlab_token: d.header("x-gitlab-token"),
        token: q.token,
        event: d
            .header("x-github-event")
            .or_else(|| d.header("x-gitlab-event")),
        delivery: d
            .header("x-github-delivery")
            .or_else(|| d.header("idempotency-key"))
            .or_else(|| d.header("x-gitlab-event-uuid"))
            .or_else(|| d.header("x-atlassian-webhook-identifier")),
    };
    let t = webhook::authenticate(&s.db, d.id, &presented, &d.body).await?;
    let out = webhook::apply(&s.db, &t, &presented, &d.body, Utc::now()).await?;
    Ok((StatusCode::ACCEPTED, Json(out)))
}

/// `{tracker}`: which tracker to create the issue in.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    pub tracker: i64,
}

#[utoipa::path(post, path = "/api/v1/actions/{key}/tracker", tag = "trackers", params(("key" = String, Path)), request_body = IssueRequest,
    responses((status = 201, description = "The issue was created in the tracker and linked; the action with its `issue`", body = Action),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The action has an issue already", body = ErrorBody),
        (status = 422, description = "No such tracker", body = ErrorBody),
        (status = 429, description = "The tracker is rate-limiting", body = ErrorBody),
        (status = 502, description = "The tracker refused or failed; the message says what it answered", body = ErrorBody)))]
async fn create_issue(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
    ApiJson(r): ApiJson<IssueRequest>,
) -> ApiResult<impl IntoResponse> {
    let a = app::ssr::services::tracker::link::create_issue(
        &s.db,
        &me,
        &s.http,
        &s.config.public_origin,
        &key,
        r.tracker,
        Utc::now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(a)))
}

fn id_of(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>()
        .map_err(|_| ApiError(app::error::AppError::not_found(format!("tracker {raw}"))))
}

#[utoipa::path(post, path = "/api/v1/trackers", tag = "trackers", request_body = NewTracker,
    responses((status = 201, description = "The tracker; the webhook `secret` is shown this once", body = CreatedTracker),
        (status = 403, body = ErrorBody), (status = 409, description = "A tracker of that name exists", body = ErrorBody),
        (status = 422, description = "A field is missing or malformed, or the server has no secret key", body = ErrorBody)))]
async fn create(
    State(s): State<AppState>,
    Me(me): Me,
    ApiJson(new): ApiJson<NewTracker>,
) -> ApiResult<impl IntoResponse> {
    let t = trackers::create(&s.db, &me, new, &s.config.public_origin, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

#[utoipa::path(get, path = "/api/v1/trackers", tag = "trackers",
    responses((status = 200, body = Vec<Tracker>), (status = 403, body = ErrorBody)))]
async fn list(State(s): State<AppState>, Me(me): Me) -> ApiResult<Json<Vec<Tracker>>> {
    Ok(Json(
        trackers::list(&s.reader, &me, &s.config.public_origin).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/trackers/{id}", tag = "trackers", params(("id" = i64, Path)),
    responses((status = 200, body = Tracker), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn show(
    State(s): State<AppState>,
    Me(me): Me,
    Path(id): Path<String>,
) -> ApiResult<Json<Tracker>> {
    Ok(Json(
        trackers::get(&s.reader, &me, id_of(&id)?, &s.config.public_origin).await?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/trackers/{id}", tag = "trackers", params(("id" = i64, Path)), request_body = TrackerPatch,
    responses((status = 200, body = Tracker), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update(
    State(s): State<AppState>,
    Me(me): Me,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<TrackerPatch>,
) -> ApiResult<Json<Tracker>> {
    Ok(Json(
        trackers::update(
            &s.db,
            &me,
            id_of(&id)?,
            patch,
            &s.config.public_origin,
            Utc::now(),
        )
        .await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/trackers/{id}", tag = "trackers", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted; linked actions keep their issue link"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn remove(
    State(s): State<AppState>,
    Me(me): Me,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    trackers::delete(&s.db, &me, id_of(&id)?, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
