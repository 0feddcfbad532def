//! Deadline reminders: which actions are due soon, overdue, or awaiting a verification that is
//! due or overdue, and one reminder per action per state — claimed in `reminders_sent` in the
//! transaction that queues its messages (`action.due_soon`, `action.overdue`,
//! `action.verification_due`), so neither a restart nor several processes queue it twice.
//! Reminders follow the action alone: a closed incident does not stop them.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionSession, TransactionTrait, TryInsertResult,
};

use crate::domain::reminder::{self, ReminderInput};
use crate::domain::{NotifyEvent, RecordType};
use crate::error::AppResult;
use crate::ssr::entities::{action, channel, incident, reminder_sent};
use crate::ssr::services::notify::{Notice, channels, outbox};
use crate::ssr::services::settings;
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

/// The event a reminder is sent as.
pub fn event_of(kind: ReminderKind) -> NotifyEvent {
    match kind {
        ReminderKind::DueSoon => NotifyEvent::ActionDueSoon,
        ReminderKind::Overdue => NotifyEvent::ActionOverdue,
        ReminderKind::VerificationDueSoon | ReminderKind::VerificationOverdue => {
            NotifyEvent::ActionVerificationDue
        }
    }
}

/// Queues what is due and not yet queued, as messages of the outbox. Returns how many
/// reminders this run queued. Each reminder is claimed (a row in `reminders_sent`) in the
/// transaction that writes its messages, so it goes out once per action and state, whatever
/// the number of processes or runs.
pub async fn run<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    public_origin: &str,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    // Nothing to do while no channel listens for reminders.
    let listening = channel::Entity::find()
        .filter(channel::Column::Enabled.eq(true))
        .all(db)
        .await?
        .iter()
        .any(|c| {
            let events = outbox::events_of(c);
            channels::REMINDER_EVENTS.iter().any(|e| events.contains(e))
        });
    if !listening {
        return Ok(0);
    }
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
    let incident_ids: Vec<i64> = candidates
        .iter()
        .filter_map(|a| a.incident_id.map(|i| i.0))
        .collect();
    let incidents: std::collections::HashMap<i64, incident::Model> = if incident_ids.is_empty() {
        Default::default()
    } else {
        incident::Entity::find()
            .filter(incident::Column::Id.is_in(incident_ids.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|i| (i.id, i))
            .collect()
    };
    let services = super::incident::services_of(db, &incident_ids).await?;
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
        let inc = a.incident_id.and_then(|i| incidents.get(&i.0));
        let mut facts = vec![
            (
                "Owner".to_owned(),
                owner.clone().unwrap_or_else(|| "no owner".into()),
            ),
            ("Deadline".to_owned(), deadline.to_string()),
        ];
        if let Some(t) = &a.team {
            facts.push(("Team".to_owned(), t.clone()));
        }
        let notice = Notice {
            event: event_of(kind),
            record_type: RecordType::Action,
            key: a.key.clone(),
            title: a.title.clone(),
            incident: inc.map(|i| i.key.clone()),
            severity: inc.map(|i| i.severity),
            services: inc
                .and_then(|i| services.get(&i.id).cloned())
                .unwrap_or_default(),
            team: a.team.clone(),
            facts,
            summary: format!(
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
            url: format!("{}/actions/{}", public_origin.trim_end_matches('/'), a.key),
            by: "system".into(),
            at: now,
        };
        // Claim and queue in one transaction: only the run whose claim row went in queues.
        let txn = crate::ssr::db::write(db).await?;
        if !claim(&txn, a.id, kind, &marker, now).await? {
            txn.commit().await?;
            continue;
        }
        outbox::enqueue(&txn, &notice, now).await?;
        txn.commit().await?;
        count += 1;
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
