//! 读取年报工作簿：自动识别两种版式，逐值经模板检查，所有问题一次列出。
//! Reading annual-report workbooks: the layout of each sheet is found from its content, every
//! value goes through the template, and every problem comes back at once with its place.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use shanghui_core::report::Answers;
use shanghui_core::template::Template;
use shanghui_core::{Msg, value};

use super::columns::{Col, TableCol, Vocabulary};
use crate::grid::{Cell, Row, Sheet};
use crate::located::{Located, column_letter};
use crate::read::{is_instructions, read_sheets, unneutralize};
use crate::{HEADER_SCAN_ROWS, MAX_DATA_ROWS};

/// At most this many problems are listed, then one line says how many more there are: a file of
/// 70,000 rows filled against the wrong template would otherwise list millions, more than anyone
/// reads and more memory than the server should spend on one upload.
pub const MAX_LISTED_PROBLEMS: usize = 10_000;

/// One chamber's report as read from a file: where it is, how it names its unit (the caller finds
/// the unit in the registry) and its answers, read and checked by the template.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRow {
    pub sheet: String,
    /// 1-based, as Excel shows it: the unit's row in layout (a), the row of 单位编号 (or of the
    /// first label naming the unit) in layout (b).
    pub row: usize,
    pub id: Option<i64>,
    /// Trimmed, as written.
    pub name: Option<String>,
    /// Upper case with full-width letters folded; `None` when empty or 无.
    pub uscc: Option<String>,
    pub answers: Answers,
    /// The optional 报送日期 (`submitted_on`) column or label.
    pub submitted_on: Option<NaiveDate>,
}

/// Reads annual reports from a workbook (xlsx, xlsm, xlsb, xls, ods) or a CSV file (UTF-8 with or
/// without BOM, GBK), each sheet in whichever layout it has:
///
/// - (a) one row per unit: a header block whose columns are named by item codes or labels in
///   either language (a row of labels, an optional row of codes, optional section headings above,
///   headers merged over several rows); 单位编号 / 单位名称 / 统一社会信用代码 columns name the
///   unit, at least one of them must be there; an optional 报送日期 column. Sheets of instructions
///   (说明) are passed over.
/// - (b) one sheet per unit: label–value pairs on top (单位编号, 单位名称, 统一社会信用代码, 年度,
///   报送日期), then a table whose 代码 column names the item (or, without a code, its 项目
///   label) and whose 填报内容 column holds the answer.
///
/// Every value goes through [`Template::read`]. All or nothing: any problem — an unknown column,
/// an unreadable value, a required item left empty, a row that names no unit, an id that is not a
/// number, the same unit twice — and the result is `Err` with all of them (up to
/// [`MAX_LISTED_PROBLEMS`]), each with its sheet, row, column, header and value.
pub fn read_reports(
    bytes: &[u8],
    file_name: &str,
    t: &Template,
) -> Result<Vec<ReportRow>, Vec<Located>> {
    let sheets = read_sheets(bytes, file_name)?;
    let mut import = Import::new(t);
    let mut any_report = false;
    let all_empty = sheets.iter().all(|s| s.rows.is_empty());
    for sheet in sheets {
        if sheet.rows.is_empty() {
            continue;
        }
        if let Some(form) = find_form(&sheet, &import.vocab) {
            import.form_sheet(&sheet, &form);
            any_report = true;
        } else if is_instructions(&sheet.name) {
            continue;
        } else if let Some(block) = find_block(&sheet, &import.vocab) {
            import.rows_sheet(sheet, block);
            any_report = true;
        }
        if import.rows.len() > MAX_DATA_ROWS {
            return Err(vec![Located::file(
                Msg::new("files.too_many_rows").with("max", MAX_DATA_ROWS),
            )]);
        }
    }
    if !any_report {
        let key = if all_empty {
            "files.empty_file"
        } else {
            "files.rpt.no_reports"
        };
        import.problems.push(Located::file(Msg::new(key)));
    }
    import.finish()
}

/// Problems as they are found, listed up to [`MAX_LISTED_PROBLEMS`].
#[derive(Default)]
struct Problems {
    list: Vec<Located>,
    unlisted: usize,
}

impl Problems {
    fn push(&mut self, l: Located) {
        if self.list.len() < MAX_LISTED_PROBLEMS {
            self.list.push(l);
        } else {
            self.unlisted += 1;
        }
    }

    fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    fn into_vec(mut self) -> Vec<Located> {
        if self.unlisted > 0 {
            self.list.push(Located::file(
                Msg::new("files.rpt.more_problems").with("count", self.unlisted),
            ));
        }
        self.list
    }
}

/// A cell's place, for pinning problems: 1-based row, 0-based column, the header it is under.
#[derive(Debug, Clone, Copy)]
struct Place<'h> {
    row: usize,
    col: usize,
    header: &'h str,
}

/// A cell's text and its place.
struct Found<'h> {
    at: Place<'h>,
    text: String,
}

/// What one unit's row (a) or sheet (b) holds, before it is checked.
struct Unit<'h> {
    row: usize,
    id: Option<Found<'h>>,
    name: Option<Found<'h>>,
    uscc: Option<Found<'h>>,
    submitted: Option<Found<'h>>,
    /// Item code → text, as [`Template::read`] takes it.
    raw: BTreeMap<String, String>,
    /// Items whose cell held an error value (already reported, so not "required" as well).
    errored: Vec<usize>,
}

impl<'h> Unit<'h> {
    fn new(row: usize) -> Self {
        Unit {
            row,
            id: None,
            name: None,
            uscc: None,
            submitted: None,
            raw: BTreeMap::new(),
            errored: Vec::new(),
        }
    }

    fn set(&mut self, col: Col, found: Found<'h>) {
        let slot = match col {
            Col::Id => &mut self.id,
            Col::Name => &mut self.name,
            Col::Uscc => &mut self.uscc,
            Col::SubmittedOn => &mut self.submitted,
            Col::Year | Col::Number | Col::Item(_) => return,
        };
        *slot = Some(found);
    }
}

/// Where each identifier was first seen: (sheet, row).
#[derive(Default)]
struct Seen {
    ids: HashMap<i64, (usize, usize)>,
    usccs: HashMap<String, (usize, usize)>,
    /// Names of rows that name their unit by nothing else.
    names: HashMap<String, (usize, usize)>,
}

/// The file being read.
struct Import<'t> {
    vocab: Vocabulary<'t>,
    problems: Problems,
    rows: Vec<ReportRow>,
    sheet_names: Vec<String>,
    seen: Seen,
}

/// A text cell's content with the formula guard taken off, without copying it.
fn unquote(mut s: String) -> String {
    if unneutralize(&s).len() < s.len() {
        s.remove(0);
    }
    s
}

fn cell_text(cell: &Cell) -> &str {
    match cell {
        Cell::Text(t) | Cell::Error(t) => t,
    }
}

/// Spellings of "no code" in the credit-code column (未取得代码的填“无”).
fn is_none_text(s: &str) -> bool {
    matches!(
        s,
        "无" | "没有" | "暂无" | "-" | "—" | "——" | "/" | "N/A" | "NONE"
    )
}

/// A problem at a cell.
fn at(sheet: &str, p: Place<'_>, msg: Msg) -> Located {
    let l = Located::in_sheet(sheet, msg).row(p.row).column(p.col);
    if p.header.is_empty() {
        l
    } else {
        l.header(p.header)
    }
}

fn with_value(l: Located, value: Option<&str>) -> Located {
    match value.filter(|v| !v.is_empty()) {
        Some(v) => l.value(v),
        None => l,
    }
}

impl<'t> Import<'t> {
    fn new(t: &'t Template) -> Self {
        Import {
            vocab: Vocabulary::new(t),
            problems: Problems::default(),
            rows: Vec::new(),
            sheet_names: Vec::new(),
            seen: Seen::default(),
        }
    }

    fn finish(self) -> Result<Vec<ReportRow>, Vec<Located>> {
        if self.problems.is_empty() {
            Ok(self.rows)
        } else {
            Err(self.problems.into_vec())
        }
    }

