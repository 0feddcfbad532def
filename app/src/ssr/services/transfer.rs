//! Export and import of the whole data set (`hindsight/v1`). Export reads each table with one
//! query and groups children in memory; import checks every record first (all problems at
//! once), then writes everything in one transaction with multi-row inserts, into a database
//! that holds no incidents, known errors or actions yet.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};
use serde::Deserialize;

use crate::domain::authz::Op;
use crate::domain::incident::{KeyTimes, check_title};
use crate::domain::known_error::check_status;
use crate::domain::{
    ActionStatus, IncidentStatus, KeyKind, PostmortemStatus, RecordKey, VerificationResult,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::model::{Approval, PostmortemInput};
use crate::ssr::audit;
use crate::ssr::auth::{Actor, normalise_email};
use crate::ssr::entities::{
    action, action_verification, incident, incident_role, incident_service, incident_tag,
    key_counter, known_error, known_error_incident, known_error_service, known_error_term,
    postmortem, postmortem_reviewer, setting, timeline_event, user,
};
use crate::ssr::services::{actions, check_text, incident_write, known_errors, postmortems, users};
use crate::ssr::settings::{self, OrgSettings};
use crate::ssr::similarity::Analyzer;
use crate::ssr::{from_ms, to_ms};
use crate::transfer::{
    ActionRecord, Document, EventRecord, FORMAT, ImportSummary, IncidentRecord, KnownErrorRecord,
    PostmortemRecord, UserRecord, VerificationRecord,
};

/// Longest incident summary or customer impact, in characters.
pub const MAX_INCIDENT_TEXT: usize = 200_000;
/// Longest timeline event body, in characters.
pub const MAX_EVENT_BODY: usize = 50_000;

/// Rows per multi-row insert: the widest table (actions, 36 columns) stays far below
/// SQLite's 32 766 and PostgreSQL's 65 535 bound parameters.
const CHUNK: usize = 500;

/// Where a long export or import reports how far it got (the CLI draws it; the API ignores it).
pub trait Progress: Sync {
    /// A new phase of `total` steps (0: unknown) begins.
    fn phase(&self, _name: &str, _total: u64) {}
    /// `done` steps of the current phase are finished.
    fn advance(&self, _done: u64) {}
}

/// Reports nothing.
pub struct Quiet;
impl Progress for Quiet {}

// ---------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------

/// The whole data set (admins only), read in one transaction so it is consistent.
pub async fn export<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> AppResult<Document> {
    actor.require(Op::Administer)?;
    let txn = db.begin().await?;
    let doc = read_all(&txn, now, progress).await?;
    txn.commit().await?;
    Ok(doc)
}

async fn read_all(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> AppResult<Document> {
    let mut org = settings::load(db).await?;
    // Such addresses often carry a secret: never in an export.
    org.reminder_webhook_url = None;

    progress.phase("reading users", 0);
    let user_rows = user::Entity::find()
        .order_by_asc(user::Column::Email)
        .all(db)
        .await?;
    let email: HashMap<i64, String> = user_rows.iter().map(|u| (u.id, u.email.clone())).collect();
    let who = |id: Option<i64>| id.and_then(|i| email.get(&i).cloned());
    let users: Vec<UserRecord> = user_rows
        .iter()
        .map(|u| UserRecord {
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role,
            active: u.active,
        })
        .collect();

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
            author: who(e.author_id),
            created_at: Some(from_ms(e.created_at)),
        });
    }
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
            p.incident_id,
            PostmortemRecord {
                status: p.status,
                body: p.body,
                root_cause_category: p.root_cause_category,
                root_cause: p.root_cause,
                five_whys: postmortems::decode_list(&p.five_whys),
                contributing_factors: postmortems::decode_list(&p.contributing_factors),
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
    let incidents: Vec<IncidentRecord> = incidents
        .into_iter()
        .map(|i| IncidentRecord {
            services: services.remove(&i.id).unwrap_or_default(),
            tags: tags.remove(&i.id).unwrap_or_default(),
            roles: roles.remove(&i.id).unwrap_or_default(),
            timeline: events.remove(&i.id).unwrap_or_default(),
            postmortem: pms.remove(&i.id),
            commander: who(i.commander_id),
            created_by: who(i.created_by),
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
                created_by: who(k.created_by),
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
                verified_by: who(Some(v.verified_by)).unwrap_or_default(),
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
            incident: a.incident_id.and_then(|i| inc_key.get(&i).cloned()),
            known_error: a.known_error_id.and_then(|k| ke_key.get(&k).cloned()),
            owner: who(a.owner_id),
            verified_by: who(a.verified_by),
            created_by: who(a.created_by),
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

    Ok(Document {
        format: FORMAT.to_owned(),
        exported_at: Some(now),
        settings: Some(org),
        users,
        incidents,
        known_errors,
        actions,
    })
}

// ---------------------------------------------------------------------------------------
// Reading and checking an import
// ---------------------------------------------------------------------------------------

/// The document's top level, records still untyped: each is read on its own so that every
/// malformed record is reported, not just the first.
#[derive(Deserialize)]
struct RawDocument {
    format: Option<serde_json::Value>,
    #[serde(default)]
    settings: Option<serde_json::Value>,
    #[serde(default)]
    users: Vec<serde_json::Value>,
    #[serde(default)]
    incidents: Vec<serde_json::Value>,
    #[serde(default)]
    known_errors: Vec<serde_json::Value>,
    #[serde(default)]
    actions: Vec<serde_json::Value>,
}

/// Problems found so far, each naming its record and field.
#[derive(Default)]
struct Problems(Vec<FieldError>);

impl Problems {
    fn add(&mut self, record: &str, field: impl Into<String>, reason: impl Into<String>) {
        self.0.push(FieldError {
            record: Some(record.to_owned()),
            field: field.into(),
            message: reason.into(),
        });
    }

    /// The fields of a domain rule's 422 (or its message) under `record`, with `prefix`.
    fn rule(&mut self, record: &str, prefix: &str, e: AppError) {
        if e.fields().is_empty() {
            self.add(record, prefix.trim_end_matches('.'), e.to_string());
        }
        for f in e.fields() {
            self.add(record, format!("{prefix}{}", f.field), f.message.clone());
        }
    }

    fn text(&mut self, record: &str, field: &str, text: &str, max: usize) {
        let mut bad = Vec::new();
        check_text(&mut bad, field, text, max);
        for f in bad {
            self.add(record, f.field, f.message);
        }
    }
}

/// `incidents[3]` → the record's key when it has one.
fn label(v: &serde_json::Value, field: &str, list: &str, i: usize) -> String {
    v.get(field)
        .and_then(|k| k.as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{list}[{i}]"))
}

/// Reads one record; a value that does not fit is a problem naming its path.
fn typed<T: serde::de::DeserializeOwned>(
    v: &serde_json::Value,
    record: &str,
    problems: &mut Problems,
) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(v) {
        Ok(t) => Some(t),
        Err(e) => {
            let path = e.path().to_string();
            let text = e.inner().to_string();
            let named = ["missing field `", "unknown field `"]
                .iter()
                .find_map(|p| text.strip_prefix(p))
                .and_then(|r| r.split('`').next());
            let path = path.replace('[', ".").replace(']', "");
            let field = match (path.as_str(), named) {
                ("." | "" | "?", Some(n)) => n.to_owned(),
                ("." | "" | "?", None) => "record".to_owned(),
                (p, Some(n)) if text.starts_with("missing") => format!("{p}.{n}"),
                (p, _) => p.to_owned(),
            };
            problems.add(record, field, text);
            None
        }
    }
}

/// Adds a problem for every string holding NUL (PostgreSQL cannot store it).
fn find_nul(v: &serde_json::Value, record: &str, path: &str, problems: &mut Problems) {
    match v {
        serde_json::Value::String(s) if s.contains('\0') => {
            problems.add(record, path, "must not contain the NUL character");
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                find_nul(x, record, &format!("{path}.{i}"), problems);
            }
        }
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                find_nul(x, record, &p, problems);
            }
        }
        _ => {}
    }
}

