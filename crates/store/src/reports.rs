//! Annual reports: reading one with its template, saving drafts, submitting, returning, batch
//! import, last year's answers and the history of a report. Every change of an answer is in the
//! audit log (who, when, old, new), and every write checks the version the writer started from.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use shanghui_core::report::{
    self, Action, Answers, CampaignStatus, Change, ReportStatus, next_status,
};
use shanghui_core::template::Template;
use shanghui_core::value::china_date;
use shanghui_core::{Msg, Problem, Scope};
use sqlx::QueryBuilder;

use crate::{Actor, Db, Result, StoreError, templates, with_db};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub id: i64,
    pub campaign_id: i64,
    pub campaign_status: CampaignStatus,
    pub deadline: NaiveDate,
    pub organization_id: i64,
    pub org_name: String,
    pub path: String,
    pub year: i32,
    pub template_id: i64,
    pub expected: bool,
    /// `None`: not started.
    pub status: Option<ReportStatus>,
    pub answers: Answers,
    /// Bumped by every write; a writer passes the version it read.
    pub version: i64,
    pub first_submitted_on: Option<NaiveDate>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub submitted_by: Option<String>,
    pub returned_reason: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<String>,
}

impl Report {
    /// First submitted by the deadline.
    pub fn on_time(&self) -> Option<bool> {
        self.first_submitted_on.map(|d| d <= self.deadline)
    }
}

#[derive(sqlx::FromRow)]
struct ReportRow {
    report_id: i64,
    campaign_id: i64,
    campaign_status: String,
    deadline: NaiveDate,
    organization_id: i64,
    org_name: String,
    path: String,
    year: i32,
    report_template_id: i64,
    expected: bool,
    status: Option<String>,
    answers: Option<String>,
    version: i64,
    first_submitted_on: Option<NaiveDate>,
    submitted_at: Option<DateTime<Utc>>,
    submitted_by: Option<String>,
    returned_reason: Option<String>,
    updated_at: Option<DateTime<Utc>>,
    updated_by: Option<String>,
}

const SELECT: &str = "select r.report_id, r.campaign_id, c.status as campaign_status, c.deadline, \
    r.organization_id, o.name as org_name, r.path, r.year, c.report_template_id, r.expected, r.status, \
    r.answers, r.version, r.first_submitted_on, r.submitted_at, r.submitted_by, r.returned_reason, \
    r.updated_at, r.updated_by \
    from report r join campaign c on c.campaign_id = r.campaign_id \
    join organization o on o.organization_id = r.organization_id";

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn decode(t: &Template, json: Option<&str>) -> Result<Answers> {
    match json {
        None => Ok(Answers::new()),
        Some(j) => report::from_json(t, j).map_err(|e| corrupt("report answers", e)),
    }
}

fn convert(r: ReportRow, t: &Template) -> Result<Report> {
    Ok(Report {
        id: r.report_id,
        campaign_id: r.campaign_id,
        campaign_status: CampaignStatus::from_code(&r.campaign_status)
            .ok_or_else(|| corrupt("campaign status", &r.campaign_status))?,
        deadline: r.deadline,
        organization_id: r.organization_id,
        org_name: r.org_name,
        answers: decode(t, r.answers.as_deref())?,
        path: r.path,
        year: r.year,
        template_id: r.report_template_id,
        expected: r.expected,
        status: match r.status {
            None => None,
            Some(s) => Some(ReportStatus::from_code(&s).ok_or_else(|| corrupt("status", &s))?),
        },
        version: r.version,
        first_submitted_on: r.first_submitted_on,
        submitted_at: r.submitted_at,
        submitted_by: r.submitted_by,
        returned_reason: r.returned_reason,
        updated_at: r.updated_at,
        updated_by: r.updated_by,
    })
}

