//! 写出年报工作簿：按登记信息预填单位，已有的年报内容按用户的语言填入。
//! Writing annual-report workbooks, pre-filled from the registry: the units and any answers they
//! already have, shown as people read them (是/否, choice labels, real dates, numbers as numbers),
//! every label in the user's language.

use std::collections::{HashMap, HashSet};

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DataValidationRule, ExcelDateTime, Format,
    FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};
use shanghui_core::Lang;
use shanghui_core::report::{self, Answers};
use shanghui_core::template::{self, Item, ItemType, Template, Value};

use super::columns::{Col, TABLE_COLUMNS, UNIT_COLUMNS, Vocabulary};
use crate::grid::number_text;
use crate::guard::{MAX_SHEETS, human_size};
use crate::write::{
    LAST_ROW, cell_text, col, display_width, fit_width, header_format, row, text_format,
    write_table_csv,
};
use crate::{FilesError, MAX_DATA_ROWS, MAX_FILE_BYTES};

/// A unit to write a report row or sheet for, as the registry has it, with the answers it
/// already has (empty for a report not started).
#[derive(Debug, Clone, PartialEq)]
pub struct ReportUnit {
    pub id: i64,
    pub name: String,
    pub uscc: Option<String>,
    pub answers: Answers,
}

/// Layout (a): the sheet of data, below a row of section headings, a row of labels and a row of
/// codes.
const FIRST_DATA_ROW: usize = 3;
/// Layout (b): the table's header row, below the title, the unit's pairs and a blank row.
const TABLE_ROW: usize = 6;
/// Whole numbers beyond this lose digits as spreadsheet numbers, so they are written as text.
const EXACT_INTEGER: u64 = 1 << 53;

/// One workbook's formats.
struct Formats {
    header: Format,
    code: Format,
    text: Format,
    date: Format,
    section: Format,
    title: Format,
    label: Format,
    wrap: Format,
}

impl Formats {
    fn new() -> Self {
        Formats {
            header: header_format().set_text_wrap(),
            code: Format::new()
                .set_italic()
                .set_font_size(9)
                .set_font_color(Color::RGB(0x808080))
                .set_align(FormatAlign::Center),
            text: text_format(),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            section: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xFCE4D6))
                .set_border(FormatBorder::Thin)
                .set_align(FormatAlign::Center),
            title: Format::new().set_bold().set_font_size(14),
            label: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xF2F2F2)),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
        }
    }
}

/// What a template's items look like in one language: headings, notes, values.
struct Texts<'t> {
    t: &'t Template,
    lang: Lang,
    /// (list, code) → the text written for a choice: its label in `lang` when that reads back as
    /// the same choice, its code otherwise.
    choices: HashMap<(&'t str, &'t str), String>,
}

impl<'t> Texts<'t> {
    fn new(t: &'t Template, lang: Lang) -> Self {
        let mut choices = HashMap::new();
        for item in &t.items {
            let list = match &item.ty {
                ItemType::Choice(l) | ItemType::MultiChoice(l) => l,
                _ => continue,
            };
            for c in t.choices.iter().filter(|c| &c.list == list) {
                if choices.contains_key(&(list.as_str(), c.code.as_str())) {
                    continue;
                }
                let label = match lang {
                    Lang::ZhCn => &c.label_zh,
                    Lang::En => &c.label_en,
                };
                let want = match item.ty {
                    ItemType::MultiChoice(_) => Value::Choices(vec![c.code.clone()]),
                    _ => Value::Choice(c.code.clone()),
                };
                let reads_back =
                    template::parse_value(item, label, &t.choices).is_ok_and(|v| v == Some(want));
                let text = if reads_back { label } else { &c.code };
                choices.insert((list.as_str(), c.code.as_str()), text.clone());
            }
        }
        Texts { t, lang, choices }
    }

    fn choice(&self, list: &str, code: &str) -> String {
        self.choices
            .get(&(list, code))
            .cloned()
            .unwrap_or_else(|| code.to_string())
    }

