//! Trackers (admins): the Jira, GitHub or GitLab projects actions are mirrored to. The
//! credentials and the webhook secret are sealed with the server's key
//! ([`crate::ssr::secretbox`]); no answer, log line, export or history entry holds them.

pub mod client;
pub mod link;
pub mod outbound;
pub mod reconcile;
pub mod sync;
pub mod webhook;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, TransactionSession, TransactionTrait,
};

use crate::domain::authz::Op;
use crate::domain::{AuditAction, RecordType, TrackerKind};
use crate::error::{AppError, AppResult};
use crate::model::{CreatedTracker, NewTracker, Tracker, TrackerCredentials, TrackerPatch};
use crate::ssr::audit::{self, FieldChange};
use crate::ssr::auth::Actor;
use crate::ssr::entities::tracker;
use crate::ssr::secretbox;
use crate::ssr::secrets::random_secret;
use crate::ssr::services::notify::channels::check_url;
use crate::ssr::{from_ms, to_ms};

/// Every tracker webhook secret starts with this.
pub const SECRET_PREFIX: &str = "hst_";

/// Whether `base_url` is Jira Cloud (REST v3 with ADF), else Data Center (v2).
pub fn is_jira_cloud(base_url: &str) -> bool {
    crate::ssr::services::notify::channels::host_of(base_url)
        .split(':')
        .next()
        .is_some_and(|h| h.ends_with(".atlassian.net"))
}

/// Why a tracker's credentials cannot be used.
pub const UNOPENED: &str = "the stored credentials cannot be opened with this server's key";

/// Tracker `t`'s credentials, opened with the server's key (`None` when the key does not fit:
/// it may come back with a restart that has the right `HINDSIGHT_SECRET_KEY`).
pub fn credentials(t: &tracker::Model) -> Option<TrackerCredentials> {
    secretbox::open(&t.credentials)
        .ok()
        .and_then(|c| serde_json::from_str(&c).ok())
}

pub fn view(t: &tracker::Model, origin: &str) -> Tracker {
    // Stored beside the sealed credentials; trackers from before the column are opened once.
    let auth = t.auth.clone().unwrap_or_else(|| {
        credentials(t)
            .map_or("unreadable", |c| c.scheme())
            .to_owned()
    });
    Tracker {
        id: t.id,
        name: t.name.clone(),
        kind: t.kind,
        base_url: t.base_url.clone(),
        project: t.project.clone(),
        auth,
        done_states: t
            .done_states
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok()),
        receive_url: format!(
            "{}/api/v1/trackers/{}/receive",
            origin.trim_end_matches('/'),
            t.id
        ),
        api_version: (t.kind == TrackerKind::Jira)
            .then(|| if is_jira_cloud(&t.base_url) { 3 } else { 2 }),
        teams: t.team_list(),
        polled_at: t.polled_at.map(from_ms),
        poll_error: t.poll_error.clone(),
        created_at: from_ms(t.created_at),
        updated_at: from_ms(t.updated_at),
        version: t.version,
    }
}

fn check_name(name: &str) -> AppResult<String> {
    crate::ssr::services::common::text::short("name", name)
}

/// The project in the form its tracker names projects.
fn check_project(kind: TrackerKind, project: &str) -> AppResult<String> {
    let p = project.trim();
    let ok = match kind {
        // A Jira project key: a capital letter, then capitals, digits or underscores.
        TrackerKind::Jira => {
            p.len() <= 30
                && p.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && p.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        }
        TrackerKind::Github => {
            let mut parts = p.split('/');
            let good = |s: Option<&str>| {
                s.is_some_and(|s| {
                    !s.is_empty()
                        && s.len() <= 100
                        && s.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                })
            };
            good(parts.next()) && good(parts.next()) && parts.next().is_none()
        }
        // A numeric id or a `group/subgroup/project` path.
        TrackerKind::Gitlab => {
            !p.is_empty()
                && p.len() <= 255
                && !p.starts_with('/')
                && !p.ends_with('/')
                && !p.contains("//")
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
        }
    };
    if ok {
        Ok(p.to_owned())
    } else {
        Err(AppError::invalid(
            "project",
            match kind {
                TrackerKind::Jira => "must be a Jira project key such as OPS",
                TrackerKind::Github => "must be owner/repo",
                TrackerKind::Gitlab => "must be a project id or path such as group/project",
            },
        ))
    }
}

