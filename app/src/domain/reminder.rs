//! Deadline reminders: which reminder an action needs on a given day (due soon, overdue,
//! verification due soon or overdue), as a pure rule of its status and deadlines.

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use super::enums::ActionStatus;

/// Days ahead that count as "due soon".
pub const DUE_SOON_DAYS: i64 = 2;

/// Which deadline a reminder is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    DueSoon,
    Overdue,
    VerificationDueSoon,
    VerificationOverdue,
}

impl ReminderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReminderKind::DueSoon => "due_soon",
            ReminderKind::Overdue => "overdue",
            ReminderKind::VerificationDueSoon => "verification_due_soon",
            ReminderKind::VerificationOverdue => "verification_overdue",
        }
    }
}

/// The parts of an action the reminder rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderInput {
    pub status: ActionStatus,
    pub due_date: Option<NaiveDate>,
    pub verification_required: bool,
    pub verification_due: Option<NaiveDate>,
}

/// The reminder an action needs `today`, if any, with the deadline it is about: open work
/// by its due date, completed work that needs verification by its verification deadline.
pub fn needed(a: ReminderInput, today: NaiveDate) -> Option<(ReminderKind, NaiveDate)> {
    let soon = today + Duration::days(DUE_SOON_DAYS);
    let (due, overdue, due_soon) = if a.status.is_open() {
        (a.due_date?, ReminderKind::Overdue, ReminderKind::DueSoon)
    } else if a.status == ActionStatus::Done && a.verification_required {
        (
            a.verification_due?,
            ReminderKind::VerificationOverdue,
            ReminderKind::VerificationDueSoon,
        )
    } else {
        return None;
    };
    if due < today {
        Some((overdue, due))
    } else if due <= soon {
        Some((due_soon, due))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, day).unwrap()
    }

    fn input(status: ActionStatus, due: Option<u32>, verify: Option<u32>) -> ReminderInput {
        ReminderInput {
            status,
            due_date: due.map(d),
            verification_required: verify.is_some(),
            verification_due: verify.map(d),
        }
    }

    #[test]
    fn open_work_by_its_due_date() {
        let today = d(10);
        let open = |due| needed(input(ActionStatus::Open, due, None), today);
        assert_eq!(open(Some(9)), Some((ReminderKind::Overdue, d(9))));
        assert_eq!(open(Some(10)), Some((ReminderKind::DueSoon, d(10))));
        assert_eq!(open(Some(12)), Some((ReminderKind::DueSoon, d(12))));
        assert_eq!(open(Some(13)), None);
        assert_eq!(open(None), None);
        assert_eq!(
            needed(input(ActionStatus::InProgress, Some(1), None), today),
            Some((ReminderKind::Overdue, d(1)))
        );
    }

    #[test]
    fn done_work_by_its_verification_deadline() {
        let today = d(10);
        assert_eq!(
            needed(input(ActionStatus::Done, Some(1), Some(9)), today),
            Some((ReminderKind::VerificationOverdue, d(9)))
        );
        assert_eq!(
            needed(input(ActionStatus::Done, Some(1), Some(11)), today),
            Some((ReminderKind::VerificationDueSoon, d(11)))
        );
        assert_eq!(
            needed(input(ActionStatus::Done, Some(1), None), today),
            None
        );
        assert_eq!(
            needed(input(ActionStatus::Cancelled, Some(1), None), today),
            None
        );
    }
}
