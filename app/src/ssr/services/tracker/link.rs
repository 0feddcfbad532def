//! Creating an action's issue in a tracker and linking it (`POST /actions/{key}/tracker`).
//!
//! Depends on `action` (it reads and links actions); nothing in `action` depends on it.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionSession, TransactionTrait,
};

use super::client::{self, Created, Failure, IssueDraft};
use crate::domain::authz::Op;
use crate::domain::{AuditAction, RecordType};
use crate::error::{AppError, AppResult};
use crate::model::Action;
use crate::ssr::audit::{self, FieldChange};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{action, tracker};
use crate::ssr::live::{self, LiveEvent};
use crate::ssr::services::action as actions;
use crate::ssr::to_ms;

/// The issue an action becomes: `ACT-N: title`, what it is and where it came from, its
/// description, and the link back.
pub fn draft(a: &Action, origin: &str) -> IssueDraft {
    let mut head = format!("Corrective action {}", a.key);
    if let Some(i) = &a.incident {
        head.push_str(&format!(" from incident {i}"));
    }
    head.push('.');
    let mut facts = vec![
        format!("Kind: {}", a.kind.label()),
        format!("Priority: {}", a.priority.label()),
    ];
    if let Some(d) = a.due_date {
        facts.push(format!("Due: {d}"));
    }
    if let Some(o) = &a.owner {
        facts.push(format!("Owner: {o}"));
    }
    let mut description = format!("{head}\n\n{}", facts.join(" · "));
    if !a.description.trim().is_empty() {
        description.push_str("\n\n");
        description.push_str(a.description.trim());
    }
    IssueDraft {
        summary: format!("{}: {}", a.key, a.title)
            .chars()
            .take(250)
            .collect(),
        description,
        link: format!("{}/actions/{}", origin.trim_end_matches('/'), a.key),
        priority: a.priority,
        due_date: a.due_date,
    }
}

/// Creates the issue of action `a` in tracker `t`; the credentials are opened here. Called
/// outside any transaction: nothing is held while the tracker answers.
pub async fn open_issue(
    http: &reqwest::Client,
    t: &tracker::Model,
    a: &Action,
    origin: &str,
    now: DateTime<Utc>,
) -> Result<Created, Failure> {
    let creds = super::credentials(t).ok_or_else(|| Failure {
        status: None,
        wait: None,
        message: super::UNOPENED.into(),
        unsure: false,
    })?;
    let request = client::create_request(t, &creds, &draft(a, origin));
    let answer = client::call(http, t.kind, false, &request, now).await?;
    client::read_created(t, &answer.body).map_err(|e| Failure {
        status: None,
        wait: None,
        // A success without the new issue's key: it may exist.
        message: e.to_string(),
        unsure: true,
    })
}

/// Links action `m` (of incident `incident`) to the new issue `created` of tracker `t`, in
/// `txn`, with its history entry and live event. `false` when the action got an issue
/// meanwhile: nothing is changed then.
pub async fn attach(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    t: &tracker::Model,
    m: &action::Model,
    incident: Option<String>,
    created: &Created,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let res = action::Entity::update_many()
        .col_expr(action::Column::TrackerId, Expr::value(Some(t.id)))
        .col_expr(
            action::Column::ExternalKey,
            Expr::value(Some(created.key.clone())),
        )
        .col_expr(
            action::Column::ExternalUrl,
            Expr::value(Some(created.url.clone())),
        )
        .col_expr(
            action::Column::ExternalState,
            Expr::value(Some(created.state.clone())),
        )
        .col_expr(action::Column::ExternalDone, Expr::value(Some(false)))
        .col_expr(action::Column::SyncedAt, Expr::value(Some(to_ms(now))))
        .col_expr(action::Column::UpdatedAt, Expr::value(to_ms(now)))
        .col_expr(
            action::Column::Version,
            Expr::col(action::Column::Version).add(1),
        )
        .filter(action::Column::Id.eq(m.id))
        .filter(action::Column::ExternalKey.is_null())
        .exec(txn)
        .await?;
    if res.rows_affected != 1 {
        return Ok(false);
    }
    audit::record(
        txn,
        &actor.who(),
        now,
        RecordType::Action,
        &m.key,
        AuditAction::Update,
        &[
            FieldChange::new(
                "tracker_issue",
                None,
                Some(format!(
                    "{} {}",
                    t.name,
                    crate::domain::issue_name(&created.key)
                )),
            ),
            FieldChange::new(
                "external_url",
                m.external_url.clone(),
                Some(created.url.clone()),
            ),
        ],
    )
    .await?;
    let ev = LiveEvent::action_updated(
        &m.key,
        i64::from(m.version) + 1,
        incident,
        [m.owner_id],
        actor,
    );
    live::publish(txn, ev).await?;
    Ok(true)
}

/// Creates action `key`'s issue in tracker `tracker_id` and links it. Refused with 409 when
/// the action has an issue already (also when another request linked one meanwhile).
pub async fn create_issue<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    http: &reqwest::Client,
    origin: &str,
    key: &str,
    tracker_id: i64,
    now: DateTime<Utc>,
) -> AppResult<Action> {
    let m = actions::find(db, key).await?;
    actor.require(Op::ChangeAction { owner: m.owner_id })?;
    if m.external_key.is_some() {
        return Err(AppError::conflict(format!(
            "{key} is linked to an issue already"
        )));
    }
    let t = tracker::Entity::find_by_id(tracker_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::invalid("tracker", format!("no tracker {tracker_id}")))?;
    let view = actions::get(db, actor, key, now).await?;
    let created = open_issue(http, &t, &view, origin, now).await?;
    let txn = crate::ssr::db::write(db).await?;
    if !attach(&txn, actor, &t, &m, view.incident.clone(), &created, now).await? {
        return Err(AppError::conflict(format!(
            "{key} was linked to another issue meanwhile; {} {} was created and is not linked",
            t.kind.label(),
            crate::domain::issue_name(&created.key)
        )));
    }
    txn.commit().await?;
    actions::get(db, actor, key, now).await
}
