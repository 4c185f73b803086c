//! Indicators and targets as rows of a sheet, for workbooks that staff edit and bring back.
//!
//! A measure takes seven columns (`numerator.kind`, `.filter`, `.level`, `.rows`, `.within`,
//! `.item`, `.state`), of which each kind uses some: units a filter; divisions a level, rows,
//! within and (as the condition on the units that cover a division) a filter; an item sum an
//! item and a filter; reports a state and a filter; notices a state. A cell a kind does not use
//! must be empty. Enumerations are written by their codes and read by code or label.

use std::collections::{BTreeMap, BTreeSet};

use super::target::parse_target_level;
use super::{
    Compare, CompiledIndicator, Direction, DivisionRows, Indicator, IndicatorProblem, Measure,
    MeasureKind, NoticeState, ReportState, Target, Within, check, is_code, level_code, parse_level,
    validate,
};
use crate::i18n::Msg;
use crate::org::FederationLevel;
use crate::template::{SheetRow, Template};
use crate::value;

/// The columns of a sheet of indicators, in the order exports use.
pub const INDICATOR_COLUMNS: &[&str] = &[
    "code",
    "name::zh",
    "name::en",
    "compare",
    "factor",
    "unit",
    "numerator.kind",
    "numerator.filter",
    "numerator.level",
    "numerator.rows",
    "numerator.within",
    "numerator.item",
    "numerator.state",
    "denominator.kind",
    "denominator.filter",
    "denominator.level",
    "denominator.rows",
    "denominator.within",
    "denominator.item",
    "denominator.state",
    "description::zh",
    "description::en",
];

/// The columns of a sheet of targets.
pub const TARGET_COLUMNS: &[&str] = &["indicator", "year", "level", "direction", "value"];

/// The parts of a measure after `numerator.` / `denominator.`, after `kind`.
const PARTS: [&str; 6] = ["filter", "level", "rows", "within", "item", "state"];

fn parts_of(kind: MeasureKind) -> &'static [&'static str] {
    match kind {
        MeasureKind::Units => &["filter"],
        MeasureKind::Divisions => &["filter", "level", "rows", "within"],
        MeasureKind::ItemSum => &["item", "filter"],
        MeasureKind::Reports => &["state", "filter"],
        MeasureKind::Notices => &["state"],
    }
}

/// A number as it reads back exactly (`100`, `0.5`).
fn number_text(x: f64) -> String {
    x.to_string()
}

fn measure_cell(m: Option<&Measure>, part: &str) -> String {
    let Some(m) = m else {
        return String::new();
    };
    match (m, part) {
        (_, "kind") => m.kind().code().to_string(),
        (Measure::Units { filter }, "filter")
        | (Measure::ItemSum { filter, .. }, "filter")
        | (Measure::Reports { filter, .. }, "filter") => filter.clone(),
        (Measure::Divisions { having, .. }, "filter") => match having.as_deref() {
            None => String::new(),
            Some(h) if value::trim(h).is_empty() => "true".into(),
            Some(h) => h.to_string(),
        },
        (Measure::Divisions { level, .. }, "level") => level_code(*level).into(),
        (Measure::Divisions { rows, .. }, "rows") => rows.code().into(),
        (Measure::Divisions { within, .. }, "within") => within.code().into(),
        (Measure::ItemSum { item, .. }, "item") => item.clone(),
        (Measure::Reports { state, .. }, "state") => state.code().into(),
        (Measure::Notices { state }, "state") => state.code().into(),
        _ => String::new(),
    }
}

fn indicator_cell(ind: &Indicator, column: &str) -> String {
    match column {
        "code" => ind.code.clone(),
        "name::zh" => ind.name_zh.clone(),
        "name::en" => ind.name_en.clone(),
        "compare" => ind.compare.code().into(),
        "factor" => number_text(ind.factor),
        "unit" => ind.unit.clone(),
        "description::zh" => ind.description_zh.clone(),
        "description::en" => ind.description_en.clone(),
        c => match c.split_once('.') {
            Some(("numerator", part)) => measure_cell(Some(&ind.numerator), part),
            Some(("denominator", part)) => measure_cell(ind.denominator.as_ref(), part),
            // A column added to INDICATOR_COLUMNS without a cell here fails the round trip.
            _ => String::new(),
        },
    }
}

