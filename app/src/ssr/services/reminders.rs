//! Deadline reminders: which actions are due soon, overdue, or awaiting a verification that is
//! due or overdue, and one reminder per action per state — recorded in `reminders_sent`, so a
//! restart never sends the same reminder twice. Reminders follow the action alone: a closed
//! incident does not stop them.

use std::future::Future;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder,
};
use serde::Serialize;

use crate::domain::ActionStatus;
use crate::error::AppResult;
use crate::ssr::entities::{action, reminder_sent};
use crate::ssr::services::users;
use crate::ssr::settings;
use crate::ssr::to_ms;

/// Days ahead that count as "due soon".
pub const DUE_SOON_DAYS: i64 = 2;

/// Which deadline a reminder is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    DueSoon,
    Overdue,
    VerificationDueSoon,
    VerificationOverdue,
}

impl ReminderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReminderKind::DueSoon => "due_soon",
            ReminderKind::Overdue => "overdue",
            ReminderKind::VerificationDueSoon => "verification_due_soon",
            ReminderKind::VerificationOverdue => "verification_overdue",
        }
    }
}

/// The reminder an action needs today, if any, with the deadline it is about.
pub fn needed(a: &action::Model, today: NaiveDate) -> Option<(ReminderKind, NaiveDate)> {
    let soon = today + Duration::days(DUE_SOON_DAYS);
    if a.status.is_open() {
        let due = a.due_date?;
        return if due < today {
            Some((ReminderKind::Overdue, due))
        } else if due <= soon {
            Some((ReminderKind::DueSoon, due))
        } else {
            None
        };
    }
    if a.status == ActionStatus::Done && a.verification_required {
        let due = a.verification_due?;
        return if due < today {
            Some((ReminderKind::VerificationOverdue, due))
        } else if due <= soon {
            Some((ReminderKind::VerificationDueSoon, due))
        } else {
            None
        };
    }
    None
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

/// Sends what is due and not yet sent. Returns how many were sent. A reminder that fails to
/// send is not recorded, so the next run tries it again.
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
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(
                            action::Column::Status
                                .is_in([ActionStatus::Open, ActionStatus::InProgress]),
                        )
                        .add(action::Column::DueDate.lte(soon)),
                )
                .add(
                    Condition::all()
                        .add(action::Column::Status.eq(ActionStatus::Done))
                        .add(action::Column::VerificationRequired.eq(true))
                        .add(action::Column::VerificationDue.lte(soon)),
                ),
        )
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
    let owners = users::emails(db, candidates.iter().filter_map(|a| a.owner_id).collect()).await?;
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
        let owner = a.owner_id.and_then(|id| owners.get(&id).cloned());
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
        match sender.send(&r).await {
            Ok(()) => {
                reminder_sent::ActiveModel {
                    action_id: Set(a.id),
                    kind: Set(kind.as_str().to_owned()),
                    marker: Set(marker),
                    sent_at: Set(to_ms(now)),
                    ..Default::default()
                }
                .insert(db)
                .await?;
                count += 1;
            }
            Err(e) => tracing::warn!(action = %a.key, error = %e, "reminder not sent; will retry"),
        }
    }
    Ok(count)
}
