//! What a tracker's word about an issue does to its linked action, the same for a webhook
//! and for a reconciliation round: the state is recorded, the issue entering a done
//! state moves an `open`/`in_progress` action to `done` at the tracker's time, and an issue
//! reopened (after it was seen done) moves a `done` action back to `open`. Verification stays
//! in Hindsight.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};

use super::webhook::{Change, Move};
use crate::domain::ActionStatus;
use crate::error::AppResult;
use crate::model::ActionTransition;
use crate::ssr::auth::Actor;
use crate::ssr::entities::{action, tracker};
use crate::ssr::services::action as actions;
use crate::ssr::{from_ms, to_ms};

/// Applies `change` to action `m` of tracker `t`: `done`, `reopened` or `unchanged`.
pub async fn apply<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    t: &tracker::Model,
    m: &action::Model,
    change: &Change,
    now: DateTime<Utc>,
) -> AppResult<&'static str> {
    action::Entity::update_many()
        .col_expr(
            action::Column::ExternalState,
            Expr::value(Some(change.state.clone())),
        )
        .col_expr(action::Column::ExternalDone, Expr::value(Some(change.done)))
        .col_expr(action::Column::SyncedAt, Expr::value(Some(to_ms(now))))
        .filter(action::Column::Id.eq(m.id))
        .exec(db)
        .await?;
    // A "reopen" of an issue last seen not done (a Jira move from To Do to In Progress) is
    // no reopening.
    let to = match (&change.to, m.status) {
        (Move::Done, ActionStatus::Open | ActionStatus::InProgress) => ActionStatus::Done,
        (Move::Reopened, ActionStatus::Done) if m.external_done != Some(false) => {
            ActionStatus::Open
        }
        _ => return Ok("unchanged"),
    };
    let actor = Actor::tracker(t.id, t.kind, &t.name);
    // Not before the action was created, not after now (clocks differ).
    let at = change.at.min(now).max(from_ms(m.created_at));
    actions::transition(
        db,
        &actor,
        &m.key,
        ActionTransition {
            to,
            at: (to == ActionStatus::Done).then_some(at),
            result: None,
            evidence: None,
            reason: None,
            version: None,
        },
        now,
    )
    .await?;
    Ok(if to == ActionStatus::Done {
        "done"
    } else {
        "reopened"
    })
}
