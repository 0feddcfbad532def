//! Declaring and changing incidents: the status machine, the order of key times, optimistic
//! locking, and the audit of every field.

use crate::domain::NotifyEvent;
use crate::domain::UserId;
use crate::domain::{AuditAction, RecordType};
use crate::ssr::services::notify::notices;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    TransactionSession, TransactionTrait,
};

use crate::domain::authz::Op;
use crate::domain::incident::{KeyTimes, check_status_change, check_times, check_title};
use crate::domain::{EventKind, IncidentStatus, KeyKind, Severity};
use crate::error::{AppError, AppResult};
use crate::model::{Incident, IncidentPatch, NewIncident};
use crate::ssr::audit::{self, Diff, FieldChange};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{incident, incident_role, incident_service, incident_tag, postmortem};
use crate::ssr::live::{self, LiveEvent};
use crate::ssr::services::common::text::{self, names};
use crate::ssr::services::common::{children, lookup, save_version, stale_by};
use crate::ssr::services::keys;
use crate::ssr::services::settings::{self};
use crate::ssr::to_ms;

use super::find::{find, key_times, view};
use super::rca_due::{rca_due, sync_due};
use super::timeline::{add_server_entry, add_server_event, fmt_time};

/// Role names → user ids, every e-mail looked up in one query.
async fn resolve_roles(
    txn: &impl ConnectionTrait,
    roles: &BTreeMap<String, String>,
) -> AppResult<BTreeMap<String, i64>> {
    let mut named = BTreeMap::new();
    for (role, email) in roles {
        named.insert(text::role_name(role)?, email.clone());
    }
    lookup::user_ids(txn, &named, |role| format!("roles.{role}")).await
}

