//! Writing the registry: xlsx and CSV exports, and the template workbook to fill in.

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, Format, FormatAlign, FormatBorder, Workbook,
    Worksheet,
};
use shanghui_core::{
    ChamberCategory, FederationLevel, Field, Lang, OrgInput, OrgKind, OrgStatus, PartyOrgForm,
};

use crate::guard::human_size;
use crate::{FilesError, MAX_DATA_ROWS, MAX_FILE_BYTES};

/// Guards exports against formula injection: a cell that begins with `=`, `+`, `-` or `@` (or a
/// tab or carriage return, which some programs skip before looking) would be taken for a formula
/// by a spreadsheet program opening the file, so it gets a leading `'`. Reading a registry file
/// takes that quote off again; so that this is exact, a cell that already begins with `'` and
/// one of those characters gets a second quote.
pub fn neutralize(cell: &str) -> String {
    if needs_quote(cell) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

pub(crate) fn needs_quote(cell: &str) -> bool {
    const STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];
    cell.starts_with(STARTS)
        || cell
            .strip_prefix('\'')
            .is_some_and(|rest| rest.starts_with(STARTS))
}

/// Excel refuses longer strings in a cell.
const MAX_CELL_CHARS: usize = 32_767;

pub(crate) fn cell_text(value: &str) -> String {
    let v = neutralize(value);
    if v.chars().count() > MAX_CELL_CHARS {
        v.chars().take(MAX_CELL_CHARS).collect()
    } else {
        v
    }
}

/// Display width in Excel's units (the width of a `0`): CJK and full-width characters take two.
pub(crate) fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF => 2,
            0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD => 2,
            _ => 1,
        })
        .sum()
}

/// A column width that fits the header and the longest value, within reason.
pub(crate) fn fit_width(texts: impl Iterator<Item = usize>) -> f64 {
    let widest = texts.max().unwrap_or(0);
    (widest as f64 + 3.0).clamp(8.0, 60.0)
}

pub(crate) fn header_format() -> Format {
    Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
}

pub(crate) fn text_format() -> Format {
    Format::new().set_num_format("@")
}

pub(crate) fn col(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

pub(crate) fn row(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// The registry as an xlsx workbook: one sheet, a bold frozen header row of labels in `lang`,
/// then one row per record, every field of [`Field::ALL`] in that order (so that the file reads
/// back with [`crate::read_registry`]), every cell a text cell so that codes keep their leading
/// zeros.
pub fn write_registry_xlsx(rows: &[OrgInput], lang: Lang) -> Result<Vec<u8>, FilesError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(lang.t("files.sheet.registry"))?;
    let header = header_format();
    let text = text_format();
    for (c, f) in Field::ALL.iter().enumerate() {
        let label = f.label(lang);
        ws.write_string_with_format(0, col(c), cell_text(label), &header)?;
        ws.set_column_format(col(c), &text)?;
        let width = fit_width(
            std::iter::once(display_width(label)).chain(
                rows.iter()
                    .filter_map(|r| r.get(f))
                    .map(|v| display_width(v)),
            ),
        );
        ws.set_column_width(col(c), width)?;
    }
    for (r, record) in rows.iter().enumerate() {
        for (c, f) in Field::ALL.iter().enumerate() {
            if let Some(v) = record.get(f).filter(|v| !v.is_empty()) {
                ws.write_string_with_format(row(r + 1), col(c), cell_text(v), &text)?;
            }
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, row(rows.len()), col(Field::ALL.len() - 1))?;
    Ok(wb.save_to_buffer()?)
}

/// The registry as CSV for Excel: UTF-8 with a BOM (without it Excel on a Chinese Windows reads
/// the file as GBK), CRLF line ends, a header row of labels in `lang`, every field of
/// [`Field::ALL`]. Excel turns all-digit codes in a CSV into numbers when it opens one; the
/// xlsx export keeps them as text.
pub fn write_registry_csv(rows: &[OrgInput], lang: Lang) -> Vec<u8> {
    let header: Vec<String> = Field::ALL
        .iter()
        .map(|f| f.label(lang).to_string())
        .collect();
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|record| {
            Field::ALL
                .iter()
                .map(|f| record.get(f).cloned().unwrap_or_default())
                .collect()
        })
        .collect();
    write_table_csv(&header, &body)
}

/// Any table as CSV for Excel: UTF-8 with a byte-order mark, CRLF, every cell neutralised.
pub fn write_table_csv(header: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        // Writing to a Vec cannot fail.
        let _ = w.write_record(header.iter().map(|h| neutralize(h)));
        for row in rows {
            let _ = w.write_record(row.iter().map(|v| neutralize(v)));
        }
        let _ = w.flush();
    }
    out
}

