//! Declaring and changing incidents, and their timelines: the status machine, the order of
//! key times, optimistic locking, automatic `status_change` events and the mitigation rule.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait,
    QueryFilter, QueryOrder, TransactionSession, TransactionTrait,
};

use crate::domain::authz::Op;
use crate::domain::incident::{KeyTimes, check_status_change, check_title};
use crate::domain::timeline::mitigated_at_after_event;
use crate::domain::{EventKind, IncidentStatus, KeyKind, RecordKey, Severity, Visibility};
use crate::error::{AppError, AppResult};
use crate::model::{Incident, IncidentPatch, NewEvent, NewIncident, TimelineEvent};
use crate::ssr::audit::{self, Diff, FieldChange};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{
    incident, incident_role, incident_service, incident_tag, postmortem, timeline_event, user,
};
use crate::ssr::services::{incidents::key_times, keys, users};
use crate::ssr::settings::{self, OrgSettings};
use crate::ssr::{from_ms, to_ms};

/// Trimmed, de-duplicated, sorted names (services, tags); empty ones dropped.
pub(crate) fn names(field: &str, list: &[String]) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = list
        .iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(long) = out.iter().find(|s| s.chars().count() > 100) {
        return Err(AppError::invalid(
            field,
            format!("`{long}` is longer than 100 characters"),
        ));
    }
    out.sort();
    out.dedup();
    Ok(out)
}

async fn user_id(txn: &impl ConnectionTrait, field: &str, email: &str) -> AppResult<i64> {
    users::find(txn, email)
        .await?
        .map(|u| u.id)
        .ok_or_else(|| AppError::invalid(field, format!("no user with the e-mail {email}")))
}

async fn resolve_roles(
    txn: &impl ConnectionTrait,
    roles: &BTreeMap<String, String>,
) -> AppResult<BTreeMap<String, i64>> {
    let mut out = BTreeMap::new();
    for (role, email) in roles {
        let role = role.trim();
        if role.is_empty() || role.chars().count() > 50 {
            return Err(AppError::invalid(
                "roles",
                "role names must be 1 to 50 characters",
            ));
        }
        out.insert(
            role.to_owned(),
            user_id(txn, &format!("roles.{role}"), email).await?,
        );
    }
    Ok(out)
}

/// Finds an incident by key (`INC-7`) or 404.
pub async fn find(db: &impl ConnectionTrait, key: &str) -> AppResult<incident::Model> {
    let parsed = RecordKey::parse_as(KeyKind::Incident, key)
        .ok_or_else(|| AppError::not_found(format!("incident {key}")))?;
    incident::Entity::find()
        .filter(incident::Column::Seq.eq(parsed.seq))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("incident {parsed}")))
}

