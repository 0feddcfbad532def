//! The follow-through metrics of the SPEC.

use app::model::{Metrics, MetricsQuery};
use app::ssr::AppState;
use app::ssr::services::metrics;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;

use super::{ApiQuery, ApiResult, ErrorBody, Me};

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(show))
}

#[utoipa::path(get, path = "/api/v1/metrics", tag = "metrics", params(MetricsQuery),
    responses((status = 200, description = "The metrics for the period, computed in the database", body = Metrics),
              (status = 422, body = ErrorBody)))]
pub(super) async fn show(
    State(s): State<AppState>,
    Me(me): Me,
    ApiQuery(q): ApiQuery<MetricsQuery>,
) -> ApiResult<Json<Metrics>> {
    Ok(Json(
        metrics::compute(&s.reader, &me, &q, Utc::now()).await?,
    ))
}