/// A checked document, ready to write: keys parsed, e-mails normalised, defaults filled.
struct Plan {
    settings: Option<OrgSettings>,
    users: Vec<UserRecord>,
    incidents: Vec<(i64, IncidentRecord)>,
    known_errors: Vec<(i64, KnownErrorRecord)>,
    actions: Vec<(i64, ActionRecord)>,
}

/// People a record may name: the document's users and those already in the database.
struct People<'a> {
    known: &'a HashSet<String>,
}

impl People<'_> {
    fn check(&self, p: &mut Problems, record: &str, field: &str, email: &mut String) -> bool {
        *email = normalise_email(email);
        if self.known.contains(email.as_str()) {
            true
        } else {
            p.add(
                record,
                field,
                format!("no user with the e-mail {email} in the document or the database"),
            );
            false
        }
    }
    fn check_opt(&self, p: &mut Problems, record: &str, field: &str, email: &mut Option<String>) {
        if let Some(e) = email {
            if e.trim().is_empty() {
                *email = None;
            } else {
                self.check(p, record, field, e);
            }
        }
    }
}

/// Parses a key of `kind`, refusing malformed and repeated ones.
fn parse_key(
    p: &mut Problems,
    kind: KeyKind,
    key: &str,
    seen: &mut HashSet<i64>,
) -> Option<RecordKey> {
    let Some(k) = RecordKey::parse_as(kind, key) else {
        p.add(
            key,
            "key",
            format!("`{key}` is not a key like {}-1", kind.prefix()),
        );
        return None;
    };
    if !seen.insert(k.seq) {
        p.add(key, "key", format!("{k} appears more than once"));
        return None;
    }
    Some(k)
}

fn check_names(p: &mut Problems, record: &str, field: &str, list: &mut Vec<String>) {
    match incident_write::names(field, list) {
        Ok(clean) => *list = clean,
        Err(e) => p.rule(record, "", e),
    }
}

