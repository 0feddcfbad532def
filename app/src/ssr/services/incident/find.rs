//! Finding an incident by key and viewing it whole.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::authz::Op;
use crate::domain::incident::KeyTimes;
use crate::domain::{KeyKind, RecordKey};
use crate::error::{AppError, AppResult};
use crate::model::Incident;
use crate::ssr::auth::Actor;
use crate::ssr::entities::{incident, incident_role, incident_service, incident_tag, postmortem};
use crate::ssr::from_ms;
use crate::ssr::services::common::lookup;

/// The key times of a stored incident.
pub fn key_times(m: &incident::Model) -> KeyTimes {
    KeyTimes {
        started_at: m.started_at.map(from_ms),
        detected_at: Some(from_ms(m.detected_at)),
        acknowledged_at: m.acknowledged_at.map(from_ms),
        mitigated_at: m.mitigated_at.map(from_ms),
        resolved_at: m.resolved_at.map(from_ms),
        closed_at: m.closed_at.map(from_ms),
    }
}

/// Finds an incident by key (`INC-7`) or 404.
pub async fn find(db: &impl ConnectionTrait, key: &str) -> AppResult<incident::Model> {
    let parsed = RecordKey::parse_as(KeyKind::Incident, key)
        .ok_or_else(|| AppError::not_found(format!("incident {key}")))?;
    incident::Entity::find()
        .filter(incident::Column::Seq.eq(parsed.seq))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("incident {parsed}")))
}

/// [`find`] for a read on behalf of `actor`: within one server-rendered page the panels that
/// each find the incident share one read ([`PageReads`](crate::ssr::services::common::PageReads)).
pub async fn find_for(
    db: &impl ConnectionTrait,
    actor: &Actor,
    key: &str,
) -> AppResult<incident::Model> {
    match RecordKey::parse_as(KeyKind::Incident, key) {
        Some(parsed) => actor.page.incident(parsed.seq, || find(db, key)).await,
        None => find(db, key).await,
    }
}

/// The full incident: services, tags, roles, commander and postmortem status, in one query each.
pub async fn view(db: &impl ConnectionTrait, m: incident::Model) -> AppResult<Incident> {
    let services = incident_service::Entity::find()
        .filter(incident_service::Column::IncidentId.eq(m.id))
        .order_by_asc(incident_service::Column::Service)
        .all(db)
        .await?;
    let tags = incident_tag::Entity::find()
        .filter(incident_tag::Column::IncidentId.eq(m.id))
        .order_by_asc(incident_tag::Column::Tag)
        .all(db)
        .await?;
    let roles = incident_role::Entity::find()
        .filter(incident_role::Column::IncidentId.eq(m.id))
        .all(db)
        .await?;
    let people = lookup::people(
        db,
        roles
            .iter()
            .map(|r| r.user_id)
            .chain(m.commander_id.map(i64::from)),
    )
    .await?;
    let pm = postmortem::Entity::find()
        .filter(postmortem::Column::IncidentId.eq(m.id))
        .one(db)
        .await?;
    let commander = m.commander_id.and_then(|id| people.get(&id.0));
    Ok(Incident {
        durations: key_times(&m).durations(),
        services: services.into_iter().map(|s| s.service).collect(),
        tags: tags.into_iter().map(|t| t.tag).collect(),
        roles: roles
            .into_iter()
            .filter_map(|r| people.get(&r.user_id).map(|u| (r.role, u.email.clone())))
            .collect(),
        commander: commander.map(|u| u.email.clone()),
        commander_name: commander.map(|u| u.name.clone()),
        postmortem_status: pm.map(|p| p.status),
        key: m.key,
        title: m.title,
        severity: m.severity,
        status: m.status,
        summary: m.summary,
        customer_impact: m.customer_impact,
        started_at: m.started_at.map(from_ms),
        detected_at: from_ms(m.detected_at),
        acknowledged_at: m.acknowledged_at.map(from_ms),
        mitigated_at: m.mitigated_at.map(from_ms),
        resolved_at: m.resolved_at.map(from_ms),
        closed_at: m.closed_at.map(from_ms),
        reopen_count: m.reopen_count,
        rca_due_at: m.rca_due_at.map(from_ms),
        created_at: from_ms(m.created_at),
        updated_at: from_ms(m.updated_at),
        version: m.version,
    })
}

pub async fn get(db: &impl ConnectionTrait, actor: &Actor, key: &str) -> AppResult<Incident> {
    actor.require(Op::Read)?;
    let m = find_for(db, actor, key).await?;
    view(db, m).await
}
