//! Tracker sync, second part: the outbox also carries messages to trackers (a comment on the
//! linked issue, an issue to create for a new action), so a delivery names a channel *or* a
//! tracker; trackers gain the teams whose new actions get an issue by themselves, the
//! reconciliation schedule (`next_poll_at`, claimed by one process per round) with its last
//! outcome, and the scheme of their stored credentials; actions remember whether the issue's
//! last known state counted as done, so a reconciliation sees a change, not a difference.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Deliveries {
    Table,
    Id,
    ChannelId,
    TrackerId,
    Event,
    RecordType,
    RecordKey,
    Body,
    Status,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    LastStatus,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum DeliveriesNew {
    Table,
}

#[derive(DeriveIden, Clone, Copy)]
enum Channels {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Trackers {
    Table,
    Id,
    /// JSON array of team names whose new actions get an issue here, or null.
    Teams,
    /// `basic`, `pat` or `token`: the scheme of the sealed credentials.
    Auth,
    /// When the next reconciliation round is due (ms); a process takes the round by moving it.
    NextPollAt,
    PolledAt,
    /// What the last round ran into (rate limit, refusal), or null.
    PollError,
}

#[derive(DeriveIden, Clone, Copy)]
enum Actions {
    Table,
    ExternalDone,
}

const COLUMNS: &str = "id, channel_id, event, record_type, record_key, body, status, attempts, \
    next_attempt_at, claimed_until, last_status, last_error, created_at, delivered_at";

fn deliveries(table: impl IntoIden) -> TableCreateStatement {
    Table::create()
        .table(table)
        .col(big_pk_auto(Deliveries::Id))
        .col(big_integer_null(Deliveries::ChannelId))
        .col(big_integer_null(Deliveries::TrackerId))
        .col(string(Deliveries::Event))
        .col(string(Deliveries::RecordType))
        .col(string(Deliveries::RecordKey))
        .col(text(Deliveries::Body))
        .col(string(Deliveries::Status))
        .col(integer(Deliveries::Attempts).default(0))
        .col(big_integer(Deliveries::NextAttemptAt))
        .col(big_integer_null(Deliveries::ClaimedUntil))
        .col(integer_null(Deliveries::LastStatus))
        .col(text_null(Deliveries::LastError))
        .col(big_integer(Deliveries::CreatedAt))
        .col(big_integer_null(Deliveries::DeliveredAt))
        .foreign_key(
            ForeignKey::create()
                .from(Deliveries::Table, Deliveries::ChannelId)
                .to(Channels::Table, Channels::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .from(Deliveries::Table, Deliveries::TrackerId)
                .to(Trackers::Table, Trackers::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => {
                // SQLite cannot drop a NOT NULL: the table is built anew and the rows copied.
                m.create_table(deliveries(DeliveriesNew::Table)).await?;
                db.execute_unprepared(&format!(
                    "INSERT INTO deliveries_new ({COLUMNS}) SELECT {COLUMNS} FROM deliveries"
                ))
                .await?;
                db.execute_unprepared("DROP TABLE deliveries").await?;
                db.execute_unprepared("ALTER TABLE deliveries_new RENAME TO deliveries")
                    .await?;
                m.create_index(index(
                    "idx_deliveries_due",
                    Deliveries::Table,
                    &[Deliveries::Status, Deliveries::NextAttemptAt],
                ))
                .await?;
                m.create_index(index(
                    "idx_deliveries_channel",
                    Deliveries::Table,
                    &[Deliveries::ChannelId, Deliveries::Id],
                ))
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "ALTER TABLE deliveries ALTER COLUMN channel_id DROP NOT NULL",
                )
                .await?;
                db.execute_unprepared(
                    "ALTER TABLE deliveries ADD COLUMN tracker_id bigint NULL \
                     REFERENCES trackers (id) ON DELETE CASCADE",
                )
                .await?;
            }
        }
        m.create_index(index(
            "idx_deliveries_tracker",
            Deliveries::Table,
            &[Deliveries::TrackerId, Deliveries::Id],
        ))
        .await?;
        // SQLite adds one column per ALTER TABLE.
        for col in [
            ColumnDef::new(Trackers::Teams).text().null().to_owned(),
            ColumnDef::new(Trackers::Auth).string().null().to_owned(),
            ColumnDef::new(Trackers::NextPollAt)
                .big_integer()
                .not_null()
                .default(0)
                .to_owned(),
            ColumnDef::new(Trackers::PolledAt)
                .big_integer()
                .null()
                .to_owned(),
            ColumnDef::new(Trackers::PollError).text().null().to_owned(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Trackers::Table)
                    .add_column(col)
                    .to_owned(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table(Actions::Table)
                .add_column(ColumnDef::new(Actions::ExternalDone).boolean().null())
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Actions::Table)
                .drop_column(Actions::ExternalDone)
                .to_owned(),
        )
        .await?;
        for col in [
            Trackers::PollError,
            Trackers::PolledAt,
            Trackers::NextPollAt,
            Trackers::Auth,
            Trackers::Teams,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Trackers::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        let db = m.get_connection();
        // Messages to trackers have no channel: they go with the column.
        db.execute_unprepared("DELETE FROM deliveries WHERE channel_id IS NULL")
            .await?;
        m.drop_index(
            Index::drop()
                .name("idx_deliveries_tracker")
                .table(Deliveries::Table)
                .to_owned(),
        )
        .await?;
        if m.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            db.execute_unprepared("ALTER TABLE deliveries DROP COLUMN tracker_id")
                .await?;
            db.execute_unprepared("ALTER TABLE deliveries ALTER COLUMN channel_id SET NOT NULL")
                .await?;
        }
        Ok(())
    }
}
