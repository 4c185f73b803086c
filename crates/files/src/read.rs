//! Reading a registry workbook or CSV file into raw rows.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use calamine::{Ods, Reader, SheetType, SheetVisible, Xls, Xlsb, Xlsx};
use shanghui_core::{Field, Lang, Msg, OrgInput};

use crate::cfb;
use crate::csv_in::{self, limit_problem};
use crate::grid::{Cell, Row, Sheet, SheetBuilder, data_ref_text, data_text};
use crate::guard::{self, MAX_SHEETS, ZipKind, unreadable};
use crate::located::{Located, column_letter, label_key};
use crate::{HEADER_SCAN_ROWS, MAX_DATA_ROWS};

/// One data row of a registry file: where it is, and its cells by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRow {
    pub sheet: String,
    /// 1-based, as Excel shows it.
    pub row: usize,
    /// The non-empty cells, trimmed. Nothing is checked yet: see
    /// [`shanghui_core::org::parse_org`], and [`Located::from_problem`] to pin what it finds.
    pub input: OrgInput,
    /// The column letter of every field the sheet has a column for, filled in this row or not.
    pub columns: BTreeMap<Field, String>,
}

/// The columns without which no row can be a record.
const REQUIRED_COLUMNS: [Field; 2] = [Field::Name, Field::Kind];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Format {
    Csv,
    /// Anything calamine reads, by its extension in lower case; the content decides which
    /// reader.
    Workbook(String),
}

fn format_of(file_name: &str) -> Result<Format, Located> {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let Some((_, ext)) = base.rsplit_once('.').filter(|(stem, _)| !stem.is_empty()) else {
        return Err(Located::file(Msg::new("files.no_extension")));
    };
    match ext.to_ascii_lowercase().as_str() {
        "csv" | "txt" => Ok(Format::Csv),
        e @ ("xlsx" | "xlsm" | "xlsb" | "xls" | "ods") => Ok(Format::Workbook(e.to_string())),
        _ => Err(Located::file(
            Msg::new("files.unsupported_extension").with("ext", ext),
        )),
    }
}

/// The sheet name Excel gives a CSV file it opens: the file name without its extension.
fn csv_sheet_name(file_name: &str) -> &str {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    base.rsplit_once('.').map_or(base, |(stem, _)| stem)
}

/// Reads a registry workbook (xlsx, xlsm, xlsb, xls, ods) or CSV file.
///
/// Every sheet with a header row is read; sheets of instructions (说明, Instructions), hidden
/// sheets and sheets without a header are passed over. The header row is the first of the first
/// [`HEADER_SCAN_ROWS`] non-empty rows in which at least two cells name a field (a label in
/// either language or a field code, see [`Field::from_header`]); lines of instructions above it
/// are fine, and a row of field codes right below it (as the template has) is skipped. Entirely
/// empty rows are skipped.
///
/// What stops the file from being read comes back all at once as `Err`: an unreadable,
/// encrypted, oversized or hostile file, an unsupported extension, no header row, a column
/// header that names no field, the same field twice, a missing 名称 or 单位类型 column, a column
/// with data but no header, an error value (`#DIV/0!`) in a cell, too many rows or columns.
/// The values themselves are not checked here.
pub fn read_registry(bytes: &[u8], file_name: &str) -> Result<Vec<RegistryRow>, Vec<Located>> {
    registry_rows(read_sheets(bytes, file_name)?)
}

/// Every sheet of a workbook (xlsx, xlsm, xlsb, xls, ods) or CSV file, behind the guards: the
/// extension, the size, zip bombs, ods repeats, xls dimensions, sheet, row and column limits.
/// Shared by the registry and the annual-report readers.
pub(crate) fn read_sheets(bytes: &[u8], file_name: &str) -> Result<Vec<Sheet>, Vec<Located>> {
    let format = format_of(file_name).map_err(|l| vec![l])?;
    guard::check_size(bytes).map_err(|l| vec![l])?;
    let as_text = || csv_in::read_csv(bytes, csv_sheet_name(file_name)).map(|s| vec![s]);
    let sheets = match format {
        // An Excel file renamed to .csv is read for what it is.
        Format::Csv if looks_like_workbook(bytes) => read_workbook(bytes, "csv")?,
        Format::Csv => as_text().map_err(|l| vec![l])?,
        Format::Workbook(ext) if looks_like_workbook(bytes) => read_workbook(bytes, &ext)?,
        // Many systems export tab-separated text and name it .xls; Excel opens it, so do we.
        // HTML tables named .xls are not read.
        Format::Workbook(ext) => match csv_in::decode(bytes) {
            Some(text) if ext == "xls" && !text.trim_start().starts_with('<') => {
                as_text().map_err(|l| vec![l])?
            }
            _ => return Err(vec![unreadable(&ext)]),
        },
    };
    Ok(sheets)
}

