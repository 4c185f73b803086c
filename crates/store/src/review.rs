//! Item-by-item review (逐项审查): running a rule set over a campaign's submitted reports (or one
//! report on submission), the findings with their history, what reviewers do with them, the
//! conclusion, and assignments to third-party reviewers.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::{DateTime, Utc};
use shanghui_core::report::{Answers, from_json};
use shanghui_core::review::{
    Conclusion, ConclusionMap, FindingFacts, FindingStatus, Trigger, next_finding_status, note,
};
use shanghui_core::rules::{self, CompiledRule, OrgFacts, Outcome, Prepared, Severity};
use shanghui_core::template::Template;
use shanghui_core::{Lang, Msg, Organization, Problem, Scope};
use sqlx::QueryBuilder;

use crate::campaigns::{self, Campaign};
use crate::orgs::{COLUMNS, OrgRow};
use crate::reports::{self, Report};
use crate::rulesets::{self, StoredRule};
use crate::{Actor, Db, Result, StoreError, audit, templates, with_db};

fn refused(msg: Msg) -> StoreError {
    StoreError::rejected(Problem::general(msg))
}

/// A finding as the review shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Finding {
    pub id: i64,
    pub report_id: i64,
    pub organization_id: i64,
    /// The rule version that produced it; `None` for one added by hand.
    pub rule_id: Option<i64>,
    pub rule_code: Option<String>,
    pub trigger: Option<String>,
    pub item: Option<String>,
    pub severity: Severity,
    pub status: FindingStatus,
    /// The values the rule read (item, value shown), or the evaluation error, or the
    /// reviewer's description.
    pub detail: serde_json::Value,
    pub note: Option<String>,
    pub current: bool,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<String>,
}

type FindingRow = (
    i64,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    Option<String>,
    bool,
    DateTime<Utc>,
    String,
    Option<DateTime<Utc>>,
    Option<String>,
);

const FINDING_COLUMNS: &str = "finding_id, report_id, organization_id, review_rule_id, rule_code, trigger_code, \
    item, severity, status, detail, note, current, created_at, created_by, updated_at, updated_by";

fn finding(r: FindingRow) -> Result<Finding> {
    let bad = |w: &str| StoreError::Corrupt(format!("finding {}: {w}", r.0));
    Ok(Finding {
        id: r.0,
        report_id: r.1,
        organization_id: r.2,
        rule_id: r.3,
        rule_code: r.4,
        trigger: r.5,
        item: r.6,
        severity: Severity::parse(&r.7).ok_or_else(|| bad("severity"))?,
        status: FindingStatus::from_code(&r.8).ok_or_else(|| bad("status"))?,
        detail: serde_json::from_str(&r.9).map_err(|_| bad("detail"))?,
        note: r.10,
        current: r.11,
        created_at: r.12,
        created_by: r.13,
        updated_at: r.14,
        updated_by: r.15,
    })
}

/// The conclusion mapping staff have set, or the default (STANDARDS.md §4).
pub async fn conclusion_map(db: &Db) -> Result<ConclusionMap> {
    let json: Option<String> = with_db!(db, p => sqlx::query_scalar(
        "select value from setting where key = 'conclusion_map'").fetch_optional(p).await)?;
    match json {
        Some(j) => serde_json::from_str(&j).map_err(|e| StoreError::Corrupt(e.to_string())),
        None => Ok(ConclusionMap::default()),
    }
}

/// Saves the conclusion mapping (audited with the old and new mapping).
pub async fn set_conclusion_map(db: &Db, map: &ConclusionMap, actor: &Actor) -> Result<()> {
    let old = conclusion_map(db).await?;
    let json = serde_json::to_string(map).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let now = Utc::now();
    with_db!(db, p => sqlx::query(
        "insert into setting (key, value, updated_at, updated_by) values ('conclusion_map', $1, $2, $3) \
         on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by")
        .bind(&json).bind(now).bind(&actor.name).execute(p).await.map(|_| ()))?;
    audit::record(
        db,
        actor,
        "review.conclusion_map",
        None,
        &serde_json::json!({"old": old, "new": map}),
    )
    .await
}

