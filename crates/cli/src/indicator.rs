//! `shanghui indicator ...`: coverage indicators (覆盖率, issue 8) from the command line: the
//! definitions and targets, a year's values for a node and its children, who misses (with the
//! numbers to recount the rate from the list), and the definitions as a workbook to edit in Excel
//! and bring back, checked as the store checks them.
//!
//! The numbers are the store's ([`store::fractions`] over [`store::load_year`]), so the command
//! line, the dashboards and their exports agree.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::{Subcommand, ValueEnum};
use shanghui_core::indicator::{
    self, Compare, DivisionLists, Fraction, INDICATOR_COLUMNS, Indicator, MeasureKind, Target,
};
use shanghui_core::{DivisionCode, DivisionIndex, FederationLevel, Lang, Msg, Scope};
use shanghui_files::{INDICATORS_SHEET, Located, Table};
use shanghui_store::indicators::{self as store, YearData};
use shanghui_store::{Db, StoreError, divisions, orgs};

use crate::org::actor;
use crate::said;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Csv,
    Json,
}

#[derive(Subcommand)]
pub enum IndicatorAction {
    /// Every indicator (the built-ins, then the staff's): code, name, how it is counted, built-in
    /// or custom; then the targets.
    List,
    /// A year's values for a node and each of its children (federations and branches): numerator,
    /// denominator, value, the target for the unit's level and the gap, last year's value.
    Compute {
        #[arg(long)]
        year: i32,
        /// Default: the registry's root.
        #[arg(long)]
        node: Option<i64>,
        /// Only this indicator.
        #[arg(long)]
        code: Option<String>,
        /// text: values to 1 decimal; csv and json: full precision.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Who misses: the units, divisions or notices counted in the denominator but not in the
    /// numerator, after a summary with which to recount the rate from the list.
    Missing {
        #[arg(long)]
        code: String,
        #[arg(long)]
        year: i32,
        /// Default: the registry's root.
        #[arg(long)]
        node: Option<i64>,
        /// Write the list to FILE.xlsx (a summary sheet and the list) or FILE.csv (the summary on
        /// the first line) instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write every indicator and target as a workbook (with instructions) to edit in Excel.
    Export {
        #[arg(long)]
        out: PathBuf,
    },
    /// Save the staff's indicators and the targets of a workbook: everything is checked first and
    /// every problem printed with its place; nothing is saved when any is wrong. Unchanged
    /// indicators and targets are left as they are; built-ins are not imported.
    Import { file: PathBuf },
}

pub async fn run(db: &Db, action: IndicatorAction, lang: Lang) -> Result<ExitCode> {
    match action {
        IndicatorAction::List => list(db, lang).await,
        IndicatorAction::Compute {
            year,
            node,
            code,
            format,
        } => compute(db, year, node, code.as_deref(), format, lang).await,
        IndicatorAction::Missing {
            code,
            year,
            node,
            out,
        } => missing(db, &code, year, node, out.as_deref(), lang).await,
        IndicatorAction::Export { out } => export(db, &out, lang).await,
        IndicatorAction::Import { file } => import(db, &file, lang).await,
    }
}

fn col(lang: Lang, name: &str) -> String {
    lang.t(&format!("indicator.cli.col.{name}")).to_string()
}

fn header(lang: Lang, names: &[&str]) -> Vec<String> {
    names.iter().map(|n| col(lang, n)).collect()
}

/// Text on one line, for tab-separated output.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A count as people write it: `84`, or `12.5` for a sum of decimals (at most 2 decimals).
fn count_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// One decimal, never `-0.0`.
fn one_decimal(x: f64) -> String {
    let s = format!("{x:.1}");
    if s == "-0.0" { "0.0".into() } else { s }
}

/// A number at full precision (the shortest text that reads back to it).
fn full(x: f64) -> String {
    if x == 0.0 { "0".into() } else { x.to_string() }
}

fn opt_full(x: Option<f64>) -> String {
    x.map(full).unwrap_or_default()
}

fn level_label(level: Option<FederationLevel>, lang: Lang) -> String {
    level.map(|l| l.label(lang).to_string()).unwrap_or_default()
}

fn direction_sign(t: &Target) -> &'static str {
    match t.direction {
        indicator::Direction::AtLeast => "≥",
        indicator::Direction::AtMost => "≤",
    }
}

/// Problems of an indicator that does not compile for the year, in one line.
fn reason(e: StoreError, lang: Lang) -> Result<String> {
    match e {
        StoreError::Rejected(ps) => Ok(ps
            .iter()
            .map(|p| p.render(lang))
            .collect::<Vec<_>>()
            .join("; ")),
        e => Err(e.into()),
    }
}

/// Every indicator, or the one asked for.
async fn chosen(db: &Db, code: Option<&str>, lang: Lang) -> Result<Vec<Indicator>> {
    let all = store::all(db).await?;
    match code {
        None => Ok(all),
        Some(c) => all
            .into_iter()
            .find(|i| i.code == c)
            .map(|i| vec![i])
            .ok_or_else(|| said(lang, "indicator.store.unknown", &[("code", c)])),
    }
}

/// The node asked for, else the registry's first root (the national federation); it must be a
/// unit of the registry.
async fn node_of(db: &Db, data: &YearData, node: Option<i64>, lang: Lang) -> Result<i64> {
    let id = match node {
        Some(n) => n,
        None => orgs::tops(db, &Scope::all())
            .await?
            .first()
            .map(|o| o.id)
            .ok_or_else(|| said(lang, "indicator.cli.no_units", &[]))?,
    };
    if !data.names.contains_key(&id) {
        return Err(said(
            lang,
            "indicator.cli.no_node",
            &[("id", &id.to_string())],
        ));
    }
    Ok(id)
}

fn write_file(out: &Path, bytes: &[u8], lang: Lang) -> Result<()> {
    std::fs::write(out, bytes).map_err(|e| {
        anyhow::Error::new(e)
            .context(lang.tf("cli.cannot_write", &[("file", &out.display().to_string())]))
    })
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

// -------------------------------------------------------------------------------------------------
// list

async fn list(db: &Db, lang: Lang) -> Result<ExitCode> {
    let inds = store::all(db).await?;
    outln!(
        "{}",
        header(lang, &["code", "name", "builtin", "description"]).join("\t")
    );
    for i in &inds {
        let source = if i.builtin {
            "indicator.cli.builtin"
        } else {
            "indicator.cli.custom"
        };
        outln!(
            "{}\t{}\t{}\t{}",
            i.code,
            one_line(i.name(lang)),
            lang.t(source),
            one_line(i.description(lang))
        );
    }
    outln!();
    outln!("{}", lang.t("indicator.cli.targets_title"));
    let targets = store::targets(db).await?;
    if targets.is_empty() {
        outln!("{}", lang.t("indicator.cli.no_targets"));
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{}",
        header(lang, &["indicator", "year", "level", "direction", "target"]).join("\t")
    );
    for t in &targets {
        let level = match t.level {
            Some(l) => l.label(lang),
            None => lang.t("indicator.target.any_level"),
        };
        outln!(
            "{}\t{}\t{}\t{}\t{}",
            t.indicator,
            t.year,
            level,
            t.direction.label(lang),
            full(t.value)
        );
    }
    Ok(ExitCode::SUCCESS)
}

// -------------------------------------------------------------------------------------------------
// compute

/// One node's figures for one indicator.
struct Row {
    id: i64,
    name: String,
    level: Option<FederationLevel>,
    fraction: Fraction,
    value: Option<f64>,
    target: Option<Target>,
    gap: Option<f64>,
    last: Option<f64>,
}

async fn compute(
    db: &Db,
    year: i32,
    node: Option<i64>,
    code: Option<&str>,
    format: Format,
    lang: Lang,
) -> Result<ExitCode> {
    let inds = chosen(db, code, lang).await?;
    let refs: Vec<&Indicator> = inds.iter().collect();
    let items = store::summed_items(&refs);
    let lists = DivisionLists::new(&divisions::load_index(db).await?);
    let data = store::load_year(db, year, items.as_deref()).await?;
    let last = store::load_year(db, year - 1, items.as_deref()).await?;
    // Last year's growth compares with the year before.
    let before = if inds.iter().any(|i| i.compare == Compare::Growth) {
        Some(store::load_year(db, year - 2, items.as_deref()).await?)
    } else {
        None
    };
    let node = node_of(db, &data, node, lang).await?;
    let mut nodes = vec![node];
    nodes.extend(data.children(node));
    let targets = store::targets(db).await?;

    let mut out: Vec<(&Indicator, Vec<Row>)> = Vec::new();
    for ind in &inds {
        let ci = match store::compiled(ind, &data) {
            Ok(ci) => ci,
            Err(e) => {
                let why = reason(e, lang)?;
                let msg = lang.tf(
                    "indicator.cli.skipped",
                    &[
                        ("code", &ind.code),
                        ("year", &year.to_string()),
                        ("reason", &why),
                    ],
                );
                if code.is_some() {
                    return Err(anyhow::anyhow!(msg));
                }
                eprintln!("{msg}");
                continue;
            }
        };
        let this = store::fractions(&ci, &data, Some(&last), &lists, &nodes);
        let last_values: Vec<Option<f64>> = match store::compiled(ind, &last) {
            Ok(cl) => store::fractions(&cl, &last, before.as_ref(), &lists, &nodes)
                .into_iter()
                .map(|f| ind.value(f))
                .collect(),
            Err(_) => vec![None; nodes.len()],
        };
        let rows = nodes
            .iter()
            .zip(this)
            .zip(last_values)
            .map(|((&id, fraction), last)| {
                let level = data.names.get(&id).and_then(|n| n.level);
                let value = ind.value(fraction);
                let target = indicator::target_for(&targets, &ind.code, year, level).cloned();
                let gap = value
                    .zip(target.as_ref())
                    .map(|(v, t)| indicator::gap(v, t));
                Row {
                    id,
                    name: data.name(id),
                    level,
                    fraction,
                    value,
                    target,
                    gap,
                    last,
                }
            })
            .collect();
        out.push((ind, rows));
    }

    match format {
        Format::Text => compute_text(&out, &data, node, lang),
        Format::Csv => compute_csv(&out, lang),
        Format::Json => {
            let json = compute_json(&out, &data, year, node);
            outln!("{}", serde_json::to_string_pretty(&json)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn compute_text(out: &[(&Indicator, Vec<Row>)], data: &YearData, node: i64, lang: Lang) {
    outln!(
        "{}",
        lang.tf(
            "indicator.cli.compute_title",
            &[
                ("year", &data.year.to_string()),
                ("node", &data.name(node)),
                ("id", &node.to_string()),
            ],
        )
    );
    let head = header(
        lang,
        &[
            "unit_id",
            "unit",
            "numerator",
            "denominator",
            "value",
            "target",
            "gap",
            "last_value",
        ],
    );
    for (ind, rows) in out {
        outln!();
        outln!(
            "{}",
            lang.tf(
                "indicator.cli.section",
                &[("name", &one_line(ind.name(lang))), ("code", &ind.code)],
            )
        );
        outln!("{}", head.join("\t"));
        let shown = |v: Option<f64>| match v {
            Some(v) => format!("{}{}", one_decimal(v), ind.unit),
            None => "—".to_string(),
        };
        for r in rows {
            let target = match &r.target {
                Some(t) => format!("{} {}{}", direction_sign(t), count_text(t.value), ind.unit),
                None => "—".into(),
            };
            outln!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                r.id,
                one_line(&r.name),
                count_text(r.fraction.numerator),
                count_text(r.fraction.denominator),
                shown(r.value),
                target,
                r.gap.map(one_decimal).unwrap_or_else(|| "—".into()),
                shown(r.last)
            );
        }
    }
}

/// A CSV field: quoted when it needs to be.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv_line(cells: &[String]) -> String {
    let mut s = cells
        .iter()
        .map(|c| csv_field(c))
        .collect::<Vec<_>>()
        .join(",");
    s.push_str("\r\n");
    s
}

/// CSV for Excel (a byte-order mark, CRLF); names are guarded against formula injection, numbers
/// are left as numbers (a negative growth stays `-3.5`).
fn compute_csv(out: &[(&Indicator, Vec<Row>)], lang: Lang) {
    let mut s = String::from("\u{feff}");
    s.push_str(&csv_line(&header(
        lang,
        &[
            "indicator",
            "indicator_name",
            "unit_id",
            "unit",
            "level",
            "numerator",
            "denominator",
            "value",
            "measure_unit",
            "direction",
            "target",
            "gap",
            "last_value",
        ],
    )));
    for (ind, rows) in out {
        for r in rows {
            s.push_str(&csv_line(&[
                ind.code.clone(),
                shanghui_files::neutralize(ind.name(lang)),
                r.id.to_string(),
                shanghui_files::neutralize(&r.name),
                level_label(r.level, lang),
                full(r.fraction.numerator),
                full(r.fraction.denominator),
                opt_full(r.value),
                shanghui_files::neutralize(&ind.unit),
                r.target
                    .as_ref()
                    .map(|t| t.direction.label(lang).to_string())
                    .unwrap_or_default(),
                opt_full(r.target.as_ref().map(|t| t.value)),
                opt_full(r.gap),
                opt_full(r.last),
            ]));
        }
    }
    use std::io::Write as _;
    if let Err(e) = std::io::stdout().lock().write_all(s.as_bytes())
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

fn compute_json(
    out: &[(&Indicator, Vec<Row>)],
    data: &YearData,
    year: i32,
    node: i64,
) -> serde_json::Value {
    use serde_json::json;
    let indicators: Vec<serde_json::Value> = out
        .iter()
        .map(|(ind, rows)| {
            let rows: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    json!({
                        "id": r.id,
                        "name": r.name,
                        "level": r.level.map(|l| l.code()),
                        "numerator": r.fraction.numerator,
                        "denominator": r.fraction.denominator,
                        "value": r.value,
                        "target": r.target.as_ref().map(|t| json!({
                            "value": t.value,
                            "direction": t.direction.code(),
                            "level": t.level.map(|l| l.code()),
                        })),
                        "gap": r.gap,
                        "last_value": r.last,
                    })
                })
                .collect();
            json!({
                "code": ind.code,
                "name_zh": ind.name_zh,
                "name_en": ind.name_en,
                "unit": ind.unit,
                "factor": ind.factor,
                "compare": ind.compare.code(),
                "builtin": ind.builtin,
                "rows": rows,
            })
        })
        .collect();
    json!({
        "year": year,
        "node": { "id": node, "name": data.name(node) },
        "indicators": indicators,
    })
}

// -------------------------------------------------------------------------------------------------
// missing

/// What an indicator's list of those who miss holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ListOf {
    Units,
    Divisions,
    Notices,
}

fn list_of(ind: &Indicator) -> Option<ListOf> {
    if ind.compare != Compare::Ratio {
        return None;
    }
    let den = ind.denominator.as_ref()?.kind();
    match (ind.numerator.kind(), den) {
        (MeasureKind::Units, MeasureKind::Units) | (MeasureKind::Reports, MeasureKind::Reports) => {
            Some(ListOf::Units)
        }
        (MeasureKind::Divisions, MeasureKind::Divisions) => Some(ListOf::Divisions),
        (MeasureKind::Notices, MeasureKind::Notices) => Some(ListOf::Notices),
        _ => None,
    }
}

/// A division code with its full name (`福建省 / 莆田市 / 仙游县 / 榜头镇`).
fn division_cells(index: &DivisionIndex, code: Option<&str>) -> [String; 2] {
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        None => [String::new(), String::new()],
        Some(c) => {
            let name = DivisionCode::parse(c)
                .map(|d| index.full_name(&d))
                .unwrap_or_default();
            [c.to_string(), name]
        }
    }
}

async fn missing(
    db: &Db,
    code: &str,
    year: i32,
    node: Option<i64>,
    out: Option<&Path>,
    lang: Lang,
) -> Result<ExitCode> {
    let ind = chosen(db, Some(code), lang).await?.remove(0);
    let kind =
        list_of(&ind).ok_or_else(|| said(lang, "indicator.cli.no_list", &[("code", code)]))?;
    if let Some(out) = out
        && !matches!(extension(out).as_str(), "xlsx" | "csv")
    {
        return Err(said(lang, "cli.out_ext", &[]));
    }
    let items = store::summed_items(&[&ind]);
    let index = divisions::load_index(db).await?;
    let lists = DivisionLists::new(&index);
    let data = store::load_year(db, year, items.as_deref()).await?;
    let node = node_of(db, &data, node, lang).await?;
    let ci = match store::compiled(&ind, &data) {
        Ok(ci) => ci,
        Err(e) => {
            let why = reason(e, lang)?;
            return Err(anyhow::anyhow!(lang.tf(
                "indicator.cli.skipped",
                &[
                    ("code", code),
                    ("year", &year.to_string()),
                    ("reason", &why)
                ],
            )));
        }
    };
    let f = store::fractions(&ci, &data, None, &lists, &[node])[0];
    let u = data.universe(&lists);
    let (head, rows): (Vec<String>, Vec<Vec<String>>) = match kind {
        ListOf::Units => (
            header(lang, &["unit_id", "unit", "division_code", "division"]),
            indicator::missing_units(&ci, &u, node)
                .into_iter()
                .map(|id| {
                    let division = data.names.get(&id).and_then(|n| n.division.as_deref());
                    let [dc, dn] = division_cells(&index, division);
                    vec![id.to_string(), data.name(id), dc, dn]
                })
                .collect(),
        ),
        ListOf::Divisions => (
            header(lang, &["division_code", "division"]),
            indicator::missing_divisions(&ci, &u, node)
                .into_iter()
                .map(|d| vec![d.as_str().to_string(), index.full_name(&d)])
                .collect(),
        ),
        ListOf::Notices => (
            header(lang, &["notice_id", "unit_id", "unit"]),
            indicator::missing_notices(&ci, &u, node)
                .into_iter()
                .map(|id| {
                    let org = data
                        .facts
                        .notices
                        .iter()
                        .find(|n| n.id == id)
                        .map(|n| n.org_id);
                    vec![
                        id.to_string(),
                        org.map(|o| o.to_string()).unwrap_or_default(),
                        org.map(|o| data.name(o)).unwrap_or_default(),
                    ]
                })
                .collect(),
        ),
    };

    // The recount: denominator − listed = numerator when the numerator counts within the
    // denominator.
    let listed = rows.len() as f64;
    let rest = f.denominator - listed;
    let recounts = (rest - f.numerator).abs() < 1e-9;
    let recount = if recounts {
        lang.tf(
            "indicator.cli.recount_ok",
            &[
                ("den", &count_text(f.denominator)),
                ("n", &rows.len().to_string()),
                ("rest", &count_text(rest)),
            ],
        )
    } else {
        lang.tf(
            "indicator.cli.recount_no",
            &[
                ("den", &count_text(f.denominator)),
                ("n", &rows.len().to_string()),
                ("rest", &count_text(rest)),
                ("num", &count_text(f.numerator)),
            ],
        )
    };
    let value = ind.value(f);
    let summary = lang.tf(
        "indicator.cli.missing_summary",
        &[
            ("name", &one_line(ind.name(lang))),
            ("code", &ind.code),
            ("year", &year.to_string()),
            ("node", &data.name(node)),
            ("id", &node.to_string()),
            ("num", &count_text(f.numerator)),
            ("den", &count_text(f.denominator)),
            (
                "value",
                &value
                    .map(|v| format!("{}{}", one_decimal(v), ind.unit))
                    .unwrap_or_else(|| "—".into()),
            ),
            ("recount", &recount),
        ],
    );

    let Some(out) = out else {
        outln!("{summary}");
        outln!("{}", head.join("\t"));
        for r in &rows {
            outln!(
                "{}",
                r.iter().map(|c| one_line(c)).collect::<Vec<_>>().join("\t")
            );
        }
        return Ok(ExitCode::SUCCESS);
    };
    let bytes = if extension(out) == "xlsx" {
        let yes_no = if recounts {
            "indicator.cli.yes"
        } else {
            "indicator.cli.no"
        };
        let totals = Table {
            sheet: lang.t("indicator.cli.sheet_summary").to_string(),
            header: header(
                lang,
                &[
                    "indicator",
                    "indicator_name",
                    "year",
                    "unit_id",
                    "unit",
                    "numerator",
                    "denominator",
                    "value",
                    "listed",
                    "rest",
                    "recounts",
                ],
            ),
            rows: vec![vec![
                ind.code.clone(),
                ind.name(lang).to_string(),
                year.to_string(),
                node.to_string(),
                data.name(node),
                full(f.numerator),
                full(f.denominator),
                opt_full(value),
                rows.len().to_string(),
                full(rest),
                lang.t(yes_no).to_string(),
            ]],
        };
        let list = Table {
            sheet: lang.t("indicator.cli.sheet_missing").to_string(),
            header: head,
            rows,
        };
        shanghui_files::write_tables_xlsx(&[totals, list])?
    } else {
        // The summary on the first line, then the list as a table.
        let table = shanghui_files::write_table_csv(&head, &rows);
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(csv_line(&[shanghui_files::neutralize(&summary)]).as_bytes());
        bytes.extend_from_slice(table.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&table));
        bytes
    };
    write_file(out, &bytes, lang)?;
    outln!("{summary}");
    eprintln!("-> {}", out.display());
    Ok(ExitCode::SUCCESS)
}

