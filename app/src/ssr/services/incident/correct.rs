//! Corrections of timeline entries: by their author or a responder, on the version read, with
//! the earlier text kept in the incident's audit log (field `timeline.{id}`), never lost.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, TransactionSession,
    TransactionTrait,
};

use crate::domain::authz::Op;
use crate::domain::{AuditAction, RecordType, Role};
use crate::error::{AppError, AppResult};
use crate::model::{AuditEntry, EventPatch, TimelineEvent};
use crate::ssr::audit::{self, FieldChange};
use crate::ssr::auth::Actor;
use crate::ssr::entities::timeline_event;
use crate::ssr::live::{self, LiveEvent};
use crate::ssr::services::common::{lookup, stale_by};
use crate::ssr::{from_ms, to_ms};

use super::find::find;
use super::timeline::{apply_mitigation, check_entry, to_event};

/// The audit field that holds an entry's text over time.
pub fn entry_field(id: i64) -> String {
    format!("timeline.{id}")
}

/// How the audit log shows an entry: time, kind and text in one line.
pub(super) fn entry_line(e: &timeline_event::Model) -> String {
    format!(
        "{} {} ({}): {}",
        from_ms(e.occurred_at).to_rfc3339(),
        e.kind,
        e.visibility,
        e.body
    )
}

/// Corrects an entry's text, kind, time or visibility. Only people write entries, so the
/// server's `status_change` entries are not corrected; a correction that makes the entry an
/// earlier mitigation moves `mitigated_at` as a new one would.
pub async fn correct_event<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    key: &str,
    id: i64,
    patch: EventPatch,
    now: DateTime<Utc>,
) -> AppResult<TimelineEvent> {
    actor.require(Op::Read)?;
    let txn = crate::ssr::db::write(db).await?;
    let inc = find(&txn, key).await?;
    let old = timeline_event::Entity::find_by_id(id)
        .filter(timeline_event::Column::IncidentId.eq(inc.id))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found(format!("timeline entry {id} of {}", inc.key)))?;
    let is_author = old.author_id.is_some() && old.author_id == actor.user_id().map(|u| u.0);
    if actor.require(Op::WriteIncident).is_err() && !(is_author && actor.role != Role::Viewer) {
        return Err(AppError::forbidden(
            "only the entry's author or a responder corrects a timeline entry",
        ));
    }
    if old.kind == crate::domain::EventKind::StatusChange {
        return Err(AppError::invalid(
            "kind",
            "status_change entries record what the server did and are not corrected",
        ));
    }
    let kind = patch.kind.unwrap_or(old.kind);
    let body = patch.body.clone().unwrap_or_else(|| old.body.clone());
    check_entry(kind, &body)?;
    let what = format!("timeline entry {id} of {}", inc.key);
    if patch.version.is_some_and(|v| v != old.version) {
        return Err(stale_by(&txn, RecordType::Incident, &inc.key, &what).await);
    }
    let occurred_at = patch
        .occurred_at
        .unwrap_or_else(|| from_ms(old.occurred_at));
    let mut new = old.clone();
    new.kind = kind;
    new.body = body;
    new.occurred_at = to_ms(occurred_at);
    new.visibility = patch.visibility.unwrap_or(old.visibility);
    if entry_line(&new) == entry_line(&old) {
        txn.commit().await?;
        let authors = lookup::emails(db, old.author_id).await?;
        return Ok(to_event(old, &authors));
    }
    let res = timeline_event::Entity::update_many()
        .col_expr(timeline_event::Column::Kind, Expr::value(new.kind))
        .col_expr(timeline_event::Column::Body, Expr::value(new.body.clone()))
        .col_expr(
            timeline_event::Column::OccurredAt,
            Expr::value(new.occurred_at),
        )
        .col_expr(
            timeline_event::Column::Visibility,
            Expr::value(new.visibility),
        )
        .col_expr(timeline_event::Column::EditedAt, Expr::value(to_ms(now)))
        .col_expr(
            timeline_event::Column::Version,
            Expr::col(timeline_event::Column::Version).add(1),
        )
        .filter(timeline_event::Column::Id.eq(old.id))
        .filter(timeline_event::Column::Version.eq(old.version))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(stale_by(&txn, RecordType::Incident, &inc.key, &what).await);
    }
    apply_mitigation(&txn, actor, &inc, new.kind, occurred_at, now).await?;
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::Incident,
        &inc.key,
        AuditAction::TimelineEdit,
        &[FieldChange::new(
            &entry_field(id),
            Some(entry_line(&old)),
            Some(entry_line(&new)),
        )],
    )
    .await?;
    // A correction changes what the timeline shows, as an added entry does.
    live::publish(&txn, LiveEvent::timeline_added(&inc.key, actor)).await?;
    txn.commit().await?;
    new.version = old.version + 1;
    new.edited_at = Some(to_ms(now));
    let authors: HashMap<i64, String> = lookup::emails(db, new.author_id).await?;
    Ok(to_event(new, &authors))
}

/// An entry's history, newest first: how it was written and each correction.
pub async fn event_history(
    db: &impl ConnectionTrait,
    actor: &Actor,
    key: &str,
    id: i64,
) -> AppResult<Vec<AuditEntry>> {
    actor.require(Op::Read)?;
    let inc = find(db, key).await?;
    let exists = timeline_event::Entity::find_by_id(id)
        .filter(timeline_event::Column::IncidentId.eq(inc.id))
        .one(db)
        .await?
        .is_some();
    if !exists {
        return Err(AppError::not_found(format!(
            "timeline entry {id} of {}",
            inc.key
        )));
    }
    audit::field_history(db, RecordType::Incident, &inc.key, &entry_field(id), 100).await
}
