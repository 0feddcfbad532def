//! Organisation settings: typed, with the SPEC's defaults, stored as JSON per key.

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde::{Deserialize, Serialize};

use crate::domain::calendar::{OrgCalendar, parse_timezone};
use crate::domain::postmortem::RcaDeadlines;
use crate::error::AppResult;
use crate::ssr::entities::setting;

/// Every setting with its default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrgSettings {
    /// IANA zone for dates and "today".
    pub timezone: String,
    /// Days that are not business days, besides weekends.
    pub holidays: Vec<NaiveDate>,
    /// Business days from `resolved_at` to the postmortem's `due_at`, per severity.
    pub rca_deadlines: RcaDeadlines,
    /// Days from completion to the default verification deadline.
    pub verification_days: u32,
    /// Target for the longest gap between sev1 customer updates, in minutes.
    pub update_gap_target_minutes: u32,
    /// Minutes without activity after which a session ends.
    pub session_idle_minutes: u32,
    /// Hours after sign-in after which a session ends regardless of activity.
    pub session_absolute_hours: u32,
}

impl Default for OrgSettings {
    fn default() -> Self {
        Self {
            timezone: "UTC".into(),
            holidays: Vec::new(),
            rca_deadlines: RcaDeadlines::default(),
            verification_days: crate::domain::action::DEFAULT_VERIFICATION_DAYS,
            update_gap_target_minutes: 60,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
        }
    }
}

impl OrgSettings {
    /// The organisation's calendar (an unknown zone falls back to UTC; writes validate it).
    pub fn calendar(&self) -> OrgCalendar {
        OrgCalendar::new(
            parse_timezone(&self.timezone).unwrap_or(chrono_tz::UTC),
            self.holidays.iter().copied(),
        )
    }
}

/// Loads the settings: stored values over the defaults. One small query.
pub async fn load(db: &impl ConnectionTrait) -> AppResult<OrgSettings> {
    let rows = setting::Entity::find().all(db).await?;
    let mut merged = serde_json::to_value(OrgSettings::default()).unwrap_or_default();
    for r in rows {
        match serde_json::from_str::<serde_json::Value>(&r.value) {
            Ok(v) => merged[r.key.as_str()] = v,
            Err(e) => tracing::warn!(key = %r.key, error = %e, "ignoring unreadable setting"),
        }
    }
    Ok(serde_json::from_value(merged).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "settings do not parse; using defaults");
        OrgSettings::default()
    }))
}
