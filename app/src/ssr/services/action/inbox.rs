//! "My actions": what a user owes by urgency, and the verification backlogs.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::find::today;
use super::list::summaries;
use crate::domain::ActionStatus;
use crate::domain::action::urgency;
use crate::domain::authz::Op;
use crate::error::{AppError, AppResult};
use crate::model::ActionInbox;
use crate::ssr::auth::Actor;
use crate::ssr::entities::action;
use crate::ssr::services::settings::{self};

/// Most rows in each part of "my actions".
pub const INBOX_LIMIT: u64 = 200;

/// The most that "my actions" counts of a verification backlog.
pub const COUNT_CAP: u64 = 1_000;

/// Done actions that need a verification: `mine` those `me` owns, else everyone else's.
fn waiting_for_verification(me: i64, mine: bool) -> sea_orm::Select<action::Entity> {
    let q = action::Entity::find()
        .filter(action::Column::Status.eq(ActionStatus::Done))
        .filter(action::Column::VerificationRequired.eq(true));
    if mine {
        q.filter(action::Column::OwnerId.eq(me))
    } else {
        q.filter(
            sea_orm::Condition::any()
                .add(action::Column::OwnerId.ne(me))
                .add(action::Column::OwnerId.is_null()),
        )
    }
}

/// Up to `INBOX_LIMIT` rows of `q`, earliest `date` first (then oldest), rows without a date
/// after them: the dated ones walk an index that ends in `date` and stop at the limit.
async fn dated_first(
    db: &impl ConnectionTrait,
    q: sea_orm::Select<action::Entity>,
    date: action::Column,
) -> AppResult<Vec<action::Model>> {
    let mut rows = q
        .clone()
        .filter(date.is_not_null())
        .order_by_asc(date)
        .order_by_asc(action::Column::Id)
        .limit(INBOX_LIMIT)
        .all(db)
        .await?;
    let room = INBOX_LIMIT.saturating_sub(rows.len() as u64);
    if room > 0 {
        rows.extend(
            q.filter(date.is_null())
                .order_by_asc(action::Column::Id)
                .limit(room)
                .all(db)
                .await?,
        );
    }
    Ok(rows)
}

/// A page of those, earliest verification deadline first, undated ones last.
async fn verification_page(
    db: &impl ConnectionTrait,
    me: i64,
    mine: bool,
) -> AppResult<Vec<action::Model>> {
    dated_first(
        db,
        waiting_for_verification(me, mine),
        action::Column::VerificationDue,
    )
    .await
}

/// "My actions": what the signed-in user owes, by urgency; their done work that waits for a
/// verification; and, for those who may verify (responders and admins), other people's done
/// work waiting for one, earliest verification deadline first.
pub async fn inbox(
    db: &impl ConnectionTrait,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<ActionInbox> {
    actor.require(Op::Read)?;
    let me = actor
        .user_id()
        .ok_or_else(|| AppError::forbidden("\"my actions\" belong to a signed-in user"))?;
    let s = settings::load(db).await?;
    let today = today(&s, now);
    // One index walk per status on (owner, status, due date), merged by urgency.
    let mut owned = Vec::new();
    for status in [ActionStatus::Open, ActionStatus::InProgress] {
        let q = action::Entity::find()
            .filter(action::Column::OwnerId.eq(me.0))
            .filter(action::Column::Status.eq(status));
        owned.extend(dated_first(db, q, action::Column::DueDate).await?);
    }
    owned.sort_by_key(|a| (urgency(a.due_date, a.priority), a.seq));
    owned.truncate(INBOX_LIMIT as usize);
    let owned = summaries(db, owned, today).await?;
    let mine_waiting = verification_page(db, me.0, true).await?;
    let awaiting_verification = summaries(db, mine_waiting, today).await?;
    let can_verify = crate::domain::authz::allows(actor.role, me, Op::ChangeAction { owner: None });
    let (to_verify, to_verify_total, to_verify_more) = if can_verify {
        let rows = verification_page(db, me.0, false).await?;
        // Counted up to a cap, so a large backlog costs no more than a page.
        let counted = waiting_for_verification(me.0, false)
            .select_only()
            .column(action::Column::Id)
            .limit(COUNT_CAP + 1)
            .into_tuple::<i64>()
            .all(db)
            .await?
            .len() as u64;
        (
            summaries(db, rows, today).await?,
            counted.min(COUNT_CAP),
            counted > COUNT_CAP,
        )
    } else {
        (Vec::new(), 0, false)
    };
    Ok(ActionInbox {
        today,
        owned,
        awaiting_verification,
        can_verify,
        to_verify,
        to_verify_total,
        to_verify_more,
    })
}
