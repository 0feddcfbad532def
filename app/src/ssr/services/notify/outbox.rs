//! The outbox: a change's messages are written in the change's own transaction, one row per
//! channel that subscribes to its event and whose filter lets it through. The worker
//! ([`super::deliver`]) sends them after the commit; a rolled-back change sends nothing.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::render::{self, Notice};
use crate::domain::notify::{ChannelFilter, Facts};
use crate::domain::{DeliveryStatus, NotifyEvent};
use crate::error::AppResult;
use crate::ssr::entities::{channel, delivery};
use crate::ssr::to_ms;

/// The events a channel subscribes to, as stored.
pub fn events_of(c: &channel::Model) -> Vec<NotifyEvent> {
    serde_json::from_str::<Vec<String>>(&c.events)
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e.parse().ok())
        .collect()
}

/// A channel's filter, as stored.
pub fn filter_of(c: &channel::Model) -> ChannelFilter {
    c.filter
        .as_deref()
        .and_then(|f| serde_json::from_str(f).ok())
        .unwrap_or_default()
}

/// Where a message goes: a notification channel or a tracker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    Channel(i64),
    Tracker(i64),
}

/// A new message to `to`, pending and due at `now`, never tried yet.
pub fn pending(
    to: Recipient,
    event: &str,
    record_type: crate::domain::RecordType,
    key: &str,
    body: String,
    now: DateTime<Utc>,
) -> delivery::ActiveModel {
    let (channel, tracker) = match to {
        Recipient::Channel(id) => (Some(id), None),
        Recipient::Tracker(id) => (None, Some(id)),
    };
    delivery::ActiveModel {
        channel_id: Set(channel),
        tracker_id: Set(tracker),
        event: Set(event.to_owned()),
        record_type: Set(record_type.as_str().to_owned()),
        record_key: Set(key.to_owned()),
        body: Set(body),
        status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(to_ms(now)),
        claimed_until: Set(None),
        last_status: Set(None),
        last_error: Set(None),
        created_at: Set(to_ms(now)),
        delivered_at: Set(None),
        ..Default::default()
    }
}

/// Writes the messages of `n` (call it with the change's transaction). Returns how many.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    n: &Notice,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let channels = channel::Entity::find()
        .filter(channel::Column::Enabled.eq(true))
        .all(db)
        .await?;
    let facts = Facts {
        severity: n.severity,
        services: &n.services,
        team: n.team.as_deref(),
    };
    let rows: Vec<delivery::ActiveModel> = channels
        .iter()
        .filter(|c| events_of(c).contains(&n.event) && filter_of(c).matches(facts))
        .map(|c| {
            pending(
                Recipient::Channel(c.id),
                n.event.as_str(),
                n.record_type,
                &n.key,
                render::body(c.kind, n).to_string(),
                now,
            )
        })
        .collect();
    let count = rows.len();
    if count > 0 {
        delivery::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
        super::deliver::wake();
    }
    Ok(count)
}

/// The event of a comment to a tracker issue.
pub const TRACKER_COMMENT: &str = "tracker.comment";
/// A message asking a tracker to create a new action's issue (its team is mapped there).
pub const TRACKER_CREATE: &str = "tracker.create";

/// Writes a comment for issue `issue` of tracker `tracker_id` (linked to action `key`) to the
/// outbox, in the change's transaction; `tracker::outbound` posts it with the tracker's
/// credentials and the outbox's retries.
/// Asks the tracker that team `team` is mapped to (if any) to create action `key`'s issue,
/// in the transaction that creates the action.
pub async fn enqueue_tracker_issue(
    db: &impl ConnectionTrait,
    team: &str,
    key: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    use crate::ssr::entities::tracker;
    use sea_orm::QueryOrder;
    let Some(t) = tracker::Entity::find()
        .filter(tracker::Column::Teams.is_not_null())
        .order_by_asc(tracker::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .find(|t| t.maps(team))
    else {
        return Ok(());
    };
    delivery::Entity::insert(pending(
        Recipient::Tracker(t.id),
        TRACKER_CREATE,
        crate::domain::RecordType::Action,
        key,
        serde_json::json!({ "action": key }).to_string(),
        now,
    ))
    .exec_without_returning(db)
    .await?;
    super::deliver::wake();
    Ok(())
}

pub async fn enqueue_tracker_comment(
    db: &impl ConnectionTrait,
    tracker_id: i64,
    key: &str,
    issue: &str,
    text: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    delivery::Entity::insert(pending(
        Recipient::Tracker(tracker_id),
        TRACKER_COMMENT,
        crate::domain::RecordType::Action,
        key,
        serde_json::json!({"issue": issue, "text": text}).to_string(),
        now,
    ))
    .exec_without_returning(db)
    .await?;
    super::deliver::wake();
    Ok(())
}
