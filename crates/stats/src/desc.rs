//! DESCRIPTIVES: N, mean and its standard error, standard deviation, variance, skewness and
//! kurtosis with their standard errors, range, minimum, maximum and sum, with SPSS's formulas;
//! the listwise "Valid N"; standardized values (z-scores) on request.
//!
//! Each variable takes two passes over its column (sums, then central moments about the mean,
//! both compensated), variables in parallel. Missing values are excluded variable by variable
//! (SPSS's default) or listwise.

use serde::{Deserialize, Serialize};

use crate::data::{Column, DataError, Dataset};
use crate::table::{Cell, Table};
use crate::univar::{self, MissTest, Moments};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DescOptions {
    /// Treat user-missing values as valid (SPSS /MISSING=INCLUDE).
    pub include_user_missing: bool,
    /// Use only cases valid on every variable (SPSS /MISSING=LISTWISE); by default each
    /// variable uses all its valid cases.
    pub listwise: bool,
}

/// DESCRIPTIVES statistics of one variable. `None` where SPSS shows a system-missing value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DescStats {
    pub variable: String,
    pub label: Option<String>,
    /// The variable's display decimals.
    pub decimals: u8,
    pub n: f64,
    pub mean: Option<f64>,
    pub se_mean: Option<f64>,
    pub std_dev: Option<f64>,
    pub variance: Option<f64>,
    pub skewness: Option<f64>,
    pub se_skewness: Option<f64>,
    pub kurtosis: Option<f64>,
    pub se_kurtosis: Option<f64>,
    pub range: Option<f64>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub sum: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DescResult {
    pub variables: Vec<DescStats>,
    /// Cases valid on every variable ("Valid N (listwise)").
    pub valid_n_listwise: f64,
    /// All cases.
    pub total: f64,
    pub options: DescOptions,
}

fn numeric_cols<'a>(ds: &'a Dataset, vars: &[&str]) -> Result<Vec<(usize, &'a [f64])>, DataError> {
    ds.check()?;
    vars.iter()
        .map(|v| {
            let i = ds.index(v)?;
            match &ds.columns[i] {
                Column::Num(xs) => Ok((i, xs.as_slice())),
                Column::Str(_) => Err(DataError::NotNumeric(ds.variables[i].name.clone())),
            }
        })
        .collect()
}

/// Per variable, its moments (over its own valid values) and which cases are valid (bits).
fn per_variable(ds: &Dataset, cols: &[(usize, &[f64])], include: bool) -> Vec<(Moments, Vec<u64>)> {
    univar::par_map(cols.len(), ds.cases() * cols.len(), |k| {
        let (i, xs) = cols[k];
        Moments::of_column(xs, &MissTest::for_var(&ds.variables[i], include), true)
    })
}

/// The cases valid on every variable, as bits.
fn and_bits(n: usize, per_var: &[(Moments, Vec<u64>)]) -> Vec<u64> {
    let mut all = vec![!0u64; n.div_ceil(64)];
    if !n.is_multiple_of(64)
        && let Some(last) = all.last_mut()
    {
        *last = (1u64 << (n % 64)) - 1;
    }
    for (_, bits) in per_var {
        for (a, b) in all.iter_mut().zip(bits) {
            *a &= b;
        }
    }
    all
}

#[inline]
fn bit(bits: &[u64], i: usize) -> bool {
    (bits[i / 64] >> (i % 64)) & 1 == 1
}

/// DESCRIPTIVES of numeric `vars`.
pub fn descriptives(
    ds: &Dataset,
    vars: &[&str],
    opts: &DescOptions,
) -> Result<DescResult, DataError> {
    let cols = numeric_cols(ds, vars)?;
    let n = ds.cases();
    let per_var = per_variable(ds, &cols, opts.include_user_missing);
    let lw = and_bits(n, &per_var);
    let valid_n: u32 = lw.iter().map(|w| w.count_ones()).sum();
    let masked = if opts.listwise {
        univar::par_map(cols.len(), n * cols.len(), |k| {
            Moments::of_masked(cols[k].1, &lw)
        })
    } else {
        Vec::new()
    };
    let stats = (0..cols.len()).map(|k| {
        let (i, _) = cols[k];
        let var = &ds.variables[i];
        let m = if opts.listwise {
            masked[k]
        } else {
            per_var[k].0
        };
        let s = m.spss();
        DescStats {
            variable: var.name.clone(),
            label: var.label.clone(),
            decimals: var.decimals,
            n: m.n,
            mean: s.mean,
            se_mean: s.se_mean,
            std_dev: s.std_dev,
            variance: s.variance,
            skewness: s.skewness,
            se_skewness: s.se_skewness,
            kurtosis: s.kurtosis,
            se_kurtosis: s.se_kurtosis,
            range: s.range,
            minimum: s.minimum,
            maximum: s.maximum,
            sum: if m.n > 0.0 { s.sum } else { None },
        }
    });
    Ok(DescResult {
        variables: stats.collect(),
        valid_n_listwise: valid_n as f64,
        total: n as f64,
        options: *opts,
    })
}

