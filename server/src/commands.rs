//! The operator's sub-commands. They act as the system (admin rights) and are audited as such.

use std::io::{BufRead, IsTerminal};

use app::error::AppError;
use app::model::{NewUser, UserPatch};
use app::ssr::audit::{self, Verdict};
use app::ssr::auth::Actor;
use app::ssr::services::transfer::{self, Progress};
use app::ssr::services::{tokens, users};
use chrono::Utc;

use crate::cli::{AuditCommand, TokenCommand, UserCommand};
use crate::{Settings, StartError};

/// A command's failure, as the operator reads it.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Start(#[from] StartError),
    #[error("{0}")]
    App(#[from] AppError),
    #[error("{0}")]
    Usage(String),
}

impl From<sea_orm::DbErr> for CommandError {
    fn from(e: sea_orm::DbErr) -> Self {
        CommandError::Start(StartError::Database(e))
    }
}

async fn db(settings: &Settings) -> Result<sea_orm::DatabaseConnection, CommandError> {
    Ok(app::ssr::db::connect_and_migrate(&settings.database_url)
        .await
        .map_err(StartError::from)?)
}

fn read_password(from_stdin: bool) -> Result<String, CommandError> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CommandError::Usage(e.to_string()))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    if !std::io::stdin().is_terminal() {
        return Err(CommandError::Usage(
            "no terminal to ask for a password: use --password-stdin".into(),
        ));
    }
    let first =
        rpassword::prompt_password("Password: ").map_err(|e| CommandError::Usage(e.to_string()))?;
    let again = rpassword::prompt_password("Repeat password: ")
        .map_err(|e| CommandError::Usage(e.to_string()))?;
    if first != again {
        return Err(CommandError::Usage("the passwords differ".into()));
    }
    Ok(first)
}

fn parse_role(role: &str) -> Result<app::domain::Role, CommandError> {
    role.parse()
        .map_err(|e: app::domain::enums::UnknownValue| CommandError::Usage(e.to_string()))
}

pub async fn user(settings: &Settings, cmd: UserCommand) -> Result<(), CommandError> {
    let db = db(settings).await?;
    let system = Actor::system();
    match cmd {
        UserCommand::Add {
            email,
            name,
            role,
            password_stdin,
            no_password,
        } => {
            let role = parse_role(&role)?;
            let password = if no_password {
                None
            } else {
                Some(read_password(password_stdin)?)
            };
            let u = users::create(
                &db,
                &system,
                NewUser {
                    email,
                    name,
                    role,
                    password,
                },
                Utc::now(),
            )
            .await?;
            println!("added {} ({}, {})", u.email, u.name, u.role);
        }
        UserCommand::SetPassword {
            email,
            password_stdin,
        } => {
            let password = read_password(password_stdin)?;
            users::update(
                &db,
                &system,
                &email,
                UserPatch {
                    password: Some(password),
                    ..Default::default()
                },
                Utc::now(),
            )
            .await?;
            println!("password of {email} changed; their sessions have ended");
        }
        UserCommand::SetRole { email, role } => {
            let role = parse_role(&role)?;
            let u = users::update(
                &db,
                &system,
                &email,
                UserPatch {
                    role: Some(role),
                    ..Default::default()
                },
                Utc::now(),
            )
            .await?;
            println!("{} is now {}", u.email, u.role);
        }
        UserCommand::List => {
            for u in users::list(&db, &system).await? {
                let state = if u.active { "" } else { " (deactivated)" };
                println!("{:<40} {:<10} {}{}", u.email, u.role, u.name, state);
            }
        }
    }
    Ok(())
}

pub async fn token(settings: &Settings, cmd: TokenCommand) -> Result<(), CommandError> {
    let db = db(settings).await?;
    let system = Actor::system();
    match cmd {
        TokenCommand::Create { email, name } => {
            let t = tokens::create(&db, &system, Some(&email), &name, Utc::now()).await?;
            eprintln!(
                "token {} for {} — store it now, it is not shown again:",
                t.info.id, t.info.owner
            );
            println!("{}", t.token);
        }
        TokenCommand::Revoke { id } => {
            tokens::revoke(&db, &system, id, Utc::now()).await?;
            println!("token {id} revoked");
        }
        TokenCommand::List => {
            for t in tokens::list(&db, &system).await? {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!(
                    "{:>5} {:<24} {:<32} {}… {}",
                    t.id, t.name, t.owner, t.prefix, state
                );
            }
        }
    }
    Ok(())
}

pub async fn audit(settings: &Settings, cmd: AuditCommand) -> Result<(), CommandError> {
    let db = db(settings).await?;
    match cmd {
        AuditCommand::Verify => match audit::verify(&db).await? {
            Verdict::Intact { rows } => {
                println!("audit log intact: {rows} rows, hash chain verified");
                Ok(())
            }
            Verdict::Broken { id, reason } => Err(CommandError::Usage(format!(
                "audit log TAMPERED at row {id}: {reason}"
            ))),
        },
    }
}

/// `52013` → `52 013`: long counts read at a glance.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The progress of a long export or import on standard error: a bar on a terminal, else one
/// line per phase.
struct CliProgress {
    bar: Option<indicatif::ProgressBar>,
    phase: std::sync::Mutex<(String, u64)>,
}

impl CliProgress {
    fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(0);
            let style = indicatif::ProgressStyle::with_template(
                "{spinner} {msg:<36} [{bar:30}] {pos}/{len} ({elapsed})",
            )
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Self {
            bar,
            phase: std::sync::Mutex::new((String::new(), 0)),
        }
    }

    fn finish(&self, started: std::time::Instant, what: &str) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        eprintln!("{what} in {:.1} s", started.elapsed().as_secs_f64());
    }
}

