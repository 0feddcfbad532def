//! Postmortems: the document, its RCA, review and the list.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Incident, TimelineEvent, double_option};

use crate::domain::{IncidentStatus, Severity};

/// One contributing factor of a postmortem.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ContributingFactor {
    /// Free text, e.g. `process`, `monitoring`, `testing`, `people`.
    pub category: String,
    pub description: String,
}

/// A reviewer's approval of a postmortem in review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Approval {
    pub reviewer: String,
    pub approved_at: DateTime<Utc>,
}

/// A postmortem as the API and the editor show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Postmortem {
    /// The incident's key.
    pub incident: String,
    pub incident_title: String,
    pub severity: Severity,
    pub incident_status: IncidentStatus,
    pub status: crate::domain::PostmortemStatus,
    pub body: String,
    pub root_cause_category: Option<crate::domain::RootCauseCategory>,
    pub root_cause: String,
    pub five_whys: Vec<String>,
    pub contributing_factors: Vec<ContributingFactor>,
    /// Reviewers' e-mails.
    pub reviewers: Vec<String>,
    /// Approvals given while in review (cleared when the postmortem goes back to draft).
    pub approvals: Vec<Approval>,
    /// The incident's `resolved_at` plus the business days of its severity.
    pub due_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    /// Review threads on it still open (top-level comments neither resolved nor removed):
    /// publishing warns while there are any.
    #[serde(default)]
    pub open_threads: u64,
}

/// `PUT /incidents/{key}/postmortem`: creates the postmortem (from the severity's template
/// unless `body` is given) or changes it. Absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PostmortemInput {
    /// The version the editor read; a stale one gets 409. `0` is a first save: it gets 409
    /// when someone else has created the postmortem meanwhile. Absent: the last writer wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub root_cause_category: Option<Option<crate::domain::RootCauseCategory>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_cause: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub five_whys: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contributing_factors: Option<Vec<ContributingFactor>>,
    /// Reviewers' e-mails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewers: Option<Vec<String>>,
}

/// `POST /incidents/{key}/postmortem/transition`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PostmortemTransition {
    pub to: crate::domain::PostmortemStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

/// Filters of the postmortem list (`GET /postmortems`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct PostmortemFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<crate::domain::PostmortemStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Only postmortems past their due time and not published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overdue: Option<bool>,
    /// The cursor from a previous page's `next`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// One row of the postmortem list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PostmortemSummary {
    pub incident: String,
    pub incident_title: String,
    pub severity: Severity,
    pub status: crate::domain::PostmortemStatus,
    pub root_cause_category: Option<crate::domain::RootCauseCategory>,
    pub due_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    /// Past `due_at` and not published (as of the request).
    pub overdue: bool,
    pub updated_at: DateTime<Utc>,
}

/// An action as other records list it (live status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LinkedAction {
    pub key: String,
    pub title: String,
    pub kind: crate::domain::ActionKind,
    pub priority: crate::domain::Priority,
    pub status: crate::domain::ActionStatus,
    /// The owner's e-mail.
    pub owner: Option<String>,
    pub team: Option<String>,
    pub due_date: Option<chrono::NaiveDate>,
}

/// Everything the postmortem document shows besides the postmortem itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostmortemContext {
    pub incident: Incident,
    pub timeline: Vec<TimelineEvent>,
    pub actions: Vec<LinkedAction>,
}
