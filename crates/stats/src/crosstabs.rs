//! CROSSTABS: a row variable by a column variable, optionally within the values of a layer
//! (control) variable, as SPSS computes it.
//!
//! Semantics: a case enters a table only if none of the table's variables is missing
//! (system-missing, or user-missing unless `include_user_missing`, SPSS's /MISSING=INCLUDE).
//! Each layer value gives its own table of the row and column values that occur in it, and its
//! own statistics (SPSS and PSPP compute the statistics on the populated rows and columns).
//!
//! Statistics: Pearson chi-square and likelihood ratio with (r-1)(c-1) df; for 2×2 tables
//! Yates' continuity correction (`N (|ad - bc| - N/2)² / (r1 r2 c1 c2)`, zero when
//! `|ad - bc| < N/2`) and Fisher's exact test (two-sided: the probability of every table with
//! the observed margins that is no more probable than the observed one; one-sided: the tail in
//! the direction of the observed association); linear-by-linear association `(N-1) r²` with
//! 1 df (numeric variables, their values as scores); phi (signed for 2×2 tables, as SPSS shows
//! it: `(ad - bc)/√(r1 r2 c1 c2)`; `√(χ²/N)` otherwise), Cramér's V `√(χ²/(N (q-1)))`,
//! q = min(r, c), and the contingency coefficient `√(χ²/(χ² + N))`, each with the Pearson
//! chi-square's significance.
//!
//! Speed: each variable's cells are mapped to category indices once (small whole numbers by a
//! direct table, other values through a hash map; the variables on separate threads for large
//! data), then one pass counts the cells; no per-case allocation.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::data::{Column, DataError, Dataset, Value, VarKind, Variable};
use crate::dist::chi2_sf;
use crate::table::{Cell, Table};

/// What the tables show (every number is computed regardless) and how missing values count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrosstabOptions {
    pub cells: CellContents,
    /// Chi-square tests (Pearson, continuity correction, likelihood ratio, Fisher's exact,
    /// linear-by-linear).
    pub chisq: bool,
    /// Phi and Cramér's V.
    pub phi: bool,
    /// Contingency coefficient.
    pub cc: bool,
    /// Treat user-missing values as valid (SPSS /MISSING=INCLUDE).
    pub include_user_missing: bool,
}

impl Default for CrosstabOptions {
    fn default() -> Self {
        CrosstabOptions {
            cells: CellContents::default(),
            chisq: true,
            phi: true,
            cc: true,
            include_user_missing: false,
        }
    }
}

/// The statistics shown in each cell (SPSS's /CELLS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellContents {
    pub count: bool,
    pub expected: bool,
    pub row: bool,
    pub column: bool,
    pub total: bool,
    pub residual: bool,
    pub std_residual: bool,
    pub adj_residual: bool,
}

impl Default for CellContents {
    fn default() -> Self {
        CellContents {
            count: true,
            expected: false,
            row: false,
            column: false,
            total: false,
            residual: false,
            std_residual: false,
            adj_residual: false,
        }
    }
}

impl CellContents {
    pub fn all() -> Self {
        CellContents {
            count: true,
            expected: true,
            row: true,
            column: true,
            total: true,
            residual: true,
            std_residual: true,
            adj_residual: true,
        }
    }
}

/// A variable as the results name it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VarInfo {
    pub name: String,
    pub label: Option<String>,
    /// Decimal places of the variable's print format.
    pub decimals: u8,
}

impl VarInfo {
    pub(crate) fn of(v: &Variable) -> Self {
        VarInfo {
            name: v.name.clone(),
            label: v.label.clone(),
            decimals: v.decimals,
        }
    }

    /// The label if there is one, else the name.
    pub fn shown(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.name)
    }
}

/// A category (value) of a variable, with the text SPSS shows for it (its value label, or the
/// value in the variable's print format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    pub value: Value,
    pub label: Option<String>,
    pub text: String,
}

impl Category {
    pub(crate) fn of(var: &Variable, value: Value) -> Self {
        let label = var.value_label(&value).map(str::to_string);
        let text = label.clone().unwrap_or_else(|| format_value(var, &value));
        Category { value, label, text }
    }
}

/// A value in the variable's print format (numbers with its decimals).
pub(crate) fn format_value(var: &Variable, v: &Value) -> String {
    match v {
        Value::Num(x) => format!("{:.*}", var.decimals as usize, x),
        Value::Str(s) => s.trim_end().to_string(),
    }
}