/// The full incident: services, tags, roles, commander and postmortem status, in one query each.
pub async fn view(db: &impl ConnectionTrait, m: incident::Model) -> AppResult<Incident> {
    let services = incident_service::Entity::find()
        .filter(incident_service::Column::IncidentId.eq(m.id))
        .order_by_asc(incident_service::Column::Service)
        .all(db)
        .await?;
    let tags = incident_tag::Entity::find()
        .filter(incident_tag::Column::IncidentId.eq(m.id))
        .order_by_asc(incident_tag::Column::Tag)
        .all(db)
        .await?;
    let roles = incident_role::Entity::find()
        .filter(incident_role::Column::IncidentId.eq(m.id))
        .all(db)
        .await?;
    let mut ids: Vec<i64> = roles
        .iter()
        .map(|r| r.user_id)
        .chain(m.commander_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let people: HashMap<i64, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let pm = postmortem::Entity::find()
        .filter(postmortem::Column::IncidentId.eq(m.id))
        .one(db)
        .await?;
    let commander = m.commander_id.and_then(|id| people.get(&id));
    Ok(Incident {
        durations: key_times(&m).durations(),
        services: services.into_iter().map(|s| s.service).collect(),
        tags: tags.into_iter().map(|t| t.tag).collect(),
        roles: roles
            .into_iter()
            .filter_map(|r| people.get(&r.user_id).map(|u| (r.role, u.email.clone())))
            .collect(),
        commander: commander.map(|u| u.email.clone()),
        commander_name: commander.map(|u| u.name.clone()),
        postmortem_status: pm.map(|p| p.status),
        key: m.key,
        title: m.title,
        severity: m.severity,
        status: m.status,
        summary: m.summary,
        customer_impact: m.customer_impact,
        started_at: m.started_at.map(from_ms),
        detected_at: from_ms(m.detected_at),
        acknowledged_at: m.acknowledged_at.map(from_ms),
        mitigated_at: m.mitigated_at.map(from_ms),
        resolved_at: m.resolved_at.map(from_ms),
        closed_at: m.closed_at.map(from_ms),
        reopen_count: m.reopen_count,
        rca_due_at: m.rca_due_at.map(from_ms),
        created_at: from_ms(m.created_at),
        updated_at: from_ms(m.updated_at),
        version: m.version,
    })
}

pub async fn get(db: &impl ConnectionTrait, actor: &Actor, key: &str) -> AppResult<Incident> {
    actor.require(Op::Read)?;
    let m = find(db, key).await?;
    view(db, m).await
}

pub(crate) fn rca_due(
    s: &OrgSettings,
    severity: Severity,
    resolved_at: Option<DateTime<Utc>>,
) -> Option<i64> {
    s.rca_deadlines
        .due_at(&s.calendar(), severity, resolved_at)
        .map(to_ms)
}

async fn add_server_event(
    txn: &impl ConnectionTrait,
    incident_id: i64,
    at: DateTime<Utc>,
    body: String,
    author: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    timeline_event::ActiveModel {
        incident_id: Set(incident_id),
        occurred_at: Set(to_ms(at)),
        kind: Set(EventKind::StatusChange),
        body: Set(body),
        visibility: Set(Visibility::Internal),
        author_id: Set(author),
        created_at: Set(to_ms(now)),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

async fn replace_children(
    txn: &impl ConnectionTrait,
    id: i64,
    services: Option<&[String]>,
    tags: Option<&[String]>,
    roles: Option<&BTreeMap<String, i64>>,
) -> AppResult<()> {
    if let Some(services) = services {
        incident_service::Entity::delete_many()
            .filter(incident_service::Column::IncidentId.eq(id))
            .exec(txn)
            .await?;
        if !services.is_empty() {
            incident_service::Entity::insert_many(services.iter().map(|s| {
                incident_service::ActiveModel {
                    incident_id: Set(id),
                    service: Set(s.clone()),
                }
            }))
            .exec(txn)
            .await?;
        }
    }
    if let Some(tags) = tags {
        incident_tag::Entity::delete_many()
            .filter(incident_tag::Column::IncidentId.eq(id))
            .exec(txn)
            .await?;
        if !tags.is_empty() {
            incident_tag::Entity::insert_many(tags.iter().map(|t| incident_tag::ActiveModel {
                incident_id: Set(id),
                tag: Set(t.clone()),
            }))
            .exec(txn)
            .await?;
        }
    }
    if let Some(roles) = roles {
        incident_role::Entity::delete_many()
            .filter(incident_role::Column::IncidentId.eq(id))
            .exec(txn)
            .await?;
        if !roles.is_empty() {
            incident_role::Entity::insert_many(roles.iter().map(|(r, u)| {
                incident_role::ActiveModel {
                    incident_id: Set(id),
                    role: Set(r.clone()),
                    user_id: Set(*u),
                }
            }))
            .exec(txn)
            .await?;
        }
    }
    Ok(())
}

/// Declares an incident. Title and severity are all it needs; `detected_at` defaults to now.
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    new: NewIncident,
    now: DateTime<Utc>,
) -> AppResult<Incident> {
    actor.require(Op::WriteIncident)?;
    check_title(&new.title)?;
    let severity = new
        .severity
        .ok_or_else(|| AppError::invalid("severity", "is required (sev1 … sev4)"))?;
    let status = new.status.unwrap_or(IncidentStatus::Investigating);
    if status == IncidentStatus::Closed {
        return Err(AppError::invalid(
            "status",
            "a new incident cannot start closed",
        ));
    }
    let services = names("services", &new.services)?;
    let tags = names("tags", &new.tags)?;
    let mut times = KeyTimes {
        started_at: new.started_at,
        detected_at: Some(new.detected_at.unwrap_or(now)),
        acknowledged_at: new.acknowledged_at,
        mitigated_at: new.mitigated_at,
        resolved_at: new.resolved_at,
        closed_at: None,
    };
    if status == IncidentStatus::Resolved && times.resolved_at.is_none() {
        times.resolved_at = Some(now);
    }
    if status != IncidentStatus::Resolved && times.resolved_at.is_some() {
        return Err(AppError::invalid(
            "resolved_at",
            "is set only when the status is resolved",
        ));
    }
    times.check_order(&[
        "started_at",
        "detected_at",
        "acknowledged_at",
        "mitigated_at",
        "resolved_at",
    ])?;
    let settings = settings::load(db).await?;

    let txn = db.begin().await?;
    let commander = match new
        .commander
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(email) => Some(user_id(&txn, "commander", email).await?),
        None => None,
    };
    let roles = resolve_roles(&txn, &new.roles).await?;
    let key = keys::next(&txn, KeyKind::Incident).await?;
    let title = new.title.trim().to_owned();
    let m = incident::ActiveModel {
        key: Set(key.to_string()),
        seq: Set(key.seq),
        title: Set(title.clone()),
        severity: Set(severity),
        status: Set(status),
        summary: Set(new.summary.clone()),
        customer_impact: Set(new.customer_impact.clone()),
        commander_id: Set(commander),
        started_at: Set(times.started_at.map(to_ms)),
        detected_at: Set(to_ms(times.detected_at.unwrap_or(now))),
        acknowledged_at: Set(times.acknowledged_at.map(to_ms)),
        mitigated_at: Set(times.mitigated_at.map(to_ms)),
        resolved_at: Set(times.resolved_at.map(to_ms)),
        closed_at: Set(None),
        reopen_count: Set(0),
        rca_due_at: Set(rca_due(&settings, severity, times.resolved_at)),
        created_by: Set(actor.user_id().map(|u| u.0)),
        created_at: Set(to_ms(now)),
        updated_at: Set(to_ms(now)),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    replace_children(&txn, m.id, Some(&services), Some(&tags), Some(&roles)).await?;
    add_server_event(
        &txn,
        m.id,
        now,
        format!(
            "Incident declared: {} {}",
            severity.label(),
            status.label().to_lowercase()
        ),
        actor.user_id().map(|u| u.0),
        now,
    )
    .await?;
    let mut changes = vec![
        FieldChange::new("title", None, Some(title)),
        FieldChange::new("severity", None, Some(severity.to_string())),
        FieldChange::new("status", None, Some(status.to_string())),
        FieldChange::new(
            "detected_at",
            None,
            times.detected_at.map(|t| t.to_rfc3339()),
        ),
    ];
    for (field, v) in [
        ("started_at", times.started_at),
        ("acknowledged_at", times.acknowledged_at),
        ("mitigated_at", times.mitigated_at),
        ("resolved_at", times.resolved_at),
    ] {
        if let Some(t) = v {
            changes.push(FieldChange::new(field, None, Some(t.to_rfc3339())));
        }
    }
    if !services.is_empty() {
        changes.push(FieldChange::new(
            "services",
            None,
            Some(services.join(", ")),
        ));
    }
    if let Some(email) = new.commander.as_deref().filter(|_| commander.is_some()) {
        changes.push(FieldChange::new(
            "commander",
            None,
            Some(email.trim().to_lowercase()),
        ));
    }
    audit::record(
        &txn,
        &actor.who(),
        now,
        "incident",
        &m.key,
        "create",
        &changes,
    )
    .await?;
    txn.commit().await?;
    view(db, m).await
}

/// A key time as the timeline's automatic events show it (the UI's own format).
fn fmt_time(t: Option<DateTime<Utc>>) -> String {
    t.map(crate::components::format::datetime)
        .unwrap_or_else(|| "—".into())
}

/// Changes an incident: fields, key times and status, all checked together and written in
/// one transaction, with a `status_change` timeline event for each status or key-time change.
pub async fn update<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    key: &str,
    patch: IncidentPatch,
    now: DateTime<Utc>,
) -> AppResult<Incident> {
    actor.require(Op::WriteIncident)?;
    if let Some(t) = &patch.title {
        check_title(t)?;
    }
    let services = patch
        .services
        .as_deref()
        .map(|s| names("services", s))
        .transpose()?;
    let tags = patch
        .tags
        .as_deref()
        .map(|t| names("tags", t))
        .transpose()?;
    let settings = settings::load(db).await?;
    let txn = db.begin().await?;
    let old = find(&txn, key).await?;
    if patch.version.is_some_and(|v| v != old.version) {
        return Err(AppError::stale(&old.key));
    }
    let severity = patch.severity.unwrap_or(old.severity);
    let old_times = key_times(&old);
    let mut times = old_times;
    let mut changed: Vec<&str> = Vec::new();
    macro_rules! set_time {
        ($field:ident) => {
            if let Some(v) = patch.$field {
                times.$field = v;
                changed.push(stringify!($field));
            }
        };
    }
    set_time!(started_at);
    set_time!(acknowledged_at);
    set_time!(mitigated_at);
    set_time!(resolved_at);
    set_time!(closed_at);
    if let Some(d) = patch.detected_at {
        times.detected_at = Some(d);
        changed.push("detected_at");
    }

    let mut status = old.status;
    let mut reopen_count = old.reopen_count;
    if let Some(to) = patch.status.filter(|to| *to != old.status) {
        let pm = postmortem::Entity::find()
            .filter(postmortem::Column::IncidentId.eq(old.id))
            .one(&txn)
            .await?
            .map(|p| p.status);
        let effect = check_status_change(old.status, to, severity, pm)?;
        status = to;
        if effect.reopen {
            times.resolved_at = None;
            times.closed_at = None;
            reopen_count += 1;
        }
        if effect.set_resolved_at && times.resolved_at.is_none() {
            times.resolved_at = Some(now);
        }
        if effect.set_closed_at && times.closed_at.is_none() {
            times.closed_at = Some(now);
        }
    }
    // Times that only a later status may carry.
    if times.resolved_at.is_some()
        && !matches!(status, IncidentStatus::Resolved | IncidentStatus::Closed)
    {
        return Err(AppError::invalid(
            "resolved_at",
            format!("cannot be set while the incident is {status}"),
        ));
    }
    if times.closed_at.is_some() && status != IncidentStatus::Closed {
        return Err(AppError::invalid(
            "closed_at",
            format!("cannot be set while the incident is {status}"),
        ));
    }
    if matches!(status, IncidentStatus::Resolved | IncidentStatus::Closed)
        && times.resolved_at.is_none()
    {
        return Err(AppError::invalid(
            "resolved_at",
            format!("is required while the incident is {status}"),
        ));
    }
    times.check_order(&changed)?;

    let commander = match &patch.commander {
        Some(Some(email)) if !email.trim().is_empty() => {
            Some(Some(user_id(&txn, "commander", email.trim()).await?))
        }
        Some(_) => Some(None),
        None => None,
    };
    let roles = match &patch.roles {
        Some(r) => Some(resolve_roles(&txn, r).await?),
        None => None,
    };

    // Field-level diff for the audit log.
    let before = view(&txn, old.clone()).await?;
    let mut diff = Diff::default();
    let title = patch
        .title
        .as_ref()
        .map(|t| t.trim().to_owned())
        .unwrap_or_else(|| old.title.clone());
    diff.field("title", Some(&old.title), Some(&title));
    diff.field("severity", Some(&old.severity), Some(&severity));
    diff.field("status", Some(&old.status), Some(&status));
    let summary = patch.summary.clone().unwrap_or_else(|| old.summary.clone());
    let impact = patch
        .customer_impact
        .clone()
        .unwrap_or_else(|| old.customer_impact.clone());
    diff.field("summary", Some(&old.summary), Some(&summary));
    diff.field("customer_impact", Some(&old.customer_impact), Some(&impact));
    for f in crate::domain::incident::KEY_TIME_FIELDS {
        diff.field(
            f,
            old_times.get(f).map(|t| t.to_rfc3339()).as_ref(),
            times.get(f).map(|t| t.to_rfc3339()).as_ref(),
        );
    }
    diff.field("reopen_count", Some(&old.reopen_count), Some(&reopen_count));
    if let Some(s) = &services {
        diff.field(
            "services",
            Some(&before.services.join(", ")),
            Some(&s.join(", ")),
        );
    }
    if let Some(t) = &tags {
        diff.field("tags", Some(&before.tags.join(", ")), Some(&t.join(", ")));
    }
    if let Some(c) = &patch.commander {
        let new_email = c
            .as_ref()
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty());
        diff.field("commander", before.commander.as_ref(), new_email.as_ref());
    }
    if let Some(r) = &patch.roles {
        let show = |m: &BTreeMap<String, String>| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.to_lowercase()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        diff.field("roles", Some(&show(&before.roles)), Some(&show(r)));
    }
    if diff.is_empty() {
        txn.commit().await?;
        return Ok(before);
    }

    // Compare-and-set on the version: a concurrent writer makes this a 409, not a lost update.
    let mut am: incident::ActiveModel = old.clone().into();
    am.title = Set(title);
    am.severity = Set(severity);
    am.status = Set(status);
    am.summary = Set(summary);
    am.customer_impact = Set(impact);
    if let Some(c) = commander {
        am.commander_id = Set(c);
    }
    am.started_at = Set(times.started_at.map(to_ms));
    am.detected_at = Set(times.detected_at.map(to_ms).unwrap_or(old.detected_at));
    am.acknowledged_at = Set(times.acknowledged_at.map(to_ms));
    am.mitigated_at = Set(times.mitigated_at.map(to_ms));
    am.resolved_at = Set(times.resolved_at.map(to_ms));
    am.closed_at = Set(times.closed_at.map(to_ms));
    am.reopen_count = Set(reopen_count);
    let rca_due_at = rca_due(&settings, severity, times.resolved_at);
    am.rca_due_at = Set(rca_due_at);
    am.updated_at = Set(to_ms(now));
    am.version = Set(old.version + 1);
    if !crate::ssr::services::compare_and_set(
        &txn,
        am,
        (incident::Column::Id, old.id),
        (incident::Column::Version, old.version),
    )
    .await?
    {
        return Err(AppError::stale(&old.key));
    }
    if rca_due_at != old.rca_due_at {
        crate::ssr::services::postmortems::sync_due(&txn, old.id, rca_due_at).await?;
    }
    replace_children(
        &txn,
        old.id,
        services.as_deref(),
        tags.as_deref(),
        roles.as_ref(),
    )
    .await?;

    let author = actor.user_id().map(|u| u.0);
    if status != old.status {
        let what =
            if status == IncidentStatus::Investigating && old.status == IncidentStatus::Resolved {
                " (reopened)"
            } else {
                ""
            };
        add_server_event(
            &txn,
            old.id,
            now,
            format!("Status: {} → {}{what}", old.status.label(), status.label()),
            author,
            now,
        )
        .await?;
    }
    for f in crate::domain::incident::KEY_TIME_FIELDS {
        let (a, b) = (old_times.get(f), times.get(f));
        if a != b {
            add_server_event(
                &txn,
                old.id,
                now,
                format!("{f}: {} → {}", fmt_time(a), fmt_time(b)),
                author,
                now,
            )
            .await?;
        }
    }
    audit::record(
        &txn,
        &actor.who(),
        now,
        "incident",
        &old.key,
        "update",
        &diff.0,
    )
    .await?;
    txn.commit().await?;
    let fresh = find(db, key).await?;
    view(db, fresh).await
}

