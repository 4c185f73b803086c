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

/// How much a CSV file read by [`read_csv_dataset`] may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatasetLimits {
    /// The largest file, in bytes.
    pub max_bytes: usize,
    /// The most cases (non-empty rows below the header).
    pub max_rows: usize,
    /// The most columns: a cell further right is refused.
    pub max_columns: usize,
    /// The most cells (cases times variables): what the data set takes in memory, 8 bytes a
    /// number.
    pub max_cells: usize,
}

impl DatasetLimits {
    /// For a file on the user's own computer (`shanghui stats`), not an upload: 2 GiB, 50
    /// million cases, 32,767 columns, a thousand million cells (8 GB of numbers).
    pub const LARGE: DatasetLimits = DatasetLimits {
        max_bytes: 2 << 30,
        max_rows: 50_000_000,
        max_columns: 32_767,
        max_cells: 1_000_000_000,
    };
}

/// [`read_csv_dataset`] with [`DatasetLimits::LARGE`]: what `shanghui stats` reads a CSV file
/// with, a million rows or more.
pub fn read_csv_dataset_large(bytes: &[u8], file_name: &str) -> Result<Dataset, Vec<Located>> {
    read_csv_dataset(bytes, file_name, &DatasetLimits::LARGE)
}

/// Reads a CSV file (UTF-8 with or without BOM, UTF-16 with BOM, GBK) as a data set, exactly as
/// [`read_dataset`] does (the same header row, names, labels, types, decimals, widths and
/// values), within `limits` instead of the upload guards, and straight into columns: no cell
/// is kept as text unless its column is a string variable. When the rows hold no quote
/// character they are read on all cores, in pieces split at line breaks. A system file or a
/// workbook under a .csv name is read by [`read_dataset`], behind the upload guards.
pub fn read_csv_dataset(
    bytes: &[u8],
    file_name: &str,
    limits: &DatasetLimits,
) -> Result<Dataset, Vec<Located>> {
    read_csv_columns(bytes, file_name, limits, Split::default())
}

/// How the data rows are shared among threads: pieces of at least `min_piece` bytes, at most
/// one per thread.
#[derive(Clone, Copy)]
struct Split {
    threads: usize,
    min_piece: usize,
}

impl Default for Split {
    fn default() -> Self {
        Split {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get().min(8)),
            min_piece: 1 << 20,
        }
    }
}

/// A cell's text as the sheet reader keeps it ([`crate::grid::text`]): trimmed, `None` when
/// nothing is left.
fn trimmed(s: &str) -> Option<&str> {
    // Most cells: neither end is whitespace or a BOM (printable ASCII at both ends).
    let printable = |b: &u8| (b'!'..=b'~').contains(b);
    let b = s.as_bytes();
    if b.first().is_some_and(printable) && b.last().is_some_and(printable) {
        return Some(s);
    }
    let t = s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    (!t.is_empty()).then_some(t)
}

/// A number as [`parse_decimal`] reads it, with its decimals as [`decimals_of`] counts them; a
/// fast path for plain ASCII numbers (`-12.50`), on which both are the same as Rust's parser.
fn number(t: &str) -> Option<(f64, usize)> {
    if let Some(plain) = plain_number(t.as_bytes()) {
        return Some(plain);
    }
    if t.bytes().all(|b| b.is_ascii_graphic() && b != b',') {
        let x = t.parse::<f64>().ok().filter(|x| x.is_finite())?;
        let decimals = t.split_once('.').map_or(0, |(_, frac)| {
            frac.bytes().take_while(u8::is_ascii_digit).count()
        });
        Some((x, decimals))
    } else {
        parse_decimal(t).map(|x| (x, decimals_of(t)))
    }
}

/// `-?[0-9]+(\.[0-9]+)?` with at most 15 digits: the digits as an integer (exact in an f64)
/// divided by a power of ten (exact too) is the correctly rounded value of the decimal, which
/// is what Rust's parser returns, at a fraction of the cost.
fn plain_number(t: &[u8]) -> Option<(f64, usize)> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let (negative, digits) = match t.split_first()? {
        (b'-', rest) => (true, rest),
        _ => (false, t),
    };
    if digits.len() > 16 {
        return None;
    }
    let mut m = 0u64;
    let mut point = None;
    for (i, &b) in digits.iter().enumerate() {
        match b {
            b'0'..=b'9' => m = m * 10 + u64::from(b - b'0'),
            b'.' if point.is_none() && i > 0 && i + 1 < digits.len() => point = Some(i),
            _ => return None,
        }
    }
    let decimals = point.map_or(0, |p| digits.len() - p - 1);
    let count = digits.len() - usize::from(point.is_some());
    if count == 0 || count > 15 {
        return None;
    }
    let x = match decimals {
        0 => m as f64,
        d => m as f64 / POW10[d],
    };
    Some((if negative { -x } else { x }, decimals))
}

