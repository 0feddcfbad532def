//! The known-error list with full-text search, and the known errors of an incident with
//! whether it recurs.

use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::find::services_of;
use crate::domain::authz::Op;
use crate::domain::{ActionStatus, VerificationResult};
use crate::error::AppResult;
use crate::model::{IncidentKnownError, KnownErrorFilter, KnownErrorSummary, Page};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{
    action, incident, known_error, known_error_incident, known_error_service,
};
use crate::ssr::from_ms;
use crate::ssr::services::common::{
    Keyset, conditions, page,
    text::{self},
};
use crate::ssr::services::incident as incidents;

/// One page of known errors, newest first, with how many incidents each caused.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    f: &KnownErrorFilter,
) -> AppResult<Page<KnownErrorSummary>> {
    actor.require(Op::Read)?;
    let keyset = Keyset::new(f.limit, f.page.as_deref())?;
    let mut q = known_error::Entity::find();
    if let Some(s) = f.status {
        q = q.filter(known_error::Column::Status.eq(s));
    }
    if let Some(svc) = text::clean(f.service.as_deref()) {
        q = q.filter(conditions::has_child::<
            known_error::Entity,
            known_error_service::Entity,
        >(
            known_error::Column::Id,
            known_error_service::Column::KnownErrorId,
            known_error_service::Column::Service,
            svc,
        ));
    }
    if let Some(text) = f.q.as_deref() {
        match crate::ssr::search::known_error_condition(db.get_database_backend(), text) {
            Some(cond) => q = q.filter(cond),
            None if !text.trim().is_empty() => {
                return Ok(page::empty());
            }
            None => {}
        }
    }
    let rows = keyset.apply(q, known_error::Column::Seq).all(db).await?;
    let (rows, next) = keyset.finish(rows, |r| r.seq);
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    Ok(page::page(summaries(db, rows, ids).await?, next))
}

/// List rows for known errors: services, incident counts and last detection, one query each.
async fn summaries(
    db: &impl ConnectionTrait,
    rows: Vec<known_error::Model>,
    ids: Vec<i64>,
) -> AppResult<Vec<KnownErrorSummary>> {
    let mut services = services_of(db, ids.clone()).await?;
    let counts: HashMap<i64, (i64, Option<i64>)> = if ids.is_empty() {
        HashMap::new()
    } else {
        known_error_incident::Entity::find()
            .select_only()
            .column(known_error_incident::Column::KnownErrorId)
            .column_as(known_error_incident::Column::IncidentId.count(), "n")
            .column_as(
                Expr::col((incident::Entity, incident::Column::DetectedAt)).max(),
                "last",
            )
            .join(
                sea_orm::JoinType::InnerJoin,
                known_error_incident::Entity::belongs_to(incident::Entity)
                    .from(known_error_incident::Column::IncidentId)
                    .to(incident::Column::Id)
                    .into(),
            )
            .filter(known_error_incident::Column::KnownErrorId.is_in(ids))
            .group_by(known_error_incident::Column::KnownErrorId)
            .into_tuple::<(i64, i64, Option<i64>)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(id, n, last)| (id, (n, last)))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|m| {
            let (n, last) = counts.get(&m.id).copied().unwrap_or((0, None));
            KnownErrorSummary {
                services: services.remove(&m.id).unwrap_or_default(),
                incident_count: u64::try_from(n).unwrap_or(0),
                last_seen: last.map(from_ms),
                key: m.key,
                title: m.title,
                status: m.status,
                fix_version: m.fix_version,
                updated_at: from_ms(m.updated_at),
            }
        })
        .collect())
}

/// The known errors linked to an incident, each with whether this incident is a recurrence
/// and whether a fix had been verified effective before it was detected.
pub async fn for_incident(
    db: &impl ConnectionTrait,
    actor: &Actor,
    incident_key: &str,
) -> AppResult<Vec<IncidentKnownError>> {
    actor.require(Op::Read)?;
    let inc = incidents::find_for(db, actor, incident_key).await?;
    let ke_ids: Vec<i64> = known_error_incident::Entity::find()
        .filter(known_error_incident::Column::IncidentId.eq(inc.id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.known_error_id)
        .collect();
    if ke_ids.is_empty() {
        return Ok(Vec::new());
    }
    let kes = known_error::Entity::find()
        .filter(known_error::Column::Id.is_in(ke_ids.clone()))
        .order_by_asc(known_error::Column::Seq)
        .all(db)
        .await?;
    // Earlier incidents per known error: linked incidents detected strictly before this one.
    let earlier: HashMap<i64, i64> = known_error_incident::Entity::find()
        .select_only()
        .column(known_error_incident::Column::KnownErrorId)
        .column_as(known_error_incident::Column::IncidentId.count(), "n")
        .join(
            sea_orm::JoinType::InnerJoin,
            known_error_incident::Entity::belongs_to(incident::Entity)
                .from(known_error_incident::Column::IncidentId)
                .to(incident::Column::Id)
                .into(),
        )
        .filter(known_error_incident::Column::KnownErrorId.is_in(ke_ids.clone()))
        .filter(Expr::col((incident::Entity, incident::Column::DetectedAt)).lt(inc.detected_at))
        .group_by(known_error_incident::Column::KnownErrorId)
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    // Known errors with an action verified effective before this incident's detection.
    let verified: HashSet<i64> = action::Entity::find()
        .select_only()
        .column(action::Column::KnownErrorId)
        .filter(action::Column::KnownErrorId.is_in(ke_ids))
        .filter(action::Column::Status.eq(ActionStatus::Verified))
        .filter(action::Column::VerificationResult.eq(VerificationResult::Effective))
        .filter(action::Column::VerifiedAt.lt(inc.detected_at))
        .distinct()
        .into_tuple::<Option<i64>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    Ok(kes
        .into_iter()
        .map(|k| {
            let n = u64::try_from(earlier.get(&k.id).copied().unwrap_or(0)).unwrap_or(0);
            IncidentKnownError {
                recurrence: n > 0,
                earlier_incidents: n,
                fix_verified_before: verified.contains(&k.id),
                key: k.key,
                title: k.title,
                status: k.status,
                fix_version: k.fix_version,
                workaround: k.workaround,
            }
        })
        .collect())
}
