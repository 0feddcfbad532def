//! Delivering the outbox: a worker claims due messages (PostgreSQL: `FOR UPDATE SKIP
//! LOCKED`, so any number of processes take disjoint messages; SQLite: its single writer),
//! sends each to its channel, and records the answer — delivered, tried again later with a
//! growing delay (or what `Retry-After` asks on 429), or failed for good
//! ([`crate::domain::notify::next`]).
//!
//! A claim is a lease (`claimed_until`): a process that dies mid-send leaves its messages to
//! be taken again once the lease ends, so a message is sent once unless its sender died
//! between sending and recording it.

use std::sync::LazyLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, TransactionSession,
    TransactionTrait,
};
use tokio::sync::Notify;

use super::render;
use crate::domain::notify::{Attempt, Next, next};
use crate::domain::{ChannelKind, DeliveryStatus};
use crate::error::AppResult;
use crate::ssr::entities::{channel, delivery};
use crate::ssr::services::common::Sql;
use crate::ssr::{from_ms, to_ms};

/// How long a claim holds: well over one request's timeout.
pub const LEASE: chrono::Duration = chrono::Duration::seconds(60);
/// How long one delivery request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The most messages one claim takes.
pub const BATCH: u64 = 32;

static WAKE: LazyLock<Notify> = LazyLock::new(Notify::new);

/// Tells this process's worker that messages are waiting.
pub fn wake() {
    WAKE.notify_one();
}

/// Resolves when [`wake`] was called (or at once if it was since the last call).
pub async fn woken() {
    WAKE.notified().await;
}

/// A message and where it goes.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery: delivery::Model,
    pub channel: channel::Model,
    /// The lease this worker holds; [`finish`] records only under it.
    pub until: i64,
}

/// Which messages a worker takes: the channels' (this module sends them) or the trackers'
/// (`tracker::outbound` sends them, with the tracker's credentials).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Channels,
    Trackers,
}

/// Leases up to `limit` due messages of `target` to this worker; returns them and the lease.
pub async fn claim_rows<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    now: DateTime<Utc>,
    limit: u64,
    target: Target,
) -> AppResult<(Vec<delivery::Model>, i64)> {
    let backend = db.get_database_backend();
    let now_ms = to_ms(now);
    let until = to_ms(now + LEASE);
    let txn = crate::ssr::db::write(db).await?;
    // One statement picks and leases: on PostgreSQL the rows another worker is taking are
    // skipped (`FOR UPDATE SKIP LOCKED`); SQLite runs writers one at a time, and the
    // statement takes the write lock before it reads, so no two workers pick one message.
    let lock = match backend {
        DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    let of = match target {
        Target::Channels => "channel_id",
        Target::Trackers => "tracker_id",
    };
    let mut p = Sql::new();
    let (now_p, until_p, limit_p) = (p.bind(now_ms), p.bind(until), p.bind(limit as i64));
    let pick = format!(
        "UPDATE deliveries SET claimed_until = {until_p} WHERE id IN (\
         SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= {now_p} \
         AND {of} IS NOT NULL AND (claimed_until IS NULL OR claimed_until < {now_p}) \
         ORDER BY next_attempt_at, id LIMIT {limit_p}{lock}) \
         AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < {now_p}) RETURNING id"
    );
    let ids: Vec<i64> = txn
        .query_all_raw(p.statement(backend, pick))
        .await?
        .iter()
        .filter_map(|r| r.try_get_by_index::<i64>(0).ok())
        .collect();
    let rows = if ids.is_empty() {
        Vec::new()
    } else {
        delivery::Entity::find()
            .filter(delivery::Column::Id.is_in(ids))
            .all(&txn)
            .await?
    };
    txn.commit().await?;
    Ok((rows, until))
}

/// Takes up to `limit` due channel messages for this worker.
pub async fn claim<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    now: DateTime<Utc>,
    limit: u64,
) -> AppResult<Vec<Claimed>> {
    let (rows, until) = claim_rows(db, now, limit, Target::Channels).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let channel_ids: Vec<i64> = rows.iter().filter_map(|d| d.channel_id).collect();
    let channels: std::collections::HashMap<i64, channel::Model> = channel::Entity::find()
        .filter(channel::Column::Id.is_in(channel_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|d| {
            d.channel_id
                .and_then(|id| channels.get(&id))
                .map(|c| Claimed {
                    channel: c.clone(),
                    delivery: d,
                    until,
                })
        })
        .collect())
}

/// What one attempt got back: the answer's status and `Retry-After`, or the error (with no
/// URL in it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub attempt: Attempt,
    pub error: Option<String>,
}

impl Outcome {
    /// Done: the receiver took it.
    pub fn delivered() -> Self {
        Self {
            attempt: Attempt {
                status: Some(200),
                retry_after: None,
            },
            error: None,
        }
    }

    /// Will not get better by trying again (what the rule does with a 4xx answer): failed at
    /// once, `why` recorded.
    pub fn refused(why: impl Into<String>) -> Self {
        Self {
            attempt: Attempt {
                status: Some(400),
                retry_after: None,
            },
            error: Some(why.into()),
        }
    }

