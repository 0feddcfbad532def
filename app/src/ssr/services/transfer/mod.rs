//! Export and import of the whole data set (`hindsight/v1`). Export streams the document a
//! page of records at a time; import checks every record first (all problems at
//! once, with the same domain rules the writes apply), then writes everything in one
//! transaction with multi-row inserts, into a database that holds no incidents, known errors
//! or actions yet.

mod check;
mod read;
mod write;

pub use read::{Out, Written};

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, EntityTrait, PaginatorTrait, QuerySelect, TransactionSession, TransactionTrait,
};

use crate::domain::authz::Op;
use crate::error::{AppError, AppResult, FieldError};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{action, incident, known_error, user};
use crate::transfer::{Document, ImportSummary};

/// Longest incident summary or customer impact, in characters.
pub const MAX_INCIDENT_TEXT: usize = 200_000;

/// Longest timeline event body, in characters.
pub const MAX_EVENT_BODY: usize = 50_000;

/// Where a long export or import reports how far it got (the CLI draws it; the API ignores it).
pub trait Progress: Sync {
    /// A new phase of `total` steps (0: unknown) begins.
    fn phase(&self, _name: &str, _total: u64) {}
    /// `done` steps of the current phase are finished.
    fn advance(&self, _done: u64) {}
}

/// Reports nothing.
pub struct Quiet;
impl Progress for Quiet {}

// ---------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------

/// Streams the whole data set (admins only) into `out` as one `hindsight/v1` document, read in
/// one transaction so it is consistent (on PostgreSQL a read-only repeatable-read one: every
/// page sees the same snapshot). Memory does not grow with the data: records are read a page
/// at a time and handed on as they are written.
pub async fn export_to<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    now: DateTime<Utc>,
    progress: &dyn Progress,
    out: &mut Out,
) -> AppResult<Written> {
    actor.require(Op::Administer)?;
    let txn = if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.begin_with_config(
            Some(sea_orm::IsolationLevel::RepeatableRead),
            Some(sea_orm::AccessMode::ReadOnly),
        )
        .await?
    } else {
        db.begin().await?
    };
    let written = read::write_all(&txn, now, progress, out).await?;
    txn.commit().await?;
    Ok(written)
}

/// The whole data set as a [`Document`] (for tests and benchmarks): the streamed document,
/// read back.
pub async fn export<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> AppResult<Document> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    let mut out = Out::new(tx);
    let collect = async move {
        let mut bytes = Vec::new();
        while let Some(piece) = rx.recv().await {
            bytes.extend_from_slice(&piece);
        }
        bytes
    };
    let write = async move { export_to(db, actor, now, progress, &mut out).await };
    let (written, bytes) = tokio::join!(write, collect);
    written?;
    serde_json::from_slice(&bytes).map_err(|e| {
        tracing::error!(error = %e, "the export does not read back");
        AppError::internal()
    })
}

// ---------------------------------------------------------------------------------------
// Writing an import
// ---------------------------------------------------------------------------------------

/// Imports a `hindsight/v1` document (admins only) into a database without incidents, known
/// errors or actions: 409 otherwise. Every bad record is reported at once (422) and then
/// nothing is written; else everything is written in one transaction.
pub async fn import<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    bytes: &[u8],
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> AppResult<ImportSummary> {
    actor.require(Op::Administer)?;
    ensure_empty(db).await?;
    progress.phase("reading the document", 0);
    let raw: check::RawDocument = match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(v) => match serde_path_to_error::deserialize::<_, check::RawDocument>(&v) {
            Ok(r) => r,
            Err(e) => {
                let path = e.path().to_string();
                return Err(AppError::invalid_many(vec![FieldError {
                    record: Some("document".into()),
                    field: if path == "." { "format".into() } else { path },
                    message: e.inner().to_string(),
                }]));
            }
        },
        Err(e) => {
            return Err(AppError::invalid_many(vec![FieldError {
                record: Some("document".into()),
                field: "body".into(),
                message: format!("is not JSON: {e}"),
            }]));
        }
    };
    let total =
        (raw.users.len() + raw.incidents.len() + raw.known_errors.len() + raw.actions.len()) as u64;
    progress.phase("validating records", total);
    let existing: HashSet<String> = user::Entity::find()
        .select_only()
        .column(user::Column::Email)
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let plan = check::check(raw, &existing).map_err(AppError::invalid_many)?;
    progress.advance(total);

    let txn = crate::ssr::db::write(db).await?;
    // Checked again inside the transaction: another import may have won the race.
    ensure_empty(&txn).await?;
    let summary = write::write(&txn, actor, plan, existing, now, progress).await?;
    progress.phase("committing", 0);
    txn.commit().await?;
    crate::ssr::services::settings::changed();
    Ok(summary)
}

async fn ensure_empty(db: &impl ConnectionTrait) -> AppResult<()> {
    let n = incident::Entity::find().count(db).await?
        + known_error::Entity::find().count(db).await?
        + action::Entity::find().count(db).await?;
    if n > 0 {
        return Err(AppError::conflict(
            "the database already holds incidents, known errors or actions; import only into an empty database",
        ));
    }
    Ok(())
}