/// A column's values as gathered from one piece of the file.
enum Values {
    /// Every non-empty cell so far is a number.
    Num(Vec<f64>),
    Str(Vec<String>),
    /// A string column whose first cells were numbers, not kept: read again for its text.
    Lost,
    /// Not gathered (the second reading, of the lost columns only).
    Skip,
}

struct Col {
    values: Values,
    stats: Stats,
    /// Number cells kept in `Values::Num`.
    nums: usize,
    /// Whether any cell of the column is non-empty.
    seen: bool,
}

impl Col {
    /// Column `c`, first seen after `rows` rows, with room for `capacity` rows.
    fn new(c: usize, rows: usize, capacity: usize, texts_of: Option<&[bool]>) -> Col {
        let capacity = capacity.max(rows);
        let values = match texts_of {
            None => {
                let mut xs = Vec::with_capacity(capacity);
                xs.resize(rows, f64::NAN);
                Values::Num(xs)
            }
            Some(wanted) if wanted.get(c).copied().unwrap_or(false) => {
                let mut ss = Vec::with_capacity(capacity);
                ss.resize(rows, String::new());
                Values::Str(ss)
            }
            Some(_) => Values::Skip,
        };
        Col {
            values,
            stats: Stats {
                numeric: true,
                ..Stats::default()
            },
            nums: 0,
            seen: false,
        }
    }

    fn push(&mut self, t: &str) {
        self.seen = true;
        match &mut self.values {
            Values::Num(xs) => {
                self.stats.width = self.stats.width.max(t.len());
                match number(t) {
                    Some((x, d)) => {
                        xs.push(x);
                        self.nums += 1;
                        self.stats.decimals = self.stats.decimals.max(d);
                    }
                    None => {
                        self.stats.numeric = false;
                        self.values = if self.nums == 0 {
                            let mut ss = Vec::with_capacity(xs.capacity());
                            ss.resize(xs.len(), String::new());
                            ss.push(crate::sav::cut(t, MAX_STRING_WIDTH).to_string());
                            Values::Str(ss)
                        } else {
                            Values::Lost
                        };
                    }
                }
            }
            Values::Str(ss) => {
                self.stats.width = self.stats.width.max(t.len());
                ss.push(crate::sav::cut(t, MAX_STRING_WIDTH).to_string());
            }
            Values::Lost => self.stats.width = self.stats.width.max(t.len()),
            Values::Skip => {}
        }
    }

    /// Fills the rows up to `rows` in which the column had no cell.
    fn pad(&mut self, rows: usize) {
        match &mut self.values {
            Values::Num(xs) if xs.len() < rows => xs.resize(rows, f64::NAN),
            Values::Str(ss) if ss.len() < rows => ss.resize(rows, String::new()),
            _ => {}
        }
    }
}

/// The cases of one piece of the file.
struct Piece {
    rows: usize,
    cols: Vec<Col>,
}

/// What stops a CSV file from being read as a data set.
struct Refusal<'a> {
    sheet: &'a str,
    limits: &'a DatasetLimits,
}

impl Refusal<'_> {
    fn unreadable(&self) -> Located {
        Located::in_sheet(self.sheet, Msg::new("files.csv_unreadable"))
    }

    fn columns(&self) -> Located {
        Located::in_sheet(
            self.sheet,
            Msg::new("files.too_many_columns").with("max", self.limits.max_columns),
        )
    }

    fn rows(&self) -> Located {
        Located::in_sheet(
            self.sheet,
            Msg::new("files.too_many_rows").with("max", self.limits.max_rows),
        )
    }

    fn cells(&self, rows: usize, columns: usize) -> Located {
        Located::in_sheet(
            self.sheet,
            Msg::new("files.too_many_cells").with("cells", rows.saturating_mul(columns)),
        )
    }
}

fn csv_reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    // The same reader as `csv_in::read_csv`'s, so that the records are the same.
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(1 << 16)
        .from_reader(text.as_bytes())
}

