//! Campaigns (年报工作): a federation calls for one year's reports from its subtree, with a
//! template version, an opening date, a deadline and a frozen list of the units expected to
//! report. Reporting rates of any node are range scans of the `report` table's rates index.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use shanghui_core::report::{CampaignStatus, Rates, ReportStatus, check_campaign};
use shanghui_core::{Msg, OrgKind, OrgPath, Organization, Problem, Scope};
use sqlx::QueryBuilder;

use crate::{Actor, Db, Result, StoreError, audit, orgs, with_db};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Campaign {
    pub id: i64,
    /// The federation that opened it.
    pub organization_id: i64,
    pub org_name: String,
    pub path: String,
    pub year: i32,
    pub template_id: i64,
    pub opens_on: NaiveDate,
    pub deadline: NaiveDate,
    pub status: CampaignStatus,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    /// Changes whenever the campaign's rates may have changed: computed rates can be kept
    /// while it stays the same.
    pub generation: i64,
}

#[derive(sqlx::FromRow)]
struct CampaignRow {
    campaign_id: i64,
    organization_id: i64,
    org_name: String,
    path: String,
    year: i32,
    report_template_id: i64,
    opens_on: NaiveDate,
    deadline: NaiveDate,
    status: String,
    created_at: DateTime<Utc>,
    created_by: String,
    generation: i64,
}

impl TryFrom<CampaignRow> for Campaign {
    type Error = StoreError;
    fn try_from(r: CampaignRow) -> Result<Self> {
        Ok(Campaign {
            id: r.campaign_id,
            organization_id: r.organization_id,
            org_name: r.org_name,
            path: r.path,
            year: r.year,
            template_id: r.report_template_id,
            opens_on: r.opens_on,
            deadline: r.deadline,
            status: CampaignStatus::from_code(&r.status)
                .ok_or_else(|| StoreError::Corrupt(format!("campaign status {}", r.status)))?,
            created_at: r.created_at,
            created_by: r.created_by,
            generation: r.generation,
        })
    }
}

const SELECT: &str = "select c.campaign_id, c.organization_id, o.name as org_name, c.path, c.year, \
    c.report_template_id, c.opens_on, c.deadline, c.status, c.created_at, c.created_by, c.generation \
    from campaign c join organization o on o.organization_id = c.organization_id";

/// Campaigns a scope sees: those opened inside it, and those of the federations above it (the
/// campaigns its units report to).
const VISIBLE: &str = "((c.path >= $1 and c.path < $2) or substr($3, 1, length(c.path)) = c.path)";

fn visibility(scope: &Scope) -> (String, String, String) {
    let (lo, hi) = scope.range();
    let root = scope
        .root()
        .map(|r| r.as_str().to_string())
        .unwrap_or_default();
    (lo, hi, root)
}

/// What a campaign is opened with.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub organization_id: i64,
    pub year: i32,
    pub template_id: i64,
    pub opens_on: NaiveDate,
    pub deadline: NaiveDate,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Opened {
    pub campaign: Campaign,
    pub expected: usize,
    /// Units of the subtree already expected by another campaign of the same year.
    pub skipped: usize,
}

fn refused(msg: Msg) -> StoreError {
    StoreError::rejected(Problem::general(msg))
}

/// Opens a campaign expecting every active chamber of the federation's subtree founded by the
/// end of the year, except those another campaign of the year already expects.
pub async fn open(db: &Db, scope: &Scope, new: &NewCampaign, actor: &Actor) -> Result<Opened> {
    let org = orgs::require(db, scope, new.organization_id).await?;
    let year_end = NaiveDate::from_ymd_opt(new.year, 12, 31).unwrap_or(NaiveDate::MAX);
    let (lo, hi) = (org.path.as_str().to_string(), org.path.upper_bound());
    let sql = "select organization_id from organization where path >= $1 and path < $2 \
               and kind = 'chamber' and status = 'active' and (founded_on is null or founded_on <= $3) \
               order by path";
    let units: Vec<i64> = with_db!(db, p => sqlx::query_scalar(sql)
        .bind(&lo).bind(&hi).bind(year_end).fetch_all(p).await)?;
    open_with_units(db, scope, new, &units, actor).await
}

