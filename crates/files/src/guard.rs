//! Checks made before a parser sees the bytes, so that a small hostile file cannot make the
//! server unpack gigabytes or allocate a grid of billions of cells.
//!
//! - Every file: at most [`MAX_FILE_BYTES`].
//! - Zip containers (xlsx, xlsm, xlsb, ods): the central directory's sizes, which the zip reader
//!   then enforces while unpacking, must stay under [`MAX_UNPACKED_BYTES`] in all, and no large
//!   part may be compressed more than [`MAX_COMPRESSION_RATIO`] times.
//! - ods: calamine expands `number-rows-repeated` and `number-columns-repeated` into cells, so a
//!   few bytes of XML can ask for millions of them; the repeats are added up here first.
//! - xls: calamine builds each sheet as a dense grid spanning its outermost cells; the cell
//!   positions are read here first.
//!
//! xlsx and xlsb sheets are read cell by cell (see `read.rs`), so they need no such measure.

use std::io::{Cursor, Read};

use shanghui_core::Msg;

use crate::cfb::Cfb;
use crate::located::Located;
use crate::{
    HEADER_SCAN_ROWS, MAX_COLUMNS, MAX_COMPRESSION_RATIO, MAX_DATA_ROWS, MAX_FILE_BYTES,
    MAX_UNPACKED_BYTES, ZIP_BOMB_MIN_BYTES,
};

/// The most cells the dense grids calamine builds for an ods or xls file may hold, all sheets
/// together: 200,000 rows of 25 fields is 5 million.
pub(crate) const MAX_GRID_CELLS: u64 = 10_000_000;
/// The most sheets a workbook may have.
/// The most sheets a workbook may have (and so the most units of a one-sheet-per-unit workbook,
/// less one for the instructions).
pub const MAX_SHEETS: usize = 100;
/// Rows one sheet may span: the data, with instructions and a header above it.
const MAX_SHEET_SPAN: u64 = (MAX_DATA_ROWS + HEADER_SCAN_ROWS + 1) as u64;

/// `20.0 MB`, `512 KB`: sizes for messages, the same in every language.
pub(crate) fn human_size(bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    if b >= KB * KB * KB {
        format!("{:.1} GB", b / (KB * KB * KB))
    } else if b >= KB * KB {
        format!("{:.1} MB", b / (KB * KB))
    } else if b >= KB {
        format!("{:.0} KB", b / KB)
    } else {
        format!("{bytes} B")
    }
}

pub(crate) fn check_size(bytes: &[u8]) -> Result<(), Located> {
    if bytes.is_empty() {
        return Err(Located::file(Msg::new("files.empty_file")));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Located::file(
            Msg::new("files.too_large")
                .with("size", human_size(bytes.len() as u64))
                .with("max", human_size(MAX_FILE_BYTES as u64)),
        ));
    }
    Ok(())
}

pub(crate) fn unreadable(format: &str) -> Located {
    Located::file(Msg::new("files.unreadable").with("format", format))
}

fn too_many_cells(cells: u64) -> Located {
    Located::file(Msg::new("files.too_many_cells").with("cells", cells))
}

fn too_many_rows() -> Located {
    Located::file(Msg::new("files.too_many_rows").with("max", MAX_DATA_ROWS))
}

fn too_many_columns() -> Located {
    Located::file(Msg::new("files.too_many_columns").with("max", MAX_COLUMNS))
}

pub(crate) fn too_many_sheets(count: usize) -> Located {
    Located::file(
        Msg::new("files.too_many_sheets")
            .with("count", count)
            .with("max", MAX_SHEETS),
    )
}

