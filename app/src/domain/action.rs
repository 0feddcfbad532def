//! Action (CAPA) rules: the transition machine, completion and verification deadlines and
//! the four-eyes rule for verification.

use chrono::{DateTime, NaiveDate, Utc};

use super::calendar::{OrgCalendar, add_days};
use super::enums::{ActionStatus, Priority, VerificationResult};
use super::ids::UserId;
use crate::error::{AppError, AppResult, FieldError};

/// Default days from completion to the verification deadline (a setting).
pub const DEFAULT_VERIFICATION_DAYS: u32 = 30;

/// The parts of an action that its transitions read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionState {
    pub status: ActionStatus,
    pub owner: Option<UserId>,
    pub verification_required: bool,
    pub verification_due: Option<NaiveDate>,
}

/// A requested transition, as `POST …/transition {to, at?, result?, evidence?, reason?}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionRequest<'a> {
    pub to: ActionStatus,
    /// When it happened; only admins may give it (checked by the caller).
    pub at: Option<DateTime<Utc>>,
    pub result: Option<VerificationResult>,
    pub evidence: Option<&'a str>,
    pub reason: Option<&'a str>,
}

impl<'a> TransitionRequest<'a> {
    pub fn to(to: ActionStatus) -> Self {
        Self {
            to,
            at: None,
            result: None,
            evidence: None,
            reason: None,
        }
    }
}

/// A field change: `None` keeps the value, `Some(None)` clears it, `Some(Some(v))` sets it.
pub type Change<T> = Option<Option<T>>;

/// A verification attempt, kept in the action's history whatever its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationRecord {
    pub verified_by: UserId,
    pub verified_at: DateTime<Utc>,
    pub result: VerificationResult,
    pub evidence: String,
}

/// Everything a transition changes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActionChanges {
    pub status: Option<ActionStatus>,
    pub completed_at: Change<DateTime<Utc>>,
    pub verification_due: Change<NaiveDate>,
    pub verified_at: Change<DateTime<Utc>>,
    pub verified_by: Change<UserId>,
    pub verification_result: Change<VerificationResult>,
    pub verification_evidence: Change<String>,
    pub cancelled_reason: Change<String>,
    /// Grow `reopen_count` by one.
    pub reopen: bool,
    pub verification: Option<VerificationRecord>,
}

fn non_empty(field: &str, v: Option<&str>) -> AppResult<String> {
    match v.map(str::trim) {
        Some(s) if !s.is_empty() => Ok(s.to_owned()),
        _ => Err(AppError::invalid(field, "is required")),
    }
}

/// The sort key of open work by urgency: the earliest due date first (so overdue work leads,
/// the most overdue first, then what is due soon), higher priority first on the same date,
/// work without a due date last.
pub fn urgency(due: Option<NaiveDate>, priority: Priority) -> (bool, Option<NaiveDate>, usize) {
    let rank = Priority::ALL
        .iter()
        .position(|p| *p == priority)
        .unwrap_or(Priority::ALL.len());
    (due.is_none(), due, rank)
}

/// Open or in progress with a due date before `today`.
pub fn overdue(status: ActionStatus, due: Option<NaiveDate>, today: NaiveDate) -> bool {
    status.is_open() && due.is_some_and(|d| d < today)
}

/// The status-bound fields of an action, with people as `P` (ids in the database, e-mails in
/// an import document).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Carried<'a, P> {
    pub status: ActionStatus,
    pub owner: Option<P>,
    pub completed_at: Option<DateTime<Utc>>,
    pub cancelled_reason: Option<&'a str>,
    pub verified_at: Option<DateTime<Utc>>,
    pub verified_by: Option<P>,
    pub verification_result: Option<VerificationResult>,
    pub verification_evidence: Option<&'a str>,
}

/// The four-eyes rule's words, wherever it refuses.
pub const FOUR_EYES: &str =
    "four-eyes rule: an action must be verified by someone other than its owner";

/// The four-eyes rule: whoever verifies an action is not its owner.
pub fn four_eyes<P: PartialEq>(owner: Option<&P>, verifier: &P) -> bool {
    owner != Some(verifier)
}

