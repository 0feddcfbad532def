//! Alerts in: hooks (inbound alert sources, admin-managed, their secrets shown once and
//! stored hashed), the deliveries they take (`receive`), and the alerts of an incident.
//!
//! Depends on `incident` (it opens and joins incidents, adds timeline events); nothing
//! depends on it but `transfer`.

mod pagerduty;
pub mod parse;
pub mod receive;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, TransactionSession, TransactionTrait,
};

use crate::domain::authz::Op;
use crate::domain::{AuditAction, HookSource, RecordType, Severity};
use crate::error::{AppError, AppResult};
use crate::model::{Alert, CreatedHook, Hook, NewHook};
use crate::ssr::audit::{self, FieldChange};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{alert, hook};
use crate::ssr::secrets::{random_secret, secret_hash};
use crate::ssr::services::incident;
use crate::ssr::{from_ms, to_ms};

/// Every hook secret starts with this, so a leaked one is easy to recognise.
pub const SECRET_PREFIX: &str = "hsh_";
/// The largest delivery taken, in bytes (a bigger one is 413).
pub const MAX_BODY: usize = 1 << 20;

fn view(h: &hook::Model, origin: &str) -> Hook {
    Hook {
        id: h.id,
        name: h.name.clone(),
        source: h.source,
        severity_map: h
            .severity_map
            .as_deref()
            .and_then(|m| serde_json::from_str(m).ok())
            .unwrap_or_default(),
        default_severity: h.default_severity,
        service_label: h
            .service_label
            .clone()
            .unwrap_or_else(|| crate::domain::alert::DEFAULT_SERVICE_LABEL.to_owned()),
        auto_open: h.auto_open,
        receive_url: format!(
            "{}/api/v1/hooks/{}/receive",
            origin.trim_end_matches('/'),
            h.id
        ),
        created_at: from_ms(h.created_at),
        last_received_at: h.last_received_at.map(from_ms),
    }
}

/// Creates a hook; the answer carries its secret, the only time it is shown.
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    new: NewHook,
    origin: &str,
    now: DateTime<Utc>,
) -> AppResult<CreatedHook> {
    actor.require(Op::Administer)?;
    let name = crate::ssr::services::common::text::short("name", &new.name)?;
    let name = name.as_str();
    if let Some(label) = &new.service_label {
        crate::ssr::services::common::text::short("service_label", label)?;
    }
    for k in new.severity_map.keys() {
        if k.trim().is_empty() || k.chars().count() > 100 {
            return Err(AppError::invalid(
                "severity_map",
                "keys must be 1 to 100 characters",
            ));
        }
    }
    let signing = match (&new.signing_secret, new.source) {
        (Some(s), HookSource::Pagerduty) if s.trim().len() >= 8 && s.len() <= 500 => {
            Some(s.trim().to_owned())
        }
        (Some(_), HookSource::Pagerduty) => {
            return Err(AppError::invalid(
                "signing_secret",
                "must be 8 to 500 characters",
            ));
        }
        (Some(_), _) => {
            return Err(AppError::invalid(
                "signing_secret",
                "is for PagerDuty hooks only; the others authenticate with the hook's secret",
            ));
        }
        (None, _) => None,
    };
    if hook::Entity::find()
        .filter(hook::Column::Name.eq(name))
        .one(db)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict {
            message: format!("a hook named {name} exists"),
        });
    }
    let secret = match signing {
        Some(s) => s,
        None => format!("{SECRET_PREFIX}{}", random_secret()),
    };
    let map: BTreeMap<String, Severity> = new
        .severity_map
        .into_iter()
        .map(|(k, v)| (k.trim().to_owned(), v))
        .collect();
    let txn = crate::ssr::db::write(db).await?;
    let h = hook::ActiveModel {
        name: Set(name.to_owned()),
        source: Set(new.source),
        secret_hash: Set(secret_hash(&secret)),
        // Verifying PagerDuty's HMAC needs the secret itself.
        signing_secret: Set((new.source == HookSource::Pagerduty).then(|| secret.clone())),
        severity_map: Set(
            (!map.is_empty()).then(|| serde_json::to_string(&map).unwrap_or_default())
        ),
        default_severity: Set(new.default_severity),
        service_label: Set(new.service_label.map(|s| s.trim().to_owned())),
        auto_open: Set(new.auto_open),
        created_by: Set(actor.user_id().map(|u| u.0)),
        created_at: Set(to_ms(now)),
        last_received_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::Hook,
        &h.id.to_string(),
        AuditAction::Create,
        &[
            FieldChange::new("name", None, Some(h.name.clone())),
            FieldChange::new("source", None, Some(h.source.to_string())),
        ],
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedHook {
        secret,
        hook: view(&h, origin),
    })
}

/// Every hook, by name (admins).
pub async fn list(db: &impl ConnectionTrait, actor: &Actor, origin: &str) -> AppResult<Vec<Hook>> {
    actor.require(Op::Administer)?;
    Ok(hook::Entity::find()
        .order_by_asc(hook::Column::Name)
        .all(db)
        .await?
        .iter()
        .map(|h| view(h, origin))
        .collect())
}

/// One hook (admins).
pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
    origin: &str,
) -> AppResult<Hook> {
    actor.require(Op::Administer)?;
    hook::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|h| view(&h, origin))
        .ok_or_else(|| AppError::not_found(format!("hook {id}")))
}

/// Deletes a hook: its alerts stay with their incidents.
pub async fn delete<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    actor.require(Op::Administer)?;
    let txn = crate::ssr::db::write(db).await?;
    let h = hook::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found(format!("hook {id}")))?;
    hook::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::Hook,
        &id.to_string(),
        AuditAction::Delete,
        &[FieldChange::new("name", Some(h.name), None)],
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The alerts of incident `key`, first seen first.
pub async fn of_incident(
    db: &impl ConnectionTrait,
    actor: &Actor,
    key: &str,
) -> AppResult<Vec<Alert>> {
    actor.require(Op::Read)?;
    let inc = incident::find_for(db, actor, key).await?;
    let rows = alert::Entity::find()
        .filter(alert::Column::IncidentId.eq(inc.id))
        .order_by_asc(alert::Column::Id)
        .all(db)
        .await?;
    let hook_ids: Vec<i64> = rows.iter().filter_map(|a| a.hook_id).collect();
    let names: BTreeMap<i64, String> = if hook_ids.is_empty() {
        BTreeMap::new()
    } else {
        hook::Entity::find()
            .filter(hook::Column::Id.is_in(hook_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|h| (h.id, h.name))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|a| Alert {
            id: a.id,
            source: a.source,
            hook: a.hook_id.and_then(|h| names.get(&h).cloned()),
            fingerprint: a.fingerprint,
            group_key: a.group_key,
            status: a.status,
            summary: a.summary,
            labels: serde_json::from_str(&a.labels).unwrap_or_default(),
            annotations: serde_json::from_str(&a.annotations).unwrap_or_default(),
            url: a.url,
            starts_at: from_ms(a.starts_at),
            first_seen_at: from_ms(a.first_seen_at),
            last_seen_at: from_ms(a.last_seen_at),
            resolved_at: a.resolved_at.map(from_ms),
        })
        .collect())
}
