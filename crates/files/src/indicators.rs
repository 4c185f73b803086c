//! Coverage indicators and their targets (覆盖率, issue 8) as workbooks, so that federation staff
//! can define indicators in Excel and bring them back: a sheet of instructions (the columns, the
//! kinds of measure and every code), the sheet `指标` (one indicator a row, columns
//! [`INDICATOR_COLUMNS`]) and the sheet `目标` (one target a row, columns [`TARGET_COLUMNS`]).
//! The checks are [`shanghui_core::indicator::read_indicators`]' and
//! [`shanghui_core::indicator::read_targets`]'; this module moves the rows in and out of
//! workbooks and pins each problem to its sheet, row, column and, in a condition, character.

use std::collections::{BTreeMap, BTreeSet};

use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, Format, FormatAlign, Workbook, Worksheet,
};
use shanghui_core::indicator::{
    self, Compare, Direction, DivisionRows, INDICATOR_COLUMNS, Indicator, IndicatorProblem, LEVELS,
    MeasureKind, NoticeState, ReportState, TARGET_COLUMNS, Target, Within,
};
use shanghui_core::org::FederationLevel;
use shanghui_core::template::SheetRow;
use shanghui_core::{Lang, Msg};

use crate::grid::{Cell, Sheet};
use crate::located::{Located, column_letter};
use crate::read::{is_instructions, read_sheets, unneutralize};
use crate::template::table;
use crate::write::{LAST_ROW, cell_text, col, header_format};
use crate::{FilesError, HEADER_SCAN_ROWS};

/// The sheet of indicators (also read as `indicators`, in any case).
/// A sheet described on the instructions sheet: its title key, its columns, an example value
/// per column, and a note.
type ColumnsSheet = (
    &'static str,
    &'static [&'static str],
    fn(&str) -> String,
    &'static str,
);
/// A coded column and its codes: (column, [(code, label, meaning)]).
type CodeGroup<'a> = (String, Vec<(&'a str, &'a str, String)>);

pub const INDICATORS_SHEET: &str = "指标";
/// The sheet of targets (also read as `targets`, in any case).
pub const TARGETS_SHEET: &str = "目标";

/// What a data sheet holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Indicators,
    Targets,
}

impl Kind {
    fn columns(self) -> &'static [&'static str] {
        match self {
            Kind::Indicators => INDICATOR_COLUMNS,
            Kind::Targets => TARGET_COLUMNS,
        }
    }

    /// The columns without which no row can be read.
    fn required(self) -> &'static [&'static str] {
        match self {
            Kind::Indicators => &["code", "name::zh", "numerator.kind"],
            Kind::Targets => &["indicator", "year", "value"],
        }
    }

    fn names(self) -> [&'static str; 2] {
        match self {
            Kind::Indicators => [INDICATORS_SHEET, "indicators"],
            Kind::Targets => [TARGETS_SHEET, "targets"],
        }
    }
}

/// The codes a column's drop-down list offers, if it has one.
fn column_codes(column: &str) -> Option<Vec<&'static str>> {
    let part = column.rsplit('.').next().unwrap_or(column);
    Some(match (column, part) {
        ("compare", _) => Compare::codes(),
        (_, "kind") => MeasureKind::codes(),
        (_, "level") if column.contains('.') => {
            LEVELS.iter().map(|&l| indicator::level_code(l)).collect()
        }
        ("level", _) => FederationLevel::ALL.iter().map(|l| l.code()).collect(),
        (_, "rows") => DivisionRows::codes(),
        (_, "within") => Within::codes(),
        (_, "state") => {
            let mut v = ReportState::codes();
            v.extend(NoticeState::codes());
            v
        }
        ("direction", _) => Direction::codes(),
        _ => return None,
    })
}

/// Drop-down lists of codes over the columns of a sheet that have them, below the header.
fn picks(ws: &mut Worksheet, columns: &[&str], lang: Lang) -> Result<(), FilesError> {
    for (c, column) in columns.iter().enumerate() {
        let Some(codes) = column_codes(column) else {
            continue;
        };
        let v = DataValidation::new()
            .allow_list_strings(&codes)?
            .set_input_title(lang.t("indicator.xlsx.pick_title"))?
            .set_input_message(lang.t("indicator.xlsx.pick_message"))?
            .set_error_title(lang.t("indicator.xlsx.pick_title"))?
            .set_error_message(lang.t("files.template.pick_error"))?
            .set_error_style(DataValidationErrorStyle::Stop);
        ws.add_data_validation(1, col(c), LAST_ROW, col(c), &v)?;
    }
    Ok(())
}