    /// Checks one unit and keeps its row. `locate` gives the place of an item's answer; the items
    /// it cannot place and that are missing are returned, so that the caller reports them once
    /// (a missing column) or per sheet (a missing row of the table).
    fn unit<'h>(
        &mut self,
        sheet: usize,
        unit: Unit<'h>,
        locate: &dyn Fn(usize) -> Option<Place<'h>>,
    ) -> Vec<usize> {
        let name = self.sheet_names[sheet].clone();
        let id = unit.id.as_ref().and_then(|f| {
            self.parsed(&name, f, "files.rpt.expected_id", |s| {
                value::parse_int(s).filter(|n| *n >= 1)
            })
        });
        let uscc = unit
            .uscc
            .as_ref()
            .map(|f| value::normalize(&f.text).to_uppercase())
            .filter(|u| !u.is_empty() && !is_none_text(u));
        let unit_name = unit
            .name
            .as_ref()
            .map(|f| value::trim(&f.text).to_string())
            .filter(|n| !n.is_empty());
        // An id that is not a number is reported already.
        if unit.id.is_none() && uscc.is_none() && unit_name.is_none() {
            self.problems
                .push(Located::in_sheet(&name, Msg::new("files.rpt.no_unit")).row(unit.row));
        }
        self.duplicates(sheet, &unit, id, uscc.as_deref(), unit_name.as_deref());
        let submitted_on = unit
            .submitted
            .as_ref()
            .and_then(|f| self.parsed(&name, f, "expected.date", value::parse_date));
        let (answers, unplaced) = self.answers(&name, &unit, locate);
        self.rows.push(ReportRow {
            sheet: name,
            row: unit.row,
            id,
            name: unit_name,
            uscc,
            answers,
            submitted_on,
        });
        unplaced
    }

    /// A cell read with `parse`, or reported as unreadable (`expected` names what it should be).
    fn parsed<T>(
        &mut self,
        sheet: &str,
        f: &Found<'_>,
        expected: &'static str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let v = parse(&f.text);
        if v.is_none() {
            let msg = Msg::new("problem.unreadable")
                .with("value", &f.text)
                .with_key("expected", expected);
            self.problems.push(at(sheet, f.at, msg).value(&f.text));
        }
        v
    }

    /// The unit's answers through [`Template::read`], each problem pinned to its cell. Missing
    /// items with no place are returned instead.
    fn answers<'h>(
        &mut self,
        sheet: &str,
        unit: &Unit<'h>,
        locate: &dyn Fn(usize) -> Option<Place<'h>>,
    ) -> (Answers, Vec<usize>) {
        let (answers, problems) = self.vocab.t.read(&unit.raw);
        let mut unplaced = Vec::new();
        for (code, msg) in problems {
            let Some(i) = self.vocab.index(&code) else {
                continue;
            };
            let missing = msg.key == "problem.required";
            if missing && unit.errored.contains(&i) {
                continue;
            }
            match locate(i) {
                Some(p) => self.problems.push(with_value(
                    at(sheet, p, msg),
                    unit.raw.get(&code).map(String::as_str),
                )),
                None if missing => unplaced.push(i),
                None => self
                    .problems
                    .push(Located::in_sheet(sheet, msg).row(unit.row).header(&code)),
            }
        }
        (answers, unplaced)
    }

    /// The same unit twice in one file: by id, by credit code, or (for rows naming their unit by
    /// nothing else) by name. Named at the later row, with the earlier one in the message.
    fn duplicates(
        &mut self,
        sheet: usize,
        unit: &Unit<'_>,
        id: Option<i64>,
        uscc: Option<&str>,
        name: Option<&str>,
    ) {
        let here = (sheet, unit.row);
        let mut first: Option<((usize, usize), &Found<'_>)> = None;
        if let (Some(id), Some(f)) = (id, &unit.id) {
            match self.seen.ids.entry(id) {
                Entry::Occupied(e) => first = first.or(Some((*e.get(), f))),
                Entry::Vacant(e) => {
                    e.insert(here);
                }
            }
        }
        if let (Some(u), Some(f)) = (uscc, &unit.uscc) {
            match self.seen.usccs.entry(u.to_string()) {
                Entry::Occupied(e) => first = first.or(Some((*e.get(), f))),
                Entry::Vacant(e) => {
                    e.insert(here);
                }
            }
        }
        if let (None, None, Some(n), Some(f)) = (id, uscc, name, &unit.name) {
            match self.seen.names.entry(value::normalize(n)) {
                Entry::Occupied(e) => first = first.or(Some((*e.get(), f))),
                Entry::Vacant(e) => {
                    e.insert(here);
                }
            }
        }
        if let Some(((s, r), f)) = first {
            let msg = Msg::new("files.rpt.duplicate_unit")
                .with("sheet", &self.sheet_names[s])
                .with("row", r);
            let sheet_name = &self.sheet_names[sheet];
            self.problems
                .push(at(sheet_name, f.at, msg).value(value::trim(&f.text)));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Layout (a): one row per unit.

/// The header block of a layout (a) sheet: `sheet.rows[start..end]`.
struct Block {
    start: usize,
    end: usize,
}

/// How many of a row's cells are headers, and how many different columns they name.
fn recognised(row: &Row, vocab: &Vocabulary<'_>) -> (usize, usize) {
    let mut cols: Vec<Col> = Vec::new();
    let mut count = 0;
    for (_, cell) in &row.cells {
        if let Cell::Text(t) = cell
            && let Some(c) = vocab.col(t)
        {
            count += 1;
            if !cols.contains(&c) {
                cols.push(c);
            }
        }
    }
    (count, cols.len())
}

/// The header block: around the first of the first [`HEADER_SCAN_ROWS`] rows naming at least two
/// different columns, the rows right above it that name any column (a row of section headings
/// with 单位编号 merged down over two rows), and the rows right below it that are at least half
/// headers (a row of codes, the second row of headers merged over two rows). Rows of titles or
/// section headings alone above it are passed over. Two different columns, so that a list of
/// items with their codes (as on a sheet of instructions) is not taken for a header.
fn find_block(sheet: &Sheet, vocab: &Vocabulary<'_>) -> Option<Block> {
    let first = sheet
        .rows
        .iter()
        .take(HEADER_SCAN_ROWS)
        .position(|r| recognised(r, vocab).1 >= 2)?;
    let mut start = first;
    while start > 0
        && sheet.rows[start - 1].index + 1 == sheet.rows[start].index
        && recognised(&sheet.rows[start - 1], vocab).0 > 0
    {
        start -= 1;
    }
    let mut end = first + 1;
    while let Some(row) = sheet.rows.get(end) {
        let (count, _) = recognised(row, vocab);
        let adjacent = row.index == sheet.rows[end - 1].index + 1;
        if !adjacent || count == 0 || count * 2 < row.cells.len() {
            break;
        }
        end += 1;
    }
    Some(Block { start, end })
}

/// What a column's header says.
enum Heading {
    Known(Col),
    Unknown,
}

/// A column of the header block: what it is, its header as written, and the 1-based row of that
/// header.
struct HeaderCol {
    heading: Heading,
    text: String,
    row: usize,
}

impl<'t> Import<'t> {
    /// Reads the header block into one heading per column, reporting headers that name no column,
    /// columns named twice, two headers of one column that disagree, and a sheet without any column
    /// naming the unit.
    fn header(&mut self, sheet: &Sheet, block: &Block) -> Vec<Option<HeaderCol>> {
        let name = &sheet.name;
        let mut cols: Vec<Option<HeaderCol>> = Vec::new();
        for row in &sheet.rows[block.start..block.end] {
            for (c, cell) in &row.cells {
                if cols.len() <= *c {
                    cols.resize_with(c + 1, || None);
                }
                let text = cell_text(cell);
                let found = match cell {
                    Cell::Text(t) => self.vocab.col(t),
                    Cell::Error(_) => None,
                };
                let here = HeaderCol {
                    heading: found.map_or(Heading::Unknown, Heading::Known),
                    text: unneutralize(text).to_string(),
                    row: row.index + 1,
                };
                let before = cols[*c].as_ref().map(|h| match h.heading {
                    Heading::Known(k) => Some((k, h.text.clone())),
                    Heading::Unknown => None,
                });
                match (before, found) {
                    // The first header of the column, or one that says more than the last.
                    (None | Some(None), _) => cols[*c] = Some(here),
                    (Some(Some((k, first))), Some(f)) if k != f => {
                        self.problems.push(
                            Located::in_sheet(
                                name,
                                Msg::new("files.rpt.header_conflict").with("first", first),
                            )
                            .row(here.row)
                            .column(*c)
                            .header(&here.text),
                        );
                    }
                    // A section heading above, or the code under its label.
                    _ => {}
                }
            }
        }
        self.check_header(name, &cols, block_row(sheet, block));
        cols
    }

    fn check_header(&mut self, name: &str, cols: &[Option<HeaderCol>], header_row: usize) {
        let mut first: HashMap<Col, usize> = HashMap::new();
        for (c, h) in cols.iter().enumerate() {
            let Some(h) = h else { continue };
            let at = Located::in_sheet(name, Msg::new("files.rpt.unknown_column"))
                .row(h.row)
                .column(c)
                .header(&h.text);
            match h.heading {
                Heading::Unknown => self.problems.push(at),
                Heading::Known(Col::Number | Col::Year) => {}
                Heading::Known(k) => match first.entry(k) {
                    Entry::Occupied(e) => self.problems.push(Located {
                        msg: Msg::new("files.duplicate_column")
                            .with("first", column_letter(*e.get())),
                        ..at
                    }),
                    Entry::Vacant(e) => {
                        e.insert(c);
                    }
                },
            }
        }
        if ![Col::Id, Col::Name, Col::Uscc]
            .iter()
            .any(|c| first.contains_key(c))
        {
            self.problems.push(
                Located::in_sheet(name, Msg::new("files.rpt.no_unit_column")).row(header_row),
            );
        }
    }

    /// Reads a layout (a) sheet: one unit a row below the header block.
    fn rows_sheet(&mut self, sheet: Sheet, block: Block) {
        let cols = self.header(&sheet, &block);
        let header_row = block_row(&sheet, &block);
        let sheet_index = self.sheet_names.len();
        self.sheet_names.push(sheet.name.clone());
        // Each item's column: its own, or the unit column that answers it.
        let mut item_col: Vec<Option<usize>> = vec![None; self.vocab.t.items.len()];
        for (c, h) in cols.iter().enumerate() {
            if let Some(HeaderCol {
                heading: Heading::Known(k),
                ..
            }) = h
            {
                let item = match k {
                    Col::Item(i) => Some(*i),
                    other => self.vocab.alias(*other),
                };
                if let Some(i) = item {
                    item_col[i].get_or_insert(c);
                }
            }
        }
        let mut orphans: BTreeMap<usize, usize> = BTreeMap::new();
        let mut unplaced: BTreeMap<usize, usize> = BTreeMap::new();
        let name = sheet.name;
        for row in sheet.rows.into_iter().skip(block.end) {
            let number = row.index + 1;
            let Some(unit) = self.row_unit(&name, row, &cols, &mut orphans) else {
                continue;
            };
            let locate = |i: usize| {
                let c = item_col[i]?;
                let h = cols[c].as_ref()?;
                Some(Place {
                    row: number,
                    col: c,
                    header: &h.text,
                })
            };
            for i in self.unit(sheet_index, unit, &locate) {
                unplaced.entry(i).or_insert(number);
            }
        }
        for (i, first_row) in unplaced {
            let item = &self.vocab.t.items[i];
            self.problems.push(
                Located::in_sheet(
                    &name,
                    Msg::new("files.rpt.missing_item_column")
                        .with("item", &item.label_zh)
                        .with("code", &item.code)
                        .with("row", first_row),
                )
                .row(header_row),
            );
        }
        for (c, first_row) in orphans {
            self.problems.push(
                Located::in_sheet(
                    &name,
                    Msg::new("files.orphan_column").with("row", first_row),
                )
                .row(header_row)
                .column(c),
            );
        }
    }

    /// One data row as a unit, or `None` when it holds nothing to read (empty, or only row
    /// numbers and cells under headers already reported).
    fn row_unit<'h>(
        &mut self,
        sheet: &str,
        row: Row,
        cols: &'h [Option<HeaderCol>],
        orphans: &mut BTreeMap<usize, usize>,
    ) -> Option<Unit<'h>> {
        let number = row.index + 1;
        let mut unit = Unit::new(number);
        let mut any = false;
        for (c, cell) in row.cells {
            let Some(h) = cols.get(c).and_then(Option::as_ref) else {
                orphans.entry(c).or_insert(number);
                continue;
            };
            let Heading::Known(col) = h.heading else {
                continue;
            };
            if matches!(col, Col::Number | Col::Year) {
                continue;
            }
            any = true;
            let item = match col {
                Col::Item(i) => Some(i),
                other => self.vocab.alias(other),
            };
            let text = match cell {
                Cell::Text(s) => unquote(s),
                Cell::Error(e) => {
                    unit.errored.extend(item);
                    self.problems.push(
                        Located::in_sheet(sheet, Msg::new("files.cell_error"))
                            .row(number)
                            .column(c)
                            .header(&h.text)
                            .value(&e),
                    );
                    continue;
                }
            };
            let place = Place {
                row: number,
                col: c,
                header: &h.text,
            };
            match (col, item) {
                (Col::Item(_), Some(i)) => {
                    unit.raw.insert(self.vocab.t.items[i].code.clone(), text);
                }
                (_, Some(i)) => {
                    unit.raw
                        .insert(self.vocab.t.items[i].code.clone(), text.clone());
                    unit.set(col, Found { at: place, text });
                }
                (_, None) => unit.set(col, Found { at: place, text }),
            }
        }
        any.then_some(unit)
    }
}

/// The 1-based row of a header block's last row, where sheet-wide header problems are shown.
fn block_row(sheet: &Sheet, block: &Block) -> usize {
    sheet.rows[block.end - 1].index + 1
}

// ---------------------------------------------------------------------------------------------
// Layout (b): one sheet per unit.

/// A layout (b) sheet: the position in `sheet.rows` of the table's header row and its columns.
struct Form {
    table: usize,
    code: usize,
    answer: usize,
    label: Option<usize>,
}

/// A label–value pair on top of a layout (b) sheet: the row's first cell names a unit column,
/// the next non-empty cell (with its column) is its value.
struct Pair<'r> {
    col: Col,
    label: &'r str,
    value: Option<&'r (usize, Cell)>,
}

