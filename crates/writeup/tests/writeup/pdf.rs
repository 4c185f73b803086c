//! The PDF rendering (Typst) read back with pdftotext: the title page, the contents, numbered
//! headings, text with Typst's special characters printed as written, captions numbered 表 1 and
//! 图 1, a long table running over pages with its header repeated. And the font search: CJK
//! fonts found by name and checked, none found refused with the Chinese message.

use std::path::{Path, PathBuf};
use std::time::Instant;

use shanghui_core::i18n::Lang;
use shanghui_writeup::{Block, DocLang, Document, Figure, Table, WriteupError, fonts, pdf};

use crate::sample;
use crate::tools::{available, pdf_text};

/// A fresh directory under the system temp dir, unique to this process and `label`.
fn scratch_dir(label: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!(
        "writeup-pdf-{label}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `doc` rendered, checked to be a PDF, and written to a scratch file.
fn render_to_file(doc: &Document, label: &str) -> PathBuf {
    let bytes = pdf::render(doc).unwrap_or_else(|e| panic!("render: {e}"));
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let path = scratch_dir(label).join("report.pdf");
    std::fs::write(&path, &bytes).expect("write the PDF");
    path
}

/// The PDF's text, one entry per page (pdftotext ends each page with a form feed); `None` when
/// pdftotext is not installed (and not required).
fn pages(pdf: &Path) -> Option<Vec<String>> {
    if !available("pdftotext") {
        return None;
    }
    let text = pdf_text(pdf);
    let mut pages: Vec<String> = text.split('\x0c').map(str::to_owned).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    Some(pages)
}

/// `text` with runs of spaces collapsed, so layout spacing does not decide a comparison.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `hay` contains `needle` once both lose their white space: for labels whose gap is
/// typographic (“表 1”), which `pdftotext -layout` keeps or drops by its width.
fn contains_loosely(hay: &str, needle: &str) -> bool {
    let strip = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    strip(hay).contains(&strip(needle))
}

#[test]
fn the_sample_reads_back_with_its_text_exact() {
    let doc = sample::document(5);
    let path = render_to_file(&doc, "sample");
    let Some(pages) = pages(&path) else { return };
    let all = pages.join("\n");
    let flat = squeeze(&all);

    // The title page holds the title and the subtitle lines, and no page number.
    assert!(pages[0].contains(&doc.title), "title page: {}", pages[0]);
    for line in &doc.subtitle {
        assert!(pages[0].contains(line.as_str()), "subtitle {line}");
    }
    // The contents come next, titled 目录, listing the numbered headings.
    assert!(pages[1].contains("目录"), "contents page: {}", pages[1]);
    for (level, text) in doc.headings() {
        assert!(pages[1].contains(text), "contents lists {text}");
        let body_hits = pages[2..].iter().filter(|p| p.contains(text)).count();
        assert!(body_hits >= 1, "heading {text} (level {level}) in the body");
    }
    // Numbered 一、 at level 1 (no gap after the comma), （一） below: as in HTML and Word.
    assert!(
        flat.contains("一、总体情况"),
        "level 1 numbered 一、: {flat}"
    );
    assert!(flat.contains("二、工作建议"), "{flat}");
    assert!(
        flat.contains("（一）报送情况"),
        "level 2 numbered （一）: {flat}"
    );

    // Text with Typst's special characters prints as written.
    assert!(all.contains("96.3%"));
    assert!(
        all.contains("福州市第0商会 <A&B> #\"$*_"),
        "cell text: {all}"
    );
    for piece in [
        "<tag>",
        "& \"quotes\"",
        "#hash",
        "$dollar",
        "*star*",
        "_under_",
        "[bracket]",
        "@at",
        "\\back",
    ] {
        assert!(flat.contains(piece), "{piece} in {flat}");
    }
    // Captions are numbered per kind; the table's note follows it.
    assert!(
        contains_loosely(&flat, "表 1 各单位年报情况"),
        "table caption: {flat}"
    );
    assert!(
        contains_loosely(&flat, "图 1 各区报送率"),
        "figure caption: {flat}"
    );
    assert!(flat.contains("χ² = 12.40"), "note: {flat}");
    // The bullets.
    assert!(flat.contains("督促未报送的 2 家商会尽快报送。"));
    // The title page has no number, the contents are numbered I…, the body from 1.
    assert!(
        !pages[0]
            .trim_end()
            .ends_with(|c: char| c.is_ascii_digit() || c == 'I')
    );
    assert!(
        pages[1].trim_end().ends_with('I'),
        "contents page is page I"
    );
    assert!(
        pages[2].trim_end().ends_with('1'),
        "the body starts at page 1"
    );
    let entry = pages[1]
        .lines()
        .any(|l| l.contains("一、总体情况") && l.trim_end().ends_with('1'));
    assert!(
        entry,
        "the contents give the body's page numbers: {}",
        pages[1]
    );
}

#[test]
fn the_table_caption_is_above_the_table_and_the_figure_caption_below() {
    let doc = sample::document(5);
    let path = render_to_file(&doc, "captions");
    let Some(pages) = pages(&path) else { return };
    let all = pages.join("\n");
    let caption = all.find("各单位年报情况").expect("table caption");
    let header = all
        .find("报送率\n")
        .or_else(|| all.find("报送率"))
        .expect("header");
    let first_row = all.find("福州市第0商会").expect("first row");
    assert!(caption < first_row, "表 caption before the rows");
    assert!(header < first_row);
    let note = all.find("χ²").expect("note");
    assert!(
        note > all.find("福州市第4商会").expect("last row"),
        "note after the table"
    );
}

#[test]
fn a_long_table_runs_over_pages_with_its_header_repeated() {
    let doc = sample::document(300);
    let path = render_to_file(&doc, "long");
    let Some(pages) = pages(&path) else { return };
    let with_rows: Vec<&String> = pages.iter().filter(|p| p.contains("福州市第")).collect();
    assert!(
        with_rows.len() > 1,
        "300 rows fit on {} page(s)",
        with_rows.len()
    );
    for page in &with_rows {
        // The header row: its four cells on one line, on every page of the table.
        let header = page.lines().any(|l| squeeze(l) == "单位 类别 应报 报送率");
        assert!(header, "header repeated on page:\n{page}");
    }
    let all = pages.join("\n");
    assert!(all.contains("福州市第299商会"), "the last row is there");
    // Every row appears once.
    assert_eq!(all.matches("乡镇商会").count(), 300);
}

#[test]
fn markup_characters_anywhere_are_text() {
    let nasty = "a // b /* c */ `raw` ~ \\ \"q\" #{1} $x$ <l> @r = - + 1. ] [ {";
    let doc = Document {
        lang: DocLang::En,
        title: format!("T {nasty}"),
        subtitle: vec![format!("S {nasty}")],
        blocks: vec![
            Block::Heading {
                level: 1,
                text: format!("H {nasty}"),
            },
            Block::Paragraph(format!("P {nasty}\nsecond line")),
            Block::Bullets(vec![format!("B {nasty}"), "= not a heading".into()]),
            Block::Table(Table {
                caption: format!("C {nasty}"),
                header: vec!["k".into(), "v".into()],
                align: vec![
                    shanghui_writeup::Align::Left,
                    shanghui_writeup::Align::Right,
                ],
                rows: vec![vec![format!("R {nasty}"), "- 1".into()]],
                note: format!("N {nasty}"),
            }),
        ],
    };
    let markup = pdf::markup(&doc);
    let path = render_to_file(&doc, "nasty");
    let Some(pages) = pages(&path) else { return };
    let flat = squeeze(&pages.join("\n"));
    for prefix in ["T", "S", "H", "P", "B", "C", "N"] {
        // Long lines may wrap; the start of each piece is on one line.
        let start = format!("{prefix} a // b /* c */ `raw` ~ \\ \"q\" #{{1}}");
        assert!(
            flat.contains(&start),
            "{start} in {flat}\nmarkup:\n{markup}"
        );
    }
    assert!(flat.contains("= not a heading"));
    assert!(flat.contains("second line"));
    assert!(flat.contains("Contents"), "English outline title");
    assert!(contains_loosely(&flat, "Table 1"));
    assert!(
        flat.contains("1. H a //"),
        "English heading numbering: {flat}"
    );
}

#[test]
fn a_broken_chart_is_a_pdf_error_with_a_reason() {
    let mut doc = sample::document(1);
    doc.blocks.push(Block::Figure(Figure {
        caption: "坏图".into(),
        svg: "<svg this is not".into(),
        width: 100.0,
        height: 50.0,
    }));
    match pdf::render(&doc) {
        // Typst's reason, and which chart it is about.
        Err(WriteupError::Pdf(reason)) => {
            assert!(reason.contains("SVG"), "{reason}");
            assert!(reason.contains("坏图"), "{reason}");
        }
        other => panic!("expected a PDF error, got {:?}", other.map(|b| b.len())),
    }
}

#[test]
fn no_cjk_font_is_refused_in_chinese() {
    let empty = scratch_dir("no-fonts");
    let missing = empty.join("not-there");
    let err = fonts::scan(&[empty.clone(), missing]).expect_err("no fonts, no CJK font");
    assert!(matches!(err, WriteupError::NoCjkFont));
    let zh = err.render(Lang::ZhCn);
    assert!(zh.contains("中文字体"), "{zh}");
    assert!(zh.contains("fonts-noto-cjk"), "{zh}");
    assert!(zh.contains("SHANGHUI_FONT_DIR"), "{zh}");

    // A Latin font alone is not enough.
    if let Some(latin) = system_font(&["DejaVuSans.ttf", "LiberationSans-Regular.ttf"]) {
        link(&latin, &empty);
        assert!(matches!(
            fonts::scan(&[empty]),
            Err(WriteupError::NoCjkFont)
        ));
    }
}

#[test]
fn a_font_folder_with_an_oddly_named_cjk_font_is_used() {
    let Some(cjk) = system_font(&["NotoSansCJK-Regular.ttc", "NotoSerifCJK-Regular.ttc"]) else {
        eprintln!("SKIPPED: no Noto CJK font installed to copy");
        return;
    };
    // Named so no name rule recognises it: found by size and checked for 中.
    let dir = scratch_dir("odd-name");
    std::os::unix::fs::symlink(&cjk, dir.join("whatever.ttc")).expect("symlink");
    let files = fonts::scan(&[dir]).expect("the CJK font is found");
    assert_eq!(files.len(), 1);
    assert!(files[0].cjk);
    assert!(files[0].family.ends_with(" SC"), "{}", files[0].family);
}

#[test]
fn the_system_fonts_are_found_once_and_fast() {
    let start = Instant::now();
    let files = fonts::scan(&fonts::font_dirs()).expect("CJK fonts installed");
    let scan = start.elapsed();
    let cjk: Vec<_> = files.iter().filter(|f| f.cjk).collect();
    assert!(!cjk.is_empty());
    // One family (its regular and bold files), then possibly a Latin fallback.
    assert!(cjk.iter().all(|f| f.family == cjk[0].family));
    let mb: usize = files.iter().map(|f| f.data.len()).sum::<usize>() >> 20;
    eprintln!(
        "fonts::scan: {scan:?}, {} files ({mb} MB), family {}: {:?}",
        files.len(),
        cjk[0].family,
        files.iter().map(|f| &f.path).collect::<Vec<_>>()
    );
    let cached = fonts::cjk().expect("CJK fonts");
    let again = Instant::now();
    assert!(std::ptr::eq(cached, fonts::cjk().expect("cached")));
    assert!(again.elapsed().as_millis() < 5, "the second call is cached");
    assert_eq!(fonts::family(), cached[0].family);
}

#[test]
fn render_timings() {
    let small = sample::document(5);
    let start = Instant::now();
    pdf::render(&small).expect("first render");
    let first = start.elapsed();
    let start = Instant::now();
    pdf::render(&small).expect("second render");
    let second = start.elapsed();

    let big = sample::document(3000);
    let start = Instant::now();
    let markup = pdf::markup(&big);
    let markup_time = start.elapsed();
    let start = Instant::now();
    let bytes = pdf::render(&big).expect("3,000-row render");
    let big_time = start.elapsed();
    eprintln!(
        "pdf::render: first {first:?}, second {second:?}; 3,000 rows: markup {markup_time:?} \
         ({} KB), render {big_time:?} ({} KB PDF)",
        markup.len() >> 10,
        bytes.len() >> 10
    );
}

/// The first of `names` installed under /usr/share/fonts.
fn system_font(names: &[&str]) -> Option<PathBuf> {
    let mut found = Vec::new();
    find(Path::new("/usr/share/fonts"), names, &mut found);
    names
        .iter()
        .find_map(|n| {
            found
                .iter()
                .find(|p| p.file_name().is_some_and(|f| f == *n))
        })
        .cloned()
}

fn find(dir: &Path, names: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            find(&path, names, out);
        } else if path
            .file_name()
            .is_some_and(|f| names.iter().any(|n| f == *n))
        {
            out.push(path);
        }
    }
}

/// A symbolic link to `file` in `dir`, under the same name.
fn link(file: &Path, dir: &Path) {
    let name = file.file_name().expect("file name");
    std::os::unix::fs::symlink(file, dir.join(name)).expect("symlink");
}
