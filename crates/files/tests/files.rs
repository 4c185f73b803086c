//! Reading and writing registry files end to end: real workbooks written by rust_xlsxwriter,
//! hand-built xlsx and ods packages, an xls made by xlwt (tests/data/make_xls.py), CSV in three
//! encodings, and hostile input.

use std::io::{Cursor, Read, Write};

use proptest::prelude::*;
use shanghui_core::{Field, Lang, OrgInput};
use shanghui_files::{
    Located, MAX_COLUMNS, MAX_DATA_ROWS, MAX_FILE_BYTES, neutralize, read_registry,
    registry_template_xlsx, write_registry_csv, write_registry_xlsx,
};
use zip::write::SimpleFileOptions;

fn input(pairs: &[(Field, &str)]) -> OrgInput {
    pairs.iter().map(|&(f, v)| (f, v.to_string())).collect()
}

fn sample() -> Vec<OrgInput> {
    vec![
        input(&[
            (Field::Id, "17"),
            (Field::Kind, "商会"),
            (Field::Name, "福州市鼓楼区餐饮商会"),
            (Field::Category, "行业"),
            (Field::Uscc, "51350102MJ0000000X"),
            (Field::DivisionCode, "350102"),
            (Field::FoundedOn, "2015-03-01"),
            (Field::MembersUnit, "0040"),
            (Field::Registered, "是"),
            (Field::PartyOrg, "否"),
            (
                Field::PartyOrgReason,
                "党员人数不足三人，已由街道党工委选派党建指导员",
            ),
        ]),
        input(&[
            (Field::Kind, "工商联"),
            (Field::Level, "县级"),
            (Field::Name, "=HYPERLINK(\"http://evil\",\"点我\")"),
            (Field::President, "-张三"),
            (Field::SecretaryGeneral, "'=已经带引号"),
            (Field::MembersTotal, "+1"),
            (Field::UsccOverrideReason, "@某人 说明\n第二行"),
        ]),
        input(&[
            (Field::Kind, "Chamber"),
            (Field::Name, "Hometown chamber \"闽商\", Fuzhou"),
        ]),
    ]
}

fn inputs(rows: &[shanghui_files::RegistryRow]) -> Vec<OrgInput> {
    rows.iter().map(|r| r.input.clone()).collect()
}

fn keys(problems: &[Located]) -> Vec<&'static str> {
    problems.iter().map(|p| p.msg.key).collect()
}

fn show(problems: &[Located]) -> String {
    problems
        .iter()
        .map(|p| p.render(Lang::ZhCn))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn xlsx_round_trip_in_both_languages() {
    for lang in Lang::ALL {
        let bytes = write_registry_xlsx(&sample(), lang).unwrap();
        let rows = read_registry(&bytes, "导出.xlsx").unwrap_or_else(|p| panic!("{}", show(&p)));
        assert_eq!(inputs(&rows), sample(), "{lang:?}");
        assert_eq!(rows[0].sheet, lang.t("files.sheet.registry"));
        assert_eq!(
            rows.iter().map(|r| r.row).collect::<Vec<_>>(),
            vec![2, 3, 4]
        );
        assert_eq!(rows[0].columns[&Field::Id], "A");
        assert_eq!(rows[0].columns[&Field::Name], "E");
        assert_eq!(rows[0].columns.len(), Field::ALL.len());
    }
}

#[test]
fn xlsx_cells_are_text_and_neutralized() {
    let bytes = write_registry_xlsx(&sample(), Lang::ZhCn).unwrap();
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut strings = String::new();
    zip.by_name("xl/sharedStrings.xml")
        .unwrap()
        .read_to_string(&mut strings)
        .unwrap();
    assert!(strings.contains("'=HYPERLINK"), "{strings}");
    assert!(strings.contains("<t>0040</t>"));
    let mut sheet = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut sheet)
        .unwrap();
    assert!(!sheet.contains("<f>"), "no formulas: {sheet}");
    assert!(sheet.contains("<pane"), "frozen header");
    assert!(!sheet.contains("t=\"n\""));
}

#[test]
fn csv_round_trip_and_injection_guard() {
    for lang in Lang::ALL {
        let bytes = write_registry_csv(&sample(), lang);
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        assert!(
            text.contains("\"'=HYPERLINK(\"\"http://evil\"\",\"\"点我\"\")\""),
            "{text}"
        );
        assert!(text.contains(",'-张三,"));
        assert!(text.contains("\r\n"));
        let rows = read_registry(&bytes, "单位.csv").unwrap_or_else(|p| panic!("{}", show(&p)));
        assert_eq!(inputs(&rows), sample());
        assert_eq!(rows[0].sheet, "单位");
    }
}