/// The credentials the kind signs in with, each part present and sensible.
fn check_credentials(kind: TrackerKind, c: &TrackerCredentials) -> AppResult<String> {
    let fits = matches!(
        (kind, c),
        (TrackerKind::Jira, TrackerCredentials::Basic { .. })
            | (TrackerKind::Jira, TrackerCredentials::Pat { .. })
            | (TrackerKind::Github, TrackerCredentials::Token { .. })
            | (TrackerKind::Gitlab, TrackerCredentials::Token { .. })
    );
    if !fits {
        return Err(AppError::invalid(
            "credentials",
            match kind {
                TrackerKind::Jira => "Jira takes {email, api_token} (Cloud) or {pat} (Data Center)",
                _ => "GitHub and GitLab take {token}",
            },
        ));
    }
    let parts: Vec<&str> = match c {
        TrackerCredentials::Basic { email, api_token } => vec![email, api_token],
        TrackerCredentials::Pat { pat } => vec![pat],
        TrackerCredentials::Token { token } => vec![token],
    };
    if parts
        .iter()
        .any(|p| p.trim().is_empty() || p.len() > 1000 || p.chars().any(char::is_control))
    {
        return Err(AppError::invalid(
            "credentials",
            "each part must be 1 to 1000 characters",
        ));
    }
    serde_json::to_string(c).map_err(|_| AppError::internal())
}

fn check_done_states(d: &[String]) -> AppResult<String> {
    if d.is_empty()
        || d.len() > 50
        || d.iter()
            .any(|s| s.trim().is_empty() || s.chars().count() > 100)
    {
        return Err(AppError::invalid(
            "done_states",
            "must be 1 to 50 state names of 1 to 100 characters",
        ));
    }
    serde_json::to_string(&d.iter().map(|s| s.trim()).collect::<Vec<_>>())
        .map_err(|_| AppError::internal())
}

/// Checks the teams for tracker `id` (`None` for a new one): each a team name of 1 to 100
/// characters, and none mapped to another tracker (a team's new actions go to one place).
/// Teams are told apart without regard to case. `None` when no team is mapped.
async fn check_teams(
    db: &impl ConnectionTrait,
    id: Option<i64>,
    teams: &[String],
) -> AppResult<Option<String>> {
    let mut seen: Vec<String> = Vec::new();
    let mut kept: Vec<String> = Vec::new();
    for t in teams {
        let t = crate::ssr::services::common::text::short("teams", t)?;
        if !seen.contains(&t.to_lowercase()) {
            seen.push(t.to_lowercase());
            kept.push(t);
        }
    }
    if kept.len() > 100 {
        return Err(AppError::invalid("teams", "at most 100 teams"));
    }
    if kept.is_empty() {
        return Ok(None);
    }
    for other in tracker::Entity::find().all(db).await? {
        if Some(other.id) == id {
            continue;
        }
        if let Some(t) = kept.iter().find(|t| other.maps(t)) {
            return Err(AppError::invalid(
                "teams",
                format!(
                    "team {t} is mapped to tracker {} already; a team's actions go to one tracker",
                    other.name
                ),
            ));
        }
    }
    serde_json::to_string(&kept)
        .map(Some)
        .map_err(|_| AppError::internal())
}

