//! A sheet as the rest of the crate sees it, whatever file it came from: its non-empty cells as
//! the text a user sees in them, by row and column.

use calamine::{Data, DataRef, ExcelDateTime};

use crate::{HEADER_SCAN_ROWS, MAX_COLUMNS, MAX_DATA_ROWS};

/// A cell's content.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// Text as shown, trimmed, never empty.
    Text(String),
    /// An error value such as `#DIV/0!`.
    Error(String),
}

#[derive(Debug)]
pub(crate) struct Row {
    /// 0-based.
    pub index: usize,
    /// Non-empty cells by 0-based column, in column order.
    pub cells: Vec<(usize, Cell)>,
}

#[derive(Debug)]
pub(crate) struct Sheet {
    pub name: String,
    /// Non-empty rows, in row order.
    pub rows: Vec<Row>,
}

/// Why a sheet could not be taken in whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    Rows,
    Columns,
}

/// Gathers cells in any order, refusing early once a sheet is plainly beyond the limits, so that
/// a large file costs no more memory than its cells.
pub(crate) struct SheetBuilder {
    name: String,
    cells: Vec<(usize, usize, Cell)>,
    last_row: Option<usize>,
    row_changes: usize,
}

/// Rows a sheet may have in all: the data, plus instructions and a header above it and the row
/// of field codes below the header.
const MAX_SHEET_ROWS: usize = MAX_DATA_ROWS + HEADER_SCAN_ROWS + 1;

impl SheetBuilder {
    pub fn new(name: &str) -> Self {
        SheetBuilder {
            name: name.to_string(),
            cells: Vec::new(),
            last_row: None,
            row_changes: 0,
        }
    }

    /// Adds a cell at a 0-based position; empty cells are dropped.
    pub fn push(&mut self, row: usize, col: usize, cell: Option<Cell>) -> Result<(), Limit> {
        let Some(cell) = cell else { return Ok(()) };
        if col >= MAX_COLUMNS {
            return Err(Limit::Columns);
        }
        if self.last_row != Some(row) {
            // Counts distinct rows when cells come row by row, and more otherwise: a bound
            // either way.
            self.row_changes += 1;
            self.last_row = Some(row);
            if self.row_changes > MAX_SHEET_ROWS {
                return Err(Limit::Rows);
            }
        }
        self.cells.push((row, col, cell));
        Ok(())
    }

    pub fn finish(mut self) -> Sheet {
        // Stable: of two cells claiming the same place (only a crafted file has them), the
        // later one wins, as it would in a spreadsheet program.
        self.cells.sort_by_key(|&(r, c, _)| (r, c));
        let mut rows: Vec<Row> = Vec::new();
        for (r, c, cell) in self.cells {
            match rows.last_mut() {
                Some(last) if last.index == r => match last.cells.last_mut() {
                    Some((lc, lcell)) if *lc == c => *lcell = cell,
                    _ => last.cells.push((c, cell)),
                },
                _ => rows.push(Row {
                    index: r,
                    cells: vec![(c, cell)],
                }),
            }
        }
        Sheet {
            name: self.name,
            rows,
        }
    }
}

/// The text of a workbook cell as a user sees it. Whole numbers lose their `.0` and are never
/// written with an exponent, so an 18-digit code that Excel stored as a number comes back as
/// digits; dates are `YYYY-MM-DD`; `TRUE`/`FALSE` are 是/否.
pub(crate) fn data_text(d: &Data) -> Option<Cell> {
    match d {
        Data::Empty => None,
        Data::String(s) => text(s),
        Data::Int(i) => Some(Cell::Text(i.to_string())),
        Data::Float(f) => Some(Cell::Text(number_text(*f))),
        Data::Bool(b) => Some(Cell::Text(bool_text(*b))),
        Data::DateTime(dt) => Some(Cell::Text(date_text(dt))),
        Data::DateTimeIso(s) => Some(Cell::Text(iso_date_text(s))),
        Data::DurationIso(s) => text(s),
        Data::Error(e) => Some(Cell::Error(e.to_string())),
    }
}

/// As [`data_text`], for the streaming readers.
pub(crate) fn data_ref_text(d: &DataRef<'_>) -> Option<Cell> {
    match d {
        DataRef::Empty => None,
        DataRef::String(s) => text(s),
        DataRef::SharedString(s) => text(s),
        DataRef::Int(i) => Some(Cell::Text(i.to_string())),
        DataRef::Float(f) => Some(Cell::Text(number_text(*f))),
        DataRef::Bool(b) => Some(Cell::Text(bool_text(*b))),
        DataRef::DateTime(dt) => Some(Cell::Text(date_text(dt))),
        DataRef::DateTimeIso(s) => Some(Cell::Text(iso_date_text(s))),
        DataRef::DurationIso(s) => text(s),
        DataRef::Error(e) => Some(Cell::Error(e.to_string())),
    }
}

/// Trimmed text; `None` when nothing is left.
pub(crate) fn text(s: &str) -> Option<Cell> {
    let t = s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    (!t.is_empty()).then(|| Cell::Text(t.to_string()))
}