/// A test statistic with its degrees of freedom and asymptotic two-sided significance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChiSquare {
    pub value: f64,
    pub df: f64,
    pub sig: f64,
}

/// Fisher's exact test on a 2×2 table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FisherExact {
    /// Sum of the probabilities of the tables no more probable than the observed one.
    pub two_sided: f64,
    /// The tail in the direction of the observed association.
    pub one_sided: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SymmetricMeasure {
    pub value: f64,
    /// Approximate significance (that of the Pearson chi-square).
    pub sig: f64,
}

/// One table: the cells of one layer (or the whole data when there is no layer variable).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrosstabLayer {
    /// The layer variable's category, if there is a layer variable.
    pub layer: Option<Category>,
    pub rows: Vec<Category>,
    pub cols: Vec<Category>,
    /// `counts[i][j]`: cases in row category `i` and column category `j`.
    pub counts: Vec<Vec<f64>>,
    pub row_totals: Vec<f64>,
    pub col_totals: Vec<f64>,
    pub total: f64,
    /// Percent of the row total.
    pub row_pct: Vec<Vec<f64>>,
    /// Percent of the column total.
    pub col_pct: Vec<Vec<f64>>,
    /// Percent of the table total.
    pub total_pct: Vec<Vec<f64>>,
    /// Row totals as percent of the table total.
    pub row_totals_pct: Vec<f64>,
    /// Column totals as percent of the table total.
    pub col_totals_pct: Vec<f64>,
    pub expected: Vec<Vec<f64>>,
    /// Observed minus expected.
    pub residual: Vec<Vec<f64>>,
    /// Residual / √expected.
    pub std_residual: Vec<Vec<f64>>,
    /// Residual / √(expected (1 - row total/N) (1 - column total/N)).
    pub adj_residual: Vec<Vec<f64>>,
    pub pearson: Option<ChiSquare>,
    pub likelihood_ratio: Option<ChiSquare>,
    /// 2×2 tables only.
    pub continuity_correction: Option<ChiSquare>,
    /// 2×2 tables only.
    pub fisher: Option<FisherExact>,
    /// Numeric row and column variables only.
    pub linear_by_linear: Option<ChiSquare>,
    pub phi: Option<SymmetricMeasure>,
    pub cramers_v: Option<SymmetricMeasure>,
    pub contingency_coefficient: Option<SymmetricMeasure>,
    /// Cells whose expected count is below 5, and the smallest expected count (SPSS's
    /// footnote to the chi-square tests).
    pub cells_expected_below_5: usize,
    pub min_expected: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrosstabResult {
    pub row_var: VarInfo,
    pub col_var: VarInfo,
    pub layer_var: Option<VarInfo>,
    /// Cases in the data set; of them, valid (no variable of the table missing) and missing.
    pub n_cases: f64,
    pub n_valid: f64,
    pub n_missing: f64,
    pub layers: Vec<CrosstabLayer>,
    pub options: CrosstabOptions,
}

/// A fast hash for category keys (multiply-rotate over 8-byte words; the keys are the data's
/// own values, not adversarial input).
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.write_u64(u64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(b));
        }
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u8(&mut self, x: u8) {
        self.write_u64(u64::from(x));
    }

    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FastHasher>>;

const MISSING: u32 = u32::MAX;
/// From this many cases on, the variables are coded on separate threads.
const PARALLEL_MIN_CASES: usize = 200_000;
/// Whole numbers in [0, DENSE) are mapped through a direct table.
const DENSE: usize = 4096;
/// Beyond this many cells (layers × rows × columns of distinct values) the counts are kept
/// sparsely.
const MAX_DENSE_CELLS: usize = 1 << 24;

/// A column's cells as category indices (in order of first appearance; `MISSING` for a
/// missing cell), and the categories' values.
pub(crate) struct Coded {
    pub codes: Vec<u32>,
    pub values: Vec<Value>,
}

