//! Postmortem rules: the review workflow, the publish gate, the RCA deadline and templates.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::calendar::OrgCalendar;
use super::enums::{IncidentStatus, PostmortemStatus, RootCauseCategory, Severity};
use crate::error::{AppError, AppResult, FieldError};

/// Business days after `resolved_at` within which the postmortem is due, per severity
/// (a setting; `None` means no deadline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RcaDeadlines {
    pub sev1: Option<u32>,
    pub sev2: Option<u32>,
    pub sev3: Option<u32>,
    pub sev4: Option<u32>,
}

impl Default for RcaDeadlines {
    fn default() -> Self {
        Self {
            sev1: Some(5),
            sev2: Some(10),
            sev3: Some(20),
            sev4: None,
        }
    }
}

impl RcaDeadlines {
    pub fn for_severity(&self, sev: Severity) -> Option<u32> {
        match sev {
            Severity::Sev1 => self.sev1,
            Severity::Sev2 => self.sev2,
            Severity::Sev3 => self.sev3,
            Severity::Sev4 => self.sev4,
        }
    }

    /// `due_at` = `resolved_at` + N business days for the severity; none while unresolved.
    pub fn due_at(
        &self,
        cal: &OrgCalendar,
        severity: Severity,
        resolved_at: Option<DateTime<Utc>>,
    ) -> Option<DateTime<Utc>> {
        let n = self.for_severity(severity)?;
        Some(cal.add_business_days(resolved_at?, n))
    }
}

/// What a workflow step does besides setting the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostmortemEffect {
    pub to: PostmortemStatus,
    pub set_published_at: bool,
    pub clear_published_at: bool,
}

/// `draft → in_review → published`; `in_review → draft` (changes requested);
/// `published → draft` reopens and clears `published_at`. Publishing needs a root-cause
/// category and a non-empty root cause.
pub fn check_transition(
    from: PostmortemStatus,
    to: PostmortemStatus,
    root_cause_category: Option<RootCauseCategory>,
    root_cause: &str,
) -> AppResult<PostmortemEffect> {
    use PostmortemStatus::*;
    let allowed = matches!(
        (from, to),
        (Draft, InReview) | (InReview, Published) | (InReview, Draft) | (Published, Draft)
    );
    if !allowed {
        return Err(AppError::invalid(
            "to",
            format!(
                "a postmortem cannot go from {from} to {to}; the workflow is draft → in_review → published"
            ),
        ));
    }
    if to == Published {
        let bad = publish_gate(root_cause_category, root_cause);
        if !bad.is_empty() {
            return Err(AppError::invalid_many(bad));
        }
    }
    Ok(PostmortemEffect {
        to,
        set_published_at: to == Published,
        clear_published_at: from == Published,
    })
}

/// A closed sev1 or sev2 incident always has a published postmortem: its postmortem cannot
/// leave `published` until the incident is reopened (a 409 naming the incident).
pub fn check_reopen(
    incident: &str,
    incident_status: IncidentStatus,
    severity: Severity,
    from: PostmortemStatus,
    to: PostmortemStatus,
) -> AppResult<()> {
    if from == PostmortemStatus::Published
        && to != PostmortemStatus::Published
        && incident_status == IncidentStatus::Closed
        && severity.requires_postmortem()
    {
        return Err(AppError::conflict(format!(
            "{incident} is a closed {severity} incident, which must keep a published postmortem; reopen {incident} first"
        )));
    }
    Ok(())
}

/// The publish gate: a root-cause category and a non-empty root cause, every missing one named.
fn publish_gate(
    root_cause_category: Option<RootCauseCategory>,
    root_cause: &str,
) -> Vec<FieldError> {
    let mut bad = Vec::new();
    if root_cause_category.is_none() {
        bad.push(FieldError::new(
            "root_cause_category",
            "is required to publish",
        ));
    }
    if root_cause.trim().is_empty() {
        bad.push(FieldError::new("root_cause", "is required to publish"));
    }
    bad
}

/// What a postmortem of each status carries: a published one a root-cause category, a root
/// cause and its publication time; any other none. Every bad field at once (the import checks
/// stored records with it; the workflow checks the record it is about to write).
pub fn check(
    status: PostmortemStatus,
    root_cause_category: Option<RootCauseCategory>,
    root_cause: &str,
    published_at: Option<DateTime<Utc>>,
) -> Vec<FieldError> {
    let mut bad = Vec::new();
    if status == PostmortemStatus::Published {
        bad = publish_gate(root_cause_category, root_cause);
        if published_at.is_none() {
            bad.push(FieldError::new(
                "published_at",
                "is required when published",
            ));
        }
    } else if published_at.is_some() {
        bad.push(FieldError::new(
            "published_at",
            format!("cannot be set while the postmortem is {status}"),
        ));
    }
    bad
}

/// The sections of the default template, in order.
pub const DEFAULT_SECTIONS: [&str; 11] = [
    "Summary",
    "Customer impact",
    "Timeline",
    "Root cause",
    "Contributing factors",
    "Detection",
    "Response",
    "What went well",
    "What went poorly",
    "Where we got lucky",
    "Lessons",
];