/// Reads every visible worksheet of a workbook (xlsx, xlsm, xlsb, xls, ods) behind the same
/// guards as [`read_registry`]: the extension, the size, zip bombs, ods repeats, xls dimensions,
/// sheet, row and column limits. For files that must have several named sheets, so a CSV file
/// (one sheet) is refused with `csv_refused`, unless it is a workbook under a wrong name.
pub(crate) fn read_workbook_file(
    bytes: &[u8],
    file_name: &str,
    csv_refused: Msg,
) -> Result<Vec<Sheet>, Vec<Located>> {
    let format = format_of(file_name).map_err(|l| vec![l])?;
    guard::check_size(bytes).map_err(|l| vec![l])?;
    match format {
        Format::Csv if looks_like_workbook(bytes) => read_workbook(bytes, "csv"),
        Format::Csv => Err(vec![Located::file(csv_refused)]),
        Format::Workbook(ext) if looks_like_workbook(bytes) => read_workbook(bytes, &ext),
        Format::Workbook(ext) => Err(vec![unreadable(&ext)]),
    }
}

fn looks_like_workbook(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || cfb::is_cfb(bytes)
}

/// Reads every worksheet of a workbook, choosing the reader by content, not by name: files
/// saved as .xls by other programs are often xlsx inside, and the other way round.
fn read_workbook(bytes: &[u8], ext: &str) -> Result<Vec<Sheet>, Vec<Located>> {
    let one = |l: Located| vec![l];
    // A parser bug must not take the server down: a panic inside calamine or zip is taken as
    // an unreadable file.
    let guarded = |f: &dyn Fn() -> Result<Vec<Sheet>, Vec<Located>>, format: &str| {
        catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Err(vec![unreadable(format)]))
    };
    if cfb::is_cfb(bytes) {
        guard::check_xls(bytes).map_err(one)?;
        return guarded(&|| read_xls(bytes), "xls");
    }
    if bytes.starts_with(b"PK") {
        guard::check_zip(bytes, "xlsx").map_err(one)?;
        return match guard::zip_kind(bytes) {
            Some(ZipKind::Xlsx) => guarded(&|| read_xlsx(bytes), "xlsx"),
            Some(ZipKind::Xlsb) => guarded(&|| read_xlsb(bytes), "xlsb"),
            Some(ZipKind::Ods) => {
                guard::check_ods(bytes).map_err(one)?;
                guarded(&|| read_ods(bytes), "ods")
            }
            None => Err(vec![unreadable(ext)]),
        };
    }
    Err(vec![unreadable(ext)])
}

fn is_password_error(e: &impl std::fmt::Display) -> bool {
    e.to_string().contains("password protected")
}

fn open_error(e: impl std::fmt::Display, format: &str) -> Vec<Located> {
    if is_password_error(&e) {
        vec![Located::file(Msg::new("files.encrypted"))]
    } else {
        vec![unreadable(format)]
    }
}

