//! The operator's command line, run as a real process over a fresh SQLite file.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: failing loudly is the point

use std::io::Write;
use std::process::{Command, Output, Stdio};

struct Cli {
    dir: std::path::PathBuf,
}

impl Cli {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("hindsight-cli-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    fn url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.dir.join("h.db").display())
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hindsight"))
            .args(args)
            .env("DATABASE_URL", self.url())
            .env("HINDSIGHT_LOG", "warn")
            .env_remove("RUST_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(input) = stdin {
            child
                .stdin
                .as_mut()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        drop(child.stdin.take());
        child.wait_with_output().unwrap()
    }
}

impl Drop for Cli {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn help_lists_every_command_with_examples() {
    let cli = Cli::new("help");
    let out = cli.run(&["--help"], None);
    assert!(out.status.success());
    let help = text(&out);
    for cmd in [
        "serve",
        "migrate",
        "user",
        "token",
        "audit",
        "export",
        "import",
        "Examples:",
    ] {
        assert!(help.contains(cmd), "help mentions {cmd}: {help}");
    }
    // Every sub-command has an example line.
    let examples = help.split("Examples:").nth(1).unwrap_or("");
    for cmd in [
        "hindsight serve",
        "hindsight migrate",
        "hindsight user add",
        "hindsight user set-password",
        "hindsight user set-role",
        "hindsight token create",
        "hindsight token revoke",
        "hindsight audit verify",
        "hindsight export",
        "hindsight import",
    ] {
        assert!(examples.contains(cmd), "an example of {cmd}: {examples}");
    }
}

const DOCUMENT: &str = r#"{
  "format": "hindsight/v1",
  "users": [{"email": "ann@example.org", "name": "Ann", "role": "responder"},
            {"email": "bob@example.org", "name": "Bob", "role": "member"}],
  "incidents": [{"key": "INC-4", "title": "Checkout down — 決済", "severity": "sev2", "status": "resolved",
                 "services": ["checkout"], "commander": "ann@example.org",
                 "detected_at": "2026-01-05T09:00:00Z", "resolved_at": "2026-01-05T10:00:00Z",
                 "timeline": [{"occurred_at": "2026-01-05T09:05:00Z", "kind": "update", "body": "Looking", "visibility": "internal", "author": "ann@example.org"}],
                 "postmortem": {"status": "draft", "body": "Draft"}}],
  "known_errors": [{"key": "KE-2", "title": "Pool exhausted", "status": "open", "incidents": ["INC-4"]}],
  "actions": [{"key": "ACT-9", "incident": "INC-4", "title": "Canary", "kind": "corrective", "priority": "high",
               "owner": "bob@example.org", "status": "verified", "created_at": "2026-01-06T09:00:00Z",
               "completed_at": "2026-01-07T09:00:00Z", "verified_at": "2026-01-08T09:00:00Z",
               "verified_by": "ann@example.org", "verification_result": "effective", "verification_evidence": "Clean"}]
}"#;

fn without_exported_at(text: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
    v.as_object_mut().unwrap().remove("exported_at");
    v
}

#[test]
fn export_and_import_round_trip_through_the_binary() {
    let a = Cli::new("export-a");
    let file = a.dir.join("in.json");
    std::fs::write(&file, DOCUMENT).unwrap();
    let out = a.run(&["import", file.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out));
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(log.contains("writing actions"), "progress on stderr: {log}");
    assert!(log.contains("imported 1 incidents"), "{log}");
    let backup = a.dir.join("backup.json");
    let out = a.run(&["export", "--out", backup.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(out.stdout.is_empty(), "--out writes nothing to stdout");
    let first = std::fs::read_to_string(&backup).unwrap();
    assert!(
        std::fs::read_dir(&a.dir).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".tmp")),
        "no temporary file left"
    );

    let b = Cli::new("export-b");
    let out = b.run(&["import", "-"], Some(&first));
    assert!(out.status.success(), "{}", text(&out));
    let out = b.run(&["export"], None);
    assert!(out.status.success(), "{}", text(&out));
    let second = String::from_utf8(out.stdout).unwrap();
    assert_eq!(without_exported_at(&first), without_exported_at(&second));
    let v = without_exported_at(&second);
    assert_eq!(v["actions"][0]["key"], "ACT-9");
    assert_eq!(v["incidents"][0]["timeline"][0]["body"], "Looking");
    // The audit chain holds after an import.
    let out = b.run(&["audit", "verify"], None);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn a_bad_import_names_every_record_and_writes_nothing() {
    let cli = Cli::new("import-bad");
    let bad = DOCUMENT
        .replace(r#""severity": "sev2""#, r#""severity": "sev7""#)
        .replace(
            r#""owner": "bob@example.org""#,
            r#""owner": "ghost@example.org""#,
        );
    let file = cli.dir.join("bad.json");
    std::fs::write(&file, bad).unwrap();
    let out = cli.run(&["import", file.to_str().unwrap()], None);
    assert!(!out.status.success(), "a bad file fails");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.contains("INC-4\tseverity"), "{err}");
    assert!(err.contains("ACT-9\towner"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    let out = cli.run(&["export"], None);
    let v = without_exported_at(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(v["incidents"], serde_json::json!([]));
    assert_eq!(v["users"], serde_json::json!([]));
    let out = cli.run(&["import", "/nonexistent/file.json"], None);
    assert!(!out.status.success());
    assert!(text(&out).contains("cannot read"), "{}", text(&out));
}

#[test]
fn users_tokens_and_the_audit_chain_from_the_command_line() {
    let cli = Cli::new("users");
    let out = cli.run(
        &[
            "user",
            "add",
            "Ann@Example.org",
            "--name",
            "Ann",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("a long password\n"),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("added ann@example.org"));

    let out = cli.run(
        &[
            "user",
            "add",
            "bo@example.org",
            "--name",
            "Bo",
            "--role",
            "chief",
        ],
        None,
    );
    assert!(!out.status.success(), "an unknown role is refused");
    assert!(
        text(&out).contains("admin, responder, member, viewer"),
        "{}",
        text(&out)
    );

    let out = cli.run(
        &[
            "user",
            "add",
            "bo@example.org",
            "--name",
            "Bo",
            "--no-password",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = cli.run(&["user", "set-role", "bo@example.org", "responder"], None);
    assert!(
        text(&out).contains("bo@example.org is now responder"),
        "{}",
        text(&out)
    );
    let out = cli.run(
        &["user", "set-password", "bo@example.org", "--password-stdin"],
        Some("short\n"),
    );
    assert!(!out.status.success(), "a too-short password is refused");
    let out = cli.run(
        &["user", "set-password", "bo@example.org", "--password-stdin"],
        Some("another long one\n"),
    );
    assert!(out.status.success(), "{}", text(&out));
    let list = text(&cli.run(&["user", "list"], None));
    assert!(
        list.contains("ann@example.org") && list.contains("responder"),
        "{list}"
    );

    let out = cli.run(&["token", "create", "bo@example.org", "--name", "ci"], None);
    assert!(out.status.success(), "{}", text(&out));
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(
        token.starts_with("hs_") && token.len() > 40,
        "only the token goes to stdout: {token}"
    );
    let listed = text(&cli.run(&["token", "list"], None));
    assert!(
        listed.contains("ci") && !listed.contains(&token),
        "{listed}"
    );
    assert!(cli.run(&["token", "revoke", "1"], None).status.success());
    assert!(text(&cli.run(&["token", "list"], None)).contains("revoked"));

    let out = cli.run(&["audit", "verify"], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("intact"));

    // Tamper with the file behind the server's back: the chain says so, and the exit code too.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sea_orm::ConnectionTrait;
        let db = sea_orm::Database::connect(cli.url()).await.unwrap();
        db.execute_unprepared("DROP TRIGGER audit_log_no_update").await.unwrap();
        db.execute_unprepared("UPDATE audit_log SET new_value = 'viewer' WHERE field = 'role' AND new_value = 'responder'").await.unwrap();
        db.close().await.unwrap();
    });
    let out = cli.run(&["audit", "verify"], None);
    assert!(!out.status.success());
    assert!(text(&out).contains("TAMPERED"), "{}", text(&out));
}

#[test]
fn migrate_reports_and_applies() {
    let cli = Cli::new("migrate");
    let out = cli.run(&["migrate", "--status"], None);
    assert!(
        text(&out).contains("pending: m20261124_000001_accounts"),
        "{}",
        text(&out)
    );
    assert!(cli.run(&["migrate"], None).status.success());
    assert!(text(&cli.run(&["migrate", "--status"], None)).contains("up to date"));
}

#[test]
fn serve_answers_health_and_stops_cleanly_on_sigterm() {
    let cli = Cli::new("serve");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_hindsight"))
        .arg("serve")
        .env("DATABASE_URL", cli.url())
        .env("HINDSIGHT_ADDR", format!("127.0.0.1:{port}"))
        .env("HINDSIGHT_LOG", "info")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    let health = loop {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::Read;
            write!(s, "GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            break out;
        }
        assert!(start.elapsed().as_secs() < 20, "the server did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(
        health.contains(" 200 ") && health.contains("\"database\":\"ok\""),
        "{health}"
    );
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "exit status after SIGTERM: {:?}",
        out.status
    );
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("shut down cleanly"), "{log}");
}