/// Indicators and targets as a workbook: a first sheet of instructions in `lang` (说明/
/// Instructions: the columns of both sheets with an example each, what each kind of measure
/// counts, and every code with its label), then `指标` (a frozen header row of
/// [`INDICATOR_COLUMNS`], one row per indicator as [`indicator::indicator_rows`] gives it) and
/// `目标` ([`TARGET_COLUMNS`]). Every cell is a text cell guarded against formula injection;
/// drop-down lists offer the codes of the coded columns. [`read_indicators_workbook`] reads it
/// back to the same indicators (but for `builtin`) and targets.
pub fn write_indicators_xlsx(
    indicators: &[Indicator],
    targets: &[Target],
    lang: Lang,
) -> Result<Vec<u8>, FilesError> {
    let mut wb = Workbook::new();
    instructions(&mut wb, lang)?;
    let ws = table(
        &mut wb,
        INDICATORS_SHEET,
        INDICATOR_COLUMNS,
        &indicator::indicator_rows(indicators),
        &[],
    )?;
    picks(ws, INDICATOR_COLUMNS, lang)?;
    let ws = table(
        &mut wb,
        TARGETS_SHEET,
        TARGET_COLUMNS,
        &indicator::target_rows(targets),
        &[],
    )?;
    picks(ws, TARGET_COLUMNS, lang)?;
    Ok(wb.save_to_buffer()?)
}

/// An example for each indicator column: the first built-in's cell that has one.
fn indicator_example(column: &str) -> String {
    let Some(c) = INDICATOR_COLUMNS.iter().position(|h| *h == column) else {
        return String::new();
    };
    let builtins = indicator::builtin_indicators();
    let rows = indicator::indicator_rows(&builtins);
    let first = match column {
        // The township coverage shows what a condition on units looks like.
        "numerator.filter" => rows.get(1).map(|r| r[c].clone()),
        _ => None,
    };
    first
        .or_else(|| rows.iter().map(|r| r[c].clone()).find(|v| !v.is_empty()))
        .unwrap_or_default()
}

fn target_example(column: &str) -> &'static str {
    match column {
        "indicator" => "township_chamber_coverage",
        "year" => "2025",
        "level" => "county",
        "direction" => "at_least",
        "value" => "80",
        _ => "",
    }
}

/// The note on a column: for a measure's, "分子：…" with the part's note.
fn column_note(column: &str, lang: Lang) -> String {
    match column.split_once('.') {
        Some((side, part)) => lang.tf(
            "indicator.xlsx.side_note",
            &[
                ("side", lang.t(&format!("indicator.xlsx.side.{side}"))),
                ("note", lang.t(&format!("indicator.xlsx.note.{part}"))),
            ],
        ),
        None => lang
            .t(&format!(
                "indicator.xlsx.note.{}",
                column.replace("::", "_")
            ))
            .to_string(),
    }
}

