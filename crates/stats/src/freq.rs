//! FREQUENCIES: a frequency table per variable (valid values, user-missing values by value,
//! system-missing as one row) and summary statistics with SPSS's formulas.
//!
//! Counting needs no allocation per case: values with few decimals (codes, counts, amounts)
//! are counted in an array indexed by value when their range is small, else radix-sorted as
//! scaled integers; other columns go through a hash map keyed by the value's bits or a radix
//! sort of those; variables run in parallel. Statistics are then computed from the (value,
//! count) table: compensated two-pass moments over the distinct values. The table is kept as
//! that (value, count) list (16 bytes a row for numbers); rows with labels and percentages are
//! views ([`FreqResult::valid_rows`]) and are what the JSON holds.

use serde::Deserialize;
use serde::ser::{Serialize, Serializer};

use crate::data::{Column, DataError, Dataset, Value};
use crate::table::{Cell, Table};
pub use crate::univar::PercentileMethod;
use crate::univar::{self, Labels, MissTest, Moments};

/// The order of rows in a frequency table (SPSS's /FORMAT=AVALUE, DVALUE, AFREQ, DFREQ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, Deserialize)]
pub enum FreqOrder {
    #[default]
    AscendingValue,
    DescendingValue,
    /// Ascending frequency; equal frequencies by ascending value.
    AscendingFrequency,
    /// Descending frequency; equal frequencies by ascending value.
    DescendingFrequency,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize)]
pub struct FreqOptions {
    /// Percentiles to compute, in percent (`25.0`); SPSS's /PERCENTILES.
    pub percentiles: Vec<f64>,
    /// How percentiles (and the median) interpolate: SPSS's HAVERAGE by default.
    pub method: PercentileMethod,
    pub order: FreqOrder,
    /// Treat user-missing values as valid (SPSS /MISSING=INCLUDE).
    pub include_user_missing: bool,
    /// Leave out the rows of tables with more than this many distinct values (SPSS
    /// /FORMAT=LIMIT(n)); statistics are still computed.
    pub limit: Option<usize>,
}

impl Default for FreqOptions {
    fn default() -> Self {
        FreqOptions {
            percentiles: Vec::new(),
            method: PercentileMethod::HAverage,
            order: FreqOrder::AscendingValue,
            include_user_missing: false,
            limit: None,
        }
    }
}

/// The values of a frequency table with their counts, in table order.
#[derive(Debug, Clone, PartialEq)]
pub enum Counts {
    Num(Vec<(f64, f64)>),
    Str(Vec<(String, f64)>),
}

impl Counts {
    pub fn len(&self) -> usize {
        match self {
            Counts::Num(v) => v.len(),
            Counts::Str(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of row `i`.
    pub fn value(&self, i: usize) -> Value {
        match self {
            Counts::Num(v) => Value::Num(v[i].0),
            Counts::Str(v) => Value::Str(v[i].0.clone()),
        }
    }

    /// The count of row `i`.
    pub fn count(&self, i: usize) -> f64 {
        match self {
            Counts::Num(v) => v[i].1,
            Counts::Str(v) => v[i].1,
        }
    }

    fn label<'a>(&self, i: usize, labels: &Labels<'a>) -> Option<&'a str> {
        match self {
            Counts::Num(v) => labels.num(v[i].0),
            Counts::Str(v) => labels.text(&v[i].0),
        }
    }

    fn clear(&mut self) {
        match self {
            Counts::Num(v) => v.clear(),
            Counts::Str(v) => v.clear(),
        }
    }
}

/// One row of a frequency table (a view of a [`FreqResult`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FreqRow<'a> {
    pub value: Value,
    pub label: Option<&'a str>,
    pub frequency: f64,
    /// Of all cases.
    pub percent: f64,
    /// Of valid cases (valid rows only).
    pub valid_percent: Option<f64>,
    /// Cumulative valid percent in table order (valid rows only).
    pub cumulative_percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize)]
