//! Incident rules: the status machine, the order of key times and the derived durations.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::enums::{IncidentStatus, PostmortemStatus, Severity};
use crate::error::{AppError, AppResult, FieldError};

/// Longest title allowed (characters).
pub const TITLE_MAX: usize = 200;

/// Checks a title: 1–200 characters after trimming.
pub fn check_title(title: &str) -> AppResult<()> {
    let n = title.trim().chars().count();
    if n == 0 {
        return Err(AppError::invalid("title", "must not be empty"));
    }
    if n > TITLE_MAX {
        return Err(AppError::invalid(
            "title",
            format!("must be at most {TITLE_MAX} characters, got {n}"),
        ));
    }
    Ok(())
}

/// The key times of an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KeyTimes {
    pub started_at: Option<DateTime<Utc>>,
    pub detected_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub mitigated_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// The names of the key-time fields, as on the wire.
pub const KEY_TIME_FIELDS: [&str; 6] = [
    "started_at",
    "detected_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
    "closed_at",
];

impl KeyTimes {
    pub fn get(&self, field: &str) -> Option<DateTime<Utc>> {
        match field {
            "started_at" => self.started_at,
            "detected_at" => self.detected_at,
            "acknowledged_at" => self.acknowledged_at,
            "mitigated_at" => self.mitigated_at,
            "resolved_at" => self.resolved_at,
            "closed_at" => self.closed_at,
            _ => None,
        }
    }

    /// Checks `started ≤ detected ≤ acknowledged` and `detected ≤ mitigated ≤ resolved ≤
    /// closed` over the times that are set (a missing middle time does not break the chain).
    /// The error names a field from `changed` when the violating pair contains one (the value
    /// the user just wrote), else the later field of the pair.
    pub fn check_order(&self, changed: &[&str]) -> AppResult<()> {
        const CHAINS: [&[&str]; 2] = [
            &["started_at", "detected_at", "acknowledged_at"],
            &[
                "started_at",
                "detected_at",
                "mitigated_at",
                "resolved_at",
                "closed_at",
            ],
        ];
        for chain in CHAINS {
            for (i, earlier) in chain.iter().enumerate() {
                for later in &chain[i + 1..] {
                    let (Some(a), Some(b)) = (self.get(earlier), self.get(later)) else {
                        continue;
                    };
                    if a > b {
                        let field = if changed.contains(later) || !changed.contains(earlier) {
                            later
                        } else {
                            earlier
                        };
                        let message = if field == later {
                            format!("must not be before {earlier}")
                        } else {
                            format!("must not be after {later}")
                        };
                        return Err(AppError::invalid(*field, message));
                    }
                }
            }
        }
        Ok(())
    }

    /// The derived durations, in minutes; `None` where an end is missing.
    pub fn durations(&self) -> Durations {
        let minutes = |from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>| match (from, to) {
            (Some(a), Some(b)) => Some((b - a).num_milliseconds() as f64 / 60_000.0),
            _ => None,
        };
        Durations {
            time_to_detect: minutes(self.started_at, self.detected_at),
            time_to_acknowledge: minutes(self.detected_at, self.acknowledged_at),
            time_to_mitigate: minutes(self.detected_at, self.mitigated_at),
            time_to_resolve: minutes(self.detected_at, self.resolved_at),
        }
    }
}

/// Derived durations in minutes (`time_to_resolve` is the MTTR basis).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Durations {
    pub time_to_detect: Option<f64>,
    pub time_to_acknowledge: Option<f64>,
    pub time_to_mitigate: Option<f64>,
    pub time_to_resolve: Option<f64>,
}

/// What a status change does besides setting the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusEffect {
    pub to: IncidentStatus,
    /// `resolved → investigating`: clear `resolved_at`, grow `reopen_count`.
    pub reopen: bool,
    /// Set `resolved_at` (to `at`, else now) when it is not set.
    pub set_resolved_at: bool,
    /// Set `closed_at` (to `at`, else now).
    pub set_closed_at: bool,
}

/// Checks a status change. Any status may move forward, skipping steps; `resolved →
/// investigating` reopens; everything else is refused. Closing a sev1/sev2 incident needs a
/// published postmortem.
/// The close rule: a closed sev1 or sev2 incident has a published postmortem.
pub fn check_close(
    status: IncidentStatus,
    severity: Severity,
    postmortem: Option<PostmortemStatus>,
) -> Option<FieldError> {
    (status == IncidentStatus::Closed
        && severity.requires_postmortem()
        && postmortem != Some(PostmortemStatus::Published))
    .then(|| {
        FieldError::new(
            "status",
            format!("a {severity} incident can be closed only once its postmortem is published"),
        )
    })
}

