//! Fresh databases for tests: a temporary SQLite file always, and a new PostgreSQL database when
//! `SHANGHUI_TEST_PG_URL` names a server. Under CI (`CI=true`) PostgreSQL is mandatory, so a
//! missing server fails the run instead of passing quietly.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Db, divisions};

static N: AtomicU64 = AtomicU64::new(0);

/// A database that removes itself when dropped.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(PathBuf),
    PgDatabase { admin_url: String, name: String },
}

impl TestDb {
    /// Runs a statement directly, for a test to set up what the application never does by
    /// itself (time passing, for one).
    pub async fn exec(&self, sql: &str) {
        crate::with_db!(&self.db, p => sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).execute(p).await.map(|_| ()))
            .expect("test statement");
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(p) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
                }
            }
            Cleanup::PgDatabase { admin_url, name } => {
                // Drop runs outside async code; a thread of its own may start a runtime.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .ok()?;
                    rt.block_on(async {
                        let admin = Db::connect(&admin_url).await.ok()?;
                        if let Db::Postgres(p) = &admin {
                            let sql = format!("drop database if exists {name} with (force)");
                            let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(p).await;
                        }
                        admin.close().await;
                        Some(())
                    })
                })
                .join();
            }
        }
    }
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        chrono::Utc::now().timestamp_micros()
    )
}

/// The PostgreSQL admin URL for tests, if any. Panics under CI when it is missing.
pub fn pg_url() -> Option<String> {
    match std::env::var("SHANGHUI_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "SHANGHUI_TEST_PG_URL is not set under CI: the PostgreSQL tests are mandatory there"
                );
            }
            eprintln!(
                "NOTE: SHANGHUI_TEST_PG_URL is not set: PostgreSQL tests are NOT run (SQLite only)"
            );
            None
        }
    }
}

/// A fresh, migrated SQLite database with the divisions loaded.
pub async fn sqlite() -> TestDb {
    let path = std::env::temp_dir().join(format!("{}.db", unique("shanghui_test")));
    let url = format!("sqlite://{}", path.display());
    let db = Db::connect(&url).await.expect("open sqlite");
    prepare(&db).await;
    TestDb {
        db,
        url,
        cleanup: Cleanup::File(path),
    }
}

/// A fresh, migrated PostgreSQL database with the divisions loaded, or `None` without a server.
pub async fn postgres() -> Option<TestDb> {
    let admin_url = pg_url()?;
    let name = unique("shanghui_test");
    let admin = Db::connect(&admin_url)
        .await
        .expect("connect to SHANGHUI_TEST_PG_URL");
    if let Db::Postgres(p) = &admin {
        sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
            .execute(p)
            .await
            .expect("create test database");
    }
    admin.close().await;
    let url = match admin_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("SHANGHUI_TEST_PG_URL needs a database part"),
    };
    let db = Db::connect(&url)
        .await
        .expect("connect to the test database");
    prepare(&db).await;
    Some(TestDb {
        db,
        url,
        cleanup: Cleanup::PgDatabase { admin_url, name },
    })
}

/// Every backend available: SQLite always, PostgreSQL when configured.
pub async fn all() -> Vec<TestDb> {
    let mut v = vec![sqlite().await];
    v.extend(postgres().await);
    v
}

async fn prepare(db: &Db) {
    db.migrate().await.expect("migrate");
    divisions::load(db, &shanghui_core::division::shipped())
        .await
        .expect("load divisions");
}
