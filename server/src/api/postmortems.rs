//! Postmortems: the document, its review workflow, exports, the list; and the settings that
//! hold the templates and deadlines.

use app::domain::settings::OrgSettings;
use app::model::{
    Page, Postmortem, PostmortemFilter, PostmortemInput, PostmortemSummary, PostmortemTransition,
};
use app::ssr::AppState;
use app::ssr::services::postmortem as postmortems;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;

use super::{ApiJson, ApiQuery, ApiResult, ErrorBody, Me};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/postmortems", get(list))
        .route("/incidents/{key}/postmortem", get(show).put(put))
        .route("/incidents/{key}/postmortem/transition", post(transition))
        .route("/incidents/{key}/postmortem/approve", post(approve))
        .route("/incidents/{key}/postmortem.md", get(export_md))
        .route("/incidents/{key}/postmortem.html", get(export_html))
        .route("/settings", get(settings).patch(update_settings))
}

#[utoipa::path(get, path = "/api/v1/postmortems", tag = "postmortems", params(PostmortemFilter),
    responses((status = 200, description = "One page, newest first", body = Page<PostmortemSummary>), (status = 422, body = ErrorBody)))]
async fn list(
    State(s): State<AppState>,
    Me(me): Me,
    ApiQuery(f): ApiQuery<PostmortemFilter>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        postmortems::list(&s.reader, &me, &f, Utc::now()).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/incidents/{key}/postmortem", tag = "postmortems", params(("key" = String, Path, description = "e.g. INC-7")),
    responses((status = 200, body = Postmortem), (status = 404, description = "No such incident, or it has no postmortem yet", body = ErrorBody)))]
async fn show(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(postmortems::get(&s.reader, &me, &key).await?))
}

#[utoipa::path(put, path = "/api/v1/incidents/{key}/postmortem", tag = "postmortems", params(("key" = String, Path)), request_body = PostmortemInput,
    responses((status = 201, description = "Created from the severity's template", body = Postmortem), (status = 200, description = "Changed", body = Postmortem),
        (status = 403, body = ErrorBody), (status = 409, description = "Stale version", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
    ApiJson(input): ApiJson<PostmortemInput>,
) -> ApiResult<impl IntoResponse> {
    let (pm, created) = postmortems::put(&s.db, &me, &key, input, Utc::now()).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(pm)))
}

#[utoipa::path(post, path = "/api/v1/incidents/{key}/postmortem/transition", tag = "postmortems", params(("key" = String, Path)), request_body = PostmortemTransition,
    responses((status = 200, body = Postmortem), (status = 409, body = ErrorBody), (status = 422, description = "Not a workflow step, or the publish gate", body = ErrorBody)))]
async fn transition(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
    ApiJson(t): ApiJson<PostmortemTransition>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        postmortems::transition(&s.db, &me, &key, t, Utc::now()).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/incidents/{key}/postmortem/approve", tag = "postmortems", params(("key" = String, Path)),
    responses((status = 200, description = "The caller, a reviewer, approved the postmortem in review", body = Postmortem), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn approve(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        postmortems::approve(&s.db, &me, &key, Utc::now()).await?,
    ))
}

/// The document's parts, for the exports.
async fn document(
    s: &AppState,
    me: &app::ssr::auth::Actor,
    key: &str,
) -> ApiResult<(Postmortem, app::model::PostmortemContext)> {
    let pm = postmortems::get(&s.reader, me, key).await?;
    let ctx = postmortems::context(&s.reader, me, key).await?;
    Ok((pm, ctx))
}

fn file_name(key: &str, ext: &str) -> String {
    let safe: String = key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    format!("{safe}-postmortem.{ext}")
}

#[utoipa::path(get, path = "/api/v1/incidents/{key}/postmortem.md", tag = "postmortems", params(("key" = String, Path)),
    responses((status = 200, description = "The postmortem as Markdown: structured RCA, body, generated timeline, actions", content_type = "text/markdown"), (status = 404, body = ErrorBody)))]
async fn export_md(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
) -> ApiResult<Response> {
    let (pm, ctx) = document(&s, &me, &key).await?;
    let mut res = app::document::compose(&pm, &ctx).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/markdown; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}\"",
        file_name(&pm.incident, "md")
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

#[utoipa::path(get, path = "/api/v1/incidents/{key}/postmortem.html", tag = "postmortems", params(("key" = String, Path)),
    responses((status = 200, description = "A standalone, printable HTML page without script", content_type = "text/html"), (status = 404, body = ErrorBody)))]
async fn export_html(
    State(s): State<AppState>,
    Me(me): Me,
    Path(key): Path<String>,
) -> ApiResult<Response> {
    let (pm, ctx) = document(&s, &me, &key).await?;
    let mut res = axum::response::Html(app::document::standalone(&pm, &ctx)).into_response();
    // Defence in depth: even if markup slipped through, this page may run no script.
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; img-src https: http:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
        ),
    );
    Ok(res)
}

#[utoipa::path(get, path = "/api/v1/settings", tag = "settings",
    responses((status = 200, body = OrgSettings)))]
async fn settings(State(s): State<AppState>, Me(me): Me) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        app::ssr::services::settings::get(&s.reader, &me).await?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/settings", tag = "settings", request_body(content = Object, description = "Setting name → new value; absent settings stay"),
    responses((status = 200, body = OrgSettings), (status = 403, body = ErrorBody), (status = 422, description = "Every bad value, each named", body = ErrorBody)))]
async fn update_settings(
    State(s): State<AppState>,
    Me(me): Me,
    ApiJson(patch): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        app::ssr::services::settings::update(&s.db, &me, patch, Utc::now()).await?,
    ))
}
