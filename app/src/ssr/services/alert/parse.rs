//! The senders' payloads, read into one shape. Each source's documented fields only; what a
//! payload lacks that the rules need is a 422 naming the field.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::domain::{AlertStatus, HookSource};
use crate::error::{AppError, AppResult};

/// What one delivery says, whatever sent it.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    /// Alertmanager, Grafana and the generic source: alerts in one group.
    Alerts(Vec<Incoming>),
    /// A PagerDuty v3 webhook event.
    Pagerduty(Box<PagerdutyEvent>),
}

/// One alert as its sender reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    pub fingerprint: String,
    /// With the fingerprint, what makes two reports the same alert (Alertmanager's and
    /// Grafana's `startsAt`; the Unix epoch for sources whose fingerprint alone is the id).
    pub starts_at: DateTime<Utc>,
    /// When it began, for the timeline and the incident's `detected_at`.
    pub occurred_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub group_key: String,
    pub status: AlertStatus,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// The group's `commonAnnotations.summary`, else the alert's own `summary` annotation.
    pub summary: Option<String>,
    /// The group's `commonLabels.alertname`, else the alert's own.
    pub alertname: Option<String>,
    pub url: Option<String>,
    /// A severity the sender gives directly (the generic source's `severity`).
    pub severity: Option<String>,
    /// A service the sender gives directly (the generic source's `service`).
    pub service: Option<String>,
    /// Free text to show with it (the generic source's `body`).
    pub body: Option<String>,
}

/// `event.event_type` of a PagerDuty v3 webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagerdutyKind {
    Triggered,
    Acknowledged,
    Resolved,
    Annotated,
    /// Any other event type: acknowledged with 202, changes nothing.
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PagerdutyEvent {
    /// The webhook event's own id (`event.id`): a repeated delivery carries the same.
    pub id: String,
    pub kind: PagerdutyKind,
    pub event_type: String,
    /// The PagerDuty incident's id (`event.data.id`, or `event.data.incident.id` for a note).
    pub incident_id: String,
    pub occurred_at: DateTime<Utc>,
    pub title: Option<String>,
    pub service: Option<String>,
    pub urgency: Option<String>,
    pub url: Option<String>,
    /// A note's text (`incident.annotated`).
    pub note: Option<String>,
    pub agent: Option<String>,
}

fn invalid(field: &str, why: impl Into<String>) -> AppError {
    AppError::invalid(field, why.into())
}

fn time(v: &str, field: &str) -> AppResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| invalid(field, "must be an RFC 3339 time"))
}

/// Go's zero time, which Alertmanager sends as the `endsAt` of a firing alert.
fn real_time(t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    (t.timestamp() > 0).then_some(t)
}

/// Reads `body` as `source` sends it.
pub fn parse(source: HookSource, body: &[u8], now: DateTime<Utc>) -> AppResult<Delivery> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| AppError::bad_request(format!("the body is not JSON: {e}")))?;
    match source {
        HookSource::Alertmanager | HookSource::Grafana => {
            group(source, value).map(Delivery::Alerts)
        }
        HookSource::Generic => generic(value, now).map(|a| Delivery::Alerts(vec![a])),
        HookSource::Pagerduty => pagerduty(value).map(|e| Delivery::Pagerduty(Box::new(e))),
    }
}

