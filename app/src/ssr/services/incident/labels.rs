//! The services and tags in use, for the suggestions wherever they are typed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use sea_orm::sea_query::{Alias, Expr, Order};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryOrder, QuerySelect};

use crate::domain::authz::Op;
use crate::error::AppResult;
use crate::model::Labels;
use crate::ssr::auth::Actor;
use crate::ssr::entities::{incident_service, incident_tag};

/// How many of each the suggestions offer.
const LIMIT: u64 = 200;

/// How long a process serves the labels it counted before it counts them again (another
/// process's new service is suggested within this; one added here at once).
pub const CACHE_FOR: std::time::Duration = std::time::Duration::from_secs(5);

/// Bumped whenever this process writes an incident's services or tags.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Marks the counted labels of this process stale.
pub fn changed() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// The labels of one database as a process keeps them between requests: counting them
/// groups every service and tag row, which no page should pay for on each view.
#[derive(Clone, Debug, Default)]
pub struct LabelsCache {
    slot: Arc<Mutex<Option<(Instant, u64, Labels)>>>,
}

impl LabelsCache {
    /// [`labels`], counted again when older than [`CACHE_FOR`] or changed in this process.
    pub async fn get(&self, db: &impl ConnectionTrait, actor: &Actor) -> AppResult<Labels> {
        actor.require(Op::Read)?;
        let generation = GENERATION.load(Ordering::SeqCst);
        if let Ok(slot) = self.slot.lock()
            && let Some((at, g, l)) = slot.as_ref()
            && *g == generation
            && at.elapsed() < CACHE_FOR
        {
            return Ok(l.clone());
        }
        let fresh = labels(db, actor).await?;
        if let Ok(mut slot) = self.slot.lock() {
            *slot = Some((Instant::now(), generation, fresh.clone()));
        }
        Ok(fresh)
    }
}

/// The most used services and tags, counted in SQL: one grouped query over the incidents'
/// service rows and one over their tag rows.
pub async fn labels(db: &impl ConnectionTrait, actor: &Actor) -> AppResult<Labels> {
    actor.require(Op::Read)?;
    Ok(Labels {
        services: most_used::<incident_service::Entity>(
            db,
            incident_service::Column::Service,
            incident_service::Column::IncidentId,
        )
        .await?,
        tags: most_used::<incident_tag::Entity>(
            db,
            incident_tag::Column::Tag,
            incident_tag::Column::IncidentId,
        )
        .await?,
    })
}

/// The values of `name` in `E`'s rows, by how many incidents carry each, then by name.
async fn most_used<E: EntityTrait>(
    db: &impl ConnectionTrait,
    name: E::Column,
    incident: E::Column,
) -> AppResult<Vec<String>> {
    Ok(E::find()
        .select_only()
        .column(name)
        .column_as(incident.count(), "uses")
        .group_by(name)
        .order_by(Expr::col(Alias::new("uses")), Order::Desc)
        .order_by_asc(name)
        .limit(LIMIT)
        .into_tuple::<(String, i64)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(s, _)| s)
        .collect())
}

/// The services of each of `incidents`, in one query (for messages and their filters).
pub async fn services_of(
    db: &impl ConnectionTrait,
    incidents: &[i64],
) -> AppResult<std::collections::HashMap<i64, Vec<String>>> {
    use sea_orm::QueryFilter;
    let mut out: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
    if incidents.is_empty() {
        return Ok(out);
    }
    for s in incident_service::Entity::find()
        .filter(incident_service::Column::IncidentId.is_in(incidents.iter().copied()))
        .order_by_asc(incident_service::Column::Service)
        .all(db)
        .await?
    {
        out.entry(s.incident_id).or_default().push(s.service);
    }
    Ok(out)
}