    /// A value as written in a cell: 是/否 (Yes/No), choice labels, dates as `2024-05-31`,
    /// numbers in full.
    fn value(&self, item: &Item, v: &Value) -> String {
        match (&item.ty, v) {
            (_, Value::YesNo(b)) => self.lang.t(if *b { "yes" } else { "no" }).to_string(),
            (ItemType::Choice(list), Value::Choice(c)) => self.choice(list, c),
            (ItemType::MultiChoice(list), Value::Choices(cs)) => cs
                .iter()
                .map(|c| self.choice(list, c))
                .collect::<Vec<_>>()
                .join(self.lang.t("list.separator")),
            (_, Value::Decimal(d)) => number_text(*d),
            _ => report::raw(v),
        }
    }

    /// An item's label, marked `*` when it is always required.
    fn heading(&self, item: &Item) -> String {
        let label = item.label(self.lang);
        if item.required && item.relevant.is_none() {
            format!("{label}*")
        } else {
            label.to_string()
        }
    }

    fn section(&self, code: &str) -> String {
        self.t
            .choices
            .iter()
            .find(|c| c.list == "section" && c.code == code)
            .map_or_else(
                || code.to_string(),
                |c| match self.lang {
                    Lang::ZhCn => c.label_zh.clone(),
                    Lang::En => c.label_en.clone(),
                },
            )
    }

    /// What an item asks for: the type (with the choices), the bounds, and when it must be filled.
    fn note(&self, item: &Item) -> String {
        let lang = self.lang;
        let list_of = |list: &str| {
            self.t
                .choices
                .iter()
                .filter(|c| c.list == list)
                .map(|c| self.choice(list, &c.code))
                .collect::<Vec<_>>()
                .join(lang.t("list.separator"))
        };
        let mut parts = vec![match &item.ty {
            ItemType::Integer => lang.t("files.rpt.note.integer").to_string(),
            ItemType::Decimal => lang.t("files.rpt.note.decimal").to_string(),
            ItemType::Text => lang.t("files.rpt.note.text").to_string(),
            ItemType::YesNo => lang.t("files.rpt.note.yes_no").to_string(),
            ItemType::Date => lang.t("files.rpt.note.date").to_string(),
            ItemType::Choice(l) => lang.tf("files.rpt.note.choice", &[("choices", &list_of(l))]),
            ItemType::MultiChoice(l) => {
                lang.tf("files.rpt.note.multi", &[("choices", &list_of(l))])
            }
        }];
        if let Some(min) = item.min {
            parts.push(lang.tf("files.rpt.note.min", &[("min", &number_text(min))]));
        }
        if let Some(max) = item.max {
            parts.push(lang.tf("files.rpt.note.max", &[("max", &number_text(max))]));
        }
        parts.push(self.when(item));
        parts.join(lang.t("files.rpt.note.sep"))
    }

    /// 必填, 选填, or the condition under which the item is filled in.
    fn when(&self, item: &Item) -> String {
        let lang = self.lang;
        let Some(c) = &item.relevant else {
            let key = if item.required {
                "files.rpt.note.required"
            } else {
                "files.rpt.note.optional"
            };
            return lang.t(key).to_string();
        };
        let (label, value) = match self.t.item(&c.item) {
            Some(on) => (
                on.label(lang).to_string(),
                report::display(on, &c.value, &self.t.choices, lang),
            ),
            None => (c.item.clone(), report::raw(&c.value)),
        };
        let key = match (item.required, c.negated) {
            (true, false) => "files.rpt.note.required_when",
            (true, true) => "files.rpt.note.required_unless",
            (false, false) => "files.rpt.note.when",
            (false, true) => "files.rpt.note.unless",
        };
        lang.tf(key, &[("item", &label), ("value", &value)])
    }