/// Reads the central directory and refuses a zip bomb.
pub(crate) fn check_zip(bytes: &[u8], format: &str) -> Result<(), Located> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| unreadable(format))?;
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(|_| unreadable(format))?;
        let size = entry.size();
        let ratio = size / entry.compressed_size().max(1);
        if size > ZIP_BOMB_MIN_BYTES && ratio > MAX_COMPRESSION_RATIO {
            return Err(Located::file(
                Msg::new("files.zip_bomb")
                    .with(
                        "entry",
                        entry.name().map(|n| n.to_string()).unwrap_or_default(),
                    )
                    .with("size", human_size(size))
                    .with("ratio", ratio),
            ));
        }
        total = total.saturating_add(size);
    }
    if total > MAX_UNPACKED_BYTES {
        return Err(Located::file(
            Msg::new("files.zip_total")
                .with("size", human_size(total))
                .with("max", human_size(MAX_UNPACKED_BYTES)),
        ));
    }
    Ok(())
}

/// What the zip holds, to read it with the right reader whatever its name says.
pub(crate) fn zip_kind(bytes: &[u8]) -> Option<ZipKind> {
    let zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.to_string()))
        .collect();
    if names.iter().any(|n| n == "content.xml") {
        Some(ZipKind::Ods)
    } else if names.iter().any(|n| n == "xl/workbook.bin") {
        Some(ZipKind::Xlsb)
    } else if names.iter().any(|n| n.starts_with("xl/")) {
        Some(ZipKind::Xlsx)
    } else {
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ZipKind {
    Xlsx,
    Xlsb,
    Ods,
}

/// Measures the sheets of an ods file as calamine will expand them. Call after [`check_zip`].
pub(crate) fn check_ods(bytes: &[u8]) -> Result<(), Located> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| unreadable("ods"))?;
    let mut xml = Vec::new();
    {
        let entry = zip.by_name("content.xml").map_err(|_| unreadable("ods"))?;
        entry
            .take(MAX_UNPACKED_BYTES)
            .read_to_end(&mut xml)
            .map_err(|_| unreadable("ods"))?;
    }
    measure_ods(&xml)
}

/// One table's extent, counted the way calamine's ods reader expands it.
#[derive(Default)]
struct OdsTable {
    /// Rows so far, repeats included.
    row: u64,
    first_used_row: Option<u64>,
    /// One past the last row holding a value.
    used_rows_end: u64,
    /// One past the last column holding a value, over all rows.
    used_cols_end: u64,
}

fn measure_ods(xml: &[u8]) -> Result<(), Located> {
    let mut grid: u64 = 0;
    // Cells calamine stores while reading rows, before it repeats them: up to and including the
    // last cell with a value in each row element.
    let mut stored: u64 = 0;
    let mut tables = 0usize;
    let mut table = OdsTable::default();
    let mut row_repeat: u64 = 1;
    let mut col: u64 = 0;
    let mut row_used_end: u64 = 0;
    for tag in Tags::new(xml) {
        match (tag.name, tag.end) {
            (b"table:table", false) => {
                tables += 1;
                if tables > MAX_SHEETS {
                    return Err(too_many_sheets(tables));
                }
                table = OdsTable::default();
            }
            (b"table:table", true) => {
                if let Some(first) = table.first_used_row {
                    let rows = table.used_rows_end.saturating_sub(first);
                    grid = grid.saturating_add(rows.saturating_mul(table.used_cols_end));
                    if grid > MAX_GRID_CELLS {
                        return Err(too_many_cells(grid));
                    }
                }
            }
            (b"table:table-row", false) => {
                row_repeat = tag.number("table:number-rows-repeated").max(1);
                col = 0;
                row_used_end = 0;
                if tag.self_closing {
                    table.row = table.row.saturating_add(row_repeat);
                }
            }
            (b"table:table-cell" | b"table:covered-table-cell", false) => {
                let repeat = tag.number("table:number-columns-repeated").max(1);
                let has_value = !tag.self_closing
                    || tag.attr("office:value-type").is_some()
                    || tag.attr("table:formula").is_some();
                col = col.saturating_add(repeat);
                if has_value {
                    row_used_end = col;
                    if col > MAX_COLUMNS as u64 {
                        return Err(too_many_columns());
                    }
                }
            }
            (b"table:table-row", true) => {
                if row_used_end > 0 {
                    table.first_used_row.get_or_insert(table.row);
                    table.used_rows_end = table.row.saturating_add(row_repeat);
                    table.used_cols_end = table.used_cols_end.max(row_used_end);
                    stored = stored.saturating_add(row_used_end);
                    if stored > MAX_GRID_CELLS {
                        return Err(too_many_cells(stored));
                    }
                    let span = table.used_rows_end - table.first_used_row.unwrap_or(0);
                    if span > MAX_SHEET_SPAN {
                        return Err(too_many_rows());
                    }
                }
                table.row = table.row.saturating_add(row_repeat);
            }
            _ => {}
        }
    }
    Ok(())
}

