//! The export document (`hindsight/v1`): the whole data set as `GET /api/v1/export` and
//! `hindsight export` write it and `POST /api/v1/import` and `hindsight import` read it.
//! Users are named by e-mail everywhere; records by their keys.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::settings::OrgSettings;
use crate::domain::{
    ActionKind, ActionStatus, EventKind, IncidentStatus, KnownErrorStatus, PostmortemStatus,
    Priority, Role, RootCauseCategory, Severity, VerificationResult, Visibility,
};
use crate::model::{Approval, ContributingFactor};

/// The value of `format` this version writes and reads.
pub const FORMAT: &str = "hindsight/v1";

fn is_zero(n: &i32) -> bool {
    *n == 0
}
fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}
fn is_false(b: &bool) -> bool {
    !*b
}

/// The whole data set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Document {
    /// Always `hindsight/v1`.
    pub format: String,
    /// When the export was written (metadata; ignored on import).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported_at: Option<DateTime<Utc>>,
    /// The organisation's settings (the reminder webhook address is never exported: it may
    /// hold a secret). Imported first, so dates are derived with them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<OrgSettings>,
    #[serde(default)]
    pub users: Vec<UserRecord>,
    #[serde(default)]
    pub incidents: Vec<IncidentRecord>,
    #[serde(default)]
    pub known_errors: Vec<KnownErrorRecord>,
    #[serde(default)]
    pub actions: Vec<ActionRecord>,
    /// Comments on the records above, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<CommentRecord>,
}

/// A comment on an incident, postmortem (`record` is the incident's key), action or known
/// error. Replies name their thread by the number it has in this document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CommentRecord {
    /// The comment's number in this document (1, 2, …): what `parent` refers to.
    pub id: i64,
    pub record_type: crate::domain::CommentOn,
    pub record: String,
    /// The number of the top-level comment this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<i64>,
    /// The author's e-mail.
    pub author: String,
    /// Markdown; empty for a removed comment.
    #[serde(default)]
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub resolved: bool,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<DateTime<Utc>>,
    /// When it was removed (it stays in its thread without its text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A user, without any secret (no password, tokens or sessions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserRecord {
    pub email: String,
    pub name: String,
    pub role: Role,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub active: bool,
}

/// An incident with its timeline and postmortem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IncidentRecord {
    pub key: String,
    pub title: String,
    pub severity: Severity,
    pub status: IncidentStatus,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub customer_impact: String,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commander: Option<String>,
    /// Role name → e-mail.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub roles: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    pub detected_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mitigated_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reopen_count: i32,
    /// Derived (resolved_at + business days of the severity); ignored on import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rca_due_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Defaults to `detected_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// Defaults to `created_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub timeline: Vec<EventRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postmortem: Option<PostmortemRecord>,
    /// The alerts that opened or joined the incident.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<AlertRecord>,
}

/// An alert of an incident, as its sender last reported it. `hook` names the hook it came
/// through (hooks themselves are not exported: they hold secrets); on import it is linked to
/// the hook of that name if there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AlertRecord {
    pub source: crate::domain::HookSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook: Option<String>,
    pub fingerprint: String,
    #[serde(default)]
    pub group_key: String,
    pub status: crate::domain::AlertStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A timeline event; events keep the document's order among equal `occurred_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EventRecord {
    pub occurred_at: DateTime<Utc>,
    pub kind: EventKind,
    #[serde(default)]
    pub body: String,
    #[serde(default = "internal")]
    pub visibility: Visibility,
    /// `None` for events the server wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Defaults to `occurred_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
}

fn internal() -> Visibility {
    Visibility::Internal
}

/// An incident's postmortem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PostmortemRecord {
    pub status: PostmortemStatus,
    #[serde(default)]
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_cause_category: Option<RootCauseCategory>,
    #[serde(default)]
    pub root_cause: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub five_whys: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contributing_factors: Vec<ContributingFactor>,
    /// Reviewers' e-mails.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reviewers: Vec<String>,
    /// Approvals given in review; each reviewer must be among `reviewers`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<Approval>,
    /// Derived (the incident's `rca_due_at`); ignored on import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<DateTime<Utc>>,
    /// Defaults to the incident's `created_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// A known error with the keys of its incidents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct KnownErrorRecord {
    pub key: String,
    pub title: String,
    #[serde(default)]
    pub symptoms: String,
    #[serde(default)]
    pub root_cause: String,
    #[serde(default)]
    pub workaround: String,
    pub status: KnownErrorStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    #[serde(default)]
    pub incidents: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Defaults to the time of the import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// One verification attempt of an action (failed ones included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VerificationRecord {
    pub verified_by: String,
    pub verified_at: DateTime<Utc>,
    pub result: VerificationResult,
    pub evidence: String,
}

/// A corrective or preventive action with its whole verification history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActionRecord {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_error: Option<String>,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub kind: ActionKind,
    pub priority: Priority,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<NaiveDate>,
    pub status: ActionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<DateTime<Utc>>,
    /// Defaults by kind: true for corrective and preventive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_required: Option<bool>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub verification_plan: String,
    /// Derived when absent for a completed action that needs verification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_due: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_result: Option<VerificationResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_evidence: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_url: Option<String>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reopen_count: i32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verifications: Vec<VerificationRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Defaults to the earliest of `completed_at`, `verified_at` and the time of the import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// What an import wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportSummary {
    /// Users created (existing ones are kept as they are).
    pub users_created: usize,
    pub users_existing: usize,
    pub incidents: usize,
    pub timeline_events: usize,
    pub postmortems: usize,
    pub known_errors: usize,
    pub actions: usize,
    pub verifications: usize,
    #[serde(default)]
    pub comments: usize,
}
