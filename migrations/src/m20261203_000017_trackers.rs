//! Tracker sync, first part: `trackers` (Jira, GitHub or GitLab projects where actions are
//! mirrored as issues; credentials and the webhook secret sealed with the server's key), and
//! on `actions` the tracker an action is linked to, the key, its last known state and
//! when it was last synced (`external_url` is there already).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261124_000001_accounts::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Trackers {
    Table,
    Id,
    Name,
    /// `jira`, `github` or `gitlab`.
    Kind,
    BaseUrl,
    /// Jira project key, `owner/repo`, or a GitLab project path.
    Project,
    /// JSON of the credentials, sealed (`v1:` + hex); never read back out.
    Credentials,
    /// The secret the tracker's webhook authenticates with, sealed.
    WebhookSecret,
    /// JSON array of the state names that count as done (Jira), or null for the default.
    DoneStates,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    Version,
}

/// Webhook deliveries already taken, by the tracker's own delivery id (GitHub
/// `X-GitHub-Delivery`, GitLab `Idempotency-Key`, Jira `X-Atlassian-Webhook-Identifier`): a
/// replayed one changes nothing.
#[derive(DeriveIden, Clone, Copy)]
enum TrackerReceipts {
    Table,
    Id,
    TrackerId,
    EventId,
    ReceivedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Actions {
    Table,
    TrackerId,
    ExternalKey,
    ExternalState,
    SyncedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Trackers::Table)
                .if_not_exists()
                .col(big_pk_auto(Trackers::Id))
                .col(string_uniq(Trackers::Name))
                .col(string(Trackers::Kind))
                .col(text(Trackers::BaseUrl))
                .col(string(Trackers::Project))
                .col(text(Trackers::Credentials))
                .col(text(Trackers::WebhookSecret))
                .col(text_null(Trackers::DoneStates))
                .col(big_integer_null(Trackers::CreatedBy))
                .col(big_integer(Trackers::CreatedAt))
                .col(big_integer(Trackers::UpdatedAt))
                .col(integer(Trackers::Version).default(1))
                .foreign_key(
                    ForeignKey::create()
                        .from(Trackers::Table, Trackers::CreatedBy)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TrackerReceipts::Table)
                .if_not_exists()
                .col(big_pk_auto(TrackerReceipts::Id))
                .col(big_integer(TrackerReceipts::TrackerId))
                .col(string(TrackerReceipts::EventId))
                .col(big_integer(TrackerReceipts::ReceivedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(TrackerReceipts::Table, TrackerReceipts::TrackerId)
                        .to(Trackers::Table, Trackers::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_tracker_receipts_event")
                .table(TrackerReceipts::Table)
                .col(TrackerReceipts::TrackerId)
                .col(TrackerReceipts::EventId)
                .unique()
                .to_owned(),
        )
        .await?;
        // SQLite adds one column per ALTER TABLE.
        m.alter_table(
            Table::alter()
                .table(Actions::Table)
                .add_column(ColumnDef::new(Actions::TrackerId).big_integer().null())
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Actions::Table)
                .add_column(ColumnDef::new(Actions::ExternalKey).string().null())
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Actions::Table)
                .add_column(ColumnDef::new(Actions::ExternalState).string().null())
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Actions::Table)
                .add_column(ColumnDef::new(Actions::SyncedAt).big_integer().null())
                .to_owned(),
        )
        .await?;
        // A webhook names the issue: find its action by tracker and key.
        m.create_index(
            Index::create()
                .name("idx_actions_tracker_issue")
                .table(Actions::Table)
                .col(Actions::TrackerId)
                .col(Actions::ExternalKey)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_actions_tracker_issue")
                .table(Actions::Table)
                .to_owned(),
        )
        .await?;
        for col in [
            Actions::SyncedAt,
            Actions::ExternalState,
            Actions::ExternalKey,
            Actions::TrackerId,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Actions::Table)
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
        }
        m.drop_table(Table::drop().table(TrackerReceipts::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Trackers::Table).to_owned())
            .await
    }
}
