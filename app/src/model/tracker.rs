//! Tracker sync: the trackers (Jira, GitHub, GitLab) actions are mirrored to.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::TrackerKind;

/// How Hindsight signs in to a tracker: Jira Cloud `{email, api_token}`, Jira Data Center
/// `{pat}`, GitHub and GitLab `{token}`. Write-only: never in an answer, a log, the export or
/// the history.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(untagged, deny_unknown_fields)]
pub enum TrackerCredentials {
    Basic { email: String, api_token: String },
    Pat { pat: String },
    Token { token: String },
}

impl std::fmt::Debug for TrackerCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Basic { .. } => "Basic(…)",
            Self::Pat { .. } => "Pat(…)",
            Self::Token { .. } => "Token(…)",
        })
    }
}

impl TrackerCredentials {
    /// What kind they are, as reads show it: `basic`, `pat` or `token`.
    pub fn scheme(&self) -> &'static str {
        match self {
            Self::Basic { .. } => "basic",
            Self::Pat { .. } => "pat",
            Self::Token { .. } => "token",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTracker {
    pub name: String,
    pub kind: TrackerKind,
    /// The Jira site (`https://acme.atlassian.net`), or the API root of GitHub
    /// (`https://api.github.com`) or GitLab (`https://HOST/api/v4`).
    pub base_url: String,
    /// A Jira project key, `owner/repo`, or a GitLab project path.
    pub project: String,
    pub credentials: TrackerCredentials,
    /// Jira status names that count as done (default: the status category "done").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_states: Option<Vec<String>>,
    /// Teams whose new actions get an issue here by themselves; a team maps to one tracker.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TrackerPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Replaces the stored credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<TrackerCredentials>,
    #[serde(
        default,
        deserialize_with = "super::double_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub done_states: Option<Option<Vec<String>>>,
    /// Replaces the mapped teams (`[]` maps none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teams: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Tracker {
    pub id: i64,
    pub name: String,
    pub kind: TrackerKind,
    pub base_url: String,
    pub project: String,
    /// `basic`, `pat` or `token`: which credentials are stored (never the credentials).
    pub auth: String,
    pub done_states: Option<Vec<String>>,
    /// Teams whose new actions get an issue here by themselves.
    #[serde(default)]
    pub teams: Vec<String>,
    /// Where the tracker's webhook posts.
    pub receive_url: String,
    /// Jira REST version used: 3 on Cloud (`*.atlassian.net`), 2 on Data Center.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<u8>,
    /// When the reconciliation last read this tracker's issues.
    #[serde(default)]
    pub polled_at: Option<DateTime<Utc>>,
    /// What the last reconciliation round ran into (a rate limit, a refusal), or `None`.
    #[serde(default)]
    pub poll_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// A new tracker with its webhook secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedTracker {
    pub secret: String,
    #[serde(flatten)]
    pub tracker: Tracker,
}

/// An action's issue in a tracker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TrackerIssue {
    pub tracker: i64,
    pub tracker_name: String,
    pub kind: TrackerKind,
    /// `OPS-57`, `#214` or `#42`.
    pub key: String,
    pub url: Option<String>,
    /// The issue's state as last seen (`To Do`, `open`, `closed` …).
    pub state: Option<String>,
    pub synced_at: Option<DateTime<Utc>>,
}

/// A tracker as everyone signed in may see it: enough to pick one for an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TrackerChoice {
    pub id: i64,
    pub name: String,
    pub kind: TrackerKind,
}
