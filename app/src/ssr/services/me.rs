//! One's own account (`/me`): name, password and API tokens, for every role, viewers
//! included. Nothing here reaches another user's data: a token id that is not the caller's
//! own is "not found", never "forbidden".

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, TransactionSession, TransactionTrait,
};

use crate::domain::authz::Op;
use crate::domain::{AuditAction, RecordType};
use crate::error::{AppError, AppResult};
use crate::model::{CreatedToken, MePatch, TokenInfo, User};
use crate::ssr::audit::{self, Diff, FieldChange};
use crate::ssr::auth::{Actor, LOGIN_FAILURES_PER_HOUR, Via};
use crate::ssr::entities::{api_token, login_failure, session, user};
use crate::ssr::secrets::{check_password_rules, hash_password, verify_password};
use crate::ssr::services::common::save_version;
use crate::ssr::services::{tokens, users};
use crate::ssr::to_ms;

/// What `login_failure` records as the address of a wrong current password: the account
/// page has no sign-in address of its own, and the count that matters is per account.
const ACCOUNT_PAGE: &str = "(account page)";

/// The caller's own user row (401 for the system, which has none).
async fn own(db: &impl ConnectionTrait, actor: &Actor) -> AppResult<user::Model> {
    actor.require(Op::Read)?;
    let id = actor.user_id().ok_or_else(AppError::unauthorized)?;
    user::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .filter(|u| u.active)
        .ok_or_else(AppError::unauthorized)
}

/// The caller's own account.
pub async fn get(db: &impl ConnectionTrait, actor: &Actor) -> AppResult<User> {
    Ok(users::to_user(&own(db, actor).await?))
}

/// Checks `given` against the stored password. A wrong one is a 422 naming
/// `current_password` (the form shows it by the field; 401 would read as "signed out") and
/// counts as a failed sign-in of the account, so that a stolen session cannot guess the
/// password faster than the sign-in page allows.
async fn check_current_password(
    db: &impl ConnectionTrait,
    me: &user::Model,
    given: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let hour_ago = to_ms(now - Duration::hours(1));
    let failures = login_failure::Entity::find()
        .filter(login_failure::Column::Email.eq(me.email.clone()))
        .filter(login_failure::Column::At.gt(hour_ago))
        .count(db)
        .await?;
    if failures >= LOGIN_FAILURES_PER_HOUR {
        return Err(AppError::too_many(
            "too many wrong passwords for this account; try again later",
        ));
    }
    if verify_password(given, me.password_hash.as_deref()).await {
        return Ok(());
    }
    login_failure::ActiveModel {
        email: Set(me.email.clone()),
        address: Set(ACCOUNT_PAGE.to_owned()),
        at: Set(to_ms(now)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Err(AppError::invalid(
        "current_password",
        if me.password_hash.is_some() {
            "is not your current password"
        } else {
            "cannot be checked: your account has no password yet; ask an admin to set one"
        },
    ))
}

/// Changes one's own name and/or password; the current password is required for either.
/// A new password ends every other session of the user (the one making the change stays).
pub async fn update<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    patch: MePatch,
    now: DateTime<Utc>,
) -> AppResult<User> {
    let old = own(db, actor).await?;
    let name = patch.name.as_deref().map(users::check_name).transpose()?;
    if let Some(p) = patch.password.as_deref() {
        check_password_rules(p)?;
    }
    check_current_password(db, &old, &patch.current_password, now).await?;
    let hash = match patch.password.as_deref() {
        Some(p) => Some(hash_password(p).await?),
        None => None,
    };
    let txn = crate::ssr::db::write(db).await?;
    let old = user::Entity::find_by_id(old.id)
        .one(&txn)
        .await?
        .ok_or_else(AppError::unauthorized)?;
    if patch.version.is_some_and(|v| v != old.version) {
        return Err(AppError::stale(format!("user {}", old.email)));
    }
    let mut diff = Diff::default();
    diff.field("name", Some(&old.name), name.as_ref().or(Some(&old.name)));
    if hash.is_some() {
        // That it changed, never the password or its hash.
        diff.0
            .push(FieldChange::new("password", None, Some("(changed)".into())));
    }
    if diff.is_empty() {
        return Ok(users::to_user(&old));
    }
    let mut am: user::ActiveModel = old.clone().into();
    if let Some(n) = name {
        am.name = Set(n);
    }
    if let Some(h) = hash.clone() {
        am.password_hash = Set(Some(h));
    }
    // Compare-and-set: a change that landed since `old` was read makes this a 409.
    let what = format!("user {}", old.email);
    save_version(&txn, am, old.id, old.version, now, &what).await?;
    let m = user::Entity::find_by_id(old.id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found(&what))?;
    if hash.is_some() {
        let mut others = session::Entity::delete_many().filter(session::Column::UserId.eq(old.id));
        if let Via::Session(current) = &actor.via {
            others = others.filter(session::Column::Id.ne(current.clone()));
        }
        others.exec(&txn).await?;
    }
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::User,
        &old.email,
        AuditAction::Update,
        &diff.0,
    )
    .await?;
    txn.commit().await?;
    Ok(users::to_user(&m))
}

/// The caller's own tokens (admins too see only their own here), newest first.
pub async fn list_tokens(db: &impl ConnectionTrait, actor: &Actor) -> AppResult<Vec<TokenInfo>> {
    let me = own(db, actor).await?;
    tokens::list_of(db, &me).await
}

/// A new token for oneself; the secret is in the answer only.
pub async fn create_token<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    name: &str,
    now: DateTime<Utc>,
) -> AppResult<CreatedToken> {
    own(db, actor).await?;
    tokens::create(db, actor, None, name, now).await
}

/// Revokes one of one's own tokens; anyone else's id is 404, as if it did not exist.
pub async fn revoke_token<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<TokenInfo> {
    let me = own(db, actor).await?;
    let mine = api_token::Entity::find_by_id(id)
        .filter(api_token::Column::UserId.eq(me.id))
        .one(db)
        .await?;
    if mine.is_none() {
        return Err(AppError::not_found(format!("token {id}")));
    }
    tokens::revoke(db, actor, id, now).await
}
