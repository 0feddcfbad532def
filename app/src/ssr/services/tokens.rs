//! API tokens: created for oneself (admins: for anyone), shown once, stored hashed, revocable.

use crate::domain::{AuditAction, RecordType};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, TransactionSession, TransactionTrait,
};

use crate::domain::authz::Op;
use crate::error::{AppError, AppResult};
use crate::model::{CreatedToken, TokenInfo};
use crate::ssr::audit::{self, FieldChange};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{api_token, user};
use crate::ssr::secrets::{random_secret, secret_hash};
use crate::ssr::services::common::lookup;
use crate::ssr::services::users;
use crate::ssr::{from_ms, to_ms};

/// Every token starts with this, so leaked tokens are easy to recognise and scan for.
pub const TOKEN_PREFIX: &str = "hs_";

fn info(t: &api_token::Model, owner: &str) -> TokenInfo {
    TokenInfo {
        id: t.id,
        name: t.name.clone(),
        owner: owner.to_owned(),
        prefix: t.prefix.clone(),
        created_at: from_ms(t.created_at),
        last_used_at: t.last_used_at.map(from_ms),
        revoked_at: t.revoked_at.map(from_ms),
    }
}

fn is_own(actor: &Actor, user_id: i64) -> bool {
    actor.user_id().is_some_and(|me| me.0 == user_id)
}

/// Creates a token for `owner` (default: the actor). The secret is in the answer only.
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    owner: Option<&str>,
    name: &str,
    now: DateTime<Utc>,
) -> AppResult<CreatedToken> {
    let name = crate::ssr::services::common::text::short("name", name)?;
    let name = name.as_str();
    let owner_model = match owner {
        Some(email) => users::find(db, email)
            .await?
            .ok_or_else(|| AppError::invalid("owner", format!("no user {email}")))?,
        None => {
            let id = actor
                .user_id()
                .ok_or_else(|| AppError::invalid("owner", "is required for the system"))?;
            user::Entity::find_by_id(id.0)
                .one(db)
                .await?
                .ok_or_else(AppError::unauthorized)?
        }
    };
    if is_own(actor, owner_model.id) {
        actor.require(Op::ManageOwnTokens)?;
    } else {
        actor.require(Op::Administer)?;
    }
    if !owner_model.active {
        return Err(AppError::invalid("owner", "is deactivated"));
    }
    let secret = format!("{TOKEN_PREFIX}{}", random_secret());
    let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 6).collect();
    let txn = crate::ssr::db::write(db).await?;
    let t = api_token::ActiveModel {
        user_id: Set(owner_model.id),
        name: Set(name.to_owned()),
        token_hash: Set(secret_hash(&secret)),
        prefix: Set(prefix.clone()),
        created_at: Set(to_ms(now)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::ApiToken,
        &t.id.to_string(),
        AuditAction::Create,
        &[
            FieldChange::new("name", None, Some(name.to_owned())),
            FieldChange::new("owner", None, Some(owner_model.email.clone())),
            FieldChange::new("prefix", None, Some(prefix)),
        ],
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedToken {
        token: secret,
        info: info(&t, &owner_model.email),
    })
}

/// The actor's own tokens; admins see everyone's.
pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> AppResult<Vec<TokenInfo>> {
    actor.require(Op::Read)?;
    let mut q = api_token::Entity::find();
    if actor.require(Op::Administer).is_err() {
        let me = actor.user_id().ok_or_else(AppError::unauthorized)?;
        q = q.filter(api_token::Column::UserId.eq(me.0));
    }
    let rows = q.order_by_desc(api_token::Column::Id).all(db).await?;
    with_owners(db, rows).await
}

/// The tokens of one user, newest first (their own list on `/me`).
pub async fn list_of(db: &impl ConnectionTrait, owner: &user::Model) -> AppResult<Vec<TokenInfo>> {
    let rows = api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(owner.id))
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await?;
    Ok(rows.iter().map(|t| info(t, &owner.email)).collect())
}

async fn with_owners(
    db: &impl ConnectionTrait,
    rows: Vec<api_token::Model>,
) -> AppResult<Vec<TokenInfo>> {
    let owners = lookup::emails(db, rows.iter().map(|t| t.user_id)).await?;
    Ok(rows
        .iter()
        .map(|t| info(t, owners.get(&t.user_id).map(String::as_str).unwrap_or("")))
        .collect())
}

/// Revokes a token: one's own, or anyone's for admins. Revoking twice is a no-op.
pub async fn revoke<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<TokenInfo> {
    let txn = crate::ssr::db::write(db).await?;
    let t = api_token::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found(format!("token {id}")))?;
    if is_own(actor, t.user_id) {
        actor.require(Op::ManageOwnTokens)?;
    } else {
        actor.require(Op::Administer)?;
    }
    let owner = user::Entity::find_by_id(t.user_id)
        .one(&txn)
        .await?
        .map(|u| u.email)
        .unwrap_or_default();
    if t.revoked_at.is_some() {
        return Ok(info(&t, &owner));
    }
    let mut am: api_token::ActiveModel = t.into();
    am.revoked_at = Set(Some(to_ms(now)));
    let t = am.update(&txn).await?;
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::ApiToken,
        &id.to_string(),
        AuditAction::Revoke,
        &[FieldChange::new("revoked_at", None, Some(now.to_rfc3339()))],
    )
    .await?;
    txn.commit().await?;
    Ok(info(&t, &owner))
}
