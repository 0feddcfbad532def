//! Users, API tokens, sessions, login throttling, settings, key counters and the audit log.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
pub enum Users {
    Table,
    Id,
    Email,
    Name,
    Role,
    PasswordHash,
    Active,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    Name,
    TokenHash,
    Prefix,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Sessions {
    Table,
    Id,
    UserId,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    Address,
    UserAgent,
}

#[derive(DeriveIden, Clone, Copy)]
enum LoginFailures {
    Table,
    Id,
    Email,
    Address,
    At,
}

#[derive(DeriveIden, Clone, Copy)]
enum Settings {
    Table,
    Key,
    Value,
    UpdatedAt,
    UpdatedBy,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum KeyCounters {
    Table,
    Kind,
    LastValue,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorId,
    Actor,
    RecordType,
    RecordKey,
    Action,
    Field,
    OldValue,
    NewValue,
    PrevHash,
    Hash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Users::Table)
                .if_not_exists()
                .col(big_pk_auto(Users::Id))
                .col(string_uniq(Users::Email))
                .col(string(Users::Name))
                .col(string(Users::Role))
                .col(string_null(Users::PasswordHash))
                .col(boolean(Users::Active).default(true))
                .col(big_integer(Users::CreatedAt))
                .col(big_integer(Users::UpdatedAt))
                .col(integer(Users::Version).default(1))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ApiTokens::Table)
                .if_not_exists()
                .col(big_pk_auto(ApiTokens::Id))
                .col(big_integer(ApiTokens::UserId))
                .col(string(ApiTokens::Name))
                .col(string_uniq(ApiTokens::TokenHash))
                .col(string(ApiTokens::Prefix))
                .col(big_integer(ApiTokens::CreatedAt))
                .col(big_integer_null(ApiTokens::LastUsedAt))
                .col(big_integer_null(ApiTokens::ExpiresAt))
                .col(big_integer_null(ApiTokens::RevokedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ApiTokens::Table, ApiTokens::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_api_tokens_user",
            ApiTokens::Table,
            &[ApiTokens::UserId],
        ))
        .await?;

        // `id` is a hash of the cookie's secret, never the secret itself.
        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .if_not_exists()
                .col(string(Sessions::Id).primary_key())
                .col(big_integer(Sessions::UserId))
                .col(big_integer(Sessions::CreatedAt))
                .col(big_integer(Sessions::LastSeenAt))
                .col(big_integer(Sessions::ExpiresAt))
                .col(string_null(Sessions::Address))
                .col(string_null(Sessions::UserAgent))
                .foreign_key(
                    ForeignKey::create()
                        .from(Sessions::Table, Sessions::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_sessions_user",
            Sessions::Table,
            &[Sessions::UserId],
        ))
        .await?;
        m.create_index(index(
            "idx_sessions_expires",
            Sessions::Table,
            &[Sessions::ExpiresAt],
        ))
        .await?;

        // Failed logins, kept in the database so every replica sees the same rate limit.
        m.create_table(
            Table::create()
                .table(LoginFailures::Table)
                .if_not_exists()
                .col(big_pk_auto(LoginFailures::Id))
                .col(string(LoginFailures::Email))
                .col(string(LoginFailures::Address))
                .col(big_integer(LoginFailures::At))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_login_failures_email",
            LoginFailures::Table,
            &[LoginFailures::Email, LoginFailures::At],
        ))
        .await?;
        m.create_index(index(
            "idx_login_failures_address",
            LoginFailures::Table,
            &[LoginFailures::Address, LoginFailures::At],
        ))
        .await?;

        // Organisation settings as JSON values under a fixed set of keys.
        m.create_table(
            Table::create()
                .table(Settings::Table)
                .if_not_exists()
                .col(string(Settings::Key).primary_key())
                .col(text(Settings::Value))
                .col(big_integer(Settings::UpdatedAt))
                .col(big_integer_null(Settings::UpdatedBy))
                .col(integer(Settings::Version).default(1))
                .to_owned(),
        )
        .await?;

        // Human keys (INC-n, KE-n, ACT-n) are sequential per kind and never reused.
        m.create_table(
            Table::create()
                .table(KeyCounters::Table)
                .if_not_exists()
                .col(string(KeyCounters::Kind).primary_key())
                .col(big_integer(KeyCounters::LastValue).default(0))
                .to_owned(),
        )
        .await?;
        let seed = Query::insert()
            .into_table(KeyCounters::Table)
            .columns([KeyCounters::Kind, KeyCounters::LastValue])
            .values_panic(["INC".into(), 0i64.into()])
            .values_panic(["KE".into(), 0i64.into()])
            .values_panic(["ACT".into(), 0i64.into()])
            .to_owned();
        m.exec_stmt(seed).await?;

        // Append-only and hash-chained: `hash` = H(prev_hash ‖ this row's content).
        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .if_not_exists()
                .col(big_pk_auto(AuditLog::Id))
                .col(big_integer(AuditLog::At))
                .col(big_integer_null(AuditLog::ActorId))
                .col(string(AuditLog::Actor))
                .col(string(AuditLog::RecordType))
                .col(string(AuditLog::RecordKey))
                .col(string(AuditLog::Action))
                .col(string_null(AuditLog::Field))
                .col(text_null(AuditLog::OldValue))
                .col(text_null(AuditLog::NewValue))
                .col(string(AuditLog::PrevHash))
                .col(string(AuditLog::Hash))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "idx_audit_record",
            AuditLog::Table,
            &[AuditLog::RecordType, AuditLog::RecordKey, AuditLog::Id],
        ))
        .await?;
        m.create_index(index(
            "idx_audit_actor",
            AuditLog::Table,
            &[AuditLog::ActorId, AuditLog::Id],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            AuditLog::Table.into_iden(),
            KeyCounters::Table.into_iden(),
            Settings::Table.into_iden(),
            LoginFailures::Table.into_iden(),
            Sessions::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
