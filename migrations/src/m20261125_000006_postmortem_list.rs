//! The postmortem list walks postmortems newest first within a status: an index on
//! (status, id) lets it stop after one page instead of sorting every match.

use sea_orm_migration::prelude::*;

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Postmortems {
    Table,
    Id,
    Status,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index(
            "idx_postmortems_status_id",
            Postmortems::Table,
            &[Postmortems::Status, Postmortems::Id],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_postmortems_status_id")
                .table(Postmortems::Table)
                .to_owned(),
        )
        .await
    }
}
