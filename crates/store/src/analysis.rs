//! Problem analysis (精准查找问题): which rules and items fail most, by subtree, category and
//! year; each unit's problems; the conclusions. Counts are of current findings not dismissed,
//! over the submitted reports of a node's subtree.

use std::collections::BTreeMap;

use shanghui_core::review::Conclusion;
use shanghui_core::rules::Severity;
use shanghui_core::{ChamberCategory, OrgKind, Organization, Scope};

use crate::campaigns::Campaign;
use crate::{Db, Result, StoreError, with_db};

/// Findings of one rule (or one kind of problem recorded by hand).
#[derive(Debug, Clone, serde::Serialize)]
pub struct RuleCount {
    pub rule_code: Option<String>,
    pub trigger: Option<String>,
    pub severity: Severity,
    /// Reports with at least one such finding.
    pub reports: i64,
    /// The same rule's figure in the year before, in the same subtree.
    pub last_year: Option<i64>,
}

/// Findings by rule in the node's subtree, most frequent first, with last year's figure.
pub async fn by_rule(
    db: &Db,
    scope: &Scope,
    c: &Campaign,
    node: &Organization,
) -> Result<Vec<RuleCount>> {
    let (lo, hi) = range(scope, node)?;
    let sql = "select rule_code, trigger_code, severity, count(distinct report_id) from finding \
               where campaign_id = $1 and current and status <> 'dismissed' and path >= $2 and path < $3 \
               group by rule_code, trigger_code, severity order by 4 desc, 1";
    type Row = (Option<String>, Option<String>, String, i64);
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(sql)
        .bind(c.id).bind(&lo).bind(&hi).fetch_all(p).await)?;
    let last = last_year_by_rule(db, c.year - 1, &lo, &hi).await?;
    rows.into_iter()
        .map(|(rule_code, trigger, severity, reports)| {
            Ok(RuleCount {
                last_year: rule_code
                    .as_ref()
                    .map(|r| last.get(r).copied().unwrap_or(0)),
                severity: Severity::parse(&severity)
                    .ok_or_else(|| StoreError::Corrupt(format!("severity {severity}")))?,
                rule_code,
                trigger,
                reports,
            })
        })
        .collect()
}

async fn last_year_by_rule(
    db: &Db,
    year: i32,
    lo: &str,
    hi: &str,
) -> Result<BTreeMap<String, i64>> {
    let sql = "select rule_code, count(distinct report_id) from finding \
               where year = $1 and current and status <> 'dismissed' and rule_code is not null \
               and path >= $2 and path < $3 group by rule_code";
    let rows: Vec<(String, i64)> = with_db!(db, p => sqlx::query_as(sql)
        .bind(year).bind(lo).bind(hi).fetch_all(p).await)?;
    Ok(rows.into_iter().collect())
}

fn range(scope: &Scope, node: &Organization) -> Result<(String, String)> {
    if !scope.contains(&node.path) {
        return Err(StoreError::NotFound);
    }
    Ok((node.path.as_str().to_string(), node.path.upper_bound()))
}

/// Findings by item.
pub async fn by_item(
    db: &Db,
    scope: &Scope,
    c: &Campaign,
    node: &Organization,
) -> Result<Vec<(String, i64)>> {
    let (lo, hi) = range(scope, node)?;
    let sql = "select item, count(distinct report_id) from finding \
               where campaign_id = $1 and current and status <> 'dismissed' and item is not null \
               and path >= $2 and path < $3 group by item order by 2 desc, 1";
    Ok(with_db!(db, p => sqlx::query_as(sql).bind(c.id).bind(&lo).bind(&hi).fetch_all(p).await)?)
}

/// A part of the node (a child, a category) with its submitted reports and those with problems.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PartCount {
    pub id: Option<i64>,
    pub name: String,
    pub kind: Option<OrgKind>,
    pub category: Option<ChamberCategory>,
    pub submitted: i64,
    /// Submitted reports with at least one current finding not dismissed.
    pub with_problems: i64,
    pub findings: i64,
}

