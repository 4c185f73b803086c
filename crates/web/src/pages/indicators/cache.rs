//! The coverage dashboard's memory: the registry, the years' universes over it and every
//! indicator's counts per year for every federation and branch, each kept while what it was read
//! or counted from holds.
//!
//! A registry change does not start again from nothing: the registry reads only the units the
//! change log names ([`indicators::refresh_registry`]), each kept year is patched in place for
//! them ([`indicators::patch`]) and each kept count is moved by their rows as they were and are
//! ([`Tally::apply`]). A year's reports and notices are read again only when its campaigns
//! change.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex, OnceLock};

use shanghui_core::OrgKind;
use shanghui_core::indicator::{DivisionLists, Indicator, Tally};
use shanghui_store::Db;
use shanghui_store::indicators::{self, FactsRefreshed, Generation, Refreshed, YearChange, YearData};

use crate::{AppError, AppState};

/// The change log is pruned this many generations behind the kept registry: another server
/// sharing the database that falls further behind reads the whole registry again.
const LOG_KEPT: i64 = 100_000;

/// What the dashboard keeps between requests.
#[derive(Default)]
pub struct IndicatorCache {
    lists: OnceLock<Arc<DivisionLists>>,
    /// The registry the years are over, brought up to date by one request at a time (the others
    /// wait, then find the years current).
    kept: tokio::sync::Mutex<Kept>,
    /// The years, each at the generation it was read or patched to (looked up without waiting
    /// when they are current).
    years: Mutex<HashMap<i32, Arc<YearData>>>,
    /// (year, indicator) → its counts for every federation and branch of the year.
    tables: Mutex<HashMap<(i32, String), Arc<NodeTable>>>,
}

#[derive(Default)]
struct Kept {
    registry: Option<indicators::Registry>,
    /// The generation the change log was last pruned to.
    pruned: i64,
}

/// An indicator's counts for every federation and branch of a year (a growth indicator's: the
/// year's numerator), kept with the year's generation and the definition they were counted for.
#[derive(Clone)]
pub struct NodeTable {
    pub from: Generation,
    definition: Indicator,
    pub tally: Tally,
}

impl IndicatorCache {
    /// The divisions by level, built once from the server's index.
    pub fn lists(&self, state: &AppState) -> Arc<DivisionLists> {
        self.lists
            .get_or_init(|| Arc::new(DivisionLists::new(&state.divisions)))
            .clone()
    }

    /// `years` with the answers `items` asks for: kept ones brought forward (patched for the
    /// units, reports and notices changed since), the rest read (side by side). When every one
    /// is current (one small query tells), nothing waits.
    pub async fn years(
        &self,
        state: &AppState,
        years: RangeInclusive<i32>,
        items: &Option<Vec<String>>,
    ) -> Result<HashMap<i32, Arc<YearData>>, AppError> {
        let db = &state.db;
        let now = indicators::generation(db).await?;
        {
            let kept = self.years_lock();
            let out: HashMap<i32, Arc<YearData>> = years
                .clone()
                .filter_map(|y| {
                    kept.get(&y)
                        .filter(|d| d.generation == now && d.facts.answers(items.as_deref()))
                        .map(|d| (y, d.clone()))
                })
                .collect();
            if out.len() == years.clone().count() {
                return Ok(out);
            }
        }
        let lists = self.lists(state);
        let mut kept = self.kept.lock().await;
        let before = kept.registry.as_ref().map(|r| r.generation);
        let changed = match kept.registry.as_mut() {
            Some(r) => match indicators::refresh_registry(db, r).await? {
                Refreshed::Patched(ids) => Some(ids),
                Refreshed::Current | Refreshed::Reloaded => None,
            },
            None => {
                kept.registry = Some(indicators::load_registry(db).await?);
                None
            }
        };
        let registry = kept.registry.as_ref().expect("the registry was read");
        let facts = indicators::generation(db).await?.facts;
        let mut out = HashMap::new();
        let mut reads = tokio::task::JoinSet::new();
        for y in years {
            let kept_year = self
                .years_lock()
                .get(&y)
                .filter(|d| d.facts.answers(items.as_deref()))
                .cloned();
            let brought = match kept_year {
                Some(d) => {
                    self.bring(db, d, registry, before, changed.as_deref(), facts, &lists)
                        .await?
                }
                None => None,
            };
            match brought {
                Some(d) => {
                    out.insert(y, d);
                }
                None => {
                    let (db, items) = (db.clone(), items.clone());
                    reads.spawn(async move {
                        indicators::load_facts(&db, y, items.as_deref())
                            .await
                            .map(|f| (y, f))
                    });
                }
            }
        }
        while let Some(r) = reads.join_next().await {
            let (y, f) = r.map_err(|e| AppError::Internal(e.to_string()))??;
            let d = Arc::new(indicators::assemble(registry, Arc::new(f))?);
            let mut years = self.years_lock();
            if years.len() >= 16 {
                years.clear();
            }
            years.insert(y, d.clone());
            out.insert(y, d);
        }
        let generation = registry.generation;
        if generation - kept.pruned >= LOG_KEPT / 10 && generation > LOG_KEPT {
            indicators::prune_registry_changes(db, generation - LOG_KEPT).await?;
            kept.pruned = generation - LOG_KEPT;
        }
        Ok(out)
    }