#[test]
fn csv_in_utf8_bom_and_gbk_read_the_same() {
    let text = "福州市鼓楼区商会名录\r\n名称,单位类型,商会类别,行政区划代码,单位会员数\r\n\
                鼓楼区餐饮商会,商会,行业商会,350102,40\r\n\
                ,,,,\r\n\
                \"鼓楼区\"\"闽商\"\"商会\",商会,异地,350102, 12 \r\n";
    let utf8 = text.as_bytes().to_vec();
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(text.as_bytes());
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    let expected = vec![
        input(&[
            (Field::Name, "鼓楼区餐饮商会"),
            (Field::Kind, "商会"),
            (Field::Category, "行业商会"),
            (Field::DivisionCode, "350102"),
            (Field::MembersUnit, "40"),
        ]),
        input(&[
            (Field::Name, "鼓楼区\"闽商\"商会"),
            (Field::Kind, "商会"),
            (Field::Category, "异地"),
            (Field::DivisionCode, "350102"),
            (Field::MembersUnit, "12"),
        ]),
    ];
    for bytes in [utf8, bom, gbk.into_owned()] {
        let rows = read_registry(&bytes, "名录.CSV").unwrap_or_else(|p| panic!("{}", show(&p)));
        assert_eq!(inputs(&rows), expected);
        assert_eq!(rows[1].row, 5);
    }
}

#[test]
fn template_reads_back_empty() {
    for lang in Lang::ALL {
        let bytes = registry_template_xlsx(lang).unwrap();
        let rows = read_registry(&bytes, "模板.xlsx").unwrap_or_else(|p| panic!("{}", show(&p)));
        assert!(rows.is_empty());

        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut workbook = String::new();
        zip.by_name("xl/workbook.xml")
            .unwrap()
            .read_to_string(&mut workbook)
            .unwrap();
        assert!(workbook.contains(lang.t("files.sheet.instructions")));
        let mut sheet = String::new();
        zip.by_name("xl/worksheets/sheet2.xml")
            .unwrap()
            .read_to_string(&mut sheet)
            .unwrap();
        // Unit type, level, category, two yes/no fields, party organisation form, status.
        assert_eq!(sheet.matches("<dataValidation ").count(), 7, "{sheet}");
        assert!(sheet.contains(&format!("\"{},{}\"", lang.t("yes"), lang.t("no"))));
    }
}

#[test]
fn a_filled_template_reads() {
    // Fill the template the way a user does: keep its two header rows, add data below.
    let template = registry_template_xlsx(Lang::ZhCn).unwrap();
    let strings = read_sheet_xml(&template, "xl/sharedStrings.xml");
    assert!(strings.contains("<t>name</t>") && strings.contains("<t>名称*</t>"));
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("单位").unwrap();
    for (c, f) in Field::ALL.iter().enumerate() {
        let label = if *f == Field::Name {
            "名称*"
        } else {
            f.label(Lang::ZhCn)
        };
        ws.write_string(0, c as u16, label).unwrap();
        ws.write_string(1, c as u16, f.code()).unwrap();
    }
    ws.write_string(2, 2, "商会").unwrap();
    ws.write_string(2, 4, "台江区商会").unwrap();
    ws.write_number(2, 5, 913501005678901234.0).unwrap();
    ws.write_number(2, 9, 350103.0).unwrap();
    ws.write_boolean(2, 10, true).unwrap();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let day = rust_xlsxwriter::ExcelDateTime::from_ymd(2015, 3, 1).unwrap();
    ws.write_datetime_with_format(2, 8, &day, &date).unwrap();
    ws.write_number(2, 16, 12.5).unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let rows = read_registry(&bytes, "填好的.xlsx").unwrap_or_else(|p| panic!("{}", show(&p)));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].row, 3);
    assert_eq!(
        rows[0].input,
        input(&[
            (Field::Kind, "商会"),
            (Field::Name, "台江区商会"),
            // Stored as a number, the code has lost its last digits, but it is not 9.1E+17.
            (Field::Uscc, "913501005678901248"),
            (Field::FoundedOn, "2015-03-01"),
            (Field::DivisionCode, "350103"),
            (Field::Registered, "是"),
            (Field::MembersIndividual, "12.5"),
        ])
    );
}

fn read_sheet_xml(xlsx: &[u8], part: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(xlsx)).unwrap();
    let mut s = String::new();
    zip.by_name(part).unwrap().read_to_string(&mut s).unwrap();
    s
}

/// A minimal xlsx package around hand-written sheet XML (inline strings, no shared strings), with
/// a date style at index 1.
fn raw_xlsx(sheets: &[(&str, &str)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default();
    let mut put = |name: &str, body: String| {
        zip.start_file(name, opts).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    };
    let overrides: String = (1..=sheets.len())
        .map(|i| format!(r#"<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#))
        .collect();
    put(
        "[Content_Types].xml",
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>{overrides}</Types>"#
        ),
    );
    put("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string());
    let sheet_list: String = sheets
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            format!(
                r#"<sheet name="{name}" sheetId="{}" r:id="rId{}"/>"#,
                i + 1,
                i + 1
            )
        })
        .collect();
    put(
        "xl/workbook.xml",
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheet_list}</sheets></workbook>"#
        ),
    );
    let rels: String = (1..=sheets.len())
        .map(|i| format!(r#"<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>"#))
        .collect();
    put(
        "xl/_rels/workbook.xml.rels",
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#
        ),
    );
    put("xl/styles.xml", r#"<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>"#.to_string());
    for (i, (_, xml)) in sheets.iter().enumerate() {
        put(
            &format!("xl/worksheets/sheet{}.xml", i + 1),
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{xml}</sheetData></worksheet>"#
            ),
        );
    }
    zip.finish().unwrap().into_inner()
}

