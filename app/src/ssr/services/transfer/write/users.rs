//! The document's users that are new here (people already here are kept as they are).

use crate::domain::RecordType;
use std::collections::HashSet;

use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, QuerySelect};

use crate::error::AppResult;
use crate::ssr::entities::user;
use crate::ssr::to_ms;

use super::{Writer, insert_all};
use crate::transfer::UserRecord;

/// Writes the new users and learns every user's id by e-mail.
pub(super) async fn write(
    txn: &impl ConnectionTrait,
    w: &mut Writer<'_>,
    users: &[UserRecord],
    existing: &HashSet<String>,
) -> AppResult<()> {
    let new_users: Vec<user::ActiveModel> = users
        .iter()
        .filter(|u| !existing.contains(&u.email))
        .map(|u| user::ActiveModel {
            email: Set(u.email.clone()),
            name: Set(u.name.clone()),
            role: Set(u.role),
            password_hash: Set(None),
            active: Set(u.active),
            created_at: Set(to_ms(w.now)),
            updated_at: Set(to_ms(w.now)),
            version: Set(1),
            ..Default::default()
        })
        .collect();
    w.summary.users_created = new_users.len();
    w.summary.users_existing = users.len() - new_users.len();
    w.audit.extend(
        users
            .iter()
            .filter(|u| !existing.contains(&u.email))
            .map(|u| (RecordType::User, u.email.clone())),
    );
    w.phase("writing users", new_users.len() as u64);
    let n = new_users.len();
    insert_all(txn, new_users).await?;
    w.advance(n);
    w.users = user::Entity::find()
        .select_only()
        .column(user::Column::Email)
        .column(user::Column::Id)
        .into_tuple::<(String, i64)>()
        .all(txn)
        .await?
        .into_iter()
        .collect();

    Ok(())
}
