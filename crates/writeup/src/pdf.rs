//! The report as PDF, laid out by Typst: a title page, the table of contents (目录), numbered
//! headings, paragraphs, bullet lists, tables whose header row repeats on every page, and the
//! charts as vector graphics, all set in the CJK font `fonts` found.
//!
//! The document becomes Typst markup in which every piece of the report's text is a Typst string
//! literal (`"…"`, escaped), never markup: a unit named `#1 商会 *总部*` stays that text. The
//! markup is compiled in a minimal [`World`] whose only files are the markup and the charts'
//! SVGs (`/fig-1.svg`, …); fonts and the standard library are built once per process.

use std::fmt::Write as _;
use std::sync::{Arc, LazyLock, OnceLock};

use chrono::{Datelike, Timelike};
use typst::diag::{FileError, FileResult, Severity, SourceDiagnostic, Warned};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_pdf::{PdfOptions, Timestamp};

use crate::document::{Align, Block, DocLang, Document, Figure, Table};
use crate::{WriteupError, fonts};

/// Width of the text area: A4 (210 mm) less two 2.5 cm margins, in pt. Charts wider than this
/// are scaled down to fit.
const TEXT_WIDTH_PT: f64 = 160.0 / 25.4 * 72.0;

/// SVG user units are CSS px: 96 per inch, 72 pt per inch.
const PT_PER_PX: f64 = 0.75;

/// How many compilations an unused memoised result survives in Typst's global cache. Typst
/// memoises layout across compilations (useful when the same report is rendered again) but never
/// frees it on its own; a long-running server must evict, or memory grows with every report.
const CACHE_MAX_AGE: usize = 3;

/// Beyond this many table cells the PDF is not tagged: tags cost ~200 bytes per cell (a
/// 3,000-row table of 4 columns: 2.6 MB tagged, 0.2 MB not) and half the export time. A report
/// of ordinary size keeps its structure for screen readers; a data dump stays small.
const TAGGED_MAX_CELLS: usize = 10_000;

/// `doc` as PDF bytes. Fails with [`WriteupError::NoCjkFont`] when no Chinese font is installed
/// (the PDF would show empty boxes), and with [`WriteupError::Pdf`] when Typst reports an error
/// or a warning (a warning means the layout is not what was asked for, e.g. a missing glyph).
pub fn render(doc: &Document) -> Result<Vec<u8>, WriteupError> {
    let fonts = typst_fonts()?;
    let world = ReportWorld::new(doc, fonts);
    let Warned { output, warnings } = typst::compile(&world);
    typst::comemo::evict(CACHE_MAX_AGE);
    let paged = output.map_err(|errors| diagnostics(&world, &errors))?;
    if !warnings.is_empty() {
        return Err(diagnostics(&world, &warnings));
    }
    typst_pdf::pdf(&paged, &pdf_options(doc)).map_err(|errors| diagnostics(&world, &errors))
}

/// The Typst markup for `doc`: the page setup, the title page, the table of contents and the
/// blocks in order. Public so the markup can be inspected and tested on its own.
pub fn markup(doc: &Document) -> String {
    // Tables dominate the size: about 40 bytes of markup per cell.
    let mut out = String::with_capacity(4096 + table_cells(doc) * 40);
    preamble(&mut out, doc);
    title_page(&mut out, doc);
    contents(&mut out, doc.lang);
    let mut figures = 0;
    for block in &doc.blocks {
        match block {
            Block::Heading { level, text } => heading(&mut out, *level, text),
            Block::Paragraph(text) => paragraph(&mut out, text),
            Block::Bullets(items) => bullets(&mut out, items),
            Block::Table(table) => table_block(&mut out, doc.lang, table),
            Block::Figure(figure) => {
                figures += 1;
                figure_block(&mut out, doc.lang, figure, figures);
            }
        }
    }
    out
}

