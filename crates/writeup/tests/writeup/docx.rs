//! The DOCX rendering: the package's parts and their XML checked directly, then the file opened
//! by LibreOffice (headless) and turned into PDF, the way a reader would see it, and that PDF's
//! text read back with pdftotext.

use std::collections::HashSet;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use shanghui_writeup::{Block, DocLang, Document, Figure, WriteupError, docx};

use crate::sample;
use crate::tools::{available, pdf_text};

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const PKG_RELS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";

/// The parts every rendering has (pictures come on top).
const PARTS: [&str; 10] = [
    "[Content_Types].xml",
    "_rels/.rels",
    "docProps/core.xml",
    "docProps/app.xml",
    "word/document.xml",
    "word/styles.xml",
    "word/settings.xml",
    "word/numbering.xml",
    "word/_rels/document.xml.rels",
    "word/footer1.xml",
];

/// Every part of the package, by name.
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("the DOCX is a zip");
    (0..zip.len())
        .map(|i| {
            let mut file = zip.by_index(i).expect("zip entry");
            let mut data = Vec::new();
            file.read_to_end(&mut data).expect("zip entry reads");
            (file.name().expect("entry name").into_owned(), data)
        })
        .collect()
}

fn part<'a>(parts: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    parts
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, d)| d.as_slice())
        .unwrap_or_else(|| panic!("part {name} is missing"))
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("XML parts are UTF-8")
}

/// A w:-namespace attribute.
fn w_attr<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attribute((W, name))
}

/// The text of a paragraph's w:t elements, in order.
fn para_text(p: roxmltree::Node) -> String {
    p.descendants()
        .filter(|n| n.has_tag_name((W, "t")))
        .filter_map(|n| n.text())
        .collect()
}

/// (style id, text) of every body paragraph that has a style.
fn styled_paragraphs(doc: &roxmltree::Document) -> Vec<(String, String)> {
    doc.descendants()
        .filter(|n| n.has_tag_name((W, "p")))
        .filter_map(|p| {
            let style = p
                .descendants()
                .find(|n| n.has_tag_name((W, "pStyle")))
                .and_then(|s| w_attr(s, "val"))?;
            Some((style.to_owned(), para_text(p)))
        })
        .collect()
}

#[test]
fn docx_package_has_its_parts_and_wellformed_xml() {
    let bytes = docx::render(&sample::document(5)).expect("renders");
    let parts = unzip(&bytes);
    for name in PARTS {
        part(&parts, name);
    }
    assert_eq!(
        parts[0].0, "[Content_Types].xml",
        "content types come first"
    );
    // Every XML part parses.
    for (name, data) in &parts {
        if name.ends_with(".xml") || name.ends_with(".rels") {
            roxmltree::Document::parse(text(data))
                .unwrap_or_else(|e| panic!("{name} is not well-formed: {e}"));
        }
    }
    let png = part(&parts, "word/media/image1.png");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "the chart is a PNG");
    let core = text(part(&parts, "docProps/core.xml"));
    assert!(core.contains("<dc:title>鼓楼区 2025 年度商会年报数据分析报告</dc:title>"));
    assert!(core.contains("<dc:language>zh-CN</dc:language>"));
    let settings = text(part(&parts, "word/settings.xml"));
    assert!(settings.contains("<w:updateFields w:val=\"true\"/>"));
}

