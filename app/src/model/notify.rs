//! Notifications out: channels and their deliveries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::notify::ChannelFilter;
use crate::domain::{ChannelKind, DeliveryStatus, NotifyEvent};

/// `POST /channels`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    pub name: String,
    pub kind: ChannelKind,
    /// Slack's incoming webhook, Teams's Workflows webhook, or your receiver: write-only.
    pub url: String,
    pub events: Vec<NotifyEvent>,
    #[serde(default)]
    pub filter: Option<ChannelFilter>,
}

/// `PATCH /channels/{id}`: absent fields stay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChannelPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<NotifyEvent>>,
    /// `null` removes the filter.
    #[serde(
        default,
        deserialize_with = "super::double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub filter: Option<Option<ChannelFilter>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// A channel as admins see it: the URL's host only, never the URL or the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Channel {
    pub id: i64,
    pub name: String,
    pub kind: ChannelKind,
    pub url_host: String,
    pub events: Vec<NotifyEvent>,
    pub filter: Option<ChannelFilter>,
    pub enabled: bool,
    /// `reminder_webhook_url` for the channel the settings keep (changed there, not here).
    pub managed: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The answer to `POST /channels`: a `webhook` channel's signing secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedChannel {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(flatten)]
    pub channel: Channel,
}

/// One message of a channel (`GET /channels/{id}/deliveries`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Delivery {
    pub id: i64,
    /// The event, or `test` for a test message.
    pub event: String,
    pub record_type: String,
    pub record: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_status: Option<i32>,
    /// What went wrong last (never the URL).
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// The answer to `POST /channels/{id}/test`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TestSent {
    pub delivered: bool,
    pub status: Option<u16>,
    pub error: Option<String>,
}