/// Maps each cell of a variable to a category index, once.
pub(crate) fn code_column(var: &Variable, col: &Column, include_user_missing: bool) -> Coded {
    match col {
        Column::Num(xs) => {
            let mut dense = vec![u32::MAX - 1; DENSE]; // MAX-1: not seen yet
            let mut other: FastMap<u64, u32> = FastMap::default();
            let mut values: Vec<Value> = Vec::new();
            let mut codes = Vec::with_capacity(xs.len());
            let missing = |x: f64| !include_user_missing && var.missing.is_missing_num(x);
            for &x in xs {
                // Whole numbers in [0, DENSE): the cast truncates, so equality means whole.
                let i = x as usize;
                let code = if i < DENSE && i as f64 == x {
                    let slot = &mut dense[i];
                    if *slot == u32::MAX - 1 {
                        *slot = if missing(x) {
                            MISSING
                        } else {
                            values.push(Value::Num(x + 0.0));
                            (values.len() - 1) as u32
                        };
                    }
                    *slot
                } else if x.is_nan() {
                    MISSING
                } else {
                    let key = (x + 0.0).to_bits();
                    *other.entry(key).or_insert_with(|| {
                        if missing(x) {
                            MISSING
                        } else {
                            values.push(Value::Num(x + 0.0));
                            (values.len() - 1) as u32
                        }
                    })
                };
                codes.push(code);
            }
            Coded { codes, values }
        }
        Column::Str(ss) => {
            let mut map: FastMap<&str, u32> = FastMap::default();
            let mut values: Vec<Value> = Vec::new();
            let mut codes = Vec::with_capacity(ss.len());
            for s in ss {
                let key = s.trim_end();
                let code = *map.entry(key).or_insert_with(|| {
                    if !include_user_missing && var.missing.is_missing_str(key) {
                        MISSING
                    } else {
                        values.push(Value::Str(key.to_string()));
                        (values.len() - 1) as u32
                    }
                });
                codes.push(code);
            }
            Coded { codes, values }
        }
    }
}

/// SPSS's order of categories: ascending numbers, or strings in byte order.
pub(crate) fn value_cmp(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => x.total_cmp(y),
        (Value::Str(x), Value::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Num(_), Value::Str(_)) => std::cmp::Ordering::Less,
        (Value::Str(_), Value::Num(_)) => std::cmp::Ordering::Greater,
    }
}

/// Indices of `values` in SPSS's order.
pub(crate) fn sorted_order(values: &[Value]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| value_cmp(&values[a], &values[b]));
    idx
}

