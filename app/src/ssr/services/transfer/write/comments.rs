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

use super::{CHUNK, Writer, insert_all, ms};

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

/// Writes comments as they come, in batches: a batch ends before a reply whose thread is
/// still in it, so every reply is written under its thread's new id. The caller hands them
/// on in the order of their numbers (so a new export numbers them the same), or threads
/// before replies.
pub(super) struct Comments {
    /// The highest comment id written so far.
    last: i64,
    /// The new id of each comment number written.
    new_id: HashMap<i64, i64>,
    batch: Vec<CommentRecord>,
}

impl Comments {
    pub async fn start(txn: &impl ConnectionTrait) -> AppResult<Self> {
        let last = comment::Entity::find()
            .select_only()
            .column_as(comment::Column::Id.max(), "max")
            .into_tuple::<Option<i64>>()
            .one(txn)
            .await?
            .flatten()
            .unwrap_or(0);
        Ok(Self {
            last,
            new_id: HashMap::new(),
            batch: Vec::new(),
        })
    }

    pub async fn add(
        &mut self,
        txn: &impl ConnectionTrait,
        w: &mut Writer<'_>,
        c: CommentRecord,
    ) -> AppResult<()> {
        if self.batch.len() >= CHUNK || c.parent.is_some_and(|p| !self.new_id.contains_key(&p)) {
            self.flush(txn, w).await?;
        }
        self.batch.push(c);
        Ok(())
    }

    /// Inserts the batch (emptying it) and records the new id of each comment's number.
    pub async fn flush(&mut self, txn: &impl ConnectionTrait, w: &mut Writer<'_>) -> AppResult<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let rows = self
            .batch
            .iter()
            .map(|c| {
                let parent = match c.parent {
                    Some(p) => Some(
                        self.new_id
                            .get(&p)
                            .copied()
                            .ok_or_else(AppError::internal)?,
                    ),
                    None => None,
                };
                row(w, c, parent)
            })
            .collect::<AppResult<Vec<_>>>()?;
        insert_all(txn, rows).await?;
        let ids = ids_after(txn, self.last).await?;
        if ids.len() != self.batch.len() {
            return Err(AppError::internal());
        }
        for (c, id) in self.batch.iter().zip(&ids) {
            self.new_id.insert(c.id, *id);
            w.audit.push((RecordType::Comment, id.to_string()));
        }
        w.summary.comments += self.batch.len();
        w.advance(self.batch.len());
        self.batch.clear();
        self.last = ids.last().copied().unwrap_or(self.last);
        Ok(())
    }
}