fn s(r: &str, text: &str) -> String {
    format!(r#"<c r="{r}" t="inlineStr"><is><t>{text}</t></is></c>"#)
}

#[test]
fn cell_types_from_a_hand_made_xlsx() {
    let sheet = format!(
        r#"<row r="2">{}{}{}{}{}{}</row><row r="3">{}{}<c r="C3"><v>1.2E+17</v></c><c r="D3" s="1"><v>45443</v></c><c r="E3" t="b"><v>0</v></c><c r="F3"><v>40</v></c></row>"#,
        s("A2", "名称"),
        s("B2", "单位类型"),
        s("C2", "统一社会信用代码"),
        s("D2", "成立日期"),
        s("E2", "是否建立党组织"),
        s("F2", "单位会员数"),
        s("A3", " 鼓楼商会\u{3000}"),
        s("B3", "商会"),
    );
    let rows = read_registry(&raw_xlsx(&[("单位", &sheet)]), "a.xlsm").unwrap();
    assert_eq!(
        rows[0].input,
        input(&[
            (Field::Name, "鼓楼商会"),
            (Field::Kind, "商会"),
            (Field::Uscc, "120000000000000000"),
            (Field::FoundedOn, "2024-05-31"),
            (Field::PartyOrg, "否"),
            (Field::MembersUnit, "40"),
        ])
    );
}

#[test]
fn a_messy_file_lists_every_problem_at_once() {
    let first = format!(
        r#"<row r="1">{}</row><row r="3">{}{}{}{}</row><row r="4">{}{}<c r="C4" t="e"><v>#DIV/0!</v></c>{}{}{}</row>"#,
        s("A1", "各单位请于 5 月底前报送"),
        s("A3", "单位类型"),
        s("B3", "备注"),
        s("C3", "会长"),
        s("D3", "会长（兼）"),
        s("A4", "商会"),
        s("B4", "随便"),
        s("D4", "李四"),
        s("E4", "没有列名"),
        s("F4", "也没有"),
    );
    let second = format!(
        r#"<row r="1">{}{}</row><row r="2">{}{}</row>"#,
        s("A1", "名称"),
        s("B1", "单位类型"),
        s("A2", "台江商会"),
        s("B2", "商会"),
    );
    let bytes = raw_xlsx(&[("单位", &first), ("补充", &second), ("Sheet3", "")]);
    let problems = read_registry(&bytes, "乱.xlsx").unwrap_err();
    assert_eq!(
        keys(&problems),
        vec![
            "files.unknown_column",
            "files.duplicate_column",
            "files.missing_column",
            "files.cell_error",
            "files.orphan_column",
            "files.orphan_column",
        ],
        "{}",
        show(&problems)
    );
    let text: Vec<String> = problems.iter().map(|p| p.render(Lang::ZhCn)).collect();
    assert_eq!(
        text[0],
        "工作表“单位”第 3 行 B 列（备注）：无法识别的列名，请改用模板中的列名，或删除该列"
    );
    assert_eq!(
        text[1],
        "工作表“单位”第 3 行 D 列（会长（兼））：与 C 列重复，同一项只能有一列"
    );
    assert_eq!(text[2], "工作表“单位”第 3 行（名称）：缺少必需的列“名称”");
    assert_eq!(
        text[3],
        "工作表“单位”第 4 行 C 列（会长）“#DIV/0!”：单元格是错误值，请先修正公式或改为直接填写"
    );
    assert_eq!(problems[4].column.as_deref(), Some("E"));
    assert_eq!(problems[5].column.as_deref(), Some("F"));
    assert!(text[4].contains("第 4 行起"), "{}", text[4]);
    let en = problems[2].render(Lang::En);
    assert_eq!(
        en,
        "Sheet \"单位\", row 3 (Name): The required column \"Name\" is missing"
    );
}

#[test]
fn no_header_anywhere() {
    let bytes = raw_xlsx(&[(
        "Sheet1",
        &format!("<row r=\"1\">{}{}</row>", s("A1", "甲"), s("B1", "乙")),
    )]);
    let problems = read_registry(&bytes, "a.xlsx").unwrap_err();
    assert_eq!(keys(&problems), vec!["files.no_header"]);
    assert!(
        problems[0]
            .render(Lang::ZhCn)
            .starts_with("工作表“Sheet1”：找不到表头")
    );
}

#[test]
fn file_level_refusals() {
    let p = read_registry(b"whatever", "名单.pdf").unwrap_err();
    assert_eq!(
        p[0].render(Lang::ZhCn),
        "不支持“.pdf”格式的文件，请上传 xlsx、xls、ods 或 csv 文件"
    );
    assert_eq!(
        keys(&read_registry(b"x", "名单").unwrap_err()),
        vec!["files.no_extension"]
    );
    assert_eq!(
        keys(&read_registry(b"", "a.csv").unwrap_err()),
        vec!["files.empty_file"]
    );
    let big = vec![b'a'; MAX_FILE_BYTES + 1];
    let p = read_registry(&big, "a.csv").unwrap_err();
    assert_eq!(
        p[0].render(Lang::ZhCn),
        "文件过大（20.0 MB），最大只能导入 20.0 MB，请分成几个文件导入"
    );
    assert_eq!(
        keys(&read_registry(b"not a workbook", "a.xlsx").unwrap_err()),
        vec!["files.unreadable"]
    );
    let html = "<html><table><tr><td>名称</td><td>单位类型</td></tr></table></html>";
    let p = read_registry(html.as_bytes(), "a.xls").unwrap_err();
    assert_eq!(
        p[0].render(Lang::ZhCn),
        "无法读取文件：文件可能已损坏，或者内容并非 xls 格式，请用 Excel 打开后另存为 xlsx 再导入"
    );
    assert_eq!(
        keys(&read_registry(b"abc\x81", "a.csv").unwrap_err()),
        vec!["files.csv_encoding"]
    );
}

#[test]
fn too_many_columns_and_rows() {
    let mut wide = (0..=MAX_COLUMNS)
        .map(|i| format!("c{i}"))
        .collect::<Vec<_>>()
        .join(",");
    wide.insert_str(0, "名称,单位类型,");
    let p = read_registry(wide.as_bytes(), "a.csv").unwrap_err();
    assert_eq!(keys(&p), vec!["files.too_many_columns"]);

    let mut tall = String::from("名称,单位类型\n");
    for i in 0..=MAX_DATA_ROWS {
        tall.push_str(&format!("商会{i},商会\n"));
    }
    let p = read_registry(tall.as_bytes(), "a.csv").unwrap_err();
    assert_eq!(keys(&p), vec!["files.too_many_rows"]);
    assert!(p[0].render(Lang::ZhCn).contains("200000"));
}

#[test]
fn zip_bomb_is_refused() {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(false);
    zip.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..50 {
        zip.write_all(&zeros).unwrap();
    }
    let bytes = zip.finish().unwrap().into_inner();
    assert!(bytes.len() < 1024 * 1024, "{}", bytes.len());
    let p = read_registry(&bytes, "bomb.xlsx").unwrap_err();
    assert_eq!(keys(&p), vec!["files.zip_bomb"]);
    let text = p[0].render(Lang::ZhCn);
    assert!(
        text.contains("xl/worksheets/sheet1.xml") && text.contains("50.0 MB"),
        "{text}"
    );
}

#[test]
fn zip_total_is_refused() {
    // Twenty-one parts of 10 MB each, random enough not to look like a bomb one by one.
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut part = vec![0u8; 10 * 1024 * 1024];
    let mut x: u32 = 1;
    for b in part.iter_mut().step_by(64) {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        *b = (x >> 24) as u8;
    }
    for i in 0..21 {
        zip.start_file(format!("xl/part{i}.xml"), opts).unwrap();
        zip.write_all(&part).unwrap();
    }
    let bytes = zip.finish().unwrap().into_inner();
    assert!(bytes.len() < MAX_FILE_BYTES, "{}", bytes.len());
    let p = read_registry(&bytes, "big.xlsx").unwrap_err();
    assert_eq!(keys(&p), vec!["files.zip_total"], "{}", show(&p));
}

fn ods(content_body: &str) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    zip.start_file("META-INF/manifest.xml", SimpleFileOptions::default())
        .unwrap();
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#).unwrap();
    zip.start_file("content.xml", SimpleFileOptions::default())
        .unwrap();
    write!(zip, r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>{content_body}</office:spreadsheet></office:body></office:document-content>"#).unwrap();
    zip.finish().unwrap().into_inner()
}

fn ods_text(t: &str) -> String {
    format!(
        r#"<table:table-cell office:value-type="string"><text:p>{t}</text:p></table:table-cell>"#
    )
}

#[test]
fn ods_reads() {
    // Written by hand (no LibreOffice here), in the shape LibreOffice writes: trailing empty
    // cells and rows as repeats.
    let body = format!(
        r#"<table:table table:name="单位"><table:table-column table:number-columns-repeated="1024"/>
        <table:table-row>{}{}{}{}<table:table-cell table:number-columns-repeated="1020"/></table:table-row>
        <table:table-row>{}{}<table:table-cell office:value-type="float" office:value="350102"><text:p>350102</text:p></table:table-cell><table:table-cell office:value-type="date" office:date-value="2015-03-01"><text:p>2015/3/1</text:p></table:table-cell><table:table-cell table:number-columns-repeated="1020"/></table:table-row>
        <table:table-row table:number-rows-repeated="1048574"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>
        </table:table>"#,
        ods_text("名称"),
        ods_text("单位类型"),
        ods_text("行政区划代码"),
        ods_text("成立日期"),
        ods_text("仓山区商会"),
        ods_text("商会"),
    );
    let rows = read_registry(&ods(&body), "a.ods").unwrap_or_else(|p| panic!("{}", show(&p)));
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].input,
        input(&[
            (Field::Name, "仓山区商会"),
            (Field::Kind, "商会"),
            (Field::DivisionCode, "350102"),
            (Field::FoundedOn, "2015-03-01"),
        ])
    );
}

