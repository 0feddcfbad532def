//! A delivery to `/hooks/{id}/receive`: checked against the hook's secret, read, and applied
//! in one transaction with the SPEC's rules — a new firing alert opens an incident (when the
//! hook auto-opens and no open incident holds an alert of its group) or joins the open one;
//! every new alert and every resolution is an `alert` timeline event; a repeated delivery
//! only moves the alert's `last_seen_at`; a resolved alert never resolves the incident.
//!
//! Deliveries of one group are serialised (PostgreSQL: a transaction-scoped advisory lock on
//! the hook and group; SQLite: its single writer), so a burst of them opens one incident.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait,
    QueryFilter, QuerySelect, TransactionSession, TransactionTrait, TryInsertResult,
};

use super::pagerduty::apply_pagerduty;
use super::parse::{Delivery, Incoming, parse};
use crate::domain::alert::{DEFAULT_SERVICE_LABEL, SEVERITY_LABEL, severity_for, title_for};
use crate::domain::{AlertStatus, EventKind, HookSource, IncidentStatus, NotifyEvent, Severity};
use crate::error::{AppError, AppResult};
use crate::model::{NewIncident, Received};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{alert, hook, incident};
use crate::ssr::live::{self, LiveEvent};
use crate::ssr::secrets::{hmac_sha256_matches, same, secret_hash};
use crate::ssr::services::common::text;
use crate::ssr::services::common::{Sql, lookup};
use crate::ssr::services::incident as incidents;
use crate::ssr::services::notify::notices;
use crate::ssr::to_ms;

/// How a sender proved who it is.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// `Authorization: Bearer …`.
    pub bearer: Option<String>,
    /// `?token=…`.
    pub token: Option<String>,
    /// `X-PagerDuty-Signature`.
    pub signature: Option<String>,
}

/// Whether `sig` (`v1=<hex>[,v1=<hex>…]`, several while PagerDuty rotates the secret)
/// holds the HMAC-SHA256 of `body` under `secret`.
pub fn signature_matches(secret: &str, body: &[u8], sig: &str) -> bool {
    sig.split(',').map(str::trim).any(|part| {
        part.strip_prefix("v1=")
            .is_some_and(|h| hmac_sha256_matches(secret, body, h))
    })
}

/// The hook `id` if `cred` proves the sender knows its secret; 401 otherwise (an unknown
/// hook too: the answer does not tell which hooks exist).
pub async fn authenticate(
    db: &impl ConnectionTrait,
    id: i64,
    cred: &Credentials,
    body: &[u8],
) -> AppResult<hook::Model> {
    let refused = || AppError::Unauthorized {
        message: "the hook's secret or signature does not match".into(),
    };
    let h = hook::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(refused)?;
    let ok = match h.source {
        HookSource::Pagerduty => match (&cred.signature, &h.signing_secret) {
            (Some(sig), Some(secret)) => signature_matches(secret, body, sig),
            _ => false,
        },
        _ => cred
            .bearer
            .as_deref()
            .or(cred.token.as_deref())
            .is_some_and(|s| same(&secret_hash(s), &h.secret_hash)),
    };
    if ok { Ok(h) } else { Err(refused()) }
}

/// Applies a delivery the hook authenticated. Bad payloads change nothing (422 naming the
/// field).
pub async fn apply<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    h: &hook::Model,
    body: &[u8],
    now: DateTime<Utc>,
) -> AppResult<Received> {
    let delivery = parse(h.source, body, now)?;
    let txn = crate::ssr::db::write(db).await?;
    let actor = Actor::hook(h.id, &h.name);
    let out = match delivery {
        Delivery::Alerts(alerts) => apply_alerts(&txn, h, &actor, alerts, now).await?,
        Delivery::Pagerduty(ev) => apply_pagerduty(&txn, h, &actor, *ev, now).await?,
    };
    hook::Entity::update_many()
        .col_expr(
            hook::Column::LastReceivedAt,
            sea_orm::sea_query::Expr::value(Some(to_ms(now))),
        )
        .filter(hook::Column::Id.eq(h.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(out)
}

/// PostgreSQL: waits for any other delivery of the same group to commit.
async fn lock_group(db: &impl ConnectionTrait, hook_id: i64, group: &str) -> AppResult<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        let mut p = Sql::new();
        let name = p.bind(format!("hindsight-alert-group:{hook_id}:{group}"));
        db.execute_raw(p.statement(
            DbBackend::Postgres,
            format!("SELECT pg_advisory_xact_lock(hashtextextended({name}, 0))"),
        ))
        .await?;
    }
    Ok(())
}

