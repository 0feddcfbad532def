//! The known-error database: records, links, recurrence and suggestions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{LinkedAction, double_option};

use crate::domain::{IncidentStatus, Severity};

/// An incident as a known error lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LinkedIncident {
    pub key: String,
    pub title: String,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub detected_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A known error (problem record) with its links.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct KnownError {
    pub key: String,
    pub title: String,
    pub symptoms: String,
    pub root_cause: String,
    /// Markdown.
    pub workaround: String,
    pub status: crate::domain::KnownErrorStatus,
    pub fix_version: Option<String>,
    pub services: Vec<String>,
    /// Linked incident keys, oldest detection first.
    pub incidents: Vec<String>,
    /// The linked incidents with their dates (same order).
    pub linked_incidents: Vec<LinkedIncident>,
    /// Actions raised against this known error, with their live status.
    pub actions: Vec<LinkedAction>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// `POST /known-errors`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewKnownError {
    pub title: String,
    #[serde(default)]
    pub symptoms: String,
    #[serde(default)]
    pub root_cause: String,
    #[serde(default)]
    pub workaround: String,
    /// Defaults to `open`.
    #[serde(default)]
    pub status: Option<crate::domain::KnownErrorStatus>,
    #[serde(default)]
    pub fix_version: Option<String>,
    #[serde(default)]
    pub services: Vec<String>,
    /// Incident keys to link right away.
    #[serde(default)]
    pub incidents: Vec<String>,
}

/// `PATCH /known-errors/{key}`: absent fields stay; `fix_version: null` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KnownErrorPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symptoms: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_cause: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workaround: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<crate::domain::KnownErrorStatus>,
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub fix_version: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<String>>,
}

/// Filters of the known-error list (`GET /known-errors`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct KnownErrorFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<crate::domain::KnownErrorStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Words that must all appear in the title, symptoms, root cause or workaround.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// One row of the known-error list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct KnownErrorSummary {
    pub key: String,
    pub title: String,
    pub status: crate::domain::KnownErrorStatus,
    pub fix_version: Option<String>,
    pub services: Vec<String>,
    /// How many incidents it caused (linked incidents).
    pub incident_count: u64,
    /// The latest linked incident's detection.
    pub last_seen: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// `POST /known-errors/{key}/incidents`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LinkIncident {
    pub incident: String,
}

/// `POST /incidents/{key}/known-errors`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LinkKnownError {
    pub known_error: String,
}

/// A known error linked to an incident, seen from the incident: with whether this incident
/// is a recurrence (the known error had an incident detected strictly earlier) and whether an
/// action on it had been verified effective before this incident was detected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IncidentKnownError {
    pub key: String,
    pub title: String,
    pub status: crate::domain::KnownErrorStatus,
    pub fix_version: Option<String>,
    /// Markdown.
    pub workaround: String,
    pub recurrence: bool,
    /// Linked incidents detected strictly before this one.
    pub earlier_incidents: u64,
    /// An action on the known error was verified effective before this incident's detection.
    pub fix_verified_before: bool,
}

/// A suggested known error for an incident, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Suggestion {
    pub key: String,
    pub title: String,
    pub status: crate::domain::KnownErrorStatus,
    /// Markdown.
    pub workaround: String,
    pub score: f64,
    /// Services the incident and the known error share.
    pub shared_services: Vec<String>,
    /// Already linked to this incident.
    pub linked: bool,
}
