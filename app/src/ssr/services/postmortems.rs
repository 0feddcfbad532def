//! Postmortems: creation from the severity's template, edits with optimistic locking, the
//! review workflow with its publish gate, reviewers' approvals, the list and the RCA due dates.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{CaseStatement, Expr, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};

use crate::domain::authz::Op;
use crate::domain::postmortem::check_transition;
use crate::domain::{PostmortemStatus, Severity};
use crate::error::{AppError, AppResult, FieldError};
use crate::model::{
    Approval, ContributingFactor, LinkedAction, Page, Postmortem, PostmortemContext,
    PostmortemFilter, PostmortemInput, PostmortemSummary, PostmortemTransition,
};
use crate::ssr::audit::{self, Diff, FieldChange};
use crate::ssr::auth::{Actor, normalise_email};
use crate::ssr::entities::{action, incident, postmortem, postmortem_reviewer, user};
use crate::ssr::services::incidents::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::ssr::services::{check_text, compare_and_set, incident_write, users};
use crate::ssr::settings::{self, OrgSettings};
use crate::ssr::{from_ms, to_ms};

/// Limits of the text fields, in characters.
pub const MAX_BODY: usize = 200_000;
pub const MAX_ROOT_CAUSE: usize = 10_000;
pub const MAX_WHYS: usize = 20;
pub const MAX_FACTORS: usize = 50;
pub const MAX_ITEM: usize = 2_000;
pub const MAX_REVIEWERS: usize = 20;

pub(crate) fn decode_list<T: serde::de::DeserializeOwned>(json: &str) -> Vec<T> {
    serde_json::from_str(json).unwrap_or_default()
}

pub(crate) fn encode<T: serde::Serialize>(v: &T) -> AppResult<String> {
    serde_json::to_string(v).map_err(|_| AppError::internal())
}

async fn row(db: &impl ConnectionTrait, inc: &incident::Model) -> AppResult<postmortem::Model> {
    postmortem::Entity::find()
        .filter(postmortem::Column::IncidentId.eq(inc.id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("a postmortem of {}", inc.key)))
}