fn pair<'r>(row: &'r Row, vocab: &Vocabulary<'_>) -> Option<Pair<'r>> {
    let (_, first) = row.cells.first()?;
    let Cell::Text(label) = first else {
        return None;
    };
    let col = vocab.col(label)?;
    if matches!(col, Col::Item(_) | Col::Number) {
        return None;
    }
    Some(Pair {
        col,
        label,
        value: row.cells.get(1),
    })
}

/// A sheet is layout (b) when one of its first rows heads a table with 代码 and 填报内容 columns
/// and a label above it names the unit.
fn find_form(sheet: &Sheet, vocab: &Vocabulary<'_>) -> Option<Form> {
    for (p, row) in sheet.rows.iter().enumerate().take(HEADER_SCAN_ROWS) {
        let mut cols: HashMap<TableCol, usize> = HashMap::new();
        for (c, cell) in &row.cells {
            if let Cell::Text(t) = cell
                && let Some(tc) = vocab.table_col(t)
            {
                cols.entry(tc).or_insert(*c);
            }
        }
        let (Some(&code), Some(&answer)) = (cols.get(&TableCol::Code), cols.get(&TableCol::Answer))
        else {
            continue;
        };
        let names_unit = sheet.rows[..p].iter().any(|r| {
            pair(r, vocab).is_some_and(|p| matches!(p.col, Col::Id | Col::Name | Col::Uscc))
        });
        return names_unit.then(|| Form {
            table: p,
            code,
            answer,
            label: cols.get(&TableCol::Label).copied(),
        });
    }
    None
}

