//! Coverage indicators (覆盖率) in the database: staff-defined indicators (versioned, like rules;
//! the built-ins come from `core::indicator` and cannot be redefined), targets per indicator,
//! year and level, and the year's universe the pure computation counts over (every unit existing
//! on 31 December with its ancestors on that date, the year's reports and notices).
//!
//! A year is read in a handful of queries (units, their links, reports, notices, and one JSON
//! field per report item an indicator sums), so a reader can keep it until [`generation`] moves.
//! Triggers (migration 0008) move two counters and log what moved them: the registry's, naming
//! each unit whose fields or membership periods changed, and the facts', naming each report or
//! notice that changed (or a campaign's year). A reader brings what it keeps forward from the
//! logs ([`refresh_registry`], [`patch`], [`refresh_facts`]) instead of reading it all again.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use shanghui_core::indicator::{
    self, Compare, CompiledIndicator, DivisionLists, Fraction, Indicator, Measure, NoticeRow,
    ReportRow, Target, UnitRow, Universe,
};
use shanghui_core::report::Answers;
use shanghui_core::rules::OrgFacts;
use shanghui_core::template::{ItemType, Template, Value};
use shanghui_core::{
    ChamberCategory, FederationLevel, Msg, OrgKind, OrgPath, OrgStatus, PartyOrgForm, Problem,
    Scope,
};

use crate::{Actor, Db, Result, StoreError, audit, templates, with_db};

// -------------------------------------------------------------------------------------------------
// Definitions and targets.

/// Every indicator in use: the built-ins, then the staff's (current, not retired) by code.
pub async fn all(db: &Db) -> Result<Vec<Indicator>> {
    let mut out = indicator::builtin_indicators();
    out.extend(stored(db).await?.into_iter().map(|(_, i)| i));
    Ok(out)
}

/// The staff's current indicators with their versions.
pub async fn stored(db: &Db) -> Result<Vec<(i64, Indicator)>> {
    let rows: Vec<(i64, String)> = with_db!(db, p => sqlx::query_as(
        "select cast(version as bigint), definition from indicator where current = true and retired = false order by code")
        .fetch_all(p).await)?;
    rows.into_iter()
        .map(|(v, json)| {
            let i: Indicator = serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("indicator: {e}")))?;
            Ok((v, i))
        })
        .collect()
}

/// One indicator by code (a built-in or the staff's).
pub async fn get(db: &Db, code: &str) -> Result<Indicator> {
    all(db)
        .await?
        .into_iter()
        .find(|i| i.code == code)
        .ok_or(StoreError::NotFound)
}

/// The template indicators are checked against: the newest one (a condition on report items
/// needs one).
pub async fn checking_template(db: &Db) -> Result<Template> {
    match templates::latest(db).await? {
        Some(id) => templates::get(db, id).await,
        None => Ok(shanghui_core::template::sample()),
    }
}

fn refused(problems: Vec<indicator::IndicatorProblem>) -> StoreError {
    StoreError::Rejected(
        problems
            .into_iter()
            .map(|p| Problem::general(p_msg(&p)))
            .collect(),
    )
}

/// A problem as one message naming its place (field, row, position), in both languages.
fn p_msg(p: &indicator::IndicatorProblem) -> Msg {
    Msg::new("indicator.store.problem").with_both(
        "message",
        &p.render(shanghui_core::Lang::ZhCn),
        &p.render(shanghui_core::Lang::En),
    )
}

/// Checks `ind` for saving: valid against `t`, not a built-in's code.
pub fn check(ind: &Indicator, t: &Template) -> Result<CompiledIndicator> {
    if indicator::builtin_indicators()
        .iter()
        .any(|b| b.code == ind.code)
    {
        return Err(StoreError::rejected(Problem::general(
            Msg::new("indicator.store.builtin_code").with("code", &ind.code),
        )));
    }
    let mut ind = ind.clone();
    ind.builtin = false;
    indicator::check(&ind, t).map_err(refused)
}

/// Saves a staff indicator (a new code or a new version of a changed one); `false` when it is
/// unchanged. Audited.
pub async fn save(db: &Db, ind: &Indicator, t: &Template, actor: &Actor) -> Result<bool> {
    check(ind, t)?;
    let mut ind = ind.clone();
    ind.builtin = false;
    let last: Option<(i64, String, bool)> = with_db!(db, p => sqlx::query_as(
        "select cast(version as bigint), definition, retired from indicator where code = $1 order by version desc limit 1")
        .bind(&ind.code).fetch_optional(p).await)?;
    let json = serde_json::to_string(&ind).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    if let Some((_, old, false)) = &last
        && serde_json::from_str::<Indicator>(old).ok().as_ref() == Some(&ind)
    {
        return Ok(false);
    }
    let version = last.as_ref().map(|l| l.0).unwrap_or(0) + 1;
    let now = Utc::now();
    with_db!(db, p => {
        let mut tx = p.begin().await?;
        sqlx::query("update indicator set current = false where code = $1")
            .bind(&ind.code).execute(&mut *tx).await?;
        sqlx::query("insert into indicator (code, version, definition, current, retired, created_at, created_by) \
                     values ($1, $2, $3, true, false, $4, $5)")
            .bind(&ind.code).bind(version).bind(&json).bind(now).bind(&actor.name)
            .execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })?;
    audit::record(
        db,
        actor,
        "indicator.save",
        None,
        &serde_json::json!({ "code": ind.code, "version": version, "definition": ind,
            "old": last.map(|l| l.1) }),
    )
    .await?;
    Ok(true)
}

