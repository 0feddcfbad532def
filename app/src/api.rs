//! Server functions: each one finds the shared state and delegates to the service layer, so
//! the UI and the REST API run the same code. Endpoints are fixed (no hash suffix) under
//! `/rpc`, apart from the REST API under `/api/v1`.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{IncidentFilter, IncidentSummary, Page};

#[cfg(feature = "ssr")]
fn state() -> Result<crate::ssr::AppState, AppError> {
    use_context::<crate::ssr::AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::internal()
    })
}

/// One page of the incident list.
#[server(prefix = "/rpc", endpoint = "list_incidents")]
pub async fn list_incidents(filter: IncidentFilter) -> Result<Page<IncidentSummary>, AppError> {
    let state = state()?;
    crate::ssr::services::incidents::list(&state.db, &filter).await
}
