//! Test harness: databases for service tests (in-memory SQLite, and a fresh PostgreSQL
//! database per test when `TEST_DATABASE_URL` is set), and the pieces of the browser tests.

pub mod bench_history;
pub mod browser;
pub mod receiver;
pub mod seed;
pub mod sse;
pub mod trackers;

/// What the benchmark binaries share.
pub mod bench {
    /// The `p` quantile (nearest rank) of `v`, e.g. 0.5 for the median.
    pub fn pct(mut v: Vec<f64>, p: f64) -> f64 {
        v.sort_by(|a, b| a.total_cmp(b));
        let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
        v[rank - 1]
    }

    /// The database a benchmark runs on: `url` when given, else a fresh SQLite file
    /// `hindsight-bench-NAME-PID.db` in the temporary folder (returned, to remove at the end).
    pub fn database(url: Option<String>, name: &str) -> (String, Option<std::path::PathBuf>) {
        match url {
            Some(u) => (u, None),
            None => {
                let path = std::env::temp_dir()
                    .join(format!("hindsight-bench-{name}-{}.db", std::process::id()));
                let _ = std::fs::remove_file(&path);
                (format!("sqlite://{}?mode=rwc", path.display()), Some(path))
            }
        }
    }
}
pub mod metrics_ref;

use std::sync::atomic::{AtomicU32, Ordering};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

/// A migrated in-memory SQLite database.
pub async fn sqlite_db() -> DatabaseConnection {
    app::ssr::db::connect_and_migrate("sqlite::memory:")
        .await
        .expect("in-memory SQLite opens and migrates")
}

/// A fresh PostgreSQL database, dropped again when this value goes away.
pub struct PgTestDb {
    pub db: DatabaseConnection,
    base_url: String,
    name: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let scheme_end = head.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match head[scheme_end..].find('/') {
        Some(i) => &head[..scheme_end + i],
        None => head,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl PgTestDb {
    /// A new, migrated database on the server of `TEST_DATABASE_URL`, or `None` without it.
    pub async fn create() -> Option<Self> {
        let base_url = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|s| !s.is_empty())?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "hs_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            nanos
        );
        let admin = Database::connect(&base_url)
            .await
            .expect("TEST_DATABASE_URL is reachable");
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("test database can be created");
        admin.close().await.ok();
        let db = app::ssr::db::connect_and_migrate(&with_database(&base_url, &name))
            .await
            .expect("test database migrates");
        Some(Self { db, base_url, name })
    }

