//! Creating a postmortem from its template and editing it: the text limits, reviewers by
//! e-mail, optimistic locking and the audit of every field.

use crate::domain::IncidentId;
use crate::domain::{AuditAction, RecordType};
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    TransactionSession, TransactionTrait,
};

use crate::domain::PostmortemStatus;
use crate::domain::authz::Op;
use crate::error::{AppError, AppResult, FieldError};
use crate::model::{ContributingFactor, Postmortem, PostmortemInput};
use crate::ssr::audit::{self, Diff};
use crate::ssr::auth::{Actor, normalise_email};
use crate::ssr::entities::{postmortem, postmortem_reviewer};
use crate::ssr::live::{self, LiveEvent};
use crate::ssr::services::common::{lookup, save_version, text::check_text};
use crate::ssr::services::incident as incidents;
use crate::ssr::services::notification as notifications;
use crate::ssr::services::settings::{self};
use crate::ssr::to_ms;

use super::view::encode;

/// Limits of the text fields, in characters.
pub const MAX_BODY: usize = 200_000;
pub const MAX_ROOT_CAUSE: usize = 10_000;
pub const MAX_WHYS: usize = 20;
pub const MAX_FACTORS: usize = 50;
pub const MAX_ITEM: usize = 2_000;
pub const MAX_REVIEWERS: usize = 20;

/// Checks an edit, naming every bad field at once.
pub fn validate(input: &PostmortemInput) -> AppResult<()> {
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
pub fn clean_factors(f: &[ContributingFactor]) -> Vec<ContributingFactor> {
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
    let txn = crate::ssr::db::write(db).await?;
    let inc = incidents::find(&txn, key).await?;
    let existing = postmortem::Entity::find()
        .filter(postmortem::Column::IncidentId.eq(inc.id))
        .one(&txn)
        .await?;

    // Reviewers by e-mail, in one query; unknown ones are a 422.
    let reviewer_ids = match &input.reviewers {
        Some(list) => {
            let named: BTreeMap<String, String> = list
                .iter()
                .map(|e| normalise_email(e))
                .filter(|e| !e.is_empty())
                .map(|e| (e.clone(), e))
                .collect();
            let ids = lookup::user_ids(&txn, &named, |_| "reviewers".to_owned()).await?;
            Some(ids.into_iter().collect::<Vec<(String, i64)>>())
        }
        None => None,
    };

    let created = existing.is_none();
    let new_reviewers: Option<Vec<String>> = reviewer_ids
        .as_ref()
        .map(|ids| ids.iter().map(|(e, _)| e.clone()).collect());
    let in_review = existing
        .as_ref()
        .is_some_and(|p| p.status == PostmortemStatus::InReview);
    let (pm_id, mut diff) = match existing {
        None => create_row(&txn, &inc, &input, &settings, now).await?,
        Some(old) => {
            // Version 0 is a first save (the editor had no postmortem yet): another first
            // save got there before.
            if input.version == Some(0) {
                return Err(created_meanwhile_error(&inc.key));
            }
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
                let (old_list, _) = super::view::reviewers(&txn, old.id).await?;
                diff.field(
                    "reviewers",
                    Some(&old_list.join(", ")),
                    Some(&new_list.join(", ")),
                );
            }
            if diff.is_empty() {
                txn.commit().await?;
                return Ok((super::view::view(db, &inc, old).await?, false));
            }
            // Compare-and-set on the version: a concurrent editor makes this a 409.
            let mut am: postmortem::ActiveModel = old.clone().into();
            am.body = Set(body);
            am.root_cause_category = Set(category);
            am.root_cause = Set(root_cause);
            am.five_whys = Set(whys);
            am.contributing_factors = Set(factors);
            save_version(
                &txn,
                am,
                old.id,
                old.version,
                now,
                format!("the postmortem of {}", inc.key),
            )
            .await?;
            (old.id, diff)
        }
    };

    if let (Some(ids), Some(new_list)) = (&reviewer_ids, &new_reviewers) {
        let added = sync_reviewers(&txn, pm_id, ids).await?;
        if in_review {
            // Review was requested already: whoever joins it now is asked as well.
            notifications::review_requested(&txn, actor, &inc.key, &added, now).await?;
        }
        if created && !new_list.is_empty() {
            diff.field("reviewers", None, Some(&new_list.join(", ")));
        }
    }
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::Postmortem,
        &inc.key,
        if created {
            AuditAction::Create
        } else {
            AuditAction::Update
        },
        &diff.0,
    )
    .await?;
    let version = super::view::row(&txn, &inc).await?.version;
    live::publish(
        &txn,
        LiveEvent::postmortem_saved(&inc.key, version.into(), actor),
    )
    .await?;
    txn.commit().await?;
    let pm = super::view::row(db, &inc).await?;
    Ok((super::view::view(db, &inc, pm).await?, created))
}

/// The first save of a postmortem that lost a race with another first save: the other one
/// created the row after this one looked (a unique violation on PostgreSQL, a stale snapshot
/// on SQLite). A 409, so the loser reloads instead of writing over the winner.
fn created_meanwhile(e: sea_orm::DbErr, key: &str) -> AppError {
    let unique = matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    );
    if unique || crate::ssr::services::common::is_write_conflict(&e) {
        created_meanwhile_error(key)
    } else {
        e.into()
    }
}

fn created_meanwhile_error(key: &str) -> AppError {
    AppError::conflict(format!(
        "the postmortem of {key} was created by someone else meanwhile; reload it and edit that one"
    ))
}

/// The first save: a draft from the severity's template unless a body is given, and the diff
/// of what it starts with.
async fn create_row(
    txn: &impl ConnectionTrait,
    inc: &crate::ssr::entities::incident::Model,
    input: &PostmortemInput,
    settings: &crate::ssr::services::settings::OrgSettings,
    now: DateTime<Utc>,
) -> AppResult<(i64, Diff)> {
    let body = input.body.clone().unwrap_or_else(|| {
        settings
            .postmortem_templates
            .for_severity(inc.severity)
            .to_owned()
    });
    let m = postmortem::ActiveModel {
        incident_id: Set(IncidentId(inc.id)),
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
    .insert(txn)
    .await
    .map_err(|e| created_meanwhile(e, &inc.key))?;
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
    Ok((m.id, diff))
}

/// Makes `ids` the postmortem's reviewers; approvals of reviewers who stay are kept. Returns
/// the user ids of the reviewers added.
async fn sync_reviewers(
    txn: &impl ConnectionTrait,
    pm_id: i64,
    ids: &[(String, i64)],
) -> AppResult<Vec<i64>> {
    // Approvals of reviewers who stay are kept.
    let keep: Vec<i64> = ids.iter().map(|(_, id)| *id).collect();
    postmortem_reviewer::Entity::delete_many()
        .filter(postmortem_reviewer::Column::PostmortemId.eq(pm_id))
        .filter(postmortem_reviewer::Column::UserId.is_not_in(keep))
        .exec(txn)
        .await?;
    let present: Vec<i64> = postmortem_reviewer::Entity::find()
        .filter(postmortem_reviewer::Column::PostmortemId.eq(pm_id))
        .all(txn)
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
    let added: Vec<i64> = ids
        .iter()
        .map(|(_, id)| *id)
        .filter(|id| !present.contains(id))
        .collect();
    if !add.is_empty() {
        postmortem_reviewer::Entity::insert_many(add)
            .exec(txn)
            .await?;
    }
    Ok(added)
}