/// Any table as an xlsx workbook of one sheet: a bold frozen header row with a filter, text
/// cells (codes keep their leading zeros), columns as wide as their content. For the lists
/// people take away from a page (units that have not reported, and the like).
pub fn write_table_xlsx(
    sheet: &str,
    header: &[String],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, FilesError> {
    write_tables_xlsx(&[Table {
        sheet: sheet.to_string(),
        header: header.to_vec(),
        rows: rows.to_vec(),
    }])
}

/// A sheet of [`write_tables_xlsx`].
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub sheet: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Several tables, one sheet each, as [`write_table_xlsx`] writes one.
pub fn write_tables_xlsx(tables: &[Table]) -> Result<Vec<u8>, FilesError> {
    let mut wb = Workbook::new();
    let bold = header_format();
    let text = text_format();
    for t in tables {
        let ws = wb.add_worksheet();
        ws.set_name(&t.sheet)?;
        for (c, h) in t.header.iter().enumerate() {
            ws.write_string_with_format(0, col(c), cell_text(h), &bold)?;
            ws.set_column_format(col(c), &text)?;
            let width = fit_width(
                std::iter::once(display_width(h)).chain(
                    t.rows
                        .iter()
                        .take(1_000)
                        .filter_map(|r| r.get(c))
                        .map(|v| display_width(v)),
                ),
            );
            ws.set_column_width(col(c), width)?;
        }
        for (r, cells) in t.rows.iter().enumerate() {
            for (c, v) in cells.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
                ws.write_string_with_format(row(r + 1), col(c), cell_text(v), &text)?;
            }
        }
        ws.set_freeze_panes(1, 0)?;
        if !t.header.is_empty() {
            ws.autofilter(0, 0, row(t.rows.len()), col(t.header.len() - 1))?;
        }
    }
    Ok(wb.save_to_buffer()?)
}

/// How a field is required, for the template.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Required,
    Conditional,
    Optional,
}

fn need(f: Field) -> Need {
    match f {
        Field::Kind | Field::Name => Need::Required,
        Field::Level
        | Field::Category
        | Field::UsccOverrideReason
        | Field::UnregisteredReason
        | Field::PartyOrgForm
        | Field::PartyOrgReason
        | Field::DissolvedOn => Need::Conditional,
        _ => Need::Optional,
    }
}

/// The choices offered in a field's drop-down list, as labels in `lang`.
fn choices(f: Field, lang: Lang) -> Option<Vec<&'static str>> {
    fn labels<T: Copy>(
        all: &[T],
        label: impl Fn(T, Lang) -> &'static str,
        lang: Lang,
    ) -> Vec<&'static str> {
        all.iter().map(|&v| label(v, lang)).collect()
    }
    Some(match f {
        Field::Kind => labels(OrgKind::ALL, OrgKind::label, lang),
        Field::Level => labels(FederationLevel::ALL, FederationLevel::label, lang),
        Field::Category => labels(ChamberCategory::ALL, ChamberCategory::label, lang),
        Field::Registered | Field::PartyOrg => vec![lang.t("yes"), lang.t("no")],
        Field::PartyOrgForm => labels(PartyOrgForm::ALL, PartyOrgForm::label, lang),
        Field::Status => labels(OrgStatus::ALL, OrgStatus::label, lang),
        _ => return None,
    })
}

/// The last row a drop-down list covers (0-based): the whole sheet.
pub(crate) const LAST_ROW: u32 = 1_048_575;

/// A workbook for users to fill in: a sheet of instructions (说明) with a line per field, and a
/// data sheet whose first row has the labels in `lang` (required ones marked `*`) and whose
/// second row has the field codes; drop-down lists for unit type, level, category, the yes/no
/// fields, party organisation form and status; text format throughout so codes keep their
/// leading zeros. [`crate::read_registry`] reads it back (empty, it gives no rows).
pub fn registry_template_xlsx(lang: Lang) -> Result<Vec<u8>, FilesError> {
    let mut wb = Workbook::new();
    let data_sheet = lang.t("files.sheet.registry");
    instructions_sheet(wb.add_worksheet(), lang, data_sheet)?;

    let ws = wb.add_worksheet();
    ws.set_name(data_sheet)?;
    let header = header_format();
    let required_header = header_format().set_font_color(Color::RGB(0xC00000));
    let code_format = Format::new()
        .set_italic()
        .set_font_size(9)
        .set_font_color(Color::RGB(0x808080))
        .set_align(FormatAlign::Center);
    let text = text_format();
    for (c, &f) in Field::ALL.iter().enumerate() {
        let (label, format) = match need(f) {
            Need::Required => (format!("{}*", f.label(lang)), &required_header),
            _ => (f.label(lang).to_string(), &header),
        };
        ws.write_string_with_format(0, col(c), cell_text(&label), format)?;
        ws.write_string_with_format(1, col(c), f.code(), &code_format)?;
        ws.set_column_format(col(c), &text)?;
        let width = fit_width([display_width(&label), f.code().len()].into_iter());
        ws.set_column_width(col(c), width.max(12.0))?;
        if let Some(list) = choices(f, lang) {
            let validation = DataValidation::new()
                .allow_list_strings(&list)?
                .set_input_title(lang.t("files.template.pick_title"))?
                .set_input_message(lang.t(&format!("files.note.{}", f.code())))?
                .set_error_title(f.label(lang))?
                .set_error_message(lang.t("files.template.pick_error"))?
                .set_error_style(DataValidationErrorStyle::Stop);
            ws.add_data_validation(2, col(c), LAST_ROW, col(c), &validation)?;
        }
    }
    ws.set_freeze_panes(2, 0)?;
    Ok(wb.save_to_buffer()?)
}

