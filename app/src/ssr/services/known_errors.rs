//! The known-error database: problem records with their status rule, services and links to
//! incidents, the list with full-text search, recurrence as seen from an incident, and the
//! suggestions that rank known errors against an incident.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};

use crate::domain::authz::Op;
use crate::domain::incident::check_title;
use crate::domain::known_error::check_status;
use crate::domain::{
    ActionStatus, EventKind, KeyKind, KnownErrorStatus, RecordKey, VerificationResult,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::model::{
    IncidentKnownError, KnownError, KnownErrorFilter, KnownErrorPatch, KnownErrorSummary,
    LinkedIncident, NewKnownError, Page, Suggestion,
};
use crate::ssr::audit::{self, Diff, FieldChange};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{
    action, incident, incident_service, known_error, known_error_incident, known_error_service,
    known_error_term, timeline_event,
};
use crate::ssr::services::incident_write::{self, names};
use crate::ssr::services::incidents::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::ssr::services::{compare_and_set, keys, postmortems};
use crate::ssr::similarity::{Analyzer, Posting, bm25};
use crate::ssr::{from_ms, to_ms};

/// Longest text field, in characters.
pub const MAX_TEXT: usize = 50_000;
/// Longest fix version.
pub const MAX_FIX_VERSION: usize = 100;
/// How many suggestions an incident gets.
pub const SUGGESTIONS: usize = 5;
/// Weight of the share of a known error's services the incident also has, in BM25 units.
pub const SERVICE_WEIGHT: f64 = 2.0;
/// How many of an incident's most frequent terms make the query.
const QUERY_TERMS: usize = 64;

/// Finds a known error by key (`KE-3`) or 404.
pub async fn find(db: &impl ConnectionTrait, key: &str) -> AppResult<known_error::Model> {
    let parsed = RecordKey::parse_as(KeyKind::KnownError, key)
        .ok_or_else(|| AppError::not_found(format!("known error {key}")))?;
    known_error::Entity::find()
        .filter(known_error::Column::Seq.eq(parsed.seq))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("known error {parsed}")))
}

fn check_texts(
    bad: &mut Vec<FieldError>,
    fields: &[(&str, Option<&String>)],
    fix_version: Option<&String>,
) {
    for (name, v) in fields {
        if let Some(v) = v {
            crate::ssr::services::check_text(bad, name, v, MAX_TEXT);
        }
    }
    if fix_version.is_some_and(|v| v.trim().chars().count() > MAX_FIX_VERSION) {
        bad.push(FieldError::new(
            "fix_version",
            format!("must be at most {MAX_FIX_VERSION} characters"),
        ));
    }
}

fn fail_on(bad: Vec<FieldError>) -> AppResult<()> {
    if bad.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid_many(bad))
    }
}

