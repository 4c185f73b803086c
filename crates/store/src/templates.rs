//! Annual-report template versions. A version is never changed once saved (reports keep the
//! form they were filled against); editing a template saves the next version.

use chrono::{DateTime, Utc};
use shanghui_core::template::{self, Template};
use shanghui_core::{Msg, Problem};

use crate::{Actor, Db, Result, StoreError, audit, with_db};

/// A stored version, without its items.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TemplateInfo {
    pub id: i64,
    pub form_id: String,
    pub version: i64,
    pub title_zh: String,
    pub title_en: String,
    pub items: usize,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    /// Campaigns that pin this version.
    pub campaigns: i64,
}

fn decode(json: &str) -> Result<Template> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("template: {e}")))
}

/// Saves a new version; refused when the form already has a version with this number.
pub async fn save(db: &Db, t: &Template, actor: &Actor) -> Result<i64> {
    // The items' own rules (the workbook's `rule` column) are checked like any rule, so a
    // template never stores one that review could not run.
    let bad: Vec<Problem> = shanghui_core::rules::template_rules(t)
        .iter()
        .filter_map(|r| {
            let e = shanghui_core::rules::compile(r, t).err()?;
            Some(Problem::general(
                Msg::new("template.bad_rule")
                    .with("item", &r.code)
                    .with_both(
                        "message",
                        &e.render(shanghui_core::Lang::ZhCn),
                        &e.render(shanghui_core::Lang::En),
                    ),
            ))
        })
        .collect();
    if !bad.is_empty() {
        return Err(StoreError::Rejected(bad));
    }
    let definition = serde_json::to_string(t).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let exists: Option<i64> = with_db!(db, p => sqlx::query_scalar(
        "select report_template_id from report_template where form_id = $1 and version = $2")
        .bind(&t.form_id).bind(t.version as i64).fetch_optional(p).await)?;
    if exists.is_some() {
        return Err(StoreError::rejected(Problem::general(
            Msg::new("template.version_exists")
                .with("form", &t.form_id)
                .with("version", t.version),
        )));
    }
    let sql = "insert into report_template (form_id, version, title, definition, created_at, created_by) \
               values ($1, $2, $3, $4, $5, $6) returning report_template_id";
    let id: i64 = with_db!(db, p => sqlx::query_scalar(sql)
        .bind(&t.form_id).bind(t.version as i64).bind(&t.title_zh).bind(&definition)
        .bind(Utc::now()).bind(&actor.name).fetch_one(p).await)?;
    audit::record(
        db,
        actor,
        "template.create",
        None,
        &serde_json::json!({"template": id, "form_id": t.form_id, "version": t.version, "items": t.items.len()}),
    )
    .await?;
    Ok(id)
}

/// The shipped sample (ANNUAL_REPORT_TEMPLATE.md) when no version of it is stored yet, and its
/// sample review rules when its form has none; the template's id.
pub async fn ensure_sample(db: &Db, actor: &Actor) -> Result<i64> {
    let t = template::sample();
    let id: Option<i64> = with_db!(db, p => sqlx::query_scalar(
        "select report_template_id from report_template where form_id = $1 and version = $2")
        .bind(&t.form_id).bind(t.version as i64).fetch_optional(p).await)?;
    let id = match id {
        Some(id) => id,
        None => save(db, &t, actor).await?,
    };
    // The sample template comes with its sample review rules.
    crate::rulesets::ensure_sample(db, actor).await?;
    Ok(id)
}

pub async fn get(db: &Db, id: i64) -> Result<Template> {
    let json: Option<String> = with_db!(db, p => sqlx::query_scalar(
        "select definition from report_template where report_template_id = $1")
        .bind(id).fetch_optional(p).await)?;
    decode(&json.ok_or(StoreError::NotFound)?)
}

/// Every version, newest first within each form.
pub async fn list(db: &Db) -> Result<Vec<TemplateInfo>> {
    type Row = (i64, String, i64, String, DateTime<Utc>, String, i64);
    let sql = "select t.report_template_id, t.form_id, t.version, t.definition, t.created_at, t.created_by, \
               (select count(*) from campaign c where c.report_template_id = t.report_template_id) \
               from report_template t order by t.form_id, t.version desc";
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(sql).fetch_all(p).await)?;
    rows.into_iter()
        .map(
            |(id, form_id, version, json, created_at, created_by, campaigns)| {
                let t = decode(&json)?;
                Ok(TemplateInfo {
                    id,
                    form_id,
                    version,
                    title_zh: t.title_zh,
                    title_en: t.title_en,
                    items: t.items.len(),
                    created_at,
                    created_by,
                    campaigns,
                })
            },
        )
        .collect()
}

/// The number the next version of `form_id` should carry.
pub async fn next_version(db: &Db, form_id: &str) -> Result<u32> {
    let max: Option<i64> = with_db!(db, p => sqlx::query_scalar(
        "select max(version) from report_template where form_id = $1")
        .bind(form_id).fetch_one(p).await)?;
    Ok(max.unwrap_or(0) as u32 + 1)
}

/// The newest version of the newest form saved: what a new campaign offers first.
pub async fn latest(db: &Db) -> Result<Option<i64>> {
    Ok(with_db!(db, p => sqlx::query_scalar(
        "select report_template_id from report_template order by created_at desc, report_template_id desc limit 1")
        .fetch_optional(p).await)?)
}
