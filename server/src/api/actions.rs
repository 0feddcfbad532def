//! Corrective and preventive actions.

use app::error::AppError;
use app::model::{
    Action, ActionFilter, ActionInbox, ActionPatch, ActionSummary, ActionTransition, NewAction,
    Page,
};
use app::ssr::AppState;
use app::ssr::auth::Auth;
use app::ssr::services::action as actions;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::Utc;

use super::{ApiError, ApiJson, ApiQuery, ApiResult, ErrorBody, Me};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/actions", get(list).post(create))
        .route("/actions/mine", get(mine))
        .route("/actions/{key}", get(show).patch(update))
        .route("/actions/{key}/transition", post(transition))
        .route("/actions.csv", get(csv_export))
        .route("/calendar/{file}", get(calendar))
}

#[utoipa::path(get, path = "/api/v1/actions.csv", tag = "actions", params(ActionFilter),
    responses((status = 200, description = "Every matching action (not one page), newest first, as CSV with a header row", content_type = "text/csv")))]
async fn csv_export(
    State(s): State<AppState>,
    Me(me): Me,
    ApiQuery(f): ApiQuery<ActionFilter>,
) -> ApiResult<Response> {
    let rows = actions::export(&s.reader, &me, &f, Utc::now()).await?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "key",
        "title",
        "kind",
        "priority",
        "status",
        "owner",
        "team",
        "due_date",
        "overdue",
        "incident",
        "known_error",
        "completed_at",
        "verification_required",
        "verification_due",
        "verified_at",
        "verified_by",
        "verification_result",
        "cancelled_reason",
        "external_url",
        "reopen_count",
        "created_at",
    ];
    let internal = |_| ApiError(AppError::internal());
    w.write_record(header).map_err(internal)?;
    let t = |ms: Option<i64>| {
        ms.map(|m| app::ssr::from_ms(m).to_rfc3339())
            .unwrap_or_default()
    };
    for r in rows {
        let a = &r.action;
        w.write_record([
            a.key.clone(),
            a.title.clone(),
            a.kind.to_string(),
            a.priority.to_string(),
            a.status.to_string(),
            r.owner.clone().unwrap_or_default(),
            a.team.clone().unwrap_or_default(),
            a.due_date.map(|d| d.to_string()).unwrap_or_default(),
            r.overdue.to_string(),
            r.incident.clone().unwrap_or_default(),
            r.known_error.clone().unwrap_or_default(),
            t(a.completed_at),
            a.verification_required.to_string(),
            a.verification_due
                .map(|d| d.to_string())
                .unwrap_or_default(),
            t(a.verified_at),
            r.verified_by.clone().unwrap_or_default(),
            a.verification_result
                .map(|v| v.to_string())
                .unwrap_or_default(),
            a.cancelled_reason.clone().unwrap_or_default(),
            a.external_url.clone().unwrap_or_default(),
            a.reopen_count.to_string(),
            t(Some(a.created_at)),
        ])
        .map_err(internal)?;
    }
    let body = w.into_inner().map_err(|_| ApiError(AppError::internal()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"actions.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}

/// `?token=` lets a calendar app, which sends no headers, subscribe with an API token.
#[derive(serde::Deserialize)]
struct CalendarQuery {
    token: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/calendar/{owner}.ics", tag = "actions",
    params(("owner" = String, Path, description = "The owner's e-mail, then `.ics`"), ("token" = Option<String>, Query, description = "An API token, for calendar apps that cannot send headers")),
    responses((status = 200, description = "All-day events: due dates of open actions and verification deadlines of completed ones", content_type = "text/calendar"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn calendar(
    State(s): State<AppState>,
    auth: Option<Extension<Auth>>,
    Path(file): Path<String>,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> ApiResult<Response> {
    use icalendar::{Calendar, Component, Event, EventLike};
    let owner = file
        .strip_suffix(".ics")
        .ok_or_else(|| ApiError(AppError::not_found("calendar (the address ends in .ics)")))?;
    let me = match auth.and_then(|Extension(a)| a.0) {
        Some(a) => a,
        None => match q.token.as_deref() {
            Some(t) => app::ssr::auth::token_actor(&s.reader, &s.db, t, Utc::now())
                .await?
                .ok_or_else(|| ApiError(AppError::unauthorized()))?,
            None => return Err(ApiError(AppError::unauthorized())),
        },
    };
    let list = actions::deadlines(&s.reader, &me, owner).await?;
    let mut cal = Calendar::new();
    cal.name(&format!("Hindsight actions of {owner}"));
    for a in list {
        let (date, what, kind) = if a.status == app::domain::ActionStatus::Done {
            (a.verification_due, "verification due", "verify")
        } else {
            (a.due_date, "due", "due")
        };
        let Some(date) = date else { continue };
        cal.push(
            Event::new()
                .uid(&format!("{}-{kind}@hindsight", a.key))
                .summary(&format!("{} {what}: {}", a.key, a.title))
                .description(&format!(
                    "{} · priority {} · status {}",
                    a.kind.label(),
                    a.priority.label(),
                    a.status.label()
                ))
                .all_day(date)
                .done(),
        );
    }
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        cal.done().to_string(),
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/actions", tag = "actions", params(ActionFilter),
    responses((status = 200, description = "One page, newest first", body = Page<ActionSummary>), (status = 422, body = ErrorBody)))]
async fn list(
    State(s): State<AppState>,
    Me(me): Me,
    ApiQuery(f): ApiQuery<ActionFilter>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(actions::list(&s.reader, &me, &f, Utc::now()).await?))
}

#[utoipa::path(get, path = "/api/v1/actions/mine", tag = "actions",
    responses((status = 200, description = "The signed-in user's open actions by urgency, their done actions awaiting verification, and (for responders and admins) other people's actions waiting for a verification", body = ActionInbox)))]
async fn mine(State(s): State<AppState>, Me(me): Me) -> ApiResult<Json<ActionInbox>> {
    Ok(Json(actions::inbox(&s.reader, &me, Utc::now()).await?))
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
    Ok(Json(actions::get(&s.reader, &me, &key, Utc::now()).await?))
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