/// Gathers the cells of a piece of the file into columns, a row at a time.
struct Gather<'a> {
    cols: Vec<Col>,
    rows: usize,
    /// Rows each column makes room for at once (an estimate from the line breaks).
    capacity: usize,
    /// Whether the row being read has a non-empty cell.
    any: bool,
    texts_of: Option<&'a [bool]>,
    refuse: &'a Refusal<'a>,
}

impl Gather<'_> {
    fn cell(&mut self, c: usize, field: &str) -> Result<(), Located> {
        let Some(t) = trimmed(field) else {
            return Ok(());
        };
        if c >= self.refuse.limits.max_columns {
            return Err(self.refuse.columns());
        }
        self.any = true;
        while self.cols.len() <= c {
            let n = self.cols.len();
            // Room made at once only as far as the limit of cells allows.
            let fits = (n + 1).saturating_mul(self.capacity) <= self.refuse.limits.max_cells;
            let capacity = if fits { self.capacity } else { 0 };
            self.cols
                .push(Col::new(n, self.rows, capacity, self.texts_of));
        }
        self.cols[c].push(unneutralize(t));
        Ok(())
    }

    fn end_row(&mut self) -> Result<(), Located> {
        // A row of empty cells is no case, as in a sheet.
        if !std::mem::take(&mut self.any) {
            return Ok(());
        }
        self.rows += 1;
        if self.rows > self.refuse.limits.max_rows {
            return Err(self.refuse.rows());
        }
        if self.rows.saturating_mul(self.cols.len()) > self.refuse.limits.max_cells {
            return Err(self.refuse.cells(self.rows, self.cols.len()));
        }
        for col in &mut self.cols {
            col.pad(self.rows);
        }
        Ok(())
    }
}

/// Reads the rows of `part` into columns: every column's values and what they show
/// (`texts_of: None`), or only the text of the columns marked in `texts_of`. Rows without a
/// quote character (`plain`) are split at the delimiter and line breaks (`\n`, `\r`, `\r\n`),
/// as the csv reader splits them; others are read by the csv reader.
fn read_piece(
    part: &str,
    capacity: usize,
    delimiter: u8,
    plain: bool,
    texts_of: Option<&[bool]>,
    refuse: &Refusal<'_>,
) -> Result<Piece, Located> {
    let mut g = Gather {
        cols: Vec::new(),
        rows: 0,
        capacity: capacity.min(refuse.limits.max_rows.saturating_add(1)),
        any: false,
        texts_of,
        refuse,
    };
    if plain {
        let (mut start, mut c) = (0, 0);
        for (i, &b) in part.as_bytes().iter().enumerate() {
            if b == delimiter {
                g.cell(c, &part[start..i])?;
                c += 1;
                start = i + 1;
            } else if b == b'\n' || b == b'\r' {
                g.cell(c, &part[start..i])?;
                g.end_row()?;
                c = 0;
                start = i + 1;
            }
        }
        g.cell(c, &part[start..])?;
        g.end_row()?;
    } else {
        let mut reader = csv_reader(part, delimiter);
        let mut record = csv::StringRecord::new();
        loop {
            match reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(_) => return Err(refuse.unreadable()),
            }
            for (c, field) in record.iter().enumerate() {
                g.cell(c, field)?;
            }
            g.end_row()?;
        }
    }
    Ok(Piece {
        rows: g.rows,
        cols: g.cols,
    })
}

/// Reads every piece, each on its own thread when there are several.
fn read_pieces(
    rows: &Rows<'_>,
    delimiter: u8,
    texts_of: Option<&[bool]>,
    refuse: &Refusal<'_>,
) -> Result<Vec<Piece>, Located> {
    let plain = rows.plain;
    // The first piece's columns make room for all the rows: the others are appended to them.
    let total: usize = rows.lines.iter().sum();
    let capacity = |k: usize| if k == 0 { total } else { rows.lines[k] } + 1;
    if let [part] = rows.parts.as_slice() {
        return Ok(vec![read_piece(
            part,
            capacity(0),
            delimiter,
            plain,
            texts_of,
            refuse,
        )?]);
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = (rows.parts.iter().enumerate())
            .map(|(k, part)| {
                let capacity = capacity(k);
                s.spawn(move || read_piece(part, capacity, delimiter, plain, texts_of, refuse))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(refuse.unreadable())))
            .collect()
    })
}

/// The rows after the header, in pieces split after line breaks.
struct Rows<'a> {
    parts: Vec<&'a str>,
    /// The line breaks (`\n`) in each part.
    lines: Vec<usize>,
    /// Whether no quote character is in the rows.
    plain: bool,
}