fn cell_at(row: &Row, col: usize) -> Option<&Cell> {
    row.cells
        .iter()
        .find(|(c, _)| *c == col)
        .map(|(_, cell)| cell)
}

/// Where an item's row is in the table: its 1-based row and its label as written.
struct ItemRow {
    row: usize,
    label: String,
}

impl<'t> Import<'t> {
    /// Reads a layout (b) sheet: the unit from the pairs on top, the answers from the table.
    fn form_sheet(&mut self, sheet: &Sheet, form: &Form) {
        let name = &sheet.name;
        let sheet_index = self.sheet_names.len();
        self.sheet_names.push(name.clone());
        let pairs: Vec<_> = sheet.rows[..form.table]
            .iter()
            .filter_map(|r| pair(r, &self.vocab).map(|p| (r.index + 1, p)))
            .collect();
        let unit_row = pairs
            .iter()
            .find(|(_, p)| p.col == Col::Id)
            .or_else(|| pairs.first())
            .map_or(1, |(r, _)| *r);
        let mut unit = Unit::new(unit_row);
        let by_pair = self.pairs(name, &pairs, &mut unit);
        let items = self.table(sheet, form, &mut unit);
        let locate = |i: usize| match items.get(&i) {
            Some(r) => Some(Place {
                row: r.row,
                col: form.answer,
                header: &r.label,
            }),
            None => by_pair.get(&i).copied(),
        };
        let unplaced = self.unit(sheet_index, unit, &locate);
        for i in unplaced {
            let item = &self.vocab.t.items[i];
            self.problems.push(
                Located::in_sheet(
                    name,
                    Msg::new("files.rpt.missing_item_row").with("code", &item.code),
                )
                .row(unit_row)
                .header(&item.label_zh),
            );
        }
    }