async fn fetch_row(db: &Db, scope: &Scope, campaign_id: i64, org_id: i64) -> Result<ReportRow> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "{SELECT} where r.campaign_id = $1 and r.organization_id = $2 and r.path >= $3 and r.path < $4"
    );
    let row: Option<ReportRow> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(campaign_id).bind(org_id).bind(&lo).bind(&hi).fetch_optional(p).await)?;
    row.ok_or(StoreError::NotFound)
}

/// A unit's report in a campaign, with the template it is filled against.
pub async fn get(
    db: &Db,
    scope: &Scope,
    campaign_id: i64,
    org_id: i64,
) -> Result<(Report, Template)> {
    let row = fetch_row(db, scope, campaign_id, org_id).await?;
    let t = templates::get(db, row.report_template_id).await?;
    Ok((convert(row, &t)?, t))
}

/// A unit's place in each campaign that expects (or expected) it, newest year first.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReportSummary {
    pub campaign_id: i64,
    pub campaign_org: String,
    pub campaign_status: CampaignStatus,
    pub year: i32,
    pub deadline: NaiveDate,
    pub expected: bool,
    pub status: Option<ReportStatus>,
    pub first_submitted_on: Option<NaiveDate>,
}

pub async fn for_unit(db: &Db, scope: &Scope, org_id: i64) -> Result<Vec<ReportSummary>> {
    let (lo, hi) = scope.range();
    let sql = "select r.campaign_id, o.name, c.status, r.year, c.deadline, r.expected, r.status, r.first_submitted_on \
               from report r join campaign c on c.campaign_id = r.campaign_id \
               join organization o on o.organization_id = c.organization_id \
               where r.organization_id = $1 and r.path >= $2 and r.path < $3 order by r.year desc";
    type Row = (
        i64,
        String,
        String,
        i32,
        NaiveDate,
        bool,
        Option<String>,
        Option<NaiveDate>,
    );
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(sql)
        .bind(org_id).bind(&lo).bind(&hi).fetch_all(p).await)?;
    rows.into_iter()
        .map(
            |(campaign_id, campaign_org, cs, year, deadline, expected, status, first)| {
                Ok(ReportSummary {
                    campaign_id,
                    campaign_org,
                    campaign_status: CampaignStatus::from_code(&cs)
                        .ok_or_else(|| corrupt("campaign status", &cs))?,
                    year,
                    deadline,
                    expected,
                    status: status.as_deref().and_then(ReportStatus::from_code),
                    first_submitted_on: first,
                })
            },
        )
        .collect()
}

/// The unit's submitted answers for the year before, read with their own template: shown
/// beside each field while filling.
pub async fn previous_answers(
    db: &Db,
    scope: &Scope,
    org_id: i64,
    year: i32,
) -> Result<Option<Answers>> {
    let (lo, hi) = scope.range();
    let sql = "select c.report_template_id, r.answers from report r join campaign c on c.campaign_id = r.campaign_id \
               where r.organization_id = $1 and r.year = $2 and r.status = 'submitted' and r.path >= $3 and r.path < $4";
    let row: Option<(i64, Option<String>)> = with_db!(db, p => sqlx::query_as(sql)
        .bind(org_id).bind(year - 1).bind(&lo).bind(&hi).fetch_optional(p).await)?;
    match row {
        Some((tid, json)) => {
            let t = templates::get(db, tid).await?;
            Ok(Some(decode(&t, json.as_deref())?))
        }
        None => Ok(None),
    }
}

fn refused(msg: Msg) -> StoreError {
    StoreError::rejected(Problem::general(msg))
}

/// The problems that stop a submission: required items missing, answers to items that do not
/// apply, values out of bounds. Empty when the answers may be submitted.
pub fn submission_problems(t: &Template, answers: &Answers) -> Vec<(String, Msg)> {
    t.read(&report::raw_answers(answers)).1
}