/// Rewrites a known error's entry in the suggestion index: title counts three times,
/// symptoms twice, root cause once.
async fn index_terms(
    txn: &impl ConnectionTrait,
    id: i64,
    title: &str,
    symptoms: &str,
    root_cause: &str,
) -> AppResult<()> {
    let tf = Analyzer::default().frequencies(&[(title, 3), (symptoms, 2), (root_cause, 1)]);
    known_error_term::Entity::delete_many()
        .filter(known_error_term::Column::KnownErrorId.eq(id))
        .exec(txn)
        .await?;
    let rows: Vec<known_error_term::ActiveModel> = tf
        .iter()
        .map(|(t, n)| known_error_term::ActiveModel {
            term: Set(t.clone()),
            known_error_id: Set(id),
            tf: Set(i32::try_from(*n).unwrap_or(i32::MAX)),
        })
        .collect();
    for chunk in rows.chunks(500) {
        known_error_term::Entity::insert_many(chunk.to_vec())
            .exec(txn)
            .await?;
    }
    let len: u32 = tf.values().sum();
    known_error::Entity::update_many()
        .col_expr(
            known_error::Column::TermCount,
            Expr::value(i32::try_from(len).unwrap_or(i32::MAX)),
        )
        .filter(known_error::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}

async fn replace_services(
    txn: &impl ConnectionTrait,
    id: i64,
    services: &[String],
) -> AppResult<()> {
    known_error_service::Entity::delete_many()
        .filter(known_error_service::Column::KnownErrorId.eq(id))
        .exec(txn)
        .await?;
    if !services.is_empty() {
        known_error_service::Entity::insert_many(services.iter().map(|s| {
            known_error_service::ActiveModel {
                known_error_id: Set(id),
                service: Set(s.clone()),
            }
        }))
        .exec(txn)
        .await?;
    }
    Ok(())
}

/// Services of several known errors, sorted, in one query.
async fn services_of(
    db: &impl ConnectionTrait,
    ids: Vec<i64>,
) -> AppResult<HashMap<i64, Vec<String>>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    for s in known_error_service::Entity::find()
        .filter(known_error_service::Column::KnownErrorId.is_in(ids))
        .order_by_asc(known_error_service::Column::Service)
        .all(db)
        .await?
    {
        out.entry(s.known_error_id).or_default().push(s.service);
    }
    Ok(out)
}

