//! The `deliveries` table: the outbox: one message per channel and event, or to a tracker
//! (a comment on an action's issue, an issue to create).

#[allow(unused_imports)]
use crate::domain::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The channel a message goes to; `None` for a message to a tracker.
    pub channel_id: Option<i64>,
    /// The tracker a message goes to (`event` is `tracker.comment` or `tracker.create`).
    pub tracker_id: Option<i64>,
    pub event: String,
    pub record_type: String,
    pub record_key: String,
    pub body: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub claimed_until: Option<i64>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
