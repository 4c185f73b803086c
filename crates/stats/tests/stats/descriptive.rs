//! FREQUENCIES, DESCRIPTIVES, MEANS, CORRELATIONS, RELIABILITY against PSPP and scipy.
//!
//! One generated data set (codes with value labels, continuous variables, counts, Likert items;
//! system-missing cells and user-missing values declared as discrete values, a range, a range
//! and a value, and LO THRU) is written as CSV; PSPP reads it with the same MISSING VALUES and
//! VALUE LABELS, and every number PSPP prints is compared with ours at PSPP's precision.
//! Python reads the same CSV, applies the same missing values, and prints numpy/scipy results
//! that ours must match to 1e-9 relative. Property tests check the invariants.

use std::process::Command;

use proptest::prelude::*;
use serde_json::Value as Json;
use shanghui_stats::corr::{CorrMethod, CorrOptions, CorrResult, correlations};
use shanghui_stats::desc::{DescOptions, descriptives, zscore_names, zscores};
use shanghui_stats::freq::{
    FreqOptions, FreqOrder, FreqResult, PercentileMethod, frequencies, frequencies_tables,
};
use shanghui_stats::means::{MeansOptions, means};
use shanghui_stats::reliability::{RelOptions, reliability};
use shanghui_stats::{Column, Dataset, MissingSpec, Value, Variable};

use super::harness::{self, Scratch};

// ---------------------------------------------------------------------------------------------
// Data

/// xorshift64* : deterministic pseudo-random numbers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let u = self.uniform().max(1e-300);
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

    fn int(&mut self, lo: i64, hi: i64) -> f64 {
        (lo + (self.next() % (hi - lo + 1) as u64) as i64) as f64
    }
}

fn round(x: f64, d: i32) -> f64 {
    let f = 10f64.powi(d);
    (x * f).round() / f
}

const NAMES: [&str; 11] = ["a", "b", "c", "d", "g", "h", "i1", "i2", "i3", "i4", "k"];
const ITEMS: [&str; 4] = ["i1", "i2", "i3", "i4"];

struct Fixture {
    cols: Vec<Vec<Option<f64>>>,
    ds: Dataset,
}

/// The missing values of each variable, as (PSPP syntax, our spec, Python spec).
fn missing_specs() -> Vec<(&'static str, &'static str, MissingSpec, &'static str)> {
    vec![
        (
            "a",
            "(9)",
            MissingSpec::Values(vec![Value::Num(9.0)]),
            r#"{"values":[9]}"#,
        ),
        (
            "b",
            "(-999, -998)",
            MissingSpec::Values(vec![Value::Num(-999.0), Value::Num(-998.0)]),
            r#"{"values":[-999,-998]}"#,
        ),
        (
            "c",
            "(900 THRU 999, -1)",
            MissingSpec::RangeAndValue {
                lo: 900.0,
                hi: 999.0,
                value: -1.0,
            },
            r#"{"values":[-1],"range":[900,999]}"#,
        ),
        (
            "d",
            "(LO THRU -1)",
            MissingSpec::Range {
                lo: f64::NEG_INFINITY,
                hi: -1.0,
            },
            r#"{"range":[-1e308,-1]}"#,
        ),
        (
            "h",
            "(0)",
            MissingSpec::Values(vec![Value::Num(0.0)]),
            r#"{"values":[0]}"#,
        ),
        (
            "i1",
            "(9)",
            MissingSpec::Values(vec![Value::Num(9.0)]),
            r#"{"values":[9]}"#,
        ),
        (
            "i2",
            "(9)",
            MissingSpec::Values(vec![Value::Num(9.0)]),
            r#"{"values":[9]}"#,
        ),
        (
            "i3",
            "(9)",
            MissingSpec::Values(vec![Value::Num(9.0)]),
            r#"{"values":[9]}"#,
        ),
        (
            "i4",
            "(9)",
            MissingSpec::Values(vec![Value::Num(9.0)]),
            r#"{"values":[9]}"#,
        ),
    ]
}

fn value_labels() -> Vec<(&'static str, Vec<(f64, &'static str)>)> {
    vec![
        ("a", vec![(1.0, "one"), (2.0, "two"), (9.0, "nine")]),
        ("g", vec![(1.0, "north"), (3.0, "south")]),
    ]
}

fn fixture(n: usize, seed: u64) -> Fixture {
    // SHANGHUI_STATS_SEED perturbs the seeds (to try the comparisons on other data).
    let seed = seed
        ^ std::env::var("SHANGHUI_STATS_SEED")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0);
    let mut r = Rng(seed | 1);
    let mut cols: Vec<Vec<Option<f64>>> = vec![Vec::with_capacity(n); NAMES.len()];
    for _ in 0..n {
        let latent = r.normal();
        let a = if r.uniform() < 0.05 {
            None
        } else if r.uniform() < 0.05 {
            Some(9.0)
        } else {
            Some(r.int(1, 5))
        };
        let bz = r.normal();
        let b = if r.uniform() < 0.05 {
            None
        } else if r.uniform() < 0.03 {
            Some(if r.uniform() < 0.5 { -999.0 } else { -998.0 })
        } else {
            Some(round(50.0 + 10.0 * bz, 3))
        };
        let c = if r.uniform() < 0.04 {
            Some(if r.uniform() < 0.5 {
                -1.0
            } else {
                r.int(900, 999)
            })
        } else {
            Some(round((1.0 + 0.6 * r.normal() + 0.3 * bz).exp() * 10.0, 2))
        };
        let d = if r.uniform() < 0.03 {
            None
        } else if r.uniform() < 0.03 {
            Some(r.int(-3, -1))
        } else {
            Some(
                (10.0 + 2.0 * bz + 2.0 * r.normal())
                    .round()
                    .clamp(0.0, 20.0),
            )
        };
        let g = Some(r.int(1, 3));
        let h = if r.uniform() < 0.03 {
            None
        } else {
            Some(r.int(0, 2))
        };
        let mut items = [None; 4];
        for it in items.iter_mut() {
            *it = if r.uniform() < 0.02 {
                None
            } else if r.uniform() < 0.03 {
                Some(9.0)
            } else {
                Some((3.0 + latent + 0.8 * r.normal()).round().clamp(1.0, 5.0))
            };
        }
        // A constant-ish variable with big values: stresses the moment sums.
        let k = Some(1e6 + r.int(0, 3) * 0.5);
        for (col, v) in cols
            .iter_mut()
            .zip([a, b, c, d, g, h, items[0], items[1], items[2], items[3], k])
        {
            col.push(v);
        }
    }
    let mut ds = Dataset::default();
    for (name, col) in NAMES.iter().zip(&cols) {
        let mut v = Variable::numeric(name);
        v.decimals = 0;
        ds.push(
            v,
            Column::Num(col.iter().map(|x| x.unwrap_or(f64::NAN)).collect()),
        );
    }
    for (name, _, spec, _) in missing_specs() {
        let i = ds.index(name).unwrap();
        ds.variables[i].missing = spec;
    }
    for (name, labels) in value_labels() {
        let i = ds.index(name).unwrap();
        ds.variables[i].value_labels = labels
            .into_iter()
            .map(|(v, l)| (Value::Num(v), l.to_string()))
            .collect();
    }
    let b = ds.index("b").unwrap();
    ds.variables[b].label = Some("Bee score".into());
    Fixture { cols, ds }
}