/// The key times each status carries: `resolved_at` exactly while resolved or closed,
/// `closed_at` exactly while closed. Every bad field at once (the writes and the import both
/// check with it).
pub fn check_times(status: IncidentStatus, times: &KeyTimes) -> Vec<FieldError> {
    use IncidentStatus::*;
    let mut bad = Vec::new();
    let resolvedish = matches!(status, Resolved | Closed);
    match (resolvedish, times.resolved_at.is_some()) {
        (false, true) => bad.push(FieldError::new(
            "resolved_at",
            format!("cannot be set while the incident is {status}"),
        )),
        (true, false) => bad.push(FieldError::new(
            "resolved_at",
            format!("is required while the incident is {status}"),
        )),
        _ => {}
    }
    match (status == Closed, times.closed_at.is_some()) {
        (false, true) => bad.push(FieldError::new(
            "closed_at",
            format!("cannot be set while the incident is {status}"),
        )),
        (true, false) => bad.push(FieldError::new(
            "closed_at",
            "is required while the incident is closed",
        )),
        _ => {}
    }
    bad
}

pub fn check_status_change(
    from: IncidentStatus,
    to: IncidentStatus,
    severity: Severity,
    postmortem: Option<PostmortemStatus>,
) -> AppResult<StatusEffect> {
    use IncidentStatus::*;
    if from == to {
        return Err(AppError::invalid(
            "status",
            format!("the incident is already {to}"),
        ));
    }
    let reopen = from == Resolved && to == Investigating;
    if !reopen && to.rank() < from.rank() {
        let hint = if from == Closed {
            "a closed incident cannot change status".to_owned()
        } else {
            format!("cannot move back from {from} to {to}; only resolved → investigating reopens")
        };
        return Err(AppError::invalid("status", hint));
    }
    if let Some(e) = check_close(to, severity, postmortem) {
        return Err(AppError::invalid_many(vec![e]));
    }
    Ok(StatusEffect {
        to,
        reopen,
        // Closing directly passes through resolved: the incident was restored by then.
        set_resolved_at: matches!(to, Resolved | Closed),
        set_closed_at: to == Closed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_status_carries_its_key_times() {
        use IncidentStatus::*;
        let t = Utc::now();
        let times = |resolved: bool, closed: bool| KeyTimes {
            started_at: None,
            detected_at: Some(t),
            acknowledged_at: None,
            mitigated_at: None,
            resolved_at: resolved.then_some(t),
            closed_at: closed.then_some(t),
        };
        let fields = |s, r, c| {
            check_times(s, &times(r, c))
                .into_iter()
                .map(|f| f.field)
                .collect::<Vec<_>>()
        };
        assert!(fields(Investigating, false, false).is_empty());
        assert_eq!(fields(Monitoring, true, false), ["resolved_at"]);
        assert_eq!(fields(Resolved, false, false), ["resolved_at"]);
        assert_eq!(fields(Resolved, true, true), ["closed_at"]);
        assert_eq!(fields(Closed, true, false), ["closed_at"]);
        assert!(fields(Closed, true, true).is_empty());
        assert!(check_close(Closed, Severity::Sev1, Some(PostmortemStatus::Draft)).is_some());
        assert!(check_close(Closed, Severity::Sev1, Some(PostmortemStatus::Published)).is_none());
        assert!(check_close(Closed, Severity::Sev3, None).is_none());
        assert!(check_close(Resolved, Severity::Sev1, None).is_none());
    }
    use IncidentStatus::*;

    fn t(s: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
    }

    #[test]
    fn forward_moves_may_skip_steps() {
        for (i, from) in IncidentStatus::ALL.iter().enumerate() {
            for to in &IncidentStatus::ALL[i + 1..] {
                let r = check_status_change(*from, *to, Severity::Sev3, None);
                assert!(r.is_ok(), "{from} → {to} should be allowed: {r:?}");
            }
        }
    }

    #[test]
    fn backward_moves_are_refused_except_reopen() {
        for (i, to) in IncidentStatus::ALL.iter().enumerate() {
            for from in &IncidentStatus::ALL[i + 1..] {
                let r = check_status_change(*from, *to, Severity::Sev3, None);
                if (*from, *to) == (Resolved, Investigating) {
                    assert!(r.unwrap().reopen);
                } else {
                    let e = r.unwrap_err();
                    assert_eq!(e.status(), 422);
                    assert_eq!(e.fields()[0].field, "status");
                }
            }
        }
        assert!(check_status_change(Monitoring, Monitoring, Severity::Sev3, None).is_err());
    }

    #[test]
    fn entering_resolved_or_closed_sets_the_times() {
        let e = check_status_change(Identified, Resolved, Severity::Sev3, None).unwrap();
        assert!(e.set_resolved_at && !e.set_closed_at && !e.reopen);
        let e = check_status_change(Resolved, Closed, Severity::Sev4, None).unwrap();
        assert!(e.set_closed_at);
        let e = check_status_change(Investigating, Monitoring, Severity::Sev4, None).unwrap();
        assert!(!e.set_resolved_at && !e.set_closed_at);
    }

    #[test]
    fn sev1_and_sev2_close_only_with_a_published_postmortem() {
        for sev in [Severity::Sev1, Severity::Sev2] {
            assert!(check_status_change(Resolved, Closed, sev, None).is_err());
            assert!(
                check_status_change(Resolved, Closed, sev, Some(PostmortemStatus::Draft)).is_err()
            );
            assert!(
                check_status_change(Resolved, Closed, sev, Some(PostmortemStatus::InReview))
                    .is_err()
            );
            assert!(
                check_status_change(Resolved, Closed, sev, Some(PostmortemStatus::Published))
                    .is_ok()
            );
        }
        assert!(check_status_change(Resolved, Closed, Severity::Sev3, None).is_ok());
        assert!(check_status_change(Resolved, Closed, Severity::Sev4, None).is_ok());
    }

    #[test]
    fn key_times_in_order_pass() {
        let k = KeyTimes {
            started_at: t("2026-01-01T09:00:00Z"),
            detected_at: t("2026-01-01T09:05:00Z"),
            acknowledged_at: t("2026-01-01T09:06:00Z"),
            mitigated_at: t("2026-01-01T09:30:00Z"),
            resolved_at: t("2026-01-01T10:00:00Z"),
            closed_at: t("2026-01-02T10:00:00Z"),
        };
        assert!(k.check_order(&[]).is_ok());
        // Equal times are allowed (≤).
        let eq = KeyTimes {
            detected_at: t("2026-01-01T09:00:00Z"),
            mitigated_at: t("2026-01-01T09:00:00Z"),
            ..k
        };
        assert!(eq.check_order(&["mitigated_at"]).is_ok());
    }

    #[test]
    fn each_order_violation_names_the_field() {
        let base = KeyTimes {
            detected_at: t("2026-01-01T09:05:00Z"),
            ..Default::default()
        };
        let cases = [
            (
                "started_at",
                KeyTimes {
                    started_at: t("2026-01-01T09:06:00Z"),
                    ..base
                },
            ),
            (
                "acknowledged_at",
                KeyTimes {
                    acknowledged_at: t("2026-01-01T09:00:00Z"),
                    ..base
                },
            ),
            (
                "mitigated_at",
                KeyTimes {
                    mitigated_at: t("2026-01-01T09:00:00Z"),
                    ..base
                },
            ),
            (
                "resolved_at",
                KeyTimes {
                    resolved_at: t("2026-01-01T09:00:00Z"),
                    ..base
                },
            ),
            (
                "closed_at",
                KeyTimes {
                    closed_at: t("2026-01-01T09:00:00Z"),
                    ..base
                },
            ),
        ];
        for (field, k) in cases {
            let e = k.check_order(&[field]).unwrap_err();
            assert_eq!(e.fields()[0].field, field, "{k:?}");
        }
    }

    #[test]
    fn chain_holds_across_a_missing_middle_time() {
        // No mitigated_at: resolved must still not be before detected.
        let k = KeyTimes {
            detected_at: t("2026-01-01T10:00:00Z"),
            resolved_at: t("2026-01-01T09:00:00Z"),
            ..Default::default()
        };
        assert_eq!(
            k.check_order(&[]).unwrap_err().fields()[0].field,
            "resolved_at"
        );
        // mitigated after resolved
        let k = KeyTimes {
            detected_at: t("2026-01-01T08:00:00Z"),
            mitigated_at: t("2026-01-01T11:00:00Z"),
            resolved_at: t("2026-01-01T10:00:00Z"),
            ..Default::default()
        };
        assert_eq!(
            k.check_order(&["mitigated_at"]).unwrap_err().fields()[0].field,
            "mitigated_at"
        );
        assert_eq!(
            k.check_order(&["resolved_at"]).unwrap_err().fields()[0].field,
            "resolved_at"
        );
    }

    #[test]
    fn durations_are_minutes_and_null_without_an_end() {
        let k = KeyTimes {
            started_at: t("2026-01-01T09:00:00Z"),
            detected_at: t("2026-01-01T09:05:00Z"),
            acknowledged_at: t("2026-01-01T09:05:30Z"),
            mitigated_at: None,
            resolved_at: t("2026-01-01T11:05:00Z"),
            closed_at: None,
        };
        let d = k.durations();
        assert_eq!(d.time_to_detect, Some(5.0));
        assert_eq!(d.time_to_acknowledge, Some(0.5));
        assert_eq!(d.time_to_mitigate, None);
        assert_eq!(d.time_to_resolve, Some(120.0));
        let none = KeyTimes {
            detected_at: t("2026-01-01T09:05:00Z"),
            ..Default::default()
        }
        .durations();
        assert_eq!(none.time_to_detect, None);
        assert_eq!(none.time_to_resolve, None);
    }

    #[test]
    fn titles_are_one_to_two_hundred_characters() {
        assert!(check_title("Checkout down").is_ok());
        assert!(check_title(&"é".repeat(200)).is_ok());
        assert_eq!(check_title("   ").unwrap_err().fields()[0].field, "title");
        assert_eq!(
            check_title(&"x".repeat(201)).unwrap_err().fields()[0].field,
            "title"
        );
    }
}
