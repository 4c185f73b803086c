//! Running PSPP and Python on the same data as a test, and reading back what they print.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

static N: AtomicU64 = AtomicU64::new(0);

/// A scratch folder removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new() -> Self {
        let p = std::env::temp_dir().join(format!(
            "shanghui_stats_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn available(tool: &str, args: &[&str]) -> bool {
    let ok = Command::new(tool)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if required() {
            panic!("{tool} is not available under CI: the comparison tests are mandatory there");
        }
        eprintln!("NOTE: {tool} is not available: its comparisons are NOT run");
    }
    ok
}

pub fn have_pspp() -> bool {
    available("pspp", &["--version"])
}

pub fn have_scipy() -> bool {
    available("python3", &["-c", "import scipy, statsmodels"])
}

/// Writes a CSV of the columns (header row of names; empty cell = system-missing).
pub fn write_csv(path: &PathBuf, names: &[&str], columns: &[Vec<Option<f64>>]) {
    let mut f = std::fs::File::create(path).unwrap();
    writeln!(f, "{}", names.join(",")).unwrap();
    let n = columns.first().map(Vec::len).unwrap_or(0);
    for r in 0..n {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| c[r].map(|x| format!("{x:?}")).unwrap_or_default())
            .collect();
        writeln!(f, "{}", cells.join(",")).unwrap();
    }
}

/// PSPP syntax that reads the CSV written by [`write_csv`] (all variables numeric, F12.4 shown
/// with enough digits).
pub fn get_data(csv: &std::path::Path, names: &[&str]) -> String {
    let vars: Vec<String> = names.iter().map(|n| format!("{n} F12.4")).collect();
    format!(
        "GET DATA /TYPE=TXT /FILE='{}' /ARRANGEMENT=DELIMITED /DELCASE=LINE /FIRSTCASE=2 \
         /DELIMITERS=',' /VARIABLES={}.\n",
        csv.display(),
        vars.join(" ")
    )
}

/// Runs PSPP on `syntax` and returns its output as CSV rows (PSPP's `-O format=csv`): every
/// table cell as PSPP prints it.
pub fn pspp(s: &Scratch, syntax: &str) -> Vec<Vec<String>> {
    let sps = s.file("job.sps");
    std::fs::write(&sps, syntax).unwrap();
    let out = s.file("out.csv");
    let o = Command::new("pspp")
        .arg("-O")
        .arg("format=csv")
        .arg("-o")
        .arg(&out)
        .arg(&sps)
        .output()
        .expect("run pspp");
    assert!(
        o.status.success(),
        "pspp failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let mut rdr = csv_rows(&text);
    rdr.retain(|r| !r.is_empty());
    rdr
}

/// A minimal CSV reader (PSPP quotes cells with commas or quotes).
pub fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut cell)),
            ('\n', false) => {
                row.push(std::mem::take(&mut cell));
                if !(row.len() == 1 && row[0].is_empty()) {
                    rows.push(std::mem::take(&mut row));
                } else {
                    row.clear();
                }
            }
            ('\r', false) => {}
            _ => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

/// The row of PSPP's output whose first cells are `label` (after trimming), if any.
pub fn row<'a>(rows: &'a [Vec<String>], label: &[&str]) -> Option<&'a Vec<String>> {
    rows.iter()
        .find(|r| r.len() >= label.len() && r.iter().zip(label).all(|(a, b)| a.trim() == b.trim()))
}

/// Runs a Python script that prints one JSON value; returns it.
pub fn python(s: &Scratch, script: &str) -> serde_json::Value {
    let py = s.file("job.py");
    std::fs::write(&py, script).unwrap();
    let o = Command::new("python3")
        .arg(&py)
        .output()
        .expect("run python3");
    assert!(
        o.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "python printed no JSON ({e}): {}",
            String::from_utf8_lossy(&o.stdout)
        )
    })
}

/// Whether `ours` shows as PSPP's `printed` (same digits after rounding to its decimals).
pub fn shows_as(ours: f64, printed: &str) -> bool {
    let p = printed.trim();
    if p.is_empty() || p == "." {
        return ours.is_nan();
    }
    let decimals = p.split('.').nth(1).map(|d| d.len()).unwrap_or(0);
    let mine = format!("{:.*}", decimals, ours);
    // PSPP prints a leading zero ("0.05") but may print "-.00" style in some tables.
    let norm = |s: &str| s.replace("-0.", "-.").trim_start_matches('0').to_string();
    mine == p
        || norm(&mine) == norm(p)
        || (p.parse::<f64>().is_ok_and(|x| x == 0.0) && mine.parse::<f64>().is_ok_and(|x| x == 0.0))
}

/// Relative agreement to `rel` (absolute near zero).
pub fn close(ours: f64, theirs: f64, rel: f64) -> bool {
    if ours.is_nan() && theirs.is_nan() {
        return true;
    }
    (ours - theirs).abs() <= rel * theirs.abs().max(1e-12)
}
