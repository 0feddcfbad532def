//! Corrective and preventive actions: records, transitions, lists and "my actions".

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::double_option;

use crate::domain::Severity;

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
    /// The tracker issue the action is mirrored to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<super::TrackerIssue>,
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
    /// The linked tracker issue as people name it (`OPS-57`, `#214`), when it was created
    /// through a connected tracker.
    #[serde(default)]
    pub issue_key: Option<String>,
    /// Where the action's issue is (also a link set by hand).
    #[serde(default)]
    pub external_url: Option<String>,
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
