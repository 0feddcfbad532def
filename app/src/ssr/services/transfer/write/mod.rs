//! Writing a checked import: multi-row inserts by table group, ids found again by key.

use crate::domain::{AuditAction, RecordType};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::domain::{KeyKind, RecordKey};
use crate::error::{AppError, AppResult};
use crate::ssr::audit;
use crate::ssr::auth::Actor;
use crate::ssr::entities::{action, incident, key_counter, known_error};
use crate::ssr::services::settings::OrgSettings;
use crate::ssr::to_ms;
use crate::transfer::ImportSummary;

use super::Progress;
use super::check::{Checked, Checker, Head, Index};
use super::stream::{Item, List, Source, Stopped, walk};

mod actions;
mod comments;
mod incidents;
mod known_errors;
mod settings;
mod users;

/// Rows per multi-row insert: the widest table (actions, 36 columns) stays far below
/// SQLite's 32 766 and PostgreSQL's 65 535 bound parameters.
const CHUNK: usize = 500;

/// What every table group's writer shares: who imports and when, the organisation's
/// settings, the users by e-mail, the records to audit and the running summary.
pub(super) struct Writer<'a> {
    pub actor: &'a Actor,
    pub now: DateTime<Utc>,
    pub progress: &'a dyn Progress,
    pub org: OrgSettings,
    pub cal: crate::domain::calendar::OrgCalendar,
    pub users: HashMap<String, i64>,
    /// The records written since the history was last written.
    pub audit: Vec<(RecordType, String)>,
    pub summary: ImportSummary,
    /// Records of the current phase written so far.
    pub done: u64,
}

impl Writer<'_> {
    /// The id of the user an e-mail names.
    pub fn uid(&self, email: &Option<String>) -> Option<i64> {
        email.as_ref().and_then(|e| self.users.get(e).copied())
    }

    /// A new phase of `total` records begins.
    pub fn phase(&mut self, name: &str, total: u64) {
        self.done = 0;
        self.progress.phase(name, total);
    }

    /// `n` more records of the current phase are written.
    pub fn advance(&mut self, n: usize) {
        self.done += n as u64;
        self.progress.advance(self.done);
    }

    /// Writes the history of the records written since the last call.
    pub async fn flush_audit(&mut self, txn: &impl ConnectionTrait) -> AppResult<()> {
        let records = std::mem::take(&mut self.audit);
        audit::record_many(
            txn,
            &self.actor.who(),
            self.now,
            AuditAction::Import,
            &records,
        )
        .await
    }
}

/// The ids of the rows whose `by` column (`seq`, or a postmortem's incident) is among
/// `values`, in one query: how the rows just inserted in bulk are found again.
async fn ids_by<E: EntityTrait>(
    _entity: E,
    by: E::Column,
    id: E::Column,
    values: Vec<i64>,
    txn: &impl ConnectionTrait,
) -> AppResult<HashMap<i64, i64>> {
    Ok(E::find()
        .select_only()
        .column(by)
        .column(id)
        .filter(by.is_in(values))
        .into_tuple::<(i64, i64)>()
        .all(txn)
        .await?
        .into_iter()
        .collect())
}

