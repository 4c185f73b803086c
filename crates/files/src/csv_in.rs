//! CSV in: UTF-8 with or without a BOM (Excel's "CSV UTF-8" and everything else written in the
//! last decade), UTF-16 with a BOM (Excel's "Unicode text", tab-separated), and otherwise
//! GB18030, which decodes GBK: what Excel on a Chinese Windows writes as plain "CSV".

use std::borrow::Cow;

use encoding_rs::{GB18030, UTF_16BE, UTF_16LE};
use shanghui_core::Msg;

use crate::grid::{Limit, Sheet, SheetBuilder, text};
use crate::located::Located;
use crate::{MAX_COLUMNS, MAX_DATA_ROWS};

/// The text of a CSV file, or `None` when it is in none of the encodings above.
pub(crate) fn decode(bytes: &[u8]) -> Option<Cow<'_, str>> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest).ok().map(Cow::Borrowed);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return UTF_16LE.decode_without_bom_handling_and_without_replacement(rest);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return UTF_16BE.decode_without_bom_handling_and_without_replacement(rest);
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Some(Cow::Borrowed(s));
    }
    GB18030.decode_without_bom_handling_and_without_replacement(bytes)
}

/// Comma unless the first lines plainly use tabs or semicolons.
pub(crate) fn delimiter(text: &str) -> u8 {
    let head: String = text.lines().take(20).collect::<Vec<_>>().join("\n");
    let count = |c: char| head.chars().filter(|&x| x == c).count();
    let (comma, tab, semi) = (count(','), count('\t'), count(';'));
    if tab > comma && tab >= semi {
        b'\t'
    } else if semi > comma && semi > tab {
        b';'
    } else {
        b','
    }
}

/// Reads a CSV file as one sheet named `sheet_name`.
pub(crate) fn read_csv(bytes: &[u8], sheet_name: &str) -> Result<Sheet, Located> {
    let decoded = decode(bytes).ok_or_else(|| Located::file(Msg::new("files.csv_encoding")))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(&decoded))
        .from_reader(decoded.as_bytes());
    let mut sheet = SheetBuilder::new(sheet_name);
    let mut record = csv::StringRecord::new();
    // Excel shows every line as a row, blank ones too, and keeps a quoted line break inside its
    // cell; the csv reader skips blank lines. So a record's row is its first line (after any
    // blank lines the reader skipped) less the line breaks quoted in the records before it.
    let bytes = decoded.as_bytes();
    let mut lines = Lines::default();
    let mut quoted_breaks = 0usize;
    loop {
        let start = reader.position().byte() as usize;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(_) => {
                let row = lines.line_at(bytes, start).saturating_sub(quoted_breaks);
                return Err(
                    Located::in_sheet(sheet_name, Msg::new("files.csv_unreadable")).row(row),
                );
            }
        }
        let mut first = start;
        while first < bytes.len() && matches!(bytes[first], b'\r' | b'\n') {
            first += 1;
        }
        let row = lines
            .line_at(bytes, first)
            .saturating_sub(quoted_breaks + 1);
        for (col, field) in record.iter().enumerate() {
            if let Err(limit) = sheet.push(row, col, text(field)) {
                return Err(limit_problem(sheet_name, limit));
            }
            quoted_breaks += count_breaks(field.as_bytes());
        }
    }
    Ok(sheet.finish())
}

/// Line breaks: `\n`, `\r\n`, or a lone `\r`.
fn count_breaks(b: &[u8]) -> usize {
    b.iter()
        .enumerate()
        .filter(|&(i, &c)| c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')))
        .count()
}

/// The 1-based line of a byte offset, counted forward from the last call.
#[derive(Default)]
struct Lines {
    upto: usize,
    breaks: usize,
}

impl Lines {
    fn line_at(&mut self, bytes: &[u8], at: usize) -> usize {
        let at = at.min(bytes.len());
        if at > self.upto {
            // A `\r\n` split across calls is counted once, at its `\n`.
            self.breaks += count_breaks(&bytes[self.upto..at]);
            if bytes[at - 1] == b'\r' && bytes.get(at) == Some(&b'\n') {
                self.breaks -= 1;
            }
            self.upto = at;
        }
        self.breaks + 1
    }
}

pub(crate) fn limit_problem(sheet: &str, limit: Limit) -> Located {
    match limit {
        Limit::Rows => Located::in_sheet(
            sheet,
            Msg::new("files.too_many_rows").with("max", MAX_DATA_ROWS),
        ),
        Limit::Columns => Located::in_sheet(
            sheet,
            Msg::new("files.too_many_columns").with("max", MAX_COLUMNS),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        let s = "名称,单位类型\n鼓楼商会,商会\n";
        assert_eq!(decode(s.as_bytes()).as_deref(), Some(s));
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend(s.as_bytes());
        assert_eq!(decode(&bom).as_deref(), Some(s));
        let (gbk, _, _) = encoding_rs::GBK.encode(s);
        assert_eq!(decode(&gbk).as_deref(), Some(s));
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode(&utf16).as_deref(), Some(s));
        // A lone lead byte at the end is neither UTF-8 nor GBK.
        assert_eq!(decode(b"abc\x81"), None);
    }

    #[test]
    fn delimiters() {
        assert_eq!(delimiter("a,b\n1,2"), b',');
        assert_eq!(delimiter("a\tb\tc\n1\t2\t3"), b'\t');
        assert_eq!(delimiter("a;b;c\n1;2;3"), b';');
        assert_eq!(delimiter("名称"), b',');
    }

    #[test]
    fn quoted_newlines_keep_row_numbers_as_excel_shows_them() {
        let sheet = read_csv("名称,备注\n\"多\n行\",x\n\n后面,y\n".as_bytes(), "t").unwrap();
        let rows: Vec<usize> = sheet.rows.iter().map(|r| r.index).collect();
        assert_eq!(rows, vec![0, 1, 3]);
    }
}
