//! Operators' metrics in the Prometheus text format at `/metrics`: request latencies by route
//! class, and gauges read from the database at scrape time (open and overdue actions by
//! priority, verifications overdue, open incidents by severity). When
//! `HINDSIGHT_METRICS_TOKEN` is set, a scrape must send it as a bearer token.

use std::sync::OnceLock;
use std::time::Instant;

use app::ssr::AppState;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntGaugeVec, Opts, Registry, TextEncoder};

struct Instruments {
    registry: Registry,
    latency: HistogramVec,
    actions_open: IntGaugeVec,
    actions_overdue: IntGaugeVec,
    verification_overdue: IntGaugeVec,
    incidents_open: IntGaugeVec,
}

fn build() -> Result<Instruments, prometheus::Error> {
    let registry = Registry::new_custom(Some("hindsight".into()), None)?;
    let latency = HistogramVec::new(
        HistogramOpts::new(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by method, route class and status",
        )
        .buckets(vec![
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
        ]),
        &["method", "route", "status"],
    )?;
    let gauge =
        |name: &str, help: &str, labels: &[&str]| IntGaugeVec::new(Opts::new(name, help), labels);
    let i = Instruments {
        actions_open: gauge(
            "actions_open",
            "Actions open or in progress, by priority",
            &["priority"],
        )?,
        actions_overdue: gauge(
            "actions_overdue",
            "Actions open or in progress past their due date, by priority",
            &["priority"],
        )?,
        verification_overdue: gauge(
            "verifications_overdue",
            "Done actions whose verification is past due",
            &[],
        )?,
        incidents_open: gauge(
            "incidents_open",
            "Incidents neither resolved nor closed, by severity",
            &["severity"],
        )?,
        latency,
        registry,
    };
    i.registry.register(Box::new(i.latency.clone()))?;
    i.registry.register(Box::new(i.actions_open.clone()))?;
    i.registry.register(Box::new(i.actions_overdue.clone()))?;
    i.registry
        .register(Box::new(i.verification_overdue.clone()))?;
    i.registry.register(Box::new(i.incidents_open.clone()))?;
    Ok(i)
}

/// The process's instruments (`None` only if the constant definitions above were invalid).
fn instruments() -> Option<&'static Instruments> {
    static I: OnceLock<Option<Instruments>> = OnceLock::new();
    I.get_or_init(|| {
        build()
            .map_err(|e| tracing::error!(error = %e, "metrics instruments could not be built"))
            .ok()
    })
    .as_ref()
}

/// A bounded label for a path: the API resource, `/rpc`, `/pkg`, or `page`.
pub fn route_class(path: &str) -> &'static str {
    const API: [&str; 12] = [
        "incidents",
        "postmortems",
        "actions",
        "actions.csv",
        "known-errors",
        "calendar",
        "metrics",
        "settings",
        "users",
        "tokens",
        "session",
        "export",
    ];
    if let Some(rest) = path.strip_prefix("/api/v1/") {
        let first = rest.split('/').next().unwrap_or("");
        return API
            .iter()
            .find(|r| **r == first)
            .map_or("/api/v1/other", |r| match *r {
                "incidents" => "/api/v1/incidents",
                "postmortems" => "/api/v1/postmortems",
                "actions" => "/api/v1/actions",
                "actions.csv" => "/api/v1/actions.csv",
                "known-errors" => "/api/v1/known-errors",
                "calendar" => "/api/v1/calendar",
                "metrics" => "/api/v1/metrics",
                "settings" => "/api/v1/settings",
                "users" => "/api/v1/users",
                "tokens" => "/api/v1/tokens",
                "session" => "/api/v1/session",
                _ => "/api/v1/export",
            });
    }
    match path {
        p if p.starts_with("/rpc/") => "/rpc",
        p if p.starts_with("/pkg/") => "/pkg",
        "/healthz" => "/healthz",
        "/metrics" => "/metrics",
        _ => "page",
    }
}

/// Times every request.
pub async fn latency_layer(req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let route = route_class(req.uri().path());
    let start = Instant::now();
    let res = next.run(req).await;
    if let Some(i) = instruments() {
        i.latency
            .with_label_values(&[method.as_str(), route, res.status().as_str()])
            .observe(start.elapsed().as_secs_f64());
    }
    res
}

/// `GET /metrics`.
pub async fn scrape(State(state): State<AppState>, req: Request) -> Response {
    if let Some(token) = state.config.metrics_token.as_deref() {
        let sent = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if sent != Some(token) {
            return (StatusCode::UNAUTHORIZED, "a bearer token is required\n").into_response();
        }
    }
    let Some(i) = instruments() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    match app::ssr::services::metrics::operational(&state.db, chrono::Utc::now()).await {
        Ok(o) => {
            for (p, open, overdue) in &o.actions {
                i.actions_open
                    .with_label_values(&[p.as_str()])
                    .set(*open as i64);
                i.actions_overdue
                    .with_label_values(&[p.as_str()])
                    .set(*overdue as i64);
            }
            i.verification_overdue
                .with_label_values::<&str>(&[])
                .set(o.verification_overdue as i64);
            for (s, n) in &o.incidents {
                i.incidents_open
                    .with_label_values(&[s.as_str()])
                    .set(*n as i64);
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics scrape could not read the database");
            return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response();
        }
    }
    let mut buf = Vec::new();
    if TextEncoder::new()
        .encode(&i.registry.gather(), &mut buf)
        .is_err()
    {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    ([(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)], buf).into_response()
}
