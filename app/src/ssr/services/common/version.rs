//! Optimistic locking: a write that lands only on the version it read.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use chrono::{DateTime, Utc};

use crate::error::{AppError, AppResult};
use crate::ssr::to_ms;

/// A table whose rows carry a version for optimistic locking and the time of their last change.
pub trait Versioned: EntityTrait {
    const ID: Self::Column;
    const VERSION: Self::Column;
    const UPDATED_AT: Self::Column;
}

macro_rules! versioned {
    ($($m:ident),+) => {$(
        impl Versioned for crate::ssr::entities::$m::Entity {
            const ID: Self::Column = crate::ssr::entities::$m::Column::Id;
            const VERSION: Self::Column = crate::ssr::entities::$m::Column::Version;
            const UPDATED_AT: Self::Column = crate::ssr::entities::$m::Column::UpdatedAt;
        }
    )+};
}
versioned!(incident, postmortem, known_error, action, user);

/// Writes `am` over the row `id` as its next version, changed at `now`, only if the row is
/// still at `version`. Someone else's change in between is a 409 naming `what`, and nothing
/// is written.
pub async fn save_version<A, E>(
    txn: &impl ConnectionTrait,
    mut am: A,
    id: i64,
    version: i32,
    now: DateTime<Utc>,
    what: impl std::fmt::Display,
) -> AppResult<()>
where
    A: ActiveModelTrait<Entity = E>,
    E: Versioned,
{
    am.set(E::UPDATED_AT, to_ms(now).into());
    am.set(E::VERSION, (version + 1).into());
    let res = E::update_many()
        .set(am)
        .filter(E::ID.eq(id))
        .filter(E::VERSION.eq(version))
        .exec(txn)
        .await?;
    if res.rows_affected == 1 {
        Ok(())
    } else {
        Err(AppError::stale(what))
    }
}

/// A write that lost to a concurrent one at the database: PostgreSQL's serialisation failure,
/// or SQLite's stale snapshot (a transaction that read before another writer committed and
/// then tried to write). The caller answers 409 and the client retries with fresh data.
pub fn is_write_conflict(e: &sea_orm::DbErr) -> bool {
    let text = e.to_string();
    text.contains("could not serialize access")
        || text.contains("database is locked")
        || text.contains("(code: 517)")
}

/// The 409 of a stale write, saying who changed the record last and when, so that the person
/// who lost knows whom to talk to. Falls back to the plain message when the log has no entry.
pub async fn stale_by(
    db: &impl ConnectionTrait,
    record_type: crate::domain::RecordType,
    key: &str,
    what: impl std::fmt::Display,
) -> AppError {
    match crate::ssr::audit::history(db, record_type, key, 1).await {
        Ok(last) => match last.into_iter().next() {
            Some(e) => AppError::conflict(format!(
                "{what} was changed by {} at {}; reload it and apply your change again",
                e.actor,
                crate::components::format::datetime(e.at)
            )),
            None => AppError::stale(what),
        },
        Err(_) => AppError::stale(what),
    }
}
