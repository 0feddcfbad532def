//! Server-side only (feature `ssr`): persistence, the service layer and the state they share.
//! Nothing here reaches the WASM bundle.

pub mod audit;
pub mod auth;
pub mod db;
pub mod entities;
pub mod live;
pub mod search;
pub mod secretbox;
pub mod secrets;
pub mod services;
pub mod similarity;

use axum::extract::FromRef;
use chrono::{DateTime, Utc};
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;

/// Deployment facts the request handlers need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeConfig {
    /// `scheme://host[:port]` people use to reach the site; writes from other origins are refused.
    pub public_origin: String,
    /// Mark cookies `Secure` (the site is served over https).
    pub secure_cookies: bool,
    /// Bearer token a `/metrics` scrape must send (`HINDSIGHT_METRICS_TOKEN`); none: open.
    pub metrics_token: Option<String>,
    /// How often `/api/v1/stream` sends a comment line to stay open through proxies.
    pub stream_heartbeat: std::time::Duration,
}

impl RuntimeConfig {
    pub fn new(public_origin: &str) -> Self {
        let public_origin = public_origin.trim_end_matches('/').to_owned();
        Self {
            secure_cookies: public_origin.starts_with("https://"),
            public_origin,
            metrics_token: None,
            stream_heartbeat: std::time::Duration::from_secs(20),
        }
    }
}

/// What every request handler and server function can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    /// Heavy reads that may run side by side (`db::connect_reader`); `db` itself where the
    /// database has no separate readers.
    pub reader: DatabaseConnection,
    pub config: std::sync::Arc<RuntimeConfig>,
    /// This process's fan-out of live updates (`/api/v1/stream`).
    pub live: live::Hub,
    /// Outgoing HTTP (channel test messages), with the delivery timeout.
    pub http: reqwest::Client,
    /// The settings as this process keeps them between requests.
    pub settings: services::settings::Cache,
    /// The services and tags in use, as this process keeps them between requests.
    pub labels: services::incident::LabelsCache,
}

/// The client every outgoing message goes through (timeouts set per request), or an error
/// if the platform has no TLS roots.
pub fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .timeout(services::notify::deliver::REQUEST_TIMEOUT)
        .build()
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