/// Retires a staff indicator (its versions stay, for the record). Audited.
pub async fn retire(db: &Db, code: &str, actor: &Actor) -> Result<()> {
    let n = with_db!(db, p => sqlx::query(
        "update indicator set retired = true where code = $1 and current = true and retired = false")
        .bind(code).execute(p).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    audit::record(
        db,
        actor,
        "indicator.retire",
        None,
        &serde_json::json!({ "code": code }),
    )
    .await
}

/// Every target.
pub async fn targets(db: &Db) -> Result<Vec<Target>> {
    type Row = (String, i32, String, f64, String);
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(
        "select indicator, year, level, value, direction from indicator_target order by indicator, year, level")
        .fetch_all(p).await)?;
    rows.into_iter()
        .map(|(ind, year, level, value, direction)| {
            Ok(Target {
                indicator: ind,
                year,
                level: match level.as_str() {
                    "" => None,
                    l => Some(
                        FederationLevel::from_code(l)
                            .ok_or_else(|| StoreError::Corrupt(format!("target level {l}")))?,
                    ),
                },
                value,
                direction: indicator::Direction::parse(&direction)
                    .ok_or_else(|| StoreError::Corrupt(format!("target direction {direction}")))?,
            })
        })
        .collect()
}

/// Sets a target (replacing the one of the same indicator, year and level). Audited.
pub async fn set_target(db: &Db, t: &Target, actor: &Actor) -> Result<()> {
    if !all(db).await?.iter().any(|i| i.code == t.indicator) {
        return Err(StoreError::rejected(Problem::general(
            Msg::new("indicator.store.unknown").with("code", &t.indicator),
        )));
    }
    if !t.value.is_finite() {
        return Err(StoreError::rejected(Problem::general(Msg::new(
            "indicator.store.bad_target",
        ))));
    }
    let level = t.level.map(|l| l.code()).unwrap_or("");
    let now = Utc::now();
    with_db!(db, p => sqlx::query(
        "insert into indicator_target (indicator, year, level, value, direction, updated_at, updated_by) \
         values ($1, $2, $3, $4, $5, $6, $7) on conflict (indicator, year, level) do update set \
         value = excluded.value, direction = excluded.direction, updated_at = excluded.updated_at, \
         updated_by = excluded.updated_by")
        .bind(&t.indicator).bind(t.year).bind(level).bind(t.value).bind(t.direction.code())
        .bind(now).bind(&actor.name).execute(p).await.map(|_| ()))?;
    audit::record(
        db,
        actor,
        "indicator.target",
        None,
        &serde_json::json!({ "indicator": t.indicator, "year": t.year, "level": level,
            "value": t.value, "direction": t.direction.code() }),
    )
    .await
}

