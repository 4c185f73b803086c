//! Reading the registry. Every function takes the reader's [`Scope`]; a record outside it is
//! treated as absent.

use chrono::{DateTime, NaiveDate, Utc};
use shanghui_core::division::DivisionCode;
use shanghui_core::org::{
    ChamberCategory, FederationLevel, OrgDraft, OrgKind, OrgStatus, Organization, PartyOrgForm,
};
use shanghui_core::tree::OrgPath;
use shanghui_core::{Scope, uscc};
use sqlx::QueryBuilder;

use crate::{Db, Result, StoreError, with_db};

pub(crate) const COLUMNS: &str = "organization_id, parent_id, path, kind, level, name, uscc, uscc_override_reason, \
    category, founded_on, division_code, registered, unregistered_reason, party_org, party_org_form, \
    party_org_reason, members_unit, members_individual, members_total, council_size, standing_council_size, \
    president, secretary_general, last_reelection, status, dissolved_on, version, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct OrgRow {
    organization_id: i64,
    parent_id: Option<i64>,
    path: String,
    kind: String,
    level: Option<String>,
    name: String,
    uscc: Option<String>,
    uscc_override_reason: Option<String>,
    category: Option<String>,
    founded_on: Option<NaiveDate>,
    division_code: Option<String>,
    registered: Option<bool>,
    unregistered_reason: Option<String>,
    party_org: Option<bool>,
    party_org_form: Option<String>,
    party_org_reason: Option<String>,
    members_unit: Option<i64>,
    members_individual: Option<i64>,
    members_total: Option<i64>,
    council_size: Option<i64>,
    standing_council_size: Option<i64>,
    president: Option<String>,
    secretary_general: Option<String>,
    last_reelection: Option<NaiveDate>,
    status: String,
    dissolved_on: Option<NaiveDate>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<OrgRow> for Organization {
    type Error = StoreError;
    fn try_from(r: OrgRow) -> Result<Self> {
        let id = r.organization_id;
        let bad = |what: &str| StoreError::Corrupt(format!("organization {id}: {what}"));
        let code = |c: Option<String>| c;
        let uscc = match r.uscc.as_deref().map(uscc::check) {
            None => None,
            Some(uscc::UsccCheck::Ok(c)) | Some(uscc::UsccCheck::BadCheckDigit { code: c, .. }) => {
                Some(c)
            }
            Some(uscc::UsccCheck::Malformed(_)) => return Err(bad("uscc")),
        };
        Ok(Organization {
            id,
            parent_id: r.parent_id,
            path: OrgPath::parse(&r.path).map_err(|_| bad("path"))?,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            record: OrgDraft {
                kind: OrgKind::from_code(&r.kind).ok_or_else(|| bad("kind"))?,
                level: code(r.level)
                    .map(|l| FederationLevel::from_code(&l).ok_or_else(|| bad("level")))
                    .transpose()?,
                name: r.name,
                uscc,
                uscc_override_reason: r.uscc_override_reason,
                category: r
                    .category
                    .map(|c| ChamberCategory::from_code(&c).ok_or_else(|| bad("category")))
                    .transpose()?,
                founded_on: r.founded_on,
                division_code: r
                    .division_code
                    .map(|d| DivisionCode::parse(&d).map_err(|_| bad("division_code")))
                    .transpose()?,
                registered: r.registered,
                unregistered_reason: r.unregistered_reason,
                party_org: r.party_org,
                party_org_form: r
                    .party_org_form
                    .map(|f| PartyOrgForm::from_code(&f).ok_or_else(|| bad("party_org_form")))
                    .transpose()?,
                party_org_reason: r.party_org_reason,
                members_unit: r.members_unit,
                members_individual: r.members_individual,
                members_total: r.members_total,
                council_size: r.council_size,
                standing_council_size: r.standing_council_size,
                president: r.president,
                secretary_general: r.secretary_general,
                last_reelection: r.last_reelection,
                status: OrgStatus::from_code(&r.status).ok_or_else(|| bad("status"))?,
                dissolved_on: r.dissolved_on,
            },
        })
    }
}

