//! Times FREQUENCIES on all 24 variables and DESCRIPTIVES on the numeric ones of a generated
//! data set of 1,000,000 cases × 24 variables shaped like a federation's survey items: 12
//! coded answers (with value labels and user-missing codes), 6 counts, 4 amounts with two
//! decimals (nearly all distinct), 2 text variables; system-missing cells throughout.
//!
//! ```text
//! cargo run --release -p shanghui-stats --example descriptive_bench [-- ROWS [REPEATS]]
//! ```
//!
//! Prints the best wall-clock time of each procedure over the repeats (variables in parallel on
//! the available cores). `SHANGHUI_BENCH_DETAIL=1` first runs each variable alone on one thread
//! and prints its CPU time (from /proc/thread-self/schedstat, so other processes' load does not
//! count). `SHANGHUI_BENCH_CSV=/tmp/bench.csv` also writes the data as CSV (for running PSPP on
//! the same data).

use std::io::Write;
use std::time::Instant;

use shanghui_stats::desc::{DescOptions, descriptives};
use shanghui_stats::freq::{FreqOptions, frequencies};
use shanghui_stats::{Column, Dataset, MissingSpec, Value, Variable};

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
}

fn generate(rows: usize) -> Dataset {
    let mut r = Rng(0x5eed_1234_abcd_0001);
    let mut ds = Dataset::default();
    // 12 coded answers: 1..=k, user-missing 9 (or 99), ~2% system-missing.
    for j in 0..12 {
        let k = 2 + (j % 6) as u64 * 2;
        let miss_code = if k < 9 { 9.0 } else { 99.0 };
        let col: Vec<f64> = (0..rows)
            .map(|_| {
                let u = r.uniform();
                if u < 0.02 {
                    f64::NAN
                } else if u < 0.03 {
                    miss_code
                } else {
                    (1 + r.next() % k) as f64
                }
            })
            .collect();
        let mut v = Variable::numeric(&format!("q{:02}", j + 1));
        v.decimals = 0;
        v.missing = MissingSpec::Values(vec![Value::Num(miss_code)]);
        v.value_labels = (1..=k)
            .map(|c| (Value::Num(c as f64), format!("answer {c}")))
            .chain(std::iter::once((
                Value::Num(miss_code),
                "no answer".to_string(),
            )))
            .collect();
        ds.push(v, Column::Num(col));
    }
    // 6 counts (members, staff, ...): skewed integers, 1% system-missing.
    for j in 0..6 {
        let scale = [20.0, 50.0, 200.0, 500.0, 1000.0, 5000.0][j];
        let col: Vec<f64> = (0..rows)
            .map(|_| {
                if r.uniform() < 0.01 {
                    f64::NAN
                } else {
                    (scale * (0.8 * r.normal()).exp()).round()
                }
            })
            .collect();
        let mut v = Variable::numeric(&format!("n{:02}", j + 1));
        v.decimals = 0;
        ds.push(v, Column::Num(col));
    }
    // 4 amounts with two decimals (nearly every value distinct), user-missing range < 0.
    for j in 0..4 {
        let col: Vec<f64> = (0..rows)
            .map(|_| {
                let u = r.uniform();
                if u < 0.01 {
                    f64::NAN
                } else if u < 0.015 {
                    -1.0
                } else {
                    ((10_000.0 * (1.2 * r.normal()).exp()) * 100.0).round() / 100.0
                }
            })
            .collect();
        let mut v = Variable::numeric(&format!("m{:02}", j + 1));
        v.decimals = 2;
        v.missing = MissingSpec::Range {
            lo: f64::NEG_INFINITY,
            hi: -0.5,
        };
        ds.push(v, Column::Num(col));
    }
    // 2 text variables: region (31 names), kind (5 names).
    let regions: Vec<String> = (0..31).map(|i| format!("region{i:02}")).collect();
    let kinds = ["county", "city", "district", "industry", "other"];
    let col: Vec<String> = (0..rows)
        .map(|_| regions[(r.next() % 31) as usize].clone())
        .collect();
    ds.push(Variable::string("region", 10), Column::Str(col));
    let col: Vec<String> = (0..rows)
        .map(|_| kinds[(r.next() % 5) as usize].to_string())
        .collect();
    ds.push(Variable::string("kind", 10), Column::Str(col));
    ds
}