/// Page, font, paragraph, heading and caption settings for the whole document.
fn preamble(out: &mut String, doc: &Document) {
    let (lang, region) = match doc.lang {
        DocLang::Zh => ("zh", "\"cn\""),
        DocLang::En => ("en", "none"),
    };
    out.push_str("#set document(title: ");
    string(out, &doc.title);
    out.push_str(")\n");
    out.push_str("#set page(paper: \"a4\", margin: 2.5cm)\n");
    // The CJK family first: its Latin glyphs match its Chinese ones. The Latin fallback covers
    // symbols the CJK font lacks.
    out.push_str("#set text(font: (");
    for file in font_families() {
        string(out, file);
        out.push_str(", ");
    }
    // No automatic space between Chinese and Latin characters: the report's text already has
    // the spaces its authors wanted (“54 家”), and the PDF's text then reads back as written.
    let _ = writeln!(
        out,
        "), size: 10.5pt, lang: \"{lang}\", region: {region}, cjk-latin-spacing: none)"
    );
    // Chinese paragraphs indent their first line by two characters, including the first
    // paragraph after a heading; English ones use space between paragraphs instead.
    match doc.lang {
        DocLang::Zh => out.push_str(
            "#set par(justify: true, leading: 0.8em, spacing: 0.8em, \
             first-line-indent: (amount: 2em, all: true))\n",
        ),
        DocLang::En => out.push_str("#set par(justify: true, leading: 0.7em, spacing: 1em)\n"),
    }
    // The numbering of the HTML and Word renderings (`html::heading_numbers`): Chinese official
    // documents' “一、” “（一）” “1.”; “1.” “1.1” “1.1.1” in English.
    match doc.lang {
        DocLang::Zh => out.push_str(
            "#set heading(numbering: (..n) => { let p = n.pos(); \
             if p.len() == 1 { numbering(\"一、\", ..p) } \
             else if p.len() == 2 { numbering(\"（一）\", p.at(1)) } \
             else { numbering(\"1.\", p.at(2)) } })\n",
        ),
        DocLang::En => out.push_str(
            "#set heading(numbering: (..n) => { let p = n.pos(); \
             if p.len() == 1 { numbering(\"1.\", ..p) } else { numbering(\"1.1\", ..p) } })\n",
        ),
    }
    if doc.lang == DocLang::Zh {
        // “一、总体情况”, “（一）报送情况”: full-width punctuation already ends in white space, so
        // no gap after it (Typst's default adds 0.3em), in the headings and in the contents.
        out.push_str(
            "#show heading: it => block({\nif it.numbering != none {\n\
             counter(heading).display(it.numbering)\nif it.level > 2 { h(0.5em) }\n}\n\
             it.body\n})\n",
        );
        out.push_str(
            "#show outline.entry: it => link(it.element.location(), \
             it.indented(it.prefix(), it.inner(), gap: if it.level <= 2 { 0em } else { 0.5em }))\n",
        );
    }
    out.push_str("#show heading: set block(above: 1.6em, below: 1em)\n");
    out.push_str("#show heading.where(level: 1): set text(size: 14pt)\n");
    out.push_str("#show heading.where(level: 2): set text(size: 12pt)\n");
    // Table captions go above the table (Chinese and most report styles), and a long table's
    // figure may break across pages: figures are unbreakable by default.
    out.push_str("#show figure.where(kind: table): set figure.caption(position: top)\n");
    out.push_str("#show figure: set block(breakable: true, above: 1.2em, below: 1.2em)\n");
    out.push_str("#show figure.caption: set text(weight: \"bold\")\n");
    out.push_str("#set table(stroke: 0.5pt + luma(140), inset: (x: 5pt, y: 3.5pt))\n");
    out.push_str("#set list(indent: 1em)\n\n");
}

