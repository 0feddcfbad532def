//! Human keys: the next number of a kind, taken inside the creating transaction. The counter
//! row's lock serialises creators (also across replicas), and numbers are never reused.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter};

use crate::domain::{KeyKind, RecordKey};
use crate::error::{AppError, AppResult};
use crate::ssr::entities::key_counter;

pub async fn next(txn: &impl ConnectionTrait, kind: KeyKind) -> AppResult<RecordKey> {
    key_counter::Entity::update_many()
        .col_expr(
            key_counter::Column::LastValue,
            Expr::col(key_counter::Column::LastValue).add(1),
        )
        .filter(key_counter::Column::Kind.eq(kind.prefix()))
        .exec(txn)
        .await?;
    let row = key_counter::Entity::find_by_id(kind.prefix().to_owned())
        .one(txn)
        .await?
        .ok_or_else(AppError::internal)?;
    Ok(RecordKey::new(kind, row.last_value))
}
