//! Users: listing, creation, changes (name, role, active, password) and the first admin.

use crate::domain::{AuditAction, RecordType};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, TransactionSession, TransactionTrait,
};

use crate::domain::Role;
use crate::domain::authz::Op;
use crate::error::{AppError, AppResult};
use crate::model::{NewUser, User, UserPatch};
use crate::ssr::audit::{self, Diff, FieldChange};
use crate::ssr::auth::{Actor, normalise_email};
use crate::ssr::entities::{session, user};
use crate::ssr::secrets::{check_password_rules, hash_password};
use crate::ssr::services::common::save_version;
use crate::ssr::{from_ms, to_ms};

pub fn to_user(m: &user::Model) -> User {
    User {
        email: m.email.clone(),
        name: m.name.clone(),
        role: m.role,
        active: m.active,
        has_password: m.password_hash.is_some(),
        created_at: from_ms(m.created_at),
        updated_at: from_ms(m.updated_at),
        version: m.version,
    }
}

/// Checks an e-mail address's shape and returns it normalised.
pub fn check_email(email: &str) -> AppResult<String> {
    let e = normalise_email(email);
    let valid = e.len() <= 254
        && !e.chars().any(char::is_whitespace)
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        });
    if valid {
        Ok(e)
    } else {
        Err(AppError::invalid("email", "is not an e-mail address"))
    }
}

pub(crate) fn check_name(name: &str) -> AppResult<String> {
    let n = name.trim();
    match n.chars().count() {
        0 => Err(AppError::invalid("name", "must not be empty")),
        1..=100 => Ok(n.to_owned()),
        _ => Err(AppError::invalid("name", "must be at most 100 characters")),
    }
}

pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> AppResult<Vec<User>> {
    actor.require(Op::Read)?;
    let rows = user::Entity::find()
        .order_by_asc(user::Column::Email)
        .all(db)
        .await?;
    Ok(rows.iter().map(to_user).collect())
}

pub async fn find(db: &impl ConnectionTrait, email: &str) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(normalise_email(email)))
        .one(db)
        .await?)
}

pub async fn get(db: &impl ConnectionTrait, actor: &Actor, email: &str) -> AppResult<User> {
    actor.require(Op::Read)?;
    find(db, email)
        .await?
        .map(|m| to_user(&m))
        .ok_or_else(|| AppError::not_found(format!("user {email}")))
}

/// Creates a user (admins only). Without a password the user cannot sign in until one is set.
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    new: NewUser,
    now: DateTime<Utc>,
) -> AppResult<User> {
    actor.require(Op::Administer)?;
    let email = check_email(&new.email)?;
    let name = check_name(&new.name)?;
    let hash = match new.password.as_deref() {
        Some(p) => {
            check_password_rules(p)?;
            Some(hash_password(p).await?)
        }
        None => None,
    };
    let txn = crate::ssr::db::write(db).await?;
    if find(&txn, &email).await?.is_some() {
        return Err(AppError::conflict(format!(
            "a user with the e-mail {email} already exists"
        )));
    }
    let m = user::ActiveModel {
        email: Set(email.clone()),
        name: Set(name.clone()),
        role: Set(new.role),
        password_hash: Set(hash.clone()),
        active: Set(true),
        created_at: Set(to_ms(now)),
        updated_at: Set(to_ms(now)),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut changes = vec![
        FieldChange::new("email", None, Some(email.clone())),
        FieldChange::new("name", None, Some(name)),
        FieldChange::new("role", None, Some(new.role.to_string())),
    ];
    if hash.is_some() {
        // The hash is a secret too: the log says that a password was set, not what it is.
        changes.push(FieldChange::new("password", None, Some("(set)".into())));
    }
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::User,
        &email,
        AuditAction::Create,
        &changes,
    )
    .await?;
    txn.commit().await?;
    Ok(to_user(&m))
}

/// Changes a user (admins only). Deactivating a user or changing their password ends their
/// sessions. The last active admin cannot be demoted or deactivated.
pub async fn update<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    email: &str,
    patch: UserPatch,
    now: DateTime<Utc>,
) -> AppResult<User> {
    actor.require(Op::Administer)?;
    let name = patch.name.as_deref().map(check_name).transpose()?;
    let hash = match patch.password.as_deref() {
        Some(p) => {
            check_password_rules(p)?;
            Some(hash_password(p).await?)
        }
        None => None,
    };
    let txn = crate::ssr::db::write(db).await?;
    let old = find(&txn, email)
        .await?
        .ok_or_else(|| AppError::not_found(format!("user {email}")))?;
    if patch.version.is_some_and(|v| v != old.version) {
        return Err(AppError::stale(format!("user {}", old.email)));
    }
    let new_role = patch.role.unwrap_or(old.role);
    let new_active = patch.active.unwrap_or(old.active);
    if old.role == Role::Admin && old.active && (new_role != Role::Admin || !new_active) {
        let admins = user::Entity::find()
            .filter(user::Column::Role.eq(Role::Admin))
            .filter(user::Column::Active.eq(true))
            .count(&txn)
            .await?;
        if admins <= 1 {
            return Err(AppError::invalid(
                "role",
                "the last active admin must stay an active admin",
            ));
        }
    }
    let mut diff = Diff::default();
    diff.field("name", Some(&old.name), name.as_ref().or(Some(&old.name)));
    diff.field("role", Some(&old.role), Some(&new_role));
    diff.field("active", Some(&old.active), Some(&new_active));
    if hash.is_some() {
        diff.0
            .push(FieldChange::new("password", None, Some("(changed)".into())));
    }
    if diff.is_empty() {
        return Ok(to_user(&old));
    }
    let mut am: user::ActiveModel = old.clone().into();
    if let Some(n) = name {
        am.name = Set(n);
    }
    am.role = Set(new_role);
    am.active = Set(new_active);
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
    if hash.is_some() || !new_active {
        session::Entity::delete_many()
            .filter(session::Column::UserId.eq(old.id))
            .exec(&txn)
            .await?;
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
    Ok(to_user(&m))
}

/// On first start with no users at all, creates the first admin from the environment.
/// Returns whether a user was created.
pub async fn bootstrap_admin<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    email: &str,
    password: &str,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    if user::Entity::find().count(db).await? > 0 {
        return Ok(false);
    }
    let name = email.split('@').next().unwrap_or("admin").to_owned();
    create(
        db,
        &Actor::system(),
        NewUser {
            email: email.to_owned(),
            name,
            role: Role::Admin,
            password: Some(password.to_owned()),
        },
        now,
    )
    .await?;
    Ok(true)
}
