//! The server's settings, read from the environment (or flags) into one typed struct whose
//! `Debug` output never shows a secret.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// A secret value: usable by the code, invisible in logs and `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"[redacted]\"")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Everything the server reads from its environment. Each flag also has an environment
/// variable, which is how a deployment normally sets it.
#[derive(Clone, clap::Args)]
pub struct Settings {
    /// Address and port to listen on.
    #[arg(
        long,
        global = true,
        env = "HINDSIGHT_ADDR",
        default_value = "127.0.0.1:3000"
    )]
    pub addr: SocketAddr,

    /// Database: `sqlite://FILE?mode=rwc` (default) or `postgres://USER:PASSWORD@HOST/DB`.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        default_value = "sqlite://hindsight.db?mode=rwc",
        hide_env_values = true
    )]
    pub database_url: String,

    /// Folder with the built site (`pkg/` with the WASM, JS and CSS).
    #[arg(
        long,
        global = true,
        env = "LEPTOS_SITE_ROOT",
        default_value = "target/site"
    )]
    pub site_root: PathBuf,

    /// Base name of the built site files (`pkg/NAME.js`, `NAME_bg.wasm`, `NAME.css`).
    #[arg(
        long,
        global = true,
        env = "LEPTOS_OUTPUT_NAME",
        default_value = "hindsight"
    )]
    pub output_name: String,

    /// The address people use to reach Hindsight, e.g. `https://hindsight.example.org`.
    /// Used for the same-origin check and secure cookies; defaults to `http://ADDR`.
    #[arg(long, global = true, env = "HINDSIGHT_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// E-mail of the first admin, created on first start with an empty database.
    #[arg(long, global = true, env = "HINDSIGHT_ADMIN_EMAIL")]
    pub admin_email: Option<String>,

    /// 64 hex digits (`openssl rand -hex 32`): the key tracker credentials are sealed with,
    /// the same in every process. Without it a SQLite server keeps one in `DATABASE.key`.
    #[arg(
        long,
        global = true,
        env = "HINDSIGHT_SECRET_KEY",
        hide_env_values = true
    )]
    pub secret_key: Option<Secret>,

    /// Password of the first admin.
    #[arg(
        long,
        global = true,
        env = "HINDSIGHT_ADMIN_PASSWORD",
        hide_env_values = true
    )]
    pub admin_password: Option<Secret>,

    /// Seconds between runs of the deadline-reminder job (at least 10).
    #[arg(
        long,
        global = true,
        env = "HINDSIGHT_REMINDER_INTERVAL",
        default_value_t = 300
    )]
    pub reminder_interval: u64,

    /// Milliseconds between looks at the outbox for messages due (a change in this process
    /// wakes the worker at once; this is for other processes' changes and retries).
    #[arg(
        long,
        global = true,
        env = "HINDSIGHT_DELIVERY_POLL_MS",
        default_value_t = 1000
    )]
    pub delivery_poll_ms: u64,

    /// Seconds between reconciliation rounds of each tracker: the linked issues of actions not
    /// yet verified or cancelled are read back, so a lost webhook is caught up.
    #[arg(
        long,
        global = true,
        env = "HINDSIGHT_TRACKER_POLL",
        default_value_t = 900
    )]
    pub tracker_poll: u64,

    /// Milliseconds between the comment lines `/api/v1/stream` sends to stay open through proxies.
    #[arg(
        long,
        global = true,
        env = "HINDSIGHT_STREAM_HEARTBEAT_MS",
        default_value_t = 20_000
    )]
    pub stream_heartbeat_ms: u64,

    /// Bearer token that Prometheus must send to scrape `/metrics` (unset: no token needed).
    #[arg(
        long,
        global = true,
        env = "HINDSIGHT_METRICS_TOKEN",
        hide_env_values = true
    )]
    pub metrics_token: Option<Secret>,

    /// Log filter, in `RUST_LOG` syntax (`RUST_LOG` wins when set).
    #[arg(long, global = true, env = "HINDSIGHT_LOG", default_value = "info")]
    pub log: String,

    /// Log format.
    #[arg(
        long,
        global = true,
        env = "HINDSIGHT_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,
}

impl Settings {
    /// The public origin (`scheme://host[:port]`) of the site.
    pub fn public_origin(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.addr),
        }
    }
}

/// `DATABASE_URL` with any password replaced, fit for logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:[redacted]@{host}"),
        None => url.to_owned(),
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("addr", &self.addr)
            .field("database_url", &redact_url(&self.database_url))
            .field("site_root", &self.site_root)
            .field("output_name", &self.output_name)
            .field("public_url", &self.public_url)
            .field("admin_email", &self.admin_email)
            .field("admin_password", &self.admin_password)
            .field("secret_key", &self.secret_key)
            .field("log", &self.log)
            .field("log_format", &self.log_format)
            .field("stream_heartbeat_ms", &self.stream_heartbeat_ms)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        s: Settings,
    }

    #[test]
    fn debug_output_hides_secrets() {
        let t = T::parse_from([
            "x",
            "--database-url",
            "postgres://hs:s3cr3t-pw@db.internal:5432/hindsight",
            "--admin-password",
            "hunter2-admin",
        ]);
        let shown = format!("{:?}", t.s);
        assert!(!shown.contains("s3cr3t-pw"), "{shown}");
        assert!(!shown.contains("hunter2-admin"), "{shown}");
        assert!(
            shown.contains("postgres://hs:[redacted]@db.internal:5432/hindsight"),
            "{shown}"
        );
        assert_eq!(t.s.admin_password.unwrap().expose(), "hunter2-admin");
    }

    #[test]
    fn defaults_match_the_spec() {
        // The environment may legitimately set these; the defaults are what applies without it.
        let t = T::parse_from(["x"]);
        if std::env::var_os("HINDSIGHT_ADDR").is_none() {
            assert_eq!(t.s.addr.to_string(), "127.0.0.1:3000");
            assert_eq!(t.s.public_origin(), "http://127.0.0.1:3000");
        }
        if std::env::var_os("DATABASE_URL").is_none() {
            assert_eq!(t.s.database_url, "sqlite://hindsight.db?mode=rwc");
        }
    }

    #[test]
    fn urls_without_passwords_are_kept() {
        assert_eq!(
            redact_url("sqlite://hindsight.db?mode=rwc"),
            "sqlite://hindsight.db?mode=rwc"
        );
        assert_eq!(
            redact_url("postgres://hs@localhost/db"),
            "postgres://hs@localhost/db"
        );
    }
}
