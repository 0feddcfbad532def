//! Who is asking: sessions (cookie) and API tokens (bearer), sign-in with rate limiting, and
//! the authorisation check every service runs first.

use crate::domain::{AuditAction, RecordType};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait,
    PaginatorTrait, QueryFilter, TransactionSession, TransactionTrait,
};

use crate::domain::authz::{Op, allows};
use crate::domain::{Role, UserId};
use crate::error::{AppError, AppResult};
use crate::model::CurrentUser;
use crate::ssr::audit::{self, Who};
use crate::ssr::entities::{api_token, login_failure, session, user};
use crate::ssr::secrets::{random_secret, secret_hash, verify_password};
use crate::ssr::services::settings::OrgSettings;
use crate::ssr::to_ms;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "hindsight_session";
/// Failed sign-ins allowed per account and per address in any hour.
pub const LOGIN_FAILURES_PER_HOUR: u64 = 100;
/// Activity is written back at most this often per session or token.
const TOUCH_EVERY_MS: i64 = 60_000;

/// How a request was authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// The session cookie; the value is the session's stored id (a hash).
    Session(String),
    /// An API token, by its row id.
    Token(i64),
    /// The server itself: bootstrap, background jobs, the operator's CLI.
    System,
    /// An alert hook, acting on its own deliveries (`id`, `name`).
    Hook(i64, String),
    /// A tracker's webhook or the reconciliation, acting on linked actions (`id`, what the
    /// history shows: `through GitHub: NAME`).
    Tracker(i64, String),
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user: Option<CurrentUser>,
    pub role: Role,
    pub via: Via,
    /// What the page being rendered has read (shared by its panels); empty elsewhere.
    pub page: crate::ssr::services::common::PageReads,
}

impl Actor {
    pub fn system() -> Self {
        Self {
            user: None,
            role: Role::Admin,
            via: Via::System,
            page: Default::default(),
        }
    }

    /// A hook acting on the alerts it received: it may open and update incidents, and the
    /// history says which hook did.
    pub fn hook(id: i64, name: &str) -> Self {
        Self {
            user: None,
            role: Role::Responder,
            via: Via::Hook(id, name.to_owned()),
            page: Default::default(),
        }
    }

    /// A tracker moving the actions linked to its issues (done, reopened); the history says
    /// through which tracker.
    pub fn tracker(id: i64, kind: crate::domain::TrackerKind, name: &str) -> Self {
        Self {
            user: None,
            role: Role::Responder,
            via: Via::Tracker(id, format!("through {}: {name}", kind.label())),
            page: Default::default(),
        }
    }

    pub fn from_user(u: &user::Model, via: Via) -> Self {
        Self {
            user: Some(CurrentUser {
                id: UserId(u.id),
                email: u.email.clone(),
                name: u.name.clone(),
                role: u.role,
            }),
            role: u.role,
            via,
            page: Default::default(),
        }
    }

    /// The acting user's id (`None` for the system).
    pub fn user_id(&self) -> Option<UserId> {
        self.user.as_ref().map(|u| u.id)
    }

    /// How the audit log names this actor.
    pub fn who(&self) -> Who {
        match &self.user {
            Some(u) => Who {
                user_id: Some(u.id.0),
                label: u.email.clone(),
            },
            None => match &self.via {
                Via::Hook(_, name) => Who {
                    user_id: None,
                    label: format!("hook:{name}"),
                },
                Via::Tracker(_, label) => Who {
                    user_id: None,
                    label: label.clone(),
                },
                _ => Who::system(),
            },
        }
    }

    /// Refuses with 403 unless the actor's role allows `op`.
    pub fn require(&self, op: Op) -> AppResult<()> {
        let me = self.user_id().unwrap_or(UserId(0));
        if allows(self.role, me, op) {
            Ok(())
        } else {
            Err(AppError::forbidden(format!(
                "your role ({}) does not allow this",
                self.role
            )))
        }
    }
}

/// The authentication state of a request, put into its extensions by the server.
#[derive(Debug, Clone, Default)]
pub struct Auth(pub Option<Actor>);

impl Auth {
    /// The actor, or 401.
    pub fn actor(&self) -> AppResult<&Actor> {
        self.0.as_ref().ok_or_else(AppError::unauthorized)
    }
}