/// Reviewers (e-mails, in the order added) and approvals of one postmortem.
async fn reviewers(
    db: &impl ConnectionTrait,
    pm_id: i64,
) -> AppResult<(Vec<String>, Vec<Approval>)> {
    let rows = postmortem_reviewer::Entity::find()
        .filter(postmortem_reviewer::Column::PostmortemId.eq(pm_id))
        .all(db)
        .await?;
    let emails = users::emails(db, rows.iter().map(|r| r.user_id).collect()).await?;
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

async fn view(
    db: &impl ConnectionTrait,
    inc: &incident::Model,
    pm: postmortem::Model,
) -> AppResult<Postmortem> {
    let (reviewers, approvals) = reviewers(db, pm.id).await?;
    Ok(Postmortem {
        incident: inc.key.clone(),
        incident_title: inc.title.clone(),
        severity: inc.severity,
        incident_status: inc.status,
        status: pm.status,
        body: pm.body,
        root_cause_category: pm.root_cause_category,
        root_cause: pm.root_cause,
        five_whys: decode_list(&pm.five_whys),
        contributing_factors: decode_list(&pm.contributing_factors),
        reviewers,
        approvals,
        due_at: inc.rca_due_at.map(from_ms),
        published_at: pm.published_at.map(from_ms),
        created_at: from_ms(pm.created_at),
        updated_at: from_ms(pm.updated_at),
        version: pm.version,
    })
}

/// The postmortem of an incident, or 404.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor, key: &str) -> AppResult<Postmortem> {
    actor.require(Op::Read)?;
    let inc = incident_write::find(db, key).await?;
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
    let inc = incident_write::find(db, key).await?;
    let actions = linked_actions(db, inc.id).await?;
    let timeline = incident_write::timeline(db, actor, key).await?;
    Ok(PostmortemContext {
        incident: incident_write::view(db, inc).await?,
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
    let owners = users::emails(db, rows.iter().filter_map(|a| a.owner_id).collect()).await?;
    Ok(rows
        .into_iter()
        .map(|a| LinkedAction {
            owner: a.owner_id.and_then(|id| owners.get(&id).cloned()),
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

/// Checks an edit, naming every bad field at once.
pub(crate) fn validate(input: &PostmortemInput) -> AppResult<()> {
    let mut bad = Vec::new();
    if let Some(b) = &input.body {
        check_text(&mut bad, "body", b, MAX_BODY);
    }
    if let Some(r) = &input.root_cause {
        check_text(&mut bad, "root_cause", r, MAX_ROOT_CAUSE);
    }
    if let Some(w) = &input.five_whys {
        if w.len() > MAX_WHYS {
            bad.push(FieldError::new(
                "five_whys",
                format!("at most {MAX_WHYS} entries"),
            ));
        }
        for (i, why) in w.iter().enumerate() {
            check_text(&mut bad, &format!("five_whys.{i}"), why, MAX_ITEM);
        }
    }
    if let Some(f) = &input.contributing_factors {
        if f.len() > MAX_FACTORS {
            bad.push(FieldError::new(
                "contributing_factors",
                format!("at most {MAX_FACTORS} entries"),
            ));
        }
        for (i, c) in f.iter().enumerate() {
            check_text(
                &mut bad,
                &format!("contributing_factors.{i}.category"),
                &c.category,
                50,
            );
            check_text(
                &mut bad,
                &format!("contributing_factors.{i}.description"),
                &c.description,
                MAX_ITEM,
            );
        }
    }
    if input
        .reviewers
        .as_ref()
        .is_some_and(|r| r.len() > MAX_REVIEWERS)
    {
        bad.push(FieldError::new(
            "reviewers",
            format!("at most {MAX_REVIEWERS} reviewers"),
        ));
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid_many(bad))
    }
}

/// Contributing factors as stored: trimmed category (lower case), trimmed description.
pub(crate) fn clean_factors(f: &[ContributingFactor]) -> Vec<ContributingFactor> {
    f.iter()
        .map(|c| ContributingFactor {
            category: c.category.trim().to_lowercase(),
            description: c.description.trim_end().to_owned(),
        })
        .collect()
}

/// Creates the postmortem (from the template of the incident's severity, unless a body is
/// given) or changes it. Returns the postmortem and whether it was created.
pub async fn put<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    key: &str,
    input: PostmortemInput,
    now: DateTime<Utc>,
) -> AppResult<(Postmortem, bool)> {
    actor.require(Op::WritePostmortem)?;
    validate(&input)?;
    let settings = settings::load(db).await?;
    let txn = db.begin().await?;
    let inc = incident_write::find(&txn, key).await?;
    let existing = postmortem::Entity::find()
        .filter(postmortem::Column::IncidentId.eq(inc.id))
        .one(&txn)
        .await?;

    // Reviewers by e-mail; unknown ones are a 422 naming the entry.
    let reviewer_ids = match &input.reviewers {
        Some(list) => {
            let mut emails: Vec<String> = list
                .iter()
                .map(|e| normalise_email(e))
                .filter(|e| !e.is_empty())
                .collect();
            emails.sort();
            emails.dedup();
            let mut ids = Vec::with_capacity(emails.len());
            let found: HashMap<String, i64> = user::Entity::find()
                .filter(user::Column::Email.is_in(emails.clone()))
                .all(&txn)
                .await?
                .into_iter()
                .map(|u| (u.email, u.id))
                .collect();
            for e in &emails {
                match found.get(e) {
                    Some(id) => ids.push((e.clone(), *id)),
                    None => {
                        return Err(AppError::invalid(
                            "reviewers",
                            format!("no user with the e-mail {e}"),
                        ));
                    }
                }
            }
            Some(ids)
        }
        None => None,
    };

    let created = existing.is_none();
    let new_reviewers: Option<Vec<String>> = reviewer_ids
        .as_ref()
        .map(|ids| ids.iter().map(|(e, _)| e.clone()).collect());
    let (pm_id, mut diff) = match existing {
        None => {
            let body = input.body.clone().unwrap_or_else(|| {
                settings
                    .postmortem_templates
                    .for_severity(inc.severity)
                    .to_owned()
            });
            let m = postmortem::ActiveModel {
                incident_id: Set(inc.id),
                status: Set(PostmortemStatus::Draft),
                body: Set(body.clone()),
                root_cause_category: Set(input.root_cause_category.flatten()),
                root_cause: Set(input.root_cause.clone().unwrap_or_default()),
                five_whys: Set(encode(&input.five_whys.clone().unwrap_or_default())?),
                contributing_factors: Set(encode(&clean_factors(
                    input.contributing_factors.as_deref().unwrap_or_default(),
                ))?),
                due_at: Set(inc.rca_due_at),
                published_at: Set(None),
                created_at: Set(to_ms(now)),
                updated_at: Set(to_ms(now)),
                version: Set(1),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            let mut diff = Diff::default();
            diff.field("status", None, Some("draft"));
            diff.field("body", None, Some(&body));
            diff.field("root_cause_category", None, m.root_cause_category.as_ref());
            for (f, v) in [
                ("root_cause", m.root_cause.as_str()),
                ("five_whys", m.five_whys.as_str()),
                ("contributing_factors", m.contributing_factors.as_str()),
            ] {
                if !v.is_empty() && v != "[]" {
                    diff.field(f, None, Some(v));
                }
            }
            (m.id, diff)
        }
        Some(old) => {
            if input.version.is_some_and(|v| v != old.version) {
                return Err(AppError::stale(format!("the postmortem of {}", inc.key)));
            }
            if old.status == PostmortemStatus::Published {
                return Err(AppError::invalid(
                    "status",
                    "a published postmortem is read-only; reopen it to edit",
                ));
            }
            let body = input.body.clone().unwrap_or_else(|| old.body.clone());
            let category = input.root_cause_category.unwrap_or(old.root_cause_category);
            let root_cause = input
                .root_cause
                .clone()
                .unwrap_or_else(|| old.root_cause.clone());
            let whys = match &input.five_whys {
                Some(w) => encode(w)?,
                None => old.five_whys.clone(),
            };
            let factors = match &input.contributing_factors {
                Some(f) => encode(&clean_factors(f))?,
                None => old.contributing_factors.clone(),
            };
            let mut diff = Diff::default();
            diff.field("body", Some(&old.body), Some(&body));
            diff.field(
                "root_cause_category",
                old.root_cause_category.as_ref(),
                category.as_ref(),
            );
            diff.field("root_cause", Some(&old.root_cause), Some(&root_cause));
            diff.field("five_whys", Some(&old.five_whys), Some(&whys));
            diff.field(
                "contributing_factors",
                Some(&old.contributing_factors),
                Some(&factors),
            );
            if let Some(new_list) = &new_reviewers {
                let (old_list, _) = reviewers(&txn, old.id).await?;
                diff.field(
                    "reviewers",
                    Some(&old_list.join(", ")),
                    Some(&new_list.join(", ")),
                );
            }
            if diff.is_empty() {
                txn.commit().await?;
                return Ok((view(db, &inc, old).await?, false));
            }
            // Compare-and-set on the version: a concurrent editor makes this a 409.
            let mut am: postmortem::ActiveModel = old.clone().into();
            am.body = Set(body);
            am.root_cause_category = Set(category);
            am.root_cause = Set(root_cause);
            am.five_whys = Set(whys);
            am.contributing_factors = Set(factors);
            am.updated_at = Set(to_ms(now));
            am.version = Set(old.version + 1);
            if !compare_and_set(
                &txn,
                am,
                (postmortem::Column::Id, old.id),
                (postmortem::Column::Version, old.version),
            )
            .await?
            {
                return Err(AppError::stale(format!("the postmortem of {}", inc.key)));
            }
            (old.id, diff)
        }
    };

    if let (Some(ids), Some(new_list)) = (&reviewer_ids, &new_reviewers) {
        // Approvals of reviewers who stay are kept.
        let keep: Vec<i64> = ids.iter().map(|(_, id)| *id).collect();
        postmortem_reviewer::Entity::delete_many()
            .filter(postmortem_reviewer::Column::PostmortemId.eq(pm_id))
            .filter(postmortem_reviewer::Column::UserId.is_not_in(keep))
            .exec(&txn)
            .await?;
        let present: Vec<i64> = postmortem_reviewer::Entity::find()
            .filter(postmortem_reviewer::Column::PostmortemId.eq(pm_id))
            .all(&txn)
            .await?
            .into_iter()
            .map(|r| r.user_id)
            .collect();
        let add: Vec<postmortem_reviewer::ActiveModel> = ids
            .iter()
            .filter(|(_, id)| !present.contains(id))
            .map(|(_, id)| postmortem_reviewer::ActiveModel {
                postmortem_id: Set(pm_id),
                user_id: Set(*id),
                approved_at: Set(None),
            })
            .collect();
        if !add.is_empty() {
            postmortem_reviewer::Entity::insert_many(add)
                .exec(&txn)
                .await?;
        }
        if created && !new_list.is_empty() {
            diff.field("reviewers", None, Some(&new_list.join(", ")));
        }
    }
    audit::record(
        &txn,
        &actor.who(),
        now,
        "postmortem",
        &inc.key,
        if created { "create" } else { "update" },
        &diff.0,
    )
    .await?;
    txn.commit().await?;
    let pm = row(db, &inc).await?;
    Ok((view(db, &inc, pm).await?, created))
}

/// Moves the postmortem through review: `draft → in_review → published`, back to `draft`
/// from review (changes requested) or from published (reopen).
pub async fn transition<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    key: &str,
    t: PostmortemTransition,
    now: DateTime<Utc>,
) -> AppResult<Postmortem> {
    actor.require(Op::WritePostmortem)?;
    let txn = db.begin().await?;
    let inc = incident_write::find(&txn, key).await?;
    let old = row(&txn, &inc).await?;
    if t.version.is_some_and(|v| v != old.version) {
        return Err(AppError::stale(format!("the postmortem of {}", inc.key)));
    }
    let effect = check_transition(old.status, t.to, old.root_cause_category, &old.root_cause)?;
    let published_at = if effect.set_published_at {
        Some(to_ms(now))
    } else if effect.clear_published_at {
        None
    } else {
        old.published_at
    };
    let res = postmortem::Entity::update_many()
        .col_expr(postmortem::Column::Status, Expr::value(effect.to))
        .col_expr(postmortem::Column::PublishedAt, Expr::value(published_at))
        .col_expr(postmortem::Column::UpdatedAt, Expr::value(to_ms(now)))
        .col_expr(postmortem::Column::Version, Expr::value(old.version + 1))
        .filter(postmortem::Column::Id.eq(old.id))
        .filter(postmortem::Column::Version.eq(old.version))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::stale(format!("the postmortem of {}", inc.key)));
    }
    if effect.to == PostmortemStatus::Draft {
        // Back to draft: earlier approvals no longer cover what will change.
        postmortem_reviewer::Entity::update_many()
            .col_expr(
                postmortem_reviewer::Column::ApprovedAt,
                Expr::value(None::<i64>),
            )
            .filter(postmortem_reviewer::Column::PostmortemId.eq(old.id))
            .exec(&txn)
            .await?;
    }
    let mut changes = vec![FieldChange::new(
        "status",
        Some(old.status.to_string()),
        Some(effect.to.to_string()),
    )];
    if published_at != old.published_at {
        changes.push(FieldChange::new(
            "published_at",
            old.published_at.map(|t| from_ms(t).to_rfc3339()),
            published_at.map(|t| from_ms(t).to_rfc3339()),
        ));
    }
    audit::record(
        &txn,
        &actor.who(),
        now,
        "postmortem",
        &inc.key,
        "transition",
        &changes,
    )
    .await?;
    txn.commit().await?;
    let pm = row(db, &inc).await?;
    view(db, &inc, pm).await
}

/// A reviewer approves the postmortem while it is in review.
pub async fn approve<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    key: &str,
    now: DateTime<Utc>,
) -> AppResult<Postmortem> {
    // Approving is a review comment: viewers, who change nothing, may not.
    actor.require(Op::Comment)?;
    let me = actor
        .user_id()
        .ok_or_else(|| AppError::forbidden("only a reviewer may approve"))?;
    let txn = db.begin().await?;
    let inc = incident_write::find(&txn, key).await?;
    let pm = row(&txn, &inc).await?;
    if pm.status != PostmortemStatus::InReview {
        return Err(AppError::invalid(
            "status",
            format!(
                "approvals are given in review; this postmortem is {}",
                pm.status
            ),
        ));
    }
    let res = postmortem_reviewer::Entity::update_many()
        .col_expr(
            postmortem_reviewer::Column::ApprovedAt,
            Expr::value(Some(to_ms(now))),
        )
        .filter(postmortem_reviewer::Column::PostmortemId.eq(pm.id))
        .filter(postmortem_reviewer::Column::UserId.eq(me.0))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::forbidden(
            "only a reviewer of this postmortem may approve it",
        ));
    }
    audit::record(
        &txn,
        &actor.who(),
        now,
        "postmortem",
        &inc.key,
        "approve",
        &[FieldChange::new(
            "approved_by",
            None,
            actor.user.as_ref().map(|u| u.email.clone()),
        )],
    )
    .await?;
    txn.commit().await?;
    view(db, &inc, pm).await
}

