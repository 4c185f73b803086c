//! Statistics tables (the stats crate's, as SPSS shows them) as an xlsx workbook, the way SPSS
//! exports its output to Excel: the tables one under another on one sheet, each with its title,
//! headers and footnotes; numbers as numbers (shown with the decimals SPSS prints), so staff can
//! compute with them.

use rust_xlsxwriter::{Format, Workbook};
use shanghui_stats::table::{Cell, Table};

use crate::FilesError;
use crate::write::{cell_text, col, display_width, fit_width, header_format, row};

/// Widest a column is made (characters).
const MAX_WIDTH_CHARS: usize = 40;

/// The number format showing `d` decimals (`0`, `0.0`, `0.000` …).
fn number_format(d: u8) -> Format {
    let pattern = if d == 0 {
        "0".to_string()
    } else {
        format!("0.{}", "0".repeat(d.min(15) as usize))
    };
    Format::new().set_num_format(pattern)
}

/// `tables` on one sheet named `sheet`, a blank row between them.
pub fn write_stats_xlsx(tables: &[Table], sheet: &str) -> Result<Vec<u8>, FilesError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet)?;
    let bold = header_format();
    let title = Format::new().set_bold().set_font_size(12);
    let formats: Vec<Format> = (0..=15).map(number_format).collect();
    let mut widths: Vec<usize> = Vec::new();
    let mut widen = |c: usize, s: &str| {
        if widths.len() <= c {
            widths.resize(c + 1, 0);
        }
        widths[c] = widths[c].max(display_width(s).min(MAX_WIDTH_CHARS));
    };
    let mut r = 0usize;
    for t in tables {
        ws.write_string_with_format(row(r), 0, cell_text(&t.title), &title)?;
        r += 1;
        for (c, h) in t.columns.iter().enumerate() {
            ws.write_string_with_format(row(r), col(c), cell_text(h), &bold)?;
            widen(c, h);
        }
        r += 1;
        for cells in &t.rows {
            for (c, cell) in cells.iter().enumerate() {
                match cell {
                    Cell::Num(Some(x), d) if x.is_finite() => {
                        ws.write_number_with_format(
                            row(r),
                            col(c),
                            *x,
                            &formats[(*d).min(15) as usize],
                        )?;
                        widen(c, &cell.shown());
                    }
                    Cell::Count(x) => {
                        let d = if x.fract() == 0.0 { 0 } else { 2 };
                        ws.write_number_with_format(row(r), col(c), *x, &formats[d])?;
                        widen(c, &cell.shown());
                    }
                    Cell::Empty | Cell::Num(None, _) => {}
                    other => {
                        let s = other.shown();
                        ws.write_string(row(r), col(c), cell_text(&s))?;
                        widen(c, &s);
                    }
                }
            }
            r += 1;
        }
        for n in &t.notes {
            ws.write_string(row(r), 0, cell_text(n))?;
            r += 1;
        }
        r += 1;
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(col(c), fit_width(std::iter::once(*w)))?;
    }
    Ok(wb.save_to_buffer()?)
}
