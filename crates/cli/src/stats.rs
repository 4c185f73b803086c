//! `shanghui stats`: SPSS's procedures on any sheet (csv, xlsx, xls, ods, sav) or on a campaign's
//! reports, printed as text, JSON (full-precision numbers, keys by procedure), CSV, HTML or an
//! xlsx workbook. The numbers are the stats crate's, checked against PSPP and scipy.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use clap::{Args, ValueEnum};
use shanghui_core::{Lang, Scope};
use shanghui_stats::table::Table;
use shanghui_stats::{Dataset, Value};
use shanghui_stats::{corr, crosstabs, desc, freq, means, oneway, reliability, ttest};
use shanghui_store::{Db, campaigns, orgs, statdata};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Csv,
    Xlsx,
    Html,
}

#[derive(Args)]
pub struct StatsArgs {
    /// A data file: csv (UTF-8 or GBK), xlsx, xls, ods or sav. Or use --campaign.
    file: Option<PathBuf>,
    /// The submitted reports of a campaign (one case per report) instead of a file.
    #[arg(long, conflicts_with = "file")]
    campaign: Option<i64>,
    /// With --campaign: only this node's subtree.
    #[arg(long, requires = "campaign")]
    node: Option<i64>,
    #[arg(long, value_delimiter = ',')]
    frequencies: Vec<String>,
    #[arg(long, value_delimiter = ',')]
    descriptives: Vec<String>,
    /// `row*col` or `row*col*layer`; repeat for several tables.
    #[arg(long)]
    crosstabs: Vec<String>,
    #[arg(long, value_delimiter = ',')]
    correlations: Vec<String>,
    /// Spearman's rho instead of Pearson's r.
    #[arg(long)]
    spearman: bool,
    #[arg(long, value_delimiter = ',')]
    reliability: Vec<String>,
    /// Test variables of a t-test: with --groups (independent samples) or --testval (one sample).
    #[arg(long, value_delimiter = ',')]
    ttest: Vec<String>,
    /// `g=1,2`: the grouping variable and its two values (or `g=5`: a cut point).
    #[arg(long)]
    groups: Option<String>,
    #[arg(long)]
    testval: Option<f64>,
    /// `x,y`: a paired-samples t-test.
    #[arg(long, value_delimiter = ',')]
    paired: Vec<String>,
    /// Dependent variables of a one-way ANOVA (with --by).
    #[arg(long, value_delimiter = ',')]
    oneway: Vec<String>,
    /// Dependent variables of MEANS (with --by).
    #[arg(long, value_delimiter = ',')]
    means: Vec<String>,
    /// The factor of --oneway, the grouping variables of --means.
    #[arg(long, value_delimiter = ',')]
    by: Vec<String>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write here instead of standard output (required for xlsx).
    #[arg(long)]
    out: Option<PathBuf>,
}

impl StatsArgs {
    /// Whether the data come from the database (a campaign) rather than a file.
    pub fn needs_db(&self) -> bool {
        self.campaign.is_some()
    }
}

/// Every procedure asked for: the JSON object (keys by procedure) and the tables (only built
/// when printed: a frequency table of a million distinct amounts is millions of cells).
struct Output {
    /// Procedure → its results as JSON text (a list for the procedures that may run several
    /// times), in the order asked; text rather than a `serde_json::Value` tree, which for a
    /// frequency table of a million values takes gigabytes.
    json: Vec<(String, Vec<String>)>,
    /// Procedures whose key holds one value, not a list (FREQUENCIES and MEANS give a list).
    single: Vec<String>,
    tables: Vec<Table>,
    want_tables: bool,
    want_json: bool,
}

impl Output {
    fn add<T: serde::Serialize>(
        &mut self,
        key: &str,
        result: &T,
        tables: Vec<Table>,
    ) -> Result<()> {
        if self.want_json {
            let v = serde_json::to_string(result)?;
            match self.json.iter_mut().find(|(k, _)| k == key) {
                Some((_, list)) => list.push(v),
                None => self.json.push((key.to_string(), vec![v])),
            }
        }
        if self.want_tables {
            self.tables.extend(tables);
        }
        Ok(())
    }
}