/// CROSSTABS of `row` by `col`, one table per value of `layer` if given.
pub fn crosstabs(
    ds: &Dataset,
    row: &str,
    col: &str,
    layer: Option<&str>,
    opts: &CrosstabOptions,
) -> Result<CrosstabResult, DataError> {
    ds.check()?;
    let (rv, rc) = ds.var(row)?;
    let (cv, cc) = ds.var(col)?;
    let lv = layer.map(|l| ds.var(l)).transpose()?;
    let n = ds.cases();
    let inc = opts.include_user_missing;

    // The columns are coded independently: on large data, side by side.
    let (rcode, ccode, lcode) = if n >= PARALLEL_MIN_CASES {
        std::thread::scope(|s| {
            let col_job = s.spawn(|| code_column(cv, cc, inc));
            let layer_job = lv.map(|(v, c)| s.spawn(move || code_column(v, c, inc)));
            let r = code_column(rv, rc, inc);
            let c = col_job.join().expect("coding thread");
            (r, c, layer_job.map(|j| j.join().expect("coding thread")))
        })
    } else {
        (
            code_column(rv, rc, inc),
            code_column(cv, cc, inc),
            lv.map(|(v, c)| code_column(v, c, inc)),
        )
    };
    let (nr, nc) = (rcode.values.len(), ccode.values.len());
    let nl = lcode.as_ref().map(|l| l.values.len()).unwrap_or(1);

    // Count cells by provisional indices.
    let mut valid = 0u64;
    let cells = nl.saturating_mul(nr).saturating_mul(nc);
    let counts: Counts = if cells <= MAX_DENSE_CELLS {
        let mut m = vec![0u64; cells];
        match &lcode {
            None => {
                for (&r, &c) in rcode.codes.iter().zip(&ccode.codes) {
                    if r != MISSING && c != MISSING {
                        m[r as usize * nc + c as usize] += 1;
                        valid += 1;
                    }
                }
            }
            Some(l) => {
                for ((&r, &c), &l) in rcode.codes.iter().zip(&ccode.codes).zip(&l.codes) {
                    if r != MISSING && c != MISSING && l != MISSING {
                        m[(l as usize * nr + r as usize) * nc + c as usize] += 1;
                        valid += 1;
                    }
                }
            }
        }
        Counts::Dense(m)
    } else {
        let mut m: FastMap<(u32, u32, u32), u64> = FastMap::default();
        for i in 0..n {
            let (r, c) = (rcode.codes[i], ccode.codes[i]);
            let l = lcode.as_ref().map(|l| l.codes[i]).unwrap_or(0);
            if r != MISSING && c != MISSING && l != MISSING {
                *m.entry((l, r, c)).or_insert(0) += 1;
                valid += 1;
            }
        }
        Counts::Sparse(m)
    };

    let numeric = matches!(rv.kind, VarKind::Numeric) && matches!(cv.kind, VarKind::Numeric);
    let layer_order: Vec<Option<usize>> = match &lcode {
        None => vec![None],
        Some(l) => sorted_order(&l.values).into_iter().map(Some).collect(),
    };
    let row_order = sorted_order(&rcode.values);
    let col_order = sorted_order(&ccode.values);

    let mut layers = Vec::new();
    for lo in layer_order {
        let li = lo.unwrap_or(0);
        let get = |r: usize, c: usize| -> u64 {
            match &counts {
                Counts::Dense(m) => m[(li * nr + r) * nc + c],
                Counts::Sparse(m) => *m.get(&(li as u32, r as u32, c as u32)).unwrap_or(&0),
            }
        };
        // The rows and columns populated in this layer, in SPSS's order.
        let (rows, cols): (Vec<usize>, Vec<usize>) = match &counts {
            Counts::Dense(_) => (
                row_order
                    .iter()
                    .copied()
                    .filter(|&r| (0..nc).any(|c| get(r, c) > 0))
                    .collect(),
                col_order
                    .iter()
                    .copied()
                    .filter(|&c| (0..nr).any(|r| get(r, c) > 0))
                    .collect(),
            ),
            Counts::Sparse(m) => {
                let mut rs = vec![false; nr];
                let mut cs = vec![false; nc];
                for &(l, r, c) in m.keys() {
                    if l as usize == li {
                        rs[r as usize] = true;
                        cs[c as usize] = true;
                    }
                }
                (
                    row_order.iter().copied().filter(|&r| rs[r]).collect(),
                    col_order.iter().copied().filter(|&c| cs[c]).collect(),
                )
            }
        };
        if lo.is_some() && rows.is_empty() {
            continue;
        }
        let table: Vec<Vec<f64>> = rows
            .iter()
            .map(|&r| cols.iter().map(|&c| get(r, c) as f64).collect())
            .collect();
        let row_scores: Option<Vec<f64>> =
            numeric.then(|| rows.iter().map(|&r| num(&rcode.values[r])).collect());
        let col_scores: Option<Vec<f64>> =
            numeric.then(|| cols.iter().map(|&c| num(&ccode.values[c])).collect());
        let mut layer = analyse(&table, row_scores.as_deref(), col_scores.as_deref());
        layer.rows = rows
            .iter()
            .map(|&r| Category::of(rv, rcode.values[r].clone()))
            .collect();
        layer.cols = cols
            .iter()
            .map(|&c| Category::of(cv, ccode.values[c].clone()))
            .collect();
        layer.layer = match (lo, &lcode, lv) {
            (Some(i), Some(l), Some((var, _))) => Some(Category::of(var, l.values[i].clone())),
            _ => None,
        };
        layers.push(layer);
    }

    Ok(CrosstabResult {
        row_var: VarInfo::of(rv),
        col_var: VarInfo::of(cv),
        layer_var: lv.map(|(v, _)| VarInfo::of(v)),
        n_cases: n as f64,
        n_valid: valid as f64,
        n_missing: (n as u64 - valid) as f64,
        layers,
        options: opts.clone(),
    })
}

enum Counts {
    Dense(Vec<u64>),
    Sparse(FastMap<(u32, u32, u32), u64>),
}

fn num(v: &Value) -> f64 {
    match v {
        Value::Num(x) => *x,
        Value::Str(_) => f64::NAN,
    }
}

