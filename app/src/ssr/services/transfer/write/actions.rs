//! Actions with their verification history.

use crate::domain::RecordType;
use crate::domain::{IncidentId, KnownErrorId, UserId};

use sea_orm::{ActiveValue::Set, ConnectionTrait};

use crate::domain::KeyKind;
use crate::error::{AppError, AppResult};
use crate::ssr::entities::{action, action_verification};
use crate::ssr::to_ms;

use super::{Writer, id_of, ids_by, ids_of, insert_all, ms};
use crate::transfer::ActionRecord;

/// Writes a batch of actions and every verification attempt.
pub(super) async fn write(
    txn: &impl ConnectionTrait,
    w: &mut Writer<'_>,
    batch: &[(i64, ActionRecord)],
) -> AppResult<()> {
    let inc_id = ids_of(
        txn,
        KeyKind::Incident,
        batch.iter().filter_map(|(_, r)| r.incident.as_deref()),
    )
    .await?;
    let ke_id = ids_of(
        txn,
        KeyKind::KnownError,
        batch.iter().filter_map(|(_, r)| r.known_error.as_deref()),
    )
    .await?;
    let days = w.org.verification_days;
    let rows: Vec<action::ActiveModel> = batch
        .iter()
        .map(|(seq, r)| {
            let required = r
                .verification_required
                .unwrap_or_else(|| r.kind.verification_required_by_default());
            let created = r.created_at.unwrap_or(w.now);
            let verification_due = r.verification_due.or_else(|| {
                (required && r.completed_at.is_some())
                    .then(|| {
                        r.completed_at
                            .map(|c| crate::domain::calendar::add_days(w.cal.date_of(c), days))
                    })
                    .flatten()
            });
            action::ActiveModel {
                key: Set(r.key.clone()),
                seq: Set(*seq),
                incident_id: Set(r
                    .incident
                    .as_deref()
                    .and_then(|k| id_of(&inc_id, KeyKind::Incident, k).map(IncidentId))),
                known_error_id: Set(r
                    .known_error
                    .as_deref()
                    .and_then(|k| id_of(&ke_id, KeyKind::KnownError, k).map(KnownErrorId))),
                title: Set(r.title.clone()),
                description: Set(r.description.clone()),
                kind: Set(r.kind),
                priority: Set(r.priority),
                owner_id: Set(w.uid(&r.owner).map(UserId)),
                team: Set(r.team.clone()),
                due_date: Set(r.due_date),
                status: Set(r.status),
                completed_at: Set(ms(r.completed_at)),
                completed_on: Set(r.completed_at.map(|t| w.cal.date_of(t))),
                verification_required: Set(required),
                verification_plan: Set(r.verification_plan.clone()),
                verification_due: Set(verification_due),
                verified_at: Set(ms(r.verified_at)),
                verified_on: Set(r.verified_at.map(|t| w.cal.date_of(t))),
                verified_by: Set(w.uid(&r.verified_by).map(UserId)),
                verification_result: Set(r.verification_result),
                verification_evidence: Set(r.verification_evidence.clone()),
                cancelled_reason: Set(r.cancelled_reason.clone()),
                external_url: Set(r.external_url.clone()),
                reopen_count: Set(r.reopen_count),
                created_by: Set(w.uid(&r.created_by)),
                created_at: Set(to_ms(created)),
                created_on: Set(w.cal.date_of(created)),
                updated_at: Set(ms(r.updated_at).unwrap_or(to_ms(created))),
                version: Set(1),
                ..Default::default()
            }
        })
        .collect();
    w.summary.actions += rows.len();
    insert_all(txn, rows).await?;
    let act_id = ids_by(
        action::Entity,
        action::Column::Seq,
        action::Column::Id,
        batch.iter().map(|(seq, _)| *seq).collect(),
        txn,
    )
    .await?;
    let mut history = Vec::new();
    for (seq, r) in batch {
        let Some(&id) = act_id.get(seq) else {
            return Err(AppError::internal());
        };
        w.audit.push((RecordType::Action, r.key.clone()));
        for v in &r.verifications {
            if let Some(&u) = w.users.get(&v.verified_by) {
                history.push(action_verification::ActiveModel {
                    action_id: Set(id),
                    verified_by: Set(u),
                    verified_at: Set(to_ms(v.verified_at)),
                    result: Set(v.result),
                    evidence: Set(v.evidence.clone()),
                    created_at: Set(to_ms(v.verified_at)),
                    ..Default::default()
                });
            }
        }
    }
    w.summary.verifications += history.len();
    insert_all(txn, history).await?;
    w.advance(batch.len());
    Ok(())
}