/// The open incident (not resolved, not closed) that holds an alert of the hook's `group`.
async fn open_incident_of_group(
    db: &impl ConnectionTrait,
    hook_id: i64,
    group: &str,
) -> AppResult<Option<incident::Model>> {
    let ids: Vec<i64> = alert::Entity::find()
        .select_only()
        .column(alert::Column::IncidentId)
        .filter(alert::Column::HookId.eq(hook_id))
        .filter(alert::Column::GroupKey.eq(group))
        .filter(alert::Column::IncidentId.is_not_null())
        .distinct()
        .into_tuple::<Option<i64>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    if ids.is_empty() {
        return Ok(None);
    }
    Ok(incident::Entity::find()
        .filter(incident::Column::Id.is_in(ids))
        .filter(
            incident::Column::Status.is_not_in([IncidentStatus::Resolved, IncidentStatus::Closed]),
        )
        .one(db)
        .await?)
}

fn json(map: &BTreeMap<String, String>) -> String {
    serde_json::to_string(map).unwrap_or_else(|_| "{}".into())
}

/// The timeline text of a new or resolved alert: what it is, its labels, where it comes from.
fn event_text(a: &Incoming, hook: &str, resolved: bool) -> String {
    let what = a
        .summary
        .clone()
        .or_else(|| a.alertname.clone())
        .unwrap_or_else(|| a.fingerprint.clone());
    let mut s = if resolved {
        format!("Alert resolved: {}", crate::markdown::escape(&what))
    } else {
        format!("Alert firing: {}", crate::markdown::escape(&what))
    };
    s.push_str(&format!(" (from {})", crate::markdown::escape(hook)));
    if !a.labels.is_empty() {
        let labels: Vec<String> = a
            .labels
            .iter()
            .map(|(k, v)| format!("`{}={}`", k.replace('`', "'"), v.replace('`', "'")))
            .collect();
        s.push_str("\n\n");
        s.push_str(&labels.join(" "));
    }
    if let Some(body) = a.body.as_deref().filter(|b| !b.trim().is_empty()) {
        s.push_str("\n\n");
        s.push_str(&crate::markdown::escape(body));
    }
    if let Some(url) = a.url.as_deref().filter(|u| crate::markdown::safe_url(u)) {
        s.push_str(&format!(
            "\n\n[Source]({})",
            url.replace(['(', ')', ' '], "")
        ));
    }
    s
}

