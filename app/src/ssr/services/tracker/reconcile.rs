//! The reconciliation job: every `HINDSIGHT_TRACKER_POLL` seconds each tracker's linked
//! issues of actions not yet closed for good (`open`, `in_progress`, `done`) are read back,
//! so a lost webhook is caught up ([`super::sync::apply`] decides what a state means).
//!
//! Several processes: a round is taken by moving the tracker's `next_poll_at` from the value
//! read (compare and set), so exactly one process reads a tracker per period. A tracker that
//! rate-limits Hindsight (429, or 403 with the budget spent) ends the round; the next one
//! starts when its headers say. A spent budget on a success ends the round early, too.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};

use super::client;
use super::webhook::{Change, Move};
use crate::domain::ActionStatus;
use crate::error::{AppError, AppResult};
use crate::ssr::entities::{action, tracker};
use crate::ssr::to_ms;

/// The most issues one round reads from one tracker (oldest sync first).
pub const ROUND: u64 = 200;

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Trackers whose round this process took.
    pub trackers: usize,
    /// Issues read.
    pub read: usize,
    /// Actions moved (done or reopened).
    pub moved: usize,
    /// Rounds ended by a rate limit.
    pub limited: usize,
}

/// Takes every due tracker's round and runs it; `poll` is the period.
pub async fn run_once<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    http: &reqwest::Client,
    poll: Duration,
    now: DateTime<Utc>,
) -> AppResult<Report> {
    let due = tracker::Entity::find()
        .filter(tracker::Column::NextPollAt.lte(to_ms(now)))
        .all(db)
        .await?;
    let mut report = Report::default();
    for t in due {
        // The round is this process's only if the schedule still holds what it read.
        let taken = tracker::Entity::update_many()
            .col_expr(tracker::Column::NextPollAt, Expr::value(to_ms(now + poll)))
            .filter(tracker::Column::Id.eq(t.id))
            .filter(tracker::Column::NextPollAt.eq(t.next_poll_at))
            .exec(db)
            .await?
            .rows_affected
            == 1;
        if !taken {
            continue;
        }
        report.trackers += 1;
        let (error, resume) = round(db, http, &t, now, &mut report).await?;
        let mut q = tracker::Entity::update_many()
            .col_expr(tracker::Column::PolledAt, Expr::value(Some(to_ms(now))))
            .col_expr(tracker::Column::PollError, Expr::value(error));
        if let Some(at) = resume {
            q = q.col_expr(tracker::Column::NextPollAt, Expr::value(to_ms(at)));
        }
        q.filter(tracker::Column::Id.eq(t.id)).exec(db).await?;
    }
    Ok(report)
}

/// One tracker's round; returns what it ran into and, on a rate limit, when to go on.
async fn round<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    http: &reqwest::Client,
    t: &tracker::Model,
    now: DateTime<Utc>,
    report: &mut Report,
) -> AppResult<(Option<String>, Option<DateTime<Utc>>)> {
    let Some(creds) = super::credentials(t) else {
        return Ok((Some(super::UNOPENED.into()), None));
    };
    let linked = action::Entity::find()
        .filter(action::Column::TrackerId.eq(t.id))
        .filter(action::Column::ExternalKey.is_not_null())
        .filter(action::Column::Status.is_in([
            ActionStatus::Open,
            ActionStatus::InProgress,
            ActionStatus::Done,
        ]))
        .order_by_asc(action::Column::SyncedAt)
        .order_by_asc(action::Column::Id)
        .limit(ROUND)
        .all(db)
        .await?;
    for m in linked {
        let Some(key) = m.external_key.clone() else {
            continue;
        };
        let r = client::get_request(t, &creds, &key);
        let answer = match client::call(http, t.kind, true, &r, now).await {
            Ok(a) => a,
            Err(f) if f.limited() => {
                report.limited += 1;
                let at = now + f.wait.unwrap_or(Duration::minutes(1));
                return Ok((Some(f.message), Some(at)));
            }
            // A deleted or moved issue: noted on the action, the round goes on.
            Err(f) if f.status == Some(404) => {
                action::Entity::update_many()
                    .col_expr(action::Column::SyncedAt, Expr::value(Some(to_ms(now))))
                    .col_expr(
                        action::Column::ExternalState,
                        Expr::value(Some("not found".to_owned())),
                    )
                    .filter(action::Column::Id.eq(m.id))
                    .exec(db)
                    .await?;
                continue;
            }
            Err(f) => return Ok((Some(f.message), None)),
        };
        report.read += 1;
        let s = match client::read_state(t, &answer.body) {
            Ok(s) => s,
            Err(AppError::Upstream { message }) => return Ok((Some(message), None)),
            Err(e) => return Err(e),
        };
        let to = match (s.done, m.external_done) {
            (true, Some(true)) | (false, Some(false) | None) => Move::None,
            (true, _) => Move::Done,
            (false, Some(true)) => Move::Reopened,
        };
        let change = Change {
            key,
            state: s.state,
            done: s.done,
            at: s.at.unwrap_or(now),
            to,
        };
        if super::sync::apply(db, t, &m, &change, now).await? != "unchanged" {
            report.moved += 1;
        }
        if let Some(w) = answer.wait {
            // The budget is spent: the rest waits for its reset.
            report.limited += 1;
            return Ok((
                Some(format!(
                    "{} rate limit reached; the round goes on in {} s",
                    t.kind.label(),
                    w.num_seconds()
                )),
                Some(now + w),
            ));
        }
    }
    Ok((None, None))
}