/// Each indicator's cells in [`INDICATOR_COLUMNS`] order, such that [`read_indicators`] reads
/// them back to the same indicators (but for `builtin`, which no sheet carries: the store knows
/// its built-ins by code). Enumerations by their codes; a division measure's rows and within
/// always written out; "any unit" as the condition `true`.
pub fn indicator_rows(indicators: &[Indicator]) -> Vec<Vec<String>> {
    indicators
        .iter()
        .map(|i| {
            INDICATOR_COLUMNS
                .iter()
                .map(|c| indicator_cell(i, c))
                .collect()
        })
        .collect()
}

/// Each target's cells in [`TARGET_COLUMNS`] order, read back to the same by [`read_targets`].
pub fn target_rows(targets: &[Target]) -> Vec<Vec<String>> {
    targets
        .iter()
        .map(|t| {
            TARGET_COLUMNS
                .iter()
                .map(|c| match *c {
                    "indicator" => t.indicator.clone(),
                    "year" => t.year.to_string(),
                    "level" => t.level.map(|l| l.code().to_string()).unwrap_or_default(),
                    "direction" => t.direction.code().into(),
                    "value" => number_text(t.value),
                    _ => String::new(),
                })
                .collect()
        })
        .collect()
}

/// A sheet row's trimmed cells, with the row's problems.
struct Reader<'r> {
    row: &'r SheetRow,
    problems: Vec<IndicatorProblem>,
    /// Fields already reported, so that later checks do not report them again.
    reported: BTreeSet<String>,
}

impl<'r> Reader<'r> {
    fn new(row: &'r SheetRow) -> Self {
        Reader {
            row,
            problems: Vec::new(),
            reported: BTreeSet::new(),
        }
    }

    fn get(&self, column: &str) -> &'r str {
        self.row.cells.get(column).map_or("", |s| value::trim(s))
    }

    fn problem(&mut self, column: &str, msg: Msg) {
        self.reported.insert(column.to_string());
        self.problems.push(IndicatorProblem {
            row: Some(self.row.row),
            field: column.to_string(),
            position: None,
            msg,
        });
    }

    /// A coded value: empty gives `default` (or, with none, a required problem), an unknown value
    /// a problem naming the codes.
    fn coded<T: Copy>(
        &mut self,
        column: &str,
        parse: impl Fn(&str) -> Option<T>,
        codes: &[&str],
        default: Option<T>,
    ) -> Option<T> {
        match self.get(column) {
            "" => {
                if default.is_none() {
                    self.problem(column, Msg::new("problem.required"));
                }
                default
            }
            s => parse(s).or_else(|| {
                self.problem(column, unknown_value(s, codes));
                None
            }),
        }
    }

    /// A measure's cells under `prefix`, or `None` when its kind is missing (reported unless
    /// every cell is empty) or unknown (reported). Other cells that cannot be read are reported
    /// and stood in for.
    fn measure(&mut self, prefix: &str) -> Option<Measure> {
        let col = |part: &str| format!("{prefix}.{part}");
        let kind_col = col("kind");
        let kind = match self.get(&kind_col) {
            "" => {
                if PARTS.iter().any(|p| !self.get(&col(p)).is_empty()) {
                    self.problem(&kind_col, Msg::new("problem.required"));
                }
                return None;
            }
            s => match MeasureKind::parse(s) {
                Some(k) => k,
                None => {
                    self.problem(&kind_col, unknown_value(s, &MeasureKind::codes()));
                    return None;
                }
            },
        };
        for part in PARTS {
            if !parts_of(kind).contains(&part) && !self.get(&col(part)).is_empty() {
                let (zh, en) = (kind.label(crate::Lang::ZhCn), kind.label(crate::Lang::En));
                self.problem(
                    &col(part),
                    Msg::new("indicator.not_for_kind").with_both("kind", zh, en),
                );
            }
        }
        let filter = self.get(&col("filter")).to_string();
        Some(match kind {
            MeasureKind::Units => Measure::Units { filter },
            MeasureKind::Divisions => {
                // A value that cannot be read is reported, and stood in for so that the
                // measure's other cells are still checked.
                let level = self.coded(
                    &col("level"),
                    parse_level,
                    &["province", "city", "county", "township"],
                    None,
                );
                let rows = self.coded(
                    &col("rows"),
                    DivisionRows::parse,
                    &DivisionRows::codes(),
                    Some(DivisionRows::default()),
                );
                let within = self.coded(
                    &col("within"),
                    Within::parse,
                    &Within::codes(),
                    Some(Within::default()),
                );
                Measure::Divisions {
                    level: level.unwrap_or(crate::division::DivisionLevel::Township),
                    rows: rows.unwrap_or_default(),
                    within: within.unwrap_or_default(),
                    having: (!filter.is_empty()).then_some(filter),
                }
            }
            MeasureKind::ItemSum => Measure::ItemSum {
                item: self.get(&col("item")).to_string(),
                filter,
            },
            MeasureKind::Reports => Measure::Reports {
                state: self
                    .coded(
                        &col("state"),
                        ReportState::parse,
                        &ReportState::codes(),
                        None,
                    )
                    .unwrap_or(ReportState::Expected),
                filter,
            },
            MeasureKind::Notices => Measure::Notices {
                state: self
                    .coded(
                        &col("state"),
                        NoticeState::parse,
                        &NoticeState::codes(),
                        None,
                    )
                    .unwrap_or(NoticeState::Issued),
            },
        })
    }
}

