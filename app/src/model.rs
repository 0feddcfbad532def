//! Wire and UI types shared by the server and the browser (what pages and the REST API show).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::incident::Durations;
use crate::domain::{IncidentStatus, Severity};

/// A page of a list, paginated by key: `next` is the cursor of the following page, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

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
    /// The cursor from a previous page's `next`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
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

/// The signed-in user, as the UI sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CurrentUser {
    pub id: crate::domain::UserId,
    pub email: String,
    pub name: String,
    pub role: crate::domain::Role,
}

/// A user account (never with its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct User {
    pub email: String,
    pub name: String,
    pub role: crate::domain::Role,
    pub active: bool,
    /// Whether a password is set (an imported user has none until an admin sets one).
    pub has_password: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// `POST /users`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: crate::domain::Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// `PATCH /users/{email}`: absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<crate::domain::Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// When given, the write is refused with 409 if the user changed meanwhile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

/// An API token as listed (the secret is shown once, at creation, and never again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub owner: String,
    /// The first characters of the secret, to recognise it.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The answer to `POST /tokens`: the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedToken {
    pub token: String,
    #[serde(flatten)]
    pub info: TokenInfo,
}

/// One line of a record's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub field: Option<String>,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// Deserialises a field that may be absent (keep), `null` (clear) or a value (set).
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
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
}

/// `PUT /incidents/{key}/postmortem`: creates the postmortem (from the severity's template
/// unless `body` is given) or changes it. Absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PostmortemInput {
    /// The version the editor read; a stale one gets 409.
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

/// One verification attempt of an action (failed ones stay here after the reopen).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Verification {
    /// The verifier's e-mail.
    pub verified_by: Option<String>,
    pub verified_at: DateTime<Utc>,
    pub result: crate::domain::VerificationResult,
    /// Markdown.
    pub evidence: String,
}

/// A corrective or preventive action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Action {
    pub key: String,
    /// The incident's key.
    pub incident: Option<String>,
    /// The known error's key.
    pub known_error: Option<String>,
    pub title: String,
    /// Markdown.
    pub description: String,
    pub kind: crate::domain::ActionKind,
    pub priority: crate::domain::Priority,
    /// The owner's e-mail.
    pub owner: Option<String>,
    pub team: Option<String>,
    pub due_date: Option<chrono::NaiveDate>,
    pub status: crate::domain::ActionStatus,
    pub completed_at: Option<DateTime<Utc>>,
    pub verification_required: bool,
    /// Markdown.
    pub verification_plan: String,
    pub verification_due: Option<chrono::NaiveDate>,
    pub verified_at: Option<DateTime<Utc>>,
    /// The verifier's e-mail.
    pub verified_by: Option<String>,
    pub verification_result: Option<crate::domain::VerificationResult>,
    pub verification_evidence: Option<String>,
    pub cancelled_reason: Option<String>,
    pub external_url: Option<String>,
    pub reopen_count: i32,
    /// Open or in progress and past its due date (today in the organisation's time zone).
    pub overdue: bool,
    /// Every verification attempt, oldest first.
    pub verifications: Vec<Verification>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// `POST /actions`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAction {
    #[serde(default)]
    pub incident: Option<String>,
    #[serde(default)]
    pub known_error: Option<String>,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Defaults to `corrective`.
    #[serde(default)]
    pub kind: Option<crate::domain::ActionKind>,
    /// Defaults to `medium`.
    #[serde(default)]
    pub priority: Option<crate::domain::Priority>,
    /// The owner's e-mail.
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub team: Option<String>,
    #[serde(default)]
    pub due_date: Option<chrono::NaiveDate>,
    /// Defaults to true for corrective and preventive actions.
    #[serde(default)]
    pub verification_required: Option<bool>,
    #[serde(default)]
    pub verification_plan: String,
    #[serde(default)]
    pub verification_due: Option<chrono::NaiveDate>,
    #[serde(default)]
    pub external_url: Option<String>,
}

/// `PATCH /actions/{key}`: absent fields stay; `null` clears an optional one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActionPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<crate::domain::ActionKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<crate::domain::Priority>,
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub owner: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub team: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub due_date: Option<Option<chrono::NaiveDate>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_plan: Option<String>,
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub verification_due: Option<Option<chrono::NaiveDate>>,
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub external_url: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub incident: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub known_error: Option<Option<String>>,
}

/// `POST /actions/{key}/transition`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActionTransition {
    pub to: crate::domain::ActionStatus,
    /// When it happened (admins only; backdated history).
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub result: Option<crate::domain::VerificationResult>,
    #[serde(default)]
    pub evidence: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub version: Option<i32>,
}

