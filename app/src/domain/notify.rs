//! Notifications out, the pure rules: which messages a channel's filter lets through, and
//! what happens after a delivery attempt (delivered, tried again later, or given up).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::enums::Severity;

/// How long a message is retried before it counts as failed.
pub const RETRY_FOR: Duration = Duration::hours(24);
/// The first retry's delay; each further one doubles, up to [`MAX_DELAY`].
pub const FIRST_DELAY: Duration = Duration::seconds(15);
pub const MAX_DELAY: Duration = Duration::hours(1);

/// What a channel receives, narrowed down: every set part must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChannelFilter {
    /// Only records of incidents at least this severe (`sev2` lets sev1 and sev2 through).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_severity: Option<Severity>,
    /// Only records of incidents with one of these services.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    /// Only actions of one of these teams (other records have no team and do not pass).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<String>,
}

/// What a filter looks at in a change.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts<'a> {
    pub severity: Option<Severity>,
    pub services: &'a [String],
    pub team: Option<&'a str>,
}

impl ChannelFilter {
    pub fn is_empty(&self) -> bool {
        self.min_severity.is_none() && self.services.is_empty() && self.teams.is_empty()
    }

    /// Whether a change with these facts goes to the channel. A set part the change has no
    /// value for does not match: a channel for sev1 hears nothing of records without one.
    pub fn matches(&self, f: Facts<'_>) -> bool {
        let severity = match (self.min_severity, f.severity) {
            (None, _) => true,
            (Some(min), Some(s)) => s.level() <= min.level(),
            (Some(_), None) => false,
        };
        let services = self.services.is_empty()
            || f.services
                .iter()
                .any(|s| self.services.iter().any(|w| w.eq_ignore_ascii_case(s)));
        let teams = self.teams.is_empty()
            || f.team
                .is_some_and(|t| self.teams.iter().any(|w| w.eq_ignore_ascii_case(t)));
        severity && services && teams
    }
}

/// The delay before retry number `attempts` + 1, after `attempts` failed attempts.
pub fn backoff(attempts: i32) -> Duration {
    let doublings = attempts.saturating_sub(1).clamp(0, 20) as u32;
    let ms = FIRST_DELAY
        .num_milliseconds()
        .saturating_mul(1_i64 << doublings);
    Duration::milliseconds(ms.min(MAX_DELAY.num_milliseconds()))
}

/// How one attempt went: the HTTP status if an answer came, and its `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    pub status: Option<u16>,
    pub retry_after: Option<Duration>,
}

/// What becomes of a message after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Delivered,
    /// Try again at this instant.
    Retry(DateTime<Utc>),
    /// Given up: the receiver refuses it for good, or 24 hours have passed.
    Failed,
}

/// The rule: 2xx is delivered; 429 waits what `Retry-After` says (at least a second, at
/// most an hour; the growing delay without it); no answer, 408, 425 and 5xx are retried
/// with the growing delay; any other answer (400, 401, 403, 404, 410 …) will not get
/// better and fails at once. Nothing is tried after 24 hours from the message's creation.
/// `attempts` counts this attempt.
pub fn next(a: Attempt, attempts: i32, created_at: DateTime<Utc>, now: DateTime<Utc>) -> Next {
    let wait = match a.status {
        Some(s) if (200..300).contains(&s) => return Next::Delivered,
        Some(429) => a.retry_after.map_or_else(
            || backoff(attempts),
            |d| d.clamp(Duration::seconds(1), MAX_DELAY),
        ),
        None | Some(408) | Some(425) => backoff(attempts),
        Some(s) if s >= 500 => backoff(attempts),
        Some(_) => return Next::Failed,
    };
    let at = now + wait;
    if at > created_at + RETRY_FOR {
        Next::Failed
    } else {
        Next::Retry(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    #[test]
    fn the_delay_doubles_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::seconds(15));
        assert_eq!(backoff(2), Duration::seconds(30));
        assert_eq!(backoff(3), Duration::seconds(60));
        assert_eq!(backoff(8), Duration::seconds(15 * 128));
        // 15 s × 256 would be 64 minutes: the cap holds it at an hour.
        assert_eq!(backoff(9), Duration::hours(1));
        assert_eq!(backoff(1000), Duration::hours(1));
    }

    #[test]
    fn answers_decide_what_happens_next() {
        let a = |status, retry_after| Attempt {
            status,
            retry_after,
        };
        assert_eq!(next(a(Some(200), None), 1, t(0), t(0)), Next::Delivered);
        assert_eq!(next(a(Some(204), None), 3, t(0), t(0)), Next::Delivered);
        assert_eq!(next(a(Some(500), None), 1, t(0), t(0)), Next::Retry(t(15)));
        assert_eq!(next(a(Some(503), None), 2, t(0), t(10)), Next::Retry(t(40)));
        assert_eq!(next(a(None, None), 1, t(0), t(0)), Next::Retry(t(15)));
        assert_eq!(next(a(Some(408), None), 1, t(0), t(0)), Next::Retry(t(15)));
        assert_eq!(
            next(a(Some(429), Some(Duration::seconds(120))), 1, t(0), t(0)),
            Next::Retry(t(120))
        );
        assert_eq!(
            next(a(Some(429), Some(Duration::zero())), 1, t(0), t(0)),
            Next::Retry(t(1)),
            "at least a second"
        );
        assert_eq!(
            next(a(Some(429), Some(Duration::days(3))), 1, t(0), t(0)),
            Next::Retry(t(3600)),
            "at most an hour"
        );
        assert_eq!(next(a(Some(429), None), 2, t(0), t(0)), Next::Retry(t(30)));
        for refused in [400, 401, 403, 404, 410, 422] {
            assert_eq!(next(a(Some(refused), None), 1, t(0), t(0)), Next::Failed);
        }
    }

    #[test]
    fn nothing_is_tried_after_a_day() {
        let a = Attempt {
            status: Some(500),
            retry_after: None,
        };
        let day = RETRY_FOR.num_seconds();
        assert_eq!(next(a, 30, t(0), t(day - 3600)), Next::Retry(t(day)));
        assert_eq!(next(a, 30, t(0), t(day - 3599)), Next::Failed);
    }

    #[test]
    fn filters_match_every_part_they_set() {
        let services = vec!["checkout".to_owned()];
        let sev1 = Facts {
            severity: Some(Severity::Sev1),
            services: &services,
            team: None,
        };
        let sev3 = Facts {
            severity: Some(Severity::Sev3),
            ..sev1
        };
        assert!(ChannelFilter::default().matches(sev3));
        let f = ChannelFilter {
            min_severity: Some(Severity::Sev2),
            ..Default::default()
        };
        assert!(f.matches(sev1));
        assert!(!f.matches(sev3));
        assert!(!f.matches(Facts::default()), "no severity, no match");
        let f = ChannelFilter {
            services: vec!["Checkout".into()],
            ..Default::default()
        };
        assert!(f.matches(sev3));
        assert!(!f.matches(Facts {
            services: &[],
            ..sev3
        }));
        let f = ChannelFilter {
            teams: vec!["payments".into()],
            ..Default::default()
        };
        assert!(!f.matches(sev1));
        assert!(f.matches(Facts {
            team: Some("Payments"),
            ..sev1
        }));
        let both = ChannelFilter {
            min_severity: Some(Severity::Sev1),
            teams: vec!["payments".into()],
            ..Default::default()
        };
        assert!(!both.matches(Facts {
            team: Some("payments"),
            ..sev3
        }));
    }
}
