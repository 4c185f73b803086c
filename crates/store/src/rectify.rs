//! Rectification (整改) in the database: notices issued one by one or in bulk, the chamber's
//! responses with evidence, verification round after round, extensions, carry-over into next
//! year's report, and the figures (closure, on-time closure, days to close, overdue).
//!
//! Every transition goes through `core::rectify::Notice::apply` and is written with a version
//! check, so two people acting on one notice at once cannot both succeed; every step is kept in
//! `notice_event` (the notice's history) and in the audit log.

use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};
use shanghui_core::rectify::{
    self, ItemState, ItemStatus, MAX_EVIDENCE_PER_ITEM, Notice, NoticeAction, NoticeStatus, Stats,
};
use shanghui_core::review::{FindingStatus, note};
use shanghui_core::value::china_date;
use shanghui_core::{ChamberCategory, Msg, OrgKind, Organization, Problem, Scope};
use sqlx::QueryBuilder;

use crate::backend::BatchWrites;
use crate::{Actor, Db, Result, StoreError, audit, campaigns, orgs, with_db};

/// [`BatchWrites::reserve`] for whichever backend the transaction is on.
async fn reserve<DB: BatchWrites>(
    tx: &mut sqlx::Transaction<'static, DB>,
    table: &'static str,
    column: &'static str,
    n: usize,
) -> Result<Vec<i64>> {
    DB::reserve(tx, table, column, n).await
}

fn refused(msg: Msg) -> StoreError {
    StoreError::rejected(Problem::general(msg))
}

fn today() -> NaiveDate {
    china_date(Utc::now())
}

/// A notice without its items.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct NoticeRow {
    pub notice_id: i64,
    pub campaign_id: i64,
    pub report_id: i64,
    pub organization_id: i64,
    pub org_name: String,
    pub path: String,
    pub year: i32,
    pub measures: String,
    pub deadline: NaiveDate,
    pub original_deadline: NaiveDate,
    pub status: String,
    pub round: i32,
    pub issued_on: NaiveDate,
    pub issued_at: DateTime<Utc>,
    pub issued_by: String,
    pub closed_on: Option<NaiveDate>,
    pub days_to_close: Option<i32>,
    pub version: i64,
    /// Items not accepted yet.
    pub open_items: i64,
}

impl NoticeRow {
    pub fn status(&self) -> NoticeStatus {
        NoticeStatus::from_code(&self.status).unwrap_or(NoticeStatus::AwaitingResponse)
    }
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.status() != NoticeStatus::Closed && today > self.deadline
    }
}

const SELECT: &str = "select n.notice_id, n.campaign_id, n.report_id, n.organization_id, o.name as org_name, n.path, \
    n.year, n.measures, n.deadline, n.original_deadline, n.status, n.round, n.issued_on, n.issued_at, n.issued_by, \
    n.closed_on, n.days_to_close, n.version, \
    (select count(*) from notice_item i where i.notice_id = n.notice_id and i.status <> 'accepted') as open_items \
    from notice n join organization o on o.organization_id = n.organization_id";

/// An evidence file's description.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AttachmentInfo {
    pub id: i64,
    pub round: i32,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

/// An item of a notice, with the finding it is about.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NoticeItem {
    pub id: i64,
    pub position: i32,
    pub finding_id: i64,
    pub rule_code: Option<String>,
    pub trigger: Option<String>,
    pub item: Option<String>,
    pub severity: String,
    /// The finding's detail (the values the rule read) and the reviewer's note.
    pub finding_detail: serde_json::Value,
    pub finding_note: Option<String>,
    pub status: ItemStatus,
    pub answered: bool,
    pub response: Option<String>,
    pub responded_at: Option<DateTime<Utc>>,
    pub responded_by: Option<String>,
    pub verdict_reason: Option<String>,
    pub attachments: Vec<AttachmentInfo>,
}

/// One step of a notice's history.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Event {
    pub position: Option<i32>,
    pub round: i32,
    pub action: String,
    pub text: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct NoticeView {
    pub notice: NoticeRow,
    pub items: Vec<NoticeItem>,
    pub events: Vec<Event>,
    pub overdue: bool,
}

