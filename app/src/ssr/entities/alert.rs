//! The `alerts` table: alerts received through the hooks.

#[allow(unused_imports)]
use crate::domain::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub hook_id: Option<i64>,
    pub source: HookSource,
    pub incident_id: Option<i64>,
    pub fingerprint: String,
    pub starts_at: i64,
    pub group_key: String,
    pub status: AlertStatus,
    pub summary: Option<String>,
    pub labels: String,
    pub annotations: String,
    pub url: Option<String>,
    pub first_seen_at: i64,
    pub last_seen_at: i64,
    pub resolved_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
