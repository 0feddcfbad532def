//! The export: every table read once, children grouped in memory.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};

use super::Progress;
use crate::domain::{KeyKind, RecordKey};
use crate::error::AppResult;
use crate::model::Approval;
use crate::ssr::entities::{
    action, action_verification, comment, incident, incident_role, incident_service, incident_tag,
    known_error, known_error_incident, known_error_service, postmortem, postmortem_reviewer,
    timeline_event, user,
};
use crate::ssr::entities::{alert, hook};
use crate::ssr::from_ms;
use crate::ssr::services::postmortem as postmortems;
use crate::ssr::settings::{self};
use crate::transfer::{
    ActionRecord, AlertRecord, CommentRecord, Document, EventRecord, FORMAT, IncidentRecord,
    KnownErrorRecord, PostmortemRecord, UserRecord, VerificationRecord,
};

/// The whole data set, each table read once and its children grouped in memory.
pub(super) async fn read_all(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> AppResult<Document> {
    let mut org = settings::load(db).await?;
    // Such addresses often carry a secret: never in an export.
    org.reminder_webhook_url = None;
    let (users, email) = read_users(db, progress).await?;
    let (incidents, inc_key) = read_incidents(db, &email, progress).await?;
    let (known_errors, ke_key) = read_known_errors(db, &email, &inc_key, progress).await?;
    let actions = read_actions(db, &email, &inc_key, &ke_key, progress).await?;
    let comments = read_comments(db, &email, progress).await?;
    Ok(Document {
        format: FORMAT.to_owned(),
        exported_at: Some(now),
        settings: Some(org),
        users,
        incidents,
        known_errors,
        actions,
        comments,
    })
}

/// The comments, oldest first, numbered 1, 2, … in that order; replies name their thread
/// by its number.
async fn read_comments(
    db: &impl ConnectionTrait,
    email: &HashMap<i64, String>,
    progress: &dyn Progress,
) -> AppResult<Vec<CommentRecord>> {
    progress.phase("reading comments", 0);
    let rows = comment::Entity::find()
        .order_by_asc(comment::Column::Id)
        .all(db)
        .await?;
    let number: HashMap<i64, i64> = rows.iter().zip(1i64..).map(|(c, n)| (c.id, n)).collect();
    Ok(rows
        .into_iter()
        .zip(1i64..)
        .map(|(c, n)| CommentRecord {
            id: n,
            record_type: c.record_type,
            record: c.record_key,
            parent: c.parent_id.and_then(|p| number.get(&p).copied()),
            author: who(email, Some(c.author_id)).unwrap_or_default(),
            body: c.body,
            quote: c.quote,
            resolved: c.resolved,
            created_at: from_ms(c.created_at),
            edited_at: c.edited_at.map(from_ms),
            deleted_at: c.deleted_at.map(from_ms),
        })
        .collect())
}

/// The e-mail of a user id.
fn who(email: &HashMap<i64, String>, id: Option<i64>) -> Option<String> {
    id.and_then(|i| email.get(&i).cloned())
}

/// The users, and every user's e-mail by id.
async fn read_users(
    db: &impl ConnectionTrait,
    progress: &dyn Progress,
) -> AppResult<(Vec<UserRecord>, HashMap<i64, String>)> {
    progress.phase("reading users", 0);
    let user_rows = user::Entity::find()
        .order_by_asc(user::Column::Email)
        .all(db)
        .await?;
    let email: HashMap<i64, String> = user_rows.iter().map(|u| (u.id, u.email.clone())).collect();
    let users: Vec<UserRecord> = user_rows
        .iter()
        .map(|u| UserRecord {
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role,
            active: u.active,
        })
        .collect();

    Ok((users, email))
}

/// The incidents with their services, tags, roles, timelines and postmortems, and their keys
/// by id.
async fn read_incidents(
    db: &impl ConnectionTrait,
    email: &HashMap<i64, String>,
    progress: &dyn Progress,
) -> AppResult<(Vec<IncidentRecord>, HashMap<i64, String>)> {
    progress.phase("reading incidents", 0);
    let incidents = incident::Entity::find()
        .order_by_asc(incident::Column::Seq)
        .all(db)
        .await?;
    let inc_key: HashMap<i64, String> = incidents.iter().map(|i| (i.id, i.key.clone())).collect();
    let mut services: HashMap<i64, Vec<String>> = HashMap::new();
    for s in incident_service::Entity::find()
        .order_by_asc(incident_service::Column::Service)
        .all(db)
        .await?
    {
        services.entry(s.incident_id).or_default().push(s.service);
    }
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    for t in incident_tag::Entity::find()
        .order_by_asc(incident_tag::Column::Tag)
        .all(db)
        .await?
    {
        tags.entry(t.incident_id).or_default().push(t.tag);
    }
    let mut roles: HashMap<i64, BTreeMap<String, String>> = HashMap::new();
    for r in incident_role::Entity::find().all(db).await? {
        if let Some(e) = email.get(&r.user_id) {
            roles
                .entry(r.incident_id)
                .or_default()
                .insert(r.role, e.clone());
        }
    }
    progress.phase("reading timelines", 0);
    let mut events: HashMap<i64, Vec<EventRecord>> = HashMap::new();
    for e in timeline_event::Entity::find()
        .order_by_asc(timeline_event::Column::OccurredAt)
        .order_by_asc(timeline_event::Column::Id)
        .all(db)
        .await?
    {
        events.entry(e.incident_id).or_default().push(EventRecord {
            occurred_at: from_ms(e.occurred_at),
            kind: e.kind,
            body: e.body,
            visibility: e.visibility,
            author: who(email, e.author_id),
            created_at: Some(from_ms(e.created_at)),
        });
    }
    let mut pms = read_postmortems(db, email, progress).await?;
    let mut alerts = read_alerts(db).await?;
    let incidents: Vec<IncidentRecord> = incidents
        .into_iter()
        .map(|i| IncidentRecord {
            services: services.remove(&i.id).unwrap_or_default(),
            tags: tags.remove(&i.id).unwrap_or_default(),
            roles: roles.remove(&i.id).unwrap_or_default(),
            timeline: events.remove(&i.id).unwrap_or_default(),
            postmortem: pms.remove(&i.id),
            alerts: alerts.remove(&i.id).unwrap_or_default(),
            commander: who(email, i.commander_id.map(i64::from)),
            created_by: who(email, i.created_by),
            key: i.key,
            title: i.title,
            severity: i.severity,
            status: i.status,
            summary: i.summary,
            customer_impact: i.customer_impact,
            started_at: i.started_at.map(from_ms),
            detected_at: from_ms(i.detected_at),
            acknowledged_at: i.acknowledged_at.map(from_ms),
            mitigated_at: i.mitigated_at.map(from_ms),
            resolved_at: i.resolved_at.map(from_ms),
            closed_at: i.closed_at.map(from_ms),
            reopen_count: i.reopen_count,
            rca_due_at: i.rca_due_at.map(from_ms),
            created_at: Some(from_ms(i.created_at)),
            updated_at: Some(from_ms(i.updated_at)),
        })
        .collect();

    Ok((incidents, inc_key))
}

/// The alerts of incidents by incident id, first seen first, with their hook's name.
async fn read_alerts(db: &impl ConnectionTrait) -> AppResult<HashMap<i64, Vec<AlertRecord>>> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let hooks: HashMap<i64, String> = hook::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.id, h.name))
        .collect();
    let mut out: HashMap<i64, Vec<AlertRecord>> = HashMap::new();
    let map = |s: &str| serde_json::from_str::<BTreeMap<String, String>>(s).unwrap_or_default();
    for a in alert::Entity::find()
        .filter(alert::Column::IncidentId.is_not_null())
        .order_by_asc(alert::Column::Id)
        .all(db)
        .await?
    {
        let Some(iid) = a.incident_id else { continue };
        out.entry(iid).or_default().push(AlertRecord {
            source: a.source,
            hook: a.hook_id.and_then(|h| hooks.get(&h).cloned()),
            fingerprint: a.fingerprint,
            group_key: a.group_key,
            status: a.status,
            summary: a.summary,
            labels: map(&a.labels),
            annotations: map(&a.annotations),
            url: a.url,
            starts_at: from_ms(a.starts_at),
            first_seen_at: from_ms(a.first_seen_at),
            last_seen_at: from_ms(a.last_seen_at),
            resolved_at: a.resolved_at.map(from_ms),
        });
    }
    Ok(out)
}