    /// The drop-down list or number check of an item's answer cells, if it has one.
    fn validation(&self, item: &Item) -> Option<DataValidation> {
        let lang = self.lang;
        let check = match &item.ty {
            ItemType::YesNo => {
                DataValidation::new().allow_list_strings(&[lang.t("yes"), lang.t("no")])
            }
            ItemType::Choice(list) => {
                let labels: Vec<String> = self
                    .t
                    .choices
                    .iter()
                    .filter(|c| &c.list == list)
                    .map(|c| self.choice(list, &c.code))
                    .collect();
                // Excel splits a list at commas, and takes at most 255 characters of it
                // (checked by `allow_list_strings`): such lists go without a drop-down.
                if labels.iter().any(|l| l.contains(',')) {
                    return None;
                }
                DataValidation::new().allow_list_strings(&labels)
            }
            ItemType::Integer => Ok(DataValidation::new().allow_whole_number(bounds(item, |n| {
                n.ceil().clamp(i32::MIN as f64, i32::MAX as f64) as i32
            })?)),
            ItemType::Decimal => {
                Ok(DataValidation::new().allow_decimal_number(bounds(item, |n| n)?))
            }
            _ => return None,
        };
        let note = self.note(item);
        let label = item.label(lang);
        check
            .and_then(|v| v.set_error_title(clip(label, 32)))
            .and_then(|v| v.set_error_message(clip(&note, 255)))
            .and_then(|v| v.set_input_title(clip(label, 32)))
            .and_then(|v| v.set_input_message(clip(&note, 255)))
            .map(|v| v.set_error_style(DataValidationErrorStyle::Stop))
            .ok()
    }
}

/// The rule for an item's bounds, `None` without any.
fn bounds<T>(item: &Item, conv: impl Fn(f64) -> T) -> Option<DataValidationRule<T>>
where
    T: rust_xlsxwriter::IntoDataValidationValue,
{
    Some(match (item.min, item.max) {
        (Some(a), Some(b)) => DataValidationRule::Between(conv(a), conv(b)),
        (Some(a), None) => DataValidationRule::GreaterThanOrEqualTo(conv(a)),
        (None, Some(b)) => DataValidationRule::LessThanOrEqualTo(conv(b)),
        (None, None) => return None,
    })
}

/// At most `max` UTF-16 units (Excel's measure), cut at a character.
fn clip(s: &str, max: usize) -> String {
    let mut used = 0;
    s.chars()
        .take_while(|c| {
            used += c.len_utf16();
            used <= max
        })
        .collect()
}

/// A column of layout (a).
#[derive(Clone, Copy)]
enum Column {
    Unit(Col),
    Item(usize),
}

/// The unit's columns, then every item that no unit column answers.
fn row_columns(v: &Vocabulary<'_>) -> Vec<Column> {
    UNIT_COLUMNS
        .iter()
        .map(|(c, _, _)| Column::Unit(*c))
        .chain(
            (0..v.t.items.len())
                .filter(|i| v.aliased(*i).is_none())
                .map(Column::Item),
        )
        .collect()
}

/// The item a column answers, its own or the one a unit column stands for.
fn column_item<'t>(v: &Vocabulary<'t>, c: Column) -> Option<&'t Item> {
    let i = match c {
        Column::Item(i) => i,
        Column::Unit(col) => v.alias(col)?,
    };
    v.t.items.get(i)
}

fn unit_label(col: Col) -> &'static str {
    UNIT_COLUMNS
        .iter()
        .find(|(c, _, _)| *c == col)
        .map_or("", |(_, _, key)| key)
}

fn unit_code(col: Col) -> &'static str {
    UNIT_COLUMNS
        .iter()
        .find(|(c, _, _)| *c == col)
        .map_or("", |(_, code, _)| code)
}

/// The text of a unit column: the answer of the item it stands for, else the registry's.
fn unit_text(texts: &Texts<'_>, v: &Vocabulary<'_>, unit: &ReportUnit, col: Col) -> String {
    if let Some(item) = column_item(v, Column::Unit(col))
        && let Some(a) = unit.answers.get(&item.code)
    {
        return texts.value(item, a);
    }
    match col {
        Col::Id => unit.id.to_string(),
        Col::Name => unit.name.clone(),
        Col::Uscc => unit.uscc.clone().unwrap_or_default(),
        _ => String::new(),
    }
}