/// The compiled current rules of the campaign's template form, with the rule versions' ids.
/// Rules that no longer compile against this template (it changed since) are left out and
/// named.
pub fn compile_all(set: &[StoredRule], t: &Template) -> (Vec<(i64, CompiledRule)>, Vec<String>) {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for s in set {
        match rules::compile(&s.rule, t) {
            Ok(c) => ok.push((s.id, c)),
            Err(_) => bad.push(s.rule.code.clone()),
        }
    }
    (ok, bad)
}

/// What a run did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct RunSummary {
    pub reports: usize,
    pub rules: usize,
    pub evaluations: usize,
    /// Findings the run added.
    pub added: usize,
    /// Findings still found (kept as they were, reviewers' decisions included).
    pub kept: usize,
    /// Findings no longer found, or found again by a newer version of their rule.
    pub closed: usize,
    /// Rules left out because they no longer compile against the campaign's template.
    pub skipped_rules: Vec<String>,
    /// Seconds spent evaluating, and in all.
    pub compute_seconds: f64,
    pub total_seconds: f64,
}

/// One submitted report, ready to check.
struct Subject {
    report_id: i64,
    org_id: i64,
    path: String,
    answers: Answers,
}

/// A current finding produced by a rule, as a run compares against.
struct Existing {
    id: i64,
    report_id: i64,
    rule_id: i64,
    rule_code: String,
}

/// A finding a run adds.
struct NewFinding {
    report_id: i64,
    org_id: i64,
    path: String,
    rule_id: i64,
    rule_code: String,
    item: Option<String>,
    severity: Severity,
    detail: String,
}

/// Runs the current rules over every submitted report of the campaign in `scope` (or over one
/// unit's report): adds what is newly found, closes what is no longer found (and findings of an
/// older version of a rule that a newer version finds again), keeps the rest with the
/// reviewers' decisions. Audited as one entry.
pub async fn run(
    db: &Db,
    scope: &Scope,
    campaign_id: i64,
    only_org: Option<i64>,
    actor: &Actor,
) -> Result<RunSummary> {
    let started = Instant::now();
    let c = campaigns::get(db, scope, campaign_id).await?;
    let t = templates::get(db, c.template_id).await?;
    let set = rulesets::current(db, &t.form_id).await?;
    let (compiled, skipped_rules) = compile_all(&set, &t);
    let subjects = load_subjects(db, scope, &c, &t, only_org).await?;
    let ids: Vec<i64> = subjects.iter().map(|s| s.org_id).collect();
    let prev = previous_answers(db, &ids, c.year).await?;
    let facts = org_facts(db, &ids).await?;
    let existing = current_rule_findings(db, scope, campaign_id, only_org).await?;

    let compute = Instant::now();
    let no_facts = OrgFacts::default();
    let mut found: Vec<NewFinding> = Vec::new();
    let mut evaluations = 0usize;
    // (report, rule code) → rule version id that fails now.
    let mut failing: HashMap<(i64, &str), i64> = HashMap::new();
    for s in &subjects {
        let org = facts.get(&s.org_id).unwrap_or(&no_facts);
        let p = Prepared::new(&t, &s.answers, prev.get(&s.org_id), org, c.year);
        for (rule_id, rule) in &compiled {
            evaluations += 1;
            let detail = match rule.eval(&p) {
                Outcome::Pass | Outcome::Skipped => continue,
                Outcome::Fail => {
                    serde_json::json!({"values": rules::explain(rule, &p, Lang::ZhCn)})
                }
                Outcome::Error(m) => serde_json::json!({
                    "values": rules::explain(rule, &p, Lang::ZhCn),
                    "error_zh": m.render(Lang::ZhCn), "error_en": m.render(Lang::En),
                }),
            };
            failing.insert((s.report_id, rule.rule.code.as_str()), *rule_id);
            found.push(NewFinding {
                report_id: s.report_id,
                org_id: s.org_id,
                path: s.path.clone(),
                rule_id: *rule_id,
                rule_code: rule.rule.code.clone(),
                item: rule.items.first().cloned(),
                severity: rule.rule.severity,
                detail: detail.to_string(),
            });
        }
    }
    let compute_seconds = compute.elapsed().as_secs_f64();

    // Kept: the same rule version still fails. Closed: no longer failing, or failing under a
    // newer version (which gets a finding of its own).
    let mut keep: HashSet<(i64, i64)> = HashSet::new();
    let mut close = Vec::new();
    for e in &existing {
        match failing.get(&(e.report_id, e.rule_code.as_str())) {
            Some(v) if *v == e.rule_id => {
                keep.insert((e.report_id, e.rule_id));
            }
            _ => close.push(e.id),
        }
    }
    found.retain(|f| !keep.contains(&(f.report_id, f.rule_id)));
    write_run(db, &c, &found, &close, actor).await?;
    let summary = RunSummary {
        reports: subjects.len(),
        rules: compiled.len(),
        evaluations,
        added: found.len(),
        kept: keep.len(),
        closed: close.len(),
        skipped_rules,
        compute_seconds,
        total_seconds: started.elapsed().as_secs_f64(),
    };
    audit::record(
        db,
        actor,
        "review.run",
        None,
        &serde_json::json!({
            "campaign": campaign_id, "unit": only_org, "reports": summary.reports,
            "rules": summary.rules, "added": summary.added, "kept": summary.kept,
            "closed": summary.closed,
        }),
    )
    .await?;
    Ok(summary)
}