/// Deserialises `v` into `T`, a problem named by its path (`alerts.0.fingerprint`).
fn typed<T: serde::de::DeserializeOwned>(v: Value) -> AppResult<T> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            "body".to_owned()
        } else {
            path.replace('[', ".").replace(']', "")
        };
        let inner = e.into_inner().to_string();
        // serde names a missing field in backticks; put it on the path.
        let field = match inner
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
        {
            Some(name) if field == "body" => name.to_owned(),
            Some(name) => format!("{field}.{name}"),
            None => field,
        };
        invalid(&field, inner)
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupPayload {
    version: String,
    group_key: String,
    #[serde(default)]
    common_labels: BTreeMap<String, String>,
    #[serde(default)]
    common_annotations: BTreeMap<String, String>,
    alerts: Vec<GroupAlert>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupAlert {
    status: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    starts_at: String,
    #[serde(default)]
    ends_at: Option<String>,
    #[serde(default, rename = "generatorURL")]
    generator_url: Option<String>,
    fingerprint: String,
}

fn status(s: &str, field: &str) -> AppResult<AlertStatus> {
    s.parse()
        .map_err(|_| invalid(field, format!("`{s}` is not `firing` or `resolved`")))
}

/// Alertmanager's webhook (payload version 4) and Grafana's (version 1 in Grafana's own
/// documentation, the same fields).
fn group(source: HookSource, v: Value) -> AppResult<Vec<Incoming>> {
    let p: GroupPayload = typed(v)?;
    let versions: &[&str] = match source {
        HookSource::Grafana => &["1", "4"],
        _ => &["4"],
    };
    if !versions.contains(&p.version.as_str()) {
        return Err(invalid(
            "version",
            format!(
                "payload version `{}` is not one this hook reads ({})",
                p.version,
                versions.join(", ")
            ),
        ));
    }
    if p.group_key.trim().is_empty() {
        return Err(invalid("groupKey", "must not be empty"));
    }
    if p.alerts.is_empty() {
        return Err(invalid("alerts", "must hold at least one alert"));
    }
    let common_summary = p.common_annotations.get("summary").cloned();
    let common_name = p.common_labels.get("alertname").cloned();
    p.alerts
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            if a.fingerprint.trim().is_empty() {
                return Err(invalid(
                    &format!("alerts.{i}.fingerprint"),
                    "must not be empty",
                ));
            }
            let ends_at = match a.ends_at.as_deref() {
                Some(t) => real_time(time(t, &format!("alerts.{i}.endsAt"))?),
                None => None,
            };
            let starts_at = time(&a.starts_at, &format!("alerts.{i}.startsAt"))?;
            Ok(Incoming {
                fingerprint: a.fingerprint,
                starts_at,
                occurred_at: starts_at,
                ends_at,
                group_key: p.group_key.clone(),
                status: status(&a.status, &format!("alerts.{i}.status"))?,
                summary: common_summary
                    .clone()
                    .or_else(|| a.annotations.get("summary").cloned()),
                alertname: common_name
                    .clone()
                    .or_else(|| a.labels.get("alertname").cloned()),
                labels: a.labels,
                annotations: a.annotations,
                url: a.generator_url.filter(|u| !u.trim().is_empty()),
                severity: None,
                service: None,
                body: None,
            })
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenericPayload {
    fingerprint: String,
    title: String,
    status: String,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    occurred_at: Option<DateTime<Utc>>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

/// The generic source: one alert, its fingerprint also its group.
fn generic(v: Value, now: DateTime<Utc>) -> AppResult<Incoming> {
    let p: GenericPayload = typed(v)?;
    if p.fingerprint.trim().is_empty() {
        return Err(invalid("fingerprint", "must not be empty"));
    }
    if p.title.trim().is_empty() {
        return Err(invalid("title", "must not be empty"));
    }
    let mut labels = BTreeMap::new();
    if let Some(s) = &p.severity {
        labels.insert("severity".to_owned(), s.clone());
    }
    if let Some(s) = &p.service {
        labels.insert("service".to_owned(), s.clone());
    }
    Ok(Incoming {
        group_key: p.fingerprint.clone(),
        // The fingerprint alone is the alert's identity: a repeated delivery may carry
        // another `occurred_at`.
        starts_at: DateTime::<Utc>::UNIX_EPOCH,
        occurred_at: p.occurred_at.unwrap_or(now),
        ends_at: None,
        status: status(&p.status, "status")?,
        summary: Some(p.title),
        alertname: None,
        annotations: BTreeMap::new(),
        url: p.url.filter(|u| !u.trim().is_empty()),
        severity: p.severity,
        service: p.service,
        body: p.body,
        labels,
        fingerprint: p.fingerprint,
    })
}

#[derive(Deserialize)]
struct PdEnvelope {
    event: PdEvent,
}

#[derive(Deserialize)]
struct PdEvent {
    id: String,
    event_type: String,
    occurred_at: String,
    #[serde(default)]
    agent: Option<Value>,
    data: Value,
}

fn text(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
        .map(str::to_owned)
        .filter(|s| !s.trim().is_empty())
}

/// A PagerDuty v3 webhook event (`{"event": {…}}`).
fn pagerduty(v: Value) -> AppResult<PagerdutyEvent> {
    let e: PdEnvelope = typed(v)?;
    let ev = e.event;
    let kind = match ev.event_type.as_str() {
        "incident.triggered" => PagerdutyKind::Triggered,
        "incident.acknowledged" => PagerdutyKind::Acknowledged,
        "incident.resolved" => PagerdutyKind::Resolved,
        "incident.annotated" => PagerdutyKind::Annotated,
        _ => PagerdutyKind::Other,
    };
    let occurred_at = time(&ev.occurred_at, "event.occurred_at")?;
    let d = &ev.data;
    let incident_id = if kind == PagerdutyKind::Annotated {
        text(d, &["incident", "id"])
    } else {
        text(d, &["id"])
    };
    let incident_id = match (incident_id, kind) {
        (Some(id), _) => id,
        (None, PagerdutyKind::Other) => String::new(),
        (None, PagerdutyKind::Annotated) => {
            return Err(invalid("event.data.incident.id", "is required"));
        }
        (None, _) => return Err(invalid("event.data.id", "is required")),
    };
    Ok(PagerdutyEvent {
        id: ev.id,
        kind,
        incident_id,
        occurred_at,
        title: text(d, &["title"]),
        service: text(d, &["service", "summary"]),
        urgency: text(d, &["urgency"]),
        url: text(d, &["html_url"]).or_else(|| text(d, &["incident", "html_url"])),
        note: text(d, &["content"]),
        agent: ev.agent.as_ref().and_then(|a| text(a, &["summary"])),
        event_type: ev.event_type,
    })
}
