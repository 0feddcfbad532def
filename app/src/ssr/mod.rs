//! Server-side only (feature `ssr`): persistence, the service layer and the state they share.
//! Nothing here reaches the WASM bundle.

pub mod db;
pub mod entities;
pub mod services;

use axum::extract::FromRef;
use chrono::{DateTime, Utc};
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;

/// What every request handler and server function can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// An instant as stored: Unix milliseconds.
pub fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// A stored instant back as a UTC time (out-of-range values clamp rather than panic).
pub fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::<Utc>::MIN_UTC)
}
