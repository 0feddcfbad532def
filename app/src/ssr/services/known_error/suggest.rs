//! Suggestions: the known errors most like an incident (BM25 over the index in
//! `ssr::similarity`, plus shared services).

use std::collections::{BTreeMap, HashMap, HashSet};

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::find::services_of;
use crate::domain::authz::Op;
use crate::domain::{EventKind, KnownErrorStatus};
use crate::error::AppResult;
use crate::model::Suggestion;
use crate::ssr::auth::Actor;
use crate::ssr::entities::{
    incident, incident_service, known_error, known_error_incident, known_error_service,
    known_error_term, timeline_event,
};
use crate::ssr::services::incident as incidents;
use crate::ssr::similarity::{Analyzer, Posting, bm25};

/// How many suggestions an incident gets.
pub const SUGGESTIONS: usize = 5;

/// Weight of the share of a known error's services the incident also has, in BM25 units.
pub const SERVICE_WEIGHT: f64 = 2.0;

/// How many of an incident's most frequent terms make the query.
const QUERY_TERMS: usize = 64;

/// The query an incident makes: title three times, summary and customer impact, and what
/// people wrote on its timeline (not the server's status lines); its most frequent terms.
async fn incident_query(
    db: &impl ConnectionTrait,
    inc: &incident::Model,
) -> AppResult<BTreeMap<String, u32>> {
    let notes: Vec<String> = timeline_event::Entity::find()
        .select_only()
        .column(timeline_event::Column::Body)
        .filter(timeline_event::Column::IncidentId.eq(inc.id))
        .filter(timeline_event::Column::Kind.ne(EventKind::StatusChange))
        .order_by_asc(timeline_event::Column::Id)
        .limit(500)
        .into_tuple()
        .all(db)
        .await?;
    let timeline = notes.join("\n");
    let tf = Analyzer::default().frequencies(&[
        (&inc.title, 3),
        (&inc.summary, 1),
        (&inc.customer_impact, 1),
        (&timeline, 1),
    ]);
    let mut by_weight: Vec<(String, u32)> = tf.into_iter().collect();
    by_weight.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    by_weight.truncate(QUERY_TERMS);
    Ok(by_weight.into_iter().collect())
}

/// The known errors most similar to an incident, best first: BM25 of its text against their
/// title, symptoms and root cause, plus the share of their services it has. Retired known
/// errors are left out; linked ones are marked.
pub async fn suggest(
    db: &impl ConnectionTrait,
    actor: &Actor,
    incident_key: &str,
    limit: usize,
) -> AppResult<Vec<Suggestion>> {
    actor.require(Op::Read)?;
    let inc = incidents::find_for(db, actor, incident_key).await?;
    let query = incident_query(db, &inc).await?;
    let inc_services: Vec<String> = incident_service::Entity::find()
        .filter(incident_service::Column::IncidentId.eq(inc.id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.service)
        .collect();

    // Collection statistics and the postings of the query's terms.
    let (n_docs, total_len): (i64, Option<i64>) = known_error::Entity::find()
        .select_only()
        .column_as(known_error::Column::Id.count(), "n")
        .column_as(
            Expr::col(known_error::Column::TermCount)
                .sum()
                .cast_as("bigint"),
            "len",
        )
        .filter(known_error::Column::Status.ne(KnownErrorStatus::Retired))
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or((0, None));
    if n_docs == 0 {
        return Ok(Vec::new());
    }
    let avg_len = total_len.unwrap_or(0) as f64 / n_docs as f64;
    let terms: Vec<String> = query.keys().cloned().collect();
    let raw: Vec<(String, i64, i32)> = if terms.is_empty() {
        Vec::new()
    } else {
        known_error_term::Entity::find()
            .select_only()
            .column(known_error_term::Column::Term)
            .column(known_error_term::Column::KnownErrorId)
            .column(known_error_term::Column::Tf)
            .filter(known_error_term::Column::Term.is_in(terms))
            .into_tuple()
            .all(db)
            .await?
    };
    // Known errors that share a service, even without a shared word.
    let by_service: Vec<(i64, String)> = if inc_services.is_empty() {
        Vec::new()
    } else {
        known_error_service::Entity::find()
            .select_only()
            .column(known_error_service::Column::KnownErrorId)
            .column(known_error_service::Column::Service)
            .filter(known_error_service::Column::Service.is_in(inc_services.clone()))
            .into_tuple()
            .all(db)
            .await?
    };
    let mut candidate_ids: Vec<i64> = raw
        .iter()
        .map(|(_, id, _)| *id)
        .chain(by_service.iter().map(|(id, _)| *id))
        .collect();
    candidate_ids.sort_unstable();
    candidate_ids.dedup();
    if candidate_ids.is_empty() {
        return Ok(Vec::new());
    }
    // Only what scoring needs for the candidates: sequence (ties) and length in terms.
    let kes: HashMap<i64, (i64, i32)> = known_error::Entity::find()
        .select_only()
        .column(known_error::Column::Id)
        .column(known_error::Column::Seq)
        .column(known_error::Column::TermCount)
        .filter(known_error::Column::Id.is_in(candidate_ids))
        .filter(known_error::Column::Status.ne(KnownErrorStatus::Retired))
        .into_tuple::<(i64, i64, i32)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, seq, len)| (id, (seq, len)))
        .collect();
    let postings: Vec<Posting> = raw
        .into_iter()
        .filter_map(|(term, id, tf)| {
            let (_, len) = kes.get(&id)?;
            Some(Posting {
                doc: id,
                term,
                tf: u32::try_from(tf).unwrap_or(0),
                doc_len: u32::try_from(*len).unwrap_or(0),
            })
        })
        .collect();
    let mut scores = bm25(&query, &postings, n_docs as u64, avg_len);
    let mut shared: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, svc) in by_service {
        if kes.contains_key(&id) {
            shared.entry(id).or_default().push(svc);
        }
    }
    let all_services = services_of(db, shared.keys().copied().collect()).await?;
    for (id, svcs) in &shared {
        let total = all_services.get(id).map_or(1, Vec::len).max(1);
        *scores.entry(*id).or_insert(0.0) += SERVICE_WEIGHT * svcs.len() as f64 / total as f64;
    }
    let linked: HashSet<i64> = known_error_incident::Entity::find()
        .filter(known_error_incident::Column::IncidentId.eq(inc.id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.known_error_id)
        .collect();
    let mut ranked: Vec<(i64, f64)> = scores.into_iter().filter(|(_, s)| *s > 0.0).collect();
    ranked.sort_by(|a, b| {
        b.1.total_cmp(&a.1).then_with(|| {
            let seq = |id: &i64| kes.get(id).map_or(i64::MAX, |k| k.0);
            seq(&a.0).cmp(&seq(&b.0))
        })
    });
    ranked.truncate(limit);
    // The full records of the few that are shown.
    let top: HashMap<i64, known_error::Model> = known_error::Entity::find()
        .filter(known_error::Column::Id.is_in(ranked.iter().map(|(id, _)| *id)))
        .all(db)
        .await?
        .into_iter()
        .map(|k| (k.id, k))
        .collect();
    Ok(ranked
        .into_iter()
        .filter_map(|(id, score)| {
            let k = top.get(&id)?;
            let mut shared_services = shared.remove(&id).unwrap_or_default();
            shared_services.sort();
            Some(Suggestion {
                key: k.key.clone(),
                title: k.title.clone(),
                status: k.status,
                workaround: k.workaround.clone(),
                score: (score * 1000.0).round() / 1000.0,
                shared_services,
                linked: linked.contains(&id),
            })
        })
        .collect())
}
