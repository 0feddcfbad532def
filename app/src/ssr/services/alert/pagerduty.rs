//! PagerDuty v3 webhooks: one incident per PagerDuty incident, acknowledgement and
//! resolution and notes as events, each event id applied once.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    TransactionTrait, TryInsertResult,
};

use super::parse::{Incoming, PagerdutyEvent, PagerdutyKind};
use super::receive::{apply_alerts, key_of};
use crate::domain::{AlertStatus, EventKind, HookSource};
use crate::error::{AppError, AppResult};
use crate::model::{IncidentPatch, Received};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{alert, hook, hook_receipt, incident};
use crate::ssr::live::{self, LiveEvent};
use crate::ssr::services::incident as incidents;
use crate::ssr::{from_ms, to_ms};

/// PagerDuty v3: `incident.triggered` opens (one incident per PagerDuty incident),
/// `incident.acknowledged` sets `acknowledged_at` if unset, `incident.resolved` and
/// `incident.annotated` add events. A repeated event (same `event.id`) changes nothing.
pub(super) async fn apply_pagerduty<T: ConnectionTrait + TransactionTrait>(
    txn: &T,
    h: &hook::Model,
    actor: &Actor,
    ev: PagerdutyEvent,
    now: DateTime<Utc>,
) -> AppResult<Received> {
    let receipt = hook_receipt::ActiveModel {
        hook_id: Set(h.id),
        event_id: Set(ev.id.clone()),
        received_at: Set(to_ms(now)),
        ..Default::default()
    };
    let first = matches!(
        hook_receipt::Entity::insert(receipt)
            .on_conflict_do_nothing_on([
                hook_receipt::Column::HookId,
                hook_receipt::Column::EventId
            ])
            .exec_without_returning(txn)
            .await?,
        TryInsertResult::Inserted(1)
    );
    let existing = if ev.incident_id.is_empty() {
        None
    } else {
        alert::Entity::find()
            .filter(alert::Column::HookId.eq(h.id))
            .filter(alert::Column::Fingerprint.eq(ev.incident_id.clone()))
            .one(txn)
            .await?
    };
    let incident_key = match existing.as_ref().and_then(|a| a.incident_id) {
        Some(iid) => key_of(txn, iid).await?,
        None => None,
    };
    if !first || ev.kind == PagerdutyKind::Other {
        return Ok(Received {
            incident: incident_key,
            alerts_new: 0,
            alerts_repeated: u32::from(existing.is_some()),
        });
    }
    let mut labels = BTreeMap::new();
    if let Some(s) = &ev.service {
        labels.insert("service".to_owned(), s.clone());
    }
    if let Some(u) = &ev.urgency {
        labels.insert("urgency".to_owned(), u.clone());
    }
    let incoming = Incoming {
        fingerprint: ev.incident_id.clone(),
        starts_at: DateTime::<Utc>::UNIX_EPOCH,
        occurred_at: ev.occurred_at,
        ends_at: (ev.kind == PagerdutyKind::Resolved).then_some(ev.occurred_at),
        group_key: ev.incident_id.clone(),
        status: if ev.kind == PagerdutyKind::Resolved {
            AlertStatus::Resolved
        } else {
            AlertStatus::Firing
        },
        labels,
        annotations: BTreeMap::new(),
        summary: ev.title.clone(),
        alertname: None,
        url: ev.url.clone(),
        // PagerDuty's urgency (`high`, `low`) goes through the hook's map.
        severity: ev.urgency.clone(),
        service: ev.service.clone(),
        body: None,
    };
    match (ev.kind, existing) {
        (PagerdutyKind::Triggered, None) | (PagerdutyKind::Resolved, None) => {
            // The generic rules: a trigger opens (or joins) by the PagerDuty incident id.
            let h2 = hook::Model {
                source: HookSource::Generic,
                ..h.clone()
            };
            let mut r = apply_alerts(txn, &h2, actor, vec![incoming], now).await?;
            // Stored as PagerDuty's, whatever rules it went through.
            alert::Entity::update_many()
                .col_expr(
                    alert::Column::Source,
                    sea_orm::sea_query::Expr::value(HookSource::Pagerduty.as_str()),
                )
                .filter(alert::Column::HookId.eq(h.id))
                .filter(alert::Column::Fingerprint.eq(ev.incident_id.clone()))
                .exec(txn)
                .await?;
            if r.incident.is_none() {
                r.incident = incident_key;
            }
            Ok(r)
        }
        (PagerdutyKind::Triggered, Some(_)) => Ok(Received {
            incident: incident_key,
            alerts_new: 0,
            alerts_repeated: 1,
        }),
        (kind, Some(a)) => {
            let Some(iid) = a.incident_id else {
                return Ok(Received {
                    incident: None,
                    alerts_new: 0,
                    alerts_repeated: 1,
                });
            };
            let inc = incident::Entity::find_by_id(iid)
                .one(txn)
                .await?
                .ok_or_else(AppError::internal)?;
            let who = ev
                .agent
                .as_deref()
                .map(|a| format!(" by {}", crate::markdown::escape(a)))
                .unwrap_or_default();
            let text = match kind {
                PagerdutyKind::Acknowledged => format!("Acknowledged in PagerDuty{who}"),
                PagerdutyKind::Resolved => format!("Resolved in PagerDuty{who}"),
                _ => format!(
                    "Note in PagerDuty{who}: {}",
                    crate::markdown::escape(ev.note.as_deref().unwrap_or(""))
                ),
            };
            let at = ev.occurred_at.min(now);
            incidents::add_server_entry(txn, iid, EventKind::Alert, at, text, None, now).await?;
            let mut m: alert::ActiveModel = a.clone().into();
            m.last_seen_at = Set(to_ms(now));
            if kind == PagerdutyKind::Resolved {
                m.status = Set(AlertStatus::Resolved);
                m.resolved_at = Set(Some(to_ms(at)));
            }
            m.update(txn).await?;
            if kind == PagerdutyKind::Acknowledged && inc.acknowledged_at.is_none() {
                // Not before it was detected: the key times keep their order.
                let at = at.max(from_ms(inc.detected_at));
                incidents::update(
                    txn,
                    actor,
                    &inc.key,
                    IncidentPatch {
                        acknowledged_at: Some(Some(at)),
                        ..Default::default()
                    },
                    now,
                )
                .await?;
            }
            live::publish(txn, LiveEvent::alert_received(&inc.key, actor)).await?;
            Ok(Received {
                incident: Some(inc.key),
                alerts_new: 0,
                alerts_repeated: 1,
            })
        }
        // Acknowledged or annotated before any trigger reached Hindsight: nothing to attach to.
        (_, None) => Ok(Received::default()),
    }
}
