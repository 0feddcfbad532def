//! Benchmark: the pages and answers people open most, under load, beside a bare axum server
//! in the same run — req/s, p50 and p99 of each and the ratio to bare axum.
//!
//! `cargo build --release -p hindsight && cargo run -p tests --release --bin bench-pages [-- N]`
//!
//! It generates a history of N incidents (default 100 000, with 10 timeline events and 3
//! actions each; the data set of `bench-metrics`) into a SQLite file (`BENCH_DB=PATH` keeps and
//! reuses one: generating takes minutes), starts `target/release/hindsight serve` over it and
//! a bare axum 0.8 server, and loads each row for `BENCH_SECONDS` (default 10) with 16
//! connections: `wrk -t2 -c16` when wrk is installed, else a Rust client in this process.
//! Then the pages again while a second `hindsight` process imports 20 000 incidents into a
//! database of its own on the same disk and a writer adds a timeline event every 20 ms (50/s)
//! to the incident next to the measured one: their p99 should stay under 50 ms.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: failing loudly is the point

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use app::ssr::auth::Actor;
use chrono::Utc;
use sea_orm::{ConnectionTrait, Statement};
use tests::bench::pct;

const USER: &str = "bench@example.org";
const PASSWORD: &str = "bench pages password";

/// What one load run measured.
#[derive(Clone, Copy)]
struct Figures {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Kills the server when the benchmark ends, however it ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn on_path(name: &str) -> bool {
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .any(|d| Path::new(d).join(name).is_file())
}

/// `wrk -t2 -c16 -d{secs}s --latency`, its req/s and latency percentiles.
fn wrk(url: &str, cookie: &str, secs: u64) -> Figures {
    let out = Command::new("wrk")
        // A slow answer is measured, not dropped as a timeout (wrk's default is 2 s).
        .args([
            "-t2",
            "-c16",
            &format!("-d{secs}s"),
            "--timeout",
            "30s",
            "--latency",
        ])
        .args(["-H", &format!("Cookie: {cookie}")])
        .arg(url)
        .output()
        .expect("wrk runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let ms = |s: &str| -> f64 {
        let s = s.trim();
        if let Some(v) = s.strip_suffix("us") {
            v.parse::<f64>().unwrap_or(f64::NAN) / 1000.0
        } else if let Some(v) = s.strip_suffix("ms") {
            v.parse().unwrap_or(f64::NAN)
        } else if let Some(v) = s.strip_suffix('s') {
            v.parse::<f64>().unwrap_or(f64::NAN) * 1000.0
        } else {
            f64::NAN
        }
    };
    let mut f = Figures {
        rps: f64::NAN,
        p50_ms: f64::NAN,
        p99_ms: f64::NAN,
    };
    for line in text.lines() {
        let l = line.trim();
        if let Some(v) = l.strip_prefix("Requests/sec:") {
            f.rps = v.trim().parse().unwrap_or(f64::NAN);
        } else if let Some(v) = l.strip_prefix("50%") {
            f.p50_ms = ms(v);
        } else if let Some(v) = l.strip_prefix("99%") {
            f.p99_ms = ms(v);
        } else if l.starts_with("Non-2xx") {
            eprintln!("  {url}: {l}");
        }
    }
    f
}

/// The same with 16 tasks of a keep-alive client in this process (when wrk is missing).
async fn rust_load(url: &str, cookie: &str, secs: u64) -> Figures {
    let client = reqwest::Client::new();
    let until = Instant::now() + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (client, url, cookie) = (client.clone(), url.to_owned(), cookie.to_owned());
            tokio::spawn(async move {
                let mut took = Vec::new();
                while Instant::now() < until {
                    let t = Instant::now();
                    let r = client.get(&url).header("cookie", &cookie).send().await;
                    if let Ok(r) = r {
                        let ok = r.status().is_success();
                        let _ = r.bytes().await;
                        if ok {
                            took.push(t.elapsed().as_secs_f64() * 1000.0);
                        }
                    }
                }
                took
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    Figures {
        rps: all.len() as f64 / secs as f64,
        p50_ms: pct(all.clone(), 0.5),
        p99_ms: pct(all, 0.99),
    }
}

async fn load(url: &str, cookie: &str, secs: u64) -> Figures {
    if on_path("wrk") {
        let (url, cookie) = (url.to_owned(), cookie.to_owned());
        tokio::task::spawn_blocking(move || wrk(&url, &cookie, secs))
            .await
            .unwrap()
    } else {
        rust_load(url, cookie, secs).await
    }
}

/// A bare axum server: `/` says hello, `/json` answers 50 small rows.
async fn bare_axum() -> u16 {
    use axum::{Json, Router, routing::get};
    #[derive(serde::Serialize)]
    struct Row {
        id: u32,
        key: String,
        title: &'static str,
        status: &'static str,
    }
    let rows = || {
        Json(
            (1..=50)
                .map(|id| Row {
                    id,
                    key: format!("ACT-{id}"),
                    title: "Add a canary stage to the checkout deploy",
                    status: "open",
                })
                .collect::<Vec<_>>(),
        )
    };
    let app = Router::new()
        .route("/", get(|| async { "Hello, World!" }))
        .route("/json", get(move || async move { rows() }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}

/// The server under test: `HINDSIGHT_BIN` (e.g. the `profiling` build, to record a profile
/// of it under load), else the release build.
fn release_binary() -> PathBuf {
    let bin = std::env::var_os("HINDSIGHT_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/hindsight"),
        PathBuf::from,
    );
    assert!(
        bin.is_file(),
        "{} is missing: cargo build --release -p hindsight",
        bin.display()
    );
    bin
}

/// `hindsight serve` over `db_url`, waiting until it answers.
async fn serve(db_url: &str, dir: &Path) -> (Guard, u16) {
    let port = free_port();
    let site = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site");
    let child = Command::new(release_binary())
        .arg("serve")
        .env("HINDSIGHT_ADDR", format!("127.0.0.1:{port}"))
        .env("HINDSIGHT_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("DATABASE_URL", db_url)
        .env("LEPTOS_SITE_ROOT", &site)
        .env("HINDSIGHT_LOG", "warn")
        .current_dir(dir)
        .stdout(Stdio::null())
        .spawn()
        .expect("the release server starts");
    let guard = Guard(child);
    let started = Instant::now();
    let http = reqwest::Client::new();
    loop {
        let up = http
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if up {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "server up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("server up in {} ms", started.elapsed().as_millis());
    (guard, port)
}

/// Signs the benchmark's user in; its session cookie.
async fn sign_in(port: u16) -> String {
    let origin = format!("http://127.0.0.1:{port}");
    let r = reqwest::Client::new()
        .post(format!("{origin}/api/v1/session"))
        .header("origin", &origin)
        .json(&serde_json::json!({"email": USER, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "sign-in: {}", r.status());
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{}=", app::ssr::auth::SESSION_COOKIE)))
        .expect("a session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

fn row(name: &str, f: Figures, bare: Option<Figures>) {
    let ratio = bare.map_or(String::new(), |b| format!("{:.1}%", 100.0 * f.rps / b.rps));
    println!(
        "{name:<44} {:>10.0} {:>9.2} {:>9.2} {ratio:>10}",
        f.rps, f.p50_ms, f.p99_ms
    );
}

fn header(what: &str) {
    println!(
        "\n{what:<44} {:>10} {:>9} {:>9} {:>10}",
        "req/s", "p50 ms", "p99 ms", "of bare"
    );
}

#[tokio::main]
async fn main() {
    let n: i64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let secs: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let dir = std::env::temp_dir().join(format!("hindsight-bench-pages-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db_file = std::env::var("BENCH_DB")
        .map(PathBuf::from)
        .unwrap_or_else(|_| dir.join("pages.db"));
    let db_url = format!("sqlite://{}?mode=rwc", db_file.display());
    {
        let db = app::ssr::db::connect_and_migrate(&db_url).await.unwrap();
        let have: i64 = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM incidents",
            ))
            .await
            .unwrap()
            .and_then(|r| r.try_get("", "n").ok())
            .unwrap_or(0);
        if have == 0 {
            tests::bench_history::generate(&db, n, Utc::now()).await;
        } else {
            println!(
                "measuring the {have} incidents already in {}",
                db_file.display()
            );
        }
        let _ = app::ssr::services::users::create(
            &db,
            &Actor::system(),
            app::model::NewUser {
                email: USER.into(),
                name: "Bench".into(),
                role: app::domain::Role::Responder,
                password: Some(PASSWORD.into()),
            },
            Utc::now(),
        )
        .await;
        db.close().await.unwrap();
    }
    let (_server, port) = serve(&db_url, &dir).await;
    let bare = bare_axum().await;
    let cookie = sign_in(port).await;
    let site = |p: &str| format!("http://127.0.0.1:{port}{p}");
    let key = format!("INC-{}", (n / 2).max(1));
    let from = (Utc::now().date_naive() - chrono::Duration::days(364)).to_string();
    let rows = [
        (
            "incident page, server-rendered, signed in",
            site(&format!("/incidents/{key}")),
        ),
        ("incident list page", site("/incidents")),
        (
            "GET /api/v1/actions?limit=50",
            site("/api/v1/actions?limit=50"),
        ),
        (
            "GET /api/v1/incidents/{key}",
            site(&format!("/api/v1/incidents/{key}")),
        ),
        (
            "GET /api/v1/metrics, last 365 days",
            site(&format!("/api/v1/metrics?from={from}")),
        ),
    ];
    println!(
        "load: {} for {secs} s each, 16 connections",
        if on_path("wrk") {
            "wrk -t2 -c16"
        } else {
            "Rust client"
        }
    );
    header("bare axum 0.8");
    let hello = load(&format!("http://127.0.0.1:{bare}/"), "", secs).await;
    row("GET / (hello)", hello, None);
    let json = load(&format!("http://127.0.0.1:{bare}/json"), "", secs).await;
    row("GET /json (50 rows)", json, None);
    header(&format!("hindsight, {n} incidents"));
    for (i, (name, url)) in rows.iter().enumerate() {
        let f = load(url, &cookie, secs).await;
        // Pages against `/`, JSON lists against the 50-row answer.
        row(name, f, Some(if i < 2 { hello } else { json }));
    }

    // Under load: an import into another instance's database on the same disk, and a writer.
    let doc = tests::transfer_data::document(20_000, 50_000);
    let doc_file = dir.join("import.json");
    std::fs::write(&doc_file, serde_json::to_vec(&doc).unwrap()).unwrap();
    drop(doc);
    let import = Guard(
        Command::new(release_binary())
            .arg("import")
            .arg(&doc_file)
            .env(
                "DATABASE_URL",
                format!("sqlite://{}?mode=rwc", dir.join("other.db").display()),
            )
            .env("HINDSIGHT_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("the import starts"),
    );
    let writer = {
        let (url, cookie, origin) = (
            // The incident next to the measured one: the same tables and indexes are written,
            // but the measured page keeps its size, so a reused BENCH_DB measures alike.
            site(&format!(
                "/api/v1/incidents/INC-{}/timeline",
                (n / 2).max(1) + 1
            )),
            cookie.clone(),
            site(""),
        );
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut tick = tokio::time::interval(Duration::from_millis(20));
            let mut n = 0u64;
            loop {
                tick.tick().await;
                let r = http
                    .post(&url)
                    .header("cookie", &cookie)
                    .header("origin", &origin)
                    .json(&serde_json::json!({"kind": "update", "body": format!("load {n}")}))
                    .send()
                    .await;
                if r.is_ok_and(|r| r.status().is_success()) {
                    n += 1;
                }
            }
        })
    };
    header("while importing 20 000 incidents and writing 50/s");
    let mut worst: f64 = 0.0;
    for (name, url) in &rows[..2] {
        let f = load(url, &cookie, secs).await;
        worst = worst.max(f.p99_ms);
        row(name, f, None);
    }
    writer.abort();
    let mut import = import;
    let finished = import.0.try_wait().ok().flatten().is_some();
    println!(
        "the import {} while the pages were measured",
        if finished {
            "finished"
        } else {
            "was still running"
        }
    );
    drop(import);
    println!(
        "page p99 under load: {worst:.1} ms ({})",
        if worst < 50.0 {
            "under 50 ms"
        } else {
            "OVER 50 ms"
        }
    );
    if std::env::var_os("BENCH_DB").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        let _ = std::fs::remove_file(&doc_file);
        let _ = std::fs::remove_file(dir.join("other.db"));
    }
}
