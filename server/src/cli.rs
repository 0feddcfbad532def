//! The `hindsight` command line: `serve` (the default) and the operator's sub-commands.

use clap::{Parser, Subcommand};

use crate::config::Settings;

const EXAMPLES: &str = "\
Examples:
  hindsight                                   serve on 127.0.0.1:3000 with ./hindsight.db
  HINDSIGHT_ADDR=0.0.0.0:8080 hindsight serve serve on another address
  DATABASE_URL=postgres://hs:pw@db/hindsight hindsight migrate
                                              bring a PostgreSQL schema up to date
  hindsight migrate --status                  list pending migrations, change nothing
  hindsight user add ann@example.org --name Ann --role responder
                                              add a user (asks for a password)
  echo \"$PW\" | hindsight user set-password ann@example.org --password-stdin
  hindsight user set-role ann@example.org admin
  hindsight user list
  hindsight token create ann@example.org --name ci
                                              print a new API token (shown once)
  hindsight token revoke 3
  hindsight token list                        list tokens (never their secrets)
  hindsight audit verify                      check the audit log's hash chain
  hindsight export --out backup.json          write every record to a file (hindsight/v1 JSON)
  hindsight export > backup.json              the same, to standard output
  hindsight import backup.json                load an export into an empty database
  cat backup.json | hindsight import -        the same, from standard input";

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
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Inspect the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write the whole data set as one JSON document (users without passwords or tokens).
    Export {
        /// Write to this file (atomically: a temporary file renamed into place); default stdout.
        #[arg(long, short)]
        out: Option<std::path::PathBuf>,
    },
    /// Load an export into a database without incidents, known errors or actions, all or
    /// nothing; every bad record is listed.
    Import {
        /// The document, or `-` for standard input.
        file: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; asks for a password (or reads it with --password-stdin, or sets none).
    Add {
        email: String,
        #[arg(long)]
        name: String,
        /// admin, responder, member or viewer.
        #[arg(long, default_value = "member")]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Create the user without a password (an admin sets one later).
        #[arg(long, conflicts_with = "password_stdin")]
        no_password: bool,
    },
    /// Set a user's password (ends their sessions).
    SetPassword {
        email: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change a user's role.
    SetRole { email: String, role: String },
    /// List users.
    List,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user and print it (it is shown only this once).
    Create {
        email: String,
        #[arg(long)]
        name: String,
    },
    /// Revoke a token by its id.
    Revoke { id: i64 },
    /// List tokens (never their secrets).
    List,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain; exits non-zero if a row was altered, removed or inserted.
    Verify,
}
