//! Corrective and preventive actions: records with owners and deadlines, the transition
//! machine with four-eyes verification, and the list with its filters.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};

use crate::domain::action::{ActionState, TransitionRequest, check_transition, urgency};
use crate::domain::authz::Op;
use crate::domain::incident::check_title;
use crate::domain::{ActionKind, ActionStatus, KeyKind, Priority, RecordKey, Role, UserId};
use crate::error::{AppError, AppResult, FieldError};
use crate::model::{
    Action, ActionFilter, ActionInbox, ActionPatch, ActionSummary, ActionTransition, NewAction,
    Page, Verification,
};
use crate::ssr::audit::{self, Diff};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{action, action_verification, incident, known_error};
use crate::ssr::services::incidents::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::ssr::services::{compare_and_set, incident_write, keys, known_errors, users};
use crate::ssr::settings::{self, OrgSettings};
use crate::ssr::{from_ms, to_ms};

/// Longest description, plan or evidence, in characters.
pub const MAX_TEXT: usize = 50_000;

/// Finds an action by key (`ACT-4`) or 404.
pub async fn find(db: &impl ConnectionTrait, key: &str) -> AppResult<action::Model> {
    let parsed = RecordKey::parse_as(KeyKind::Action, key)
        .ok_or_else(|| AppError::not_found(format!("action {key}")))?;
    action::Entity::find()
        .filter(action::Column::Seq.eq(parsed.seq))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("action {parsed}")))
}

/// Open or in progress with a due date before today.
fn overdue(m: &action::Model, today: NaiveDate) -> bool {
    m.status.is_open() && m.due_date.is_some_and(|d| d < today)
}

/// The full action with its links, people and verification attempts.
pub async fn view(
    db: &impl ConnectionTrait,
    m: action::Model,
    today: NaiveDate,
) -> AppResult<Action> {
    let attempts = action_verification::Entity::find()
        .filter(action_verification::Column::ActionId.eq(m.id))
        .order_by_asc(action_verification::Column::Id)
        .all(db)
        .await?;
    let people = users::emails(
        db,
        attempts
            .iter()
            .map(|v| v.verified_by)
            .chain(m.owner_id)
            .chain(m.verified_by)
            .collect(),
    )
    .await?;
    let incident = match m.incident_id {
        Some(id) => incident::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|i| i.key),
        None => None,
    };
    let known_error = match m.known_error_id {
        Some(id) => known_error::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|k| k.key),
        None => None,
    };
    Ok(Action {
        overdue: overdue(&m, today),
        incident,
        known_error,
        owner: m.owner_id.and_then(|id| people.get(&id).cloned()),
        verified_by: m.verified_by.and_then(|id| people.get(&id).cloned()),
        verifications: attempts
            .into_iter()
            .map(|v| Verification {
                verified_by: people.get(&v.verified_by).cloned(),
                verified_at: from_ms(v.verified_at),
                result: v.result,
                evidence: v.evidence,
            })
            .collect(),
        key: m.key,
        title: m.title,
        description: m.description,
        kind: m.kind,
        priority: m.priority,
        team: m.team,
        due_date: m.due_date,
        status: m.status,
        completed_at: m.completed_at.map(from_ms),
        verification_required: m.verification_required,
        verification_plan: m.verification_plan,
        verification_due: m.verification_due,
        verified_at: m.verified_at.map(from_ms),
        verification_result: m.verification_result,
        verification_evidence: m.verification_evidence,
        cancelled_reason: m.cancelled_reason,
        external_url: m.external_url,
        reopen_count: m.reopen_count,
        created_at: from_ms(m.created_at),
        updated_at: from_ms(m.updated_at),
        version: m.version,
    })
}

fn today(s: &OrgSettings, now: DateTime<Utc>) -> NaiveDate {
    s.calendar().date_of(now)
}

pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    key: &str,
    now: DateTime<Utc>,
) -> AppResult<Action> {
    actor.require(Op::Read)?;
    let s = settings::load(db).await?;
    let m = find(db, key).await?;
    view(db, m, today(&s, now)).await
}