/// A start or end tag, found by a scanner that knows just enough XML to skip comments, CDATA
/// and processing instructions and to respect quoted attribute values.
struct Tag<'a> {
    name: &'a [u8],
    attrs: &'a [u8],
    end: bool,
    self_closing: bool,
}

impl Tag<'_> {
    fn attr(&self, name: &str) -> Option<&[u8]> {
        let a = self.attrs;
        let mut i = 0;
        while i < a.len() {
            while i < a.len() && a[i].is_ascii_whitespace() {
                i += 1;
            }
            let key_start = i;
            while i < a.len() && a[i] != b'=' && !a[i].is_ascii_whitespace() {
                i += 1;
            }
            let key = &a[key_start..i];
            while i < a.len() && (a[i].is_ascii_whitespace() || a[i] == b'=') {
                i += 1;
            }
            let Some(&quote) = a.get(i) else { break };
            if quote != b'"' && quote != b'\'' {
                i += 1;
                continue;
            }
            let value_start = i + 1;
            let value_end = a[value_start..]
                .iter()
                .position(|&c| c == quote)
                .map_or(a.len(), |p| value_start + p);
            if key == name.as_bytes() {
                return Some(&a[value_start..value_end]);
            }
            i = value_end + 1;
        }
        None
    }

    /// A numeric attribute; absent or unreadable counts as 1. An absurd value stays absurd, so
    /// that the limits catch it.
    fn number(&self, name: &str) -> u64 {
        let Some(v) = self.attr(name) else { return 1 };
        let digits: Vec<u8> = v
            .iter()
            .copied()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return 1;
        }
        std::str::from_utf8(&digits)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(u64::MAX)
    }
}

struct Tags<'a> {
    xml: &'a [u8],
    pos: usize,
}

impl<'a> Tags<'a> {
    fn new(xml: &'a [u8]) -> Self {
        Tags { xml, pos: 0 }
    }