/// Saves a workbook's indicators and targets, all or nothing: every indicator is checked first
/// (the problems of all of them at once). Returns (indicators changed, targets set).
pub async fn import(
    db: &Db,
    inds: &[Indicator],
    targets: &[Target],
    t: &Template,
    actor: &Actor,
) -> Result<(usize, usize)> {
    let mut problems = Vec::new();
    for i in inds {
        if let Err(StoreError::Rejected(ps)) = check(i, t) {
            problems.extend(ps);
        }
    }
    let known: Vec<String> = indicator::builtin_indicators()
        .into_iter()
        .map(|i| i.code)
        .chain(inds.iter().map(|i| i.code.clone()))
        .chain(stored(db).await?.into_iter().map(|(_, i)| i.code))
        .collect();
    for tg in targets {
        if !known.contains(&tg.indicator) {
            problems.push(Problem::general(
                Msg::new("indicator.store.unknown").with("code", &tg.indicator),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(StoreError::Rejected(problems));
    }
    let mut changed = 0;
    for i in inds {
        if save(db, i, t, actor).await? {
            changed += 1;
        }
    }
    for tg in targets {
        set_target(db, tg, actor).await?;
    }
    Ok((changed, targets.len()))
}

// -------------------------------------------------------------------------------------------------
// A year's universe.

/// What a kept year depends on: the registry's counter and the campaigns' facts counter (both
/// moved by triggers, see migration 0008: every write of what the indicators read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Generation {
    pub registry: i64,
    pub facts: i64,
}

/// The current [`Generation`] (one query).
pub async fn generation(db: &Db) -> Result<Generation> {
    let (registry, facts): (i64, i64) = with_db!(db, p => sqlx::query_as(
        "select (select value from generation where name = 'registry'), \
         (select value from generation where name = 'facts')")
        .fetch_one(p).await)?;
    Ok(Generation { registry, facts })
}

/// A unit as lists and charts name it.
#[derive(Debug, Clone, PartialEq)]
pub struct Named {
    pub name: String,
    pub kind: OrgKind,
    pub level: Option<FederationLevel>,
    pub division: Option<String>,
}

/// Everything a year's indicators count, owned (see [`YearData::universe`]).
#[derive(Debug, Clone, Default)]
pub struct YearData {
    pub year: i32,
    /// The registry's generation the units are of (the facts carry their own counter).
    pub registry: i64,
    /// In ID order.
    pub units: Vec<UnitRow>,
    /// The year's reports and notices (shared with the next [`YearData`] of the same facts:
    /// a registry change does not read them again).
    pub facts: Arc<YearFacts>,
    /// Every unit of the registry (existing that year or not) by ID, shared by the years.
    pub names: Arc<HashMap<i64, Named>>,
    /// Each unit's parent on 31 December (units of the year).
    pub parents: HashMap<i64, i64>,
    /// Every unit some unit of the year lies below (a change to another moves no subtree).
    pub above: HashSet<i64>,
}

/// What a year's campaigns hold for the indicators: their template, reports (in report ID order)
/// and notices (in notice ID order), as of the facts counter `generation`.
#[derive(Debug, Clone, Default)]
pub struct YearFacts {
    pub year: i32,
    pub generation: i64,
    pub template: Option<Template>,
    pub reports: Vec<ReportRow>,
    /// Each report's ID, beside it.
    pub report_ids: Vec<i64>,
    pub notices: Vec<NoticeRow>,
    /// The report items read (summed; submitted reports only); every answer when `all_answers`.
    pub items: Vec<String>,
    pub all_answers: bool,
}

impl YearFacts {
    /// Whether these facts hold what `items` asks for (see [`load_facts`]).
    pub fn answers(&self, items: Option<&[String]>) -> bool {
        match items {
            None => self.all_answers,
            Some(i) => self.all_answers || i.iter().all(|x| self.items.contains(x)),
        }
    }
}

impl YearData {
    /// What the year is of: the registry's generation and its facts' counter.
    pub fn generation(&self) -> Generation {
        Generation {
            registry: self.registry,
            facts: self.facts.generation,
        }
    }

    pub fn universe<'a>(&'a self, lists: &'a DivisionLists) -> Universe<'a> {
        Universe {
            year: self.year,
            units: &self.units,
            divisions: lists,
            template: self.facts.template.as_ref(),
            reports: &self.facts.reports,
            notices: &self.facts.notices,
        }
    }

    /// The children of `node` on 31 December that count units below them: federations and
    /// branches (chambers have none), by name.
    pub fn children(&self, node: i64) -> Vec<i64> {
        let mut out: Vec<i64> = self
            .parents
            .iter()
            .filter(|(id, p)| {
                **p == node
                    && self
                        .names
                        .get(id)
                        .is_some_and(|n| n.kind != OrgKind::Chamber)
            })
            .map(|(id, _)| *id)
            .collect();
        out.sort_by(|a, b| {
            let n = |x| {
                self.names
                    .get(x)
                    .map(|n| (n.division.clone(), n.name.clone()))
            };
            n(a).cmp(&n(b))
        });
        out
    }

    /// The name of a unit (its ID when unknown).
    pub fn name(&self, id: i64) -> String {
        self.names
            .get(&id)
            .map(|n| n.name.clone())
            .unwrap_or_else(|| id.to_string())
    }
}

/// The report items `inds` sum with no condition (read as one JSON field each); `None` when an
/// indicator has a condition on reports (then every answer is read).
pub fn summed_items(inds: &[&Indicator]) -> Option<Vec<String>> {
    let mut items = Vec::new();
    for i in inds {
        for m in std::iter::once(&i.numerator).chain(i.denominator.as_ref()) {
            match m {
                Measure::ItemSum { item, filter } => {
                    if !filter.trim().is_empty() {
                        return None;
                    }
                    if !items.contains(item) {
                        items.push(item.clone());
                    }
                }
                Measure::Reports { filter, .. } if !filter.trim().is_empty() => return None,
                _ => {}
            }
        }
    }
    Some(items)
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct UnitDbRow {
    organization_id: i64,
    parent_id: Option<i64>,
    name: String,
    kind: String,
    level: Option<String>,
    category: Option<String>,
    registered: Option<bool>,
    party_org: Option<bool>,
    party_org_form: Option<String>,
    members_total: Option<i64>,
    members_unit: Option<i64>,
    members_individual: Option<i64>,
    council_size: Option<i64>,
    founded_on: Option<NaiveDate>,
    last_reelection: Option<NaiveDate>,
    division_code: Option<String>,
    status: String,
    dissolved_on: Option<NaiveDate>,
}

/// A membership period: the parent, from, to (exclusive; `None` while it lasts).
type Link = (Option<i64>, NaiveDate, Option<NaiveDate>);

const UNIT_COLUMNS: &str = "organization_id, parent_id, name, kind, level, category, registered, \
    party_org, party_org_form, members_total, members_unit, members_individual, council_size, \
    founded_on, last_reelection, division_code, status, dissolved_on";

/// The registry as the years' universes need it: every unit and every membership period, read
/// once and shared by the years (a dashboard's trend reads five), kept while its generation
/// holds and brought forward by [`refresh_registry`] from the change log.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    pub generation: i64,
    units: HashMap<i64, UnitDbRow>,
    links: HashMap<i64, Vec<Link>>,
    /// Every unit by ID as lists name it, shared with the years assembled over it.
    names: Arc<HashMap<i64, Named>>,
}

impl Registry {
    fn new(generation: i64, units: Vec<UnitDbRow>, links: Vec<(i64, Link)>) -> Result<Self> {
        let mut r = Registry {
            generation,
            units: HashMap::with_capacity(units.len()),
            links: HashMap::with_capacity(links.len()),
            names: Arc::default(),
        };
        let names = Arc::make_mut(&mut r.names);
        names.reserve(units.len());
        for u in units {
            names.insert(u.organization_id, named(&u)?);
            r.units.insert(u.organization_id, u);
        }
        for (id, link) in links {
            r.links.entry(id).or_default().push(link);
        }
        Ok(r)
    }

    /// How many units it holds.
    pub fn len(&self) -> usize {
        self.units.len()
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// A unit's parent on `day`: the membership period covering that day (the latest begun, if
    /// several do), else its current parent.
    fn parent_on(&self, id: i64, day: NaiveDate) -> Option<i64> {
        let covering = self.links.get(&id).and_then(|ls| {
            ls.iter()
                .filter(|(_, from, to)| *from <= day && to.is_none_or(|t| t > day))
                .max_by_key(|(_, from, _)| *from)
        });
        match covering {
            Some((parent, _, _)) => *parent,
            None => self.units.get(&id).and_then(|u| u.parent_id),
        }
    }

    /// A unit's ancestors on `day`, the root first, from `parent` (memoised by the caller for a
    /// whole year, direct for a few units).
    fn ancestors_by(id: i64, parent: impl Fn(i64) -> Option<i64>) -> Vec<i64> {
        let mut out = Vec::new();
        let mut cur = parent(id);
        // A cycle cannot be stored (moves refuse one); the bound only guards against corruption.
        while let Some(p) = cur
            && out.len() < 64
        {
            out.push(p);
            cur = parent(p);
        }
        out.reverse();
        out
    }

    /// `id`'s row in a year ending `end`: `None` when it does not exist then (not in the
    /// registry, founded later, or dissolved by then).
    fn year_row(&self, id: i64, end: NaiveDate) -> Result<Option<UnitRow>> {
        let Some(facts) = self
            .units
            .get(&id)
            .map(|r| year_facts(r, end))
            .transpose()?
        else {
            return Ok(None);
        };
        Ok(facts.map(|facts| UnitRow {
            id,
            ancestors: Self::ancestors_by(id, |x| self.parent_on(x, end)),
            facts,
        }))
    }
}

fn named(r: &UnitDbRow) -> Result<Named> {
    Ok(Named {
        name: r.name.clone(),
        kind: OrgKind::from_code(&r.kind).ok_or_else(|| StoreError::Corrupt(r.kind.clone()))?,
        level: r.level.as_deref().and_then(FederationLevel::from_code),
        division: r.division_code.clone(),
    })
}

/// A unit's registry facts in a year ending `end`, `None` when it does not exist then (founded
/// later, or dissolved by then; a unit dissolved without a date is gone from every year).
fn year_facts(r: &UnitDbRow, end: NaiveDate) -> Result<Option<OrgFacts>> {
    let kind = OrgKind::from_code(&r.kind).ok_or_else(|| StoreError::Corrupt(r.kind.clone()))?;
    let status = OrgStatus::from_code(&r.status);
    let founded_by_then = r.founded_on.is_none_or(|f| f <= end);
    let still_there = match r.dissolved_on {
        Some(d) => d > end,
        None => status != Some(OrgStatus::Dissolved),
    };
    if !(founded_by_then && still_there) {
        return Ok(None);
    }
    Ok(Some(OrgFacts {
        kind: Some(kind),
        level: r.level.as_deref().and_then(FederationLevel::from_code),
        category: r.category.as_deref().and_then(ChamberCategory::from_code),
        registered: r.registered,
        party_org: r.party_org,
        party_org_form: r
            .party_org_form
            .as_deref()
            .and_then(PartyOrgForm::from_code),
        members_total: r.members_total,
        members_unit: r.members_unit,
        members_individual: r.members_individual,
        council_size: r.council_size,
        founded_on: r.founded_on,
        last_reelection: r.last_reelection,
        division: r.division_code.clone(),
        status: Some(OrgStatus::Active),
        uscc: None,
    }))
}

fn year_end(year: i32) -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(|| StoreError::Corrupt(format!("year {year}")))
}

async fn registry_generation(db: &Db) -> Result<i64> {
    Ok(with_db!(db, p => sqlx::query_scalar(
        "select value from generation where name = 'registry'").fetch_one(p).await)?)
}

/// Reads the [`Registry`] (two queries; its generation first, so a write in between only makes
/// the next reader read again).
pub async fn load_registry(db: &Db) -> Result<Registry> {
    let generation = registry_generation(db).await?;
    let sql = format!("select {UNIT_COLUMNS} from organization");
    let units: Vec<UnitDbRow> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .fetch_all(p).await)?;
    type LinkRow = (i64, Option<i64>, NaiveDate, Option<NaiveDate>);
    let links: Vec<LinkRow> = with_db!(db, p => sqlx::query_as(
        "select organization_id, parent_id, valid_from, valid_to from organization_link")
        .fetch_all(p).await)?;
    Registry::new(
        generation,
        units,
        links
            .into_iter()
            .map(|(id, p, f, t)| (id, (p, f, t)))
            .collect(),
    )
}

/// More changed units than this and [`refresh_registry`] reads the whole registry again: a bulk
/// import is read faster in one pass than unit by unit.
pub const MAX_PATCH: usize = 5_000;

/// What [`refresh_registry`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refreshed {
    /// Nothing changed since the registry's generation.
    Current,
    /// These units (their rows and membership periods) were read again, sorted.
    Patched(Vec<i64>),
    /// The whole registry was read again.
    Reloaded,
}

