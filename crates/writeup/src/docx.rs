//! The report as a Word document (.docx), written by hand as an OOXML WordprocessingML package:
//! staff open it in Word or WPS, edit it and print it, so it must open without a repair prompt
//! in Word, WPS and LibreOffice. Those programs are strict about the schema's element order
//! (`w:pPr`, `w:rPr`, `w:tblPr`, `w:sectPr` children are sequences), so every property list here
//! is written in schema order, and every relationship id used comes from the `RID_*` constants
//! and `image_rid`, the same ones word/_rels/document.xml.rels declares.
//!
//! The layout, in reading order:
//! - a title page (styles Title and Subtitle), without a page number;
//! - the table of contents (目录 / Contents) on its own page: a `TOC \o "1-3" \h \z \u` field
//!   whose cached result already lists the headings (styles TOC1–TOC3, linked to bookmarks on
//!   the headings), so it shows before any update; `w:updateFields` makes Word refresh it,
//!   adding the page numbers, when the file is opened. Title page and contents form the first
//!   section, numbered I, II…;
//! - the body, a second section numbered from 1, with a centred page number in the footer.
//!
//! Headings use the built-in styles Heading1–Heading3 (outline levels 0–2), so the navigation
//! pane and the contents find them. The document's headings are plain text and are numbered
//! here (`heading_number`): in Chinese level 1 “一、”, level 2 “（一）”, level 3 “1.” (the
//! sequence of Chinese official documents, GB/T 9704; each counter restarts under its parent);
//! in English “1.”, “1.1”, “1.1.1”. The PDF and HTML renderings are to number the same way.
//!
//! Tables carry their caption above (“表 1　…”), figures below (“图 1　…”), both numbered by SEQ
//! fields in the Caption style so Word's cross-references and lists of tables work. Charts are
//! embedded as PNG (WPS and older Word do not show SVG).

use std::fmt::Write as _;
use std::io::{Cursor, Write as _};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::document::{Align, Block, DocLang, Document, Figure, Table};
use crate::error::WriteupError;
use crate::png;

/// A4 in twips (1/20 pt), margins 2.54 cm (1440 twips) on every side.
const PAGE_W: u32 = 11906;
const PAGE_H: u32 = 16838;
const MARGIN: u32 = 1440;
/// The width between the margins: tables are laid out and pictures scaled to it.
const TEXT_W: u32 = PAGE_W - 2 * MARGIN;
/// DrawingML sizes are in EMU: 635 per twip, 9525 per CSS pixel (96 dpi).
const EMU_PER_TWIP: f64 = 635.0;
const EMU_PER_PX: f64 = 9525.0;
/// The tallest picture: two thirds of the text height, so its caption fits on the same page.
const MAX_PICTURE_H_TWIPS: f64 = (PAGE_H - 2 * MARGIN) as f64 * 2.0 / 3.0;
/// Charts are drawn at twice their size so they stay sharp when printed.
const CHART_SCALE: f32 = 2.0;

/// Relationship ids of word/document.xml's fixed parts; pictures follow as rId{FIRST_IMAGE_RID+i}.
const RID_STYLES: &str = "rId1";
const RID_SETTINGS: &str = "rId2";
const RID_NUMBERING: &str = "rId3";
const RID_FOOTER: &str = "rId4";
const FIRST_IMAGE_RID: usize = 5;
/// The numbering instance (word/numbering.xml) every bulleted list uses.
const BULLET_NUM_ID: u32 = 1;

const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n";
const NS_W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const NS_R: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// The document as a .docx file's bytes. Fails only when a chart cannot be drawn (its SVG does
/// not parse, or no CJK font is installed), naming the chart's caption.
pub fn render(doc: &Document) -> Result<Vec<u8>, WriteupError> {
    let pictures = pictures(doc)?;
    let body = document_xml(doc, &pictures);
    package(doc, &body, &pictures).map_err(|e| WriteupError::Docx(e.to_string()))
}

// ---------------------------------------------------------------------------------------------
// Pictures

/// A chart rasterised for embedding, with its size on the page.
struct Picture {
    png: Vec<u8>,
    /// Width and height in EMU, fitted to the text width.
    cx: u64,
    cy: u64,
}

/// Every figure's PNG, in document order (image1.png is the first figure).
fn pictures(doc: &Document) -> Result<Vec<Picture>, WriteupError> {
    doc.blocks
        .iter()
        .filter_map(|b| match b {
            Block::Figure(f) => Some(picture(f)),
            _ => None,
        })
        .collect()
}

fn picture(figure: &Figure) -> Result<Picture, WriteupError> {
    let png = png::svg_to_png(&figure.svg, CHART_SCALE).map_err(|reason| WriteupError::Chart {
        caption: figure.caption.clone(),
        reason,
    })?;
    // The figure's declared size in CSS px; if it is unusable, the picture's own size.
    let (w, h) = if figure.width.is_finite()
        && figure.height.is_finite()
        && figure.width > 0.0
        && figure.height > 0.0
    {
        (figure.width, figure.height)
    } else {
        let (pw, ph) = png_size(&png);
        (
            f64::from(pw) / f64::from(CHART_SCALE),
            f64::from(ph) / f64::from(CHART_SCALE),
        )
    };
    let (cx, cy) = fit(w * EMU_PER_PX, h * EMU_PER_PX);
    Ok(Picture { png, cx, cy })
}

/// Scales a picture of `w`×`h` EMU down (never up) to the text width and the tallest picture.
fn fit(w: f64, h: f64) -> (u64, u64) {
    let max_w = f64::from(TEXT_W) * EMU_PER_TWIP;
    let max_h = MAX_PICTURE_H_TWIPS * EMU_PER_TWIP;
    let k = (max_w / w).min(max_h / h).min(1.0);
    (
        (w * k).round().max(1.0) as u64,
        (h * k).round().max(1.0) as u64,
    )
}

