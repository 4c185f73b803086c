//! The report's narrative templates as staff edited them, versioned: the latest version of each
//! (language, name) replaces the shipped default unless it has no body (the default put back).
//! The store keeps the text; `shanghui-writeup` checks it before it is saved.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use shanghui_core::Lang;

use crate::{Actor, Db, Result, audit, with_db};

/// One saved version.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Version {
    pub version: i64,
    /// `None`: the default was put back.
    pub body: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// The staff's current templates of `lang`, by name (defaults are not listed).
pub async fn current(db: &Db, lang: Lang) -> Result<BTreeMap<String, String>> {
    let sql = "select t.name, t.body from writeup_template t \
        where t.lang = $1 and t.version = (select max(version) from writeup_template u \
          where u.lang = t.lang and u.name = t.name)";
    let rows: Vec<(String, Option<String>)> =
        with_db!(db, p => sqlx::query_as(sql).bind(lang.tag()).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .filter_map(|(name, body)| body.map(|b| (name, b)))
        .collect())
}

/// Every version of one template, newest first.
pub async fn history(db: &Db, lang: Lang, name: &str) -> Result<Vec<Version>> {
    let sql = "select cast(version as bigint), body, created_at, created_by from writeup_template \
        where lang = $1 and name = $2 order by version desc";
    type Row = (i64, Option<String>, DateTime<Utc>, String);
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(sql)
        .bind(lang.tag()).bind(name).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|(version, body, created_at, created_by)| Version {
            version,
            body,
            created_at,
            created_by,
        })
        .collect())
}

/// Saves a new version of template `name` in `lang` (`None`: back to the default), audited.
/// The caller has checked the text.
pub async fn save(
    db: &Db,
    lang: Lang,
    name: &str,
    body: Option<&str>,
    actor: &Actor,
) -> Result<i64> {
    let next: i64 = with_db!(db, p => sqlx::query_scalar(
        "select cast(coalesce(max(version), 0) + 1 as bigint) from writeup_template where lang = $1 and name = $2")
        .bind(lang.tag()).bind(name).fetch_one(p).await)?;
    with_db!(db, p => sqlx::query(
        "insert into writeup_template (lang, name, version, body, created_at, created_by) \
         values ($1, $2, $3, $4, $5, $6)")
        .bind(lang.tag()).bind(name).bind(next as i32).bind(body).bind(Utc::now()).bind(&actor.name)
        .execute(p).await.map(|_| ()))?;
    audit::record(
        db,
        actor,
        if body.is_some() {
            "writeup.template.save"
        } else {
            "writeup.template.reset"
        },
        None,
        &serde_json::json!({"lang": lang.tag(), "name": name, "version": next, "body": body}),
    )
    .await?;
    Ok(next)
}