fn labels_of(name: &str) -> Vec<(f64, &'static str)> {
    value_labels()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, l)| l)
        .unwrap_or_default()
}

/// PSPP syntax reading the fixture's CSV with its dictionary.
fn pspp_prelude(fx: &Fixture, s: &Scratch) -> String {
    let csv = s.file("data.csv");
    harness::write_csv(&csv, &NAMES, &fx.cols);
    let mut syn = harness::get_data(&csv, &NAMES);
    for (name, syntax, _, _) in missing_specs() {
        syn.push_str(&format!("MISSING VALUES {name} {syntax}.\n"));
    }
    for (name, labels) in value_labels() {
        let l: Vec<String> = labels.iter().map(|(v, l)| format!("{v} '{l}'")).collect();
        syn.push_str(&format!("VALUE LABELS {name} {}.\n", l.join(" ")));
    }
    syn.push_str("VARIABLE LABELS b 'Bee score'.\n");
    syn
}

// ---------------------------------------------------------------------------------------------
// Reading PSPP's output

type Rows = Vec<Vec<String>>;

/// PSPP's output split into its tables (title, rows).
fn tables(rows: &[Vec<String>]) -> Vec<(String, Rows)> {
    let mut out: Vec<(String, Rows)> = Vec::new();
    for r in rows {
        if r.len() == 1 && r[0].starts_with("Table: ") {
            out.push((r[0]["Table: ".len()..].to_string(), Vec::new()));
        } else if r.len() == 1 {
            // Text between tables ("Scale: ANY").
        } else if let Some(last) = out.last_mut() {
            last.1.push(r.clone());
        }
    }
    out
}

fn named<'a>(ts: &'a [(String, Rows)], title: &str) -> Vec<&'a Rows> {
    ts.iter()
        .filter(|(t, _)| t == title)
        .map(|(_, r)| r)
        .collect()
}

