//! Wire and UI types shared by the server and the browser (what pages and the REST API show).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::incident::Durations;
use crate::domain::{IncidentStatus, Severity};

/// A page of a list, paginated by key: `next` is the cursor of the following page, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// Filters of the incident list (`GET /incidents?status=&severity=&service=&q=&page=`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<IncidentStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// The cursor from a previous page's `next`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// One row of the incident list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