/// A notice in the scope, with its items, evidence and history.
pub async fn get(db: &Db, scope: &Scope, notice_id: i64) -> Result<NoticeView> {
    let notice = row(db, scope, notice_id).await?;
    type ItemRow = (
        i64,
        i32,
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        String,
        Option<String>,
        String,
        bool,
        Option<String>,
        Option<DateTime<Utc>>,
        Option<String>,
        Option<String>,
    );
    let items: Vec<ItemRow> = with_db!(db, p => sqlx::query_as(
        "select i.notice_item_id, i.position, i.finding_id, f.rule_code, f.trigger_code, f.item, f.severity, f.detail, \
         f.note, i.status, i.answered, i.response, i.responded_at, i.responded_by, i.verdict_reason \
         from notice_item i join finding f on f.finding_id = i.finding_id where i.notice_id = $1 order by i.position")
        .bind(notice_id).fetch_all(p).await)?;
    type AttRow = (i64, i64, i32, String, String, i64, DateTime<Utc>, String);
    let atts: Vec<AttRow> = with_db!(db, p => sqlx::query_as(
        "select a.attachment_id, a.notice_item_id, a.round, a.file_name, a.content_type, a.size, a.created_at, a.created_by \
         from attachment a join notice_item i on i.notice_item_id = a.notice_item_id where i.notice_id = $1 order by a.attachment_id")
        .bind(notice_id).fetch_all(p).await)?;
    let items = items
        .into_iter()
        .map(|r| {
            let attachments = atts
                .iter()
                .filter(|a| a.1 == r.0)
                .map(|a| AttachmentInfo {
                    id: a.0,
                    round: a.2,
                    file_name: a.3.clone(),
                    content_type: a.4.clone(),
                    size: a.5,
                    created_at: a.6,
                    created_by: a.7.clone(),
                })
                .collect();
            Ok(NoticeItem {
                id: r.0,
                position: r.1,
                finding_id: r.2,
                rule_code: r.3,
                trigger: r.4,
                item: r.5,
                severity: r.6,
                finding_detail: serde_json::from_str(&r.7).unwrap_or_default(),
                finding_note: r.8,
                status: ItemStatus::from_code(&r.9)
                    .ok_or_else(|| StoreError::Corrupt(format!("item status {}", r.9)))?,
                answered: r.10,
                response: r.11,
                responded_at: r.12,
                responded_by: r.13,
                verdict_reason: r.14,
                attachments,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    type EventRow = (
        Option<i32>,
        i32,
        String,
        Option<String>,
        DateTime<Utc>,
        String,
    );
    let events: Vec<EventRow> = with_db!(db, p => sqlx::query_as(
        "select position, round, action, text, created_at, created_by from notice_event where notice_id = $1 order by notice_event_id")
        .bind(notice_id).fetch_all(p).await)?;
    let overdue = notice.overdue(today());
    Ok(NoticeView {
        notice,
        items,
        events: events
            .into_iter()
            .map(
                |(position, round, action, text, created_at, created_by)| Event {
                    position,
                    round,
                    action,
                    text,
                    created_at,
                    created_by,
                },
            )
            .collect(),
        overdue,
    })
}

async fn row(db: &Db, scope: &Scope, notice_id: i64) -> Result<NoticeRow> {
    let (lo, hi) = scope.range();
    let sql = format!("{SELECT} where n.notice_id = $1 and n.path >= $2 and n.path < $3");
    let r: Option<NoticeRow> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(notice_id).bind(&lo).bind(&hi).fetch_optional(p).await)?;
    r.ok_or(StoreError::NotFound)
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub campaign_id: Option<i64>,
    /// Only this unit's notices.
    pub organization_id: Option<i64>,
    /// Only notices not closed.
    pub open: bool,
    /// Only open notices past their deadline.
    pub overdue: bool,
    /// Only closed notices.
    pub closed: bool,
    pub limit: i64,
}

/// Notices in the scope, most urgent first (earliest deadline), closed ones last.
pub async fn list(db: &Db, scope: &Scope, f: &Filter) -> Result<Vec<NoticeRow>> {
    let (lo, hi) = scope.range();
    let rows: Vec<NoticeRow> = with_db!(db, p => {
        let mut q = QueryBuilder::new(SELECT);
        q.push(" where n.path >= ").push_bind(&lo).push(" and n.path < ").push_bind(&hi);
        if let Some(c) = f.campaign_id {
            q.push(" and n.campaign_id = ").push_bind(c);
        }
        if let Some(o) = f.organization_id {
            q.push(" and n.organization_id = ").push_bind(o);
        }
        if f.open || f.overdue {
            q.push(" and n.status <> 'closed'");
        }
        if f.overdue {
            q.push(" and n.deadline < ").push_bind(today());
        }
        if f.closed {
            q.push(" and n.status = 'closed'");
        }
        q.push(" order by case when n.status = 'closed' then 1 else 0 end, n.deadline, n.notice_id limit ")
            .push_bind(if f.limit > 0 { f.limit } else { 1_000 });
        q.build_query_as().fetch_all(p).await
    })?;
    Ok(rows)
}

/// A finding that can go into a notice.
struct Eligible {
    finding_id: i64,
    report_id: i64,
    org_id: i64,
    path: String,
    campaign_id: i64,
    year: i32,
    status: String,
}

/// Current findings not dismissed and not in a notice already.
async fn eligible(
    db: &Db,
    scope: &Scope,
    campaign_id: i64,
    filter: EligibleFilter<'_>,
) -> Result<Vec<Eligible>> {
    let (lo, hi) = scope.range();
    let rows: Vec<(i64, i64, i64, String, i64, i32, String)> = with_db!(db, p => {
        let mut q = QueryBuilder::new(
            "select f.finding_id, f.report_id, f.organization_id, f.path, f.campaign_id, f.year, f.status from finding f \
             where f.current and f.status <> 'dismissed' and f.campaign_id = ");
        q.push_bind(campaign_id).push(" and f.path >= ").push_bind(&lo).push(" and f.path < ").push_bind(&hi);
        if !filter.include_open {
            q.push(" and f.status = 'confirmed'");
        }
        if let Some(r) = filter.rule {
            q.push(" and f.rule_code = ").push_bind(r);
        }
        if let Some(o) = filter.org_id {
            q.push(" and f.organization_id = ").push_bind(o);
        }
        if let Some(ids) = filter.finding_ids {
            q.push(" and f.finding_id in (");
            let mut sep = q.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            q.push(")");
        }
        // A finding is rectified once: not while a notice about it is open, nor after it closed.
        q.push(" and not exists (select 1 from notice_item i where i.finding_id = f.finding_id) \
                order by f.path, f.finding_id");
        q.build_query_as().fetch_all(p).await
    })?;
    Ok(rows
        .into_iter()
        .map(
            |(finding_id, report_id, org_id, path, campaign_id, year, status)| Eligible {
                finding_id,
                report_id,
                org_id,
                path,
                campaign_id,
                year,
                status,
            },
        )
        .collect())
}

#[derive(Clone, Copy, Default)]
struct EligibleFilter<'a> {
    include_open: bool,
    rule: Option<&'a str>,
    org_id: Option<i64>,
    finding_ids: Option<&'a [i64]>,
}

/// What a notice is issued with.
#[derive(Debug, Clone)]
pub struct Issue {
    pub measures: String,
    pub deadline: NaiveDate,
    /// Open findings too (they are confirmed by being put in a notice); otherwise only
    /// confirmed ones.
    pub include_open: bool,
}

/// Issues one notice to a unit about the given findings of its report in the campaign.
pub async fn issue(
    db: &Db,
    scope: &Scope,
    campaign_id: i64,
    org_id: i64,
    finding_ids: &[i64],
    what: &Issue,
    actor: &Actor,
) -> Result<i64> {
    let filter = EligibleFilter {
        include_open: what.include_open,
        org_id: Some(org_id),
        finding_ids: Some(finding_ids),
        ..Default::default()
    };
    let found = eligible(db, scope, campaign_id, filter).await?;
    if let Some(missing) = finding_ids
        .iter()
        .find(|id| !found.iter().any(|f| f.finding_id == **id))
    {
        return Err(refused(
            Msg::new("rectify.finding_taken").with("id", missing),
        ));
    }
    let ids = write_notices(db, &found, what, actor).await?;
    ids.into_iter()
        .next()
        .ok_or_else(|| refused(Msg::new("rectify.no_findings")))
}

/// Issues a notice to every unit under `node` with eligible findings (of `rule`, if given): one
/// notice per unit, one item per finding. Returns the number of notices.
pub async fn issue_bulk(
    db: &Db,
    scope: &Scope,
    campaign_id: i64,
    node: &Organization,
    rule: Option<&str>,
    what: &Issue,
    actor: &Actor,
) -> Result<usize> {
    if !scope.contains(&node.path) {
        return Err(StoreError::NotFound);
    }
    let node_scope = Scope::subtree(node.path.clone());
    let filter = EligibleFilter {
        include_open: what.include_open,
        rule,
        ..Default::default()
    };
    let found = eligible(db, &node_scope, campaign_id, filter).await?;
    if found.is_empty() {
        return Err(refused(Msg::new("rectify.no_findings")));
    }
    Ok(write_notices(db, &found, what, actor).await?.len())
}

/// Writes notices for eligible findings grouped by report, in multi-row statements with ids
/// reserved first (a national bulk notice is tens of thousands of notices).
async fn write_notices(
    db: &Db,
    found: &[Eligible],
    what: &Issue,
    actor: &Actor,
) -> Result<Vec<i64>> {
    let today = today();
    let measures = rectify::check_issue(&what.measures, what.deadline, today).map_err(refused)?;
    // Group by report, keeping path order.
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for (i, f) in found.iter().enumerate() {
        match groups.last_mut() {
            Some((start, end)) if found[*start].report_id == f.report_id => *end = i + 1,
            _ => groups.push((i, i + 1)),
        }
    }
    let now = Utc::now();
    let to_confirm: Vec<i64> = found
        .iter()
        .filter(|f| f.status == FindingStatus::Open.code())
        .map(|f| f.finding_id)
        .collect();
    let ids = with_db!(db, p => {
        let mut tx = BatchWrites::begin_write(p).await?;
        let ids = reserve(&mut tx, "notice", "notice_id", groups.len()).await?;
        for (chunk_ids, chunk) in ids.chunks(500).zip(groups.chunks(500)) {
            let mut q = QueryBuilder::new(
                "insert into notice (notice_id, campaign_id, report_id, organization_id, path, year, measures, deadline, \
                 original_deadline, status, round, issued_on, issued_at, issued_by, version) ");
            q.push_values(chunk_ids.iter().zip(chunk), |mut b, (id, (start, _))| {
                let f = &found[*start];
                b.push_bind(*id).push_bind(f.campaign_id).push_bind(f.report_id).push_bind(f.org_id)
                    .push_bind(&f.path).push_bind(f.year).push_bind(&measures).push_bind(what.deadline)
                    .push_bind(what.deadline).push_bind(NoticeStatus::AwaitingResponse.code()).push_bind(1i32)
                    .push_bind(today).push_bind(now).push_bind(&actor.name).push_bind(0i64);
            });
            q.build().execute(&mut *tx).await?;
            let items: Vec<(i64, i32, i64)> = chunk_ids
                .iter()
                .zip(chunk)
                .flat_map(|(id, (start, end))| {
                    found[*start..*end].iter().enumerate().map(move |(k, f)| (*id, k as i32, f.finding_id))
                })
                .collect();
            for part in items.chunks(1_000) {
                let mut q = QueryBuilder::new("insert into notice_item (notice_id, position, finding_id, status) ");
                q.push_values(part, |mut b, (id, pos, fid)| {
                    b.push_bind(*id).push_bind(*pos).push_bind(*fid).push_bind(ItemStatus::Open.code());
                });
                q.build().execute(&mut *tx).await?;
            }
            let mut q = QueryBuilder::new("insert into notice_event (notice_id, position, round, action, text, created_at, created_by) ");
            q.push_values(chunk_ids, |mut b, id| {
                b.push_bind(*id).push_bind(None::<i32>).push_bind(1i32).push_bind("issue")
                    .push_bind(&measures).push_bind(now).push_bind(&actor.name);
            });
            q.build().execute(&mut *tx).await?;
            let mut q = QueryBuilder::new(
                "insert into audit_event (created_at, app_user_id, actor, ip, action, organization_id, path, effective_on, detail) ");
            q.push_values(chunk_ids.iter().zip(chunk), |mut b, (id, (start, end))| {
                let f = &found[*start];
                let detail = serde_json::json!({
                    "notice": id, "campaign": f.campaign_id, "deadline": what.deadline,
                    "findings": found[*start..*end].iter().map(|x| x.finding_id).collect::<Vec<_>>(),
                    "measures": measures,
                });
                b.push_bind(now).push_bind(actor.user_id).push_bind(&actor.name).push_bind(&actor.from)
                    .push_bind("rectify.issue").push_bind(f.org_id).push_bind(&f.path)
                    .push_bind(None::<NaiveDate>).push_bind(detail.to_string());
            });
            q.build().execute(&mut *tx).await?;
        }
        for part in to_confirm.chunks(2_000) {
            let mut q = QueryBuilder::new("update finding set status = 'confirmed', updated_at = ");
            q.push_bind(now).push(", updated_by = ").push_bind(&actor.name).push(" where finding_id in (");
            let mut sep = q.separated(", ");
            for id in part {
                sep.push_bind(*id);
            }
            q.push(")");
            q.build().execute(&mut *tx).await?;
        }
        // New notices move the campaign's rectification figures: kept figures are stale now.
        if let Some(f) = found.first() {
            sqlx::query("update campaign set generation = generation + 1 where campaign_id = $1")
                .bind(f.campaign_id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok::<_, StoreError>(ids)
    })?;
    Ok(ids)
}

/// The notice's state as the core state machine sees it.
async fn state(db: &Db, n: &NoticeRow) -> Result<(Notice, Vec<i64>)> {
    let rows: Vec<(i64, String, bool)> = with_db!(db, p => sqlx::query_as(
        "select notice_item_id, status, answered from notice_item where notice_id = $1 order by position")
        .bind(n.notice_id).fetch_all(p).await)?;
    let items = rows
        .iter()
        .map(|(_, s, answered)| {
            Ok(ItemState {
                status: ItemStatus::from_code(s)
                    .ok_or_else(|| StoreError::Corrupt(format!("item status {s}")))?,
                answered: *answered,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((
        Notice {
            status: n.status(),
            items,
            round: n.round as u32,
            deadline: n.deadline,
        },
        rows.into_iter().map(|r| r.0).collect(),
    ))
}

/// A step: checked by the state machine, written with the version check, kept in the history
/// and the audit log. `extra` writes what the step adds (a response, a verdict).
async fn step(
    db: &Db,
    scope: &Scope,
    notice_id: i64,
    action: NoticeAction,
    text: Option<&str>,
    actor: &Actor,
) -> Result<(NoticeRow, Notice, Vec<i64>)> {
    let n = row(db, scope, notice_id).await?;
    let (mut s, item_ids) = state(db, &n).await?;
    let before = s.clone();
    s.apply(&action).map_err(refused)?;
    let today = today();
    let closed = s.status == NoticeStatus::Closed && before.status != NoticeStatus::Closed;
    let days = closed.then(|| (today - n.issued_on).num_days() as i32);
    let now = Utc::now();
    let (code, position) = match &action {
        NoticeAction::Respond { item } => ("respond", Some(*item as i32)),
        NoticeAction::SubmitResponse => ("submit", None),
        NoticeAction::Accept { item } => ("accept", Some(*item as i32)),
        NoticeAction::Return { item } => ("return", Some(*item as i32)),
        NoticeAction::Extend { .. } => ("extend", None),
    };
    with_db!(db, p => {
        let mut tx = p.begin().await?;
        let updated = sqlx::query(
            "update notice set status = $1, round = $2, deadline = $3, closed_on = $4, days_to_close = $5, \
             version = version + 1 where notice_id = $6 and version = $7")
            .bind(s.status.code()).bind(s.round as i32).bind(s.deadline)
            .bind(closed.then_some(today).or(n.closed_on)).bind(days.or(n.days_to_close))
            .bind(notice_id).bind(n.version).execute(&mut *tx).await?.rows_affected();
        if updated == 0 {
            return Err(StoreError::Conflict);
        }
        for (k, (old, new)) in before.items.iter().zip(&s.items).enumerate() {
            if old != new {
                sqlx::query("update notice_item set status = $1, answered = $2 where notice_item_id = $3")
                    .bind(new.status.code()).bind(new.answered).bind(item_ids[k]).execute(&mut *tx).await?;
            }
        }
        sqlx::query("insert into notice_event (notice_id, position, round, action, text, created_at, created_by) \
                     values ($1, $2, $3, $4, $5, $6, $7)")
            .bind(notice_id).bind(position).bind(before.round as i32).bind(code).bind(text)
            .bind(now).bind(&actor.name).execute(&mut *tx).await?;
        sqlx::query("update campaign set generation = generation + 1 where campaign_id = $1")
            .bind(n.campaign_id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })?;
    audit::record(
        db,
        actor,
        &format!("rectify.{code}"),
        Some((n.organization_id, &n.path)),
        &serde_json::json!({
            "notice": notice_id, "item": position, "round": before.round, "text": text,
            "old": before.status.code(), "new": s.status.code(),
            "deadline_old": before.deadline, "deadline_new": s.deadline,
        }),
    )
    .await?;
    Ok((n, s, item_ids))
}

/// The chamber answers one item (position from 0) with the measures taken and evidence files.
/// Every file is checked (size, type by content, name) before anything is written.
pub async fn respond(
    db: &Db,
    scope: &Scope,
    notice_id: i64,
    position: usize,
    response: &str,
    files: &[(String, Vec<u8>)],
    actor: &Actor,
) -> Result<()> {
    let text = note(response).map_err(|_| refused(Msg::new("rectify.response_required")))?;
    let mut checked = Vec::new();
    for (name, bytes) in files {
        let (name, kind) = rectify::check_evidence(name, bytes).map_err(refused)?;
        checked.push((name, kind, bytes));
    }
    let n = row(db, scope, notice_id).await?;
    let (_, item_ids) = state(db, &n).await?;
    let item_id = *item_ids
        .get(position)
        .ok_or_else(|| refused(Msg::new("rectify.no_such_item")))?;
    let existing: i64 = with_db!(db, p => sqlx::query_scalar(
        "select count(*) from attachment where notice_item_id = $1").bind(item_id).fetch_one(p).await)?;
    if existing as usize + checked.len() > MAX_EVIDENCE_PER_ITEM {
        return Err(refused(
            Msg::new("rectify.too_many_files").with("max", MAX_EVIDENCE_PER_ITEM),
        ));
    }
    let (_, s, _) = step(
        db,
        scope,
        notice_id,
        NoticeAction::Respond { item: position },
        Some(&text),
        actor,
    )
    .await?;
    let now = Utc::now();
    with_db!(db, p => {
        let mut tx = p.begin().await?;
        sqlx::query("update notice_item set response = $1, responded_at = $2, responded_by = $3 where notice_item_id = $4")
            .bind(&text).bind(now).bind(&actor.name).bind(item_id).execute(&mut *tx).await?;
        for (name, kind, bytes) in &checked {
            let sha = format!("{:x}", Sha256::digest(bytes));
            sqlx::query("insert into attachment (notice_item_id, round, file_name, content_type, size, sha256, bytes, created_at, created_by) \
                         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(item_id).bind(s.round as i32).bind(name).bind(kind.content_type()).bind(bytes.len() as i64)
                .bind(&sha).bind(bytes.as_slice()).bind(now).bind(&actor.name).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// The chamber hands in its response (every open item answered).
pub async fn submit_response(db: &Db, scope: &Scope, notice_id: i64, actor: &Actor) -> Result<()> {
    step(
        db,
        scope,
        notice_id,
        NoticeAction::SubmitResponse,
        None,
        actor,
    )
    .await?;
    Ok(())
}

/// The reviewer accepts (销号) or returns (with a reason) one responded item.
pub async fn verify(
    db: &Db,
    scope: &Scope,
    notice_id: i64,
    position: usize,
    accept: bool,
    reason: Option<&str>,
    actor: &Actor,
) -> Result<()> {
    let reason = match (accept, reason) {
        (false, r) => Some(note(r.unwrap_or("")).map_err(refused)?),
        (true, Some(r)) if !r.trim().is_empty() => Some(note(r).map_err(refused)?),
        _ => None,
    };
    let action = if accept {
        NoticeAction::Accept { item: position }
    } else {
        NoticeAction::Return { item: position }
    };
    let (_, _, item_ids) = step(db, scope, notice_id, action, reason.as_deref(), actor).await?;
    with_db!(db, p => sqlx::query("update notice_item set verdict_reason = $1 where notice_item_id = $2")
        .bind(&reason).bind(item_ids[position]).execute(p).await.map(|_| ()))?;
    Ok(())
}

/// Moves the deadline later, with a reason.
pub async fn extend(
    db: &Db,
    scope: &Scope,
    notice_id: i64,
    to: NaiveDate,
    reason: &str,
    actor: &Actor,
) -> Result<()> {
    let reason = note(reason).map_err(refused)?;
    step(
        db,
        scope,
        notice_id,
        NoticeAction::Extend { to },
        Some(&reason),
        actor,
    )
    .await?;
    Ok(())
}

/// An evidence file, if its notice lies in the scope.
pub async fn attachment(
    db: &Db,
    scope: &Scope,
    attachment_id: i64,
) -> Result<(AttachmentInfo, Vec<u8>)> {
    let (lo, hi) = scope.range();
    type Row = (
        i64,
        i32,
        String,
        String,
        i64,
        DateTime<Utc>,
        String,
        Vec<u8>,
    );
    let r: Option<Row> = with_db!(db, p => sqlx::query_as(
        "select a.attachment_id, a.round, a.file_name, a.content_type, a.size, a.created_at, a.created_by, a.bytes \
         from attachment a join notice_item i on i.notice_item_id = a.notice_item_id \
         join notice n on n.notice_id = i.notice_id where a.attachment_id = $1 and n.path >= $2 and n.path < $3")
        .bind(attachment_id).bind(&lo).bind(&hi).fetch_optional(p).await)?;
    let r = r.ok_or(StoreError::NotFound)?;
    Ok((
        AttachmentInfo {
            id: r.0,
            round: r.1,
            file_name: r.2,
            content_type: r.3,
            size: r.4,
            created_at: r.5,
            created_by: r.6,
        },
        r.7,
    ))
}

/// Why a unit's report of `year` must carry a rectification report (carry-over): last year's
/// review concluded 基本合格 or 不合格, or notices are still open. `None` when it need not.
pub async fn carry_over(db: &Db, org_id: i64, year: i32) -> Result<Option<CarryOver>> {
    let conclusion: Option<String> = with_db!(db, p => sqlx::query_scalar(
        "select v.conclusion from review v join report r on r.report_id = v.report_id \
         where r.organization_id = $1 and r.year = $2")
        .bind(org_id).bind(year - 1).fetch_optional(p).await)?
    .flatten();
    let conclusion = conclusion
        .as_deref()
        .and_then(shanghui_core::review::Conclusion::from_code)
        .filter(|c| *c != shanghui_core::review::Conclusion::Qualified);
    let open = list(
        db,
        &Scope::all(),
        &Filter {
            organization_id: Some(org_id),
            open: true,
            ..Default::default()
        },
    )
    .await?
    .into_iter()
    .filter(|n| n.year < year)
    .collect::<Vec<_>>();
    if conclusion.is_none() && open.is_empty() {
        return Ok(None);
    }
    Ok(Some(CarryOver {
        conclusion,
        open_notices: open,
    }))
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct CarryOver {
    pub conclusion: Option<shanghui_core::review::Conclusion>,
    pub open_notices: Vec<NoticeRow>,
}

/// Rectification figures of a node's subtree and of each of its children.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NodeStats {
    pub stats: Stats,
    pub children: Vec<PartStats>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PartStats {
    pub id: Option<i64>,
    pub name: String,
    pub kind: Option<OrgKind>,
    pub category: Option<ChamberCategory>,
    pub stats: Stats,
}

const STATS: &str = "count(n.notice_id), \
    coalesce(sum(case when n.status = 'closed' then 1 else 0 end), 0), \
    coalesce(sum(case when n.status = 'closed' and n.closed_on <= n.deadline then 1 else 0 end), 0), \
    coalesce(sum(case when n.status <> 'closed' and n.deadline < $1 then 1 else 0 end), 0), \
    coalesce(sum(n.days_to_close), 0)";

type StatsRow = (i64, i64, i64, i64, i64);

fn stats_of(r: StatsRow) -> Stats {
    Stats {
        issued: r.0,
        closed: r.1,
        closed_on_time: r.2,
        overdue: r.3,
        days_to_close: r.4,
    }
}

/// The campaign condition of the figures' queries, on parameter `$n`: with a campaign the
/// planner can use the (campaign, path, …) index, which `($n = 0 or …)` would hide from it.
fn campaign_clause(n: u8, campaign_id: Option<i64>) -> String {
    match campaign_id {
        Some(_) => format!("n.campaign_id = ${n}"),
        None => format!("${n} = 0"),
    }
}

/// Figures of `node` (its subtree) and of each child; of one campaign or of all.
pub async fn stats(
    db: &Db,
    scope: &Scope,
    node: &Organization,
    campaign_id: Option<i64>,
) -> Result<NodeStats> {
    if !scope.contains(&node.path) {
        return Err(StoreError::NotFound);
    }
    let campaign = campaign_clause(3, campaign_id);
    let sql = format!(
        "select o.organization_id, o.name, o.kind, {STATS} from organization o \
         join notice n on n.path >= o.path and n.path < substr(o.path, 1, length(o.path) - 1) || '0' \
         and {campaign} where o.parent_id = $2 \
         group by o.organization_id, o.name, o.kind, o.division_code \
         order by case o.kind when 'federation' then 0 when 'branch' then 1 else 2 end, o.division_code, o.name"
    );
    type Row = (i64, String, String, i64, i64, i64, i64, i64);
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(today()).bind(node.id).bind(campaign_id.unwrap_or(0)).fetch_all(p).await)?;
    let children: Vec<PartStats> = rows
        .into_iter()
        .map(|(id, name, kind, a, b, c, d, e)| PartStats {
            id: Some(id),
            name,
            kind: OrgKind::from_code(&kind),
            category: None,
            stats: stats_of((a, b, c, d, e)),
        })
        .collect();
    // A chamber's own notices are its subtree's; a federation's are its children's.
    let stats = if node.record.kind == OrgKind::Chamber {
        let sql =
            format!("select {STATS} from notice n where n.organization_id = $2 and {campaign}");
        let r: StatsRow = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(today()).bind(node.id).bind(campaign_id.unwrap_or(0)).fetch_one(p).await)?;
        stats_of(r)
    } else {
        children
            .iter()
            .fold(Stats::default(), |acc, c| acc.plus(c.stats))
    };
    Ok(NodeStats { stats, children })
}

/// Figures by the rule (or hand-recorded trigger) of the notices' items, over the node.
pub async fn stats_by_rule(
    db: &Db,
    scope: &Scope,
    node: &Organization,
    campaign_id: Option<i64>,
) -> Result<Vec<(String, Stats)>> {
    if !scope.contains(&node.path) {
        return Err(StoreError::NotFound);
    }
    let campaign = campaign_clause(4, campaign_id);
    let sql = format!(
        "select coalesce(f.rule_code, f.trigger_code, ''), {STATS} from notice n \
         join notice_item i on i.notice_id = n.notice_id join finding f on f.finding_id = i.finding_id \
         where n.path >= $2 and n.path < $3 and {campaign} \
         group by coalesce(f.rule_code, f.trigger_code, '') order by 2 desc, 1"
    );
    type Row = (String, i64, i64, i64, i64, i64);
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(today()).bind(node.path.as_str()).bind(node.path.upper_bound()).bind(campaign_id.unwrap_or(0))
        .fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|(code, a, b, c, d, e)| (code, stats_of((a, b, c, d, e))))
        .collect())
}

/// Figures by the chambers' category, over the node.
pub async fn stats_by_category(
    db: &Db,
    scope: &Scope,
    node: &Organization,
    campaign_id: Option<i64>,
) -> Result<Vec<PartStats>> {
    if !scope.contains(&node.path) {
        return Err(StoreError::NotFound);
    }
    let campaign = campaign_clause(4, campaign_id);
    let sql = format!(
        "select o.category, {STATS} from notice n join organization o on o.organization_id = n.organization_id \
         where n.path >= $2 and n.path < $3 and {campaign} group by o.category"
    );
    type Row = (Option<String>, i64, i64, i64, i64, i64);
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(today()).bind(node.path.as_str()).bind(node.path.upper_bound()).bind(campaign_id.unwrap_or(0))
        .fetch_all(p).await)?;
    let mut out: Vec<PartStats> = rows
        .into_iter()
        .map(|(cat, a, b, c, d, e)| PartStats {
            id: None,
            name: cat.clone().unwrap_or_default(),
            kind: None,
            category: cat.as_deref().and_then(ChamberCategory::from_code),
            stats: stats_of((a, b, c, d, e)),
        })
        .collect();
    out.sort_by_key(|p| p.category);
    Ok(out)
}

/// The campaign a unit's notices come from, for a caller that needs it (links, titles).
pub async fn campaign_of(db: &Db, scope: &Scope, n: &NoticeRow) -> Result<campaigns::Campaign> {
    campaigns::get(db, scope, n.campaign_id).await
}

/// The organisation a notice is addressed to.
pub async fn unit_of(db: &Db, scope: &Scope, n: &NoticeRow) -> Result<Organization> {
    orgs::require(db, scope, n.organization_id).await
}