/// Brings `registry` to the database's generation: reads again only the units the change log
/// names since the generation it holds (their rows and membership periods), or the whole
/// registry when they are more than [`MAX_PATCH`] or the log no longer reaches back that far.
pub async fn refresh_registry(db: &Db, registry: &mut Registry) -> Result<Refreshed> {
    let (now, pruned): (i64, i64) = with_db!(db, p => sqlx::query_as(
        "select (select value from generation where name = 'registry'), \
         coalesce((select value from generation where name = 'registry_pruned'), 0)")
        .fetch_one(p).await)?;
    if now == registry.generation {
        return Ok(Refreshed::Current);
    }
    let since = registry.generation;
    // Generations are numbered in commit order, so every change up to `now` is visible.
    let ids: Vec<i64> = if pruned > since {
        Vec::new()
    } else {
        with_db!(db, p => sqlx::query_scalar(
            "select distinct organization_id from registry_change where generation > $1 and generation <= $2 \
             order by organization_id limit $3")
            .bind(since).bind(now).bind(MAX_PATCH as i64 + 1).fetch_all(p).await)?
    };
    if pruned > since || now < since || ids.len() > MAX_PATCH {
        *registry = load_registry(db).await?;
        return Ok(Refreshed::Reloaded);
    }
    let (units, links) = read_units(db, &ids).await?;
    // The names are shared with the kept years: copied only when a name, kind, level or
    // division changed (not for a move, a dissolution or another field).
    let mut fresh = HashMap::with_capacity(units.len());
    for u in &units {
        fresh.insert(u.organization_id, named(u)?);
    }
    if ids.iter().any(|id| registry.names.get(id) != fresh.get(id)) {
        let names = Arc::make_mut(&mut registry.names);
        for id in &ids {
            match fresh.remove(id) {
                Some(n) => names.insert(*id, n),
                None => names.remove(id),
            };
        }
    }
    for id in &ids {
        registry.units.remove(id);
        registry.links.remove(id);
    }
    for u in units {
        registry.units.insert(u.organization_id, u);
    }
    for (id, link) in links {
        registry.links.entry(id).or_default().push(link);
    }
    registry.generation = now;
    Ok(Refreshed::Patched(ids))
}

