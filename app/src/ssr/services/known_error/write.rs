//! Recording and changing known errors: the status rule, text limits, services, and the
//! suggestion index kept in step with the text.

use crate::domain::{AuditAction, RecordType};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    TransactionSession, TransactionTrait,
};

use super::find::{find, services_of, view};
use crate::domain::authz::Op;
use crate::domain::incident::check_title;
use crate::domain::known_error::check_status;
use crate::domain::{KeyKind, KnownErrorStatus};
use crate::error::{AppError, AppResult, FieldError};
use crate::model::{KnownError, KnownErrorPatch, NewKnownError};
use crate::ssr::audit::{self, Diff};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{
    known_error, known_error_incident, known_error_service, known_error_term,
};
use crate::ssr::services::common::{
    children, save_version,
    text::{self, names},
};
use crate::ssr::services::incident as incidents;
use crate::ssr::services::keys;
use crate::ssr::similarity::Analyzer;
use crate::ssr::to_ms;

/// Longest text field, in characters.
pub const MAX_TEXT: usize = 50_000;

fn check_texts(
    bad: &mut Vec<FieldError>,
    fields: &[(&str, Option<&String>)],
    fix_version: Option<&String>,
) {
    for (name, v) in fields {
        if let Some(v) = v {
            text::check_text(bad, name, v, MAX_TEXT);
        }
    }
    text::check_label(bad, "fix_version", fix_version.map(String::as_str));
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
    let rows = services.iter().map(|s| known_error_service::ActiveModel {
        known_error_id: Set(id),
        service: Set(s.clone()),
    });
    children::replace(
        txn,
        known_error_service::Column::KnownErrorId,
        id,
        rows.collect(),
    )
    .await
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
    let fix_version = text::clean(new.fix_version.as_deref());
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
    text::fail_on(bad)?;
    let txn = crate::ssr::db::write(db).await?;
    let mut incident_ids = Vec::new();
    for k in &new.incidents {
        let i = incidents::find(&txn, k)
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
        RecordType::KnownError,
        &m.key,
        AuditAction::Create,
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
    text::fail_on(bad)?;
    let txn = crate::ssr::db::write(db).await?;
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
        Some(v) => text::clean(v.as_deref()),
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
    save_version(&txn, am, old.id, old.version, now, &old.key).await?;
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
        RecordType::KnownError,
        &old.key,
        AuditAction::Update,
        &diff.0,
    )
    .await?;
    txn.commit().await?;
    let fresh = find(db, key).await?;
    view(db, fresh).await
}