/// The worksheets to read, by name: visible worksheets only (hidden sheets hold lookup lists
/// more often than data, and a user cannot see what is wrong in them).
fn worksheet_names(meta: &[calamine::Sheet]) -> Result<Vec<String>, Vec<Located>> {
    if meta.len() > MAX_SHEETS {
        return Err(vec![guard::too_many_sheets(meta.len())]);
    }
    Ok(meta
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
        .map(|s| s.name.clone())
        .collect())
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Sheet>, Vec<Located>> {
    let mut wb: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| open_error(e, "xlsx"))?;
    let mut sheets = Vec::new();
    for name in worksheet_names(wb.sheets_metadata())? {
        let mut builder = SheetBuilder::new(&name);
        let mut cells = wb
            .worksheet_cells_reader(&name)
            .map_err(|e| open_error(e, "xlsx"))?;
        while let Some(cell) = cells.next_cell().map_err(|e| open_error(e, "xlsx"))? {
            let (r, c) = cell.get_position();
            builder
                .push(r as usize, c as usize, data_ref_text(cell.get_value()))
                .map_err(|l| vec![limit_problem(&name, l)])?;
        }
        sheets.push(builder.finish());
    }
    Ok(sheets)
}

fn read_xlsb(bytes: &[u8]) -> Result<Vec<Sheet>, Vec<Located>> {
    let mut wb: Xlsb<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| open_error(e, "xlsb"))?;
    let mut sheets = Vec::new();
    for name in worksheet_names(wb.sheets_metadata())? {
        let mut builder = SheetBuilder::new(&name);
        let mut cells = wb
            .worksheet_cells_reader(&name)
            .map_err(|e| open_error(e, "xlsb"))?;
        while let Some(cell) = cells.next_cell().map_err(|e| open_error(e, "xlsb"))? {
            let (r, c) = cell.get_position();
            builder
                .push(r as usize, c as usize, data_ref_text(cell.get_value()))
                .map_err(|l| vec![limit_problem(&name, l)])?;
        }
        sheets.push(builder.finish());
    }
    Ok(sheets)
}

/// xls and ods come whole from calamine; the guards have measured them first.
fn sheets_from_ranges<RS, R>(wb: &mut R, format: &str) -> Result<Vec<Sheet>, Vec<Located>>
where
    RS: std::io::Read + std::io::Seek,
    R: Reader<RS>,
    R::Error: std::fmt::Display,
{
    let mut sheets = Vec::new();
    for name in worksheet_names(wb.sheets_metadata())? {
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| open_error(e, format))?;
        let mut builder = SheetBuilder::new(&name);
        let (r0, c0) = range.start().unwrap_or((0, 0));
        for (r, c, value) in range.used_cells() {
            builder
                .push(r + r0 as usize, c + c0 as usize, data_text(value))
                .map_err(|l| vec![limit_problem(&name, l)])?;
        }
        sheets.push(builder.finish());
    }
    Ok(sheets)
}

fn read_xls(bytes: &[u8]) -> Result<Vec<Sheet>, Vec<Located>> {
    let mut wb: Xls<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| open_error(e, "xls"))?;
    sheets_from_ranges(&mut wb, "xls")
}

fn read_ods(bytes: &[u8]) -> Result<Vec<Sheet>, Vec<Located>> {
    let mut wb: Ods<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| open_error(e, "ods"))?;
    sheets_from_ranges(&mut wb, "ods")
}

/// Sheet names that hold instructions, not data.
pub(crate) fn is_instructions(name: &str) -> bool {
    let n = name.trim().to_lowercase();
    n.contains("说明")
        || n.contains("instruction")
        || n == "readme"
        || Lang::ALL
            .iter()
            .any(|l| n == l.t("files.sheet.instructions").to_lowercase())
}

fn header_text(cell: &Cell) -> &str {
    match cell {
        Cell::Text(t) | Cell::Error(t) => t,
    }
}

fn recognised(row: &Row) -> usize {
    row.cells
        .iter()
        .filter(|(_, c)| matches!(c, Cell::Text(t) if Field::from_header(t).is_some()))
        .count()
}

/// A row of field codes under the header, as the template writes it.
fn is_code_row(row: &Row) -> bool {
    !row.cells.is_empty()
        && row
            .cells
            .iter()
            .all(|(_, c)| matches!(c, Cell::Text(t) if Field::from_code(t.trim()).is_some()))
}

/// Undoes [`crate::neutralize`], so that an exported file reads back as it was.
pub(crate) fn unneutralize(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if crate::write::needs_quote(rest) => rest,
        _ => s,
    }
}