async fn load_subjects(
    db: &Db,
    scope: &Scope,
    c: &Campaign,
    t: &Template,
    only_org: Option<i64>,
) -> Result<Vec<Subject>> {
    let (lo, hi) = scope.range();
    let sql = "select report_id, organization_id, path, answers from report \
               where campaign_id = $1 and status = 'submitted' and path >= $2 and path < $3 \
               and ($4 = 0 or organization_id = $4) order by path";
    let rows: Vec<(i64, i64, String, Option<String>)> = with_db!(db, p => sqlx::query_as(sql)
        .bind(c.id).bind(&lo).bind(&hi).bind(only_org.unwrap_or(0)).fetch_all(p).await)?;
    rows.into_iter()
        .map(|(report_id, org_id, path, json)| {
            let answers = match json {
                Some(j) => from_json(t, &j).map_err(StoreError::Corrupt)?,
                None => Answers::new(),
            };
            Ok(Subject {
                report_id,
                org_id,
                path,
                answers,
            })
        })
        .collect()
}

/// Last year's submitted answers of these units, read with their own templates.
async fn previous_answers(db: &Db, ids: &[i64], year: i32) -> Result<HashMap<i64, Answers>> {
    let mut out = HashMap::new();
    let mut templates_seen: HashMap<i64, Template> = HashMap::new();
    for chunk in ids.chunks(5_000) {
        let rows: Vec<(i64, i64, Option<String>)> = with_db!(db, p => {
            let mut q = QueryBuilder::new(
                "select r.organization_id, c.report_template_id, r.answers from report r \
                 join campaign c on c.campaign_id = r.campaign_id where r.status = 'submitted' and r.year = ");
            q.push_bind(year - 1).push(" and r.organization_id in (");
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            q.push(")");
            q.build_query_as().fetch_all(p).await
        })?;
        for (org, tid, json) in rows {
            if let std::collections::hash_map::Entry::Vacant(e) = templates_seen.entry(tid) {
                e.insert(templates::get(db, tid).await?);
            }
            if let Some(j) = json {
                let a = from_json(&templates_seen[&tid], &j).map_err(StoreError::Corrupt)?;
                out.insert(org, a);
            }
        }
    }
    Ok(out)
}

/// What the registry says of these units, for `org.<field>` in rules.
async fn org_facts(db: &Db, ids: &[i64]) -> Result<HashMap<i64, OrgFacts>> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(5_000) {
        let rows: Vec<OrgRow> = with_db!(db, p => {
            let mut q = QueryBuilder::new(format!("select {COLUMNS} from organization where organization_id in ("));
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            q.push(")");
            q.build_query_as().fetch_all(p).await
        })?;
        for r in rows {
            let o = Organization::try_from(r)?;
            out.insert(o.id, OrgFacts::from(&o.record));
        }
    }
    Ok(out)
}