    /// No answer (or none that counts yet): tried again with the growing delay.
    pub fn unanswered(why: impl Into<String>) -> Self {
        Self {
            attempt: Attempt {
                status: None,
                retry_after: None,
            },
            error: Some(why.into()),
        }
    }
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(value: &str, now: DateTime<Utc>) -> Option<chrono::Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<i64>() {
        return Some(chrono::Duration::seconds(secs.max(0)));
    }
    DateTime::parse_from_rfc2822(v)
        .ok()
        .map(|t| (t.with_timezone(&Utc) - now).max(chrono::Duration::zero()))
}

/// Sends one message over `client` (with [`REQUEST_TIMEOUT`]). The webhook kind is signed
/// at send time: `X-Hindsight-Timestamp`, `X-Hindsight-Delivery`, and
/// `X-Hindsight-Signature: sha256=<HMAC of "timestamp.body">`.
pub async fn send(client: &reqwest::Client, c: &Claimed, now: DateTime<Utc>) -> Outcome {
    let body = c.delivery.body.clone().into_bytes();
    let mut req = client
        .post(&c.channel.url)
        .timeout(REQUEST_TIMEOUT)
        .header("content-type", "application/json")
        .header(
            "user-agent",
            concat!("Hindsight/", env!("CARGO_PKG_VERSION")),
        );
    if c.channel.kind == ChannelKind::Webhook {
        let ts = now.timestamp();
        let secret = c.channel.secret.clone().unwrap_or_default();
        req = req
            .header("x-hindsight-timestamp", ts.to_string())
            .header("x-hindsight-delivery", c.delivery.id.to_string())
            .header(
                "x-hindsight-signature",
                render::signature(&secret, ts, &body),
            );
    }
    match req.body(body).send().await {
        Ok(res) => {
            let status = res.status().as_u16();
            let wait = res
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry_after(v, now));
            let error = (!res.status().is_success())
                .then(|| format!("the receiver answered {}", res.status()));
            Outcome {
                attempt: Attempt {
                    status: Some(status),
                    retry_after: wait,
                },
                error,
            }
        }
        // The channel's URL may hold a secret (Slack's and Teams's do): never in the error.
        Err(e) => Outcome {
            attempt: Attempt {
                status: None,
                retry_after: None,
            },
            error: Some(if e.is_timeout() {
                "no answer within 10 s".to_owned()
            } else if e.is_connect() {
                "cannot connect to the receiver".to_owned()
            } else {
                format!("request failed: {}", e.without_url())
            }),
        },
    }
}

/// Records what became of a claimed message.
pub async fn finish(
    db: &impl ConnectionTrait,
    c: &Claimed,
    out: &Outcome,
    now: DateTime<Utc>,
) -> AppResult<Next> {
    finish_row(db, &c.delivery, c.until, out, now).await
}

/// Records what became of message `d`, leased until `until`.
pub async fn finish_row(
    db: &impl ConnectionTrait,
    d: &delivery::Model,
    until: i64,
    out: &Outcome,
    now: DateTime<Utc>,
) -> AppResult<Next> {
    let attempts = d.attempts + 1;
    let n = next(out.attempt, attempts, from_ms(d.created_at), now);
    let (status, next_at, delivered) = match n {
        Next::Delivered => (
            DeliveryStatus::Delivered,
            d.next_attempt_at,
            Some(to_ms(now)),
        ),
        Next::Retry(at) => (DeliveryStatus::Pending, to_ms(at), None),
        Next::Failed => (DeliveryStatus::Failed, d.next_attempt_at, None),
    };
    delivery::Entity::update_many()
        .col_expr(delivery::Column::Status, Expr::value(status.as_str()))
        .col_expr(delivery::Column::Attempts, Expr::value(attempts))
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(next_at))
        .col_expr(
            delivery::Column::ClaimedUntil,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(
            delivery::Column::LastStatus,
            Expr::value(out.attempt.status.map(i32::from)),
        )
        .col_expr(delivery::Column::LastError, Expr::value(out.error.clone()))
        .col_expr(delivery::Column::DeliveredAt, Expr::value(delivered))
        .filter(delivery::Column::Id.eq(d.id))
        // Only under this worker's lease: a lease that ran out belongs to another worker now.
        .filter(delivery::Column::ClaimedUntil.eq(until))
        .exec(db)
        .await?;
    Ok(n)
}

/// One round: claim, send side by side, record. Returns how many were attempted.
pub async fn run_once<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    client: &reqwest::Client,
) -> AppResult<usize> {
    run_once_at(db, client, Utc::now).await
}

/// [`run_once`] on the clock `now` (tests run it at a chosen instant).
pub async fn run_once_at<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    client: &reqwest::Client,
    now: impl Fn() -> DateTime<Utc>,
) -> AppResult<usize> {
    let claimed = claim(db, now(), BATCH).await?;
    let n = claimed.len();
    let sends = claimed.iter().map(|c| {
        let at = now();
        async move {
            let out = send(client, c, at).await;
            (c, out)
        }
    });
    let results = futures_util::future::join_all(sends).await;
    for (c, out) in results {
        finish(db, c, &out, now()).await?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_seconds_or_a_date() {
        let now = DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            retry_after("120", now),
            Some(chrono::Duration::seconds(120))
        );
        assert_eq!(retry_after(" 0 ", now), Some(chrono::Duration::zero()));
        assert_eq!(
            retry_after("Thu, 03 Dec 2026 10:01:30 GMT", now),
            Some(chrono::Duration::seconds(90))
        );
        assert_eq!(retry_after("soon", now), None);
    }
}