/// Opens a campaign expecting the given units (those another campaign of the year already
/// expects are skipped). Used by `open` and by the data generator, which knows who reported.
pub async fn open_with_units(
    db: &Db,
    scope: &Scope,
    new: &NewCampaign,
    units: &[i64],
    actor: &Actor,
) -> Result<Opened> {
    check_campaign(new.year, new.opens_on, new.deadline).map_err(refused)?;
    let org = orgs::require(db, scope, new.organization_id).await?;
    if org.record.kind != OrgKind::Federation {
        return Err(refused(Msg::new("campaign.not_federation")));
    }
    crate::templates::get(db, new.template_id).await?;
    let taken: Option<i64> = with_db!(db, p => sqlx::query_scalar(
        "select campaign_id from campaign where organization_id = $1 and year = $2")
        .bind(org.id).bind(new.year).fetch_optional(p).await)?;
    if taken.is_some() {
        return Err(refused(Msg::new("campaign.exists").with("year", new.year)));
    }
    let (id, expected) = with_db!(db, p => {
        let mut tx = p.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "insert into campaign (organization_id, path, year, report_template_id, opens_on, deadline, status, created_at, created_by) \
             values ($1, $2, $3, $4, $5, $6, 'open', $7, $8) returning campaign_id")
            .bind(org.id).bind(org.path.as_str()).bind(new.year).bind(new.template_id)
            .bind(new.opens_on).bind(new.deadline).bind(Utc::now()).bind(&actor.name)
            .fetch_one(&mut *tx).await?;
        let mut expected = 0usize;
        // Multi-row statements: a national campaign expects about 76,000 units.
        for chunk in units.chunks(2_000) {
            let mut q = QueryBuilder::new(
                "insert into report (campaign_id, organization_id, year, path, expected) \
                 select ");
            q.push_bind(id).push(", o.organization_id, ").push_bind(new.year)
                .push(", o.path, true from organization o where o.organization_id in (");
            let mut sep = q.separated(", ");
            for u in chunk {
                sep.push_bind(*u);
            }
            q.push(") and o.path >= ").push_bind(org.path.as_str())
                .push(" and o.path < ").push_bind(org.path.upper_bound())
                .push(" and not exists (select 1 from report r where r.organization_id = o.organization_id and r.year = ")
                .push_bind(new.year).push(")");
            expected += q.build().execute(&mut *tx).await?.rows_affected() as usize;
        }
        tx.commit().await?;
        Ok::<_, StoreError>((id, expected))
    })?;
    let campaign = get(db, &Scope::all(), id).await?;
    audit::record(
        db,
        actor,
        "campaign.open",
        Some((org.id, org.path.as_str())),
        &serde_json::json!({
            "campaign": id, "year": new.year, "template": new.template_id,
            "opens_on": new.opens_on, "deadline": new.deadline, "expected": expected,
        }),
    )
    .await?;
    Ok(Opened {
        campaign,
        expected,
        skipped: units.len() - expected,
    })
}

pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Campaign> {
    let (lo, hi, root) = visibility(scope);
    let sql = format!("{SELECT} where c.campaign_id = $4 and {VISIBLE}");
    let row: Option<CampaignRow> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(&lo).bind(&hi).bind(&root).bind(id).fetch_optional(p).await)?;
    row.ok_or(StoreError::NotFound)?.try_into()
}

/// Campaigns the scope sees, newest year first.
pub async fn list(db: &Db, scope: &Scope) -> Result<Vec<Campaign>> {
    let (lo, hi, root) = visibility(scope);
    let sql = format!("{SELECT} where {VISIBLE} order by c.year desc, c.path");
    let rows: Vec<CampaignRow> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(&lo).bind(&hi).bind(&root).fetch_all(p).await)?;
    rows.into_iter().map(Campaign::try_from).collect()
}

/// A campaign the scope may manage: opened by a federation inside it.
async fn managed(db: &Db, scope: &Scope, id: i64) -> Result<Campaign> {
    let c = get(db, scope, id).await?;
    let path = OrgPath::parse(&c.path).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if !scope.contains(&path) {
        return Err(StoreError::NotFound);
    }
    Ok(c)
}

async fn set_status(
    db: &Db,
    scope: &Scope,
    id: i64,
    status: CampaignStatus,
    actor: &Actor,
) -> Result<Campaign> {
    let c = managed(db, scope, id).await?;
    let closed_at = (status == CampaignStatus::Closed).then(Utc::now);
    with_db!(db, p => sqlx::query("update campaign set status = $1, closed_at = $2 where campaign_id = $3")
        .bind(status.code()).bind(closed_at).bind(id).execute(p).await.map(|_| ()))?;
    audit::record(
        db,
        actor,
        &format!(
            "campaign.{}",
            if closed_at.is_some() {
                "close"
            } else {
                "reopen"
            }
        ),
        Some((c.organization_id, &c.path)),
        &serde_json::json!({"campaign": id, "year": c.year}),
    )
    .await?;
    get(db, scope, id).await
}

