//! The follow-through dashboard's figures.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::Severity;

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