pub(crate) fn convert(rows: Vec<OrgRow>) -> Result<Vec<Organization>> {
    rows.into_iter().map(Organization::try_from).collect()
}

/// One organisation, if it exists and lies in `scope`.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Option<Organization>> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "select {COLUMNS} from organization where organization_id = $1 and path >= $2 and path < $3"
    );
    let row: Option<OrgRow> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(id).bind(&lo).bind(&hi).fetch_optional(p).await)?;
    row.map(Organization::try_from).transpose()
}

/// Like [`get`], but a missing record is an error.
pub async fn require(db: &Db, scope: &Scope, id: i64) -> Result<Organization> {
    get(db, scope, id).await?.ok_or(StoreError::NotFound)
}

/// The organisations a reader starts from: the roots of the registry, or the reader's own node.
pub async fn tops(db: &Db, scope: &Scope) -> Result<Vec<Organization>> {
    match scope.root() {
        Some(root) => Ok(get(db, scope, root.id()).await?.into_iter().collect()),
        None => {
            let sql = format!(
                "select {COLUMNS} from organization where parent_id is null order by organization_id"
            );
            let rows: Vec<OrgRow> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).fetch_all(p).await)?;
            convert(rows)
        }
    }
}

/// Active units below a node, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub federations: i64,
    pub branches: i64,
    pub chambers: i64,
}

impl Counts {
    /// One unit of `kind`.
    pub fn one(kind: OrgKind) -> Self {
        let mut c = Counts::default();
        c.add(kind, 1);
        c
    }
    pub fn add(&mut self, kind: OrgKind, n: i64) {
        match kind {
            OrgKind::Federation => self.federations += n,
            OrgKind::Branch => self.branches += n,
            OrgKind::Chamber => self.chambers += n,
        }
    }
    /// What a unit itself adds to its ancestors' counts: one of its kind while active.
    pub fn of(record: &OrgDraft) -> Self {
        if record.status == OrgStatus::Active {
            Counts::one(record.kind)
        } else {
            Counts::default()
        }
    }
    pub fn plus(self, o: Counts) -> Self {
        Counts {
            federations: self.federations + o.federations,
            branches: self.branches + o.branches,
            chambers: self.chambers + o.chambers,
        }
    }
    pub fn minus(self, o: Counts) -> Self {
        Counts {
            federations: self.federations - o.federations,
            branches: self.branches - o.branches,
            chambers: self.chambers - o.chambers,
        }
    }
    pub fn is_zero(&self) -> bool {
        *self == Counts::default()
    }
}

#[derive(Debug, Clone)]
pub struct Child {
    pub org: Organization,
    /// Active units strictly below this child.
    pub below: Counts,
}

#[derive(sqlx::FromRow)]
struct ChildRow {
    #[sqlx(flatten)]
    org: OrgRow,
    below_federations: i64,
    below_branches: i64,
    below_chambers: i64,
}

/// The children of `parent` with the active units below each, for the tree browser. Federations
/// and branches come first, then chambers, each by division and name. The counts are kept on each
/// row by the writes (see `registry`), so this reads one row per child whatever the subtree's size.
pub async fn children(db: &Db, scope: &Scope, parent: &Organization) -> Result<Vec<Child>> {
    if !scope.contains(&parent.path) {
        return Err(StoreError::NotFound);
    }
    let sql = format!(
        "select {COLUMNS}, below_federations, below_branches, below_chambers from organization where parent_id = $1 \
         order by case kind when 'federation' then 0 when 'branch' then 1 else 2 end, division_code, name"
    );
    let rows: Vec<ChildRow> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(parent.id).fetch_all(p).await)?;
    rows.into_iter()
        .map(|r| {
            let below = Counts {
                federations: r.below_federations,
                branches: r.below_branches,
                chambers: r.below_chambers,
            };
            Ok(Child {
                org: Organization::try_from(r.org)?,
                below,
            })
        })
        .collect()
}

/// Active units strictly below `org`.
pub async fn counts_below(db: &Db, org: &Organization) -> Result<Counts> {
    let sql = "select below_federations, below_branches, below_chambers from organization where organization_id = $1";
    let (federations, branches, chambers): (i64, i64, i64) =
        with_db!(db, p => sqlx::query_as(sql).bind(org.id).fetch_one(p).await)?;
    Ok(Counts {
        federations,
        branches,
        chambers,
    })
}

