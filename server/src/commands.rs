//! The operator's sub-commands. They act as the system (admin rights) and are audited as such.

use std::io::{BufRead, IsTerminal};

use app::error::AppError;
use app::model::{NewUser, UserPatch};
use app::ssr::audit::{self, Verdict};
use app::ssr::auth::Actor;
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
