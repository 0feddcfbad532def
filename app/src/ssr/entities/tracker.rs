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
    /// JSON array of the teams whose new actions get an issue here by themselves.
    pub teams: Option<String>,
    /// `basic`, `pat` or `token` (the scheme of `credentials`, readable without opening them).
    pub auth: Option<String>,
    /// When the next reconciliation round is due (ms).
    pub next_poll_at: i64,
    pub polled_at: Option<i64>,
    /// What the last round ran into, or `None`.
    pub poll_error: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The teams mapped to this tracker (their new actions get an issue here).
    pub fn team_list(&self) -> Vec<String> {
        self.teams
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or_default()
    }

    /// Whether `team` is mapped here (told apart without regard to case).
    pub fn maps(&self, team: &str) -> bool {
        let team = team.trim().to_lowercase();
        self.team_list().iter().any(|t| t.to_lowercase() == team)
    }
}
