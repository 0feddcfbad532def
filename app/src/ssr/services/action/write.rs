//! Creating and changing actions: text and link checks, owners by e-mail, optimistic locking.

use crate::domain::{AuditAction, RecordType};
use crate::domain::{IncidentId, KnownErrorId, UserId};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, TransactionSession, TransactionTrait,
};

use super::find::{find, today, view};
use crate::domain::authz::Op;
use crate::domain::incident::check_title;
use crate::domain::{ActionKind, ActionStatus, KeyKind, Priority};
use crate::error::{AppError, AppResult, FieldError};
use crate::model::{Action, ActionPatch, NewAction};
use crate::ssr::audit::{self, Diff};
use crate::ssr::auth::Actor;
use crate::ssr::entities::action;
use crate::ssr::live::{self, LiveEvent};
use crate::ssr::services::common::{lookup, save_version, text};
use crate::ssr::services::settings::{self};
use crate::ssr::services::{incident as incidents, known_error as known_errors};
use crate::ssr::services::{keys, users};
use crate::ssr::to_ms;

/// Longest description, plan or evidence, in characters.
pub const MAX_TEXT: usize = 50_000;

/// A tracker link must be an http(s) URL: it is shown as a link.
pub fn check_url(bad: &mut Vec<FieldError>, url: Option<&str>) {
    if let Some(u) = url.map(str::trim).filter(|u| !u.is_empty())
        && (!(u.starts_with("https://") || u.starts_with("http://"))
            || u.len() > 2_000
            || u.contains(char::is_whitespace))
    {
        bad.push(FieldError::new(
            "external_url",
            "must be an http or https address",
        ));
    }
}

pub(super) fn check_text(bad: &mut Vec<FieldError>, field: &str, value: Option<&String>) {
    text::check_opt(bad, field, value, MAX_TEXT);
}

async fn owner_id(db: &impl ConnectionTrait, email: Option<&str>) -> AppResult<Option<i64>> {
    match text::clean(email) {
        None => Ok(None),
        Some(e) => users::find(db, &e)
            .await?
            .map(|u| Some(u.id))
            .ok_or_else(|| AppError::invalid("owner", format!("no user with the e-mail {e}"))),
    }
}

async fn incident_id(db: &impl ConnectionTrait, key: Option<&str>) -> AppResult<Option<i64>> {
    match text::clean(key) {
        None => Ok(None),
        Some(k) => incidents::find(db, &k)
            .await
            .map(|i| Some(i.id))
            .map_err(|_| AppError::invalid("incident", format!("no incident {k}"))),
    }
}

async fn known_error_id(db: &impl ConnectionTrait, key: Option<&str>) -> AppResult<Option<i64>> {
    match text::clean(key) {
        None => Ok(None),
        Some(k) => known_errors::find(db, &k)
            .await
            .map(|i| Some(i.id))
            .map_err(|_| AppError::invalid("known_error", format!("no known error {k}"))),
    }
}