/// The postmortems by incident id, with their reviewers and approvals.
async fn read_postmortems(
    db: &impl ConnectionTrait,
    email: &HashMap<i64, String>,
    progress: &dyn Progress,
) -> AppResult<HashMap<i64, PostmortemRecord>> {
    progress.phase("reading postmortems", 0);
    let mut reviewers: HashMap<i64, Vec<(String, Option<i64>)>> = HashMap::new();
    for r in postmortem_reviewer::Entity::find().all(db).await? {
        if let Some(e) = email.get(&r.user_id) {
            reviewers
                .entry(r.postmortem_id)
                .or_default()
                .push((e.clone(), r.approved_at));
        }
    }
    let mut pms: HashMap<i64, PostmortemRecord> = HashMap::new();
    for p in postmortem::Entity::find().all(db).await? {
        let mut revs = reviewers.remove(&p.id).unwrap_or_default();
        revs.sort();
        pms.insert(
            p.incident_id.0,
            PostmortemRecord {
                status: p.status,
                body: p.body,
                root_cause_category: p.root_cause_category,
                root_cause: p.root_cause,
                five_whys: postmortems::decode_list("five_whys", p.id, &p.five_whys)?,
                contributing_factors: postmortems::decode_list(
                    "contributing_factors",
                    p.id,
                    &p.contributing_factors,
                )?,
                approvals: revs
                    .iter()
                    .filter_map(|(e, at)| {
                        Some(Approval {
                            reviewer: e.clone(),
                            approved_at: from_ms((*at)?),
                        })
                    })
                    .collect(),
                reviewers: revs.into_iter().map(|(e, _)| e).collect(),
                due_at: p.due_at.map(from_ms),
                published_at: p.published_at.map(from_ms),
                created_at: Some(from_ms(p.created_at)),
                updated_at: Some(from_ms(p.updated_at)),
            },
        );
    }
    Ok(pms)
}

