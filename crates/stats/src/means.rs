//! MEANS: mean, N and standard deviation of a variable by one or more grouping variables.
//!
//! As SPSS: a case enters a dependent's table when the dependent and every grouping variable
//! are valid (user-missing values excluded unless included); groups are nested in the order
//! given, each level sorted by value and followed by its "Total", and the grand "Total" is
//! broken down by the later grouping variables too (e.g. `MEANS y BY g BY h` shows g × h, a
//! total per g, the h groups over all g and the grand total). Only non-empty groups appear.
//!
//! Cell sums are compensated; a total's sum of squares is combined exactly from its cells'
//! (within-cell sums of squares plus n·(cell mean − total mean)²).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::data::{Column, DataError, Dataset, Value};
use crate::table::{Cell, Table};
use crate::univar::{self, FxMap, Labels, MissTest, Neumaier};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MeansOptions {
    /// Treat user-missing values (of the dependent and the grouping variables) as valid (SPSS
    /// /MISSING=INCLUDE).
    pub include_user_missing: bool,
}

/// One row of the report: a group (or total) and its statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeansCell {
    /// One entry per grouping variable: the group's value, or `None` for "Total".
    pub group: Vec<Option<Value>>,
    /// The value labels of `group` (where the variable has one).
    pub labels: Vec<Option<String>>,
    pub mean: Option<f64>,
    pub n: f64,
    pub std_dev: Option<f64>,
    pub sum: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeansResult {
    pub dependent: String,
    pub label: Option<String>,
    pub decimals: u8,
    /// Grouping variables (name, label, decimals).
    pub by: Vec<(String, Option<String>, u8)>,
    /// Cases in the table, and left out (missing on the dependent or a grouping variable).
    pub included: f64,
    pub excluded: f64,
    pub total: f64,
    /// Groups in SPSS's order, the grand total last.
    pub cells: Vec<MeansCell>,
}

/// Categories of one grouping variable: per case an index into ascending `values`, or
/// `u32::MAX` when the case is missing on it.
struct Groups {
    values: Vec<Value>,
    labels: Vec<Option<String>>,
    of_case: Vec<u32>,
}

const NONE: u32 = u32::MAX;

fn groups(ds: &Dataset, i: usize, include: bool) -> Groups {
    let var = &ds.variables[i];
    let lab = Labels::new(var);
    match &ds.columns[i] {
        Column::Num(xs) => {
            let miss = MissTest::for_var(var, include);
            let (tally, _) = univar::tally_numeric(xs);
            let vals: Vec<f64> = tally
                .into_iter()
                .map(|(v, _)| v)
                .filter(|v| miss.is_valid(*v))
                .collect();
            let index: FxMap<u64, u32> = vals
                .iter()
                .enumerate()
                .map(|(k, v)| ((v + 0.0).to_bits(), k as u32))
                .collect();
            let of_case = xs
                .iter()
                .map(|&x| {
                    if miss.is_missing(x) {
                        NONE
                    } else {
                        index.get(&(x + 0.0).to_bits()).copied().unwrap_or(NONE)
                    }
                })
                .collect();
            Groups {
                labels: vals
                    .iter()
                    .map(|v| lab.num(*v).map(str::to_string))
                    .collect(),
                values: vals.into_iter().map(Value::Num).collect(),
                of_case,
            }
        }
        Column::Str(ss) => {
            let tally = univar::tally_strings(ss);
            let vals: Vec<String> = tally
                .into_iter()
                .map(|(s, _)| s)
                .filter(|s| include || !var.missing.is_missing_str(s))
                .collect();
            let index: FxMap<&str, u32> = vals
                .iter()
                .enumerate()
                .map(|(k, s)| (s.as_str(), k as u32))
                .collect();
            let of_case = ss
                .iter()
                .map(|s| index.get(univar::str_key(s)).copied().unwrap_or(NONE))
                .collect();
            Groups {
                labels: vals
                    .iter()
                    .map(|s| lab.text(s).map(str::to_string))
                    .collect(),
                values: vals.into_iter().map(Value::Str).collect(),
                of_case,
            }
        }
    }
}