/// What an action of each status carries, as the transitions leave it: completion from done
/// on, a reason when cancelled, and a verification (time, someone other than the owner, the
/// result `effective`, evidence, not before completion) exactly when verified. Every bad field
/// at once.
pub fn check<P: PartialEq>(c: &Carried<'_, P>) -> Vec<FieldError> {
    use ActionStatus::*;
    let mut bad = Vec::new();
    let status = c.status;
    let mut add = |field: &str, message: String| bad.push(FieldError::new(field, message));
    match status {
        Open | InProgress if c.completed_at.is_some() => add(
            "completed_at",
            format!("cannot be set while the action is {status}"),
        ),
        Done | Verified if c.completed_at.is_none() => add(
            "completed_at",
            format!("is required while the action is {status}"),
        ),
        _ => {}
    }
    let blank = |v: Option<&str>| v.is_none_or(|t| t.trim().is_empty());
    if status == Cancelled {
        if blank(c.cancelled_reason) {
            add("cancelled_reason", "is required to cancel".into());
        }
    } else if c.cancelled_reason.is_some() {
        add(
            "cancelled_reason",
            format!("cannot be set while the action is {status}"),
        );
    }
    if status == Verified {
        if c.verified_at.is_none() {
            add("verified_at", "is required while verified".into());
        }
        match &c.verified_by {
            None => add("verified_by", "is required while verified".into()),
            Some(v) if !four_eyes(c.owner.as_ref(), v) => add("verified_by", FOUR_EYES.into()),
            Some(_) => {}
        }
        match c.verification_result {
            None => add(
                "verification_result",
                "is required while verified (effective)".into(),
            ),
            Some(VerificationResult::NotEffective) => add(
                "verification_result",
                "a verified action's result is effective (not_effective reopens it)".into(),
            ),
            Some(VerificationResult::Effective) => {}
        }
        if blank(c.verification_evidence) {
            add("verification_evidence", "is required while verified".into());
        }
    } else {
        let set = [
            ("verified_at", c.verified_at.is_some()),
            ("verified_by", c.verified_by.is_some()),
            ("verification_result", c.verification_result.is_some()),
            ("verification_evidence", c.verification_evidence.is_some()),
        ];
        if let Some((field, _)) = set.iter().find(|(_, on)| *on) {
            add(field, format!("cannot be set while the action is {status}"));
        }
    }
    if let (Some(done), Some(verified)) = (c.completed_at, c.verified_at)
        && verified < done
    {
        add("verified_at", "must not be before completed_at".into());
    }
    bad
}