/// The full record: services, linked incidents (oldest detection first) and actions.
pub async fn view(db: &impl ConnectionTrait, m: known_error::Model) -> AppResult<KnownError> {
    let services = services_of(db, vec![m.id])
        .await?
        .remove(&m.id)
        .unwrap_or_default();
    let ids: Vec<i64> = known_error_incident::Entity::find()
        .filter(known_error_incident::Column::KnownErrorId.eq(m.id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.incident_id)
        .collect();
    let linked: Vec<LinkedIncident> = if ids.is_empty() {
        Vec::new()
    } else {
        incident::Entity::find()
            .filter(incident::Column::Id.is_in(ids))
            .order_by_asc(incident::Column::DetectedAt)
            .order_by_asc(incident::Column::Seq)
            .all(db)
            .await?
            .into_iter()
            .map(|i| LinkedIncident {
                key: i.key,
                title: i.title,
                severity: i.severity,
                status: i.status,
                detected_at: from_ms(i.detected_at),
                resolved_at: i.resolved_at.map(from_ms),
            })
            .collect()
    };
    let actions = postmortems::actions_where(db, action::Column::KnownErrorId.eq(m.id)).await?;
    Ok(KnownError {
        incidents: linked.iter().map(|i| i.key.clone()).collect(),
        linked_incidents: linked,
        actions,
        services,
        key: m.key,
        title: m.title,
        symptoms: m.symptoms,
        root_cause: m.root_cause,
        workaround: m.workaround,
        status: m.status,
        fix_version: m.fix_version,
        created_at: from_ms(m.created_at),
        updated_at: from_ms(m.updated_at),
        version: m.version,
    })
}

pub async fn get(db: &impl ConnectionTrait, actor: &Actor, key: &str) -> AppResult<KnownError> {
    actor.require(Op::Read)?;
    let m = find(db, key).await?;
    view(db, m).await
}

fn clean_fix_version(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Records a problem. Title is all it needs; status defaults to `open`.
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    new: NewKnownError,
    now: DateTime<Utc>,
) -> AppResult<KnownError> {
    actor.require(Op::WriteKnownError)?;
    let mut bad = Vec::new();
    if let Err(e) = check_title(&new.title) {
        bad.extend(e.fields().iter().cloned());
    }
    check_texts(
        &mut bad,
        &[
            ("symptoms", Some(&new.symptoms)),
            ("root_cause", Some(&new.root_cause)),
            ("workaround", Some(&new.workaround)),
        ],
        new.fix_version.as_ref(),
    );
    let status = new.status.unwrap_or(KnownErrorStatus::Open);
    let fix_version = clean_fix_version(new.fix_version.as_deref());
    if let Err(e) = check_status(status, fix_version.as_deref()) {
        bad.extend(e.fields().iter().cloned());
    }
    let services = match names("services", &new.services) {
        Ok(s) => s,
        Err(e) => {
            bad.extend(e.fields().iter().cloned());
            Vec::new()
        }
    };
    fail_on(bad)?;
    let txn = db.begin().await?;
    let mut incident_ids = Vec::new();
    for k in &new.incidents {
        let i = incident_write::find(&txn, k)
            .await
            .map_err(|_| AppError::invalid("incidents", format!("no incident {k}")))?;
        incident_ids.push((i.id, i.key));
    }
    let key = keys::next(&txn, KeyKind::KnownError).await?;
    let title = new.title.trim().to_owned();
    let m = known_error::ActiveModel {
        key: Set(key.to_string()),
        seq: Set(key.seq),
        title: Set(title.clone()),
        symptoms: Set(new.symptoms.clone()),
        root_cause: Set(new.root_cause.clone()),
        workaround: Set(new.workaround.clone()),
        status: Set(status),
        fix_version: Set(fix_version.clone()),
        term_count: Set(0),
        created_by: Set(actor.user_id().map(|u| u.0)),
        created_at: Set(to_ms(now)),
        updated_at: Set(to_ms(now)),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    replace_services(&txn, m.id, &services).await?;
    index_terms(&txn, m.id, &m.title, &m.symptoms, &m.root_cause).await?;
    incident_ids.sort();
    incident_ids.dedup();
    for (id, _) in &incident_ids {
        known_error_incident::ActiveModel {
            known_error_id: Set(m.id),
            incident_id: Set(*id),
            created_at: Set(to_ms(now)),
            created_by: Set(actor.user_id().map(|u| u.0)),
        }
        .insert(&txn)
        .await?;
    }
    let mut diff = Diff::default();
    diff.field("title", None, Some(&title));
    diff.field("status", None, Some(&status));
    for (f, v) in [
        ("symptoms", &new.symptoms),
        ("root_cause", &new.root_cause),
        ("workaround", &new.workaround),
    ] {
        if !v.is_empty() {
            diff.field(f, None, Some(v));
        }
    }
    diff.field("fix_version", None, fix_version.as_ref());
    if !services.is_empty() {
        diff.field("services", None, Some(&services.join(", ")));
    }
    if !incident_ids.is_empty() {
        let keys: Vec<String> = incident_ids.iter().map(|(_, k)| k.clone()).collect();
        diff.field("incidents", None, Some(&keys.join(", ")));
    }
    audit::record(
        &txn,
        &actor.who(),
        now,
        "known_error",
        &m.key,
        "create",
        &diff.0,
    )
    .await?;
    txn.commit().await?;
    view(db, m).await
}

/// Changes a known error; the status rule is checked on the result, a stale version is 409.
pub async fn update<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    key: &str,
    patch: KnownErrorPatch,
    now: DateTime<Utc>,
) -> AppResult<KnownError> {
    actor.require(Op::WriteKnownError)?;
    let mut bad = Vec::new();
    if let Some(t) = &patch.title
        && let Err(e) = check_title(t)
    {
        bad.extend(e.fields().iter().cloned());
    }
    check_texts(
        &mut bad,
        &[
            ("symptoms", patch.symptoms.as_ref()),
            ("root_cause", patch.root_cause.as_ref()),
            ("workaround", patch.workaround.as_ref()),
        ],
        patch.fix_version.as_ref().and_then(Option::as_ref),
    );
    let services = match patch.services.as_deref().map(|s| names("services", s)) {
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            bad.extend(e.fields().iter().cloned());
            None
        }
        None => None,
    };
    fail_on(bad)?;
    let txn = db.begin().await?;
    let old = find(&txn, key).await?;
    if patch.version.is_some_and(|v| v != old.version) {
        return Err(AppError::stale(&old.key));
    }
    let title = patch
        .title
        .as_ref()
        .map(|t| t.trim().to_owned())
        .unwrap_or_else(|| old.title.clone());
    let symptoms = patch
        .symptoms
        .clone()
        .unwrap_or_else(|| old.symptoms.clone());
    let root_cause = patch
        .root_cause
        .clone()
        .unwrap_or_else(|| old.root_cause.clone());
    let workaround = patch
        .workaround
        .clone()
        .unwrap_or_else(|| old.workaround.clone());
    let status = patch.status.unwrap_or(old.status);
    let fix_version = match &patch.fix_version {
        Some(v) => clean_fix_version(v.as_deref()),
        None => old.fix_version.clone(),
    };
    check_status(status, fix_version.as_deref())?;
    let old_services = services_of(&txn, vec![old.id])
        .await?
        .remove(&old.id)
        .unwrap_or_default();
    let mut diff = Diff::default();
    diff.field("title", Some(&old.title), Some(&title));
    diff.field("symptoms", Some(&old.symptoms), Some(&symptoms));
    diff.field("root_cause", Some(&old.root_cause), Some(&root_cause));
    diff.field("workaround", Some(&old.workaround), Some(&workaround));
    diff.field("status", Some(&old.status), Some(&status));
    diff.field(
        "fix_version",
        old.fix_version.as_ref(),
        fix_version.as_ref(),
    );
    if let Some(s) = &services {
        diff.field(
            "services",
            Some(&old_services.join(", ")),
            Some(&s.join(", ")),
        );
    }
    if diff.is_empty() {
        txn.commit().await?;
        return view(db, old).await;
    }
    let text_changed =
        title != old.title || symptoms != old.symptoms || root_cause != old.root_cause;
    let mut am: known_error::ActiveModel = old.clone().into();
    am.title = Set(title.clone());
    am.symptoms = Set(symptoms.clone());
    am.root_cause = Set(root_cause.clone());
    am.workaround = Set(workaround);
    am.status = Set(status);
    am.fix_version = Set(fix_version);
    am.updated_at = Set(to_ms(now));
    am.version = Set(old.version + 1);
    if !compare_and_set(
        &txn,
        am,
        (known_error::Column::Id, old.id),
        (known_error::Column::Version, old.version),
    )
    .await?
    {
        return Err(AppError::stale(&old.key));
    }
    if let Some(s) = &services {
        replace_services(&txn, old.id, s).await?;
    }
    if text_changed {
        index_terms(&txn, old.id, &title, &symptoms, &root_cause).await?;
    }
    audit::record(
        &txn,
        &actor.who(),
        now,
        "known_error",
        &old.key,
        "update",
        &diff.0,
    )
    .await?;
    txn.commit().await?;
    let fresh = find(db, key).await?;
    view(db, fresh).await
}