fn instructions(wb: &mut Workbook, lang: Lang) -> Result<(), FilesError> {
    let ws = wb.add_worksheet();
    ws.set_name(lang.t("files.sheet.instructions"))?;
    ws.set_active(true);
    let title = Format::new().set_bold().set_font_size(14);
    let section = Format::new().set_bold().set_font_size(12);
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let header = header_format();
    ws.set_column_width(0, 24)?;
    ws.set_column_width(1, 36)?;
    ws.set_column_width(2, 70)?;
    ws.write_string_with_format(0, 0, lang.t("indicator.xlsx.title"), &title)?;
    let mut r = 2;
    for i in 1..=5 {
        let key = format!("indicator.xlsx.intro_{i}");
        ws.write_string(r, 0, format!("{i}. {}", lang.t(&key)))?;
        r += 1;
    }

    // The columns of both sheets.
    let sheets: [ColumnsSheet; 2] = [
        (
            "indicator.xlsx.indicator_columns",
            INDICATOR_COLUMNS,
            indicator_example,
            "",
        ),
        (
            "indicator.xlsx.target_columns",
            TARGET_COLUMNS,
            |c| target_example(c).to_string(),
            "target_",
        ),
    ];
    for (heading, columns, example, prefix) in sheets {
        r += 1;
        ws.write_string_with_format(r, 0, lang.t(heading), &section)?;
        r += 1;
        for (c, key) in [
            "rules.xlsx.col_column",
            "rules.xlsx.col_note",
            "rules.xlsx.col_example",
        ]
        .iter()
        .enumerate()
        {
            ws.write_string_with_format(r, col(c), lang.t(key), &header)?;
        }
        for column in columns {
            r += 1;
            let note = if prefix.is_empty() {
                column_note(column, lang)
            } else {
                lang.t(&format!("indicator.xlsx.note.{prefix}{column}"))
                    .to_string()
            };
            ws.write_string_with_format(r, 0, *column, &wrap)?;
            ws.write_string_with_format(r, 1, note, &wrap)?;
            ws.write_string_with_format(r, 2, cell_text(&example(column)), &wrap)?;
        }
        r += 1;
    }

    // Every code, by column, with its label (and, for kinds and rows, what it counts).
    r += 1;
    ws.write_string_with_format(r, 0, lang.t("indicator.xlsx.codes"), &section)?;
    r += 1;
    for (c, key) in [
        "indicator.xlsx.col_code",
        "indicator.xlsx.col_label",
        "indicator.xlsx.col_meaning",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(r, col(c), lang.t(key), &header)?;
    }
    let meaning = |code: &str| {
        lang.t(&format!("indicator.xlsx.meaning.{code}"))
            .to_string()
    };
    let both = |part: &str| format!("numerator.{part} / denominator.{part}");
    let state = |kind: MeasureKind| match lang {
        Lang::ZhCn => format!("{}（{}）", both("state"), kind.label(lang)),
        Lang::En => format!("{} ({})", both("state"), kind.label(lang)),
    };
    let groups: Vec<CodeGroup> = vec![
        (
            "compare".into(),
            Compare::ALL
                .iter()
                .map(|v| (v.code(), v.label(lang), String::new()))
                .collect(),
        ),
        (
            both("kind"),
            MeasureKind::ALL
                .iter()
                .map(|v| (v.code(), v.label(lang), meaning(v.code())))
                .collect(),
        ),
        (
            both("level"),
            LEVELS
                .iter()
                .map(|&l| {
                    (
                        indicator::level_code(l),
                        indicator::level_label(l, lang),
                        String::new(),
                    )
                })
                .collect(),
        ),
        (
            both("rows"),
            DivisionRows::ALL
                .iter()
                .map(|v| (v.code(), v.label(lang), meaning(v.code())))
                .collect(),
        ),
        (
            both("within"),
            Within::ALL
                .iter()
                .map(|v| (v.code(), v.label(lang), String::new()))
                .collect(),
        ),
        (
            state(MeasureKind::Reports),
            ReportState::ALL
                .iter()
                .map(|v| (v.code(), v.label(lang), String::new()))
                .collect(),
        ),
        (
            state(MeasureKind::Notices),
            NoticeState::ALL
                .iter()
                .map(|v| (v.code(), v.label(lang), String::new()))
                .collect(),
        ),
        (
            format!("{TARGETS_SHEET}.level"),
            FederationLevel::ALL
                .iter()
                .map(|v| (v.code(), v.label(lang), String::new()))
                .collect(),
        ),
        (
            format!("{TARGETS_SHEET}.direction"),
            Direction::ALL
                .iter()
                .map(|v| (v.code(), v.label(lang), String::new()))
                .collect(),
        ),
    ];
    let bold = Format::new().set_bold();
    for (column, codes) in groups {
        r += 1;
        ws.write_string_with_format(r, 0, &column, &bold)?;
        for (code, label, meaning) in codes {
            r += 1;
            ws.write_string_with_format(r, 0, code, &wrap)?;
            ws.write_string_with_format(r, 1, label, &wrap)?;
            if !meaning.is_empty() {
                ws.write_string_with_format(r, 2, meaning, &wrap)?;
            }
        }
    }
    Ok(())
}

/// A data sheet as read: its name, its columns, its rows.
struct Read {
    name: String,
    kind: Kind,
    /// 0-based column of each known header, the first if a header repeats.
    columns: BTreeMap<&'static str, usize>,
    rows: Vec<SheetRow>,
    /// Places (row, 0-based column) already reported.
    reported: BTreeSet<(usize, usize)>,
}