/// Checks every record against the SPEC's rules; all problems at once.
fn check(raw: RawDocument, existing: &HashSet<String>) -> Result<Plan, Vec<FieldError>> {
    let mut p = Problems::default();
    match raw.format.as_ref().and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        Some(other) => p.add(
            "document",
            "format",
            format!("`{other}` is not a format this server reads; it reads {FORMAT}"),
        ),
        None => p.add("document", "format", format!("is required ({FORMAT})")),
    }
    if !p.0.is_empty() {
        return Err(p.0);
    }
    let settings: Option<OrgSettings> = raw.settings.as_ref().and_then(|v| {
        find_nul(v, "settings", "settings", &mut p);
        let mut s: OrgSettings = typed(v, "settings", &mut p)?;
        s.holidays.sort_unstable();
        s.holidays.dedup();
        // Never taken from a file: such addresses carry secrets and the file may be old.
        s.reminder_webhook_url = None;
        if let Err(e) = s.validate() {
            p.rule("settings", "", e);
        }
        Some(s)
    });

    // Users first: everything else refers to them.
    let mut known = existing.clone();
    let mut users = Vec::new();
    let mut seen_users = HashSet::new();
    for (i, v) in raw.users.iter().enumerate() {
        let record = label(v, "email", "users", i);
        find_nul(v, &record, "", &mut p);
        let Some(mut u) = typed::<UserRecord>(v, &record, &mut p) else {
            continue;
        };
        match users::check_email(&u.email) {
            Ok(e) => u.email = e,
            Err(e) => {
                p.rule(&record, "", e);
                continue;
            }
        }
        match users::check_name(&u.name) {
            Ok(n) => u.name = n,
            Err(e) => p.rule(&record, "", e),
        }
        if !seen_users.insert(u.email.clone()) {
            p.add(&record, "email", "appears more than once");
            continue;
        }
        known.insert(u.email.clone());
        users.push(u);
    }
    let people = People { known: &known };

    // Keys present in the document, read before the records themselves so that a record that
    // fails to parse does not also make every link to it a problem.
    let keys_of = |list: &[serde_json::Value], kind: KeyKind| -> HashSet<String> {
        list.iter()
            .filter_map(|v| v.get("key")?.as_str())
            .filter_map(|k| RecordKey::parse_as(kind, k))
            .map(|k| k.to_string())
            .collect()
    };
    let incident_keys = keys_of(&raw.incidents, KeyKind::Incident);
    let ke_keys = keys_of(&raw.known_errors, KeyKind::KnownError);

    // Incidents, their timelines and postmortems.
    let mut incidents = Vec::new();
    let mut seen = HashSet::new();
    for (i, v) in raw.incidents.iter().enumerate() {
        let record = label(v, "key", "incidents", i);
        find_nul(v, &record, "", &mut p);
        let Some(mut r) = typed::<IncidentRecord>(v, &record, &mut p) else {
            continue;
        };
        let Some(key) = parse_key(&mut p, KeyKind::Incident, &r.key, &mut seen) else {
            continue;
        };
        r.key = key.to_string();
        let record = r.key.clone();
        check_incident(&mut p, &people, &record, &mut r);
        incidents.push((key.seq, r));
    }

    let mut known_errors = Vec::new();
    let mut seen = HashSet::new();
    for (i, v) in raw.known_errors.iter().enumerate() {
        let record = label(v, "key", "known_errors", i);
        find_nul(v, &record, "", &mut p);
        let Some(mut r) = typed::<KnownErrorRecord>(v, &record, &mut p) else {
            continue;
        };
        let Some(key) = parse_key(&mut p, KeyKind::KnownError, &r.key, &mut seen) else {
            continue;
        };
        r.key = key.to_string();
        let record = r.key.clone();
        if let Err(e) = check_title(&r.title) {
            p.rule(&record, "", e);
        }
        for (field, text) in [
            ("symptoms", &r.symptoms),
            ("root_cause", &r.root_cause),
            ("workaround", &r.workaround),
        ] {
            p.text(&record, field, text, known_errors::MAX_TEXT);
        }
        r.fix_version = r
            .fix_version
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned);
        if r.fix_version
            .as_ref()
            .is_some_and(|v| v.chars().count() > known_errors::MAX_FIX_VERSION)
        {
            p.add(
                &record,
                "fix_version",
                format!(
                    "must be at most {} characters",
                    known_errors::MAX_FIX_VERSION
                ),
            );
        }
        if let Err(e) = check_status(r.status, r.fix_version.as_deref()) {
            p.rule(&record, "", e);
        }
        check_names(&mut p, &record, "services", &mut r.services);
        let mut linked = Vec::new();
        for (j, k) in r.incidents.iter().enumerate() {
            match RecordKey::parse_as(KeyKind::Incident, k) {
                Some(key) if incident_keys.contains(&key.to_string()) => {
                    linked.push(key);
                }
                _ => p.add(
                    &record,
                    format!("incidents.{j}"),
                    format!("no incident {k} in the document"),
                ),
            }
        }
        linked.sort_by_key(|k| k.seq);
        linked.dedup();
        r.incidents = linked.iter().map(ToString::to_string).collect();
        people.check_opt(&mut p, &record, "created_by", &mut r.created_by);
        known_errors.push((key.seq, r));
    }

    let mut actions = Vec::new();
    let mut seen = HashSet::new();
    for (i, v) in raw.actions.iter().enumerate() {
        let record = label(v, "key", "actions", i);
        find_nul(v, &record, "", &mut p);
        let Some(mut r) = typed::<ActionRecord>(v, &record, &mut p) else {
            continue;
        };
        let Some(key) = parse_key(&mut p, KeyKind::Action, &r.key, &mut seen) else {
            continue;
        };
        r.key = key.to_string();
        let record = r.key.clone();
        check_action(&mut p, &people, &record, &mut r, &incident_keys, &ke_keys);
        actions.push((key.seq, r));
    }

    if !p.0.is_empty() {
        return Err(p.0);
    }
    incidents.sort_by_key(|(s, _)| *s);
    known_errors.sort_by_key(|(s, _)| *s);
    actions.sort_by_key(|(s, _)| *s);
    Ok(Plan {
        settings,
        users,
        incidents,
        known_errors,
        actions,
    })
}