fn unknown_value(value: &str, codes: &[&str]) -> Msg {
    Msg::new("indicator.unknown_value")
        .with("value", value)
        .with("choices", codes.join(", "))
}

fn is_blank(r: &SheetRow, columns: &[&str]) -> bool {
    columns
        .iter()
        .all(|c| r.cells.get(*c).is_none_or(|s| value::trim(s).is_empty()))
}

/// Reads indicators from the rows of a sheet ([`INDICATOR_COLUMNS`]), or lists every problem,
/// each with its row and column (and, in a condition, character): codes malformed or repeated,
/// names missing, values not among the codes, cells a measure's kind does not use, a factor not
/// above 0, a ratio without a denominator, and what [`check`] finds without a template in the
/// conditions on units. Conditions on reports and report items are checked against the
/// campaign's template by [`check`] (or [`build_indicators`]). Empty rows are skipped; an empty
/// English name is the Chinese one, an empty comparison a ratio, an empty factor 100.
pub fn read_indicators(rows: &[SheetRow]) -> Result<Vec<Indicator>, Vec<IndicatorProblem>> {
    let mut problems = Vec::new();
    let mut indicators = Vec::new();
    let mut seen = BTreeSet::new();
    for r in rows.iter().filter(|r| !is_blank(r, INDICATOR_COLUMNS)) {
        let mut rd = Reader::new(r);
        let code = rd.get("code").to_string();
        if is_code(&code) && !seen.insert(code.clone()) {
            rd.problem("code", Msg::new("template.duplicate").with("value", &code));
        }
        let name_zh = rd.get("name::zh").to_string();
        let name_en = match rd.get("name::en") {
            "" => {
                // The Chinese name stands in; if that is missing too, it is reported once.
                rd.reported.insert("name::en".into());
                name_zh.clone()
            }
            s => s.to_string(),
        };
        let compare = rd
            .coded(
                "compare",
                Compare::parse,
                &Compare::codes(),
                Some(Compare::Ratio),
            )
            .unwrap_or_default();
        let factor = match rd.get("factor") {
            "" => 100.0,
            s => value::parse_decimal(s).unwrap_or_else(|| {
                rd.problem(
                    "factor",
                    Msg::new("problem.unreadable")
                        .with("value", s)
                        .with_key("expected", "expected.decimal"),
                );
                100.0
            }),
        };
        let numerator = rd.measure("numerator");
        let numerator_bad = numerator.is_none();
        if numerator_bad
            && rd.get("numerator.kind").is_empty()
            && !rd.reported.contains("numerator.kind")
        {
            rd.problem("numerator.kind", Msg::new("problem.required"));
        }
        let denominator = rd.measure("denominator");
        let denominator_bad = rd.reported.iter().any(|f| f.starts_with("denominator."));
        let ind = Indicator {
            code,
            name_zh,
            name_en,
            description_zh: rd.get("description::zh").to_string(),
            description_en: rd.get("description::en").to_string(),
            numerator: numerator.unwrap_or(Measure::Units {
                filter: String::new(),
            }),
            denominator,
            factor,
            unit: rd.get("unit").to_string(),
            compare,
            builtin: false,
        };
        // What the indicator's own checks find, less what reading reported already.
        for p in validate(&ind, None).1 {
            let prefix = p.field.split('.').next().unwrap_or("");
            let skip = rd.reported.contains(&p.field)
                || (prefix == "numerator" && numerator_bad)
                || (prefix == "denominator" && denominator_bad);
            if !skip {
                rd.reported.insert(p.field.clone());
                rd.problems.push(IndicatorProblem {
                    row: Some(r.row),
                    ..p
                });
            }
        }
        problems.extend(rd.problems);
        indicators.push(ind);
    }
    if problems.is_empty() {
        Ok(indicators)
    } else {
        Err(problems)
    }
}