/// A header as the sheet's columns spell it, in any case.
fn canonical(kind: Kind, header: &str) -> Option<&'static str> {
    let h = unneutralize(header).trim();
    kind.columns()
        .iter()
        .copied()
        .find(|c| c.eq_ignore_ascii_case(h))
}

fn header_text(cell: &Cell) -> &str {
    match cell {
        Cell::Text(t) | Cell::Error(t) => t,
    }
}

/// The first of the first [`HEADER_SCAN_ROWS`] rows naming two or more of `kind`'s columns.
fn header_row(sheet: &Sheet, kind: Kind) -> Option<usize> {
    sheet.rows.iter().take(HEADER_SCAN_ROWS).position(|r| {
        r.cells
            .iter()
            .filter(|(_, c)| matches!(c, Cell::Text(t) if canonical(kind, t).is_some()))
            .count()
            >= 2
    })
}

/// The sheets to read: each kind's sheet by name (`指标`/`indicators`, `目标`/`targets`, in any
/// case), else the first sheet with data, not instructions, whose header names that kind's
/// columns (a CSV file's one sheet).
fn data_sheets(sheets: &[Sheet]) -> Vec<(Kind, &Sheet)> {
    let data: Vec<&Sheet> = sheets
        .iter()
        .filter(|s| !s.rows.is_empty() && !is_instructions(&s.name))
        .collect();
    let mut out = Vec::new();
    for kind in [Kind::Indicators, Kind::Targets] {
        let named = sheets.iter().find(|s| {
            kind.names()
                .iter()
                .any(|n| s.name.trim().eq_ignore_ascii_case(n))
        });
        let found = named.or_else(|| {
            data.iter()
                .copied()
                .filter(|s| {
                    !out.iter().any(|(_, o): &(Kind, &Sheet)| o.name == s.name)
                        && [Kind::Indicators, Kind::Targets].iter().all(|k| {
                            !k.names()
                                .iter()
                                .any(|n| s.name.trim().eq_ignore_ascii_case(n))
                        })
                })
                .find(|s| header_row(s, kind).is_some())
        });
        if let Some(s) = found {
            out.push((kind, s));
        }
    }
    out
}

/// Maps a sheet's rows below its header row to [`SheetRow`]s, reporting what stops a cell from
/// being read: an unknown, repeated or missing column, data under no header, an error value.
fn read_sheet(sheet: &Sheet, kind: Kind, problems: &mut Vec<Located>) -> Option<Read> {
    let Some(h) = header_row(sheet, kind) else {
        problems.push(Located::in_sheet(
            &sheet.name,
            Msg::new("indicator.xlsx.no_header")
                .with("rows", HEADER_SCAN_ROWS)
                .with("columns", kind.columns().join(", ")),
        ));
        return None;
    };
    let header = &sheet.rows[h];
    let header_row = header.index + 1;
    let mut out = Read {
        name: sheet.name.clone(),
        kind,
        columns: BTreeMap::new(),
        rows: Vec::new(),
        reported: BTreeSet::new(),
    };
    let mut headers: BTreeMap<usize, &'static str> = BTreeMap::new();
    for (c, cell) in &header.cells {
        let at = |msg: Msg| {
            Located::in_sheet(&sheet.name, msg)
                .row(header_row)
                .column(*c)
                .header(header_text(cell))
        };
        let known = match cell {
            Cell::Error(e) => {
                problems.push(at(Msg::new("files.cell_error")).value(e));
                continue;
            }
            Cell::Text(t) => canonical(kind, t),
        };
        match known {
            None => problems.push(at(Msg::new("indicator.xlsx.unknown_column")
                .with("columns", kind.columns().join(", ")))),
            Some(name) => match out.columns.get(name) {
                Some(&first) => problems.push(at(
                    Msg::new("files.duplicate_column").with("first", column_letter(first))
                )),
                None => {
                    out.columns.insert(name, *c);
                    headers.insert(*c, name);
                }
            },
        }
    }
    for column in kind.required() {
        if !out.columns.contains_key(column) {
            problems.push(
                Located::in_sheet(
                    &sheet.name,
                    Msg::new("files.missing_column").with("column", column),
                )
                .row(header_row)
                .header(column),
            );
        }
    }
    let mut orphans: BTreeMap<usize, usize> = BTreeMap::new();
    let headed: BTreeSet<usize> = header.cells.iter().map(|(c, _)| *c).collect();
    for r in &sheet.rows[h + 1..] {
        let number = r.index + 1;
        let mut cells = BTreeMap::new();
        for (c, cell) in &r.cells {
            match (headers.get(c), cell) {
                (Some(h), Cell::Text(t)) => {
                    cells.insert(h.to_string(), unneutralize(t).to_string());
                }
                (Some(h), Cell::Error(e)) => {
                    out.reported.insert((number, *c));
                    problems.push(
                        Located::in_sheet(&sheet.name, Msg::new("files.cell_error"))
                            .row(number)
                            .column(*c)
                            .header(h)
                            .value(e),
                    );
                }
                (None, _) if headed.contains(c) => {}
                (None, _) => {
                    orphans.entry(*c).or_insert(number);
                }
            }
        }
        if !cells.is_empty() {
            out.rows.push(SheetRow { row: number, cells });
        }
    }
    for (c, first) in orphans {
        problems.push(
            Located::in_sheet(
                &sheet.name,
                Msg::new("files.orphan_column").with("row", first),
            )
            .row(header_row)
            .column(c),
        );
    }
    Some(out)
}