/// Links an incident to a known error (many-to-many; linking twice changes nothing). Both
/// records' histories show it.
pub async fn link<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    ke_key: &str,
    incident_key: &str,
    now: DateTime<Utc>,
) -> AppResult<KnownError> {
    actor.require(Op::WriteKnownError)?;
    let txn = db.begin().await?;
    let ke = find(&txn, ke_key).await?;
    let inc = incident_write::find(&txn, incident_key)
        .await
        .map_err(|_| AppError::invalid("incident", format!("no incident {incident_key}")))?;
    let exists = known_error_incident::Entity::find_by_id((ke.id, inc.id))
        .one(&txn)
        .await?
        .is_some();
    if !exists {
        known_error_incident::ActiveModel {
            known_error_id: Set(ke.id),
            incident_id: Set(inc.id),
            created_at: Set(to_ms(now)),
            created_by: Set(actor.user_id().map(|u| u.0)),
        }
        .insert(&txn)
        .await?;
        audit_link(&txn, actor, now, &ke.key, &inc.key, "link").await?;
    }
    txn.commit().await?;
    view(db, ke).await
}

/// Removes a link; removing one that is not there is a 404.
pub async fn unlink<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    ke_key: &str,
    incident_key: &str,
    now: DateTime<Utc>,
) -> AppResult<KnownError> {
    actor.require(Op::WriteKnownError)?;
    let txn = db.begin().await?;
    let ke = find(&txn, ke_key).await?;
    let inc = incident_write::find(&txn, incident_key).await?;
    let res = known_error_incident::Entity::delete_by_id((ke.id, inc.id))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(AppError::not_found(format!(
            "a link between {} and {}",
            ke.key, inc.key
        )));
    }
    audit_link(&txn, actor, now, &ke.key, &inc.key, "unlink").await?;
    txn.commit().await?;
    view(db, ke).await
}