// -------------------------------------------------------------------------------------------------
// export and import

async fn export(db: &Db, out: &Path, lang: Lang) -> Result<ExitCode> {
    if extension(out) != "xlsx" {
        return Err(said(lang, "indicator.cli.out_xlsx", &[]));
    }
    let inds = store::all(db).await?;
    let targets = store::targets(db).await?;
    let bytes = shanghui_files::write_indicators_xlsx(&inds, &targets, lang)?;
    write_file(out, &bytes, lang)?;
    eprintln!(
        "{}",
        lang.tf(
            "indicator.cli.exported",
            &[
                ("indicators", &inds.len().to_string()),
                ("targets", &targets.len().to_string()),
                ("file", &out.display().to_string()),
            ],
        )
    );
    Ok(ExitCode::SUCCESS)
}

fn refuse(problems: &[String], lang: Lang) -> ExitCode {
    eprintln!(
        "{}",
        lang.tf(
            "cli.nothing_imported",
            &[("n", &problems.len().to_string())]
        )
    );
    for p in problems {
        eprintln!("{p}");
    }
    ExitCode::from(1)
}

/// A built-in as a workbook writes it, to tell an unchanged one from an edited one.
fn same_as_written(a: &Indicator, b: &Indicator) -> bool {
    indicator::indicator_rows(std::slice::from_ref(a))
        == indicator::indicator_rows(std::slice::from_ref(b))
}

