//! An owner's deadlines, for their calendar feed.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::authz::Op;
use crate::error::{AppError, AppResult};
use crate::ssr::auth::Actor;
use crate::ssr::entities::action;
use crate::ssr::services::users;

/// An owner's deadlines for their calendar: due dates of open work and verification
/// deadlines of completed work awaiting verification.
pub async fn deadlines(
    db: &impl ConnectionTrait,
    actor: &Actor,
    owner: &str,
) -> AppResult<Vec<action::Model>> {
    actor.require(Op::Read)?;
    let Some(u) = users::find(db, owner).await? else {
        return Err(AppError::not_found(format!("user {owner}")));
    };
    Ok(action::Entity::find()
        .filter(action::Column::OwnerId.eq(u.id))
        .filter(super::super::common::conditions::action_deadlines(None))
        .order_by_asc(action::Column::Seq)
        .all(db)
        .await?)
}