fn check_incident(p: &mut Problems, people: &People<'_>, record: &str, r: &mut IncidentRecord) {
    if let Err(e) = check_title(&r.title) {
        p.rule(record, "", e);
    }
    r.title = r.title.trim().to_owned();
    p.text(record, "summary", &r.summary, MAX_INCIDENT_TEXT);
    p.text(
        record,
        "customer_impact",
        &r.customer_impact,
        MAX_INCIDENT_TEXT,
    );
    check_names(p, record, "services", &mut r.services);
    check_names(p, record, "tags", &mut r.tags);
    people.check_opt(p, record, "commander", &mut r.commander);
    people.check_opt(p, record, "created_by", &mut r.created_by);
    let mut roles = BTreeMap::new();
    for (role, email) in std::mem::take(&mut r.roles) {
        let name = role.trim().to_owned();
        if name.is_empty() || name.chars().count() > 50 {
            p.add(record, "roles", "role names must be 1 to 50 characters");
            continue;
        }
        let mut email = email;
        people.check(p, record, &format!("roles.{name}"), &mut email);
        roles.insert(name, email);
    }
    r.roles = roles;
    if r.reopen_count < 0 {
        p.add(record, "reopen_count", "must not be negative");
    }
    let times = KeyTimes {
        started_at: r.started_at,
        detected_at: Some(r.detected_at),
        acknowledged_at: r.acknowledged_at,
        mitigated_at: r.mitigated_at,
        resolved_at: r.resolved_at,
        closed_at: r.closed_at,
    };
    if let Err(e) = times.check_order(&[]) {
        p.rule(record, "", e);
    }
    let resolvedish = matches!(r.status, IncidentStatus::Resolved | IncidentStatus::Closed);
    if resolvedish && r.resolved_at.is_none() {
        p.add(
            record,
            "resolved_at",
            format!("is required while the incident is {}", r.status),
        );
    }
    if !resolvedish && r.resolved_at.is_some() {
        p.add(
            record,
            "resolved_at",
            format!("cannot be set while the incident is {}", r.status),
        );
    }
    if r.status == IncidentStatus::Closed && r.closed_at.is_none() {
        p.add(
            record,
            "closed_at",
            "is required while the incident is closed",
        );
    }
    if r.status != IncidentStatus::Closed && r.closed_at.is_some() {
        p.add(
            record,
            "closed_at",
            format!("cannot be set while the incident is {}", r.status),
        );
    }
    if r.status == IncidentStatus::Closed
        && r.severity.requires_postmortem()
        && r.postmortem.as_ref().map(|pm| pm.status) != Some(PostmortemStatus::Published)
    {
        p.add(
            record,
            "status",
            format!(
                "a {} incident can be closed only once its postmortem is published",
                r.severity
            ),
        );
    }
    let created = r.created_at.unwrap_or(r.detected_at);
    r.created_at = Some(created);
    r.updated_at = Some(r.updated_at.unwrap_or(created));
    r.rca_due_at = None;
    for (j, e) in r.timeline.iter_mut().enumerate() {
        let rec = format!("{record} timeline[{j}]");
        p.text(&rec, "body", &e.body, MAX_EVENT_BODY);
        people.check_opt(p, &rec, "author", &mut e.author);
        e.created_at = Some(e.created_at.unwrap_or(e.occurred_at));
    }
    if let Some(pm) = r.postmortem.as_mut() {
        let rec = format!("{record} postmortem");
        check_postmortem(p, people, &rec, pm, created);
    }
}

fn check_postmortem(
    p: &mut Problems,
    people: &People<'_>,
    record: &str,
    pm: &mut PostmortemRecord,
    incident_created: DateTime<Utc>,
) {
    let input = PostmortemInput {
        body: Some(pm.body.clone()),
        root_cause: Some(pm.root_cause.clone()),
        five_whys: Some(pm.five_whys.clone()),
        contributing_factors: Some(pm.contributing_factors.clone()),
        reviewers: Some(pm.reviewers.clone()),
        ..Default::default()
    };
    if let Err(e) = postmortems::validate(&input) {
        p.rule(record, "", e);
    }
    pm.contributing_factors = postmortems::clean_factors(&pm.contributing_factors);
    if pm.status == PostmortemStatus::Published {
        if pm.root_cause_category.is_none() {
            p.add(record, "root_cause_category", "is required to publish");
        }
        if pm.root_cause.trim().is_empty() {
            p.add(record, "root_cause", "is required to publish");
        }
        if pm.published_at.is_none() {
            p.add(record, "published_at", "is required when published");
        }
    } else if pm.published_at.is_some() {
        p.add(
            record,
            "published_at",
            format!("cannot be set while the postmortem is {}", pm.status),
        );
    }
    let mut reviewers = Vec::new();
    for (j, e) in pm.reviewers.iter().enumerate() {
        let mut e = e.clone();
        if people.check(p, record, &format!("reviewers.{j}"), &mut e) {
            reviewers.push(e);
        }
    }
    reviewers.sort();
    reviewers.dedup();
    pm.reviewers = reviewers;
    for (j, a) in pm.approvals.iter_mut().enumerate() {
        a.reviewer = normalise_email(&a.reviewer);
        if !pm.reviewers.contains(&a.reviewer) {
            p.add(
                record,
                format!("approvals.{j}.reviewer"),
                format!("{} is not among the reviewers", a.reviewer),
            );
        }
    }
    pm.approvals.sort_by(|a, b| a.reviewer.cmp(&b.reviewer));
    pm.approvals.dedup_by(|a, b| a.reviewer == b.reviewer);
    let created = pm.created_at.unwrap_or(incident_created);
    pm.created_at = Some(created);
    pm.updated_at = Some(pm.updated_at.unwrap_or(created));
    pm.due_at = None;
}