/// Writes an answer as what it is: numbers as numbers, dates as dates, the rest as text.
fn write_value(
    ws: &mut Worksheet,
    (r, c): (usize, usize),
    item: &Item,
    v: &Value,
    texts: &Texts<'_>,
    f: &Formats,
) -> Result<(), XlsxError> {
    let (r, c) = (row(r), col(c));
    match v {
        Value::Integer(i) if i.unsigned_abs() <= EXACT_INTEGER => {
            ws.write_number(r, c, *i as f64)?;
        }
        Value::Decimal(d) => {
            ws.write_number(r, c, *d)?;
        }
        Value::Date(d) => {
            use chrono::Datelike;
            let excel = u16::try_from(d.year())
                .ok()
                .and_then(|y| ExcelDateTime::from_ymd(y, d.month() as u8, d.day() as u8).ok());
            match excel {
                Some(x) => ws.write_datetime_with_format(r, c, &x, &f.date)?,
                // Before 1900: Excel has no such date.
                None => ws.write_string_with_format(r, c, report::raw(v), &f.text)?,
            };
        }
        _ => {
            ws.write_string_with_format(r, c, cell_text(&texts.value(item, v)), &f.text)?;
        }
    }
    Ok(())
}

/// The format an empty answer cell of an item gets, so that what is typed in keeps its type.
fn cell_format<'f>(item: &Item, f: &'f Formats) -> Option<&'f Format> {
    match item.ty {
        ItemType::Integer | ItemType::Decimal => None,
        ItemType::Date => Some(&f.date),
        _ => Some(&f.text),
    }
}

/// Annual reports in layout (a), one row per unit, as an xlsx workbook: a sheet of instructions
/// in `lang` (说明), then the data sheet (年报) with a row of section headings (merged across each
/// section), a row of labels in `lang` (单位编号, 单位名称, 统一社会信用代码, then the items,
/// `*` marking the required ones), a row of codes (`id`, `name`, `uscc`, item codes), and one row
/// per unit pre-filled with the answers it has. Frozen below the codes and right of the names;
/// drop-down lists for yes/no and single-choice items, number checks for bounded numbers.
/// [`crate::read_reports`] reads it back.
pub fn write_reports_rows_xlsx(
    t: &Template,
    year: i32,
    units: &[ReportUnit],
    lang: Lang,
) -> Result<Vec<u8>, FilesError> {
    let texts = Texts::new(t, lang);
    let v = Vocabulary::new(t);
    let f = Formats::new();
    let mut wb = Workbook::new();
    let data_sheet = lang.t("files.rpt.sheet.data");
    let intro = [
        lang.tf("files.rpt.rows.intro_1", &[("sheet", data_sheet)]),
        lang.t("files.rpt.rows.intro_2").to_string(),
        lang.t("files.rpt.intro.required").to_string(),
        lang.t("files.rpt.intro.values").to_string(),
        lang.t("files.rpt.rows.intro_5").to_string(),
        lang.t("files.rpt.intro.all_or_nothing").to_string(),
        limits(lang),
    ];
    instructions(&mut wb, &texts, year, &intro, &f)?;

    let ws = wb.add_worksheet();
    ws.set_name(data_sheet)?;
    let columns = row_columns(&v);
    sections_row(ws, &texts, &v, &columns, &f)?;
    for (c, &column) in columns.iter().enumerate() {
        row_column(ws, &texts, &v, units, c, column, &f)?;
    }
    for (k, unit) in units.iter().enumerate() {
        let r = FIRST_DATA_ROW + k;
        for (c, &column) in columns.iter().enumerate() {
            match column {
                Column::Unit(Col::Id) => {
                    ws.write_number(row(r), col(c), unit.id as f64)?;
                }
                Column::Unit(uc) => {
                    let text = unit_text(&texts, &v, unit, uc);
                    if !text.is_empty() {
                        ws.write_string_with_format(row(r), col(c), cell_text(&text), &f.text)?;
                    }
                }
                Column::Item(i) => {
                    let item = &t.items[i];
                    if let Some(a) = unit.answers.get(&item.code) {
                        write_value(ws, (r, c), item, a, &texts, &f)?;
                    }
                }
            }
        }
    }
    ws.set_row_height(1, 48)?;
    ws.set_freeze_panes(row(FIRST_DATA_ROW), 2)?;
    Ok(wb.save_to_buffer()?)
}