async fn current_rule_findings(
    db: &Db,
    scope: &Scope,
    campaign_id: i64,
    only_org: Option<i64>,
) -> Result<Vec<Existing>> {
    let (lo, hi) = scope.range();
    let sql = "select finding_id, report_id, review_rule_id, rule_code from finding \
               where campaign_id = $1 and current and review_rule_id is not null \
               and path >= $2 and path < $3 and ($4 = 0 or organization_id = $4)";
    let rows: Vec<(i64, i64, i64, String)> = with_db!(db, p => sqlx::query_as(sql)
        .bind(campaign_id).bind(&lo).bind(&hi).bind(only_org.unwrap_or(0)).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, report_id, rule_id, rule_code)| Existing {
            id,
            report_id,
            rule_id,
            rule_code,
        })
        .collect())
}

/// The run's writes in one transaction, in multi-row statements.
async fn write_run(
    db: &Db,
    c: &Campaign,
    found: &[NewFinding],
    close: &[i64],
    actor: &Actor,
) -> Result<()> {
    let now = Utc::now();
    with_db!(db, p => {
        let mut tx = p.begin().await?;
        for chunk in close.chunks(2_000) {
            let mut q = QueryBuilder::new("update finding set current = false, updated_at = ");
            q.push_bind(now).push(", updated_by = ").push_bind(&actor.name).push(" where finding_id in (");
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(*id);
            }
            q.push(")");
            q.build().execute(&mut *tx).await?;
        }
        for chunk in found.chunks(1_000) {
            let mut q = QueryBuilder::new(
                "insert into finding (report_id, campaign_id, organization_id, path, year, review_rule_id, rule_code, \
                 item, severity, status, detail, current, created_at, created_by) ");
            q.push_values(chunk, |mut b, f| {
                b.push_bind(f.report_id).push_bind(c.id).push_bind(f.org_id).push_bind(&f.path)
                    .push_bind(c.year).push_bind(f.rule_id).push_bind(&f.rule_code).push_bind(&f.item)
                    .push_bind(f.severity.code()).push_bind("open").push_bind(&f.detail).push_bind(true)
                    .push_bind(now).push_bind(&actor.name);
            });
            q.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// The error-level rules a report's answers break: these stop an online submission. Returned
/// by item, with the rule's name and instruction.
pub async fn blocking_problems(
    db: &Db,
    report: &Report,
    t: &Template,
    answers: &Answers,
) -> Result<Vec<(String, Msg)>> {
    let set = rulesets::current(db, &t.form_id).await?;
    let (compiled, _) = compile_all(&set, t);
    let all = Scope::all();
    let prev = reports::previous_answers(db, &all, report.organization_id, report.year).await?;
    let org = crate::orgs::get(db, &all, report.organization_id).await?;
    let facts = org.map(|o| OrgFacts::from(&o.record)).unwrap_or_default();
    let p = Prepared::new(t, answers, prev.as_ref(), &facts, report.year);
    Ok(compiled
        .iter()
        .filter(|(_, r)| r.rule.severity == Severity::Error)
        .filter(|(_, r)| matches!(r.eval(&p), Outcome::Fail))
        .map(|(_, r)| {
            let item = r.items.first().cloned().unwrap_or_default();
            let msg = Msg::new("review.submit_blocked")
                .with_both("name", &r.rule.name_zh, &r.rule.name_en)
                .with_both(
                    "instruction",
                    &r.rule.instruction_zh,
                    &r.rule.instruction_en,
                );
            (item, msg)
        })
        .collect())
}

/// The review of one report: its findings (current ones, or all with history), notes,
/// assignment and conclusion, and the conclusion the findings suggest.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReportReview {
    pub report_id: i64,
    pub findings: Vec<Finding>,
    pub notes: Vec<Note>,
    pub reviewer_id: Option<i64>,
    pub reviewer_name: Option<String>,
    pub conclusion: Option<Conclusion>,
    pub suggested: Conclusion,
    pub comment: Option<String>,
    pub concluded_at: Option<DateTime<Utc>>,
    pub concluded_by: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Note {
    pub item: Option<String>,
    pub text: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// The report must exist in the scope and be submitted to be reviewed.
async fn reviewed_report(db: &Db, scope: &Scope, campaign_id: i64, org_id: i64) -> Result<Report> {
    let (r, _) = reports::get(db, scope, campaign_id, org_id).await?;
    if r.status != Some(shanghui_core::report::ReportStatus::Submitted) {
        return Err(refused(Msg::new("review.not_submitted")));
    }
    Ok(r)
}

pub async fn findings_of(db: &Db, report_id: i64, with_history: bool) -> Result<Vec<Finding>> {
    let sql = format!(
        "select {FINDING_COLUMNS} from finding where report_id = $1 and (current or $2) order by finding_id"
    );
    let rows: Vec<FindingRow> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(report_id).bind(with_history).fetch_all(p).await)?;
    rows.into_iter().map(finding).collect()
}

pub async fn report_review(
    db: &Db,
    scope: &Scope,
    campaign_id: i64,
    org_id: i64,
    with_history: bool,
) -> Result<ReportReview> {
    let (r, _) = reports::get(db, scope, campaign_id, org_id).await?;
    let findings = findings_of(db, r.id, with_history).await?;
    let notes: Vec<(Option<String>, String, DateTime<Utc>, String)> = with_db!(db, p => sqlx::query_as(
        "select item, text, created_at, created_by from review_note where report_id = $1 order by review_note_id")
        .bind(r.id).fetch_all(p).await)?;
    type ReviewRow = (
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<DateTime<Utc>>,
        Option<String>,
    );
    let row: Option<ReviewRow> = with_db!(db, p => sqlx::query_as(
        "select v.reviewer_id, u.display_name, v.conclusion, v.comment, v.concluded_at, v.concluded_by \
         from review v left join app_user u on u.app_user_id = v.reviewer_id where v.report_id = $1")
        .bind(r.id).fetch_optional(p).await)?;
    let map = conclusion_map(db).await?;
    let suggested = map.suggest(findings.iter().filter(|f| f.current).map(|f| FindingFacts {
        rule: f.rule_code.as_deref(),
        trigger: f.trigger.as_deref(),
        severity: f.severity,
        status: f.status,
    }));
    let (reviewer_id, reviewer_name, conclusion, comment, concluded_at, concluded_by) =
        row.unwrap_or_default();
    Ok(ReportReview {
        report_id: r.id,
        findings,
        notes: notes
            .into_iter()
            .map(|(item, text, created_at, created_by)| Note {
                item,
                text,
                created_at,
                created_by,
            })
            .collect(),
        reviewer_id,
        reviewer_name,
        conclusion: conclusion.as_deref().and_then(Conclusion::from_code),
        suggested,
        comment,
        concluded_at,
        concluded_by,
    })
}

/// Confirms or dismisses a current finding of a report in the scope (a dismissal needs a
/// reason). Audited with the old and new state.
pub async fn decide(
    db: &Db,
    scope: &Scope,
    finding_id: i64,
    to: FindingStatus,
    reason: Option<&str>,
    actor: &Actor,
) -> Result<Finding> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "select {FINDING_COLUMNS} from finding where finding_id = $1 and current and path >= $2 and path < $3"
    );
    let row: Option<FindingRow> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(finding_id).bind(&lo).bind(&hi).fetch_optional(p).await)?;
    let f = finding(row.ok_or(StoreError::NotFound)?)?;
    let (status, note) = next_finding_status(f.status, to, reason).map_err(refused)?;
    let now = Utc::now();
    let path: String = with_db!(db, p => sqlx::query_scalar("select path from finding where finding_id = $1")
        .bind(finding_id).fetch_one(p).await)?;
    with_db!(db, p => sqlx::query(
        "update finding set status = $1, note = $2, updated_at = $3, updated_by = $4 where finding_id = $5")
        .bind(status.code()).bind(&note).bind(now).bind(&actor.name).bind(finding_id)
        .execute(p).await.map(|_| ()))?;
    audit::record(
        db,
        actor,
        "review.finding",
        Some((f.organization_id, &path)),
        &serde_json::json!({
            "finding": finding_id, "rule": f.rule_code, "item": f.item,
            "old": f.status.code(), "new": status.code(), "reason": note,
        }),
    )
    .await?;
    let rows = findings_of(db, f.report_id, true).await?;
    rows.into_iter()
        .find(|x| x.id == finding_id)
        .ok_or(StoreError::NotFound)
}

