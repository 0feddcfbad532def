//! Timeline rules: event order and the effect of a `mitigation` event on `mitigated_at`.

use chrono::{DateTime, Utc};

use super::enums::EventKind;

/// A `mitigation` event earlier than the incident's `mitigated_at` (or when none is set)
/// moves `mitigated_at` to it. Returns the new `mitigated_at`, or `None` for no change.
pub fn mitigated_at_after_event(
    kind: EventKind,
    occurred_at: DateTime<Utc>,
    mitigated_at: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    if kind != EventKind::Mitigation {
        return None;
    }
    match mitigated_at {
        Some(current) if current <= occurred_at => None,
        _ => Some(occurred_at),
    }
}

/// The order of a timeline: by `occurred_at`, then by id.
pub fn sort_key(occurred_at: DateTime<Utc>, id: i64) -> (DateTime<Utc>, i64) {
    (occurred_at, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn first_mitigation_sets_mitigated_at() {
        let at = t("2026-01-01T10:00:00Z");
        assert_eq!(
            mitigated_at_after_event(EventKind::Mitigation, at, None),
            Some(at)
        );
    }

    #[test]
    fn earlier_mitigation_moves_it_back_later_one_does_not() {
        let current = Some(t("2026-01-01T10:00:00Z"));
        let earlier = t("2026-01-01T09:30:00Z");
        let later = t("2026-01-01T11:00:00Z");
        assert_eq!(
            mitigated_at_after_event(EventKind::Mitigation, earlier, current),
            Some(earlier)
        );
        assert_eq!(
            mitigated_at_after_event(EventKind::Mitigation, later, current),
            None
        );
        assert_eq!(
            mitigated_at_after_event(EventKind::Mitigation, t("2026-01-01T10:00:00Z"), current),
            None
        );
    }

    #[test]
    fn other_kinds_never_touch_mitigated_at() {
        for k in EventKind::ALL
            .iter()
            .filter(|k| **k != EventKind::Mitigation)
        {
            assert_eq!(
                mitigated_at_after_event(*k, t("2026-01-01T09:00:00Z"), None),
                None,
                "{k}"
            );
        }
    }

    #[test]
    fn events_sort_by_time_then_id() {
        let mut v = [
            sort_key(t("2026-01-01T10:00:00Z"), 3),
            sort_key(t("2026-01-01T09:00:00Z"), 9),
            sort_key(t("2026-01-01T10:00:00Z"), 1),
        ];
        v.sort();
        assert_eq!(v.iter().map(|k| k.1).collect::<Vec<_>>(), [9, 1, 3]);
    }
}