/// The `\n` in a text, counted 255 bytes at a time (which the compiler turns into vector
/// instructions: a hundred megabytes in 10 ms).
fn line_breaks(s: &str) -> usize {
    (s.as_bytes().chunks(255))
        .map(|c| c.iter().fold(0u8, |n, &b| n + u8::from(b == b'\n')) as usize)
        .sum()
}

/// Several pieces only when plain (a quoted cell may hold a line break) and large enough to
/// share.
fn split_rows<'a>(data: &'a str, split: Split) -> Rows<'a> {
    let plain = !data.contains('"');
    let n = split
        .threads
        .min(data.len() / split.min_piece.max(1))
        .max(1);
    let rows = |parts: Vec<&'a str>| Rows {
        lines: (parts.iter()).map(|p| line_breaks(p)).collect(),
        parts,
        plain,
    };
    if n == 1 || !plain {
        return rows(vec![data]);
    }
    let bytes = data.as_bytes();
    let mut parts = Vec::with_capacity(n);
    let mut start = 0;
    for k in 1..n {
        let target = (data.len() / n * k).max(start);
        let Some(nl) = bytes[target..].iter().position(|&b| b == b'\n') else {
            break;
        };
        let end = target + nl + 1;
        parts.push(&data[start..end]);
        start = end;
    }
    parts.push(&data[start..]);
    rows(parts)
}

fn read_csv_columns(
    bytes: &[u8],
    file_name: &str,
    limits: &DatasetLimits,
    split: Split,
) -> Result<Dataset, Vec<Located>> {
    let is_sav = bytes.starts_with(b"$FL2") || bytes.starts_with(b"$FL3");
    if is_sav || bytes.starts_with(b"PK\x03\x04") || crate::cfb::is_cfb(bytes) {
        return read_dataset(bytes, file_name);
    }
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    // The sheet name Excel gives a CSV file: its name without the extension.
    let sheet = base.rsplit_once('.').map_or(base, |(stem, _)| stem);
    let refuse = Refusal { sheet, limits };
    let one = |l: Located| vec![l];
    if bytes.is_empty() {
        return Err(one(Located::file(Msg::new("files.empty_file"))));
    }
    if bytes.len() > limits.max_bytes {
        return Err(one(Located::file(
            Msg::new("files.too_large")
                .with("size", crate::guard::human_size(bytes.len() as u64))
                .with("max", crate::guard::human_size(limits.max_bytes as u64)),
        )));
    }
    let text = crate::csv_in::decode(bytes)
        .ok_or_else(|| one(Located::file(Msg::new("files.csv_encoding"))))?;
    let delimiter = crate::csv_in::delimiter(&text);

    // The header row among the first non-empty rows; the cases start after it.
    let mut reader = csv_reader(&text, delimiter);
    let mut record = csv::StringRecord::new();
    let mut head: Vec<(Vec<(usize, String)>, usize)> = Vec::new();
    while head.len() < HEADER_SCAN_ROWS {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) => return Err(one(refuse.unreadable())),
        }
        let mut cells = Vec::new();
        for (c, field) in record.iter().enumerate() {
            if let Some(t) = trimmed(field) {
                if c >= limits.max_columns {
                    return Err(one(refuse.columns()));
                }
                cells.push((c, t.to_string()));
            }
        }
        if !cells.is_empty() {
            head.push((cells, reader.position().byte() as usize));
        }
    }
    let widths: Vec<usize> = head.iter().map(|(cells, _)| cells.len()).collect();
    let Some((header, start)) = head.get(header_of(&widths)) else {
        return Err(one(Located::file(Msg::new("files.empty_file"))));
    };
    let data = text.get(*start..).unwrap_or("");

    let parts = split_rows(data, split);
    let mut pieces = read_pieces(&parts, delimiter, None, &refuse).map_err(one)?;
    let rows: usize = pieces.iter().map(|p| p.rows).sum();
    if rows > limits.max_rows {
        return Err(one(refuse.rows()));
    }
    let widest = pieces.iter().map(|p| p.cols.len()).max().unwrap_or(0);
    if rows.saturating_mul(widest) > limits.max_cells {
        return Err(one(refuse.cells(rows, widest)));
    }

    // Every column with a header or data, in order, and what its cells show in all pieces.
    let width = pieces
        .iter()
        .map(|p| p.cols.len())
        .chain(header.iter().map(|(c, _)| c + 1))
        .max()
        .unwrap_or(0);
    let mut cols = Vec::new();
    let mut stats = Vec::new();
    let mut lost = vec![false; width];
    // The header's cells are in column order.
    let header_at = |c: usize| {
        header
            .binary_search_by_key(&c, |(hc, _)| *hc)
            .ok()
            .map(|i| header[i].1.as_str())
    };
    for (c, lost) in lost.iter_mut().enumerate() {
        let in_pieces = pieces.iter().filter_map(|p| p.cols.get(c));
        let seen = header_at(c).is_some() || in_pieces.clone().any(|col| col.seen);
        if !seen {
            continue;
        }
        let mut s = Stats {
            numeric: true,
            ..Stats::default()
        };
        for col in in_pieces.clone() {
            s.numeric &= col.stats.numeric;
            s.decimals = s.decimals.max(col.stats.decimals);
            s.width = s.width.max(col.stats.width);
        }
        // Numbers kept while their column looked numeric, in a string column after all.
        *lost = !s.numeric
            && in_pieces.clone().any(|col| {
                matches!(col.values, Values::Lost)
                    || (matches!(col.values, Values::Num(_)) && col.nums > 0)
            });
        cols.push(c);
        stats.push(s);
    }
    if lost.contains(&true) {
        let again = read_pieces(&parts, delimiter, Some(&lost), &refuse).map_err(one)?;
        for (piece, texts) in pieces.iter_mut().zip(again) {
            for (c, col) in texts.cols.into_iter().enumerate() {
                if let (true, Some(kept)) = (lost[c], piece.cols.get_mut(c)) {
                    kept.values = col.values;
                }
            }
        }
    }

    let mut columns = Vec::with_capacity(cols.len());
    for (&c, s) in cols.iter().zip(&stats) {
        let mut parts = pieces.iter_mut().map(|p| {
            let values = p
                .cols
                .get_mut(c)
                .map(|col| std::mem::replace(&mut col.values, Values::Skip));
            (p.rows, values)
        });
        columns.push(if s.numeric {
            let mut xs: Vec<f64> = Vec::new();
            for (n, values) in &mut parts {
                match values {
                    Some(Values::Num(v)) if xs.is_empty() => xs = v,
                    Some(Values::Num(v)) => xs.extend_from_slice(&v),
                    _ => xs.resize(xs.len() + n, f64::NAN),
                }
            }
            Column::Num(xs)
        } else {
            let mut ss: Vec<String> = Vec::new();
            for (n, values) in &mut parts {
                match values {
                    Some(Values::Str(v)) if ss.is_empty() => ss = v,
                    Some(Values::Str(v)) => ss.extend(v),
                    // Only empty cells (numbers were read again as text).
                    _ => ss.resize(ss.len() + n, String::new()),
                }
            }
            Column::Str(ss)
        });
    }
    let headers: Vec<String> = cols
        .iter()
        .map(|&c| {
            header_at(c)
                .map(|t| unneutralize(t).trim().to_string())
                .unwrap_or_default()
        })
        .collect();
    Ok(assemble(&cols, headers, &stats, columns))
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
    let widths: Vec<usize> = sheet
        .rows
        .iter()
        .take(HEADER_SCAN_ROWS)
        .map(|r| r.cells.len())
        .collect();
    header_of(&widths)
}

