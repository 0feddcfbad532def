//! Writing comments: who may, the thread rule (one level of replies on the same record), the
//! body's limits, optimistic locking, soft deletes, mentions and the audit of every change.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    TransactionSession, TransactionTrait,
};

use crate::domain::authz::Op;
use crate::domain::comment::{MAX_QUOTE, check_body, may_delete, may_edit, may_resolve};
use crate::domain::{AuditAction, CommentOn, RecordType, UserId};
use crate::error::{AppError, AppResult};
use crate::model::{Comment, CommentPatch, NewComment};
use crate::ssr::audit::{self, Diff, FieldChange};
use crate::ssr::auth::Actor;
use crate::ssr::entities::comment;
use crate::ssr::live::{self, LiveEvent};
use crate::ssr::services::common::text;
use crate::ssr::to_ms;

use super::list::{get, target, view_all};
use super::mentions;

/// The commenting user: viewers (and the system, which is no one) may not.
fn author(actor: &Actor) -> AppResult<UserId> {
    actor.require(Op::Comment)?;
    actor
        .user_id()
        .ok_or_else(|| AppError::forbidden("comments are written by a user"))
}

async fn one(db: &impl ConnectionTrait, m: comment::Model) -> AppResult<Comment> {
    view_all(db, vec![m])
        .await?
        .pop()
        .ok_or_else(AppError::internal)
}

/// Tells the record's open pages that its comments changed (`comment.added`, also for an
/// edit, a resolution or a removal), and the newly mentioned users' notification streams.
async fn announce(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    c: &comment::Model,
    mentioned: Vec<UserId>,
) -> AppResult<()> {
    let (record, incident) = match c.record_type {
        CommentOn::Incident => (RecordType::Incident, Some(c.record_key.clone())),
        CommentOn::Postmortem => (RecordType::Postmortem, Some(c.record_key.clone())),
        CommentOn::Action => (RecordType::Action, None),
        CommentOn::KnownError => (RecordType::KnownError, None),
    };
    let ev = LiveEvent::comment_added(record, &c.record_key, incident, mentioned, actor);
    live::publish(txn, ev).await
}

/// `comment.mention` to the channels that listen: who mentioned how many people where, and
/// the comment's start as plain text.
async fn notify_mention(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    c: &comment::Model,
    people: usize,
    now: DateTime<Utc>,
) -> AppResult<()> {
    use crate::ssr::entities::incident;
    let (record, path) = match c.record_type {
        CommentOn::Incident => (RecordType::Incident, format!("/incidents/{}", c.record_key)),
        CommentOn::Postmortem => (
            RecordType::Postmortem,
            format!("/incidents/{}/postmortem", c.record_key),
        ),
        CommentOn::Action => (RecordType::Action, format!("/actions/{}", c.record_key)),
        CommentOn::KnownError => (
            RecordType::KnownError,
            format!("/known-errors/{}", c.record_key),
        ),
    };
    let inc = match c.record_type {
        CommentOn::Incident | CommentOn::Postmortem => {
            incident::Entity::find()
                .filter(incident::Column::Key.eq(c.record_key.clone()))
                .one(txn)
                .await?
        }
        _ => None,
    };
    let svc = match &inc {
        Some(i) => crate::ssr::services::incident::services_of(txn, &[i.id])
            .await?
            .remove(&i.id)
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let mut excerpt: String = crate::markdown::plain_text(&c.body)
        .chars()
        .take(280)
        .collect();
    if excerpt.chars().count() == 280 {
        excerpt.push('…');
    }
    crate::ssr::services::notify::notices::record_change(
        txn,
        crate::domain::NotifyEvent::CommentMention,
        record,
        &c.record_key,
        inc.as_ref()
            .map_or(c.record_key.as_str(), |i| i.title.as_str()),
        &format!("{path}#comment-{}", c.id),
        inc.as_ref().map(|i| (i, svc.as_slice())),
        None,
        format!(
            "{} mentioned {people} {} on {}: {excerpt}",
            actor.who().label,
            if people == 1 { "person" } else { "people" },
            c.record_key
        ),
        Vec::new(),
        actor,
        now,
    )
    .await?;
    Ok(())
}

/// Adds a comment to a record (or a reply to one of its threads) and notifies whom it mentions.
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    on: CommentOn,
    key: &str,
    new: NewComment,
    now: DateTime<Utc>,
) -> AppResult<Comment> {
    let me = author(actor)?;
    check_body(&new.body)?;
    let quote = text::clean(new.quote.as_deref());
    if quote
        .as_ref()
        .is_some_and(|q| q.chars().count() > MAX_QUOTE)
    {
        return Err(AppError::invalid(
            "quote",
            format!("must be at most {MAX_QUOTE} characters"),
        ));
    }
    let txn = crate::ssr::db::write(db).await?;
    let key = target(&txn, on, key).await?;
    if let Some(pid) = new.parent {
        let parent = comment::Entity::find_by_id(pid)
            .one(&txn)
            .await?
            .ok_or_else(|| AppError::invalid("parent", format!("no comment {pid}")))?;
        if parent.record_type != on || parent.record_key != key {
            return Err(AppError::invalid(
                "parent",
                format!("comment {pid} is on another record"),
            ));
        }
        if parent.parent_id.is_some() {
            return Err(AppError::invalid(
                "parent",
                "replies are one level deep: answer the first comment of the thread",
            ));
        }
    }
    let m = comment::ActiveModel {
        record_type: Set(on),
        record_key: Set(key.clone()),
        parent_id: Set(new.parent),
        author_id: Set(me.0),
        body: Set(new.body.clone()),
        quote: Set(quote.clone()),
        resolved: Set(false),
        deleted_at: Set(None),
        created_at: Set(to_ms(now)),
        edited_at: Set(None),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mentioned = mentions::notify(&txn, &m, now).await?;
    if !mentioned.is_empty() {
        notify_mention(&txn, actor, &m, mentioned.len(), now).await?;
    }
    announce(&txn, actor, &m, mentioned).await?;
    let mut diff = Diff::default();
    diff.field("record", None, Some(&format!("{on} {key}")));
    diff.field("parent", None, new.parent.as_ref());
    diff.field("body", None, Some(&new.body));
    diff.field("quote", None, quote.as_ref());
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::Comment,
        &m.id.to_string(),
        AuditAction::Create,
        &diff.0,
    )
    .await?;
    txn.commit().await?;
    one(db, m).await
}