/// Creates a tracker; the answer carries its webhook secret, the only time it is shown.
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    new: NewTracker,
    origin: &str,
    now: DateTime<Utc>,
) -> AppResult<CreatedTracker> {
    actor.require(Op::Administer)?;
    let name = check_name(&new.name)?;
    let base_url = check_url(&new.base_url)
        .map_err(|_| AppError::invalid("base_url", "must be an absolute http or https URL"))?
        .trim_end_matches('/')
        .to_owned();
    let project = check_project(new.kind, &new.project)?;
    let creds = check_credentials(new.kind, &new.credentials)?;
    let done = new
        .done_states
        .as_deref()
        .map(check_done_states)
        .transpose()?;
    let secret = format!("{SECRET_PREFIX}{}", random_secret());
    let sealed_creds = secretbox::seal(&creds)?;
    let sealed_secret = secretbox::seal(&secret)?;
    let txn = crate::ssr::db::write(db).await?;
    let teams = check_teams(&txn, None, &new.teams).await?;
    if tracker::Entity::find()
        .filter(tracker::Column::Name.eq(&name))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict {
            message: format!("a tracker named {name} exists"),
        });
    }
    let t = tracker::ActiveModel {
        name: Set(name),
        kind: Set(new.kind),
        base_url: Set(base_url),
        project: Set(project),
        credentials: Set(sealed_creds),
        webhook_secret: Set(sealed_secret),
        done_states: Set(done),
        teams: Set(teams),
        auth: Set(Some(new.credentials.scheme().to_owned())),
        created_by: Set(actor.user_id().map(|u| u.0)),
        created_at: Set(to_ms(now)),
        updated_at: Set(to_ms(now)),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::Tracker,
        &t.id.to_string(),
        AuditAction::Create,
        &[
            FieldChange::new("name", None, Some(t.name.clone())),
            FieldChange::new("kind", None, Some(t.kind.to_string())),
            FieldChange::new("base_url", None, Some(t.base_url.clone())),
            FieldChange::new("project", None, Some(t.project.clone())),
            FieldChange::new("credentials", None, Some("set".into())),
        ]
        .into_iter()
        .chain(
            t.teams
                .clone()
                .map(|teams| FieldChange::new("teams", None, Some(teams))),
        )
        .collect::<Vec<_>>(),
    )
    .await?;
    txn.commit().await?;
    Ok(CreatedTracker {
        secret,
        tracker: view(&t, origin),
    })
}

async fn find(db: &impl ConnectionTrait, id: i64) -> AppResult<tracker::Model> {
    tracker::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("tracker {id}")))
}

/// The trackers an action's issue can be created in (everyone signed in).
pub async fn choices(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> AppResult<Vec<crate::model::TrackerChoice>> {
    actor.require(Op::Read)?;
    Ok(tracker::Entity::find()
        .order_by_asc(tracker::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|t| crate::model::TrackerChoice {
            id: t.id,
            name: t.name,
            kind: t.kind,
        })
        .collect())
}

/// Every tracker, by name (admins).
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    origin: &str,
) -> AppResult<Vec<Tracker>> {
    actor.require(Op::Administer)?;
    Ok(tracker::Entity::find()
        .order_by_asc(tracker::Column::Name)
        .all(db)
        .await?
        .iter()
        .map(|t| view(t, origin))
        .collect())
}

pub async fn get(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
    origin: &str,
) -> AppResult<Tracker> {
    actor.require(Op::Administer)?;
    Ok(view(&find(db, id).await?, origin))
}

/// Changes a tracker; new credentials replace the stored ones (the history says only that
/// they were replaced).
pub async fn update<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    id: i64,
    patch: TrackerPatch,
    origin: &str,
    now: DateTime<Utc>,
) -> AppResult<Tracker> {
    actor.require(Op::Administer)?;
    let txn = crate::ssr::db::write(db).await?;
    let old = find(&txn, id).await?;
    if let Some(v) = patch.version
        && v != old.version
    {
        return Err(AppError::conflict(format!(
            "tracker {id} was changed meanwhile (version {} now)",
            old.version
        )));
    }
    let mut m: tracker::ActiveModel = old.clone().into();
    let mut changes = Vec::new();
    if let Some(n) = patch.name.as_deref().map(check_name).transpose()?
        && n != old.name
    {
        if tracker::Entity::find()
            .filter(tracker::Column::Name.eq(&n))
            .one(&txn)
            .await?
            .is_some()
        {
            return Err(AppError::Conflict {
                message: format!("a tracker named {n} exists"),
            });
        }
        changes.push(FieldChange::new(
            "name",
            Some(old.name.clone()),
            Some(n.clone()),
        ));
        m.name = Set(n);
    }
    if let Some(u) = &patch.base_url {
        let u = check_url(u)
            .map_err(|_| AppError::invalid("base_url", "must be an absolute http or https URL"))?
            .trim_end_matches('/')
            .to_owned();
        if u != old.base_url {
            changes.push(FieldChange::new(
                "base_url",
                Some(old.base_url.clone()),
                Some(u.clone()),
            ));
            m.base_url = Set(u);
        }
    }
    if let Some(p) = patch
        .project
        .as_deref()
        .map(|p| check_project(old.kind, p))
        .transpose()?
        && p != old.project
    {
        changes.push(FieldChange::new(
            "project",
            Some(old.project.clone()),
            Some(p.clone()),
        ));
        m.project = Set(p);
    }
    if let Some(c) = &patch.credentials {
        let c = check_credentials(old.kind, c)?;
        changes.push(FieldChange::new(
            "credentials",
            Some("set".into()),
            Some("replaced".into()),
        ));
        m.credentials = Set(secretbox::seal(&c)?);
        m.auth = Set(patch.credentials.as_ref().map(|c| c.scheme().to_owned()));
    }
    if let Some(d) = &patch.done_states {
        let d = d.as_deref().map(check_done_states).transpose()?;
        if d != old.done_states {
            changes.push(FieldChange::new(
                "done_states",
                old.done_states.clone(),
                d.clone(),
            ));
            m.done_states = Set(d);
        }
    }
    if let Some(teams) = &patch.teams {
        let d = check_teams(&txn, Some(id), teams).await?;
        if d != old.teams {
            changes.push(FieldChange::new("teams", old.teams.clone(), d.clone()));
            m.teams = Set(d);
        }
    }
    if changes.is_empty() {
        return Ok(view(&old, origin));
    }
    m.updated_at = Set(to_ms(now));
    m.version = Set(old.version + 1);
    let t = m.update(&txn).await?;
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::Tracker,
        &id.to_string(),
        AuditAction::Update,
        &changes,
    )
    .await?;
    txn.commit().await?;
    Ok(view(&t, origin))
}