/// A tracker link must be an http(s) URL: it is shown as a link.
pub(crate) fn check_url(bad: &mut Vec<FieldError>, url: Option<&str>) {
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

fn check_text(bad: &mut Vec<FieldError>, field: &str, text: Option<&String>) {
    if let Some(t) = text {
        crate::ssr::services::check_text(bad, field, t, MAX_TEXT);
    }
}

fn clean(v: Option<&str>) -> Option<String> {
    v.map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

async fn owner_id(db: &impl ConnectionTrait, email: Option<&str>) -> AppResult<Option<i64>> {
    match clean(email) {
        None => Ok(None),
        Some(e) => users::find(db, &e)
            .await?
            .map(|u| Some(u.id))
            .ok_or_else(|| AppError::invalid("owner", format!("no user with the e-mail {e}"))),
    }
}

async fn incident_id(db: &impl ConnectionTrait, key: Option<&str>) -> AppResult<Option<i64>> {
    match clean(key) {
        None => Ok(None),
        Some(k) => incident_write::find(db, &k)
            .await
            .map(|i| Some(i.id))
            .map_err(|_| AppError::invalid("incident", format!("no incident {k}"))),
    }
}

async fn known_error_id(db: &impl ConnectionTrait, key: Option<&str>) -> AppResult<Option<i64>> {
    match clean(key) {
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
    if new
        .team
        .as_ref()
        .is_some_and(|t| t.trim().chars().count() > 100)
    {
        bad.push(FieldError::new("team", "must be at most 100 characters"));
    }
    if !bad.is_empty() {
        return Err(AppError::invalid_many(bad));
    }
    let s = settings::load(db).await?;
    let kind = new.kind.unwrap_or(ActionKind::Corrective);
    let txn = db.begin().await?;
    let owner = owner_id(&txn, new.owner.as_deref()).await?;
    let inc = incident_id(&txn, new.incident.as_deref()).await?;
    let ke = known_error_id(&txn, new.known_error.as_deref()).await?;
    let key = keys::next(&txn, KeyKind::Action).await?;
    let m = action::ActiveModel {
        key: Set(key.to_string()),
        seq: Set(key.seq),
        incident_id: Set(inc),
        known_error_id: Set(ke),
        title: Set(new.title.trim().to_owned()),
        description: Set(new.description.clone()),
        kind: Set(kind),
        priority: Set(new.priority.unwrap_or(Priority::Medium)),
        owner_id: Set(owner),
        team: Set(clean(new.team.as_deref())),
        due_date: Set(new.due_date),
        status: Set(ActionStatus::Open),
        verification_required: Set(new
            .verification_required
            .unwrap_or_else(|| kind.verification_required_by_default())),
        verification_plan: Set(new.verification_plan.clone()),
        verification_due: Set(new.verification_due),
        external_url: Set(clean(new.external_url.as_deref())),
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
    diff.field("owner", None, clean(new.owner.as_deref()).as_ref());
    diff.field("team", None, m.team.as_ref());
    diff.field("due_date", None, m.due_date.as_ref());
    diff.field("incident", None, clean(new.incident.as_deref()).as_ref());
    diff.field(
        "known_error",
        None,
        clean(new.known_error.as_deref()).as_ref(),
    );
    audit::record(&txn, &actor.who(), now, "action", &m.key, "create", &diff.0).await?;
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
    let txn = db.begin().await?;
    let old = find(&txn, key).await?;
    actor.require(Op::ChangeAction {
        owner: old.owner_id.map(UserId),
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
        if id != old.owner_id {
            let before = users::emails(&txn, old.owner_id.into_iter().collect()).await?;
            diff.field(
                "owner",
                old.owner_id.and_then(|i| before.get(&i)),
                clean(o.as_deref()).as_ref(),
            );
        }
        am.owner_id = Set(id);
    }
    if let Some(t) = &p.team {
        let t = clean(t.as_deref());
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
        let u = clean(u.as_deref());
        diff.field("external_url", old.external_url.as_ref(), u.as_ref());
        am.external_url = Set(u);
    }
    if let Some(i) = &p.incident {
        let id = incident_id(&txn, i.as_deref()).await?;
        if id != old.incident_id {
            diff.field("incident", None, clean(i.as_deref()).as_ref());
        }
        am.incident_id = Set(id);
    }
    if let Some(k) = &p.known_error {
        let id = known_error_id(&txn, k.as_deref()).await?;
        if id != old.known_error_id {
            diff.field("known_error", None, clean(k.as_deref()).as_ref());
        }
        am.known_error_id = Set(id);
    }
    if diff.is_empty() {
        txn.commit().await?;
        return view(db, old, today(&s, now)).await;
    }
    am.updated_at = Set(to_ms(now));
    am.version = Set(old.version + 1);
    if !compare_and_set(
        &txn,
        am,
        (action::Column::Id, old.id),
        (action::Column::Version, old.version),
    )
    .await?
    {
        return Err(AppError::stale(&old.key));
    }
    audit::record(
        &txn,
        &actor.who(),
        now,
        "action",
        &old.key,
        "update",
        &diff.0,
    )
    .await?;
    txn.commit().await?;
    let fresh = find(db, key).await?;
    view(db, fresh, today(&s, now)).await
}

/// Moves an action through its states (see `domain::action::check_transition`). Only admins
/// may give `at` (backdated history).
pub async fn transition<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    key: &str,
    t: ActionTransition,
    now: DateTime<Utc>,
) -> AppResult<Action> {
    actor.require(Op::Read)?;
    if t.at.is_some() && actor.role != Role::Admin {
        return Err(AppError::invalid(
            "at",
            "only admins may backdate a transition",
        ));
    }
    let mut bad = Vec::new();
    check_text(&mut bad, "evidence", t.evidence.as_ref());
    check_text(&mut bad, "reason", t.reason.as_ref());
    if !bad.is_empty() {
        return Err(AppError::invalid_many(bad));
    }
    let me = actor
        .user_id()
        .ok_or_else(|| AppError::forbidden("a transition is made by a user"))?;
    let s = settings::load(db).await?;
    let cal = s.calendar();
    let txn = db.begin().await?;
    let old = find(&txn, key).await?;
    actor.require(Op::ChangeAction {
        owner: old.owner_id.map(UserId),
    })?;
    if t.version.is_some_and(|v| v != old.version) {
        return Err(AppError::stale(&old.key));
    }
    let state = ActionState {
        status: old.status,
        owner: old.owner_id.map(UserId),
        verification_required: old.verification_required,
        verification_due: old.verification_due,
    };
    let req = TransitionRequest {
        to: t.to,
        at: t.at,
        result: t.result,
        evidence: t.evidence.as_deref(),
        reason: t.reason.as_deref(),
    };
    let c = check_transition(&state, &req, me, now, &cal, s.verification_days)?;
    if let Some(at) = t.at
        && at < from_ms(old.created_at)
    {
        return Err(AppError::invalid(
            "at",
            "must not be before the action was created",
        ));
    }
    let mut am: action::ActiveModel = old.clone().into();
    let mut diff = Diff::default();
    let status = c.status.unwrap_or(old.status);
    diff.field("status", Some(&old.status), Some(&status));
    am.status = Set(status);
    if let Some(v) = c.completed_at {
        diff.field(
            "completed_at",
            old.completed_at.map(|t| from_ms(t).to_rfc3339()).as_ref(),
            v.map(|t| t.to_rfc3339()).as_ref(),
        );
        am.completed_at = Set(v.map(to_ms));
        am.completed_on = Set(v.map(|t| cal.date_of(t)));
    }
    if let Some(v) = c.verification_due {
        diff.field(
            "verification_due",
            old.verification_due.as_ref(),
            v.as_ref(),
        );
        am.verification_due = Set(v);
    }
    if let Some(v) = c.verified_at {
        diff.field("verified_at", None, v.map(|t| t.to_rfc3339()).as_ref());
        am.verified_at = Set(v.map(to_ms));
        am.verified_on = Set(v.map(|t| cal.date_of(t)));
    }
    if let Some(v) = c.verified_by {
        am.verified_by = Set(v.map(|u| u.0));
        diff.field("verified_by", None, actor.user.as_ref().map(|u| &u.email));
    }
    if let Some(v) = c.verification_result {
        diff.field("verification_result", None, v.as_ref());
        am.verification_result = Set(v);
    }
    if let Some(v) = c.verification_evidence {
        diff.field("verification_evidence", None, v.as_ref());
        am.verification_evidence = Set(v);
    }
    if let Some(v) = c.cancelled_reason {
        diff.field(
            "cancelled_reason",
            old.cancelled_reason.as_ref(),
            v.as_ref(),
        );
        am.cancelled_reason = Set(v);
    }
    if c.reopen {
        diff.field(
            "reopen_count",
            Some(&old.reopen_count),
            Some(&(old.reopen_count + 1)),
        );
        am.reopen_count = Set(old.reopen_count + 1);
    }
    am.updated_at = Set(to_ms(now));
    am.version = Set(old.version + 1);
    if !compare_and_set(
        &txn,
        am,
        (action::Column::Id, old.id),
        (action::Column::Version, old.version),
    )
    .await?
    {
        return Err(AppError::stale(&old.key));
    }
    if let Some(v) = c.verification {
        // Every attempt is kept, a failed one included.
        action_verification::ActiveModel {
            action_id: Set(old.id),
            verified_by: Set(v.verified_by.0),
            verified_at: Set(to_ms(v.verified_at)),
            result: Set(v.result),
            evidence: Set(v.evidence.clone()),
            created_at: Set(to_ms(now)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        diff.field(
            "verification",
            None,
            Some(&format!("{}: {}", v.result, v.evidence)),
        );
    }
    audit::record(
        &txn,
        &actor.who(),
        now,
        "action",
        &old.key,
        "transition",
        &diff.0,
    )
    .await?;
    txn.commit().await?;
    let fresh = find(db, key).await?;
    view(db, fresh, cal.date_of(now)).await
}

/// The filtered query of the list and its exports (`None`: an owner that does not exist,
/// so nothing matches).
async fn filtered(
    db: &impl ConnectionTrait,
    f: &ActionFilter,
    today: NaiveDate,
) -> AppResult<Option<sea_orm::Select<action::Entity>>> {
    let mut q = action::Entity::find();
    // SQLite's planner would rather use an index on a low-selectivity column (status, due
    // date, kind, priority) and sort every match than walk the newest-first key and stop after
    // a page; a unary `+` keeps those columns out of index choice there. PostgreSQL decides
    // from its statistics and gets plain conditions.
    use sea_orm::sea_query::{Expr, SimpleExpr};
    let sqlite = db.get_database_backend() == sea_orm::DbBackend::Sqlite;
    let unindexed = |column: &str, op: &str, values: Vec<sea_orm::Value>, plain: SimpleExpr| {
        if sqlite {
            let marks = vec!["?"; values.len()].join(", ");
            let rhs = if values.len() > 1 {
                format!("({marks})")
            } else {
                marks
            };
            Expr::cust_with_values(format!("+\"actions\".\"{column}\" {op} {rhs}"), values)
        } else {
            plain
        }
    };
    if let Some(st) = f.status {
        q = q.filter(unindexed(
            "status",
            "=",
            vec![st.as_str().into()],
            action::Column::Status.eq(st),
        ));
    }
    if let Some(email) = f.owner.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        match users::find(db, email).await? {
            Some(u) => q = q.filter(action::Column::OwnerId.eq(u.id)),
            None => return Ok(None),
        }
    }
    if let Some(team) = f.team.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        q = q.filter(action::Column::Team.eq(team));
    }
    if let Some(k) = clean(f.incident.as_deref()) {
        match incident_write::find(db, &k).await {
            Ok(i) => q = q.filter(action::Column::IncidentId.eq(i.id)),
            Err(AppError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    if let Some(k) = clean(f.known_error.as_deref()) {
        match known_errors::find(db, &k).await {
            Ok(i) => q = q.filter(action::Column::KnownErrorId.eq(i.id)),
            Err(AppError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    if f.overdue == Some(true) {
        let open = [ActionStatus::Open, ActionStatus::InProgress];
        q = q
            .filter(unindexed(
                "status",
                "IN",
                open.iter().map(|s| s.as_str().into()).collect(),
                action::Column::Status.is_in(open),
            ))
            .filter(unindexed(
                "due_date",
                "<",
                vec![today.into()],
                action::Column::DueDate.lt(today),
            ));
    }
    if f.verification_overdue == Some(true) {
        q = q
            .filter(unindexed(
                "status",
                "=",
                vec![ActionStatus::Done.as_str().into()],
                action::Column::Status.eq(ActionStatus::Done),
            ))
            .filter(action::Column::VerificationRequired.eq(true))
            .filter(unindexed(
                "verification_due",
                "<",
                vec![today.into()],
                action::Column::VerificationDue.lt(today),
            ));
    }
    if let Some(d) = f.due_from {
        q = q.filter(unindexed(
            "due_date",
            ">=",
            vec![d.into()],
            action::Column::DueDate.gte(d),
        ));
    }
    if let Some(d) = f.due_to {
        q = q.filter(unindexed(
            "due_date",
            "<=",
            vec![d.into()],
            action::Column::DueDate.lte(d),
        ));
    }
    // The incident's severity and service, as the metrics scope actions.
    let service = clean(f.service.as_deref());
    if f.severity.is_some() || service.is_some() {
        let mut cond = String::from("SELECT fi.id FROM incidents fi WHERE 1 = 1");
        let mut values: Vec<sea_orm::Value> = Vec::new();
        if let Some(s) = f.severity {
            cond += " AND fi.severity = ?";
            values.push(s.as_str().into());
        }
        if let Some(svc) = service {
            cond += " AND EXISTS (SELECT 1 FROM incident_services fs WHERE fs.incident_id = fi.id AND fs.service = ?)";
            values.push(svc.into());
        }
        q = q.filter(super::cust_sql(
            db.get_database_backend(),
            &format!("\"actions\".\"incident_id\" IN ({cond})"),
            values,
        ));
    }
    if let Some(k) = f.kind {
        q = q.filter(unindexed(
            "kind",
            "=",
            vec![k.as_str().into()],
            action::Column::Kind.eq(k),
        ));
    }
    if let Some(p) = f.priority {
        q = q.filter(unindexed(
            "priority",
            "=",
            vec![p.as_str().into()],
            action::Column::Priority.eq(p),
        ));
    }
    Ok(Some(q))
}

fn cursor(page: Option<&str>) -> AppResult<Option<i64>> {
    match page.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(c) => c
            .parse()
            .map(Some)
            .map_err(|_| AppError::invalid("page", "is not a cursor from a previous page")),
    }
}

/// One page of actions, newest first, paginated by key.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    f: &ActionFilter,
    now: DateTime<Utc>,
) -> AppResult<Page<ActionSummary>> {
    actor.require(Op::Read)?;
    let s = settings::load(db).await?;
    let today = today(&s, now);
    let limit = f.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT) as usize;
    let after = cursor(f.page.as_deref())?;
    let Some(mut q) = filtered(db, f, today).await? else {
        return Ok(Page {
            items: Vec::new(),
            next: None,
        });
    };
    if let Some(seq) = after {
        q = q.filter(action::Column::Seq.lt(seq));
    }
    let mut rows = q
        .order_by_desc(action::Column::Seq)
        .limit(limit as u64 + 1)
        .all(db)
        .await?;
    let next = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|r| r.seq.to_string())
    } else {
        None
    };
    let items = summaries(db, rows, today).await?;
    Ok(Page { items, next })
}

/// Keys of incidents by id, in one query (none for an empty set).
async fn incident_keys(
    db: &impl ConnectionTrait,
    ids: impl Iterator<Item = i64>,
) -> AppResult<HashMap<i64, String>> {
    let ids: Vec<i64> = ids.collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(incident::Entity::find()
        .select_only()
        .column(incident::Column::Id)
        .column(incident::Column::Key)
        .filter(incident::Column::Id.is_in(ids))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// Keys of known errors by id, in one query (none for an empty set).
async fn known_error_keys(
    db: &impl ConnectionTrait,
    ids: impl Iterator<Item = i64>,
) -> AppResult<HashMap<i64, String>> {
    let ids: Vec<i64> = ids.collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(known_error::Entity::find()
        .select_only()
        .column(known_error::Column::Id)
        .column(known_error::Column::Key)
        .filter(known_error::Column::Id.is_in(ids))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// List rows with their owners' e-mails and incidents' keys (two queries for the lot).
async fn summaries(
    db: &impl ConnectionTrait,
    rows: Vec<action::Model>,
    today: NaiveDate,
) -> AppResult<Vec<ActionSummary>> {
    let owners = users::emails(db, rows.iter().filter_map(|r| r.owner_id).collect()).await?;
    let incidents = incident_keys(db, rows.iter().filter_map(|r| r.incident_id)).await?;
    Ok(rows
        .into_iter()
        .map(|m| ActionSummary {
            overdue: overdue(&m, today),
            owner: m.owner_id.and_then(|id| owners.get(&id).cloned()),
            incident: m.incident_id.and_then(|id| incidents.get(&id).cloned()),
            key: m.key,
            title: m.title,
            kind: m.kind,
            priority: m.priority,
            status: m.status,
            team: m.team,
            due_date: m.due_date,
            verification_due: m.verification_due,
        })
        .collect())
}

/// Most rows in each part of "my actions".
pub const INBOX_LIMIT: u64 = 200;

/// The most that "my actions" counts of a verification backlog.
pub const COUNT_CAP: u64 = 1_000;

/// Done actions that need a verification: `mine` those `me` owns, else everyone else's.
fn waiting_for_verification(me: i64, mine: bool) -> sea_orm::Select<action::Entity> {
    let q = action::Entity::find()
        .filter(action::Column::Status.eq(ActionStatus::Done))
        .filter(action::Column::VerificationRequired.eq(true));
    if mine {
        q.filter(action::Column::OwnerId.eq(me))
    } else {
        q.filter(
            sea_orm::Condition::any()
                .add(action::Column::OwnerId.ne(me))
                .add(action::Column::OwnerId.is_null()),
        )
    }
}

/// Up to `INBOX_LIMIT` rows of `q`, earliest `date` first (then oldest), rows without a date
/// after them: the dated ones walk an index that ends in `date` and stop at the limit.
async fn dated_first(
    db: &impl ConnectionTrait,
    q: sea_orm::Select<action::Entity>,
    date: action::Column,
) -> AppResult<Vec<action::Model>> {
    let mut rows = q
        .clone()
        .filter(date.is_not_null())
        .order_by_asc(date)
        .order_by_asc(action::Column::Id)
        .limit(INBOX_LIMIT)
        .all(db)
        .await?;
    let room = INBOX_LIMIT.saturating_sub(rows.len() as u64);
    if room > 0 {
        rows.extend(
            q.filter(date.is_null())
                .order_by_asc(action::Column::Id)
                .limit(room)
                .all(db)
                .await?,
        );
    }
    Ok(rows)
}

/// A page of those, earliest verification deadline first, undated ones last.
async fn verification_page(
    db: &impl ConnectionTrait,
    me: i64,
    mine: bool,
) -> AppResult<Vec<action::Model>> {
    dated_first(
        db,
        waiting_for_verification(me, mine),
        action::Column::VerificationDue,
    )
    .await
}

/// "My actions": what the signed-in user owes, by urgency; their done work that waits for a
/// verification; and, for those who may verify (responders and admins), other people's done
/// work waiting for one, earliest verification deadline first.
pub async fn inbox(
    db: &impl ConnectionTrait,
    actor: &Actor,
    now: DateTime<Utc>,
) -> AppResult<ActionInbox> {
    actor.require(Op::Read)?;
    let me = actor
        .user_id()
        .ok_or_else(|| AppError::forbidden("\"my actions\" belong to a signed-in user"))?;
    let s = settings::load(db).await?;
    let today = today(&s, now);
    // One index walk per status on (owner, status, due date), merged by urgency.
    let mut owned = Vec::new();
    for status in [ActionStatus::Open, ActionStatus::InProgress] {
        let q = action::Entity::find()
            .filter(action::Column::OwnerId.eq(me.0))
            .filter(action::Column::Status.eq(status));
        owned.extend(dated_first(db, q, action::Column::DueDate).await?);
    }
    owned.sort_by_key(|a| (urgency(a.due_date, a.priority), a.seq));
    owned.truncate(INBOX_LIMIT as usize);
    let owned = summaries(db, owned, today).await?;
    let mine_waiting = verification_page(db, me.0, true).await?;
    let awaiting_verification = summaries(db, mine_waiting, today).await?;
    let can_verify = crate::domain::authz::allows(actor.role, me, Op::ChangeAction { owner: None });
    let (to_verify, to_verify_total, to_verify_more) = if can_verify {
        let rows = verification_page(db, me.0, false).await?;
        // Counted up to a cap, so a large backlog costs no more than a page.
        let counted = waiting_for_verification(me.0, false)
            .select_only()
            .column(action::Column::Id)
            .limit(COUNT_CAP + 1)
            .into_tuple::<i64>()
            .all(db)
            .await?
            .len() as u64;
        (
            summaries(db, rows, today).await?,
            counted.min(COUNT_CAP),
            counted > COUNT_CAP,
        )
    } else {
        (Vec::new(), 0, false)
    };
    Ok(ActionInbox {
        today,
        owned,
        awaiting_verification,
        can_verify,
        to_verify,
        to_verify_total,
        to_verify_more,
    })
}

/// Rows per batch of an export.
const EXPORT_BATCH: u64 = 5_000;

/// Every action matching the filter, newest first, as `(action, owner e-mail, incident key,
/// known-error key, overdue)`; read in keyset batches, each batch's people and links in one
/// query apiece.
pub async fn export(
    db: &impl ConnectionTrait,
    actor: &Actor,
    f: &ActionFilter,
    now: DateTime<Utc>,
) -> AppResult<Vec<ExportRow>> {
    actor.require(Op::Read)?;
    let s = settings::load(db).await?;
    let today = today(&s, now);
    let mut out = Vec::new();
    let mut after: Option<i64> = None;
    loop {
        let Some(mut q) = filtered(db, f, today).await? else {
            return Ok(out);
        };
        if let Some(seq) = after {
            q = q.filter(action::Column::Seq.lt(seq));
        }
        let rows = q
            .order_by_desc(action::Column::Seq)
            .limit(EXPORT_BATCH)
            .all(db)
            .await?;
        let Some(last) = rows.last() else {
            return Ok(out);
        };
        after = Some(last.seq);
        let full = rows.len() as u64 == EXPORT_BATCH;
        let owners = users::emails(
            db,
            rows.iter()
                .filter_map(|r| r.owner_id)
                .chain(rows.iter().filter_map(|r| r.verified_by))
                .collect(),
        )
        .await?;
        let incidents = incident_keys(db, rows.iter().filter_map(|r| r.incident_id)).await?;
        let kes = known_error_keys(db, rows.iter().filter_map(|r| r.known_error_id)).await?;
        for m in rows {
            out.push(ExportRow {
                overdue: overdue(&m, today),
                owner: m.owner_id.and_then(|id| owners.get(&id).cloned()),
                verified_by: m.verified_by.and_then(|id| owners.get(&id).cloned()),
                incident: m.incident_id.and_then(|id| incidents.get(&id).cloned()),
                known_error: m.known_error_id.and_then(|id| kes.get(&id).cloned()),
                action: m,
            });
        }
        if !full {
            return Ok(out);
        }
    }
}

/// One action of an export with the names its ids stand for.
pub struct ExportRow {
    pub action: action::Model,
    pub owner: Option<String>,
    pub verified_by: Option<String>,
    pub incident: Option<String>,
    pub known_error: Option<String>,
    pub overdue: bool,
}

/// After a time-zone change: the organisation-time-zone dates kept beside action times
/// (`created_on`, `completed_on`, `verified_on`, which the metrics compare with due dates),
/// recomputed in key order, in batches, only where they change.
pub async fn recompute_dates(txn: &impl ConnectionTrait, s: &OrgSettings) -> AppResult<usize> {
    use sea_orm::sea_query::{CaseStatement, Expr};
    type Row = (
        i64,
        i64,
        NaiveDate,
        Option<i64>,
        Option<NaiveDate>,
        Option<i64>,
        Option<NaiveDate>,
    );
    let cal = s.calendar();
    let mut after = 0i64;
    let mut changed = 0;
    loop {
        let rows: Vec<Row> = action::Entity::find()
            .select_only()
            .column(action::Column::Id)
            .column(action::Column::CreatedAt)
            .column(action::Column::CreatedOn)
            .column(action::Column::CompletedAt)
            .column(action::Column::CompletedOn)
            .column(action::Column::VerifiedAt)
            .column(action::Column::VerifiedOn)
            .filter(action::Column::Id.gt(after))
            .order_by_asc(action::Column::Id)
            .limit(EXPORT_BATCH)
            .into_tuple()
            .all(txn)
            .await?;
        let Some(last) = rows.last() else {
            return Ok(changed);
        };
        after = last.0;
        let date = |t: i64| cal.date_of(from_ms(t));
        let fix: Vec<(i64, NaiveDate, Option<NaiveDate>, Option<NaiveDate>)> = rows
            .iter()
            .filter_map(|(id, c, con, d, don, v, von)| {
                let new = (date(*c), d.map(date), v.map(date));
                (new != (*con, *don, *von)).then_some((*id, new.0, new.1, new.2))
            })
            .collect();
        for chunk in fix.chunks(500) {
            let (mut created, mut completed, mut verified) = (
                CaseStatement::new(),
                CaseStatement::new(),
                CaseStatement::new(),
            );
            for (id, c, d, v) in chunk {
                created = created.case(action::Column::Id.eq(*id), Expr::val(*c));
                completed = completed.case(action::Column::Id.eq(*id), Expr::val(*d));
                verified = verified.case(action::Column::Id.eq(*id), Expr::val(*v));
            }
            action::Entity::update_many()
                .col_expr(action::Column::CreatedOn, created.into())
                .col_expr(action::Column::CompletedOn, completed.into())
                .col_expr(action::Column::VerifiedOn, verified.into())
                .filter(action::Column::Id.is_in(chunk.iter().map(|r| r.0)))
                .exec(txn)
                .await?;
            changed += chunk.len();
        }
    }
}

/// An owner's deadlines for their calendar: due dates of open work and verification
/// deadlines of completed work awaiting verification.
pub async fn deadlines(
    db: &impl ConnectionTrait,
    actor: &Actor,
    owner: &str,
) -> AppResult<Vec<action::Model>> {
    actor.require(Op::Read)?;
    let Some(u) = users::find(db, owner).await? else {
        return Err(AppError::not_found(format!("user {owner}")));
    };
    use sea_orm::Condition;
    Ok(action::Entity::find()
        .filter(action::Column::OwnerId.eq(u.id))
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(
                            action::Column::Status
                                .is_in([ActionStatus::Open, ActionStatus::InProgress]),
                        )
                        .add(action::Column::DueDate.is_not_null()),
                )
                .add(
                    Condition::all()
                        .add(action::Column::Status.eq(ActionStatus::Done))
                        .add(action::Column::VerificationRequired.eq(true))
                        .add(action::Column::VerificationDue.is_not_null()),
                ),
        )
        .order_by_asc(action::Column::Seq)
        .all(db)
        .await?)
}