/// Applies alerts of one hook's delivery (see the module's rules); what was new and repeated.
pub(super) async fn apply_alerts<T: ConnectionTrait + TransactionTrait>(
    txn: &T,
    h: &hook::Model,
    actor: &Actor,
    alerts: Vec<Incoming>,
    now: DateTime<Utc>,
) -> AppResult<Received> {
    let mut out = Received::default();
    // Groups in the order they come; one lock and one incident lookup per group.
    let mut groups: Vec<String> = Vec::new();
    for a in &alerts {
        if !groups.contains(&a.group_key) {
            groups.push(a.group_key.clone());
        }
    }
    for g in &groups {
        lock_group(txn, h.id, g).await?;
    }
    let mut incident_of: BTreeMap<String, Option<incident::Model>> = BTreeMap::new();
    for g in &groups {
        incident_of.insert(g.clone(), open_incident_of_group(txn, h.id, g).await?);
    }
    let known: BTreeMap<(String, i64), alert::Model> = {
        let fps: Vec<String> = alerts.iter().map(|a| a.fingerprint.clone()).collect();
        alert::Entity::find()
            .filter(alert::Column::HookId.eq(h.id))
            .filter(alert::Column::Fingerprint.is_in(fps))
            .all(txn)
            .await?
            .into_iter()
            .map(|m| ((m.fingerprint.clone(), m.starts_at), m))
            .collect()
    };
    let mut touched: Vec<String> = Vec::new();
    // New alerts by the incident they went to: one `alert.received` message each.
    let mut received_on: BTreeMap<String, (incident::Model, Vec<String>)> = BTreeMap::new();
    for a in &alerts {
        let starts = to_ms(a.starts_at);
        if let Some(old) = known.get(&(a.fingerprint.clone(), starts)) {
            out.alerts_repeated += 1;
            let key = lookup::key::<incident::Entity>(txn, old.incident_id).await?;
            if seen_again(txn, h, a, old, now).await? {
                touched.extend(key.clone());
            }
            if out.incident.is_none() {
                out.incident = key;
            }
            continue;
        }
        out.alerts_new += 1;
        let slot = incident_of.entry(a.group_key.clone()).or_insert(None);
        if slot.is_none() && a.status == AlertStatus::Firing && h.auto_open {
            // The group's earliest start is when it was detected.
            let detected = alerts
                .iter()
                .filter(|b| b.group_key == a.group_key)
                .map(|b| b.occurred_at)
                .min()
                .unwrap_or(a.occurred_at)
                .min(now);
            *slot = Some(open_from(txn, h, actor, a, detected, now).await?);
        }
        let iid = slot.as_ref().map(|m| m.id);
        let ends = (a.status == AlertStatus::Resolved).then(|| to_ms(a.ends_at.unwrap_or(now)));
        let row = alert::ActiveModel {
            hook_id: Set(Some(h.id)),
            source: Set(h.source),
            incident_id: Set(iid),
            fingerprint: Set(a.fingerprint.clone()),
            starts_at: Set(starts),
            group_key: Set(a.group_key.clone()),
            status: Set(a.status),
            summary: Set(a.summary.clone()),
            labels: Set(json(&a.labels)),
            annotations: Set(json(&a.annotations)),
            url: Set(a.url.clone()),
            first_seen_at: Set(to_ms(now)),
            last_seen_at: Set(to_ms(now)),
            resolved_at: Set(ends),
            ..Default::default()
        };
        let res = alert::Entity::insert(row)
            .on_conflict_do_nothing_on([
                alert::Column::HookId,
                alert::Column::Fingerprint,
                alert::Column::StartsAt,
            ])
            .exec_without_returning(txn)
            .await?;
        if !matches!(res, TryInsertResult::Inserted(1)) {
            // Taken by a delivery that committed meanwhile (the group lock makes this rare).
            out.alerts_new -= 1;
            out.alerts_repeated += 1;
            continue;
        }
        if let Some(m) = slot.as_ref() {
            let at = if a.status == AlertStatus::Resolved {
                a.ends_at.unwrap_or(now)
            } else {
                a.occurred_at
            }
            .min(now);
            incidents::add_server_entry(
                txn,
                m.id,
                EventKind::Alert,
                at,
                event_text(a, &h.name, a.status == AlertStatus::Resolved),
                None,
                now,
            )
            .await?;
            touched.push(m.key.clone());
            let entry = received_on
                .entry(m.key.clone())
                .or_insert_with(|| (m.clone(), Vec::new()));
            entry.1.push(
                a.summary
                    .clone()
                    .or_else(|| a.alertname.clone())
                    .unwrap_or_else(|| a.fingerprint.clone()),
            );
            if out.incident.is_none() {
                out.incident = Some(m.key.clone());
            }
        }
    }
    touched.sort();
    touched.dedup();
    for key in touched {
        live::publish(txn, LiveEvent::alert_received(&key, actor)).await?;
    }
    announce_received(txn, h, actor, received_on, now).await?;
    Ok(out)
}