impl PartCount {
    pub fn share(&self) -> Option<f64> {
        (self.submitted > 0).then(|| self.with_problems as f64 / self.submitted as f64)
    }
}

/// By child of the node (children with at least one submitted report): the node's submitted
/// reports and current findings read in one range scan each, on the rates and findings indexes,
/// and dealt out to the children by path. A join per child made a province's figures cost
/// seconds when SQLite's cache was cold.
pub async fn by_child(
    db: &Db,
    scope: &Scope,
    c: &Campaign,
    node: &Organization,
) -> Result<Vec<PartCount>> {
    let (lo, hi) = range(scope, node)?;
    let children_sql = "select organization_id, name, kind, path from organization where parent_id = $1 \
        order by case kind when 'federation' then 0 when 'branch' then 1 else 2 end, division_code, name";
    let children: Vec<(i64, String, String, String)> = with_db!(db, p => sqlx::query_as(children_sql)
        .bind(node.id).fetch_all(p).await)?;
    let reports_sql = "select path from report where campaign_id = $1 and status = 'submitted' \
        and path >= $2 and path < $3";
    let reports: Vec<(String,)> = with_db!(db, p => sqlx::query_as(reports_sql)
        .bind(c.id).bind(&lo).bind(&hi).fetch_all(p).await)?;
    let findings_sql = "select path, report_id from finding where campaign_id = $1 and current \
        and status <> 'dismissed' and path >= $2 and path < $3";
    let findings: Vec<(String, i64)> = with_db!(db, p => sqlx::query_as(findings_sql)
        .bind(c.id).bind(&lo).bind(&hi).fetch_all(p).await)?;
    // Each child's subtree is the path range [path, upper bound); paths sort by range.
    let mut ranges: Vec<(String, String, usize)> = children
        .iter()
        .enumerate()
        .filter_map(|(i, (_, _, _, path))| {
            let p = shanghui_core::OrgPath::parse(path).ok()?;
            Some((p.as_str().to_string(), p.upper_bound(), i))
        })
        .collect();
    ranges.sort();
    let child_of = |path: &str| -> Option<usize> {
        let at = ranges.partition_point(|(start, _, _)| start.as_str() <= path);
        let (_, end, i) = ranges.get(at.checked_sub(1)?)?;
        (path < end.as_str()).then_some(*i)
    };
    let mut submitted = vec![0i64; children.len()];
    for (path,) in &reports {
        if let Some(i) = child_of(path) {
            submitted[i] += 1;
        }
    }
    let mut found = vec![0i64; children.len()];
    let mut with_problems: Vec<std::collections::HashSet<i64>> =
        vec![std::collections::HashSet::new(); children.len()];
    for (path, report) in &findings {
        if let Some(i) = child_of(path) {
            found[i] += 1;
            with_problems[i].insert(*report);
        }
    }
    Ok(children
        .into_iter()
        .enumerate()
        .filter(|(i, _)| submitted[*i] > 0)
        .map(|(i, (id, name, kind, _))| PartCount {
            id: Some(id),
            name,
            kind: OrgKind::from_code(&kind),
            category: None,
            submitted: submitted[i],
            with_problems: with_problems[i].len() as i64,
            findings: found[i],
        })
        .collect())
}

/// By chamber category (the registry's), over the node's subtree.
pub async fn by_category(
    db: &Db,
    scope: &Scope,
    c: &Campaign,
    node: &Organization,
) -> Result<Vec<PartCount>> {
    let (lo, hi) = range(scope, node)?;
    let reports_sql = "select o.category, count(*) from report r join organization o on o.organization_id = r.organization_id \
        where r.campaign_id = $1 and r.status = 'submitted' and r.path >= $2 and r.path < $3 group by o.category";
    let findings_sql = "select o.category, count(distinct f.report_id), count(*) from finding f \
        join organization o on o.organization_id = f.organization_id \
        where f.campaign_id = $1 and f.current and f.status <> 'dismissed' and f.path >= $2 and f.path < $3 \
        group by o.category";
    let parts: Vec<(Option<String>, i64)> = with_db!(db, p => sqlx::query_as(reports_sql)
        .bind(c.id).bind(&lo).bind(&hi).fetch_all(p).await)?;
    let found: Vec<(Option<String>, i64, i64)> = with_db!(db, p => sqlx::query_as(findings_sql)
        .bind(c.id).bind(&lo).bind(&hi).fetch_all(p).await)?;
    let found: BTreeMap<Option<String>, (i64, i64)> =
        found.into_iter().map(|(k, r, f)| (k, (r, f))).collect();
    let mut out: Vec<PartCount> = parts
        .into_iter()
        .map(|(cat, submitted)| {
            let (with_problems, findings) = found.get(&cat).copied().unwrap_or((0, 0));
            let category = cat.as_deref().and_then(ChamberCategory::from_code);
            PartCount {
                id: None,
                name: cat.unwrap_or_default(),
                kind: None,
                category,
                submitted,
                with_problems,
                findings,
            }
        })
        .collect();
    out.sort_by_key(|p| p.category);
    Ok(out)
}