pub struct Percentile {
    /// In percent (25.0).
    pub percent: f64,
    pub value: Option<f64>,
}

/// FREQUENCIES statistics of a numeric variable over its valid values. `None` where SPSS
/// shows a system-missing value (e.g. the variance of one case).
#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize)]
pub struct FreqStats {
    pub mean: Option<f64>,
    pub se_mean: Option<f64>,
    pub median: Option<f64>,
    /// The most frequent value; the smallest of them when several are (SPSS).
    pub mode: Option<f64>,
    pub multiple_modes: bool,
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
    pub percentiles: Vec<Percentile>,
}

/// FREQUENCIES of one variable. Serialises with its rows in full (value, label, frequency,
/// percent, valid percent, cumulative percent).
#[derive(Debug, Clone, PartialEq)]
pub struct FreqResult {
    pub variable: String,
    pub label: Option<String>,
    /// The variable's display decimals.
    pub decimals: u8,
    pub n_valid: f64,
    /// User-missing and system-missing cases.
    pub n_missing: f64,
    pub total: f64,
    /// Valid values and their counts, in the requested order.
    pub valid: Counts,
    /// User-missing values and their counts, in the requested order.
    pub user_missing: Counts,
    /// System-missing cases (numeric variables only).
    pub system_missing: f64,
    /// Whether the rows were left out because of [`FreqOptions::limit`].
    pub table_omitted: bool,
    /// Summary statistics (numeric variables only).
    pub statistics: Option<FreqStats>,
    /// The variable's value labels (the rows' labels come from here).
    pub value_labels: Vec<(Value, String)>,
}

impl FreqResult {
    fn rows<'a>(
        &'a self,
        counts: &'a Counts,
        valid: bool,
    ) -> impl Iterator<Item = FreqRow<'a>> + 'a {
        let labels = Labels::from_pairs(&self.value_labels);
        let mut cum = 0.0;
        (0..counts.len()).map(move |i| {
            let c = counts.count(i);
            cum += c;
            let w = self.n_valid;
            FreqRow {
                value: counts.value(i),
                label: counts.label(i, &labels),
                frequency: c,
                percent: c / self.total * 100.0,
                valid_percent: valid.then(|| c / w * 100.0),
                cumulative_percent: valid.then(|| cum / w * 100.0),
            }
        })
    }

    /// The rows of valid values, in table order.
    pub fn valid_rows(&self) -> impl Iterator<Item = FreqRow<'_>> + '_ {
        self.rows(&self.valid, true)
    }

    /// The rows of user-missing values, in table order.
    pub fn missing_rows(&self) -> impl Iterator<Item = FreqRow<'_>> + '_ {
        self.rows(&self.user_missing, false)
    }
}

struct RowsSer<'a>(&'a FreqResult, bool);

impl Serialize for RowsSer<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.1 {
            s.collect_seq(self.0.valid_rows())
        } else {
            s.collect_seq(self.0.missing_rows())
        }
    }
}

#[derive(serde::Serialize)]
struct FreqResultSer<'a> {
    variable: &'a str,
    label: &'a Option<String>,
    decimals: u8,
    n_valid: f64,
    n_missing: f64,
    total: f64,
    valid: RowsSer<'a>,
    user_missing: RowsSer<'a>,
    system_missing: f64,
    table_omitted: bool,
    statistics: &'a Option<FreqStats>,
}

impl Serialize for FreqResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        FreqResultSer {
            variable: &self.variable,
            label: &self.label,
            decimals: self.decimals,
            n_valid: self.n_valid,
            n_missing: self.n_missing,
            total: self.total,
            valid: RowsSer(self, true),
            user_missing: RowsSer(self, false),
            system_missing: self.system_missing,
            table_omitted: self.table_omitted,
            statistics: &self.statistics,
        }
        .serialize(s)
    }
}

