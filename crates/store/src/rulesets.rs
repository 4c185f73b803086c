//! Review rule sets: the rules of a template form, each saved as versions. Saving parses and
//! type-checks the rule against the form's newest template; an unchanged rule saves nothing; a
//! retired rule stops being current but keeps its versions (findings name the version that
//! produced them).

use chrono::{DateTime, Utc};
use shanghui_core::rules::{self, CompiledRule, Rule};
use shanghui_core::template::Template;
use shanghui_core::{Msg, Problem};

use crate::{Actor, Db, Result, StoreError, audit, with_db};

/// A stored version of a rule.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoredRule {
    pub id: i64,
    pub form_id: String,
    pub version: i64,
    pub rule: Rule,
    pub retired: bool,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

type Row = (i64, String, i64, String, bool, DateTime<Utc>, String);

fn convert(r: Row) -> Result<StoredRule> {
    let (id, form_id, version, json, retired, created_at, created_by) = r;
    let rule: Rule =
        serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("rule {id}: {e}")))?;
    Ok(StoredRule {
        id,
        form_id,
        version,
        rule,
        retired,
        created_at,
        created_by,
    })
}

const SELECT: &str = "select review_rule_id, form_id, version, definition, retired, created_at, created_by from review_rule";

/// The current rules of a form (newest version of each code, unless retired), by code.
pub async fn current(db: &Db, form_id: &str) -> Result<Vec<StoredRule>> {
    let sql = format!(
        "{SELECT} r where form_id = $1 and not retired and version = \
         (select max(version) from review_rule x where x.form_id = r.form_id and x.code = r.code) \
         order by review_rule_id"
    );
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(form_id).fetch_all(p).await)?;
    rows.into_iter().map(convert).collect()
}

/// Every version of one rule, oldest first.
pub async fn history(db: &Db, form_id: &str, code: &str) -> Result<Vec<StoredRule>> {
    let sql = format!("{SELECT} where form_id = $1 and code = $2 order by version");
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(form_id).bind(code).fetch_all(p).await)?;
    rows.into_iter().map(convert).collect()
}

/// Every version of every rule of a form, by code and version: one read for a page that shows
/// each rule with its history.
pub async fn all_versions(db: &Db, form_id: &str) -> Result<Vec<StoredRule>> {
    let sql = format!("{SELECT} where form_id = $1 order by code, version");
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(form_id).fetch_all(p).await)?;
    rows.into_iter().map(convert).collect()
}

pub async fn get(db: &Db, id: i64) -> Result<StoredRule> {
    let sql = format!("{SELECT} where review_rule_id = $1");
    let row: Option<Row> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id).fetch_optional(p).await)?;
    convert(row.ok_or(StoreError::NotFound)?)
}

/// The template rules are checked against: the form's newest version.
pub async fn form_template(db: &Db, form_id: &str) -> Result<(i64, Template)> {
    let id: Option<i64> = with_db!(db, p => sqlx::query_scalar(
        "select report_template_id from report_template where form_id = $1 order by version desc limit 1")
        .bind(form_id).fetch_optional(p).await)?;
    let id = id.ok_or(StoreError::NotFound)?;
    Ok((id, crate::templates::get(db, id).await?))
}

/// Parses and type-checks a rule against a template, as the store saves it.
pub fn check(rule: &Rule, t: &Template) -> Result<CompiledRule> {
    rules::compile(rule, t).map_err(|e| {
        StoreError::rejected(Problem::general(
            Msg::new("review.bad_rule")
                .with("code", &rule.code)
                .with("message", e.render(shanghui_core::Lang::ZhCn)),
        ))
    })
}

/// What a save did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Saved {
    New(i64),
    Changed(i64),
    Unchanged(i64),
}

/// Saves a rule of `form_id` after checking it against `t`: a new code, a new version of a
/// changed rule, or nothing when it is unchanged. Audited.
pub async fn save(
    db: &Db,
    form_id: &str,
    rule: &Rule,
    t: &Template,
    actor: &Actor,
) -> Result<Saved> {
    check(rule, t)?;
    let versions = history(db, form_id, &rule.code).await?;
    if let Some(last) = versions.last()
        && !last.retired
        && &last.rule == rule
    {
        return Ok(Saved::Unchanged(last.id));
    }
    let version = versions.last().map(|v| v.version).unwrap_or(0) + 1;
    let id = insert(db, form_id, rule, version, false, actor).await?;
    audit::record(
        db,
        actor,
        "rule.save",
        None,
        &serde_json::json!({
            "form_id": form_id, "code": rule.code, "version": version, "rule": id,
            "expr": rule.expr, "severity": rule.severity.code(),
            "old_expr": versions.last().map(|v| v.rule.expr.clone()),
        }),
    )
    .await?;
    Ok(if versions.is_empty() {
        Saved::New(id)
    } else {
        Saved::Changed(id)
    })
}

async fn insert(
    db: &Db,
    form_id: &str,
    rule: &Rule,
    version: i64,
    retired: bool,
    actor: &Actor,
) -> Result<i64> {
    let json = serde_json::to_string(rule).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let sql = "insert into review_rule (form_id, code, version, definition, retired, created_at, created_by) \
               values ($1, $2, $3, $4, $5, $6, $7) returning review_rule_id";
    Ok(with_db!(db, p => sqlx::query_scalar(sql)
        .bind(form_id).bind(&rule.code).bind(version).bind(&json).bind(retired)
        .bind(Utc::now()).bind(&actor.name).fetch_one(p).await)?)
}

/// Takes a rule out of the current set (a retiring version is saved, so the history shows when).
pub async fn retire(db: &Db, form_id: &str, code: &str, actor: &Actor) -> Result<()> {
    let versions = history(db, form_id, code).await?;
    let last = versions.last().ok_or(StoreError::NotFound)?;
    if last.retired {
        return Ok(());
    }
    insert(db, form_id, &last.rule, last.version + 1, true, actor).await?;
    audit::record(
        db,
        actor,
        "rule.retire",
        None,
        &serde_json::json!({"form_id": form_id, "code": code, "version": last.version + 1}),
    )
    .await
}

/// Saves a whole rule set (a workbook, the shipped sample): every rule checked first, nothing
/// saved if one fails; then each saved as [`save`] does. Counts of new, changed and unchanged.
pub async fn save_all(
    db: &Db,
    form_id: &str,
    set: &[Rule],
    t: &Template,
    actor: &Actor,
) -> Result<(usize, usize, usize)> {
    let problems: Vec<Problem> = set
        .iter()
        .filter_map(|r| match check(r, t) {
            Err(StoreError::Rejected(ps)) => Some(ps),
            _ => None,
        })
        .flatten()
        .collect();
    if !problems.is_empty() {
        return Err(StoreError::Rejected(problems));
    }
    let mut counts = (0, 0, 0);
    for r in set {
        match save(db, form_id, r, t, actor).await? {
            Saved::New(_) => counts.0 += 1,
            Saved::Changed(_) => counts.1 += 1,
            Saved::Unchanged(_) => counts.2 += 1,
        }
    }
    Ok(counts)
}

/// The shipped sample rules for the sample template's form, when the form has no rules yet.
pub async fn ensure_sample(db: &Db, actor: &Actor) -> Result<()> {
    let t = shanghui_core::template::sample();
    let any: Option<i64> = with_db!(db, p => sqlx::query_scalar(
        "select review_rule_id from review_rule where form_id = $1 limit 1")
        .bind(&t.form_id).fetch_optional(p).await)?;
    if any.is_none() {
        save_all(db, &t.form_id, &rules::sample_rules(), &t, actor).await?;
    }
    Ok(())
}