fn to_event(e: timeline_event::Model, authors: &HashMap<i64, String>) -> TimelineEvent {
    TimelineEvent {
        id: e.id,
        occurred_at: from_ms(e.occurred_at),
        kind: e.kind,
        body: e.body,
        visibility: e.visibility,
        author: e.author_id.and_then(|a| authors.get(&a).cloned()),
        created_at: from_ms(e.created_at),
    }
}

/// The timeline, ordered by `occurred_at`, then id.
pub async fn timeline(
    db: &impl ConnectionTrait,
    actor: &Actor,
    key: &str,
) -> AppResult<Vec<TimelineEvent>> {
    actor.require(Op::Read)?;
    let inc = find(db, key).await?;
    let events = timeline_event::Entity::find()
        .filter(timeline_event::Column::IncidentId.eq(inc.id))
        .order_by_asc(timeline_event::Column::OccurredAt)
        .order_by_asc(timeline_event::Column::Id)
        .all(db)
        .await?;
    let authors = users::emails(db, events.iter().filter_map(|e| e.author_id).collect()).await?;
    Ok(events.into_iter().map(|e| to_event(e, &authors)).collect())
}

/// Adds a timeline event. A `mitigation` earlier than `mitigated_at` (or with none set) moves
/// `mitigated_at` to it, which is a key-time change and so adds a `status_change` event.
pub async fn add_event<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    key: &str,
    new: NewEvent,
    now: DateTime<Utc>,
) -> AppResult<TimelineEvent> {
    actor.require(Op::WriteIncident)?;
    if new.body.chars().count() > 20_000 {
        return Err(AppError::invalid(
            "body",
            "must be at most 20000 characters",
        ));
    }
    if new.kind != EventKind::Mitigation && new.body.trim().is_empty() {
        return Err(AppError::invalid("body", "must not be empty"));
    }
    let occurred_at = new.occurred_at.unwrap_or(now);
    let visibility = new.visibility.unwrap_or(Visibility::Internal);
    let txn = db.begin().await?;
    let inc = find(&txn, key).await?;
    let e = timeline_event::ActiveModel {
        incident_id: Set(inc.id),
        occurred_at: Set(to_ms(occurred_at)),
        kind: Set(new.kind),
        body: Set(new.body.clone()),
        visibility: Set(visibility),
        author_id: Set(actor.user_id().map(|u| u.0)),
        created_at: Set(to_ms(now)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let old_mitigated = inc.mitigated_at.map(from_ms);
    if let Some(mitigated) = mitigated_at_after_event(new.kind, occurred_at, old_mitigated) {
        let times = KeyTimes {
            mitigated_at: Some(mitigated),
            ..key_times(&inc)
        };
        times.check_order(&["mitigated_at"]).map_err(|_| {
            AppError::invalid(
                "occurred_at",
                "a mitigation cannot be before the incident was detected",
            )
        })?;
        let res = incident::Entity::update_many()
            .col_expr(incident::Column::MitigatedAt, Expr::value(to_ms(mitigated)))
            .col_expr(incident::Column::UpdatedAt, Expr::value(to_ms(now)))
            .col_expr(
                incident::Column::Version,
                Expr::col(incident::Column::Version).add(1),
            )
            .filter(incident::Column::Id.eq(inc.id))
            .filter(incident::Column::Version.eq(inc.version))
            .exec(&txn)
            .await?;
        if res.rows_affected != 1 {
            return Err(AppError::stale(&inc.key));
        }
        add_server_event(
            &txn,
            inc.id,
            now,
            format!(
                "mitigated_at: {} → {}",
                fmt_time(old_mitigated),
                fmt_time(Some(mitigated))
            ),
            actor.user_id().map(|u| u.0),
            now,
        )
        .await?;
        audit::record(
            &txn,
            &actor.who(),
            now,
            "incident",
            &inc.key,
            "update",
            &[FieldChange::new(
                "mitigated_at",
                old_mitigated.map(|t| t.to_rfc3339()),
                Some(mitigated.to_rfc3339()),
            )],
        )
        .await?;
    }
    audit::record(
        &txn,
        &actor.who(),
        now,
        "incident",
        &inc.key,
        "timeline_add",
        &[FieldChange::new(
            &format!("timeline.{}", e.id),
            None,
            Some(format!(
                "{} {}: {}",
                occurred_at.to_rfc3339(),
                new.kind,
                new.body
            )),
        )],
    )
    .await?;
    txn.commit().await?;
    let authors: HashMap<i64, String> = actor
        .user
        .iter()
        .map(|u| (u.id.0, u.email.clone()))
        .collect();
    Ok(to_event(e, &authors))
}