    /// The URL of this database (for a second process on it).
    pub fn url(&self) -> String {
        with_database(&self.base_url, &self.name)
    }
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        let base_url = self.base_url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime: do the async clean-up on a thread of its own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(admin) = Database::connect(&base_url).await {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

/// Two pools on one database, as two processes have: a SQLite file, or a fresh PostgreSQL
/// database. For the rules that must hold between processes (races, claims, locks).
pub struct TwoPools {
    pub a: DatabaseConnection,
    pub b: DatabaseConnection,
    file: Option<std::path::PathBuf>,
    pg: Option<PgTestDb>,
}

impl TwoPools {
    /// A migrated SQLite file named after `name` (in-memory databases are one per connection).
    pub async fn sqlite(name: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path =
            std::env::temp_dir().join(format!("hindsight-{name}-{}-{n}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let a = app::ssr::db::connect_and_migrate(&url)
            .await
            .expect("SQLite file opens and migrates");
        let b = app::ssr::db::connect(&url)
            .await
            .expect("second pool opens");
        Self {
            a,
            b,
            file: Some(path),
            pg: None,
        }
    }

    /// A fresh PostgreSQL database with a second pool of its own, or `None` without
    /// `TEST_DATABASE_URL` (the caller says it was skipped).
    pub async fn postgres() -> Option<Self> {
        let pg = PgTestDb::create().await?;
        let options = (*pg.db.get_postgres_connection_pool().connect_options()).clone();
        let pool = sea_orm::sqlx::postgres::PgPoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .expect("second pool opens");
        Some(Self {
            a: pg.db.clone(),
            b: sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(pool),
            file: None,
            pg: Some(pg),
        })
    }
}

/// A migrated SQLite file with the server's two pools on it: the one writer and the
/// read-only readers (`db::connect_reader`). Removed when dropped.
pub struct FileDb {
    pub db: DatabaseConnection,
    pub reader: DatabaseConnection,
    path: std::path::PathBuf,
}

impl FileDb {
    pub async fn new(name: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path =
            std::env::temp_dir().join(format!("hindsight-{name}-{}-{n}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let db = app::ssr::db::connect_and_migrate(&url)
            .await
            .expect("SQLite file opens and migrates");
        let reader = app::ssr::db::connect_reader(&url, &db)
            .await
            .expect("the readers open");
        Self { db, reader, path }
    }

    /// The site's state over the two pools.
    pub fn state(&self) -> app::ssr::AppState {
        http::state_with(self.db.clone(), self.reader.clone())
    }
}

impl Drop for FileDb {
    fn drop(&mut self) {
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", self.path.display()));
        }
    }
}

impl Drop for TwoPools {
    fn drop(&mut self) {
        drop(self.pg.take());
        if let Some(path) = &self.file {
            for ext in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
            }
        }
    }
}

/// Runs the same test body on in-memory SQLite and, when `TEST_DATABASE_URL` is set, on a
/// fresh PostgreSQL database; without it the PostgreSQL half says it was skipped.
#[macro_export]
macro_rules! db_test {
    ($name:ident, |$db:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let $db = $crate::sqlite_db().await;
                $body
            }

            #[tokio::test]
            async fn postgres() {
                let Some(pg) = $crate::PgTestDb::create().await else {
                    eprintln!("skipped: TEST_DATABASE_URL is not set, so the PostgreSQL half did not run");
                    return;
                };
                let $db = pg.db.clone();
                $body
                drop(pg);
            }
        }
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_names_are_replaced_in_urls() {
        assert_eq!(
            super::with_database("postgres://u:p@localhost:5432/base?sslmode=disable", "x"),
            "postgres://u:p@localhost:5432/x?sslmode=disable"
        );
        assert_eq!(
            super::with_database("postgres://u@h/base", "y"),
            "postgres://u@h/y"
        );
        assert_eq!(
            super::with_database("postgres://u@h", "z"),
            "postgres://u@h/z"
        );
    }
}

/// Calling the real router in-process, as a browser or an API client would.
pub mod http {
    use axum::body::Body;
    use axum::http::{Method, Request, StatusCode, header};
    use serde_json::Value;
    use tower::ServiceExt;

    /// The origin the test site believes it is served from.
    pub const ORIGIN: &str = "http://hindsight.test";

    /// The site's state over `db` (its reader is the same pool), as the server builds it.
    pub fn state(db: sea_orm::DatabaseConnection) -> app::ssr::AppState {
        let reader = db.clone();
        state_with(db, reader)
    }

    /// The site's state over a writer `db` and a separate `reader`, as the server builds it
    /// for a SQLite file.
    pub fn state_with(
        db: sea_orm::DatabaseConnection,
        reader: sea_orm::DatabaseConnection,
    ) -> app::ssr::AppState {
        // Tracker credentials are sealed with the process's key, as the server installs it.
        app::ssr::secretbox::install(app::ssr::secretbox::SecretKey::generate());
        let options = leptos::config::LeptosOptions::builder()
            .output_name("hindsight")
            .site_root("target/site")
            .build();
        app::ssr::AppState {
            leptos_options: options,
            live: app::ssr::live::Hub::new(db.clone()),
            http: app::ssr::http_client().expect("an HTTP client"),
            reader,
            db,
            settings: app::ssr::services::settings::Cache::default(),
            labels: app::ssr::services::incident::LabelsCache::default(),
            config: std::sync::Arc::new(app::ssr::RuntimeConfig::new(ORIGIN)),
        }
    }

    /// A client: the router plus the credentials it sends.
    #[derive(Clone)]
    pub struct Client {
        pub app: axum::Router,
        pub cookie: Option<String>,
        pub token: Option<String>,
        /// `Origin` sent with writes (the site's own unless a test changes it).
        pub origin: Option<String>,
    }

    /// An answer: status, headers and body (as JSON, `Null` when it is none, and as text).
    pub struct Reply {
        pub status: StatusCode,
        pub headers: axum::http::HeaderMap,
        pub body: Value,
        /// The body as text (for the non-JSON answers: exports, pages).
        pub text: String,
    }

    impl Reply {
        /// The session secret from a `Set-Cookie`, if one was set.
        pub fn session_cookie(&self) -> Option<String> {
            self.headers
                .get_all(header::SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(|v| {
                    v.strip_prefix("hindsight_session=")
                        .map(|r| r.split(';').next().unwrap_or("").to_owned())
                })
        }
        pub fn set_cookie_header(&self) -> String {
            self.headers
                .get(header::SET_COOKIE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        }
    }

    impl Client {
        pub fn new(db: sea_orm::DatabaseConnection) -> Self {
            Self::over(state(db))
        }
        /// A client of the site over `state`.
        pub fn over(state: app::ssr::AppState) -> Self {
            Self {
                app: hindsight::web::router(state),
                cookie: None,
                token: None,
                origin: Some(ORIGIN.into()),
            }
        }
        pub fn with_token(&self, token: &str) -> Self {
            Self {
                token: Some(token.to_owned()),
                cookie: None,
                ..self.clone()
            }
        }
        pub fn with_cookie(&self, cookie: &str) -> Self {
            Self {
                cookie: Some(cookie.to_owned()),
                token: None,
                ..self.clone()
            }
        }
        pub fn anonymous(&self) -> Self {
            Self {
                cookie: None,
                token: None,
                ..self.clone()
            }
        }

        pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
            let mut req = Request::builder().method(method.clone()).uri(path);
            if let Some(c) = &self.cookie {
                req = req.header(header::COOKIE, format!("hindsight_session={c}"));
            }
            if let Some(t) = &self.token {
                req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
            }
            if method != Method::GET
                && let Some(o) = &self.origin
            {
                req = req.header(header::ORIGIN, o);
            }
            let req = match body {
                Some(b) => req
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(b.to_string())),
                None => req.body(Body::empty()),
            }
            .unwrap();
            let res = self.app.clone().oneshot(req).await.unwrap();
            let status = res.status();
            let headers = res.headers().clone();
            let bytes = axum::body::to_bytes(res.into_body(), 8 << 20)
                .await
                .unwrap();
            let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            Reply {
                status,
                headers,
                body,
                text: String::from_utf8_lossy(&bytes).into_owned(),
            }
        }
        pub async fn get(&self, path: &str) -> Reply {
            self.send(Method::GET, path, None).await
        }
        pub async fn post(&self, path: &str, body: Value) -> Reply {
            self.send(Method::POST, path, Some(body)).await
        }
        pub async fn put(&self, path: &str, body: Value) -> Reply {
            self.send(Method::PUT, path, Some(body)).await
        }
        pub async fn patch(&self, path: &str, body: Value) -> Reply {
            self.send(Method::PATCH, path, Some(body)).await
        }
        pub async fn delete(&self, path: &str) -> Reply {
            self.send(Method::DELETE, path, None).await
        }

        /// Signs in and returns a client carrying the session cookie.
        pub async fn login(&self, email: &str, password: &str) -> Client {
            let r = self
                .anonymous()
                .post(
                    "/api/v1/session",
                    serde_json::json!({"email": email, "password": password}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "sign-in of {email}: {}", r.body);
            self.with_cookie(&r.session_cookie().expect("a session cookie"))
        }
    }

    /// Creates a user with a password straight through the service (as the system).
    pub async fn user(db: &sea_orm::DatabaseConnection, email: &str, role: app::domain::Role) {
        app::ssr::services::users::create(
            db,
            &app::ssr::auth::Actor::system(),
            app::model::NewUser {
                email: email.into(),
                name: email.split('@').next().unwrap_or("x").into(),
                role,
                password: Some(PASSWORD.into()),
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    }

    /// The password [`user`] gives everyone.
    pub const PASSWORD: &str = "correct horse battery staple";

    /// Creates a user with `role` and returns a client signed in as them.
    pub async fn signed_in(
        db: &sea_orm::DatabaseConnection,
        email: &str,
        role: app::domain::Role,
    ) -> Client {
        user(db, email, role).await;
        Client::new(db.clone()).login(email, PASSWORD).await
    }

    /// Creates every user first, then signs each in, in order, on one router.
    pub async fn all_signed_in<const N: usize>(
        db: &sea_orm::DatabaseConnection,
        people: [(&str, app::domain::Role); N],
    ) -> [Client; N] {
        for (email, role) in people {
            user(db, email, role).await;
        }
        let c = Client::new(db.clone());
        let mut out = Vec::with_capacity(N);
        for (email, _) in people {
            out.push(c.login(email, PASSWORD).await);
        }
        out.try_into()
            .unwrap_or_else(|_| unreachable!("one client per user"))
    }

    /// `ic@example.org`, a responder, signed in.
    pub async fn responder(db: &sea_orm::DatabaseConnection) -> Client {
        signed_in(db, "ic@example.org", app::domain::Role::Responder).await
    }

    /// `admin@example.org`, an admin, signed in.
    pub async fn admin(db: &sea_orm::DatabaseConnection) -> Client {
        signed_in(db, "admin@example.org", app::domain::Role::Admin).await
    }

    /// The field the first error of a refusal names, or "" when it names none.
    pub fn field(r: &Reply) -> &str {
        r.body["error"]["fields"][0]["field"].as_str().unwrap_or("")
    }

    /// Checks that `r`, the answer to sending `body`, is a 422 naming `name` first.
    pub fn assert_refused(r: &Reply, body: &Value, name: &str) {
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.body
        );
        assert_eq!(field(r), name, "{body}: {}", r.body);
    }

    /// The `key` of every item of a list answer (`{"items": [...]}`), in order.
    pub fn item_keys(page: &Value) -> Vec<String> {
        column(&page["items"], "key")
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    /// The string `name` of every row of a JSON array, in order (panics on a row without it).
    pub fn column<'a>(rows: &'a Value, name: &str) -> Vec<&'a str> {
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| r[name].as_str().unwrap())
            .collect()
    }

    /// POSTs raw `body` to `path` with `headers` and nothing else (no session, no Origin), as
    /// a sender of webhooks does.
    pub async fn raw_post(
        c: &Client,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Reply {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json");
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let res = c
            .app
            .clone()
            .oneshot(req.body(Body::from(body.to_vec())).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        Reply {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// POSTs `body` to `path`, checks that the answer is `201 Created` and returns its body.
    pub async fn created(c: &Client, path: &str, body: Value) -> Value {
        let r = c.post(path, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body
    }

    /// POSTs `body` to `path`, checks that the answer is a success and returns its body.
    pub async fn post_ok(c: &Client, path: &str, body: Value) -> Value {
        let r = c.post(path, body).await;
        assert!(r.status.is_success(), "{path}: {} {}", r.status, r.body);
        r.body
    }

    /// Declares an incident through the API (checking the `201`) and returns it.
    /// Creates an action from `body` and returns its key.
    pub async fn action_key(c: &Client, body: Value) -> String {
        created(c, "/api/v1/actions", body).await["key"]
            .as_str()
            .expect("the created action has a key")
            .to_owned()
    }

    pub async fn declare(c: &Client, body: Value) -> Value {
        created(c, "/api/v1/incidents", body).await
    }

    /// Declares an incident through the API (checking the `201`) and returns its key.
    pub async fn declare_key(c: &Client, body: Value) -> String {
        declare(c, body).await["key"].as_str().unwrap().to_owned()
    }
}

/// Checks HTML the way a browser would read it.
pub mod html {
    /// Parses the output as a browser would (html5ever) and checks every element and attribute
    /// against what the renderer may write: no script element, no event attribute, no style,
    /// and every URL http, https or mailto.
    pub fn assert_inert(html: &str, source: &str) {
        const TAGS: &[&str] = &[
            "html",
            "head",
            "body",
            "p",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "em",
            "strong",
            "del",
            "code",
            "pre",
            "blockquote",
            "ul",
            "ol",
            "li",
            "a",
            "img",
            "hr",
            "br",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "input",
            "div",
            "sup",
            "span",
        ];
        const ATTRS: &[&str] = &[
            "href", "src", "alt", "title", "type", "checked", "disabled", "start", "id", "class",
            "align",
        ];
        let doc = scraper::Html::parse_fragment(html);
        for node in doc.tree.nodes() {
            let Some(el) = node.value().as_element() else {
                continue;
            };
            let name = el.name();
            assert!(TAGS.contains(&name), "<{name}> from {source:?}: {html}");
            for (attr, value) in el.attrs() {
                assert!(
                    ATTRS.contains(&attr) && !attr.starts_with("on"),
                    "attribute {attr} on <{name}> from {source:?}: {html}"
                );
                if attr == "href" || attr == "src" {
                    // Footnote references point inside the document.
                    let fragment = attr == "href" && value.starts_with('#');
                    assert!(
                        fragment || app::markdown::safe_url(value),
                        "{attr}={value:?} from {source:?}"
                    );
                }
                if attr == "type" {
                    assert_eq!(value, "checkbox", "from {source:?}");
                }
                if attr == "class" {
                    assert!(
                        value.starts_with("footnote")
                            || (value.starts_with("language-")
                                && value[9..]
                                    .chars()
                                    .all(|c| c.is_alphanumeric() || "+-_#.".contains(c))),
                        "class={value} from {source:?}"
                    );
                }
            }
            if name == "input" {
                assert!(
                    el.attr("disabled").is_some(),
                    "a live input from {source:?}"
                );
            }
        }
    }
}

/// A generated `hindsight/v1` document covering every status, kind and optional field, for
/// the round-trip tests and the import benchmark.
pub mod transfer_data {
    use std::collections::BTreeMap;

    use app::domain::{
        ActionKind, ActionStatus, EventKind, IncidentStatus, KnownErrorStatus, PostmortemStatus,
        Priority, Role, RootCauseCategory, Severity, VerificationResult, Visibility,
    };
    use app::model::{Approval, ContributingFactor};
    use app::transfer::{
        ActionRecord, Document, EventRecord, FORMAT, IncidentRecord, KnownErrorRecord,
        PostmortemRecord, UserRecord, VerificationRecord,
    };
    use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

    struct Lcg(u64);
    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % n.max(1)
        }
    }

    fn pick<T: Copy>(all: &[T], i: usize) -> T {
        all[i % all.len()]
    }

    pub const N_USERS: usize = 24;

    pub fn email(i: usize) -> String {
        format!("user{}@example.org", i % N_USERS)
    }

    /// `incidents` incidents (with 2–6 timeline events each, a postmortem on most),
    /// `incidents / 10` known errors and `actions` actions.
    pub fn document(incidents: usize, actions: usize) -> Document {
        let mut rng = Lcg(7);
        let base: DateTime<Utc> = Utc.with_ymd_and_hms(2025, 1, 6, 9, 0, 0).unwrap();
        let users: Vec<UserRecord> = (0..N_USERS)
            .map(|i| UserRecord {
                email: email(i),
                name: if i % 5 == 0 {
                    format!("Zoë Ångström-{i} 山田")
                } else {
                    format!("User {i}")
                },
                role: pick(Role::ALL, i),
                active: i % 11 != 3,
            })
            .collect();
        let mut incs = Vec::with_capacity(incidents);
        for i in 0..incidents {
            let seq = i + 1;
            let severity = pick(Severity::ALL, i / 5);
            let status = pick(IncidentStatus::ALL, i);
            let detected = base + Duration::minutes(37 * i as i64);
            let resolved = matches!(status, IncidentStatus::Resolved | IncidentStatus::Closed)
                .then(|| detected + Duration::minutes(45 + rng.below(600) as i64));
            let closed =
                (status == IncidentStatus::Closed).then(|| resolved.unwrap() + Duration::hours(30));
            let n_events = 2 + rng.below(5) as usize;
            let mut timeline: Vec<EventRecord> = (0..n_events)
                .map(|e| EventRecord {
                    // Two events share a time: their order must survive.
                    occurred_at: detected + Duration::minutes((e as i64 / 2) * 7),
                    kind: pick(EventKind::ALL, i + e),
                    body: format!("Event {e} of INC-{seq}: *markdown* — ünïcödé ✓ \"quoted\""),
                    visibility: pick(Visibility::ALL, e),
                    author: (e % 3 != 2).then(|| email(i + e)),
                    created_at: Some(detected + Duration::minutes(e as i64 * 7 + 1)),
                })
                .collect();
            timeline.sort_by_key(|e| e.occurred_at);
            let pm_status = if status == IncidentStatus::Closed && severity.requires_postmortem() {
                Some(PostmortemStatus::Published)
            } else if i % 4 == 3 {
                None
            } else {
                Some(pick(PostmortemStatus::ALL, i / 4))
            };
            let postmortem = pm_status.map(|ps| {
                let reviewers = vec![email(i + 1), email(i + 2)];
                PostmortemRecord {
                    status: ps,
                    body: format!("## Summary\n\nINC-{seq} went wrong.\n"),
                    root_cause_category: (ps == PostmortemStatus::Published || i % 2 == 0)
                        .then(|| pick(RootCauseCategory::ALL, i)),
                    root_cause: if ps == PostmortemStatus::Published || i % 3 == 0 {
                        format!("Root cause of {seq}")
                    } else {
                        String::new()
                    },
                    five_whys: (0..(i % 4)).map(|w| format!("why {w}")).collect(),
                    contributing_factors: (0..(i % 3))
                        .map(|f| ContributingFactor {
                            category: pick(&["process", "monitoring", "testing"], f).into(),
                            description: format!("factor {f}"),
                        })
                        .collect(),
                    approvals: if ps == PostmortemStatus::InReview {
                        vec![Approval {
                            reviewer: reviewers[0].clone(),
                            approved_at: detected + Duration::days(2),
                        }]
                    } else {
                        Vec::new()
                    },
                    reviewers,
                    due_at: None,
                    published_at: (ps == PostmortemStatus::Published)
                        .then(|| detected + Duration::days(3)),
                    created_at: Some(detected + Duration::hours(2)),
                    updated_at: Some(detected + Duration::days(3)),
                }
            });
            let mut roles = BTreeMap::new();
            if i % 2 == 0 {
                roles.insert("scribe".to_owned(), email(i + 3));
            }
            if i % 3 == 0 {
                roles.insert("comms_lead".to_owned(), email(i + 4));
            }
            incs.push(IncidentRecord {
                key: format!("INC-{seq}"),
                title: if i % 7 == 0 {
                    format!("Zahlungen schlagen fehl — 決済 {seq}")
                } else {
                    format!("Checkout errors {seq}")
                },
                severity,
                status,
                summary: format!("Summary of {seq}"),
                customer_impact: if i % 2 == 0 {
                    "Customers could not pay.".into()
                } else {
                    String::new()
                },
                services: vec![
                    pick(&["api", "checkout", "payments", "search"], i).into(),
                    pick(&["db", "queue"], i).into(),
                ],
                commander: (i % 5 != 4).then(|| email(i)),
                roles,
                tags: if i % 3 == 0 {
                    vec!["customer-facing".into()]
                } else {
                    Vec::new()
                },
                started_at: (i % 2 == 0).then(|| detected - Duration::minutes(12)),
                detected_at: detected,
                acknowledged_at: (i % 3 != 1).then(|| detected + Duration::minutes(4)),
                mitigated_at: resolved.map(|r| r - Duration::minutes(20)),
                resolved_at: resolved,
                closed_at: closed,
                reopen_count: (i % 13 == 0) as i32,
                rca_due_at: None,
                created_by: Some(email(i)),
                created_at: Some(detected),
                updated_at: Some(closed.or(resolved).unwrap_or(detected)),
                timeline,
                postmortem,
                // Every fourth incident came from Alertmanager: one alert, resolved when it was.
                alerts: if i % 4 == 1 {
                    vec![app::transfer::AlertRecord {
                        source: app::domain::HookSource::Alertmanager,
                        hook: Some("prod-alertmanager".into()),
                        fingerprint: format!("{:016x}", 0xa1e7_0000_u64 + i as u64),
                        group_key: format!("{{}}:{{alertname=\"HighLatency{seq}\"}}"),
                        status: if resolved.is_some() {
                            app::domain::AlertStatus::Resolved
                        } else {
                            app::domain::AlertStatus::Firing
                        },
                        summary: Some(format!("p99 latency above 500ms ({seq})")),
                        labels: [
                            ("alertname".to_owned(), format!("HighLatency{seq}")),
                            ("severity".to_owned(), "critical".to_owned()),
                        ]
                        .into_iter()
                        .collect(),
                        annotations: BTreeMap::new(),
                        url: Some(format!("https://prometheus.example.org/graph?g={seq}")),
                        starts_at: detected,
                        first_seen_at: detected,
                        last_seen_at: resolved.unwrap_or(detected),
                        resolved_at: resolved,
                    }]
                } else {
                    Vec::new()
                },
            });
        }
        let n_kes = (incidents / 10).max(1);
        let kes: Vec<KnownErrorRecord> = (0..n_kes)
            .map(|k| {
                let status = pick(KnownErrorStatus::ALL, k);
                KnownErrorRecord {
                    key: format!("KE-{}", k + 1),
                    title: format!("Connection pool exhausted under load {k}"),
                    symptoms: "502 errors from checkout; timeouts in payments".into(),
                    root_cause: if k % 2 == 0 {
                        "Pool size too small".into()
                    } else {
                        String::new()
                    },
                    workaround: "Restart the **api** pods".into(),
                    status,
                    fix_version: matches!(
                        status,
                        KnownErrorStatus::FixScheduled | KnownErrorStatus::Fixed
                    )
                    .then(|| format!("v2.{k}")),
                    services: vec!["checkout".into()],
                    incidents: (0..(k % 4))
                        .map(|j| format!("INC-{}", (k * 10 + j * 3) % incidents + 1))
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect(),
                    created_by: Some(email(k)),
                    created_at: Some(base + Duration::hours(k as i64)),
                    updated_at: Some(base + Duration::hours(k as i64 + 1)),
                }
            })
            .collect();
        // Sort each list of linked incidents by key number, as exports do.
        let kes: Vec<KnownErrorRecord> = kes
            .into_iter()
            .map(|mut k| {
                k.incidents
                    .sort_by_key(|s| s.trim_start_matches("INC-").parse::<i64>().unwrap_or(0));
                k
            })
            .collect();
        let mut acts = Vec::with_capacity(actions);
        for a in 0..actions {
            let seq = a + 1;
            let created = base + Duration::minutes(11 * a as i64);
            let owner = a % 9 != 8;
            let kind = pick(ActionKind::ALL, a / 7);
            let required = kind.verification_required_by_default();
            // 0 open, 1 in progress, 2 done, 3 verified, 4 cancelled, 5 reopened after a
            // failed verification, 6 verified after a failed one.
            let shape = a % 7;
            let shape = if !required && matches!(shape, 3 | 5 | 6) {
                2
            } else {
                shape
            };
            let status = match shape {
                0 | 5 => ActionStatus::Open,
                1 => ActionStatus::InProgress,
                2 => ActionStatus::Done,
                3 | 6 => ActionStatus::Verified,
                _ => ActionStatus::Cancelled,
            };
            let completed = matches!(shape, 2 | 3 | 6).then(|| created + Duration::days(3));
            let verified = matches!(shape, 3 | 6).then(|| created + Duration::days(5));
            let mut verifications = Vec::new();
            if matches!(shape, 5 | 6) {
                verifications.push(VerificationRecord {
                    verified_by: email(a + 1),
                    verified_at: created + Duration::days(2),
                    result: VerificationResult::NotEffective,
                    evidence: "Errors came back — ❌".into(),
                });
            }
            if let Some(v) = verified {
                verifications.push(VerificationRecord {
                    verified_by: email(a + 1),
                    verified_at: v,
                    result: VerificationResult::Effective,
                    evidence: "Dashboards clean for a week".into(),
                });
            }
            acts.push(ActionRecord {
                key: format!("ACT-{seq}"),
                incident: (a % 6 != 5).then(|| format!("INC-{}", a % incidents.max(1) + 1)),
                known_error: (a % 5 == 0).then(|| format!("KE-{}", a % n_kes + 1)),
                title: format!("Add a canary stage {seq} ✓"),
                description: if a % 2 == 0 {
                    "Roll out to 5 % first.".into()
                } else {
                    String::new()
                },
                kind,
                priority: pick(Priority::ALL, a),
                owner: owner.then(|| email(a)),
                team: (a % 4 != 3).then(|| pick(&["payments", "platform", "search"], a).into()),
                due_date: (a % 3 != 2).then(|| {
                    NaiveDate::from_ymd_opt(2025, 3, 1).unwrap() + Duration::days((a % 400) as i64)
                }),
                status,
                completed_at: completed
                    .or((shape == 4 && a % 2 == 0).then(|| created + Duration::days(1))),
                verification_required: (a % 10 != 0).then_some(required),
                verification_plan: if required {
                    "Watch the error rate".into()
                } else {
                    String::new()
                },
                verification_due: (shape == 0 && a % 2 == 0)
                    .then(|| NaiveDate::from_ymd_opt(2026, 1, 15).unwrap()),
                verified_at: verified,
                verified_by: verified.map(|_| email(a + 1)),
                verification_result: verified.map(|_| VerificationResult::Effective),
                verification_evidence: verified.map(|_| "Dashboards clean for a week".into()),
                cancelled_reason: (shape == 4).then(|| "Superseded by ACT-1".into()),
                external_url: (a % 8 == 0)
                    .then(|| format!("https://jira.example.org/browse/OPS-{seq}")),
                reopen_count: matches!(shape, 5 | 6) as i32,
                verifications,
                created_by: Some(email(a + 2)),
                created_at: Some(created),
                updated_at: Some(created + Duration::days(6)),
            });
        }
        Document {
            format: FORMAT.into(),
            exported_at: None,
            settings: None,
            users,
            incidents: incs,
            known_errors: kes,
            actions: acts,
            comments: Vec::new(),
        }
    }
}