/// Saves a draft (`Action::Save`) or submits (`Action::Submit`) the answers of a unit's report.
/// `version` is the version the writer read: if someone saved since, nothing is written and
/// [`StoreError::Conflict`] is returned. Saving unchanged answers writes nothing.
// The report's two-part key, the answers, the version read, the action and who acts are all
// needed, and grouping them would only move the list into a struct each caller builds.
#[allow(clippy::too_many_arguments)]
pub async fn save(
    db: &Db,
    scope: &Scope,
    campaign_id: i64,
    org_id: i64,
    answers: &Answers,
    version: i64,
    action: Action,
    actor: &Actor,
) -> Result<Report> {
    let (current, t) = get(db, scope, campaign_id, org_id).await?;
    if current.campaign_status == CampaignStatus::Closed {
        return Err(refused(Msg::new("report.campaign_closed")));
    }
    if current.version != version {
        return Err(StoreError::Conflict);
    }
    let status = next_status(current.status, action).map_err(refused)?;
    if action == Action::Submit {
        let mut problems = submission_problems(&t, answers);
        // Error-level review rules (broken sums and the like) stop a submission too; findings
        // and warnings are for the reviewer.
        if problems.is_empty() {
            problems = crate::review::blocking_problems(db, &current, &t, answers).await?;
        }
        if problems.is_empty() {
            problems = carry_over_problems(db, &current, &t, answers).await?;
        }
        if !problems.is_empty() {
            return Err(StoreError::Items(problems));
        }
    }
    let changes = report::changes(&t, &current.answers, answers);
    if changes.is_empty() && Some(status) == current.status {
        return Ok(current);
    }
    let write = Write {
        report_id: current.id,
        version,
        status,
        answers: report::to_json(answers),
        submitted: action == Action::Submit,
        submitted_on: china_date(Utc::now()),
        returned_reason: None,
    };
    let event = Event {
        action: if action == Action::Submit {
            "report.submit"
        } else {
            "report.save"
        },
        org_id,
        path: current.path.clone(),
        detail: serde_json::json!({
            "campaign": campaign_id, "year": current.year, "changes": changes,
        }),
    };
    write_one(db, &write, &event, actor).await?;
    if action == Action::Submit {
        // Automatic findings on submission (error-level rules passed above).
        crate::review::run(db, &Scope::all(), campaign_id, Some(org_id), actor).await?;
    }
    Ok(get(db, scope, campaign_id, org_id).await?.0)
}

/// Carry-over (STANDARDS.md §4): a unit concluded 基本合格 or 不合格 last year, or with
/// rectification notices still open, must file a rectification report with this year's report.
/// Where the template has the `rectification_report` item, it is then required; if the answers
/// make it not apply (last year's conclusion given as 合格), the problem is named there.
async fn carry_over_problems(
    db: &Db,
    r: &Report,
    t: &Template,
    answers: &Answers,
) -> Result<Vec<(String, Msg)>> {
    const ITEM: &str = "rectification_report";
    let Some(item) = t.item(ITEM) else {
        return Ok(Vec::new());
    };
    let Some(carry) = crate::rectify::carry_over(db, r.organization_id, r.year).await? else {
        return Ok(Vec::new());
    };
    let filled = answers
        .get(ITEM)
        .is_some_and(|v| !report::raw(v).trim().is_empty());
    if filled && t.applies(item, answers) {
        return Ok(Vec::new());
    }
    use shanghui_core::review::Conclusion;
    let conclusion = match carry.conclusion {
        Some(Conclusion::Unqualified) => "conclusion.unqualified",
        Some(_) => "conclusion.basically_qualified",
        None => "rectify.open_notices",
    };
    let at = match &item.relevant {
        Some(c) if !t.applies(item, answers) => c.item.clone(),
        _ => ITEM.to_string(),
    };
    Ok(vec![(
        at,
        Msg::new("rectify.carry_over").with_key("conclusion", conclusion),
    )])
}

