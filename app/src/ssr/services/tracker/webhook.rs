//! The trackers' webhooks (`POST /trackers/{id}/receive`), each with its own authentication:
//! GitHub `X-Hub-Signature-256` and Jira `X-Hub-Signature` (`sha256=` HMAC of the raw body
//! with the tracker's webhook secret), GitLab `X-Gitlab-Token` (the secret itself), or the
//! receive URL's `?token=`. The linked issue closed as done moves an `open`/`in_progress`
//! action to `done` at the tracker's time; reopened moves a `done` action back to `open`.
//! Verification stays in Hindsight. Unknown issues, other events and replays change nothing.

use chrono::{DateTime, NaiveDateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::domain::TrackerKind;
use crate::error::{AppError, AppResult};
use crate::ssr::entities::{action, tracker, tracker_receipt};
use crate::ssr::secretbox;
use crate::ssr::secrets::{hmac_sha256_matches, same};
use crate::ssr::to_ms;

/// What the sender presented.
#[derive(Debug, Clone, Default)]
pub struct Presented {
    /// `X-Hub-Signature-256` (GitHub) or `X-Hub-Signature` (Jira).
    pub signature: Option<String>,
    /// `X-Gitlab-Token`.
    pub gitlab_token: Option<String>,
    /// `?token=`.
    pub token: Option<String>,
    /// The event's name (`X-GitHub-Event`, `X-Gitlab-Event`).
    pub event: Option<String>,
    /// The delivery's id, the same on every retry.
    pub delivery: Option<String>,
}

/// What the change means for the linked action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Move {
    Done,
    Reopened,
    /// The issue changed in a way that moves nothing (closed as not planned, another state).
    None,
}

/// One issue's change, read from a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub key: String,
    pub state: String,
    /// Whether the new state counts as done.
    pub done: bool,
    pub at: DateTime<Utc>,
    pub to: Move,
}

/// `sha256=<hex>` of the raw body with `secret`, compared in constant time.
pub fn hub_signature_matches(secret: &str, body: &[u8], sig: &str) -> bool {
    sig.trim()
        .strip_prefix("sha256=")
        .is_some_and(|h| hmac_sha256_matches(secret, body, h))
}

/// The tracker `id` if the sender proves it knows the webhook secret; 401 otherwise (an
/// unknown tracker looks the same).
pub async fn authenticate(
    db: &impl ConnectionTrait,
    id: i64,
    p: &Presented,
    body: &[u8],
) -> AppResult<tracker::Model> {
    let refused = || AppError::Unauthorized {
        message: "the tracker's secret or signature does not match".into(),
    };
    let t = tracker::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(refused)?;
    let secret = secretbox::open(&t.webhook_secret)?;
    let ok = match (t.kind, &p.signature, &p.gitlab_token, &p.token) {
        (TrackerKind::Github | TrackerKind::Jira, Some(sig), _, _) => {
            hub_signature_matches(&secret, body, sig)
        }
        (TrackerKind::Gitlab, _, Some(tok), _) => same(tok, &secret),
        (_, None, None, Some(tok)) => same(tok, &secret),
        _ => false,
    };
    if ok { Ok(t) } else { Err(refused()) }
}

pub(super) fn time(v: &Value) -> Option<DateTime<Utc>> {
    let s = v.as_str()?;
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        // GitLab also writes "2026-12-02 16:41:07 UTC"; Jira "2026-12-02T16:41:07.512+0000".
        .or_else(|| {
            NaiveDateTime::parse_from_str(s.trim_end_matches(" UTC"), "%Y-%m-%d %H:%M:%S")
                .ok()
                .map(|n| n.and_utc())
        })
        .or_else(|| {
            DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z")
                .ok()
                .map(|t| t.with_timezone(&Utc))
        })
}