/// A reviewer records a problem by hand: a trigger of STANDARDS.md §4 (which decides the
/// conclusion it leads to), the item concerned if any, and a description. Confirmed at once.
// The report's key, what was found, where and why, and who: each is needed.
#[allow(clippy::too_many_arguments)]
pub async fn add_finding(
    db: &Db,
    scope: &Scope,
    campaign_id: i64,
    org_id: i64,
    trigger: &str,
    item: Option<&str>,
    description: &str,
    actor: &Actor,
) -> Result<i64> {
    let r = reviewed_report(db, scope, campaign_id, org_id).await?;
    let trig = Trigger::find(trigger)
        .ok_or_else(|| refused(Msg::new("review.unknown_trigger").with("value", trigger)))?;
    let text = note(description).map_err(refused)?;
    if let Some(i) = item {
        let t = templates::get(db, r.template_id).await?;
        if t.item(i).is_none() {
            return Err(refused(Msg::new("review.unknown_item").with("value", i)));
        }
    }
    let sql = "insert into finding (report_id, campaign_id, organization_id, path, year, trigger_code, item, severity, \
               status, detail, note, current, created_at, created_by) \
               values ($1, $2, $3, $4, $5, $6, $7, 'finding', 'confirmed', $8, $9, true, $10, $11) returning finding_id";
    let detail = serde_json::json!({"manual": true}).to_string();
    let id: i64 = with_db!(db, p => sqlx::query_scalar(sql)
        .bind(r.id).bind(campaign_id).bind(org_id).bind(&r.path).bind(r.year).bind(trig.code)
        .bind(item).bind(&detail).bind(&text).bind(Utc::now()).bind(&actor.name).fetch_one(p).await)?;
    audit::record(
        db,
        actor,
        "review.finding_add",
        Some((org_id, &r.path)),
        &serde_json::json!({"finding": id, "campaign": campaign_id, "trigger": trig.code, "item": item, "note": text}),
    )
    .await?;
    Ok(id)
}

