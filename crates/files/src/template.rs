//! Annual-report templates (年报模板) as XLSForm-style workbooks: a sheet of instructions, then
//! `survey` (one item a row), `choices` (the options of the choice items) and `settings` (the
//! template's code, version and titles), so that staff can edit a template in Excel and bring it
//! back. The checks are [`shanghui_core::template::build`]'s; this module only moves the sheets
//! in and out of workbooks and pins each problem to its sheet, row and column.

use std::collections::{BTreeMap, BTreeSet};

use rust_xlsxwriter::{DataValidation, DataValidationErrorStyle, Format, FormatAlign, Workbook};
use shanghui_core::template::{
    self, CHOICES_COLUMNS, Item, ItemType, SURVEY_COLUMNS, SheetRow, Template, TemplateProblem,
    Value,
};
use shanghui_core::{Lang, Msg};

use crate::FilesError;
use crate::grid::{Cell, Sheet, number_text};
use crate::located::{Located, column_letter};
use crate::read::{read_workbook_file, unneutralize};
use crate::write::{
    LAST_ROW, cell_text, col, display_width, fit_width, header_format, row, text_format,
};

const SURVEY: &str = "survey";
const CHOICES: &str = "choices";
const SETTINGS: &str = "settings";
const SETTINGS_COLUMNS: &[&str] = &["key", "value"];
const SETTINGS_KEYS: &[&str] = &["form_id", "version", "title::zh", "title::en"];
/// The types offered in the drop-down list of `survey.type`; choice types are typed in.
const PLAIN_TYPES: &[&str] = &["integer", "decimal", "text", "yes_no", "date"];
/// Columns holding numbers that this module writes itself: not text to guard.
const NUMBER_COLUMNS: &[&str] = &["min", "max", "counted"];

/// The columns of a sheet, as the template writes them.
fn columns_of(sheet: &str) -> &'static [&'static str] {
    match sheet {
        SURVEY => SURVEY_COLUMNS,
        CHOICES => CHOICES_COLUMNS,
        _ => SETTINGS_COLUMNS,
    }
}

/// The catalogue key explaining a column (or, for `settings`, a key).
fn note_key(sheet: &str, column: &str) -> String {
    format!("files.tpl.note.{sheet}.{}", column.replace("::", "_"))
}

/// A choice as a condition shows it: its Chinese label when that reads back as the same choice,
/// its code otherwise.
fn choice_text(t: &Template, item: &Item, code: &str) -> String {
    let list = match &item.ty {
        ItemType::Choice(l) | ItemType::MultiChoice(l) => l,
        _ => return code.to_string(),
    };
    let Some(label) = t
        .choices
        .iter()
        .find(|c| &c.list == list && c.code == code)
        .map(|c| c.label_zh.as_str())
    else {
        return code.to_string();
    };
    let want = match item.ty {
        ItemType::MultiChoice(_) => Value::Choices(vec![code.to_string()]),
        _ => Value::Choice(code.to_string()),
    };
    let reads_back = !label.contains('=')
        && template::parse_value(item, label, &t.choices).is_ok_and(|v| v == Some(want));
    if reads_back {
        label.to_string()
    } else {
        code.to_string()
    }
}

fn value_text(t: &Template, item: Option<&Item>, v: &Value) -> String {
    match v {
        Value::Integer(i) => i.to_string(),
        Value::Decimal(d) => number_text(*d),
        Value::Text(s) => s.clone(),
        Value::YesNo(b) => if *b { "是" } else { "否" }.to_string(),
        Value::Date(d) => d.to_string(),
        Value::Choice(code) => match item {
            Some(i) => choice_text(t, i, code),
            None => code.clone(),
        },
        Value::Choices(codes) => codes
            .iter()
            .map(|code| match item {
                // Each label on its own, so that it is checked like a single choice.
                Some(i) => {
                    let single = Item {
                        ty: match &i.ty {
                            ItemType::MultiChoice(l) => ItemType::Choice(l.clone()),
                            other => other.clone(),
                        },
                        ..i.clone()
                    };
                    let text = choice_text(t, &single, code);
                    if text.contains([',', '，', '、', ';', '；', ' ']) {
                        code.clone()
                    } else {
                        text
                    }
                }
                None => code.clone(),
            })
            .collect::<Vec<_>>()
            .join("、"),
    }
}

fn optional_number(n: Option<f64>) -> String {
    n.map(number_text).unwrap_or_default()
}