/// FREQUENCIES of `vars`, one result per variable, in order.
pub fn frequencies(
    ds: &Dataset,
    vars: &[&str],
    opts: &FreqOptions,
) -> Result<Vec<FreqResult>, DataError> {
    ds.check()?;
    let idx = vars
        .iter()
        .map(|v| ds.index(v))
        .collect::<Result<Vec<_>, _>>()?;
    let work = ds.cases().saturating_mul(idx.len());
    Ok(univar::par_map(idx.len(), work, |k| one(ds, idx[k], opts)))
}

fn one(ds: &Dataset, i: usize, opts: &FreqOptions) -> FreqResult {
    let var = &ds.variables[i];
    let total = ds.cases() as f64;
    let (mut valid, mut missing, sysmis, stats) = match &ds.columns[i] {
        Column::Num(xs) => {
            let (mut valid, nan) = univar::tally_numeric(xs);
            let miss = MissTest::for_var(var, opts.include_user_missing);
            let missing = miss.split_sorted(&mut valid);
            let stats = num_stats(&valid, opts);
            (Counts::Num(valid), Counts::Num(missing), nan, Some(stats))
        }
        Column::Str(ss) => {
            let mut valid = univar::tally_strings(ss);
            let is_miss = |s: &str| !opts.include_user_missing && var.missing.is_missing_str(s);
            let missing: Vec<(String, f64)> =
                valid.iter().filter(|(s, _)| is_miss(s)).cloned().collect();
            valid.retain(|(s, _)| !is_miss(s));
            (Counts::Str(valid), Counts::Str(missing), 0.0, None)
        }
    };
    let sum = |c: &Counts| (0..c.len()).map(|i| c.count(i)).sum::<f64>();
    let (n_valid, n_user) = (sum(&valid), sum(&missing));
    let omitted = opts.limit.is_some_and(|l| valid.len() + missing.len() > l);
    if omitted {
        valid.clear();
        missing.clear();
    } else {
        reorder(&mut valid, opts.order);
        reorder(&mut missing, opts.order);
    }
    FreqResult {
        variable: var.name.clone(),
        label: var.label.clone(),
        decimals: var.decimals,
        n_valid,
        n_missing: n_user + sysmis,
        total,
        valid,
        user_missing: missing,
        system_missing: sysmis,
        table_omitted: omitted,
        statistics: stats,
        value_labels: var.value_labels.clone(),
    }
}

/// Puts an ascending table in the requested order (equal frequencies stay by ascending value:
/// the sorts are stable).
fn reorder(c: &mut Counts, order: FreqOrder) {
    fn apply<T>(v: &mut [(T, f64)], order: FreqOrder) {
        match order {
            FreqOrder::AscendingValue => {}
            FreqOrder::DescendingValue => v.reverse(),
            FreqOrder::AscendingFrequency => v.sort_by(|a, b| a.1.total_cmp(&b.1)),
            FreqOrder::DescendingFrequency => v.sort_by(|a, b| b.1.total_cmp(&a.1)),
        }
    }
    match c {
        Counts::Num(v) => apply(v, order),
        Counts::Str(v) => apply(v, order),
    }
}

/// Statistics from the ascending tally of valid values.
fn num_stats(valid: &[(f64, f64)], opts: &FreqOptions) -> FreqStats {
    let m = Moments::of_counts(valid);
    let s = m.spss();
    let w = m.n;
    let mut ps: Vec<f64> = opts.percentiles.iter().map(|p| p / 100.0).collect();
    ps.push(0.5);
    let mut pv = univar::percentiles(valid, w, &ps, opts.method);
    let median = pv.pop().flatten();
    let mut mode = None;
    let mut best = 0.0;
    let mut ties = 0;
    for &(v, c) in valid {
        if c > best {
            best = c;
            mode = Some(v);
            ties = 1;
        } else if c == best {
            ties += 1;
        }
    }
    FreqStats {
        mean: s.mean,
        se_mean: s.se_mean,
        median,
        mode,
        multiple_modes: ties > 1,
        std_dev: s.std_dev,
        variance: s.variance,
        skewness: s.skewness,
        se_skewness: s.se_skewness,
        kurtosis: s.kurtosis,
        se_kurtosis: s.se_kurtosis,
        range: s.range,
        minimum: s.minimum,
        maximum: s.maximum,
        sum: if w > 0.0 { s.sum } else { None },
        percentiles: opts
            .percentiles
            .iter()
            .zip(pv)
            .map(|(&p, value)| Percentile { percent: p, value })
            .collect(),
    }
}

