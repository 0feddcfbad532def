//! Background jobs: deadline reminders through the outgoing webhook; pruning of live updates.

use std::time::Duration;

use app::ssr::services::reminders::{self, Reminder, Sender};
use sea_orm::DatabaseConnection;

/// Posts reminders as JSON to the webhook in the settings (`reminder_webhook_url`); the body
/// has a Slack-compatible `text`. No webhook, no sending (and nothing recorded as sent).
#[derive(Clone)]
pub struct Webhook {
    client: reqwest::Client,
    url: String,
}

/// How long one webhook request may take before it counts as failed (and is retried later).
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// The webhook's HTTP client could not be built (e.g. no TLS roots): without it the
/// reminders cannot go out with their timeout, so the server refuses to start.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the webhook's HTTP client: {0}")]
pub struct ClientError(#[from] reqwest::Error);

/// The HTTP client every webhook request goes through: with [`WEBHOOK_TIMEOUT`], or an error.
pub fn client() -> Result<reqwest::Client, ClientError> {
    Ok(reqwest::Client::builder()
        .timeout(WEBHOOK_TIMEOUT)
        .build()?)
}

impl Webhook {
    /// A sender to `url` with its own client (see [`client`]).
    pub fn new(url: String) -> Result<Self, ClientError> {
        Ok(Self::with_client(client()?, url))
    }

    /// A sender to `url` over a client built (and checked) before, e.g. at start-up.
    pub fn with_client(client: reqwest::Client, url: String) -> Self {
        Self { client, url }
    }
}

impl Sender for Webhook {
    async fn send(&self, r: &Reminder) -> Result<(), String> {
        let res = self
            .client
            .post(&self.url)
            .json(r)
            .send()
            .await
            // The webhook's address may hold a secret: errors never name it.
            .map_err(|e| format!("webhook request failed: {}", e.without_url()))?;
        if res.status().is_success() {
            Ok(())
        } else {
            Err(format!("webhook answered {}", res.status()))
        }
    }
}

/// Runs the reminder job every `every`, from now until the process ends, over `client`
/// (built at start-up with [`client`], so a client that cannot be built stops the start).
pub async fn reminders_loop(
    db: DatabaseConnection,
    client: reqwest::Client,
    public_origin: String,
    every: Duration,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let result = async {
            let settings = app::ssr::settings::load(&db).await?;
            let Some(url) = settings
                .reminder_webhook_url
                .filter(|u| !u.trim().is_empty())
            else {
                return Ok(0);
            };
            let hook = Webhook::with_client(client.clone(), url);
            reminders::run(&db, &hook, &public_origin, chrono::Utc::now()).await
        }
        .await;
        match result {
            Ok(0) => {}
            Ok(n) => tracing::info!(sent = n, "deadline reminders sent"),
            Err(e) => tracing::warn!(error = %e, "reminder job failed"),
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