/// Width and height from a PNG's IHDR chunk (bytes 16..24, big-endian).
fn png_size(png: &[u8]) -> (u32, u32) {
    let be = |r: std::ops::Range<usize>| {
        png.get(r)
            .and_then(|b| b.try_into().ok())
            .map_or(1, u32::from_be_bytes)
    };
    (be(16..20).max(1), be(20..24).max(1))
}

// ---------------------------------------------------------------------------------------------
// The package

/// Zips the parts. [Content_Types].xml goes first, as Word writes it; pictures are stored, not
/// deflated, since PNG is already compressed.
fn package(doc: &Document, body: &str, pictures: &[Picture]) -> zip::result::ZipResult<Vec<u8>> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::with_capacity(body.len() / 6 + 64 * 1024)));
    let deflate = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let store = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let parts = [
        ("[Content_Types].xml", content_types()),
        ("_rels/.rels", package_rels()),
        ("docProps/core.xml", core_xml(doc)),
        ("docProps/app.xml", app_xml()),
        (
            "word/_rels/document.xml.rels",
            document_rels(pictures.len()),
        ),
        ("word/styles.xml", styles_xml(doc.lang)),
        ("word/settings.xml", settings_xml()),
        ("word/numbering.xml", numbering_xml()),
        ("word/footer1.xml", footer_xml()),
    ];
    for (name, xml) in &parts {
        zip.start_file(*name, deflate)?;
        zip.write_all(xml.as_bytes())?;
    }
    zip.start_file("word/document.xml", deflate)?;
    zip.write_all(body.as_bytes())?;
    for (i, p) in pictures.iter().enumerate() {
        zip.start_file(format!("word/media/image{}.png", i + 1), store)?;
        zip.write_all(&p.png)?;
    }
    Ok(zip.finish()?.into_inner())
}

