//! The `hooks` table: inbound alert sources.

#[allow(unused_imports)]
use crate::domain::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "hooks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub source: HookSource,
    pub secret_hash: String,
    pub signing_secret: Option<String>,
    pub severity_map: Option<String>,
    pub default_severity: Severity,
    pub service_label: Option<String>,
    pub auto_open: bool,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub last_received_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