fn dec(d: u8, plus: u8) -> u8 {
    d.saturating_add(plus).min(16)
}

/// A percent as SPSS labels it ("25", "33.3").
fn percent_label(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{p:.0}")
    } else {
        format!("{p}")
    }
}

/// SPSS's tables for FREQUENCIES: one "Statistics" table with a column per variable, then a
/// frequency table per variable.
pub fn frequencies_tables(results: &[FreqResult]) -> Vec<Table> {
    let mut tables = Vec::new();
    if results.is_empty() {
        return tables;
    }
    let mut st = Table {
        title: "Statistics".into(),
        columns: ["", ""]
            .iter()
            .map(|s| s.to_string())
            .chain(
                results
                    .iter()
                    .map(|r| univar::var_title(&r.variable, &r.label)),
            )
            .collect(),
        ..Table::default()
    };
    let row = |a: &str, b: &str, f: &dyn Fn(&FreqResult) -> Cell| -> Vec<Cell> {
        [Cell::text(a), Cell::text(b)]
            .into_iter()
            .chain(results.iter().map(f))
            .collect()
    };
    st.rows.push(row("N", "Valid", &|r| Cell::Count(r.n_valid)));
    st.rows
        .push(row("", "Missing", &|r| Cell::Count(r.n_missing)));
    type Get = fn(&FreqStats) -> Option<f64>;
    let lines: [(&str, Get, Option<u8>); 14] = [
        ("Mean", |s| s.mean, Some(2)),
        ("Std. Error of Mean", |s| s.se_mean, Some(3)),
        ("Median", |s| s.median, Some(2)),
        ("Mode", |s| s.mode, Some(0)),
        ("Std. Deviation", |s| s.std_dev, Some(3)),
        ("Variance", |s| s.variance, Some(3)),
        ("Skewness", |s| s.skewness, None),
        ("Std. Error of Skewness", |s| s.se_skewness, None),
        ("Kurtosis", |s| s.kurtosis, None),
        ("Std. Error of Kurtosis", |s| s.se_kurtosis, None),
        ("Range", |s| s.range, Some(0)),
        ("Minimum", |s| s.minimum, Some(0)),
        ("Maximum", |s| s.maximum, Some(0)),
        ("Sum", |s| s.sum, Some(0)),
    ];
    let any_numeric = results.iter().any(|r| r.statistics.is_some());
    if any_numeric {
        for (name, get, plus) in lines.iter() {
            st.rows.push(row(name, "", &|r| match &r.statistics {
                Some(s) => {
                    let d = plus.map_or(3, |p| dec(r.decimals, p));
                    Cell::Num(Some(get(s).unwrap_or(f64::NAN)), d)
                }
                None => Cell::Empty,
            }));
        }
        let n_pct = results
            .iter()
            .filter_map(|r| r.statistics.as_ref())
            .map(|s| s.percentiles.len())
            .max()
            .unwrap_or(0);
        for k in 0..n_pct {
            let p = results
                .iter()
                .filter_map(|r| r.statistics.as_ref())
                .find_map(|s| s.percentiles.get(k))
                .map(|p| p.percent)
                .unwrap_or(0.0);
            let first = if k == 0 { "Percentiles" } else { "" };
            st.rows.push(row(first, &percent_label(p), &|r| match r
                .statistics
                .as_ref()
                .and_then(|s| s.percentiles.get(k))
            {
                Some(p) => Cell::Num(Some(p.value.unwrap_or(f64::NAN)), dec(r.decimals, 2)),
                None => Cell::Empty,
            }));
        }
        let multi: Vec<String> = results
            .iter()
            .filter(|r| r.statistics.as_ref().is_some_and(|s| s.multiple_modes))
            .map(|r| univar::var_title(&r.variable, &r.label))
            .collect();
        if !multi.is_empty() {
            st.notes.push(format!(
                "Multiple modes exist ({}). The smallest value is shown.",
                multi.join(", ")
            ));
        }
    }
    tables.push(st);
    for r in results {
        if !r.table_omitted {
            tables.push(freq_table(r));
        }
    }
    tables
}