/// Recomputes every unit's counts from the tree itself and lists the ids whose stored counts
/// differ (empty when the maintained counts are right). With `repair`, writes the right ones.
pub async fn verify_counts(db: &Db, repair: bool) -> Result<Vec<i64>> {
    let rows: Vec<(i64, String, String, String, i64, i64, i64)> = with_db!(db, p => sqlx::query_as(
        "select organization_id, path, kind, status, below_federations, below_branches, below_chambers from organization")
        .fetch_all(p).await)?;
    let mut computed: std::collections::HashMap<i64, Counts> = std::collections::HashMap::new();
    for (_, path, kind, status, ..) in &rows {
        if status != "active" {
            continue;
        }
        let kind =
            OrgKind::from_code(kind).ok_or_else(|| StoreError::Corrupt(format!("kind {kind}")))?;
        let path = OrgPath::parse(path).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let ids = path.ids();
        for a in &ids[..ids.len() - 1] {
            computed.entry(*a).or_default().add(kind, 1);
        }
    }
    let mut wrong = Vec::new();
    for (id, _, _, _, f, b, c) in &rows {
        let want = computed.get(id).copied().unwrap_or_default();
        if want
            != (Counts {
                federations: *f,
                branches: *b,
                chambers: *c,
            })
        {
            wrong.push(*id);
            if repair {
                with_db!(db, p => sqlx::query(
                    "update organization set below_federations = $1, below_branches = $2, below_chambers = $3 where organization_id = $4")
                    .bind(want.federations).bind(want.branches).bind(want.chambers).bind(*id).execute(p).await.map(|_| ()))?;
            }
        }
    }
    Ok(wrong)
}

/// The ancestors of `org` that lie in `scope`, from the top down (for breadcrumbs).
pub async fn ancestors(db: &Db, scope: &Scope, org: &Organization) -> Result<Vec<(i64, String)>> {
    let ids: Vec<i64> = org
        .path
        .ids()
        .into_iter()
        .filter(|&i| i != org.id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let (lo, hi) = scope.range();
    let rows: Vec<(i64, String, String)> = with_db!(db, p => {
        let mut qb = QueryBuilder::new("select organization_id, name, path from organization where path >= ");
        qb.push_bind(&lo).push(" and path < ").push_bind(&hi).push(" and organization_id in (");
        let mut sep = qb.separated(", ");
        for id in &ids {
            sep.push_bind(*id);
        }
        qb.push(")");
        qb.build_query_as().fetch_all(p).await
    })?;
    let mut rows = rows;
    rows.sort_by_key(|(_, _, path)| path.len());
    Ok(rows.into_iter().map(|(id, name, _)| (id, name)).collect())
}

/// Escapes `%`, `_` and `\` for a `like ... escape '\'` pattern.
fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Organisations whose name contains `q` or whose credit code starts with it.
pub async fn search(db: &Db, scope: &Scope, q: &str, limit: i64) -> Result<Vec<Organization>> {
    let q = q.trim();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let (lo, hi) = scope.range();
    let sql = format!(
        "select {COLUMNS} from organization where path >= $1 and path < $2 \
         and (name like $3 escape '\\' or uscc like $4 escape '\\') \
         order by case when name = $5 then 0 else 1 end, length(name), path limit $6"
    );
    let contains = format!("%{}%", like_escape(q));
    let prefix = format!("{}%", like_escape(&q.to_ascii_uppercase()));
    let rows: Vec<OrgRow> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(&lo).bind(&hi).bind(&contains).bind(&prefix).bind(q).bind(limit)
        .fetch_all(p).await)?;
    convert(rows)
}

/// The federation of a division (by its 6- or 12-digit code) in scope: how staff name a county
/// or province on the command line.
pub async fn federation_of_division(
    db: &Db,
    scope: &Scope,
    code: &str,
) -> Result<Option<Organization>> {
    let (lo, hi) = scope.range();
    let sql = format!(
        "select {COLUMNS} from organization where path >= $1 and path < $2 \
         and kind = 'federation' and division_code = $3 order by path limit 1"
    );
    let rows: Vec<OrgRow> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(&lo).bind(&hi).bind(code.trim()).fetch_all(p).await)?;
    Ok(convert(rows)?.into_iter().next())
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kind: Option<OrgKind>,
    pub category: Option<ChamberCategory>,
    pub status: Option<OrgStatus>,
    pub limit: Option<i64>,
}