/// All the cell statistics and tests of one table of counts (rows and columns populated).
/// `row_scores`/`col_scores` are the category values for the linear-by-linear association.
pub fn analyse(
    table: &[Vec<f64>],
    row_scores: Option<&[f64]>,
    col_scores: Option<&[f64]>,
) -> CrosstabLayer {
    let r = table.len();
    let c = table.first().map(Vec::len).unwrap_or(0);
    let row_totals: Vec<f64> = table.iter().map(|row| row.iter().sum()).collect();
    let col_totals: Vec<f64> = (0..c)
        .map(|j| table.iter().map(|row| row[j]).sum())
        .collect();
    let n: f64 = row_totals.iter().sum();
    let grid = |f: &dyn Fn(usize, usize) -> f64| -> Vec<Vec<f64>> {
        (0..r).map(|i| (0..c).map(|j| f(i, j)).collect()).collect()
    };
    let expected = grid(&|i, j| row_totals[i] * col_totals[j] / n);
    let residual = grid(&|i, j| table[i][j] - expected[i][j]);
    let std_residual = grid(&|i, j| residual[i][j] / expected[i][j].sqrt());
    let adj_residual = grid(&|i, j| {
        residual[i][j]
            / (expected[i][j] * (1.0 - row_totals[i] / n) * (1.0 - col_totals[j] / n)).sqrt()
    });
    let row_pct = grid(&|i, j| 100.0 * table[i][j] / row_totals[i]);
    let col_pct = grid(&|i, j| 100.0 * table[i][j] / col_totals[j]);
    let total_pct = grid(&|i, j| 100.0 * table[i][j] / n);
    let row_totals_pct = row_totals.iter().map(|t| 100.0 * t / n).collect();
    let col_totals_pct = col_totals.iter().map(|t| 100.0 * t / n).collect();

    let mut below5 = 0;
    let mut min_expected = f64::INFINITY;
    for e in expected.iter().flatten() {
        if *e < 5.0 {
            below5 += 1;
        }
        min_expected = min_expected.min(*e);
    }

    let mut layer = CrosstabLayer {
        layer: None,
        rows: Vec::new(),
        cols: Vec::new(),
        counts: table.to_vec(),
        row_totals,
        col_totals,
        total: n,
        row_pct,
        col_pct,
        total_pct,
        row_totals_pct,
        col_totals_pct,
        expected,
        residual,
        std_residual,
        adj_residual,
        pearson: None,
        likelihood_ratio: None,
        continuity_correction: None,
        fisher: None,
        linear_by_linear: None,
        phi: None,
        cramers_v: None,
        contingency_coefficient: None,
        cells_expected_below_5: below5,
        min_expected: if min_expected.is_finite() {
            min_expected
        } else {
            f64::NAN
        },
    };
    if r < 2 || c < 2 {
        return layer;
    }

    let df = ((r - 1) * (c - 1)) as f64;
    let mut x2 = 0.0;
    let mut g2 = 0.0;
    for (row, erow) in table.iter().zip(&layer.expected) {
        for (&o, &e) in row.iter().zip(erow) {
            x2 += (o - e) * (o - e) / e;
            if o > 0.0 {
                g2 += o * (o / e).ln();
            }
        }
    }
    g2 *= 2.0;
    let p = chi2_sf(x2, df);
    layer.pearson = Some(ChiSquare {
        value: x2,
        df,
        sig: p,
    });
    layer.likelihood_ratio = Some(ChiSquare {
        value: g2,
        df,
        sig: chi2_sf(g2, df),
    });

    let q = r.min(c) as f64;
    let rt = &layer.row_totals;
    let ct = &layer.col_totals;
    if r == 2 && c == 2 {
        let (a, b, cc, d) = (table[0][0], table[0][1], table[1][0], table[1][1]);
        let denom = rt[0] * rt[1] * ct[0] * ct[1];
        let excess = (a * d - b * cc).abs() - 0.5 * n;
        let yates = if excess > 0.0 {
            n * excess * excess / denom
        } else {
            0.0
        };
        layer.continuity_correction = Some(ChiSquare {
            value: yates,
            df: 1.0,
            sig: chi2_sf(yates, 1.0),
        });
        let (two, one) = fisher_exact(a as u64, b as u64, cc as u64, d as u64);
        layer.fisher = Some(FisherExact {
            two_sided: two,
            one_sided: one,
        });
        layer.phi = Some(SymmetricMeasure {
            value: (a * d - b * cc) / denom.sqrt(),
            sig: p,
        });
    } else {
        layer.phi = Some(SymmetricMeasure {
            value: (x2 / n).sqrt(),
            sig: p,
        });
    }
    layer.cramers_v = Some(SymmetricMeasure {
        value: (x2 / (n * (q - 1.0))).sqrt(),
        sig: p,
    });
    layer.contingency_coefficient = Some(SymmetricMeasure {
        value: (x2 / (x2 + n)).sqrt(),
        sig: p,
    });

    if let (Some(xs), Some(ys)) = (row_scores, col_scores) {
        // Pearson's r of the scores over the cases, from centred sums.
        let xbar = xs.iter().zip(rt).map(|(x, t)| x * t).sum::<f64>() / n;
        let ybar = ys.iter().zip(ct).map(|(y, t)| y * t).sum::<f64>() / n;
        let sxx: f64 = xs
            .iter()
            .zip(rt)
            .map(|(x, t)| t * (x - xbar) * (x - xbar))
            .sum();
        let syy: f64 = ys
            .iter()
            .zip(ct)
            .map(|(y, t)| t * (y - ybar) * (y - ybar))
            .sum();
        let mut sxy = 0.0;
        for i in 0..r {
            for j in 0..c {
                sxy += table[i][j] * (xs[i] - xbar) * (ys[j] - ybar);
            }
        }
        let rr = sxy / (sxx * syy).sqrt();
        let m2 = (n - 1.0) * rr * rr;
        layer.linear_by_linear = Some(ChiSquare {
            value: m2,
            df: 1.0,
            sig: chi2_sf(m2, 1.0),
        });
    }
    layer
}