    fn skip_past(&mut self, pattern: &[u8]) {
        match find(&self.xml[self.pos..], pattern) {
            Some(p) => self.pos += p + pattern.len(),
            None => self.pos = self.xml.len(),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl<'a> Iterator for Tags<'a> {
    type Item = Tag<'a>;

    fn next(&mut self) -> Option<Tag<'a>> {
        loop {
            let xml = self.xml;
            let lt = self.pos + xml.get(self.pos..)?.iter().position(|&c| c == b'<')?;
            self.pos = lt + 1;
            let rest = &xml[self.pos..];
            if rest.starts_with(b"!--") {
                self.skip_past(b"-->");
                continue;
            }
            if rest.starts_with(b"![CDATA[") {
                self.skip_past(b"]]>");
                continue;
            }
            if rest.starts_with(b"?") {
                self.skip_past(b"?>");
                continue;
            }
            if rest.starts_with(b"!") {
                self.skip_past(b">");
                continue;
            }
            // Find the closing `>` outside quotes.
            let mut quote = None;
            let mut gt = None;
            for (i, &c) in rest.iter().enumerate() {
                match quote {
                    Some(q) if c == q => quote = None,
                    Some(_) => {}
                    None if c == b'"' || c == b'\'' => quote = Some(c),
                    None if c == b'>' => {
                        gt = Some(i);
                        break;
                    }
                    None => {}
                }
            }
            let gt = gt?;
            self.pos += gt + 1;
            let mut body = &rest[..gt];
            let end = body.first() == Some(&b'/');
            if end {
                body = &body[1..];
            }
            let self_closing = body.last() == Some(&b'/');
            if self_closing {
                body = &body[..body.len() - 1];
            }
            let name_len = body
                .iter()
                .position(|c| c.is_ascii_whitespace())
                .unwrap_or(body.len());
            return Some(Tag {
                name: &body[..name_len],
                attrs: &body[name_len..],
                end,
                self_closing,
            });
        }
    }
}

/// Measures an xls workbook the way calamine will read it: the globals, then each sheet from
/// the offset its `BoundSheet` record gives.
/// Returns the cells calamine's grids will hold.
pub(crate) fn check_xls(bytes: &[u8]) -> Result<u64, Located> {
    let cfb = Cfb::parse(bytes).ok_or_else(|| unreadable("xls"))?;
    if cfb.has_stream("EncryptedPackage") {
        return Err(Located::file(Msg::new("files.encrypted")));
    }
    // calamine reads the first of these it finds; a crafted file may hold several, so all are
    // measured.
    let mut streams = Vec::new();
    for name in ["Workbook", "Book"] {
        streams.extend(cfb.streams(name).ok_or_else(|| unreadable("xls"))?);
    }
    if streams.is_empty() {
        return Err(unreadable("xls"));
    }
    streams
        .iter()
        .try_fold(0u64, |sum, s| Ok(sum.saturating_add(measure_xls(s)?)))
}

struct Records<'a> {
    stream: &'a [u8],
}

impl<'a> Iterator for Records<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<(u16, &'a [u8])> {
        let s = self.stream;
        let typ = u16::from_le_bytes([*s.first()?, *s.get(1)?]);
        let len = u16::from_le_bytes([*s.get(2)?, *s.get(3)?]) as usize;
        let data = s.get(4..4 + len)?;
        self.stream = &s[4 + len..];
        Some((typ, data))
    }
}

fn u16_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u16::from_le_bytes([*b.get(off)?, *b.get(off + 1)?]) as u32)
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off + 4)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// The cells an xls sheet's grid will span.
#[derive(Default)]
struct Extent {
    min: Option<(u32, u32)>,
    max: (u32, u32),
}

impl Extent {
    fn add(&mut self, row: u32, col: u32) {
        self.min = Some(match self.min {
            Some((r, c)) => (r.min(row), c.min(col)),
            None => (row, col),
        });
        self.max = (self.max.0.max(row), self.max.1.max(col));
    }

    fn cells(&self) -> u64 {
        self.min.map_or(0, |(r, c)| {
            (self.max.0 - r + 1) as u64 * (self.max.1 - c + 1) as u64
        })
    }
}

