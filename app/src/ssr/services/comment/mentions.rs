//! Mentions: the users an `@e-mail` names get a notification, once per comment; and the
//! users suggested while someone types a mention.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::domain::authz::Op;
use crate::domain::comment::mentions;
use crate::domain::{NotificationKind, UserId};
use crate::error::AppResult;
use crate::model::MentionCandidate;
use crate::ssr::auth::Actor;
use crate::ssr::entities::{comment, notification, user};
use crate::ssr::services::notification::{self as notifications, Note};

/// How many users the suggestions show.
pub const SUGGESTIONS: u64 = 8;

/// Notifies the users `c`'s body mentions who exist and are active, apart from its author and
/// anyone this comment already notified (an edit notifies only whom it adds). An e-mail of
/// no user notifies no one and stays plain text. Returns whom it notified.
pub(super) async fn notify(
    txn: &impl ConnectionTrait,
    c: &comment::Model,
    now: DateTime<Utc>,
) -> AppResult<Vec<UserId>> {
    let named = mentions(&c.body);
    if named.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Email.is_in(named))
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::Id.ne(c.author_id))
        .into_tuple::<i64>()
        .all(txn)
        .await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let already: HashSet<i64> = notification::Entity::find()
        .select_only()
        .column(notification::Column::UserId)
        .filter(notification::Column::CommentId.eq(c.id))
        .filter(notification::Column::Kind.eq(NotificationKind::Mention))
        .into_tuple::<i64>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    let fresh: Vec<i64> = ids.into_iter().filter(|id| !already.contains(id)).collect();
    let notes = fresh
        .iter()
        .map(|&user_id| Note {
            user_id,
            kind: NotificationKind::Mention,
            comment_id: Some(c.id),
            record_type: c.record_type,
            record_key: c.record_key.clone(),
            actor_id: Some(c.author_id),
        })
        .collect();
    notifications::write(txn, notes, now).await?;
    Ok(fresh.into_iter().map(UserId).collect())
}

/// Active users whose e-mail starts with `prefix` or whose name contains it, e-mail order.
pub async fn suggest(
    db: &impl ConnectionTrait,
    actor: &Actor,
    prefix: &str,
) -> AppResult<Vec<MentionCandidate>> {
    actor.require(Op::Read)?;
    let p = prefix.trim().to_lowercase();
    // LIKE's wildcards in what was typed match themselves.
    let escaped: String = p
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let rows = user::Entity::find()
        .select_only()
        .column(user::Column::Email)
        .column(user::Column::Name)
        .filter(user::Column::Active.eq(true))
        .filter(
            Expr::col(user::Column::Email)
                .like(LikeExpr::new(format!("{escaped}%")).escape('\\'))
                .or(Expr::expr(Func::lower(Expr::col(user::Column::Name)))
                    .like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))),
        )
        .order_by_asc(user::Column::Email)
        .limit(SUGGESTIONS)
        .into_tuple::<(String, String)>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(email, name)| MentionCandidate { email, name })
        .collect())
}
