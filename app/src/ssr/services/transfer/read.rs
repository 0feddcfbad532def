//! The export, streamed: each table is read in pages of [`BATCH`] records by key, the
//! children of a page with one statement per table, and every record is written out as soon
//! as it is complete. Memory holds a page and the users' e-mails, never the document.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use super::Progress;
use crate::domain::{KeyKind, RecordKey};
use crate::error::{AppError, AppResult};
use crate::model::Approval;
use crate::ssr::entities::{
    action, action_verification, comment, incident, incident_role, incident_service, incident_tag,
    known_error, known_error_incident, known_error_service, postmortem, postmortem_reviewer,
    timeline_event, user,
};
use crate::ssr::entities::{alert, hook};
use crate::ssr::from_ms;
use crate::ssr::services::common::lookup;
use crate::ssr::services::common::page::{Batches, Children};
use crate::ssr::services::postmortem as postmortems;
use crate::ssr::services::settings::{self};
use crate::transfer::{
    ActionRecord, AlertRecord, CommentRecord, EventRecord, FORMAT, IncidentRecord,
    KnownErrorRecord, PostmortemRecord, UserRecord, VerificationRecord,
};

/// Records read per statement.
const BATCH: u64 = 500;

/// Bytes gathered before they are handed on.
const PIECE: usize = 64 * 1024;

/// How many records of each kind an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    pub users: u64,
    pub incidents: u64,
    pub known_errors: u64,
    pub actions: u64,
    pub comments: u64,
}

/// Where the document goes: pieces of JSON of about [`PIECE`] bytes, in order.
pub struct Out {
    tx: tokio::sync::mpsc::Sender<Vec<u8>>,
    buf: Vec<u8>,
    /// Whether the open list has no item yet.
    empty: bool,
}

impl Out {
    pub fn new(tx: tokio::sync::mpsc::Sender<Vec<u8>>) -> Self {
        Self {
            tx,
            buf: Vec::with_capacity(PIECE * 2),
            empty: true,
        }
    }

    async fn text(&mut self, s: &str) -> AppResult<()> {
        self.buf.extend_from_slice(s.as_bytes());
        self.flush_if_full().await
    }

    /// `"name":` and the value, after what came before.
    async fn field(&mut self, name: &str, value: &impl Serialize) -> AppResult<()> {
        self.buf
            .extend_from_slice(format!("\"{name}\":").as_bytes());
        serde_json::to_writer(&mut self.buf, value).map_err(|_| AppError::internal())?;
        self.buf.push(b',');
        self.flush_if_full().await
    }

    /// Opens the list `name`.
    async fn open(&mut self, name: &str) -> AppResult<()> {
        self.empty = true;
        self.text(&format!("\"{name}\":[")).await
    }

    /// One item of the open list, on a line of its own.
    async fn item(&mut self, value: &impl Serialize) -> AppResult<()> {
        self.buf
            .extend_from_slice(if self.empty { b"\n" } else { b",\n" });
        self.empty = false;
        serde_json::to_writer(&mut self.buf, value).map_err(|_| AppError::internal())?;
        self.flush_if_full().await
    }

    /// Closes the open list (`last`: and the document).
    async fn close(&mut self, last: bool) -> AppResult<()> {
        let end = match (self.empty, last) {
            (true, false) => "],",
            (true, true) => "]}\n",
            (false, false) => "\n],\n",
            (false, true) => "\n]}\n",
        };
        self.text(end).await
    }

    async fn flush_if_full(&mut self) -> AppResult<()> {
        if self.buf.len() >= PIECE {
            self.flush().await?;
        }
        Ok(())
    }

    /// Hands on what has gathered. A receiver that has gone (the client hung up) ends the
    /// export.
    pub async fn flush(&mut self) -> AppResult<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let piece = std::mem::replace(&mut self.buf, Vec::with_capacity(PIECE * 2));
        self.tx.send(piece).await.map_err(|_| AppError::Internal {
            message: "the export's reader went away".into(),
        })
    }
}