/// The problems the store would find in an indicator of the workbook (conditions on reports and
/// report items, against the template indicators are checked with), pinned to the sheet, the
/// column and the cell's content, and named by the indicator's code.
fn template_problems(ind: &Indicator, t: &shanghui_core::template::Template) -> Vec<Located> {
    let Err(ps) = indicator::check(ind, t) else {
        return Vec::new();
    };
    let cells = indicator::indicator_rows(std::slice::from_ref(ind))
        .pop()
        .unwrap_or_default();
    ps.into_iter()
        .map(|p| {
            let msg = match p.position {
                Some(pos) => Msg::new("rules.at")
                    .with("pos", pos)
                    .with_msg("message", p.msg),
                None => p.msg,
            };
            let mut l = Located::in_sheet(
                INDICATORS_SHEET,
                Msg::new("indicator.cli.in_indicator")
                    .with("code", &ind.code)
                    .with_msg("message", msg),
            )
            .header(&p.field);
            if let Some(v) = INDICATOR_COLUMNS
                .iter()
                .position(|c| *c == p.field)
                .and_then(|c| cells.get(c))
                .filter(|v| !v.trim().is_empty())
            {
                l = l.value(v);
            }
            l
        })
        .collect()
}

async fn import(db: &Db, file: &Path, lang: Lang) -> Result<ExitCode> {
    let bytes = std::fs::read(file).map_err(|e| {
        anyhow::Error::new(e)
            .context(lang.tf("cli.cannot_read", &[("file", &file.display().to_string())]))
    })?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    // Checked against the template while reading, so every problem has its row.
    let t = store::checking_template(db).await?;
    let (inds, targets) = match shanghui_files::read_indicators_workbook_for(&bytes, &name, &t) {
        Ok(read) => read,
        Err(ps) => {
            let shown: Vec<String> = ps.iter().map(|p| p.render(lang)).collect();
            return Ok(refuse(&shown, lang));
        }
    };
    let builtins = indicator::builtin_indicators();
    let mut problems: Vec<Located> = Vec::new();
    let mut staff = Vec::new();
    let mut builtin_same = 0;
    for ind in inds {
        if let Some(b) = builtins.iter().find(|b| b.code == ind.code) {
            if same_as_written(b, &ind) {
                builtin_same += 1;
            } else {
                problems.push(
                    Located::in_sheet(
                        INDICATORS_SHEET,
                        Msg::new("indicator.cli.builtin_changed").with("code", &ind.code),
                    )
                    .header("code")
                    .value(&ind.code),
                );
            }
            continue;
        }
        problems.extend(template_problems(&ind, &t));
        staff.push(ind);
    }
    if !problems.is_empty() {
        let shown: Vec<String> = problems.iter().map(|p| p.render(lang)).collect();
        return Ok(refuse(&shown, lang));
    }
    // Targets already set as the workbook says are left alone.
    let existing = store::targets(db).await?;
    let changed_targets: Vec<Target> = targets
        .iter()
        .filter(|t| !existing.contains(t))
        .cloned()
        .collect();
    match store::import(db, &staff, &changed_targets, &t, &actor()).await {
        Ok((changed, set)) => {
            println!(
                "{}",
                lang.tf(
                    "indicator.cli.imported",
                    &[
                        ("changed", &changed.to_string()),
                        ("same", &(staff.len() - changed).to_string()),
                        ("targets", &set.to_string()),
                        ("kept", &(targets.len() - set).to_string()),
                        ("builtin", &builtin_same.to_string()),
                    ],
                )
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(StoreError::Rejected(ps)) => {
            let shown: Vec<String> = ps.iter().map(|p| p.render(lang)).collect();
            Ok(refuse(&shown, lang))
        }
        Err(e) => Err(e.into()),
    }
}