/// 一个文件最多多少行、多大: the same limits as the registry import.
fn limits(lang: Lang) -> String {
    let rows = MAX_DATA_ROWS.to_string();
    let size = human_size(MAX_FILE_BYTES as u64);
    lang.tf(
        "files.rpt.intro.limits",
        &[("rows", rows.as_str()), ("size", size.as_str())],
    )
}

/// The row of section headings above the labels, each merged across its columns.
fn sections_row(
    ws: &mut Worksheet,
    texts: &Texts<'_>,
    v: &Vocabulary<'_>,
    columns: &[Column],
    f: &Formats,
) -> Result<(), XlsxError> {
    let section_of = |c: &Column| match c {
        Column::Unit(_) => texts.lang.t("files.rpt.section.unit").to_string(),
        Column::Item(i) => texts.section(&v.t.items[*i].section),
    };
    let mut start = 0;
    while start < columns.len() {
        let label = section_of(&columns[start]);
        let mut end = start;
        while end + 1 < columns.len() && section_of(&columns[end + 1]) == label {
            end += 1;
        }
        let text = cell_text(&label);
        if end > start {
            ws.merge_range(0, col(start), 0, col(end), &text, &f.section)?;
        } else {
            ws.write_string_with_format(0, col(start), text, &f.section)?;
        }
        start = end + 1;
    }
    Ok(())
}

/// One column of layout (a): its label and code, format, width and check.
fn row_column(
    ws: &mut Worksheet,
    texts: &Texts<'_>,
    v: &Vocabulary<'_>,
    units: &[ReportUnit],
    c: usize,
    column: Column,
    f: &Formats,
) -> Result<(), XlsxError> {
    let item = column_item(v, column);
    let (label, code) = match column {
        Column::Unit(uc) => {
            let label = texts.lang.t(unit_label(uc));
            let required = item.is_some_and(|i| i.required && i.relevant.is_none());
            let label = if required {
                format!("{label}*")
            } else {
                label.to_string()
            };
            (label, unit_code(uc).to_string())
        }
        Column::Item(i) => (texts.heading(&v.t.items[i]), v.t.items[i].code.clone()),
    };
    ws.write_string_with_format(1, col(c), cell_text(&label), &f.header)?;
    ws.write_string_with_format(2, col(c), cell_text(&code), &f.code)?;
    let format = match (column, item) {
        (Column::Unit(Col::Id), _) => None,
        (Column::Unit(_), _) => Some(&f.text),
        (_, Some(item)) => cell_format(item, f),
        (_, None) => None,
    };
    if let Some(format) = format {
        ws.set_column_format(col(c), format)?;
    }
    let width = match column {
        Column::Unit(Col::Name) => fit_width(
            std::iter::once(display_width(&label))
                .chain(units.iter().take(1000).map(|u| display_width(&u.name))),
        )
        .min(40.0),
        Column::Unit(Col::Uscc) => 22.0,
        Column::Unit(_) => 10.0,
        Column::Item(_) => {
            let by_label = display_width(&label) as f64 / 2.0 + 4.0;
            let by_code = code.len() as f64 * 0.85 + 2.0;
            by_label.max(by_code).clamp(10.0, 30.0)
        }
    };
    ws.set_column_width(col(c), width)?;
    if let Some(check) = item.and_then(|i| texts.validation(i)) {
        let first = row(FIRST_DATA_ROW);
        ws.add_data_validation(first, col(c), LAST_ROW, col(c), &check)?;
    }
    Ok(())
}

