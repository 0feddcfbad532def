//! Timeline entries can be corrected: each carries a `version` for optimistic locking and the
//! time of its last correction (`edited_at`, null while it is as first written). The earlier
//! text stays in the incident's audit log, field `timeline.{id}`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum TimelineEvents {
    Table,
    Version,
    EditedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        m.alter_table(
            Table::alter()
                .table(TimelineEvents::Table)
                .add_column(
                    ColumnDef::new(TimelineEvents::Version)
                        .integer()
                        .not_null()
                        .default(1),
                )
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(TimelineEvents::Table)
                .add_column(
                    ColumnDef::new(TimelineEvents::EditedAt)
                        .big_integer()
                        .null(),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [TimelineEvents::EditedAt, TimelineEvents::Version] {
            m.alter_table(
                Table::alter()
                    .table(TimelineEvents::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