/// Ends filling: reports can no longer be saved or submitted online.
pub async fn close(db: &Db, scope: &Scope, id: i64, actor: &Actor) -> Result<Campaign> {
    set_status(db, scope, id, CampaignStatus::Closed, actor).await
}

pub async fn reopen(db: &Db, scope: &Scope, id: i64, actor: &Actor) -> Result<Campaign> {
    set_status(db, scope, id, CampaignStatus::Open, actor).await
}

/// Moves the deadline (audited with the old and new dates).
pub async fn set_deadline(
    db: &Db,
    scope: &Scope,
    id: i64,
    deadline: NaiveDate,
    actor: &Actor,
) -> Result<Campaign> {
    let c = managed(db, scope, id).await?;
    check_campaign(c.year, c.opens_on, deadline).map_err(refused)?;
    with_db!(db, p => sqlx::query("update campaign set deadline = $1, generation = generation + 1 where campaign_id = $2")
        .bind(deadline).bind(id).execute(p).await.map(|_| ()))?;
    audit::record(
        db,
        actor,
        "campaign.deadline",
        Some((c.organization_id, &c.path)),
        &serde_json::json!({"campaign": id, "old": c.deadline, "new": deadline}),
    )
    .await?;
    get(db, scope, id).await
}

/// Adds a unit to the expected list, or takes it off (a report already started is kept, just
/// no longer counted). Each change is audited.
pub async fn set_expected(
    db: &Db,
    scope: &Scope,
    id: i64,
    unit: i64,
    expected: bool,
    actor: &Actor,
) -> Result<()> {
    let c = managed(db, scope, id).await?;
    let org = orgs::require(db, scope, unit).await?;
    let campaign_path = OrgPath::parse(&c.path).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if !org.path.is_within(&campaign_path) || org.record.kind != OrgKind::Chamber {
        return Err(refused(Msg::new("campaign.unit_outside")));
    }
    let elsewhere: Option<i64> = with_db!(db, p => sqlx::query_scalar(
        "select campaign_id from report where organization_id = $1 and year = $2 and campaign_id <> $3")
        .bind(unit).bind(c.year).bind(id).fetch_optional(p).await)?;
    if elsewhere.is_some() {
        return Err(refused(
            Msg::new("campaign.unit_elsewhere").with("year", c.year),
        ));
    }
    let changed = with_db!(db, p => {
        let updated = sqlx::query("update report set expected = $1 where campaign_id = $2 and organization_id = $3 and expected <> $1")
            .bind(expected).bind(id).bind(unit).execute(p).await?.rows_affected();
        let exists: Option<i64> = sqlx::query_scalar("select report_id from report where campaign_id = $1 and organization_id = $2")
            .bind(id).bind(unit).fetch_optional(p).await?;
        sqlx::query("update campaign set generation = generation + 1 where campaign_id = $1")
            .bind(id).execute(p).await?;
        let inserted = if exists.is_none() && expected {
            sqlx::query("insert into report (campaign_id, organization_id, year, path, expected) values ($1, $2, $3, $4, true)")
                .bind(id).bind(unit).bind(c.year).bind(org.path.as_str()).execute(p).await?.rows_affected()
        } else { 0 };
        Ok::<_, StoreError>(updated + inserted > 0)
    })?;
    if changed {
        audit::record(
            db,
            actor,
            if expected {
                "campaign.unit_add"
            } else {
                "campaign.unit_remove"
            },
            Some((org.id, org.path.as_str())),
            &serde_json::json!({"campaign": id, "year": c.year}),
        )
        .await?;
    }
    Ok(())
}

/// Rates of one child of the node asked about.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChildRates {
    pub id: i64,
    pub name: String,
    pub kind: OrgKind,
    pub rates: Rates,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct NodeRates {
    pub rates: Rates,
    /// Children of the node with at least one unit expected below or at them.
    pub children: Vec<ChildRates>,
}

/// The part of `node`'s subtree that `scope` sees, as a path range.
fn node_range(scope: &Scope, node: &Organization) -> Result<(String, String)> {
    if !scope.contains(&node.path) {
        return Err(StoreError::NotFound);
    }
    Ok((node.path.as_str().to_string(), node.path.upper_bound()))
}

