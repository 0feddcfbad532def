//! The `actions` table.

#[allow(unused_imports)]
use crate::domain::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "actions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub key: String,
    pub seq: i64,
    pub incident_id: Option<IncidentId>,
    pub known_error_id: Option<KnownErrorId>,
    pub title: String,
    pub description: String,
    pub kind: ActionKind,
    pub priority: Priority,
    pub owner_id: Option<UserId>,
    pub team: Option<String>,
    pub due_date: Option<Date>,
    pub status: ActionStatus,
    pub completed_at: Option<i64>,
    pub completed_on: Option<Date>,
    pub verification_required: bool,
    pub verification_plan: String,
    pub verification_due: Option<Date>,
    pub verified_at: Option<i64>,
    pub verified_on: Option<Date>,
    pub verified_by: Option<UserId>,
    pub verification_result: Option<VerificationResult>,
    pub verification_evidence: Option<String>,
    pub cancelled_reason: Option<String>,
    pub external_url: Option<String>,
    pub tracker_id: Option<i64>,
    pub external_key: Option<String>,
    pub external_state: Option<String>,
    pub synced_at: Option<i64>,
    /// Whether the last known state counts as done.
    pub external_done: Option<bool>,
    pub reopen_count: i32,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub created_on: Date,
    pub updated_at: i64,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
