//! Any file a user brings to `shanghui stats`, as a data set: an SPSS system file as it is, or
//! the first sheet of a workbook or CSV file with a row of headers, as SPSS imports one.

use shanghui_core::Msg;
use shanghui_core::value::{normalize, parse_decimal};
use shanghui_stats::{Column, Dataset, Measure, MissingSpec, Variable};

use crate::HEADER_SCAN_ROWS;
use crate::grid::{Cell, Sheet};
use crate::located::Located;
use crate::read::{is_instructions, read_sheets, unneutralize};
use crate::sav::{MAX_STRING_WIDTH, read_sav, spss_names};

/// Decimal places shown for numbers read from a sheet: the most any cell has, up to this many
/// (a spreadsheet's binary noise, `0.30000000000000004`, would ask for 17).
const MAX_SHEET_DECIMALS: usize = 6;

/// Reads a data set from an SPSS system file (.sav), a workbook (xlsx, xlsm, xlsb, xls, ods) or
/// a CSV file (UTF-8 with or without BOM, GBK), behind the same guards as every upload.
///
/// A system file is read by its content whatever its name ([`read_sav`]). Of a workbook, the
/// first visible sheet with data is read (sheets of instructions, 说明, only when no other has
/// data): its header row holds the variable names, the rows below it the cases. The header row
/// is the first non-empty row, unless it is a title much narrower than the table under it (see
/// [`HEADER_SCAN_ROWS`](crate::HEADER_SCAN_ROWS)): rows above the header are passed over. Each
/// header becomes a valid SPSS name (`会员总数（人）` → `会员总数_人`, see
/// [`spss_names`](crate::spss_names)) and, when that changed it, the variable's label. A column
/// is numeric when every non-empty cell reads as a number (`1,234`, full-width digits, `-0.5`),
/// with as many decimals as its cells show (at most 6), and scale; otherwise it is a nominal
/// string variable as wide as its longest value. Empty cells, and cells with an error value such
/// as `#DIV/0!`, are system-missing (empty text in a string column).
pub fn read_dataset(bytes: &[u8], file_name: &str) -> Result<Dataset, Vec<Located>> {
    if bytes.starts_with(b"$FL2") || bytes.starts_with(b"$FL3") {
        return read_sav(bytes, file_name);
    }
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let Some((_, ext)) = base.rsplit_once('.').filter(|(stem, _)| !stem.is_empty()) else {
        return Err(vec![Located::file(Msg::new(
            "files.sav.dataset_no_extension",
        ))]);
    };
    match ext.to_ascii_lowercase().as_str() {
        "sav" | "zsav" => read_sav(bytes, file_name),
        "csv" | "txt" | "xlsx" | "xlsm" | "xlsb" | "xls" | "ods" => {
            let sheets = read_sheets(bytes, file_name)?;
            let with_data = |s: &&Sheet| !s.rows.is_empty();
            let sheet = sheets
                .iter()
                .filter(with_data)
                .find(|s| !is_instructions(&s.name))
                .or_else(|| sheets.iter().find(with_data))
                .ok_or_else(|| vec![Located::file(Msg::new("files.empty_file"))])?;
            Ok(sheet_dataset(sheet))
        }
        _ => Err(vec![Located::file(
            Msg::new("files.sav.dataset_extension").with("ext", ext),
        )]),
    }
}

/// What the cells of a column show, gathered in one pass.
#[derive(Default)]
struct Stats {
    numeric: bool,
    decimals: usize,
    width: usize,
}

fn cell_text(cell: &Cell) -> Option<&str> {
    match cell {
        Cell::Text(t) => Some(unneutralize(t)),
        Cell::Error(_) => None,
    }
}

/// Decimal places a number is written with: `1,234.50` has 2.
fn decimals_of(text: &str) -> usize {
    let t = normalize(text);
    match t.split_once('.') {
        Some((_, frac)) => frac.chars().take_while(char::is_ascii_digit).count(),
        None => 0,
    }
}

/// The header row: the first of the first [`HEADER_SCAN_ROWS`] non-empty rows with at least
/// half as many cells as the widest of them, so that a title above the table (`2024年商会统计表`,
/// one merged cell) is passed over.
fn header_index(sheet: &Sheet) -> usize {
    let head = &sheet.rows[..sheet.rows.len().min(HEADER_SCAN_ROWS)];
    let widest = head.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    head.iter()
        .position(|r| 2 * r.cells.len() >= widest)
        .unwrap_or(0)
}