/// Normalises an e-mail for lookups: trimmed, lower case.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The actor behind a session cookie's secret, if the session is alive. Ends sessions that
/// have been idle too long or passed their absolute lifetime. Looks up through `db` (a reader
/// will do); the rare writes (ending a session, marking it seen once a minute) go to `writer`.
pub async fn session_actor(
    db: &impl ConnectionTrait,
    writer: &impl ConnectionTrait,
    secret: &str,
    now: DateTime<Utc>,
    settings: &OrgSettings,
) -> AppResult<Option<Actor>> {
    let id = secret_hash(secret);
    // The session and its user in one statement.
    let Some((s, u)) = session::Entity::find_by_id(id.clone())
        .find_also_related(user::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now_ms = to_ms(now);
    let idle_ms = i64::from(settings.session_idle_minutes) * 60_000;
    if now_ms >= s.expires_at || now_ms - s.last_seen_at >= idle_ms {
        session::Entity::delete_by_id(id).exec(writer).await?;
        return Ok(None);
    }
    let Some(u) = u.filter(|u| u.active) else {
        return Ok(None);
    };
    if now_ms - s.last_seen_at >= TOUCH_EVERY_MS {
        session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, Expr::value(now_ms))
            .filter(session::Column::Id.eq(s.id.clone()))
            .exec(writer)
            .await?;
    }
    Ok(Some(Actor::from_user(&u, Via::Session(s.id))))
}

/// The actor behind an API token, if it exists and is not revoked or expired. Looks up
/// through `db`; marking the token used (once a minute) goes to `writer`.
pub async fn token_actor(
    db: &impl ConnectionTrait,
    writer: &impl ConnectionTrait,
    secret: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<Actor>> {
    let Some((t, u)) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(secret_hash(secret)))
        .find_also_related(user::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let now_ms = to_ms(now);
    if t.revoked_at.is_some() || t.expires_at.is_some_and(|e| now_ms >= e) {
        return Ok(None);
    }
    let Some(u) = u.filter(|u| u.active) else {
        return Ok(None);
    };
    if t.last_used_at.is_none_or(|l| now_ms - l >= TOUCH_EVERY_MS) {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(now_ms))
            .filter(api_token::Column::Id.eq(t.id))
            .exec(writer)
            .await?;
    }
    Ok(Some(Actor::from_user(&u, Via::Token(t.id))))
}

/// A new session for a signed-in user.
pub struct NewSession {
    /// The cookie's value; only its hash is stored.
    pub secret: String,
    pub expires_at: DateTime<Utc>,
    pub actor: Actor,
}

/// A sign-in attempt and where it comes from.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    pub email: &'a str,
    pub password: &'a str,
    /// The client's address, for the per-address limit.
    pub address: &'a str,
    pub user_agent: Option<&'a str>,
    /// The session cookie the browser sent, if any: it ends (no session fixation).
    pub previous: Option<&'a str>,
}

/// Signs in with e-mail and password. Unknown e-mail and wrong password get the same answer
/// and take the same time; after too many failures per account or per address (in the last
/// hour) every attempt is refused with 429 until the hour has passed. Each sign-in makes a
/// new session with a new random id; `previous` (the cookie the browser sent, if any) ends.
pub async fn login<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    attempt: Attempt<'_>,
    now: DateTime<Utc>,
    settings: &OrgSettings,
) -> AppResult<NewSession> {
    let Attempt {
        email,
        password,
        address,
        user_agent,
        previous,
    } = attempt;
    let email = normalise_email(email);
    let hour_ago = to_ms(now - Duration::hours(1));
    let by_account = login_failure::Entity::find()
        .filter(login_failure::Column::Email.eq(email.clone()))
        .filter(login_failure::Column::At.gt(hour_ago))
        .count(db)
        .await?;
    let by_address = login_failure::Entity::find()
        .filter(login_failure::Column::Address.eq(address))
        .filter(login_failure::Column::At.gt(hour_ago))
        .count(db)
        .await?;
    if by_account >= LOGIN_FAILURES_PER_HOUR || by_address >= LOGIN_FAILURES_PER_HOUR {
        return Err(AppError::too_many(
            "too many failed sign-in attempts; try again later",
        ));
    }

    let found = user::Entity::find()
        .filter(user::Column::Email.eq(email.clone()))
        .one(db)
        .await?
        .filter(|u| u.active);
    let ok = verify_password(
        password,
        found.as_ref().and_then(|u| u.password_hash.as_deref()),
    )
    .await;
    let Some(u) = found.filter(|_| ok) else {
        login_failure::ActiveModel {
            email: Set(email),
            address: Set(address.to_owned()),
            at: Set(to_ms(now)),
            ..Default::default()
        }
        .insert(db)
        .await?;
        return Err(AppError::Unauthorized {
            message: "e-mail or password is wrong".into(),
        });
    };

    let secret = random_secret();
    let id = secret_hash(&secret);
    let expires_at = now + Duration::hours(i64::from(settings.session_absolute_hours));
    let txn = crate::ssr::db::write(db).await?;
    if let Some(prev) = previous {
        session::Entity::delete_by_id(secret_hash(prev))
            .exec(&txn)
            .await?;
    }
    session::ActiveModel {
        id: Set(id.clone()),
        user_id: Set(u.id),
        created_at: Set(to_ms(now)),
        last_seen_at: Set(to_ms(now)),
        expires_at: Set(to_ms(expires_at)),
        address: Set(Some(address.to_owned())),
        user_agent: Set(user_agent.map(|s| s.chars().take(300).collect())),
    }
    .insert(&txn)
    .await?;
    let actor = Actor::from_user(&u, Via::Session(id));
    audit::record(
        &txn,
        &actor.who(),
        now,
        RecordType::User,
        &u.email,
        AuditAction::Login,
        &[],
    )
    .await?;
    txn.commit().await?;
    Ok(NewSession {
        secret,
        expires_at,
        actor,
    })
}

