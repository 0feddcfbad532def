//! Known errors with their services, incident links and suggestion index.

use crate::domain::RecordType;
use std::collections::BTreeMap;

use sea_orm::{ActiveValue::Set, ConnectionTrait};

use crate::error::{AppError, AppResult};
use crate::ssr::entities::{
    known_error, known_error_incident, known_error_service, known_error_term,
};
use crate::ssr::similarity::Analyzer;
use crate::ssr::to_ms;

use super::{Writer, id_of, ids_by, ids_of, insert_all, ms};
use crate::domain::KeyKind;
use crate::transfer::KnownErrorRecord;

/// Writes a batch of known errors with their services, links and index terms.
pub(super) async fn write(
    txn: &impl ConnectionTrait,
    w: &mut Writer<'_>,
    batch: &[(i64, KnownErrorRecord)],
) -> AppResult<()> {
    let inc_id = ids_of(
        txn,
        KeyKind::Incident,
        batch
            .iter()
            .flat_map(|(_, r)| r.incidents.iter().map(String::as_str)),
    )
    .await?;
    let analyzer = Analyzer::default();
    let mut terms: Vec<(i64, BTreeMap<String, u32>)> = Vec::new();
    let rows: Vec<known_error::ActiveModel> = batch
        .iter()
        .map(|(seq, r)| {
            let tf = analyzer.frequencies(&[(&r.title, 3), (&r.symptoms, 2), (&r.root_cause, 1)]);
            let len: u32 = tf.values().sum();
            terms.push((*seq, tf));
            known_error::ActiveModel {
                key: Set(r.key.clone()),
                seq: Set(*seq),
                title: Set(r.title.trim().to_owned()),
                symptoms: Set(r.symptoms.clone()),
                root_cause: Set(r.root_cause.clone()),
                workaround: Set(r.workaround.clone()),
                status: Set(r.status),
                fix_version: Set(r.fix_version.clone()),
                term_count: Set(i32::try_from(len).unwrap_or(i32::MAX)),
                created_by: Set(w.uid(&r.created_by)),
                created_at: Set(ms(r.created_at).unwrap_or(to_ms(w.now))),
                updated_at: Set(ms(r.updated_at)
                    .or(ms(r.created_at))
                    .unwrap_or(to_ms(w.now))),
                version: Set(1),
                ..Default::default()
            }
        })
        .collect();
    w.summary.known_errors += rows.len();
    insert_all(txn, rows).await?;
    let ke_id = ids_by(
        known_error::Entity,
        known_error::Column::Seq,
        known_error::Column::Id,
        batch.iter().map(|(seq, _)| *seq).collect(),
        txn,
    )
    .await?;
    let mut ke_services = Vec::new();
    let mut ke_links = Vec::new();
    let mut ke_terms = Vec::new();
    for (seq, r) in batch {
        let Some(&id) = ke_id.get(seq) else {
            return Err(AppError::internal());
        };
        w.audit.push((RecordType::KnownError, r.key.clone()));
        ke_services.extend(r.services.iter().map(|s| known_error_service::ActiveModel {
            known_error_id: Set(id),
            service: Set(s.clone()),
        }));
        for k in &r.incidents {
            if let Some(i) = id_of(&inc_id, KeyKind::Incident, k) {
                ke_links.push(known_error_incident::ActiveModel {
                    known_error_id: Set(id),
                    incident_id: Set(i),
                    created_at: Set(ms(r.created_at).unwrap_or(to_ms(w.now))),
                    created_by: Set(w.actor.user_id().map(|u| u.0)),
                });
            }
        }
    }
    for (seq, tf) in terms {
        if let Some(&id) = ke_id.get(&seq) {
            ke_terms.extend(tf.into_iter().map(|(t, n)| known_error_term::ActiveModel {
                term: Set(t),
                known_error_id: Set(id),
                tf: Set(i32::try_from(n).unwrap_or(i32::MAX)),
            }));
        }
    }
    insert_all(txn, ke_services).await?;
    insert_all(txn, ke_links).await?;
    insert_all(txn, ke_terms).await?;
    w.advance(batch.len());
    Ok(())
}
