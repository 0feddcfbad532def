//! The incident list: filters, search and keyset pages.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder};

use crate::domain::IncidentStatus;
use crate::domain::authz::Op;
use crate::error::AppResult;
use crate::model::{IncidentFilter, IncidentSummary, Page};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{incident, incident_service};
use crate::ssr::from_ms;
use crate::ssr::services::common::{Keyset, Sql, conditions, lookup, page, text};

use super::find::key_times;

/// The statuses of an incident still being worked on.
const ACTIVE: [IncidentStatus; 3] = [
    IncidentStatus::Investigating,
    IncidentStatus::Identified,
    IncidentStatus::Monitoring,
];

/// How many incidents are being worked on now (one count in SQL).
pub async fn active_count(db: &impl ConnectionTrait, actor: &Actor) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    actor.require(Op::Read)?;
    Ok(incident::Entity::find()
        .filter(incident::Column::Status.is_in(ACTIVE))
        .count(db)
        .await?)
}

/// One page of incidents, newest first, paginated by key (no count over the whole table).
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    f: &IncidentFilter,
) -> AppResult<Page<IncidentSummary>> {
    list_at(db, actor, f, chrono::Utc::now()).await
}

/// [`list`] with "now" given: `rca_due` compares RCA deadlines with it.
pub async fn list_at(
    db: &impl ConnectionTrait,
    actor: &Actor,
    f: &IncidentFilter,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Page<IncidentSummary>> {
    actor.require(Op::Read)?;
    let keyset = Keyset::new(f.limit, f.page.as_deref())?;
    let mut q = incident::Entity::find();
    if let Some(s) = f.status {
        q = q.filter(incident::Column::Status.eq(s));
    }
    if let Some(s) = f.severity {
        q = q.filter(incident::Column::Severity.eq(s));
    }
    if let Some(active) = f.active {
        let col = incident::Column::Status;
        q = q.filter(if active {
            col.is_in(ACTIVE)
        } else {
            col.is_not_in(ACTIVE)
        });
    }
    if let Some(svc) = text::clean(f.service.as_deref()) {
        q = q.filter(conditions::has_child::<
            incident::Entity,
            incident_service::Entity,
        >(
            incident::Column::Id,
            incident_service::Column::IncidentId,
            incident_service::Column::Service,
            svc,
        ));
    }
    let ranges = [
        (incident::Column::DetectedAt, f.detected_from, f.detected_to),
        (incident::Column::ResolvedAt, f.resolved_from, f.resolved_to),
    ];
    if ranges.iter().any(|(_, a, b)| a.is_some() || b.is_some()) {
        // Inclusive dates in the organisation's time zone, as the metrics count them.
        let cal = crate::ssr::services::settings::load(db).await?.calendar();
        for (col, from, to) in ranges {
            if let Some(d) = from {
                q = q.filter(col.gte(crate::ssr::to_ms(cal.start_of(d))));
            }
            if let Some(d) = to {
                let next = d + chrono::Duration::days(1);
                q = q.filter(col.lt(crate::ssr::to_ms(cal.start_of(next))));
            }
        }
    }
    // The metrics' own conditions, so a dashboard figure opens exactly the incidents it counts.
    let backend = db.get_database_backend();
    if let Some(c) = f.root_cause_category {
        let mut p = Sql::new();
        let cond = conditions::root_cause_is(&mut p, "incidents", c);
        q = q.filter(p.condition(backend, &cond));
    }
    if let Some(rec) = f.recurring {
        let cond = Expr::cust(conditions::recurring("incidents"));
        q = q.filter(if rec { cond } else { cond.not() });
    }
    if f.rca_due == Some(true) {
        let mut p = Sql::new();
        let published = conditions::has_published_postmortem(&mut p, "incidents");
        let cond = conditions::rca_due(&mut p, "incidents", &published, crate::ssr::to_ms(now));
        q = q.filter(p.condition(backend, &cond));
    }
    if let Some(text) = f.q.as_deref() {
        match crate::ssr::search::incident_condition(backend, text) {
            Some(cond) => q = q.filter(cond),
            None if !text.trim().is_empty() => return Ok(page::empty()),
            None => {}
        }
    }
    let rows = keyset.apply(q, incident::Column::Seq).all(db).await?;
    let (rows, next) = keyset.finish(rows, |r| r.seq);

    // The page's services and commanders in one query each, never one per row.
    let mut services = page::Children::of(
        incident_service::Entity::find()
            .filter(incident_service::Column::IncidentId.is_in(rows.iter().map(|r| r.id)))
            .order_by_asc(incident_service::Column::Service)
            .all(db)
            .await?,
        |s| s.incident_id,
    );
    let names = lookup::people(db, rows.iter().filter_map(|r| r.commander_id)).await?;

    let items = rows
        .into_iter()
        .map(|m| IncidentSummary {
            durations: key_times(&m).durations(),
            services: services.take(m.id).map(|s| s.service).collect(),
            commander: m
                .commander_id
                .and_then(|id| names.get(&id.0).map(|p| p.name.clone())),
            detected_at: from_ms(m.detected_at),
            resolved_at: m.resolved_at.map(from_ms),
            key: m.key,
            title: m.title,
            severity: m.severity,
            status: m.status,
        })
        .collect();
    Ok(page::page(items, next))
}