/// The change a webhook body announces for tracker `t`, or `None` for events about other
/// things (another project, another event type). 422 for a body that is not the event's shape.
pub fn read(
    t: &tracker::Model,
    p: &Presented,
    body: &[u8],
    now: DateTime<Utc>,
) -> AppResult<Option<Change>> {
    let v: Value =
        serde_json::from_slice(body).map_err(|_| AppError::bad_request("the body is not JSON"))?;
    let bad = |f: &str| AppError::invalid(f, "missing or malformed");
    Ok(match t.kind {
        TrackerKind::Github => {
            if p.event.as_deref().is_some_and(|e| e != "issues") {
                return Ok(None);
            }
            let repo = v["repository"]["full_name"].as_str().unwrap_or("");
            if !repo.eq_ignore_ascii_case(&t.project) {
                return Ok(None);
            }
            let issue = &v["issue"];
            let key = issue["number"]
                .as_i64()
                .ok_or_else(|| bad("issue.number"))?
                .to_string();
            let state = issue["state"]
                .as_str()
                .ok_or_else(|| bad("issue.state"))?
                .to_owned();
            let reason = issue["state_reason"].as_str();
            let (to, at) = match v["action"].as_str().ok_or_else(|| bad("action"))? {
                "closed" if !matches!(reason, Some("not_planned" | "duplicate")) => {
                    (Move::Done, time(&issue["closed_at"]))
                }
                "reopened" => (Move::Reopened, time(&issue["updated_at"])),
                _ => (Move::None, time(&issue["updated_at"])),
            };
            let (state, done) = super::client::github_state(&state, reason);
            Some(Change {
                key,
                state,
                done,
                at: at.unwrap_or(now),
                to,
            })
        }
        TrackerKind::Gitlab => {
            if v["object_kind"].as_str() != Some("issue") {
                return Ok(None);
            }
            let project = v["project"]["path_with_namespace"].as_str().unwrap_or("");
            let id = v["project"]["id"].as_i64().map(|i| i.to_string());
            if !project.eq_ignore_ascii_case(&t.project)
                && id.as_deref() != Some(t.project.as_str())
            {
                return Ok(None);
            }
            let a = &v["object_attributes"];
            let key = a["iid"]
                .as_i64()
                .ok_or_else(|| bad("object_attributes.iid"))?
                .to_string();
            let state = a["state"]
                .as_str()
                .ok_or_else(|| bad("object_attributes.state"))?
                .to_owned();
            let (to, at) = match a["action"].as_str() {
                Some("close") => (
                    Move::Done,
                    time(&a["closed_at"]).or_else(|| time(&a["updated_at"])),
                ),
                Some("reopen") => (Move::Reopened, time(&a["updated_at"])),
                _ => (Move::None, time(&a["updated_at"])),
            };
            Some(Change {
                key,
                done: state == "closed",
                state,
                at: at.unwrap_or(now),
                to,
            })
        }
        TrackerKind::Jira => {
            if v["webhookEvent"].as_str() != Some("jira:issue_updated") {
                return Ok(None);
            }
            let issue = &v["issue"];
            let key = issue["key"]
                .as_str()
                .ok_or_else(|| bad("issue.key"))?
                .to_owned();
            let status = &issue["fields"]["status"];
            let name = status["name"]
                .as_str()
                .ok_or_else(|| bad("issue.fields.status.name"))?
                .to_owned();
            let done = super::client::jira_done(t, status);
            let status_changed = v["changelog"]["items"]
                .as_array()
                .is_some_and(|items| items.iter().any(|i| i["field"] == "status"));
            let at = v["timestamp"]
                .as_i64()
                .and_then(DateTime::from_timestamp_millis)
                .or_else(|| time(&issue["fields"]["updated"]))
                .unwrap_or(now);
            let to = match (status_changed, done) {
                (false, _) => Move::None,
                (true, true) => Move::Done,
                (true, false) => Move::Reopened,
            };
            Some(Change {
                key,
                done,
                state: name,
                at,
                to,
            })
        }
    })
}

/// What a delivery did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Outcome {
    /// The linked action, if the issue is one.
    pub action: Option<String>,
    /// `done`, `reopened`, `unchanged`, `replayed` or `ignored`.
    pub result: String,
}

fn outcome(action: Option<String>, result: &str) -> Outcome {
    Outcome {
        action,
        result: result.to_owned(),
    }
}

/// Applies a delivery authenticated for `t`.
pub async fn apply<C: ConnectionTrait + sea_orm::TransactionTrait>(
    db: &C,
    t: &tracker::Model,
    p: &Presented,
    body: &[u8],
    now: DateTime<Utc>,
) -> AppResult<Outcome> {
    let Some(change) = read(t, p, body, now)? else {
        return Ok(outcome(None, "ignored"));
    };
    // A delivery taken before changes nothing (the tracker retries with the same id). It is
    // recorded once it is applied, so a failed attempt can be retried.
    let delivery: Option<String> = p
        .delivery
        .as_deref()
        .filter(|d| !d.is_empty())
        .map(|d| d.chars().take(200).collect());
    if let Some(id) = &delivery
        && tracker_receipt::Entity::find()
            .filter(tracker_receipt::Column::TrackerId.eq(t.id))
            .filter(tracker_receipt::Column::EventId.eq(id.clone()))
            .one(db)
            .await?
            .is_some()
    {
        return Ok(outcome(None, "replayed"));
    }
    let out = apply_change(db, t, &change, now).await?;
    if let Some(id) = delivery {
        tracker_receipt::Entity::insert(tracker_receipt::ActiveModel {
            tracker_id: Set(t.id),
            event_id: Set(id),
            received_at: Set(to_ms(now)),
            ..Default::default()
        })
        .on_conflict_do_nothing_on([
            tracker_receipt::Column::TrackerId,
            tracker_receipt::Column::EventId,
        ])
        .exec_without_returning(db)
        .await?;
    }
    Ok(out)
}

async fn apply_change<C: ConnectionTrait + sea_orm::TransactionTrait>(
    db: &C,
    t: &tracker::Model,
    change: &Change,
    now: DateTime<Utc>,
) -> AppResult<Outcome> {
    let Some(m) = action::Entity::find()
        .filter(action::Column::TrackerId.eq(t.id))
        .filter(action::Column::ExternalKey.eq(change.key.clone()))
        .one(db)
        .await?
    else {
        return Ok(outcome(None, "ignored"));
    };
    let result = super::sync::apply(db, t, &m, change, now).await?;
    Ok(outcome(Some(m.key), result))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn githubs_documented_signature_vector_holds() {
        let sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert!(hub_signature_matches(
            "It's a Secret to Everybody",
            b"Hello, World!",
            sig
        ));
        assert!(!hub_signature_matches("another", b"Hello, World!", sig));
        assert!(!hub_signature_matches(
            "It's a Secret to Everybody",
            b"Hello, World?",
            sig
        ));
        assert!(!hub_signature_matches(
            "It's a Secret to Everybody",
            b"Hello, World!",
            "757107ea"
        ));
    }

    #[test]
    fn times_in_each_trackers_format() {
        let want = DateTime::parse_from_rfc3339("2026-12-02T16:41:07Z")
            .unwrap()
            .with_timezone(&Utc);
        for s in [
            "2026-12-02T16:41:07Z",
            "2026-12-02 16:41:07 UTC",
            "2026-12-02T16:41:07.000+0000",
        ] {
            assert_eq!(time(&Value::String(s.into())), Some(want), "{s}");
        }
    }
}
