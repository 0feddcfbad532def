//! The action list: the filters the dashboard's figures open, and keyset pages.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::find::today;
use crate::domain::ActionStatus;
use crate::domain::action::overdue;
use crate::domain::authz::Op;
use crate::error::{AppError, AppResult};
use crate::model::{ActionFilter, ActionSummary, Page};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{action, incident};
use crate::ssr::services::common::{Keyset, Sql, conditions, lookup, page, text};
use crate::ssr::services::settings::{self};
use crate::ssr::services::users;
use crate::ssr::services::{incident as incidents, known_error as known_errors};

/// The filtered query of the list and its exports (`None`: an owner that does not exist,
/// so nothing matches).
pub(super) async fn filtered(
    db: &impl ConnectionTrait,
    actor: &Actor,
    f: &ActionFilter,
    today: NaiveDate,
) -> AppResult<Option<sea_orm::Select<action::Entity>>> {
    let mut q = action::Entity::find();
    // SQLite's planner would rather use an index on a low-selectivity column (status, due
    // date, kind, priority) and sort every match than walk the newest-first key and stop after
    // a page; a unary `+` keeps those columns out of index choice there. PostgreSQL decides
    // from its statistics and gets plain conditions.
    use sea_orm::sea_query::SimpleExpr;
    let backend = db.get_database_backend();
    let unindexed = |column: &str, op: &str, values: Vec<sea_orm::Value>, plain: SimpleExpr| {
        if backend == sea_orm::DbBackend::Sqlite {
            let several = values.len() > 1;
            let mut p = Sql::new();
            let marks = p.bind_all(values);
            let rhs = if several { format!("({marks})") } else { marks };
            p.condition(backend, &format!("+\"actions\".\"{column}\" {op} {rhs}"))
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
    if let Some(k) = text::clean(f.incident.as_deref()) {
        match incidents::find_for(db, actor, &k).await {
            Ok(i) => q = q.filter(action::Column::IncidentId.eq(i.id)),
            Err(AppError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    if let Some(k) = text::clean(f.known_error.as_deref()) {
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
    let service = text::clean(f.service.as_deref());
    if f.severity.is_some() || service.is_some() {
        let mut p = Sql::new();
        let scope = conditions::incident_scope(&mut p, "fi", f.severity, service.as_deref());
        q = q.filter(p.condition(
            backend,
            &format!(
                "\"actions\".\"incident_id\" IN (SELECT fi.id FROM incidents fi WHERE 1 = 1{scope})"
            ),
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
    let keyset = Keyset::new(f.limit, f.page.as_deref())?;
    let Some(q) = filtered(db, actor, f, today).await? else {
        return Ok(page::empty());
    };
    let rows = keyset.apply(q, action::Column::Seq).all(db).await?;
    let (rows, next) = keyset.finish(rows, |r| r.seq);
    Ok(page::page(summaries(db, rows, today).await?, next))
}

/// List rows with their owners' e-mails and incidents' keys (two queries for the lot).
pub(super) async fn summaries(
    db: &impl ConnectionTrait,
    rows: Vec<action::Model>,
    today: NaiveDate,
) -> AppResult<Vec<ActionSummary>> {
    let owners = lookup::emails(db, rows.iter().filter_map(|r| r.owner_id)).await?;
    let incidents =
        lookup::keys::<incident::Entity, _>(db, rows.iter().filter_map(|r| r.incident_id)).await?;
    Ok(rows
        .into_iter()
        .map(|m| ActionSummary {
            overdue: overdue(m.status, m.due_date, today),
            owner: m.owner_id.and_then(|id| owners.get(&id.0).cloned()),
            incident: m.incident_id.and_then(|id| incidents.get(&id.0).cloned()),
            key: m.key,
            title: m.title,
            kind: m.kind,
            priority: m.priority,
            status: m.status,
            team: m.team,
            due_date: m.due_date,
            verification_due: m.verification_due,
            issue_key: m
                .tracker_id
                .and(m.external_key.as_deref())
                .map(crate::domain::issue_name),
            external_url: m.external_url,
        })
        .collect())
}