#[test]
fn docx_headings_contents_table_and_figure() {
    let bytes = docx::render(&sample::document(5)).expect("renders");
    let parts = unzip(&bytes);
    let xml = text(part(&parts, "word/document.xml"));
    let doc = roxmltree::Document::parse(xml).expect("document.xml parses");
    let styled = styled_paragraphs(&doc);
    let has = |style: &str, text: &str| styled.iter().any(|(s, t)| s == style && t == text);

    // Headings in the built-in styles, numbered in the text; listed again in the contents.
    assert!(has("Heading1", "一、总体情况"), "{styled:?}");
    assert!(has("Heading2", "（一）报送情况"), "{styled:?}");
    assert!(has("Heading1", "二、工作建议"), "{styled:?}");
    assert!(has("TOC1", "一、总体情况"));
    assert!(has("TOC2", "（一）报送情况"));
    assert!(has("TOCHeading", "目录"));
    assert!(has("Title", "鼓楼区 2025 年度商会年报数据分析报告"));
    assert!(has("Caption", "表 1\u{3000}各单位年报情况"));
    assert!(has("Caption", "图 1\u{3000}各区报送率"));
    assert!(
        xml.contains(r#"TOC \o &quot;1-3&quot; \h \z \u"#),
        "the TOC field"
    );
    assert!(xml.contains("SEQ 表 \\* ARABIC") && xml.contains("SEQ 图 \\* ARABIC"));

    // Each contents entry links to a bookmark on its heading.
    let bookmarks: HashSet<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name((W, "bookmarkStart")))
        .filter_map(|n| w_attr(n, "name"))
        .collect();
    let anchors: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name((W, "hyperlink")))
        .filter_map(|n| w_attr(n, "anchor"))
        .collect();
    assert_eq!(anchors.len(), 3);
    assert!(anchors.iter().all(|a| bookmarks.contains(a)));

    // The table: header row repeated, rows kept whole, numbers right-aligned, text escaped.
    assert_eq!(xml.matches("<w:tblHeader/>").count(), 1);
    assert_eq!(xml.matches("<w:cantSplit/>").count(), 6);
    assert!(xml.contains("<w:tblStyle w:val=\"TableGrid\"/>"));
    assert!(xml.contains("福州市第0商会 &lt;A&amp;B&gt; #&quot;$*_"));
    let right = doc
        .descendants()
        .filter(|n| n.has_tag_name((W, "jc")) && w_attr(*n, "val") == Some("right"))
        .count();
    assert_eq!(right, 5 * 2, "two right-aligned columns in five rows");
    assert!(
        styled
            .iter()
            .any(|(s, t)| s == "TableNote" && t.contains("χ²"))
    );

    // The picture: inline, described by its caption, its relationship pointing at the PNG.
    let doc_pr = doc
        .descendants()
        .find(|n| n.tag_name().name() == "docPr")
        .expect("a picture");
    assert_eq!(doc_pr.attribute("descr"), Some("各区报送率"));
    let blip = doc
        .descendants()
        .find(|n| n.tag_name().name() == "blip")
        .expect("blip");
    let rid = blip
        .attributes()
        .find(|a| a.name() == "embed")
        .expect("r:embed")
        .value();
    let rels_xml = text(part(&parts, "word/_rels/document.xml.rels"));
    let rels = roxmltree::Document::parse(rels_xml).unwrap();
    let target = rels
        .descendants()
        .filter(|n| n.has_tag_name((PKG_RELS, "Relationship")))
        .find(|n| n.attribute("Id") == Some(rid))
        .and_then(|n| n.attribute("Target"))
        .expect("the picture's relationship");
    assert_eq!(target, "media/image1.png");
}

/// Every r:id the document and footer use is declared, ids are unique, and every target exists.
#[test]
fn docx_relationships_are_consistent() {
    let bytes = docx::render(&sample::document(2)).expect("renders");
    let parts = unzip(&bytes);
    let names: HashSet<&str> = parts.iter().map(|(n, _)| n.as_str()).collect();
    let rels = roxmltree::Document::parse(text(part(&parts, "word/_rels/document.xml.rels")))
        .expect("rels parse");
    let mut ids = HashSet::new();
    for r in rels
        .descendants()
        .filter(|n| n.has_tag_name((PKG_RELS, "Relationship")))
    {
        assert!(
            ids.insert(r.attribute("Id").unwrap().to_owned()),
            "duplicate id"
        );
        let target = format!("word/{}", r.attribute("Target").unwrap());
        assert!(names.contains(target.as_str()), "{target} is missing");
    }
    let xml = text(part(&parts, "word/document.xml"));
    let doc = roxmltree::Document::parse(xml).unwrap();
    const R: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    for node in doc.descendants() {
        for a in node.attributes().filter(|a| a.namespace() == Some(R)) {
            assert!(
                ids.contains(a.value()),
                "r:{} = {} undeclared",
                a.name(),
                a.value()
            );
        }
    }
    let content_types = text(part(&parts, "[Content_Types].xml"));
    for name in PARTS
        .iter()
        .filter(|n| n.ends_with(".xml") && n.contains('/'))
    {
        assert!(
            content_types.contains(&format!("PartName=\"/{name}\"")),
            "{name} has no content type"
        );
    }
}

/// Characters XML 1.0 forbids (from a pasted cell, say) are dropped, not written.
#[test]
fn docx_drops_characters_xml_forbids() {
    let mut doc = sample::document(1);
    doc.blocks.push(Block::Paragraph(
        "bell\u{7} form\u{c} nul\u{0} end\r\nnext".into(),
    ));
    let bytes = docx::render(&doc).expect("renders");
    let parts = unzip(&bytes);
    let xml = text(part(&parts, "word/document.xml"));
    roxmltree::Document::parse(xml).expect("still well-formed");
    assert!(xml.contains("<w:t>bell form nul end</w:t><w:br/><w:t>next</w:t>"));
}

