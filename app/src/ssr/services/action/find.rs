//! Finding an action by key and viewing it whole: links, people, verification attempts.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::action::overdue;
use crate::domain::authz::Op;
use crate::domain::{KeyKind, RecordKey};
use crate::error::{AppError, AppResult};
use crate::model::{Action, Verification};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{action, action_verification, incident, known_error};
use crate::ssr::from_ms;
use crate::ssr::services::common::lookup;
use crate::ssr::services::settings::{self, OrgSettings};

/// Finds an action by key (`ACT-4`) or 404.
pub async fn find(db: &impl ConnectionTrait, key: &str) -> AppResult<action::Model> {
    let parsed = RecordKey::parse_as(KeyKind::Action, key)
        .ok_or_else(|| AppError::not_found(format!("action {key}")))?;
    action::Entity::find()
        .filter(action::Column::Seq.eq(parsed.seq))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("action {parsed}")))
}

/// The full action with its links, people and verification attempts.
pub async fn view(
    db: &impl ConnectionTrait,
    m: action::Model,
    today: NaiveDate,
) -> AppResult<Action> {
    let attempts = action_verification::Entity::find()
        .filter(action_verification::Column::ActionId.eq(m.id))
        .order_by_asc(action_verification::Column::Id)
        .all(db)
        .await?;
    let people = lookup::emails(
        db,
        attempts
            .iter()
            .map(|v| v.verified_by)
            .chain(m.owner_id.map(i64::from))
            .chain(m.verified_by.map(i64::from)),
    )
    .await?;
    let incident = lookup::key::<incident::Entity>(db, m.incident_id).await?;
    let known_error = lookup::key::<known_error::Entity>(db, m.known_error_id).await?;
    let issue = match (m.tracker_id, &m.external_key) {
        (Some(tid), Some(k)) => crate::ssr::entities::tracker::Entity::find_by_id(tid)
            .one(db)
            .await?
            .map(|t| crate::model::TrackerIssue {
                tracker: t.id,
                tracker_name: t.name,
                kind: t.kind,
                key: k.clone(),
                url: m.external_url.clone(),
                state: m.external_state.clone(),
                synced_at: m.synced_at.map(from_ms),
            }),
        _ => None,
    };
    Ok(Action {
        issue,
        overdue: overdue(m.status, m.due_date, today),
        incident,
        known_error,
        owner: m.owner_id.and_then(|id| people.get(&id.0).cloned()),
        verified_by: m.verified_by.and_then(|id| people.get(&id.0).cloned()),
        verifications: attempts
            .into_iter()
            .map(|v| Verification {
                verified_by: people.get(&v.verified_by).cloned(),
                verified_at: from_ms(v.verified_at),
                result: v.result,
                evidence: v.evidence,
            })
            .collect(),
        key: m.key,
        title: m.title,
        description: m.description,
        kind: m.kind,
        priority: m.priority,
        team: m.team,
        due_date: m.due_date,
        status: m.status,
        completed_at: m.completed_at.map(from_ms),
        verification_required: m.verification_required,
        verification_plan: m.verification_plan,
        verification_due: m.verification_due,
        verified_at: m.verified_at.map(from_ms),
        verification_result: m.verification_result,
        verification_evidence: m.verification_evidence,
        cancelled_reason: m.cancelled_reason,
        external_url: m.external_url,
        reopen_count: m.reopen_count,
        created_at: from_ms(m.created_at),
        updated_at: from_ms(m.updated_at),
        version: m.version,
    })
}

pub(super) fn today(s: &OrgSettings, now: DateTime<Utc>) -> NaiveDate {
    s.calendar().date_of(now)
}

pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    key: &str,
    now: DateTime<Utc>,
) -> AppResult<Action> {
    actor.require(Op::Read)?;
    let s = settings::load(db).await?;
    let m = find(db, key).await?;
    view(db, m, today(&s, now)).await
}