/// The text of an item's cell in a column of the `survey` sheet.
fn survey_cell(t: &Template, item: &Item, column: &str) -> String {
    match column {
        "type" => item.ty.xlsform(),
        "name" => item.code.clone(),
        "label::zh" => item.label_zh.clone(),
        "label::en" => item.label_en.clone(),
        "required" => if item.required { "yes" } else { "no" }.to_string(),
        "min" => optional_number(item.min),
        "max" => optional_number(item.max),
        "relevant" => item
            .relevant
            .as_ref()
            .map(|c| {
                format!(
                    "{} {} {}",
                    c.item,
                    if c.negated { "!=" } else { "=" },
                    value_text(t, t.item(&c.item), &c.value)
                )
            })
            .unwrap_or_default(),
        "section" => item.section.clone(),
        "counted" => item.counted.map(|n| n.to_string()).unwrap_or_default(),
        "dimension" => item.dimension.clone().unwrap_or_default(),
        "hint::zh" => item.hint_zh.clone(),
        "hint::en" => item.hint_en.clone(),
        "rule" => item.rule.clone(),
        "severity" => item.severity.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

/// Writes a sheet of one header row and rows of text: bold frozen header, text format, widths
/// that fit. Returns the sheet for data validations.
/// Writes a sheet of one header row and rows of text (bold frozen header, text cells, widths to
/// the content). Cells of the `raw` columns are numbers the caller formatted and are written as
/// they are; any other text is guarded against formula injection.
pub(crate) fn table<'a>(
    wb: &'a mut Workbook,
    name: &str,
    header: &[&str],
    rows: &[Vec<String>],
    raw: &[&str],
) -> Result<&'a mut rust_xlsxwriter::Worksheet, FilesError> {
    let ws = wb.add_worksheet();
    ws.set_name(name)?;
    let head = header_format();
    let text = text_format();
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, col(c), *h, &head)?;
        ws.set_column_format(col(c), &text)?;
        let width = fit_width(
            std::iter::once(display_width(h)).chain(
                rows.iter()
                    .take(1_000)
                    .filter_map(|r| r.get(c))
                    .map(|v| display_width(v)),
            ),
        );
        ws.set_column_width(col(c), width)?;
    }
    for (r, cells) in rows.iter().enumerate() {
        for (c, v) in cells.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            let v = if header.get(c).is_some_and(|h| raw.contains(h)) {
                v.clone()
            } else {
                cell_text(v)
            };
            ws.write_string_with_format(row(r + 1), col(c), v, &text)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(ws)
}

/// A template as an XLSForm-style workbook: a first sheet of instructions in `lang`
/// (说明/Instructions), then `survey` (columns [`SURVEY_COLUMNS`], one row per item), `choices`
/// (columns [`CHOICES_COLUMNS`]) and `settings` (`key`/`value` rows: form_id, version, title::zh,
/// title::en). Every cell is a text cell, guarded against formula injection; drop-down lists offer
/// the plain types in `survey.type` and yes/no in `survey.required`. [`read_template_workbook`]
/// reads it back to the same template.
pub fn write_template_xlsx(t: &Template, lang: Lang) -> Result<Vec<u8>, FilesError> {
    let mut wb = Workbook::new();
    instructions(&mut wb, lang)?;

    let survey: Vec<Vec<String>> = t
        .items
        .iter()
        .map(|item| {
            SURVEY_COLUMNS
                .iter()
                .map(|c| survey_cell(t, item, c))
                .collect()
        })
        .collect();
    let ws = table(&mut wb, SURVEY, SURVEY_COLUMNS, &survey, NUMBER_COLUMNS)?;
    let position = |name: &str| SURVEY_COLUMNS.iter().position(|c| *c == name);
    if let Some(c) = position("type") {
        // Information only: choice types are typed in, not picked.
        let v = DataValidation::new()
            .allow_list_strings(PLAIN_TYPES)?
            .set_input_title(lang.t("files.tpl.type_pick_title"))?
            .set_input_message(lang.t("files.tpl.type_pick_message"))?
            .set_error_title(lang.t("files.tpl.type_pick_title"))?
            .set_error_message(lang.t("files.tpl.type_pick_error"))?
            .set_error_style(DataValidationErrorStyle::Information);
        ws.add_data_validation(1, col(c), LAST_ROW, col(c), &v)?;
    }
    if let Some(c) = position("required") {
        let v = DataValidation::new()
            .allow_list_strings(&["yes", "no"])?
            .set_input_title(lang.t("files.tpl.required_pick_title"))?
            .set_input_message(lang.t("files.tpl.required_pick_message"))?
            .set_error_title(lang.t("files.tpl.required_pick_title"))?
            .set_error_message(lang.t("files.template.pick_error"))?
            .set_error_style(DataValidationErrorStyle::Stop);
        ws.add_data_validation(1, col(c), LAST_ROW, col(c), &v)?;
    }

    let choices: Vec<Vec<String>> = t
        .choices
        .iter()
        .map(|ch| {
            CHOICES_COLUMNS
                .iter()
                .map(|c| match *c {
                    "list_name" => ch.list.clone(),
                    "name" => ch.code.clone(),
                    "label::zh" => ch.label_zh.clone(),
                    "label::en" => ch.label_en.clone(),
                    _ => String::new(),
                })
                .collect()
        })
        .collect();
    table(&mut wb, CHOICES, CHOICES_COLUMNS, &choices, &[])?;

    let settings: Vec<Vec<String>> = SETTINGS_KEYS
        .iter()
        .map(|&k| {
            let v = match k {
                "form_id" => t.form_id.clone(),
                "version" => t.version.to_string(),
                "title::zh" => t.title_zh.clone(),
                _ => t.title_en.clone(),
            };
            vec![k.to_string(), v]
        })
        .collect();
    table(&mut wb, SETTINGS, SETTINGS_COLUMNS, &settings, &[])?;
    Ok(wb.save_to_buffer()?)
}

