//! The action machine: start, complete, verify (four eyes), reopen and cancel.

use crate::domain::{AuditAction, RecordType};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, TransactionSession, TransactionTrait,
};

use super::find::{find, view};
use super::write::check_text;
use crate::domain::action::{
    ActionChanges, ActionState, TransitionRequest, VerificationRecord, check_transition,
};
use crate::domain::action::{Carried, check as check_carried};
use crate::domain::authz::Op;
use crate::domain::calendar::OrgCalendar;
use crate::domain::{ActionStatus, Role};
use crate::error::{AppError, AppResult};
use crate::model::{Action, ActionTransition};
use crate::ssr::audit::{self, Diff};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{action, action_verification};
use crate::ssr::live::{self, LiveEvent};
use crate::ssr::services::common::{save_version, text};
use crate::ssr::services::settings::{self};
use crate::ssr::{from_ms, to_ms};

/// Moves an action through its states (see `domain::action::check_transition`). Only admins
/// may give `at` (backdated history).
pub async fn transition<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    key: &str,
    t: ActionTransition,
    now: DateTime<Utc>,
) -> AppResult<Action> {
    actor.require(Op::Read)?;
    // A tracker says when its issue was closed or reopened; it moves nothing else.
    let by_tracker = matches!(actor.via, crate::ssr::auth::Via::Tracker(..));
    if by_tracker && !matches!(t.to, ActionStatus::Done | ActionStatus::Open) {
        return Err(AppError::forbidden(
            "a tracker only marks an action done or reopens it",
        ));
    }
    if t.at.is_some() && actor.role != Role::Admin && !by_tracker {
        return Err(AppError::invalid(
            "at",
            "only admins may backdate a transition",
        ));
    }
    let mut bad = Vec::new();
    check_text(&mut bad, "evidence", t.evidence.as_ref());
    check_text(&mut bad, "reason", t.reason.as_ref());
    if !bad.is_empty() {
        return Err(AppError::invalid_many(bad));
    }
    let me = match actor.user_id() {
        Some(me) => me,
        // Nobody's id: done and reopen need no one's (verification does, and is refused).
        None if by_tracker => crate::domain::UserId(0),
        None => return Err(AppError::forbidden("a transition is made by a user")),
    };
    let s = settings::load(db).await?;
    let cal = s.calendar();
    let txn = crate::ssr::db::write(db).await?;
    let old = find(&txn, key).await?;
    actor.require(Op::ChangeAction {
        owner: old.owner_id,
    })?;
    if t.version.is_some_and(|v| v != old.version) {
        return Err(AppError::stale(&old.key));
    }
    let state = ActionState {
        status: old.status,
        owner: old.owner_id,
        verification_required: old.verification_required,
        verification_due: old.verification_due,
    };
    let req = TransitionRequest {
        to: t.to,
        at: t.at,
        result: t.result,
        evidence: t.evidence.as_deref(),
        reason: t.reason.as_deref(),
    };
    let c = check_transition(&state, &req, me, now, &cal, s.verification_days)?;
    if let Some(at) = t.at
        && at < from_ms(old.created_at)
    {
        return Err(AppError::invalid(
            "at",
            "must not be before the action was created",
        ));
    }
    let (am, mut diff, status) = changed_row(&old, &c, &cal, actor);
    // The rule the import checks stored actions with holds for every state a transition leaves.
    text::fail_on(carried(&am, status))?;
    save_version(&txn, am, old.id, old.version, now, &old.key).await?;
    let verdict = c
        .verification
        .as_ref()
        .map(|v| (v.result, v.evidence.clone()));
    if let Some(v) = c.verification {
        record_attempt(&txn, old.id, v, now, &mut diff).await?;
    }
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::Action,
        &old.key,
        AuditAction::Transition,
        &diff.0,
    )
    .await?;
    let ev = LiveEvent::action_updated(
        &old.key,
        i64::from(old.version) + 1,
        None,
        [old.owner_id],
        actor,
    );
    live::publish(&txn, ev).await?;
    if let Some((result, evidence)) = &verdict {
        notify_verdict(&txn, &old, *result, evidence, actor, now).await?;
    }
    tell_tracker(
        &txn,
        &old,
        status,
        verdict.as_ref(),
        t.reason.as_deref(),
        actor,
        now,
    )
    .await?;
    txn.commit().await?;
    let fresh = find(db, key).await?;
    view(db, fresh, cal.date_of(now)).await
}

/// The row and the audit diff after the transition's changes `c`, and the new status.
fn changed_row(
    old: &action::Model,
    c: &ActionChanges,
    cal: &OrgCalendar,
    actor: &Actor,
) -> (action::ActiveModel, Diff, ActionStatus) {
    let mut am: action::ActiveModel = old.clone().into();
    let mut diff = Diff::default();
    let status = c.status.unwrap_or(old.status);
    diff.field("status", Some(&old.status), Some(&status));
    am.status = Set(status);
    if let Some(v) = c.completed_at {
        diff.field(
            "completed_at",
            old.completed_at.map(|t| from_ms(t).to_rfc3339()).as_ref(),
            v.map(|t| t.to_rfc3339()).as_ref(),
        );
        am.completed_at = Set(v.map(to_ms));
        am.completed_on = Set(v.map(|t| cal.date_of(t)));
    }
    if let Some(v) = c.verification_due {
        diff.field(
            "verification_due",
            old.verification_due.as_ref(),
            v.as_ref(),
        );
        am.verification_due = Set(v);
    }
    if let Some(v) = c.verified_at {
        diff.field("verified_at", None, v.map(|t| t.to_rfc3339()).as_ref());
        am.verified_at = Set(v.map(to_ms));
        am.verified_on = Set(v.map(|t| cal.date_of(t)));
    }
    if let Some(v) = c.verified_by {
        am.verified_by = Set(v);
        diff.field("verified_by", None, actor.user.as_ref().map(|u| &u.email));
    }
    if let Some(v) = c.verification_result {
        diff.field("verification_result", None, v.as_ref());
        am.verification_result = Set(v);
    }
    if let Some(v) = c.verification_evidence.clone() {
        diff.field("verification_evidence", None, v.as_ref());
        am.verification_evidence = Set(v);
    }
    if let Some(v) = c.cancelled_reason.clone() {
        diff.field(
            "cancelled_reason",
            old.cancelled_reason.as_ref(),
            v.as_ref(),
        );
        am.cancelled_reason = Set(v);
    }
    if c.reopen {
        diff.field(
            "reopen_count",
            Some(&old.reopen_count),
            Some(&(old.reopen_count + 1)),
        );
        am.reopen_count = Set(old.reopen_count + 1);
    }
    (am, diff, status)
}

