//! T-TEST as SPSS computes it: one-sample, independent samples (with Levene's test and both
//! the pooled-variance and the Welch–Satterthwaite rows) and paired samples.
//!
//! Missing values: by default each test uses the cases valid on the variables it involves
//! (SPSS's /MISSING=ANALYSIS); `Listwise` keeps only cases valid on every variable named in the
//! request (and the grouping variable). User-missing values count as missing unless
//! `include_user_missing`.
//!
//! Formulas: `t = (mean - test value) / (s/√n)` with n-1 df; pooled
//! `s_p² = ((n1-1)s1² + (n2-1)s2²)/(n1+n2-2)`, `SE = s_p √(1/n1 + 1/n2)`; Welch
//! `SE = √(s1²/n1 + s2²/n2)`, `df = SE⁴ / ((s1²/n1)²/(n1-1) + (s2²/n2)²/(n2-1))`; Levene's F is
//! the one-way ANOVA F of the absolute deviations from the group means; intervals are
//! `difference ± t(1 - α/2, df) SE`. Sums are compensated and deviations taken about a
//! corrected mean, so results keep ~1e-14 relative precision.

use serde::{Deserialize, Serialize};

use crate::crosstabs::{Category, VarInfo};
use crate::data::{Column, DataError, Dataset, Value, Variable};
use crate::dist::{f_sf, t_sf, t_two_tailed};
use crate::table::{Cell, Table};

/// Which cases a test uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum MissingMode {
    /// Each test: the cases valid on its own variables (SPSS's default).
    #[default]
    Analysis,
    /// Only cases valid on every variable of the request.
    Listwise,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TTestOptions {
    /// Confidence level of the intervals (SPSS's /CRITERIA=CI(.95)).
    pub confidence: f64,
    pub missing: MissingMode,
    /// Treat user-missing values as valid (SPSS /MISSING=INCLUDE).
    pub include_user_missing: bool,
}

impl Default for TTestOptions {
    fn default() -> Self {
        TTestOptions {
            confidence: 0.95,
            missing: MissingMode::Analysis,
            include_user_missing: false,
        }
    }
}

/// N, mean, standard deviation and standard error of the mean.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DescStats {
    pub n: f64,
    pub mean: f64,
    pub std_dev: f64,
    pub se_mean: f64,
}

/// A t test's row: statistic, df, two-tailed significance, the difference, its standard error
/// and confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TRow {
    pub t: f64,
    pub df: f64,
    pub sig: f64,
    pub mean_difference: f64,
    pub se_difference: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
}

