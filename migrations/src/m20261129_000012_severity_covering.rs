//! The metrics narrow actions to the incidents of a severity (and service) with a subquery
//! over `incidents`. On PostgreSQL an index without the key made that a visit to every such
//! row; with the key in the index the subquery reads the index alone. (SQLite's indexes
//! carry the key anyway.) Replaces `idx_incidents_severity`, whose columns lead this one,
//! so the incident list still pages by severity through it.

use sea_orm_migration::prelude::*;

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Incidents {
    Table,
    Id,
    Severity,
    Seq,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index(
            "idx_incidents_m_severity",
            Incidents::Table,
            &[Incidents::Severity, Incidents::Seq, Incidents::Id],
        ))
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_incidents_severity")
                .table(Incidents::Table)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index(
            "idx_incidents_severity",
            Incidents::Table,
            &[Incidents::Severity, Incidents::Seq],
        ))
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_incidents_m_severity")
                .table(Incidents::Table)
                .to_owned(),
        )
        .await
    }
}