/// Pins a problem of an indicator or target to its cell, with the column's header and the
/// cell's content; a problem in a condition says at which character. Nothing for a cell already
/// reported, or in a required column the sheet lacks (reported once).
fn locate(p: &IndicatorProblem, sheet: &Read) -> Option<Located> {
    let row = p.row?;
    let column = sheet.columns.get(p.field.as_str()).copied();
    if column.is_some_and(|c| sheet.reported.contains(&(row, c)))
        || (column.is_none() && sheet.kind.required().contains(&p.field.as_str()))
    {
        return None;
    }
    let msg = match p.position {
        Some(pos) => Msg::new("rules.at")
            .with("pos", pos)
            .with_msg("message", p.msg.clone()),
        None => p.msg.clone(),
    };
    let mut l = Located::in_sheet(&sheet.name, msg)
        .row(row)
        .header(&p.field);
    if let Some(c) = column {
        l = l.column(c);
    }
    if let Some(v) = sheet
        .rows
        .iter()
        .find(|r| r.row == row)
        .and_then(|r| r.cells.get(&p.field))
        .filter(|v| !v.trim().is_empty())
    {
        l = l.value(v);
    }
    Some(l)
}

/// Excel's order of places within a sheet: by row, then by column.
fn place_order(l: &Located) -> (usize, usize, String) {
    let column = l.column.clone().unwrap_or_default();
    (l.row.unwrap_or(0), column.len(), column)
}

/// Reads indicators and targets from a workbook (xlsx, xlsm, xlsb, xls, ods) or a CSV file with
/// the columns of one of the sheets, behind the same guards as [`crate::read_registry`]. The
/// indicators are in the sheet `指标` (or `indicators`), the targets in `目标` (or `targets`),
/// each else in a sheet whose header names its columns; either may be absent. Headers are found
/// among the first [`HEADER_SCAN_ROWS`] rows, in any case; empty rows are skipped and the quote
/// that guards against formulas is taken off. Indicators are read by
/// [`indicator::read_indicators`] (conditions on units type-checked; conditions on reports and
/// report items are checked against the campaign's template when saved, by
/// [`indicator::check`]); targets by [`indicator::read_targets`], naming an indicator of the
/// workbook or a built-in one.
///
/// All or nothing: every problem comes back at once, each with the sheet, row, column letter,
/// header and the cell's content, sheet by sheet in the order of the sheet. A file with neither
/// sheet, or with no indicator and no target, is refused.
pub fn read_indicators_workbook(
    bytes: &[u8],
    file_name: &str,
) -> Result<(Vec<Indicator>, Vec<Target>), Vec<Located>> {
    read_workbook(bytes, file_name, None)
}

/// As [`read_indicators_workbook`], with every indicator also checked against `t` (conditions
/// on reports, summed items): those problems are placed at their row and column too.
pub fn read_indicators_workbook_for(
    bytes: &[u8],
    file_name: &str,
    t: &shanghui_core::template::Template,
) -> Result<(Vec<Indicator>, Vec<Target>), Vec<Located>> {
    read_workbook(bytes, file_name, Some(t))
}

