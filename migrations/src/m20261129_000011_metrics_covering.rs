//! Covering indexes for the metrics that read a few columns of wide rows: the RCA completion
//! reads the period's resolved incidents (severity, deadline) and their postmortems (status,
//! publication), and the top drivers read postmortems' root-cause categories. With these the
//! database never visits the rows, which hold the markdown.

use sea_orm_migration::prelude::*;

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Incidents {
    Table,
    ResolvedAt,
    Severity,
    RcaDueAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Postmortems {
    Table,
    IncidentId,
    Status,
    PublishedAt,
    RootCauseCategory,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Replaces idx_incidents_resolved, whose column leads this one.
        m.drop_index(
            Index::drop()
                .name("idx_incidents_resolved")
                .table(Incidents::Table)
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_incidents_m_resolved",
            Incidents::Table,
            &[
                Incidents::ResolvedAt,
                Incidents::Severity,
                Incidents::RcaDueAt,
            ],
        ))
        .await?;
        m.create_index(index(
            "idx_postmortems_m_incident",
            Postmortems::Table,
            &[
                Postmortems::IncidentId,
                Postmortems::Status,
                Postmortems::PublishedAt,
                Postmortems::RootCauseCategory,
            ],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_postmortems_m_incident")
                .table(Postmortems::Table)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_incidents_m_resolved")
                .table(Incidents::Table)
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_incidents_resolved",
            Incidents::Table,
            &[Incidents::ResolvedAt],
        ))
        .await
    }
}