fn instructions_sheet(ws: &mut Worksheet, lang: Lang, data_sheet: &str) -> Result<(), FilesError> {
    ws.set_name(lang.t("files.sheet.instructions"))?;
    ws.set_active(true);
    let title = Format::new().set_bold().set_font_size(14);
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let header = header_format();
    ws.set_column_width(0, 26)?;
    ws.set_column_width(1, 24)?;
    ws.set_column_width(2, 10)?;
    ws.set_column_width(3, 90)?;

    ws.write_string_with_format(0, 0, lang.t("files.template.title"), &title)?;
    let max_size = human_size(MAX_FILE_BYTES as u64);
    let max_rows = MAX_DATA_ROWS.to_string();
    let intro = [
        lang.tf("files.template.intro_1", &[("sheet", data_sheet)]),
        lang.t("files.template.intro_2").to_string(),
        lang.t("files.template.intro_3").to_string(),
        lang.t("files.template.intro_4").to_string(),
        lang.t("files.template.intro_5").to_string(),
        lang.t("files.template.intro_6").to_string(),
        lang.tf(
            "files.template.intro_7",
            &[("rows", max_rows.as_str()), ("size", max_size.as_str())],
        ),
    ];
    let mut r = 2;
    for (i, line) in intro.iter().enumerate() {
        ws.write_string(r, 0, format!("{}. {}", i + 1, line))?;
        r += 1;
    }
    r += 1;
    for (c, key) in [
        "files.template.col_label",
        "files.template.col_code",
        "files.template.col_required",
        "files.template.col_note",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(r, col(c), lang.t(key), &header)?;
    }
    for &f in Field::ALL {
        r += 1;
        let needed = match need(f) {
            Need::Required => "files.template.required",
            Need::Conditional => "files.template.conditional",
            Need::Optional => "files.template.optional",
        };
        ws.write_string_with_format(r, 0, f.label(lang), &wrap)?;
        ws.write_string_with_format(r, 1, f.code(), &wrap)?;
        ws.write_string_with_format(r, 2, lang.t(needed), &wrap)?;
        ws.write_string_with_format(r, 3, lang.t(&format!("files.note.{}", f.code())), &wrap)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralizes_formula_starts() {
        assert_eq!(neutralize("=1+1"), "'=1+1");
        assert_eq!(neutralize("+86 591"), "'+86 591");
        assert_eq!(neutralize("-3"), "'-3");
        assert_eq!(neutralize("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralize("\tx"), "'\tx");
        assert_eq!(neutralize("\r=x"), "'\r=x");
        assert_eq!(neutralize("鼓楼商会"), "鼓楼商会");
        assert_eq!(neutralize("a=b"), "a=b");
        assert_eq!(neutralize(""), "");
        assert_eq!(neutralize("'=x"), "''=x");
        assert_eq!(neutralize("'x"), "'x");
    }

    #[test]
    fn widths() {
        assert_eq!(display_width("名称"), 4);
        assert_eq!(display_width("Name"), 4);
        assert_eq!(display_width("２０"), 4);
        assert_eq!(fit_width([0].into_iter()), 8.0);
        assert_eq!(fit_width([200].into_iter()), 60.0);
    }

    #[test]
    fn every_field_has_a_note_and_lists_fit() {
        for lang in Lang::ALL {
            for &f in Field::ALL {
                let key = format!("files.note.{}", f.code());
                assert!(
                    shanghui_core::i18n::keys(lang).contains(&key.as_str()),
                    "{key}"
                );
                if let Some(list) = choices(f, lang) {
                    assert!(DataValidation::new().allow_list_strings(&list).is_ok());
                }
            }
        }
    }
}