fn read_workbook(
    bytes: &[u8],
    file_name: &str,
    template: Option<&shanghui_core::template::Template>,
) -> Result<(Vec<Indicator>, Vec<Target>), Vec<Located>> {
    let sheets = read_sheets(bytes, file_name)?;
    if sheets.iter().all(|s| s.rows.is_empty()) {
        return Err(vec![Located::file(Msg::new("files.empty_file"))]);
    }
    let found = data_sheets(&sheets);
    if found.is_empty() {
        return Err(vec![Located::file(Msg::new(
            "indicator.xlsx.missing_sheet",
        ))]);
    }
    let mut problems = Vec::new();
    let mut indicators = Vec::new();
    let mut targets = Vec::new();
    // The codes targets may name: the workbook's indicators (as written, even if wrong
    // otherwise) and the built-ins.
    let mut codes: BTreeSet<String> = indicator::builtin_indicators()
        .into_iter()
        .map(|i| i.code)
        .collect();
    let mut indicators_unread = false;
    for (kind, sheet) in found {
        let mut here = Vec::new();
        let Some(read) = read_sheet(sheet, kind, &mut here) else {
            if kind == Kind::Indicators {
                // The codes cannot be known: targets are not held against them.
                indicators_unread = true;
            }
            problems.extend(here);
            continue;
        };
        let result = match kind {
            Kind::Indicators => {
                codes.extend(
                    read.rows
                        .iter()
                        .filter_map(|r| r.cells.get("code"))
                        .map(|c| c.trim().to_string())
                        .filter(|c| !c.is_empty()),
                );
                match template {
                    None => indicator::read_indicators(&read.rows).map(|v| indicators = v),
                    Some(t) => indicator::build_indicators(&read.rows, t)
                        .map(|v| indicators = v.into_iter().map(|c| c.indicator).collect()),
                }
            }
            Kind::Targets => {
                if indicators_unread {
                    codes.extend(
                        read.rows
                            .iter()
                            .filter_map(|r| r.cells.get("indicator"))
                            .map(|c| c.trim().to_string()),
                    );
                }
                let known: Vec<&str> = codes.iter().map(String::as_str).collect();
                indicator::read_targets(&read.rows, &known).map(|v| targets = v)
            }
        };
        if let Err(ps) = result {
            here.extend(ps.iter().filter_map(|p| locate(p, &read)));
        }
        here.sort_by_key(place_order);
        problems.extend(here);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if indicators.is_empty() && targets.is_empty() {
        return Err(vec![Located::file(Msg::new(
            "indicator.xlsx.no_indicators",
        ))]);
    }
    Ok((indicators, targets))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_note_is_in_both_languages() {
        for lang in Lang::ALL {
            let keys = shanghui_core::i18n::keys(lang);
            for column in INDICATOR_COLUMNS {
                let key = match column.split_once('.') {
                    Some((_, part)) => format!("indicator.xlsx.note.{part}"),
                    None => format!("indicator.xlsx.note.{}", column.replace("::", "_")),
                };
                assert!(keys.contains(&key.as_str()), "{key} ({lang:?})");
                assert!(!column_note(column, lang).contains("indicator.xlsx"));
            }
            for column in TARGET_COLUMNS {
                let key = format!("indicator.xlsx.note.target_{column}");
                assert!(keys.contains(&key.as_str()), "{key} ({lang:?})");
                assert!(!target_example(column).is_empty());
            }
            for k in MeasureKind::ALL {
                let key = format!("indicator.xlsx.meaning.{}", k.code());
                assert!(keys.contains(&key.as_str()), "{key}");
            }
            for r in DivisionRows::ALL {
                let key = format!("indicator.xlsx.meaning.{}", r.code());
                assert!(keys.contains(&key.as_str()), "{key}");
            }
        }
        for column in [
            "code",
            "name::zh",
            "numerator.kind",
            "numerator.filter",
            "factor",
        ] {
            assert!(!indicator_example(column).is_empty(), "{column}");
        }
        assert!(indicator_example("numerator.filter").contains("org.category"));
    }

    #[test]
    fn drop_downs_fit_excel() {
        // Excel refuses a list longer than 255 characters.
        for c in INDICATOR_COLUMNS.iter().chain(TARGET_COLUMNS) {
            if let Some(codes) = column_codes(c) {
                assert!(codes.join(",").len() <= 255, "{c}");
            }
        }
        assert!(column_codes("numerator.state").unwrap().contains(&"closed"));
        assert!(column_codes("level").unwrap().contains(&"county"));
        assert!(
            column_codes("denominator.level")
                .unwrap()
                .contains(&"township")
        );
        assert!(column_codes("unit").is_none());
    }
}
