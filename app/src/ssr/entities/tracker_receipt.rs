//! The `tracker_receipts` table: webhook deliveries taken, by the tracker's delivery id.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tracker_receipts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tracker_id: i64,
    pub event_id: String,
    pub received_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
