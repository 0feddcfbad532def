//! The `trackers` table: Jira, GitHub or GitLab projects where actions are mirrored.

#[allow(unused_imports)]
use crate::domain::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "trackers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub kind: TrackerKind,
    pub base_url: String,
    pub project: String,
    /// Sealed ([`crate::ssr::secretbox`]).
    pub credentials: String,
    /// Sealed.
    pub webhook_secret: String,
    pub done_states: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
