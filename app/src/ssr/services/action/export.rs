//! Every action matching a filter, in keyset batches, for the CSV export.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use super::find::today;
use super::list::filtered;
use crate::domain::action::overdue;
use crate::domain::authz::Op;
use crate::error::AppResult;
use crate::model::ActionFilter;
use crate::ssr::auth::Actor;
use crate::ssr::entities::{action, incident, known_error};
use crate::ssr::services::common::{Keyset, lookup};
use crate::ssr::services::settings::{self};

/// Rows per batch of an export.
pub(super) const EXPORT_BATCH: u64 = 5_000;

/// Every action matching the filter, newest first, as `(action, owner e-mail, incident key,
/// known-error key, overdue)`; read in keyset batches, each batch's people and links in one
/// query apiece.
pub async fn export(
    db: &impl ConnectionTrait,
    actor: &Actor,
    f: &ActionFilter,
    now: DateTime<Utc>,
) -> AppResult<Vec<ExportRow>> {
    actor.require(Op::Read)?;
    let s = settings::load(db).await?;
    let today = today(&s, now);
    let mut out = Vec::new();
    let mut batch = Some(Keyset::batch(EXPORT_BATCH));
    while let Some(keyset) = batch {
        let Some(q) = filtered(db, actor, f, today).await? else {
            return Ok(out);
        };
        let rows = keyset.apply(q, action::Column::Seq).all(db).await?;
        let (rows, next) = keyset.finish(rows, |r| r.seq);
        batch = keyset.next(next);
        let people = lookup::emails(
            db,
            rows.iter()
                .filter_map(|r| r.owner_id)
                .chain(rows.iter().filter_map(|r| r.verified_by)),
        )
        .await?;
        let incidents =
            lookup::keys::<incident::Entity, _>(db, rows.iter().filter_map(|r| r.incident_id))
                .await?;
        let kes = lookup::keys::<known_error::Entity, _>(
            db,
            rows.iter().filter_map(|r| r.known_error_id),
        )
        .await?;
        for m in rows {
            out.push(ExportRow {
                overdue: overdue(m.status, m.due_date, today),
                owner: m.owner_id.and_then(|id| people.get(&id.0).cloned()),
                verified_by: m.verified_by.and_then(|id| people.get(&id.0).cloned()),
                incident: m.incident_id.and_then(|id| incidents.get(&id.0).cloned()),
                known_error: m.known_error_id.and_then(|id| kes.get(&id.0).cloned()),
                action: m,
            });
        }
    }
    Ok(out)
}

/// One action of an export with the names its ids stand for.
pub struct ExportRow {
    pub action: action::Model,
    pub owner: Option<String>,
    pub verified_by: Option<String>,
    pub incident: Option<String>,
    pub known_error: Option<String>,
    pub overdue: bool,
}