/// The known errors with their services and incident links, and their keys by id.
async fn read_known_errors(
    db: &impl ConnectionTrait,
    email: &HashMap<i64, String>,
    inc_key: &HashMap<i64, String>,
    progress: &dyn Progress,
) -> AppResult<(Vec<KnownErrorRecord>, HashMap<i64, String>)> {
    progress.phase("reading known errors", 0);
    let kes = known_error::Entity::find()
        .order_by_asc(known_error::Column::Seq)
        .all(db)
        .await?;
    let ke_key: HashMap<i64, String> = kes.iter().map(|k| (k.id, k.key.clone())).collect();
    let mut ke_services: HashMap<i64, Vec<String>> = HashMap::new();
    for s in known_error_service::Entity::find()
        .order_by_asc(known_error_service::Column::Service)
        .all(db)
        .await?
    {
        ke_services
            .entry(s.known_error_id)
            .or_default()
            .push(s.service);
    }
    let mut links: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    for l in known_error_incident::Entity::find().all(db).await? {
        if let Some(k) = inc_key.get(&l.incident_id) {
            let seq = RecordKey::parse_as(KeyKind::Incident, k).map_or(0, |r| r.seq);
            links
                .entry(l.known_error_id)
                .or_default()
                .push((seq, k.clone()));
        }
    }
    let known_errors: Vec<KnownErrorRecord> = kes
        .into_iter()
        .map(|k| {
            let mut linked = links.remove(&k.id).unwrap_or_default();
            linked.sort();
            KnownErrorRecord {
                services: ke_services.remove(&k.id).unwrap_or_default(),
                incidents: linked.into_iter().map(|(_, key)| key).collect(),
                created_by: who(email, k.created_by),
                key: k.key,
                title: k.title,
                symptoms: k.symptoms,
                root_cause: k.root_cause,
                workaround: k.workaround,
                status: k.status,
                fix_version: k.fix_version,
                created_at: Some(from_ms(k.created_at)),
                updated_at: Some(from_ms(k.updated_at)),
            }
        })
        .collect();

    Ok((known_errors, ke_key))
}

/// The actions with their verification history.
async fn read_actions(
    db: &impl ConnectionTrait,
    email: &HashMap<i64, String>,
    inc_key: &HashMap<i64, String>,
    ke_key: &HashMap<i64, String>,
    progress: &dyn Progress,
) -> AppResult<Vec<ActionRecord>> {
    progress.phase("reading actions", 0);
    let mut history: HashMap<i64, Vec<VerificationRecord>> = HashMap::new();
    for v in action_verification::Entity::find()
        .order_by_asc(action_verification::Column::Id)
        .all(db)
        .await?
    {
        history
            .entry(v.action_id)
            .or_default()
            .push(VerificationRecord {
                verified_by: who(email, Some(v.verified_by)).unwrap_or_default(),
                verified_at: from_ms(v.verified_at),
                result: v.result,
                evidence: v.evidence,
            });
    }
    let actions: Vec<ActionRecord> = action::Entity::find()
        .order_by_asc(action::Column::Seq)
        .all(db)
        .await?
        .into_iter()
        .map(|a| ActionRecord {
            incident: a.incident_id.and_then(|i| inc_key.get(&i.0).cloned()),
            known_error: a.known_error_id.and_then(|k| ke_key.get(&k.0).cloned()),
            owner: who(email, a.owner_id.map(i64::from)),
            verified_by: who(email, a.verified_by.map(i64::from)),
            created_by: who(email, a.created_by),
            verifications: history.remove(&a.id).unwrap_or_default(),
            key: a.key,
            title: a.title,
            description: a.description,
            kind: a.kind,
            priority: a.priority,
            team: a.team,
            due_date: a.due_date,
            status: a.status,
            completed_at: a.completed_at.map(from_ms),
            verification_required: Some(a.verification_required),
            verification_plan: a.verification_plan,
            verification_due: a.verification_due,
            verified_at: a.verified_at.map(from_ms),
            verification_result: a.verification_result,
            verification_evidence: a.verification_evidence,
            cancelled_reason: a.cancelled_reason,
            external_url: a.external_url,
            reopen_count: a.reopen_count,
            created_at: Some(from_ms(a.created_at)),
            updated_at: Some(from_ms(a.updated_at)),
        })
        .collect();
    progress.advance(actions.len() as u64);

    Ok(actions)
}
