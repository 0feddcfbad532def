//! The `comments` table.

#[allow(unused_imports)]
use crate::domain::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "comments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub record_type: CommentOn,
    pub record_key: String,
    pub parent_id: Option<i64>,
    pub author_id: i64,
    pub body: String,
    pub quote: Option<String>,
    pub resolved: bool,
    pub deleted_at: Option<i64>,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