/// Writes the whole data set to `out` as one `hindsight/v1` document: settings, users, then
/// the incidents, known errors, actions and comments, each in key order.
pub(super) async fn write_all(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    progress: &dyn Progress,
    out: &mut Out,
) -> AppResult<Written> {
    let mut org = settings::load(db).await?;
    // Such addresses often carry a secret: never in an export.
    org.reminder_webhook_url = None;
    out.text("{").await?;
    out.field("format", &FORMAT).await?;
    out.field("exported_at", &now).await?;
    out.field("settings", &org).await?;
    let mut n = Written::default();
    let email = write_users(db, progress, out, &mut n).await?;
    write_incidents(db, &email, progress, out, &mut n).await?;
    write_known_errors(db, &email, progress, out, &mut n).await?;
    write_actions(db, &email, progress, out, &mut n).await?;
    write_comments(db, &email, progress, out, &mut n).await?;
    out.flush().await?;
    Ok(n)
}

/// The comments, oldest first, numbered 1, 2, … in that order; replies name their thread
/// by its number (threads are one level deep, so only the top-level numbers are kept).
async fn write_comments(
    db: &impl ConnectionTrait,
    email: &HashMap<i64, String>,
    progress: &dyn Progress,
    out: &mut Out,
    n: &mut Written,
) -> AppResult<()> {
    progress.phase("writing comments", 0);
    out.open("comments").await?;
    let mut thread: HashMap<i64, i64> = HashMap::new();
    let mut batches = Batches::<comment::Entity>::new(comment::Column::Id, |c| c.id, BATCH);
    while let Some(rows) = batches.next(db, comment::Entity::find()).await? {
        for c in rows {
            n.comments += 1;
            let number = n.comments as i64;
            if c.parent_id.is_none() {
                thread.insert(c.id, number);
            }
            out.item(&CommentRecord {
                id: number,
                record_type: c.record_type,
                record: c.record_key,
                parent: c.parent_id.and_then(|p| thread.get(&p).copied()),
                author: who(email, Some(c.author_id)).unwrap_or_default(),
                body: c.body,
                quote: c.quote,
                resolved: c.resolved,
                created_at: from_ms(c.created_at),
                edited_at: c.edited_at.map(from_ms),
                deleted_at: c.deleted_at.map(from_ms),
            })
            .await?;
        }
    }
    out.close(true).await
}

/// The e-mail of a user id.
fn who(email: &HashMap<i64, String>, id: Option<i64>) -> Option<String> {
    id.and_then(|i| email.get(&i).cloned())
}

/// The users, and every user's e-mail by id (what every other record names people by).
async fn write_users(
    db: &impl ConnectionTrait,
    progress: &dyn Progress,
    out: &mut Out,
    n: &mut Written,
) -> AppResult<HashMap<i64, String>> {
    progress.phase("writing users", 0);
    let rows = user::Entity::find()
        .order_by_asc(user::Column::Email)
        .all(db)
        .await?;
    out.open("users").await?;
    for u in &rows {
        n.users += 1;
        out.item(&UserRecord {
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role,
            active: u.active,
        })
        .await?;
    }
    out.close(false).await?;
    Ok(rows.into_iter().map(|u| (u.id, u.email)).collect())
}