/// Fisher's exact test on the 2×2 table [[a, b], [c, d]]: (two-sided, one-sided).
///
/// With the margins fixed, the count `x` in the first cell is hypergeometric; the probabilities
/// are built as ratios to the most probable table (`p(x+1)/p(x) = (r1-x)(c1-x) /
/// ((x+1)(d-a+x+1))` with whole-number products exact in f64), walking out from the mode until
/// the terms are negligible against both the observed table's probability and the total.
/// Two-sided: tables with probability at most the observed one's (relative tolerance 1e-7 for
/// ties, as scipy). One-sided: `P(X <= a)` if `ad < bc`, `P(X >= a)` if `ad > bc`; when
/// `ad = bc`, the tail in which the smallest cell decreases (as SPSS and PSPP choose).
pub fn fisher_exact(a: u64, b: u64, c: u64, d: u64) -> (f64, f64) {
    let r1 = a + b;
    let c1 = a + c;
    let n = a + b + c + d;
    let lo = (r1 + c1).saturating_sub(n);
    let hi = r1.min(c1);
    if lo == hi {
        return (1.0, 1.0);
    }
    // x ranges over lo..=hi; d - a + ... : the fourth cell is n - r1 - c1 + x.
    let ratio_up = |x: u64| -> f64 {
        // p(x+1)/p(x)
        ((r1 - x) as f64 * (c1 - x) as f64) / ((x + 1) as f64 * (n + x + 1 - r1 - c1) as f64)
    };
    let mode = (((r1 + 1) as f64 * (c1 + 1) as f64 / (n + 2) as f64).floor() as u64).clamp(lo, hi);
    // Weight of the observed table relative to the mode.
    let mut w_obs = 1.0;
    if a > mode {
        for x in mode..a {
            w_obs *= ratio_up(x);
        }
    } else {
        for x in a..mode {
            w_obs /= ratio_up(x);
        }
    }
    let floor = w_obs.min(1.0) * 1e-18;
    let tie = w_obs * (1.0 + 1e-7);
    let mut total = 1.0;
    let mut two = if 1.0 <= tie { 1.0 } else { 0.0 };
    let (mut less, mut greater) = (0.0, 0.0);
    if mode <= a {
        less += 1.0;
    }
    if mode >= a {
        greater += 1.0;
    }
    // Upwards from the mode.
    let mut w = 1.0;
    let mut x = mode;
    while x < hi {
        w *= ratio_up(x);
        x += 1;
        if w < floor && x > a {
            break;
        }
        total += w;
        if w <= tie {
            two += w;
        }
        if x <= a {
            less += w;
        }
        if x >= a {
            greater += w;
        }
    }
    // Downwards.
    let mut w = 1.0;
    let mut x = mode;
    while x > lo {
        w /= ratio_up(x - 1);
        x -= 1;
        if w < floor && x < a {
            break;
        }
        total += w;
        if w <= tie {
            two += w;
        }
        if x <= a {
            less += w;
        }
        if x >= a {
            greater += w;
        }
    }
    let (ad, bc) = (a as f64 * d as f64, b as f64 * c as f64);
    let one = if ad < bc {
        less
    } else if ad > bc {
        greater
    } else if a.min(d) <= b.min(c) {
        less
    } else {
        greater
    };
    ((two / total).min(1.0), (one / total).min(1.0))
}

impl CrosstabResult {
    /// The title SPSS gives the table: "row * column [* layer]" (labels where there are).
    fn title(&self) -> String {
        let mut t = format!("{} * {}", self.row_var.shown(), self.col_var.shown());
        if let Some(l) = &self.layer_var {
            t.push_str(&format!(" * {}", l.shown()));
        }
        t
    }