fn instructions(wb: &mut Workbook, lang: Lang) -> Result<(), FilesError> {
    let ws = wb.add_worksheet();
    ws.set_name(lang.t("files.sheet.instructions"))?;
    ws.set_active(true);
    let title = Format::new().set_bold().set_font_size(14);
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let header = header_format();
    ws.set_column_width(0, 14)?;
    ws.set_column_width(1, 18)?;
    ws.set_column_width(2, 100)?;
    ws.write_string_with_format(0, 0, lang.t("files.tpl.title"), &title)?;
    let mut r = 2;
    for (i, key) in [
        "files.tpl.intro_1",
        "files.tpl.intro_2",
        "files.tpl.intro_3",
        "files.tpl.intro_4",
        "files.tpl.intro_5",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(r, 0, format!("{}. {}", i + 1, lang.t(key)))?;
        r += 1;
    }
    r += 1;
    for (c, key) in [
        "files.tpl.col_sheet",
        "files.tpl.col_column",
        "files.tpl.col_note",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(r, col(c), lang.t(key), &header)?;
    }
    for (sheet, columns) in [
        (SURVEY, SURVEY_COLUMNS),
        (CHOICES, CHOICES_COLUMNS),
        (SETTINGS, SETTINGS_KEYS),
    ] {
        for column in columns {
            r += 1;
            ws.write_string_with_format(r, 0, sheet, &wrap)?;
            ws.write_string_with_format(r, 1, *column, &wrap)?;
            ws.write_string_with_format(r, 2, lang.t(&note_key(sheet, column)), &wrap)?;
        }
    }
    Ok(())
}

/// One of the three sheets as read: its name in the file, its columns, its rows.
#[derive(Default)]
struct Read {
    name: String,
    /// 0-based column of each header, the first if a header repeats.
    columns: BTreeMap<String, usize>,
    rows: Vec<SheetRow>,
    /// Places (row, 0-based column) already reported, so that build does not report them again.
    reported: BTreeSet<(usize, usize)>,
}

/// A header as the template spells it when it is one of the sheet's columns in another case.
fn canonical(sheet: &str, header: &str) -> String {
    columns_of(sheet)
        .iter()
        .find(|c| c.eq_ignore_ascii_case(header))
        .map_or_else(|| header.to_string(), |c| c.to_string())
}