/// The sheet of instructions: a title, numbered lines, then every item with its code, what it
/// asks for and its hint.
fn instructions(
    wb: &mut Workbook,
    texts: &Texts<'_>,
    year: i32,
    intro: &[String],
    f: &Formats,
) -> Result<(), XlsxError> {
    let (t, lang) = (texts.t, texts.lang);
    let ws = wb.add_worksheet();
    ws.set_name(lang.t("files.sheet.instructions"))?;
    ws.set_active(true);
    for (c, width) in [36, 22, 60, 50].into_iter().enumerate() {
        ws.set_column_width(col(c), width)?;
    }
    let title = lang.tf(
        "files.rpt.instructions_title",
        &[("year", &year.to_string()), ("title", title_of(t, lang))],
    );
    ws.write_string_with_format(0, 0, cell_text(&title), &f.title)?;
    let mut r = 2;
    for (i, line) in intro.iter().enumerate() {
        ws.write_string(row(r), 0, cell_text(&format!("{}. {}", i + 1, line)))?;
        r += 1;
    }
    r += 1;
    for (c, key) in [
        "files.rpt.col.item",
        "files.rpt.col.code",
        "files.rpt.col.rule",
        "files.rpt.col.hint",
    ]
    .into_iter()
    .enumerate()
    {
        ws.write_string_with_format(row(r), col(c), lang.t(key), &f.header)?;
    }
    for item in &t.items {
        r += 1;
        let cells = [
            texts.heading(item),
            item.code.clone(),
            texts.note(item),
            hint(item, lang).to_string(),
        ];
        for (c, text) in cells.iter().enumerate() {
            ws.write_string_with_format(row(r), col(c), cell_text(text), &f.wrap)?;
        }
    }
    Ok(())
}

fn title_of(t: &Template, lang: Lang) -> &str {
    match lang {
        Lang::ZhCn => &t.title_zh,
        Lang::En => &t.title_en,
    }
}

/// An item's hint in `lang`, the Chinese one when there is no other.
fn hint(item: &Item, lang: Lang) -> &str {
    match lang {
        Lang::En if !item.hint_en.is_empty() => &item.hint_en,
        _ => &item.hint_zh,
    }
}

/// Annual reports in layout (a) as CSV for Excel (UTF-8 with BOM, CRLF, every cell guarded
/// against formula injection): the row of labels in `lang`, the row of codes, one row per unit.
/// Values are written as [`write_reports_rows_xlsx`] shows them, dates as `2024-05-31`.
pub fn write_reports_csv(t: &Template, units: &[ReportUnit], lang: Lang) -> Vec<u8> {
    let texts = Texts::new(t, lang);
    let v = Vocabulary::new(t);
    let columns = row_columns(&v);
    let header: Vec<String> = columns
        .iter()
        .map(|c| match *c {
            Column::Unit(uc) => lang.t(unit_label(uc)).to_string(),
            Column::Item(i) => texts.heading(&t.items[i]),
        })
        .collect();
    let codes: Vec<String> = columns
        .iter()
        .map(|c| match *c {
            Column::Unit(uc) => unit_code(uc).to_string(),
            Column::Item(i) => t.items[i].code.clone(),
        })
        .collect();
    let rows = std::iter::once(codes)
        .chain(units.iter().map(|unit| {
            columns
                .iter()
                .map(|c| match *c {
                    Column::Unit(uc) => unit_text(&texts, &v, unit, uc),
                    Column::Item(i) => unit
                        .answers
                        .get(&t.items[i].code)
                        .map(|a| texts.value(&t.items[i], a))
                        .unwrap_or_default(),
                })
                .collect()
        }))
        .collect::<Vec<Vec<String>>>();
    write_table_csv(&header, &rows)
}

/// Annual reports in layout (b), one sheet per unit in the form's own shape: a sheet of
/// instructions in `lang`, then for each unit a sheet named by its id and name (Excel's 31
/// characters, `[]:*?/\` replaced, unique) holding the title, the pairs 单位编号 / 单位名称 /
/// 统一社会信用代码 / 年度, and the table 序号 | 项目 | 代码 | 填报内容 | 填写说明 with a heading
/// row per section and a row per item, pre-filled with the answers the unit has.
///
/// A workbook holds at most [`crate::MAX_SHEETS`]-1 units this way (the reader's limit on
/// sheets); more are refused with `XlsxError::ParameterError`: use layout (a) for them.
pub fn write_reports_sheets_xlsx(
    t: &Template,
    year: i32,
    units: &[ReportUnit],
    lang: Lang,
) -> Result<Vec<u8>, FilesError> {
    if units.len() >= MAX_SHEETS {
        return Err(FilesError::Xlsx(XlsxError::ParameterError(format!(
            "{} units: one sheet per unit takes at most {} units a workbook",
            units.len(),
            MAX_SHEETS - 1
        ))));
    }
    let texts = Texts::new(t, lang);
    let v = Vocabulary::new(t);
    let f = Formats::new();
    let mut wb = Workbook::new();
    let max = (MAX_SHEETS - 1).to_string();
    let intro = [
        lang.t("files.rpt.sheets.intro_1").to_string(),
        lang.t("files.rpt.sheets.intro_2").to_string(),
        lang.t("files.rpt.intro.required").to_string(),
        lang.t("files.rpt.intro.values").to_string(),
        lang.tf("files.rpt.sheets.intro_5", &[("max", &max)]),
        lang.t("files.rpt.intro.all_or_nothing").to_string(),
    ];
    instructions(&mut wb, &texts, year, &intro, &f)?;
    let checks: Vec<Option<DataValidation>> = t.items.iter().map(|i| texts.validation(i)).collect();
    let mut names = SheetNames::new(lang.t("files.sheet.instructions"));
    for unit in units {
        let ws = wb.add_worksheet();
        ws.set_name(names.next(unit))?;
        form_sheet(ws, &texts, &v, year, unit, &checks, &f)?;
    }
    Ok(wb.save_to_buffer()?)
}