/// Sends a submitted report back to the unit with a reason; the unit can then change it and
/// submit again.
pub async fn return_report(
    db: &Db,
    scope: &Scope,
    campaign_id: i64,
    org_id: i64,
    reason: &str,
    version: i64,
    actor: &Actor,
) -> Result<Report> {
    let reason = report::reason(reason).map_err(refused)?;
    let (current, _) = get(db, scope, campaign_id, org_id).await?;
    if current.version != version {
        return Err(StoreError::Conflict);
    }
    let status = next_status(current.status, Action::Return).map_err(refused)?;
    let write = Write {
        report_id: current.id,
        version,
        status,
        answers: report::to_json(&current.answers),
        submitted: false,
        submitted_on: china_date(Utc::now()),
        returned_reason: Some(reason.clone()),
    };
    let event = Event {
        action: "report.return",
        org_id,
        path: current.path.clone(),
        detail: serde_json::json!({"campaign": campaign_id, "year": current.year, "reason": reason}),
    };
    write_one(db, &write, &event, actor).await?;
    Ok(get(db, scope, campaign_id, org_id).await?.0)
}

struct Write {
    report_id: i64,
    version: i64,
    status: ReportStatus,
    answers: String,
    submitted: bool,
    submitted_on: NaiveDate,
    returned_reason: Option<String>,
}

struct Event {
    action: &'static str,
    org_id: i64,
    path: String,
    detail: serde_json::Value,
}

/// Marks the campaign of a report as changed (see `campaigns::Campaign::generation`).
const BUMP: &str = "update campaign set generation = generation + 1 \
    where campaign_id = (select campaign_id from report where report_id = $1)";

/// One report's write and its audit entry in one transaction; the version check is in the
/// update itself, so two writers that read the same version cannot both succeed.
async fn write_one(db: &Db, w: &Write, e: &Event, actor: &Actor) -> Result<()> {
    let now = Utc::now();
    let update = "update report set status = $1, answers = $2, version = version + 1, updated_at = $3, updated_by = $4, \
        returned_reason = $5, \
        submitted_at = case when $6 then $3 else submitted_at end, \
        submitted_by = case when $6 then $4 else submitted_by end, \
        first_submitted_on = case when $6 then coalesce(first_submitted_on, $7) else first_submitted_on end \
        where report_id = $8 and version = $9";
    let audit = "insert into audit_event (created_at, app_user_id, actor, ip, action, organization_id, path, effective_on, detail) \
                 values ($1, $2, $3, $4, $5, $6, $7, null, $8)";
    with_db!(db, p => {
        let mut tx = p.begin().await?;
        let n = sqlx::query(update)
            .bind(w.status.code()).bind(&w.answers).bind(now).bind(&actor.name)
            .bind(&w.returned_reason).bind(w.submitted).bind(w.submitted_on)
            .bind(w.report_id).bind(w.version)
            .execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict);
        }
        sqlx::query(BUMP).bind(w.report_id).execute(&mut *tx).await?;
        sqlx::query(audit)
            .bind(now).bind(actor.user_id).bind(&actor.name).bind(&actor.from)
            .bind(e.action).bind(e.org_id).bind(&e.path).bind(e.detail.to_string())
            .execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// One entry of a report's history.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub changes: Vec<Change>,
    pub reason: Option<String>,
}

/// What happened to a unit's report in a campaign, oldest first.
pub async fn history(
    db: &Db,
    scope: &Scope,
    campaign_id: i64,
    org_id: i64,
) -> Result<Vec<HistoryEntry>> {
    let row = fetch_row(db, scope, campaign_id, org_id).await?;
    let sql = "select created_at, actor, action, detail from audit_event \
               where organization_id = $1 and action like 'report.%' order by audit_event_id";
    let rows: Vec<(DateTime<Utc>, String, String, String)> = with_db!(db, p => sqlx::query_as(sql)
        .bind(org_id).fetch_all(p).await)?;
    let mut out = Vec::new();
    for (at, actor, action, detail) in rows {
        let d: serde_json::Value =
            serde_json::from_str(&detail).map_err(|e| corrupt("audit detail", e))?;
        if d["campaign"].as_i64() != Some(row.campaign_id) {
            continue;
        }
        let changes: Vec<Change> = serde_json::from_value(d["changes"].clone()).unwrap_or_default();
        out.push(HistoryEntry {
            at,
            actor,
            action,
            changes,
            reason: d["reason"].as_str().map(str::to_string),
        });
    }
    Ok(out)
}

