//! What differs between the two databases for batch writes: how a write transaction starts and
//! how ids are reserved before multi-row inserts that need them (children rows referring to
//! their parents in the same statement batch).

use std::future::Future;

use sqlx::{Pool, Postgres, Sqlite, Transaction};

use crate::Result;

pub(crate) trait BatchWrites: sqlx::Database {
    /// A transaction that holds the write lock from the start where the database needs it.
    fn begin_write(
        pool: &Pool<Self>,
    ) -> impl Future<Output = Result<Transaction<'static, Self>>> + Send;

    /// `n` fresh ids for `table.column`, reserved for this transaction.
    fn reserve<'a>(
        tx: &'a mut Transaction<'static, Self>,
        table: &'static str,
        column: &'static str,
        n: usize,
    ) -> impl Future<Output = Result<Vec<i64>>> + Send + 'a;
}

impl BatchWrites for Sqlite {
    /// `BEGIN IMMEDIATE`: a deferred transaction that reads first and writes later fails with
    /// "database is locked" under concurrent writers instead of waiting its turn.
    async fn begin_write(pool: &Pool<Sqlite>) -> Result<Transaction<'static, Sqlite>> {
        Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Safe because the transaction holds SQLite's single write lock.
    async fn reserve(
        tx: &mut Transaction<'static, Sqlite>,
        table: &'static str,
        column: &'static str,
        n: usize,
    ) -> Result<Vec<i64>> {
        let sql = format!("select coalesce(max({column}), 0) + 1 from {table}");
        let base: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut **tx)
            .await?;
        Ok((0..n as i64).map(|i| base + i).collect())
    }
}

impl BatchWrites for Postgres {
    async fn begin_write(pool: &Pool<Postgres>) -> Result<Transaction<'static, Postgres>> {
        Ok(pool.begin().await?)
    }

    /// From the identity column's sequence.
    async fn reserve(
        tx: &mut Transaction<'static, Postgres>,
        table: &'static str,
        column: &'static str,
        n: usize,
    ) -> Result<Vec<i64>> {
        let sql = format!(
            "select nextval(pg_get_serial_sequence('{table}', '{column}')) from generate_series(1, $1)"
        );
        Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(n as i64)
            .fetch_all(&mut **tx)
            .await?)
    }
}