/// One `alert.received` message per incident that new alerts went to, naming the first.
async fn announce_received(
    txn: &impl ConnectionTrait,
    h: &hook::Model,
    actor: &Actor,
    received_on: BTreeMap<String, (incident::Model, Vec<String>)>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if !received_on.is_empty() {
        let ids: Vec<i64> = received_on.values().map(|(m, _)| m.id).collect();
        let services = incidents::services_of(txn, &ids).await?;
        for (m, summaries) in received_on.into_values() {
            let first = summaries.first().cloned().unwrap_or_default();
            let summary = match summaries.len() {
                1 => format!("New alert on {}: {first}", m.key),
                n => format!("{n} new alerts on {}, first: {first}", m.key),
            };
            notices::incident_change(
                txn,
                NotifyEvent::AlertReceived,
                &m,
                services.get(&m.id).map(Vec::as_slice).unwrap_or_default(),
                summary,
                vec![("Source".to_owned(), h.name.clone())],
                actor,
                now,
            )
            .await?;
        }
    }
    Ok(())
}

/// A known alert delivered again: `last_seen_at` moves; a change of status is written and,
/// when the alert belongs to an incident, is an `alert` event there (returns whether it was).
async fn seen_again(
    txn: &impl ConnectionTrait,
    h: &hook::Model,
    a: &Incoming,
    old: &alert::Model,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let mut m: alert::ActiveModel = old.clone().into();
    m.last_seen_at = Set(to_ms(now).max(old.last_seen_at));
    let changed = old.status != a.status;
    if changed {
        m.status = Set(a.status);
        m.resolved_at = Set(match a.status {
            AlertStatus::Resolved => Some(to_ms(a.ends_at.unwrap_or(now))),
            AlertStatus::Firing => None,
        });
    }
    m.update(txn).await?;
    let Some(iid) = old.incident_id.filter(|_| changed) else {
        return Ok(false);
    };
    let (at, text) = match a.status {
        AlertStatus::Resolved => (a.ends_at.unwrap_or(now), event_text(a, &h.name, true)),
        AlertStatus::Firing => (
            now,
            format!("Firing again: {}", event_text(a, &h.name, false)),
        ),
    };
    incidents::add_server_entry(txn, iid, EventKind::Alert, at.min(now), text, None, now).await?;
    Ok(true)
}

/// Opens the incident of a new firing alert: severity through the hook's map, service from
/// its label, title from the alert; a `detection` event says where it came from.
async fn open_from<T: ConnectionTrait + TransactionTrait>(
    txn: &T,
    h: &hook::Model,
    actor: &Actor,
    a: &Incoming,
    detected: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<incident::Model> {
    let map: BTreeMap<String, Severity> = h
        .severity_map
        .as_deref()
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or_default();
    let service_label = h.service_label.as_deref().unwrap_or(DEFAULT_SERVICE_LABEL);
    let severity = severity_for(
        a.severity
            .as_deref()
            .or(a.labels.get(SEVERITY_LABEL).map(String::as_str)),
        &map,
        h.default_severity,
        h.source == HookSource::Generic,
    );
    let service = a
        .service
        .clone()
        .or_else(|| a.labels.get(service_label).cloned());
    let services = service
        .and_then(|s| text::names("services", &[s]).ok())
        .unwrap_or_default();
    let title = title_for(
        a.summary.as_deref(),
        a.alertname.as_deref(),
        &format!("Alert from {}", h.name),
    );
    let created = incidents::create(
        txn,
        actor,
        NewIncident {
            title,
            severity: Some(severity),
            services,
            detected_at: Some(detected),
            ..Default::default()
        },
        now,
    )
    .await?;
    let m = incidents::find(txn, &created.key).await?;
    incidents::add_server_entry(
        txn,
        m.id,
        EventKind::Detection,
        detected,
        format!(
            "Opened from an alert of {} ({})",
            crate::markdown::escape(&h.name),
            h.source.label()
        ),
        None,
        now,
    )
    .await?;
    Ok(m)
}

/// The key of incident `id`.
pub(super) async fn key_of(db: &impl ConnectionTrait, id: i64) -> AppResult<Option<String>> {
    lookup::key::<incident::Entity>(db, Some(id)).await
}
