//! Comments, in the order of their numbers, each reply under its thread's new id.

use std::collections::HashMap;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::domain::RecordType;
use crate::error::{AppError, AppResult};
use crate::ssr::entities::comment;
use crate::ssr::to_ms;
use crate::transfer::CommentRecord;

use super::{Writer, insert_all, ms};
use crate::ssr::services::transfer::Quiet;
use crate::ssr::services::transfer::check::Plan;

fn row(w: &Writer<'_>, c: &CommentRecord, parent: Option<i64>) -> AppResult<comment::ActiveModel> {
    let author = w
        .users
        .get(&c.author)
        .copied()
        .ok_or_else(AppError::internal)?;
    Ok(comment::ActiveModel {
        record_type: Set(c.record_type),
        record_key: Set(c.record.clone()),
        parent_id: Set(parent),
        author_id: Set(author),
        body: Set(if c.deleted_at.is_some() {
            String::new()
        } else {
            c.body.clone()
        }),
        quote: Set(c.quote.clone().filter(|_| c.deleted_at.is_none())),
        resolved: Set(c.resolved),
        deleted_at: Set(ms(c.deleted_at)),
        created_at: Set(to_ms(c.created_at)),
        edited_at: Set(ms(c.edited_at)),
        version: Set(1),
        ..Default::default()
    })
}

/// The ids of the comments written after `after`, in the order they were written.
async fn ids_after(txn: &impl ConnectionTrait, after: i64) -> AppResult<Vec<i64>> {
    Ok(comment::Entity::find()
        .select_only()
        .column(comment::Column::Id)
        .filter(comment::Column::Id.gt(after))
        .order_by_asc(comment::Column::Id)
        .into_tuple::<i64>()
        .all(txn)
        .await?)
}

/// Writes the comments in the order of their numbers (so a new export numbers them the same),
/// in batches: a batch ends before a reply whose thread is still in it, so every reply is
/// written under its thread's new id.
pub(super) async fn write(
    txn: &impl ConnectionTrait,
    w: &mut Writer<'_>,
    plan: &Plan,
) -> AppResult<()> {
    if plan.comments.is_empty() {
        return Ok(());
    }
    w.progress
        .phase("writing comments", plan.comments.len() as u64);
    let mut last: i64 = comment::Entity::find()
        .select_only()
        .column_as(comment::Column::Id.max(), "max")
        .into_tuple::<Option<i64>>()
        .one(txn)
        .await?
        .flatten()
        .unwrap_or(0);
    let mut new_id: HashMap<i64, i64> = HashMap::new();
    let mut batch: Vec<&CommentRecord> = Vec::new();
    for c in &plan.comments {
        if c.parent.is_some_and(|p| !new_id.contains_key(&p)) {
            last = flush(txn, w, &mut batch, &mut new_id, last).await?;
        }
        batch.push(c);
    }
    flush(txn, w, &mut batch, &mut new_id, last).await?;
    w.summary.comments = plan.comments.len();
    Ok(())
}

/// Inserts `batch` (emptying it), records the new id of each comment's number and returns
/// the highest id written so far.
async fn flush(
    txn: &impl ConnectionTrait,
    w: &mut Writer<'_>,
    batch: &mut Vec<&CommentRecord>,
    new_id: &mut HashMap<i64, i64>,
    last: i64,
) -> AppResult<i64> {
    if batch.is_empty() {
        return Ok(last);
    }
    let rows = batch
        .iter()
        .map(|c| {
            let parent = match c.parent {
                Some(p) => Some(new_id.get(&p).copied().ok_or_else(AppError::internal)?),
                None => None,
            };
            row(w, c, parent)
        })
        .collect::<AppResult<Vec<_>>>()?;
    // Progress counts over all batches, not within this one.
    insert_all(txn, rows, &Quiet).await?;
    let ids = ids_after(txn, last).await?;
    if ids.len() != batch.len() {
        return Err(AppError::internal());
    }
    for (c, id) in batch.iter().zip(&ids) {
        new_id.insert(c.id, *id);
        w.audit.push((RecordType::Comment, id.to_string()));
    }
    batch.clear();
    w.progress.advance(new_id.len() as u64);
    Ok(ids.last().copied().unwrap_or(last))
}