/// Filters of the action list (`GET /actions`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct ActionFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<crate::domain::ActionStatus>,
    /// The owner's e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Only open or in-progress actions past their due date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overdue: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<crate::domain::ActionKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<crate::domain::Priority>,
    /// The incident's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
    /// The known error's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_error: Option<String>,
    /// Due on or after this date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_from: Option<chrono::NaiveDate>,
    /// Due on or before this date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_to: Option<chrono::NaiveDate>,
    /// Only done actions whose verification is past its deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_overdue: Option<bool>,
    /// A service of the action's incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The severity of the action's incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// One row of the action list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActionSummary {
    pub key: String,
    /// The incident's key.
    pub incident: Option<String>,
    pub title: String,
    pub kind: crate::domain::ActionKind,
    pub priority: crate::domain::Priority,
    pub status: crate::domain::ActionStatus,
    pub owner: Option<String>,
    pub team: Option<String>,
    pub due_date: Option<chrono::NaiveDate>,
    pub verification_due: Option<chrono::NaiveDate>,
    pub overdue: bool,
}

/// `GET /actions/mine`: what the signed-in user owes and what waits for their verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActionInbox {
    /// "Today" in the organisation's time zone.
    pub today: chrono::NaiveDate,
    /// My open and in-progress actions by urgency: overdue first, then by due date and
    /// priority; those without a due date last.
    pub owned: Vec<ActionSummary>,
    /// My done actions that wait for someone else's verification, earliest deadline first.
    pub awaiting_verification: Vec<ActionSummary>,
    /// Whether I may verify other people's actions (responders and admins).
    pub can_verify: bool,
    /// Other people's done actions that need a verification, earliest deadline first (at
    /// most `INBOX_LIMIT`); empty when I may not verify.
    pub to_verify: Vec<ActionSummary>,
    /// How many of other people's actions wait for a verification, counted up to 1 000.
    pub to_verify_total: u64,
    /// More than 1 000 wait.
    pub to_verify_more: bool,
}

/// `GET /metrics` parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct MetricsQuery {
    /// First day of the period (inclusive, organisation's time zone); default 89 days before `to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<chrono::NaiveDate>,
    /// Last day of the period (inclusive); default the date of `as_of`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<chrono::NaiveDate>,
    /// The moment the metrics are computed for; default now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<DateTime<Utc>>,
    /// Only actions of this team (incident figures are not filtered by team).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// Only incidents with this service, and actions of those incidents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Only incidents of this severity, and actions of those incidents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
}

/// Mean, median and p90 in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DurationStats {
    pub mean: f64,
    pub median: f64,
    pub p90: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActionMetrics {
    pub on_time_rate: Option<f64>,
    pub closure_rate: Option<f64>,
    pub overdue: u64,
    /// `critical`, `high`, `medium`, `low`.
    pub overdue_by_priority: std::collections::BTreeMap<String, u64>,
    pub critical_on_time_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VerificationMetrics {
    pub overdue: u64,
    pub on_time_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IncidentMetrics {
    /// `sev1` … `sev4` and `total`.
    pub count: std::collections::BTreeMap<String, u64>,
    /// Per severity with data, and `all`.
    pub time_to_resolve: std::collections::BTreeMap<String, DurationStats>,
    pub time_to_mitigate: std::collections::BTreeMap<String, DurationStats>,
    pub time_to_detect: std::collections::BTreeMap<String, DurationStats>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RcaMetrics {
    pub completion_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UpdateGap {
    pub incident: String,
    pub max_gap_minutes: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CommsMetrics {
    /// Per sev1 incident detected in the period, by key.
    pub sev1_update_gap: Vec<UpdateGap>,
    /// Share of those with a gap within `update_gap_target_minutes`.
    pub within_target_rate: Option<f64>,
    pub target_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NameCount {
    pub name: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TopDrivers {
    pub root_cause_category: Vec<NameCount>,
    pub service: Vec<NameCount>,
    pub known_error: Vec<NameCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamMetrics {
    pub team: String,
    pub open: u64,
    pub overdue: u64,
    pub on_time_rate: Option<f64>,
    pub verification_overdue: u64,
}

/// One month of the period, for trend charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MonthMetrics {
    /// `YYYY-MM`.
    pub month: String,
    /// `actions.on_time_rate` over the actions due that month (within the period).
    pub on_time_rate: Option<f64>,
    /// Mean `time_to_resolve` of the resolved incidents detected that month.
    pub mttr_minutes: Option<f64>,
    /// Incidents detected that month.
    pub incidents: u64,
}

/// `GET /metrics`: the SPEC's follow-through metrics for a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Metrics {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub as_of: DateTime<Utc>,
    pub actions: ActionMetrics,
    pub verification: VerificationMetrics,
    pub incidents: IncidentMetrics,
    pub rca: RcaMetrics,
    pub recurrence_rate: Option<f64>,
    pub comms: CommsMetrics,
    pub top_drivers: TopDrivers,
    pub by_team: Vec<TeamMetrics>,
    /// Month by month over the period (an addition to the SPEC's shape).
    pub trend: Vec<MonthMetrics>,
}