/// A unit with problems.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UnitProblems {
    pub id: i64,
    pub name: String,
    pub findings: i64,
    /// The rules (and kinds of problem recorded by hand) it fails, comma-joined codes.
    pub codes: String,
    pub conclusion: Option<Conclusion>,
}

/// The units of the node with current findings not dismissed, most findings first.
pub async fn units(
    db: &Db,
    scope: &Scope,
    c: &Campaign,
    node: &Organization,
    limit: i64,
) -> Result<Vec<UnitProblems>> {
    let (lo, hi) = range(scope, node)?;
    let sql = "select f.organization_id, o.name, count(*), v.conclusion from finding f \
        join organization o on o.organization_id = f.organization_id \
        left join review v on v.report_id = f.report_id \
        where f.campaign_id = $1 and f.current and f.status <> 'dismissed' and f.path >= $2 and f.path < $3 \
        group by f.organization_id, o.name, v.conclusion order by 3 desc, 2 limit $4";
    type Row = (i64, String, i64, Option<String>);
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(sql)
        .bind(c.id).bind(&lo).bind(&hi).bind(limit).fetch_all(p).await)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let mut codes: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for chunk in ids.chunks(2_000) {
        let found: Vec<(i64, Option<String>, Option<String>)> = with_db!(db, p => {
            let mut q = sqlx::QueryBuilder::new(
                "select organization_id, rule_code, trigger_code from finding where campaign_id = ");
            q.push_bind(c.id).push(" and current and status <> 'dismissed' and organization_id in (");
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            q.push(") order by finding_id");
            q.build_query_as().fetch_all(p).await
        })?;
        for (org, rule, trigger) in found {
            if let Some(code) = rule.or(trigger) {
                codes.entry(org).or_default().push(code);
            }
        }
    }
    Ok(rows
        .into_iter()
        .map(|(id, name, findings, conclusion)| UnitProblems {
            id,
            name,
            findings,
            codes: codes.remove(&id).unwrap_or_default().join(", "),
            conclusion: conclusion.as_deref().and_then(Conclusion::from_code),
        })
        .collect())
}

/// How many reports of the node's subtree got each conclusion; `None` counts the submitted
/// reports without one yet.
pub async fn conclusions(
    db: &Db,
    scope: &Scope,
    c: &Campaign,
    node: &Organization,
) -> Result<Vec<(Option<Conclusion>, i64)>> {
    let (lo, hi) = range(scope, node)?;
    let sql = "select v.conclusion, count(*) from report r left join review v on v.report_id = r.report_id \
               where r.campaign_id = $1 and r.status = 'submitted' and r.path >= $2 and r.path < $3 \
               group by v.conclusion";
    let rows: Vec<(Option<String>, i64)> = with_db!(db, p => sqlx::query_as(sql)
        .bind(c.id).bind(&lo).bind(&hi).fetch_all(p).await)?;
    let mut out: Vec<(Option<Conclusion>, i64)> = rows
        .into_iter()
        .map(|(c, n)| (c.as_deref().and_then(Conclusion::from_code), n))
        .collect();
    out.sort_by_key(|(c, _)| c.map(|c| c as u8 + 1).unwrap_or(0));
    Ok(out)
}