fn write_csv(ds: &Dataset, path: &str) -> std::io::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    let names: Vec<&str> = ds.variables.iter().map(|v| v.name.as_str()).collect();
    writeln!(f, "{}", names.join(","))?;
    for r in 0..ds.cases() {
        let cells: Vec<String> = ds
            .columns
            .iter()
            .map(|c| match c {
                Column::Num(x) if x[r].is_nan() => String::new(),
                Column::Num(x) => format!("{}", x[r]),
                Column::Str(s) => s[r].clone(),
            })
            .collect();
        writeln!(f, "{}", cells.join(","))?;
    }
    Ok(())
}

/// This thread's time on a CPU (Linux), to measure through other processes' load.
fn thread_cpu() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(s.split_whitespace().next()?.parse::<f64>().ok()? / 1e9)
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
        "generated {rows} cases x {} variables in {:.2?}",
        ds.variables.len(),
        t.elapsed()
    );
    if let Ok(path) = std::env::var("SHANGHUI_BENCH_CSV") {
        write_csv(&ds, &path).expect("write csv");
        eprintln!("wrote {path}");
    }
    let all: Vec<&str> = ds.variables.iter().map(|v| v.name.as_str()).collect();
    let numeric: Vec<&str> = ds
        .variables
        .iter()
        .zip(&ds.columns)
        .filter(|(_, c)| matches!(c, Column::Num(_)))
        .map(|(v, _)| v.name.as_str())
        .collect();
    let fopts = FreqOptions {
        percentiles: vec![25.0, 50.0, 75.0],
        ..FreqOptions::default()
    };
    if std::env::var("SHANGHUI_BENCH_DETAIL").is_ok() {
        // One variable at a time (no parallelism): where the time goes.
        let (mut fsum, mut dsum) = (0.0, 0.0);
        for v in &all {
            let c0 = thread_cpu().unwrap_or(0.0);
            let f = frequencies(&ds, &[v], &fopts).expect("frequencies");
            let c1 = thread_cpu().unwrap_or(0.0);
            let d = numeric
                .contains(v)
                .then(|| descriptives(&ds, &[v], &DescOptions::default()).expect("descriptives"));
            let c2 = thread_cpu().unwrap_or(0.0);
            fsum += c1 - c0;
            dsum += c2 - c1;
            eprintln!(
                "  {v}: frequencies {:.1} ms CPU ({} rows), descriptives {:.1} ms CPU",
                (c1 - c0) * 1e3,
                f[0].valid.len() + f[0].user_missing.len(),
                (c2 - c1) * 1e3
            );
            std::hint::black_box((f, d));
        }
        println!(
            "one thread, CPU time: frequencies {:.1} ms, descriptives {:.1} ms, together {:.1} ms",
            fsum * 1e3,
            dsum * 1e3,
            (fsum + dsum) * 1e3
        );
    }
    let mut best = (f64::INFINITY, f64::INFINITY, f64::INFINITY);
    for _ in 0..repeats {
        let t0 = Instant::now();
        let f = frequencies(&ds, &all, &fopts).expect("frequencies");
        let t1 = Instant::now();
        let d = descriptives(&ds, &numeric, &DescOptions::default()).expect("descriptives");
        let t2 = Instant::now();
        std::hint::black_box((&f, &d));
        let (a, b) = ((t1 - t0).as_secs_f64(), (t2 - t1).as_secs_f64());
        best = (best.0.min(a), best.1.min(b), best.2.min(a + b));
        eprintln!(
            "  FREQUENCIES {} vars: {:.1} ms ({} table rows); DESCRIPTIVES {} vars: {:.1} ms",
            all.len(),
            a * 1e3,
            f.iter()
                .map(|r| r.valid.len() + r.user_missing.len())
                .sum::<usize>(),
            numeric.len(),
            b * 1e3
        );
    }
    println!(
        "rows={rows} vars={} threads={} best: frequencies {:.1} ms, descriptives {:.1} ms, together {:.1} ms",
        all.len(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        best.0 * 1e3,
        best.1 * 1e3,
        best.2 * 1e3
    );
}