impl Output {
    /// A procedure whose results are one value under its key.
    fn put_single<T: serde::Serialize>(&mut self, key: &str, result: &T) -> Result<()> {
        if self.want_json {
            self.json
                .push((key.to_string(), vec![serde_json::to_string(result)?]));
            self.single.push(key.to_string());
        } else {
            // Only to know that something was asked for.
            self.json.push((key.to_string(), Vec::new()));
        }
        Ok(())
    }

    /// The JSON object: keys by procedure, full-precision numbers.
    fn write_json(&self, w: &mut impl std::io::Write) -> Result<()> {
        w.write_all(b"{")?;
        for (i, (key, values)) in self.json.iter().enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            w.write_all(b"\n  ")?;
            serde_json::to_writer(&mut *w, key)?;
            w.write_all(b": ")?;
            if self.single.contains(key) {
                w.write_all(values.concat().as_bytes())?;
            } else {
                w.write_all(b"[")?;
                w.write_all(values.join(",").as_bytes())?;
                w.write_all(b"]")?;
            }
        }
        w.write_all(b"\n}\n")?;
        Ok(())
    }
}

fn names(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// `g=1,2` (two values) or `g=5` (a cut point).
fn parse_groups(spec: &str, ds: &Dataset) -> Result<(String, ttest::Groups)> {
    let (var, vals) = spec
        .split_once('=')
        .ok_or_else(|| anyhow!("--groups: expected g=1,2 or g=CUT, not {spec:?}"))?;
    let (v, _) = ds.var(var)?;
    let value = |s: &str| -> Result<Value> {
        Ok(match v.kind {
            shanghui_stats::VarKind::Numeric => Value::Num(
                s.trim()
                    .parse()
                    .map_err(|_| anyhow!("--groups: {s:?} is not a number"))?,
            ),
            shanghui_stats::VarKind::String { .. } => Value::Str(s.trim().to_string()),
        })
    };
    let groups = match vals.split_once(',') {
        Some((a, b)) => ttest::Groups::Values(value(a)?, value(b)?),
        None => ttest::Groups::CutPoint(
            vals.trim()
                .parse()
                .map_err(|_| anyhow!("--groups: {vals:?} is not a number"))?,
        ),
    };
    Ok((var.to_string(), groups))
}

fn run_procedures(ds: &Dataset, a: &StatsArgs) -> Result<Output> {
    let mut out = Output {
        json: Vec::new(),
        single: Vec::new(),
        tables: Vec::new(),
        want_tables: a.format != Format::Json,
        want_json: a.format == Format::Json,
    };
    if !a.frequencies.is_empty() {
        let r = freq::frequencies(ds, &names(&a.frequencies), &freq::FreqOptions::default())?;
        if out.want_tables {
            out.tables.extend(freq::frequencies_tables(&r));
        }
        out.put_single("frequencies", &r)?;
    }
    if !a.descriptives.is_empty() {
        let r = desc::descriptives(ds, &names(&a.descriptives), &desc::DescOptions::default())?;
        out.add("descriptives", &r, r.to_tables())?;
    }
    for spec in &a.crosstabs {
        let parts: Vec<&str> = spec.split('*').map(str::trim).collect();
        let (row, col, layer) = match parts.as_slice() {
            [r, c] => (*r, *c, None),
            [r, c, l] => (*r, *c, Some(*l)),
            _ => {
                return Err(anyhow!(
                    "--crosstabs: expected row*col or row*col*layer, not {spec:?}"
                ));
            }
        };
        let r = crosstabs::crosstabs(ds, row, col, layer, &crosstabs::CrosstabOptions::default())?;
        out.add("crosstabs", &r, r.to_tables())?;
    }
    if !a.correlations.is_empty() {
        let opts = corr::CorrOptions {
            method: if a.spearman {
                corr::CorrMethod::Spearman
            } else {
                corr::CorrMethod::Pearson
            },
            listwise: false,
            include_user_missing: false,
        };
        let r = corr::correlations(ds, &names(&a.correlations), &opts)?;
        out.add("correlations", &r, r.to_tables())?;
    }
    if !a.reliability.is_empty() {
        let r = reliability::reliability(
            ds,
            &names(&a.reliability),
            &reliability::RelOptions::default(),
        )?;
        out.add("reliability", &r, r.to_tables())?;
    }
    let topts = ttest::TTestOptions::default();
    if !a.ttest.is_empty() {
        match (&a.groups, a.testval) {
            (Some(g), _) => {
                let (var, groups) = parse_groups(g, ds)?;
                let r = ttest::ttest_independent(ds, &names(&a.ttest), &var, &groups, &topts)?;
                out.add("ttest", &r, r.to_tables())?;
            }
            (None, Some(tv)) => {
                let r = ttest::ttest_one_sample(ds, &names(&a.ttest), tv, &topts)?;
                out.add("ttest", &r, r.to_tables())?;
            }
            (None, None) => return Err(anyhow!("--ttest needs --groups g=1,2 or --testval N")),
        }
    }
    if !a.paired.is_empty() {
        let [x, y] = a.paired.as_slice() else {
            return Err(anyhow!("--paired: expected two variables x,y"));
        };
        let r = ttest::ttest_paired(ds, &[(x.as_str(), y.as_str())], &topts)?;
        out.add("ttest_paired", &r, r.to_tables())?;
    }
    if !a.oneway.is_empty() {
        let [factor] = a.by.as_slice() else {
            return Err(anyhow!("--oneway needs --by with one factor"));
        };
        let r = oneway::oneway(
            ds,
            &names(&a.oneway),
            factor,
            &oneway::OnewayOptions::default(),
        )?;
        out.add("oneway", &r, r.to_tables())?;
    }
    if !a.means.is_empty() {
        if a.by.is_empty() {
            return Err(anyhow!("--means needs --by"));
        }
        let r = means::means(
            ds,
            &names(&a.means),
            &names(&a.by),
            &means::MeansOptions::default(),
        )?;
        if out.want_tables {
            out.tables.extend(r.iter().flat_map(|m| m.to_tables()));
        }
        out.put_single("means", &r)?;
    }
    Ok(out)
}

/// The tables as CSV, one after another (a blank line between), written as they are rendered.
fn write_csv(tables: &[Table], w: &mut impl std::io::Write) -> std::io::Result<()> {
    w.write_all("\u{feff}".as_bytes())?;
    for t in tables {
        let cells: Vec<Vec<String>> = std::iter::once(t.columns.clone())
            .chain(t.rows.iter().map(|r| r.iter().map(|c| c.shown()).collect()))
            .collect();
        let bytes = shanghui_files::write_table_csv(std::slice::from_ref(&t.title), &cells);
        // Each table's own byte-order mark is left out: the file has one, at its start.
        w.write_all(bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes))?;
        w.write_all(b"\r\n")?;
    }
    Ok(())
}