/// How a row of an imported file names its unit.
#[derive(Debug, Clone, Default)]
pub struct UnitRef {
    pub id: Option<i64>,
    pub uscc: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ImportRow {
    pub unit: UnitRef,
    pub answers: Answers,
    /// When the unit handed in its report (paper forms); today when absent.
    pub submitted_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportSummary {
    /// Reports filled for the first time.
    pub created: usize,
    pub updated: usize,
    /// Already submitted with the same answers.
    pub unchanged: usize,
}

/// A unit of the campaign as the import matches rows against it.
struct Target {
    report_id: i64,
    org_id: i64,
    name: String,
    uscc: Option<String>,
    path: String,
    status: Option<String>,
    answers: Option<String>,
    version: i64,
}

/// Finds the campaign unit a row names: by id, else credit code, else name (which must be
/// unique in the campaign). A row whose id and credit code disagree is refused.
fn resolve(
    r: &UnitRef,
    by_id: &HashMap<i64, usize>,
    by_uscc: &HashMap<&str, usize>,
    by_name: &HashMap<&str, Vec<usize>>,
    targets: &[Target],
) -> Result<usize, Msg> {
    let shown = || {
        r.id.map(|i| format!("#{i}"))
            .or_else(|| r.uscc.clone())
            .or_else(|| r.name.clone())
            .unwrap_or_default()
    };
    let hit = if let Some(id) = r.id {
        by_id.get(&id).copied()
    } else if let Some(u) = &r.uscc {
        by_uscc.get(u.as_str()).copied()
    } else if let Some(n) = &r.name {
        match by_name.get(n.as_str()).map(Vec::as_slice) {
            Some([one]) => Some(*one),
            Some([_, _, ..]) => {
                return Err(Msg::new("report.unit_ambiguous").with("name", n));
            }
            _ => None,
        }
    } else {
        return Err(Msg::new("report.unit_unnamed"));
    };
    let i = hit.ok_or_else(|| Msg::new("report.unit_not_in_campaign").with("unit", shown()))?;
    if let (Some(u), Some(_)) = (&r.uscc, r.id)
        && targets[i].uscc.as_deref() != Some(u.as_str())
    {
        return Err(Msg::new("report.unit_mismatch")
            .with("id", targets[i].org_id)
            .with("name", &targets[i].name)
            .with("value", u));
    }
    Ok(i)
}

/// Staff enter many units' reports at once (batch import): all or nothing. Every row is
/// matched to a unit of the campaign in the caller's scope; rows that cannot be are refused
/// together ([`StoreError::RejectedRows`], by row index). Imported reports are submitted; a
/// report already submitted with the same answers is left alone, so importing the same file
/// twice changes nothing the second time.
pub async fn import(
    db: &Db,
    scope: &Scope,
    campaign_id: i64,
    rows: &[ImportRow],
    actor: &Actor,
) -> Result<ImportSummary> {
    import_with(db, scope, campaign_id, rows, actor, true).await
}

/// [`import`] for the data generator: no audit entry per report (one for the whole batch).
pub async fn import_generated(
    db: &Db,
    campaign_id: i64,
    rows: &[ImportRow],
    actor: &Actor,
) -> Result<ImportSummary> {
    import_with(db, &Scope::all(), campaign_id, rows, actor, false).await
}

async fn load_targets(db: &Db, scope: &Scope, campaign_id: i64) -> Result<Vec<Target>> {
    let (lo, hi) = scope.range();
    let sql = "select r.report_id, r.organization_id, o.name, o.uscc, r.path, r.status, r.answers, r.version \
               from report r join organization o on o.organization_id = r.organization_id \
               where r.campaign_id = $1 and r.path >= $2 and r.path < $3";
    type Row = (
        i64,
        i64,
        String,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        i64,
    );
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(sql)
        .bind(campaign_id).bind(&lo).bind(&hi).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(
            |(report_id, org_id, name, uscc, path, status, answers, version)| Target {
                report_id,
                org_id,
                name,
                uscc,
                path,
                status,
                answers,
                version,
            },
        )
        .collect())
}

/// A planned write of the import.
struct Planned {
    report_id: i64,
    org_id: i64,
    path: String,
    version: i64,
    answers: String,
    submitted_on: NaiveDate,
    changes: Vec<Change>,
}

async fn import_with(
    db: &Db,
    scope: &Scope,
    campaign_id: i64,
    rows: &[ImportRow],
    actor: &Actor,
    audit_each: bool,
) -> Result<ImportSummary> {
    let campaign = crate::campaigns::get(db, scope, campaign_id).await?;
    let t = templates::get(db, campaign.template_id).await?;
    let targets = load_targets(db, scope, campaign_id).await?;
    let by_id: HashMap<i64, usize> = targets
        .iter()
        .enumerate()
        .map(|(i, t)| (t.org_id, i))
        .collect();
    let by_uscc: HashMap<&str, usize> = targets
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.uscc.as_deref().map(|u| (u, i)))
        .collect();
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, t) in targets.iter().enumerate() {
        by_name.entry(t.name.as_str()).or_default().push(i);
    }
    let today = china_date(Utc::now());
    let mut problems = Vec::new();
    let mut seen: HashMap<usize, usize> = HashMap::new();
    let mut plan = Vec::new();
    let mut summary = ImportSummary::default();
    for (index, row) in rows.iter().enumerate() {
        let i = match resolve(&row.unit, &by_id, &by_uscc, &by_name, &targets) {
            Ok(i) => i,
            Err(m) => {
                problems.push((index, m));
                continue;
            }
        };
        if let Some(first) = seen.insert(i, index) {
            problems.push((
                index,
                Msg::new("report.unit_twice")
                    .with("name", &targets[i].name)
                    .with("row", first + 1),
            ));
            continue;
        }
        let target = &targets[i];
        let old = decode(&t, target.answers.as_deref())?;
        let changes = report::changes(&t, &old, &row.answers);
        let submitted = target.status.as_deref() == Some(ReportStatus::Submitted.code());
        if changes.is_empty() && submitted {
            summary.unchanged += 1;
            continue;
        }
        let problems_here = submission_problems(&t, &row.answers);
        if let Some((item, m)) = problems_here.into_iter().next() {
            problems.push((
                index,
                Msg::new("report.item_problem")
                    .with("item", &item)
                    .with_msg("message", m),
            ));
            continue;
        }
        if target.status.is_none() {
            summary.created += 1;
        } else {
            summary.updated += 1;
        }
        plan.push(Planned {
            report_id: target.report_id,
            org_id: target.org_id,
            path: target.path.clone(),
            version: target.version,
            answers: report::to_json(&row.answers),
            submitted_on: row.submitted_on.unwrap_or(today),
            changes,
        });
    }
    if !problems.is_empty() {
        return Err(StoreError::RejectedRows(problems));
    }
    write_planned(db, &campaign, &plan, actor, audit_each).await?;
    if !audit_each && !plan.is_empty() {
        crate::audit::record(
            db,
            actor,
            "report.import",
            None,
            &serde_json::json!({"campaign": campaign_id, "reports": plan.len()}),
        )
        .await?;
    }
    Ok(summary)
}

