//! Two real `hindsight serve` processes on one fresh PostgreSQL database, started at the same
//! moment: the migrations run once (the advisory lock makes the second process wait), and
//! the reminder jobs of both, ticking side by side against a slow local webhook receiver,
//! send each reminder exactly once. Skipped without `TEST_DATABASE_URL`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: failing loudly is the point

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::ssr::auth::{Actor, Via};
use app::ssr::entities::user;
use chrono::{Days, Utc};
use migrations::MigratorTrait;
use sea_orm::{ColumnTrait, ConnectionTrait, Database, EntityTrait, QueryFilter, Statement};
use serde_json::{Value, json};

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

/// An empty PostgreSQL database (no schema yet), dropped at the end.
struct FreshDb {
    base: String,
    name: String,
    url: String,
}

impl FreshDb {
    async fn create(tag: &str) -> Option<Self> {
        let base = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|s| !s.is_empty())?;
        let name = format!("hs_mp_{tag}_{}", std::process::id());
        let admin = Database::connect(&base).await.unwrap();
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await
            .unwrap();
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap();
        admin.close().await.ok();
        let url = with_database(&base, &name);
        Some(Self { base, name, url })
    }
}

impl Drop for FreshDb {
    fn drop(&mut self) {
        let (base, name) = (self.base.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(admin) = Database::connect(&base).await {
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

/// A `hindsight serve` child process, killed (by its own handle) when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Server {
    fn start(url: &str, tag: &str) -> Self {
        // A free port: bound, read and released again just before the server binds it.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let log =
            std::env::temp_dir().join(format!("hindsight-mp-{tag}-{}.log", std::process::id()));
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_hindsight"))
            .arg("serve")
            .env("DATABASE_URL", url)
            .env("HINDSIGHT_ADDR", addr.to_string())
            .env("HINDSIGHT_REMINDER_INTERVAL", "10")
            .env("HINDSIGHT_LOG", "info")
            .env("HINDSIGHT_LOG_FORMAT", "json")
            .env("LEPTOS_SITE_ROOT", std::env::temp_dir())
            .env_remove("RUST_LOG")
            .env_remove("HINDSIGHT_ADMIN_EMAIL")
            .env_remove("HINDSIGHT_ADMIN_PASSWORD")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        Self { child, addr, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn wait_ready(&mut self, http: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "the server exited ({status}) before it was ready:\n{}",
                    self.log()
                );
            }
            let url = format!("http://{}/healthz", self.addr);
            if let Ok(r) = http.get(&url).send().await
                && r.status().is_success()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "not ready in 90 s:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// A webhook receiver that records every POST body and answers slowly, so the two
/// processes' reminder runs overlap.
async fn receiver() -> (SocketAddr, Arc<Mutex<Vec<Value>>>) {
    use axum::routing::post;
    let got: Arc<Mutex<Vec<Value>>> = Default::default();
    let store = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |axum::Json(v): axum::Json<Value>| {
            let store = store.clone();
            async move {
                store.lock().unwrap().push(v);
                tokio::time::sleep(Duration::from_millis(300)).await;
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (addr, got)
}

/// The (action, kind) a reminder's Slack message is about, read from its `text`: the
/// `reminder_webhook_url` setting is a Slack channel, so the body is `text` plus `blocks`.
fn reminder_of(v: &Value) -> Option<(String, String)> {
    let text = v["text"].as_str()?;
    assert!(v["blocks"].is_array(), "{v}");
    let key = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .find(|w| w.starts_with("ACT-"))?
        .to_owned();
    let kind = if text.contains("verification is overdue") {
        "verification_overdue"
    } else if text.contains("needs verification by") {
        "verification_due_soon"
    } else if text.contains("is overdue") {
        "overdue"
    } else if text.contains("is due ") {
        "due_soon"
    } else {
        return None;
    };
    Some((key, kind.to_owned()))
}

/// Each migration's row in `seaql_migrations`, with how often it is there.
async fn migration_rows(db: &impl ConnectionTrait) -> BTreeMap<String, i64> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT version, COUNT(*) AS n FROM seaql_migrations GROUP BY version",
    ))
    .await
    .unwrap()
    .into_iter()
    .map(|r| {
        (
            r.try_get::<String>("", "version").unwrap(),
            r.try_get::<i64>("", "n").unwrap(),
        )
    })
    .collect()
}

/// Actions that need a reminder today (and two that need none), written through the
/// services as the system; returns the expected (action, kind) pairs.
async fn seed(db: &sea_orm::DatabaseConnection) -> Vec<(String, String)> {
    let system = Actor::system();
    let now = Utc::now();
    app::ssr::services::users::create(
        db,
        &system,
        serde_json::from_value(json!({
            "email": "owner@example.org", "name": "owner", "role": "responder",
            "password": "correct horse battery staple"
        }))
        .unwrap(),
        now,
    )
    .await
    .unwrap();
    // Transitions are made by a user: the owner, a responder.
    let owner = user::Entity::find()
        .filter(user::Column::Email.eq("owner@example.org"))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let responder = Actor::from_user(&owner, Via::System);
    let today = now.date_naive();
    let day = |d: i64| {
        if d >= 0 {
            today.checked_add_days(Days::new(d as u64)).unwrap()
        } else {
            today.checked_sub_days(Days::new((-d) as u64)).unwrap()
        }
        .to_string()
    };
    // (title, due date, verification due, done?, expected kind), days counted from today.
    type Planned = (&'static str, i64, Option<i64>, bool, Option<&'static str>);
    let plan: [Planned; 10] = [
        ("late one", -5, None, false, Some("overdue")),
        ("late two", -9, None, false, Some("overdue")),
        ("late three", -20, None, false, Some("overdue")),
        ("late four", -3, None, false, Some("overdue")),
        ("soon one", 1, None, false, Some("due_soon")),
        ("soon two", 0, None, false, Some("due_soon")),
        (
            "verify late",
            -30,
            Some(-4),
            true,
            Some("verification_overdue"),
        ),
        (
            "verify soon",
            -30,
            Some(1),
            true,
            Some("verification_due_soon"),
        ),
        ("far away", 20, None, false, None),
        ("verify later", -30, Some(25), true, None),
    ];
    let mut expected = Vec::new();
    for (title, due, verify, done, kind) in plan {
        let mut body = json!({"title": title, "owner": "owner@example.org", "due_date": day(due)});
        if let Some(v) = verify {
            body["verification_due"] = json!(day(v));
        }
        let a = app::ssr::services::action::create(
            db,
            &system,
            serde_json::from_value(body).unwrap(),
            now,
        )
        .await
        .unwrap();
        if done {
            app::ssr::services::action::transition(
                db,
                &responder,
                &a.key,
                serde_json::from_value(json!({"to": "done"})).unwrap(),
                now,
            )
            .await
            .unwrap();
        }
        if let Some(k) = kind {
            expected.push((a.key.clone(), k.to_owned()));
        }
    }
    expected.sort();
    expected
}

#[tokio::test]
async fn two_servers_migrate_once_and_send_each_reminder_once() {
    let Some(fresh) = FreshDb::create("serve").await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set, so the PostgreSQL test did not run");
        return;
    };
    let started = Instant::now();
    let (hook, got) = receiver().await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();

    // Both at once, on an empty database: both run the migrations at start.
    let mut a = Server::start(&fresh.url, "a");
    let mut b = Server::start(&fresh.url, "b");
    a.wait_ready(&http).await;
    b.wait_ready(&http).await;
    eprintln!("both servers ready after {:?}", started.elapsed());

    let db = app::ssr::db::connect(&fresh.url).await.unwrap();
    let rows = migration_rows(&db).await;
    let all: Vec<String> = migrations::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    assert_eq!(
        rows.len(),
        all.len(),
        "every migration is recorded: {rows:?}"
    );
    for name in &all {
        assert_eq!(rows.get(name), Some(&1), "{name} once: {rows:?}");
    }

    // Work for the reminder jobs, then the webhook that turns them on.
    let expected = seed(&db).await;
    let mut patch = serde_json::Map::new();
    patch.insert(
        "reminder_webhook_url".into(),
        json!(format!("http://{hook}/hook")),
    );
    app::ssr::services::settings::update(&db, &Actor::system(), patch, Utc::now())
        .await
        .unwrap();

    // Rounds every 10 s in each process: wait for every reminder, then two more rounds each.
    let deadline = Instant::now() + Duration::from_secs(45);
    while got.lock().unwrap().len() < expected.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "{} reminder(s) received after {:?}",
        got.lock().unwrap().len(),
        started.elapsed()
    );
    tokio::time::sleep(Duration::from_secs(21)).await;

    let mut received: Vec<(String, String)> = got
        .lock()
        .unwrap()
        .iter()
        .map(|v| reminder_of(v).unwrap_or_else(|| panic!("not a reminder: {v}")))
        .collect();
    received.sort();
    let (log_a, log_b) = (a.log(), b.log());
    assert_eq!(
        received, expected,
        "each reminder exactly once\n--- a ---\n{log_a}\n--- b ---\n{log_b}"
    );
    let claims = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM reminders_sent",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(claims as usize, expected.len(), "one claim per reminder");
    // One message per reminder in the outbox, each delivered in one attempt.
    let outbox = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT status, attempts FROM deliveries",
        ))
        .await
        .unwrap();
    assert_eq!(outbox.len(), expected.len(), "one message per reminder");
    for row in &outbox {
        assert_eq!(row.try_get::<String>("", "status").unwrap(), "delivered");
        assert_eq!(row.try_get::<i32>("", "attempts").unwrap(), 1);
    }
    // Both processes are still up: neither crashed on the other's work.
    assert!(a.child.try_wait().unwrap().is_none(), "{log_a}");
    assert!(b.child.try_wait().unwrap().is_none(), "{log_b}");
    let sent_by = |log: &str| -> usize {
        log.lines()
            .filter(|l| l.contains("deadline reminders queued"))
            .filter_map(|l| l.split("\"reminders\":").nth(1))
            .filter_map(|n| {
                let digits: String = n.chars().take_while(char::is_ascii_digit).collect();
                digits.parse::<usize>().ok()
            })
            .sum()
    };
    eprintln!(
        "process a queued {}, process b queued {}",
        sent_by(&log_a),
        sent_by(&log_b)
    );
    let waited = [&log_a, &log_b]
        .iter()
        .filter(|l| l.contains("another process is migrating"))
        .count();
    eprintln!(
        "{waited} process(es) waited for the other's migrations; done in {:?}",
        started.elapsed()
    );
    db.close().await.ok();
    drop((a, b));
    drop(fresh);
}

