//! Times 5 CROSSTABS with chi-square (and the other statistics, which cost nothing more) on a
//! generated data set of 1,000,000 cases × 24 variables shaped like a federation's survey
//! items (12 coded answers with user-missing codes, 6 counts, 4 amounts, 2 text variables;
//! system-missing cells throughout), then FREQUENCIES on all 24 variables and DESCRIPTIVES on
//! the 22 numeric ones on the same data, and the three together (the issue's figure: <= 1 s).
//!
//! ```text
//! cargo run --release -p shanghui-stats --example inferential_bench [-- ROWS [REPEATS]]
//! ```
//!
//! Prints the best wall-clock time of each part over the repeats. The five tables: two coded
//! answers; two coded answers within a third (layers); a coded answer by a text variable; two
//! 2-category answers (2×2: Fisher's exact test, continuity correction); a text variable by a
//! coded answer within a 2-category one.

use std::time::{Duration, Instant};

use shanghui_stats::crosstabs::{CrosstabOptions, crosstabs};
use shanghui_stats::desc::{DescOptions, descriptives};
use shanghui_stats::freq::{FreqOptions, frequencies};
use shanghui_stats::{Column, Dataset, MissingSpec, Value, Variable};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let u = self.uniform().max(1e-300);
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

fn generate(rows: usize) -> Dataset {
    let mut r = Rng(0x1a2b_3c4d);
    let mut ds = Dataset::default();
    for j in 0..12 {
        // 2, 4, ..., 12 categories; user-missing 9 or 99; 2% system-missing.
        let k = 2 + (j % 6) as u64 * 2;
        let miss = if k < 9 { 9.0 } else { 99.0 };
        let col = (0..rows)
            .map(|_| {
                let u = r.uniform();
                if u < 0.02 {
                    f64::NAN
                } else if u < 0.03 {
                    miss
                } else {
                    (1 + r.next() % k) as f64
                }
            })
            .collect();
        let mut v = Variable::numeric(&format!("q{:02}", j + 1));
        v.decimals = 0;
        v.missing = MissingSpec::Values(vec![Value::Num(miss)]);
        v.value_labels = (1..=k)
            .map(|c| (Value::Num(c as f64), format!("answer {c}")))
            .collect();
        ds.push(v, Column::Num(col));
    }
    for j in 0..6 {
        let scale = [20.0, 50.0, 200.0, 500.0, 1000.0, 5000.0][j];
        let col = (0..rows)
            .map(|_| {
                if r.uniform() < 0.01 {
                    f64::NAN
                } else {
                    (scale * (0.8 * r.normal()).exp()).round()
                }
            })
            .collect();
        let mut v = Variable::numeric(&format!("n{}", j + 1));
        v.decimals = 0;
        ds.push(v, Column::Num(col));
    }
    for j in 0..4 {
        let col = (0..rows)
            .map(|_| {
                if r.uniform() < 0.01 {
                    f64::NAN
                } else {
                    ((1e4 * (r.normal() + 3.0).exp()) * 100.0).round() / 100.0
                }
            })
            .collect();
        ds.push(
            Variable::numeric(&format!("amt{}", j + 1)),
            Column::Num(col),
        );
    }
    let regions: Vec<String> = (0..30).map(|i| format!("region {i:02}")).collect();
    let col = (0..rows)
        .map(|_| regions[(r.next() % 30) as usize].clone())
        .collect();
    ds.push(Variable::string("region", 12), Column::Str(col));
    let sizes = ["micro", "small", "medium", "large", ""];
    let col = (0..rows)
        .map(|_| sizes[(r.next() % 5) as usize].to_string())
        .collect();
    let mut v = Variable::string("size", 8);
    v.missing = MissingSpec::Values(vec![Value::Str(String::new())]);
    ds.push(v, Column::Str(col));
    ds
}

fn best(repeats: usize, mut f: impl FnMut()) -> Duration {
    (0..repeats)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rows: usize = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let repeats: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5);
    let t = Instant::now();
    let ds = generate(rows);
    eprintln!(
        "generated {rows} cases x {} variables in {:?}",
        ds.variables.len(),
        t.elapsed()
    );

    let tables: [(&str, &str, Option<&str>); 5] = [
        ("q02", "q03", None),
        ("q04", "q05", Some("q03")),
        ("q06", "region", None),
        ("q01", "q07", None),
        ("size", "q08", Some("q01")),
    ];
    let opts = CrosstabOptions::default();
    let run_crosstabs = || {
        let mut cells = 0usize;
        for (r, c, l) in tables {
            let res = crosstabs(&ds, r, c, l, &opts).expect("crosstabs");
            assert!(res.layers.iter().all(|l| l.pearson.is_some()));
            cells += res
                .layers
                .iter()
                .map(|l| l.rows.len() * l.cols.len())
                .sum::<usize>();
        }
        cells
    };
    eprintln!("crosstab cells: {}", run_crosstabs());
    let xt = best(repeats, || {
        run_crosstabs();
    });
    println!(
        "5 CROSSTABS with chi-square:               {:>8.1} ms",
        xt.as_secs_f64() * 1e3
    );

    let all: Vec<String> = ds.variables.iter().map(|v| v.name.clone()).collect();
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let numeric: Vec<&str> = all
        .iter()
        .copied()
        .filter(|n| !matches!(*n, "region" | "size"))
        .collect();
    let fr = best(repeats, || {
        frequencies(&ds, &all, &FreqOptions::default()).expect("frequencies");
    });
    println!(
        "FREQUENCIES on 24 variables:               {:>8.1} ms",
        fr.as_secs_f64() * 1e3
    );
    let de = best(repeats, || {
        descriptives(&ds, &numeric, &DescOptions::default()).expect("descriptives");
    });
    println!(
        "DESCRIPTIVES on 22 numeric variables:      {:>8.1} ms",
        de.as_secs_f64() * 1e3
    );
    let together = best(repeats, || {
        frequencies(&ds, &all, &FreqOptions::default()).expect("frequencies");
        descriptives(&ds, &numeric, &DescOptions::default()).expect("descriptives");
        run_crosstabs();
    });
    println!(
        "all three, one after another:              {:>8.1} ms",
        together.as_secs_f64() * 1e3
    );
}
