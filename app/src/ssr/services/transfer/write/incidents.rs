//! Incidents with their services, tags, roles, timelines, postmortems and reviewers.

use crate::domain::RecordType;
use crate::domain::{IncidentId, UserId};
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait};

use crate::error::{AppError, AppResult};
use crate::ssr::entities::{
    alert, hook, incident, incident_role, incident_service, incident_tag, postmortem,
    postmortem_reviewer, timeline_event,
};
use crate::ssr::services::{incident as incidents, postmortem as postmortems};
use crate::ssr::to_ms;

use super::{Writer, ids_by, insert_all, ms};
use crate::transfer::IncidentRecord;

/// This instance's hooks by name: an imported alert goes back to the hook of its name.
pub(super) async fn hooks(txn: &impl ConnectionTrait) -> AppResult<HashMap<String, i64>> {
    use sea_orm::EntityTrait;
    Ok(hook::Entity::find()
        .all(txn)
        .await?
        .into_iter()
        .map(|h| (h.name, h.id))
        .collect())
}

/// Writes a batch of incidents and their children.
pub(super) async fn write(
    txn: &impl ConnectionTrait,
    w: &mut Writer<'_>,
    batch: &[(i64, IncidentRecord)],
    hooks: &HashMap<String, i64>,
) -> AppResult<()> {
    let rows: Vec<incident::ActiveModel> = batch
        .iter()
        .map(|(seq, r)| incident::ActiveModel {
            key: Set(r.key.clone()),
            seq: Set(*seq),
            title: Set(r.title.clone()),
            severity: Set(r.severity),
            status: Set(r.status),
            summary: Set(r.summary.clone()),
            customer_impact: Set(r.customer_impact.clone()),
            commander_id: Set(w.uid(&r.commander).map(UserId)),
            started_at: Set(ms(r.started_at)),
            detected_at: Set(to_ms(r.detected_at)),
            acknowledged_at: Set(ms(r.acknowledged_at)),
            mitigated_at: Set(ms(r.mitigated_at)),
            resolved_at: Set(ms(r.resolved_at)),
            closed_at: Set(ms(r.closed_at)),
            reopen_count: Set(r.reopen_count),
            rca_due_at: Set(incidents::rca_due(&w.org, r.severity, r.resolved_at)),
            created_by: Set(w.uid(&r.created_by)),
            created_at: Set(ms(r.created_at).unwrap_or(to_ms(w.now))),
            updated_at: Set(ms(r.updated_at).unwrap_or(to_ms(w.now))),
            version: Set(1),
            ..Default::default()
        })
        .collect();
    w.summary.incidents += rows.len();
    insert_all(txn, rows).await?;
    let inc_id = ids_by(
        incident::Entity,
        incident::Column::Seq,
        incident::Column::Id,
        batch.iter().map(|(seq, _)| *seq).collect(),
        txn,
    )
    .await?;

    let mut services = Vec::new();
    let mut tags = Vec::new();
    let mut roles = Vec::new();
    let mut events = Vec::new();
    let mut pms = Vec::new();
    let mut alerts = Vec::new();
    for (seq, r) in batch {
        let Some(&id) = inc_id.get(seq) else {
            return Err(AppError::internal());
        };
        w.audit.push((RecordType::Incident, r.key.clone()));
        services.extend(r.services.iter().map(|s| incident_service::ActiveModel {
            incident_id: Set(id),
            service: Set(s.clone()),
        }));
        tags.extend(r.tags.iter().map(|t| incident_tag::ActiveModel {
            incident_id: Set(id),
            tag: Set(t.clone()),
        }));
        for (role, email) in &r.roles {
            if let Some(&u) = w.users.get(email) {
                roles.push(incident_role::ActiveModel {
                    incident_id: Set(id),
                    role: Set(role.clone()),
                    user_id: Set(u),
                });
            }
        }
        events.extend(r.timeline.iter().map(|e| timeline_event::ActiveModel {
            incident_id: Set(id),
            occurred_at: Set(to_ms(e.occurred_at)),
            kind: Set(e.kind),
            body: Set(e.body.clone()),
            visibility: Set(e.visibility),
            author_id: Set(w.uid(&e.author)),
            created_at: Set(ms(e.created_at).unwrap_or(to_ms(e.occurred_at))),
            ..Default::default()
        }));
        alerts.extend(r.alerts.iter().map(|a| alert_row(a, id, hooks)));
        if let Some(pm) = &r.postmortem {
            w.audit.push((RecordType::Postmortem, r.key.clone()));
            pms.push(postmortem_row(w, r, pm, id)?);
        }
    }
    insert_all(txn, services).await?;
    insert_all(txn, tags).await?;
    insert_all(txn, roles).await?;
    w.summary.timeline_events += events.len();
    insert_all(txn, events).await?;
    insert_all(txn, alerts).await?;
    w.summary.postmortems += pms.len();
    let with_pm: Vec<i64> = pms
        .iter()
        .filter_map(|pm| match &pm.incident_id {
            Set(IncidentId(id)) => Some(*id),
            _ => None,
        })
        .collect();
    insert_all(txn, pms).await?;
    let pm_id = ids_by(
        postmortem::Entity,
        postmortem::Column::IncidentId,
        postmortem::Column::Id,
        with_pm,
        txn,
    )
    .await?;
    let mut reviewers = Vec::new();
    for (seq, r) in batch {
        let (Some(pm), Some(pid)) = (
            &r.postmortem,
            inc_id.get(seq).and_then(|i| pm_id.get(i)).copied(),
        ) else {
            continue;
        };
        let approved: HashMap<&str, DateTime<Utc>> = pm
            .approvals
            .iter()
            .map(|a| (a.reviewer.as_str(), a.approved_at))
            .collect();
        for e in &pm.reviewers {
            if let Some(&u) = w.users.get(e) {
                reviewers.push(postmortem_reviewer::ActiveModel {
                    postmortem_id: Set(pid),
                    user_id: Set(u),
                    approved_at: Set(approved.get(e.as_str()).map(|t| to_ms(*t))),
                });
            }
        }
    }
    insert_all(txn, reviewers).await?;
    w.advance(batch.len());
    Ok(())
}

