//! Creating an action's issue in a tracker and linking it (`POST /actions/{key}/tracker`).
//!
//! Depends on `action` (it reads and links actions); nothing in `action` depends on it.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession, TransactionTrait,
};

use super::client::{self, IssueDraft};
use crate::domain::authz::Op;
use crate::domain::{AuditAction, RecordType};
use crate::error::{AppError, AppResult};
use crate::model::{Action, TrackerCredentials};
use crate::ssr::audit::{self, FieldChange};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{action, tracker};
use crate::ssr::secretbox;
use crate::ssr::services::action as actions;
use crate::ssr::to_ms;

/// The issue an action becomes: `ACT-N: title`, what it is and where it came from, its
/// description, and the link back.
pub fn draft(a: &Action, origin: &str) -> IssueDraft {
    let mut head = format!("Corrective action {}", a.key);
    if let Some(i) = &a.incident {
        head.push_str(&format!(" from incident {i}"));
    }
    head.push('.');
    let mut facts = vec![
        format!("Kind: {}", a.kind.label()),
        format!("Priority: {}", a.priority.label()),
    ];
    if let Some(d) = a.due_date {
        facts.push(format!("Due: {d}"));
    }
    if let Some(o) = &a.owner {
        facts.push(format!("Owner: {o}"));
    }
    let mut description = format!("{head}\n\n{}", facts.join(" · "));
    if !a.description.trim().is_empty() {
        description.push_str("\n\n");
        description.push_str(a.description.trim());
    }
    IssueDraft {
        summary: format!("{}: {}", a.key, a.title)
            .chars()
            .take(250)
            .collect(),
        description,
        link: format!("{}/actions/{}", origin.trim_end_matches('/'), a.key),
        priority: a.priority,
        due_date: a.due_date,
    }
}

/// Creates action `key`'s issue in tracker `tracker_id` and links it. Refused with 409 when
/// the action has an issue already (also when another request linked one meanwhile).
pub async fn create_issue<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    http: &reqwest::Client,
    origin: &str,
    key: &str,
    tracker_id: i64,
    now: DateTime<Utc>,
) -> AppResult<Action> {
    let m = actions::find(db, key).await?;
    actor.require(Op::ChangeAction { owner: m.owner_id })?;
    if m.external_key.is_some() {
        return Err(AppError::conflict(format!(
            "{key} is linked to an issue already"
        )));
    }
    let t = tracker::Entity::find_by_id(tracker_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::invalid("tracker", format!("no tracker {tracker_id}")))?;
    let creds: TrackerCredentials = serde_json::from_str(&secretbox::open(&t.credentials)?)
        .map_err(|_| AppError::internal())?;
    let view = actions::get(db, actor, key, now).await?;
    let request = client::create_request(&t, &creds, &draft(&view, origin));
    // The tracker is called outside any transaction: nothing is held while it answers.
    let answer = client::send(http, t.kind, &request).await?;
    let created = client::read_created(&t, &answer)?;
    let shown_key = match t.kind {
        crate::domain::TrackerKind::Jira => created.key.clone(),
        _ => format!("#{}", created.key),
    };
    let txn = db.begin().await?;
    let res = action::Entity::update_many()
        .col_expr(action::Column::TrackerId, Expr::value(Some(t.id)))
        .col_expr(
            action::Column::ExternalKey,
            Expr::value(Some(created.key.clone())),
        )
        .col_expr(
            action::Column::ExternalUrl,
            Expr::value(Some(created.url.clone())),
        )
        .col_expr(
            action::Column::ExternalState,
            Expr::value(Some(created.state.clone())),
        )
        .col_expr(action::Column::ExternalDone, Expr::value(Some(false)))
        .col_expr(action::Column::SyncedAt, Expr::value(Some(to_ms(now))))
        .col_expr(action::Column::UpdatedAt, Expr::value(to_ms(now)))
        .col_expr(
            action::Column::Version,
            Expr::col(action::Column::Version).add(1),
        )
        .filter(action::Column::Id.eq(m.id))
        .filter(action::Column::ExternalKey.is_null())
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict(format!(
            "{key} was linked to another issue meanwhile; {} {shown_key} was created and is not linked",
            t.kind.label()
        )));
    }
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::Action,
        key,
        AuditAction::Update,
        &[
            FieldChange::new(
                "tracker_issue",
                None,
                Some(format!("{} {shown_key}", t.name)),
            ),
            FieldChange::new("external_url", m.external_url.clone(), Some(created.url)),
        ],
    )
    .await?;
    txn.commit().await?;
    actions::get(db, actor, key, now).await
}
