//! The HTML rendering parsed back with scraper (as a browser would): a standalone page, contents
//! that link to the headings' anchors, numbered headings, tables and figures, text that survives
//! escaping exactly, numbers aligned right, charts inline, styles scoped to `.writeup`.

use scraper::{ElementRef, Html, Selector};
use shanghui_writeup::html::{CSS, body, heading_numbers, render};
use shanghui_writeup::{Block, DocLang, Document, Figure, Table, charts};

use crate::sample;

fn select<'a>(html: &'a Html, css: &str) -> Vec<ElementRef<'a>> {
    let selector = Selector::parse(css).unwrap_or_else(|e| panic!("{css}: {e:?}"));
    html.select(&selector).collect()
}

fn text(el: &ElementRef) -> String {
    el.text().collect()
}

fn texts(html: &Html, css: &str) -> Vec<String> {
    select(html, css).iter().map(text).collect()
}

fn heading(level: u8, text: &str) -> Block {
    Block::Heading {
        level,
        text: text.into(),
    }
}

fn outline(lang: DocLang, levels: &[u8]) -> Document {
    Document {
        lang,
        title: "t".into(),
        subtitle: vec![],
        blocks: levels.iter().map(|l| heading(*l, "h")).collect(),
    }
}

#[test]
fn a_standalone_page_with_nothing_external() {
    let doc = sample::document(3);
    let page = render(&doc);
    assert!(page.starts_with("<!DOCTYPE html>"));
    let html = Html::parse_document(&page);
    let root = select(&html, "html");
    assert_eq!(root[0].value().attr("lang"), Some("zh-CN"));
    assert_eq!(select(&html, "head meta[charset=utf-8]").len(), 1);
    assert_eq!(texts(&html, "head title"), vec![doc.title.clone()]);
    assert_eq!(select(&html, "head style").len(), 1);
    assert!(select(&html, "script, link, img, iframe, object").is_empty());
    for a in select(&html, "[href]") {
        assert!(
            a.value().attr("href").unwrap().starts_with('#'),
            "local links only"
        );
    }
    assert!(select(&html, "[src]").is_empty());

    // The title block: the title and each subtitle line, before the contents.
    assert_eq!(
        texts(&html, ".title-block .doc-title"),
        vec![doc.title.clone()]
    );
    assert_eq!(texts(&html, ".title-block .subtitle"), doc.subtitle);
    // Print: A4, the header row repeated, page breaks after the title block and the contents.
    assert!(page.contains("@page { size: A4;"));
    assert!(CSS.contains("display: table-header-group"));
    assert!(CSS.contains(".writeup .title-block, .writeup nav.toc { break-after: page;"));
    assert!(CSS.contains("break-inside: avoid"));
}

#[test]
fn contents_link_to_numbered_headings() {
    let doc = sample::document(3);
    let html = Html::parse_document(&render(&doc));
    let headings = select(&html, ".writeup h1, .writeup h2, .writeup h3");
    let ids: Vec<&str> = headings
        .iter()
        .filter_map(|h| h.value().attr("id"))
        .collect();
    assert_eq!(ids, ["sec-1", "sec-1-1", "sec-2"]);
    let names: Vec<&str> = headings.iter().map(|h| h.value().name()).collect();
    assert_eq!(names, ["h1", "h2", "h1"]);
    assert_eq!(
        headings.iter().map(text).collect::<Vec<_>>(),
        ["一、总体情况", "（一）报送情况", "二、工作建议"]
    );
    assert_eq!(texts(&html, "h1 span.num"), ["一、", "二、"]);

    assert_eq!(texts(&html, "nav.toc .toc-title"), ["目录"]);
    let links = select(&html, "nav.toc a");
    let hrefs: Vec<String> = links
        .iter()
        .map(|a| {
            a.value()
                .attr("href")
                .unwrap()
                .trim_start_matches('#')
                .to_string()
        })
        .collect();
    assert_eq!(hrefs, ids, "one link per heading, in order");
    assert_eq!(
        links.iter().map(text).collect::<Vec<_>>(),
        headings.iter().map(text).collect::<Vec<_>>()
    );
    assert_eq!(heading_numbers(&doc), ["一、", "（一）", "二、"]);
}

#[test]
fn heading_numbers_follow_the_outline() {
    let levels = [1, 2, 2, 3, 3, 1, 2, 3];
    assert_eq!(
        heading_numbers(&outline(DocLang::Zh, &levels)),
        [
            "一、",
            "（一）",
            "（二）",
            "1.",
            "2.",
            "二、",
            "（一）",
            "1."
        ]
    );
    assert_eq!(
        heading_numbers(&outline(DocLang::En, &levels)),
        ["1.", "1.1", "1.2", "1.2.1", "1.2.2", "2.", "2.1", "2.1.1"]
    );
    let many = heading_numbers(&outline(DocLang::Zh, &[1; 21]));
    assert_eq!(many[9], "十、");
    assert_eq!(many[10], "十一、");
    assert_eq!(many[19], "二十、");
    assert_eq!(many[20], "二十一、");

    let html = Html::parse_document(&render(&outline(DocLang::En, &[1, 2, 3])));
    assert_eq!(
        texts(&html, ".writeup h1, .writeup h2, .writeup h3"),
        ["1. h", "1.1 h", "1.1.1 h"]
    );
    let ids: Vec<_> = select(&html, "h3")
        .iter()
        .filter_map(|h| h.value().attr("id"))
        .collect();
    assert_eq!(ids, ["sec-1-1-1"]);
    assert_eq!(texts(&html, "nav.toc .toc-title"), ["Contents"]);
    assert_eq!(select(&html, "html")[0].value().attr("lang"), Some("en"));
}