/// What the row carries after the change, against the domain's rule of each status.
fn carried(am: &action::ActiveModel, status: ActionStatus) -> Vec<crate::error::FieldError> {
    check_carried(&Carried {
        status,
        owner: am.owner_id.try_as_ref().copied().flatten(),
        completed_at: am.completed_at.try_as_ref().copied().flatten().map(from_ms),
        cancelled_reason: am.cancelled_reason.try_as_ref().and_then(|r| r.as_deref()),
        verified_at: am.verified_at.try_as_ref().copied().flatten().map(from_ms),
        verified_by: am.verified_by.try_as_ref().copied().flatten(),
        verification_result: am.verification_result.try_as_ref().copied().flatten(),
        verification_evidence: am
            .verification_evidence
            .try_as_ref()
            .and_then(|e| e.as_deref()),
    })
}

/// Keeps a verification attempt, a failed one included, and adds it to the diff.
async fn record_attempt(
    txn: &impl ConnectionTrait,
    action_id: i64,
    v: VerificationRecord,
    now: DateTime<Utc>,
    diff: &mut Diff,
) -> AppResult<()> {
    action_verification::ActiveModel {
        action_id: Set(action_id),
        verified_by: Set(v.verified_by.0),
        verified_at: Set(to_ms(v.verified_at)),
        result: Set(v.result),
        evidence: Set(v.evidence.clone()),
        created_at: Set(to_ms(now)),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    diff.field(
        "verification",
        None,
        Some(&format!("{}: {}", v.result, v.evidence)),
    );
    Ok(())
}

/// A comment on the linked tracker issue when the action is verified, found not effective or
/// cancelled (through the outbox, so the tracker's answer never holds up the change).
async fn tell_tracker(
    txn: &impl ConnectionTrait,
    a: &action::Model,
    status: ActionStatus,
    verdict: Option<&(crate::domain::VerificationResult, String)>,
    reason: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<()> {
    use crate::domain::VerificationResult;
    let (Some(tracker), Some(issue)) = (a.tracker_id, a.external_key.as_deref()) else {
        return Ok(());
    };
    let who = actor.who().label;
    let said = match (verdict, status) {
        (Some((VerificationResult::Effective, evidence)), _) => {
            format!(
                "{} was verified effective in Hindsight by {who}.\n\nEvidence: {evidence}",
                a.key
            )
        }
        (Some((VerificationResult::NotEffective, evidence)), _) => format!(
            "{} was found not effective in Hindsight by {who}; the action is open again.\n\nFinding: {evidence}",
            a.key
        ),
        (None, ActionStatus::Cancelled) => format!(
            "{} was cancelled in Hindsight by {who}.\n\nReason: {}",
            a.key,
            reason.unwrap_or("none given")
        ),
        _ => return Ok(()),
    };
    let link = crate::ssr::services::notify::notices::link(&format!("/actions/{}", a.key));
    crate::ssr::services::notify::outbox::enqueue_tracker_comment(
        txn,
        tracker,
        &a.key,
        issue,
        &format!("{said}\n\n{link}"),
        now,
    )
    .await
}

/// `action.verified` or `action.not_effective` to the channels that listen.
async fn notify_verdict(
    txn: &impl ConnectionTrait,
    a: &action::Model,
    result: crate::domain::VerificationResult,
    evidence: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<()> {
    use crate::domain::{NotifyEvent, VerificationResult};
    use crate::ssr::entities::incident;
    use sea_orm::EntityTrait as _;
    let inc = match a.incident_id {
        Some(id) => incident::Entity::find_by_id(id.0).one(txn).await?,
        None => None,
    };
    let svc = match &inc {
        Some(i) => crate::ssr::services::incident::services_of(txn, &[i.id])
            .await?
            .remove(&i.id)
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let (event, what) = match result {
        VerificationResult::Effective => (NotifyEvent::ActionVerified, "verified effective"),
        VerificationResult::NotEffective => {
            (NotifyEvent::ActionNotEffective, "found not effective")
        }
    };
    crate::ssr::services::notify::notices::record_change(
        txn,
        event,
        RecordType::Action,
        &a.key,
        &a.title,
        &format!("/actions/{}", a.key),
        inc.as_ref().map(|i| (i, svc.as_slice())),
        a.team.as_deref(),
        format!("{} {what} by {}: {}", a.key, actor.who().label, evidence),
        Vec::new(),
        actor,
        now,
    )
    .await?;
    Ok(())
}