/// The incidents with their services, tags, roles, timelines, postmortems and alerts, a page
/// at a time.
async fn write_incidents(
    db: &impl ConnectionTrait,
    email: &HashMap<i64, String>,
    progress: &dyn Progress,
    out: &mut Out,
    n: &mut Written,
) -> AppResult<()> {
    progress.phase("writing incidents", 0);
    let hooks: HashMap<i64, String> = hook::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.id, h.name))
        .collect();
    out.open("incidents").await?;
    let mut batches = Batches::<incident::Entity>::new(incident::Column::Seq, |i| i.seq, BATCH);
    while let Some(page) = batches.next(db, incident::Entity::find()).await? {
        let ids: Vec<i64> = page.iter().map(|i| i.id).collect();
        let mut services = Children::read(
            db,
            incident_service::Entity::find().order_by_asc(incident_service::Column::Service),
            incident_service::Column::IncidentId,
            &ids,
            |s| s.incident_id,
        )
        .await?;
        let mut tags = Children::read(
            db,
            incident_tag::Entity::find().order_by_asc(incident_tag::Column::Tag),
            incident_tag::Column::IncidentId,
            &ids,
            |t| t.incident_id,
        )
        .await?;
        let mut roles = Children::read(
            db,
            incident_role::Entity::find(),
            incident_role::Column::IncidentId,
            &ids,
            |r| r.incident_id,
        )
        .await?;
        let mut events = Children::read(
            db,
            timeline_event::Entity::find()
                .order_by_asc(timeline_event::Column::OccurredAt)
                .order_by_asc(timeline_event::Column::Id),
            timeline_event::Column::IncidentId,
            &ids,
            |e| e.incident_id,
        )
        .await?;
        let mut pms = postmortems_of(db, email, &ids).await?;
        let mut alerts = Children::read(
            db,
            alert::Entity::find().order_by_asc(alert::Column::Id),
            alert::Column::IncidentId,
            &ids,
            |a| a.incident_id.unwrap_or_default(),
        )
        .await?;
        for i in page {
            n.incidents += 1;
            let record = IncidentRecord {
                services: services.take(i.id).map(|s| s.service).collect(),
                tags: tags.take(i.id).map(|t| t.tag).collect(),
                roles: roles
                    .take(i.id)
                    .filter_map(|r| Some((r.role, email.get(&r.user_id)?.clone())))
                    .collect::<BTreeMap<_, _>>(),
                timeline: events
                    .take(i.id)
                    .map(|e| EventRecord {
                        occurred_at: from_ms(e.occurred_at),
                        kind: e.kind,
                        body: e.body,
                        visibility: e.visibility,
                        author: who(email, e.author_id),
                        created_at: Some(from_ms(e.created_at)),
                    })
                    .collect(),
                postmortem: pms.remove(&i.id),
                alerts: alerts.take(i.id).map(|a| alert_record(a, &hooks)).collect(),
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
            };
            out.item(&record).await?;
        }
        progress.advance(n.incidents);
    }
    out.close(false).await
}

/// An alert as exported, with its hook's name.
fn alert_record(a: alert::Model, hooks: &HashMap<i64, String>) -> AlertRecord {
    let map = |s: &str| serde_json::from_str::<BTreeMap<String, String>>(s).unwrap_or_default();
    AlertRecord {
        source: a.source,
        hook: a.hook_id.and_then(|h| hooks.get(&h).cloned()),
        labels: map(&a.labels),
        annotations: map(&a.annotations),
        fingerprint: a.fingerprint,
        group_key: a.group_key,
        status: a.status,
        summary: a.summary,
        url: a.url,
        starts_at: from_ms(a.starts_at),
        first_seen_at: from_ms(a.first_seen_at),
        last_seen_at: from_ms(a.last_seen_at),
        resolved_at: a.resolved_at.map(from_ms),
    }
}