/// Checks a transition and works out its effects.
///
/// `open → in_progress → done`, `open → done`, `done → verified` (when verification is
/// required; with a result and evidence; by someone other than the owner), `done → open`
/// (reopen), any status but `verified` → `cancelled` (with a reason). A `not_effective`
/// verification reopens the action and keeps the attempt in the history.
pub fn check_transition(
    state: &ActionState,
    req: &TransitionRequest<'_>,
    actor: UserId,
    now: DateTime<Utc>,
    cal: &OrgCalendar,
    verification_days: u32,
) -> AppResult<ActionChanges> {
    use ActionStatus::*;
    let from = state.status;
    let to = req.to;
    let at = req.at.unwrap_or(now);
    if req.at.is_some_and(|a| a > now) {
        return Err(AppError::invalid("at", "must not be in the future"));
    }
    let refused = || AppError::invalid("to", format!("an action cannot go from {from} to {to}"));
    let mut c = ActionChanges {
        status: Some(to),
        ..Default::default()
    };
    match (from, to) {
        (Open, InProgress) => {}
        (Open | InProgress, Done) => {
            c.completed_at = Some(Some(at));
            if state.verification_required && state.verification_due.is_none() {
                c.verification_due = Some(Some(add_days(cal.date_of(at), verification_days)));
            }
        }
        (Done, Verified) => {
            if !state.verification_required {
                return Err(AppError::invalid(
                    "to",
                    "this action does not require verification; it is complete when done",
                ));
            }
            let result = req.result.ok_or_else(|| {
                AppError::invalid("result", "is required (effective or not_effective)")
            })?;
            let evidence = non_empty("evidence", req.evidence)?;
            if !four_eyes(state.owner.as_ref(), &actor) {
                return Err(AppError::forbidden(FOUR_EYES));
            }
            c.verification = Some(VerificationRecord {
                verified_by: actor,
                verified_at: at,
                result,
                evidence: evidence.clone(),
            });
            match result {
                VerificationResult::Effective => {
                    c.verified_at = Some(Some(at));
                    c.verified_by = Some(Some(actor));
                    c.verification_result = Some(Some(result));
                    c.verification_evidence = Some(Some(evidence));
                }
                VerificationResult::NotEffective => {
                    c.status = Some(Open);
                    c.completed_at = Some(None);
                    c.verification_due = Some(None);
                    c.reopen = true;
                }
            }
        }
        (Done, Open) => {
            c.completed_at = Some(None);
            c.verification_due = Some(None);
            c.reopen = true;
        }
        (Open | InProgress | Done, Cancelled) => {
            c.cancelled_reason = Some(Some(non_empty("reason", req.reason)?));
        }
        _ => return Err(refused()),
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn carried(status: ActionStatus) -> Carried<'static, &'static str> {
        Carried {
            status,
            owner: Some("owner"),
            completed_at: None,
            cancelled_reason: None,
            verified_at: None,
            verified_by: None,
            verification_result: None,
            verification_evidence: None,
        }
    }

    fn fields(bad: Vec<FieldError>) -> Vec<String> {
        bad.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn what_each_status_carries() {
        let t = Utc::now();
        assert!(check(&carried(ActionStatus::Open)).is_empty());
        let done_early = Carried {
            completed_at: Some(t),
            ..carried(ActionStatus::InProgress)
        };
        assert_eq!(fields(check(&done_early)), ["completed_at"]);
        assert_eq!(
            fields(check(&carried(ActionStatus::Done))),
            ["completed_at"]
        );
        assert_eq!(
            fields(check(&carried(ActionStatus::Cancelled))),
            ["cancelled_reason"]
        );
        let verified = Carried {
            completed_at: Some(t),
            verified_at: Some(t),
            verified_by: Some("someone else"),
            verification_result: Some(VerificationResult::Effective),
            verification_evidence: Some("graphs"),
            ..carried(ActionStatus::Verified)
        };
        assert!(check(&verified).is_empty());
        let own = Carried {
            verified_by: Some("owner"),
            ..verified
        };
        assert_eq!(check(&own)[0].message, FOUR_EYES);
        let early = Carried {
            verified_at: Some(t - chrono::Duration::hours(1)),
            ..verified
        };
        assert_eq!(fields(check(&early)), ["verified_at"]);
        let not_effective = Carried {
            verification_result: Some(VerificationResult::NotEffective),
            ..verified
        };
        assert_eq!(fields(check(&not_effective)), ["verification_result"]);
        let leftover = Carried {
            verification_evidence: Some("x"),
            ..carried(ActionStatus::Open)
        };
        assert_eq!(fields(check(&leftover)), ["verification_evidence"]);
    }

    #[test]
    fn overdue_is_open_work_past_its_date() {
        let today = NaiveDate::from_ymd_opt(2026, 5, 10).unwrap();
        let yesterday = today.pred_opt().unwrap();
        assert!(overdue(ActionStatus::Open, Some(yesterday), today));
        assert!(overdue(ActionStatus::InProgress, Some(yesterday), today));
        assert!(!overdue(ActionStatus::Open, Some(today), today));
        assert!(!overdue(ActionStatus::Done, Some(yesterday), today));
        assert!(!overdue(ActionStatus::Open, None, today));
    }
    use ActionStatus::*;
    use chrono::TimeZone;

    const OWNER: UserId = UserId(1);
    const OTHER: UserId = UserId(2);

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, 15, 0, 0).unwrap()
    }
    fn state(status: ActionStatus) -> ActionState {
        ActionState {
            status,
            owner: Some(OWNER),
            verification_required: true,
            verification_due: None,
        }
    }
    fn run(s: &ActionState, req: TransitionRequest<'_>, actor: UserId) -> AppResult<ActionChanges> {
        check_transition(
            s,
            &req,
            actor,
            now(),
            &OrgCalendar::default(),
            DEFAULT_VERIFICATION_DAYS,
        )
    }
    fn verify(result: VerificationResult) -> TransitionRequest<'static> {
        TransitionRequest {
            result: Some(result),
            evidence: Some("dashboards show no recurrence"),
            ..TransitionRequest::to(Verified)
        }
    }

    #[test]
    fn every_pair_is_allowed_or_refused_as_the_spec_says() {
        let allowed = [
            (Open, InProgress),
            (InProgress, Done),
            (Open, Done),
            (Done, Verified),
            (Done, Open),
            (Open, Cancelled),
            (InProgress, Cancelled),
            (Done, Cancelled),
        ];
        for from in ActionStatus::ALL {
            for to in ActionStatus::ALL {
                let req = TransitionRequest {
                    result: Some(VerificationResult::Effective),
                    evidence: Some("e"),
                    reason: Some("r"),
                    ..TransitionRequest::to(*to)
                };
                let r = run(&state(*from), req, OTHER);
                assert_eq!(
                    r.is_ok(),
                    allowed.contains(&(*from, *to)),
                    "{from} → {to}: {r:?}"
                );
                if let Err(e) = r {
                    assert_eq!(e.status(), 422);
                    assert_eq!(e.fields()[0].field, "to");
                }
            }
        }
    }

    #[test]
    fn done_sets_completed_at_and_default_verification_due() {
        let c = run(&state(InProgress), TransitionRequest::to(Done), OWNER).unwrap();
        assert_eq!(c.completed_at, Some(Some(now())));
        assert_eq!(
            c.verification_due,
            Some(Some(NaiveDate::from_ymd_opt(2026, 4, 9).unwrap()))
        );
    }

    #[test]
    fn done_keeps_an_explicit_verification_due_and_skips_it_when_not_required() {
        let mut s = state(Open);
        s.verification_due = NaiveDate::from_ymd_opt(2026, 3, 20);
        let c = run(&s, TransitionRequest::to(Done), OWNER).unwrap();
        assert_eq!(c.verification_due, None);
        let s = ActionState {
            verification_required: false,
            ..state(Open)
        };
        let c = run(&s, TransitionRequest::to(Done), OWNER).unwrap();
        assert_eq!(c.verification_due, None);
    }

    #[test]
    fn completion_time_may_be_given_but_not_in_the_future() {
        let at = Utc.with_ymd_and_hms(2026, 2, 27, 23, 0, 0).unwrap();
        let c = run(
            &state(Open),
            TransitionRequest {
                at: Some(at),
                ..TransitionRequest::to(Done)
            },
            OWNER,
        )
        .unwrap();
        assert_eq!(c.completed_at, Some(Some(at)));
        assert_eq!(
            c.verification_due,
            Some(NaiveDate::from_ymd_opt(2026, 3, 29))
        );
        let future = now() + chrono::Duration::hours(1);
        let e = run(
            &state(Open),
            TransitionRequest {
                at: Some(future),
                ..TransitionRequest::to(Done)
            },
            OWNER,
        )
        .unwrap_err();
        assert_eq!(e.fields()[0].field, "at");
    }

    #[test]
    fn verification_due_uses_the_organisations_date() {
        // 23:30 UTC on 9 March is already 10 March in Tokyo.
        let cal = OrgCalendar::new(
            crate::domain::calendar::parse_timezone("Asia/Tokyo").unwrap(),
            [],
        );
        let at = Utc.with_ymd_and_hms(2026, 3, 9, 23, 30, 0).unwrap();
        let req = TransitionRequest {
            at: Some(at),
            ..TransitionRequest::to(Done)
        };
        let c = check_transition(&state(Open), &req, OWNER, now(), &cal, 30).unwrap();
        assert_eq!(
            c.verification_due,
            Some(NaiveDate::from_ymd_opt(2026, 4, 9))
        );
    }

    #[test]
    fn four_eyes_owner_cannot_verify() {
        let e = run(&state(Done), verify(VerificationResult::Effective), OWNER).unwrap_err();
        assert_eq!(e.status(), 403);
        assert!(e.to_string().contains("four-eyes"));
        assert!(run(&state(Done), verify(VerificationResult::Effective), OTHER).is_ok());
    }

    #[test]
    fn verification_needs_result_evidence_and_a_requirement() {
        let no_result = TransitionRequest {
            evidence: Some("x"),
            ..TransitionRequest::to(Verified)
        };
        assert_eq!(
            run(&state(Done), no_result, OTHER).unwrap_err().fields()[0].field,
            "result"
        );
        let no_evidence = TransitionRequest {
            result: Some(VerificationResult::Effective),
            evidence: Some("  "),
            ..TransitionRequest::to(Verified)
        };
        assert_eq!(
            run(&state(Done), no_evidence, OTHER).unwrap_err().fields()[0].field,
            "evidence"
        );
        let not_required = ActionState {
            verification_required: false,
            ..state(Done)
        };
        assert_eq!(
            run(&not_required, verify(VerificationResult::Effective), OTHER)
                .unwrap_err()
                .fields()[0]
                .field,
            "to"
        );
    }

    #[test]
    fn effective_verification_records_who_when_and_evidence() {
        let c = run(&state(Done), verify(VerificationResult::Effective), OTHER).unwrap();
        assert_eq!(c.status, Some(Verified));
        assert_eq!(c.verified_by, Some(Some(OTHER)));
        assert_eq!(c.verified_at, Some(Some(now())));
        assert_eq!(
            c.verification_result,
            Some(Some(VerificationResult::Effective))
        );
        assert!(c.verification.is_some());
        assert!(!c.reopen);
    }

    #[test]
    fn not_effective_reopens_and_keeps_the_attempt() {
        let c = run(
            &state(Done),
            verify(VerificationResult::NotEffective),
            OTHER,
        )
        .unwrap();
        assert_eq!(c.status, Some(Open));
        assert_eq!(c.completed_at, Some(None));
        assert_eq!(c.verification_due, Some(None));
        assert!(c.reopen);
        let rec = c.verification.unwrap();
        assert_eq!(rec.result, VerificationResult::NotEffective);
        assert_eq!(rec.verified_by, OTHER);
    }

    #[test]
    fn reopen_from_done_clears_completion() {
        let c = run(&state(Done), TransitionRequest::to(Open), OWNER).unwrap();
        assert_eq!(c.completed_at, Some(None));
        assert!(c.reopen);
    }

    #[test]
    fn cancelling_needs_a_reason_and_verified_cannot_be_cancelled() {
        let e = run(&state(Open), TransitionRequest::to(Cancelled), OWNER).unwrap_err();
        assert_eq!(e.fields()[0].field, "reason");
        let ok = run(
            &state(Open),
            TransitionRequest {
                reason: Some("duplicate of ACT-3"),
                ..TransitionRequest::to(Cancelled)
            },
            OWNER,
        )
        .unwrap();
        assert_eq!(
            ok.cancelled_reason,
            Some(Some("duplicate of ACT-3".to_owned()))
        );
        let e = run(
            &state(Verified),
            TransitionRequest {
                reason: Some("x"),
                ..TransitionRequest::to(Cancelled)
            },
            OWNER,
        )
        .unwrap_err();
        assert_eq!(e.fields()[0].field, "to");
    }

    #[test]
    fn urgency_puts_overdue_first_then_due_soon_then_undated() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 3, day);
        let mut v = [
            ("undated critical", None, Priority::Critical),
            ("due 20 low", d(20), Priority::Low),
            ("overdue 2 low", d(2), Priority::Low),
            ("due 12 medium", d(12), Priority::Medium),
            ("due 12 critical", d(12), Priority::Critical),
            ("overdue 8 high", d(8), Priority::High),
            ("undated low", None, Priority::Low),
        ];
        v.sort_by_key(|(_, due, p)| urgency(*due, *p));
        let order: Vec<_> = v.iter().map(|(n, ..)| *n).collect();
        assert_eq!(
            order,
            [
                "overdue 2 low",
                "overdue 8 high",
                "due 12 critical",
                "due 12 medium",
                "due 20 low",
                "undated critical",
                "undated low"
            ]
        );
    }
}
