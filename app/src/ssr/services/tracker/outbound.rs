//! The outbox's messages to trackers: a comment on an action's issue when the action is
//! verified, found not effective or cancelled. Claimed like every message
//! ([`deliver::claim_rows`]), posted with the tracker's credentials (opened only here, at
//! send time), and retried under the same rule ([`crate::domain::notify::next`]).

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};

use super::client;
use crate::domain::notify::Attempt;
use crate::error::AppResult;
use crate::model::TrackerCredentials;
use crate::ssr::entities::{delivery, tracker};
use crate::ssr::secretbox;
use crate::ssr::services::notify::deliver::{self, Outcome, Target};
use crate::ssr::services::notify::outbox::TRACKER_COMMENT;

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
            Some(t) => send(http, t, d, now()).await,
            None => failed("the tracker is gone"),
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

fn failed(why: &str) -> Outcome {
    Outcome {
        // Not an HTTP answer that could get better: failed at once.
        attempt: Attempt {
            status: Some(400),
            retry_after: None,
        },
        error: Some(why.to_owned()),
    }
}

async fn send(
    http: &reqwest::Client,
    t: &tracker::Model,
    d: &delivery::Model,
    now: DateTime<Utc>,
) -> Outcome {
    if d.event != TRACKER_COMMENT {
        return failed("not a message Hindsight sends to trackers");
    }
    let body: serde_json::Value = serde_json::from_str(&d.body).unwrap_or_default();
    let (Some(issue), Some(text)) = (body["issue"].as_str(), body["text"].as_str()) else {
        return failed("the message has no issue or text");
    };
    let Some(creds) = secretbox::open(&t.credentials)
        .ok()
        .and_then(|c| serde_json::from_str::<TrackerCredentials>(&c).ok())
    else {
        // The key may come back (a restart with the right HINDSIGHT_SECRET_KEY): retried.
        return Outcome {
            attempt: Attempt {
                status: None,
                retry_after: None,
            },
            error: Some("the stored credentials cannot be opened with this server's key".into()),
        };
    };
    let r = client::comment_request(t, &creds, issue, text);
    match client::call(http, t.kind, false, &r, now).await {
        Ok(_) => Outcome {
            attempt: Attempt {
                status: Some(201),
                retry_after: None,
            },
            error: None,
        },
        Err(f) => Outcome {
            attempt: Attempt {
                status: f.status,
                retry_after: f.wait,
            },
            error: Some(f.message),
        },
    }
}
