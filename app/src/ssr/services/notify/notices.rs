//! The notices the aggregates send, built from their records in one place, so every message
//! names the same facts the same way.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::outbox;
use super::render::Notice;
use crate::domain::{NotifyEvent, RecordType};
use crate::error::AppResult;
use crate::ssr::auth::Actor;
use crate::ssr::entities::incident;

static ORIGIN: OnceLock<String> = OnceLock::new();

/// Where messages link back to (`HINDSIGHT_PUBLIC_URL`); set once at start-up.
pub fn set_public_origin(origin: &str) {
    let _ = ORIGIN.set(origin.trim_end_matches('/').to_owned());
}

/// The page of `path` under the public URL.
pub fn link(path: &str) -> String {
    format!(
        "{}{path}",
        ORIGIN.get().map_or("http://localhost:3000", String::as_str)
    )
}

/// Writes the messages of a change to incident `m` (its services given) in `txn`.
#[allow(clippy::too_many_arguments)]
pub async fn incident_change(
    txn: &impl ConnectionTrait,
    event: NotifyEvent,
    m: &incident::Model,
    services: &[String],
    summary: String,
    mut facts: Vec<(String, String)>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    facts.insert(0, ("Status".to_owned(), m.status.label().to_owned()));
    let n = Notice {
        event,
        record_type: RecordType::Incident,
        key: m.key.clone(),
        title: m.title.clone(),
        incident: Some(m.key.clone()),
        severity: Some(m.severity),
        services: services.to_vec(),
        team: None,
        facts,
        summary,
        url: link(&format!("/incidents/{}", m.key)),
        by: actor.who().label,
        at: now,
    };
    outbox::enqueue(txn, &n, now).await
}

/// Writes the messages of a change to a record that belongs to incident `inc` (a
/// postmortem, an action, a comment): the incident's severity and services are its filters.
#[allow(clippy::too_many_arguments)]
pub async fn record_change(
    txn: &impl ConnectionTrait,
    event: NotifyEvent,
    record_type: RecordType,
    key: &str,
    title: &str,
    path: &str,
    inc: Option<(&incident::Model, &[String])>,
    team: Option<&str>,
    summary: String,
    facts: Vec<(String, String)>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let n = Notice {
        event,
        record_type,
        key: key.to_owned(),
        title: title.to_owned(),
        incident: inc.map(|(i, _)| i.key.clone()),
        severity: inc.map(|(i, _)| i.severity),
        services: inc.map(|(_, s)| s.to_vec()).unwrap_or_default(),
        team: team.map(str::to_owned),
        facts,
        summary,
        url: link(path),
        by: actor.who().label,
        at: now,
    };
    outbox::enqueue(txn, &n, now).await
}
