//! Computed reporting rates kept between requests. A campaign's `generation` changes with every
//! write that can move its rates (in the database, so several servers agree), so a kept result
//! is used only while the generation it was computed at is still the campaign's: never stale
//! figures, and the national root's page (one range scan of 75,000 rows) is computed once per
//! change instead of once per request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use shanghui_core::{Organization, Scope};
use shanghui_store::campaigns::{self, Campaign, NodeRates};
use shanghui_store::{Db, Result};

/// Entries kept at most; past that the cache starts again empty (cheap, and rare: one entry per
/// campaign and node viewed).
const MAX_ENTRIES: usize = 4_096;

/// (campaign, node) → (the campaign's generation when computed, the rates).
type Entries = HashMap<(i64, i64), (i64, Arc<NodeRates>)>;

#[derive(Default)]
pub struct RatesCache {
    entries: Mutex<Entries>,
}

impl RatesCache {
    /// The rates of `node` in `c`, from the cache when `c` has not changed since.
    pub async fn rates(
        &self,
        db: &Db,
        scope: &Scope,
        c: &Campaign,
        node: &Organization,
    ) -> Result<Arc<NodeRates>> {
        // The figures depend on the node only (its children are inside any scope that holds
        // it), but the scope is still checked by the store on a miss and here on a hit.
        if !scope.contains(&node.path) {
            return Err(shanghui_store::StoreError::NotFound);
        }
        let key = (c.id, node.id);
        if let Some((generation, r)) = self.lock().get(&key)
            && *generation == c.generation
        {
            return Ok(r.clone());
        }
        let r = Arc::new(campaigns::rates(db, scope, c, node).await?);
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (c.generation, r.clone()));
        Ok(r)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock leaves a map that is still consistent.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}
