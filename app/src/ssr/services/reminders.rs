//! Deadline reminders: which actions are due soon, overdue, or awaiting a verification that is
//! due or overdue, and one reminder per action per state — claimed in `reminders_sent` before
//! it is sent, so neither a restart nor several processes running the job send it twice.
//! Reminders follow the action alone: a closed incident does not stop them.

use std::future::Future;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    TryInsertResult,
};
use serde::Serialize;

use crate::domain::reminder::{self, ReminderInput};
use crate::error::AppResult;
use crate::ssr::entities::{action, reminder_sent};
use crate::ssr::settings;
use crate::ssr::to_ms;

pub use crate::domain::reminder::{DUE_SOON_DAYS, ReminderKind};

/// The reminder an action needs today, if any, with the deadline it is about (the rule is
/// [`crate::domain::reminder::needed`]).
pub fn needed(a: &action::Model, today: NaiveDate) -> Option<(ReminderKind, NaiveDate)> {
    reminder::needed(
        ReminderInput {
            status: a.status,
            due_date: a.due_date,
            verification_required: a.verification_required,
            verification_due: a.verification_due,
        },
        today,
    )
}

/// What the webhook receives: a Slack-compatible `text` plus the facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reminder {
    pub text: String,
    pub kind: ReminderKind,
    pub action: String,
    pub title: String,
    pub owner: Option<String>,
    pub team: Option<String>,
    pub deadline: NaiveDate,
    pub url: String,
}

/// Where reminders go (the webhook in service; a recorder in tests).
pub trait Sender {
    fn send(&self, r: &Reminder) -> impl Future<Output = Result<(), String>> + Send;
}

/// Sends what is due and not yet sent. Returns how many this run sent. Each reminder is
/// claimed (a row in `reminders_sent`) before it is sent; a reminder that fails to send gives
/// its claim back, so the next run tries it again.
pub async fn run(
    db: &impl ConnectionTrait,
    sender: &impl Sender,
    public_origin: &str,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let s = settings::load(db).await?;
    let today = s.calendar().date_of(now);
    let soon = today + Duration::days(DUE_SOON_DAYS);
    // Candidates: open work due by `soon`, completed work whose verification is due by `soon`.
    let candidates = action::Entity::find()
        .filter(super::common::conditions::action_deadlines(Some(soon)))
        .order_by_asc(action::Column::Seq)
        .all(db)
        .await?;
    if candidates.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = candidates.iter().map(|a| a.id).collect();
    let sent: std::collections::HashSet<(i64, String, String)> = reminder_sent::Entity::find()
        .filter(reminder_sent::Column::ActionId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.action_id, r.kind, r.marker))
        .collect();
    let owners =
        super::common::lookup::emails(db, candidates.iter().filter_map(|a| a.owner_id)).await?;
    let mut count = 0;
    for a in candidates {
        let Some((kind, deadline)) = needed(&a, today) else {
            continue;
        };
        // One reminder per state: the deadline and how often the action was reopened.
        let marker = format!("{deadline}#{}", a.reopen_count);
        if sent.contains(&(a.id, kind.as_str().to_owned(), marker.clone())) {
            continue;
        }
        let owner = a.owner_id.and_then(|id| owners.get(&id.0).cloned());
        let what = match kind {
            ReminderKind::DueSoon => format!("is due {deadline}"),
            ReminderKind::Overdue => format!("is overdue (due {deadline})"),
            ReminderKind::VerificationDueSoon => format!("needs verification by {deadline}"),
            ReminderKind::VerificationOverdue => {
                format!("verification is overdue (due {deadline})")
            }
        };
        let url = format!("{}/actions/{}", public_origin.trim_end_matches('/'), a.key);
        let r = Reminder {
            text: format!(
                "{} {}: {} — {}{}",
                a.key,
                what,
                a.title,
                owner.as_deref().unwrap_or("no owner"),
                a.team
                    .as_deref()
                    .map(|t| format!(" ({t})"))
                    .unwrap_or_default()
            ),
            kind,
            action: a.key.clone(),
            title: a.title.clone(),
            owner,
            team: a.team.clone(),
            deadline,
            url,
        };
        // Claim first, send after: with several processes (or overlapping runs) only the one
        // whose claim row went in sends, so each reminder goes out once.
        if !claim(db, a.id, kind, &marker, now).await? {
            continue;
        }
        match sender.send(&r).await {
            Ok(()) => count += 1,
            Err(e) => {
                tracing::warn!(action = %a.key, error = %e, "reminder not sent; will retry");
                // Give the claim back, so the next run tries again.
                release(db, a.id, kind, &marker).await?;
            }
        }
    }
    Ok(count)
}

/// Records that this run sends the reminder (`action_id`, `kind`, `marker`): true when the row
/// went in, false when it was there already (sent, or being sent by another run). The unique
/// key on the three columns makes the insert the arbiter, on both databases.
async fn claim(
    db: &impl ConnectionTrait,
    action_id: i64,
    kind: ReminderKind,
    marker: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let row = reminder_sent::ActiveModel {
        action_id: Set(action_id),
        kind: Set(kind.as_str().to_owned()),
        marker: Set(marker.to_owned()),
        sent_at: Set(to_ms(now)),
        ..Default::default()
    };
    let res = reminder_sent::Entity::insert(row)
        .on_conflict_do_nothing_on([
            reminder_sent::Column::ActionId,
            reminder_sent::Column::Kind,
            reminder_sent::Column::Marker,
        ])
        .exec_without_returning(db)
        .await?;
    Ok(matches!(res, TryInsertResult::Inserted(1)))
}

/// Removes a claim whose reminder could not be sent.
async fn release(
    db: &impl ConnectionTrait,
    action_id: i64,
    kind: ReminderKind,
    marker: &str,
) -> AppResult<()> {
    reminder_sent::Entity::delete_many()
        .filter(reminder_sent::Column::ActionId.eq(action_id))
        .filter(reminder_sent::Column::Kind.eq(kind.as_str()))
        .filter(reminder_sent::Column::Marker.eq(marker))
        .exec(db)
        .await?;
    Ok(())
}
