//! The `live_event` table: recent changes for the live stream (pruned after an hour).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "live_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub event: String,
    pub record_type: String,
    pub record_key: String,
    pub incident_key: Option<String>,
    /// `,3,7,`: the users an action belongs to, now and before the change.
    pub owners: Option<String>,
    /// `,3,7,`: the users the event is addressed to (mentions).
    pub audience: Option<String>,
    pub version: Option<i64>,
    pub by_email: Option<String>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
