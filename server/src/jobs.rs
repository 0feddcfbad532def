//! Background jobs: deadline reminders (as messages of the outbox), the delivery of the
//! outbox, and the pruning of live updates. Each is safe with several processes on one
//! PostgreSQL: reminders are claimed once per action and state, deliveries with
//! `FOR UPDATE SKIP LOCKED`.

use std::time::Duration;

use app::ssr::services::notify::{channels, deliver};
use app::ssr::services::reminders;
use sea_orm::DatabaseConnection;

/// The HTTP client could not be built (e.g. no TLS roots): without it no message can go
/// out with its timeout, so the server refuses to start.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client for outgoing messages: {0}")]
pub struct ClientError(#[from] reqwest::Error);

/// The HTTP client every outgoing message goes through.
pub fn client() -> Result<reqwest::Client, ClientError> {
    Ok(app::ssr::http_client()?)
}

/// Brings the channel of the `reminder_webhook_url` setting in step with the setting.
pub async fn sync_reminder_channel(db: &DatabaseConnection) -> app::error::AppResult<()> {
    let s = app::ssr::services::settings::load(db).await?;
    channels::sync_reminder_channel(db, s.reminder_webhook_url.as_deref(), chrono::Utc::now()).await
}

/// Runs the reminder job every `every`: each reminder due becomes a message of the outbox.
pub async fn reminders_loop(db: DatabaseConnection, public_origin: String, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match reminders::run(&db, &public_origin, chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(reminders = n, "deadline reminders queued"),
            Err(e) => tracing::warn!(error = %e, "reminder job failed"),
        }
    }
}

/// Delivers the outbox: woken by changes in this process, and every `poll` for the rest.
pub async fn deliveries_loop(db: DatabaseConnection, client: reqwest::Client, poll: Duration) {
    loop {
        // A wake-up comes from a change whose transaction commits right after: look a few
        // times shortly after it, then go back to waiting.
        let waits: &[u64] = tokio::select! {
            _ = deliver::woken() => &[5, 20, 100],
            _ = tokio::time::sleep(poll) => &[0],
        };
        for ms in waits {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
            if drain(&db, &client).await > 0 {
                break;
            }
        }
    }
}

/// Delivers the channels' and the trackers' messages until a round is not full; returns how
/// many were attempted.
async fn drain(db: &DatabaseConnection, client: &reqwest::Client) -> usize {
    drain_channels(db, client).await + drain_trackers(db, client).await
}

async fn drain_trackers(db: &DatabaseConnection, client: &reqwest::Client) -> usize {
    let mut total = 0;
    loop {
        match app::ssr::services::tracker::outbound::run_once(db, client).await {
            Ok(n) => {
                total += n;
                if (n as u64) < deliver::BATCH {
                    return total;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "sending messages to trackers failed");
                return total;
            }
        }
    }
}

async fn drain_channels(db: &DatabaseConnection, client: &reqwest::Client) -> usize {
    let mut total = 0;
    loop {
        match deliver::run_once(db, client).await {
            Ok(n) => {
                total += n;
                if (n as u64) < deliver::BATCH {
                    return total;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "delivering messages failed");
                return total;
            }
        }
    }
}

/// Reconciles the trackers: each tracker's round is due every `poll`; this process looks
/// every half minute (or every `poll` when shorter) and takes the rounds no other took.
pub async fn tracker_poll_loop(db: DatabaseConnection, client: reqwest::Client, poll: Duration) {
    use app::ssr::services::tracker::reconcile;
    let mut tick = tokio::time::interval(poll.min(Duration::from_secs(30)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let period = chrono::Duration::from_std(poll).unwrap_or(chrono::Duration::minutes(15));
    loop {
        tick.tick().await;
        match reconcile::run_once(&db, &client, period, chrono::Utc::now()).await {
            Ok(r) if r.trackers > 0 => tracing::info!(
                trackers = r.trackers,
                read = r.read,
                moved = r.moved,
                limited = r.limited,
                "trackers reconciled"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "reconciling trackers failed"),
        }
    }
}

/// Every `every`: removes old live events and the presence of streams whose process is gone.
/// Several processes may run it side by side (see `app::ssr::live::prune`).
pub async fn live_prune_loop(db: DatabaseConnection, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match app::ssr::live::prune(&db, chrono::Utc::now()).await {
            Ok(p) if p.events > 0 || p.presence > 0 => {
                tracing::debug!(
                    events = p.events,
                    presence = p.presence,
                    "live updates pruned"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning live updates failed"),
        }
    }
}