/// Edits a comment's body (its author only) and/or resolves or reopens a review thread (its
/// author, responders, admins). A stale version is a 409 and changes nothing.
pub async fn update<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    id: i64,
    patch: CommentPatch,
    now: DateTime<Utc>,
) -> AppResult<Comment> {
    let me = author(actor)?;
    if let Some(b) = &patch.body {
        check_body(b)?;
    }
    let txn = crate::ssr::db::write(db).await?;
    let old = get(&txn, id).await?;
    let author_id = UserId(old.author_id);
    if old.deleted_at.is_some() {
        return Err(AppError::conflict(format!(
            "comment {id} was removed; it cannot be changed"
        )));
    }
    if patch.version != old.version {
        return Err(AppError::stale(format!("comment {id}")));
    }
    let body = patch.body.clone().filter(|b| *b != old.body);
    let resolved = patch.resolved.filter(|r| *r != old.resolved);
    if body.is_some() && !may_edit(me, author_id) {
        return Err(AppError::forbidden("only its author edits a comment"));
    }
    if resolved.is_some() {
        if old.parent_id.is_some() {
            return Err(AppError::invalid(
                "resolved",
                "a thread is resolved on its first comment, not on a reply",
            ));
        }
        if !may_resolve(actor.role, me, author_id) {
            return Err(AppError::forbidden(
                "the thread's author, responders and admins resolve threads",
            ));
        }
    }
    if body.is_none() && resolved.is_none() {
        txn.commit().await?;
        return one(db, old).await;
    }
    let mut q = comment::Entity::update_many()
        .col_expr(comment::Column::Version, Expr::value(old.version + 1))
        .filter(comment::Column::Id.eq(id))
        .filter(comment::Column::Version.eq(old.version));
    if let Some(b) = &body {
        q = q
            .col_expr(comment::Column::Body, Expr::value(b.clone()))
            .col_expr(comment::Column::EditedAt, Expr::value(Some(to_ms(now))));
    }
    if let Some(r) = resolved {
        q = q.col_expr(comment::Column::Resolved, Expr::value(r));
    }
    if q.exec(&txn).await?.rows_affected != 1 {
        return Err(AppError::stale(format!("comment {id}")));
    }
    let fresh = get(&txn, id).await?;
    let mentioned = if body.is_some() {
        mentions::notify(&txn, &fresh, now).await?
    } else {
        Vec::new()
    };
    announce(&txn, actor, &fresh, mentioned).await?;
    // Only what changed: a resolution names no body, an edit no resolution.
    let mut diff = Diff::default();
    if let Some(b) = &body {
        diff.field("body", Some(&old.body), Some(b));
    }
    if let Some(r) = &resolved {
        diff.field("resolved", Some(&old.resolved), Some(r));
    }
    let action = match (body.is_some(), resolved) {
        (false, Some(true)) => AuditAction::Resolve,
        (false, Some(false)) => AuditAction::Reopen,
        _ => AuditAction::Update,
    };
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::Comment,
        &id.to_string(),
        action,
        &diff.0,
    )
    .await?;
    txn.commit().await?;
    one(db, fresh).await
}

/// Removes a comment (its author or an admin): it stays in its thread as removed, its text
/// gone, its replies kept. Removing a removed comment changes nothing.
pub async fn delete<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<Comment> {
    let me = author(actor)?;
    let txn = crate::ssr::db::write(db).await?;
    let old = get(&txn, id).await?;
    if !may_delete(actor.role, me, UserId(old.author_id)) {
        return Err(AppError::forbidden(
            "only its author or an admin removes a comment",
        ));
    }
    if old.deleted_at.is_some() {
        txn.commit().await?;
        return one(db, old).await;
    }
    let res = comment::Entity::update_many()
        .col_expr(comment::Column::DeletedAt, Expr::value(Some(to_ms(now))))
        .col_expr(comment::Column::Body, Expr::value(String::new()))
        .col_expr(comment::Column::Quote, Expr::value(None::<String>))
        .col_expr(comment::Column::Version, Expr::value(old.version + 1))
        .filter(comment::Column::Id.eq(id))
        .filter(comment::Column::Version.eq(old.version))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::stale(format!("comment {id}")));
    }
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::Comment,
        &id.to_string(),
        AuditAction::Delete,
        &[FieldChange::new("body", Some(old.body.clone()), None)],
    )
    .await?;
    announce(&txn, actor, &old, Vec::new()).await?;
    txn.commit().await?;
    let fresh = get(db, id).await?;
    one(db, fresh).await
}
