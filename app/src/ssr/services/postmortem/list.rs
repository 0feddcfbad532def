//! The postmortem list: filters (status, severity, overdue) and keyset pages.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter};

use crate::domain::PostmortemStatus;
use crate::domain::authz::Op;
use crate::error::AppResult;
use crate::model::{Page, PostmortemFilter, PostmortemSummary};
use crate::ssr::auth::Actor;
use crate::ssr::entities::{incident, postmortem};
use crate::ssr::services::common::{Keyset, page};
use crate::ssr::{from_ms, to_ms};

/// One page of postmortems, newest first, paginated by key.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    f: &PostmortemFilter,
    now: DateTime<Utc>,
) -> AppResult<Page<PostmortemSummary>> {
    actor.require(Op::Read)?;
    let keyset = Keyset::new(f.limit, f.page.as_deref())?;
    let mut q = postmortem::Entity::find();
    if let Some(s) = f.status {
        q = q.filter(postmortem::Column::Status.eq(s));
    }
    if f.overdue == Some(true) {
        q = q
            .filter(postmortem::Column::Status.ne(PostmortemStatus::Published))
            .filter(postmortem::Column::DueAt.lt(to_ms(now)));
    }
    if let Some(sev) = f.severity {
        q = q.filter(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(incident::Entity)
                .and_where(
                    Expr::col((incident::Entity, incident::Column::Id))
                        .equals((postmortem::Entity, postmortem::Column::IncidentId)),
                )
                .and_where(Expr::col((incident::Entity, incident::Column::Severity)).eq(sev))
                .to_owned(),
        ));
    }
    let rows = keyset.apply(q, postmortem::Column::Id).all(db).await?;
    let (rows, next) = keyset.finish(rows, |r| r.id);
    let incidents: HashMap<i64, incident::Model> = incident::Entity::find()
        .filter(incident::Column::Id.is_in(rows.iter().map(|r| r.incident_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let now_ms = to_ms(now);
    let items = rows
        .into_iter()
        .filter_map(|p| {
            let inc = incidents.get(&p.incident_id.0)?;
            Some(PostmortemSummary {
                incident: inc.key.clone(),
                incident_title: inc.title.clone(),
                severity: inc.severity,
                status: p.status,
                root_cause_category: p.root_cause_category,
                due_at: p.due_at.map(from_ms),
                published_at: p.published_at.map(from_ms),
                overdue: p.status != PostmortemStatus::Published
                    && p.due_at.is_some_and(|d| d < now_ms),
                updated_at: from_ms(p.updated_at),
            })
        })
        .collect();
    Ok(page::page(items, next))
}