#[test]
fn ods_repeat_bomb_is_refused() {
    let row = r#"<table:table-row><table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="16384"/></table:table-row>"#;
    let body = format!(
        r#"<table:table table:name="s">{}</table:table>"#,
        row.repeat(1000)
    );
    let p = read_registry(&ods(&body), "a.ods").unwrap_err();
    assert_eq!(keys(&p), vec!["files.too_many_columns"]);
}

#[test]
fn xls_reads() {
    let bytes = include_bytes!("data/registry.xls");
    // Named .xlsx on purpose: the content, not the name, picks the reader.
    for name in ["registry.xls", "registry.xlsx"] {
        let rows = read_registry(bytes, name).unwrap_or_else(|p| panic!("{}", show(&p)));
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].sheet, "单位");
        assert_eq!(rows[0].row, 3);
        assert_eq!(
            rows[0].input,
            input(&[
                (Field::Name, "鼓楼区餐饮商会"),
                (Field::Kind, "商会"),
                (Field::Category, "行业"),
                (Field::Uscc, "51350102MJ0000000X"),
                (Field::DivisionCode, "350102"),
                (Field::MembersUnit, "40"),
                (Field::FoundedOn, "2015-03-01"),
                (Field::Registered, "是"),
            ])
        );
        assert_eq!(rows[1].row, 5);
        assert_eq!(rows[1].input[&Field::DivisionCode], "350102001");
        assert_eq!(rows[1].input[&Field::MembersUnit], "12.5");
        assert_eq!(rows[1].input[&Field::Registered], "否");
        assert_eq!(rows[1].columns[&Field::Registered], "H");
    }
}