fn sheet_dataset(sheet: &Sheet) -> Dataset {
    if sheet.rows.is_empty() {
        return Dataset::default();
    }
    let (header, rows) = match sheet.rows[header_index(sheet)..].split_first() {
        Some(split) => split,
        None => return Dataset::default(),
    };
    // Every column with a header or data, in order.
    let mut cols: Vec<usize> = header.cells.iter().map(|(c, _)| *c).collect();
    for row in rows {
        cols.extend(row.cells.iter().map(|(c, _)| *c));
    }
    cols.sort_unstable();
    cols.dedup();
    let slot = |c: usize| cols.binary_search(&c).ok();

    let mut stats: Vec<Stats> = cols
        .iter()
        .map(|_| Stats {
            numeric: true,
            ..Stats::default()
        })
        .collect();
    for row in rows {
        for (c, cell) in &row.cells {
            let (Some(k), Some(t)) = (slot(*c), cell_text(cell)) else {
                continue;
            };
            let s = &mut stats[k];
            s.width = s.width.max(t.len());
            if s.numeric {
                if parse_decimal(t).is_some() {
                    s.decimals = s.decimals.max(decimals_of(t));
                } else {
                    s.numeric = false;
                }
            }
        }
    }

    let headers: Vec<String> = cols
        .iter()
        .map(|&c| {
            header
                .cells
                .iter()
                .find(|(hc, _)| *hc == c)
                .map(|(_, cell)| match cell {
                    Cell::Text(t) | Cell::Error(t) => unneutralize(t).trim().to_string(),
                })
                .unwrap_or_default()
        })
        .collect();
    // An empty header is named after its column's position in the sheet, as SPSS does.
    let raw_names: Vec<String> = headers
        .iter()
        .zip(&cols)
        .map(|(h, &c)| {
            if h.is_empty() {
                format!("VAR{:05}", c + 1)
            } else {
                h.clone()
            }
        })
        .collect();
    let names = spss_names(raw_names.iter().map(String::as_str));

    let n = rows.len();
    let mut columns: Vec<Column> = stats
        .iter()
        .map(|s| {
            if s.numeric {
                Column::Num(vec![f64::NAN; n])
            } else {
                Column::Str(vec![String::new(); n])
            }
        })
        .collect();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in &row.cells {
            let (Some(k), Some(t)) = (slot(*c), cell_text(cell)) else {
                continue;
            };
            match &mut columns[k] {
                Column::Num(xs) => xs[r] = parse_decimal(t).unwrap_or(f64::NAN),
                Column::Str(ss) => ss[r] = crate::sav::cut(t, MAX_STRING_WIDTH).to_string(),
            }
        }
    }

    let mut ds = Dataset::default();
    for (((name, header), s), col) in names.into_iter().zip(headers).zip(&stats).zip(columns) {
        let mut var = if s.numeric {
            let mut v = Variable::numeric(&name);
            v.decimals = s.decimals.min(MAX_SHEET_DECIMALS) as u8;
            v.measure = Measure::Scale;
            v
        } else {
            let mut v = Variable::string(&name, s.width.clamp(1, MAX_STRING_WIDTH));
            v.measure = Measure::Nominal;
            v
        };
        if !header.is_empty() && header != name {
            var.label = Some(header);
        }
        var.missing = MissingSpec::None;
        ds.push(var, col);
    }
    ds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_above_the_header_is_passed_over() {
        use crate::grid::{SheetBuilder, text};
        let sheet = |rows: &[&[&str]]| {
            let mut b = SheetBuilder::new("s");
            for (r, row) in rows.iter().enumerate() {
                for (c, v) in row.iter().enumerate() {
                    b.push(r, c, text(v)).unwrap();
                }
            }
            b.finish()
        };
        let titled = sheet(&[
            &["2024年商会统计表"],
            &["", "制表：福州"],
            &["a", "b", "c"],
            &["1", "2", "3"],
        ]);
        assert_eq!(header_index(&titled), 2);
        let ds = sheet_dataset(&titled);
        assert_eq!(ds.variables.len(), 3);
        assert_eq!(ds.cases(), 1);
        let plain = sheet(&[&["a", "b"], &["1", "2", "3", "4"]]);
        assert_eq!(header_index(&plain), 0);
        let one_column = sheet(&[&["x"], &["1"]]);
        assert_eq!(header_index(&one_column), 0);
    }

    #[test]
    fn decimals() {
        assert_eq!(decimals_of("1,234.50"), 2);
        assert_eq!(decimals_of("１２.５"), 1);
        assert_eq!(decimals_of("12"), 0);
        assert_eq!(decimals_of("-0.125"), 3);
    }
}