/// One page of postmortems, newest first, paginated by key.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    f: &PostmortemFilter,
    now: DateTime<Utc>,
) -> AppResult<Page<PostmortemSummary>> {
    actor.require(Op::Read)?;
    let limit = f.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT) as usize;
    let mut q = postmortem::Entity::find();
    if let Some(s) = f.status {
        q = q.filter(postmortem::Column::Status.eq(s));
    }
    if f.overdue == Some(true) {
        q = q
            .filter(postmortem::Column::Status.ne(PostmortemStatus::Published))
            .filter(postmortem::Column::DueAt.lt(to_ms(now)));
    }
    if let Some(sev) = f.severity {
        q = q.filter(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(incident::Entity)
                .and_where(
                    Expr::col((incident::Entity, incident::Column::Id))
                        .equals((postmortem::Entity, postmortem::Column::IncidentId)),
                )
                .and_where(Expr::col((incident::Entity, incident::Column::Severity)).eq(sev))
                .to_owned(),
        ));
    }
    if let Some(cursor) = f.page.as_deref().filter(|s| !s.is_empty()) {
        let id: i64 = cursor
            .parse()
            .map_err(|_| AppError::invalid("page", "is not a cursor from a previous page"))?;
        q = q.filter(postmortem::Column::Id.lt(id));
    }
    let mut rows = q
        .order_by_desc(postmortem::Column::Id)
        .limit(limit as u64 + 1)
        .all(db)
        .await?;
    let next = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|r| r.id.to_string())
    } else {
        None
    };
    let ids: Vec<i64> = rows.iter().map(|r| r.incident_id).collect();
    let incidents: HashMap<i64, incident::Model> = if ids.is_empty() {
        HashMap::new()
    } else {
        incident::Entity::find()
            .filter(incident::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|i| (i.id, i))
            .collect()
    };
    let now_ms = to_ms(now);
    let items = rows
        .into_iter()
        .filter_map(|p| {
            let inc = incidents.get(&p.incident_id)?;
            Some(PostmortemSummary {
                incident: inc.key.clone(),
                incident_title: inc.title.clone(),
                severity: inc.severity,
                status: p.status,
                root_cause_category: p.root_cause_category,
                due_at: p.due_at.map(from_ms),
                published_at: p.published_at.map(from_ms),
                overdue: p.status != PostmortemStatus::Published
                    && p.due_at.is_some_and(|d| d < now_ms),
                updated_at: from_ms(p.updated_at),
            })
        })
        .collect();
    Ok(Page { items, next })
}