/// Multi-row inserts of `rows` in chunks.
async fn insert_all<A>(txn: &impl ConnectionTrait, rows: Vec<A>) -> AppResult<()>
where
    A: sea_orm::ActiveModelTrait + Clone,
{
    for chunk in rows.chunks(CHUNK) {
        <A::Entity as EntityTrait>::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

fn ms(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(to_ms)
}

/// Records handed from the blocking reader to the writer, a batch at a time.
struct Feed<T> {
    rx: tokio::sync::mpsc::Receiver<Vec<T>>,
    reader: tokio::task::JoinHandle<Result<(), Stopped>>,
}

impl<T: Send + 'static> Feed<T> {
    /// Walks `list` of the document on a blocking thread with a fresh checker, handing on
    /// each record as it is written (what `pick` takes of it) in batches of [`CHUNK`]; at
    /// most two batches wait.
    fn start(
        source: &Source,
        list: List,
        mut checker: Checker,
        pick: fn(Checked) -> Option<T>,
    ) -> Self {
        let (tx, rx) = tokio::sync::mpsc::channel::<Vec<T>>(2);
        let source = source.clone();
        let reader = tokio::task::spawn_blocking(move || {
            let mut batch = Vec::with_capacity(CHUNK);
            walk(&source, &[list], |item| {
                let Item::Record(list, i, v) = item else {
                    return true;
                };
                batch.extend(checker.record(list, i, &v).and_then(pick));
                batch.len() < CHUNK || tx.blocking_send(std::mem::take(&mut batch)).is_ok()
            })?;
            if !batch.is_empty() {
                tx.blocking_send(batch).map_err(|_| Stopped::Halted)?;
            }
            Ok(())
        });
        Self { rx, reader }
    }

    async fn next(&mut self) -> Option<Vec<T>> {
        self.rx.recv().await
    }

    /// Waits for the reader; an error it ran into.
    async fn finish(self) -> AppResult<()> {
        drop(self.rx);
        match self.reader.await {
            Ok(r) => Ok(r?),
            Err(e) => {
                tracing::error!(error = %e, "the import's reader failed");
                Err(AppError::internal())
            }
        }
    }
}

/// What the writing pass needs of the checked document.
pub(super) struct CheckedDoc {
    pub index: Arc<Index>,
    pub known: Arc<HashSet<String>>,
    pub head: Head,
}

/// Writes a checked document: settings first (the dates derived below use them), then
/// users, and each list read again from the source a batch at a time: incidents with their
/// children, known errors, actions, comments; then the key counters. The history is
/// written with each batch.
pub(super) async fn write(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    source: &Source,
    doc: CheckedDoc,
    existing: HashSet<String>,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> AppResult<ImportSummary> {
    let CheckedDoc { index, known, head } = doc;
    let org = match &head.settings {
        Some(s) => {
            settings::write(txn, actor, s, now).await?;
            s.clone()
        }
        None => crate::ssr::services::settings::load(txn).await?,
    };
    let mut w = Writer {
        actor,
        now,
        progress,
        cal: org.calendar(),
        org,
        users: HashMap::new(),
        audit: Vec::new(),
        summary: ImportSummary::default(),
        done: 0,
    };
    users::write(txn, &mut w, &head.users, &existing).await?;
    w.flush_audit(txn).await?;
    let checker = || Checker::new(index.clone(), known.clone());
    let mut max = Counters::default();

    w.phase("writing incidents", index.count(List::Incidents));
    let hooks = incidents::hooks(txn).await?;
    let mut feed = Feed::start(source, List::Incidents, checker(), |c| match c {
        Checked::Incident(seq, r) => Some((seq, *r)),
        _ => None,
    });
    while let Some(batch) = feed.next().await {
        max.see(KeyKind::Incident, &batch);
        incidents::write(txn, &mut w, &batch, &hooks).await?;
        w.flush_audit(txn).await?;
    }
    feed.finish().await?;

    w.phase("writing known errors", index.count(List::KnownErrors));
    let mut feed = Feed::start(source, List::KnownErrors, checker(), |c| match c {
        Checked::KnownError(seq, r) => Some((seq, *r)),
        _ => None,
    });
    while let Some(batch) = feed.next().await {
        max.see(KeyKind::KnownError, &batch);
        known_errors::write(txn, &mut w, &batch).await?;
        w.flush_audit(txn).await?;
    }
    feed.finish().await?;

    w.phase("writing actions", index.count(List::Actions));
    let mut feed = Feed::start(source, List::Actions, checker(), |c| match c {
        Checked::Action(seq, r) => Some((seq, *r)),
        _ => None,
    });
    while let Some(batch) = feed.next().await {
        max.see(KeyKind::Action, &batch);
        actions::write(txn, &mut w, &batch).await?;
        w.flush_audit(txn).await?;
    }
    feed.finish().await?;

    // Comments in the order of their numbers, so that a new export numbers them the same.
    // An export lists them so, and they stream; a document that lists them otherwise is
    // sorted in memory first (a hand-written one: small).
    w.phase("writing comments", index.count(List::Comments));
    let mut comments = comments::Comments::start(txn).await?;
    let mut feed = Feed::start(source, List::Comments, checker(), |c| match c {
        Checked::Comment(c) => Some(*c),
        _ => None,
    });
    let mut unsorted = Vec::new();
    while let Some(batch) = feed.next().await {
        for c in batch {
            if index.comments_in_order {
                comments.add(txn, &mut w, c).await?;
            } else {
                unsorted.push(c);
            }
        }
        w.flush_audit(txn).await?;
    }
    feed.finish().await?;
    unsorted.sort_by_key(|c| c.id);
    for c in unsorted {
        comments.add(txn, &mut w, c).await?;
    }
    comments.flush(txn, &mut w).await?;
    w.flush_audit(txn).await?;

    max.write(txn).await?;
    Ok(w.summary)
}

/// The highest key number written of each kind.
#[derive(Default)]
struct Counters(HashMap<KeyKind, i64>);

impl Counters {
    fn see<R>(&mut self, kind: KeyKind, batch: &[(i64, R)]) {
        if let Some(m) = batch.iter().map(|(seq, _)| *seq).max() {
            let e = self.0.entry(kind).or_insert(m);
            *e = (*e).max(m);
        }
    }

    /// Key counters past the highest imported key of each kind: keys are never reused.
    async fn write(&self, txn: &impl ConnectionTrait) -> AppResult<()> {
        for (kind, max) in &self.0 {
            key_counter::Entity::update_many()
                .col_expr(key_counter::Column::LastValue, Expr::value(*max))
                .filter(key_counter::Column::Kind.eq(kind.prefix()))
                .filter(key_counter::Column::LastValue.lt(*max))
                .exec(txn)
                .await?;
        }
        Ok(())
    }
}

/// The ids of the records of `kind` whose keys are among `keys`, by key number: one
/// statement for a batch.
async fn ids_of<'k>(
    txn: &impl ConnectionTrait,
    kind: KeyKind,
    keys: impl Iterator<Item = &'k str>,
) -> AppResult<HashMap<i64, i64>> {
    let seqs: Vec<i64> = keys
        .filter_map(|k| RecordKey::parse_as(kind, k))
        .map(|k| k.seq)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if seqs.is_empty() {
        return Ok(HashMap::new());
    }
    match kind {
        KeyKind::Incident => {
            ids_by(
                incident::Entity,
                incident::Column::Seq,
                incident::Column::Id,
                seqs,
                txn,
            )
            .await
        }
        KeyKind::KnownError => {
            ids_by(
                known_error::Entity,
                known_error::Column::Seq,
                known_error::Column::Id,
                seqs,
                txn,
            )
            .await
        }
        KeyKind::Action => {
            ids_by(
                action::Entity,
                action::Column::Seq,
                action::Column::Id,
                seqs,
                txn,
            )
            .await
        }
    }
}

/// The id of a record by its key, from ids found by [`ids_of`].
fn id_of(ids: &HashMap<i64, i64>, kind: KeyKind, key: &str) -> Option<i64> {
    RecordKey::parse_as(kind, key).and_then(|k| ids.get(&k.seq).copied())
}