    /// Reads the pairs on top of a layout (b) sheet into the unit; returns the places of the items
    /// a pair answers (the credit code).
    fn pairs<'h>(
        &mut self,
        sheet: &str,
        pairs: &[(usize, Pair<'h>)],
        unit: &mut Unit<'h>,
    ) -> HashMap<usize, Place<'h>> {
        let mut by_pair = HashMap::new();
        for (row, p) in pairs {
            let Some((c, cell)) = p.value else { continue };
            let place = Place {
                row: *row,
                col: *c,
                header: p.label,
            };
            let item = self.vocab.alias(p.col);
            if let Some(i) = item {
                by_pair.insert(i, place);
            }
            match cell {
                Cell::Error(e) => {
                    unit.errored.extend(item);
                    self.problems
                        .push(at(sheet, place, Msg::new("files.cell_error")).value(e));
                }
                Cell::Text(t) => {
                    let text = unneutralize(t).to_string();
                    if let Some(i) = item {
                        unit.raw
                            .insert(self.vocab.t.items[i].code.clone(), text.clone());
                    }
                    unit.set(p.col, Found { at: place, text });
                }
            }
        }
        by_pair
    }

    /// Reads the item table of a layout (b) sheet into `unit.raw`, reporting unknown codes, rows
    /// whose item cannot be told and items given twice. Returns each item's row.
    fn table(
        &mut self,
        sheet: &Sheet,
        form: &Form,
        unit: &mut Unit<'_>,
    ) -> HashMap<usize, ItemRow> {
        let name = &sheet.name;
        let code_header = cell_at(&sheet.rows[form.table], form.code).map_or("", cell_text);
        let answer_header = cell_at(&sheet.rows[form.table], form.answer).map_or("", cell_text);
        let mut items: HashMap<usize, ItemRow> = HashMap::new();
        for row in &sheet.rows[form.table + 1..] {
            let number = row.index + 1;
            let code = cell_at(row, form.code).map(cell_text);
            let answer = cell_at(row, form.answer);
            let label = form.label.and_then(|c| cell_at(row, c)).map(cell_text);
            let item = match code {
                Some(code) => match self.vocab.item(code) {
                    Some(i) => i,
                    None => {
                        self.problems.push(
                            Located::in_sheet(name, Msg::new("files.rpt.unknown_item"))
                                .row(number)
                                .column(form.code)
                                .header(code_header)
                                .value(code),
                        );
                        continue;
                    }
                },
                None => match label.and_then(|l| self.vocab.item(l)) {
                    Some(i) => i,
                    None => {
                        // A section heading, or a note: only an answer makes it a problem.
                        if let Some(a) = answer {
                            self.problems.push(
                                Located::in_sheet(name, Msg::new("files.rpt.no_item"))
                                    .row(number)
                                    .column(form.answer)
                                    .header(answer_header)
                                    .value(cell_text(a)),
                            );
                        }
                        continue;
                    }
                },
            };
            let item_label = label.unwrap_or(&self.vocab.t.items[item].label_zh);
            if let Some(first) = items.get(&item) {
                self.problems.push(
                    Located::in_sheet(
                        name,
                        Msg::new("files.rpt.duplicate_item").with("row", first.row),
                    )
                    .row(number)
                    .column(form.code)
                    .header(item_label)
                    .value(code.unwrap_or("")),
                );
                continue;
            }
            items.insert(
                item,
                ItemRow {
                    row: number,
                    label: item_label.to_string(),
                },
            );
            match answer {
                Some(Cell::Text(t)) => {
                    unit.raw.insert(
                        self.vocab.t.items[item].code.clone(),
                        unneutralize(t).to_string(),
                    );
                }
                Some(Cell::Error(e)) => {
                    unit.errored.push(item);
                    self.problems.push(
                        Located::in_sheet(name, Msg::new("files.cell_error"))
                            .row(number)
                            .column(form.answer)
                            .header(item_label)
                            .value(e),
                    );
                }
                None => {}
            }
        }
        items
    }
}