    /// SPSS's tables: Case Processing Summary, then for each layer the crosstabulation, the
    /// chi-square tests and the symmetric measures (as requested in the options).
    pub fn to_tables(&self) -> Vec<Table> {
        let mut out = Vec::new();
        let pct = |x: f64| {
            if self.n_cases > 0.0 {
                100.0 * x / self.n_cases
            } else {
                f64::NAN
            }
        };
        out.push(Table {
            title: "Case Processing Summary".into(),
            columns: vec![
                String::new(),
                "Valid N".into(),
                "Valid Percent".into(),
                "Missing N".into(),
                "Missing Percent".into(),
                "Total N".into(),
                "Total Percent".into(),
            ],
            rows: vec![vec![
                Cell::text(self.title()),
                Cell::Count(self.n_valid),
                Cell::Num(Some(pct(self.n_valid)), 1),
                Cell::Count(self.n_missing),
                Cell::Num(Some(pct(self.n_missing)), 1),
                Cell::Count(self.n_cases),
                Cell::Num(Some(pct(self.n_cases)), 1),
            ]],
            notes: Vec::new(),
        });
        for layer in &self.layers {
            let suffix = match (&self.layer_var, &layer.layer) {
                (Some(v), Some(c)) => format!(" ({} = {})", v.shown(), c.text),
                _ => String::new(),
            };
            out.push(self.crosstab_table(layer, &suffix));
            if self.options.chisq {
                out.push(chisq_table(layer, &suffix));
            }
            if self.options.phi || self.options.cc {
                out.push(self.measures_table(layer, &suffix));
            }
        }
        out
    }

    fn crosstab_table(&self, l: &CrosstabLayer, suffix: &str) -> Table {
        let cells = self.options.cells;
        let mut columns = vec![
            self.row_var.shown().to_string(),
            String::new(),
            String::new(),
        ];
        columns.extend(
            l.cols
                .iter()
                .map(|c| format!("{}: {}", self.col_var.shown(), c.text)),
        );
        columns.push("Total".into());
        type Stat<'a> = (&'a str, &'a Vec<Vec<f64>>, u8);
        let row_name = format!("% within {}", self.row_var.shown());
        let col_name = format!("% within {}", self.col_var.shown());
        let mut stats: Vec<(bool, Stat, StatKind)> = vec![
            (cells.count, ("Count", &l.counts, 0), StatKind::Count),
            (
                cells.expected,
                ("Expected Count", &l.expected, 1),
                StatKind::Expected,
            ),
            (
                cells.row,
                (row_name.as_str(), &l.row_pct, 1),
                StatKind::RowPct,
            ),
            (
                cells.column,
                (col_name.as_str(), &l.col_pct, 1),
                StatKind::ColPct,
            ),
            (
                cells.total,
                ("% of Total", &l.total_pct, 1),
                StatKind::TotalPct,
            ),
            (
                cells.residual,
                ("Residual", &l.residual, 1),
                StatKind::Residual,
            ),
            (
                cells.std_residual,
                ("Standardized Residual", &l.std_residual, 1),
                StatKind::Residual,
            ),
            (
                cells.adj_residual,
                ("Adjusted Residual", &l.adj_residual, 1),
                StatKind::Residual,
            ),
        ];
        stats.retain(|s| s.0);
        let mut rows = Vec::new();
        for (i, cat) in l.rows.iter().enumerate() {
            for (k, (_, (name, grid, dec), kind)) in stats.iter().enumerate() {
                let mut row = vec![
                    Cell::text(if k == 0 { self.row_var.shown() } else { "" }),
                    Cell::text(if k == 0 { cat.text.as_str() } else { "" }),
                    Cell::text(*name),
                ];
                row.extend(grid[i].iter().map(|&x| match kind {
                    StatKind::Count => Cell::Count(x),
                    _ => Cell::Num(Some(x), *dec),
                }));
                row.push(match kind {
                    StatKind::Count => Cell::Count(l.row_totals[i]),
                    StatKind::Expected => Cell::Num(Some(l.row_totals[i]), 1),
                    StatKind::RowPct => Cell::Num(Some(100.0), 1),
                    StatKind::ColPct | StatKind::TotalPct => {
                        Cell::Num(Some(l.row_totals_pct[i]), 1)
                    }
                    StatKind::Residual => Cell::Empty,
                });
                rows.push(row);
            }
        }
        for (k, (_, (name, _, _), kind)) in stats.iter().enumerate() {
            if matches!(kind, StatKind::Residual) {
                continue;
            }
            let mut row = vec![
                Cell::text(if k == 0 { "Total" } else { "" }),
                Cell::Empty,
                Cell::text(*name),
            ];
            for (j, &t) in l.col_totals.iter().enumerate() {
                row.push(match kind {
                    StatKind::Count => Cell::Count(t),
                    StatKind::Expected => Cell::Num(Some(t), 1),
                    StatKind::RowPct | StatKind::TotalPct => {
                        Cell::Num(Some(l.col_totals_pct[j]), 1)
                    }
                    StatKind::ColPct => Cell::Num(Some(100.0), 1),
                    StatKind::Residual => Cell::Empty,
                });
            }
            row.push(match kind {
                StatKind::Count => Cell::Count(l.total),
                StatKind::Expected => Cell::Num(Some(l.total), 1),
                _ => Cell::Num(Some(100.0), 1),
            });
            rows.push(row);
        }
        Table {
            title: format!("{} Crosstabulation{suffix}", self.title()),
            columns,
            rows,
            notes: Vec::new(),
        }
    }

