//! Lookups by the set, one query each and none for an empty set: the keys rows stand for, the
//! e-mails of user ids, and the ids of e-mails a request names.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, TryGetableMany,
};

use crate::error::{AppError, AppResult};
use crate::ssr::auth::normalise_email;
use crate::ssr::entities::{incident, known_error, user};

/// A keyed table: the columns of its row id and its human key (`INC-7`).
pub trait Keyed: EntityTrait {
    const ID: Self::Column;
    const KEY: Self::Column;
}

impl Keyed for incident::Entity {
    const ID: Self::Column = incident::Column::Id;
    const KEY: Self::Column = incident::Column::Key;
}

impl Keyed for known_error::Entity {
    const ID: Self::Column = known_error::Column::Id;
    const KEY: Self::Column = known_error::Column::Key;
}

fn distinct<I: Into<i64>>(ids: impl IntoIterator<Item = I>) -> Vec<i64> {
    let mut ids: Vec<i64> = ids.into_iter().map(Into::into).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The rows of `E` whose `id` column is one of `ids`, as tuples of `id` and `columns`: one
/// statement, none for an empty set.
async fn pick<E: EntityTrait, T: TryGetableMany>(
    db: &impl ConnectionTrait,
    id: E::Column,
    columns: impl IntoIterator<Item = E::Column>,
    ids: Vec<i64>,
) -> AppResult<Vec<T>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(E::find()
        .select_only()
        .column(id)
        .columns(columns)
        .filter(id.is_in(ids))
        .into_tuple::<T>()
        .all(db)
        .await?)
}

/// One text column of the rows of `E` by id.
pub async fn texts<E: EntityTrait, I: Into<i64>>(
    db: &impl ConnectionTrait,
    id: E::Column,
    column: E::Column,
    ids: impl IntoIterator<Item = I>,
) -> AppResult<HashMap<i64, String>> {
    let rows: Vec<(i64, String)> = pick::<E, _>(db, id, [column], distinct(ids)).await?;
    Ok(rows.into_iter().collect())
}

/// Keys of the rows of `E` by id.
pub async fn keys<E: Keyed, I: Into<i64>>(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = I>,
) -> AppResult<HashMap<i64, String>> {
    texts::<E, _>(db, E::ID, E::KEY, ids).await
}

/// The key of one row of `E` (`None` for no id or a row that is gone).
pub async fn key<E: Keyed>(
    db: &impl ConnectionTrait,
    id: Option<impl Into<i64>>,
) -> AppResult<Option<String>> {
    let Some(id) = id.map(Into::into) else {
        return Ok(None);
    };
    Ok(keys::<E, i64>(db, [id]).await?.remove(&id))
}

/// E-mail by user id.
pub async fn emails<I: Into<i64>>(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = I>,
) -> AppResult<HashMap<i64, String>> {
    texts::<user::Entity, _>(db, user::Column::Id, user::Column::Email, ids).await
}

/// A user as other records show them: e-mail and name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Person {
    pub email: String,
    pub name: String,
}

/// E-mail and name by user id.
pub async fn people<I: Into<i64>>(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = I>,
) -> AppResult<HashMap<i64, Person>> {
    let rows: Vec<(i64, String, String)> = pick::<user::Entity, _>(
        db,
        user::Column::Id,
        [user::Column::Email, user::Column::Name],
        distinct(ids),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, email, name)| (id, Person { email, name }))
        .collect())
}

/// User ids of the e-mails `named` (`label → e-mail`): every one must exist, or the 422 names
/// the first missing one as `field_of(label)`.
pub async fn user_ids<L: Ord + Clone>(
    db: &impl ConnectionTrait,
    named: &BTreeMap<L, String>,
    field_of: impl Fn(&L) -> String,
) -> AppResult<BTreeMap<L, i64>> {
    let mut wanted: Vec<String> = named.values().map(|e| normalise_email(e)).collect();
    wanted.sort();
    wanted.dedup();
    let found: HashMap<String, i64> = if wanted.is_empty() {
        HashMap::new()
    } else {
        user::Entity::find()
            .select_only()
            .column(user::Column::Email)
            .column(user::Column::Id)
            .filter(user::Column::Email.is_in(wanted))
            .into_tuple::<(String, i64)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    named
        .iter()
        .map(|(label, email)| {
            let email = normalise_email(email);
            found
                .get(&email)
                .map(|id| (label.clone(), *id))
                .ok_or_else(|| {
                    AppError::invalid(field_of(label), format!("no user with the e-mail {email}"))
                })
        })
        .collect()
}

/// The id of one user a field names by e-mail, or a 422 naming `field`.
pub async fn user_id(db: &impl ConnectionTrait, field: &str, email: &str) -> AppResult<i64> {
    let one = BTreeMap::from([((), email.to_owned())]);
    user_ids(db, &one, |_| field.to_owned())
        .await?
        .get(&())
        .copied()
        .ok_or_else(AppError::internal)
}
