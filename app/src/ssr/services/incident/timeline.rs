//! The timeline: events in time order, the automatic `status_change` events, and the
//! mitigation rule (an earlier mitigation moves `mitigated_at`).

use crate::domain::{AuditAction, RecordType};
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};

use crate::domain::authz::Op;
use crate::domain::incident::KeyTimes;
use crate::domain::timeline::mitigated_at_after_event;
use crate::domain::{EventKind, Visibility};
use crate::error::{AppError, AppResult};
use crate::model::{NewEvent, TimelineEvent};
use crate::ssr::audit::{self, FieldChange};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{incident, timeline_event};
use crate::ssr::live::{self, LiveEvent};
use crate::ssr::services::common::lookup;
use crate::ssr::{from_ms, to_ms};

use super::find::{find, key_times};

pub(super) async fn add_server_event(
    txn: &impl ConnectionTrait,
    incident_id: i64,
    at: DateTime<Utc>,
    body: String,
    author: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    add_server_entry(
        txn,
        incident_id,
        EventKind::StatusChange,
        at,
        body,
        author,
        now,
    )
    .await
}

/// An entry the server writes for a change, of the kind that says what changed.
pub(crate) async fn add_server_entry(
    txn: &impl ConnectionTrait,
    incident_id: i64,
    kind: EventKind,
    at: DateTime<Utc>,
    body: String,
    author: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    timeline_event::ActiveModel {
        incident_id: Set(incident_id),
        occurred_at: Set(to_ms(at)),
        kind: Set(kind),
        body: Set(body),
        visibility: Set(Visibility::Internal),
        author_id: Set(author),
        created_at: Set(to_ms(now)),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// A key time as the timeline's automatic events show it (the UI's own format).
pub(super) fn fmt_time(t: Option<DateTime<Utc>>) -> String {
    t.map(crate::components::format::datetime)
        .unwrap_or_else(|| "—".into())
}

pub(super) fn to_event(e: timeline_event::Model, authors: &HashMap<i64, String>) -> TimelineEvent {
    TimelineEvent {
        id: e.id,
        occurred_at: from_ms(e.occurred_at),
        kind: e.kind,
        body: e.body,
        visibility: e.visibility,
        author: e.author_id.and_then(|a| authors.get(&a).cloned()),
        created_at: from_ms(e.created_at),
        version: e.version,
        edited_at: e.edited_at.map(from_ms),
    }
}

/// What every entry a person writes must satisfy: a kind of their own (the status-change
/// entries are the server's) and a body, which only a mitigation may leave empty.
pub(super) fn check_entry(kind: EventKind, body: &str) -> AppResult<()> {
    if kind == EventKind::StatusChange {
        return Err(AppError::invalid(
            "kind",
            "status_change entries are written by the server when the status or a key time changes",
        ));
    }
    if body.chars().count() > 20_000 {
        return Err(AppError::invalid(
            "body",
            "must be at most 20000 characters",
        ));
    }
    if kind != EventKind::Mitigation && body.trim().is_empty() {
        return Err(AppError::invalid("body", "must not be empty"));
    }
    Ok(())
}

/// The timeline, ordered by `occurred_at`, then id: the whole of [`recent`].
pub async fn timeline(
    db: &impl ConnectionTrait,
    actor: &Actor,
    key: &str,
) -> AppResult<Vec<TimelineEvent>> {
    Ok(recent(db, actor, key, None).await?.events)
}

/// The latest `last` entries of the timeline (all of them with `None`), in time order, and
/// whether earlier ones exist: one statement for a timeline of any length (`last + 1` rows
/// newest first, the extra one only says there is more).
pub async fn recent(
    db: &impl ConnectionTrait,
    actor: &Actor,
    key: &str,
    last: Option<u64>,
) -> AppResult<crate::model::TimelineView> {
    actor.require(Op::Read)?;
    let inc = super::find::find_for(db, actor, key).await?;
    let mut events = timeline_event::Entity::find()
        .filter(timeline_event::Column::IncidentId.eq(inc.id))
        .order_by_desc(timeline_event::Column::OccurredAt)
        .order_by_desc(timeline_event::Column::Id)
        .limit(last.map(|n| n + 1))
        .all(db)
        .await?;
    let earlier = last.is_some_and(|n| events.len() as u64 > n);
    if earlier {
        events.pop();
    }
    events.reverse();
    let authors = lookup::emails(db, events.iter().filter_map(|e| e.author_id)).await?;
    Ok(crate::model::TimelineView {
        events: events.into_iter().map(|e| to_event(e, &authors)).collect(),
        earlier,
    })
}

/// Adds a timeline event. A `mitigation` earlier than `mitigated_at` (or with none set) moves
/// `mitigated_at` to it, which is a key-time change and so adds a `status_change` event.
pub async fn add_event<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    key: &str,
    new: NewEvent,
    now: DateTime<Utc>,
) -> AppResult<TimelineEvent> {
    actor.require(Op::WriteIncident)?;
    check_entry(new.kind, &new.body)?;
    let occurred_at = new.occurred_at.unwrap_or(now);
    let visibility = new.visibility.unwrap_or(Visibility::Internal);
    let txn = crate::ssr::db::write(db).await?;
    let inc = find(&txn, key).await?;
    let e = timeline_event::ActiveModel {
        incident_id: Set(inc.id),
        occurred_at: Set(to_ms(occurred_at)),
        kind: Set(new.kind),
        body: Set(new.body.clone()),
        visibility: Set(visibility),
        author_id: Set(actor.user_id().map(|u| u.0)),
        created_at: Set(to_ms(now)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    apply_mitigation(&txn, actor, &inc, new.kind, occurred_at, now).await?;
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::Incident,
        &inc.key,
        AuditAction::TimelineAdd,
        &[FieldChange::new(
            &format!("timeline.{}", e.id),
            None,
            Some(super::correct::entry_line(&e)),
        )],
    )
    .await?;
    live::publish(&txn, LiveEvent::timeline_added(&inc.key, actor)).await?;
    if visibility == Visibility::Customer {
        // What customers were told, and only that: no internal text goes with it.
        let svc = super::labels::services_of(&txn, &[inc.id])
            .await?
            .remove(&inc.id)
            .unwrap_or_default();
        crate::ssr::services::notify::notices::incident_change(
            &txn,
            crate::domain::NotifyEvent::IncidentCustomerUpdate,
            &inc,
            &svc,
            new.body.clone(),
            Vec::new(),
            actor,
            now,
        )
        .await?;
    }
    txn.commit().await?;
    let authors: HashMap<i64, String> = actor
        .user
        .iter()
        .map(|u| (u.id.0, u.email.clone()))
        .collect();
    Ok(to_event(e, &authors))
}

/// The mitigation rule: a `mitigation` entry earlier than `mitigated_at` (or with none set)
/// moves `mitigated_at` to it, which is a key-time change and so adds a `status_change` entry.
pub(super) async fn apply_mitigation(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    inc: &incident::Model,
    kind: EventKind,
    occurred_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let old_mitigated = inc.mitigated_at.map(from_ms);
    if let Some(mitigated) = mitigated_at_after_event(kind, occurred_at, old_mitigated) {
        let times = KeyTimes {
            mitigated_at: Some(mitigated),
            ..key_times(inc)
        };
        times.check_order(&["mitigated_at"]).map_err(|_| {
            AppError::invalid(
                "occurred_at",
                "a mitigation cannot be before the incident was detected",
            )
        })?;
        let res = incident::Entity::update_many()
            .col_expr(incident::Column::MitigatedAt, Expr::value(to_ms(mitigated)))
            .col_expr(incident::Column::UpdatedAt, Expr::value(to_ms(now)))
            .col_expr(
                incident::Column::Version,
                Expr::col(incident::Column::Version).add(1),
            )
            .filter(incident::Column::Id.eq(inc.id))
            .filter(incident::Column::Version.eq(inc.version))
            .exec(txn)
            .await?;
        if res.rows_affected != 1 {
            return Err(AppError::stale(&inc.key));
        }
        add_server_event(
            txn,
            inc.id,
            now,
            format!(
                "mitigated_at: {} → {}",
                fmt_time(old_mitigated),
                fmt_time(Some(mitigated))
            ),
            actor.user_id().map(|u| u.0),
            now,
        )
        .await?;
        audit::record(
            txn,
            &actor.who(),
            now,
            RecordType::Incident,
            &inc.key,
            AuditAction::Update,
            &[FieldChange::new(
                "mitigated_at",
                old_mitigated.map(|t| t.to_rfc3339()),
                Some(mitigated.to_rfc3339()),
            )],
        )
        .await?;
        // The incident itself changed (a new version): its open pages must hear of it.
        let ev = LiveEvent::incident_updated(&inc.key, i64::from(inc.version) + 1, actor);
        live::publish(txn, ev).await?;
    }
    Ok(())
}
