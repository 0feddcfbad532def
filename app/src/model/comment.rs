//! Comments on records, their threads, and the notifications of mentions and review requests.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{CommentOn, NotificationKind};

/// One comment. A removed one keeps its place in its thread with an empty body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Comment {
    pub id: i64,
    pub record_type: CommentOn,
    /// The record's key (a postmortem's is its incident's).
    pub record: String,
    /// The top-level comment this one answers.
    pub parent: Option<i64>,
    /// The author's e-mail.
    pub author: String,
    pub author_name: String,
    /// Markdown; empty once removed.
    pub body: String,
    /// The passage of the postmortem the comment is about.
    pub quote: Option<String>,
    /// A review thread that has been dealt with (top-level comments only).
    pub resolved: bool,
    /// Removed by its author or an admin: shown as removed, its replies stay.
    pub deleted: bool,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub version: i32,
}

/// A top-level comment with its replies, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Thread {
    pub comment: Comment,
    pub replies: Vec<Comment>,
}

/// `POST /{record_type}/{key}/comments`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    pub body: String,
    /// The id of the top-level comment this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
}

/// `PATCH /comments/{id}`: the body (author only) and/or `resolved` (a top-level thread; the
/// author, responders and admins).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CommentPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<bool>,
    pub version: i32,
}

/// Something that asks for the user's attention: a mention or a review request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Notification {
    pub id: i64,
    pub kind: NotificationKind,
    /// The comment that mentions the user (mentions only).
    pub comment: Option<i64>,
    pub record_type: CommentOn,
    pub record: String,
    /// The page that shows it, with the comment's anchor.
    pub link: String,
    /// Who mentioned the user or asked for the review (e-mail).
    pub actor: Option<String>,
    /// The first line of the comment, for the list.
    pub excerpt: Option<String>,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// `GET /notifications`: a page, newest first, and how many of all are unread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NotificationPage {
    pub items: Vec<Notification>,
    pub next: Option<String>,
    pub unread: u64,
}

/// Paging of `GET /notifications`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct NotificationFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// `POST /notifications/read`: marks these of the caller's own as read (others' are ignored);
/// no ids marks all of the caller's read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReadNotifications {
    pub ids: Vec<i64>,
}

/// A user a mention may name (the suggestions while typing `@`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MentionCandidate {
    pub email: String,
    pub name: String,
}

/// The anchor of a comment on its record's page.
pub fn comment_anchor(id: i64) -> String {
    format!("comment-{id}")
}
