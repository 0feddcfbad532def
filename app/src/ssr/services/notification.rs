//! Notifications: what asks a user's attention (mentions, review requests), written in the
//! transaction of the change that causes them, listed newest first and marked read by their
//! owner only. Reads no aggregate; comments and postmortems write through it.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};

use crate::domain::{CommentOn, NotificationKind};
use crate::error::{AppError, AppResult};
use crate::model::{Notification, NotificationFilter, NotificationPage, comment_anchor};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{comment, notification};
use crate::ssr::services::common::{Keyset, lookup};
use crate::ssr::{from_ms, to_ms};

/// Longest excerpt of a comment in the list, in characters.
const EXCERPT: usize = 140;

/// One notification to write.
#[derive(Debug, Clone)]
pub struct Note {
    pub user_id: i64,
    pub kind: NotificationKind,
    pub comment_id: Option<i64>,
    pub record_type: CommentOn,
    pub record_key: String,
    pub actor_id: Option<i64>,
}

/// Writes `notes` (call it inside the change's transaction), in one statement.
pub async fn write(
    txn: &impl ConnectionTrait,
    notes: Vec<Note>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if notes.is_empty() {
        return Ok(());
    }
    let rows: Vec<notification::ActiveModel> = notes
        .into_iter()
        .map(|n| notification::ActiveModel {
            user_id: Set(n.user_id),
            kind: Set(n.kind),
            comment_id: Set(n.comment_id),
            record_type: Set(n.record_type),
            record_key: Set(n.record_key),
            actor_id: Set(n.actor_id),
            created_at: Set(to_ms(now)),
            read_at: Set(None),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(500) {
        notification::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Asks each of `reviewers` (user ids) to review the postmortem of `key`; the actor asking
/// is not notified of their own request.
pub async fn review_requested(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    key: &str,
    reviewers: &[i64],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let me = actor.user_id().map(|u| u.0);
    let notes = reviewers
        .iter()
        .filter(|id| Some(**id) != me)
        .map(|id| Note {
            user_id: *id,
            kind: NotificationKind::ReviewRequest,
            comment_id: None,
            record_type: CommentOn::Postmortem,
            record_key: key.to_owned(),
            actor_id: me,
        })
        .collect();
    write(txn, notes, now).await
}

fn me(actor: &Actor) -> AppResult<i64> {
    actor
        .user_id()
        .map(|u| u.0)
        .ok_or_else(|| AppError::forbidden("notifications belong to a user"))
}

/// How many of the caller's notifications are unread: one count over the user's index.
pub async fn unread(db: &impl ConnectionTrait, actor: &Actor) -> AppResult<u64> {
    let me = me(actor)?;
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(me))
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await?)
}

/// The start of a comment as plain text (its markdown markup dropped), shortened for the
/// list.
fn excerpt(body: &str) -> Option<String> {
    let line = crate::markdown::plain_text(body);
    if line.is_empty() {
        return None;
    }
    if line.chars().count() > EXCERPT {
        Some(format!(
            "{}…",
            line.chars().take(EXCERPT).collect::<String>()
        ))
    } else {
        Some(line.to_owned())
    }
}

/// The caller's notifications, newest first, a keyset page, with the unread count.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    f: &NotificationFilter,
) -> AppResult<NotificationPage> {
    let me = me(actor)?;
    let k = Keyset::new(f.limit, f.page.as_deref())?;
    let q = notification::Entity::find().filter(notification::Column::UserId.eq(me));
    let rows = k.apply(q, notification::Column::Id).all(db).await?;
    let (rows, next) = k.finish(rows, |n| n.id);
    let bodies = lookup::texts::<comment::Entity, _>(
        db,
        comment::Column::Id,
        comment::Column::Body,
        rows.iter().filter_map(|n| n.comment_id),
    )
    .await?;
    let emails = lookup::emails(db, rows.iter().filter_map(|n| n.actor_id)).await?;
    let items = rows
        .into_iter()
        .map(|n| {
            let page = n.record_type.page(&n.record_key);
            let link = match n.comment_id {
                Some(c) => format!("{page}#{}", comment_anchor(c)),
                None => page,
            };
            Notification {
                id: n.id,
                kind: n.kind,
                comment: n.comment_id,
                record_type: n.record_type,
                link,
                actor: n.actor_id.and_then(|a| emails.get(&a).cloned()),
                excerpt: n
                    .comment_id
                    .and_then(|c| bodies.get(&c))
                    .and_then(|b| excerpt(b)),
                record: n.record_key,
                created_at: from_ms(n.created_at),
                read_at: n.read_at.map(from_ms),
            }
        })
        .collect();
    Ok(NotificationPage {
        items,
        next: next.map(|n| n.to_string()),
        unread: unread(db, actor).await?,
    })
}

/// Marks the caller's notifications among `ids` read (anyone else's are left alone) and
/// returns how many changed.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    actor: &Actor,
    ids: &[i64],
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let me = me(actor)?;
    if ids.is_empty() {
        // "Mark all read", for the page and the API alike.
        return mark_all_read(db, actor, now).await;
    }
    if ids.len() > 1000 {
        return Err(AppError::invalid("ids", "at most 1000 at a time"));
    }
    let res = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(Some(to_ms(now))))
        .filter(notification::Column::UserId.eq(me))
        .filter(notification::Column::Id.is_in(ids.to_vec()))
        .filter(notification::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Marks every unread notification of the caller read; returns how many changed.
pub async fn mark_all_read(
    db: &impl ConnectionTrait,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let me = me(actor)?;
    let res = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(Some(to_ms(now))))
        .filter(notification::Column::UserId.eq(me))
        .filter(notification::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

#[cfg(test)]
mod tests {
    #[test]
    fn excerpts_are_the_text_without_markup_shortened() {
        assert_eq!(
            super::excerpt("\n  **hi** there \nmore").as_deref(),
            Some("hi there more")
        );
        assert_eq!(super::excerpt("   "), None);
        let long = "x".repeat(200);
        assert_eq!(super::excerpt(&long).unwrap().chars().count(), 141);
    }
}
