//! The services and tags in use, for the suggestions wherever they are typed.

use sea_orm::sea_query::{Alias, Expr, Order};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryOrder, QuerySelect};

use crate::domain::authz::Op;
use crate::error::AppResult;
use crate::model::Labels;
use crate::ssr::auth::Actor;
use crate::ssr::entities::{incident_service, incident_tag};

/// How many of each the suggestions offer.
const LIMIT: u64 = 200;

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
