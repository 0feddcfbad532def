//! Hindsight's database schema as sea-orm migrations, run unchanged on SQLite and PostgreSQL.
//!
//! Conventions: instants are `BIGINT` Unix milliseconds (UTC), so durations are exact integer
//! arithmetic on both databases; calendar dates (`due_date`, `verification_due`) are `DATE`
//! in the organisation's time zone. Every mutable record has a `version` for optimistic locking.

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_accounts;
mod m20261124_000002_incidents;
mod m20261124_000003_problems_and_actions;
mod m20261124_000004_audit_guard;
mod m20261124_000005_search;
mod m20261125_000006_postmortem_list;
mod m20261125_000007_known_error_search;
mod m20261125_000008_my_actions;
mod m20261125_000009_metrics;
mod m20261125_000010_metrics_groups;
mod m20261129_000011_metrics_covering;
mod m20261129_000012_severity_covering;
mod m20261202_000013_comments;
mod m20261202_000014_live;
mod m20261202_000015_timeline_edits;
mod m20261203_000016_alerts_and_channels;
mod m20261203_000017_trackers;
mod m20261203_000018_tracker_sync;

pub use m20261124_000004_audit_guard::GENESIS;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_accounts::Migration),
            Box::new(m20261124_000002_incidents::Migration),
            Box::new(m20261124_000003_problems_and_actions::Migration),
            Box::new(m20261124_000004_audit_guard::Migration),
            Box::new(m20261124_000005_search::Migration),
            Box::new(m20261125_000006_postmortem_list::Migration),
            Box::new(m20261125_000007_known_error_search::Migration),
            Box::new(m20261125_000008_my_actions::Migration),
            Box::new(m20261125_000009_metrics::Migration),
            Box::new(m20261125_000010_metrics_groups::Migration),
            Box::new(m20261129_000011_metrics_covering::Migration),
            Box::new(m20261129_000012_severity_covering::Migration),
            Box::new(m20261202_000013_comments::Migration),
            Box::new(m20261202_000014_live::Migration),
            Box::new(m20261202_000015_timeline_edits::Migration),
            Box::new(m20261203_000016_alerts_and_channels::Migration),
            Box::new(m20261203_000017_trackers::Migration),
            Box::new(m20261203_000018_tracker_sync::Migration),
        ]
    }
}

/// Shorthand for a non-unique index over `cols` of `table`, named after both.
pub(crate) fn index<T: IntoIden + Copy + 'static, C: IntoIden + Copy + 'static>(
    name: &str,
    table: T,
    cols: &[C],
) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table).if_not_exists();
    for c in cols {
        idx.col(*c);
    }
    idx.to_owned()
}
