//! Administrative divisions: loaded once on `init`, read into memory by servers and imports.

use shanghui_core::division::{Division, DivisionCode, DivisionIndex, DivisionLevel};
use sqlx::QueryBuilder;

use crate::{Db, Result, StoreError, with_db};

/// Rows per multi-row insert: 7 columns, well under SQLite's 32,766 bound parameters.
const BATCH: usize = 2_000;

/// Loads the divisions (idempotent: codes already present are left alone). Returns how many rows
/// were new.
pub async fn load(db: &Db, rows: &[Division]) -> Result<u64> {
    let mut added = 0;
    with_db!(db, pool => {
        let mut tx = pool.begin().await?;
        for chunk in rows.chunks(BATCH) {
            let mut qb = QueryBuilder::new(
                "insert into division (code, name, level, parent_code, statistical_only, placeholder, no_county_level) ",
            );
            qb.push_values(chunk, |mut b, d| {
                b.push_bind(d.code.as_str().to_string())
                    .push_bind(d.name.clone())
                    .push_bind(d.level as i64)
                    .push_bind(d.parent.as_ref().map(|p| p.as_str().to_string()))
                    .push_bind(d.statistical_only)
                    .push_bind(d.placeholder)
                    .push_bind(d.no_county_level);
            });
            qb.push(" on conflict (code) do nothing");
            added += qb.build().execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
    });
    Ok(added)
}

#[derive(sqlx::FromRow)]
struct DivisionRow {
    code: String,
    name: String,
    level: i64,
    parent_code: Option<String>,
    statistical_only: bool,
    placeholder: bool,
    no_county_level: bool,
}

impl TryFrom<DivisionRow> for Division {
    type Error = StoreError;
    fn try_from(r: DivisionRow) -> Result<Self> {
        let bad = |what: &str| StoreError::Corrupt(format!("division {}: {what}", r.code));
        Ok(Division {
            code: DivisionCode::parse(&r.code).map_err(|_| bad("code"))?,
            level: DivisionLevel::from_i64(r.level).ok_or_else(|| bad("level"))?,
            parent: r
                .parent_code
                .as_deref()
                .map(DivisionCode::parse)
                .transpose()
                .map_err(|_| bad("parent"))?,
            name: r.name,
            statistical_only: r.statistical_only,
            placeholder: r.placeholder,
            no_county_level: r.no_county_level,
        })
    }
}

/// Every division, indexed by code.
pub async fn load_index(db: &Db) -> Result<DivisionIndex> {
    let sql = "select code, name, level, parent_code, statistical_only, placeholder, no_county_level from division";
    let rows: Vec<DivisionRow> = with_db!(db, pool => sqlx::query_as(sql).fetch_all(pool).await)?;
    Ok(DivisionIndex::new(
        rows.into_iter()
            .map(Division::try_from)
            .collect::<Result<_>>()?,
    ))
}

pub async fn count(db: &Db) -> Result<i64> {
    let sql = "select count(*) from division";
    Ok(with_db!(db, pool => sqlx::query_scalar(sql).fetch_one(pool).await)?)
}