/// A reviewer's comment on a report (or one of its items).
pub async fn comment(
    db: &Db,
    scope: &Scope,
    campaign_id: i64,
    org_id: i64,
    item: Option<&str>,
    text: &str,
    actor: &Actor,
) -> Result<()> {
    let r = reviewed_report(db, scope, campaign_id, org_id).await?;
    let text = note(text).map_err(refused)?;
    with_db!(db, p => sqlx::query(
        "insert into review_note (report_id, item, text, created_at, created_by) values ($1, $2, $3, $4, $5)")
        .bind(r.id).bind(item).bind(&text).bind(Utc::now()).bind(&actor.name).execute(p).await.map(|_| ()))?;
    audit::record(
        db,
        actor,
        "review.comment",
        Some((org_id, &r.path)),
        &serde_json::json!({"campaign": campaign_id, "item": item, "text": text}),
    )
    .await
}

/// Records the conclusion of a report's review (and the one the system suggested at the time).
pub async fn conclude(
    db: &Db,
    scope: &Scope,
    campaign_id: i64,
    org_id: i64,
    conclusion: Conclusion,
    comment: Option<&str>,
    actor: &Actor,
) -> Result<ReportReview> {
    let r = reviewed_report(db, scope, campaign_id, org_id).await?;
    let before = report_review(db, scope, campaign_id, org_id, false).await?;
    let comment = comment.map(note).transpose().map_err(refused)?;
    let now = Utc::now();
    with_db!(db, p => sqlx::query(
        "insert into review (report_id, campaign_id, conclusion, suggested, comment, concluded_at, concluded_by) \
         values ($1, $2, $3, $4, $5, $6, $7) on conflict (report_id) do update set conclusion = excluded.conclusion, \
         suggested = excluded.suggested, comment = excluded.comment, concluded_at = excluded.concluded_at, \
         concluded_by = excluded.concluded_by")
        .bind(r.id).bind(campaign_id).bind(conclusion.code()).bind(before.suggested.code()).bind(&comment)
        .bind(now).bind(&actor.name).execute(p).await.map(|_| ()))?;
    // The conclusion is a variable of the campaign's statistics data set (kept per generation).
    with_db!(db, p => sqlx::query("update campaign set generation = generation + 1 where campaign_id = $1")
        .bind(campaign_id).execute(p).await.map(|_| ()))?;
    audit::record(
        db,
        actor,
        "review.conclude",
        Some((org_id, &r.path)),
        &serde_json::json!({
            "campaign": campaign_id, "year": r.year,
            "old": before.conclusion.map(|c| c.code()), "new": conclusion.code(),
            "suggested": before.suggested.code(), "comment": comment,
        }),
    )
    .await?;
    report_review(db, scope, campaign_id, org_id, false).await
}