fn html_text(tables: &[Table]) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut s = String::from(
        "<!doctype html><meta charset=\"utf-8\"><style>table{border-collapse:collapse;margin:1em 0}\
         td,th{border:1px solid #999;padding:2px 6px}td{text-align:right}caption{font-weight:bold;text-align:left}</style>\n",
    );
    for t in tables {
        s.push_str(&format!("<table><caption>{}</caption><tr>", esc(&t.title)));
        for c in &t.columns {
            s.push_str(&format!("<th>{}</th>", esc(c)));
        }
        s.push_str("</tr>");
        for r in &t.rows {
            s.push_str("<tr>");
            for c in r {
                s.push_str(&format!("<td>{}</td>", esc(&c.shown())));
            }
            s.push_str("</tr>");
        }
        s.push_str("</table>\n");
        for n in &t.notes {
            s.push_str(&format!("<p>{}</p>\n", esc(n)));
        }
    }
    s
}

fn xlsx_bytes(tables: &[Table]) -> Result<Vec<u8>> {
    let mut used = std::collections::HashSet::new();
    let sheets: Vec<shanghui_files::Table> = tables
        .iter()
        .enumerate()
        .map(|(i, t)| {
            // Excel sheet names: 31 characters, no []:*?/\, unique.
            let mut name: String = t
                .title
                .chars()
                .filter(|c| !"[]:*?/\\".contains(*c))
                .take(28)
                .collect();
            if name.is_empty() || !used.insert(name.clone()) {
                name = format!("{}{}", name.chars().take(24).collect::<String>(), i + 1);
                used.insert(name.clone());
            }
            shanghui_files::Table {
                sheet: name,
                header: t.columns.clone(),
                rows: t
                    .rows
                    .iter()
                    .map(|r| r.iter().map(|c| c.shown()).collect())
                    .collect(),
            }
        })
        .collect();
    Ok(shanghui_files::write_tables_xlsx(&sheets)?)
}

