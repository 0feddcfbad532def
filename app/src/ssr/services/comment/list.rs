//! Reading comments: the record they are on (which must exist), threads in order, and the
//! wire shape with authors by e-mail.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::domain::CommentOn;
use crate::domain::authz::Op;
use crate::error::{AppError, AppResult};
use crate::model::{Comment, Thread};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{comment, postmortem};
use crate::ssr::from_ms;
use crate::ssr::services::common::lookup::{self, Person};
use crate::ssr::services::{action as actions, incident as incidents, known_error as known_errors};

/// The key of the record a comment would be on, as stored (`inc-3` → `INC-3`), or 404.
pub async fn target(db: &impl ConnectionTrait, on: CommentOn, key: &str) -> AppResult<String> {
    Ok(match on {
        CommentOn::Incident => incidents::find(db, key).await?.key,
        CommentOn::Postmortem => {
            let inc = incidents::find(db, key).await?;
            postmortem::Entity::find()
                .select_only()
                .column(postmortem::Column::Id)
                .filter(postmortem::Column::IncidentId.eq(inc.id))
                .into_tuple::<i64>()
                .one(db)
                .await?
                .ok_or_else(|| AppError::not_found(format!("a postmortem of {}", inc.key)))?;
            inc.key
        }
        CommentOn::Action => actions::find(db, key).await?.key,
        CommentOn::KnownError => known_errors::find(db, key).await?.key,
    })
}

fn to_wire(c: comment::Model, authors: &HashMap<i64, Person>) -> Comment {
    let Person {
        email: author,
        name: author_name,
    } = authors.get(&c.author_id).cloned().unwrap_or_default();
    let deleted = c.deleted_at.is_some();
    Comment {
        id: c.id,
        record_type: c.record_type,
        record: c.record_key,
        parent: c.parent_id,
        author,
        author_name,
        body: if deleted { String::new() } else { c.body },
        quote: if deleted { None } else { c.quote },
        resolved: c.resolved,
        deleted,
        created_at: from_ms(c.created_at),
        edited_at: c.edited_at.map(from_ms),
        version: c.version,
    }
}

/// Rows in their wire shape (authors looked up in one query).
pub async fn view_all(
    db: &impl ConnectionTrait,
    rows: Vec<comment::Model>,
) -> AppResult<Vec<Comment>> {
    let authors = lookup::people(db, rows.iter().map(|c| c.author_id)).await?;
    Ok(rows.into_iter().map(|c| to_wire(c, &authors)).collect())
}

/// One comment by id, or 404.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<comment::Model> {
    comment::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("comment {id}")))
}

/// The threads on a record: top-level comments oldest first, each with its replies oldest
/// first. One query over the record index, one for the authors.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    on: CommentOn,
    key: &str,
) -> AppResult<Vec<Thread>> {
    actor.require(Op::Read)?;
    let key = match on {
        CommentOn::Incident => incidents::find_for(db, actor, key).await?.key,
        _ => target(db, on, key).await?,
    };
    let rows = comment::Entity::find()
        .filter(comment::Column::RecordType.eq(on))
        .filter(comment::Column::RecordKey.eq(key))
        .order_by_asc(comment::Column::Id)
        .all(db)
        .await?;
    let all = view_all(db, rows).await?;
    let mut threads: Vec<Thread> = Vec::new();
    let mut at: HashMap<i64, usize> = HashMap::new();
    let mut replies: Vec<Comment> = Vec::new();
    for c in all {
        if c.parent.is_none() {
            at.insert(c.id, threads.len());
            threads.push(Thread {
                comment: c,
                replies: Vec::new(),
            });
        } else {
            replies.push(c);
        }
    }
    for r in replies {
        if let Some(i) = r.parent.and_then(|p| at.get(&p)) {
            threads[*i].replies.push(r);
        }
    }
    Ok(threads)
}