#[tokio::test]
async fn concurrent_migrations_apply_each_migration_once() {
    let Some(fresh) = FreshDb::create("migrate").await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set, so the PostgreSQL test did not run");
        return;
    };
    let started = Instant::now();
    // Four pools, four migrators at once on an empty database.
    let mut pools = Vec::new();
    for _ in 0..4 {
        pools.push(app::ssr::db::connect(&fresh.url).await.unwrap());
    }
    let mut set = tokio::task::JoinSet::new();
    for p in &pools {
        let db = p.clone();
        set.spawn(async move { app::ssr::db::migrate(&db).await });
    }
    let results = set.join_all().await;
    assert!(
        results.iter().all(Result::is_ok),
        "every migrator succeeds: {results:?}"
    );
    let rows = migration_rows(&pools[0]).await;
    let all = migrations::Migrator::migrations();
    assert_eq!(rows.len(), all.len(), "{rows:?}");
    assert!(
        rows.values().all(|&n| n == 1),
        "each migration once: {rows:?}"
    );
    assert!(
        app::ssr::db::pending_migrations(&pools[0])
            .await
            .unwrap()
            .is_empty()
    );
    for p in pools {
        p.close().await.ok();
    }
    eprintln!("four concurrent migrators done in {:?}", started.elapsed());
    drop(fresh);
}