/// The rows and membership periods of `ids`.
async fn read_units(db: &Db, ids: &[i64]) -> Result<(Vec<UnitDbRow>, Vec<(i64, Link)>)> {
    type LinkRow = (i64, Option<i64>, NaiveDate, Option<NaiveDate>);
    let mut units = Vec::with_capacity(ids.len());
    let mut links = Vec::new();
    for only in id_chunks("organization_id", Some(ids)) {
        let sql = format!("select {UNIT_COLUMNS} from organization where true{only}");
        let rows: Vec<UnitDbRow> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .fetch_all(p).await)?;
        units.extend(rows);
        let sql = format!(
            "select organization_id, parent_id, valid_from, valid_to from organization_link where true{only}"
        );
        let rows: Vec<LinkRow> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .fetch_all(p).await)?;
        links.extend(rows.into_iter().map(|(id, p, f, t)| (id, (p, f, t))));
    }
    Ok((units, links))
}

/// Forgets the change logs up to the registry's generation `registry` and the facts counter
/// `facts` (a reader holding an older one then reads the whole registry, or the year, again).
/// Keeps the logs from growing without end.
pub async fn prune_changes(db: &Db, registry: i64, facts: i64) -> Result<()> {
    with_db!(db, p => {
        let mut tx = p.begin().await?;
        for (table, mark, upto) in [
            ("registry_change", "registry_pruned", registry),
            ("fact_change", "facts_pruned", facts),
        ] {
            let sql = format!("delete from {table} where generation <= $1");
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(upto).execute(&mut *tx).await?;
            sqlx::query("insert into generation (name, value) values ($1, $2) \
                         on conflict (name) do update set value = excluded.value \
                         where excluded.value > generation.value")
                .bind(mark).bind(upto).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok::<_, StoreError>(())
    })
}

/// How many generations of each change log are kept behind its counter: a reader further
/// behind reads everything again.
pub const CHANGES_KEPT: i64 = 100_000;

/// Prunes both change logs [`CHANGES_KEPT`] generations behind their counters (the server does
/// this as it goes; `shanghui init` for a database used from the command line only).
pub async fn prune_old_changes(db: &Db) -> Result<()> {
    let now = generation(db).await?;
    prune_changes(
        db,
        (now.registry - CHANGES_KEPT).max(0),
        (now.facts - CHANGES_KEPT).max(0),
    )
    .await
}

/// Reads `year`'s universe (see [`load_year_with`]), the registry included.
pub async fn load_year(db: &Db, year: i32, items: Option<&[String]>) -> Result<YearData> {
    let registry = load_registry(db).await?;
    load_year_with(db, &registry, year, items).await
}

/// `year`'s universe over a [`Registry`] already read: the units existing on 31 December
/// (founded by then, or without a founding date; not dissolved by then) with their parents on
/// that date (from the membership periods; the current parent when none covers it), the year's
/// reports (each under its report's place in the tree, as the campaign pages count them) and
/// notices; `items` are the report items to read (`None`: every answer, for conditions on
/// reports).
pub async fn load_year_with(
    db: &Db,
    registry: &Registry,
    year: i32,
    items: Option<&[String]>,
) -> Result<YearData> {
    let facts = Arc::new(load_facts(db, year, items).await?);
    assemble(registry, facts)
}

/// Reads `year`'s campaign facts: the template, the reports (under their report's place in the
/// tree) and the notices; `items` are the report items to read (`None`: every answer).
pub async fn load_facts(db: &Db, year: i32, items: Option<&[String]>) -> Result<YearFacts> {
    // The counter first: a write while the rows are read only makes the next reader read again.
    let generation = generation(db).await?.facts;
    let template = match with_db!(db, p => sqlx::query_scalar::<_, i64>(
        "select report_template_id from campaign where year = $1 order by campaign_id limit 1")
        .bind(year).fetch_optional(p).await)?
    {
        Some(id) => Some(templates::get(db, id).await?),
        None => None,
    };
    let (report_ids, reports) = match &template {
        Some(t) => load_reports(db, year, t, items, None)
            .await?
            .into_iter()
            .unzip(),
        None => (Vec::new(), Vec::new()),
    };
    let notices = load_notices(db, year, None).await?;
    Ok(YearFacts {
        year,
        generation,
        template,
        reports,
        report_ids,
        notices,
        items: items.map(<[String]>::to_vec).unwrap_or_default(),
        all_answers: items.is_none(),
    })
}

/// A year's universe from a [`Registry`] and the year's [`YearFacts`], in memory.
pub fn assemble(registry: &Registry, facts: Arc<YearFacts>) -> Result<YearData> {
    let year = facts.year;
    let end = year_end(year)?;
    let parent_on: HashMap<i64, Option<i64>> = registry
        .units
        .keys()
        .map(|&id| (id, registry.parent_on(id, end)))
        .collect();
    let parent = |x: i64| parent_on.get(&x).copied().flatten();
    let mut units = Vec::with_capacity(registry.units.len());
    for (&id, r) in &registry.units {
        if let Some(facts) = year_facts(r, end)? {
            units.push(UnitRow {
                id,
                ancestors: Registry::ancestors_by(id, parent),
                facts,
            });
        }
    }
    units.sort_unstable_by_key(|u| u.id);
    let mut data = YearData {
        year,
        registry: registry.generation,
        units,
        facts,
        names: registry.names.clone(),
        parents: HashMap::new(),
        above: HashSet::new(),
    };
    data.parents = data
        .units
        .iter()
        .filter_map(|u| u.ancestors.last().map(|p| (u.id, *p)))
        .collect();
    data.above = data
        .units
        .iter()
        .flat_map(|u| u.ancestors.iter().copied())
        .collect();
    Ok(data)
}

/// What [`patch`] or [`refresh_facts`] changed in a year: the rows it touched as they were and
/// as they are (a row missing from a side did not exist then). Counts over the old side taken
/// away and over the new side added move a year's figures to the changed year's
/// ([`shanghui_core::indicator::Tally::apply`]). A registry change has the changed units' reports
/// on both sides (their facts may change what a condition on reports reads); a change of reports
/// or notices has their units on both sides.
#[derive(Debug, Clone, Default)]
pub struct YearChange {
    pub from: Generation,
    pub old: Vec<UnitRow>,
    pub new: Vec<UnitRow>,
    pub old_reports: Vec<ReportRow>,
    pub new_reports: Vec<ReportRow>,
    pub old_notices: Vec<NoticeRow>,
    pub new_notices: Vec<NoticeRow>,
}

impl YearChange {
    /// The change as two small universes of `data`'s year: before and after.
    pub fn universes<'a>(
        &'a self,
        data: &'a YearData,
        lists: &'a DivisionLists,
    ) -> (Universe<'a>, Universe<'a>) {
        let u =
            |units: &'a [UnitRow], reports: &'a [ReportRow], notices: &'a [NoticeRow]| Universe {
                year: data.year,
                units,
                divisions: lists,
                template: data.facts.template.as_ref(),
                reports,
                notices,
            };
        (
            u(&self.old, &self.old_reports, &self.old_notices),
            u(&self.new, &self.new_reports, &self.new_notices),
        )
    }
}

