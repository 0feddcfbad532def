//! Child rows that a record owns as a set (services, tags, roles): replaced whole on a change.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::error::AppResult;

/// Replaces the rows of `parent` in a child table (found by the column `fk`) with `rows`:
/// one delete and one multi-row insert.
pub async fn replace<A>(
    txn: &impl ConnectionTrait,
    fk: <A::Entity as EntityTrait>::Column,
    parent: i64,
    rows: Vec<A>,
) -> AppResult<()>
where
    A: ActiveModelTrait + Send,
{
    <A::Entity as EntityTrait>::delete_many()
        .filter(fk.eq(parent))
        .exec(txn)
        .await?;
    if !rows.is_empty() {
        <A::Entity as EntityTrait>::insert_many(rows)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}