/// Levene's test for equality of variances.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Levene {
    pub f: f64,
    pub df1: f64,
    pub df2: f64,
    pub sig: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneSampleRow {
    pub var: VarInfo,
    pub stats: DescStats,
    pub test: TRow,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneSampleResult {
    pub test_value: f64,
    pub confidence: f64,
    pub rows: Vec<OneSampleRow>,
}

/// How the grouping variable splits the cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Groups {
    /// Group 1: cases with the first value; group 2: the second; other cases are left out.
    Values(Value, Value),
    /// Group 1: values >= the cut point; group 2: values below it.
    CutPoint(f64),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndependentRow {
    pub var: VarInfo,
    pub group1: DescStats,
    pub group2: DescStats,
    pub levene: Option<Levene>,
    /// Pooled variance ("Equal variances assumed").
    pub equal_variances: Option<TRow>,
    /// Welch–Satterthwaite ("Equal variances not assumed").
    pub unequal_variances: Option<TRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndependentResult {
    pub group_var: VarInfo,
    pub groups: Groups,
    /// How the two groups are shown (value labels, or "≥ cut" / "< cut").
    pub group_labels: [String; 2],
    pub confidence: f64,
    pub rows: Vec<IndependentRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedRow {
    pub first: VarInfo,
    pub second: VarInfo,
    pub first_stats: DescStats,
    pub second_stats: DescStats,
    pub correlation: f64,
    /// Two-tailed significance of the correlation (t with n-2 df).
    pub correlation_sig: f64,
    /// Mean, standard deviation and standard error of the differences first - second.
    pub differences: DescStats,
    pub test: TRow,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedResult {
    pub confidence: f64,
    pub rows: Vec<PairedRow>,
}

// ---------------------------------------------------------------------------------------------
// Shared numerics (also used by ONEWAY).

/// Neumaier's compensated sum.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sum {
    s: f64,
    c: f64,
}

impl Sum {
    #[inline]
    pub(crate) fn add(&mut self, x: f64) {
        let t = self.s + x;
        if self.s.abs() >= x.abs() {
            self.c += (self.s - t) + x;
        } else {
            self.c += (x - t) + self.s;
        }
        self.s = t;
    }

    pub(crate) fn value(&self) -> f64 {
        self.s + self.c
    }
}

/// Count, mean, sum of squared deviations, minimum and maximum of some values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Moments {
    pub n: f64,
    pub mean: f64,
    /// Σ (x - mean)².
    pub ss: f64,
    pub min: f64,
    pub max: f64,
}

impl Moments {
    pub(crate) fn of(xs: &[f64]) -> Self {
        let n = xs.len() as f64;
        let mut s = Sum::default();
        let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
        for &x in xs {
            s.add(x);
            min = min.min(x);
            max = max.max(x);
        }
        let mut mean = s.value() / n;
        // Corrected two-pass: refine the mean by the mean deviation, then square deviations.
        let mut d = Sum::default();
        for &x in xs {
            d.add(x - mean);
        }
        mean += d.value() / n;
        let mut ss = Sum::default();
        for &x in xs {
            let e = x - mean;
            ss.add(e * e);
        }
        Moments {
            n,
            mean,
            ss: ss.value(),
            min,
            max,
        }
    }

    pub(crate) fn variance(&self) -> f64 {
        self.ss / (self.n - 1.0)
    }

    pub(crate) fn desc(&self) -> DescStats {
        let sd = self.variance().sqrt();
        DescStats {
            n: self.n,
            mean: self.mean,
            std_dev: sd,
            se_mean: sd / self.n.sqrt(),
        }
    }
}

/// The t value with P(T > t) = `tail` (0 < tail < 1), by bisection on the upper tail (no
/// `1 - p` anywhere, so small tails keep their precision).
pub(crate) fn t_upper(tail: f64, df: f64) -> f64 {
    if !(tail > 0.0 && tail < 1.0) || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if tail == 0.5 {
        return 0.0;
    }
    if tail > 0.5 {
        return -t_upper(1.0 - tail, df);
    }
    let mut hi = 1.0;
    while t_sf(hi, df) > tail {
        hi *= 2.0;
        if hi > 1e300 {
            return f64::INFINITY;
        }
    }
    let mut lo = 0.0;
    for _ in 0..2000 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if t_sf(mid, df) > tail {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// One-way ANOVA of groups: (SS between, SS within, F, sig) with k-1 and N-k df.
pub(crate) fn anova_f(groups: &[Moments]) -> (f64, f64, f64, f64) {
    let k = groups.len() as f64;
    let n: f64 = groups.iter().map(|g| g.n).sum();
    let mut total = Sum::default();
    for g in groups {
        total.add(g.n * g.mean);
    }
    let grand = total.value() / n;
    let mut ssb = Sum::default();
    let mut ssw = Sum::default();
    for g in groups {
        ssb.add(g.n * (g.mean - grand) * (g.mean - grand));
        ssw.add(g.ss);
    }
    let (ssb, ssw) = (ssb.value(), ssw.value());
    let f = (ssb / (k - 1.0)) / (ssw / (n - k));
    let sig = if f.is_nan() {
        f64::NAN
    } else {
        f_sf(f, k - 1.0, n - k)
    };
    (ssb, ssw, f, sig)
}

/// Levene's test with deviations from the group means (SPSS's T-TEST and ONEWAY).
pub(crate) fn levene(groups: &[&[f64]], moments: &[Moments]) -> Option<Levene> {
    let k = groups.len();
    let n: f64 = moments.iter().map(|m| m.n).sum();
    if k < 2 || n - k as f64 <= 0.0 {
        return None;
    }
    let z: Vec<Moments> = groups
        .iter()
        .zip(moments)
        .map(|(xs, m)| {
            let dev: Vec<f64> = xs.iter().map(|x| (x - m.mean).abs()).collect();
            Moments::of(&dev)
        })
        .collect();
    let (_, _, f, sig) = anova_f(&z);
    Some(Levene {
        f,
        df1: k as f64 - 1.0,
        df2: n - k as f64,
        sig,
    })
}

fn t_row(diff: f64, se: f64, df: f64, confidence: f64) -> TRow {
    let t = diff / se;
    let crit = t_upper(0.5 * (1.0 - confidence), df);
    TRow {
        t,
        df,
        sig: if t.is_nan() {
            f64::NAN
        } else {
            t_two_tailed(t, df)
        },
        mean_difference: diff,
        se_difference: se,
        ci_lower: diff - crit * se,
        ci_upper: diff + crit * se,
    }
}

/// Whether case `i` of a numeric column is valid (not system-missing, not user-missing unless
/// included).
pub(crate) fn num_valid(var: &Variable, xs: &[f64], i: usize, include_user: bool) -> bool {
    let x = xs[i];
    !x.is_nan() && (include_user || !var.missing.is_missing_num(x))
}

/// A numeric variable and its column.
pub(crate) fn numeric<'a>(
    ds: &'a Dataset,
    name: &str,
) -> Result<(&'a Variable, &'a [f64]), DataError> {
    let (v, c) = ds.var(name)?;
    match c {
        Column::Num(xs) => Ok((v, xs)),
        Column::Str(_) => Err(DataError::NotNumeric(name.to_string())),
    }
}

/// Per case: whether every one of `vars` is valid there (for /MISSING=LISTWISE).
pub(crate) fn listwise_mask(
    ds: &Dataset,
    vars: &[&str],
    include_user: bool,
) -> Result<Vec<bool>, DataError> {
    let mut mask = vec![true; ds.cases()];
    for name in vars {
        let i = ds.index(name)?;
        let var = &ds.variables[i];
        match &ds.columns[i] {
            Column::Num(xs) => {
                for (r, m) in mask.iter_mut().enumerate() {
                    *m = *m && num_valid(var, xs, r, include_user);
                }
            }
            Column::Str(ss) => {
                for (r, m) in mask.iter_mut().enumerate() {
                    *m = *m && (include_user || !var.missing.is_missing_str(&ss[r]));
                }
            }
        }
    }
    Ok(mask)
}

// ---------------------------------------------------------------------------------------------

/// One-sample t tests of each variable's mean against `test_value`.
pub fn ttest_one_sample(
    ds: &Dataset,
    vars: &[&str],
    test_value: f64,
    opts: &TTestOptions,
) -> Result<OneSampleResult, DataError> {
    ds.check()?;
    let inc = opts.include_user_missing;
    let mask = match opts.missing {
        MissingMode::Listwise => Some(listwise_mask(ds, vars, inc)?),
        MissingMode::Analysis => None,
    };
    let mut rows = Vec::new();
    for name in vars {
        let (var, xs) = numeric(ds, name)?;
        let vals: Vec<f64> = (0..xs.len())
            .filter(|&i| num_valid(var, xs, i, inc) && mask.as_ref().is_none_or(|m| m[i]))
            .map(|i| xs[i])
            .collect();
        let m = Moments::of(&vals);
        let d = m.desc();
        rows.push(OneSampleRow {
            var: VarInfo::of(var),
            stats: d,
            test: t_row(d.mean - test_value, d.se_mean, m.n - 1.0, opts.confidence),
        });
    }
    Ok(OneSampleResult {
        test_value,
        confidence: opts.confidence,
        rows,
    })
}

/// Independent-samples t tests of each variable between the two groups of `group_var`.
pub fn ttest_independent(
    ds: &Dataset,
    vars: &[&str],
    group_var: &str,
    groups: &Groups,
    opts: &TTestOptions,
) -> Result<IndependentResult, DataError> {
    ds.check()?;
    let inc = opts.include_user_missing;
    let gi = ds.index(group_var)?;
    let gvar = &ds.variables[gi];
    let gcol = &ds.columns[gi];
    // Group of each case: 0, 1, or none.
    let membership: Vec<Option<u8>> = match (groups, gcol) {
        (Groups::CutPoint(cut), Column::Num(xs)) => (0..xs.len())
            .map(|i| num_valid(gvar, xs, i, inc).then(|| if xs[i] >= *cut { 0 } else { 1 }))
            .collect(),
        (Groups::CutPoint(_), Column::Str(_)) => {
            return Err(DataError::NotNumeric(group_var.to_string()));
        }
        (Groups::Values(a, b), Column::Num(xs)) => {
            let (a, b) = (num_of(a), num_of(b));
            (0..xs.len())
                .map(|i| {
                    if !num_valid(gvar, xs, i, inc) {
                        None
                    } else if Some(xs[i]) == a {
                        Some(0)
                    } else if Some(xs[i]) == b {
                        Some(1)
                    } else {
                        None
                    }
                })
                .collect()
        }
        (Groups::Values(a, b), Column::Str(ss)) => ss
            .iter()
            .map(|s| {
                let s = s.trim_end();
                if !inc && gvar.missing.is_missing_str(s) {
                    None
                } else if str_of(a) == Some(s) {
                    Some(0)
                } else if str_of(b) == Some(s) {
                    Some(1)
                } else {
                    None
                }
            })
            .collect(),
    };
    let mask = match opts.missing {
        MissingMode::Listwise => {
            let mut all: Vec<&str> = vars.to_vec();
            all.push(group_var);
            Some(listwise_mask(ds, &all, inc)?)
        }
        MissingMode::Analysis => None,
    };
    let mut rows = Vec::new();
    for name in vars {
        let (var, xs) = numeric(ds, name)?;
        let mut g: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
        for (i, m) in membership.iter().enumerate() {
            if let Some(k) = m
                && num_valid(var, xs, i, inc)
                && mask.as_ref().is_none_or(|m| m[i])
            {
                g[*k as usize].push(xs[i]);
            }
        }
        let m1 = Moments::of(&g[0]);
        let m2 = Moments::of(&g[1]);
        let (v1, v2) = (m1.variance(), m2.variance());
        let diff = m1.mean - m2.mean;
        let ok = m1.n >= 1.0 && m2.n >= 1.0 && m1.n + m2.n > 2.0;
        let equal = ok.then(|| {
            let df = m1.n + m2.n - 2.0;
            let sp2 = (m1.ss + m2.ss) / df;
            t_row(
                diff,
                (sp2 * (1.0 / m1.n + 1.0 / m2.n)).sqrt(),
                df,
                opts.confidence,
            )
        });
        let unequal = (m1.n >= 2.0 && m2.n >= 2.0).then(|| {
            let (a, b) = (v1 / m1.n, v2 / m2.n);
            let se2 = a + b;
            let df = se2 * se2 / (a * a / (m1.n - 1.0) + b * b / (m2.n - 1.0));
            t_row(diff, se2.sqrt(), df, opts.confidence)
        });
        let levene = if m1.n >= 1.0 && m2.n >= 1.0 {
            levene(&[&g[0], &g[1]], &[m1, m2])
        } else {
            None
        };
        rows.push(IndependentRow {
            var: VarInfo::of(var),
            group1: m1.desc(),
            group2: m2.desc(),
            levene,
            equal_variances: equal,
            unequal_variances: unequal,
        });
    }
    let group_labels = match groups {
        Groups::Values(a, b) => [
            Category::of(gvar, a.clone()).text,
            Category::of(gvar, b.clone()).text,
        ],
        Groups::CutPoint(c) => {
            let c = crate::crosstabs::format_value(gvar, &Value::Num(*c));
            [format!(">= {c}"), format!("< {c}")]
        }
    };
    Ok(IndependentResult {
        group_var: VarInfo::of(gvar),
        groups: groups.clone(),
        group_labels,
        confidence: opts.confidence,
        rows,
    })
}

fn num_of(v: &Value) -> Option<f64> {
    match v {
        Value::Num(x) => Some(*x),
        Value::Str(s) => s.trim().parse().ok(),
    }
}

fn str_of(v: &Value) -> Option<&str> {
    match v {
        Value::Str(s) => Some(s.trim_end()),
        Value::Num(_) => None,
    }
}

/// Paired-samples t tests of first - second for each pair.
pub fn ttest_paired(
    ds: &Dataset,
    pairs: &[(&str, &str)],
    opts: &TTestOptions,
) -> Result<PairedResult, DataError> {
    ds.check()?;
    let inc = opts.include_user_missing;
    let mask = match opts.missing {
        MissingMode::Listwise => {
            let all: Vec<&str> = pairs.iter().flat_map(|(a, b)| [*a, *b]).collect();
            Some(listwise_mask(ds, &all, inc)?)
        }
        MissingMode::Analysis => None,
    };
    let mut rows = Vec::new();
    for (a, b) in pairs {
        let (va, xa) = numeric(ds, a)?;
        let (vb, xb) = numeric(ds, b)?;
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for i in 0..xa.len() {
            if num_valid(va, xa, i, inc)
                && num_valid(vb, xb, i, inc)
                && mask.as_ref().is_none_or(|m| m[i])
            {
                x.push(xa[i]);
                y.push(xb[i]);
            }
        }
        let mx = Moments::of(&x);
        let my = Moments::of(&y);
        let diffs: Vec<f64> = x.iter().zip(&y).map(|(p, q)| p - q).collect();
        let md = Moments::of(&diffs);
        let mut sxy = Sum::default();
        for (p, q) in x.iter().zip(&y) {
            sxy.add((p - mx.mean) * (q - my.mean));
        }
        let r = (sxy.value() / (mx.ss * my.ss).sqrt()).clamp(-1.0, 1.0);
        let n = mx.n;
        let r_sig = if n > 2.0 {
            if r.abs() >= 1.0 {
                0.0
            } else {
                t_two_tailed(r * ((n - 2.0) / (1.0 - r * r)).sqrt(), n - 2.0)
            }
        } else {
            f64::NAN
        };
        let d = md.desc();
        rows.push(PairedRow {
            first: VarInfo::of(va),
            second: VarInfo::of(vb),
            first_stats: mx.desc(),
            second_stats: my.desc(),
            correlation: r,
            correlation_sig: r_sig,
            differences: d,
            test: t_row(d.mean, d.se_mean, n - 1.0, opts.confidence),
        });
    }
    Ok(PairedResult {
        confidence: opts.confidence,
        rows,
    })
}

// ---------------------------------------------------------------------------------------------
// Tables.

/// Decimals SPSS shows for a variable's means (its own decimals + 2) and spreads (+ 3).
pub(crate) fn mean_dec(v: &VarInfo) -> u8 {
    v.decimals.saturating_add(2).min(12)
}

pub(crate) fn sd_dec(v: &VarInfo) -> u8 {
    v.decimals.saturating_add(3).min(12)
}

fn df_cell(df: f64) -> Cell {
    if df.fract() == 0.0 {
        Cell::Num(Some(df), 0)
    } else {
        Cell::Num(Some(df), 3)
    }
}

fn ci_label(confidence: f64) -> String {
    format!(
        "{}% Confidence Interval of the Difference",
        fmt_pct(confidence)
    )
}

pub(crate) fn fmt_pct(confidence: f64) -> String {
    let p = confidence * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{}", p.round())
    } else {
        format!("{p}")
    }
}

fn test_cells(t: &TRow, v: &VarInfo) -> Vec<Cell> {
    vec![
        Cell::Num(Some(t.t), 3),
        df_cell(t.df),
        Cell::Num(Some(t.sig), 3),
        Cell::Num(Some(t.mean_difference), mean_dec(v)),
        Cell::Num(Some(t.se_difference), sd_dec(v)),
        Cell::Num(Some(t.ci_lower), mean_dec(v)),
        Cell::Num(Some(t.ci_upper), mean_dec(v)),
    ]
}

fn desc_cells(d: &DescStats, v: &VarInfo) -> Vec<Cell> {
    vec![
        Cell::Count(d.n),
        Cell::Num(Some(d.mean), mean_dec(v)),
        Cell::Num(Some(d.std_dev), sd_dec(v)),
        Cell::Num(Some(d.se_mean), sd_dec(v)),
    ]
}

impl OneSampleResult {
    /// One-Sample Statistics and One-Sample Test.
    pub fn to_tables(&self) -> Vec<Table> {
        let stats = Table {
            title: "One-Sample Statistics".into(),
            columns: vec![
                String::new(),
                "N".into(),
                "Mean".into(),
                "Std. Deviation".into(),
                "Std. Error Mean".into(),
            ],
            rows: self
                .rows
                .iter()
                .map(|r| {
                    let mut row = vec![Cell::text(r.var.shown())];
                    row.extend(desc_cells(&r.stats, &r.var));
                    row
                })
                .collect(),
            notes: Vec::new(),
        };
        let ci = ci_label(self.confidence);
        let test = Table {
            title: format!("One-Sample Test (Test Value = {})", self.test_value),
            columns: vec![
                String::new(),
                "t".into(),
                "df".into(),
                "Sig. (2-tailed)".into(),
                "Mean Difference".into(),
                format!("{ci}: Lower"),
                format!("{ci}: Upper"),
            ],
            rows: self
                .rows
                .iter()
                .map(|r| {
                    let mut row = vec![Cell::text(r.var.shown())];
                    let mut cells = test_cells(&r.test, &r.var);
                    cells.remove(4); // SPSS's one-sample table has no standard error column
                    row.extend(cells);
                    row
                })
                .collect(),
            notes: Vec::new(),
        };
        vec![stats, test]
    }
}

impl IndependentResult {
    /// Group Statistics and Independent Samples Test.
    pub fn to_tables(&self) -> Vec<Table> {
        let mut stats_rows = Vec::new();
        for r in &self.rows {
            for (k, d) in [&r.group1, &r.group2].into_iter().enumerate() {
                let mut row = vec![
                    Cell::text(if k == 0 { r.var.shown() } else { "" }),
                    Cell::text(format!(
                        "{}: {}",
                        self.group_var.shown(),
                        self.group_labels[k]
                    )),
                ];
                row.extend(desc_cells(d, &r.var));
                stats_rows.push(row);
            }
        }
        let stats = Table {
            title: "Group Statistics".into(),
            columns: vec![
                String::new(),
                self.group_var.shown().to_string(),
                "N".into(),
                "Mean".into(),
                "Std. Deviation".into(),
                "Std. Error Mean".into(),
            ],
            rows: stats_rows,
            notes: Vec::new(),
        };
        let ci = ci_label(self.confidence);
        let mut rows = Vec::new();
        for r in &self.rows {
            for (k, (name, t)) in [
                ("Equal variances assumed", &r.equal_variances),
                ("Equal variances not assumed", &r.unequal_variances),
            ]
            .into_iter()
            .enumerate()
            {
                let mut row = vec![
                    Cell::text(if k == 0 { r.var.shown() } else { "" }),
                    Cell::text(name),
                ];
                match (k, &r.levene) {
                    (0, Some(l)) => {
                        row.push(Cell::Num(Some(l.f), 3));
                        row.push(Cell::Num(Some(l.sig), 3));
                    }
                    _ => {
                        row.push(Cell::Empty);
                        row.push(Cell::Empty);
                    }
                }
                match t {
                    Some(t) => row.extend(test_cells(t, &r.var)),
                    None => row.extend(std::iter::repeat_n(Cell::Empty, 7)),
                }
                rows.push(row);
            }
        }
        let test = Table {
            title: "Independent Samples Test".into(),
            columns: vec![
                String::new(),
                String::new(),
                "Levene's Test for Equality of Variances: F".into(),
                "Levene's Test for Equality of Variances: Sig.".into(),
                "t".into(),
                "df".into(),
                "Sig. (2-tailed)".into(),
                "Mean Difference".into(),
                "Std. Error Difference".into(),
                format!("{ci}: Lower"),
                format!("{ci}: Upper"),
            ],
            rows,
            notes: Vec::new(),
        };
        vec![stats, test]
    }
}

impl PairedResult {
    /// Paired Samples Statistics, Paired Samples Correlations and Paired Samples Test.
    pub fn to_tables(&self) -> Vec<Table> {
        let mut stats_rows = Vec::new();
        let mut corr_rows = Vec::new();
        let mut test_rows = Vec::new();
        for (p, r) in self.rows.iter().enumerate() {
            let pair = format!("Pair {}", p + 1);
            for (k, (v, d)) in [(&r.first, &r.first_stats), (&r.second, &r.second_stats)]
                .into_iter()
                .enumerate()
            {
                let mut row = vec![
                    Cell::text(if k == 0 { pair.as_str() } else { "" }),
                    Cell::text(v.shown()),
                ];
                row.push(Cell::Num(Some(d.mean), mean_dec(v)));
                row.push(Cell::Count(d.n));
                row.push(Cell::Num(Some(d.std_dev), sd_dec(v)));
                row.push(Cell::Num(Some(d.se_mean), sd_dec(v)));
                stats_rows.push(row);
            }
            let name = format!("{} & {}", r.first.shown(), r.second.shown());
            corr_rows.push(vec![
                Cell::text(pair.as_str()),
                Cell::text(name),
                Cell::Count(r.first_stats.n),
                Cell::Num(Some(r.correlation), 3),
                Cell::Num(Some(r.correlation_sig), 3),
            ]);
            let v = &r.first;
            test_rows.push(vec![
                Cell::text(pair.as_str()),
                Cell::text(format!("{} - {}", r.first.shown(), r.second.shown())),
                Cell::Num(Some(r.differences.mean), mean_dec(v)),
                Cell::Num(Some(r.differences.std_dev), sd_dec(v)),
                Cell::Num(Some(r.differences.se_mean), sd_dec(v)),
                Cell::Num(Some(r.test.ci_lower), mean_dec(v)),
                Cell::Num(Some(r.test.ci_upper), mean_dec(v)),
                Cell::Num(Some(r.test.t), 3),
                df_cell(r.test.df),
                Cell::Num(Some(r.test.sig), 3),
            ]);
        }
        let ci = ci_label(self.confidence);
        vec![
            Table {
                title: "Paired Samples Statistics".into(),
                columns: vec![
                    String::new(),
                    String::new(),
                    "Mean".into(),
                    "N".into(),
                    "Std. Deviation".into(),
                    "Std. Error Mean".into(),
                ],
                rows: stats_rows,
                notes: Vec::new(),
            },
            Table {
                title: "Paired Samples Correlations".into(),
                columns: vec![
                    String::new(),
                    String::new(),
                    "N".into(),
                    "Correlation".into(),
                    "Sig.".into(),
                ],
                rows: corr_rows,
                notes: Vec::new(),
            },
            Table {
                title: "Paired Samples Test".into(),
                columns: vec![
                    String::new(),
                    String::new(),
                    "Paired Differences: Mean".into(),
                    "Paired Differences: Std. Deviation".into(),
                    "Paired Differences: Std. Error Mean".into(),
                    format!("Paired Differences: {ci}: Lower"),
                    format!("Paired Differences: {ci}: Upper"),
                    "t".into(),
                    "df".into(),
                    "Sig. (2-tailed)".into(),
                ],
                rows: test_rows,
                notes: Vec::new(),
            },
        ]
    }
}