#[test]
fn special_characters_survive_exactly() {
    let doc = sample::document(3);
    let html = Html::parse_document(&render(&doc));
    let Block::Paragraph(paragraph) = &doc.blocks[1] else {
        panic!("the sample's second block is a paragraph")
    };
    assert_eq!(texts(&html, "p.text"), [paragraph.as_str()]);
    let Some(Block::Table(table)) = doc.blocks.iter().find(|b| matches!(b, Block::Table(_))) else {
        panic!("the sample has a table")
    };
    let cells: Vec<Vec<String>> = select(&html, "tbody tr")
        .iter()
        .map(|tr| tr.child_elements().map(|td| text(&td)).collect())
        .collect();
    assert_eq!(cells, table.rows);
    assert_eq!(
        texts(&html, "thead th"),
        table.header.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(texts(&html, "p.table-note"), [table.note.as_str()]);
    let Some(Block::Bullets(items)) = doc.blocks.last() else {
        panic!("the sample ends with bullets")
    };
    assert_eq!(&texts(&html, "ul.bullets li"), items);
}

#[test]
fn tables_and_figures_are_numbered() {
    let doc = sample::document(3);
    let html = Html::parse_document(&render(&doc));
    assert_eq!(
        texts(&html, "table caption"),
        ["表 1\u{3000}各单位年报情况"]
    );
    assert_eq!(
        texts(&html, "figure figcaption"),
        ["图 1\u{3000}各区报送率"]
    );

    // Counted separately and in order; English words in English.
    let table = |caption: &str| {
        Block::Table(Table {
            caption: caption.into(),
            header: vec!["a".into()],
            align: vec![shanghui_writeup::Align::Left],
            rows: vec![],
            note: String::new(),
        })
    };
    let en = Document {
        lang: DocLang::En,
        title: "t".into(),
        subtitle: vec![],
        blocks: vec![
            table("First"),
            Block::Figure(sample::svg()),
            table("Second <&>"),
        ],
    };
    let html = Html::parse_document(&render(&en));
    assert_eq!(
        texts(&html, "table caption"),
        ["Table 1. First", "Table 2. Second <&>"]
    );
    assert_eq!(texts(&html, "figcaption"), ["Figure 1. 各区报送率"]);
    assert!(select(&html, "p.table-note").is_empty(), "no empty note");
}

#[test]
fn numeric_columns_are_right_aligned() {
    let doc = sample::document(3);
    let html = Html::parse_document(&render(&doc));
    for row in select(&html, "table tr") {
        let classes: Vec<bool> = row
            .child_elements()
            .map(|cell| {
                cell.value()
                    .has_class("num", scraper::CaseSensitivity::CaseSensitive)
            })
            .collect();
        // 单位, 类别 left; 应报, 报送率 right.
        assert_eq!(classes, [false, false, true, true]);
    }
    assert!(CSS.contains(".writeup th.num, .writeup td.num { text-align: right;"));
    // Chinese paragraphs start with a two-character indent.
    assert!(CSS.contains(".writeup p.text:lang(zh) { text-indent: 2em; }"));
}

#[test]
fn figures_are_inline_svg() {
    let mut doc = sample::document(1);
    let chart = charts::bars(
        "<A&B> 报送率",
        &[("<A&B>".to_string(), Some(0.5))],
        charts::Unit::Share,
    );
    // A standalone file's declaration and comment are dropped, not shown as text.
    let declared = Figure {
        svg: format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- chart -->\n{}",
            chart.svg
        ),
        ..chart
    };
    doc.blocks.push(Block::Figure(declared));
    let page = render(&doc);
    assert!(!page.contains("<?xml"));
    assert!(!page.contains("<!-- chart"));
    let html = Html::parse_document(&page);
    let svgs = select(&html, "figure > svg");
    assert_eq!(svgs.len(), 2);
    assert_eq!(
        svgs[0]
            .value()
            .attr("viewbox")
            .or(svgs[0].value().attr("viewBox")),
        Some("0 0 400 120")
    );
    assert!(text(&svgs[0]).contains("鼓楼区"));
    let drawn = select(&html, "figure > svg text");
    assert!(
        drawn.iter().any(|t| text(t) == "<A&B>"),
        "escaped in the SVG, intact when read"
    );
    assert_eq!(
        texts(&html, "figcaption"),
        ["图 1\u{3000}各区报送率", "图 2\u{3000}<A&B> 报送率"]
    );
}

#[test]
fn the_body_is_the_report_without_its_page() {
    let doc = sample::document(3);
    let inner = body(&doc);
    assert!(inner.starts_with("<div class=\"writeup\" lang=\"zh-CN\">"));
    for absent in ["<html", "<head", "<body", "<title", "<style", "title-block"] {
        assert!(!inner.contains(absent), "{absent}");
    }
    let html = Html::parse_fragment(&inner);
    assert_eq!(select(&html, "div.writeup nav.toc a").len(), 3);
    assert_eq!(select(&html, "div.writeup table").len(), 1);
    assert_eq!(select(&html, "div.writeup figure svg").len(), 1);
    // The same report as the page's.
    assert!(
        render(&doc).contains(
            inner
                .trim_start_matches("<div class=\"writeup\" lang=\"zh-CN\">\n")
                .trim_end_matches("</div>\n")
        )
    );
}

#[test]
fn the_styles_stay_inside_writeup() {
    assert!(!CSS.contains("@page"), "@page cannot be scoped");
    for line in CSS.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('@') || line.starts_with('}') {
            continue;
        }
        let selectors = line.split('{').next().unwrap();
        for selector in selectors.split(',') {
            assert!(
                selector.trim().starts_with(".writeup"),
                "unscoped selector {selector:?}"
            );
        }
    }
}
