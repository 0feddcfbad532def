//! "My actions" lists an owner's completed work by its verification deadline: an index on
//! (owner, status, verification deadline) walks it in order instead of the whole backlog.

use sea_orm_migration::prelude::*;

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Actions {
    Table,
    OwnerId,
    Status,
    VerificationDue,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index(
            "idx_actions_owner_verification",
            Actions::Table,
            &[Actions::OwnerId, Actions::Status, Actions::VerificationDue],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_actions_owner_verification")
                .table(Actions::Table)
                .to_owned(),
        )
        .await
    }
}