fn check_action(
    p: &mut Problems,
    people: &People<'_>,
    record: &str,
    r: &mut ActionRecord,
    incidents: &HashSet<String>,
    known_errors: &HashSet<String>,
) {
    use ActionStatus::*;
    if let Err(e) = check_title(&r.title) {
        p.rule(record, "", e);
    }
    r.title = r.title.trim().to_owned();
    p.text(record, "description", &r.description, actions::MAX_TEXT);
    p.text(
        record,
        "verification_plan",
        &r.verification_plan,
        actions::MAX_TEXT,
    );
    for (field, v) in [
        ("verification_evidence", &r.verification_evidence),
        ("cancelled_reason", &r.cancelled_reason),
    ] {
        if let Some(t) = v {
            p.text(record, field, t, actions::MAX_TEXT);
        }
    }
    let mut bad = Vec::new();
    actions::check_url(&mut bad, r.external_url.as_deref());
    for f in bad {
        p.add(record, f.field, f.message);
    }
    let clean = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    r.external_url = clean(&r.external_url);
    r.team = clean(&r.team);
    if r.team.as_ref().is_some_and(|t| t.chars().count() > 100) {
        p.add(record, "team", "must be at most 100 characters");
    }
    if let Some(k) = &r.incident {
        match RecordKey::parse_as(KeyKind::Incident, k) {
            Some(key) if incidents.contains(&key.to_string()) => r.incident = Some(key.to_string()),
            _ => p.add(
                record,
                "incident",
                format!("no incident {k} in the document"),
            ),
        }
    }
    if let Some(k) = &r.known_error {
        match RecordKey::parse_as(KeyKind::KnownError, k) {
            Some(key) if known_errors.contains(&key.to_string()) => {
                r.known_error = Some(key.to_string());
            }
            _ => p.add(
                record,
                "known_error",
                format!("no known error {k} in the document"),
            ),
        }
    }
    people.check_opt(p, record, "owner", &mut r.owner);
    people.check_opt(p, record, "created_by", &mut r.created_by);
    people.check_opt(p, record, "verified_by", &mut r.verified_by);
    if r.reopen_count < 0 {
        p.add(record, "reopen_count", "must not be negative");
    }
    r.verification_required = Some(
        r.verification_required
            .unwrap_or_else(|| r.kind.verification_required_by_default()),
    );

    // What each status carries, as the transitions leave it.
    let verified_fields = r.verified_at.is_some()
        || r.verified_by.is_some()
        || r.verification_result.is_some()
        || r.verification_evidence.is_some();
    match r.status {
        Open | InProgress => {
            if r.completed_at.is_some() {
                p.add(
                    record,
                    "completed_at",
                    format!("cannot be set while the action is {}", r.status),
                );
            }
        }
        Done | Verified => {
            if r.completed_at.is_none() {
                p.add(
                    record,
                    "completed_at",
                    format!("is required while the action is {}", r.status),
                );
            }
        }
        Cancelled => {}
    }
    if r.status == Cancelled {
        if r.cancelled_reason
            .as_deref()
            .is_none_or(|c| c.trim().is_empty())
        {
            p.add(record, "cancelled_reason", "is required to cancel");
        }
    } else if r.cancelled_reason.is_some() {
        p.add(
            record,
            "cancelled_reason",
            format!("cannot be set while the action is {}", r.status),
        );
    }
    if r.status == Verified {
        if r.verified_at.is_none() {
            p.add(record, "verified_at", "is required while verified");
        }
        match &r.verified_by {
            None => p.add(record, "verified_by", "is required while verified"),
            Some(v) if r.owner.as_ref() == Some(v) => p.add(
                record,
                "verified_by",
                "four-eyes rule: an action must be verified by someone other than its owner",
            ),
            Some(_) => {}
        }
        match r.verification_result {
            None => p.add(
                record,
                "verification_result",
                "is required while verified (effective)",
            ),
            Some(VerificationResult::NotEffective) => p.add(
                record,
                "verification_result",
                "a verified action's result is effective (not_effective reopens it)",
            ),
            Some(VerificationResult::Effective) => {}
        }
        if r.verification_evidence
            .as_deref()
            .is_none_or(|e| e.trim().is_empty())
        {
            p.add(
                record,
                "verification_evidence",
                "is required while verified",
            );
        }
    } else if verified_fields {
        let field = if r.verified_at.is_some() {
            "verified_at"
        } else if r.verified_by.is_some() {
            "verified_by"
        } else if r.verification_result.is_some() {
            "verification_result"
        } else {
            "verification_evidence"
        };
        p.add(
            record,
            field,
            format!("cannot be set while the action is {}", r.status),
        );
    }
    for (j, v) in r.verifications.iter_mut().enumerate() {
        let field = format!("verifications.{j}");
        if people.check(
            p,
            record,
            &format!("{field}.verified_by"),
            &mut v.verified_by,
        ) && r.owner.as_ref() == Some(&v.verified_by)
        {
            p.add(
                record,
                format!("{field}.verified_by"),
                "four-eyes rule: an action must be verified by someone other than its owner",
            );
        }
        if v.evidence.trim().is_empty() {
            p.add(record, format!("{field}.evidence"), "is required");
        }
        p.text(
            record,
            &format!("{field}.evidence"),
            &v.evidence,
            actions::MAX_TEXT,
        );
    }
    if let (Some(c), Some(v)) = (r.completed_at, r.verified_at)
        && v < c
    {
        p.add(record, "verified_at", "must not be before completed_at");
    }
    let created = r.created_at.unwrap_or_else(|| {
        [r.completed_at, r.verified_at]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or_else(Utc::now)
            .min(Utc::now())
    });
    if r.completed_at.is_some_and(|c| c < created) {
        p.add(record, "completed_at", "must not be before created_at");
    }
    r.created_at = Some(created);
    r.updated_at = Some(r.updated_at.unwrap_or(created));
}

// ---------------------------------------------------------------------------------------
// Writing an import
// ---------------------------------------------------------------------------------------

