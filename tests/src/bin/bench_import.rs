//! Times import and export of a large data set: `cargo run -p tests --release --bin
//! bench-import [ACTIONS] [DATABASE_URL]` (default 50 000 actions with 20 000 incidents, their
//! timelines and postmortems, and 2 000 known errors, into a fresh SQLite file). A PostgreSQL
//! URL must name an empty database.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark: failing loudly is the point

use std::time::Instant;

use app::ssr::auth::Actor;
use app::ssr::services::transfer::{self, Progress};
use chrono::Utc;

/// Prints how long each phase took (`BENCH_DETAIL=1`).
struct Phases {
    detail: bool,
    last: std::sync::Mutex<(String, Instant)>,
}

impl Progress for Phases {
    fn phase(&self, name: &str, _total: u64) {
        if let Ok(mut last) = self.last.lock() {
            if self.detail && !last.0.is_empty() {
                println!("  {:<44} {:>7.2} s", last.0, last.1.elapsed().as_secs_f64());
            }
            *last = (name.to_owned(), Instant::now());
        }
    }
}

impl Phases {
    fn new() -> Self {
        Self {
            detail: std::env::var_os("BENCH_DETAIL").is_some(),
            last: std::sync::Mutex::new((String::new(), Instant::now())),
        }
    }
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n_actions: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let n_incidents = (n_actions * 2 / 5).max(1);
    let (url, file) = tests::bench::database(args.next(), "import");
    let db = app::ssr::db::connect_and_migrate(&url)
        .await
        .expect("database");
    let backend = app::ssr::db::backend_name(&db);

    let doc = tests::transfer_data::document(n_incidents, n_actions);
    let events: usize = doc.incidents.iter().map(|i| i.timeline.len()).sum();
    let pms = doc
        .incidents
        .iter()
        .filter(|i| i.postmortem.is_some())
        .count();
    let bytes = serde_json::to_vec(&doc).unwrap();
    println!(
        "document: {} incidents, {events} timeline events, {pms} postmortems, {} known errors, {} actions; {:.1} MB",
        doc.incidents.len(),
        doc.known_errors.len(),
        doc.actions.len(),
        bytes.len() as f64 / 1e6
    );

    let started = Instant::now();
    let phases = Phases::new();
    let summary = transfer::import(&db, &Actor::system(), &bytes, Utc::now(), &phases)
        .await
        .expect("the import succeeds");
    phases.phase("", 0);
    let import_s = started.elapsed().as_secs_f64();
    println!(
        "import ({backend}): {import_s:.2} s ({} records written)",
        summary.incidents
            + summary.timeline_events
            + summary.postmortems
            + summary.known_errors
            + summary.actions
            + summary.verifications
    );

    let started = Instant::now();
    let phases = Phases::new();
    let exported = transfer::export(&db, &Actor::system(), Utc::now(), &phases)
        .await
        .unwrap();
    phases.phase("", 0);
    let read_s = started.elapsed().as_secs_f64();
    let out = serde_json::to_vec(&exported).unwrap();
    let export_s = started.elapsed().as_secs_f64();
    println!(
        "export ({backend}): {export_s:.2} s ({read_s:.2} s reading, {:.1} MB of JSON)",
        out.len() as f64 / 1e6
    );
    assert_eq!(exported.actions.len(), n_actions);
    drop(db);
    if let Some(path) = file {
        let _ = std::fs::remove_file(path);
    }
}