    /// A kept year brought to `registry`'s generation (patched for `changed` when it is over the
    /// registry before them, assembled again otherwise) and to the facts counter `facts`
    /// (patched for the reports and notices changed since); `None` when its reports must be read
    /// again. The kept counts of the year move with each patch.
    #[allow(clippy::too_many_arguments)]
    async fn bring(
        &self,
        db: &Db,
        mut d: Arc<YearData>,
        registry: &indicators::Registry,
        before: Option<i64>,
        changed: Option<&[i64]>,
        facts: i64,
        lists: &DivisionLists,
    ) -> Result<Option<Arc<YearData>>, AppError> {
        let y = d.year;
        if d.generation.registry == registry.generation && d.generation.facts == facts {
            return Ok(Some(d));
        }
        // Patched in place unless a request still holds it (then a copy).
        self.years_lock().remove(&y);
        if d.generation.registry != registry.generation {
            match changed {
                Some(ids) if Some(d.generation.registry) == before => {
                    let data = Arc::make_mut(&mut d);
                    let change = indicators::patch(registry, data, ids)?;
                    self.move_tables(data, &change, lists);
                }
                _ => d = Arc::new(indicators::assemble(registry, d.facts.clone())?),
            }
        }
        if d.generation.facts != facts {
            let data = Arc::make_mut(&mut d);
            match indicators::refresh_facts(db, data, facts).await? {
                FactsRefreshed::Current => {}
                FactsRefreshed::Patched(change) => self.move_tables(data, &change, lists),
                FactsRefreshed::Reload => return Ok(None),
            }
        }
        self.years_lock().insert(y, d.clone());
        Ok(Some(d))
    }

    /// Moves the kept counts of `data`'s year by `change`; a count that cannot be moved (a
    /// federation or branch came, went or changed division under an indicator of divisions) is
    /// dropped and counted again when next asked for.
    fn move_tables(&self, data: &YearData, change: &YearChange, lists: &DivisionLists) {
        let (old, new) = change.universes(data, lists);
        let mut tables = self.lock();
        let keys: Vec<(i32, String)> = tables
            .keys()
            .filter(|k| k.0 == data.year)
            .cloned()
            .collect();
        for k in keys {
            let Some(t) = tables.remove(&k) else { continue };
            if t.from != change.from {
                continue;
            }
            let mut t = Arc::unwrap_or_clone(t);
            let new_node = change
                .new
                .iter()
                .any(|u| u.facts.kind != Some(OrgKind::Chamber) && t.tally.get(u.id).is_none());
            if !new_node && t.tally.apply(&old, &new) {
                t.from = data.generation;
                tables.insert(k, Arc::new(t));
            }
        }
    }

    /// `ind`'s counts in `data`'s year for every federation and branch, kept while the year and
    /// the definition are unchanged.
    pub fn table(
        &self,
        ind: &Indicator,
        data: &YearData,
        lists: &DivisionLists,
    ) -> Result<Arc<NodeTable>, AppError> {
        let key = (data.year, ind.code.clone());
        if let Some(t) = self.lock().get(&key)
            && t.from == data.generation
            && &t.definition == ind
        {
            return Ok(t.clone());
        }
        let nodes: Vec<i64> = data
            .units
            .iter()
            .filter(|u| u.facts.kind != Some(OrgKind::Chamber))
            .map(|u| u.id)
            .collect();
        let ci = indicators::compiled(ind, data)?;
        let t = Arc::new(NodeTable {
            from: data.generation,
            definition: ind.clone(),
            tally: Tally::new(&ci, &data.universe(lists), &nodes),
        });
        let mut tables = self.lock();
        if tables.len() >= 512 {
            tables.clear();
        }
        tables.insert(key, t.clone());
        Ok(t)
    }

    fn years_lock(&self) -> std::sync::MutexGuard<'_, HashMap<i32, Arc<YearData>>> {
        // A panic while holding the lock leaves a map that is still consistent.
        self.years.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(i32, String), Arc<NodeTable>>> {
        // A panic while holding the lock leaves a map that is still consistent.
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }
}