/// Assigns reports of the campaign under `node` (all of its submitted ones, or the given units)
/// to a third-party reviewer account, or takes the assignment away (`reviewer = None`).
/// Returns how many reports it changed.
pub async fn assign(
    db: &Db,
    scope: &Scope,
    campaign_id: i64,
    units: &[i64],
    reviewer: Option<i64>,
    actor: &Actor,
) -> Result<usize> {
    let c = campaigns::get(db, scope, campaign_id).await?;
    if let Some(uid) = reviewer {
        let role: Option<String> = with_db!(db, p => sqlx::query_scalar(
            "select role from app_user where app_user_id = $1 and not disabled")
            .bind(uid).fetch_optional(p).await)?;
        if role.as_deref() != Some(shanghui_core::account::Role::Reviewer.code()) {
            return Err(refused(Msg::new("review.not_reviewer")));
        }
    }
    let (lo, hi) = scope.range();
    let now = Utc::now();
    let mut changed = 0usize;
    for chunk in units.chunks(2_000) {
        let ids: Vec<i64> = with_db!(db, p => {
            let mut q = QueryBuilder::new("select report_id from report where campaign_id = ");
            q.push_bind(c.id).push(" and path >= ").push_bind(&lo).push(" and path < ").push_bind(&hi)
                .push(" and organization_id in (");
            let mut sep = q.separated(", ");
            for u in chunk {
                sep.push_bind(*u);
            }
            q.push(")");
            q.build_query_scalar().fetch_all(p).await
        })?;
        with_db!(db, p => {
            let mut tx = p.begin().await?;
            for id in &ids {
                sqlx::query(
                    "insert into review (report_id, campaign_id, reviewer_id, assigned_at, assigned_by) values ($1, $2, $3, $4, $5) \
                     on conflict (report_id) do update set reviewer_id = excluded.reviewer_id, \
                     assigned_at = excluded.assigned_at, assigned_by = excluded.assigned_by")
                    .bind(*id).bind(c.id).bind(reviewer).bind(now).bind(&actor.name)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })?;
        changed += ids.len();
    }
    audit::record(
        db,
        actor,
        "review.assign",
        None,
        &serde_json::json!({"campaign": campaign_id, "reviewer": reviewer, "reports": changed}),
    )
    .await?;
    Ok(changed)
}

/// Whether a report is assigned to this reviewer account.
pub async fn is_assigned(db: &Db, user_id: i64, campaign_id: i64, org_id: i64) -> Result<bool> {
    let hit: Option<i64> = with_db!(db, p => sqlx::query_scalar(
        "select v.report_id from review v join report r on r.report_id = v.report_id \
         where v.reviewer_id = $1 and r.campaign_id = $2 and r.organization_id = $3")
        .bind(user_id).bind(campaign_id).bind(org_id).fetch_optional(p).await)?;
    Ok(hit.is_some())
}

/// A report in a reviewer's queue.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Assigned {
    pub campaign_id: i64,
    pub year: i32,
    pub organization_id: i64,
    pub org_name: String,
    pub findings: i64,
    pub conclusion: Option<Conclusion>,
}

/// The reports assigned to a reviewer account, newest year first.
pub async fn assigned_to(db: &Db, user_id: i64) -> Result<Vec<Assigned>> {
    let sql = "select r.campaign_id, r.year, r.organization_id, o.name, \
               (select count(*) from finding f where f.report_id = r.report_id and f.current and f.status <> 'dismissed'), \
               v.conclusion \
               from review v join report r on r.report_id = v.report_id \
               join organization o on o.organization_id = r.organization_id \
               where v.reviewer_id = $1 order by r.year desc, r.path";
    type Row = (i64, i32, i64, String, i64, Option<String>);
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(sql).bind(user_id).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(
            |(campaign_id, year, organization_id, org_name, findings, conclusion)| Assigned {
                campaign_id,
                year,
                organization_id,
                org_name,
                findings,
                conclusion: conclusion.as_deref().and_then(Conclusion::from_code),
            },
        )
        .collect())
}
