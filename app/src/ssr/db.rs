//! Connecting to SQLite or PostgreSQL and bringing the schema up to date.

use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use std::time::Duration;

/// Opens the database at `url` (`sqlite://…` or `postgres://…`).
///
/// SQLite runs in WAL mode with a busy timeout and foreign keys on, over one pooled
/// connection: SQLite admits one writer at a time, and a single connection turns would-be
/// `SQLITE_BUSY` failures into a short queue. PostgreSQL gets a real pool.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    if url.starts_with("sqlite:") {
        // A SQLite connection is a file handle in this process: nothing can drop it, so the
        // pool does not ping it before each statement (a round trip to its worker thread).
        opts.max_connections(1)
            .min_connections(1)
            .test_before_acquire(false)
            .map_sqlx_sqlite_opts(|o| {
                use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
            });
    } else {
        // A PostgreSQL connection may have been dropped by the server or a proxy while idle:
        // pinged before use only after half a minute of rest, not before every statement.
        opts.max_connections(16)
            .min_connections(1)
            .test_before_acquire_if_idle_for(Duration::from_secs(30))
            .map_sqlx_postgres_opts(|o| o.options(PG_SESSION));
    }
    let db = Database::connect(opts).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        require_percentile(&db).await?;
    }
    Ok(db)
}

/// Settings of every PostgreSQL session Hindsight opens. Its statements are short and read
/// a working set that stays in memory: compiling them to machine code (JIT) costs more than
/// it saves (10–15 ms on a metrics statement that runs in 20), and an index page costs about
/// what a sequential one does, so the planner should prefer index-only scans.
pub const PG_SESSION: [(&str, &str); 2] = [("jit", "off"), ("random_page_cost", "1.1")];

/// The metrics take medians and p90s with SQLite's percentile functions, which the bundled
/// SQLite has when built with `SQLITE_ENABLE_PERCENTILE` (`.cargo/config.toml` sets it).
async fn require_percentile(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT percentile_disc(1, 0.5)")
        .await
        .map(|_| ())
        .map_err(|_| {
            DbErr::Custom(
                "this SQLite lacks the percentile functions: build Hindsight with its bundled \
                 SQLite and LIBSQLITE3_FLAGS=-DSQLITE_ENABLE_PERCENTILE (the workspace's \
                 .cargo/config.toml sets it)"
                    .into(),
            )
        })
}

/// How much of a SQLite file the reader connections map into memory.
const READER_MMAP_BYTES: u64 = 1 << 30;

/// A pool for heavy reads (the metrics) that may run side by side. SQLite admits many readers
/// next to its one writer in WAL mode, so a file database gets a second, read-only pool with
/// a connection per core (at most four); an in-memory database and PostgreSQL share `db`.
pub async fn connect_reader(
    url: &str,
    db: &DatabaseConnection,
) -> Result<DatabaseConnection, DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite
        || url.contains(":memory:")
        || url.contains("mode=memory")
    {
        return Ok(db.clone());
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .max_connections(cores.clamp(2, 4))
        .min_connections(0)
        .test_before_acquire(false)
        .map_sqlx_sqlite_opts(|o| {
            // Memory-mapped reads: pages come straight from the operating system's file cache
            // (shared, reclaimable) instead of being copied into each connection's own cache.
            o.read_only(true)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .pragma("mmap_size", READER_MMAP_BYTES.to_string())
        });
    Database::connect(opts).await
}

/// The PostgreSQL advisory lock that serialises migrations across processes (any constant
/// of Hindsight's own would do; this one spells "hindsight" in its bytes).
pub const MIGRATION_LOCK: i64 = 0x6869_6e64_7369_6768;

/// Applies every pending migration.
///
/// On PostgreSQL several processes may start at once: each takes the advisory lock
/// [`MIGRATION_LOCK`] first, on a connection of its own that it holds until the migrations are
/// done, so one migrates and the others wait, then find nothing left to apply. SQLite's one
/// writer needs no such lock.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Migrator::up(db, None).await;
    }
    // A pool of exactly one connection: the session lock, every migration and the unlock all
    // run on the same PostgreSQL session.
    let options = (*db.get_postgres_connection_pool().connect_options()).clone();
    let pool = sea_orm::sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(options)
        .await
        .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())))?;
    let session = sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
    let result = migrate_locked(&session).await;
    // Closing the session also releases the lock, should the unlock have failed.
    let _ = session.close().await;
    result
}

/// Takes the migration lock on `session` (waiting for another process's migrations), migrates
/// and releases the lock.
async fn migrate_locked(session: &DatabaseConnection) -> Result<(), DbErr> {
    let lock = |f: &str| {
        let mut p = crate::ssr::services::common::Sql::new();
        let sql = format!("SELECT {f}({})", p.bind(MIGRATION_LOCK));
        p.statement(DbBackend::Postgres, sql)
    };
    let free = session
        .query_one_raw(lock("pg_try_advisory_lock"))
        .await?
        .map(|r| r.try_get_by_index::<bool>(0))
        .transpose()?
        .unwrap_or(false);
    if !free {
        tracing::info!("another process is migrating the database; waiting for it");
        session.execute_raw(lock("pg_advisory_lock")).await?;
    }
    let result = Migrator::up(session, None).await;
    let unlocked = session.execute_raw(lock("pg_advisory_unlock")).await;
    result.and(unlocked.map(|_| ()))
}

/// Names of the migrations not yet applied.
pub async fn pending_migrations(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    Ok(Migrator::get_pending_migrations(db)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect())
}

/// Connects and migrates: what the server does at start.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbErr> {
    let db = connect(url).await?;
    migrate(&db).await?;
    Ok(db)
}

/// A cheap round trip, for `/healthz`.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(|_| ())
}

/// `sqlite` or `postgres`, for logs and health output.
pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Sqlite => "sqlite",
        DbBackend::Postgres => "postgres",
        _ => "other",
    }
}

/// Refreshes the query planner's statistics, so filtered lists pick the right index:
/// `ANALYZE` on both databases (on SQLite with a row limit per index, so it stays quick).
pub async fn optimize(db: &DatabaseConnection) -> Result<(), DbErr> {
    use sea_orm::ConnectionTrait;
    match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            db.execute_unprepared("PRAGMA analysis_limit = 2000")
                .await?;
            db.execute_unprepared("ANALYZE").await?;
        }
        _ => {
            db.execute_unprepared("ANALYZE").await?;
        }
    }
    Ok(())
}

/// Begins a write transaction. On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken at
/// the start, so a transaction that reads before it writes never fails half-way with
/// `SQLITE_BUSY` because another process wrote in between (it waits its turn instead, within
/// the busy timeout). PostgreSQL begins as usual.
pub async fn write<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}