impl Progress for CliProgress {
    fn phase(&self, name: &str, total: u64) {
        if let Ok(mut p) = self.phase.lock() {
            *p = (name.to_owned(), total);
        }
        match &self.bar {
            Some(bar) => {
                bar.set_message(name.to_owned());
                bar.set_length(total);
                bar.set_position(0);
            }
            None if total > 0 => eprintln!("{name}: {}…", group(total)),
            None => eprintln!("{name}…"),
        }
    }

    fn advance(&self, done: u64) {
        match &self.bar {
            Some(bar) => bar.set_position(done),
            None => {
                if let Ok(p) = self.phase.lock()
                    && p.1 > 0
                    && done == p.1
                {
                    eprintln!("{} {}/{}", p.0, group(done), group(p.1));
                }
            }
        }
    }
}

/// `hindsight export [--out FILE]`: the whole data set as JSON, streamed (memory does not
/// grow with the data), one record per line.
pub async fn export(
    settings: &Settings,
    out: Option<&std::path::Path>,
) -> Result<(), CommandError> {
    use std::io::Write;
    let db = db(settings).await?;
    let started = std::time::Instant::now();
    let progress = CliProgress::new();
    let io = |e: std::io::Error| CommandError::Usage(format!("cannot write the export: {e}"));
    // A temporary file beside the target, renamed into place at the end: a reader never
    // sees half a backup, and a failed run leaves the previous one intact.
    let target = out.map(|path| {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "export.json".into());
        (
            path,
            dir.join(format!(".{name}.{}.tmp", std::process::id())),
        )
    });
    let mut w: Box<dyn Write + Send> = match &target {
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
        Some((_, tmp)) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(tmp).map_err(io)?,
        )),
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let mut sink = transfer::Out::new(tx);
    let write = async move {
        transfer::export_to(&db, &Actor::system(), Utc::now(), &progress, &mut sink)
            .await
            .map(|n| (n, progress))
    };
    let save = async {
        while let Some(piece) = rx.recv().await {
            w.write_all(&piece)?;
        }
        w.flush()
    };
    let (written, saved) = tokio::join!(write, save);
    drop(w);
    let finish = || -> std::io::Result<()> {
        saved?;
        if let Some((path, tmp)) = &target {
            std::fs::File::open(tmp)?.sync_all()?;
            std::fs::rename(tmp, path)?;
        }
        Ok(())
    };
    let outcome = match written {
        Ok(w) => finish().map_err(io).map(|()| w),
        Err(e) => Err(e.into()),
    };
    let (n, progress) = match outcome {
        Ok(w) => w,
        Err(e) => {
            if let Some((_, tmp)) = &target {
                let _ = std::fs::remove_file(tmp);
            }
            return Err(e);
        }
    };
    progress.finish(
        started,
        &format!(
            "exported {} users, {} incidents, {} known errors, {} actions",
            group(n.users),
            group(n.incidents),
            group(n.known_errors),
            group(n.actions)
        ),
    );
    Ok(())
}

/// `hindsight import FILE`: loads an export, all or nothing, listing every bad record.
pub async fn import(settings: &Settings, file: &str) -> Result<(), CommandError> {
    // Read a record at a time, in several passes: standard input is first copied to a
    // temporary file (removed when `_spooled` goes), a file is read where it is.
    let (source, _spooled) = if file == "-" {
        let cannot =
            |e: std::io::Error| CommandError::Usage(format!("cannot read standard input: {e}"));
        let mut tmp = tempfile::Builder::new()
            .prefix("hindsight-import-")
            .suffix(".json")
            .tempfile()
            .map_err(cannot)?;
        std::io::copy(&mut std::io::stdin().lock(), &mut tmp).map_err(cannot)?;
        let path = tmp.into_temp_path();
        (transfer::Source::file(path.to_path_buf()), Some(path))
    } else {
        std::fs::File::open(file)
            .map_err(|e| CommandError::Usage(format!("cannot read {file}: {e}")))?;
        (transfer::Source::file(file), None)
    };
    let db = db(settings).await?;
    let started = std::time::Instant::now();
    let progress = CliProgress::new();
    match transfer::import_from(&db, &Actor::system(), source, Utc::now(), &progress).await {
        Ok(s) => {
            progress.finish(
                started,
                &format!(
                    "imported {} incidents ({} timeline events, {} postmortems), {} known errors, {} actions ({} verifications); {} users created, {} already there",
                    group(s.incidents as u64),
                    group(s.timeline_events as u64),
                    group(s.postmortems as u64),
                    group(s.known_errors as u64),
                    group(s.actions as u64),
                    group(s.verifications as u64),
                    group(s.users_created as u64),
                    group(s.users_existing as u64)
                ),
            );
            Ok(())
        }
        Err(AppError::Invalid { fields, .. }) => {
            if let Some(bar) = &progress.bar {
                bar.finish_and_clear();
            }
            for f in &fields {
                eprintln!(
                    "{}\t{}: {}",
                    f.record.as_deref().unwrap_or("-"),
                    f.field,
                    f.message
                );
            }
            Err(CommandError::Usage(format!(
                "{} problem(s) found; nothing was imported",
                fields.len()
            )))
        }
        Err(e) => {
            if let Some(bar) = &progress.bar {
                bar.finish_and_clear();
            }
            Err(e.into())
        }
    }
}
