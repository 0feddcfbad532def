//! Incidents and their timelines.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::double_option;

use crate::domain::incident::Durations;
use crate::domain::{IncidentStatus, Severity};

/// Filters of the incident list (`GET /incidents?status=&severity=&service=&q=&page=`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct IncidentFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<IncidentStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Detected on or after this date (organisation's time zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected_from: Option<chrono::NaiveDate>,
    /// Detected on or before this date (organisation's time zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected_to: Option<chrono::NaiveDate>,
    /// Resolved on or after this date (organisation's time zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_from: Option<chrono::NaiveDate>,
    /// Resolved on or before this date (organisation's time zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_to: Option<chrono::NaiveDate>,
    /// Whose postmortem (any status) names this root-cause category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_cause_category: Option<crate::domain::RootCauseCategory>,
    /// `true`: linked to a known error that is also linked to an incident detected strictly
    /// earlier (the metrics' recurrence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurring: Option<bool>,
    /// `true`: the sev1 and sev2 incidents the RCA completion rate counts — their postmortem is
    /// published or their RCA deadline has passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rca_due: Option<bool>,
    /// `true`: only incidents still being worked on (investigating, identified, monitoring);
    /// `false`: only resolved and closed ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// The cursor from a previous page's `next`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// The counts the navigation shows: incidents being worked on, the reader's unread
/// notifications.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NavigationCounts {
    pub active_incidents: u64,
    pub unread_notifications: u64,
}

/// One row of the incident list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IncidentSummary {
    pub key: String,
    pub title: String,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub services: Vec<String>,
    pub commander: Option<String>,
    pub detected_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub durations: Durations,
}

/// An incident as the API and the incident page show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Incident {
    pub key: String,
    pub title: String,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub summary: String,
    pub customer_impact: String,
    pub services: Vec<String>,
    /// The commander's e-mail.
    pub commander: Option<String>,
    pub commander_name: Option<String>,
    /// Role name → e-mail (`scribe`, `comms_lead`, others).
    pub roles: std::collections::BTreeMap<String, String>,
    pub tags: Vec<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub detected_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub mitigated_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub reopen_count: i32,
    #[serde(flatten)]
    pub durations: Durations,
    /// When the postmortem is due (resolved_at + business days for the severity).
    pub rca_due_at: Option<DateTime<Utc>>,
    pub postmortem_status: Option<crate::domain::PostmortemStatus>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// `POST /incidents`: what declaring an incident takes (title and severity; the rest optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    pub title: String,
    pub severity: Option<Severity>,
    #[serde(default)]
    pub status: Option<IncidentStatus>,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub customer_impact: String,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub commander: Option<String>,
    #[serde(default)]
    pub roles: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    /// Defaults to the time of creation.
    #[serde(default)]
    pub detected_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub acknowledged_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub mitigated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub resolved_at: Option<DateTime<Utc>>,
}

/// `PATCH /incidents/{key}`: absent fields stay; `null` clears an optional one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IncidentPatch {
    /// The version the client read; a stale one gets 409.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<IncidentStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_impact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<String>>,
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub commander: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<std::collections::BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Why the severity changes: shown in the timeline's escalation entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub started_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected_at: Option<DateTime<Utc>>,
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub acknowledged_at: Option<Option<DateTime<Utc>>>,
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub mitigated_at: Option<Option<DateTime<Utc>>>,
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub resolved_at: Option<Option<DateTime<Utc>>>,
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub closed_at: Option<Option<DateTime<Utc>>>,
}

/// One timeline event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TimelineEvent {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub kind: crate::domain::EventKind,
    pub body: String,
    pub visibility: crate::domain::Visibility,
    /// The author's e-mail (`None` for events the server wrote).
    pub author: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Grows with every correction; a correction that carries a stale one gets 409.
    #[serde(default = "first_version")]
    pub version: i32,
    /// When the entry was last corrected (`None`: as first written). The earlier text is in
    /// the entry's history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<DateTime<Utc>>,
}

fn first_version() -> i32 {
    1
}

/// How many of the latest timeline entries the incident page shows before "Show earlier
/// entries": a page's cost does not grow with a timeline of thousands.
pub const TIMELINE_SHOWN: u64 = 200;

/// The timeline as the incident page shows it: the latest entries in time order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineView {
    pub events: Vec<TimelineEvent>,
    /// Whether earlier entries exist that are not in `events`.
    pub earlier: bool,
}

/// `PATCH /incidents/{key}/timeline/{id}`: a correction of a timeline entry by its author or a
/// responder. Absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EventPatch {
    /// The version the client read; a stale one gets 409.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<crate::domain::EventKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<crate::domain::Visibility>,
}

/// The services and tags in use, most used first: what the incident page suggests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Labels {
    pub services: Vec<String>,
    pub tags: Vec<String>,
}

/// `POST /incidents/{key}/timeline`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewEvent {
    /// Defaults to now.
    #[serde(default)]
    pub occurred_at: Option<DateTime<Utc>>,
    pub kind: crate::domain::EventKind,
    #[serde(default)]
    pub body: String,
    /// Defaults to `internal`.
    #[serde(default)]
    pub visibility: Option<crate::domain::Visibility>,
}