/// A compound file holding only an `EncryptedPackage` stream: what Excel saves for an xlsx with
/// a password to open.
fn encrypted_xlsx() -> Vec<u8> {
    let mut f = vec![0u8; 512 * 3];
    f[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    f[0x18..0x1A].copy_from_slice(&0x3Eu16.to_le_bytes());
    f[0x1A..0x1C].copy_from_slice(&3u16.to_le_bytes());
    f[0x1C..0x1E].copy_from_slice(&0xFFFEu16.to_le_bytes());
    f[0x1E..0x20].copy_from_slice(&9u16.to_le_bytes());
    f[0x20..0x22].copy_from_slice(&6u16.to_le_bytes());
    f[0x2C..0x30].copy_from_slice(&1u32.to_le_bytes());
    f[0x30..0x34].copy_from_slice(&1u32.to_le_bytes());
    f[0x38..0x3C].copy_from_slice(&4096u32.to_le_bytes());
    f[0x3C..0x40].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
    f[0x44..0x48].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
    for i in 0..109 {
        let v: u32 = if i == 0 { 0 } else { 0xFFFF_FFFF };
        f[0x4C + 4 * i..0x50 + 4 * i].copy_from_slice(&v.to_le_bytes());
    }
    // Sector 0: the FAT. Sector 0 is a FAT sector, sector 1 (the directory) ends its chain.
    let fat = 512;
    for i in 0..128 {
        let v: u32 = match i {
            0 => 0xFFFF_FFFD,
            1 => 0xFFFF_FFFE,
            _ => 0xFFFF_FFFF,
        };
        f[fat + 4 * i..fat + 4 * i + 4].copy_from_slice(&v.to_le_bytes());
    }
    let dir = 1024;
    let mut entry = |i: usize, name: &str, kind: u8| {
        let e = dir + 128 * i;
        let units: Vec<u16> = name.encode_utf16().collect();
        for (j, u) in units.iter().enumerate() {
            f[e + 2 * j..e + 2 * j + 2].copy_from_slice(&u.to_le_bytes());
        }
        f[e + 0x40..e + 0x42].copy_from_slice(&((units.len() as u16 + 1) * 2).to_le_bytes());
        f[e + 0x42] = kind;
        f[e + 0x74..e + 0x78].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
    };
    entry(0, "Root Entry", 5);
    entry(1, "EncryptedPackage", 2);
    f
}

#[test]
fn encrypted_files_are_named_as_such() {
    for name in ["a.xlsx", "a.xls"] {
        let p = read_registry(&encrypted_xlsx(), name).unwrap_err();
        assert_eq!(keys(&p), vec!["files.encrypted"]);
        assert_eq!(
            p[0].render(Lang::ZhCn),
            "文件设置了打开密码，请在 Excel 中取消密码后重新导入"
        );
    }
}

#[test]
fn tab_separated_text_named_xls_reads() {
    let text = "名称\t单位类型\t会长\r\n晋安区商会\t商会\t王五\r\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    let rows = read_registry(&gbk, "导出数据.xls").unwrap_or_else(|p| panic!("{}", show(&p)));
    assert_eq!(
        inputs(&rows),
        vec![input(&[
            (Field::Name, "晋安区商会"),
            (Field::Kind, "商会"),
            (Field::President, "王五")
        ])]
    );
    assert_eq!(rows[0].sheet, "导出数据");
}

#[test]
fn neutralize_examples() {
    assert_eq!(neutralize("=1+2"), "'=1+2");
    assert_eq!(neutralize("@cmd"), "'@cmd");
    assert_eq!(neutralize("正常文字"), "正常文字");
}

const NAMES: [&str; 6] = ["a.xlsx", "a.xls", "a.ods", "a.csv", "a.xlsb", "a.xlsm"];

proptest! {
    // PROPTEST_CASES=20000 for a longer run.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(200)
    ))]

    #[test]
    fn random_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..4096),
        prefix in 0usize..3,
        name in 0usize..NAMES.len(),
    ) {
        let mut b = match prefix {
            0 => Vec::new(),
            1 => b"PK\x03\x04".to_vec(),
            _ => vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
        };
        b.extend(bytes);
        let _ = read_registry(&b, NAMES[name]);
    }

    #[test]
    fn damaged_workbooks_never_panic(
        which in 0usize..4,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut b = match which {
            0 => write_registry_xlsx(&sample(), Lang::ZhCn).unwrap(),
            1 => include_bytes!("data/registry.xls").to_vec(),
            2 => ods(&format!("<table:table>{}</table:table>", ods_text("名称"))),
            _ => encrypted_xlsx(),
        };
        for (i, v) in flips {
            let i = i.index(b.len());
            b[i] = v;
        }
        if truncate {
            b.truncate(cut.index(b.len()));
        }
        let _ = read_registry(&b, "damaged.xlsx");
    }

    #[test]
    fn any_text_csv_never_panics(text in "\\PC{0,400}") {
        let _ = read_registry(text.as_bytes(), "a.csv");
    }
}