fn content_types() -> String {
    let over = |part: &str, kind: &str| {
        format!(
            "<Override PartName=\"/{part}\" ContentType=\"application/vnd.openxmlformats-{kind}+xml\"/>"
        )
    };
    let mut s = String::from(XML_DECL);
    s.push_str("<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">");
    s.push_str("<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>");
    s.push_str("<Default Extension=\"xml\" ContentType=\"application/xml\"/>");
    s.push_str("<Default Extension=\"png\" ContentType=\"image/png\"/>");
    s.push_str(&over(
        "word/document.xml",
        "officedocument.wordprocessingml.document.main",
    ));
    s.push_str(&over(
        "word/styles.xml",
        "officedocument.wordprocessingml.styles",
    ));
    s.push_str(&over(
        "word/settings.xml",
        "officedocument.wordprocessingml.settings",
    ));
    s.push_str(&over(
        "word/numbering.xml",
        "officedocument.wordprocessingml.numbering",
    ));
    s.push_str(&over(
        "word/footer1.xml",
        "officedocument.wordprocessingml.footer",
    ));
    s.push_str(&over("docProps/core.xml", "package.core-properties"));
    s.push_str(&over(
        "docProps/app.xml",
        "officedocument.extended-properties",
    ));
    s.push_str("</Types>");
    s
}

fn package_rels() -> String {
    let mut s = String::from(XML_DECL);
    s.push_str(
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    );
    s.push_str("<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>");
    s.push_str("<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>");
    s.push_str("<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties\" Target=\"docProps/app.xml\"/>");
    s.push_str("</Relationships>");
    s
}

/// word/document.xml's relationships: the fixed parts, then one per picture.
fn document_rels(pictures: usize) -> String {
    let rel = |s: &mut String, id: &str, kind: &str, target: &str| {
        let _ = write!(
            s,
            "<Relationship Id=\"{id}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/{kind}\" Target=\"{target}\"/>"
        );
    };
    let mut s = String::from(XML_DECL);
    s.push_str(
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    );
    rel(&mut s, RID_STYLES, "styles", "styles.xml");
    rel(&mut s, RID_SETTINGS, "settings", "settings.xml");
    rel(&mut s, RID_NUMBERING, "numbering", "numbering.xml");
    rel(&mut s, RID_FOOTER, "footer", "footer1.xml");
    for i in 0..pictures {
        let id = image_rid(i);
        rel(&mut s, &id, "image", &format!("media/image{}.png", i + 1));
    }
    s.push_str("</Relationships>");
    s
}

fn image_rid(index: usize) -> String {
    format!("rId{}", FIRST_IMAGE_RID + index)
}

/// Title and language, which Word shows under File › Info and screen readers announce.
fn core_xml(doc: &Document) -> String {
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
    let mut s = String::from(XML_DECL);
    s.push_str("<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" xmlns:dcmitype=\"http://purl.org/dc/dcmitype/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">");
    s.push_str("<dc:title>");
    esc(&mut s, &doc.title);
    s.push_str("</dc:title>");
    if !doc.subtitle.is_empty() {
        s.push_str("<dc:description>");
        esc(&mut s, &doc.subtitle.join(" "));
        s.push_str("</dc:description>");
    }
    let _ = write!(
        s,
        "<dc:language>{}</dc:language><dcterms:created xsi:type=\"dcterms:W3CDTF\">{now}</dcterms:created><dcterms:modified xsi:type=\"dcterms:W3CDTF\">{now}</dcterms:modified></cp:coreProperties>",
        doc.lang.tag()
    );
    s
}

/// The extended properties. No AppVersion: Word checks its format and complains when it is not
/// one of its own.
fn app_xml() -> String {
    let mut s = String::from(XML_DECL);
    s.push_str("<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\" xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes\"><Application>shanghui</Application><DocSecurity>0</DocSecurity></Properties>");
    s
}

/// updateFields makes Word (and WPS) offer to refresh the fields on opening: the contents gets
/// its page numbers. compatibilityMode 15 keeps Word out of “compatibility mode”.
fn settings_xml() -> String {
    let mut s = String::from(XML_DECL);
    let _ = write!(
        s,
        "<w:settings xmlns:w=\"{NS_W}\"><w:zoom w:percent=\"100\"/><w:defaultTabStop w:val=\"420\"/><w:characterSpacingControl w:val=\"compressPunctuation\"/><w:updateFields w:val=\"true\"/><w:compat><w:compatSetting w:name=\"compatibilityMode\" w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"15\"/></w:compat><w:themeFontLang w:val=\"en-US\" w:eastAsia=\"zh-CN\"/><w:decimalSymbol w:val=\".\"/><w:listSeparator w:val=\",\"/></w:settings>"
    );
    s
}

/// One bullet list definition, shared by every list. The bullet is U+2022 in Arial (not the
/// Symbol font's private-use character, which shows as a box where Symbol is missing).
fn numbering_xml() -> String {
    let mut s = String::from(XML_DECL);
    let _ = write!(
        s,
        "<w:numbering xmlns:w=\"{NS_W}\"><w:abstractNum w:abstractNumId=\"0\"><w:multiLevelType w:val=\"singleLevel\"/><w:lvl w:ilvl=\"0\"><w:start w:val=\"1\"/><w:numFmt w:val=\"bullet\"/><w:lvlText w:val=\"\u{2022}\"/><w:lvlJc w:val=\"left\"/><w:pPr><w:ind w:left=\"840\" w:hanging=\"420\"/></w:pPr><w:rPr><w:rFonts w:ascii=\"Arial\" w:hAnsi=\"Arial\" w:hint=\"default\"/></w:rPr></w:lvl></w:abstractNum><w:num w:numId=\"{BULLET_NUM_ID}\"><w:abstractNumId w:val=\"0\"/></w:num></w:numbering>"
    );
    s
}

/// The footer: the page number, centred.
fn footer_xml() -> String {
    let mut s = String::from(XML_DECL);
    let _ = write!(
        s,
        "<w:ftr xmlns:w=\"{NS_W}\" xmlns:r=\"{NS_R}\"><w:p><w:pPr><w:pStyle w:val=\"Footer\"/><w:jc w:val=\"center\"/></w:pPr>"
    );
    field(&mut s, "", "PAGE", "1");
    s.push_str("</w:p></w:ftr>");
    s
}

// ---------------------------------------------------------------------------------------------
// Styles

/// Fonts every Chinese Windows and WPS has; LibreOffice substitutes Noto CJK for them.
const BODY_FONTS: &str = "<w:rFonts w:ascii=\"Times New Roman\" w:eastAsia=\"宋体\" w:hAnsi=\"Times New Roman\" w:cs=\"Times New Roman\"/>";
const HEADING_FONTS: &str =
    "<w:rFonts w:ascii=\"Arial\" w:eastAsia=\"黑体\" w:hAnsi=\"Arial\" w:cs=\"Arial\"/>";

/// word/styles.xml: the built-in styles under their standard ids and names, so Word and WPS
/// treat them as their own (navigation pane, contents, captions), plus two custom ones for
/// table text. Sizes follow Chinese report conventions: body 小四 (12 pt), headings 三号/四号/小四
/// in 黑体, captions and table text 五号 (10.5 pt), notes 小五 (9 pt).
fn styles_xml(lang: DocLang) -> String {
    // Chinese faces carry their weight; bold 黑体 is smeared. English headings are bold.
    let bold = if lang == DocLang::En {
        "<w:b/><w:bCs/>"
    } else {
        ""
    };
    let (table_text, table_note) = match lang {
        DocLang::Zh => ("表格文字", "表注"),
        DocLang::En => ("Table Text", "Table Note"),
    };
    let mut s = String::with_capacity(8 * 1024);
    s.push_str(XML_DECL);
    let _ = write!(s, "<w:styles xmlns:w=\"{NS_W}\">");
    let _ = write!(
        s,
        "<w:docDefaults><w:rPrDefault><w:rPr>{BODY_FONTS}<w:sz w:val=\"24\"/><w:szCs w:val=\"24\"/><w:lang w:val=\"en-US\" w:eastAsia=\"zh-CN\" w:bidi=\"ar-SA\"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after=\"0\" w:line=\"240\" w:lineRule=\"auto\"/></w:pPr></w:pPrDefault></w:docDefaults>"
    );
    s.push_str("<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/><w:pPr><w:spacing w:line=\"360\" w:lineRule=\"auto\"/><w:jc w:val=\"both\"/></w:pPr></w:style>");
    s.push_str("<w:style w:type=\"character\" w:default=\"1\" w:styleId=\"DefaultParagraphFont\"><w:name w:val=\"Default Paragraph Font\"/><w:uiPriority w:val=\"1\"/><w:semiHidden/><w:unhideWhenUsed/></w:style>");
    s.push_str("<w:style w:type=\"table\" w:default=\"1\" w:styleId=\"TableNormal\"><w:name w:val=\"Normal Table\"/><w:uiPriority w:val=\"99\"/><w:semiHidden/><w:unhideWhenUsed/><w:tblPr><w:tblInd w:w=\"0\" w:type=\"dxa\"/><w:tblCellMar><w:top w:w=\"0\" w:type=\"dxa\"/><w:left w:w=\"108\" w:type=\"dxa\"/><w:bottom w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"108\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr></w:style>");
    s.push_str("<w:style w:type=\"numbering\" w:default=\"1\" w:styleId=\"NoList\"><w:name w:val=\"No List\"/><w:uiPriority w:val=\"99\"/><w:semiHidden/><w:unhideWhenUsed/></w:style>");
    let _ = write!(
        s,
        "<w:style w:type=\"paragraph\" w:styleId=\"Title\"><w:name w:val=\"Title\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"Subtitle\"/><w:uiPriority w:val=\"10\"/><w:qFormat/><w:pPr><w:spacing w:before=\"2400\" w:after=\"1200\" w:line=\"240\" w:lineRule=\"auto\"/><w:jc w:val=\"center\"/></w:pPr><w:rPr>{HEADING_FONTS}{bold}<w:sz w:val=\"44\"/><w:szCs w:val=\"44\"/></w:rPr></w:style>"
    );
    s.push_str("<w:style w:type=\"paragraph\" w:styleId=\"Subtitle\"><w:name w:val=\"Subtitle\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:uiPriority w:val=\"11\"/><w:qFormat/><w:pPr><w:spacing w:before=\"120\" w:after=\"120\"/><w:jc w:val=\"center\"/></w:pPr><w:rPr><w:sz w:val=\"32\"/><w:szCs w:val=\"32\"/></w:rPr></w:style>");
    // (before, after) spacing and size in half-points per heading level.
    for (level, before, after, size) in [(1, 480, 240, 32), (2, 240, 120, 28), (3, 120, 60, 24)] {
        let hidden = if level == 1 {
            ""
        } else {
            "<w:unhideWhenUsed/>"
        };
        let _ = write!(
            s,
            "<w:style w:type=\"paragraph\" w:styleId=\"Heading{level}\"><w:name w:val=\"heading {level}\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:uiPriority w:val=\"9\"/>{hidden}<w:qFormat/><w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before=\"{before}\" w:after=\"{after}\"/><w:jc w:val=\"left\"/><w:outlineLvl w:val=\"{}\"/></w:pPr><w:rPr>{HEADING_FONTS}{bold}<w:sz w:val=\"{size}\"/><w:szCs w:val=\"{size}\"/></w:rPr></w:style>",
            level - 1
        );
    }
    // Outline level 9 (body text) keeps the contents' own title out of the contents.
    s.push_str("<w:style w:type=\"paragraph\" w:styleId=\"TOCHeading\"><w:name w:val=\"TOC Heading\"/><w:basedOn w:val=\"Heading1\"/><w:next w:val=\"Normal\"/><w:uiPriority w:val=\"39\"/><w:unhideWhenUsed/><w:qFormat/><w:pPr><w:spacing w:before=\"240\" w:after=\"240\"/><w:jc w:val=\"center\"/><w:outlineLvl w:val=\"9\"/></w:pPr></w:style>");
    for (level, indent) in [(1, 0), (2, 420), (3, 840)] {
        let _ = write!(
            s,
            "<w:style w:type=\"paragraph\" w:styleId=\"TOC{level}\"><w:name w:val=\"toc {level}\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:autoRedefine/><w:uiPriority w:val=\"39\"/><w:unhideWhenUsed/><w:pPr><w:tabs><w:tab w:val=\"right\" w:leader=\"dot\" w:pos=\"{TEXT_W}\"/></w:tabs><w:ind w:leftChars=\"{}\" w:left=\"{indent}\"/><w:jc w:val=\"left\"/></w:pPr></w:style>",
            indent / 420 * 200
        );
    }
    let _ = write!(
        s,
        "<w:style w:type=\"paragraph\" w:styleId=\"Caption\"><w:name w:val=\"caption\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:uiPriority w:val=\"35\"/><w:unhideWhenUsed/><w:qFormat/><w:pPr><w:spacing w:before=\"120\" w:after=\"120\" w:line=\"240\" w:lineRule=\"auto\"/><w:jc w:val=\"center\"/></w:pPr><w:rPr>{HEADING_FONTS}<w:sz w:val=\"21\"/><w:szCs w:val=\"21\"/></w:rPr></w:style>"
    );
    s.push_str("<w:style w:type=\"paragraph\" w:styleId=\"ListParagraph\"><w:name w:val=\"List Paragraph\"/><w:basedOn w:val=\"Normal\"/><w:uiPriority w:val=\"34\"/><w:qFormat/><w:pPr><w:ind w:left=\"840\" w:hanging=\"420\"/></w:pPr></w:style>");
    s.push_str("<w:style w:type=\"table\" w:styleId=\"TableGrid\"><w:name w:val=\"Table Grid\"/><w:basedOn w:val=\"TableNormal\"/><w:uiPriority w:val=\"39\"/><w:pPr><w:spacing w:line=\"240\" w:lineRule=\"auto\"/></w:pPr><w:tblPr><w:tblBorders>");
    for side in ["top", "left", "bottom", "right", "insideH", "insideV"] {
        let _ = write!(
            s,
            "<w:{side} w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"auto\"/>"
        );
    }
    s.push_str("</w:tblBorders><w:tblCellMar><w:top w:w=\"28\" w:type=\"dxa\"/><w:left w:w=\"108\" w:type=\"dxa\"/><w:bottom w:w=\"28\" w:type=\"dxa\"/><w:right w:w=\"108\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr></w:style>");
    // Table cells take a paragraph style rather than direct formatting: it keeps each cell
    // small in the XML (tables run to 100,000 rows) and beats Normal's 1.5 line spacing.
    let _ = write!(
        s,
        "<w:style w:type=\"paragraph\" w:customStyle=\"1\" w:styleId=\"TableText\"><w:name w:val=\"{table_text}\"/><w:basedOn w:val=\"Normal\"/><w:uiPriority w:val=\"40\"/><w:qFormat/><w:pPr><w:spacing w:line=\"240\" w:lineRule=\"auto\"/><w:jc w:val=\"left\"/></w:pPr><w:rPr><w:sz w:val=\"21\"/><w:szCs w:val=\"21\"/></w:rPr></w:style>"
    );
    let _ = write!(
        s,
        "<w:style w:type=\"paragraph\" w:customStyle=\"1\" w:styleId=\"TableNote\"><w:name w:val=\"{table_note}\"/><w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:uiPriority w:val=\"40\"/><w:qFormat/><w:pPr><w:spacing w:before=\"60\" w:after=\"240\" w:line=\"240\" w:lineRule=\"auto\"/></w:pPr><w:rPr><w:sz w:val=\"18\"/><w:szCs w:val=\"18\"/></w:rPr></w:style>"
    );
    let _ = write!(
        s,
        "<w:style w:type=\"paragraph\" w:styleId=\"Footer\"><w:name w:val=\"footer\"/><w:basedOn w:val=\"Normal\"/><w:uiPriority w:val=\"99\"/><w:unhideWhenUsed/><w:pPr><w:tabs><w:tab w:val=\"center\" w:pos=\"{}\"/><w:tab w:val=\"right\" w:pos=\"{TEXT_W}\"/></w:tabs><w:spacing w:line=\"240\" w:lineRule=\"auto\"/><w:jc w:val=\"center\"/></w:pPr><w:rPr><w:sz w:val=\"18\"/><w:szCs w:val=\"18\"/></w:rPr></w:style>",
        TEXT_W / 2
    );
    s.push_str("</w:styles>");
    s
}

// ---------------------------------------------------------------------------------------------
// word/document.xml

/// A heading as it appears in the body and in the contents.
struct Heading {
    level: u8,
    /// The text with its number, e.g. “一、总体情况”.
    text: String,
    /// The bookmark the contents links to.
    bookmark: String,
}

/// The headings in order, numbered; the body and the contents both read this list.
fn headings(doc: &Document) -> Vec<Heading> {
    let mut counters = [0u32; 3];
    doc.headings()
        .enumerate()
        .map(|(i, (level, text))| {
            let level = level.clamp(1, 3);
            Heading {
                level,
                text: format!("{}{text}", heading_number(doc.lang, level, &mut counters)),
                // Word's own contents bookmarks are _Toc + digits; hidden because of the “_”.
                bookmark: format!("_Toc{}", 100_000_001 + i),
            }
        })
        .collect()
}

/// Advances the counters for a heading of `level` (1–3) and returns its number with the
/// separator: “一、” “（一）” “1.” in Chinese, “1. ” “1.1 ” “1.1.1 ” in English. A heading
/// restarts the counters of the levels under it.
fn heading_number(lang: DocLang, level: u8, counters: &mut [u32; 3]) -> String {
    let i = usize::from(level - 1);
    counters[i] += 1;
    for c in &mut counters[i + 1..] {
        *c = 0;
    }
    let n = counters[i];
    match (lang, level) {
        (DocLang::Zh, 1) => format!("{}、", chinese_numeral(n)),
        (DocLang::Zh, 2) => format!("（{}）", chinese_numeral(n)),
        (DocLang::Zh, _) => format!("{n}."),
        (DocLang::En, 1) => format!("{n}. "),
        (DocLang::En, _) => {
            let parts: Vec<String> = counters[..=i].iter().map(u32::to_string).collect();
            format!("{} ", parts.join("."))
        }
    }
}

/// 1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九; from 100 on, Arabic digits (no report
/// has that many sections).
fn chinese_numeral(n: u32) -> String {
    const DIGITS: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let digit = |d: u32| DIGITS[d as usize];
    match n {
        0..=9 => digit(n).to_owned(),
        10..=99 => {
            let tens = if n / 10 == 1 { "" } else { digit(n / 10) };
            let units = if n.is_multiple_of(10) {
                ""
            } else {
                digit(n % 10)
            };
            format!("{tens}十{units}")
        }
        _ => n.to_string(),
    }
}

/// Writes word/document.xml into one string sized up front: tables of 100,000 rows must stay
/// linear, so everything is appended, never re-formatted.
fn document_xml(doc: &Document, pictures: &[Picture]) -> String {
    let headings = headings(doc);
    let mut w = Body {
        out: String::with_capacity(size_hint(doc)),
        lang: doc.lang,
        tables: 0,
        figures: 0,
    };
    w.out.push_str(XML_DECL);
    let _ = write!(
        w.out,
        "<w:document xmlns:w=\"{NS_W}\" xmlns:r=\"{NS_R}\" xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\" xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" xmlns:pic=\"http://schemas.openxmlformats.org/drawingml/2006/picture\"><w:body>"
    );
    w.title_page(doc);
    w.contents(&headings);
    let mut next_heading = headings.iter().enumerate();
    let mut next_picture = pictures.iter();
    for block in &doc.blocks {
        match block {
            Block::Heading { .. } => {
                if let Some((id, h)) = next_heading.next() {
                    w.heading(id, h);
                }
            }
            Block::Paragraph(text) => w.paragraph(text),
            Block::Bullets(items) => w.bullets(items),
            Block::Table(t) => w.table(t),
            Block::Figure(f) => {
                if let Some(p) = next_picture.next() {
                    w.figure(f, p);
                }
            }
        }
    }
    if doc.blocks.is_empty() {
        // A section needs a paragraph, or Word merges it into the previous one.
        w.out.push_str("<w:p/>");
    }
    w.section_properties(false);
    w.out.push_str("</w:body></w:document>");
    w.out
}

/// A generous estimate of document.xml's size, so the string is allocated once.
fn size_hint(doc: &Document) -> usize {
    let mut n = 16 * 1024;
    for block in &doc.blocks {
        n += match block {
            Block::Table(t) => t
                .rows
                .iter()
                .map(|r| 48 + r.iter().map(|c| c.len() + 120).sum::<usize>())
                .sum::<usize>(),
            Block::Paragraph(p) => p.len() + 128,
            Block::Bullets(items) => items.iter().map(|i| i.len() + 200).sum(),
            _ => 2048,
        };
    }
    n
}

/// The body being written, with the caption counters.
struct Body {
    out: String,
    lang: DocLang,
    tables: u32,
    figures: u32,
}

impl Body {
    /// Title and subtitle lines; the contents starts a new page after them.
    fn title_page(&mut self, doc: &Document) {
        paragraph(&mut self.out, "<w:pStyle w:val=\"Title\"/>", &doc.title);
        for line in &doc.subtitle {
            paragraph(&mut self.out, "<w:pStyle w:val=\"Subtitle\"/>", line);
        }
    }

    /// The contents' title and the TOC field, its cached result one linked entry per heading,
    /// then the end of the first section (title page and contents).
    fn contents(&mut self, headings: &[Heading]) {
        paragraph(
            &mut self.out,
            "<w:pStyle w:val=\"TOCHeading\"/><w:pageBreakBefore/>",
            self.lang.contents_word(),
        );
        let o = &mut self.out;
        let instr = "TOC \\o \"1-3\" \\h \\z \\u";
        if headings.is_empty() {
            o.push_str("<w:p>");
            field(o, "", instr, "");
            o.push_str("</w:p>");
        }
        for (i, h) in headings.iter().enumerate() {
            let _ = write!(
                o,
                "<w:p><w:pPr><w:pStyle w:val=\"TOC{}\"/></w:pPr>",
                h.level
            );
            if i == 0 {
                field_start(o, "", instr);
            }
            let _ = write!(
                o,
                "<w:hyperlink w:anchor=\"{}\" w:history=\"1\">",
                h.bookmark
            );
            run(o, "", &h.text);
            o.push_str("</w:hyperlink>");
            if i + 1 == headings.len() {
                field_end(o, "");
            }
            o.push_str("</w:p>");
        }
        // A section break of its own, outside the field, so no program mistakes it for part
        // of the contents.
        self.out.push_str("<w:p><w:pPr>");
        self.section_properties(true);
        self.out.push_str("</w:pPr></w:p>");
    }

    /// A section's page setup. The front section (title page, contents) has no number on the
    /// title page and Roman numbers after it; the body is numbered from 1.
    fn section_properties(&mut self, front: bool) {
        let (numbers, title_page) = if front {
            (
                "<w:pgNumType w:fmt=\"upperRoman\" w:start=\"1\"/>",
                "<w:titlePg/>",
            )
        } else {
            ("<w:pgNumType w:fmt=\"decimal\" w:start=\"1\"/>", "")
        };
        let _ = write!(
            self.out,
            "<w:sectPr><w:footerReference w:type=\"default\" r:id=\"{RID_FOOTER}\"/><w:type w:val=\"nextPage\"/><w:pgSz w:w=\"{PAGE_W}\" w:h=\"{PAGE_H}\"/><w:pgMar w:top=\"{MARGIN}\" w:right=\"{MARGIN}\" w:bottom=\"{MARGIN}\" w:left=\"{MARGIN}\" w:header=\"851\" w:footer=\"992\" w:gutter=\"0\"/>{numbers}<w:cols w:space=\"425\"/>{title_page}</w:sectPr>"
        );
    }

    /// A heading in its built-in style, wrapped in the bookmark the contents links to.
    fn heading(&mut self, id: usize, h: &Heading) {
        let o = &mut self.out;
        let _ = write!(
            o,
            "<w:p><w:pPr><w:pStyle w:val=\"Heading{}\"/></w:pPr><w:bookmarkStart w:id=\"{id}\" w:name=\"{}\"/>",
            h.level, h.bookmark
        );
        run(o, "", &h.text);
        let _ = write!(o, "<w:bookmarkEnd w:id=\"{id}\"/></w:p>");
    }

    /// Body text: in Chinese indented by two characters on the first line (firstLine is the
    /// same in twips for programs that ignore the “Chars” form); in English, space after.
    fn paragraph(&mut self, text: &str) {
        let ppr = match self.lang {
            DocLang::Zh => "<w:ind w:firstLineChars=\"200\" w:firstLine=\"480\"/>",
            DocLang::En => "<w:spacing w:after=\"120\"/>",
        };
        paragraph(&mut self.out, ppr, text);
    }

    fn bullets(&mut self, items: &[String]) {
        let ppr = format!(
            "<w:pStyle w:val=\"ListParagraph\"/><w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"{BULLET_NUM_ID}\"/></w:numPr>"
        );
        for item in items {
            paragraph(&mut self.out, &ppr, item);
        }
    }

    /// “表 1　caption” (“Table 1. caption”) with the number as a SEQ field, as Word's Insert
    /// Caption writes it, so Word's lists of tables and figures find it.
    fn caption(&mut self, ppr: &str, word: &str, number: u32, caption: &str) {
        let o = &mut self.out;
        let _ = write!(o, "<w:p><w:pPr><w:pStyle w:val=\"Caption\"/>{ppr}</w:pPr>");
        run(o, "", &format!("{word} "));
        field(
            o,
            "",
            &format!("SEQ {word} \\* ARABIC"),
            &number.to_string(),
        );
        if !caption.is_empty() {
            let sep = match self.lang {
                DocLang::Zh => "\u{3000}",
                DocLang::En => ". ",
            };
            run(o, "", &format!("{sep}{caption}"));
        }
        o.push_str("</w:p>");
    }

    /// Caption above (kept with the table), the table, and the note under it. The header row
    /// repeats on every page, no row splits across pages, and numbers line up on the right.
    /// The note's paragraph is written even when empty: a table must be followed by a
    /// paragraph, and two tables in a row would otherwise merge.
    fn table(&mut self, t: &Table) {
        self.tables += 1;
        let word = self.lang.table_word();
        self.caption("<w:keepNext/>", word, self.tables, &t.caption);
        let cols = t
            .rows
            .iter()
            .map(Vec::len)
            .chain([t.header.len()])
            .max()
            .unwrap_or(0);
        if cols > 0 {
            self.table_body(t, cols);
        }
        paragraph(&mut self.out, "<w:pStyle w:val=\"TableNote\"/>", &t.note);
    }

    fn table_body(&mut self, t: &Table, cols: usize) {
        let o = &mut self.out;
        o.push_str("<w:tbl><w:tblPr><w:tblStyle w:val=\"TableGrid\"/><w:tblW w:w=\"5000\" w:type=\"pct\"/><w:jc w:val=\"center\"/><w:tblLayout w:type=\"autofit\"/><w:tblLook w:val=\"04A0\" w:firstRow=\"1\" w:lastRow=\"0\" w:firstColumn=\"1\" w:lastColumn=\"0\" w:noHBand=\"0\" w:noVBand=\"1\"/></w:tblPr><w:tblGrid>");
        for width in column_widths(t, cols) {
            let _ = write!(o, "<w:gridCol w:w=\"{width}\"/>");
        }
        o.push_str("</w:tblGrid>");
        // The cell paragraph's properties per column, built once.
        let cell_ppr: Vec<&str> = (0..cols)
            .map(|c| match t.align.get(c) {
                Some(Align::Right) => {
                    "<w:pPr><w:pStyle w:val=\"TableText\"/><w:jc w:val=\"right\"/></w:pPr>"
                }
                _ => "<w:pPr><w:pStyle w:val=\"TableText\"/></w:pPr>",
            })
            .collect();
        if !t.header.is_empty() {
            o.push_str("<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>");
            for c in 0..cols {
                o.push_str("<w:tc><w:tcPr><w:shd w:val=\"clear\" w:color=\"auto\" w:fill=\"E7ECF3\"/><w:vAlign w:val=\"center\"/></w:tcPr><w:p><w:pPr><w:pStyle w:val=\"TableText\"/><w:jc w:val=\"center\"/></w:pPr>");
                run(o, "<w:rPr><w:b/><w:bCs/></w:rPr>", cell(&t.header, c));
                o.push_str("</w:p></w:tc>");
            }
            o.push_str("</w:tr>");
        }
        for row in &t.rows {
            o.push_str("<w:tr><w:trPr><w:cantSplit/></w:trPr>");
            for (c, ppr) in cell_ppr.iter().enumerate() {
                o.push_str("<w:tc><w:p>");
                o.push_str(ppr);
                run(o, "", cell(row, c));
                o.push_str("</w:p></w:tc>");
            }
            o.push_str("</w:tr>");
        }
        o.push_str("</w:tbl>");
    }

    /// The picture, centred and kept with its caption below.
    fn figure(&mut self, f: &Figure, p: &Picture) {
        self.figures += 1;
        let n = self.figures;
        let word = self.lang.figure_word();
        let o = &mut self.out;
        // Single line spacing: with 1.5 lines Word adds half the picture's height above it.
        o.push_str("<w:p><w:pPr><w:keepNext/><w:spacing w:before=\"120\" w:line=\"240\" w:lineRule=\"auto\"/><w:jc w:val=\"center\"/></w:pPr><w:r>");
        drawing(o, n, &image_rid(n as usize - 1), &f.caption, p.cx, p.cy);
        o.push_str("</w:r></w:p>");
        self.caption("", word, n, &f.caption);
    }
}

/// An inline picture. docPr ids are unique per document (the figure's number); descr is the
/// alternative text screen readers read: the caption.
fn drawing(o: &mut String, n: u32, rid: &str, caption: &str, cx: u64, cy: u64) {
    let _ = write!(
        o,
        "<w:drawing><wp:inline distT=\"0\" distB=\"0\" distL=\"0\" distR=\"0\"><wp:extent cx=\"{cx}\" cy=\"{cy}\"/><wp:effectExtent l=\"0\" t=\"0\" r=\"0\" b=\"0\"/><wp:docPr id=\"{n}\" name=\"Picture {n}\" descr=\""
    );
    esc(o, caption);
    o.push_str("\"/><wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect=\"1\"/></wp:cNvGraphicFramePr><a:graphic><a:graphicData uri=\"http://schemas.openxmlformats.org/drawingml/2006/picture\"><pic:pic>");
    let _ = write!(
        o,
        "<pic:nvPicPr><pic:cNvPr id=\"{n}\" name=\"image{n}.png\" descr=\""
    );
    esc(o, caption);
    let _ = write!(
        o,
        "\"/><pic:cNvPicPr><a:picLocks noChangeAspect=\"1\" noChangeArrowheads=\"1\"/></pic:cNvPicPr></pic:nvPicPr><pic:blipFill><a:blip r:embed=\"{rid}\"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr bwMode=\"auto\"><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"{cx}\" cy=\"{cy}\"/></a:xfrm><a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing>"
    );
}

/// Row `row`'s cell `c`, empty when the row is short.
fn cell(row: &[String], c: usize) -> &str {
    row.get(c).map_or("", String::as_str)
}

/// Column widths in twips summing to the text width, shared out by how wide each column's
/// text is (Chinese characters count double) over the header and the first rows. Word and WPS
/// autofit from there; LibreOffice uses these widths as they are.
fn column_widths(t: &Table, cols: usize) -> Vec<u32> {
    const SAMPLE_ROWS: usize = 200;
    let mut weights = vec![4usize; cols];
    for row in std::iter::once(&t.header).chain(t.rows.iter().take(SAMPLE_ROWS)) {
        for (c, text) in row.iter().enumerate().take(cols) {
            weights[c] = weights[c].max(display_width(text).min(40));
        }
    }
    let total: usize = weights.iter().sum();
    let mut widths: Vec<u32> = weights
        .iter()
        .map(|&w| (TEXT_W as usize * w / total) as u32)
        .collect();
    // Rounding leaves a few twips over: give them to the last column.
    let used: u32 = widths.iter().sum();
    if let Some(last) = widths.last_mut() {
        *last += TEXT_W - used;
    }
    widths
}

/// Width in half-ems: ASCII counts 1, everything else (CJK, full-width punctuation) 2.
fn display_width(s: &str) -> usize {
    s.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
}

// ---------------------------------------------------------------------------------------------
// XML pieces

/// A paragraph with properties `ppr` (the inside of w:pPr, may be empty) and one run of text.
fn paragraph(o: &mut String, ppr: &str, text: &str) {
    o.push_str("<w:p>");
    if !ppr.is_empty() {
        o.push_str("<w:pPr>");
        o.push_str(ppr);
        o.push_str("</w:pPr>");
    }
    run(o, "", text);
    o.push_str("</w:p>");
}

/// A run of `text` with properties `rpr` (a whole w:rPr or empty). Line breaks become w:br
/// and tabs w:tab, since a w:t holds neither; nothing is written for empty text.
fn run(o: &mut String, rpr: &str, text: &str) {
    if text.is_empty() {
        return;
    }
    o.push_str("<w:r>");
    o.push_str(rpr);
    for (i, line) in text.split('\n').enumerate() {
        // “\r\n” line ends: the carriage return is not text.
        let line = line.strip_suffix('\r').unwrap_or(line);
        if i > 0 {
            o.push_str("<w:br/>");
        }
        for (j, piece) in line.split('\t').enumerate() {
            if j > 0 {
                o.push_str("<w:tab/>");
            }
            text_element(o, piece);
        }
    }
    o.push_str("</w:r>");
}

/// A w:t, marked to keep its spaces only when it has leading or trailing ones (Word drops them
/// otherwise); the mark costs 20 bytes a cell, which adds up in long tables.
fn text_element(o: &mut String, text: &str) {
    if text.is_empty() {
        return;
    }
    let edges = text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace);
    o.push_str(if edges {
        "<w:t xml:space=\"preserve\">"
    } else {
        "<w:t>"
    });
    esc(o, text);
    o.push_str("</w:t>");
}

/// A complex field (begin, instruction, separate, cached result, end): the form Word itself
/// writes, which Word, WPS and LibreOffice all read and update.
fn field(o: &mut String, rpr: &str, instr: &str, result: &str) {
    field_start(o, rpr, instr);
    run(o, rpr, result);
    field_end(o, rpr);
}

fn field_start(o: &mut String, rpr: &str, instr: &str) {
    let _ = write!(
        o,
        "<w:r>{rpr}<w:fldChar w:fldCharType=\"begin\"/></w:r><w:r>{rpr}<w:instrText xml:space=\"preserve\"> "
    );
    esc(o, instr);
    let _ = write!(
        o,
        " </w:instrText></w:r><w:r>{rpr}<w:fldChar w:fldCharType=\"separate\"/></w:r>"
    );
}

fn field_end(o: &mut String, rpr: &str) {
    let _ = write!(o, "<w:r>{rpr}<w:fldChar w:fldCharType=\"end\"/></w:r>");
}

/// Appends `text` escaped for XML text and attribute values. Characters XML 1.0 forbids
/// (control characters other than tab and line feed, U+FFFE, U+FFFF) are dropped: one stray
/// control character from a pasted cell would otherwise make Word refuse the whole file.
/// Carriage returns go too, so “\r\n” line ends count once.
fn esc(o: &mut String, text: &str) {
    // Most text needs nothing: copy it whole.
    if !text.chars().any(needs_escape) {
        o.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\t' | '\n' => o.push(c),
            c if forbidden(c) => {}
            c => o.push(c),
        }
    }
}

fn needs_escape(c: char) -> bool {
    matches!(c, '&' | '<' | '>' | '"') || forbidden(c)
}

/// Not allowed in an XML 1.0 document (tab and line feed are; carriage return is dropped).
fn forbidden(c: char) -> bool {
    (c < ' ' && c != '\t' && c != '\n') || c == '\u{FFFE}' || c == '\u{FFFF}'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_headings_in_the_chinese_sequence() {
        let mut c = [0; 3];
        let zh: Vec<String> = [1, 2, 2, 3, 1, 2]
            .into_iter()
            .map(|l| heading_number(DocLang::Zh, l, &mut c))
            .collect();
        assert_eq!(zh, ["一、", "（一）", "（二）", "1.", "二、", "（一）"]);
        let mut c = [0; 3];
        let en: Vec<String> = [1, 2, 3, 1]
            .into_iter()
            .map(|l| heading_number(DocLang::En, l, &mut c))
            .collect();
        assert_eq!(en, ["1. ", "1.1 ", "1.1.1 ", "2. "]);
    }

    #[test]
    fn chinese_numerals() {
        let got: Vec<String> = [1, 9, 10, 11, 20, 21, 99, 100]
            .into_iter()
            .map(chinese_numeral)
            .collect();
        assert_eq!(
            got,
            ["一", "九", "十", "十一", "二十", "二十一", "九十九", "100"]
        );
    }

    #[test]
    fn escapes_and_drops_forbidden_characters() {
        let mut s = String::new();
        esc(&mut s, "a<b>&\"c\u{1}\r\u{FFFF}\td");
        assert_eq!(s, "a&lt;b&gt;&amp;&quot;c\td");
    }

    #[test]
    fn fits_pictures_to_the_text_width() {
        let (cx, cy) = fit(2000.0 * EMU_PER_PX, 1000.0 * EMU_PER_PX);
        assert_eq!(cx, (f64::from(TEXT_W) * EMU_PER_TWIP).round() as u64);
        assert_eq!(cy, cx / 2);
        assert_eq!(fit(100.0, 50.0), (100, 50));
    }
}
