//! Notifications out: channels (`/channels`, admins), a test message, the delivery log.

use app::model::{Channel, ChannelPatch, CreatedChannel, Delivery, NewChannel, Page, TestSent};
use app::ssr::AppState;
use app::ssr::services::notify::channels;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;

use super::{ApiError, ApiJson, ApiQuery, ApiResult, ErrorBody, Me};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/channels", get(list).post(create))
        .route("/channels/{id}", get(show).patch(update).delete(remove))
        .route("/channels/{id}/test", post(test))
        .route("/channels/{id}/deliveries", get(deliveries))
}

fn id_of(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>()
        .map_err(|_| ApiError(app::error::AppError::not_found(format!("channel {raw}"))))
}

#[utoipa::path(post, path = "/api/v1/channels", tag = "notifications", request_body = NewChannel,
    responses((status = 201, description = "The channel; a `webhook` channel's `secret` is shown this once", body = CreatedChannel),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create(
    State(s): State<AppState>,
    Me(me): Me,
    ApiJson(new): ApiJson<NewChannel>,
) -> ApiResult<impl IntoResponse> {
    let c = channels::create(&s.db, &me, new, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

#[utoipa::path(get, path = "/api/v1/channels", tag = "notifications",
    responses((status = 200, body = Vec<Channel>), (status = 403, body = ErrorBody)))]
async fn list(State(s): State<AppState>, Me(me): Me) -> ApiResult<Json<Vec<Channel>>> {
    Ok(Json(channels::list(&s.reader, &me).await?))
}

#[utoipa::path(get, path = "/api/v1/channels/{id}", tag = "notifications", params(("id" = i64, Path)),
    responses((status = 200, body = Channel), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn show(
    State(s): State<AppState>,
    Me(me): Me,
    Path(id): Path<String>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(channels::get(&s.reader, &me, id_of(&id)?).await?))
}

#[utoipa::path(patch, path = "/api/v1/channels/{id}", tag = "notifications", params(("id" = i64, Path)), request_body = ChannelPatch,
    responses((status = 200, body = Channel), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update(
    State(s): State<AppState>,
    Me(me): Me,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<ChannelPatch>,
) -> ApiResult<Json<Channel>> {
    Ok(Json(
        channels::update(&s.db, &me, id_of(&id)?, patch, Utc::now()).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/channels/{id}", tag = "notifications", params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted, with its delivery log"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn remove(
    State(s): State<AppState>,
    Me(me): Me,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    channels::delete(&s.db, &me, id_of(&id)?, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/channels/{id}/test", tag = "notifications", params(("id" = i64, Path)),
    responses((status = 200, description = "Sent once, now; the result (also in the delivery log)", body = TestSent), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn test(
    State(s): State<AppState>,
    Me(me): Me,
    Path(id): Path<String>,
) -> ApiResult<Json<TestSent>> {
    Ok(Json(
        channels::test(
            &s.db,
            &me,
            id_of(&id)?,
            &s.http,
            &s.config.public_origin,
            Utc::now(),
        )
        .await?,
    ))
}

/// `GET /channels/{id}/deliveries`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    /// The `next` of the previous page.
    pub page: Option<String>,
    /// 1 to 200 (default 50).
    pub limit: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/channels/{id}/deliveries", tag = "notifications", params(("id" = i64, Path), DeliveriesQuery),
    responses((status = 200, description = "Messages, newest first", body = Page<Delivery>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn deliveries(
    State(s): State<AppState>,
    Me(me): Me,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DeliveriesQuery>,
) -> ApiResult<Json<Page<Delivery>>> {
    Ok(Json(
        channels::deliveries(&s.reader, &me, id_of(&id)?, q.page.as_deref(), q.limit).await?,
    ))
}
