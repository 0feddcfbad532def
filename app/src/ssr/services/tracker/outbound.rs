//! The outbox's messages to trackers: the issue of a new action whose team is mapped to the
//! tracker, and a comment on an action's issue when the action is verified, found not
//! effective or cancelled. Claimed like every message ([`deliver::claim_rows`]), sent with
//! the tracker's credentials (opened only here, at send time), and retried under the same
//! rule ([`crate::domain::notify::next`]) — except a create that may have been carried out
//! without an answer, which is never sent twice.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession, TransactionTrait,
};

use super::client::{self, Failure};
use super::link;
use crate::domain::ActionStatus;
use crate::domain::notify::Attempt;
use crate::error::{AppError, AppResult};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{delivery, tracker};
use crate::ssr::services::action as actions;
use crate::ssr::services::notify::deliver::{self, Outcome, Target};
use crate::ssr::services::notify::notices;
use crate::ssr::services::notify::outbox::{TRACKER_COMMENT, TRACKER_CREATE};

/// One round: claim the trackers' due messages, send them one by one, record each.
pub async fn run_once_at<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    http: &reqwest::Client,
    now: impl Fn() -> DateTime<Utc>,
) -> AppResult<usize> {
    let (rows, until) = deliver::claim_rows(db, now(), deliver::BATCH, Target::Trackers).await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = rows.iter().filter_map(|d| d.tracker_id).collect();
    let trackers: std::collections::HashMap<i64, tracker::Model> = tracker::Entity::find()
        .filter(tracker::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    for d in &rows {
        let out = match d.tracker_id.and_then(|id| trackers.get(&id)) {
            Some(t) if d.event == TRACKER_COMMENT => comment(http, t, d, now()).await,
            Some(t) if d.event == TRACKER_CREATE => create(db, http, t, d, now()).await?,
            Some(_) => Outcome::refused("not a message Hindsight sends to trackers"),
            None => Outcome::refused("the tracker is gone"),
        };
        deliver::finish_row(db, d, until, &out, now()).await?;
    }
    Ok(rows.len())
}

/// [`run_once_at`] on the wall clock.
pub async fn run_once<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    http: &reqwest::Client,
) -> AppResult<usize> {
    run_once_at(db, http, Utc::now).await
}

impl From<Failure> for Outcome {
    fn from(f: Failure) -> Self {
        Outcome {
            attempt: Attempt {
                status: f.status,
                retry_after: f.wait,
            },
            error: Some(f.message),
        }
    }
}

async fn comment(
    http: &reqwest::Client,
    t: &tracker::Model,
    d: &delivery::Model,
    now: DateTime<Utc>,
) -> Outcome {
    let body: serde_json::Value = serde_json::from_str(&d.body).unwrap_or_default();
    let (Some(issue), Some(text)) = (body["issue"].as_str(), body["text"].as_str()) else {
        return Outcome::refused("the message has no issue or text");
    };
    // The key may come back (a restart with the right HINDSIGHT_SECRET_KEY): retried.
    let Some(creds) = super::credentials(t) else {
        return Outcome::unanswered(super::UNOPENED);
    };
    let r = client::comment_request(t, &creds, issue, text);
    match client::call(http, t.kind, false, &r, now).await {
        Ok(_) => Outcome::delivered(),
        Err(f) => f.into(),
    }
}

/// Creates and links the issue of the new action the message names, unless it has one by
/// now (made in one click meanwhile) or was cancelled: then there is nothing to do.
async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    http: &reqwest::Client,
    t: &tracker::Model,
    d: &delivery::Model,
    now: DateTime<Utc>,
) -> AppResult<Outcome> {
    let body: serde_json::Value = serde_json::from_str(&d.body).unwrap_or_default();
    let Some(key) = body["action"].as_str() else {
        return Ok(Outcome::refused("the message names no action"));
    };
    let m = match actions::find(db, key).await {
        Ok(m) => m,
        Err(AppError::NotFound { .. }) => return Ok(Outcome::refused("the action is gone")),
        Err(e) => return Err(e),
    };
    if m.external_key.is_some() || m.status == ActionStatus::Cancelled {
        return Ok(Outcome::delivered());
    }
    let actor = Actor::tracker(t.id, t.kind, &t.name);
    let view = actions::get(db, &actor, key, now).await?;
    let created = match link::open_issue(http, t, &view, &notices::link(""), now).await {
        Ok(c) => c,
        // Sent again, it could make a second issue.
        Err(f) if f.unsure => {
            return Ok(Outcome::refused(format!(
                "{}; the issue may have been created: look in {} before creating it by hand",
                f.message,
                t.kind.label()
            )));
        }
        Err(f) => return Ok(f.into()),
    };
    let txn = crate::ssr::db::write(db).await?;
    let linked = link::attach(&txn, &actor, t, &m, view.incident.clone(), &created, now).await?;
    txn.commit().await?;
    Ok(if linked {
        Outcome::delivered()
    } else {
        Outcome::refused(format!(
            "{key} was linked to another issue meanwhile; {} {} was created and is not linked",
            t.kind.label(),
            crate::domain::issue_name(&created.key)
        ))
    })
}
