//! Organisation settings as stored: one JSON value per key over the defaults.

use crate::domain::{AuditAction, RecordType};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, TransactionSession,
    TransactionTrait,
};

use crate::domain::authz::Op;
pub use crate::domain::settings::OrgSettings;
use crate::error::{AppError, AppResult};
use crate::ssr::audit::{self, FieldChange};
use crate::ssr::auth::Actor;
use crate::ssr::entities::setting;

/// How long a process serves the settings it read before it reads them again (a change made by
/// another process is seen within this; one made here at once).
pub const CACHE_FOR: std::time::Duration = std::time::Duration::from_secs(5);

/// Bumped after every settings write of this process: caches read again at their next use.
static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Marks the cached settings of this process stale (after a write commits).
pub fn changed() {
    GENERATION.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

/// The settings of one database as a process keeps them between requests, for the
/// per-request reads (the session's idle limit); writes always read the table.
#[derive(Clone, Debug, Default)]
pub struct Cache {
    slot: std::sync::Arc<std::sync::Mutex<Option<(std::time::Instant, u64, OrgSettings)>>>,
}

impl Cache {
    /// The settings, read again when older than [`CACHE_FOR`] or changed in this process.
    pub async fn get(&self, db: &impl ConnectionTrait) -> AppResult<OrgSettings> {
        let generation = GENERATION.load(std::sync::atomic::Ordering::SeqCst);
        if let Ok(slot) = self.slot.lock()
            && let Some((at, g, s)) = slot.as_ref()
            && *g == generation
            && at.elapsed() < CACHE_FOR
        {
            return Ok(s.clone());
        }
        let fresh = load(db).await?;
        if let Ok(mut slot) = self.slot.lock() {
            *slot = Some((std::time::Instant::now(), generation, fresh.clone()));
        }
        Ok(fresh)
    }
}

/// Loads the settings: stored values over the defaults. One small query.
pub async fn load(db: &impl ConnectionTrait) -> AppResult<OrgSettings> {
    let rows = setting::Entity::find().all(db).await?;
    let mut merged = serde_json::to_value(OrgSettings::default()).unwrap_or_default();
    for r in rows {
        match serde_json::from_str::<serde_json::Value>(&r.value) {
            Ok(v) => merged[r.key.as_str()] = v,
            Err(e) => tracing::warn!(key = %r.key, error = %e, "ignoring unreadable setting"),
        }
    }
    Ok(serde_json::from_value(merged).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "settings do not parse; using defaults");
        OrgSettings::default()
    }))
}

/// The settings as anyone signed in may read them.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor) -> AppResult<OrgSettings> {
    actor.require(Op::Read)?;
    let s = load(db).await?;
    if actor.require(Op::Administer).is_err() {
        // The webhook address may hold a secret.
        return Ok(s.without_secrets());
    }
    Ok(s)
}

/// Changes some settings (admins only): `patch` is an object of setting → new value. Every
/// value is checked before anything is written; a change of time zone, holidays or RCA
/// deadlines moves the RCA due dates it affects in the same transaction.
pub async fn update<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    patch: serde_json::Map<String, serde_json::Value>,
    now: DateTime<Utc>,
) -> AppResult<OrgSettings> {
    actor.require(Op::Administer)?;
    if let Some(k) = patch
        .keys()
        .find(|k| !OrgSettings::KEYS.contains(&k.as_str()))
    {
        return Err(AppError::invalid(
            k.clone(),
            format!(
                "is not a setting; the settings are {}",
                OrgSettings::KEYS.join(", ")
            ),
        ));
    }
    let txn = crate::ssr::db::write(db).await?;
    let old = load(&txn).await?;
    let mut merged = serde_json::to_value(&old).map_err(|_| AppError::internal())?;
    for (k, v) in &patch {
        merged[k.as_str()] = v.clone();
    }
    let new: OrgSettings = serde_json::from_value(merged).map_err(|e| {
        let text = e.to_string();
        let field = patch
            .keys()
            .find(|k| {
                let mut one = serde_json::to_value(OrgSettings::default()).unwrap_or_default();
                one[k.as_str()] = patch[k.as_str()].clone();
                serde_json::from_value::<OrgSettings>(one).is_err()
            })
            .cloned()
            .unwrap_or_else(|| "settings".into());
        AppError::invalid(field, text)
    })?;
    let mut new = new;
    new.holidays.sort_unstable();
    new.holidays.dedup();
    new.validate()?;
    let old_v = serde_json::to_value(&old).map_err(|_| AppError::internal())?;
    let new_v = serde_json::to_value(&new).map_err(|_| AppError::internal())?;
    let mut changes = Vec::new();
    for key in OrgSettings::KEYS {
        let (a, b) = (&old_v[key], &new_v[key]);
        if a == b {
            continue;
        }
        let value = b.to_string();
        let existing = setting::Entity::find_by_id(key.to_owned())
            .one(&txn)
            .await?;
        let am = setting::ActiveModel {
            key: Set(key.to_owned()),
            value: Set(value.clone()),
            updated_at: Set(crate::ssr::to_ms(now)),
            updated_by: Set(actor.user_id().map(|u| u.0)),
            version: Set(existing.as_ref().map_or(1, |e| e.version + 1)),
        };
        if existing.is_some() {
            am.update(&txn).await?;
        } else {
            setting::Entity::insert(am).exec(&txn).await?;
        }
        if key == "reminder_webhook_url" {
            // Never the address itself in the history: it may hold a secret.
            let shown = |v: &serde_json::Value| {
                Some(if v.is_null() { "not set" } else { "set" }.to_owned())
            };
            changes.push(FieldChange::new(key, shown(a), shown(b)));
        } else {
            changes.push(FieldChange::new(key, Some(a.to_string()), Some(value)));
        }
    }
    if changes.is_empty() {
        txn.commit().await?;
        return Ok(new);
    }
    if old.timezone != new.timezone
        || old.holidays != new.holidays
        || old.rca_deadlines != new.rca_deadlines
    {
        crate::ssr::services::incident::recompute_due(&txn, &new).await?;
    }
    if old.timezone != new.timezone {
        crate::ssr::services::action::recompute_dates(&txn, &new).await?;
    }
    if old.reminder_webhook_url != new.reminder_webhook_url {
        crate::ssr::services::notify::channels::sync_reminder_channel(
            &txn,
            new.reminder_webhook_url.as_deref(),
            now,
        )
        .await?;
    }
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::Settings,
        "org",
        AuditAction::Update,
        &changes,
    )
    .await?;
    txn.commit().await?;
    changed();
    Ok(new)
}
