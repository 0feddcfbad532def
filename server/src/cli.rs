//! The `hindsight` command line: `serve` (the default) and the operator's sub-commands.

use clap::{Parser, Subcommand};

use crate::config::Settings;

const EXAMPLES: &str = "\
Examples:
  hindsight                                   serve on 127.0.0.1:3000 with ./hindsight.db
  HINDSIGHT_ADDR=0.0.0.0:8080 hindsight serve serve on another address
  DATABASE_URL=postgres://hs:pw@db/hindsight hindsight migrate
                                              bring a PostgreSQL schema up to date
  hindsight migrate --status                  list pending migrations, change nothing";

#[derive(Debug, Parser)]
#[command(name = "hindsight", version, about = "Incident postmortems, RCA and CAPA tracking", after_help = EXAMPLES)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web UI and the API (runs pending migrations first). The default.
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate {
        /// Only list the pending migrations.
        #[arg(long)]
        status: bool,
    },
}
