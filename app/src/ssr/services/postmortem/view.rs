//! Reading a postmortem: the row, its reviewers and approvals, the incident context of the
//! document, and the actions it links.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::domain::CommentOn;
use crate::domain::authz::Op;
use crate::error::{AppError, AppResult};
use crate::model::{Approval, LinkedAction, Postmortem, PostmortemContext};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{action, comment, incident, postmortem, postmortem_reviewer};
use crate::ssr::from_ms;
use crate::ssr::services::common::lookup;
use crate::ssr::services::incident as incidents;

/// A stored list (`five_whys`, `contributing_factors`). A value that does not decode is an
/// error, never an empty list that the next save would write back over the real one.
pub fn decode_list<T: serde::de::DeserializeOwned>(
    field: &str,
    postmortem: i64,
    json: &str,
) -> AppResult<Vec<T>> {
    serde_json::from_str(json).map_err(|e| {
        tracing::error!(postmortem, field, error = %e, "stored list does not decode");
        AppError::internal()
    })
}

pub fn encode<T: serde::Serialize>(v: &T) -> AppResult<String> {
    serde_json::to_string(v).map_err(|_| AppError::internal())
}

pub(super) async fn row(
    db: &impl ConnectionTrait,
    inc: &incident::Model,
) -> AppResult<postmortem::Model> {
    postmortem::Entity::find()
        .filter(postmortem::Column::IncidentId.eq(inc.id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("a postmortem of {}", inc.key)))
}

/// Reviewers (e-mails, in the order added) and approvals of one postmortem.
pub(super) async fn reviewers(
    db: &impl ConnectionTrait,
    pm_id: i64,
) -> AppResult<(Vec<String>, Vec<Approval>)> {
    let rows = postmortem_reviewer::Entity::find()
        .filter(postmortem_reviewer::Column::PostmortemId.eq(pm_id))
        .all(db)
        .await?;
    let emails = lookup::emails(db, rows.iter().map(|r| r.user_id)).await?;
    let mut list: Vec<String> = rows
        .iter()
        .filter_map(|r| emails.get(&r.user_id).cloned())
        .collect();
    list.sort();
    let mut approvals: Vec<Approval> = rows
        .iter()
        .filter_map(|r| {
            Some(Approval {
                reviewer: emails.get(&r.user_id)?.clone(),
                approved_at: from_ms(r.approved_at?),
            })
        })
        .collect();
    approvals.sort_by(|a, b| a.reviewer.cmp(&b.reviewer));
    Ok((list, approvals))
}

pub(super) async fn view(
    db: &impl ConnectionTrait,
    inc: &incident::Model,
    pm: postmortem::Model,
) -> AppResult<Postmortem> {
    let (reviewers, approvals) = reviewers(db, pm.id).await?;
    let open_threads = open_threads(db, &inc.key).await?;
    Ok(Postmortem {
        incident: inc.key.clone(),
        incident_title: inc.title.clone(),
        severity: inc.severity,
        incident_status: inc.status,
        status: pm.status,
        body: pm.body,
        root_cause_category: pm.root_cause_category,
        root_cause: pm.root_cause,
        five_whys: decode_list("five_whys", pm.id, &pm.five_whys)?,
        contributing_factors: decode_list("contributing_factors", pm.id, &pm.contributing_factors)?,
        reviewers,
        approvals,
        due_at: inc.rca_due_at.map(from_ms),
        published_at: pm.published_at.map(from_ms),
        created_at: from_ms(pm.created_at),
        updated_at: from_ms(pm.updated_at),
        version: pm.version,
        open_threads,
    })
}

/// How many review threads on the postmortem of `key` are open: top-level comments neither
/// resolved nor removed (one count over the comments' record index).
pub async fn open_threads(db: &impl ConnectionTrait, key: &str) -> AppResult<u64> {
    Ok(comment::Entity::find()
        .filter(comment::Column::RecordType.eq(CommentOn::Postmortem))
        .filter(comment::Column::RecordKey.eq(key))
        .filter(comment::Column::ParentId.is_null())
        .filter(comment::Column::Resolved.eq(false))
        .filter(comment::Column::DeletedAt.is_null())
        .count(db)
        .await?)
}

/// The postmortem of an incident, or 404.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, key: &str) -> AppResult<Postmortem> {
    actor.require(Op::Read)?;
    let inc = incidents::find(db, key).await?;
    let pm = row(db, &inc).await?;
    view(db, &inc, pm).await
}

/// The incident, its timeline and its actions with their live status, for the document.
pub async fn context(
    db: &impl ConnectionTrait,
    actor: &Actor,
    key: &str,
) -> AppResult<PostmortemContext> {
    actor.require(Op::Read)?;
    let inc = incidents::find(db, key).await?;
    let actions = linked_actions(db, inc.id).await?;
    let timeline = incidents::timeline(db, actor, key).await?;
    Ok(PostmortemContext {
        incident: incidents::view(db, inc).await?,
        timeline,
        actions,
    })
}

/// The actions of an incident, oldest first, with their owners' e-mails.
pub async fn linked_actions(
    db: &impl ConnectionTrait,
    incident_id: i64,
) -> AppResult<Vec<LinkedAction>> {
    actions_where(db, action::Column::IncidentId.eq(incident_id)).await
}

/// Actions matching `condition`, oldest first, with their owners' e-mails.
pub async fn actions_where(
    db: &impl ConnectionTrait,
    condition: sea_orm::sea_query::SimpleExpr,
) -> AppResult<Vec<LinkedAction>> {
    let rows = action::Entity::find()
        .filter(condition)
        .order_by_asc(action::Column::Seq)
        .all(db)
        .await?;
    let owners = lookup::emails(db, rows.iter().filter_map(|a| a.owner_id)).await?;
    Ok(rows
        .into_iter()
        .map(|a| LinkedAction {
            owner: a.owner_id.and_then(|id| owners.get(&id.0).cloned()),
            key: a.key,
            title: a.title,
            kind: a.kind,
            priority: a.priority,
            status: a.status,
            team: a.team,
            due_date: a.due_date,
        })
        .collect())
}