/// Brings `data` to `registry`'s generation after [`refresh_registry`] read `changed` again:
/// the changed units and every unit below a changed one (a move carries its subtree) are
/// worked out again for the year; the rest is untouched. `data` must have been assembled over
/// the registry's previous generation.
pub fn patch(registry: &Registry, data: &mut YearData, changed: &[i64]) -> Result<YearChange> {
    let end = year_end(data.year)?;
    // Sorted: a lookup per ancestor of every unit below must cost next to nothing.
    let mut changed_set = changed.to_vec();
    changed_set.sort_unstable();
    let is_changed = |id: &i64| changed_set.binary_search(id).is_ok();
    let mut touched: Vec<i64> = changed.to_vec();
    if changed.iter().any(|c| data.above.contains(c)) {
        touched.extend(
            data.units
                .iter()
                .filter(|u| u.ancestors.iter().any(is_changed))
                .map(|u| u.id),
        );
    }
    touched.sort_unstable();
    touched.dedup();
    let mut change = YearChange {
        from: data.generation(),
        ..YearChange::default()
    };
    let mut gone = HashSet::new();
    let mut added = Vec::new();
    for &id in &touched {
        let now = registry.year_row(id, end)?;
        let at = data.units.binary_search_by_key(&id, |u| u.id);
        data.parents.remove(&id);
        if let Some(n) = &now {
            data.above.extend(n.ancestors.iter().copied());
            if let Some(p) = n.ancestors.last() {
                data.parents.insert(id, *p);
            }
        }
        match (at, now) {
            (Ok(i), Some(n)) => {
                change
                    .old
                    .push(std::mem::replace(&mut data.units[i], n.clone()));
                change.new.push(n);
            }
            (Ok(i), None) => {
                change.old.push(data.units[i].clone());
                gone.insert(id);
            }
            (Err(_), Some(n)) => {
                change.new.push(n.clone());
                added.push(n);
            }
            (Err(_), None) => {}
        }
    }
    // Units come and go rarely: the year's list is rebuilt once, in ID order, when they do.
    if !gone.is_empty() || !added.is_empty() {
        data.units.retain(|u| !gone.contains(&u.id));
        data.units.extend(added);
        data.units.sort_unstable_by_key(|u| u.id);
    }
    change.old_reports = data
        .facts
        .reports
        .iter()
        .filter(|r| is_changed(&r.org_id))
        .cloned()
        .collect();
    change.new_reports = change.old_reports.clone();
    data.names = registry.names.clone();
    data.registry = registry.generation;
    Ok(change)
}

/// What [`refresh_facts`] did.
#[derive(Debug)]
pub enum FactsRefreshed {
    /// Nothing of the year changed.
    Current,
    /// These reports and notices were read again and put in place.
    Patched(YearChange),
    /// The year's campaigns themselves changed, or too much did: read the year again.
    Reload,
}