/// Annual-report workbooks (layouts, CSV, hand-made files): tests/reports/mod.rs.
mod reports;

/// Review rule sets as workbooks: tests/rules/mod.rs.
mod rules;

/// Coverage indicators and targets as workbooks: tests/indicators/mod.rs.
mod indicators;

/// SPSS system files and data sets for statistics: tests/sav/mod.rs.
mod sav;

/// Annual-report templates as XLSForm-style workbooks.
mod template_workbooks {
    use super::*;
    use rust_xlsxwriter::Workbook;
    use shanghui_core::template::{SURVEY_COLUMNS, Template, sample};
    use shanghui_files::{read_template_workbook, write_template_xlsx};

    fn read(bytes: &[u8]) -> Template {
        read_template_workbook(bytes, "模板.xlsx").unwrap_or_else(|p| panic!("{}", show(&p)))
    }

    /// The sample with text that a spreadsheet would take for a formula.
    fn hostile() -> Template {
        let mut t = sample();
        t.items[0].label_en = "=HYPERLINK(\"http://evil\",\"x\")".into();
        t.items[1].hint_zh = "-请从列表中选择".into();
        t.items[2].hint_en = "'=already quoted".into();
        t.choices[0].label_en = "@industry".into();
        t.title_en = "+Annual report".into();
        t.items[4].min = Some(-5.0);
        t.items[4].max = Some(1e6);
        t.items[22].min = Some(0.5);
        t
    }

    #[test]
    fn round_trip_in_both_languages() {
        for lang in Lang::ALL {
            for t in [sample(), hostile()] {
                let bytes = write_template_xlsx(&t, lang).unwrap();
                let back = read(&bytes);
                assert_eq!(back, t, "{lang:?}");
                let again = read(&write_template_xlsx(&back, lang).unwrap());
                assert_eq!(again, t, "{lang:?}");
            }
        }
    }