/// An alert's row, on the hook of its name when this instance has one.
fn alert_row(
    a: &crate::transfer::AlertRecord,
    incident_id: i64,
    hooks: &HashMap<String, i64>,
) -> alert::ActiveModel {
    alert::ActiveModel {
        hook_id: Set(a.hook.as_ref().and_then(|h| hooks.get(h).copied())),
        source: Set(a.source),
        incident_id: Set(Some(incident_id)),
        fingerprint: Set(a.fingerprint.clone()),
        starts_at: Set(to_ms(a.starts_at)),
        group_key: Set(a.group_key.clone()),
        status: Set(a.status),
        summary: Set(a.summary.clone()),
        labels: Set(serde_json::to_string(&a.labels).unwrap_or_else(|_| "{}".into())),
        annotations: Set(serde_json::to_string(&a.annotations).unwrap_or_else(|_| "{}".into())),
        url: Set(a.url.clone()),
        first_seen_at: Set(to_ms(a.first_seen_at)),
        last_seen_at: Set(to_ms(a.last_seen_at)),
        resolved_at: Set(ms(a.resolved_at)),
        ..Default::default()
    }
}

/// A postmortem's row; its RCA due date follows this instance's settings.
fn postmortem_row(
    w: &Writer<'_>,
    r: &crate::transfer::IncidentRecord,
    pm: &crate::transfer::PostmortemRecord,
    incident_id: i64,
) -> AppResult<postmortem::ActiveModel> {
    Ok(postmortem::ActiveModel {
        incident_id: Set(IncidentId(incident_id)),
        status: Set(pm.status),
        body: Set(pm.body.clone()),
        root_cause_category: Set(pm.root_cause_category),
        root_cause: Set(pm.root_cause.clone()),
        five_whys: Set(postmortems::encode(&pm.five_whys)?),
        contributing_factors: Set(postmortems::encode(&pm.contributing_factors)?),
        due_at: Set(incidents::rca_due(&w.org, r.severity, r.resolved_at)),
        published_at: Set(ms(pm.published_at)),
        created_at: Set(ms(pm.created_at).unwrap_or(to_ms(w.now))),
        updated_at: Set(ms(pm.updated_at).unwrap_or(to_ms(w.now))),
        version: Set(1),
        ..Default::default()
    })
}
