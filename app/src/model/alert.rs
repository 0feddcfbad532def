//! Alerts in: hooks (inbound sources) and the alerts they received.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{AlertStatus, HookSource, Severity};

/// `POST /hooks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewHook {
    pub name: String,
    pub source: HookSource,
    /// `severity` label value → Hindsight severity; `critical` → sev2 and `warning` → sev3
    /// apply unless mapped otherwise.
    #[serde(default)]
    pub severity_map: BTreeMap<String, Severity>,
    /// The severity of an alert whose label maps to none.
    pub default_severity: Severity,
    /// The label that names the service (default `service`).
    #[serde(default)]
    pub service_label: Option<String>,
    /// Whether a new firing alert opens an incident (default true).
    #[serde(default = "yes")]
    pub auto_open: bool,
    /// PagerDuty only: the signing secret PagerDuty shows for the webhook subscription.
    /// Without it, Hindsight makes one (to give to a sender that signs like PagerDuty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<String>,
}

fn yes() -> bool {
    true
}

/// A hook as admins see it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Hook {
    pub id: i64,
    pub name: String,
    pub source: HookSource,
    pub severity_map: BTreeMap<String, Severity>,
    pub default_severity: Severity,
    pub service_label: String,
    pub auto_open: bool,
    /// Where the sender posts: `/api/v1/hooks/{id}/receive` under the public URL.
    pub receive_url: String,
    pub created_at: DateTime<Utc>,
    pub last_received_at: Option<DateTime<Utc>>,
}

/// The answer to `POST /hooks`: the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedHook {
    /// `Authorization: Bearer <secret>` or `?token=<secret>`; PagerDuty signs with it.
    pub secret: String,
    #[serde(flatten)]
    pub hook: Hook,
}

/// The answer to a delivery (`202`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Received {
    /// The incident the alerts opened or joined (its key), if any.
    pub incident: Option<String>,
    pub alerts_new: u32,
    pub alerts_repeated: u32,
}

/// One alert of an incident (`GET /incidents/{key}/alerts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Alert {
    pub id: i64,
    pub source: HookSource,
    /// The hook's name (none once the hook was deleted).
    pub hook: Option<String>,
    pub fingerprint: String,
    pub group_key: String,
    pub status: AlertStatus,
    pub summary: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// Where it comes from: Prometheus's graph, PagerDuty's incident, the sender's link.
    pub url: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}
