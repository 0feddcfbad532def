//! The `known_error_incidents` table.

#[allow(unused_imports)]
use crate::domain::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "known_error_incidents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub known_error_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub incident_id: i64,
    pub created_at: i64,
    pub created_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
