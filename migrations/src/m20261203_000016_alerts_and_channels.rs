//! Alerts in and notifications out: `hooks` (inbound alert sources, their secrets stored
//! hashed), `alerts` (each alert a hook received, by fingerprint and start, linked to the
//! incident it opened or joined), `channels` (Slack, Teams and signed-webhook destinations)
//! and `deliveries`, the outbox: a message is written in the transaction of the change it
//! announces, and a worker claims and delivers it. Replaces the first schema's bare
//! `alert_links`, which nothing wrote.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;
use crate::m20261124_000001_accounts::Users;
use crate::m20261124_000002_incidents::Incidents;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Hooks {
    Table,
    Id,
    Name,
    /// `alertmanager`, `grafana`, `pagerduty` or `generic`.
    Source,
    /// SHA-256 of the secret (bearer token, `?token=`, or PagerDuty's signing secret is kept
    /// in `SigningSecret` instead, since verifying an HMAC needs the secret itself).
    SecretHash,
    SigningSecret,
    /// JSON object: label value → Hindsight severity.
    SeverityMap,
    DefaultSeverity,
    ServiceLabel,
    AutoOpen,
    CreatedBy,
    CreatedAt,
    LastReceivedAt,
}

/// Deliveries already taken, by the sender's own event id (PagerDuty's `event.id`): a
/// repeated one changes nothing.
#[derive(DeriveIden, Clone, Copy)]
enum HookReceipts {
    Table,
    Id,
    HookId,
    EventId,
    ReceivedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Alerts {
    Table,
    Id,
    HookId,
    Source,
    IncidentId,
    Fingerprint,
    /// The alert's `startsAt` (ms); with the fingerprint, what makes an alert the same one.
    StartsAt,
    GroupKey,
    /// `firing` or `resolved`.
    Status,
    Summary,
    /// JSON objects as the sender gave them.
    Labels,
    Annotations,
    /// Where the alert comes from: `generatorURL`, PagerDuty's `html_url`, the generic `url`.
    Url,
    FirstSeenAt,
    LastSeenAt,
    ResolvedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Channels {
    Table,
    Id,
    Name,
    /// `slack`, `teams` or `webhook`.
    Kind,
    /// Write-only: never in an answer, a log or an error.
    Url,
    /// The `webhook` kind's signing secret.
    Secret,
    /// JSON array of event names.
    Events,
    /// JSON `{min_severity?, services?, teams?}`.
    Filter,
    Enabled,
    /// `reminder_webhook_url` for the channel the settings keep; null for channels of admins.
    Managed,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Deliveries {
    Table,
    Id,
    ChannelId,
    Event,
    RecordType,
    RecordKey,
    /// The JSON body, rendered for the channel's kind when the change happened.
    Body,
    /// `pending`, `delivered` or `failed`.
    Status,
    Attempts,
    NextAttemptAt,
    /// A worker's claim: until then no other worker takes the message.
    ClaimedUntil,
    LastStatus,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AlertLinks {
    Table,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table(AlertLinks::Table)
                .if_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Hooks::Table)
                .if_not_exists()
                .col(big_pk_auto(Hooks::Id))
                .col(string_uniq(Hooks::Name))
                .col(string(Hooks::Source))
                .col(string(Hooks::SecretHash))
                .col(string_null(Hooks::SigningSecret))
                .col(text_null(Hooks::SeverityMap))
                .col(string(Hooks::DefaultSeverity))
                .col(string_null(Hooks::ServiceLabel))
                .col(boolean(Hooks::AutoOpen).default(true))
                .col(big_integer_null(Hooks::CreatedBy))
                .col(big_integer(Hooks::CreatedAt))
                .col(big_integer_null(Hooks::LastReceivedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Hooks::Table, Hooks::CreatedBy)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(HookReceipts::Table)
                .if_not_exists()
                .col(big_pk_auto(HookReceipts::Id))
                .col(big_integer(HookReceipts::HookId))
                .col(string(HookReceipts::EventId))
                .col(big_integer(HookReceipts::ReceivedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(HookReceipts::Table, HookReceipts::HookId)
                        .to(Hooks::Table, Hooks::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_hook_receipts_event")
                .table(HookReceipts::Table)
                .col(HookReceipts::HookId)
                .col(HookReceipts::EventId)
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Alerts::Table)
                .if_not_exists()
                .col(big_pk_auto(Alerts::Id))
                .col(big_integer_null(Alerts::HookId))
                .col(string(Alerts::Source))
                .col(big_integer_null(Alerts::IncidentId))
                .col(string(Alerts::Fingerprint))
                .col(big_integer(Alerts::StartsAt))
                .col(string(Alerts::GroupKey))
                .col(string(Alerts::Status))
                .col(text_null(Alerts::Summary))
                .col(text(Alerts::Labels))
                .col(text(Alerts::Annotations))
                .col(text_null(Alerts::Url))
                .col(big_integer(Alerts::FirstSeenAt))
                .col(big_integer(Alerts::LastSeenAt))
                .col(big_integer_null(Alerts::ResolvedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Alerts::Table, Alerts::HookId)
                        .to(Hooks::Table, Hooks::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Alerts::Table, Alerts::IncidentId)
                        .to(Incidents::Table, Incidents::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_alerts_identity")
                .table(Alerts::Table)
                .col(Alerts::HookId)
                .col(Alerts::Fingerprint)
                .col(Alerts::StartsAt)
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_alerts_incident",
            Alerts::Table,
            &[Alerts::IncidentId, Alerts::Id],
        ))
        .await?;
        m.create_index(index(
            "idx_alerts_group",
            Alerts::Table,
            &[Alerts::HookId, Alerts::GroupKey],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Channels::Table)
                .if_not_exists()
                .col(big_pk_auto(Channels::Id))
                .col(string_uniq(Channels::Name))
                .col(string(Channels::Kind))
                .col(text(Channels::Url))
                .col(string_null(Channels::Secret))
                .col(text(Channels::Events))
                .col(text_null(Channels::Filter))
                .col(boolean(Channels::Enabled).default(true))
                .col(string_null(Channels::Managed))
                .col(big_integer_null(Channels::CreatedBy))
                .col(big_integer(Channels::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Channels::Table, Channels::CreatedBy)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Deliveries::Table)
                .if_not_exists()
                .col(big_pk_auto(Deliveries::Id))
                .col(big_integer(Deliveries::ChannelId))
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
                .to_owned(),
        )
        .await?;
        // The worker's claim reads pending messages by their next attempt.
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
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Deliveries::Table.into_iden(),
            Channels::Table.into_iden(),
            Alerts::Table.into_iden(),
            HookReceipts::Table.into_iden(),
            Hooks::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
