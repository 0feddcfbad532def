//! The `hindsight` binary.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use hindsight::cli::{Cli, Command};
use hindsight::commands::{self, CommandError};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    hindsight::init_tracing(&cli.settings);
    let settings = Arc::new(cli.settings);
    let result: Result<(), CommandError> = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => hindsight::serve(settings).await.map_err(Into::into),
        Command::Migrate { status } => migrate(&settings, status).await.map_err(Into::into),
        Command::User(c) => commands::user(&settings, c).await,
        Command::Token(c) => commands::token(&settings, c).await,
        Command::Audit(c) => commands::audit(&settings, c).await,
        Command::Export { out } => commands::export(&settings, out.as_deref()).await,
        Command::Import { file } => commands::import(&settings, &file).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hindsight: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn migrate(
    settings: &hindsight::Settings,
    status_only: bool,
) -> Result<(), hindsight::StartError> {
    let db = app::ssr::db::connect(&settings.database_url).await?;
    let pending = app::ssr::db::pending_migrations(&db).await?;
    if status_only {
        if pending.is_empty() {
            println!("the schema is up to date");
        }
        for name in &pending {
            println!("pending: {name}");
        }
        return Ok(());
    }
    app::ssr::db::migrate(&db).await?;
    println!(
        "applied {} migration(s); the schema is up to date",
        pending.len()
    );
    Ok(())
}
