//! Comment threads on incidents, postmortems, actions and known errors (one level of replies,
//! review threads that resolve, soft deletes), and the notifications of mentions and review
//! requests. Replaces the bare `comments` table of the first schema, which nothing wrote.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;
use crate::m20261124_000001_accounts::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Comments {
    Table,
    Id,
    RecordType,
    RecordKey,
    /// The top-level comment this one answers (replies are one level deep).
    ParentId,
    AuthorId,
    Body,
    /// The passage of the postmortem the comment is about.
    Quote,
    Resolved,
    /// A removed comment keeps its row (its thread stays); its body is no longer shown.
    DeletedAt,
    CreatedAt,
    EditedAt,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum Notifications {
    Table,
    Id,
    UserId,
    /// `mention` or `review_request`.
    Kind,
    CommentId,
    RecordType,
    RecordKey,
    ActorId,
    CreatedAt,
    ReadAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // The first schema's table had no thread, state or version; nothing ever wrote it.
        m.drop_table(Table::drop().table(Comments::Table).if_exists().to_owned())
            .await?;
        m.create_table(
            Table::create()
                .table(Comments::Table)
                .if_not_exists()
                .col(big_pk_auto(Comments::Id))
                .col(string(Comments::RecordType))
                .col(string(Comments::RecordKey))
                .col(big_integer_null(Comments::ParentId))
                .col(big_integer(Comments::AuthorId))
                .col(text(Comments::Body))
                .col(text_null(Comments::Quote))
                .col(boolean(Comments::Resolved).default(false))
                .col(big_integer_null(Comments::DeletedAt))
                .col(big_integer(Comments::CreatedAt))
                .col(big_integer_null(Comments::EditedAt))
                .col(integer(Comments::Version).default(1))
                .foreign_key(
                    ForeignKey::create()
                        .from(Comments::Table, Comments::AuthorId)
                        .to(Users::Table, Users::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Comments::Table, Comments::ParentId)
                        .to(Comments::Table, Comments::Id),
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
                .table(Notifications::Table)
                .if_not_exists()
                .col(big_pk_auto(Notifications::Id))
                .col(big_integer(Notifications::UserId))
                .col(string(Notifications::Kind))
                .col(big_integer_null(Notifications::CommentId))
                .col(string(Notifications::RecordType))
                .col(string(Notifications::RecordKey))
                .col(big_integer_null(Notifications::ActorId))
                .col(big_integer(Notifications::CreatedAt))
                .col(big_integer_null(Notifications::ReadAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Notifications::Table, Notifications::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Notifications::Table, Notifications::CommentId)
                        .to(Comments::Table, Comments::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Notifications::Table, Notifications::ActorId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_notifications_user",
            Notifications::Table,
            &[Notifications::UserId, Notifications::Id],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(
            Table::drop()
                .table(Notifications::Table)
                .if_exists()
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(Comments::Table).if_exists().to_owned())
            .await?;
        // Back to the first schema's table.
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
        Ok(())
    }
}
