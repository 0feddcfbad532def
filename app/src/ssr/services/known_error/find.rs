//! Finding a known error by key and viewing it whole: services, linked incidents, actions.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::authz::Op;
use crate::domain::{KeyKind, RecordKey};
use crate::error::{AppError, AppResult};
use crate::model::{KnownError, LinkedIncident};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{
    action, incident, known_error, known_error_incident, known_error_service,
};
use crate::ssr::from_ms;
use crate::ssr::services::postmortem;

/// Finds a known error by key (`KE-3`) or 404.
pub async fn find(db: &impl ConnectionTrait, key: &str) -> AppResult<known_error::Model> {
    let parsed = RecordKey::parse_as(KeyKind::KnownError, key)
        .ok_or_else(|| AppError::not_found(format!("known error {key}")))?;
    known_error::Entity::find()
        .filter(known_error::Column::Seq.eq(parsed.seq))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("known error {parsed}")))
}

/// Services of several known errors, sorted, in one query.
pub(super) async fn services_of(
    db: &impl ConnectionTrait,
    ids: Vec<i64>,
) -> AppResult<HashMap<i64, Vec<String>>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    for s in known_error_service::Entity::find()
        .filter(known_error_service::Column::KnownErrorId.is_in(ids))
        .order_by_asc(known_error_service::Column::Service)
        .all(db)
        .await?
    {
        out.entry(s.known_error_id).or_default().push(s.service);
    }
    Ok(out)
}

/// The full record: services, linked incidents (oldest detection first) and actions.
pub async fn view(db: &impl ConnectionTrait, m: known_error::Model) -> AppResult<KnownError> {
    let services = services_of(db, vec![m.id])
        .await?
        .remove(&m.id)
        .unwrap_or_default();
    let ids: Vec<i64> = known_error_incident::Entity::find()
        .filter(known_error_incident::Column::KnownErrorId.eq(m.id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.incident_id)
        .collect();
    let linked: Vec<LinkedIncident> = if ids.is_empty() {
        Vec::new()
    } else {
        incident::Entity::find()
            .filter(incident::Column::Id.is_in(ids))
            .order_by_asc(incident::Column::DetectedAt)
            .order_by_asc(incident::Column::Seq)
            .all(db)
            .await?
            .into_iter()
            .map(|i| LinkedIncident {
                key: i.key,
                title: i.title,
                severity: i.severity,
                status: i.status,
                detected_at: from_ms(i.detected_at),
                resolved_at: i.resolved_at.map(from_ms),
            })
            .collect()
    };
    let actions = postmortem::actions_where(db, action::Column::KnownErrorId.eq(m.id)).await?;
    Ok(KnownError {
        incidents: linked.iter().map(|i| i.key.clone()).collect(),
        linked_incidents: linked,
        actions,
        services,
        key: m.key,
        title: m.title,
        symptoms: m.symptoms,
        root_cause: m.root_cause,
        workaround: m.workaround,
        status: m.status,
        fix_version: m.fix_version,
        created_at: from_ms(m.created_at),
        updated_at: from_ms(m.updated_at),
        version: m.version,
    })
}

pub async fn get(db: &impl ConnectionTrait, actor: &Actor, key: &str) -> AppResult<KnownError> {
    actor.require(Op::Read)?;
    let m = find(db, key).await?;
    view(db, m).await
}