/// Removes a tracker; its actions keep their issue link (`external_url`) but no longer sync.
pub async fn delete<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    use crate::ssr::entities::action;
    use sea_orm::sea_query::Expr;
    actor.require(Op::Administer)?;
    let txn = crate::ssr::db::write(db).await?;
    let t = find(&txn, id).await?;
    action::Entity::update_many()
        .col_expr(action::Column::TrackerId, Expr::value(Option::<i64>::None))
        .filter(action::Column::TrackerId.eq(id))
        .exec(&txn)
        .await?;
    tracker::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::Tracker,
        &id.to_string(),
        AuditAction::Delete,
        &[FieldChange::new("name", Some(t.name), None)],
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jira_cloud_is_told_by_its_host() {
        assert!(is_jira_cloud("https://acme.atlassian.net"));
        assert!(is_jira_cloud("https://acme.atlassian.net:443/"));
        assert!(!is_jira_cloud("https://jira.acme.example"));
        assert!(!is_jira_cloud("https://atlassian.net.evil.example"));
    }

    #[test]
    fn projects_are_named_as_their_tracker_names_them() {
        assert!(check_project(TrackerKind::Jira, "OPS").is_ok());
        assert!(check_project(TrackerKind::Jira, "OPS_2").is_ok());
        assert!(check_project(TrackerKind::Jira, "ops").is_err());
        assert!(check_project(TrackerKind::Github, "acme/payments-api").is_ok());
        assert!(check_project(TrackerKind::Github, "acme").is_err());
        assert!(check_project(TrackerKind::Github, "acme/a/b").is_err());
        assert!(check_project(TrackerKind::Github, "acme/a b").is_err());
        assert!(check_project(TrackerKind::Gitlab, "sre/platform/payments").is_ok());
        assert!(check_project(TrackerKind::Gitlab, "42").is_ok());
        assert!(check_project(TrackerKind::Gitlab, "/sre").is_err());
    }

    #[test]
    fn credentials_fit_their_kind() {
        let basic = TrackerCredentials::Basic {
            email: "bot@acme.example".into(),
            api_token: "t".into(),
        };
        let token = TrackerCredentials::Token {
            token: "ghp_x".into(),
        };
        assert!(check_credentials(TrackerKind::Jira, &basic).is_ok());
        assert!(check_credentials(TrackerKind::Github, &token).is_ok());
        assert!(check_credentials(TrackerKind::Github, &basic).is_err());
        assert!(check_credentials(TrackerKind::Jira, &token).is_err());
        let empty = TrackerCredentials::Token { token: " ".into() };
        assert!(check_credentials(TrackerKind::Gitlab, &empty).is_err());
        // Debug output never shows them.
        assert_eq!(format!("{basic:?}"), "Basic(…)");
    }
}