async fn audit_link(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    now: DateTime<Utc>,
    ke: &str,
    inc: &str,
    action: &str,
) -> AppResult<()> {
    let (old, new) = if action == "link" {
        (None, Some(inc.to_owned()))
    } else {
        (Some(inc.to_owned()), None)
    };
    audit::record(
        txn,
        &actor.who(),
        now,
        "known_error",
        ke,
        action,
        &[FieldChange::new("incidents", old.clone(), new.clone())],
    )
    .await?;
    let (old, new) = (old.map(|_| ke.to_owned()), new.map(|_| ke.to_owned()));
    audit::record(
        txn,
        &actor.who(),
        now,
        "incident",
        inc,
        action,
        &[FieldChange::new("known_errors", old, new)],
    )
    .await?;
    Ok(())
}

/// One page of known errors, newest first, with how many incidents each caused.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    f: &KnownErrorFilter,
) -> AppResult<Page<KnownErrorSummary>> {
    actor.require(Op::Read)?;
    let limit = f.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT) as usize;
    let mut q = known_error::Entity::find();
    if let Some(s) = f.status {
        q = q.filter(known_error::Column::Status.eq(s));
    }
    if let Some(svc) = f
        .service
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        q = q.filter(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(known_error_service::Entity)
                .and_where(
                    Expr::col((
                        known_error_service::Entity,
                        known_error_service::Column::KnownErrorId,
                    ))
                    .equals((known_error::Entity, known_error::Column::Id)),
                )
                .and_where(
                    Expr::col((
                        known_error_service::Entity,
                        known_error_service::Column::Service,
                    ))
                    .eq(svc),
                )
                .to_owned(),
        ));
    }
    if let Some(text) = f.q.as_deref() {
        match crate::ssr::search::known_error_condition(db.get_database_backend(), text) {
            Some(cond) => q = q.filter(cond),
            None if !text.trim().is_empty() => {
                return Ok(Page {
                    items: Vec::new(),
                    next: None,
                });
            }
            None => {}
        }
    }
    if let Some(cursor) = f.page.as_deref().filter(|s| !s.is_empty()) {
        let seq: i64 = cursor
            .parse()
            .map_err(|_| AppError::invalid("page", "is not a cursor from a previous page"))?;
        q = q.filter(known_error::Column::Seq.lt(seq));
    }
    let mut rows = q
        .order_by_desc(known_error::Column::Seq)
        .limit(limit as u64 + 1)
        .all(db)
        .await?;
    let next = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|r| r.seq.to_string())
    } else {
        None
    };
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let summaries = summaries(db, rows, ids).await?;
    Ok(Page {
        items: summaries,
        next,
    })
}

