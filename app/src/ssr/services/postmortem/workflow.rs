//! The review workflow: `draft → in_review → published` with its publish gate, back to draft,
//! and reviewers' approvals.

use crate::domain::{AuditAction, RecordType};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession, TransactionTrait,
};

use crate::domain::PostmortemStatus;
use crate::domain::authz::Op;
use crate::domain::postmortem::{check, check_reopen, check_transition};
use crate::error::{AppError, AppResult};
use crate::model::{Postmortem, PostmortemTransition};
use crate::ssr::audit::{self, FieldChange};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{postmortem, postmortem_reviewer};
use crate::ssr::live::{self, LiveEvent};
use crate::ssr::services::common::text;
use crate::ssr::services::incident as incidents;
use crate::ssr::services::notification as notifications;
use crate::ssr::{from_ms, to_ms};

use super::view::{row, view};

/// Moves the postmortem through review: `draft → in_review → published`, back to `draft`
/// from review (changes requested) or from published (reopen).
pub async fn transition<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    key: &str,
    t: PostmortemTransition,
    now: DateTime<Utc>,
) -> AppResult<Postmortem> {
    actor.require(Op::WritePostmortem)?;
    let txn = crate::ssr::db::write(db).await?;
    let inc = incidents::find(&txn, key).await?;
    let old = row(&txn, &inc).await?;
    check_reopen(&inc.key, inc.status, inc.severity, old.status, t.to)?;
    if t.version.is_some_and(|v| v != old.version) {
        return Err(AppError::stale(format!("the postmortem of {}", inc.key)));
    }
    let effect = check_transition(old.status, t.to, old.root_cause_category, &old.root_cause)?;
    let published_at = if effect.set_published_at {
        Some(to_ms(now))
    } else if effect.clear_published_at {
        None
    } else {
        old.published_at
    };
    text::fail_on(check(
        effect.to,
        old.root_cause_category,
        &old.root_cause,
        published_at.map(from_ms),
    ))?;
    let res = postmortem::Entity::update_many()
        .col_expr(postmortem::Column::Status, Expr::value(effect.to))
        .col_expr(postmortem::Column::PublishedAt, Expr::value(published_at))
        .col_expr(postmortem::Column::UpdatedAt, Expr::value(to_ms(now)))
        .col_expr(postmortem::Column::Version, Expr::value(old.version + 1))
        .filter(postmortem::Column::Id.eq(old.id))
        .filter(postmortem::Column::Version.eq(old.version))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::stale(format!("the postmortem of {}", inc.key)));
    }
    if effect.to == PostmortemStatus::Draft {
        // Back to draft: earlier approvals no longer cover what will change.
        postmortem_reviewer::Entity::update_many()
            .col_expr(
                postmortem_reviewer::Column::ApprovedAt,
                Expr::value(None::<i64>),
            )
            .filter(postmortem_reviewer::Column::PostmortemId.eq(old.id))
            .exec(&txn)
            .await?;
    }
    if effect.to == PostmortemStatus::InReview && old.status != PostmortemStatus::InReview {
        // Requesting review asks each reviewer, in the same transaction.
        let reviewers: Vec<i64> = postmortem_reviewer::Entity::find()
            .filter(postmortem_reviewer::Column::PostmortemId.eq(old.id))
            .all(&txn)
            .await?
            .into_iter()
            .map(|r| r.user_id)
            .collect();
        notifications::review_requested(&txn, actor, &inc.key, &reviewers, now).await?;
    }
    let mut changes = vec![FieldChange::new(
        "status",
        Some(old.status.to_string()),
        Some(effect.to.to_string()),
    )];
    if published_at != old.published_at {
        changes.push(FieldChange::new(
            "published_at",
            old.published_at.map(|t| from_ms(t).to_rfc3339()),
            published_at.map(|t| from_ms(t).to_rfc3339()),
        ));
    }
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::Postmortem,
        &inc.key,
        AuditAction::Transition,
        &changes,
    )
    .await?;
    let ev = LiveEvent::postmortem_saved(&inc.key, i64::from(old.version) + 1, actor);
    live::publish(&txn, ev).await?;
    let event = match effect.to {
        PostmortemStatus::InReview if old.status != PostmortemStatus::InReview => Some((
            crate::domain::NotifyEvent::PostmortemReviewRequested,
            "Review requested",
        )),
        PostmortemStatus::Published if old.status != PostmortemStatus::Published => Some((
            crate::domain::NotifyEvent::PostmortemPublished,
            "Postmortem published",
        )),
        _ => None,
    };
    if let Some((event, what)) = event {
        let svc = crate::ssr::services::incident::services_of(&txn, &[inc.id])
            .await?
            .remove(&inc.id)
            .unwrap_or_default();
        crate::ssr::services::notify::notices::record_change(
            &txn,
            event,
            RecordType::Postmortem,
            &inc.key,
            &inc.title,
            &format!("/incidents/{}/postmortem", inc.key),
            Some((&inc, &svc)),
            None,
            format!("{what}: the postmortem of {} {}", inc.key, inc.title),
            Vec::new(),
            actor,
            now,
        )
        .await?;
    }
    txn.commit().await?;
    let pm = row(db, &inc).await?;
    view(db, &inc, pm).await
}

/// A reviewer approves the postmortem while it is in review.
pub async fn approve<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    key: &str,
    now: DateTime<Utc>,
) -> AppResult<Postmortem> {
    // Approving is a review comment: viewers, who change nothing, may not.
    actor.require(Op::Comment)?;
    let me = actor
        .user_id()
        .ok_or_else(|| AppError::forbidden("only a reviewer may approve"))?;
    let txn = crate::ssr::db::write(db).await?;
    let inc = incidents::find(&txn, key).await?;
    let pm = row(&txn, &inc).await?;
    if pm.status != PostmortemStatus::InReview {
        return Err(AppError::invalid(
            "status",
            format!(
                "approvals are given in review; this postmortem is {}",
                pm.status
            ),
        ));
    }
    let res = postmortem_reviewer::Entity::update_many()
        .col_expr(
            postmortem_reviewer::Column::ApprovedAt,
            Expr::value(Some(to_ms(now))),
        )
        .filter(postmortem_reviewer::Column::PostmortemId.eq(pm.id))
        .filter(postmortem_reviewer::Column::UserId.eq(me.0))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::forbidden(
            "only a reviewer of this postmortem may approve it",
        ));
    }
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::Postmortem,
        &inc.key,
        AuditAction::Approve,
        &[FieldChange::new(
            "approved_by",
            None,
            actor.user.as_ref().map(|u| u.email.clone()),
        )],
    )
    .await?;
    let ev = LiveEvent::postmortem_saved(&inc.key, pm.version.into(), actor);
    live::publish(&txn, ev).await?;
    txn.commit().await?;
    view(db, &inc, pm).await
}