/// Writes an import in multi-row statements (a national year is 70,000 reports): the reports
/// through a `values` list joined on their ids and versions, then their audit entries.
async fn write_planned(
    db: &Db,
    campaign: &crate::campaigns::Campaign,
    plan: &[Planned],
    actor: &Actor,
    audit_each: bool,
) -> Result<()> {
    let now = Utc::now();
    with_db!(db, p => {
        let mut tx = p.begin().await?;
        for chunk in plan.chunks(1_000) {
            let mut q = QueryBuilder::new("with v (id, version, answers, submitted_on) as (values ");
            let mut first = true;
            for w in chunk {
                if !first { q.push(", "); }
                first = false;
                q.push("(").push_bind(w.report_id).push(", ").push_bind(w.version).push(", ")
                    .push_bind(&w.answers).push(", ").push_bind(w.submitted_on).push(")");
            }
            q.push(") update report set status = 'submitted', answers = v.answers, version = report.version + 1, \
                     returned_reason = null, first_submitted_on = coalesce(report.first_submitted_on, v.submitted_on), updated_at = ")
                .push_bind(now).push(", updated_by = ").push_bind(&actor.name)
                .push(", submitted_at = ").push_bind(now).push(", submitted_by = ").push_bind(&actor.name)
                .push(" from v where report.report_id = v.id and report.version = v.version");
            let n = q.build().execute(&mut *tx).await?.rows_affected();
            if n as usize != chunk.len() {
                // Someone saved one of these reports since the import read it.
                return Err(StoreError::Conflict);
            }
            if audit_each {
                let mut a = QueryBuilder::new(
                    "insert into audit_event (created_at, app_user_id, actor, ip, action, organization_id, path, effective_on, detail) ");
                a.push_values(chunk, |mut b, w| {
                    let detail = serde_json::json!({
                        "campaign": campaign.id, "year": campaign.year, "changes": w.changes,
                    });
                    b.push_bind(now).push_bind(actor.user_id).push_bind(&actor.name).push_bind(&actor.from)
                        .push_bind("report.import").push_bind(w.org_id).push_bind(&w.path)
                        .push_bind(None::<NaiveDate>).push_bind(detail.to_string());
                });
                a.build().execute(&mut *tx).await?;
            }
        }
        sqlx::query("update campaign set generation = generation + 1 where campaign_id = $1")
            .bind(campaign.id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// Every report of a campaign in the scope with its unit, for exports (pre-filled workbooks,
/// statistics): (organization id, name, credit code, status, answers), in tree order.
pub async fn answers_of_campaign(
    db: &Db,
    scope: &Scope,
    campaign_id: i64,
) -> Result<(Template, Vec<CampaignUnit>)> {
    let campaign = crate::campaigns::get(db, scope, campaign_id).await?;
    let t = templates::get(db, campaign.template_id).await?;
    let (lo, hi) = scope.range();
    let sql = "select r.organization_id, o.name, o.uscc, r.expected, r.status, r.answers, r.first_submitted_on \
               from report r join organization o on o.organization_id = r.organization_id \
               where r.campaign_id = $1 and r.path >= $2 and r.path < $3 order by r.path";
    type Row = (
        i64,
        String,
        Option<String>,
        bool,
        Option<String>,
        Option<String>,
        Option<NaiveDate>,
    );
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(sql)
        .bind(campaign_id).bind(&lo).bind(&hi).fetch_all(p).await)?;
    let units = rows
        .into_iter()
        .map(|(id, name, uscc, expected, status, answers, first)| {
            Ok(CampaignUnit {
                id,
                name,
                uscc,
                expected,
                status: status.as_deref().and_then(ReportStatus::from_code),
                answers: decode(&t, answers.as_deref())?,
                first_submitted_on: first,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((t, units))
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CampaignUnit {
    pub id: i64,
    pub name: String,
    pub uscc: Option<String>,
    pub expected: bool,
    pub status: Option<ReportStatus>,
    pub answers: Answers,
    pub first_submitted_on: Option<NaiveDate>,
}