fn freq_table(r: &FreqResult) -> Table {
    let mut t = Table {
        title: univar::var_title(&r.variable, &r.label),
        columns: [
            "",
            "Value",
            "Value Label",
            "Frequency",
            "Percent",
            "Valid Percent",
            "Cumulative Percent",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        ..Table::default()
    };
    let value_cell = |v: &Value| match v {
        Value::Num(x) => Cell::Num(Some(*x), r.decimals),
        Value::Str(s) => Cell::text(s.clone()),
    };
    let pct = |x: f64| Cell::Num(Some(x), 1);
    for (i, row) in r.valid_rows().enumerate() {
        t.rows.push(vec![
            Cell::text(if i == 0 { "Valid" } else { "" }),
            value_cell(&row.value),
            row.label.map(Cell::text).unwrap_or(Cell::Empty),
            Cell::Count(row.frequency),
            pct(row.percent),
            row.valid_percent.map(pct).unwrap_or(Cell::Empty),
            row.cumulative_percent.map(pct).unwrap_or(Cell::Empty),
        ]);
    }
    if r.n_valid > 0.0 {
        t.rows.push(vec![
            Cell::text(if r.valid.is_empty() { "Valid" } else { "" }),
            Cell::text("Total"),
            Cell::Empty,
            Cell::Count(r.n_valid),
            pct(r.n_valid / r.total * 100.0),
            pct(100.0),
            Cell::Empty,
        ]);
    }
    if r.n_missing > 0.0 {
        let mut first = true;
        let mut label = || {
            let l = if first { "Missing" } else { "" };
            first = false;
            Cell::text(l)
        };
        for row in r.missing_rows() {
            t.rows.push(vec![
                label(),
                value_cell(&row.value),
                row.label.map(Cell::text).unwrap_or(Cell::Empty),
                Cell::Count(row.frequency),
                pct(row.percent),
                Cell::Empty,
                Cell::Empty,
            ]);
        }
        if r.system_missing > 0.0 {
            t.rows.push(vec![
                label(),
                Cell::text("System"),
                Cell::Empty,
                Cell::Count(r.system_missing),
                pct(r.system_missing / r.total * 100.0),
                Cell::Empty,
                Cell::Empty,
            ]);
        }
        t.rows.push(vec![
            Cell::Empty,
            Cell::text("Total"),
            Cell::Empty,
            Cell::Count(r.n_missing),
            pct(r.n_missing / r.total * 100.0),
            Cell::Empty,
            Cell::Empty,
        ]);
    }
    t.rows.push(vec![
        Cell::text("Total"),
        Cell::Empty,
        Cell::Empty,
        Cell::Count(r.total),
        pct(if r.total > 0.0 { 100.0 } else { f64::NAN }),
        Cell::Empty,
        Cell::Empty,
    ]);
    t
}

impl FreqResult {
    /// The statistics table and the frequency table of this variable.
    pub fn to_tables(&self) -> Vec<Table> {
        frequencies_tables(std::slice::from_ref(self))
    }
}