/// Brings `data`'s reports and notices to the facts counter `now`: reads again only the reports
/// and notices of the year the change log names since the counter the year holds. A change of a
/// campaign itself (its template, deadline or year), more than [`MAX_PATCH`] rows, or a log
/// pruned past the year's counter asks for the year to be read again.
pub async fn refresh_facts(db: &Db, data: &mut YearData, now: i64) -> Result<FactsRefreshed> {
    let since = data.facts.generation;
    if now == since {
        return Ok(FactsRefreshed::Current);
    }
    let pruned: i64 = with_db!(db, p => sqlx::query_scalar(
        "select coalesce((select value from generation where name = 'facts_pruned'), 0)")
        .fetch_one(p).await)?;
    if pruned > since || now < since {
        return Ok(FactsRefreshed::Reload);
    }
    /// A log row: the report or the notice it names (neither: the year's campaigns).
    type Logged = (Option<i64>, Option<i64>);
    let rows: Vec<Logged> = with_db!(db, p => sqlx::query_as(
        "select report_id, notice_id from fact_change where generation > $1 and generation <= $2 \
         and year = $3 limit $4")
        .bind(since).bind(now).bind(data.year).bind(MAX_PATCH as i64 + 1).fetch_all(p).await)?;
    if rows.len() > MAX_PATCH || rows.iter().any(|(r, n)| r.is_none() && n.is_none()) {
        return Ok(FactsRefreshed::Reload);
    }
    let ids = |pick: fn(&Logged) -> Option<i64>| {
        let mut v: Vec<i64> = rows.iter().filter_map(pick).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let (rids, nids) = (ids(|r| r.0), ids(|r| r.1));
    let facts = &data.facts;
    let items = (!facts.all_answers).then_some(facts.items.as_slice());
    let reports = match (&facts.template, rids.is_empty()) {
        (_, true) => Vec::new(),
        (Some(t), false) => load_reports(db, data.year, t, items, Some(&rids)).await?,
        // Reports of a year without a campaign: the campaign is new.
        (None, false) => return Ok(FactsRefreshed::Reload),
    };
    let notices = match nids.is_empty() {
        true => Vec::new(),
        false => load_notices(db, data.year, Some(&nids)).await?,
    };
    let mut change = YearChange {
        from: data.generation(),
        ..YearChange::default()
    };
    let facts = Arc::make_mut(&mut data.facts);
    change.old_reports = replace_sorted(&mut facts.report_ids, &mut facts.reports, &rids, reports);
    change.new_reports = rids
        .iter()
        .filter_map(|id| facts.report_ids.binary_search(id).ok())
        .map(|i| facts.reports[i].clone())
        .collect();
    let mut notice_ids: Vec<i64> = facts.notices.iter().map(|n| n.id).collect();
    let keyed = notices.into_iter().map(|n| (n.id, n)).collect();
    change.old_notices = replace_sorted(&mut notice_ids, &mut facts.notices, &nids, keyed);
    change.new_notices = facts
        .notices
        .iter()
        .filter(|n| nids.binary_search(&n.id).is_ok())
        .cloned()
        .collect();
    facts.generation = now;
    // The units of the rows changed, the same on both sides: a condition on reports reads them.
    let mut orgs: Vec<i64> = (change.old_reports.iter().chain(&change.new_reports))
        .map(|r| r.org_id)
        .collect();
    orgs.sort_unstable();
    orgs.dedup();
    change.new = orgs
        .iter()
        .filter_map(|id| data.units.binary_search_by_key(id, |u| u.id).ok())
        .map(|i| data.units[i].clone())
        .collect();
    change.old = change.new.clone();
    Ok(FactsRefreshed::Patched(change))
}

/// Puts `fresh` (rows by ID, in ID order) in place of the rows of `ids` in `rows` (beside their
/// sorted `keys`); a row of `ids` missing from `fresh` is gone. Returns the rows replaced or
/// removed, as they were.
fn replace_sorted<T: Clone>(
    keys: &mut Vec<i64>,
    rows: &mut Vec<T>,
    ids: &[i64],
    fresh: Vec<(i64, T)>,
) -> Vec<T> {
    let old: Vec<T> = ids
        .iter()
        .filter_map(|id| keys.binary_search(id).ok())
        .map(|i| rows[i].clone())
        .collect();
    let fresh_ids: HashSet<i64> = fresh.iter().map(|r| r.0).collect();
    let mut added = Vec::new();
    for (id, row) in fresh {
        match keys.binary_search(&id) {
            Ok(i) => rows[i] = row,
            Err(_) => added.push((id, row)),
        }
    }
    let gone: HashSet<i64> = ids
        .iter()
        .copied()
        .filter(|id| !fresh_ids.contains(id) && keys.binary_search(id).is_ok())
        .collect();
    // Rows come and go rarely: rebuilt once, in ID order, when they do.
    if !gone.is_empty() || !added.is_empty() {
        let mut all: Vec<(i64, T)> = keys
            .drain(..)
            .zip(rows.drain(..))
            .filter(|(id, _)| !gone.contains(id))
            .chain(added)
            .collect();
        all.sort_unstable_by_key(|r| r.0);
        (*keys, *rows) = all.into_iter().unzip();
    }
    old
}

/// A report's or notice's place: the ancestors in its stored path.
fn path_ancestors(path: &str, id: i64) -> Result<Vec<i64>> {
    let p = OrgPath::parse(path).map_err(|e| StoreError::Corrupt(format!("path {path}: {e:?}")))?;
    let mut ids = p.ids();
    if ids.last() == Some(&id) {
        ids.pop();
    }
    Ok(ids)
}

/// The restriction to `ids` of a query over rows named `column`, in chunks a statement holds
/// (the IDs are numbers from the database, written into the statement); one pass without IDs.
fn id_chunks(column: &str, ids: Option<&[i64]>) -> Vec<String> {
    match ids {
        None => vec![String::new()],
        Some(ids) => ids
            .chunks(1_000)
            .map(|c| {
                let list: Vec<String> = c.iter().map(i64::to_string).collect();
                format!(" and {column} in ({})", list.join(", "))
            })
            .collect(),
    }
}

/// `year`'s reports (only `ids`, when given) by report ID, in ID order.
async fn load_reports(
    db: &Db,
    year: i32,
    t: &Template,
    items: Option<&[String]>,
    ids: Option<&[i64]>,
) -> Result<Vec<(i64, ReportRow)>> {
    let mut out = Vec::new();
    for only in id_chunks("r.report_id", ids) {
        out.extend(load_reports_where(db, year, t, items, &only).await?);
    }
    out.sort_unstable_by_key(|r| r.0);
    Ok(out)
}

async fn load_reports_where(
    db: &Db,
    year: i32,
    t: &Template,
    items: Option<&[String]>,
    only: &str,
) -> Result<Vec<(i64, ReportRow)>> {
    type Row = (
        i64,
        i64,
        String,
        bool,
        Option<String>,
        Option<NaiveDate>,
        NaiveDate,
        Option<String>,
    );
    let all_answers = items.is_none();
    let sql = format!(
        "select r.report_id, r.organization_id, r.path, r.expected, r.status, r.first_submitted_on, c.deadline, {} \
         from report r join campaign c on c.campaign_id = r.campaign_id where c.year = $1{only}",
        if all_answers { "r.answers" } else { "null" }
    );
    let rows: Vec<Row> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(year).fetch_all(p).await)?;
    let mut index: HashMap<i64, usize> = HashMap::with_capacity(rows.len());
    let mut out = Vec::with_capacity(rows.len());
    for (rid, org, path, expected, status, first, deadline, answers) in rows {
        let submitted = status.as_deref() == Some("submitted");
        let answers = match (&answers, submitted) {
            (Some(j), true) => Some(
                shanghui_core::report::from_json(t, j)
                    .map_err(|e| StoreError::Corrupt(format!("report answers: {e}")))?,
            ),
            (_, true) if !all_answers => Some(Answers::new()),
            _ => None,
        };
        index.insert(rid, out.len());
        out.push((
            rid,
            ReportRow {
                org_id: org,
                ancestors: path_ancestors(&path, org)?,
                expected,
                submitted,
                on_time: submitted && first.is_some_and(|f| f <= deadline),
                answers,
            },
        ));
    }
    for item in items.unwrap_or(&[]) {
        let Some(it) = t.item(item) else { continue };
        // One JSON field of each submitted report, as text (each backend has its own JSON syntax).
        let field = match db {
            Db::Sqlite(_) => "cast(json_extract(r.answers, '$.' || $2) as text)",
            Db::Postgres(_) => "(cast(r.answers as jsonb) ->> $2)",
        };
        let sql = format!(
            "select r.report_id, {field} from report r join campaign c on c.campaign_id = r.campaign_id \
             where c.year = $1 and r.status = 'submitted'{only}"
        );
        let vals: Vec<(i64, Option<String>)> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(year).bind(item).fetch_all(p).await)?;
        for (rid, v) in vals {
            let (Some(&k), Some(v)) = (index.get(&rid), v) else {
                continue;
            };
            let value = match it.ty {
                ItemType::Integer => v
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .map(|x| Value::Integer(x as i64)),
                ItemType::Decimal => v.trim().parse().ok().map(Value::Decimal),
                _ => None,
            };
            if let (Some(value), Some(a)) = (value, out[k].1.answers.as_mut()) {
                a.insert(item.clone(), value);
            }
        }
    }
    Ok(out)
}