    #[test]
    fn workbook_shape() {
        let bytes = write_template_xlsx(&hostile(), Lang::En).unwrap();
        let workbook = read_sheet_xml(&bytes, "xl/workbook.xml");
        let names: Vec<&str> = workbook
            .split("<sheet name=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .collect();
        assert_eq!(names, ["Instructions", "survey", "choices", "settings"]);
        let zh = write_template_xlsx(&sample(), Lang::ZhCn).unwrap();
        assert!(read_sheet_xml(&zh, "xl/workbook.xml").contains("<sheet name=\"说明\""));

        let strings = read_sheet_xml(&bytes, "xl/sharedStrings.xml");
        assert!(strings.contains("'=HYPERLINK"), "{strings}");
        assert!(strings.contains("''=already quoted"));
        assert!(strings.contains("select_one category"));
        assert!(strings.contains("party_org = 否"));
        assert!(strings.contains("prior_inspection != 合格"));
        let survey = read_sheet_xml(&bytes, "xl/worksheets/sheet2.xml");
        assert!(!survey.contains("<f>"), "no formulas");
        assert!(!survey.contains("t=\"n\""), "text cells only");
        assert!(survey.contains("<pane"), "frozen header");
        assert!(
            survey.contains("\"integer,decimal,text,yes_no,date\""),
            "{survey}"
        );
        assert!(survey.contains("\"yes,no\""));
        assert!(survey.contains("sqref=\"A2:A1048576\""));
        assert!(survey.contains("sqref=\"E2:E1048576\""));
        // The header row is exactly the survey columns, in order.
        for c in SURVEY_COLUMNS {
            assert!(strings.contains(&format!("<t>{c}</t>")), "{c}");
        }
        for sheet in ["sheet3", "sheet4"] {
            let xml = read_sheet_xml(&bytes, &format!("xl/worksheets/{sheet}.xml"));
            assert!(xml.contains("<pane"), "{sheet} frozen");
        }
    }

    /// A workbook as a user might leave it, written cell by cell; `None` leaves a cell empty, and
    /// text that parses as a number is written as a number, as Excel would store it.
    fn workbook(sheets: &[(&str, &[&[&str]])]) -> Vec<u8> {
        let mut wb = Workbook::new();
        for (name, rows) in sheets {
            let ws = wb.add_worksheet();
            ws.set_name(*name).unwrap();
            for (r, cells) in rows.iter().enumerate() {
                for (c, v) in cells.iter().enumerate() {
                    if v.is_empty() {
                        continue;
                    }
                    match v.parse::<f64>() {
                        Ok(n) => ws.write_number(r as u32, c as u16, n).unwrap(),
                        Err(_) => ws.write_string(r as u32, c as u16, *v).unwrap(),
                    };
                }
            }
        }
        wb.save_to_buffer().unwrap()
    }

    fn edited(with_settings: bool) -> Vec<u8> {
        let header: &[&str] = &[
            "type",
            "name",
            "label::zh",
            "required",
            "min",
            "max",
            "relevant",
            "section",
        ];
        let survey: &[&[&str]] = &[
            header,
            &["integer", "a", "甲", "yes", "5", "1", "", "basic"],
            &["integr", "b", "乙", "", "", "", "", "basic"],
            &["text", "a", "丙", "", "", "", "", "basic"],
            &["text", "d", "丁", "", "", "", "e = x", "basic"],
            &["text", "e", "戊", "", "", "", "", "basic"],
            &[],
            &["select_one nolist", "f", "己", "", "", "", "", "basic"],
            &[
                "select_one colour",
                "g",
                "庚",
                "maybe",
                "-5",
                "",
                "e != 红",
                "basic",
            ],
        ];
        let choices: &[&[&str]] = &[
            &["list_name", "name", "label::zh"],
            &["colour", "red", "红"],
            &["section", "basic", "基本情况"],
        ];
        let settings: &[&[&str]] = &[
            &["key", "value"],
            &["form_id", "test_form"],
            &["version", "0"],
            &["title::zh", "测试"],
        ];
        let mut sheets: Vec<(&str, &[&[&str]])> = vec![("Survey", survey), ("CHOICES", choices)];
        if with_settings {
            sheets.push(("settings", settings));
        }
        workbook(&sheets)
    }

    type Place = (String, Option<usize>, Option<String>, Option<String>);

    fn places(problems: &[Located]) -> Vec<Place> {
        problems
            .iter()
            .map(|p| (p.sheet.clone(), p.row, p.column.clone(), p.header.clone()))
            .collect()
    }

    fn place(sheet: &str, row: usize, column: &str, header: &str) -> Place {
        (
            sheet.to_string(),
            Some(row),
            Some(column.to_string()),
            Some(header.to_string()),
        )
    }

    #[test]
    fn an_edited_workbook_lists_every_problem_with_its_place() {
        let problems = read_template_workbook(&edited(false), "edited.xlsx").unwrap_err();
        let got = places(&problems);
        let want = [
            ("settings".to_string(), None, None, None),
            place("Survey", 2, "F", "max"),
            place("Survey", 3, "A", "type"),
            place("Survey", 4, "B", "name"),
            place("Survey", 5, "G", "relevant"),
            place("Survey", 8, "A", "type"),
            place("Survey", 9, "D", "required"),
        ];
        for w in &want {
            assert!(got.contains(w), "{w:?} missing from\n{}", show(&problems));
        }
        assert_eq!(got.len(), want.len(), "{}", show(&problems));
        assert_eq!(problems[0].msg.key, "files.tpl.missing_sheet");
        let found = keys(&problems);
        for k in [
            "template.min_above_max",
            "template.bad_type",
            "template.duplicate",
            "template.condition_item",
            "template.unknown_list",
            "template.bad_bool",
        ] {
            assert!(found.contains(&k), "{k}");
        }
        let shown = show(&problems);
        assert!(
            shown.contains("工作表“Survey”第 3 行 A 列（type）：无法识别的题型“integr”"),
            "{shown}"
        );
        assert!(
            shown.contains("工作表“settings”：找不到该工作表"),
            "{shown}"
        );
        let en = problems[1].render(Lang::En);
        assert!(en.starts_with("Sheet \"Survey\", row "), "{en}");

        // With the settings sheet, its problems are pinned to the key's row and the value column.
        let problems = read_template_workbook(&edited(true), "edited.xlsx").unwrap_err();
        assert!(
            places(&problems).contains(&place("settings", 3, "B", "version")),
            "{}",
            show(&problems)
        );
        assert!(!keys(&problems).contains(&"files.tpl.missing_sheet"));
    }

    #[test]
    fn sheet_level_problems() {
        // Every sheet missing: each named, nothing else.
        let only = workbook(&[("Sheet1", &[&["a", "b"]])]);
        let problems = read_template_workbook(&only, "t.xlsx").unwrap_err();
        assert_eq!(
            problems
                .iter()
                .map(|p| p.sheet.as_str())
                .collect::<Vec<_>>(),
            ["survey", "choices", "settings"]
        );
        // An error value, a repeated header and data under no header.
        let mut wb = Workbook::new();
        for (name, rows) in [
            (
                "survey",
                vec![
                    vec!["type", "name", "label::zh", "name"],
                    vec!["integer", "a", "甲", "x"],
                    vec!["integer", "b", "", "", "孤儿"],
                ],
            ),
            ("choices", vec![vec!["list_name", "name", "label::zh"]]),
            (
                "settings",
                vec![
                    vec!["key", "value"],
                    vec!["form_id", "f"],
                    vec!["version", "1"],
                    vec!["title::zh", "标题"],
                ],
            ),
        ] {
            let ws = wb.add_worksheet();
            ws.set_name(name).unwrap();
            for (r, cells) in rows.iter().enumerate() {
                for (c, v) in cells.iter().enumerate() {
                    if !v.is_empty() {
                        ws.write_string(r as u32, c as u16, *v).unwrap();
                    }
                }
            }
            if name == "survey" {
                ws.write_formula(2, 2, "=1/0").unwrap();
            }
        }
        let bytes = wb.save_to_buffer().unwrap();
        let problems = read_template_workbook(&bytes, "t.xlsx").unwrap_err();
        let got = places(&problems);
        assert!(
            got.contains(&place("survey", 1, "D", "name")),
            "{}",
            show(&problems)
        );
        assert!(
            got.iter()
                .any(|p| p.1 == Some(1) && p.2.as_deref() == Some("E"))
        );
        assert_eq!(
            keys(&problems),
            ["files.duplicate_column", "files.orphan_column"],
            "{}",
            show(&problems)
        );

        let csv = read_template_workbook(b"type,name\ninteger,a\n", "t.csv").unwrap_err();
        assert_eq!(keys(&csv), ["files.tpl.csv_refused"]);
        let pdf = read_template_workbook(b"x", "t.pdf").unwrap_err();
        assert_eq!(keys(&pdf), ["files.unsupported_extension"]);
    }

    #[test]
    fn an_ods_template_reads() {
        let table = |name: &str, rows: &[&[&str]]| {
            let rows: String = rows
                .iter()
                .map(|r| {
                    let cells: String = r
                        .iter()
                        .map(|v| match v.parse::<f64>() {
                            Ok(n) => format!(
                                r#"<table:table-cell office:value-type="float" office:value="{n}"><text:p>{v}</text:p></table:table-cell>"#
                            ),
                            Err(_) if v.is_empty() => "<table:table-cell/>".to_string(),
                            Err(_) => ods_text(v),
                        })
                        .collect();
                    format!("<table:table-row>{cells}</table:table-row>")
                })
                .collect();
            format!(r#"<table:table table:name="{name}">{rows}</table:table>"#)
        };
        let body = [
            table(
                "SURVEY",
                &[
                    &["type", "name", "label::zh", "required", "min", "relevant"],
                    &["yes_no", "party_org", "是否建立党组织", "yes", "", ""],
                    &[
                        "integer",
                        "party_members",
                        "党员人数",
                        "no",
                        "0",
                        "party_org = 是",
                    ],
                    &["select_one form", "form", "形式", "", "", ""],
                ],
            ),
            table(
                "choices",
                &[
                    &["list_name", "name", "label::zh", "label::en"],
                    &["form", "branch", "党支部", "Party branch"],
                ],
            ),
            table(
                "Settings",
                &[
                    &["key", "value"],
                    &["form_id", "mini"],
                    &["version", "3"],
                    &["title::zh", "小模板"],
                ],
            ),
        ]
        .concat();
        let t = read_template_workbook(&ods(&body), "mini.ods")
            .unwrap_or_else(|p| panic!("{}", show(&p)));
        assert_eq!(t.version, 3);
        assert_eq!(t.title_en, "小模板");
        assert_eq!(t.items.len(), 3);
        assert_eq!(t.items[1].min, Some(0.0));
        assert!(t.items[1].relevant.is_some());
        assert_eq!(read(&write_template_xlsx(&t, Lang::ZhCn).unwrap()), t);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(200)
        ))]

        #[test]
        fn random_bytes_never_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..4096),
            prefix in 0usize..3,
            name in 0usize..NAMES.len(),
        ) {
            let mut b = match prefix {
                0 => Vec::new(),
                1 => b"PK\x03\x04".to_vec(),
                _ => vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
            };
            b.extend(bytes);
            let _ = read_template_workbook(&b, NAMES[name]);
        }

        #[test]
        fn damaged_template_workbooks_never_panic(
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
            truncate in any::<bool>(),
        ) {
            let mut b = write_template_xlsx(&sample(), Lang::ZhCn).unwrap();
            for (i, v) in flips {
                let i = i.index(b.len());
                b[i] = v;
            }
            if truncate {
                b.truncate(cut.index(b.len()));
            }
            let _ = read_template_workbook(&b, "damaged.xlsx");
        }
    }
}
