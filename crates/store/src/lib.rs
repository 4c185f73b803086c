//! All of shanghui's SQL, for SQLite and PostgreSQL from one SQL text.
//!
//! Two typed pools behind [`Db`] rather than `sqlx::Any`, which mishandles SQLite booleans and
//! PostgreSQL dates. Queries are written once and compiled for both pools by [`with_db!`]. Every
//! read of registry data takes a [`Scope`](shanghui_core::Scope).
#![forbid(unsafe_code)]

pub mod accounts;
pub mod analysis;
pub mod audit;
mod backend;
pub mod backup;
pub mod campaigns;
pub mod divisions;
pub mod import;
pub mod indicators;
pub mod orgs;
pub mod rectify;
pub mod registry;
pub mod reports;
pub mod review;
pub mod rulesets;
pub mod statdata;
pub mod templates;
pub mod testing;
pub mod writeup_templates;

use std::str::FromStr;
use std::time::Duration;

use shanghui_core::Problem;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// A connection pool to one of the two supported databases.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs the same code against whichever pool `$db` holds: `with_db!(db, pool => query.fetch_all(pool).await)`.
#[macro_export]
macro_rules! with_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL {0:?}: use sqlite://FILE or postgres://...")]
    UnsupportedUrl(String),
    /// The change breaks a rule of the registry; the problems say which, in the user's language.
    #[error("refused: {0:?}")]
    Rejected(Vec<Problem>),
    /// Like `Rejected`, for operation `index` of a batch.
    #[error("row {index} refused: {problems:?}")]
    RejectedRow {
        index: usize,
        problems: Vec<Problem>,
    },
    /// Rows of a batch refused, by index, each with why; nothing was written.
    #[error("rows refused: {0:?}")]
    RejectedRows(Vec<(usize, shanghui_core::Msg)>),
    /// Answers that break their template (required items missing, …), by item code.
    #[error("answers refused: {0:?}")]
    Items(Vec<(String, shanghui_core::Msg)>),
    #[error("not found")]
    NotFound,
    /// Someone else saved the record after the caller read it.
    #[error("version conflict")]
    Conflict,
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    pub fn rejected(p: Problem) -> Self {
        StoreError::Rejected(vec![p])
    }
}

impl Db {
    /// Opens `sqlite://FILE` (created if missing; WAL) or `postgres://...`.
    pub async fn connect(url: &str) -> Result<Db> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("cache_size", "-65536");
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(opts)
                .await?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            Err(StoreError::UnsupportedUrl(url.to_string()))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Brings the schema up to date. Each backend has its own folder of migrations with the same
    /// versions (a test checks that they agree).
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Db::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    pub async fn close(&self) {
        with_db!(self, p => p.close().await)
    }

    /// A cheap round trip, for the health endpoint.
    pub async fn ping(&self) -> Result<()> {
        with_db!(self, p => sqlx::query("select 1").execute(p).await.map(|_| ()))?;
        Ok(())
    }
}

/// Migration versions of each backend, for the test that keeps the two folders in step.
pub fn migration_versions() -> (Vec<i64>, Vec<i64>) {
    let s = sqlx::migrate!("./migrations/sqlite");
    let p = sqlx::migrate!("./migrations/postgres");
    (
        s.iter().map(|m| m.version).collect(),
        p.iter().map(|m| m.version).collect(),
    )
}

/// Who made a change and from where, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The account, when a signed-in user acts (not for the operator's command line).
    pub user_id: Option<i64>,
    pub name: String,
    pub from: Option<String>,
}

impl Actor {
    pub fn system(name: &str) -> Self {
        Actor {
            user_id: None,
            name: name.to_string(),
            from: None,
        }
    }
}
