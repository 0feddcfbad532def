//! The metrics group the actions of a date range by day and team. With the team right after
//! the date in the index, SQLite and PostgreSQL read those groups in index order and never
//! sort: these replace the range indexes of migration 9, which had the status second.

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
}

type Cols = &'static [Actions];

/// (name, columns now, columns of migration 9)
const INDEXES: [(&str, Cols, Cols); 3] = [
    (
        "idx_actions_m_due",
        &[
            Actions::DueDate,
            Actions::Team,
            Actions::Status,
            Actions::CompletedOn,
            Actions::Priority,
            Actions::IncidentId,
        ],
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
            Actions::Team,
            Actions::Status,
            Actions::IncidentId,
        ],
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
            Actions::Team,
            Actions::Status,
            Actions::VerifiedOn,
            Actions::IncidentId,
        ],
        &[
            Actions::VerificationDue,
            Actions::Status,
            Actions::VerifiedOn,
            Actions::Team,
            Actions::IncidentId,
        ],
    ),
];

async fn replace(m: &SchemaManager<'_>, name: &str, cols: Cols) -> Result<(), DbErr> {
    m.drop_index(Index::drop().name(name).table(Actions::Table).to_owned())
        .await?;
    m.create_index(index(name, Actions::Table, cols)).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, now, _) in INDEXES {
            replace(m, name, now).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, _, before) in INDEXES {
            replace(m, name, before).await?;
        }
        Ok(())
    }
}
