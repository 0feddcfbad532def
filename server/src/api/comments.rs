//! Comments on incidents, postmortems, actions and known errors, and the caller's
//! notifications (mentions and review requests).

use app::domain::CommentOn;
use app::error::AppError;
use app::model::{
    Comment, CommentPatch, NewComment, NotificationFilter, NotificationPage, ReadNotifications,
    Thread,
};
use app::ssr::AppState;
use app::ssr::services::{comment as comments, notification as notifications};
use axum::extract::{MatchedPath, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use chrono::Utc;

use super::{ApiError, ApiJson, ApiQuery, ApiResult, ErrorBody, Me};

pub fn router() -> Router<AppState> {
    let mut r = Router::new();
    for on in CommentOn::ALL {
        r = r.route(
            &format!("/{}/{{key}}/comments", on.segment()),
            get(list).post(create),
        );
    }
    r.route("/comments/{id}", patch(update).delete(remove))
        .route("/notifications", get(notifications_list))
        .route("/notifications/read", post(read))
}

/// The record type of a comments route, from the route itself (`/api/v1/known-errors/{key}/…`).
fn record_type(path: &MatchedPath) -> ApiResult<CommentOn> {
    path.as_str()
        .trim_end_matches("/{key}/comments")
        .rsplit('/')
        .next()
        .and_then(CommentOn::from_segment)
        .ok_or_else(|| ApiError(AppError::internal()))
}

/// The answer to marking notifications read.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Marked {
    /// How many notifications changed from unread to read.
    pub marked: u64,
    /// How many of the caller's notifications are still unread.
    pub unread: u64,
}

#[utoipa::path(get, path = "/api/v1/{record_type}/{key}/comments", tag = "comments",
    params(("record_type" = String, Path, description = "incidents, postmortems (key = the incident's), actions or known-errors"), ("key" = String, Path, description = "e.g. INC-3")),
    responses((status = 200, description = "Threads: top-level comments oldest first, each with its replies oldest first", body = Vec<Thread>), (status = 404, body = ErrorBody)))]
async fn list(
    State(s): State<AppState>,
    Me(me): Me,
    matched: MatchedPath,
    Path(key): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let on = record_type(&matched)?;
    Ok(Json(comments::list(&s.reader, &me, on, &key).await?))
}

#[utoipa::path(post, path = "/api/v1/{record_type}/{key}/comments", tag = "comments",
    params(("record_type" = String, Path, description = "incidents, postmortems, actions or known-errors"), ("key" = String, Path)),
    request_body = NewComment,
    responses((status = 201, body = Comment), (status = 403, description = "Viewers read only", body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, description = "`body` empty or too long, `parent` a reply or on another record", body = ErrorBody)))]
async fn create(
    State(s): State<AppState>,
    Me(me): Me,
    matched: MatchedPath,
    Path(key): Path<String>,
    ApiJson(new): ApiJson<NewComment>,
) -> ApiResult<impl IntoResponse> {
    let on = record_type(&matched)?;
    Ok((
        StatusCode::CREATED,
        Json(comments::create(&s.db, &me, on, &key, new, Utc::now()).await?),
    ))
}

#[utoipa::path(patch, path = "/api/v1/comments/{id}", tag = "comments", params(("id" = i64, Path)),
    request_body = CommentPatch,
    responses((status = 200, body = Comment), (status = 403, description = "Only the author edits; the author, responders and admins resolve", body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "Stale version or a removed comment", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update(
    State(s): State<AppState>,
    Me(me): Me,
    Path(id): Path<i64>,
    ApiJson(p): ApiJson<CommentPatch>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(comments::update(&s.db, &me, id, p, Utc::now()).await?))
}

#[utoipa::path(delete, path = "/api/v1/comments/{id}", tag = "comments", params(("id" = i64, Path)),
    responses((status = 200, description = "Removed: it stays in its thread without its text", body = Comment), (status = 403, description = "Only the author or an admin", body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn remove(
    State(s): State<AppState>,
    Me(me): Me,
    Path(id): Path<i64>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(comments::delete(&s.db, &me, id, Utc::now()).await?))
}

#[utoipa::path(get, path = "/api/v1/notifications", tag = "comments", params(NotificationFilter),
    responses((status = 200, description = "The caller's mentions and review requests, newest first, with the unread count", body = NotificationPage), (status = 401, body = ErrorBody)))]
async fn notifications_list(
    State(s): State<AppState>,
    Me(me): Me,
    ApiQuery(f): ApiQuery<NotificationFilter>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(notifications::list(&s.reader, &me, &f).await?))
}

#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "comments", request_body = ReadNotifications,
    responses((status = 200, description = "The caller's own among `ids` are read (all of the caller's when `ids` is empty); others' are left alone", body = Marked), (status = 401, body = ErrorBody)))]
async fn read(
    State(s): State<AppState>,
    Me(me): Me,
    ApiJson(r): ApiJson<ReadNotifications>,
) -> ApiResult<impl IntoResponse> {
    let marked = notifications::mark_read(&s.db, &me, &r.ids, Utc::now()).await?;
    let unread = notifications::unread(&s.db, &me).await?;
    Ok(Json(Marked { marked, unread }))
}
