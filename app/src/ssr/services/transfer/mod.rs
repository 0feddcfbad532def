//! Export and import of the whole data set (`hindsight/v1`). Export streams the document a
//! page of records at a time; import reads it a record at a time, checks every record first
//! (all problems at once, with the same domain rules the writes apply), then writes
//! everything in one transaction with multi-row inserts, into a database that holds no
//! incidents, known errors or actions yet. Neither holds the document in memory.

mod check;
mod read;
mod stream;
mod write;

pub use read::{Out, Written};
pub use stream::Source;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, EntityTrait, PaginatorTrait, QuerySelect, TransactionSession, TransactionTrait,
};

use crate::domain::authz::Op;
use crate::error::{AppError, AppResult};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{action, incident, known_error, user};
use crate::transfer::{Document, ImportSummary};
use stream::List;

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

/// Imports a `hindsight/v1` document held in memory; see [`import_from`].
pub async fn import<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    bytes: &[u8],
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> AppResult<ImportSummary> {
    import_from(db, actor, Source::bytes(bytes), now, progress).await
}

/// Imports a `hindsight/v1` document (admins only) into a database without incidents, known
/// errors or actions: 409 otherwise. Every bad record is reported at once (422) and then
/// nothing is written; else everything is written in one transaction.
///
/// The document is read from `source` a record at a time, never whole: a first pass notes
/// its format, settings, users and the keys of its records; a second checks every record
/// on its own; then, in the transaction, each list is read once more and written a batch
/// at a time. Memory holds the users, the keys and a few batches, not the document.
pub async fn import_from<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    source: Source,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> AppResult<ImportSummary> {
    actor.require(Op::Administer)?;
    ensure_empty(db).await?;
    progress.phase("reading the document", 0);
    let mut index = {
        let source = source.clone();
        blocking(progress, None, move || check::first_pass(&source)).await??
    };
    let total = List::ALL.iter().map(|l| index.count(*l)).sum::<u64>();
    progress.phase("checking records", total);
    let existing: HashSet<String> = user::Entity::find()
        .select_only()
        .column(user::Column::Email)
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut problems = check::Problems::default();
    let mut head =
        check::check_head(&mut index, &existing, &mut problems).map_err(AppError::invalid_many)?;
    let index = Arc::new(index);
    let known = Arc::new(std::mem::take(&mut head.known));
    {
        let (source, index, known) = (source.clone(), index.clone(), known.clone());
        let done = Arc::new(AtomicU64::new(0));
        let counter = done.clone();
        blocking(progress, Some(done), move || {
            check::second_pass(&source, index, known, problems, &counter)
        })
        .await?
        .map_err(AppError::invalid_many)?;
    }
    progress.advance(total);

    let txn = crate::ssr::db::write(db).await?;
    // Checked again inside the transaction: another import may have won the race.
    ensure_empty(&txn).await?;
    let doc = write::CheckedDoc { index, known, head };
    let summary = write::write(&txn, actor, &source, doc, existing, now, progress).await?;
    progress.phase("committing", 0);
    txn.commit().await?;
    crate::ssr::services::settings::changed();
    crate::ssr::services::incident::labels_changed();
    Ok(summary)
}

/// Runs a pass over the document on a blocking thread, reporting the records it has done
/// (when it counts them) while it runs.
async fn blocking<T: Send + 'static>(
    progress: &dyn Progress,
    done: Option<Arc<AtomicU64>>,
    f: impl FnOnce() -> T + Send + 'static,
) -> AppResult<T> {
    let mut task = tokio::task::spawn_blocking(f);
    loop {
        tokio::select! {
            r = &mut task => {
                return r.map_err(|e| {
                    tracing::error!(error = %e, "an import pass failed");
                    AppError::internal()
                });
            }
            () = tokio::time::sleep(std::time::Duration::from_millis(250)) => {
                if let Some(d) = &done {
                    progress.advance(d.load(Ordering::Relaxed));
                }
            }
        }
    }
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
