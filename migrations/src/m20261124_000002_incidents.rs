//! Incidents with their services, tags and roles; timelines; postmortems and their reviewers.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;
use crate::m20261124_000001_accounts::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
pub enum Incidents {
    Table,
    Id,
    Key,
    Seq,
    Title,
    Severity,
    Status,
    Summary,
    CustomerImpact,
    CommanderId,
    StartedAt,
    DetectedAt,
    AcknowledgedAt,
    MitigatedAt,
    ResolvedAt,
    ClosedAt,
    ReopenCount,
    /// Derived: `resolved_at` + N business days for the severity (the RCA deadline).
    RcaDueAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum IncidentServices {
    Table,
    IncidentId,
    Service,
}

#[derive(DeriveIden, Clone, Copy)]
enum IncidentTags {
    Table,
    IncidentId,
    Tag,
}

#[derive(DeriveIden, Clone, Copy)]
enum IncidentRoles {
    Table,
    IncidentId,
    Role,
    UserId,
}

#[derive(DeriveIden, Clone, Copy)]
enum TimelineEvents {
    Table,
    Id,
    IncidentId,
    OccurredAt,
    Kind,
    Body,
    Visibility,
    AuthorId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Postmortems {
    Table,
    Id,
    IncidentId,
    Status,
    Body,
    RootCauseCategory,
    RootCause,
    /// JSON array of strings, in order.
    FiveWhys,
    /// JSON array of `{category, description}`.
    ContributingFactors,
    DueAt,
    PublishedAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum PostmortemReviewers {
    Table,
    PostmortemId,
    UserId,
    ApprovedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Incidents::Table)
                .if_not_exists()
                .col(big_pk_auto(Incidents::Id))
                .col(string_uniq(Incidents::Key))
                .col(big_integer_uniq(Incidents::Seq))
                .col(string(Incidents::Title))
                .col(string(Incidents::Severity))
                .col(string(Incidents::Status))
                .col(text(Incidents::Summary).default(""))
                .col(text(Incidents::CustomerImpact).default(""))
                .col(big_integer_null(Incidents::CommanderId))
                .col(big_integer_null(Incidents::StartedAt))
                .col(big_integer(Incidents::DetectedAt))
                .col(big_integer_null(Incidents::AcknowledgedAt))
                .col(big_integer_null(Incidents::MitigatedAt))
                .col(big_integer_null(Incidents::ResolvedAt))
                .col(big_integer_null(Incidents::ClosedAt))
                .col(integer(Incidents::ReopenCount).default(0))
                .col(big_integer_null(Incidents::RcaDueAt))
                .col(big_integer_null(Incidents::CreatedBy))
                .col(big_integer(Incidents::CreatedAt))
                .col(big_integer(Incidents::UpdatedAt))
                .col(integer(Incidents::Version).default(1))
                .foreign_key(
                    ForeignKey::create()
                        .from(Incidents::Table, Incidents::CommanderId)
                        .to(Users::Table, Users::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Incidents::Table, Incidents::CreatedBy)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        // Keyset pagination walks (filter, seq) newest first; metrics scan by time.
        m.create_index(index(
            "idx_incidents_status",
            Incidents::Table,
            &[Incidents::Status, Incidents::Seq],
        ))
        .await?;
        m.create_index(index(
            "idx_incidents_severity",
            Incidents::Table,
            &[Incidents::Severity, Incidents::Seq],
        ))
        .await?;
        m.create_index(index(
            "idx_incidents_detected",
            Incidents::Table,
            &[Incidents::DetectedAt],
        ))
        .await?;
        m.create_index(index(
            "idx_incidents_resolved",
            Incidents::Table,
            &[Incidents::ResolvedAt],
        ))
        .await?;
        m.create_index(index(
            "idx_incidents_commander",
            Incidents::Table,
            &[Incidents::CommanderId, Incidents::Seq],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(IncidentServices::Table)
                .if_not_exists()
                .col(big_integer(IncidentServices::IncidentId))
                .col(string(IncidentServices::Service))
                .primary_key(
                    Index::create()
                        .col(IncidentServices::IncidentId)
                        .col(IncidentServices::Service),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(IncidentServices::Table, IncidentServices::IncidentId)
                        .to(Incidents::Table, Incidents::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_incident_services_service",
            IncidentServices::Table,
            &[IncidentServices::Service, IncidentServices::IncidentId],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(IncidentTags::Table)
                .if_not_exists()
                .col(big_integer(IncidentTags::IncidentId))
                .col(string(IncidentTags::Tag))
                .primary_key(
                    Index::create()
                        .col(IncidentTags::IncidentId)
                        .col(IncidentTags::Tag),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(IncidentTags::Table, IncidentTags::IncidentId)
                        .to(Incidents::Table, Incidents::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_incident_tags_tag",
            IncidentTags::Table,
            &[IncidentTags::Tag, IncidentTags::IncidentId],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(IncidentRoles::Table)
                .if_not_exists()
                .col(big_integer(IncidentRoles::IncidentId))
                .col(string(IncidentRoles::Role))
                .col(big_integer(IncidentRoles::UserId))
                .primary_key(
                    Index::create()
                        .col(IncidentRoles::IncidentId)
                        .col(IncidentRoles::Role),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(IncidentRoles::Table, IncidentRoles::IncidentId)
                        .to(Incidents::Table, Incidents::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(IncidentRoles::Table, IncidentRoles::UserId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_incident_roles_user",
            IncidentRoles::Table,
            &[IncidentRoles::UserId],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(TimelineEvents::Table)
                .if_not_exists()
                .col(big_pk_auto(TimelineEvents::Id))
                .col(big_integer(TimelineEvents::IncidentId))
                .col(big_integer(TimelineEvents::OccurredAt))
                .col(string(TimelineEvents::Kind))
                .col(text(TimelineEvents::Body).default(""))
                .col(string(TimelineEvents::Visibility))
                .col(big_integer_null(TimelineEvents::AuthorId))
                .col(big_integer(TimelineEvents::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(TimelineEvents::Table, TimelineEvents::IncidentId)
                        .to(Incidents::Table, Incidents::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(TimelineEvents::Table, TimelineEvents::AuthorId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        // The timeline's own order, and the sev1 update-gap metric (kind = update per incident).
        m.create_index(index(
            "idx_timeline_incident_order",
            TimelineEvents::Table,
            &[
                TimelineEvents::IncidentId,
                TimelineEvents::OccurredAt,
                TimelineEvents::Id,
            ],
        ))
        .await?;
        m.create_index(index(
            "idx_timeline_kind",
            TimelineEvents::Table,
            &[
                TimelineEvents::Kind,
                TimelineEvents::IncidentId,
                TimelineEvents::OccurredAt,
            ],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Postmortems::Table)
                .if_not_exists()
                .col(big_pk_auto(Postmortems::Id))
                .col(big_integer_uniq(Postmortems::IncidentId))
                .col(string(Postmortems::Status))
                .col(text(Postmortems::Body).default(""))
                .col(string_null(Postmortems::RootCauseCategory))
                .col(text(Postmortems::RootCause).default(""))
                .col(text(Postmortems::FiveWhys).default("[]"))
                .col(text(Postmortems::ContributingFactors).default("[]"))
                .col(big_integer_null(Postmortems::DueAt))
                .col(big_integer_null(Postmortems::PublishedAt))
                .col(big_integer(Postmortems::CreatedAt))
                .col(big_integer(Postmortems::UpdatedAt))
                .col(integer(Postmortems::Version).default(1))
                .foreign_key(
                    ForeignKey::create()
                        .from(Postmortems::Table, Postmortems::IncidentId)
                        .to(Incidents::Table, Incidents::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_postmortems_status_due",
            Postmortems::Table,
            &[Postmortems::Status, Postmortems::DueAt],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(PostmortemReviewers::Table)
                .if_not_exists()
                .col(big_integer(PostmortemReviewers::PostmortemId))
                .col(big_integer(PostmortemReviewers::UserId))
                .col(big_integer_null(PostmortemReviewers::ApprovedAt))
                .primary_key(
                    Index::create()
                        .col(PostmortemReviewers::PostmortemId)
                        .col(PostmortemReviewers::UserId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            PostmortemReviewers::Table,
                            PostmortemReviewers::PostmortemId,
                        )
                        .to(Postmortems::Table, Postmortems::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(PostmortemReviewers::Table, PostmortemReviewers::UserId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_postmortem_reviewers_user",
            PostmortemReviewers::Table,
            &[PostmortemReviewers::UserId],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            PostmortemReviewers::Table.into_iden(),
            Postmortems::Table.into_iden(),
            TimelineEvents::Table.into_iden(),
            IncidentRoles::Table.into_iden(),
            IncidentTags::Table.into_iden(),
            IncidentServices::Table.into_iden(),
            Incidents::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