/// Reporting and on-time rates of `node`'s subtree: one covering range scan of the rates index.
pub async fn totals(db: &Db, scope: &Scope, c: &Campaign, node: &Organization) -> Result<Rates> {
    let (lo, hi) = node_range(scope, node)?;
    let sql = "select count(*), \
        coalesce(sum(case when status = 'submitted' then 1 else 0 end), 0), \
        coalesce(sum(case when status = 'submitted' and first_submitted_on <= $4 then 1 else 0 end), 0) \
        from report where campaign_id = $1 and path >= $2 and path < $3 and expected";
    let (expected, submitted, on_time): (i64, i64, i64) = with_db!(db, p => sqlx::query_as(sql)
        .bind(c.id).bind(&lo).bind(&hi).bind(c.deadline).fetch_one(p).await)?;
    Ok(Rates {
        expected,
        submitted,
        on_time,
    })
}

/// Reporting and on-time rates of `node` and of each of its children.
pub async fn rates(db: &Db, scope: &Scope, c: &Campaign, node: &Organization) -> Result<NodeRates> {
    node_range(scope, node)?;
    if node.record.kind == OrgKind::Chamber {
        return Ok(NodeRates {
            rates: totals(db, scope, c, node).await?,
            children: Vec::new(),
        });
    }
    // One range scan per child, on the rates index.
    let child_sql = "select o.organization_id, o.name, o.kind, count(r.report_id), \
        coalesce(sum(case when r.status = 'submitted' then 1 else 0 end), 0), \
        coalesce(sum(case when r.status = 'submitted' and r.first_submitted_on <= $3 then 1 else 0 end), 0) \
        from organization o join report r on r.campaign_id = $1 and r.expected \
          and r.path >= o.path and r.path < substr(o.path, 1, length(o.path) - 1) || '0' \
        where o.parent_id = $2 \
        group by o.organization_id, o.name, o.kind, o.division_code \
        order by case o.kind when 'federation' then 0 when 'branch' then 1 else 2 end, o.division_code, o.name";
    type Row = (i64, String, String, i64, i64, i64);
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(child_sql)
        .bind(c.id).bind(node.id).bind(c.deadline).fetch_all(p).await)?;
    let children = rows
        .into_iter()
        .map(|(id, name, kind, e, s, t)| {
            Ok(ChildRates {
                id,
                name,
                kind: OrgKind::from_code(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("kind {kind}")))?,
                rates: Rates {
                    expected: e,
                    submitted: s,
                    on_time: t,
                },
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // Only chambers report, so a federation's or branch's figures are the sum of its children's:
    // the subtree is read once.
    let rates = children
        .iter()
        .fold(Rates::default(), |acc, ch| acc.plus(ch.rates));
    Ok(NodeRates { rates, children })
}

/// A unit expected to report that has not submitted.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MissingUnit {
    pub id: i64,
    pub name: String,
    pub uscc: Option<String>,
    pub parent_name: Option<String>,
    pub status: Option<ReportStatus>,
}

/// Units under `node` expected to report that have not submitted (not started, draft or
/// returned), in tree order, at most `limit` (how many there are in all is
/// [`Rates::missing`] of [`rates`]). The rates index gives them in path order, so the first page
/// costs only its rows.
pub async fn missing(
    db: &Db,
    scope: &Scope,
    c: &Campaign,
    node: &Organization,
    limit: i64,
) -> Result<Vec<MissingUnit>> {
    let (lo, hi) = node_range(scope, node)?;
    let sql = "select o.organization_id, o.name, o.uscc, p.name, r.status \
        from report r join organization o on o.organization_id = r.organization_id \
        left join organization p on p.organization_id = o.parent_id \
        where r.campaign_id = $1 and r.path >= $2 and r.path < $3 and r.expected \
        and (r.status is null or r.status <> 'submitted') order by r.path limit $4";
    type Row = (i64, String, Option<String>, Option<String>, Option<String>);
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(sql)
        .bind(c.id).bind(&lo).bind(&hi).bind(limit).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, uscc, parent_name, status)| MissingUnit {
            id,
            name,
            uscc,
            parent_name,
            status: status.as_deref().and_then(ReportStatus::from_code),
        })
        .collect())
}

/// The usual calendar of a year's campaign: opens 1 March of the next year, due 31 May
/// (STANDARDS.md §4).
pub fn usual_dates(year: i32) -> (NaiveDate, NaiveDate) {
    let y = year + 1;
    (
        NaiveDate::from_ymd_opt(y, 3, 1).unwrap_or(NaiveDate::MIN),
        NaiveDate::from_ymd_opt(y, 5, 31).unwrap_or(NaiveDate::MAX),
    )
}

/// The year a campaign opened today would usually be for: last year.
pub fn usual_year(today: NaiveDate) -> i32 {
    today.year() - 1
}
