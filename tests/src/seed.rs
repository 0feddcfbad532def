//! Test data: rows written straight through the entities, for tests that need data before
//! the corresponding write services exist or that must not depend on them, and records
//! written through the services, for the service tests and for the browser tests' database
//! before their server starts.

use app::domain::{IncidentStatus, Role, Severity};
use app::model::{Incident, KnownError, NewEvent, NewIncident, NewKnownError};
use app::ssr::auth::{Actor, Via};
use app::ssr::entities::{incident, incident_service};
use app::ssr::services::{incident as incidents, known_error as known_errors, users as accounts};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Set};

/// The database at `url`, opened and migrated (a browser test's file before its server starts).
pub async fn open(url: &str) -> DatabaseConnection {
    app::ssr::db::connect_and_migrate(url).await.unwrap()
}

/// Creates each user with its role and the test password ([`crate::http::PASSWORD`]).
pub async fn users(db: &DatabaseConnection, people: &[(&str, Role)]) {
    for (email, role) in people {
        crate::http::user(db, email, *role).await;
    }
}

/// Creates a user with `role` and returns them as the actor of service calls (as through an
/// API token).
pub async fn actor(db: &DatabaseConnection, email: &str, role: Role) -> Actor {
    crate::http::user(db, email, role).await;
    let u = accounts::find(db, email).await.unwrap().unwrap();
    Actor::from_user(&u, Via::Token(0))
}

/// Declares an incident through the service, as `actor` at `now`.
pub async fn declared(
    db: &DatabaseConnection,
    actor: &Actor,
    new: NewIncident,
    now: DateTime<Utc>,
) -> Incident {
    incidents::create(db, actor, new, now).await.unwrap()
}

/// Adds a timeline event to the incident `key` through the service, as `actor` at `now`.
pub async fn event(
    db: &DatabaseConnection,
    actor: &Actor,
    key: &str,
    new: NewEvent,
    now: DateTime<Utc>,
) {
    incidents::add_event(db, actor, key, new, now)
        .await
        .unwrap();
}

/// Records a known error through the service, as `actor` at `now`.
pub async fn known_error(
    db: &DatabaseConnection,
    actor: &Actor,
    new: NewKnownError,
    now: DateTime<Utc>,
) -> KnownError {
    known_errors::create(db, actor, new, now).await.unwrap()
}

/// An incident row written straight through the entities, with its services: resolved
/// incidents 90 minutes after `detected_at`, closed ones 2 hours after it.
pub async fn incident(
    db: &impl ConnectionTrait,
    seq: i64,
    title: &str,
    severity: Severity,
    status: IncidentStatus,
    services: &[&str],
    detected_at: DateTime<Utc>,
) -> incident::Model {
    let ms = detected_at.timestamp_millis();
    let resolved = matches!(status, IncidentStatus::Resolved | IncidentStatus::Closed)
        .then_some(ms + 90 * 60_000);
    let m = incident::ActiveModel {
        key: Set(format!("INC-{seq}")),
        seq: Set(seq),
        title: Set(title.to_owned()),
        severity: Set(severity),
        status: Set(status),
        summary: Set(String::new()),
        customer_impact: Set(String::new()),
        detected_at: Set(ms),
        resolved_at: Set(resolved),
        closed_at: Set((status == IncidentStatus::Closed).then_some(ms + 120 * 60_000)),
        reopen_count: Set(0),
        created_at: Set(ms),
        updated_at: Set(ms),
        version: Set(1),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("incident row");
    for s in services {
        incident_service::ActiveModel {
            incident_id: Set(m.id),
            service: Set((*s).to_owned()),
        }
        .insert(db)
        .await
        .expect("service row");
    }
    m
}
