//! The metrics count actions by ranges of one date (due, created, verification due) and by the
//! open and waiting statuses. Each of these indexes holds every column its query reads, so a
//! period is counted from the index alone instead of from every action; the same for the
//! incidents of a period and their key times.

use sea_orm_migration::prelude::*;

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Actions {
    Table,
    DueDate,
    Status,
    CompletedOn,
    Team,
    Priority,
    IncidentId,
    CreatedOn,
    VerificationDue,
    VerifiedOn,
    VerificationRequired,
}

const INDEXES: [(&str, &[Actions]); 4] = [
    (
        "idx_actions_m_due",
        &[
            Actions::DueDate,
            Actions::Status,
            Actions::CompletedOn,
            Actions::Team,
            Actions::Priority,
            Actions::IncidentId,
        ],
    ),
    (
        "idx_actions_m_created",
        &[
            Actions::CreatedOn,
            Actions::Status,
            Actions::Team,
            Actions::IncidentId,
        ],
    ),
    (
        "idx_actions_m_verification",
        &[
            Actions::VerificationDue,
            Actions::Status,
            Actions::VerifiedOn,
            Actions::Team,
            Actions::IncidentId,
        ],
    ),
    (
        "idx_actions_m_open",
        &[
            Actions::Status,
            Actions::Team,
            Actions::Priority,
            Actions::DueDate,
            Actions::VerificationDue,
            Actions::VerificationRequired,
            Actions::IncidentId,
        ],
    ),
];

#[derive(DeriveIden, Clone, Copy)]
enum Incidents {
    Table,
    DetectedAt,
    Severity,
    StartedAt,
    MitigatedAt,
    ResolvedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, cols) in INDEXES {
            m.create_index(index(name, Actions::Table, cols)).await?;
        }
        // Incidents of a period with the times the durations read.
        m.create_index(index(
            "idx_incidents_m_detected",
            Incidents::Table,
            &[
                Incidents::DetectedAt,
                Incidents::Severity,
                Incidents::StartedAt,
                Incidents::MitigatedAt,
                Incidents::ResolvedAt,
            ],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_incidents_m_detected")
                .table(Incidents::Table)
                .to_owned(),
        )
        .await?;
        for (name, _) in INDEXES {
            m.drop_index(Index::drop().name(name).table(Actions::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}