/// Imports a `hindsight/v1` document (admins only) into a database without incidents, known
/// errors or actions: 409 otherwise. Every bad record is reported at once (422) and then
/// nothing is written; else everything is written in one transaction.
pub async fn import<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    bytes: &[u8],
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> AppResult<ImportSummary> {
    actor.require(Op::Administer)?;
    ensure_empty(db).await?;
    progress.phase("reading the document", 0);
    let raw: RawDocument = match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(v) => match serde_path_to_error::deserialize::<_, RawDocument>(&v) {
            Ok(r) => r,
            Err(e) => {
                let path = e.path().to_string();
                return Err(AppError::invalid_many(vec![FieldError {
                    record: Some("document".into()),
                    field: if path == "." { "format".into() } else { path },
                    message: e.inner().to_string(),
                }]));
            }
        },
        Err(e) => {
            return Err(AppError::invalid_many(vec![FieldError {
                record: Some("document".into()),
                field: "body".into(),
                message: format!("is not JSON: {e}"),
            }]));
        }
    };
    let total =
        (raw.users.len() + raw.incidents.len() + raw.known_errors.len() + raw.actions.len()) as u64;
    progress.phase("validating records", total);
    let existing: HashSet<String> = user::Entity::find()
        .select_only()
        .column(user::Column::Email)
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let plan = check(raw, &existing).map_err(AppError::invalid_many)?;
    progress.advance(total);

    let txn = db.begin().await?;
    // Checked again inside the transaction: another import may have won the race.
    ensure_empty(&txn).await?;
    let summary = write(&txn, actor, plan, existing, now, progress).await?;
    progress.phase("committing", 0);
    txn.commit().await?;
    Ok(summary)
}

async fn ensure_empty(db: &impl ConnectionTrait) -> AppResult<()> {
    let n = incident::Entity::find().count(db).await?
        + known_error::Entity::find().count(db).await?
        + action::Entity::find().count(db).await?;
    if n > 0 {
        return Err(AppError::conflict(
            "the database already holds incidents, known errors or actions; import only into an empty database",
        ));
    }
    Ok(())
}

/// Multi-row inserts of `rows` in chunks, reporting progress.
/// Every row's id by another integer column (`seq`, or a postmortem's incident), in one
/// query: how the rows just inserted in bulk are found again.
async fn ids_by<E: EntityTrait>(
    _entity: E,
    by: E::Column,
    id: E::Column,
    txn: &impl ConnectionTrait,
) -> AppResult<HashMap<i64, i64>> {
    Ok(E::find()
        .select_only()
        .column(by)
        .column(id)
        .into_tuple::<(i64, i64)>()
        .all(txn)
        .await?
        .into_iter()
        .collect())
}

async fn insert_all<A>(
    txn: &impl ConnectionTrait,
    rows: Vec<A>,
    progress: &dyn Progress,
) -> AppResult<()>
where
    A: sea_orm::ActiveModelTrait + Clone,
{
    let mut done = 0u64;
    for chunk in rows.chunks(CHUNK) {
        <A::Entity as EntityTrait>::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
        done += chunk.len() as u64;
        progress.advance(done);
    }
    Ok(())
}

fn ms(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(to_ms)
}

