//! Links between known errors and incidents, in both records' histories.

use crate::domain::{AuditAction, RecordType};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, TransactionSession,
    TransactionTrait,
};

use super::find::{find, view};
use crate::domain::authz::Op;
use crate::error::{AppError, AppResult};
use crate::model::KnownError;
use crate::ssr::audit::{self, FieldChange};
use crate::ssr::auth::Actor;
use crate::ssr::entities::known_error_incident;
use crate::ssr::services::incident as incidents;
use crate::ssr::to_ms;

/// Links an incident to a known error (many-to-many; linking twice changes nothing). Both
/// records' histories show it.
pub async fn link<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    ke_key: &str,
    incident_key: &str,
    now: DateTime<Utc>,
) -> AppResult<KnownError> {
    actor.require(Op::WriteKnownError)?;
    let txn = crate::ssr::db::write(db).await?;
    let ke = find(&txn, ke_key).await?;
    let inc = incidents::find(&txn, incident_key)
        .await
        .map_err(|_| AppError::invalid("incident", format!("no incident {incident_key}")))?;
    let exists = known_error_incident::Entity::find_by_id((ke.id, inc.id))
        .one(&txn)
        .await?
        .is_some();
    if !exists {
        known_error_incident::ActiveModel {
            known_error_id: Set(ke.id),
            incident_id: Set(inc.id),
            created_at: Set(to_ms(now)),
            created_by: Set(actor.user_id().map(|u| u.0)),
        }
        .insert(&txn)
        .await?;
        audit_link(&txn, actor, now, &ke.key, &inc.key, AuditAction::Link).await?;
    }
    txn.commit().await?;
    view(db, ke).await
}

/// Removes a link; removing one that is not there is a 404.
pub async fn unlink<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    ke_key: &str,
    incident_key: &str,
    now: DateTime<Utc>,
) -> AppResult<KnownError> {
    actor.require(Op::WriteKnownError)?;
    let txn = crate::ssr::db::write(db).await?;
    let ke = find(&txn, ke_key).await?;
    let inc = incidents::find(&txn, incident_key).await?;
    let res = known_error_incident::Entity::delete_by_id((ke.id, inc.id))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(AppError::not_found(format!(
            "a link between {} and {}",
            ke.key, inc.key
        )));
    }
    audit_link(&txn, actor, now, &ke.key, &inc.key, AuditAction::Unlink).await?;
    txn.commit().await?;
    view(db, ke).await
}

async fn audit_link(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    now: DateTime<Utc>,
    ke: &str,
    inc: &str,
    action: AuditAction,
) -> AppResult<()> {
    let (old, new) = if action == AuditAction::Link {
        (None, Some(inc.to_owned()))
    } else {
        (Some(inc.to_owned()), None)
    };
    audit::record(
        txn,
        &actor.who(),
        now,
        RecordType::KnownError,
        ke,
        action,
        &[FieldChange::new("incidents", old.clone(), new.clone())],
    )
    .await?;
    let (old, new) = (old.map(|_| ke.to_owned()), new.map(|_| ke.to_owned()));
    audit::record(
        txn,
        &actor.who(),
        now,
        RecordType::Incident,
        inc,
        action,
        &[FieldChange::new("known_errors", old, new)],
    )
    .await?;
    Ok(())
}