fn registry_rows(sheets: Vec<Sheet>) -> Result<Vec<RegistryRow>, Vec<Located>> {
    let mut problems = Vec::new();
    let mut out = Vec::new();
    let mut headerless = Vec::new();
    let mut any_header = false;
    let mut data_rows = 0usize;
    for sheet in &sheets {
        if sheet.rows.is_empty() || is_instructions(&sheet.name) {
            continue;
        }
        let Some(h) = sheet
            .rows
            .iter()
            .take(HEADER_SCAN_ROWS)
            .position(|r| recognised(r) >= 2)
        else {
            headerless.push(sheet.name.as_str());
            continue;
        };
        any_header = true;
        let header = &sheet.rows[h];
        let header_row = header.index + 1;
        let at = |col: usize, text: &str, msg: Msg| {
            Located::in_sheet(&sheet.name, msg)
                .row(header_row)
                .column(col)
                .header(text)
        };

        let mut fields: BTreeMap<usize, Field> = BTreeMap::new();
        let mut first_col: BTreeMap<Field, usize> = BTreeMap::new();
        for (col, cell) in &header.cells {
            let text = header_text(cell);
            let field = match cell {
                Cell::Text(t) => Field::from_header(t),
                Cell::Error(_) => None,
            };
            match field {
                Some(f) => match first_col.get(&f) {
                    Some(&first) => problems.push(
                        at(
                            *col,
                            text,
                            Msg::new("files.duplicate_column").with("first", column_letter(first)),
                        )
                        .field(f),
                    ),
                    None => {
                        first_col.insert(f, *col);
                        fields.insert(*col, f);
                    }
                },
                None => problems.push(at(*col, text, Msg::new("files.unknown_column"))),
            }
        }
        for f in REQUIRED_COLUMNS {
            if !first_col.contains_key(&f) {
                problems.push(
                    Located::in_sheet(
                        &sheet.name,
                        Msg::new("files.missing_column").with_key("column", label_key(f)),
                    )
                    .row(header_row)
                    .field(f),
                );
            }
        }
        let columns: BTreeMap<Field, String> = first_col
            .iter()
            .map(|(&f, &c)| (f, column_letter(c)))
            .collect();
        let header_of = |col: usize| -> Option<&str> {
            header
                .cells
                .iter()
                .find(|(c, _)| *c == col)
                .map(|(_, cell)| header_text(cell))
        };

        let mut rest = &sheet.rows[h + 1..];
        if let Some(first) = rest.first()
            && first.index == header.index + 1
            && is_code_row(first)
        {
            rest = &rest[1..];
        }
        // Columns with data under no header, and the first row where each has some.
        let mut orphans: BTreeMap<usize, usize> = BTreeMap::new();
        for row in rest {
            let mut input = OrgInput::new();
            for (col, cell) in &row.cells {
                let has_header = header_of(*col).is_some();
                match (fields.get(col), cell) {
                    (Some(&f), Cell::Text(t)) => {
                        let v = unneutralize(t).trim();
                        if !v.is_empty() {
                            input.insert(f, v.to_string());
                        }
                    }
                    (field, Cell::Error(e)) if field.is_some() || !has_header => {
                        let mut l = Located::in_sheet(&sheet.name, Msg::new("files.cell_error"))
                            .row(row.index + 1)
                            .column(*col)
                            .value(e);
                        if let Some(h) = header_of(*col) {
                            l = l.header(h);
                        }
                        if let Some(&f) = field {
                            l = l.field(f);
                        }
                        problems.push(l);
                    }
                    // Under a header already reported as unknown or duplicate.
                    _ if has_header => {}
                    _ => {
                        orphans.entry(*col).or_insert(row.index + 1);
                    }
                }
            }
            if input.is_empty() {
                continue;
            }
            data_rows += 1;
            if data_rows > MAX_DATA_ROWS {
                return Err(vec![Located::in_sheet(
                    &sheet.name,
                    Msg::new("files.too_many_rows").with("max", MAX_DATA_ROWS),
                )]);
            }
            out.push(RegistryRow {
                sheet: sheet.name.clone(),
                row: row.index + 1,
                input,
                columns: columns.clone(),
            });
        }
        for (col, row) in orphans {
            problems.push(
                Located::in_sheet(
                    &sheet.name,
                    Msg::new("files.orphan_column").with("row", row),
                )
                .row(header_row)
                .column(col),
            );
        }
    }
    if !any_header {
        if headerless.is_empty() {
            problems.push(Located::file(Msg::new("files.empty_file")));
        }
        for name in headerless {
            problems.push(Located::in_sheet(
                name,
                Msg::new("files.no_header").with("rows", HEADER_SCAN_ROWS),
            ));
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::text;

    fn sheet(name: &str, rows: &[&[&str]]) -> Sheet {
        let mut b = SheetBuilder::new(name);
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                b.push(r, c, text(v)).unwrap();
            }
        }
        b.finish()
    }

    #[test]
    fn extensions() {
        assert_eq!(format_of("a.XLSX"), Ok(Format::Workbook("xlsx".into())));
        assert_eq!(format_of("dir.v2/单位.csv"), Ok(Format::Csv));
        assert_eq!(format_of("a.ods"), Ok(Format::Workbook("ods".into())));
        assert_eq!(format_of("a.xls"), Ok(Format::Workbook("xls".into())));
        assert_eq!(
            format_of("a.pdf").unwrap_err().msg,
            Msg::new("files.unsupported_extension").with("ext", "pdf")
        );
        assert_eq!(format_of("xlsx").unwrap_err().msg.key, "files.no_extension");
        assert_eq!(
            format_of(".xlsx").unwrap_err().msg.key,
            "files.no_extension"
        );
        assert_eq!(csv_sheet_name("C:\\导入\\单位.csv"), "单位");
    }

    #[test]
    fn password_errors_are_recognised() {
        assert!(is_password_error(&calamine::XlsxError::Password));
        assert!(is_password_error(&calamine::XlsError::Password));
        assert!(is_password_error(&calamine::XlsbError::Password));
        assert!(is_password_error(&calamine::OdsError::Password));
    }

    #[test]
    fn header_below_instructions_and_code_row() {
        let rows = registry_rows(vec![
            sheet("说明", &[&["名称", "单位类型"], &["x", "y"]]),
            sheet(
                "单位",
                &[
                    &["请按模板填写"],
                    &["名称*", "单位类型*", "会员总数（人）"],
                    &["name", "kind", "members_total"],
                    &["鼓楼商会", "商会", "'=1+1"],
                    &[],
                    &["", "", ""],
                    &["台江商会", "商会", "12"],
                ],
            ),
            sheet("空表", &[]),
            sheet("备注", &[&["随便写点什么"]]),
        ])
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].row, 4);
        assert_eq!(rows[0].input[&Field::MembersTotal], "=1+1");
        assert_eq!(rows[1].row, 7);
        assert_eq!(rows[1].columns[&Field::Kind], "B");
    }

    #[test]
    fn every_problem_at_once() {
        let problems = registry_rows(vec![sheet(
            "单位",
            &[
                &["单位类型", "备注", "会长", "会长", ""],
                &["商会", "x", "张三", "李四", "孤儿"],
            ],
        )])
        .unwrap_err();
        let keys: Vec<_> = problems.iter().map(|p| p.msg.key).collect();
        assert_eq!(
            keys,
            vec![
                "files.unknown_column",
                "files.duplicate_column",
                "files.missing_column",
                "files.orphan_column"
            ]
        );
        assert_eq!(problems[1].column.as_deref(), Some("D"));
        assert_eq!(
            problems[1].render(Lang::ZhCn),
            "工作表“单位”第 1 行 D 列（会长）：与 C 列重复，同一项只能有一列"
        );
        assert_eq!(
            problems[2].render(Lang::ZhCn),
            "工作表“单位”第 1 行（名称）：缺少必需的列“名称”"
        );
        assert_eq!(problems[3].column.as_deref(), Some("E"));
    }

    #[test]
    fn no_header_anywhere() {
        let problems =
            registry_rows(vec![sheet("Sheet1", &[&["a", "b"], &["1", "2"]])]).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].msg.key, "files.no_header");
        assert_eq!(problems[0].sheet, "Sheet1");
        let problems = registry_rows(vec![sheet("Sheet1", &[])]).unwrap_err();
        assert_eq!(problems[0].msg.key, "files.empty_file");
    }
}