async fn dataset(db: Option<&Db>, a: &StatsArgs, lang: Lang) -> Result<Dataset> {
    if let Some(file) = &a.file {
        let shown = file.display().to_string();
        let cannot_read = || lang.tf("cli.cannot_read", &[("file", &shown)]);
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        // CSV files are read straight into columns with limits for a file of one's own (a
        // million rows and more); workbooks and system files behind the upload guards.
        let ext = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        let large = matches!(ext.as_str(), "csv" | "txt");
        // Of a file beyond the limit, one byte more than it is enough to refuse it.
        let most = shanghui_files::DatasetLimits::LARGE.max_bytes as u64 + 1;
        let mut bytes = Vec::new();
        std::fs::File::open(file)
            .and_then(|f| {
                bytes.reserve_exact(f.metadata()?.len().min(most) as usize);
                f.take(most).read_to_end(&mut bytes)
            })
            .map_err(|e| anyhow::Error::new(e).context(cannot_read()))?;
        let read = if large {
            shanghui_files::read_csv_dataset_large(&bytes, &name)
        } else {
            shanghui_files::read_dataset(&bytes, &name)
        };
        return read.map_err(|problems| {
            anyhow!(
                "{}:\n{}",
                cannot_read(),
                problems
                    .iter()
                    .map(|p| p.render(lang))
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        });
    }
    let (Some(db), Some(id)) = (db, a.campaign) else {
        return Err(anyhow!("give a data file or --campaign ID"));
    };
    let all = Scope::all();
    let c = campaigns::get(db, &all, id).await?;
    let node = match a.node {
        Some(n) => Some(orgs::require(db, &all, n).await?),
        None => None,
    };
    let sel = statdata::Selection {
        node,
        ..Default::default()
    };
    Ok(statdata::campaign_dataset(db, &all, &c, &sel, lang).await?)
}

pub async fn run(db: Option<&Db>, a: StatsArgs, lang: Lang) -> Result<ExitCode> {
    let ds = dataset(db, &a, lang).await?;
    let out = run_procedures(&ds, &a)?;
    if out.json.is_empty() {
        return Err(anyhow!(
            "no procedure asked for: --frequencies, --descriptives, --crosstabs, --correlations, \
             --reliability, --ttest, --paired, --oneway or --means"
        ));
    }
    // Text and CSV are written table by table, not gathered into one string first.
    let stream = |w: &mut dyn std::io::Write| -> Result<()> {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, w);
        match a.format {
            Format::Text => {
                for (i, t) in out.tables.iter().enumerate() {
                    if i > 0 {
                        w.write_all(b"\n")?;
                    }
                    w.write_all(t.to_text().as_bytes())?;
                }
            }
            Format::Csv => write_csv(&out.tables, &mut w)?,
            Format::Json => out.write_json(&mut w)?,
            Format::Html => w.write_all(html_text(&out.tables).as_bytes())?,
            Format::Xlsx => w.write_all(&xlsx_bytes(&out.tables)?)?,
        }
        w.flush()?;
        Ok(())
    };
    use std::io::Write;
    match (&a.out, a.format) {
        (Some(path), _) => stream(&mut std::fs::File::create(path)?)?,
        (None, Format::Xlsx) => return Err(anyhow!("--format xlsx needs --out FILE.xlsx")),
        (None, _) => stream(&mut std::io::stdout().lock())?,
    }
    Ok(ExitCode::SUCCESS)
}
