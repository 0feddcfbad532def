//! The `hindsight` binary.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use hindsight::cli::{Cli, Command};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    hindsight::init_tracing(&cli.settings);
    let settings = Arc::new(cli.settings);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => hindsight::serve(settings).await,
        Command::Migrate { status } => migrate(&settings, status).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
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
