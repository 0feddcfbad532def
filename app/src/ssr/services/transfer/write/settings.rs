//! The organisation's settings of an import.

use crate::domain::{AuditAction, RecordType};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::error::{AppError, AppResult};
use crate::ssr::audit;
use crate::ssr::auth::Actor;
use crate::ssr::entities::setting;
use crate::ssr::services::settings::OrgSettings;
use crate::ssr::to_ms;

/// Stores every setting of the document (the reminder address aside) over what is there.
pub(super) async fn write(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    s: &OrgSettings,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let value = serde_json::to_value(s).map_err(|_| AppError::internal())?;
    let keys: Vec<&str> = OrgSettings::KEYS
        .iter()
        .copied()
        .filter(|k| *k != "reminder_webhook_url")
        .collect();
    setting::Entity::delete_many()
        .filter(setting::Column::Key.is_in(keys.clone()))
        .exec(txn)
        .await?;
    let rows: Vec<setting::ActiveModel> = keys
        .iter()
        .map(|k| setting::ActiveModel {
            key: Set((*k).to_owned()),
            value: Set(value[*k].to_string()),
            updated_at: Set(to_ms(now)),
            updated_by: Set(actor.user_id().map(|u| u.0)),
            version: Set(1),
        })
        .collect();
    setting::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    audit::record(
        txn,
        &actor.who(),
        now,
        RecordType::Settings,
        "org",
        AuditAction::Import,
        &[],
    )
    .await?;
    Ok(())
}