/// The families in the order Typst should try them: the CJK family, then the fallbacks.
fn font_families() -> Vec<&'static str> {
    let mut families = vec![fonts::family()];
    if let Ok(files) = fonts::cjk() {
        for f in files {
            if !families.contains(&f.family.as_str()) {
                families.push(&f.family);
            }
        }
    }
    families
}

/// The title page: the title and the subtitle lines, centred, without a page number.
fn title_page(out: &mut String, doc: &Document) {
    out.push_str(
        "#page(numbering: none, {\nset par(first-line-indent: 0em, justify: false)\n\
         set align(center)\nv(1fr)\ntext(size: 22pt, weight: \"bold\", ",
    );
    string(out, &doc.title);
    out.push_str(")\nv(2.5em)\n");
    for line in &doc.subtitle {
        out.push_str("block(text(size: 13pt, ");
        string(out, line);
        out.push_str("))\n");
    }
    out.push_str("v(2fr)\n})\n\n");
}

/// The table of contents on its own page(s), numbered I, II…; the body starts on a new page
/// numbered 1.
fn contents(out: &mut String, lang: DocLang) {
    out.push_str("#set page(numbering: \"I\")\n#counter(page).update(1)\n");
    out.push_str("#{\nset par(first-line-indent: 0em)\noutline(title: ");
    string(out, lang.contents_word());
    out.push_str(", depth: 3)\n}\n");
    out.push_str("#set page(numbering: \"1\")\n#counter(page).update(1)\n\n");
}

fn heading(out: &mut String, level: u8, text: &str) {
    let _ = write!(out, "#heading(level: {}, ", level.clamp(1, 6));
    string(out, text);
    out.push_str(")\n\n");
}

/// A paragraph: the text as a string, then a blank line so Typst makes it a paragraph (which
/// the first-line indent applies to).
fn paragraph(out: &mut String, text: &str) {
    out.push('#');
    string(out, text);
    out.push_str("\n\n");
}

fn bullets(out: &mut String, items: &[String]) {
    out.push_str("#list(");
    for item in items {
        string(out, item);
        out.push_str(", ");
    }
    out.push_str(")\n\n");
}

/// A table in a numbered figure (表 1 …) with its caption above, the header row in bold and
/// repeated on every page, numbers right-aligned, and the note under it in smaller text.
fn table_block(out: &mut String, lang: DocLang, table: &Table) {
    let columns = table.header.len().max(1);
    out.push_str("#figure(kind: table, supplement: ");
    string(out, lang.table_word());
    out.push_str(", caption: figure.caption(position: top, ");
    string(out, &table.caption);
    let _ = write!(out, "), table(columns: {}, align: (", column_widths(table));
    for i in 0..columns {
        let align = table.align.get(i).copied().unwrap_or(Align::Left);
        out.push_str(match align {
            Align::Left => "left, ",
            Align::Right => "right, ",
        });
    }
    out.push_str("),\n");
    if !table.header.is_empty() {
        out.push_str("table.header(");
        for cell in &table.header {
            out.push_str("strong(");
            string(out, cell);
            out.push_str("), ");
        }
        out.push_str("),\n");
    }
    for row in &table.rows {
        // Short rows are padded so a malformed row cannot shift every later cell.
        for i in 0..columns {
            string(out, row.get(i).map_or("", String::as_str));
            out.push_str(", ");
        }
        out.push('\n');
    }
    out.push_str("))\n");
    if !table.note.is_empty() {
        out.push_str("#block(above: 0.6em, below: 1.2em, {\nset par(first-line-indent: 0em)\n");
        out.push_str("set text(size: 9pt)\n");
        string(out, &table.note);
        out.push_str("\n})\n");
    }
    out.push('\n');
}