/// Keeps a postmortem's `due_at` equal to its incident's `rca_due_at` after an incident change.
pub async fn sync_due(
    txn: &impl ConnectionTrait,
    incident_id: i64,
    due: Option<i64>,
) -> AppResult<()> {
    postmortem::Entity::update_many()
        .col_expr(postmortem::Column::DueAt, Expr::value(due))
        .filter(postmortem::Column::IncidentId.eq(incident_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Recomputes every RCA due date after the calendar or the deadlines changed: the
/// incidents' `rca_due_at` and their postmortems' `due_at`, in batches of one statement each.
pub async fn recompute_due(txn: &impl ConnectionTrait, s: &OrgSettings) -> AppResult<usize> {
    let rows: Vec<(i64, Severity, i64, Option<i64>)> = incident::Entity::find()
        .select_only()
        .column(incident::Column::Id)
        .column(incident::Column::Severity)
        .column(incident::Column::ResolvedAt)
        .column(incident::Column::RcaDueAt)
        .filter(incident::Column::ResolvedAt.is_not_null())
        .into_tuple()
        .all(txn)
        .await?;
    let cal = s.calendar();
    let changed: Vec<(i64, Option<i64>)> = rows
        .into_iter()
        .filter_map(|(id, sev, resolved, due)| {
            let new = s
                .rca_deadlines
                .due_at(&cal, sev, Some(from_ms(resolved)))
                .map(to_ms);
            (new != due).then_some((id, new))
        })
        .collect();
    for chunk in changed.chunks(500) {
        let ids: Vec<i64> = chunk.iter().map(|(id, _)| *id).collect();
        let mut by_incident = CaseStatement::new();
        let mut by_pm = CaseStatement::new();
        for (id, due) in chunk {
            by_incident = by_incident.case(incident::Column::Id.eq(*id), Expr::val(*due));
            by_pm = by_pm.case(postmortem::Column::IncidentId.eq(*id), Expr::val(*due));
        }
        incident::Entity::update_many()
            .col_expr(incident::Column::RcaDueAt, by_incident.into())
            .filter(incident::Column::Id.is_in(ids.clone()))
            .exec(txn)
            .await?;
        postmortem::Entity::update_many()
            .col_expr(postmortem::Column::DueAt, by_pm.into())
            .filter(postmortem::Column::IncidentId.is_in(ids))
            .exec(txn)
            .await?;
    }
    Ok(changed.len())
}
