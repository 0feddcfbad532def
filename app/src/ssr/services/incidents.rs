//! Incident queries and commands.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::domain::Severity;
use crate::domain::authz::Op;
use crate::domain::incident::KeyTimes;
use crate::error::{AppError, AppResult};
use crate::model::{IncidentFilter, IncidentSummary, Page};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{incident, incident_service, user};
use crate::ssr::from_ms;

/// Default and largest page sizes of lists.
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// The key times of a stored incident.
pub fn key_times(m: &incident::Model) -> KeyTimes {
    KeyTimes {
        started_at: m.started_at.map(from_ms),
        detected_at: Some(from_ms(m.detected_at)),
        acknowledged_at: m.acknowledged_at.map(from_ms),
        mitigated_at: m.mitigated_at.map(from_ms),
        resolved_at: m.resolved_at.map(from_ms),
        closed_at: m.closed_at.map(from_ms),
    }
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
    let limit = f.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT) as usize;
    let mut q = incident::Entity::find();
    if let Some(s) = f.status {
        q = q.filter(incident::Column::Status.eq(s));
    }
    if let Some(s) = f.severity {
        q = q.filter(incident::Column::Severity.eq(s));
    }
    if let Some(svc) = f
        .service
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        // Correlated EXISTS (a primary-key lookup per row) lets the newest-first index walk
        // stop after one page; an IN list would first collect every incident of the service.
        q = q.filter(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(incident_service::Entity)
                .and_where(
                    Expr::col((
                        incident_service::Entity,
                        incident_service::Column::IncidentId,
                    ))
                    .equals((incident::Entity, incident::Column::Id)),
                )
                .and_where(
                    Expr::col((incident_service::Entity, incident_service::Column::Service))
                        .eq(svc),
                )
                .to_owned(),
        ));
    }
    let ranges = [
        (incident::Column::DetectedAt, f.detected_from, f.detected_to),
        (incident::Column::ResolvedAt, f.resolved_from, f.resolved_to),
    ];
    if ranges.iter().any(|(_, a, b)| a.is_some() || b.is_some()) {
        // Inclusive dates in the organisation's time zone, as the metrics count them.
        let cal = crate::ssr::settings::load(db).await?.calendar();
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
    if let Some(c) = f.root_cause_category {
        q = q.filter(super::cust_sql(
            db.get_database_backend(),
            "EXISTS (SELECT 1 FROM postmortems pm WHERE pm.incident_id = incidents.id AND pm.root_cause_category = ?)",
            vec![c.as_str().into()],
        ));
    }
    if let Some(rec) = f.recurring {
        let cond = Expr::cust(
            "EXISTS (SELECT 1 FROM known_error_incidents l1 \
               JOIN known_error_incidents l2 ON l2.known_error_id = l1.known_error_id \
               JOIN incidents j ON j.id = l2.incident_id \
             WHERE l1.incident_id = incidents.id AND j.detected_at < incidents.detected_at)",
        );
        q = q.filter(if rec { cond } else { cond.not() });
    }
    if f.rca_due == Some(true) {
        let now = crate::ssr::to_ms(now);
        q = q
            .filter(incident::Column::Severity.is_in([Severity::Sev1, Severity::Sev2]))
            .filter(incident::Column::ResolvedAt.is_not_null())
            .filter(super::cust_sql(
                db.get_database_backend(),
                "(EXISTS (SELECT 1 FROM postmortems pm WHERE pm.incident_id = incidents.id AND pm.status = ?) \
                  OR incidents.rca_due_at < ?)",
                vec![
                    crate::domain::PostmortemStatus::Published.as_str().into(),
                    now.into(),
                ],
            ));
    }
    if let Some(text) = f.q.as_deref() {
        match crate::ssr::search::incident_condition(db.get_database_backend(), text) {
            Some(cond) => q = q.filter(cond),
            None if !text.trim().is_empty() => {
                return Ok(Page {
                    items: Vec::new(),
                    next: None,
                });
            }
            None => {}
        }
    }
    if let Some(cursor) = f.page.as_deref().filter(|s| !s.is_empty()) {
        let seq: i64 = cursor
            .parse()
            .map_err(|_| AppError::invalid("page", "is not a cursor from a previous page"))?;
        q = q.filter(incident::Column::Seq.lt(seq));
    }
    let mut rows = q
        .order_by_desc(incident::Column::Seq)
        .limit(limit as u64 + 1)
        .all(db)
        .await?;
    let next = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|r| r.seq.to_string())
    } else {
        None
    };

    // The page's services and commanders in one query each, never one per row.
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut services: HashMap<i64, Vec<String>> = HashMap::new();
    if !ids.is_empty() {
        for s in incident_service::Entity::find()
            .filter(incident_service::Column::IncidentId.is_in(ids.clone()))
            .order_by_asc(incident_service::Column::Service)
            .all(db)
            .await?
        {
            services.entry(s.incident_id).or_default().push(s.service);
        }
    }
    let commander_ids: Vec<i64> = rows.iter().filter_map(|r| r.commander_id).collect();
    let mut names: HashMap<i64, String> = HashMap::new();
    if !commander_ids.is_empty() {
        for u in user::Entity::find()
            .filter(user::Column::Id.is_in(commander_ids))
            .all(db)
            .await?
        {
            names.insert(u.id, u.name);
        }
    }

    let items = rows
        .into_iter()
        .map(|m| IncidentSummary {
            durations: key_times(&m).durations(),
            services: services.remove(&m.id).unwrap_or_default(),
            commander: m.commander_id.and_then(|id| names.get(&id).cloned()),
            detected_at: from_ms(m.detected_at),
            resolved_at: m.resolved_at.map(from_ms),
            key: m.key,
            title: m.title,
            severity: m.severity,
            status: m.status,
        })
        .collect();
    Ok(Page { items, next })
}