/// The columns' widths as fractions of the text width, proportional to each column's widest
/// cell (counting a CJK character as two Latin ones), each at least a sixth of the average.
/// Fixed fractions instead of `auto` spare Typst measuring every cell of a long table before
/// laying it out, and keep a column of long names from squeezing the numbers.
fn column_widths(table: &Table) -> String {
    let columns = table.header.len().max(1);
    let mut widest = vec![1usize; columns];
    let rows = std::iter::once(&table.header).chain(&table.rows);
    for row in rows {
        for (w, cell) in widest.iter_mut().zip(row) {
            *w = (*w).max(display_width(cell));
        }
    }
    let total: usize = widest.iter().sum();
    let floor = (total / columns / 6).max(1);
    let mut out = String::from("(");
    for w in widest {
        let _ = write!(out, "{}fr, ", w.max(floor));
    }
    out.push(')');
    out
}

/// The width of `text` in Latin-character units: wide (CJK, full-width) characters count two.
fn display_width(text: &str) -> usize {
    text.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

fn is_wide(c: char) -> bool {
    matches!(u32::from(c),
        0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

/// A chart in a numbered figure (图 1 …) with its caption below; `n` is the figure's number,
/// which names its SVG file (see [`figure_path`]).
fn figure_block(out: &mut String, lang: DocLang, figure: &Figure, n: usize) {
    let _ = write!(out, "#figure(image(\"{}\", width: ", figure_path(n));
    let natural = figure.width * PT_PER_PX;
    if natural.is_finite() && natural > 0.0 && natural < TEXT_WIDTH_PT {
        let _ = write!(out, "{natural:.1}pt");
    } else {
        out.push_str("100%");
    }
    out.push_str("), supplement: ");
    string(out, lang.figure_word());
    out.push_str(", caption: ");
    string(out, &figure.caption);
    out.push_str(")\n\n");
}

/// The virtual path the `n`-th figure's SVG is served at.
fn figure_path(n: usize) -> String {
    format!("/fig-{n}.svg")
}

/// `text` as a Typst string literal: quotes and backslashes escaped, control characters as
/// `\u{…}`. Inside a string nothing is markup, so `#`, `*`, `_`, `$`, `<`, `@`, `[`, `//` and
/// the rest print as themselves.
fn string(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Typst's fonts, built once per process from `fonts::cjk()`: parsing the faces of two 20 MB
/// collections takes tens of milliseconds, too much to repeat per report.
struct TypstFonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

fn typst_fonts() -> Result<&'static TypstFonts, WriteupError> {
    static FONTS: OnceLock<TypstFonts> = OnceLock::new();
    if let Some(fonts) = FONTS.get() {
        return Ok(fonts);
    }
    // Not cached on failure (see `fonts::cjk`).
    let files = fonts::cjk()?;
    Ok(FONTS.get_or_init(|| {
        let fonts: Vec<Font> = files
            .iter()
            .flat_map(|f| Font::iter(Bytes::new(SharedBytes(f.data.clone()))))
            .collect();
        TypstFonts {
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
        }
    }))
}

/// A font file's bytes as Typst wants them (`AsRef<[u8]>`), shared with `fonts`' copy.
struct SharedBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

/// Typst's standard library, built once: it is large, and `LazyHash` then hashes it once.
fn library() -> &'static LazyHash<Library> {
    static LIBRARY: LazyLock<LazyHash<Library>> =
        LazyLock::new(|| LazyHash::new(Library::default()));
    &LIBRARY
}

/// A file id in the project's virtual root. Ids are interned for the process's lifetime, so
/// the same few paths are reused by every report rather than new ones made per report.
fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).expect("the renderer's own paths are valid");
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

/// The world one report is compiled in: its markup as the main file, its charts as SVG files,
/// and the shared fonts and library.
struct ReportWorld {
    main: Source,
    figures: Vec<FigureFile>,
    fonts: &'static TypstFonts,
    today: chrono::DateTime<chrono::Local>,
}

/// A chart's SVG as a file of the world; the caption names the chart in error messages.
struct FigureFile {
    id: FileId,
    svg: Bytes,
    caption: String,
}

impl ReportWorld {
    fn new(doc: &Document, fonts: &'static TypstFonts) -> Self {
        let main = Source::new(file_id("/main.typ"), markup(doc));
        let figures = doc
            .blocks
            .iter()
            .filter_map(|b| match b {
                Block::Figure(f) => Some(f),
                _ => None,
            })
            .enumerate()
            .map(|(i, f)| FigureFile {
                id: file_id(&figure_path(i + 1)),
                svg: Bytes::from_string(f.svg.clone()),
                caption: f.caption.clone(),
            })
            .collect();
        ReportWorld {
            main,
            figures,
            fonts,
            today: chrono::Local::now(),
        }
    }
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        library()
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.fonts.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(not_found(id))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            return Ok(Bytes::from_string(self.main.text().to_owned()));
        }
        self.figures
            .iter()
            .find(|f| f.id == id)
            .map(|f| f.svg.clone())
            .ok_or_else(|| not_found(id))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.fonts.get(index).cloned()
    }

    /// The date the report is rendered, local or at the given offset from UTC.
    fn today(&self, offset: Option<Duration>) -> Option<Datetime> {
        let date = match offset {
            None => self.today.date_naive(),
            Some(offset) => {
                let seconds = offset.seconds().round() as i64;
                (self.today.naive_utc() + chrono::Duration::seconds(seconds)).date()
            }
        };
        Datetime::from_ymd(
            date.year(),
            u8::try_from(date.month()).ok()?,
            u8::try_from(date.day()).ok()?,
        )
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().get_with_slash().into())
}