async fn write(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    plan: Plan,
    existing: HashSet<String>,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> AppResult<ImportSummary> {
    let mut summary = ImportSummary::default();
    // Settings first: the dates derived below use them.
    let org = match &plan.settings {
        Some(s) => {
            write_settings(txn, actor, s, now).await?;
            s.clone()
        }
        None => settings::load(txn).await?,
    };
    let cal = org.calendar();
    let mut audit_rows: Vec<(&str, String)> = Vec::new();

    let new_users: Vec<user::ActiveModel> = plan
        .users
        .iter()
        .filter(|u| !existing.contains(&u.email))
        .map(|u| user::ActiveModel {
            email: Set(u.email.clone()),
            name: Set(u.name.clone()),
            role: Set(u.role),
            password_hash: Set(None),
            active: Set(u.active),
            created_at: Set(to_ms(now)),
            updated_at: Set(to_ms(now)),
            version: Set(1),
            ..Default::default()
        })
        .collect();
    summary.users_created = new_users.len();
    summary.users_existing = plan.users.len() - new_users.len();
    audit_rows.extend(
        plan.users
            .iter()
            .filter(|u| !existing.contains(&u.email))
            .map(|u| ("user", u.email.clone())),
    );
    progress.phase("writing users", new_users.len() as u64);
    insert_all(txn, new_users, progress).await?;
    let user_id: HashMap<String, i64> = user::Entity::find()
        .select_only()
        .column(user::Column::Email)
        .column(user::Column::Id)
        .into_tuple::<(String, i64)>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    let uid = |e: &Option<String>| e.as_ref().and_then(|e| user_id.get(e).copied());

    // Incidents.
    progress.phase("writing incidents", plan.incidents.len() as u64);
    let rows: Vec<incident::ActiveModel> = plan
        .incidents
        .iter()
        .map(|(seq, r)| incident::ActiveModel {
            key: Set(r.key.clone()),
            seq: Set(*seq),
            title: Set(r.title.clone()),
            severity: Set(r.severity),
            status: Set(r.status),
            summary: Set(r.summary.clone()),
            customer_impact: Set(r.customer_impact.clone()),
            commander_id: Set(uid(&r.commander)),
            started_at: Set(ms(r.started_at)),
            detected_at: Set(to_ms(r.detected_at)),
            acknowledged_at: Set(ms(r.acknowledged_at)),
            mitigated_at: Set(ms(r.mitigated_at)),
            resolved_at: Set(ms(r.resolved_at)),
            closed_at: Set(ms(r.closed_at)),
            reopen_count: Set(r.reopen_count),
            rca_due_at: Set(incident_write::rca_due(&org, r.severity, r.resolved_at)),
            created_by: Set(uid(&r.created_by)),
            created_at: Set(ms(r.created_at).unwrap_or(to_ms(now))),
            updated_at: Set(ms(r.updated_at).unwrap_or(to_ms(now))),
            version: Set(1),
            ..Default::default()
        })
        .collect();
    summary.incidents = rows.len();
    insert_all(txn, rows, progress).await?;
    let inc_id = ids_by(
        incident::Entity,
        incident::Column::Seq,
        incident::Column::Id,
        txn,
    )
    .await?;
    let inc_of = |key: &str| {
        RecordKey::parse_as(KeyKind::Incident, key).and_then(|k| inc_id.get(&k.seq).copied())
    };

    let mut services = Vec::new();
    let mut tags = Vec::new();
    let mut roles = Vec::new();
    let mut events = Vec::new();
    let mut pms = Vec::new();
    for (seq, r) in &plan.incidents {
        let Some(&id) = inc_id.get(seq) else {
            return Err(AppError::internal());
        };
        audit_rows.push(("incident", r.key.clone()));
        services.extend(r.services.iter().map(|s| incident_service::ActiveModel {
            incident_id: Set(id),
            service: Set(s.clone()),
        }));
        tags.extend(r.tags.iter().map(|t| incident_tag::ActiveModel {
            incident_id: Set(id),
            tag: Set(t.clone()),
        }));
        for (role, email) in &r.roles {
            if let Some(&u) = user_id.get(email) {
                roles.push(incident_role::ActiveModel {
                    incident_id: Set(id),
                    role: Set(role.clone()),
                    user_id: Set(u),
                });
            }
        }
        events.extend(r.timeline.iter().map(|e| timeline_event::ActiveModel {
            incident_id: Set(id),
            occurred_at: Set(to_ms(e.occurred_at)),
            kind: Set(e.kind),
            body: Set(e.body.clone()),
            visibility: Set(e.visibility),
            author_id: Set(uid(&e.author)),
            created_at: Set(ms(e.created_at).unwrap_or(to_ms(e.occurred_at))),
            ..Default::default()
        }));
        if let Some(pm) = &r.postmortem {
            audit_rows.push(("postmortem", r.key.clone()));
            pms.push(postmortem::ActiveModel {
                incident_id: Set(id),
                status: Set(pm.status),
                body: Set(pm.body.clone()),
                root_cause_category: Set(pm.root_cause_category),
                root_cause: Set(pm.root_cause.clone()),
                five_whys: Set(postmortems::encode(&pm.five_whys)?),
                contributing_factors: Set(postmortems::encode(&pm.contributing_factors)?),
                due_at: Set(incident_write::rca_due(&org, r.severity, r.resolved_at)),
                published_at: Set(ms(pm.published_at)),
                created_at: Set(ms(pm.created_at).unwrap_or(to_ms(now))),
                updated_at: Set(ms(pm.updated_at).unwrap_or(to_ms(now))),
                version: Set(1),
                ..Default::default()
            });
        }
    }
    progress.phase("writing incident services, tags and roles", 0);
    insert_all(txn, services, progress).await?;
    insert_all(txn, tags, progress).await?;
    insert_all(txn, roles, progress).await?;
    summary.timeline_events = events.len();
    progress.phase("writing timeline events", events.len() as u64);
    insert_all(txn, events, progress).await?;
    summary.postmortems = pms.len();
    progress.phase("writing postmortems", pms.len() as u64);
    insert_all(txn, pms, progress).await?;
    let pm_id = ids_by(
        postmortem::Entity,
        postmortem::Column::IncidentId,
        postmortem::Column::Id,
        txn,
    )
    .await?;
    let mut reviewers = Vec::new();
    for (seq, r) in &plan.incidents {
        let (Some(pm), Some(pid)) = (
            &r.postmortem,
            inc_id.get(seq).and_then(|i| pm_id.get(i)).copied(),
        ) else {
            continue;
        };
        let approved: HashMap<&str, DateTime<Utc>> = pm
            .approvals
            .iter()
            .map(|a| (a.reviewer.as_str(), a.approved_at))
            .collect();
        for e in &pm.reviewers {
            if let Some(&u) = user_id.get(e) {
                reviewers.push(postmortem_reviewer::ActiveModel {
                    postmortem_id: Set(pid),
                    user_id: Set(u),
                    approved_at: Set(approved.get(e.as_str()).map(|t| to_ms(*t))),
                });
            }
        }
    }
    insert_all(txn, reviewers, progress).await?;

    // Known errors and their suggestion index.
    progress.phase("writing known errors", plan.known_errors.len() as u64);
    let analyzer = Analyzer::default();
    let mut terms: Vec<(i64, BTreeMap<String, u32>)> = Vec::new();
    let rows: Vec<known_error::ActiveModel> = plan
        .known_errors
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
                created_by: Set(uid(&r.created_by)),
                created_at: Set(ms(r.created_at).unwrap_or(to_ms(now))),
                updated_at: Set(ms(r.updated_at).or(ms(r.created_at)).unwrap_or(to_ms(now))),
                version: Set(1),
                ..Default::default()
            }
        })
        .collect();
    summary.known_errors = rows.len();
    insert_all(txn, rows, progress).await?;
    let ke_id = ids_by(
        known_error::Entity,
        known_error::Column::Seq,
        known_error::Column::Id,
        txn,
    )
    .await?;
    let mut ke_services = Vec::new();
    let mut ke_links = Vec::new();
    let mut ke_terms = Vec::new();
    for (seq, r) in &plan.known_errors {
        let Some(&id) = ke_id.get(seq) else {
            return Err(AppError::internal());
        };
        audit_rows.push(("known_error", r.key.clone()));
        ke_services.extend(r.services.iter().map(|s| known_error_service::ActiveModel {
            known_error_id: Set(id),
            service: Set(s.clone()),
        }));
        for k in &r.incidents {
            if let Some(i) = inc_of(k) {
                ke_links.push(known_error_incident::ActiveModel {
                    known_error_id: Set(id),
                    incident_id: Set(i),
                    created_at: Set(ms(r.created_at).unwrap_or(to_ms(now))),
                    created_by: Set(actor.user_id().map(|u| u.0)),
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
    insert_all(txn, ke_services, progress).await?;
    insert_all(txn, ke_links, progress).await?;
    progress.phase("writing the known-error index", ke_terms.len() as u64);
    insert_all(txn, ke_terms, progress).await?;

    // Actions and their verification history.
    progress.phase("writing actions", plan.actions.len() as u64);
    let days = org.verification_days;
    let rows: Vec<action::ActiveModel> = plan
        .actions
        .iter()
        .map(|(seq, r)| {
            let required = r
                .verification_required
                .unwrap_or_else(|| r.kind.verification_required_by_default());
            let created = r.created_at.unwrap_or(now);
            let verification_due = r.verification_due.or_else(|| {
                (required && r.completed_at.is_some())
                    .then(|| {
                        r.completed_at
                            .map(|c| crate::domain::calendar::add_days(cal.date_of(c), days))
                    })
                    .flatten()
            });
            action::ActiveModel {
                key: Set(r.key.clone()),
                seq: Set(*seq),
                incident_id: Set(r.incident.as_deref().and_then(inc_of)),
                known_error_id: Set(r.known_error.as_deref().and_then(|k| {
                    RecordKey::parse_as(KeyKind::KnownError, k)
                        .and_then(|k| ke_id.get(&k.seq).copied())
                })),
                title: Set(r.title.clone()),
                description: Set(r.description.clone()),
                kind: Set(r.kind),
                priority: Set(r.priority),
                owner_id: Set(uid(&r.owner)),
                team: Set(r.team.clone()),
                due_date: Set(r.due_date),
                status: Set(r.status),
                completed_at: Set(ms(r.completed_at)),
                completed_on: Set(r.completed_at.map(|t| cal.date_of(t))),
                verification_required: Set(required),
                verification_plan: Set(r.verification_plan.clone()),
                verification_due: Set(verification_due),
                verified_at: Set(ms(r.verified_at)),
                verified_on: Set(r.verified_at.map(|t| cal.date_of(t))),
                verified_by: Set(uid(&r.verified_by)),
                verification_result: Set(r.verification_result),
                verification_evidence: Set(r.verification_evidence.clone()),
                cancelled_reason: Set(r.cancelled_reason.clone()),
                external_url: Set(r.external_url.clone()),
                reopen_count: Set(r.reopen_count),
                created_by: Set(uid(&r.created_by)),
                created_at: Set(to_ms(created)),
                created_on: Set(cal.date_of(created)),
                updated_at: Set(ms(r.updated_at).unwrap_or(to_ms(created))),
                version: Set(1),
                ..Default::default()
            }
        })
        .collect();
    summary.actions = rows.len();
    insert_all(txn, rows, progress).await?;
    let act_id = ids_by(action::Entity, action::Column::Seq, action::Column::Id, txn).await?;
    let mut history = Vec::new();
    for (seq, r) in &plan.actions {
        let Some(&id) = act_id.get(seq) else {
            return Err(AppError::internal());
        };
        audit_rows.push(("action", r.key.clone()));
        for v in &r.verifications {
            if let Some(&u) = user_id.get(&v.verified_by) {
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
    summary.verifications = history.len();
    progress.phase("writing verifications", history.len() as u64);
    insert_all(txn, history, progress).await?;

    // Key counters past the highest imported key of each kind: keys are never reused.
    for (kind, max) in [
        (KeyKind::Incident, plan.incidents.last().map(|(s, _)| *s)),
        (
            KeyKind::KnownError,
            plan.known_errors.last().map(|(s, _)| *s),
        ),
        (KeyKind::Action, plan.actions.last().map(|(s, _)| *s)),
    ] {
        if let Some(max) = max {
            key_counter::Entity::update_many()
                .col_expr(key_counter::Column::LastValue, Expr::value(max))
                .filter(key_counter::Column::Kind.eq(kind.prefix()))
                .filter(key_counter::Column::LastValue.lt(max))
                .exec(txn)
                .await?;
        }
    }

    progress.phase("writing the history", audit_rows.len() as u64);
    audit::record_many(txn, &actor.who(), now, "import", &audit_rows).await?;
    progress.advance(audit_rows.len() as u64);
    Ok(summary)
}

/// Stores every setting of the document (the reminder address aside) over what is there.
async fn write_settings(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    s: &OrgSettings,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let value = serde_json::to_value(s).map_err(|_| AppError::internal())?;
    let keys: Vec<&str> = OrgSettings::KEYS
        .iter()
        .copied()
        .filter(|k| *k != "reminder_webhook_url")
        .collect();
    setting::Entity::delete_many()
        .filter(setting::Column::Key.is_in(keys.clone()))
        .exec(txn)
        .await?;
    let rows: Vec<setting::ActiveModel> = keys
        .iter()
        .map(|k| setting::ActiveModel {
            key: Set((*k).to_owned()),
            value: Set(value[*k].to_string()),
            updated_at: Set(to_ms(now)),
            updated_by: Set(actor.user_id().map(|u| u.0)),
            version: Set(1),
        })
        .collect();
    setting::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    audit::record(txn, &actor.who(), now, "settings", "org", "import", &[]).await?;
    Ok(())
}