fn measure_xls(stream: &[u8]) -> Result<u64, Located> {
    let mut sheet_offsets = Vec::new();
    for (typ, data) in (Records { stream }) {
        match typ {
            0x002F if u16_at(data, 0).unwrap_or(0) != 0 => {
                return Err(Located::file(Msg::new("files.encrypted")));
            }
            0x0085 => sheet_offsets.push(u32_at(data, 0).ok_or_else(|| unreadable("xls"))?),
            0x000A => break,
            _ => {}
        }
    }
    if sheet_offsets.len() > MAX_SHEETS {
        return Err(too_many_sheets(sheet_offsets.len()));
    }
    let mut grid: u64 = 0;
    for offset in sheet_offsets {
        let sheet = stream
            .get(offset as usize..)
            .ok_or_else(|| unreadable("xls"))?;
        let mut extent = Extent::default();
        let mut reserved: u64 = 0;
        let mut seen_bof = false;
        let mut depth = 0usize;
        for (typ, data) in (Records { stream: sheet }) {
            if depth > 0 {
                match typ {
                    0x0809 => depth += 1,
                    0x000A => depth -= 1,
                    _ => {}
                }
                continue;
            }
            let at = |off| u16_at(data, off).ok_or_else(|| unreadable("xls"));
            match typ {
                0x0809 if seen_bof => depth += 1,
                0x0809 => seen_bof = true,
                0x000A => break,
                0x0200 => reserved = reserved.max(dimensions(data)?),
                // Number, Label, RString, BoolErr, RK, LabelSst, Formula.
                0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => {
                    extent.add(at(0)?, at(2)?)
                }
                // MulRk: a run of cells in one row.
                0x00BD => {
                    let row = at(0)?;
                    let first = at(2)?;
                    let last = at(data.len().saturating_sub(2))?;
                    if last < first {
                        return Err(unreadable("xls"));
                    }
                    extent.add(row, first);
                    extent.add(row, last);
                }
                _ => {}
            }
        }
        if let Some((r, c)) = extent.min {
            if extent.max.1 - c >= MAX_COLUMNS as u32 {
                return Err(too_many_columns());
            }
            if (extent.max.0 - r) as u64 >= MAX_SHEET_SPAN {
                return Err(too_many_rows());
            }
        }
        grid = grid.saturating_add(extent.cells().max(reserved));
        if grid > MAX_GRID_CELLS {
            return Err(too_many_cells(grid));
        }
    }
    Ok(grid)
}

