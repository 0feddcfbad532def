//! Times import and export of a large data set: `cargo run -p tests --release --bin
//! bench-import [ACTIONS] [DATABASE_URL]` (default 50 000 actions with 20 000 incidents, their
//! timelines and postmortems, and 2 000 known errors, into a fresh SQLite file). A PostgreSQL
//! URL must name an empty database.
//!
//! It also reports the peak memory (resident set) of an export and of an import of that data
//! set, each in a process of its own (this binary again, `--child-export URL FILE` and
//! `--child-import URL FILE`), so the figure is the operation's alone.

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

/// This process's peak resident set, in KB (`VmHWM`).
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// A child's part: export `url` into `file`, or import `file` into `url`; prints its peak RSS.
async fn child(what: &str, url: &str, file: &str) {
    let db = app::ssr::db::connect_and_migrate(url)
        .await
        .expect("database");
    let started = Instant::now();
    match what {
        "--child-export" => {
            use std::io::Write;
            let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
            let mut out = transfer::Out::new(tx);
            let mut w = std::io::BufWriter::new(std::fs::File::create(file).unwrap());
            let save = async {
                while let Some(p) = rx.recv().await {
                    w.write_all(&p).unwrap();
                }
                w.flush().unwrap();
            };
            let write = async move {
                transfer::export_to(
                    &db,
                    &Actor::system(),
                    Utc::now(),
                    &transfer::Quiet,
                    &mut out,
                )
                .await
                .unwrap()
            };
            tokio::join!(write, save);
        }
        _ => {
            // As `hindsight import FILE` does: read from the file a record at a time.
            transfer::import_from(
                &db,
                &Actor::system(),
                transfer::Source::file(file),
                Utc::now(),
                &transfer::Quiet,
            )
            .await
            .unwrap();
        }
    }
    println!("{} {:.2}", peak_rss_kb(), started.elapsed().as_secs_f64());
}

/// Runs this binary as a child for `what`; its (peak RSS in MB, seconds).
fn run_child(what: &str, url: &str, file: &std::path::Path) -> (f64, f64) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([what, url, file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text.split_whitespace();
    let kb: f64 = it.next().unwrap().parse().unwrap();
    let s: f64 = it.next().unwrap().parse().unwrap();
    (kb / 1024.0, s)
}

#[tokio::main]
async fn main() {
    let all: Vec<String> = std::env::args().collect();
    if let [_, what, url, file] = all.as_slice()
        && what.starts_with("--child-")
    {
        child(what, url, file).await;
        return;
    }
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
    drop((exported, out, bytes));
    drop(db);

    // Peak memory of each operation, in a process of its own.
    let doc_file = std::env::temp_dir().join(format!(
        "hindsight-bench-export-{}.json",
        std::process::id()
    ));
    let (export_mb, export_s) = run_child("--child-export", &url, &doc_file);
    let size = std::fs::metadata(&doc_file).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    println!(
        "export, own process: peak RSS {export_mb:.0} MB, {export_s:.2} s, {size:.1} MB written"
    );
    let (target_url, target_file) = tests::bench::database(None, "import-target");
    let (import_mb, import_s) = run_child("--child-import", &target_url, &doc_file);
    println!("import into SQLite, own process: peak RSS {import_mb:.0} MB, {import_s:.2} s");
    let _ = std::fs::remove_file(&doc_file);
    for path in [file, target_file].into_iter().flatten() {
        for ext in ["", "-wal", "-shm", ".key"] {
            let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
        }
    }
}
