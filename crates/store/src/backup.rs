//! Backup and restore of a SQLite database. PostgreSQL has pg_dump and pg_restore for that
//! (docs/OPERATIONS.md).

use std::path::Path;

use crate::{Db, Result, StoreError};

/// Writes a consistent copy of the live database to `file` (`VACUUM INTO`, which readers and
/// writers may use meanwhile). Refuses to overwrite an existing file.
pub async fn backup(db: &Db, file: &Path) -> Result<()> {
    let Db::Sqlite(pool) = db else {
        return Err(StoreError::UnsupportedUrl(
            "backup of PostgreSQL: use pg_dump (docs/OPERATIONS.md)".into(),
        ));
    };
    if file.exists() {
        return Err(StoreError::Corrupt(format!(
            "{} exists already",
            file.display()
        )));
    }
    let target = file
        .to_str()
        .ok_or_else(|| StoreError::Corrupt("the backup path is not UTF-8".into()))?;
    sqlx::query("vacuum into $1")
        .bind(target)
        .execute(pool)
        .await?;
    Ok(())
}

/// Replaces the SQLite database at `url` with the backup `file`, after checking that the backup
/// is a sound shanghui database. The server must be stopped first.
pub async fn restore(url: &str, file: &Path) -> Result<()> {
    let target = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| {
            StoreError::UnsupportedUrl(
                "restore of PostgreSQL: use pg_restore (docs/OPERATIONS.md)".into(),
            )
        })?;
    let target = target.split('?').next().unwrap_or(target);
    // Check the backup in place, read-only.
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(file)
        .read_only(true);
    let p = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await?;
    let ok: String = sqlx::query_scalar("pragma integrity_check")
        .fetch_one(&p)
        .await?;
    if ok != "ok" {
        return Err(StoreError::Corrupt(format!(
            "the backup fails its integrity check: {ok}"
        )));
    }
    let orgs: i64 = sqlx::query_scalar("select count(*) from organization")
        .fetch_one(&p)
        .await?;
    tracing::info!(organizations = orgs, "backup checked");
    p.close().await;
    let tmp = format!("{target}.restoring");
    std::fs::copy(file, &tmp)
        .map_err(|e| StoreError::Corrupt(format!("cannot copy the backup: {e}")))?;
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{target}{suffix}"));
    }
    std::fs::rename(&tmp, target)
        .map_err(|e| StoreError::Corrupt(format!("cannot replace the database: {e}")))?;
    Ok(())
}
