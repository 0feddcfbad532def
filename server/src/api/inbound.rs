//! What the two receive endpoints (an alert hook's and a tracker's webhook) read the same way:
//! the id from the path (a number, else 401 like any wrong credential, so ids are not probed),
//! the body up to a limit (413 past it), and headers by name.

use axum::body::{Body, Bytes};
use axum::http::HeaderMap;

use super::{ApiError, ApiResult};
use app::error::AppError;

pub struct Delivery {
    pub id: i64,
    pub body: Bytes,
    headers: HeaderMap,
}

impl Delivery {
    /// Reads a delivery to `raw_id`; `refused` is the 401's message, `what` names a delivery
    /// in the 413's ("a webhook may be at most 1 MB").
    pub async fn read(
        raw_id: &str,
        headers: HeaderMap,
        body: Body,
        max: usize,
        refused: &str,
        what: &str,
    ) -> ApiResult<Self> {
        let id = raw_id.parse::<i64>().map_err(|_| {
            ApiError(AppError::Unauthorized {
                message: refused.to_owned(),
            })
        })?;
        let body = axum::body::to_bytes(body, max).await.map_err(|_| {
            ApiError(AppError::PayloadTooLarge {
                message: format!("{what} may be at most {} MB", max >> 20),
            })
        })?;
        Ok(Self { id, body, headers })
    }

    /// Header `name` when it is text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}
