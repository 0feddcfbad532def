//! Background jobs: deadline reminders through the outgoing webhook.

use std::time::Duration;

use app::ssr::services::reminders::{self, Reminder, Sender};
use sea_orm::DatabaseConnection;

/// Posts reminders as JSON to the webhook in the settings (`reminder_webhook_url`); the body
/// has a Slack-compatible `text`. No webhook, no sending (and nothing recorded as sent).
pub struct Webhook {
    client: reqwest::Client,
    url: String,
}

impl Webhook {
    pub fn new(url: String) -> Self {
        Self {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            url,
        }
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

/// Runs the reminder job every `every`, from now until the process ends.
pub async fn reminders_loop(db: DatabaseConnection, public_origin: String, every: Duration) {
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
            reminders::run(&db, &Webhook::new(url), &public_origin, chrono::Utc::now()).await
        }
        .await;
        match result {
            Ok(0) => {}
            Ok(n) => tracing::info!(sent = n, "deadline reminders sent"),
            Err(e) => tracing::warn!(error = %e, "reminder job failed"),
        }
    }
}
