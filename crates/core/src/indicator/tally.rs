//! An indicator's counts for a fixed list of nodes, kept and moved by changes instead of counted
//! again: a dashboard keeps one per indicator and year for every federation and branch, and a
//! registry change that touches a few units moves them by those units' contributions (their
//! rows as they were taken away, as they are added) rather than passing over the whole
//! registry again.
//!
//! Every measure but one adds up contributions of single units, reports or notices, so moving it
//! is exact: a count over the changed rows as they are, less a count over them as they were. A
//! measure of divisions *having* a matching unit counts distinct divisions, so the tally also
//! keeps how many matching units each (node, division) pair has and counts a division while that
//! is above zero.

use std::collections::HashMap;

use super::compute::{Nodes, Universe, aligned, count, covered, region};
use super::{Compiled, CompiledIndicator, Fraction, Within};

/// How many matching units each (node index, division index) pair has, packed as `covered`
/// packs them.
type Pairs = HashMap<u64, u32>;

/// One measure's counts by node index.
#[derive(Debug, Clone)]
struct Counts {
    values: Vec<f64>,
    /// For a measure of divisions having a matching unit.
    pairs: Option<Pairs>,
}

/// An indicator's numerator and denominator for a fixed list of nodes in one year's universe
/// ([`super::Compare::Growth`] indicators: the year's numerator, as [`super::compute`] gives it).
#[derive(Debug, Clone)]
pub struct Tally {
    ci: CompiledIndicator,
    nodes: Nodes,
    num: Counts,
    den: Option<Counts>,
}

impl Tally {
    /// Counts `ci` for `nodes` over the universe `u` (one pass, as [`super::compute`]).
    pub fn new(ci: &CompiledIndicator, u: &Universe<'_>, nodes: &[i64]) -> Tally {
        let ci = aligned(ci, u).into_owned();
        let nodes = Nodes::new(nodes);
        // The nodes' regions are taken from the whole universe once: a change's small universes
        // do not hold the nodes (see `apply`).
        for m in measures(&ci) {
            if let Compiled::Divisions { within, .. } = m {
                nodes.regions(u, *within);
            }
        }
        let num = counts(&ci.numerator, u, &nodes);
        let den = ci.denominator.as_ref().map(|d| counts(d, u, &nodes));
        Tally {
            ci,
            nodes,
            num,
            den,
        }
    }

    /// The nodes counted, in the order given.
    pub fn nodes(&self) -> &[i64] {
        &self.nodes.ids
    }

    /// The fraction of `node`, `None` when it is not among the nodes counted.
    pub fn get(&self, node: i64) -> Option<Fraction> {
        let i = *self.nodes.index.get(&node)? as usize;
        Some(Fraction {
            numerator: self.num.values[i],
            denominator: self.den.as_ref().map_or(0.0, |d| d.values[i]),
        })
    }

    /// Moves the counts by a change: `old` holds the changed units (and the reports of units
    /// whose facts changed) as they were, `new` the same as they are, over the same divisions
    /// and template. Returns `false`, leaving the tally as it was, when the change cannot be
    /// moved in: a counted node came, went or changed division while the indicator counts
    /// divisions (its region is part of every count of it); the caller counts again then.
    pub fn apply(&mut self, old: &Universe<'_>, new: &Universe<'_>) -> bool {
        for m in measures(&self.ci) {
            if let Compiled::Divisions { within, .. } = m
                && self.regions_moved(old, new, *within)
            {
                return false;
            }
        }
        shift(&mut self.num, &self.ci.numerator, old, new, &self.nodes);
        if let Some(d) = self.ci.denominator.as_ref() {
            let den = self.den.as_mut().expect("a denominator's counts");
            shift(den, d, old, new, &self.nodes);
        }
        true
    }

    /// Whether a counted node is on one side of the change only, or its region differs.
    fn regions_moved(&self, old: &Universe<'_>, new: &Universe<'_>, within: Within) -> bool {
        let of = |u: &Universe<'_>| -> HashMap<i64, String> {
            u.units
                .iter()
                .filter(|x| self.nodes.index.contains_key(&x.id))
                .map(|x| (x.id, region(x.facts.division.as_deref(), within)))
                .collect()
        };
        of(old) != of(new)
    }
}

fn measures(ci: &CompiledIndicator) -> impl Iterator<Item = &Compiled> {
    std::iter::once(&ci.numerator).chain(ci.denominator.as_ref())
}

fn counts(m: &Compiled, u: &Universe<'_>, nodes: &Nodes) -> Counts {
    match having_pairs(m, u, nodes) {
        Some(list) => {
            let mut pairs = Pairs::new();
            let mut values = vec![0.0; nodes.ids.len()];
            for p in list {
                let n = pairs.entry(p).or_insert(0);
                if *n == 0 {
                    values[(p >> 32) as usize] += 1.0;
                }
                *n += 1;
            }
            Counts {
                values,
                pairs: Some(pairs),
            }
        }
        None => Counts {
            values: count(m, u, nodes),
            pairs: None,
        },
    }
}

/// The (node, division) pairs of a measure of divisions having a matching unit, one per unit;
/// `None` for other measures.
fn having_pairs(m: &Compiled, u: &Universe<'_>, nodes: &Nodes) -> Option<Vec<u64>> {
    let Compiled::Divisions {
        level,
        rows,
        within,
        having: Some(f),
    } = m
    else {
        return None;
    };
    let list = u.divisions.level(*level);
    let regions = nodes.regions(u, *within);
    Some(covered(u, nodes, list, *level, *rows, regions, f))
}

/// Adds the counts over `new` and takes away those over `old`.
fn shift(c: &mut Counts, m: &Compiled, old: &Universe<'_>, new: &Universe<'_>, nodes: &Nodes) {
    match c.pairs.as_mut() {
        Some(pairs) => {
            // Additions first: a pair a unit keeps never drops to zero on the way.
            for p in having_pairs(m, new, nodes).unwrap_or_default() {
                let n = pairs.entry(p).or_insert(0);
                if *n == 0 {
                    c.values[(p >> 32) as usize] += 1.0;
                }
                *n += 1;
            }
            for p in having_pairs(m, old, nodes).unwrap_or_default() {
                if let Some(n) = pairs.get_mut(&p) {
                    *n -= 1;
                    if *n == 0 {
                        pairs.remove(&p);
                        c.values[(p >> 32) as usize] -= 1.0;
                    }
                }
            }
        }
        // Every division within a node's region: the regions did not move (see `apply`).
        None if matches!(m, Compiled::Divisions { having: None, .. }) => {}
        None => {
            let plus = count(m, new, nodes);
            let minus = count(m, old, nodes);
            for ((v, p), m) in c.values.iter_mut().zip(plus).zip(minus) {
                *v += p - m;
            }
        }
    }
}
