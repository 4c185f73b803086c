//! The report as HTML: `render` gives a standalone, printable page (inline CSS, charts inlined
//! as SVG, nothing fetched), `body` the same report without the page around it for the web
//! server to place inside its own layout, with [`CSS`] scoped under `.writeup`.
//!
//! Headings are numbered the way Chinese official documents are (一、 （一） 1.) or, in
//! English, 1. 1.1 1.1.1; tables and figures are numbered in order (表 1, 图 1). All text is
//! escaped; a figure's SVG is trusted (it comes from `charts`) and inlined as is.

use std::fmt::Write as _;

use crate::charts::esc;
use crate::document::{Align, Block, DocLang, Document, Figure, Table};

/// The report's styles, every rule under `.writeup` so they do not leak into the site's pages.
/// Print rules: headings stay with what follows, figures and table rows are not split, a table's
/// header row repeats on every page, and the title block and contents end their page.
pub const CSS: &str = r#".writeup { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "SimHei", sans-serif; color: #1f2933; line-height: 1.75; max-width: 48rem; margin: 0 auto; }
.writeup .title-block { text-align: center; padding: 6rem 0 4rem; }
.writeup .doc-title { font-size: 1.9rem; font-weight: 700; line-height: 1.4; margin: 0 0 2.5rem; }
.writeup .subtitle { font-size: 1.1rem; color: #3e4c59; margin: .3rem 0; }
.writeup nav.toc .toc-title { font-size: 1.4rem; font-weight: 700; text-align: center; margin: 1rem 0; }
.writeup nav.toc ul { list-style: none; padding: 0; margin: 0 0 2rem; }
.writeup nav.toc li { margin: .2rem 0; }
.writeup nav.toc li.toc-2 { padding-left: 2em; }
.writeup nav.toc li.toc-3 { padding-left: 4em; }
.writeup nav.toc a { color: inherit; text-decoration: none; }
.writeup nav.toc a:hover { text-decoration: underline; }
.writeup .title-block, .writeup nav.toc { break-after: page; page-break-after: always; }
.writeup h1, .writeup h2, .writeup h3 { line-height: 1.4; break-after: avoid; page-break-after: avoid; }
.writeup h1 { font-size: 1.4rem; margin: 2rem 0 .8rem; }
.writeup h2 { font-size: 1.2rem; margin: 1.6rem 0 .6rem; }
.writeup h3 { font-size: 1.05rem; margin: 1.2rem 0 .5rem; }
.writeup p.text { margin: .6rem 0; text-align: justify; }
.writeup p.text:lang(zh) { text-indent: 2em; }
.writeup ul.bullets { margin: .6rem 0; padding-left: 2em; }
.writeup ul.bullets li { margin: .2rem 0; }
.writeup table { border-collapse: collapse; width: 100%; margin: 1rem 0 .3rem; font-size: .92rem; line-height: 1.5; }
.writeup table caption { caption-side: top; text-align: center; font-weight: 600; padding: .3rem 0; }
.writeup th, .writeup td { border: 1px solid #c5ccd4; padding: .25rem .5rem; text-align: left; vertical-align: top; }
.writeup th { background: #eef1f4; font-weight: 600; }
.writeup thead { display: table-header-group; }
.writeup tr { break-inside: avoid; page-break-inside: avoid; }
.writeup th.num, .writeup td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.writeup p.table-note { font-size: .85rem; color: #52606d; margin: .2rem 0 1.2rem; }
.writeup figure { margin: 1.2rem 0; text-align: center; break-inside: avoid; page-break-inside: avoid; }
.writeup figure svg { display: block; margin: 0 auto; max-width: 100%; height: auto; }
.writeup figcaption { font-size: .92rem; font-weight: 600; margin-top: .3rem; }
@media print {
  .writeup { max-width: none; font-size: 11pt; }
  .writeup .title-block { padding-top: 30%; }
  .writeup a { color: inherit; text-decoration: none; }
}
"#;

/// What only the standalone page needs: A4 pages with margins and page numbers, and the page's
/// own margins on screen. `@page` cannot be scoped, so it stays out of [`CSS`].
const PAGE_CSS: &str = r#"@page { size: A4; margin: 25mm 20mm 22mm; @bottom-center { content: counter(page); font-size: 9pt; } }
html { background: #ffffff; }
body { margin: 0; padding: 2rem 1rem; }
@media print { body { padding: 0; } }
"#;

/// The standalone page: `<!DOCTYPE html>`, the language, charset and title, the styles inline,
/// then the title block, the table of contents and the sections. Opens and prints offline.
pub fn render(doc: &Document) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>\n{PAGE_CSS}{CSS}</style>\n</head>\n<body>\n\
         <div class=\"writeup\" lang=\"{lang}\">\n",
        lang = doc.lang.tag(),
        title = esc(&doc.title),
    );
    title_block(&mut out, doc);
    contents(&mut out, doc);
    out.push_str("</div>\n</body>\n</html>\n");
    out
}

/// The report without the page around it or its title block: the table of contents and the
/// sections in a `<div class="writeup">`, for a page that brings its own heading and includes
/// [`CSS`].
pub fn body(doc: &Document) -> String {
    let mut out = format!("<div class=\"writeup\" lang=\"{}\">\n", doc.lang.tag());
    contents(&mut out, doc);
    out.push_str("</div>\n");
    out
}

/// The numbering label of every heading, in document order: level 1 `一、` / `1.`, level 2
/// `（一）` / `1.1`, level 3 `1.` / `1.1.1` (Chinese / English). A deeper level restarts when a
/// shallower one advances; levels outside 1–3 count as the nearest of them.
pub fn heading_numbers(doc: &Document) -> Vec<String> {
    numbered(doc)
        .iter()
        .map(|h| label(doc.lang, h.level, h.path))
        .collect()
}

/// A heading as shown: its number then its text, with a space in English (`1.1 Scope`) and none
/// in Chinese (`（一）报送情况`).
pub fn heading_text(lang: DocLang, number: &str, text: &str) -> String {
    match lang {
        DocLang::Zh => format!("{number}{text}"),
        DocLang::En => format!("{number} {text}"),
    }
}

/// A heading's place in the outline: its level (1–3) and the counters of levels 1 to 3.
struct Numbered {
    level: usize,
    path: [u32; 3],
}

/// Counts the headings: each advances its level's counter and resets the deeper ones.
fn numbered(doc: &Document) -> Vec<Numbered> {
    let mut path = [0u32; 3];
    doc.headings()
        .map(|(level, _)| {
            let level = usize::from(level.clamp(1, 3));
            path[level - 1] += 1;
            path[level..].iter_mut().for_each(|c| *c = 0);
            Numbered { level, path }
        })
        .collect()
}

/// The label of a heading at `level` with counters `path`.
fn label(lang: DocLang, level: usize, path: [u32; 3]) -> String {
    match (lang, level) {
        (DocLang::Zh, 1) => format!("{}、", chinese_numeral(path[0])),
        (DocLang::Zh, 2) => format!("（{}）", chinese_numeral(path[1])),
        (DocLang::Zh, _) => format!("{}.", path[2]),
        (DocLang::En, 1) => format!("{}.", path[0]),
        (DocLang::En, 2) => format!("{}.{}", path[0], path[1]),
        (DocLang::En, _) => format!("{}.{}.{}", path[0], path[1], path[2]),
    }
}

/// The anchor of a heading: `sec-1`, `sec-1-2`, `sec-1-2-3`.
fn anchor(level: usize, path: [u32; 3]) -> String {
    let parts: Vec<String> = path[..level].iter().map(u32::to_string).collect();
    format!("sec-{}", parts.join("-"))
}

/// 1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九: how section numbers are written. Beyond
/// 99 (no report has that many sections) the digits are used.
fn chinese_numeral(n: u32) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let digit = |d: u32| DIGITS[d as usize];
    match n {
        0..=9 => digit(n).to_string(),
        10..=19 => format!("十{}", if n == 10 { "" } else { digit(n % 10) }),
        20..=99 => format!(
            "{}十{}",
            digit(n / 10),
            if n.is_multiple_of(10) {
                ""
            } else {
                digit(n % 10)
            }
        ),
        _ => n.to_string(),
    }
}

/// The title page: the title and the lines under it.
fn title_block(out: &mut String, doc: &Document) {
    out.push_str("<header class=\"title-block\">\n");
    let _ = writeln!(out, "<p class=\"doc-title\">{}</p>", esc(&doc.title));
    for line in &doc.subtitle {
        let _ = writeln!(out, "<p class=\"subtitle\">{}</p>", esc(line));
    }
    out.push_str("</header>\n");
}

/// The table of contents, then every block in order.
fn contents(out: &mut String, doc: &Document) {
    let headings = numbered(doc);
    toc(out, doc, &headings);
    let mut heading = headings.iter();
    let (mut tables, mut figures) = (0, 0);
    for block in &doc.blocks {
        match block {
            Block::Heading { text, .. } => {
                // `numbered` walked the same headings in the same order.
                if let Some(h) = heading.next() {
                    heading_element(out, doc.lang, h, text);
                }
            }
            Block::Paragraph(text) => {
                let _ = writeln!(out, "<p class=\"text\">{}</p>", esc(text));
            }
            Block::Bullets(items) => bullets(out, items),
            Block::Table(table) => {
                tables += 1;
                table_element(out, doc.lang, tables, table);
            }
            Block::Figure(figure) => {
                figures += 1;
                figure_element(out, doc.lang, figures, figure);
            }
        }
    }
}

/// The contents: one link per heading to its anchor, indented by level.
fn toc(out: &mut String, doc: &Document, headings: &[Numbered]) {
    let _ = writeln!(
        out,
        "<nav class=\"toc\" aria-labelledby=\"toc-title\">\n<p class=\"toc-title\" id=\"toc-title\">{}</p>\n<ul>",
        esc(doc.lang.contents_word())
    );
    for (h, (_, text)) in headings.iter().zip(doc.headings()) {
        let _ = writeln!(
            out,
            "<li class=\"toc-{}\"><a href=\"#{}\">{}</a></li>",
            h.level,
            anchor(h.level, h.path),
            esc(&heading_text(
                doc.lang,
                &label(doc.lang, h.level, h.path),
                text
            ))
        );
    }
    out.push_str("</ul>\n</nav>\n");
}

/// `<h1 id="sec-1"><span class="num">一、</span>总体情况</h1>`: the number in its own span so
/// styles can set it apart; the separating space (English) is outside it.
fn heading_element(out: &mut String, lang: DocLang, h: &Numbered, text: &str) {
    let number = label(lang, h.level, h.path);
    let numbered = heading_text(lang, &number, text);
    let rest = numbered.strip_prefix(number.as_str()).unwrap_or(text);
    let _ = writeln!(
        out,
        "<h{l} id=\"{id}\"><span class=\"num\">{}</span>{}</h{l}>",
        esc(&number),
        esc(rest),
        l = h.level,
        id = anchor(h.level, h.path),
    );
}

fn bullets(out: &mut String, items: &[String]) {
    out.push_str("<ul class=\"bullets\">\n");
    for item in items {
        let _ = writeln!(out, "<li>{}</li>", esc(item));
    }
    out.push_str("</ul>\n");
}

/// A caption's label: `表 1　` with an ideographic space in Chinese, `Table 1. ` in English.
fn caption_label(lang: DocLang, word: &str, number: usize) -> String {
    match lang {
        DocLang::Zh => format!("{word} {number}\u{3000}"),
        DocLang::En => format!("{word} {number}. "),
    }
}

/// A table: numbered caption, header row in `<thead>` (repeated on every printed page), numbers
/// right-aligned through the `num` class, and the note under it.
fn table_element(out: &mut String, lang: DocLang, number: usize, table: &Table) {
    let align = |col: usize| match table.align.get(col) {
        Some(Align::Right) => " class=\"num\"",
        _ => "",
    };
    let _ = writeln!(
        out,
        "<table>\n<caption>{}{}</caption>",
        esc(&caption_label(lang, lang.table_word(), number)),
        esc(&table.caption)
    );
    out.push_str("<thead>\n<tr>");
    for (col, cell) in table.header.iter().enumerate() {
        let _ = write!(out, "<th scope=\"col\"{}>{}</th>", align(col), esc(cell));
    }
    out.push_str("</tr>\n</thead>\n<tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for (col, cell) in row.iter().enumerate() {
            let _ = write!(out, "<td{}>{}</td>", align(col), esc(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    if !table.note.is_empty() {
        let _ = writeln!(out, "<p class=\"table-note\">{}</p>", esc(&table.note));
    }
}

/// A figure: the chart's SVG inline, then the numbered caption.
fn figure_element(out: &mut String, lang: DocLang, number: usize, figure: &Figure) {
    let _ = writeln!(
        out,
        "<figure>\n{}\n<figcaption>{}{}</figcaption>\n</figure>",
        inline_svg(&figure.svg),
        esc(&caption_label(lang, lang.figure_word(), number)),
        esc(&figure.caption)
    );
}

/// The SVG element of a standalone SVG file: an XML declaration, doctype or comments before it
/// are not allowed (or mean nothing) inside HTML, so they are dropped.
fn inline_svg(svg: &str) -> &str {
    let mut rest = svg.trim();
    loop {
        let end = if rest.starts_with("<?") {
            rest.find("?>").map(|i| i + 2)
        } else if rest.starts_with("<!--") {
            rest.find("-->").map(|i| i + 3)
        } else if rest.starts_with("<!") {
            rest.find('>').map(|i| i + 1)
        } else {
            None
        };
        match end {
            Some(end) => rest = rest[end..].trim_start(),
            None => return rest,
        }
    }
}