/// Sheet names Excel accepts, unique without regard to case.
struct SheetNames {
    used: HashSet<String>,
}

/// Excel's limit, in UTF-16 units.
const SHEET_NAME_MAX: usize = 31;

impl SheetNames {
    fn new(taken: &str) -> Self {
        SheetNames {
            used: HashSet::from([taken.to_lowercase()]),
        }
    }

    /// `17 鼓楼区餐饮商会`, cut to Excel's 31 characters, `[]:*?/\` and control characters replaced,
    /// no apostrophe at either end, `~2`, `~3` … added when taken.
    fn next(&mut self, unit: &ReportUnit) -> String {
        let raw = format!("{} {}", unit.id, unit.name);
        let clean: String = raw
            .chars()
            .map(|c| {
                if "[]:*?/\\".contains(c) || c.is_control() {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        let base = clean.trim().trim_matches('\'').to_string();
        let mut n = 1;
        loop {
            let suffix = if n == 1 {
                String::new()
            } else {
                format!("~{n}")
            };
            let room = SHEET_NAME_MAX - suffix.len();
            let name = format!("{}{suffix}", clip(&base, room).trim_end_matches('\''));
            if !name.is_empty() && self.used.insert(name.to_lowercase()) {
                return name;
            }
            n += 1;
        }
    }
}

/// One unit's sheet of layout (b).
fn form_sheet(
    ws: &mut Worksheet,
    texts: &Texts<'_>,
    v: &Vocabulary<'_>,
    year: i32,
    unit: &ReportUnit,
    checks: &[Option<DataValidation>],
    f: &Formats,
) -> Result<(), XlsxError> {
    let (t, lang) = (texts.t, texts.lang);
    for (c, width) in [6, 40, 22, 28, 50].into_iter().enumerate() {
        ws.set_column_width(col(c), width)?;
    }
    let title = lang.tf(
        "files.rpt.title",
        &[("year", &year.to_string()), ("title", title_of(t, lang))],
    );
    ws.merge_range(0, 0, 0, 4, &cell_text(&title), &f.title)?;
    let pairs = [
        (Col::Id, "files.rpt.col.id"),
        (Col::Name, "files.rpt.col.name"),
        (Col::Uscc, "files.rpt.col.uscc"),
        (Col::Year, "files.rpt.col.year"),
    ];
    for (k, (c, key)) in pairs.into_iter().enumerate() {
        let r = row(1 + k);
        ws.merge_range(r, 0, r, 2, lang.t(key), &f.label)?;
        match c {
            Col::Id => ws.write_number(r, 3, unit.id as f64)?,
            Col::Year => ws.write_number(r, 3, f64::from(year))?,
            _ => ws.write_string_with_format(
                r,
                3,
                cell_text(&unit_text(texts, v, unit, c)),
                &f.text,
            )?,
        };
    }
    for (c, (_, key)) in TABLE_COLUMNS.iter().enumerate() {
        ws.write_string_with_format(row(TABLE_ROW), col(c), lang.t(key), &f.header)?;
    }
    let mut r = TABLE_ROW;
    let mut section: Option<&str> = None;
    let mut number = 0;
    for (i, item) in t.items.iter().enumerate() {
        if v.aliased(i).is_some() {
            continue;
        }
        if section != Some(item.section.as_str()) {
            section = Some(&item.section);
            r += 1;
            let heading = cell_text(&texts.section(&item.section));
            ws.merge_range(row(r), 0, row(r), 4, &heading, &f.section)?;
        }
        r += 1;
        number += 1;
        item_row(ws, texts, r, number, item, unit.answers.get(&item.code), f)?;
        if let Some(check) = &checks[i] {
            ws.add_data_validation(row(r), 3, row(r), 3, check)?;
        }
    }
    ws.set_freeze_panes(row(TABLE_ROW + 1), 0)?;
    Ok(())
}

/// One item's row of the table: 序号, label, code, answer, what it asks for and its hint.
fn item_row(
    ws: &mut Worksheet,
    texts: &Texts<'_>,
    r: usize,
    number: usize,
    item: &Item,
    answer: Option<&Value>,
    f: &Formats,
) -> Result<(), XlsxError> {
    let rr = row(r);
    ws.write_number(rr, 0, number as f64)?;
    ws.write_string_with_format(rr, 1, cell_text(&texts.heading(item)), &f.wrap)?;
    ws.write_string_with_format(rr, 2, cell_text(&item.code), &f.code)?;
    match answer {
        Some(a) => write_value(ws, (r, 3), item, a, texts, f)?,
        None => {
            if let Some(format) = cell_format(item, f) {
                ws.write_blank(rr, 3, format)?;
            }
        }
    }
    let mut note = texts.note(item);
    let h = hint(item, texts.lang);
    if !h.is_empty() {
        note = format!("{note}\n{h}");
    }
    ws.write_string_with_format(rr, 4, cell_text(&note), &f.wrap)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: i64, name: &str) -> ReportUnit {
        ReportUnit {
            id,
            name: name.into(),
            uscc: None,
            answers: Answers::new(),
        }
    }

    #[test]
    fn sheet_names_excel_accepts() {
        let mut names = SheetNames::new("说明");
        let long = "福州市鼓楼区餐饮行业商会第一届理事会秘书处办公室联络组";
        let a = names.next(&unit(17, long));
        let b = names.next(&unit(17, long));
        let c = names.next(&unit(3, "'[a]:b*c?d/e\\f'"));
        let d = names.next(&unit(4, "\u{1F600}"));
        for n in [&a, &b, &c, &d] {
            assert!(rust_xlsxwriter::utility::check_sheet_name(n).is_ok(), "{n}");
        }
        assert_ne!(a.to_lowercase(), b.to_lowercase());
        assert!(b.ends_with("~2"), "{b}");
        assert_eq!(c, "3 '_a__b_c_d_e_f");
        assert_eq!(clip("a\u{1F600}b", 2), "a");
    }

    #[test]
    fn notes_say_what_is_asked() {
        let t = template::sample();
        let zh = Texts::new(&t, Lang::ZhCn);
        let en = Texts::new(&t, Lang::En);
        let item = |code: &str| t.item(code).unwrap();
        assert_eq!(zh.note(item("members_total")), "整数；不小于 0；必填");
        assert_eq!(
            zh.note(item("party_org_reason")),
            "文字；“是否建立党组织”为“否”时必填"
        );
        assert_eq!(
            en.note(item("rectification_report")),
            "Text; required when \"Conclusion of last year's inspection\" is not \"Qualified\""
        );
        assert!(
            zh.note(item("category"))
                .starts_with("选一项：行业、异地、乡镇")
        );
        assert_eq!(zh.heading(item("category")), "商会类别*");
        assert_eq!(
            en.heading(item("party_org_reason")),
            "Reason no party organisation"
        );
        assert_eq!(
            en.value(item("category"), &Value::Choice("industry".into())),
            "Industry"
        );
        assert_eq!(zh.value(item("audited"), &Value::YesNo(false)), "否");
        assert!(zh.validation(item("members_total")).is_some());
        assert!(zh.validation(item("party_org_reason")).is_none());
    }
}