/// PDF export settings: stamped with the time of rendering, and tagged (structure for screen
/// readers and reflow) unless the tables are huge; see [`TAGGED_MAX_CELLS`].
fn pdf_options(doc: &Document) -> PdfOptions {
    PdfOptions {
        timestamp: now_timestamp(),
        tagged: table_cells(doc) <= TAGGED_MAX_CELLS,
        ..PdfOptions::default()
    }
}

/// How many table cells (header included) the document has.
fn table_cells(doc: &Document) -> usize {
    doc.blocks
        .iter()
        .map(|b| match b {
            Block::Table(t) => (t.rows.len() + 1) * t.header.len(),
            _ => 0,
        })
        .sum()
}

fn now_timestamp() -> Option<Timestamp> {
    let now = chrono::Local::now();
    let datetime = Datetime::from_ymd_hms(
        now.year(),
        u8::try_from(now.month()).ok()?,
        u8::try_from(now.day()).ok()?,
        u8::try_from(now.hour()).ok()?,
        u8::try_from(now.minute()).ok()?,
        u8::try_from(now.second()).ok()?,
    )?;
    Timestamp::new_local(datetime, now.offset().local_minus_utc() / 60)
}

/// Typst's diagnostics as one message: each one's text and hints, with the piece of generated
/// markup it points at (enough to find the bug in this module).
fn diagnostics(world: &ReportWorld, diags: &[SourceDiagnostic]) -> WriteupError {
    let mut message = String::new();
    for d in diags {
        if !message.is_empty() {
            message.push_str("; ");
        }
        if d.severity == Severity::Warning {
            message.push_str("warning: ");
        }
        message.push_str(&d.message);
        for hint in &d.hints {
            let _ = write!(message, " (hint: {})", hint.v);
        }
        let Some(id) = d.span.id() else { continue };
        if let Some(figure) = world.figures.iter().find(|f| f.id == id) {
            let _ = write!(message, " in chart “{}”", figure.caption);
        } else if let Some(snippet) = world
            .range(d.span)
            .filter(|_| id == world.main.id())
            .and_then(|r| world.main.text().get(r))
            .filter(|s| !s.is_empty())
        {
            let snippet: String = snippet.chars().take(80).collect();
            let _ = write!(message, " at `{snippet}`");
        }
    }
    WriteupError::Pdf(message)
}