async fn replace_children(
    txn: &impl ConnectionTrait,
    id: i64,
    services: Option<&[String]>,
    tags: Option<&[String]>,
    roles: Option<&BTreeMap<String, i64>>,
) -> AppResult<()> {
    if services.is_some() || tags.is_some() {
        super::labels::changed();
    }
    if let Some(services) = services {
        let rows = services.iter().map(|s| incident_service::ActiveModel {
            incident_id: Set(id),
            service: Set(s.clone()),
        });
        children::replace(
            txn,
            incident_service::Column::IncidentId,
            id,
            rows.collect(),
        )
        .await?;
    }
    if let Some(tags) = tags {
        let rows = tags.iter().map(|t| incident_tag::ActiveModel {
            incident_id: Set(id),
            tag: Set(t.clone()),
        });
        children::replace(txn, incident_tag::Column::IncidentId, id, rows.collect()).await?;
    }
    if let Some(roles) = roles {
        let rows = roles.iter().map(|(r, u)| incident_role::ActiveModel {
            incident_id: Set(id),
            role: Set(r.clone()),
            user_id: Set(*u),
        });
        children::replace(txn, incident_role::Column::IncidentId, id, rows.collect()).await?;
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
    text::fail_on(check_times(status, &times))?;
    times.check_order(&[
        "started_at",
        "detected_at",
        "acknowledged_at",
        "mitigated_at",
        "resolved_at",
    ])?;
    let settings = settings::load(db).await?;

    let txn = crate::ssr::db::write(db).await?;
    let commander = match new
        .commander
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(email) => Some(lookup::user_id(&txn, "commander", email).await?),
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
        commander_id: Set(commander.map(UserId)),
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
        RecordType::Incident,
        &m.key,
        AuditAction::Create,
        &changes,
    )
    .await?;
    live::publish(&txn, LiveEvent::incident_updated(&m.key, 1, actor)).await?;
    notices::incident_change(
        &txn,
        NotifyEvent::IncidentDeclared,
        &m,
        &services,
        format!("{} declared: {}", severity.label(), m.title),
        Vec::new(),
        actor,
        now,
    )
    .await?;
    txn.commit().await?;
    view(db, m).await
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
    let txn = crate::ssr::db::write(db).await?;
    let old = find(&txn, key).await?;
    if patch.version.is_some_and(|v| v != old.version) {
        return Err(stale_by(&txn, RecordType::Incident, &old.key, &old.key).await);
    }
    let severity = patch.severity.unwrap_or(old.severity);
    let reason = change_reason(&patch)?;
    let old_times = key_times(&old);
    let (mut times, changed) = patched_times(&patch, old_times);
    let (status, reopen_count) = match patch.status.filter(|to| *to != old.status) {
        Some(to) => status_change(&txn, &old, to, severity, &mut times, now).await?,
        None => (old.status, old.reopen_count),
    };
    // Times that only a later status may carry.
    text::fail_on(check_times(status, &times))?;
    times.check_order(&changed)?;

    let commander = match &patch.commander {
        Some(Some(email)) if !email.trim().is_empty() => Some(Some(
            lookup::user_id(&txn, "commander", email.trim()).await?,
        )),
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
    diff_children(
        &mut diff,
        &before,
        services.as_deref(),
        tags.as_deref(),
        &patch,
    );
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
        am.commander_id = Set(c.map(UserId));
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
    if let Err(e) = save_version(&txn, am, old.id, old.version, now, &old.key).await {
        return Err(match e {
            AppError::Conflict { .. } => {
                stale_by(&txn, RecordType::Incident, &old.key, &old.key).await
            }
            e => e,
        });
    }
    if rca_due_at != old.rca_due_at {
        sync_due(&txn, old.id, rca_due_at).await?;
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
    status_events(&txn, &old, status, (&old_times, &times), author, now).await?;
    let escalation = (severity != old.severity)
        .then(|| severity_change_text(old.severity, severity, reason.as_deref()));
    if let Some(text) = &escalation {
        add_server_entry(
            &txn,
            old.id,
            EventKind::Escalation,
            now,
            text.clone(),
            author,
            now,
        )
        .await?;
    }
    let status_text = (status != old.status).then(|| {
        format!(
            "Status changed: {} → {}",
            old.status.label(),
            status.label()
        )
    });
    announce(&txn, old.id, escalation, status_text, actor, now).await?;
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::Incident,
        &old.key,
        AuditAction::Update,
        &diff.0,
    )
    .await?;
    let ev = LiveEvent::incident_updated(&old.key, i64::from(old.version) + 1, actor);
    live::publish(&txn, ev).await?;
    txn.commit().await?;
    let fresh = find(db, key).await?;
    view(db, fresh).await
}

/// The reason an edit gives (an escalation's "why"), trimmed; at most 2,000 characters.
fn change_reason(patch: &IncidentPatch) -> AppResult<Option<String>> {
    let reason = text::clean(patch.reason.as_deref());
    if reason.as_ref().is_some_and(|r| r.chars().count() > 2000) {
        return Err(AppError::invalid(
            "reason",
            "must be at most 2000 characters",
        ));
    }
    Ok(reason)
}

/// The key times after `patch`, and the names of those it sets.
fn patched_times(patch: &IncidentPatch, old: KeyTimes) -> (KeyTimes, Vec<&'static str>) {
    let mut times = old;
    let mut changed = Vec::new();
    for (name, value, slot) in [
        ("started_at", patch.started_at, &mut times.started_at),
        (
            "acknowledged_at",
            patch.acknowledged_at,
            &mut times.acknowledged_at,
        ),
        ("mitigated_at", patch.mitigated_at, &mut times.mitigated_at),
        ("resolved_at", patch.resolved_at, &mut times.resolved_at),
        ("closed_at", patch.closed_at, &mut times.closed_at),
        (
            "detected_at",
            patch.detected_at.map(Some),
            &mut times.detected_at,
        ),
    ] {
        if let Some(v) = value {
            *slot = v;
            changed.push(name);
        }
    }
    (times, changed)
}

/// A status change checked against the severity and the postmortem; its effect on the key
/// times (a reopen clears resolution and closure, resolving and closing stamp `now` when the
/// time is not given). Returns the new status and reopen count.
async fn status_change(
    txn: &impl ConnectionTrait,
    old: &incident::Model,
    to: IncidentStatus,
    severity: Severity,
    times: &mut KeyTimes,
    now: DateTime<Utc>,
) -> AppResult<(IncidentStatus, i32)> {
    let pm = postmortem::Entity::find()
        .filter(postmortem::Column::IncidentId.eq(old.id))
        .one(txn)
        .await?
        .map(|p| p.status);
    let effect = check_status_change(old.status, to, severity, pm)?;
    let mut reopen_count = old.reopen_count;
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
    Ok((to, reopen_count))
}

/// "Severity escalated: SEV3 → SEV1: why", for the timeline and the channels.
fn severity_change_text(from: Severity, to: Severity, reason: Option<&str>) -> String {
    let what = if to.level() < from.level() {
        "escalated"
    } else {
        "de-escalated"
    };
    let why = reason.map(|r| format!(": {r}")).unwrap_or_default();
    format!("Severity {what}: {} → {}{why}", from.label(), to.label())
}

/// Tells the channels that listen of a severity or status change, in the edit's transaction.
async fn announce(
    txn: &impl ConnectionTrait,
    id: i64,
    severity: Option<String>,
    status: Option<String>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if severity.is_none() && status.is_none() {
        return Ok(());
    }
    let fresh = incident::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(AppError::internal)?;
    let svc = super::labels::services_of(txn, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    for (event, text) in [
        (NotifyEvent::IncidentSeverityChanged, severity),
        (NotifyEvent::IncidentStatusChanged, status),
    ] {
        if let Some(text) = text {
            notices::incident_change(txn, event, &fresh, &svc, text, Vec::new(), actor, now)
                .await?;
        }
    }
    Ok(())
}

/// The audit diff of the sets an edit replaces: services, tags, commander and roles.
fn diff_children(
    diff: &mut Diff,
    before: &Incident,
    services: Option<&[String]>,
    tags: Option<&[String]>,
    patch: &IncidentPatch,
) {
    if let Some(s) = services {
        diff.field(
            "services",
            Some(&before.services.join(", ")),
            Some(&s.join(", ")),
        );
    }
    if let Some(t) = tags {
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
}

/// The automatic `status_change` events of an edit: one for the status, one per key time.
async fn status_events(
    txn: &impl ConnectionTrait,
    old: &incident::Model,
    status: IncidentStatus,
    (old_times, times): (&KeyTimes, &KeyTimes),
    author: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    if status != old.status {
        let what =
            if status == IncidentStatus::Investigating && old.status == IncidentStatus::Resolved {
                " (reopened)"
            } else {
                ""
            };
        add_server_event(
            txn,
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
                txn,
                old.id,
                now,
                format!("{f}: {} → {}", fmt_time(a), fmt_time(b)),
                author,
                now,
            )
            .await?;
        }
    }
    Ok(())
}