/// The default template body: one `##` heading per section.
pub fn default_template() -> String {
    let mut body = String::new();
    for s in DEFAULT_SECTIONS {
        body.push_str("## ");
        body.push_str(s);
        body.push_str("\n\n\n");
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use PostmortemStatus::*;
    use chrono::TimeZone;

    #[test]
    fn a_closed_sev1_or_sev2_incident_keeps_its_postmortem_published() {
        use IncidentStatus as I;
        let refused =
            check_reopen("INC-1", I::Closed, Severity::Sev2, Published, Draft).unwrap_err();
        assert_eq!(refused.status(), 409);
        assert!(refused.to_string().contains("INC-1"));
        assert!(check_reopen("INC-1", I::Resolved, Severity::Sev1, Published, Draft).is_ok());
        assert!(check_reopen("INC-1", I::Closed, Severity::Sev3, Published, Draft).is_ok());
        assert!(check_reopen("INC-1", I::Closed, Severity::Sev1, InReview, Draft).is_ok());
    }

    #[test]
    fn what_each_status_carries() {
        let cat = Some(RootCauseCategory::ConfigChange);
        let at = Some(Utc::now());
        assert!(check(Published, cat, "flag", at).is_empty());
        let fields = |b: Vec<FieldError>| b.into_iter().map(|f| f.field).collect::<Vec<_>>();
        assert_eq!(
            fields(check(Published, None, " ", None)),
            ["root_cause_category", "root_cause", "published_at"]
        );
        assert_eq!(fields(check(Draft, cat, "x", at)), ["published_at"]);
        assert!(check(InReview, None, "", None).is_empty());
    }

    #[test]
    fn workflow_steps() {
        let cat = Some(RootCauseCategory::ConfigChange);
        assert!(check_transition(Draft, InReview, None, "").is_ok());
        assert!(check_transition(InReview, Draft, None, "").is_ok());
        let p = check_transition(InReview, Published, cat, "bad flag").unwrap();
        assert!(p.set_published_at && !p.clear_published_at);
        let r = check_transition(Published, Draft, cat, "bad flag").unwrap();
        assert!(r.clear_published_at && !r.set_published_at);
    }

    #[test]
    fn skipping_and_other_moves_are_refused() {
        let cat = Some(RootCauseCategory::ConfigChange);
        for (from, to) in [
            (Draft, Published),
            (Published, InReview),
            (Draft, Draft),
            (Published, Published),
        ] {
            let e = check_transition(from, to, cat, "x").unwrap_err();
            assert_eq!(e.fields()[0].field, "to", "{from} → {to}");
        }
    }

    #[test]
    fn publishing_needs_category_and_root_cause() {
        let e = check_transition(InReview, Published, None, "x").unwrap_err();
        assert_eq!(e.fields()[0].field, "root_cause_category");
        let e = check_transition(InReview, Published, Some(RootCauseCategory::Data), "  \n")
            .unwrap_err();
        assert_eq!(e.fields()[0].field, "root_cause");
    }

    #[test]
    fn due_at_by_severity_in_business_days() {
        let cal = OrgCalendar::default();
        let d = RcaDeadlines::default();
        let fri = Utc.with_ymd_and_hms(2026, 1, 2, 10, 0, 0).unwrap();
        assert_eq!(
            d.due_at(&cal, Severity::Sev1, Some(fri)),
            Some(Utc.with_ymd_and_hms(2026, 1, 9, 10, 0, 0).unwrap())
        );
        assert_eq!(
            d.due_at(&cal, Severity::Sev2, Some(fri)),
            Some(Utc.with_ymd_and_hms(2026, 1, 16, 10, 0, 0).unwrap())
        );
        assert_eq!(
            d.due_at(&cal, Severity::Sev3, Some(fri)),
            Some(Utc.with_ymd_and_hms(2026, 1, 30, 10, 0, 0).unwrap())
        );
        assert_eq!(d.due_at(&cal, Severity::Sev4, Some(fri)), None);
        assert_eq!(d.due_at(&cal, Severity::Sev1, None), None);
    }

    #[test]
    fn due_at_skips_weekends_and_holidays() {
        // Resolved Thursday 24 December 2026 at 16:30 UTC, with 25 December and 1 January
        // as holidays: sev1's five business days are 28, 29, 30, 31 December and 4 January.
        let cal = OrgCalendar::new(
            chrono_tz::UTC,
            [
                chrono::NaiveDate::from_ymd_opt(2026, 12, 25).unwrap(),
                chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            ],
        );
        let thu = Utc.with_ymd_and_hms(2026, 12, 24, 16, 30, 0).unwrap();
        assert_eq!(
            RcaDeadlines::default().due_at(&cal, Severity::Sev1, Some(thu)),
            Some(Utc.with_ymd_and_hms(2027, 1, 4, 16, 30, 0).unwrap())
        );
        // Resolved on a Saturday: counting starts from the weekend, Monday is day one.
        let sat = Utc.with_ymd_and_hms(2026, 1, 3, 8, 0, 0).unwrap();
        assert_eq!(
            RcaDeadlines::default().due_at(&OrgCalendar::default(), Severity::Sev1, Some(sat)),
            Some(Utc.with_ymd_and_hms(2026, 1, 9, 8, 0, 0).unwrap())
        );
    }

    #[test]
    fn default_template_has_the_spec_sections_in_order() {
        let t = default_template();
        let headings: Vec<&str> = t.lines().filter_map(|l| l.strip_prefix("## ")).collect();
        assert_eq!(headings, DEFAULT_SECTIONS);
    }
}