/// List rows for known errors: services, incident counts and last detection, one query each.
async fn summaries(
    db: &impl ConnectionTrait,
    rows: Vec<known_error::Model>,
    ids: Vec<i64>,
) -> AppResult<Vec<KnownErrorSummary>> {
    let mut services = services_of(db, ids.clone()).await?;
    let counts: HashMap<i64, (i64, Option<i64>)> = if ids.is_empty() {
        HashMap::new()
    } else {
        known_error_incident::Entity::find()
            .select_only()
            .column(known_error_incident::Column::KnownErrorId)
            .column_as(known_error_incident::Column::IncidentId.count(), "n")
            .column_as(
                Expr::col((incident::Entity, incident::Column::DetectedAt)).max(),
                "last",
            )
            .join(
                sea_orm::JoinType::InnerJoin,
                known_error_incident::Entity::belongs_to(incident::Entity)
                    .from(known_error_incident::Column::IncidentId)
                    .to(incident::Column::Id)
                    .into(),
            )
            .filter(known_error_incident::Column::KnownErrorId.is_in(ids))
            .group_by(known_error_incident::Column::KnownErrorId)
            .into_tuple::<(i64, i64, Option<i64>)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(id, n, last)| (id, (n, last)))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|m| {
            let (n, last) = counts.get(&m.id).copied().unwrap_or((0, None));
            KnownErrorSummary {
                services: services.remove(&m.id).unwrap_or_default(),
                incident_count: u64::try_from(n).unwrap_or(0),
                last_seen: last.map(from_ms),
                key: m.key,
                title: m.title,
                status: m.status,
                fix_version: m.fix_version,
                updated_at: from_ms(m.updated_at),
            }
        })
        .collect())
}

/// The known errors linked to an incident, each with whether this incident is a recurrence
/// and whether a fix had been verified effective before it was detected.
pub async fn for_incident(
    db: &impl ConnectionTrait,
    actor: &Actor,
    incident_key: &str,
) -> AppResult<Vec<IncidentKnownError>> {
    actor.require(Op::Read)?;
    let inc = incident_write::find(db, incident_key).await?;
    let ke_ids: Vec<i64> = known_error_incident::Entity::find()
        .filter(known_error_incident::Column::IncidentId.eq(inc.id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.known_error_id)
        .collect();
    if ke_ids.is_empty() {
        return Ok(Vec::new());
    }
    let kes = known_error::Entity::find()
        .filter(known_error::Column::Id.is_in(ke_ids.clone()))
        .order_by_asc(known_error::Column::Seq)
        .all(db)
        .await?;
    // Earlier incidents per known error: linked incidents detected strictly before this one.
    let earlier: HashMap<i64, i64> = known_error_incident::Entity::find()
        .select_only()
        .column(known_error_incident::Column::KnownErrorId)
        .column_as(known_error_incident::Column::IncidentId.count(), "n")
        .join(
            sea_orm::JoinType::InnerJoin,
            known_error_incident::Entity::belongs_to(incident::Entity)
                .from(known_error_incident::Column::IncidentId)
                .to(incident::Column::Id)
                .into(),
        )
        .filter(known_error_incident::Column::KnownErrorId.is_in(ke_ids.clone()))
        .filter(Expr::col((incident::Entity, incident::Column::DetectedAt)).lt(inc.detected_at))
        .group_by(known_error_incident::Column::KnownErrorId)
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    // Known errors with an action verified effective before this incident's detection.
    let verified: HashSet<i64> = action::Entity::find()
        .select_only()
        .column(action::Column::KnownErrorId)
        .filter(action::Column::KnownErrorId.is_in(ke_ids))
        .filter(action::Column::Status.eq(ActionStatus::Verified))
        .filter(action::Column::VerificationResult.eq(VerificationResult::Effective))
        .filter(action::Column::VerifiedAt.lt(inc.detected_at))
        .distinct()
        .into_tuple::<Option<i64>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    Ok(kes
        .into_iter()
        .map(|k| {
            let n = u64::try_from(earlier.get(&k.id).copied().unwrap_or(0)).unwrap_or(0);
            IncidentKnownError {
                recurrence: n > 0,
                earlier_incidents: n,
                fix_verified_before: verified.contains(&k.id),
                key: k.key,
                title: k.title,
                status: k.status,
                fix_version: k.fix_version,
                workaround: k.workaround,
            }
        })
        .collect())
}

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
    let inc = incident_write::find(db, incident_key).await?;
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