/// The cells a `Dimensions` record makes calamine reserve; refuses the values that would make
/// it underflow or reserve beyond the format's 65,536 rows and 256 columns.
fn dimensions(data: &[u8]) -> Result<u64, Located> {
    let bad = || unreadable("xls");
    let (rf, rl, cf, cl) = match data.len() {
        10 => (
            u16_at(data, 0).ok_or_else(bad)?,
            u16_at(data, 2).ok_or_else(bad)?,
            u16_at(data, 4).ok_or_else(bad)?,
            u16_at(data, 6).ok_or_else(bad)?,
        ),
        14 | 16 => (
            u32_at(data, 0).ok_or_else(bad)?,
            u32_at(data, 4).ok_or_else(bad)?,
            u16_at(data, 8).ok_or_else(bad)?,
            u16_at(data, 10).ok_or_else(bad)?,
        ),
        // calamine refuses other lengths itself.
        _ => return Ok(0),
    };
    if rl == 0 || cl == 0 {
        return Ok(0);
    }
    let cf = if cf > 0xFF || cl < cf { 0 } else { cf };
    if rf >= rl || rl > 65_536 || cf >= cl || cl > 256 {
        return Err(bad());
    }
    Ok((rl - rf) as u64 * (cl - cf) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut r = typ.to_le_bytes().to_vec();
        r.extend((data.len() as u16).to_le_bytes());
        r.extend(data);
        r
    }

    fn cell(typ: u16, row: u16, col: u16) -> Vec<u8> {
        let mut d = row.to_le_bytes().to_vec();
        d.extend(col.to_le_bytes());
        d.extend([0u8; 10]);
        record(typ, &d)
    }

    /// A globals substream naming one sheet, then that sheet with the given records.
    fn workbook(sheet_records: &[Vec<u8>]) -> Vec<u8> {
        let bof = record(0x0809, &[0u8; 16]);
        let eof = record(0x000A, &[]);
        let bound_len = 4 + 8 + 4;
        let globals_len = bof.len() + bound_len + eof.len();
        let mut bound = (globals_len as u32).to_le_bytes().to_vec();
        bound.extend([0, 0, 1, 0, b's', b'1', 0, 0]);
        let mut s = bof.clone();
        s.extend(record(0x0085, &bound));
        s.extend(&eof);
        assert_eq!(s.len(), globals_len);
        s.extend(&bof);
        for r in sheet_records {
            s.extend(r);
        }
        s.extend(&eof);
        s
    }

    #[test]
    fn xls_extent() {
        assert_eq!(
            measure_xls(&workbook(&[cell(0x0203, 0, 0), cell(0x00FD, 500, 20)])).ok(),
            Some(501 * 21)
        );
        // The fixture made by xlwt: its "单位" sheet spans A1:H5 (its Dimensions record says
        // the same), 填表说明 A1:B2 and the hidden lists sheet A1:B2.
        let fixture = include_bytes!("../tests/data/registry.xls");
        assert_eq!(check_xls(fixture).ok(), Some(5 * 8 + 2 * 2 + 2 * 2));
        let wide = measure_xls(&workbook(&[cell(0x0203, 0, 0), cell(0x0203, 0, 300)]));
        assert_eq!(wide.unwrap_err().msg.key, "files.too_many_columns");
        let huge = measure_xls(&workbook(&[cell(0x0203, 0, 0), cell(0x0203, 65_535, 199)]));
        assert_eq!(huge.unwrap_err().msg.key, "files.too_many_cells");
        // Last row before the first: calamine would underflow.
        let mut dims = 10u32.to_le_bytes().to_vec();
        dims.extend(5u32.to_le_bytes());
        dims.extend([0, 0, 3, 0, 0, 0]);
        assert_eq!(
            measure_xls(&workbook(&[record(0x0200, &dims)])).map_err(|l| l.msg.key),
            Err("files.unreadable")
        );
        let enc = {
            let mut s = record(0x0809, &[0u8; 16]);
            s.extend(record(0x002F, &[1, 0, 0, 0]));
            s
        };
        assert_eq!(measure_xls(&enc).unwrap_err().msg.key, "files.encrypted");
    }

    #[test]
    fn ods_repeats() {
        let ok = br#"<?xml version="1.0"?><office:document-content><office:body><office:spreadsheet>
            <table:table table:name="s"><table:table-column table:number-columns-repeated="1024"/>
            <table:table-row><table:table-cell office:value-type="string"><text:p>a&gt;b</text:p></table:table-cell>
            <table:table-cell table:number-columns-repeated="1023"/></table:table-row>
            <table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>
            </table:table></office:spreadsheet></office:body></office:document-content>"#;
        assert!(measure_ods(ok).is_ok());
        let wide = br#"<table:table><table:table-row><table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="16384"/></table:table-row></table:table>"#;
        assert_eq!(
            measure_ods(wide).unwrap_err().msg.key,
            "files.too_many_columns"
        );
        let tall = br#"<table:table><table:table-row table:number-rows-repeated="1048576"><table:table-cell office:value-type="float" office:value="1"/></table:table-row></table:table>"#;
        assert_eq!(
            measure_ods(tall).unwrap_err().msg.key,
            "files.too_many_rows"
        );
        let gap = br#"<table:table><table:table-row><table:table-cell office:value-type="float"/></table:table-row>
            <table:table-row table:number-rows-repeated="900000"><table:table-cell/></table:table-row>
            <table:table-row><table:table-cell office:value-type="float"/></table:table-row></table:table>"#;
        assert_eq!(measure_ods(gap).unwrap_err().msg.key, "files.too_many_rows");
        let tag = Tags::new(br#"<a b="x>y" c='2'/>"#).next().unwrap();
        assert_eq!(tag.attr("b"), Some(&b"x>y"[..]));
        assert_eq!(tag.number("c"), 2);
        assert!(tag.self_closing);
    }

    #[test]
    fn sizes() {
        assert_eq!(human_size(20 * 1024 * 1024), "20.0 MB");
        assert_eq!(human_size(512 * 1024), "512 KB");
        assert_eq!(human_size(12), "12 B");
    }

    proptest::proptest! {
        #[test]
        fn scanners_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2000)) {
            let _ = measure_xls(&bytes);
            let _ = measure_ods(&bytes);
            for t in Tags::new(&bytes) {
                let _ = t.number("a");
            }
        }
    }
}