/// MEANS of each of `dependents` by `by` (nested in that order; empty for the total only).
pub fn means(
    ds: &Dataset,
    dependents: &[&str],
    by: &[&str],
    opts: &MeansOptions,
) -> Result<Vec<MeansResult>, DataError> {
    ds.check()?;
    let dep_idx = dependents
        .iter()
        .map(|d| {
            let i = ds.index(d)?;
            match ds.columns[i] {
                Column::Num(_) => Ok(i),
                Column::Str(_) => Err(DataError::NotNumeric(ds.variables[i].name.clone())),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let by_idx = by
        .iter()
        .map(|b| ds.index(b))
        .collect::<Result<Vec<_>, _>>()?;
    let grs: Vec<Groups> = by_idx
        .iter()
        .map(|&i| groups(ds, i, opts.include_user_missing))
        .collect();
    Ok(dep_idx
        .iter()
        .map(|&d| one(ds, d, &by_idx, &grs, opts))
        .collect())
}

struct Acc {
    n: f64,
    sum: Neumaier,
    ss: Neumaier,
    dsum: Neumaier,
}

fn one(
    ds: &Dataset,
    d: usize,
    by_idx: &[usize],
    grs: &[Groups],
    opts: &MeansOptions,
) -> MeansResult {
    let var = &ds.variables[d];
    let Column::Num(ys) = &ds.columns[d] else {
        unreachable!("checked numeric")
    };
    let miss = MissTest::for_var(var, opts.include_user_missing);
    let k = grs.len();
    // Pass 1: each included case's finest cell; cell counts and sums.
    let mut cell_of_key: FxMap<Box<[u32]>, u32> = FxMap::default();
    let mut keys: Vec<Box<[u32]>> = Vec::new();
    let mut accs: Vec<Acc> = Vec::new();
    let mut case_cell: Vec<u32> = vec![NONE; ys.len()];
    let mut key = vec![0u32; k];
    'cases: for (r, &y) in ys.iter().enumerate() {
        if miss.is_missing(y) {
            continue;
        }
        for (slot, g) in key.iter_mut().zip(grs) {
            *slot = g.of_case[r];
            if *slot == NONE {
                continue 'cases;
            }
        }
        let c = match cell_of_key.get(key.as_slice()) {
            Some(&c) => c,
            None => {
                let c = accs.len() as u32;
                cell_of_key.insert(key.clone().into_boxed_slice(), c);
                keys.push(key.clone().into_boxed_slice());
                accs.push(Acc {
                    n: 0.0,
                    sum: Neumaier::default(),
                    ss: Neumaier::default(),
                    dsum: Neumaier::default(),
                });
                c
            }
        };
        case_cell[r] = c;
        let a = &mut accs[c as usize];
        a.n += 1.0;
        a.sum.add(y);
    }
    // Pass 2: sums of squares about each cell's mean.
    let cell_mean: Vec<f64> = accs.iter().map(|a| a.sum.value() / a.n).collect();
    for (r, &c) in case_cell.iter().enumerate() {
        if c != NONE {
            let a = &mut accs[c as usize];
            let dlt = ys[r] - cell_mean[c as usize];
            a.ss.add(dlt * dlt);
            a.dsum.add(dlt);
        }
    }
    struct Fine {
        n: f64,
        sum: f64,
        mean: f64,
        ss: f64,
    }
    let fine: Vec<Fine> = accs
        .iter()
        .zip(&cell_mean)
        .map(|(a, &m0)| {
            let ds_ = a.dsum.value();
            Fine {
                n: a.n,
                sum: a.sum.value(),
                mean: m0 + ds_ / a.n,
                ss: (a.ss.value() - ds_ * ds_ / a.n).max(0.0),
            }
        })
        .collect();
    // Every pattern of totals: bit j set = level j is "Total".
    let mut out: BTreeMap<Vec<u32>, Vec<usize>> = BTreeMap::new();
    for mask in 0u32..(1 << k) {
        for (c, key) in keys.iter().enumerate() {
            let proj: Vec<u32> = key
                .iter()
                .enumerate()
                .map(|(j, &v)| if mask >> j & 1 == 1 { NONE } else { v })
                .collect();
            out.entry(proj).or_default().push(c);
        }
    }
    if keys.is_empty() {
        // No case: SPSS still shows the grand total (N = 0).
        out.insert(vec![NONE; k], Vec::new());
    }
    let cells = out
        .into_iter()
        .map(|(proj, members)| {
            let mut n = 0.0;
            let mut sum = Neumaier::default();
            for &c in &members {
                n += fine[c].n;
                sum.add(fine[c].sum);
            }
            let sum = sum.value();
            let mean = sum / n;
            let mut ss = Neumaier::default();
            for &c in &members {
                let f = &fine[c];
                ss.add(f.ss);
                ss.add(f.n * (f.mean - mean) * (f.mean - mean));
            }
            let (mean, std_dev) = if members.len() == 1 {
                let f = &fine[members[0]];
                (f.mean, (n > 1.0).then(|| (f.ss / (n - 1.0)).sqrt()))
            } else {
                (mean, (n > 1.0).then(|| (ss.value() / (n - 1.0)).sqrt()))
            };
            MeansCell {
                group: proj
                    .iter()
                    .zip(grs)
                    .map(|(&v, g)| (v != NONE).then(|| g.values[v as usize].clone()))
                    .collect(),
                labels: proj
                    .iter()
                    .zip(grs)
                    .map(|(&v, g)| {
                        if v == NONE {
                            None
                        } else {
                            g.labels[v as usize].clone()
                        }
                    })
                    .collect(),
                mean: (n > 0.0).then_some(mean),
                n,
                std_dev,
                sum,
            }
        })
        .collect();
    let included: f64 = fine.iter().map(|f| f.n).sum();
    let total = ds.cases() as f64;
    MeansResult {
        dependent: var.name.clone(),
        label: var.label.clone(),
        decimals: var.decimals,
        by: by_idx
            .iter()
            .map(|&i| {
                let v = &ds.variables[i];
                (v.name.clone(), v.label.clone(), v.decimals)
            })
            .collect(),
        included,
        excluded: total - included,
        total,
        cells,
    }
}

/// SPSS's "Case Processing Summary" for several MEANS results.
pub fn case_summary_table(results: &[MeansResult]) -> Table {
    let mut t = Table {
        title: "Case Processing Summary".into(),
        columns: [
            "",
            "Included N",
            "Included Percent",
            "Excluded N",
            "Excluded Percent",
            "Total N",
            "Total Percent",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        ..Table::default()
    };
    for r in results {
        let name = std::iter::once(univar::var_title(&r.dependent, &r.label))
            .chain(r.by.iter().map(|(n, l, _)| univar::var_title(n, l)))
            .collect::<Vec<_>>()
            .join(" * ");
        let pct = |x: f64| {
            Cell::Num(
                Some(if r.total > 0.0 {
                    x / r.total * 100.0
                } else {
                    f64::NAN
                }),
                1,
            )
        };
        t.rows.push(vec![
            Cell::text(name),
            Cell::Count(r.included),
            pct(r.included),
            Cell::Count(r.excluded),
            pct(r.excluded),
            Cell::Count(r.total),
            pct(r.total),
        ]);
    }
    t
}

impl MeansResult {
    /// SPSS's "Case Processing Summary" and "Report" tables.
    pub fn to_tables(&self) -> Vec<Table> {
        let mut t = Table {
            title: format!(
                "Report: {}",
                univar::var_title(&self.dependent, &self.label)
            ),
            columns: self
                .by
                .iter()
                .map(|(n, l, _)| univar::var_title(n, l))
                .chain(
                    ["Mean", "N", "Std. Deviation"]
                        .iter()
                        .map(|s| s.to_string()),
                )
                .collect(),
            ..Table::default()
        };
        let d = |plus: u8| self.decimals.saturating_add(plus).min(16);
        let mut prev: Vec<Option<Value>> = Vec::new();
        for c in &self.cells {
            let mut row = Vec::new();
            // Show a level's group only where it changes (as SPSS's nested rows).
            let mut same_prefix = !prev.is_empty();
            for (j, g) in c.group.iter().enumerate() {
                same_prefix = same_prefix && prev.get(j) == Some(g);
                let last_level = j + 1 == c.group.len();
                if same_prefix && !last_level {
                    row.push(Cell::Empty);
                    continue;
                }
                row.push(match (g, &c.labels[j]) {
                    (None, _) => Cell::text("Total"),
                    (Some(_), Some(l)) => Cell::text(l.clone()),
                    (Some(v), None) => Cell::text(univar::show_value(v, self.by[j].2)),
                });
            }
            prev = c.group.clone();
            row.push(Cell::Num(Some(c.mean.unwrap_or(f64::NAN)), d(2)));
            row.push(Cell::Count(c.n));
            row.push(Cell::Num(Some(c.std_dev.unwrap_or(f64::NAN)), d(3)));
            t.rows.push(row);
        }
        vec![case_summary_table(std::slice::from_ref(self)), t]
    }
}