    fn measures_table(&self, l: &CrosstabLayer, suffix: &str) -> Table {
        let mut rows = Vec::new();
        let mut add = |name: &str, m: &Option<SymmetricMeasure>| {
            if let Some(m) = m {
                let first = if rows.is_empty() {
                    "Nominal by Nominal"
                } else {
                    ""
                };
                rows.push(vec![
                    Cell::text(first),
                    Cell::text(name),
                    Cell::Num(Some(m.value), 3),
                    Cell::Num(Some(m.sig), 3),
                ]);
            }
        };
        if self.options.phi {
            add("Phi", &l.phi);
            add("Cramer's V", &l.cramers_v);
        }
        if self.options.cc {
            add("Contingency Coefficient", &l.contingency_coefficient);
        }
        rows.push(vec![
            Cell::text("N of Valid Cases"),
            Cell::Empty,
            Cell::Count(l.total),
            Cell::Empty,
        ]);
        Table {
            title: format!("Symmetric Measures{suffix}"),
            columns: vec![
                String::new(),
                String::new(),
                "Value".into(),
                "Approximate Significance".into(),
            ],
            rows,
            notes: Vec::new(),
        }
    }
}

#[derive(Clone, Copy)]
enum StatKind {
    Count,
    Expected,
    RowPct,
    ColPct,
    TotalPct,
    Residual,
}

fn chisq_table(l: &CrosstabLayer, suffix: &str) -> Table {
    let mut rows = Vec::new();
    let asym = |name: &str, t: &Option<ChiSquare>| -> Option<Vec<Cell>> {
        t.map(|t| {
            vec![
                Cell::text(name),
                Cell::Num(Some(t.value), 3),
                Cell::Num(Some(t.df), 0),
                Cell::Num(Some(t.sig), 3),
                Cell::Empty,
                Cell::Empty,
            ]
        })
    };
    rows.extend(asym("Pearson Chi-Square", &l.pearson));
    rows.extend(asym("Continuity Correction", &l.continuity_correction));
    rows.extend(asym("Likelihood Ratio", &l.likelihood_ratio));
    if let Some(f) = l.fisher {
        rows.push(vec![
            Cell::text("Fisher's Exact Test"),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Num(Some(f.two_sided), 3),
            Cell::Num(Some(f.one_sided), 3),
        ]);
    }
    rows.extend(asym("Linear-by-Linear Association", &l.linear_by_linear));
    rows.push(vec![
        Cell::text("N of Valid Cases"),
        Cell::Count(l.total),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
    ]);
    let mut notes = Vec::new();
    if l.pearson.is_some() {
        let cells = l.expected.iter().map(Vec::len).sum::<usize>().max(1);
        notes.push(format!(
            "a. {} cells ({:.1}%) have expected count less than 5. The minimum expected count is {:.2}.",
            l.cells_expected_below_5,
            100.0 * l.cells_expected_below_5 as f64 / cells as f64,
            l.min_expected
        ));
    }
    if l.continuity_correction.is_some() {
        notes.push("b. Computed only for a 2x2 table".into());
    }
    let with_exact = l.fisher.is_some();
    let mut columns = vec![
        String::new(),
        "Value".into(),
        "df".into(),
        "Asymptotic Significance (2-sided)".into(),
    ];
    if with_exact {
        columns.push("Exact Sig. (2-sided)".into());
        columns.push("Exact Sig. (1-sided)".into());
    } else {
        for r in &mut rows {
            r.truncate(4);
        }
    }
    Table {
        title: format!("Chi-Square Tests{suffix}"),
        columns,
        rows,
        notes,
    }
}
