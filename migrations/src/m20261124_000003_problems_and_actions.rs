//! Known errors and their incident links; actions (CAPA), their verification history and
//! sent reminders; comments; alert fingerprints from monitoring hooks.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;
use crate::m20261124_000001_accounts::Users;
use crate::m20261124_000002_incidents::Incidents;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum KnownErrors {
    Table,
    Id,
    Key,
    Seq,
    Title,
    Symptoms,
    RootCause,
    Workaround,
    Status,
    FixVersion,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum KnownErrorServices {
    Table,
    KnownErrorId,
    Service,
}

#[derive(DeriveIden, Clone, Copy)]
enum KnownErrorIncidents {
    Table,
    KnownErrorId,
    IncidentId,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden, Clone, Copy)]
enum Actions {
    Table,
    Id,
    Key,
    Seq,
    IncidentId,
    KnownErrorId,
    Title,
    Description,
    Kind,
    Priority,
    OwnerId,
    Team,
    DueDate,
    Status,
    CompletedAt,
    /// Derived: the date of `completed_at` in the organisation's time zone.
    CompletedOn,
    VerificationRequired,
    VerificationPlan,
    VerificationDue,
    VerifiedAt,
    /// Derived: the date of `verified_at` in the organisation's time zone.
    VerifiedOn,
    VerifiedBy,
    VerificationResult,
    VerificationEvidence,
    CancelledReason,
    ExternalUrl,
    ReopenCount,
    CreatedBy,
    CreatedAt,
    /// Derived: the date of `created_at` in the organisation's time zone.
    CreatedOn,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum ActionVerifications {
    Table,
    Id,
    ActionId,
    VerifiedBy,
    VerifiedAt,
    Result,
    Evidence,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RemindersSent {
    Table,
    Id,
    ActionId,
    Kind,
    /// What the reminder was about (e.g. the due date and the action's version), so one
    /// state gets one reminder however often the job runs.
    Marker,
    SentAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Comments {
    Table,
    Id,
    RecordType,
    RecordKey,
    AuthorId,
    Body,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AlertLinks {
    Table,
    Id,
    Source,
    Fingerprint,
    IncidentId,
    FirstSeenAt,
    LastSeenAt,
    Firing,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(KnownErrors::Table)
                .if_not_exists()
                .col(big_pk_auto(KnownErrors::Id))
                .col(string_uniq(KnownErrors::Key))
                .col(big_integer_uniq(KnownErrors::Seq))
                .col(string(KnownErrors::Title))
                .col(text(KnownErrors::Symptoms).default(""))
                .col(text(KnownErrors::RootCause).default(""))
                .col(text(KnownErrors::Workaround).default(""))
                .col(string(KnownErrors::Status))
                .col(string_null(KnownErrors::FixVersion))
                .col(big_integer_null(KnownErrors::CreatedBy))
                .col(big_integer(KnownErrors::CreatedAt))
                .col(big_integer(KnownErrors::UpdatedAt))
                .col(integer(KnownErrors::Version).default(1))
                .foreign_key(
                    ForeignKey::create()
                        .from(KnownErrors::Table, KnownErrors::CreatedBy)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_known_errors_status",
            KnownErrors::Table,
            &[KnownErrors::Status, KnownErrors::Seq],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(KnownErrorServices::Table)
                .if_not_exists()
                .col(big_integer(KnownErrorServices::KnownErrorId))
                .col(string(KnownErrorServices::Service))
                .primary_key(
                    Index::create()
                        .col(KnownErrorServices::KnownErrorId)
                        .col(KnownErrorServices::Service),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(KnownErrorServices::Table, KnownErrorServices::KnownErrorId)
                        .to(KnownErrors::Table, KnownErrors::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_known_error_services_service",
            KnownErrorServices::Table,
            &[
                KnownErrorServices::Service,
                KnownErrorServices::KnownErrorId,
            ],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(KnownErrorIncidents::Table)
                .if_not_exists()
                .col(big_integer(KnownErrorIncidents::KnownErrorId))
                .col(big_integer(KnownErrorIncidents::IncidentId))
                .col(big_integer(KnownErrorIncidents::CreatedAt))
                .col(big_integer_null(KnownErrorIncidents::CreatedBy))
                .primary_key(
                    Index::create()
                        .col(KnownErrorIncidents::KnownErrorId)
                        .col(KnownErrorIncidents::IncidentId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            KnownErrorIncidents::Table,
                            KnownErrorIncidents::KnownErrorId,
                        )
                        .to(KnownErrors::Table, KnownErrors::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(KnownErrorIncidents::Table, KnownErrorIncidents::IncidentId)
                        .to(Incidents::Table, Incidents::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_known_error_incidents_incident",
            KnownErrorIncidents::Table,
            &[
                KnownErrorIncidents::IncidentId,
                KnownErrorIncidents::KnownErrorId,
            ],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Actions::Table)
                .if_not_exists()
                .col(big_pk_auto(Actions::Id))
                .col(string_uniq(Actions::Key))
                .col(big_integer_uniq(Actions::Seq))
                .col(big_integer_null(Actions::IncidentId))
                .col(big_integer_null(Actions::KnownErrorId))
                .col(string(Actions::Title))
                .col(text(Actions::Description).default(""))
                .col(string(Actions::Kind))
                .col(string(Actions::Priority))
                .col(big_integer_null(Actions::OwnerId))
                .col(string_null(Actions::Team))
                .col(date_null(Actions::DueDate))
                .col(string(Actions::Status))
                .col(big_integer_null(Actions::CompletedAt))
                .col(date_null(Actions::CompletedOn))
                .col(boolean(Actions::VerificationRequired))
                .col(text(Actions::VerificationPlan).default(""))
                .col(date_null(Actions::VerificationDue))
                .col(big_integer_null(Actions::VerifiedAt))
                .col(date_null(Actions::VerifiedOn))
                .col(big_integer_null(Actions::VerifiedBy))
                .col(string_null(Actions::VerificationResult))
                .col(text_null(Actions::VerificationEvidence))
                .col(text_null(Actions::CancelledReason))
                .col(string_null(Actions::ExternalUrl))
                .col(integer(Actions::ReopenCount).default(0))
                .col(big_integer_null(Actions::CreatedBy))
                .col(big_integer(Actions::CreatedAt))
                .col(date(Actions::CreatedOn))
                .col(big_integer(Actions::UpdatedAt))
                .col(integer(Actions::Version).default(1))
                .foreign_key(
                    ForeignKey::create()
                        .from(Actions::Table, Actions::IncidentId)
                        .to(Incidents::Table, Incidents::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Actions::Table, Actions::KnownErrorId)
                        .to(KnownErrors::Table, KnownErrors::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Actions::Table, Actions::OwnerId)
                        .to(Users::Table, Users::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Actions::Table, Actions::VerifiedBy)
                        .to(Users::Table, Users::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Actions::Table, Actions::CreatedBy)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        // List pages (keyset on seq within a filter), "my actions", and the metric scans.
        for (name, cols) in [
            (
                "idx_actions_status_seq",
                vec![Actions::Status, Actions::Seq],
            ),
            (
                "idx_actions_owner_status",
                vec![Actions::OwnerId, Actions::Status, Actions::DueDate],
            ),
            (
                "idx_actions_team_status",
                vec![Actions::Team, Actions::Status, Actions::DueDate],
            ),
            (
                "idx_actions_status_due",
                vec![Actions::Status, Actions::DueDate],
            ),
            ("idx_actions_due", vec![Actions::DueDate]),
            (
                "idx_actions_verification_due",
                vec![Actions::Status, Actions::VerificationDue],
            ),
            ("idx_actions_created_on", vec![Actions::CreatedOn]),
            ("idx_actions_incident", vec![Actions::IncidentId]),
            ("idx_actions_known_error", vec![Actions::KnownErrorId]),
            ("idx_actions_verified_by", vec![Actions::VerifiedBy]),
        ] {
            m.create_index(index(name, Actions::Table, &cols)).await?;
        }

        m.create_table(
            Table::create()
                .table(ActionVerifications::Table)
                .if_not_exists()
                .col(big_pk_auto(ActionVerifications::Id))
                .col(big_integer(ActionVerifications::ActionId))
                .col(big_integer(ActionVerifications::VerifiedBy))
                .col(big_integer(ActionVerifications::VerifiedAt))
                .col(string(ActionVerifications::Result))
                .col(text(ActionVerifications::Evidence))
                .col(big_integer(ActionVerifications::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ActionVerifications::Table, ActionVerifications::ActionId)
                        .to(Actions::Table, Actions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ActionVerifications::Table, ActionVerifications::VerifiedBy)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_action_verifications_action",
            ActionVerifications::Table,
            &[ActionVerifications::ActionId, ActionVerifications::Id],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(RemindersSent::Table)
                .if_not_exists()
                .col(big_pk_auto(RemindersSent::Id))
                .col(big_integer(RemindersSent::ActionId))
                .col(string(RemindersSent::Kind))
                .col(string(RemindersSent::Marker))
                .col(big_integer(RemindersSent::SentAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(RemindersSent::Table, RemindersSent::ActionId)
                        .to(Actions::Table, Actions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_reminders_sent")
                .table(RemindersSent::Table)
                .col(RemindersSent::ActionId)
                .col(RemindersSent::Kind)
                .col(RemindersSent::Marker)
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Comments::Table)
                .if_not_exists()
                .col(big_pk_auto(Comments::Id))
                .col(string(Comments::RecordType))
                .col(string(Comments::RecordKey))
                .col(big_integer(Comments::AuthorId))
                .col(text(Comments::Body))
                .col(big_integer(Comments::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Comments::Table, Comments::AuthorId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_comments_record",
            Comments::Table,
            &[Comments::RecordType, Comments::RecordKey, Comments::Id],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(AlertLinks::Table)
                .if_not_exists()
                .col(big_pk_auto(AlertLinks::Id))
                .col(string(AlertLinks::Source))
                .col(string(AlertLinks::Fingerprint))
                .col(big_integer(AlertLinks::IncidentId))
                .col(big_integer(AlertLinks::FirstSeenAt))
                .col(big_integer(AlertLinks::LastSeenAt))
                .col(boolean(AlertLinks::Firing))
                .foreign_key(
                    ForeignKey::create()
                        .from(AlertLinks::Table, AlertLinks::IncidentId)
                        .to(Incidents::Table, Incidents::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_alert_links_fingerprint")
                .table(AlertLinks::Table)
                .col(AlertLinks::Source)
                .col(AlertLinks::Fingerprint)
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            AlertLinks::Table.into_iden(),
            Comments::Table.into_iden(),
            RemindersSent::Table.into_iden(),
            ActionVerifications::Table.into_iden(),
            Actions::Table.into_iden(),
            KnownErrorIncidents::Table.into_iden(),
            KnownErrorServices::Table.into_iden(),
            KnownErrors::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