/// Everything in scope that matches, parents before children (path order), for lists and exports.
pub async fn list(db: &Db, scope: &Scope, filter: &Filter) -> Result<Vec<Organization>> {
    let (lo, hi) = scope.range();
    let rows: Vec<OrgRow> = with_db!(db, p => {
        let mut qb = QueryBuilder::new(format!("select {COLUMNS} from organization where path >= "));
        qb.push_bind(&lo).push(" and path < ").push_bind(&hi);
        if let Some(k) = filter.kind {
            qb.push(" and kind = ").push_bind(k.code());
        }
        if let Some(c) = filter.category {
            qb.push(" and category = ").push_bind(c.code());
        }
        if let Some(s) = filter.status {
            qb.push(" and status = ").push_bind(s.code());
        }
        qb.push(" order by path");
        if let Some(l) = filter.limit {
            qb.push(" limit ").push_bind(l);
        }
        qb.build_query_as().fetch_all(p).await
    })?;
    convert(rows)
}

/// How many organisations the scope holds.
pub async fn count(db: &Db, scope: &Scope) -> Result<i64> {
    let (lo, hi) = scope.range();
    let sql = "select count(*) from organization where path >= $1 and path < $2";
    Ok(with_db!(db, p => sqlx::query_scalar(sql).bind(&lo).bind(&hi).fetch_one(p).await)?)
}

/// A recorded change of one organisation: its entries in the audit log.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Event {
    pub audit_event_id: i64,
    pub organization_id: Option<i64>,
    pub action: String,
    pub effective_on: Option<NaiveDate>,
    pub actor: String,
    pub ip: Option<String>,
    /// JSON: `{"changes": [{"field", "old", "new"}]}`, `{"fields": {...}}` or `{"from", "to"}`.
    pub detail: String,
    pub created_at: DateTime<Utc>,
}

pub async fn history(db: &Db, scope: &Scope, id: i64) -> Result<Vec<Event>> {
    require(db, scope, id).await?;
    let sql = "select audit_event_id, organization_id, action, effective_on, actor, ip, detail, created_at \
               from audit_event where organization_id = $1 order by audit_event_id desc";
    Ok(with_db!(db, p => sqlx::query_as(sql).bind(id).fetch_all(p).await)?)
}

/// One period of membership: the unit belonged to `parent` from `valid_from` until `valid_to`
/// (exclusive; `None` while current).
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Link {
    pub parent_id: Option<i64>,
    pub parent_name: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

pub async fn links(db: &Db, scope: &Scope, id: i64) -> Result<Vec<Link>> {
    require(db, scope, id).await?;
    let sql = "select l.parent_id, p.name as parent_name, l.valid_from, l.valid_to from organization_link l \
               left join organization p on p.organization_id = l.parent_id \
               where l.organization_id = $1 order by l.valid_from, l.organization_link_id";
    Ok(with_db!(db, p => sqlx::query_as(sql).bind(id).fetch_all(p).await)?)
}

/// The units that belonged to the tree under `root` on `date` (the root included), following the
/// membership history rather than today's tree: the answer to "who belonged where in year N".
pub async fn members_on(
    db: &Db,
    scope: &Scope,
    root: i64,
    date: NaiveDate,
) -> Result<Vec<(i64, Option<i64>)>> {
    require(db, scope, root).await?;
    let sql = "with recursive t(id, parent) as ( \
                 select cast($1 as bigint), cast(null as bigint) \
                 union all \
                 select l.organization_id, l.parent_id from organization_link l join t on l.parent_id = t.id \
                 where l.valid_from <= $2 and (l.valid_to is null or l.valid_to > $2) \
               ) select id, parent from t";
    Ok(with_db!(db, p => sqlx::query_as(sql).bind(root).bind(date).fetch_all(p).await)?)
}