/// Runs PSPP with extra command-line arguments (e.g. `-a compatible`).
fn pspp_with(s: &Scratch, syntax: &str, args: &[&str]) -> Rows {
    if args.is_empty() {
        return harness::pspp(s, syntax);
    }
    let sps = s.file("job_args.sps");
    std::fs::write(&sps, syntax).unwrap();
    let out = s.file("out_args.csv");
    let o = Command::new("pspp")
        .args(args)
        .arg("-O")
        .arg("format=csv")
        .arg("-o")
        .arg(&out)
        .arg(&sps)
        .output()
        .expect("run pspp");
    assert!(
        o.status.success(),
        "pspp failed: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    let mut rows = harness::csv_rows(&std::fs::read_to_string(&out).unwrap());
    rows.retain(|r| !r.is_empty());
    rows
}

/// Our number against a cell PSPP printed (percent signs dropped; "." for system-missing).
#[track_caller]
fn same(ours: Option<f64>, printed: &str, what: &str) {
    let p = printed.trim().trim_end_matches('%');
    let x = ours.unwrap_or(f64::NAN);
    // PSPP prints numbers too wide for their column in E notation ("3.0E+008").
    if let Some((mant, exp)) = p.split_once('E') {
        let e: i32 = exp
            .parse()
            .unwrap_or_else(|_| panic!("{what}: {printed:?}"));
        assert!(
            harness::shows_as(x / 10f64.powi(e), mant),
            "{what}: ours {x:?}, PSPP printed {printed:?}"
        );
        return;
    }
    assert!(
        harness::shows_as(x, p) || at_tie(x, p),
        "{what}: ours {x:?}, PSPP printed {printed:?}"
    );
}

/// Whether `x` lies (within float noise) halfway between two numbers of `printed`'s decimals
/// and `printed` is one of them: PSPP rounds halves away from zero, Rust's formatting to even,
/// and a sum's last bit decides which side of the half a value is.
fn at_tie(x: f64, printed: &str) -> bool {
    let Ok(p) = printed.parse::<f64>() else {
        return false;
    };
    let decimals = printed.split('.').nth(1).map(str::len).unwrap_or(0) as i32;
    let half = 0.5 * 10f64.powi(-decimals);
    ((x - p).abs() - half).abs() <= 1e-9 * half.max(x.abs() * 1e-3)
}

/// As [`same`], where PSPP may print the value's label instead of the value.
#[track_caller]
fn same_value(ours: Option<f64>, printed: &str, labels: &[(f64, &str)], what: &str) {
    let p = printed.trim();
    if let Some((v, _)) = labels.iter().find(|(_, l)| *l == p) {
        assert_eq!(
            ours,
            Some(*v),
            "{what}: ours {ours:?}, PSPP printed label {p:?}"
        );
    } else {
        same(ours, printed, what);
    }
}

#[track_caller]
fn same_count(ours: f64, printed: &str, what: &str) {
    let p: f64 = printed
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{what}: count {printed:?}"));
    assert_eq!(ours, p, "{what}");
}

// ---------------------------------------------------------------------------------------------
// PSPP: FREQUENCIES

const PCTS: [f64; 7] = [5.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0];
const FREQ_VARS: [&str; 6] = ["a", "b", "c", "d", "g", "k"];

fn check_freq_stats(results: &[FreqResult], stats: &Rows) {
    let header = &stats[0];
    let mut section = String::new();
    for row in &stats[1..] {
        if !row[0].trim().is_empty() {
            section = row[0].trim().to_string();
        }
        for (col, r) in results.iter().enumerate() {
            let cell = &row[2 + col];
            let title = r.label.clone().unwrap_or(r.variable.clone());
            assert_eq!(header[2 + col].trim(), title);
            let labels = labels_of(&r.variable);
            let s = r.statistics.as_ref().unwrap();
            let what = format!("{} {} {}", r.variable, section, row[1]);
            match (section.as_str(), row[1].trim()) {
                ("N", "Valid") => same_count(r.n_valid, cell, &what),
                ("N", "Missing") => same_count(r.n_missing, cell, &what),
                ("Mean", _) => same(s.mean, cell, &what),
                ("S.E. Mean", _) => same(s.se_mean, cell, &what),
                ("Median", _) => same_value(s.median, cell, &labels, &what),
                // PSPP shows no mode when several values share the highest count; SPSS (and
                // we) show the smallest of them.
                ("Mode", _) if cell.trim() == "." => assert!(s.multiple_modes, "{what}"),
                ("Mode", _) => {
                    assert!(!s.multiple_modes, "{what}");
                    same_value(s.mode, cell, &labels, &what)
                }
                ("Std Dev", _) => same(s.std_dev, cell, &what),
                ("Variance", _) => same(s.variance, cell, &what),
                ("Kurtosis", _) => same(s.kurtosis, cell, &what),
                ("S.E. Kurt", _) => same(s.se_kurtosis, cell, &what),
                ("Skewness", _) => same(s.skewness, cell, &what),
                ("S.E. Skew", _) => same(s.se_skewness, cell, &what),
                ("Range", _) => same(s.range, cell, &what),
                ("Minimum", _) => same_value(s.minimum, cell, &labels, &what),
                ("Maximum", _) => same_value(s.maximum, cell, &labels, &what),
                ("Sum", _) => same(s.sum, cell, &what),
                ("Percentiles", p) => {
                    let p: f64 = p.parse().unwrap();
                    let ours = s.percentiles.iter().find(|q| q.percent == p).unwrap().value;
                    same_value(ours, cell, &labels, &what)
                }
                (other, _) => panic!("unexpected PSPP statistic {other:?}"),
            }
        }
    }
}

fn check_freq_table(r: &FreqResult, t: &Rows) {
    let labels = labels_of(&r.variable);
    let mut section = String::new();
    let (mut valid, mut missing) = (r.valid_rows(), r.missing_rows());
    let mut saw_sysmis = false;
    for row in &t[1..] {
        if !row[0].trim().is_empty() {
            section = row[0].trim().to_string();
        }
        let what = format!("{} {} {}", r.variable, section, row[1]);
        match section.as_str() {
            "Valid" => {
                let ours = valid
                    .next()
                    .unwrap_or_else(|| panic!("{what}: PSPP has more valid rows"));
                let Value::Num(v) = ours.value else { panic!() };
                same_value(Some(v), &row[1], &labels, &what);
                same_count(ours.frequency, &row[2], &what);
                same(Some(ours.percent), &row[3], &what);
                same(ours.valid_percent, &row[4], &what);
                same(ours.cumulative_percent, &row[5], &what);
            }
            "Missing" if row[1].trim() == "." => {
                saw_sysmis = true;
                same_count(r.system_missing, &row[2], &what);
                same(Some(r.system_missing / r.total * 100.0), &row[3], &what);
            }
            "Missing" => {
                let ours = missing
                    .next()
                    .unwrap_or_else(|| panic!("{what}: PSPP has more missing rows"));
                let Value::Num(v) = ours.value else { panic!() };
                same_value(Some(v), &row[1], &labels, &what);
                same_count(ours.frequency, &row[2], &what);
                same(Some(ours.percent), &row[3], &what);
            }
            "Total" => {
                same_count(r.total, &row[2], &what);
            }
            other => panic!("unexpected section {other:?}"),
        }
    }
    assert!(
        valid.next().is_none(),
        "{}: we have more valid rows",
        r.variable
    );
    assert!(
        missing.next().is_none(),
        "{}: we have more missing rows",
        r.variable
    );
    assert_eq!(saw_sysmis, r.system_missing > 0.0, "{}", r.variable);
}

fn freq_against_pspp(method: PercentileMethod, args: &[&str]) {
    if !harness::have_pspp() {
        return;
    }
    let fx = fixture(300, 7);
    let s = Scratch::new();
    let pct: Vec<String> = PCTS.iter().map(|p| format!("{p}")).collect();
    let syntax = format!(
        "{}FREQUENCIES {} /STATISTICS=ALL /PERCENTILES={}.\n",
        pspp_prelude(&fx, &s),
        FREQ_VARS.join(" "),
        pct.join(" ")
    );
    let ts = tables(&pspp_with(&s, &syntax, args));
    let opts = FreqOptions {
        percentiles: PCTS.to_vec(),
        method,
        ..FreqOptions::default()
    };
    let ours = frequencies(&fx.ds, &FREQ_VARS, &opts).unwrap();
    let stats = named(&ts, "Statistics");
    assert_eq!(stats.len(), 1);
    check_freq_stats(&ours, stats[0]);
    for r in &ours {
        let title = r.label.clone().unwrap_or(r.variable.clone());
        let t = named(&ts, &title);
        assert_eq!(t.len(), 1, "table {title}");
        check_freq_table(r, t[0]);
    }
}

#[test]
fn frequencies_match_pspp_enhanced_percentiles() {
    freq_against_pspp(PercentileMethod::Linear, &[]);
}

#[test]
fn frequencies_match_pspp_compatible_haverage() {
    freq_against_pspp(PercentileMethod::HAverage, &["-a", "compatible"]);
}

#[test]
fn frequencies_descending_frequency_order_matches_pspp() {
    if !harness::have_pspp() {
        return;
    }
    let fx = fixture(200, 11);
    let s = Scratch::new();
    let syntax = format!("{}FREQUENCIES a d /FORMAT=DFREQ.\n", pspp_prelude(&fx, &s));
    let ts = tables(&harness::pspp(&s, &syntax));
    let opts = FreqOptions {
        order: FreqOrder::DescendingFrequency,
        ..FreqOptions::default()
    };
    for r in frequencies(&fx.ds, &["a", "d"], &opts).unwrap() {
        check_freq_table(&r, named(&ts, &r.variable)[0]);
    }
}

// ---------------------------------------------------------------------------------------------
// PSPP: DESCRIPTIVES

const DESC_VARS: [&str; 6] = ["a", "b", "c", "d", "i1", "k"];

fn check_desc(fx: &Fixture, t: &Rows, opts: &DescOptions) {
    let ours = descriptives(&fx.ds, &DESC_VARS, opts).unwrap();
    let header = &t[0];
    for row in &t[1..] {
        let name = row[0].trim();
        if name == "Valid N (listwise)" {
            // PSPP counts every case here unless /MISSING=LISTWISE (where it is the listwise N,
            // as SPSS always shows).
            if opts.listwise {
                same_count(ours.valid_n_listwise, &row[1], name);
            } else {
                same_count(ours.total, &row[1], name);
            }
            continue;
        }
        if name == "Missing N (listwise)" {
            same_count(ours.total - ours.valid_n_listwise, &row[1], name);
            continue;
        }
        let s = ours
            .variables
            .iter()
            .find(|v| v.label.clone().unwrap_or(v.variable.clone()) == name)
            .unwrap_or_else(|| panic!("no row {name}"));
        let labels = labels_of(&s.variable);
        for (h, cell) in header.iter().zip(row).skip(1) {
            let what = format!("{name} {h}");
            match h.trim() {
                "N" => same_count(s.n, cell, &what),
                "Mean" => same(s.mean, cell, &what),
                "S.E. Mean" => same(s.se_mean, cell, &what),
                "Std Dev" => same(s.std_dev, cell, &what),
                "Variance" => same(s.variance, cell, &what),
                "Kurtosis" => same(s.kurtosis, cell, &what),
                "S.E. Kurt" => same(s.se_kurtosis, cell, &what),
                "Skewness" => same(s.skewness, cell, &what),
                "S.E. Skew" => same(s.se_skewness, cell, &what),
                "Range" => same(s.range, cell, &what),
                "Minimum" => same_value(s.minimum, cell, &labels, &what),
                "Maximum" => same_value(s.maximum, cell, &labels, &what),
                "Sum" => same(s.sum, cell, &what),
                other => panic!("unexpected column {other}"),
            }
        }
    }
}

#[test]
fn descriptives_match_pspp() {
    if !harness::have_pspp() {
        return;
    }
    let fx = fixture(300, 21);
    let s = Scratch::new();
    let vars = DESC_VARS.join(" ");
    let syntax = format!(
        "{}DESCRIPTIVES {vars} /STATISTICS=ALL /SAVE.\n\
         FORMATS Za Zb Zc Zd Zi1 (F18.10).\n\
         LIST Za Zb Zc Zd Zi1.\n\
         DESCRIPTIVES {vars} /STATISTICS=ALL /MISSING=LISTWISE.\n\
         DESCRIPTIVES {vars} /STATISTICS=ALL /MISSING=INCLUDE.\n",
        pspp_prelude(&fx, &s)
    );
    let ts = tables(&harness::pspp(&s, &syntax));
    let d = named(&ts, "Descriptive Statistics");
    assert_eq!(d.len(), 3);
    check_desc(&fx, d[0], &DescOptions::default());
    check_desc(
        &fx,
        d[1],
        &DescOptions {
            listwise: true,
            ..DescOptions::default()
        },
    );
    check_desc(
        &fx,
        d[2],
        &DescOptions {
            include_user_missing: true,
            ..DescOptions::default()
        },
    );
    // z-scores (PSPP's /SAVE), listed with 10 decimals.
    let list = named(&ts, "Data List")[0];
    let znames = zscore_names(&fx.ds, &DESC_VARS[..5]);
    assert_eq!(znames, ["Za", "Zb", "Zc", "Zd", "Zi1"]);
    for (j, var) in DESC_VARS[..5].iter().enumerate() {
        assert_eq!(list[0][j].trim(), znames[j]);
        let z = zscores(&fx.ds, var, &[], &DescOptions::default()).unwrap();
        for (r, row) in list[1..].iter().enumerate() {
            same(z[r], &row[j], &format!("z {var} case {r}"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// PSPP: MEANS

#[test]
fn means_match_pspp() {
    if !harness::have_pspp() {
        return;
    }
    let fx = fixture(300, 31);
    let s = Scratch::new();
    let syntax = format!(
        "{}MEANS b BY g.\nMEANS c BY g BY h.\nMEANS d BY h /MISSING=INCLUDE.\n",
        pspp_prelude(&fx, &s)
    );
    let ts = tables(&harness::pspp(&s, &syntax));
    let reports = named(&ts, "Report");
    let summaries = named(&ts, "Case Processing Summary");
    let cases: [(&str, &[&str], bool); 3] = [
        ("b", &["g"], false),
        ("c", &["g", "h"], false),
        ("d", &["h"], true),
    ];
    for (k, (dep, by, include)) in cases.iter().enumerate() {
        let r = &means(
            &fx.ds,
            &[dep],
            by,
            &MeansOptions {
                include_user_missing: *include,
            },
        )
        .unwrap()[0];
        let sum = &summaries[k][3];
        same_count(r.included, &sum[1], "included");
        same(Some(r.included / r.total * 100.0), &sum[2], "included %");
        same_count(r.excluded, &sum[3], "excluded");
        same_count(r.total, &sum[5], "total");
        let rep = reports[k];
        assert_eq!(rep.len() - 1, r.cells.len(), "rows of MEANS {dep}: {rep:?}");
        let mut carried: Vec<String> = vec![String::new(); by.len()];
        for (row, cell) in rep[1..].iter().zip(&r.cells) {
            for j in 0..by.len() {
                if !row[j].trim().is_empty() {
                    carried[j] = row[j].trim().to_string();
                    for c in carried.iter_mut().skip(j + 1) {
                        c.clear();
                    }
                }
                let what = format!("MEANS {dep} group {:?}", cell.group);
                match &cell.group[j] {
                    None => assert_eq!(carried[j], "Total", "{what}"),
                    Some(Value::Num(v)) => {
                        same_value(Some(*v), &carried[j], &labels_of(by[j]), &what)
                    }
                    Some(Value::Str(_)) => unreachable!(),
                }
            }
            let n = by.len();
            let what = format!("MEANS {dep} {:?}", cell.group);
            same(cell.mean, &row[n], &what);
            same_count(cell.n, &row[n + 1], &what);
            same(cell.std_dev, &row[n + 2], &what);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// PSPP: CORRELATIONS

const CORR_VARS: [&str; 5] = ["a", "b", "c", "d", "i1"];

fn check_corr(r: &CorrResult, t: &Rows) {
    let mut var = 0usize;
    let mut first = true;
    for row in &t[1..] {
        if !row[0].trim().is_empty() {
            if !first {
                var += 1;
            }
            first = false;
        }
        for (j, cell) in row[2..].iter().enumerate() {
            let c = &r.matrix[var][j];
            let what = format!("{} x {} {}", r.variables[var], r.variables[j], row[1]);
            match row[1].trim() {
                "Pearson Correlation" => same(c.r, cell, &what),
                "Sig. (2-tailed)" if var == j => assert!(cell.trim().is_empty()),
                "Sig. (2-tailed)" => same(c.p, cell, &what),
                "N" => same_count(c.n, cell, &what),
                other => panic!("unexpected row {other}"),
            }
        }
    }
    assert_eq!(var + 1, r.variables.len());
}

#[test]
fn correlations_match_pspp() {
    if !harness::have_pspp() {
        return;
    }
    let fx = fixture(300, 41);
    let s = Scratch::new();
    let vars = CORR_VARS.join(" ");
    let syntax = format!(
        "{}CORRELATIONS /VARIABLES={vars} /PRINT=TWOTAIL /MISSING=PAIRWISE.\n\
         CORRELATIONS /VARIABLES={vars} /MISSING=LISTWISE.\n\
         CORRELATIONS /VARIABLES={vars} /MISSING=INCLUDE.\n",
        pspp_prelude(&fx, &s)
    );
    let ts = tables(&harness::pspp(&s, &syntax));
    let t = named(&ts, "Correlations");
    assert_eq!(t.len(), 3);
    let o = |listwise, include_user_missing| CorrOptions {
        method: CorrMethod::Pearson,
        listwise,
        include_user_missing,
    };
    check_corr(
        &correlations(&fx.ds, &CORR_VARS, &o(false, false)).unwrap(),
        t[0],
    );
    check_corr(
        &correlations(&fx.ds, &CORR_VARS, &o(true, false)).unwrap(),
        t[1],
    );
    check_corr(
        &correlations(&fx.ds, &CORR_VARS, &o(false, true)).unwrap(),
        t[2],
    );
}

// ---------------------------------------------------------------------------------------------
// PSPP: RELIABILITY

#[test]
fn reliability_matches_pspp() {
    if !harness::have_pspp() {
        return;
    }
    let fx = fixture(300, 51);
    let s = Scratch::new();
    let syntax = format!(
        "{}RELIABILITY /VARIABLES={} /SUMMARY=TOTAL.\nRELIABILITY /VARIABLES=i1 i2 i3 i4 b /MISSING=INCLUDE /SUMMARY=TOTAL.\n",
        pspp_prelude(&fx, &s),
        ITEMS.join(" ")
    );
    let ts = tables(&harness::pspp(&s, &syntax));
    let runs: [(Vec<&str>, bool); 2] = [
        (ITEMS.to_vec(), false),
        (vec!["i1", "i2", "i3", "i4", "b"], true),
    ];
    for (k, (items, include)) in runs.iter().enumerate() {
        let r = reliability(
            &fx.ds,
            items,
            &RelOptions {
                include_user_missing: *include,
            },
        )
        .unwrap();
        let cps = named(&ts, "Case Processing Summary")[k];
        same_count(
            r.n_valid,
            &harness::row(cps, &["Valid"]).unwrap()[1],
            "valid",
        );
        same_count(
            r.n_excluded,
            &harness::row(cps, &["Excluded"]).unwrap()[1],
            "excluded",
        );
        same_count(r.total, &harness::row(cps, &["Total"]).unwrap()[1], "total");
        let rs = named(&ts, "Reliability Statistics")[k];
        same(r.alpha, &rs[1][0], "alpha");
        same_count(r.n_items as f64, &rs[1][1], "items");
        let it = named(&ts, "Item-Total Statistics")[k];
        for (row, item) in it[1..].iter().zip(&r.items) {
            let title = item.label.clone().unwrap_or(item.variable.clone());
            assert_eq!(row[0].trim(), title);
            same(Some(item.scale_mean_if_deleted), &row[1], &title);
            same(item.scale_variance_if_deleted, &row[2], &title);
            same(item.corrected_item_total_correlation, &row[3], &title);
            same(item.alpha_if_deleted, &row[4], &title);
        }
        assert_eq!(it.len() - 1, r.items.len());
    }
}

// ---------------------------------------------------------------------------------------------
// PSPP: string variables (FREQUENCIES table, MEANS groups)

#[test]
fn string_variables_match_pspp() {
    if !harness::have_pspp() {
        return;
    }
    let words = ["pear", "apple", "fig", "kiwi", "Fig", "fig  ", "", "plum"];
    let mut r = Rng(99);
    let n = 120;
    let s_col: Vec<String> = (0..n)
        .map(|_| words[r.int(0, 7) as usize].to_string())
        .collect();
    let y: Vec<f64> = (0..n)
        .map(|_| {
            if r.uniform() < 0.05 {
                f64::NAN
            } else {
                round(r.normal() * 3.0 + 10.0, 2)
            }
        })
        .collect();
    let mut ds = Dataset::default();
    let mut sv = Variable::string("s", 8);
    sv.missing = MissingSpec::Values(vec![Value::Str("kiwi".into())]);
    sv.value_labels = vec![(Value::Str("fig".into()), "Fig tree".into())];
    ds.push(sv, Column::Str(s_col.clone()));
    ds.push(Variable::numeric("y"), Column::Num(y.clone()));
    let sc = Scratch::new();
    let csv = sc.file("s.csv");
    let mut text = String::from("s,y\n");
    for (a, b) in s_col.iter().zip(&y) {
        let b = if b.is_nan() {
            String::new()
        } else {
            format!("{b:?}")
        };
        text.push_str(&format!("\"{a}\",{b}\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let syntax = format!(
        "GET DATA /TYPE=TXT /FILE='{}' /ARRANGEMENT=DELIMITED /DELCASE=LINE /FIRSTCASE=2 \
         /DELIMITERS=',' /QUALIFIER='\"' /VARIABLES=s A8 y F12.4.\n\
         MISSING VALUES s ('kiwi').\nVALUE LABELS s 'fig' 'Fig tree'.\n\
         FREQUENCIES s.\nMEANS y BY s.\n",
        csv.display()
    );
    let ts = tables(&harness::pspp(&sc, &syntax));
    let f = &frequencies(&ds, &["s"], &FreqOptions::default()).unwrap()[0];
    assert!(f.statistics.is_none());
    let t = named(&ts, "s")[0];
    let mut section = String::new();
    let (mut valid, mut missing) = (f.valid_rows(), f.missing_rows());
    for row in &t[1..] {
        if !row[0].trim().is_empty() {
            section = row[0].trim().to_string();
        }
        let ours = match section.as_str() {
            "Valid" => valid.next().unwrap(),
            "Missing" => missing.next().unwrap(),
            _ => {
                same_count(f.total, &row[2], "total");
                continue;
            }
        };
        let shown = ours
            .label
            .map(str::to_string)
            .unwrap_or_else(|| match &ours.value {
                Value::Str(s) => s.clone(),
                Value::Num(_) => unreachable!(),
            });
        assert_eq!(row[1].trim(), shown.trim());
        same_count(ours.frequency, &row[2], &shown);
        same(Some(ours.percent), &row[3], &shown);
        if section == "Valid" {
            same(ours.valid_percent, &row[4], &shown);
            same(ours.cumulative_percent, &row[5], &shown);
        }
    }
    assert!(valid.next().is_none() && missing.next().is_none());
    let m = &means(&ds, &["y"], &["s"], &MeansOptions::default()).unwrap()[0];
    let rep = named(&ts, "Report")[0];
    assert_eq!(rep.len() - 1, m.cells.len());
    for (row, c) in rep[1..].iter().zip(&m.cells) {
        let shown = match (&c.group[0], &c.labels[0]) {
            (None, _) => "Total".to_string(),
            (Some(_), Some(l)) => l.clone(),
            (Some(Value::Str(s)), None) => s.clone(),
            _ => unreachable!(),
        };
        assert_eq!(row[0].trim(), shown.trim());
        same(c.mean, &row[1], &shown);
        same_count(c.n, &row[2], &shown);
        same(c.std_dev, &row[3], &shown);
    }
}

// ---------------------------------------------------------------------------------------------
// scipy / numpy at full precision

#[track_caller]
fn close(ours: Option<f64>, theirs: &Json, what: &str) {
    match theirs.as_f64() {
        None => assert!(ours.is_none(), "{what}: ours {ours:?}, python null"),
        Some(t) => {
            let o = ours.unwrap_or_else(|| panic!("{what}: ours None, python {t}"));
            assert!(
                harness::close(o, t, 1e-9),
                "{what}: ours {o:e}, python {t:e}"
            );
        }
    }
}

const PY_PRELUDE: &str = r#"
import csv, json, math, sys
import numpy as np
from scipy import stats as st

def load(path, missing):
    rows = list(csv.reader(open(path)))
    names = rows[0]
    data = {}
    for i, n in enumerate(names):
        x = np.array([float(r[i]) if r[i] != '' else np.nan for r in rows[1:]])
        spec = missing.get(n, {})
        m = np.isnan(x)
        for v in spec.get('values', []):
            m |= (x == v)
        if 'range' in spec:
            lo, hi = spec['range']
            m |= (x >= lo) & (x <= hi)
        data[n] = (x, m)
    return data

def exact(v):
    # Moments in exact rational arithmetic (the reference where floating point is not enough).
    from fractions import Fraction as F
    from decimal import Decimal, getcontext
    getcontext().prec = 60
    fx = [F(float(t)) for t in v]
    n = len(fx)
    m = sum(fx) / n
    M2 = sum((t - m) ** 2 for t in fx)
    M3 = sum((t - m) ** 3 for t in fx)
    M4 = sum((t - m) ** 4 for t in fx)
    var = M2 / (n - 1)
    g1sq = (n * M3) ** 2 / (((n - 1) * (n - 2)) ** 2 * var ** 3)
    g1 = float((Decimal(g1sq.numerator) / Decimal(g1sq.denominator)).sqrt()) * (1 if M3 >= 0 else -1)
    g2 = (n * (n + 1) * M4 - 3 * M2 * M2 * (n - 1)) / ((n - 1) * (n - 2) * (n - 3) * var * var)
    return dict(mean=float(m), var=float(var), skew=g1, kurt=float(g2))

def clean(o):
    if isinstance(o, float):
        return None if math.isnan(o) or math.isinf(o) else o
    if isinstance(o, dict):
        return {k: clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [clean(v) for v in o]
    if isinstance(o, np.generic):
        return clean(o.item())
    return o
"#;

#[test]
fn everything_matches_scipy() {
    if !harness::have_scipy() {
        return;
    }
    let fx = fixture(400, 61);
    let s = Scratch::new();
    let csv = s.file("data.csv");
    harness::write_csv(&csv, &NAMES, &fx.cols);
    let missing: Vec<String> = missing_specs()
        .iter()
        .map(|(n, _, _, py)| format!("\"{n}\": {py}"))
        .collect();
    let script = format!(
        r#"{PY_PRELUDE}
data = load({csv:?}, {{{missing}}})
out = {{}}
pcts = {pcts:?}
for n in {desc:?}:
    x, m = data[n]
    v = x[~m]
    out[n] = dict(n=len(v), mean=v.mean(), var=v.var(ddof=1), sd=v.std(ddof=1),
                  skew=st.skew(v, bias=False), kurt=st.kurtosis(v, fisher=True, bias=False),
                  sum=v.sum(), min=v.min(), max=v.max(),
                  pct_h=[np.percentile(v, p, method='weibull') for p in pcts],
                  pct_l=[np.percentile(v, p, method='linear') for p in pcts],
                  median=np.median(v), exact=exact(v),
                  z=[None if mm else (xx - v.mean()) / v.std(ddof=1) for xx, mm in zip(x, m)])
corr = {{}}
cv = {corr_vars:?}
for i, a in enumerate(cv):
    for b in cv[i + 1:]:
        xa, ma = data[a]; xb, mb = data[b]
        ok = ~ma & ~mb
        p = st.pearsonr(xa[ok], xb[ok])
        sp = st.spearmanr(xa[ok], xb[ok])
        corr[a + '*' + b] = dict(n=int(ok.sum()), r=p[0], p=p[1], rho=sp[0], prho=sp[1])
lw = np.ones(len(data[cv[0]][0]), dtype=bool)
for a in cv:
    lw &= ~data[a][1]
for i, a in enumerate(cv):
    for b in cv[i + 1:]:
        p = st.pearsonr(data[a][0][lw], data[b][0][lw])
        sp = st.spearmanr(data[a][0][lw], data[b][0][lw])
        corr['lw:' + a + '*' + b] = dict(n=int(lw.sum()), r=p[0], p=p[1], rho=sp[0], prho=sp[1])
out['corr'] = corr
items = {items:?}
ok = np.ones(len(data[items[0]][0]), dtype=bool)
for it in items:
    ok &= ~data[it][1]
X = np.column_stack([data[it][0][ok] for it in items])
def alpha(X):
    k = X.shape[1]
    return k / (k - 1) * (1 - X.var(axis=0, ddof=1).sum() / X.sum(axis=1).var(ddof=1))
rel = dict(n=int(ok.sum()), alpha=alpha(X), items=[])
for j in range(X.shape[1]):
    rest = np.delete(X, j, axis=1)
    tot = rest.sum(axis=1)
    rel['items'].append(dict(mean_del=tot.mean(), var_del=tot.var(ddof=1),
                             r=np.corrcoef(X[:, j], tot)[0, 1], alpha_del=alpha(rest)))
out['rel'] = rel
means = []
y, my = data['c']
g, mg = data['g']
h, mh = data['h']
ok = ~my & ~mg & ~mh
for gv in sorted(set(g[ok])) + [None]:
    for hv in sorted(set(h[ok])) + [None]:
        sel = ok.copy()
        if gv is not None: sel &= (g == gv)
        if hv is not None: sel &= (h == hv)
        if sel.sum() == 0: continue
        v = y[sel]
        means.append(dict(g=gv, h=hv, n=int(sel.sum()), mean=v.mean(),
                          sd=v.std(ddof=1) if len(v) > 1 else None))
out['means'] = means
print(json.dumps(clean(out)))
"#,
        csv = csv.display().to_string(),
        missing = missing.join(", "),
        pcts = PCTS.to_vec(),
        desc = DESC_VARS.to_vec(),
        corr_vars = CORR_VARS.to_vec(),
        items = ITEMS.to_vec(),
    );
    let py = harness::python(&s, &script);

    // FREQUENCIES and DESCRIPTIVES statistics, percentiles (HAVERAGE = numpy 'weibull',
    // PSPP's default = numpy 'linear'), z-scores.
    let fh = frequencies(
        &fx.ds,
        &DESC_VARS,
        &FreqOptions {
            percentiles: PCTS.to_vec(),
            ..FreqOptions::default()
        },
    )
    .unwrap();
    let fl = frequencies(
        &fx.ds,
        &DESC_VARS,
        &FreqOptions {
            percentiles: PCTS.to_vec(),
            method: PercentileMethod::Linear,
            ..FreqOptions::default()
        },
    )
    .unwrap();
    let d = descriptives(&fx.ds, &DESC_VARS, &DescOptions::default()).unwrap();
    for (k, name) in DESC_VARS.iter().enumerate() {
        let t = &py[*name];
        let st = fh[k].statistics.as_ref().unwrap();
        let ds = &d.variables[k];
        let what = |w: &str| format!("{name} {w}");
        assert_eq!(fh[k].n_valid, t["n"].as_f64().unwrap());
        assert_eq!(ds.n, t["n"].as_f64().unwrap());
        // Against exact rational arithmetic, and against scipy except where scipy itself is
        // further than 1e-10 from the exact value (the variable k, 1e6 + small steps, where
        // numpy's mean rounding costs scipy's skewness ~1e-8).
        for (ours, key) in [
            (st.mean, "mean"),
            (st.variance, "var"),
            (st.skewness, "skew"),
            (st.kurtosis, "kurt"),
            (ds.mean, "mean"),
            (ds.variance, "var"),
            (ds.skewness, "skew"),
            (ds.kurtosis, "kurt"),
        ] {
            let ex = t["exact"][key].as_f64().unwrap();
            let o = ours.unwrap();
            assert!(
                harness::close(o, ex, 1e-11),
                "{name} {key}: ours {o:e}, exact {ex:e}"
            );
            let sp = t[key].as_f64().unwrap();
            if harness::close(sp, ex, 1e-10) {
                close(ours, &t[key], &what(key));
            } else {
                eprintln!(
                    "NOTE: scipy's {name} {key} is {sp:e}, the exact value {ex:e}: compared with the exact value only"
                );
            }
        }
        for (ours, key) in [
            (st.std_dev, "sd"),
            (st.sum, "sum"),
            (st.minimum, "min"),
            (st.maximum, "max"),
            (st.median, "median"),
            (ds.std_dev, "sd"),
            (ds.sum, "sum"),
            (ds.minimum, "min"),
            (ds.maximum, "max"),
        ] {
            close(ours, &t[key], &what(key));
        }
        for (j, p) in st.percentiles.iter().enumerate() {
            close(
                p.value,
                &t["pct_h"][j],
                &what(&format!("HAVERAGE {}", p.percent)),
            );
        }
        for (j, p) in fl[k]
            .statistics
            .as_ref()
            .unwrap()
            .percentiles
            .iter()
            .enumerate()
        {
            close(
                p.value,
                &t["pct_l"][j],
                &what(&format!("linear {}", p.percent)),
            );
        }
        let z = zscores(&fx.ds, name, &[], &DescOptions::default()).unwrap();
        for (r, zr) in z.iter().enumerate() {
            match t["z"][r].as_f64() {
                None => assert!(zr.is_none()),
                Some(tz) => {
                    let o = zr.unwrap();
                    assert!(
                        (o - tz).abs() <= 1e-9 * tz.abs().max(1.0),
                        "{name} z {r}: {o} vs {tz}"
                    );
                }
            }
        }
    }

    // CORRELATIONS (Pearson) and Spearman's rho, pairwise and listwise.
    for listwise in [false, true] {
        for method in [CorrMethod::Pearson, CorrMethod::Spearman] {
            let c = correlations(
                &fx.ds,
                &CORR_VARS,
                &CorrOptions {
                    method,
                    listwise,
                    include_user_missing: false,
                },
            )
            .unwrap();
            for (i, a) in CORR_VARS.iter().enumerate() {
                for (j, b) in CORR_VARS.iter().enumerate().skip(i + 1) {
                    let key = format!("{}{a}*{b}", if listwise { "lw:" } else { "" });
                    let t = &py["corr"][&key];
                    let cell = &c.matrix[i][j];
                    assert_eq!(cell.n, t["n"].as_f64().unwrap(), "{key}");
                    let (rk, pk) = match method {
                        CorrMethod::Pearson => ("r", "p"),
                        CorrMethod::Spearman => ("rho", "prho"),
                    };
                    close(cell.r, &t[rk], &format!("{key} {rk}"));
                    close(cell.p, &t[pk], &format!("{key} {pk}"));
                    assert_eq!(c.matrix[j][i], *cell);
                }
            }
        }
    }

    // RELIABILITY.
    let r = reliability(&fx.ds, &ITEMS, &RelOptions::default()).unwrap();
    let t = &py["rel"];
    assert_eq!(r.n_valid, t["n"].as_f64().unwrap());
    close(r.alpha, &t["alpha"], "alpha");
    for (j, it) in r.items.iter().enumerate() {
        let ti = &t["items"][j];
        close(
            Some(it.scale_mean_if_deleted),
            &ti["mean_del"],
            "scale mean if deleted",
        );
        close(
            it.scale_variance_if_deleted,
            &ti["var_del"],
            "scale variance if deleted",
        );
        close(
            it.corrected_item_total_correlation,
            &ti["r"],
            "corrected item-total r",
        );
        close(it.alpha_if_deleted, &ti["alpha_del"], "alpha if deleted");
    }

    // MEANS c BY g BY h (same order as ours: values ascending, Total last at each level).
    let m = &means(&fx.ds, &["c"], &["g", "h"], &MeansOptions::default()).unwrap()[0];
    let rows = py["means"].as_array().unwrap();
    assert_eq!(rows.len(), m.cells.len());
    for (cell, t) in m.cells.iter().zip(rows) {
        let key = |v: &Option<Value>| match v {
            Some(Value::Num(x)) => Some(*x),
            _ => None,
        };
        assert_eq!(key(&cell.group[0]), t["g"].as_f64());
        assert_eq!(key(&cell.group[1]), t["h"].as_f64());
        assert_eq!(cell.n, t["n"].as_f64().unwrap());
        close(cell.mean, &t["mean"], "means mean");
        close(cell.std_dev, &t["sd"], "means sd");
    }
}

// ---------------------------------------------------------------------------------------------
// Edge cases

fn ds_of(cols: &[(&str, Vec<f64>, MissingSpec)]) -> Dataset {
    let mut ds = Dataset::default();
    for (n, c, m) in cols {
        let mut v = Variable::numeric(n);
        v.missing = m.clone();
        ds.push(v, Column::Num(c.clone()));
    }
    ds
}

#[test]
fn degenerate_inputs() {
    let nan = f64::NAN;
    let ds = ds_of(&[
        (
            "empty",
            vec![nan, nan, 9.0],
            MissingSpec::Values(vec![Value::Num(9.0)]),
        ),
        ("one", vec![nan, 4.0, nan], MissingSpec::None),
        ("flat", vec![2.0, 2.0, 2.0], MissingSpec::None),
    ]);
    let f = frequencies(
        &ds,
        &["empty", "one", "flat"],
        &FreqOptions {
            percentiles: vec![50.0],
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(f[0].n_valid, 0.0);
    assert_eq!(f[0].n_missing, 3.0);
    assert_eq!(f[0].system_missing, 2.0);
    assert_eq!(f[0].user_missing.len(), 1);
    let s0 = f[0].statistics.as_ref().unwrap();
    assert_eq!(
        (s0.mean, s0.median, s0.mode, s0.sum),
        (None, None, None, None)
    );
    let s1 = f[1].statistics.as_ref().unwrap();
    assert_eq!(
        (s1.mean, s1.median, s1.mode, s1.std_dev),
        (Some(4.0), Some(4.0), Some(4.0), None)
    );
    let s2 = f[2].statistics.as_ref().unwrap();
    assert_eq!(
        (s2.variance, s2.skewness, s2.kurtosis),
        (Some(0.0), None, None)
    );
    // Tables render without panicking.
    for t in frequencies_tables(&f) {
        let _ = t.to_text();
    }
    let d = descriptives(&ds, &["empty", "one", "flat"], &DescOptions::default()).unwrap();
    assert_eq!(d.variables[0].n, 0.0);
    assert_eq!(d.variables[0].mean, None);
    assert_eq!(d.valid_n_listwise, 0.0);
    assert_eq!(
        zscores(&ds, "flat", &[], &DescOptions::default()).unwrap(),
        vec![None; 3]
    );
    let c = correlations(&ds, &["one", "flat"], &CorrOptions::default()).unwrap();
    assert_eq!(c.matrix[0][1].r, None);
    let r = reliability(&ds, &["one", "flat"], &RelOptions::default()).unwrap();
    assert_eq!(r.alpha, None);
    let m = means(&ds, &["one"], &["empty"], &MeansOptions::default()).unwrap();
    assert_eq!(m[0].cells.len(), 1);
    assert_eq!(m[0].cells[0].n, 0.0);
    assert!(matches!(
        descriptives(&ds, &["nope"], &DescOptions::default()),
        Err(shanghui_stats::data::DataError::UnknownVariable(_))
    ));
}

#[test]
fn mode_and_frequency_order() {
    let ds = ds_of(&[(
        "x",
        vec![3.0, 1.0, 3.0, 1.0, 2.0, -0.0, 0.0],
        MissingSpec::None,
    )]);
    let f = &frequencies(&ds, &["x"], &FreqOptions::default()).unwrap()[0];
    let s = f.statistics.as_ref().unwrap();
    // 0 (as -0 and 0), 1 and 3 each twice: the smallest is shown, flagged.
    assert_eq!((s.mode, s.multiple_modes), (Some(0.0), true));
    assert_eq!(f.valid.len(), 4);
    let t = &f.to_tables()[0];
    assert!(t.notes.iter().any(|n| n.contains("Multiple modes")));
    let d = &frequencies(
        &ds,
        &["x"],
        &FreqOptions {
            order: FreqOrder::DescendingFrequency,
            ..Default::default()
        },
    )
    .unwrap()[0];
    let vals: Vec<f64> = d
        .valid_rows()
        .map(|r| match r.value {
            Value::Num(x) => x,
            _ => 0.0,
        })
        .collect();
    assert_eq!(vals, [0.0, 1.0, 3.0, 2.0]);
    assert_eq!(
        d.valid_rows().last().unwrap().cumulative_percent,
        Some(100.0)
    );
    // The JSON holds the rows in full.
    let json = serde_json::to_value(d).unwrap();
    assert_eq!(json["valid"][0]["frequency"], 2.0);
    assert_eq!(json["valid"][3]["cumulative_percent"], 100.0);
    assert!(json["valid"][0]["percent"].as_f64().is_some());
}

#[test]
fn large_values_keep_precision() {
    // 1e9 + small offsets: naive Σx² − (Σx)²/n loses every digit of the variance.
    let xs: Vec<f64> = (0..100_000).map(|i| 1e9 + (i % 7) as f64 * 0.1).collect();
    let ds = ds_of(&[("x", xs.clone(), MissingSpec::None)]);
    let d = &descriptives(&ds, &["x"], &DescOptions::default())
        .unwrap()
        .variables[0];
    let n = xs.len() as f64;
    let mean = 1e9 + xs.iter().map(|x| x - 1e9).sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    assert!(
        harness::close(d.variance.unwrap(), var, 1e-9),
        "{:?} vs {var}",
        d.variance
    );
    let f = &frequencies(&ds, &["x"], &FreqOptions::default()).unwrap()[0];
    assert!(harness::close(
        f.statistics.as_ref().unwrap().variance.unwrap(),
        var,
        1e-9
    ));
}

// ---------------------------------------------------------------------------------------------
// Property tests

fn column() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(
        prop_oneof![
            6 => (0i32..8).prop_map(|x| x as f64),
            2 => (-1000.0f64..1000.0).prop_map(|x| (x * 100.0).round() / 100.0),
            1 => Just(f64::NAN),
            1 => Just(99.0),
        ],
        1..120,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn frequency_invariants(xs in column(), ys in column()) {
        let n = xs.len().min(ys.len());
        let miss = MissingSpec::Values(vec![Value::Num(99.0)]);
        let ds = ds_of(&[("x", xs[..n].to_vec(), miss.clone()), ("y", ys[..n].to_vec(), miss)]);
        let opts = FreqOptions { percentiles: vec![1.0, 25.0, 50.0, 99.0], ..Default::default() };
        for f in frequencies(&ds, &["x", "y"], &opts).unwrap() {
            let counts: f64 = f.valid_rows().chain(f.missing_rows()).map(|r| r.frequency).sum::<f64>() + f.system_missing;
            prop_assert_eq!(counts, n as f64);
            prop_assert_eq!(f.n_valid + f.n_missing, f.total);
            prop_assert_eq!(f.valid_rows().map(|r| r.frequency).sum::<f64>(), f.n_valid);
            let pct: f64 = f.valid_rows().chain(f.missing_rows()).map(|r| r.percent).sum::<f64>()
                + f.system_missing / f.total * 100.0;
            prop_assert!((pct - 100.0).abs() < 1e-9);
            if f.n_valid > 0.0 {
                let vp: f64 = f.valid_rows().map(|r| r.valid_percent.unwrap()).sum();
                prop_assert!((vp - 100.0).abs() < 1e-9);
                prop_assert!((f.valid_rows().last().unwrap().cumulative_percent.unwrap() - 100.0).abs() < 1e-9);
                // Percentages rounded as shown add up to 100 within rounding.
                let shown: f64 = f.valid_rows().map(|r| (r.valid_percent.unwrap() * 10.0).round() / 10.0).sum();
                prop_assert!((shown - 100.0).abs() <= 0.05 * f.valid.len() as f64 + 1e-9);
                let s = f.statistics.as_ref().unwrap();
                let (lo, hi) = (s.minimum.unwrap(), s.maximum.unwrap());
                // HAVERAGE percentiles against interpolation in the sorted valid values.
                let col = if f.variable == "x" { &xs[..n] } else { &ys[..n] };
                let mut sorted: Vec<f64> = col.iter().copied().filter(|v| !v.is_nan() && *v != 99.0).collect();
                sorted.sort_by(|a, b| a.total_cmp(b));
                let w = sorted.len() as f64;
                for p in &s.percentiles {
                    let v = p.value.unwrap();
                    prop_assert!(v >= lo && v <= hi);
                    let tp = (w + 1.0) * p.percent / 100.0 - 1.0;
                    let want = if tp <= 0.0 {
                        sorted[0]
                    } else if tp >= w - 1.0 {
                        sorted[sorted.len() - 1]
                    } else {
                        let k = tp.floor() as usize;
                        sorted[k] + (sorted[k + 1] - sorted[k]) * (tp - tp.floor())
                    };
                    prop_assert!((v - want).abs() <= 1e-9 * want.abs().max(1.0), "{} {}: {} vs {}", f.variable, p.percent, v, want);
                }
                prop_assert!(s.mean.unwrap() >= lo - 1e-9 && s.mean.unwrap() <= hi + 1e-9);
                prop_assert!(f.valid_rows().all(|r| r.valid_percent.unwrap() >= r.percent));
            }
            prop_assert!(f.missing_rows().all(|r| r.valid_percent.is_none()));
        }
    }

    #[test]
    fn correlation_and_alpha_bounds(xs in column(), ys in column(), zs in column()) {
        let n = xs.len().min(ys.len()).min(zs.len());
        let miss = MissingSpec::Values(vec![Value::Num(99.0)]);
        let ds = ds_of(&[
            ("x", xs[..n].to_vec(), miss.clone()),
            ("y", ys[..n].to_vec(), miss.clone()),
            ("z", zs[..n].to_vec(), miss),
        ]);
        for method in [CorrMethod::Pearson, CorrMethod::Spearman] {
            for listwise in [false, true] {
                let c = correlations(&ds, &["x", "y", "z"], &CorrOptions { method, listwise, include_user_missing: false }).unwrap();
                for row in &c.matrix {
                    for cell in row {
                        if let Some(r) = cell.r { prop_assert!((-1.0..=1.0).contains(&r)); }
                        if let Some(p) = cell.p { prop_assert!((0.0..=1.0).contains(&p)); }
                    }
                }
            }
        }
        let r = reliability(&ds, &["x", "y", "z"], &RelOptions::default()).unwrap();
        if let Some(a) = r.alpha { prop_assert!(a <= 1.0 + 1e-12); }
        for it in &r.items {
            if let Some(a) = it.alpha_if_deleted { prop_assert!(a <= 1.0 + 1e-12); }
            if let Some(c) = it.corrected_item_total_correlation { prop_assert!(c.abs() <= 1.0 + 1e-12); }
        }
        let d = descriptives(&ds, &["x", "y", "z"], &DescOptions::default()).unwrap();
        for v in &d.variables {
            if let Some(var) = v.variance { prop_assert!(var >= 0.0); }
            prop_assert!(v.n <= n as f64);
            prop_assert!(d.valid_n_listwise <= v.n);
        }
        let m = &means(&ds, &["x"], &["y"], &MeansOptions::default()).unwrap()[0];
        let total = m.cells.last().unwrap();
        prop_assert_eq!(total.n, m.included);
        let groups: f64 = m.cells[..m.cells.len() - 1].iter().map(|c| c.n).sum();
        prop_assert_eq!(groups, m.included);
    }
}