/// [`header_index`] from the number of non-empty cells of the first non-empty rows.
fn header_of(widths: &[usize]) -> usize {
    let head = &widths[..widths.len().min(HEADER_SCAN_ROWS)];
    let widest = head.iter().copied().max().unwrap_or(0);
    head.iter().position(|&w| 2 * w >= widest).unwrap_or(0)
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

    assemble(&cols, headers, &stats, columns)
}

/// The data set of a sheet's columns (0-based positions `cols`), given each column's header
/// (trimmed, empty when there is none), what its cells show and its values.
fn assemble(
    cols: &[usize],
    headers: Vec<String>,
    stats: &[Stats],
    columns: Vec<Column>,
) -> Dataset {
    // An empty header is named after its column's position in the sheet, as SPSS does.
    let raw_names: Vec<String> = headers
        .iter()
        .zip(cols)
        .map(|(h, &c)| {
            if h.is_empty() {
                format!("VAR{:05}", c + 1)
            } else {
                h.clone()
            }
        })
        .collect();
    let names = spss_names(raw_names.iter().map(String::as_str));
    let mut ds = Dataset::default();
    for (((name, header), s), col) in names.into_iter().zip(headers).zip(stats).zip(columns) {
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

    /// Whether two data sets hold the same variables and values (NaN equal to NaN).
    fn same(a: &Dataset, b: &Dataset) -> bool {
        a.variables == b.variables
            && a.columns.len() == b.columns.len()
            && a.columns.iter().zip(&b.columns).all(|(x, y)| match (x, y) {
                (Column::Num(x), Column::Num(y)) => {
                    x.len() == y.len()
                        && x.iter()
                            .zip(y)
                            .all(|(p, q)| p == q || (p.is_nan() && q.is_nan()))
                }
                (Column::Str(x), Column::Str(y)) => x == y,
                _ => false,
            })
    }

    const PIECES: Split = Split {
        threads: 4,
        min_piece: 1,
    };

    #[test]
    fn rows_are_split_after_line_breaks_only_when_nothing_is_quoted() {
        let data = "1,2\n3,4\r\n5,6\n7,8";
        let Rows {
            parts,
            lines,
            plain,
        } = split_rows(data, PIECES);
        assert!(plain);
        assert_eq!(lines.iter().sum::<usize>(), 3);
        assert_eq!(parts.concat(), data);
        assert!(parts.len() > 1);
        assert!(parts[..parts.len() - 1].iter().all(|p| p.ends_with('\n')));
        let rows = split_rows("\"1\n2\",3\n4,5\n6,7\n", PIECES);
        assert_eq!(
            (rows.parts.len(), rows.lines, rows.plain),
            (1, vec![4], false)
        );
        let one = Split {
            threads: 1,
            min_piece: 1,
        };
        assert_eq!(split_rows(data, one).parts.len(), 1);
    }

    #[test]
    fn numbers_as_the_sheet_reader_reads_them() {
        for t in [
            "12",
            "-0.125",
            "1,234.50",
            "１２.５",
            "1e3",
            "+.5",
            "5.",
            "inf",
            "NaN",
            "0x10",
            "1 000",
            "\t5",
            "-",
            ".",
            "1.2.3",
            "-0",
            "-0.0",
            "007",
            "0.1",
            "-12.50",
            "1.",
            ".5",
            "-.5",
            "123456789012345",
            "1234567890123456",
            "0.000000000000001",
            "9007199254740993",
            "1.7976931348623157",
            "--1",
            "1-",
            "１，２３４",
        ] {
            assert_eq!(
                number(t),
                parse_decimal(t).map(|x| (x, decimals_of(t))),
                "{t:?}"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        #[test]
        fn plain_numbers_read_as_rusts_parser_reads_them(
            m in proptest::num::u64::ANY,
            digits in 1u32..18,
            decimals in 0usize..18,
            negative in proptest::bool::ANY,
        ) {
            let text = (m % 10u64.pow(digits)).to_string();
            let text = if decimals > 0 && decimals < text.len() {
                format!("{}.{}", &text[..text.len() - decimals], &text[text.len() - decimals..])
            } else {
                text
            };
            let text = if negative { format!("-{text}") } else { text };
            let want = parse_decimal(&text).map(|x| (x.to_bits(), decimals_of(&text)));
            proptest::prop_assert_eq!(number(&text).map(|(x, d)| (x.to_bits(), d)), want, "{}", text);
        }

        /// Rows read in pieces on several threads make the data set read in one piece: columns
        /// that turn to text in a later piece, columns only some pieces have, blank rows.
        #[test]
        fn pieces_make_the_same_data_set(
            rows in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::sample::select(vec![
                        "", " ", "1", "-2.5", "1.125", "１２", "'-3", "'=1", "abc", "商会", "#N/A",
                    ]),
                    0..5,
                ),
                1..40,
            ),
            crlf in proptest::bool::ANY,
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            let text: String = rows.iter().map(|r| r.join(",") + eol).collect();
            let bytes = text.as_bytes();
            let whole = read_dataset(bytes, "p.csv");
            let pieces = read_csv_columns(bytes, "p.csv", &DatasetLimits::LARGE, PIECES);
            match (whole, pieces) {
                (Ok(w), Ok(p)) => proptest::prop_assert!(same(&w, &p), "{text:?}"),
                (Err(w), Err(p)) => proptest::prop_assert_eq!(w, p),
                (w, p) => proptest::prop_assert!(false, "{text:?}: {:?} / {:?}", w.is_ok(), p.is_ok()),
            }
        }
    }

    #[test]
    fn decimals() {
        assert_eq!(decimals_of("1,234.50"), 2);
        assert_eq!(decimals_of("１２.５"), 1);
        assert_eq!(decimals_of("12"), 0);
        assert_eq!(decimals_of("-0.125"), 3);
    }
}
