//! Benchmark: `GET /api/v1/metrics` against the same SQL run raw, over a generated history of
//! two years (default 100 000 incidents, 10 timeline events each, 3 actions each, postmortems
//! for sev1 and sev2, known-error links). Prints p50 / p99 of the service (settings, SQL,
//! assembly) and of its statements alone, and their ratio.
//!
//! `cargo run -p tests --release --bin bench-metrics [-- N] [DATABASE_URL]`
//! Without a URL it uses a fresh SQLite file under the system's temporary folder. A database
//! that already holds incidents is measured as it is (`sqlite:///tmp/m.db?mode=rwc` keeps one).

use std::time::Instant;

use tests::bench::pct;
use tests::bench_history::generate;

use app::domain::Severity;
use app::model::MetricsQuery;
use app::ssr::auth::Actor;
use app::ssr::services::metrics;
use chrono::{Duration, Utc};
use sea_orm::ConnectionTrait;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: i64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let (url, _file) = tests::bench::database(args.next(), "metrics");
    let db = app::ssr::db::connect_and_migrate(&url)
        .await
        .expect("database");
    let backend = app::ssr::db::backend_name(&db);
    let now = Utc::now();
    // A database that already holds incidents (a kept SQLite file, a PostgreSQL database of an
    // earlier run) is measured as it is: generating takes minutes.
    let existing: i64 = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM incidents",
        ))
        .await
        .unwrap()
        .and_then(|r| r.try_get("", "n").ok())
        .unwrap_or(0);
    if existing > 0 {
        println!("measuring the {existing} incidents already in the database ({backend})");
    } else {
        generate(&db, n, now).await;
    }
    // The server reads the metrics through its reader pool (SQLite: read-only connections
    // beside the writer), so the benchmark does too.
    let reader = app::ssr::db::connect_reader(&url, &db).await.unwrap();
    let actor = Actor::system();
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(40);
    let cases = [
        ("last 90 days (default)", MetricsQuery::default()),
        (
            "last 365 days",
            MetricsQuery {
                from: Some(now.date_naive() - Duration::days(364)),
                ..Default::default()
            },
        ),
        (
            "90 days, team payments",
            MetricsQuery {
                team: Some("payments".into()),
                ..Default::default()
            },
        ),
        (
            "90 days, service + severity",
            MetricsQuery {
                service: Some("checkout".into()),
                severity: Some(Severity::Sev2),
                ..Default::default()
            },
        ),
    ];
    // "SQL" runs the service's statements raw, side by side as the service does (each on a
    // connection of the pool); "one by one" runs them in sequence on one connection.
    println!(
        "{:<30} {:>10} {:>10} {:>10} {:>10} {:>8} {:>12}",
        "metrics", "API p50", "API p99", "SQL p50", "SQL p99", "ratio", "one by one"
    );
    for (name, q) in cases {
        // Warm both paths once.
        let m = metrics::compute(&reader, &actor, &q, now).await.unwrap();
        let stmts = metrics::statements(&reader, &q, now).await.unwrap();
        let mut api = Vec::new();
        let mut raw = Vec::new();
        let mut seq = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let _ = metrics::compute(&reader, &actor, &q, now).await.unwrap();
            api.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            let mut set = tokio::task::JoinSet::new();
            for s in &stmts {
                let (r, s) = (reader.clone(), s.clone());
                set.spawn(async move { r.query_all_raw(s).await.map(|_| ()) });
            }
            while let Some(done) = set.join_next().await {
                done.unwrap().unwrap();
            }
            raw.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            for s in &stmts {
                let _ = reader.query_all_raw(s.clone()).await.unwrap();
            }
            seq.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        if std::env::var_os("BENCH_DETAIL").is_some() {
            for s in &stmts {
                let t = Instant::now();
                let _ = reader.query_all_raw(s.clone()).await.unwrap();
                let head: String = s.sql.chars().take(90).collect();
                println!("  {:>8.2} ms  {head}", t.elapsed().as_secs_f64() * 1000.0);
                if std::env::var_os("BENCH_SQL").is_some() {
                    // The statement with its values written in, to run by hand.
                    println!("{s};");
                    println!("-- {:?}", s.values);
                }
                if std::env::var_os("BENCH_PLAN").is_some() {
                    // The plan of the SQLite the server links (which may differ from a CLI's),
                    // or PostgreSQL's plan as run, with its timings.
                    let (explain, col) = match backend {
                        "sqlite" => ("EXPLAIN QUERY PLAN", "detail"),
                        _ => ("EXPLAIN (ANALYZE, BUFFERS)", "QUERY PLAN"),
                    };
                    let plan = sea_orm::Statement::from_sql_and_values(
                        s.db_backend,
                        format!("{explain} {}", s.sql),
                        s.values.clone().map(|v| v.0).unwrap_or_default(),
                    );
                    for r in reader.query_all_raw(plan).await.unwrap() {
                        let detail: String = r.try_get("", col).unwrap_or_default();
                        println!("               {detail}");
                    }
                }
            }
        }
        let (a50, a99, r50, r99) = (
            pct(api.clone(), 0.5),
            pct(api, 0.99),
            pct(raw.clone(), 0.5),
            pct(raw, 0.99),
        );
        println!(
            "{name:<30} {a50:>7.2} ms {a99:>7.2} ms {r50:>7.2} ms {r99:>7.2} ms {:>7.2}× {:>9.2} ms   ({} incidents, {} statements)",
            a50 / r50,
            pct(seq, 0.5),
            m.incidents.count.get("total").copied().unwrap_or(0),
            stmts.len()
        );
    }
}
