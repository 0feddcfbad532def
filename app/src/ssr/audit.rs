//! The audit trail: who changed what, when, from what to what; written in the same
//! transaction as the change, append-only, and hash-chained so tampering shows.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use sha2::{Digest, Sha256};

use crate::domain::{AuditAction, RecordType};
use crate::error::AppResult;
use crate::model::AuditEntry;
use crate::ssr::entities::audit_log;
use crate::ssr::services::common::Sql;
use crate::ssr::{from_ms, to_ms};

/// Who did it, as the audit log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub user_id: Option<i64>,
    /// The user's e-mail, or `system` for the server itself (bootstrap, jobs, CLI).
    pub label: String,
}

impl Who {
    pub fn system() -> Self {
        Self {
            user_id: None,
            label: "system".into(),
        }
    }
}

/// One changed field: `old → new` (either may be absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl FieldChange {
    pub fn new(field: &str, old: Option<String>, new: Option<String>) -> Self {
        Self {
            field: field.to_owned(),
            old,
            new,
        }
    }
}

/// Collects the fields that differ between two versions of a record.
#[derive(Debug, Default)]
pub struct Diff(pub Vec<FieldChange>);

impl Diff {
    /// Records `field` when `old` and `new` differ (compared by their display text).
    pub fn field<T: ToString + ?Sized>(
        &mut self,
        field: &str,
        old: Option<&T>,
        new: Option<&T>,
    ) -> &mut Self {
        let (o, n) = (old.map(ToString::to_string), new.map(ToString::to_string));
        if o != n {
            self.0.push(FieldChange::new(field, o, n));
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[allow(clippy::too_many_arguments)]
fn row_hash(
    prev: &str,
    at: i64,
    actor_id: Option<i64>,
    actor: &str,
    record_type: &str,
    record_key: &str,
    action: &str,
    field: Option<&str>,
    old: Option<&str>,
    new: Option<&str>,
) -> String {
    // A JSON array is an unambiguous encoding of the row's content.
    let canonical = serde_json::json!([
        prev,
        at,
        actor_id,
        actor,
        record_type,
        record_key,
        action,
        field,
        old,
        new
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

fn hash_of(m: &audit_log::Model) -> String {
    row_hash(
        &m.prev_hash,
        m.at,
        m.actor_id,
        &m.actor,
        &m.record_type,
        &m.record_key,
        &m.action,
        m.field.as_deref(),
        m.old_value.as_deref(),
        m.new_value.as_deref(),
    )
}

/// The row for one change (`c.field` empty: no field), linked to `prev`, and its hash.
fn chained_row(
    prev: &str,
    at: i64,
    who: &Who,
    record_type: &str,
    record_key: &str,
    action: &str,
    c: &FieldChange,
) -> (audit_log::ActiveModel, String) {
    let field = (!c.field.is_empty()).then_some(c.field.as_str());
    let hash = row_hash(
        prev,
        at,
        who.user_id,
        &who.label,
        record_type,
        record_key,
        action,
        field,
        c.old.as_deref(),
        c.new.as_deref(),
    );
    let row = audit_log::ActiveModel {
        at: Set(at),
        actor_id: Set(who.user_id),
        actor: Set(who.label.clone()),
        record_type: Set(record_type.to_owned()),
        record_key: Set(record_key.to_owned()),
        action: Set(action.to_owned()),
        field: Set(field.map(str::to_owned)),
        old_value: Set(c.old.clone()),
        new_value: Set(c.new.clone()),
        prev_hash: Set(prev.to_owned()),
        hash: Set(hash.clone()),
        ..Default::default()
    };
    (row, hash)
}

/// Locks the chain's head row (serialising writers, so the chain never forks) and returns
/// the hash the next row links to. Call it inside the write's transaction.
async fn lock_head(txn: &impl ConnectionTrait) -> AppResult<String> {
    let backend = txn.get_database_backend();
    txn.execute_raw(Sql::new().statement(
        backend,
        "UPDATE audit_head SET last_hash = last_hash WHERE id = 1",
    ))
    .await?;
    let head = txn
        .query_one_raw(
            Sql::new().statement(backend, "SELECT last_hash FROM audit_head WHERE id = 1"),
        )
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("audit_head".into()))?;
    Ok(head.try_get("", "last_hash")?)
}

/// Moves the chain's head to the last row written.
async fn set_head(txn: &impl ConnectionTrait, last_id: i64, hash: String) -> AppResult<()> {
    let backend = txn.get_database_backend();
    let mut p = Sql::new();
    let sql = format!(
        "UPDATE audit_head SET last_id = {}, last_hash = {} WHERE id = 1",
        p.bind(last_id),
        p.bind(hash)
    );
    txn.execute_raw(p.statement(backend, sql)).await?;
    Ok(())
}

/// Appends the audit rows of one change. Call it inside the change's transaction.
/// `changes` empty writes one row without a field (e.g. a delete or a login).
pub async fn record(
    txn: &impl ConnectionTrait,
    who: &Who,
    at: DateTime<Utc>,
    record_type: RecordType,
    record_key: &str,
    action: AuditAction,
    changes: &[FieldChange],
) -> AppResult<()> {
    let mut prev = lock_head(txn).await?;
    let at = to_ms(at);
    let one = [FieldChange {
        field: String::new(),
        old: None,
        new: None,
    }];
    let rows = if changes.is_empty() {
        &one[..]
    } else {
        changes
    };
    let mut last_id = 0;
    for c in rows {
        let (row, hash) = chained_row(
            &prev,
            at,
            who,
            record_type.as_str(),
            record_key,
            action.as_str(),
            c,
        );
        let res = audit_log::Entity::insert(row).exec(txn).await?;
        last_id = res.last_insert_id;
        prev = hash;
    }
    set_head(txn, last_id, prev).await
}

/// Appends one row per record (`record_type`, `record_key`), all with the same actor, time
/// and action and no field: the history line of a bulk write such as an import. The chain
/// is computed here and the rows go in in chunks, so a large import costs a few statements.
pub async fn record_many(
    txn: &impl ConnectionTrait,
    who: &Who,
    at: DateTime<Utc>,
    action: AuditAction,
    records: &[(RecordType, String)],
) -> AppResult<()> {
    if records.is_empty() {
        return Ok(());
    }
    let mut prev = lock_head(txn).await?;
    let at = to_ms(at);
    let mut rows = Vec::with_capacity(records.len());
    let no_field = FieldChange::new("", None, None);
    for (record_type, record_key) in records {
        let (row, hash) = chained_row(
            &prev,
            at,
            who,
            record_type.as_str(),
            record_key,
            action.as_str(),
            &no_field,
        );
        rows.push(row);
        prev = hash;
    }
    // 12 columns a row: well below both databases' limits on bound parameters.
    for chunk in rows.chunks(1000) {
        audit_log::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    let last = txn
        .query_one_raw(Sql::new().statement(
            txn.get_database_backend(),
            "SELECT MAX(id) AS last_id FROM audit_log",
        ))
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("audit_log".into()))?;
    let last_id: i64 = last.try_get("", "last_id")?;
    set_head(txn, last_id, prev).await
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every row's hash matches and links to the one before; `rows` were checked.
    Intact { rows: u64 },
    /// The first row (by id) whose content or link does not match.
    Broken { id: i64, reason: String },
}

/// Walks the whole chain in id order, a page at a time.
pub async fn verify(db: &impl ConnectionTrait) -> AppResult<Verdict> {
    let mut expected_prev = migrations::GENESIS.to_owned();
    let mut after = 0i64;
    let mut rows = 0u64;
    let mut last_id = 0i64;
    loop {
        let page = audit_log::Entity::find()
            .filter(audit_log::Column::Id.gt(after))
            .order_by_asc(audit_log::Column::Id)
            .limit(2000)
            .all(db)
            .await?;
        if page.is_empty() {
            break;
        }
        for m in &page {
            if m.prev_hash != expected_prev {
                return Ok(Verdict::Broken {
                    id: m.id,
                    reason: "does not link to the row before it (a row was removed or inserted)"
                        .into(),
                });
            }
            if hash_of(m) != m.hash {
                return Ok(Verdict::Broken {
                    id: m.id,
                    reason: "its content does not match its hash (the row was altered)".into(),
                });
            }
            expected_prev = m.hash.clone();
            last_id = m.id;
            rows += 1;
        }
        after = last_id;
    }
    let head = db
        .query_one_raw(Sql::new().statement(
            db.get_database_backend(),
            "SELECT last_id, last_hash FROM audit_head WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("audit_head".into()))?;
    let head_hash: String = head.try_get("", "last_hash")?;
    let head_id: i64 = head.try_get("", "last_id")?;
    if head_hash != expected_prev || (rows > 0 && head_id != last_id) {
        return Ok(Verdict::Broken {
            id: head_id,
            reason: "the newest rows are missing (the log was truncated)".into(),
        });
    }
    Ok(Verdict::Intact { rows })
}

/// The record type a history address names; one the log does not keep is a 404.
pub fn record_type(name: &str) -> AppResult<RecordType> {
    name.parse()
        .map_err(|_| crate::error::AppError::not_found(format!("records of type `{name}`")))
}

/// The history of one field of a record, newest first (a timeline entry's text over time).
pub async fn field_history(
    db: &impl ConnectionTrait,
    record_type: RecordType,
    record_key: &str,
    field: &str,
    limit: u64,
) -> AppResult<Vec<AuditEntry>> {
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::RecordType.eq(record_type.as_str()))
        .filter(Expr::col(audit_log::Column::RecordKey).eq(record_key))
        .filter(audit_log::Column::Field.eq(field))
        .order_by_desc(audit_log::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    rows.into_iter().map(entry).collect()
}

/// A stored row as a history entry; an action this server never writes is an error (the
/// row was changed outside Hindsight), not a line shown as if it were right.
fn entry(m: audit_log::Model) -> AppResult<AuditEntry> {
    let action = m.action.parse::<AuditAction>().map_err(|_| {
        tracing::error!(id = m.id, "audit row with an unknown action");
        crate::error::AppError::internal()
    })?;
    Ok(AuditEntry {
        id: m.id,
        at: from_ms(m.at),
        actor: m.actor,
        action,
        field: m.field,
        old: m.old_value,
        new: m.new_value,
    })
}

/// A record's history, newest first.
pub async fn history(
    db: &impl ConnectionTrait,
    record_type: RecordType,
    record_key: &str,
    limit: u64,
) -> AppResult<Vec<AuditEntry>> {
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::RecordType.eq(record_type.as_str()))
        .filter(Expr::col(audit_log::Column::RecordKey).eq(record_key))
        .order_by_desc(audit_log::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    rows.into_iter().map(entry).collect()
}