/// Maps a sheet's rows to [`SheetRow`]s by the headers of its first non-empty row.
fn read_sheet(kind: &str, sheet: &Sheet, problems: &mut Vec<Located>) -> Read {
    let mut out = Read {
        name: sheet.name.clone(),
        ..Read::default()
    };
    let Some((header, rest)) = sheet.rows.split_first() else {
        return out;
    };
    let header_row = header.index + 1;
    let mut headers: BTreeMap<usize, String> = BTreeMap::new();
    for (c, cell) in &header.cells {
        let at = Located::in_sheet(&sheet.name, Msg::new("files.cell_error"))
            .row(header_row)
            .column(*c);
        match cell {
            Cell::Error(e) => problems.push(at.value(e)),
            Cell::Text(t) => {
                let h = canonical(kind, unneutralize(t).trim());
                match out.columns.get(&h) {
                    Some(&first) => problems.push(
                        Located::in_sheet(
                            &sheet.name,
                            Msg::new("files.duplicate_column").with("first", column_letter(first)),
                        )
                        .row(header_row)
                        .column(*c)
                        .header(&h),
                    ),
                    None => {
                        out.columns.insert(h.clone(), *c);
                        headers.insert(*c, h);
                    }
                }
            }
        }
    }
    // Columns with data under no header, and the first row where each has some.
    let mut orphans: BTreeMap<usize, usize> = BTreeMap::new();
    let repeated: BTreeSet<usize> = header
        .cells
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| !headers.contains_key(c))
        .collect();
    for r in rest {
        let number = r.index + 1;
        let mut cells = BTreeMap::new();
        for (c, cell) in &r.cells {
            match (headers.get(c), cell) {
                (Some(h), Cell::Text(t)) => {
                    cells.insert(h.clone(), unneutralize(t).to_string());
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
                // Under a header already reported as repeated.
                (None, _) if repeated.contains(c) => {}
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
    out
}

/// Pins a problem found by [`template::build`] to its place in the workbook. Problems of the
/// `settings` sheet name a key: they are pinned to the row of that key and the `value` column,
/// with the key as the header.
fn locate(p: &TemplateProblem, sheet: &Read) -> Located {
    let mut l = Located::in_sheet(&sheet.name, p.msg.clone());
    if p.sheet == SETTINGS {
        if let Some(key) = &p.column {
            if let Some(r) = sheet.rows.iter().find(|r| {
                r.cells
                    .get("key")
                    .is_some_and(|k| shanghui_core::value::trim(k) == key)
            }) {
                l = l.row(r.row);
                if let Some(&c) = sheet.columns.get("value") {
                    l = l.column(c);
                }
            }
            l = l.header(key);
        }
        return l;
    }
    if let Some(r) = p.row {
        l = l.row(r);
    }
    if let Some(c) = &p.column {
        if let Some(&i) = sheet.columns.get(c) {
            l = l.column(i);
        }
        l = l.header(c);
    }
    l
}

/// Reads a template workbook (xlsx, xlsm, xlsb, xls, ods) behind the same guards as
/// [`crate::read_registry`], finds its sheets `survey`, `choices` and `settings` by name (in any
/// case; hidden sheets are not read), maps each row below a sheet's header row to a [`SheetRow`]
/// (the header row is the sheet's first non-empty row; empty rows are skipped; whole numbers read
/// as their digits; the quote that guards against formulas is taken off) and builds the template
/// with [`template::build`].
///
/// Every problem comes back at once, each with the sheet, row, column letter and header: a
/// missing sheet, an error value in a cell, a repeated header, data under no header, and every
/// problem `build` finds.
pub fn read_template_workbook(bytes: &[u8], file_name: &str) -> Result<Template, Vec<Located>> {
    let sheets = read_workbook_file(bytes, file_name, Msg::new("files.tpl.csv_refused"))?;
    let mut problems = Vec::new();
    let mut read: BTreeMap<&'static str, Read> = BTreeMap::new();
    for kind in [SURVEY, CHOICES, SETTINGS] {
        match sheets
            .iter()
            .find(|s| s.name.trim().eq_ignore_ascii_case(kind))
        {
            Some(s) => {
                read.insert(kind, read_sheet(kind, s, &mut problems));
            }
            None => problems.push(Located::in_sheet(kind, Msg::new("files.tpl.missing_sheet"))),
        }
    }
    let rows = |kind: &str| read.get(kind).map(|r| r.rows.as_slice()).unwrap_or(&[]);
    let built = template::build(rows(SETTINGS), rows(SURVEY), rows(CHOICES));
    let built_problems = match built {
        Ok(t) if problems.is_empty() => return Ok(t),
        Ok(_) => Vec::new(),
        Err(ps) => ps,
    };
    for p in &built_problems {
        // What follows from a missing sheet is not a problem of its own.
        let Some(sheet) = read.get(p.sheet) else {
            continue;
        };
        if p.msg.key == "template.unknown_list" && !read.contains_key(CHOICES) {
            continue;
        }
        let l = locate(p, sheet);
        let already = match (l.row, l.column.as_deref()) {
            (Some(r), Some(c)) => sheet
                .reported
                .iter()
                .any(|&(rr, cc)| rr == r && column_letter(cc) == c),
            _ => false,
        };
        if !already {
            problems.push(l);
        }
    }
    Err(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_has_a_note_in_both_languages() {
        for lang in Lang::ALL {
            let keys = shanghui_core::i18n::keys(lang);
            for (sheet, columns) in [
                (SURVEY, SURVEY_COLUMNS),
                (CHOICES, CHOICES_COLUMNS),
                (SETTINGS, SETTINGS_KEYS),
            ] {
                for c in columns {
                    let key = note_key(sheet, c);
                    assert!(keys.contains(&key.as_str()), "{key}");
                }
            }
        }
    }

    #[test]
    fn conditions_use_labels_that_read_back() {
        let t = template::sample();
        let reason = t.item("party_org_reason").unwrap();
        assert_eq!(survey_cell(&t, reason, "relevant"), "party_org = 否");
        let report = t.item("rectification_report").unwrap();
        assert_eq!(
            survey_cell(&t, report, "relevant"),
            "prior_inspection != 合格"
        );
        let category = t.item("category").unwrap();
        assert_eq!(survey_cell(&t, category, "type"), "select_one category");
        assert_eq!(survey_cell(&t, category, "required"), "yes");
    }
}
