//! Writing a checked import: multi-row inserts by table group, ids found again by key.

use crate::domain::{AuditAction, RecordType};
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::domain::{KeyKind, RecordKey};
use crate::error::AppResult;
use crate::ssr::audit;
use crate::ssr::auth::Actor;
use crate::ssr::entities::key_counter;
use crate::ssr::services::settings::OrgSettings;
use crate::ssr::to_ms;
use crate::transfer::ImportSummary;

use super::Progress;
use super::check::Plan;

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
    pub audit: Vec<(RecordType, String)>,
    pub summary: ImportSummary,
}

impl Writer<'_> {
    /// The id of the user an e-mail names.
    pub fn uid(&self, email: &Option<String>) -> Option<i64> {
        email.as_ref().and_then(|e| self.users.get(e).copied())
    }
}

/// Multi-row inserts of `rows` in chunks, reporting progress.
/// Every row's id by another integer column (`seq`, or a postmortem's incident), in one
/// query: how the rows just inserted in bulk are found again.
async fn ids_by<E: EntityTrait>(
    _entity: E,
    by: E::Column,
    id: E::Column,
    txn: &impl ConnectionTrait,
) -> AppResult<HashMap<i64, i64>> {
    Ok(E::find()
        .select_only()
        .column(by)
        .column(id)
        .into_tuple::<(i64, i64)>()
        .all(txn)
        .await?
        .into_iter()
        .collect())
}

async fn insert_all<A>(
    txn: &impl ConnectionTrait,
    rows: Vec<A>,
    progress: &dyn Progress,
) -> AppResult<()>
where
    A: sea_orm::ActiveModelTrait + Clone,
{
    let mut done = 0u64;
    for chunk in rows.chunks(CHUNK) {
        <A::Entity as EntityTrait>::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
        done += chunk.len() as u64;
        progress.advance(done);
    }
    Ok(())
}

fn ms(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(to_ms)
}

/// Writes the plan: settings first (the dates derived below use them), then users,
/// incidents with their children, known errors, actions, the key counters and the history.
pub(super) async fn write(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    plan: Plan,
    existing: HashSet<String>,
    now: DateTime<Utc>,
    progress: &dyn Progress,
) -> AppResult<ImportSummary> {
    let org = match &plan.settings {
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
    };
    users::write(txn, &mut w, &plan, &existing).await?;
    let incident_ids = incidents::write(txn, &mut w, &plan).await?;
    let known_error_ids = known_errors::write(txn, &mut w, &plan, &incident_ids).await?;
    actions::write(txn, &mut w, &plan, &incident_ids, &known_error_ids).await?;
    comments::write(txn, &mut w, &plan).await?;
    counters(txn, &plan).await?;
    w.progress
        .phase("writing the history", w.audit.len() as u64);
    audit::record_many(txn, &actor.who(), now, AuditAction::Import, &w.audit).await?;
    w.progress.advance(w.audit.len() as u64);
    Ok(w.summary)
}

/// Key counters past the highest imported key of each kind: keys are never reused.
async fn counters(txn: &impl ConnectionTrait, plan: &Plan) -> AppResult<()> {
    for (kind, max) in [
        (KeyKind::Incident, plan.incidents.last().map(|(s, _)| *s)),
        (
            KeyKind::KnownError,
            plan.known_errors.last().map(|(s, _)| *s),
        ),
        (KeyKind::Action, plan.actions.last().map(|(s, _)| *s)),
    ] {
        if let Some(max) = max {
            key_counter::Entity::update_many()
                .col_expr(key_counter::Column::LastValue, Expr::value(max))
                .filter(key_counter::Column::Kind.eq(kind.prefix()))
                .filter(key_counter::Column::LastValue.lt(max))
                .exec(txn)
                .await?;
        }
    }

    Ok(())
}

/// The incident id of a key, from the ids the incidents got.
fn incident_of(ids: &HashMap<i64, i64>, key: &str) -> Option<i64> {
    RecordKey::parse_as(KeyKind::Incident, key).and_then(|k| ids.get(&k.seq).copied())
}
