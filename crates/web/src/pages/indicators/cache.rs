//! The coverage dashboard's memory: the registry, the years' universes over it and every
//! indicator's counts per year for every federation and branch, each kept while what it was read
//! or counted from holds.
//!
//! A change does not start again from nothing. The registry reads only the units its change log
//! names ([`indicators::refresh_registry`]); each kept year is patched in place for them
//! ([`indicators::patch`]) and for the reports and notices the facts log names
//! ([`indicators::refresh_facts`]); each kept count is moved by the changed rows as they were and
//! are ([`Tally::apply`]). Only a bulk change, a pruned log or a campaign's own change (its
//! deadline or template) reads a part again in full.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex, OnceLock};

use shanghui_core::OrgKind;
use shanghui_core::indicator::{DivisionLists, Indicator, Tally};
use shanghui_store::Db;
use shanghui_store::indicators::{
    self, FactsRefreshed, Generation, Refreshed, YearChange, YearData,
};

use crate::{AppError, AppState};

/// The change logs are pruned this many generations behind: another server sharing the
/// database that falls further behind reads everything again.
const LOG_KEPT: i64 = indicators::CHANGES_KEPT;

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
    /// The generations the change logs were last pruned to (registry, facts).
    pruned: (i64, i64),
}

impl Kept {
    /// Reads the registry, or brings the kept one forward; the units read again when it was
    /// patched (`None` when it is current or was read whole).
    async fn bring_registry(&mut self, db: &Db) -> Result<Option<Vec<i64>>, AppError> {
        Ok(match self.registry.as_mut() {
            Some(r) => match indicators::refresh_registry(db, r).await? {
                Refreshed::Patched(ids) => Some(ids),
                Refreshed::Current | Refreshed::Reloaded => None,
            },
            None => {
                self.registry = Some(indicators::load_registry(db).await?);
                None
            }
        })
    }

    /// Prunes the change logs [`LOG_KEPT`] generations behind the kept registry and `facts`,
    /// every tenth of that, off the request (a delete of thousands of rows is no visitor's wait).
    fn prune(&mut self, db: &Db, facts: i64) {
        let registry = self.registry.as_ref().map_or(0, |r| r.generation);
        let due = |now: i64, last: i64| now > LOG_KEPT && now - last >= LOG_KEPT / 10;
        if due(registry, self.pruned.0) || due(facts, self.pruned.1) {
            let upto = ((registry - LOG_KEPT).max(0), (facts - LOG_KEPT).max(0));
            self.pruned = upto;
            let db = db.clone();
            tokio::spawn(async move {
                if let Err(e) = indicators::prune_changes(&db, upto.0, upto.1).await {
                    tracing::warn!(error = %e, "pruning the change logs failed");
                }
            });
        }
    }
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
        if let Some(out) = self.current(&years, items, now) {
            return Ok(out);
        }
        let lists = self.lists(state);
        let mut kept = self.kept.lock().await;
        let started = std::time::Instant::now();
        let before = kept.registry.as_ref().map(|r| r.generation);
        let changed = kept.bring_registry(db).await?;
        let registry = kept.registry.as_ref().expect("the registry was read");
        let registry_ms = started.elapsed().as_secs_f64() * 1e3;
        // Read again: while this request waited for the lock, another may have brought the
        // years past the counter read before it.
        let facts = indicators::generation(db).await?.facts;
        let mut out = HashMap::new();
        let mut reads = tokio::task::JoinSet::new();
        // The other kept years are brought forward too while a patch is cheap: a year left
        // behind would be assembled again in full when next asked for.
        let others: Vec<i32> = self
            .years_lock()
            .values()
            .filter(|d| !years.contains(&d.year))
            .filter(|d| {
                let r = d.registry;
                r == registry.generation || Some(r) == before && changed.is_some()
            })
            .map(|d| d.year)
            .collect();
        for y in years.clone().chain(others) {
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
                Some(d) if years.contains(&y) => {
                    out.insert(y, d);
                }
                Some(_) => {}
                None if !years.contains(&y) => {}
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
        // What bringing the years forward cost, for the operator (the dashboard's cold figure).
        tracing::info!(
            registry_ms = format!("{registry_ms:.1}"),
            changed = changed.as_ref().map_or(0, Vec::len),
            total_ms = format!("{:.1}", started.elapsed().as_secs_f64() * 1e3),
            "coverage years brought forward"
        );
        kept.prune(db, facts);
        Ok(out)
    }

    /// `years`, when every one is kept at the generation `now` with the answers `items` asks for.
    fn current(
        &self,
        years: &RangeInclusive<i32>,
        items: &Option<Vec<String>>,
        now: Generation,
    ) -> Option<HashMap<i32, Arc<YearData>>> {
        let kept = self.years_lock();
        years
            .clone()
            .map(|y| {
                kept.get(&y)
                    .filter(|d| d.generation() == now && d.facts.answers(items.as_deref()))
                    .map(|d| (y, d.clone()))
            })
            .collect()
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
        if d.registry == registry.generation && d.facts.generation == facts {
            return Ok(Some(d));
        }
        // Patched in place unless a request still holds it (then a copy).
        self.years_lock().remove(&y);
        if d.registry != registry.generation {
            match changed {
                Some(ids) if Some(d.registry) == before => {
                    let data = Arc::make_mut(&mut d);
                    let change = indicators::patch(registry, data, ids)?;
                    self.move_tables(data, &change, lists);
                }
                _ => d = Arc::new(indicators::assemble(registry, d.facts.clone())?),
            }
        }
        if d.facts.generation != facts {
            let data = Arc::make_mut(&mut d);
            let refreshed = indicators::refresh_facts(db, data, facts).await?;
            match refreshed {
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
                t.from = data.generation();
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
            && t.from == data.generation()
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
            from: data.generation(),
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
