//! The Hindsight server: configuration, the HTTP application and the operator's commands.

// Server-side rendering instantiates the pages' deeply nested view types here.
#![recursion_limit = "512"]

pub mod api;
pub mod cli;
pub mod commands;
pub mod config;
pub mod jobs;
pub mod telemetry;
pub mod web;

use std::sync::Arc;

use app::ssr::AppState;
use tokio::net::TcpListener;

pub use config::Settings;

/// Errors that stop the process, with a message for the operator.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Webhook(#[from] jobs::ClientError),
    #[error("{0}")]
    Config(String),
}

/// Connects, migrates and builds the shared state.
pub async fn build_state(settings: &Settings) -> Result<AppState, StartError> {
    let http = jobs::client()?;
    let db = app::ssr::db::connect_and_migrate(&settings.database_url).await?;
    let reader = app::ssr::db::connect_reader(&settings.database_url, &db).await?;
    Ok(AppState {
        leptos_options: web::leptos_options(settings),
        live: app::ssr::live::Hub::new(db.clone()),
        http,
        db,
        reader,
        settings: app::ssr::services::settings::Cache::default(),
        labels: app::ssr::services::incident::LabelsCache::default(),
        config: Arc::new(app::ssr::RuntimeConfig {
            metrics_token: settings
                .metrics_token
                .as_ref()
                .map(|t| t.expose().to_owned()),
            stream_heartbeat: std::time::Duration::from_millis(
                settings.stream_heartbeat_ms.max(10),
            ),
            ..app::ssr::RuntimeConfig::new(&settings.public_origin())
        }),
    })
}

/// Serves until SIGINT or SIGTERM, then finishes in-flight requests and returns.
pub async fn serve(settings: Arc<Settings>) -> Result<(), StartError> {
    let started = std::time::Instant::now();
    let state = build_state(&settings).await?;
    app::ssr::services::notify::notices::set_public_origin(&settings.public_origin());
    match app::ssr::secretbox::load(
        settings.secret_key.as_ref().map(|k| k.expose()),
        &settings.database_url,
    ) {
        Ok(Some(key)) => app::ssr::secretbox::install(key),
        Ok(None) => {
            tracing::info!("no HINDSIGHT_SECRET_KEY: trackers cannot be connected until it is set")
        }
        Err(e) => return Err(StartError::Config(e)),
    }
    tracing::info!(
        backend = app::ssr::db::backend_name(&state.db),
        database = %config::redact_url(&settings.database_url),
        "database ready"
    );
    if let (Some(email), Some(password)) = (&settings.admin_email, &settings.admin_password) {
        match app::ssr::services::users::bootstrap_admin(
            &state.db,
            email,
            password.expose(),
            chrono::Utc::now(),
        )
        .await
        {
            Ok(true) => tracing::info!(email = %email, "created the first admin"),
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "could not create the first admin"),
        }
    }
    tokio::spawn(housekeeping(state.db.clone()));
    tokio::spawn(jobs::live_prune_loop(
        state.db.clone(),
        std::time::Duration::from_secs(30),
    ));
    if let Err(e) = jobs::sync_reminder_channel(&state.db).await {
        tracing::warn!(error = %e, "cannot set up the reminder_webhook_url channel");
    }
    tokio::spawn(jobs::reminders_loop(
        state.db.clone(),
        settings.public_origin(),
        std::time::Duration::from_secs(settings.reminder_interval.max(10)),
    ));
    tokio::spawn(jobs::deliveries_loop(
        state.db.clone(),
        state.http.clone(),
        std::time::Duration::from_millis(settings.delivery_poll_ms.max(50)),
    ));
    tokio::spawn(jobs::tracker_poll_loop(
        state.db.clone(),
        state.http.clone(),
        std::time::Duration::from_secs(settings.tracker_poll.max(10)),
    ));
    let listener = TcpListener::bind(settings.addr)
        .await
        .map_err(|source| StartError::Bind {
            addr: settings.addr,
            source,
        })?;
    let local = listener.local_addr()?;
    let live = state.live.clone();
    tracing::info!(addr = %local, ready_in_ms = started.elapsed().as_millis() as u64, "listening on http://{local}");
    axum::serve(
        listener,
        web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        // Open live-update streams never finish by themselves: end them, or the shutdown
        // would wait for every page to be closed.
        live.close();
    })
    .await?;
    tracing::info!("shut down cleanly");
    Ok(())
}

/// Periodic clean-up: expired sessions and old failed sign-ins.
async fn housekeeping(db: sea_orm::DatabaseConnection) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(300));
    loop {
        tick.tick().await;
        let now = chrono::Utc::now();
        let result = async {
            let settings = app::ssr::services::settings::load(&db).await?;
            app::ssr::auth::prune(&db, now, &settings).await
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "housekeeping failed");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing open requests");
}

/// Sets up logging from the settings (`RUST_LOG` wins when set).
pub fn init_tracing(settings: &Settings) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.log))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // Logs go to stderr: stdout is for what commands print (a new token, a user list).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr);
    let _ = match settings.log_format {
        config::LogFormat::Json => builder.json().try_init(),
        config::LogFormat::Text => builder.try_init(),
    };
}