/// The postmortems of incidents `ids` by incident id, with their reviewers and approvals.
async fn postmortems_of(
    db: &impl ConnectionTrait,
    email: &HashMap<i64, String>,
    ids: &[i64],
) -> AppResult<HashMap<i64, PostmortemRecord>> {
    let rows = postmortem::Entity::find()
        .filter(postmortem::Column::IncidentId.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let mut reviewers = Children::of(
        postmortem_reviewer::Entity::find()
            .filter(postmortem_reviewer::Column::PostmortemId.is_in(rows.iter().map(|p| p.id)))
            .all(db)
            .await?,
        |r| r.postmortem_id,
    );
    let mut pms = HashMap::new();
    for p in rows {
        let mut revs: Vec<(String, Option<i64>)> = reviewers
            .take(p.id)
            .filter_map(|r| Some((email.get(&r.user_id)?.clone(), r.approved_at)))
            .collect();
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

/// The known errors with their services and incident links, a page at a time.
async fn write_known_errors(
    db: &impl ConnectionTrait,
    email: &HashMap<i64, String>,
    progress: &dyn Progress,
    out: &mut Out,
    n: &mut Written,
) -> AppResult<()> {
    progress.phase("writing known errors", 0);
    out.open("known_errors").await?;
    let mut batches =
        Batches::<known_error::Entity>::new(known_error::Column::Seq, |k| k.seq, BATCH);
    while let Some(page) = batches.next(db, known_error::Entity::find()).await? {
        let ids: Vec<i64> = page.iter().map(|k| k.id).collect();
        let mut services = Children::read(
            db,
            known_error_service::Entity::find().order_by_asc(known_error_service::Column::Service),
            known_error_service::Column::KnownErrorId,
            &ids,
            |s| s.known_error_id,
        )
        .await?;
        let links = known_error_incident::Entity::find()
            .filter(known_error_incident::Column::KnownErrorId.is_in(ids))
            .all(db)
            .await?;
        let keys =
            lookup::keys::<incident::Entity, _>(db, links.iter().map(|l| l.incident_id)).await?;
        let mut links = Children::of(links, |l| l.known_error_id);
        for k in page {
            n.known_errors += 1;
            let mut linked: Vec<(i64, String)> = links
                .take(k.id)
                .filter_map(|l| {
                    let key = keys.get(&l.incident_id)?;
                    let seq = RecordKey::parse_as(KeyKind::Incident, key).map_or(0, |r| r.seq);
                    Some((seq, key.clone()))
                })
                .collect();
            linked.sort();
            let record = KnownErrorRecord {
                services: services.take(k.id).map(|s| s.service).collect(),
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
            };
            out.item(&record).await?;
        }
    }
    out.close(false).await
}

/// The actions with their verification history, a page at a time.
async fn write_actions(
    db: &impl ConnectionTrait,
    email: &HashMap<i64, String>,
    progress: &dyn Progress,
    out: &mut Out,
    n: &mut Written,
) -> AppResult<()> {
    progress.phase("writing actions", 0);
    out.open("actions").await?;
    let mut batches = Batches::<action::Entity>::new(action::Column::Seq, |a| a.seq, BATCH);
    while let Some(page) = batches.next(db, action::Entity::find()).await? {
        let ids: Vec<i64> = page.iter().map(|a| a.id).collect();
        let mut history = Children::read(
            db,
            action_verification::Entity::find().order_by_asc(action_verification::Column::Id),
            action_verification::Column::ActionId,
            &ids,
            |v| v.action_id,
        )
        .await?;
        let inc_key =
            lookup::keys::<incident::Entity, _>(db, page.iter().filter_map(|a| a.incident_id))
                .await?;
        let ke_key = lookup::keys::<known_error::Entity, _>(
            db,
            page.iter().filter_map(|a| a.known_error_id),
        )
        .await?;
        for a in page {
            n.actions += 1;
            let record = ActionRecord {
                incident: a.incident_id.and_then(|i| inc_key.get(&i.0).cloned()),
                known_error: a.known_error_id.and_then(|k| ke_key.get(&k.0).cloned()),
                owner: who(email, a.owner_id.map(i64::from)),
                verified_by: who(email, a.verified_by.map(i64::from)),
                created_by: who(email, a.created_by),
                verifications: history
                    .take(a.id)
                    .map(|v| VerificationRecord {
                        verified_by: who(email, Some(v.verified_by)).unwrap_or_default(),
                        verified_at: from_ms(v.verified_at),
                        result: v.result,
                        evidence: v.evidence,
                    })
                    .collect(),
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
            };
            out.item(&record).await?;
        }
        progress.advance(n.actions);
    }
    out.close(false).await
}