/// Standardized values of `var`, (x - mean) / std dev with the mean and standard deviation
/// DESCRIPTIVES reports; `None` for missing values (and for every case when the standard
/// deviation is 0 or undefined), as SPSS's /SAVE. With `opts.listwise`, `others` are the
/// other variables of the listwise set (cases missing on any of them get `None`).
pub fn zscores(
    ds: &Dataset,
    var: &str,
    others: &[&str],
    opts: &DescOptions,
) -> Result<Vec<Option<f64>>, DataError> {
    let mut vars = vec![var];
    vars.extend(others.iter().filter(|o| !o.eq_ignore_ascii_case(var)));
    let cols = numeric_cols(ds, &vars)?;
    let (_, xs) = cols[0];
    let cols = if opts.listwise { &cols[..] } else { &cols[..1] };
    let lw = and_bits(
        ds.cases(),
        &per_variable(ds, cols, opts.include_user_missing),
    );
    let m = Moments::of_masked(xs, &lw);
    let (mean, sd) = (m.mean, m.spss().std_dev);
    Ok(xs
        .iter()
        .enumerate()
        .map(|(r, &x)| match sd {
            Some(s) if s > 0.0 && bit(&lw, r) => Some((x - mean) / s),
            _ => None,
        })
        .collect())
}

/// The names SPSS gives the z-scores of `vars`: `Z` and the name when that is free (and at
/// most 64 bytes), else ZSC001..ZSC099, STDZ01..STDZ09, ZZZZ01..ZZZZ09, ZQZQ01..ZQZQ09.
pub fn zscore_names(ds: &Dataset, vars: &[&str]) -> Vec<String> {
    let mut taken: Vec<String> = ds.variables.iter().map(|v| v.name.to_lowercase()).collect();
    let fallback = (1..=99)
        .map(|i| format!("ZSC{i:03}"))
        .chain((1..=9).map(|i| format!("STDZ{i:02}")))
        .chain((1..=9).map(|i| format!("ZZZZ{i:02}")))
        .chain((1..=9).map(|i| format!("ZQZQ{i:02}")));
    let mut fallback = fallback.collect::<Vec<_>>().into_iter();
    vars.iter()
        .map(|v| {
            let name = ds
                .index(v)
                .map(|i| ds.variables[i].name.clone())
                .unwrap_or_else(|_| v.to_string());
            let z = format!("Z{name}");
            let pick = if z.len() <= 64 && !taken.contains(&z.to_lowercase()) {
                z
            } else {
                fallback
                    .by_ref()
                    .find(|f| !taken.contains(&f.to_lowercase()))
                    .unwrap_or_else(|| format!("Z{}", taken.len()))
            };
            taken.push(pick.to_lowercase());
            pick
        })
        .collect()
}

impl DescResult {
    /// SPSS's "Descriptive Statistics" table (all statistics) with the "Valid N (listwise)"
    /// row.
    pub fn to_tables(&self) -> Vec<Table> {
        let columns = [
            "",
            "N",
            "Range",
            "Minimum",
            "Maximum",
            "Sum",
            "Mean",
            "Mean Std. Error",
            "Std. Deviation",
            "Variance",
            "Skewness",
            "Skewness Std. Error",
            "Kurtosis",
            "Kurtosis Std. Error",
        ];
        let mut t = Table {
            title: "Descriptive Statistics".into(),
            columns: columns.iter().map(|s| s.to_string()).collect(),
            ..Table::default()
        };
        for s in &self.variables {
            let d = |plus: u8| s.decimals.saturating_add(plus).min(16);
            let num = |x: Option<f64>, dd: u8| Cell::Num(Some(x.unwrap_or(f64::NAN)), dd);
            t.rows.push(vec![
                Cell::text(univar::var_title(&s.variable, &s.label)),
                Cell::Count(s.n),
                num(s.range, d(0)),
                num(s.minimum, d(0)),
                num(s.maximum, d(0)),
                num(s.sum, d(0)),
                num(s.mean, d(2)),
                num(s.se_mean, d(3)),
                num(s.std_dev, d(3)),
                num(s.variance, d(3)),
                num(s.skewness, 3),
                num(s.se_skewness, 3),
                num(s.kurtosis, 3),
                num(s.se_kurtosis, 3),
            ]);
        }
        let mut last = vec![
            Cell::text("Valid N (listwise)"),
            Cell::Count(self.valid_n_listwise),
        ];
        last.resize(columns.len(), Cell::Empty);
        t.rows.push(last);
        vec![t]
    }
}
