//! Organisation settings: typed, with the SPEC's defaults, and the checks a change must pass.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::Severity;
use super::calendar::{OrgCalendar, parse_timezone};
use super::postmortem::{RcaDeadlines, default_template};
use crate::error::{AppError, AppResult, FieldError};

/// The postmortem template for each severity (markdown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct PostmortemTemplates {
    pub sev1: String,
    pub sev2: String,
    pub sev3: String,
    pub sev4: String,
}

impl Default for PostmortemTemplates {
    fn default() -> Self {
        let t = default_template();
        Self {
            sev1: t.clone(),
            sev2: t.clone(),
            sev3: t.clone(),
            sev4: t,
        }
    }
}

impl PostmortemTemplates {
    pub fn for_severity(&self, sev: Severity) -> &str {
        match sev {
            Severity::Sev1 => &self.sev1,
            Severity::Sev2 => &self.sev2,
            Severity::Sev3 => &self.sev3,
            Severity::Sev4 => &self.sev4,
        }
    }
}

/// Every setting with its default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct OrgSettings {
    /// IANA zone for dates and "today".
    pub timezone: String,
    /// Days that are not business days, besides weekends.
    pub holidays: Vec<NaiveDate>,
    /// Business days from `resolved_at` to the postmortem's `due_at`, per severity (`null`: none).
    pub rca_deadlines: RcaDeadlines,
    /// Days from completion to the default verification deadline.
    pub verification_days: u32,
    /// Target for the longest gap between sev1 customer updates, in minutes.
    pub update_gap_target_minutes: u32,
    /// Minutes without activity after which a session ends.
    pub session_idle_minutes: u32,
    /// Hours after sign-in after which a session ends regardless of activity.
    pub session_absolute_hours: u32,
    /// The markdown a new postmortem starts from, per severity.
    pub postmortem_templates: PostmortemTemplates,
    /// Where deadline reminders are posted (JSON with a Slack-compatible `text`); none: off.
    /// Only admins see it: such addresses often carry a secret.
    pub reminder_webhook_url: Option<String>,
}

impl Default for OrgSettings {
    fn default() -> Self {
        Self {
            timezone: "UTC".into(),
            holidays: Vec::new(),
            rca_deadlines: RcaDeadlines::default(),
            verification_days: super::action::DEFAULT_VERIFICATION_DAYS,
            update_gap_target_minutes: 60,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            postmortem_templates: PostmortemTemplates::default(),
            reminder_webhook_url: None,
        }
    }
}

/// What stands for a set `reminder_webhook_url` where the address itself is not shown.
pub const WEBHOOK_SET: &str = "(set)";

impl OrgSettings {
    /// The settings with the webhook address replaced by [`WEBHOOK_SET`] (when set): for
    /// non-admins, and for pages, which never need the address once it is saved.
    pub fn without_secrets(mut self) -> Self {
        self.reminder_webhook_url = self
            .reminder_webhook_url
            .filter(|u| !u.is_empty())
            .map(|_| WEBHOOK_SET.to_owned());
        self
    }
}

/// The longest template, in characters.
pub const MAX_TEMPLATE_CHARS: usize = 50_000;

impl OrgSettings {
    /// The organisation's calendar (an unknown zone falls back to UTC; writes validate it).
    pub fn calendar(&self) -> OrgCalendar {
        OrgCalendar::new(
            parse_timezone(&self.timezone).unwrap_or(chrono_tz::UTC),
            self.holidays.iter().copied(),
        )
    }

    /// The names of the settings (the keys of the stored rows and of `PATCH /settings`).
    pub const KEYS: [&'static str; 9] = [
        "timezone",
        "holidays",
        "rca_deadlines",
        "verification_days",
        "update_gap_target_minutes",
        "session_idle_minutes",
        "session_absolute_hours",
        "postmortem_templates",
        "reminder_webhook_url",
    ];

    /// Every problem at once, each naming its setting.
    pub fn validate(&self) -> AppResult<()> {
        let mut bad = Vec::new();
        if parse_timezone(&self.timezone).is_none() {
            bad.push(FieldError::new(
                "timezone",
                format!(
                    "`{}` is not an IANA time zone such as Europe/Berlin",
                    self.timezone
                ),
            ));
        }
        for (sev, days) in [
            ("sev1", self.rca_deadlines.sev1),
            ("sev2", self.rca_deadlines.sev2),
            ("sev3", self.rca_deadlines.sev3),
            ("sev4", self.rca_deadlines.sev4),
        ] {
            if days.is_some_and(|d| d > 365) {
                bad.push(FieldError::new(
                    format!("rca_deadlines.{sev}"),
                    "must be at most 365 business days (or null for no deadline)",
                ));
            }
        }
        let ranges: [(&str, u32, u32, u32); 4] = [
            ("verification_days", self.verification_days, 1, 365),
            (
                "update_gap_target_minutes",
                self.update_gap_target_minutes,
                1,
                1440,
            ),
            ("session_idle_minutes", self.session_idle_minutes, 5, 10_080),
            (
                "session_absolute_hours",
                self.session_absolute_hours,
                1,
                720,
            ),
        ];
        for (name, v, lo, hi) in ranges {
            if !(lo..=hi).contains(&v) {
                bad.push(FieldError::new(
                    name,
                    format!("must be between {lo} and {hi}"),
                ));
            }
        }
        for &sev in Severity::ALL {
            if self.postmortem_templates.for_severity(sev).chars().count() > MAX_TEMPLATE_CHARS {
                bad.push(FieldError::new(
                    format!("postmortem_templates.{sev}"),
                    format!("must be at most {MAX_TEMPLATE_CHARS} characters"),
                ));
            }
        }
        if let Some(u) = self
            .reminder_webhook_url
            .as_deref()
            .filter(|u| !u.is_empty())
            && (!(u.starts_with("https://") || u.starts_with("http://"))
                || u.contains(char::is_whitespace)
                || u.len() > 2_000)
        {
            bad.push(FieldError::new(
                "reminder_webhook_url",
                "must be an http or https address",
            ));
        }
        if bad.is_empty() {
            Ok(())
        } else {
            Err(AppError::invalid_many(bad))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_have_the_spec_template() {
        let s = OrgSettings::default();
        s.validate().unwrap();
        for &sev in Severity::ALL {
            assert_eq!(s.postmortem_templates.for_severity(sev), default_template());
        }
        let keys: Vec<String> = serde_json::to_value(&s)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        let mut expected: Vec<String> = OrgSettings::KEYS.iter().map(|k| k.to_string()).collect();
        expected.sort();
        assert_eq!(keys, expected);
    }

    #[test]
    fn every_bad_value_is_named() {
        let s = OrgSettings {
            timezone: "Mars/Olympus".into(),
            rca_deadlines: RcaDeadlines {
                sev1: Some(400),
                ..RcaDeadlines::default()
            },
            verification_days: 0,
            session_idle_minutes: 1,
            postmortem_templates: PostmortemTemplates {
                sev3: "x".repeat(MAX_TEMPLATE_CHARS + 1),
                ..Default::default()
            },
            ..OrgSettings::default()
        };
        let e = s.validate().unwrap_err();
        let fields: Vec<&str> = e.fields().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "timezone",
                "rca_deadlines.sev1",
                "verification_days",
                "session_idle_minutes",
                "postmortem_templates.sev3"
            ]
        );
    }
}