/// Creates an action (responders and admins).
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    new: NewAction,
    now: DateTime<Utc>,
) -> AppResult<Action> {
    actor.require(Op::CreateAction)?;
    let mut bad = Vec::new();
    if let Err(e) = check_title(&new.title) {
        bad.extend(e.fields().iter().cloned());
    }
    check_text(&mut bad, "description", Some(&new.description));
    check_text(&mut bad, "verification_plan", Some(&new.verification_plan));
    check_url(&mut bad, new.external_url.as_deref());
    text::check_label(&mut bad, "team", new.team.as_deref());
    if !bad.is_empty() {
        return Err(AppError::invalid_many(bad));
    }
    let s = settings::load(db).await?;
    let kind = new.kind.unwrap_or(ActionKind::Corrective);
    let txn = crate::ssr::db::write(db).await?;
    let owner = owner_id(&txn, new.owner.as_deref()).await?;
    let inc = incident_id(&txn, new.incident.as_deref()).await?;
    let ke = known_error_id(&txn, new.known_error.as_deref()).await?;
    let key = keys::next(&txn, KeyKind::Action).await?;
    let m = action::ActiveModel {
        key: Set(key.to_string()),
        seq: Set(key.seq),
        incident_id: Set(inc.map(IncidentId)),
        known_error_id: Set(ke.map(KnownErrorId)),
        title: Set(new.title.trim().to_owned()),
        description: Set(new.description.clone()),
        kind: Set(kind),
        priority: Set(new.priority.unwrap_or(Priority::Medium)),
        owner_id: Set(owner.map(UserId)),
        team: Set(text::clean(new.team.as_deref())),
        due_date: Set(new.due_date),
        status: Set(ActionStatus::Open),
        verification_required: Set(new
            .verification_required
            .unwrap_or_else(|| kind.verification_required_by_default())),
        verification_plan: Set(new.verification_plan.clone()),
        verification_due: Set(new.verification_due),
        external_url: Set(text::clean(new.external_url.as_deref())),
        reopen_count: Set(0),
        created_by: Set(actor.user_id().map(|u| u.0)),
        created_at: Set(to_ms(now)),
        created_on: Set(today(&s, now)),
        updated_at: Set(to_ms(now)),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut diff = Diff::default();
    diff.field("title", None, Some(&m.title));
    diff.field("kind", None, Some(&m.kind));
    diff.field("priority", None, Some(&m.priority));
    diff.field("status", None, Some(&m.status));
    diff.field("owner", None, text::clean(new.owner.as_deref()).as_ref());
    diff.field("team", None, m.team.as_ref());
    diff.field("due_date", None, m.due_date.as_ref());
    diff.field(
        "incident",
        None,
        text::clean(new.incident.as_deref()).as_ref(),
    );
    diff.field(
        "known_error",
        None,
        text::clean(new.known_error.as_deref()).as_ref(),
    );
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::Action,
        &m.key,
        AuditAction::Create,
        &diff.0,
    )
    .await?;
    let ev = LiveEvent::action_updated(&m.key, 1, None, [m.owner_id], actor);
    live::publish(&txn, ev).await?;
    if let Some(team) = &m.team {
        crate::ssr::services::notify::outbox::enqueue_tracker_issue(&txn, team, &m.key, now)
            .await?;
    }
    {
        use crate::ssr::entities::incident;
        use sea_orm::EntityTrait as _;
        let inc = match m.incident_id {
            Some(id) => incident::Entity::find_by_id(id.0).one(&txn).await?,
            None => None,
        };
        let svc = match &inc {
            Some(i) => crate::ssr::services::incident::services_of(&txn, &[i.id])
                .await?
                .remove(&i.id)
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let mut facts = vec![(
            "Owner".to_owned(),
            text::clean(new.owner.as_deref()).unwrap_or_else(|| "no owner".into()),
        )];
        if let Some(d) = m.due_date {
            facts.push(("Due".to_owned(), d.to_string()));
        }
        if let Some(t) = &m.team {
            facts.push(("Team".to_owned(), t.clone()));
        }
        crate::ssr::services::notify::notices::record_change(
            &txn,
            crate::domain::NotifyEvent::ActionCreated,
            RecordType::Action,
            &m.key,
            &m.title,
            &format!("/actions/{}", m.key),
            inc.as_ref().map(|i| (i, svc.as_slice())),
            m.team.as_deref(),
            format!(
                "New {} action {}: {}",
                m.kind.label().to_lowercase(),
                m.key,
                m.title
            ),
            facts,
            actor,
            now,
        )
        .await?;
    }
    txn.commit().await?;
    view(db, m, today(&s, now)).await
}

/// Changes an action: its owner (or a responder or admin) may; a stale version is 409.
pub async fn update<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    key: &str,
    p: ActionPatch,
    now: DateTime<Utc>,
) -> AppResult<Action> {
    actor.require(Op::Read)?;
    let mut bad = Vec::new();
    if let Some(t) = &p.title
        && let Err(e) = check_title(t)
    {
        bad.extend(e.fields().iter().cloned());
    }
    check_text(&mut bad, "description", p.description.as_ref());
    check_text(&mut bad, "verification_plan", p.verification_plan.as_ref());
    check_url(&mut bad, p.external_url.as_ref().and_then(|u| u.as_deref()));
    if !bad.is_empty() {
        return Err(AppError::invalid_many(bad));
    }
    let s = settings::load(db).await?;
    let txn = crate::ssr::db::write(db).await?;
    let old = find(&txn, key).await?;
    actor.require(Op::ChangeAction {
        owner: old.owner_id,
    })?;
    if p.version.is_some_and(|v| v != old.version) {
        return Err(AppError::stale(&old.key));
    }
    let mut am: action::ActiveModel = old.clone().into();
    let mut diff = Diff::default();
    if let Some(t) = &p.title {
        diff.field("title", Some(old.title.as_str()), Some(t.trim()));
        am.title = Set(t.trim().to_owned());
    }
    if let Some(d) = &p.description {
        diff.field("description", Some(&old.description), Some(d));
        am.description = Set(d.clone());
    }
    if let Some(k) = p.kind {
        diff.field("kind", Some(&old.kind), Some(&k));
        am.kind = Set(k);
    }
    if let Some(pr) = p.priority {
        diff.field("priority", Some(&old.priority), Some(&pr));
        am.priority = Set(pr);
    }
    if let Some(o) = &p.owner {
        let id = owner_id(&txn, o.as_deref()).await?;
        if id.map(UserId) != old.owner_id {
            let before = lookup::emails(&txn, old.owner_id).await?;
            diff.field(
                "owner",
                old.owner_id.and_then(|i| before.get(&i.0)),
                text::clean(o.as_deref()).as_ref(),
            );
        }
        am.owner_id = Set(id.map(UserId));
    }
    if let Some(t) = &p.team {
        let t = text::clean(t.as_deref());
        diff.field("team", old.team.as_ref(), t.as_ref());
        am.team = Set(t);
    }
    if let Some(d) = p.due_date {
        diff.field("due_date", old.due_date.as_ref(), d.as_ref());
        am.due_date = Set(d);
    }
    if let Some(r) = p.verification_required {
        diff.field(
            "verification_required",
            Some(&old.verification_required),
            Some(&r),
        );
        am.verification_required = Set(r);
    }
    if let Some(v) = &p.verification_plan {
        diff.field("verification_plan", Some(&old.verification_plan), Some(v));
        am.verification_plan = Set(v.clone());
    }
    if let Some(d) = p.verification_due {
        diff.field(
            "verification_due",
            old.verification_due.as_ref(),
            d.as_ref(),
        );
        am.verification_due = Set(d);
    }
    if let Some(u) = &p.external_url {
        let u = text::clean(u.as_deref());
        diff.field("external_url", old.external_url.as_ref(), u.as_ref());
        am.external_url = Set(u);
    }
    if let Some(i) = &p.incident {
        let id = incident_id(&txn, i.as_deref()).await?;
        if id.map(IncidentId) != old.incident_id {
            diff.field("incident", None, text::clean(i.as_deref()).as_ref());
        }
        am.incident_id = Set(id.map(IncidentId));
    }
    if let Some(k) = &p.known_error {
        let id = known_error_id(&txn, k.as_deref()).await?;
        if id.map(KnownErrorId) != old.known_error_id {
            diff.field("known_error", None, text::clean(k.as_deref()).as_ref());
        }
        am.known_error_id = Set(id.map(KnownErrorId));
    }
    if diff.is_empty() {
        txn.commit().await?;
        return view(db, old, today(&s, now)).await;
    }
    let owners = [old.owner_id, am.owner_id.try_as_ref().copied().flatten()];
    save_version(&txn, am, old.id, old.version, now, &old.key).await?;
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::Action,
        &old.key,
        AuditAction::Update,
        &diff.0,
    )
    .await?;
    let ev = LiveEvent::action_updated(&old.key, i64::from(old.version) + 1, None, owners, actor);
    live::publish(&txn, ev).await?;
    txn.commit().await?;
    let fresh = find(db, key).await?;
    view(db, fresh, today(&s, now)).await
}
