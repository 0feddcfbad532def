//! Live updates: `live_event`, the short-lived log every process reads new changes from (its
//! id is the Server-Sent Events id, so a reconnecting browser resumes where it stopped), and
//! `presence`, who has a page open on which process, refreshed while the stream is open.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum LiveEvent {
    Table,
    Id,
    /// `incident.updated`, `timeline.added`, … (the SSE event name).
    Event,
    /// `incident`, `postmortem`, `action`, `known_error`, …
    RecordType,
    RecordKey,
    /// The incident the record belongs to (for `incident:KEY` and `postmortem:KEY`).
    IncidentKey,
    /// Users an action belongs to, now and before the change: `,3,7,` (for `actions:mine`).
    Owners,
    /// Users the event is addressed to, e.g. mentioned ones: `,3,7,` (for `notifications`).
    Audience,
    Version,
    ByEmail,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Presence {
    Table,
    Id,
    UserId,
    Topic,
    /// One open stream: the process's random id and a counter.
    Connection,
    SeenAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(LiveEvent::Table)
                .if_not_exists()
                .col(big_pk_auto(LiveEvent::Id))
                .col(string(LiveEvent::Event))
                .col(string(LiveEvent::RecordType))
                .col(string(LiveEvent::RecordKey))
                .col(string_null(LiveEvent::IncidentKey))
                .col(string_null(LiveEvent::Owners))
                .col(text_null(LiveEvent::Audience))
                .col(big_integer_null(LiveEvent::Version))
                .col(string_null(LiveEvent::ByEmail))
                .col(big_integer(LiveEvent::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_live_event_created",
            LiveEvent::Table,
            &[LiveEvent::CreatedAt],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(Presence::Table)
                .if_not_exists()
                .col(big_pk_auto(Presence::Id))
                .col(big_integer(Presence::UserId))
                .col(string(Presence::Topic))
                .col(string(Presence::Connection))
                .col(big_integer(Presence::SeenAt))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_presence_topic",
            Presence::Table,
            &[Presence::Topic, Presence::SeenAt],
        ))
        .await?;
        m.create_index(index(
            "idx_presence_connection",
            Presence::Table,
            &[Presence::Connection],
        ))
        .await?;
        m.create_index(index(
            "idx_presence_seen",
            Presence::Table,
            &[Presence::SeenAt],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [Presence::Table.into_iden(), LiveEvent::Table.into_iden()] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