/// `year`'s notices (only `ids`, when given), in ID order.
async fn load_notices(db: &Db, year: i32, ids: Option<&[i64]>) -> Result<Vec<NoticeRow>> {
    type Row = (i64, i64, String, String, Option<NaiveDate>, NaiveDate);
    let mut rows: Vec<Row> = Vec::new();
    for only in id_chunks("notice_id", ids) {
        let sql = format!(
            "select notice_id, organization_id, path, status, closed_on, deadline from notice where year = $1{only}"
        );
        let part: Vec<Row> = with_db!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(year).fetch_all(p).await)?;
        rows.extend(part);
    }
    rows.sort_unstable_by_key(|r| r.0);
    rows.into_iter()
        .map(|(id, org, path, status, closed_on, deadline)| {
            let closed = status == "closed";
            Ok(NoticeRow {
                id,
                org_id: org,
                ancestors: path_ancestors(&path, org)?,
                closed,
                closed_on_time: closed && closed_on.is_some_and(|c| c <= deadline),
            })
        })
        .collect()
}

// -------------------------------------------------------------------------------------------------
// Figures.

/// An indicator compiled for computing over `data` (against its year's template, else the
/// sample's).
pub fn compiled(ind: &Indicator, data: &YearData) -> Result<CompiledIndicator> {
    let sample;
    let t = match &data.facts.template {
        Some(t) => t,
        None => {
            sample = shanghui_core::template::sample();
            &sample
        }
    };
    indicator::check(ind, t).map_err(refused)
}

/// The fractions of `ci` for `nodes` in `data`'s year (a growth indicator compares with `last`,
/// last year's data; without it, growth has no value).
pub fn fractions(
    ci: &CompiledIndicator,
    data: &YearData,
    last: Option<&YearData>,
    lists: &DivisionLists,
    nodes: &[i64],
) -> Vec<Fraction> {
    let u = data.universe(lists);
    match (ci.indicator.compare, last) {
        (Compare::Growth, Some(l)) => indicator::compute_growth(ci, &u, &l.universe(lists), nodes),
        (Compare::Growth, None) => vec![Fraction::default(); nodes.len()],
        (Compare::Ratio, _) => indicator::compute(ci, &u, nodes),
    }
}

/// The node must be in the reader's scope: figures of a node count only what is below it.
pub fn require_in_scope(scope: &Scope, names: &YearData, node: i64, path: &OrgPath) -> Result<()> {
    if !scope.contains(path) || !names.names.contains_key(&node) {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