/// Ends the session behind a cookie secret (nothing happens if it is already gone).
pub async fn logout<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    secret: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let id = secret_hash(secret);
    let Some(s) = session::Entity::find_by_id(id.clone()).one(db).await? else {
        return Ok(());
    };
    let txn = crate::ssr::db::write(db).await?;
    session::Entity::delete_by_id(id).exec(&txn).await?;
    if let Some(u) = user::Entity::find_by_id(s.user_id).one(&txn).await? {
        let who = Who {
            user_id: Some(u.id),
            label: u.email.clone(),
        };
        audit::record(
            &txn,
            &who,
            now,
            RecordType::User,
            &u.email,
            AuditAction::Logout,
            &[],
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Removes expired sessions and login failures older than an hour (a periodic job).
pub async fn prune(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    settings: &OrgSettings,
) -> AppResult<u64> {
    let now_ms = to_ms(now);
    let idle_ms = i64::from(settings.session_idle_minutes) * 60_000;
    let s = session::Entity::delete_many()
        .filter(
            session::Column::ExpiresAt
                .lte(now_ms)
                .or(session::Column::LastSeenAt.lte(now_ms - idle_ms)),
        )
        .exec(db)
        .await?;
    let f = login_failure::Entity::delete_many()
        .filter(login_failure::Column::At.lte(now_ms - 3_600_000))
        .exec(db)
        .await?;
    Ok(s.rows_affected + f.rows_affected)
}

/// Signs in from an HTTP request: the address, user agent and previous session cookie come
/// from `parts`. Returns the session and the `Set-Cookie` value to send. The REST API and the
/// sign-in page both call this.
pub async fn sign_in(
    state: &crate::ssr::AppState,
    parts: &axum::http::request::Parts,
    email: &str,
    password: &str,
    now: DateTime<Utc>,
) -> AppResult<(NewSession, String)> {
    let settings = crate::ssr::services::settings::load(&state.db).await?;
    let address = client_address(&parts.extensions);
    let user_agent = parts
        .headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let previous = cookie_value(&parts.headers, SESSION_COOKIE);
    let attempt = Attempt {
        email,
        password,
        address: &address,
        user_agent,
        previous: previous.as_deref(),
    };
    let s = login(&state.db, attempt, now, &settings).await?;
    let cookie = session_cookie(
        &s.secret,
        (s.expires_at - now).num_seconds(),
        state.config.secure_cookies,
    );
    Ok((s, cookie))
}

/// Ends the session of a request's cookie (if any) and returns the `Set-Cookie` value that
/// removes the cookie.
pub async fn sign_out(
    state: &crate::ssr::AppState,
    headers: &axum::http::HeaderMap,
    now: DateTime<Utc>,
) -> AppResult<String> {
    if let Some(secret) = cookie_value(headers, SESSION_COOKIE) {
        logout(&state.db, &secret, now).await?;
    }
    Ok(clear_session_cookie(state.config.secure_cookies))
}

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// The `Set-Cookie` value for a new session.
pub fn session_cookie(secret: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}

/// The bearer token of an `Authorization` header, if any.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let v = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Authenticates a request from its headers: a bearer token (which must be valid) or the
/// session cookie (an invalid or expired one just means "not signed in").
pub async fn authenticate(
    state: &crate::ssr::AppState,
    headers: &axum::http::HeaderMap,
    now: DateTime<Utc>,
) -> AppResult<Auth> {
    let (db, writer) = (&state.reader, &state.db);
    if let Some(token) = bearer(headers) {
        return match token_actor(db, writer, token, now).await? {
            Some(actor) => Ok(Auth(Some(actor))),
            None => Err(AppError::Unauthorized {
                message: "the API token is invalid, expired or revoked".into(),
            }),
        };
    }
    match cookie_value(headers, SESSION_COOKIE) {
        Some(secret) => {
            let settings = state.settings.get(db).await?;
            Ok(Auth(
                session_actor(db, writer, &secret, now, &settings).await?,
            ))
        }
        None => Ok(Auth(None)),
    }
}

/// Whether a state-changing request may proceed: bearer-token requests always (they cannot
/// be forged by another site); others only with positive evidence of coming from this site:
/// `Sec-Fetch-Site: same-origin` (or `none`, typed by the user), or an `Origin` equal to the
/// public origin or to the request's own host. Cross-site or unknown provenance is refused.
pub fn same_origin_write(headers: &axum::http::HeaderMap, public_origin: &str) -> bool {
    use axum::http::header::{HOST, ORIGIN};
    if bearer(headers).is_some() {
        return true;
    }
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if matches!(fetch_site, Some("cross-site") | Some("same-site")) {
        return false;
    }
    match headers.get(ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) => {
            let origin = origin.trim_end_matches('/');
            let host = headers
                .get(HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let host_part = origin.split_once("://").map(|(_, h)| h).unwrap_or("");
            origin.eq_ignore_ascii_case(public_origin)
                || (!host.is_empty() && host_part.eq_ignore_ascii_case(host))
        }
        None => matches!(fetch_site, Some("same-origin") | Some("none")),
    }
}

/// The client's address for rate limiting: the peer address of the connection.
pub fn client_address(parts_ext: &axum::http::Extensions) -> String {
    parts_ext
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue};

    fn h(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.append(*k, HeaderValue::from_static(v));
        }
        m
    }

    #[test]
    fn same_origin_rules() {
        let own = "http://127.0.0.1:3000";
        assert!(same_origin_write(
            &h(&[("origin", "http://127.0.0.1:3000")]),
            own
        ));
        assert!(same_origin_write(
            &h(&[
                ("origin", "http://localhost:3000"),
                ("host", "localhost:3000")
            ]),
            own
        ));
        assert!(same_origin_write(
            &h(&[("sec-fetch-site", "same-origin")]),
            own
        ));
        assert!(same_origin_write(
            &h(&[
                ("authorization", "Bearer hs_x"),
                ("origin", "https://evil.example")
            ]),
            own
        ));
        assert!(!same_origin_write(
            &h(&[
                ("origin", "https://evil.example"),
                ("host", "127.0.0.1:3000")
            ]),
            own
        ));
        assert!(!same_origin_write(
            &h(&[
                ("sec-fetch-site", "cross-site"),
                ("origin", "http://127.0.0.1:3000")
            ]),
            own
        ));
        assert!(!same_origin_write(
            &h(&[("sec-fetch-site", "same-site")]),
            own
        ));
        assert!(
            !same_origin_write(&h(&[]), own),
            "no evidence at all is refused"
        );
        assert!(!same_origin_write(&h(&[("origin", "null")]), own));
    }

    #[test]
    fn cookies_and_bearer_are_parsed() {
        let m = h(&[("cookie", "a=1; hindsight_session=abc; b=2")]);
        assert_eq!(cookie_value(&m, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(
            bearer(&h(&[("authorization", "Bearer hs_tok")])),
            Some("hs_tok")
        );
        assert_eq!(bearer(&h(&[("authorization", "Basic xyz")])), None);
        let c = session_cookie("s", 60, true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Secure"));
        assert!(!session_cookie("s", 60, false).contains("Secure"));
    }
}