/// A chart that cannot be drawn fails the rendering, naming the chart.
#[test]
fn docx_reports_a_broken_chart() {
    let mut doc = sample::document(1);
    doc.blocks.push(Block::Figure(Figure {
        caption: "坏图".into(),
        svg: "<svg this is not".into(),
        width: 100.0,
        height: 100.0,
    }));
    match docx::render(&doc) {
        Err(WriteupError::Chart { caption, .. }) => assert_eq!(caption, "坏图"),
        other => panic!("expected a chart error, got {:?}", other.map(|b| b.len())),
    }
}

/// English documents number headings 1. / 1.1 and caption “Table 1. …”.
#[test]
fn docx_english_numbering() {
    let mut doc = sample::document(1);
    doc.lang = DocLang::En;
    let bytes = docx::render(&doc).expect("renders");
    let parts = unzip(&bytes);
    let xml = text(part(&parts, "word/document.xml"));
    let doc = roxmltree::Document::parse(xml).unwrap();
    let styled = styled_paragraphs(&doc);
    assert!(styled.contains(&("Heading1".into(), "1. 总体情况".into())));
    assert!(styled.contains(&("Heading2".into(), "1.1 报送情况".into())));
    assert!(styled.contains(&("TOCHeading".into(), "Contents".into())));
    assert!(styled.contains(&("Caption".into(), "Table 1. 各单位年报情况".into())));
}

/// Large tables stay linear: 3,000 rows (a city's members) render in well under a second in
/// release builds. The bound here is loose for debug builds; the time is printed.
#[test]
fn docx_large_table_is_fast() {
    let doc = sample::document(3000);
    let start = Instant::now();
    let bytes = docx::render(&doc).expect("renders");
    let took = start.elapsed();
    eprintln!("docx: 3,000 rows in {took:?}, {} KiB", bytes.len() / 1024);
    assert!(took < Duration::from_secs(20), "3,000 rows took {took:?}");
    let parts = unzip(&bytes);
    let xml = text(part(&parts, "word/document.xml"));
    assert_eq!(xml.matches("<w:tr>").count(), 3001);
}

// ---------------------------------------------------------------------------------------------
// Through LibreOffice

/// A fresh directory under the system temp dir, unique to this process and `label`.
fn scratch_dir(label: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!(
        "writeup-docx-{label}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Converts `docx` to PDF with headless LibreOffice and returns the PDF's path. Each call uses
/// its own user profile, since two soffice processes sharing one block each other; the
/// conversion is killed after two minutes.
fn soffice_to_pdf(docx: &Path, dir: &Path) -> PathBuf {
    let profile = dir.join("profile");
    let mut child = Command::new("soffice")
        .arg("--headless")
        .arg("--norestore")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args(["--convert-to", "pdf", "--outdir"])
        .arg(dir)
        .arg(docx)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("soffice starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("soffice runs") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("soffice did not convert {} within 120 s", docx.display());
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let output = child.wait_with_output().expect("soffice output");
    let pdf = docx.with_extension("pdf");
    let pdf = dir.join(pdf.file_name().unwrap());
    assert!(
        status.success() && pdf.exists(),
        "soffice failed ({status}): {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    pdf
}

/// Renders `doc`, converts it with LibreOffice and returns the PDF's text; None when soffice or
/// pdftotext is missing outside CI.
fn through_libreoffice(doc: &Document, label: &str) -> Option<String> {
    if !available("soffice") || !available("pdftotext") {
        return None;
    }
    let dir = scratch_dir(label);
    let docx_path = dir.join("report.docx");
    std::fs::write(&docx_path, docx::render(doc).expect("renders")).expect("write docx");
    let text = pdf_text(&soffice_to_pdf(&docx_path, &dir));
    let _ = std::fs::remove_dir_all(&dir);
    Some(text)
}

/// pdftotext's layout puts spaces in at will: compare with all white space removed.
fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn docx_opens_in_libreoffice() {
    let Some(text) = through_libreoffice(&sample::document(5), "sample") else {
        return;
    };
    let flat = squash(&text);
    for want in [
        "鼓楼区2025年度商会年报数据分析报告",
        "目录",
        "一、总体情况",
        "（一）报送情况",
        "二、工作建议",
        "96.3%",
        "<A&B>",
        "表1",
        "图1",
        "χ²=12.40",
    ] {
        assert!(
            flat.contains(want),
            "{want:?} not in the PDF's text:\n{text}"
        );
    }
}

#[test]
fn docx_header_row_repeats_on_every_page() {
    let Some(text) = through_libreoffice(&sample::document(300), "long") else {
        return;
    };
    // “类别” is only in the header row.
    let pages: Vec<&str> = text.split('\x0c').collect();
    let with_header = pages.iter().filter(|p| p.contains("类别")).count();
    assert!(
        with_header >= 2,
        "the header row is on {with_header} of {} pages",
        pages.len()
    );
    assert!(squash(&text).contains("福州市第299商会"));
}