/// Reads a sheet of indicators and checks and compiles each against `t` (the campaign's
/// template), or lists every problem with its row and column.
pub fn build_indicators(
    rows: &[SheetRow],
    t: &Template,
) -> Result<Vec<CompiledIndicator>, Vec<IndicatorProblem>> {
    let indicators = read_indicators(rows)?;
    let data_rows = rows.iter().filter(|r| !is_blank(r, INDICATOR_COLUMNS));
    let mut problems = Vec::new();
    let mut compiled = Vec::new();
    for (ind, row) in indicators.iter().zip(data_rows) {
        match check(ind, t) {
            Ok(c) => compiled.push(c),
            Err(ps) => problems.extend(ps.into_iter().map(|p| IndicatorProblem {
                row: Some(row.row),
                ..p
            })),
        }
    }
    if problems.is_empty() {
        Ok(compiled)
    } else {
        Err(problems)
    }
}

/// Edit distance, for suggesting the indicator a target meant.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Reads targets from the rows of a sheet ([`TARGET_COLUMNS`]), or lists every problem with its
/// row and column: an indicator not among `indicators` (with the closest code), a year outside
/// 2000–2100, a level or direction not among the codes, a value that is not a number, a second
/// target for the same indicator, year and level. An empty level is any node, an empty direction
/// at least.
pub fn read_targets(
    rows: &[SheetRow],
    indicators: &[&str],
) -> Result<Vec<Target>, Vec<IndicatorProblem>> {
    let mut problems = Vec::new();
    let mut targets = Vec::new();
    let mut seen: BTreeMap<(String, i32, Option<FederationLevel>), usize> = BTreeMap::new();
    for r in rows.iter().filter(|r| !is_blank(r, TARGET_COLUMNS)) {
        let mut rd = Reader::new(r);
        let indicator = rd.get("indicator").to_string();
        if indicator.is_empty() {
            rd.problem("indicator", Msg::new("problem.required"));
        } else if !indicators.contains(&indicator.as_str()) {
            let limit = (indicator.chars().count() / 3).clamp(1, 4);
            let closest = indicators
                .iter()
                .map(|c| (distance(&indicator, c), *c))
                .filter(|(d, _)| *d <= limit)
                .min_by_key(|(d, _)| *d);
            let msg = match closest {
                Some((_, c)) => Msg::new("indicator.target.unknown_indicator_suggest")
                    .with("value", &indicator)
                    .with("suggestion", c),
                None => Msg::new("indicator.target.unknown_indicator").with("value", &indicator),
            };
            rd.problem("indicator", msg);
        }
        let year = match rd.get("year") {
            "" => {
                rd.problem("year", Msg::new("problem.required"));
                None
            }
            s => {
                let y = value::parse_int(s).filter(|y| (2000..=2100).contains(y));
                if y.is_none() {
                    rd.problem(
                        "year",
                        Msg::new("indicator.target.bad_year").with("value", s),
                    );
                }
                y.map(|y| y as i32)
            }
        };
        let level = match parse_target_level(rd.get("level")) {
            Ok(l) => l,
            Err(()) => {
                let s = rd.get("level");
                let codes: Vec<&str> = FederationLevel::ALL.iter().map(|l| l.code()).collect();
                rd.problem("level", unknown_value(s, &codes));
                None
            }
        };
        let direction = rd
            .coded(
                "direction",
                Direction::parse,
                &Direction::codes(),
                Some(Direction::AtLeast),
            )
            .unwrap_or_default();
        let value = match rd.get("value") {
            "" => {
                rd.problem("value", Msg::new("problem.required"));
                None
            }
            s => {
                let v = value::parse_decimal(s);
                if v.is_none() {
                    rd.problem(
                        "value",
                        Msg::new("problem.unreadable")
                            .with("value", s)
                            .with_key("expected", "expected.decimal"),
                    );
                }
                v
            }
        };
        if let Some(year) = year
            && !indicator.is_empty()
            && rd.problems.is_empty()
            && let Some(first) = seen.insert((indicator.clone(), year, level), r.row)
        {
            rd.problem(
                "indicator",
                Msg::new("indicator.target.duplicate").with("row", first),
            );
            // Keep the first row as the one the later ones repeat.
            seen.insert((indicator.clone(), year, level), first);
        }
        if let (Some(year), Some(value)) = (year, value) {
            targets.push(Target {
                indicator,
                year,
                level,
                value,
                direction,
            });
        }
        problems.extend(rd.problems);
    }
    if problems.is_empty() {
        Ok(targets)
    } else {
        Err(problems)
    }
}