/// Numbers in full, never with an exponent: `1.2e17` is `120000000000000000`, `3.0` is `3` and
/// `0.1` is `0.1` (the shortest text that reads back as the same number).
pub(crate) fn number_text(f: f64) -> String {
    if f == 0.0 {
        "0".to_string()
    } else if f.fract() == 0.0 && f.abs() < 1e21 {
        // Every digit of the stored value: `{f}` would pad the shortest form with zeros.
        format!("{f:.0}")
    } else {
        format!("{f}")
    }
}

fn bool_text(b: bool) -> String {
    // Language-neutral on purpose: the core reads 是/否 whatever the user's language.
    if b { "是" } else { "否" }.to_string()
}

fn date_text(dt: &ExcelDateTime) -> String {
    if dt.is_duration() {
        return number_text(dt.as_f64());
    }
    let (y, m, d, hh, mm, ss, _) = dt.to_ymd_hms_milli();
    if dt.as_f64() < 1.0 && dt.as_f64() >= 0.0 {
        // A time of day with no date.
        return format!("{hh:02}:{mm:02}:{ss:02}");
    }
    format!("{y:04}-{m:02}-{d:02}")
}

/// ODS dates come as `2024-05-31` or `2024-05-31T10:00:00`: keep the date.
fn iso_date_text(s: &str) -> String {
    let s = s.trim();
    let b = s.as_bytes();
    let looks_like_date = b.len() >= 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b[..4]
            .iter()
            .chain(&b[5..7])
            .chain(&b[8..10])
            .all(u8::is_ascii_digit);
    if looks_like_date {
        s[..10].to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::ExcelDateTimeType;

    fn t(d: Data) -> Option<String> {
        match data_text(&d) {
            Some(Cell::Text(s)) => Some(s),
            Some(Cell::Error(e)) => Some(format!("ERR {e}")),
            None => None,
        }
    }

    #[test]
    fn cells_as_seen() {
        assert_eq!(t(Data::String("  鼓楼 ".into())).as_deref(), Some("鼓楼"));
        assert_eq!(t(Data::String(" \u{3000} ".into())), None);
        assert_eq!(t(Data::Empty), None);
        assert_eq!(t(Data::Float(40.0)).as_deref(), Some("40"));
        assert_eq!(t(Data::Float(-0.0)).as_deref(), Some("0"));
        assert_eq!(t(Data::Float(0.1)).as_deref(), Some("0.1"));
        assert_eq!(t(Data::Float(12.5)).as_deref(), Some("12.5"));
        assert_eq!(
            t(Data::Float(913501005678901234.0)).as_deref(),
            Some("913501005678901248")
        );
        assert_eq!(
            t(Data::Float(1.2e17)).as_deref(),
            Some("120000000000000000")
        );
        assert_eq!(t(Data::Int(350102)).as_deref(), Some("350102"));
        assert_eq!(t(Data::Bool(true)).as_deref(), Some("是"));
        assert_eq!(t(Data::Bool(false)).as_deref(), Some("否"));
        let date = ExcelDateTime::new(45443.0, ExcelDateTimeType::DateTime, false);
        assert_eq!(t(Data::DateTime(date)).as_deref(), Some("2024-05-31"));
        let with_time = ExcelDateTime::new(45443.75, ExcelDateTimeType::DateTime, false);
        assert_eq!(t(Data::DateTime(with_time)).as_deref(), Some("2024-05-31"));
        let date_1904 = ExcelDateTime::new(43981.0, ExcelDateTimeType::DateTime, true);
        assert_eq!(t(Data::DateTime(date_1904)).as_deref(), Some("2024-05-31"));
        assert_eq!(
            t(Data::DateTimeIso("2024-05-31T00:00:00".into())).as_deref(),
            Some("2024-05-31")
        );
        assert_eq!(
            t(Data::Error(calamine::CellErrorType::Div0)).as_deref(),
            Some("ERR #DIV/0!")
        );
    }

    #[test]
    fn builder_orders_and_limits() {
        let mut b = SheetBuilder::new("s");
        b.push(3, 1, text("b")).unwrap();
        b.push(0, 0, text("a")).unwrap();
        b.push(3, 0, text("c")).unwrap();
        b.push(3, 1, text("d")).unwrap();
        b.push(5, 0, None).unwrap();
        assert_eq!(b.push(0, MAX_COLUMNS, text("x")), Err(Limit::Columns));
        let s = b.finish();
        assert_eq!(s.rows.len(), 2);
        assert_eq!(s.rows[1].index, 3);
        assert_eq!(
            s.rows[1].cells,
            vec![(0, Cell::Text("c".into())), (1, Cell::Text("d".into()))]
        );
        let mut b = SheetBuilder::new("s");
        let mut result = Ok(());
        for r in 0..=MAX_SHEET_ROWS {
            result = b.push(r, 0, text("x"));
        }
        assert_eq!(result, Err(Limit::Rows));
    }
}
