//! Annual-report workbooks end to end: written pre-filled and read back in both layouts and as
//! CSV, spellings as people type them, a messy hand-made workbook with every problem placed, GBK
//! CSV (tests/data/reports/make_csv.py), English labels, and hostile input.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use shanghui_core::Lang;
use shanghui_core::report::Answers;
use shanghui_core::template::{Template, Value, sample};
use shanghui_files::{
    MAX_LISTED_PROBLEMS, ReportRow, ReportUnit, column_letter, read_reports, write_reports_csv,
    write_reports_rows_xlsx, write_reports_sheets_xlsx,
};

use super::{NAMES, ods, ods_text, show};

/// Every item of the sample answered, as the core's tests fill it.
const FILLED: &[(&str, &str)] = &[
    ("uscc", "51350102MJ0000000X"),
    ("category", "行业"),
    ("registered", "是"),
    ("members_total", "120"),
    ("members_unit", "100"),
    ("members_individual", "20"),
    ("council_size", "30"),
    ("staff_fulltime", "2"),
    ("party_org", "否"),
    ("party_org_form", "未建立"),
    ("party_org_reason", "党员人数不足"),
    ("party_instructor", "是"),
    ("party_members", "2"),
    ("party_in_charter", "是"),
    ("political_study", "4"),
    ("general_assembly", "1"),
    ("council_meetings", "2"),
    ("last_reelection", "2021年5月3日"),
    ("finance_rules", "是"),
    ("audited", "否"),
    ("income_total", "12.5"),
    ("expense_total", "10.10"),
    ("dues_income", "8"),
    ("service_events", "6"),
    ("charity_amount", "0"),
    ("prior_inspection", "合格"),
];

fn raw(overrides: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> = FILLED
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (k, v) in overrides {
        if v.is_empty() {
            m.remove(*k);
        } else {
            m.insert(k.to_string(), v.to_string());
        }
    }
    m
}

fn answers(t: &Template, overrides: &[(&str, &str)]) -> Answers {
    let (a, problems) = t.read(&raw(overrides));
    assert!(problems.is_empty(), "{problems:?}");
    a
}

/// Three units: an ordinary one, one whose texts look like formulas and whose name Excel would
/// refuse as a sheet name, and one with party organisation, a rectification report and odd
/// numbers.
fn units(t: &Template) -> Vec<ReportUnit> {
    vec![
        ReportUnit {
            id: 17,
            name: "福州市鼓楼区餐饮商会".into(),
            uscc: Some("51350102MJ0000000X".into()),
            answers: answers(t, &[]),
        },
        ReportUnit {
            id: 18,
            name: "=HYPERLINK(\"http://evil\")[台江]:*?/\\区异地商会联合会筹备组临时工作委员会"
                .into(),
            uscc: None,
            answers: answers(
                t,
                &[
                    ("uscc", "无"),
                    ("category", "异地"),
                    ("party_org_reason", "-党员不足三人"),
                    ("income_total", "1234.5678"),
                    ("expense_total", "0.30000000000000004"),
                ],
            ),
        },
        ReportUnit {
            id: 19,
            name: "福州市仓山区建材商会".into(),
            uscc: Some("91350104MA0000000X".into()),
            answers: answers(
                t,
                &[
                    ("uscc", "91350104MA0000000X"),
                    ("party_org", "是"),
                    ("party_org_form", "联合党支部"),
                    ("party_org_reason", ""),
                    ("party_instructor", ""),
                    ("members_total", "123456789"),
                    ("prior_inspection", "基本合格"),
                    ("rectification_report", "=已整改，见附件"),
                    ("last_reelection", "1899-06-30"),
                ],
            ),
        },
    ]
}

fn read(bytes: &[u8], name: &str, t: &Template) -> Vec<ReportRow> {
    read_reports(bytes, name, t).unwrap_or_else(|p| panic!("{}", show(&p)))
}

fn check_units(rows: &[ReportRow], units: &[ReportUnit]) {
    assert_eq!(rows.len(), units.len());
    for (r, u) in rows.iter().zip(units) {
        assert_eq!(r.answers, u.answers, "unit {}", u.id);
        assert_eq!(r.id, Some(u.id));
        assert_eq!(r.name.as_deref(), Some(u.name.as_str()));
        assert_eq!(r.uscc, u.uscc);
        assert_eq!(r.submitted_on, None);
    }
}

#[test]
fn rows_layout_round_trip_in_both_languages() {
    let t = sample();
    let units = units(&t);
    for lang in Lang::ALL {
        let bytes = write_reports_rows_xlsx(&t, 2024, &units, lang).unwrap();
        let rows = read(&bytes, "年报.xlsx", &t);
        check_units(&rows, &units);
        assert_eq!(rows[0].sheet, lang.t("files.rpt.sheet.data"));
        let numbers: Vec<usize> = rows.iter().map(|r| r.row).collect();
        assert_eq!(numbers, vec![4, 5, 6], "{lang:?}");
        // Units without answers read back as the units, and as required items left empty.
        let empty: Vec<ReportUnit> = units
            .iter()
            .map(|u| ReportUnit {
                answers: Answers::new(),
                ..u.clone()
            })
            .collect();
        let bytes = write_reports_rows_xlsx(&t, 2024, &empty, lang).unwrap();
        let problems = read_reports(&bytes, "年报.xlsx", &t).unwrap_err();
        assert!(
            problems.iter().all(|p| p.msg.key == "problem.required"),
            "{}",
            show(&problems)
        );
    }
}

#[test]
fn sheets_layout_round_trip_in_both_languages() {
    let t = sample();
    let units = units(&t);
    for lang in Lang::ALL {
        let bytes = write_reports_sheets_xlsx(&t, 2024, &units, lang).unwrap();
        let rows = read(&bytes, "年报.xlsx", &t);
        check_units(&rows, &units);
        assert_eq!(rows[0].sheet, "17 福州市鼓楼区餐饮商会");
        // Excel's limit and forbidden characters.
        assert_eq!(rows[1].sheet, "18 =HYPERLINK(\"http___evil\")_台江");
        assert!(rows[1].sheet.encode_utf16().count() <= 31);
        assert!(rows.iter().all(|r| r.row == 2), "the row of 单位编号");
    }
}

#[test]
fn csv_round_trip_in_both_languages() {
    let t = sample();
    let units = units(&t);
    for lang in Lang::ALL {
        let bytes = write_reports_csv(&t, &units, lang);
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("'=HYPERLINK"), "formulas are guarded");
        let rows = read(&bytes, "年报.csv", &t);
        check_units(&rows, &units);
        assert_eq!(rows[0].sheet, "年报");
        assert_eq!(rows[0].row, 3);
    }
}

#[test]
fn too_many_units_for_one_sheet_each() {
    let t = sample();
    let many: Vec<ReportUnit> = (1..=100)
        .map(|id| ReportUnit {
            id,
            name: format!("商会{id}"),
            uscc: None,
            answers: Answers::new(),
        })
        .collect();
    assert!(write_reports_sheets_xlsx(&t, 2024, &many, Lang::ZhCn).is_err());
    assert!(write_reports_sheets_xlsx(&t, 2024, &many[..99], Lang::ZhCn).is_ok());
}

/// A cell of a workbook built by hand.
#[derive(Clone, Debug)]
enum C {
    S(String),
    N(f64),
    D(u16, u8, u8),
}

fn s(text: &str) -> Option<C> {
    Some(C::S(text.to_string()))
}

/// A sheet built by hand: its name, rows of cells, and ranges to merge (0-based, inclusive).
struct HandSheet {
    name: String,
    rows: Vec<Vec<Option<C>>>,
    merges: Vec<(u32, u16, u32, u16)>,
}

fn workbook(sheets: &[HandSheet]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy/m/d");
    let plain = Format::new();
    for sheet in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(&sheet.name).unwrap();
        for &(r0, c0, r1, c1) in &sheet.merges {
            let text = match sheet.rows[r0 as usize].get(c0 as usize).cloned().flatten() {
                Some(C::S(s)) => s,
                _ => String::new(),
            };
            ws.merge_range(r0, c0, r1, c1, &text, &plain).unwrap();
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let merged = sheet.merges.iter().any(|&(r0, c0, r1, c1)| {
                    (r0..=r1).contains(&(r as u32)) && (c0..=c1).contains(&(c as u16))
                });
                let (r, c) = (r as u32, c as u16);
                match cell {
                    _ if merged => {}
                    None => {}
                    Some(C::S(text)) => {
                        ws.write_string(r, c, text).unwrap();
                    }
                    Some(C::N(n)) => {
                        ws.write_number(r, c, *n).unwrap();
                    }
                    Some(C::D(y, m, d)) => {
                        let x = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
                        ws.write_datetime_with_format(r, c, &x, &date).unwrap();
                    }
                }
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

/// The value a hand-made sheet gives an item, as `FILLED` has it.
fn filled(code: &str) -> Option<C> {
    FILLED
        .iter()
        .find(|(k, _)| *k == code)
        .map(|(_, v)| C::S(v.to_string()))
}

/// A credit code of its own for each row, so that rows are not taken for the same unit.
fn uscc(n: usize) -> String {
    format!("913501{n:04}MA00000X")
}

fn item_label<'t>(t: &'t Template, code: &str) -> &'t str {
    &t.item(code).unwrap().label_zh
}

/// Values as people type them and spreadsheets hold them: each row changes one item of a fully
/// answered report, on a sheet of labels only (no row of codes).
#[test]
fn real_world_spellings_in_cells() {
    let t = sample();
    let d = |y, m, day| Value::Date(NaiveDate::from_ymd_opt(y, m, day).unwrap());
    let cases: Vec<(&str, C, Value)> = vec![
        ("members_total", C::S("1,234".into()), Value::Integer(1234)),
        ("members_total", C::S("１２".into()), Value::Integer(12)),
        ("members_total", C::S("45 ".into()), Value::Integer(45)),
        ("members_total", C::N(45.0), Value::Integer(45)),
        (
            "income_total",
            C::S("1,200.50".into()),
            Value::Decimal(1200.5),
        ),
        ("income_total", C::N(0.1), Value::Decimal(0.1)),
        ("party_in_charter", C::S("是".into()), Value::YesNo(true)),
        ("party_in_charter", C::S("否".into()), Value::YesNo(false)),
        ("party_in_charter", C::S("有".into()), Value::YesNo(true)),
        ("party_in_charter", C::S("无".into()), Value::YesNo(false)),
        ("party_in_charter", C::S("Y".into()), Value::YesNo(true)),
        ("party_in_charter", C::S("N".into()), Value::YesNo(false)),
        ("party_in_charter", C::S("√".into()), Value::YesNo(true)),
        ("party_in_charter", C::S("×".into()), Value::YesNo(false)),
        ("party_in_charter", C::S("是 ".into()), Value::YesNo(true)),
        ("last_reelection", C::N(45443.0), d(2024, 5, 31)),
        ("last_reelection", C::S("45443".into()), d(2024, 5, 31)),
        ("last_reelection", C::D(2024, 5, 31), d(2024, 5, 31)),
        ("last_reelection", C::S("2024/5/31".into()), d(2024, 5, 31)),
        (
            "last_reelection",
            C::S("2024年5月31日".into()),
            d(2024, 5, 31),
        ),
        (
            "last_reelection",
            C::S("2024-05-31 ".into()),
            d(2024, 5, 31),
        ),
        (
            "category",
            C::S("行业 ".into()),
            Value::Choice("industry".into()),
        ),
        (
            "category",
            C::S("Industry".into()),
            Value::Choice("industry".into()),
        ),
        (
            "category",
            C::S("industry".into()),
            Value::Choice("industry".into()),
        ),
    ];
    let codes: Vec<&str> = FILLED.iter().map(|(k, _)| *k).collect();
    let mut header = vec![s("单位编号"), s("单位名称")];
    header.extend(codes.iter().map(|c| s(item_label(&t, c))));
    let mut rows = vec![header];
    for (i, (code, cell, _)) in cases.iter().enumerate() {
        let mut row = vec![Some(C::N(100.0 + i as f64)), s(&format!("商会{i}"))];
        row.extend(codes.iter().map(|c| {
            if c == code {
                Some(cell.clone())
            } else if *c == "uscc" {
                s(&uscc(i))
            } else {
                filled(c)
            }
        }));
        rows.push(row);
    }
    let bytes = workbook(&[HandSheet {
        name: "Sheet1".into(),
        rows,
        merges: vec![],
    }]);
    let read = read(&bytes, "手工.xlsx", &t);
    assert_eq!(read.len(), cases.len());
    for (row, (code, cell, want)) in read.iter().zip(&cases) {
        assert_eq!(row.answers.get(*code), Some(want), "{code} {cell:?}");
    }
}

/// The header of the messy workbook: 单位编号 merged down over two rows, a row of section headings
/// merged across their items above the labels, no row of codes, an unknown column and no column
/// for the rectification report.
fn messy_columns(t: &Template, broken: bool) -> Vec<(String, Option<&'static str>)> {
    let mut cols: Vec<(String, Option<&'static str>)> = vec![
        ("单位编号".into(), None),
        ("单位名称".into(), None),
        ("统一社会信用代码 ".into(), Some("uscc")),
    ];
    for (code, _) in FILLED.iter().skip(1) {
        cols.push((item_label(t, code).to_string(), Some(code)));
    }
    if broken {
        cols.push(("备注".into(), None));
    }
    cols
}

fn messy_workbook(t: &Template, broken: bool) -> (Vec<u8>, Vec<(usize, String, &'static str)>) {
    let cols = messy_columns(t, broken);
    let col_of = |code: &str| cols.iter().position(|(_, c)| *c == Some(code)).unwrap();
    let letter = |code: &str| column_letter(col_of(code));
    let mut title = vec![s("2024年度商会年报汇总（手工整理）")];
    title.resize(cols.len(), None);
    let mut sections: Vec<Option<C>> = vec![s("单位编号"), None];
    let mut labels: Vec<Option<C>> = vec![None, s("单位名称")];
    let mut merges = vec![(1, 0, 2, 0)];
    let mut last_section = String::new();
    for (c, (label, code)) in cols.iter().enumerate().skip(2) {
        labels.push(s(label));
        let section = code
            .map(|code| t.item(code).unwrap().section.clone())
            .unwrap_or_default();
        let heading = t
            .choices
            .iter()
            .find(|ch| ch.list == "section" && ch.code == section)
            .map(|ch| ch.label_zh.clone())
            .unwrap_or_default();
        if heading != last_section {
            sections.push(s(&heading));
            let end = cols
                .iter()
                .skip(c)
                .take_while(|(_, code)| {
                    code.is_some_and(|code| t.item(code).unwrap().section == section)
                })
                .count();
            if end > 1 {
                merges.push((1, c as u16, 1, (c + end - 1) as u16));
            }
            last_section = heading;
        } else {
            sections.push(None);
        }
    }
    let row = |id: Option<C>, name: &str, overrides: &[(&str, &str)]| -> Vec<Option<C>> {
        let mut r = vec![id, Some(C::S(name.into()))];
        for (_, code) in cols.iter().skip(2) {
            let Some(code) = code else {
                r.push(None);
                continue;
            };
            match overrides.iter().find(|(k, _)| k == code) {
                Some((_, "")) => r.push(None),
                Some((_, v)) => r.push(s(v)),
                None => r.push(filled(code)),
            }
        }
        r
    };
    let n = |v: f64| Some(C::N(v));
    let mut data = vec![
        row(n(101.0), "鼓楼区餐饮商会", &[]),
        row(
            n(102.0),
            "台江区服装商会",
            &[("uscc", "91350103MA0000000X")],
        ),
    ];
    let mut want = Vec::new();
    if broken {
        let mut remarks = row(
            n(103.0),
            "仓山区建材商会",
            &[("uscc", &uscc(3)), ("members_total", "很多")],
        );
        *remarks.last_mut().unwrap() = s("已电话核实");
        let [u4, u5, u6, u7, u8, u9] = [4, 5, 6, 7, 8, 9].map(uscc);
        data.extend([
            remarks,
            row(
                n(104.0),
                "晋安区茶业商会",
                &[("uscc", &u4), ("last_reelection", "去年")],
            ),
            row(
                n(105.0),
                "马尾区船舶商会",
                &[("uscc", &u5), ("category", "协会")],
            ),
            row(
                n(106.0),
                "长乐区纺织商会",
                &[("uscc", &u6), ("members_unit", "")],
            ),
            row(n(101.0), "鼓楼区餐饮商会（重复）", &[("uscc", &u7)]),
            row(s("A12"), "闽侯县汽配商会", &[("uscc", &u8)]),
            row(
                n(107.0),
                "连江县渔业商会",
                &[("uscc", &u9), ("prior_inspection", "基本合格")],
            ),
            vec![],
            row(None, "", &[("uscc", "")]),
        ]);
        // Rows 4 and 5 are good; the header is on rows 2 and 3.
        want = vec![
            (3, column_letter(cols.len() - 1), "files.rpt.unknown_column"),
            (6, letter("members_total"), "problem.unreadable"),
            (7, letter("last_reelection"), "problem.unreadable"),
            (8, letter("category"), "problem.unreadable"),
            (9, letter("members_unit"), "problem.required"),
            (10, "A".into(), "files.rpt.duplicate_unit"),
            (11, "A".into(), "problem.unreadable"),
            (14, String::new(), "files.rpt.no_unit"),
            (14, "C".into(), "problem.required"),
            (3, String::new(), "files.rpt.missing_item_column"),
        ];
    }
    let mut rows = vec![title, sections, labels];
    rows.extend(data);
    let instructions = HandSheet {
        name: "填表说明".into(),
        rows: vec![
            vec![s("题目"), s("代码")],
            vec![s("单位编号"), s("单位名称"), s("备注")],
        ],
        merges: vec![],
    };
    let bytes = workbook(&[
        instructions,
        HandSheet {
            name: "年报汇总".into(),
            rows,
            merges,
        },
    ]);
    (bytes, want)
}

#[test]
fn a_hand_made_workbook_with_merged_headers_reads() {
    let t = sample();
    let (bytes, _) = messy_workbook(&t, false);
    let rows = read(&bytes, "汇总.xlsx", &t);
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].row, rows[0].id), (4, Some(101)));
    assert_eq!(rows[0].answers, answers(&t, &[]));
    assert_eq!(rows[1].uscc.as_deref(), Some("91350103MA0000000X"));
    assert_eq!(rows[1].name.as_deref(), Some("台江区服装商会"));
}

#[test]
fn a_messy_workbook_lists_every_problem_with_its_place() {
    let t = sample();
    let (bytes, want) = messy_workbook(&t, true);
    let problems = read_reports(&bytes, "汇总.xlsx", &t).unwrap_err();
    let got: Vec<(usize, String, &str)> = problems
        .iter()
        .map(|p| {
            (
                p.row.unwrap_or(0),
                p.column.clone().unwrap_or_default(),
                p.msg.key,
            )
        })
        .collect();
    assert_eq!(got, want, "{}", show(&problems));
    assert!(
        problems
            .iter()
            .all(|p| p.sheet == "年报汇总" && p.field.is_none())
    );
    let rendered: Vec<String> = problems.iter().map(|p| p.render(Lang::ZhCn)).collect();
    let members = column_letter(
        messy_columns(&t, true)
            .iter()
            .position(|(_, c)| *c == Some("members_total"))
            .unwrap(),
    );
    assert_eq!(
        rendered[1],
        format!("工作表“年报汇总”第 6 行 {members} 列（会员总数）“很多”：无法识别“很多”，应为整数")
    );
    assert!(rendered[0].contains("（备注）"), "{}", rendered[0]);
    assert!(rendered[5].contains("第 4 行"), "{}", rendered[5]);
    assert!(rendered[6].contains("“A12”"), "{}", rendered[6]);
    assert!(rendered[9].contains("整改情况报告"), "{}", rendered[9]);
    assert!(rendered[9].contains("第 12 行"), "{}", rendered[9]);
}

#[test]
fn gbk_csv_made_by_hand_reads() {
    let t = sample();
    let bytes = include_bytes!("../data/reports/gbk.csv");
    assert!(
        String::from_utf8(bytes.to_vec()).is_err(),
        "the fixture is GBK"
    );
    let rows = read(bytes, "年报.csv", &t);
    assert_eq!(rows.len(), 2);
    let (a, b) = (&rows[0], &rows[1]);
    assert_eq!((a.row, a.id), (2, None));
    assert_eq!(a.name.as_deref(), Some("福州市鼓楼区餐饮商会"));
    assert_eq!(a.uscc.as_deref(), Some("51350102MJ0000000X"));
    assert_eq!(a.answers["members_total"], Value::Integer(1234));
    assert_eq!(a.answers["party_members"], Value::Integer(12));
    assert_eq!(a.answers["party_org"], Value::YesNo(true));
    assert_eq!(a.answers["party_in_charter"], Value::YesNo(true));
    assert_eq!(a.answers["audited"], Value::YesNo(false));
    assert_eq!(a.submitted_on, NaiveDate::from_ymd_opt(2025, 3, 31));
    assert!(
        !a.answers.contains_key("party_org_reason"),
        "does not apply"
    );
    assert_eq!(b.name.as_deref(), Some("福州市仓山区建材商会"));
    assert_eq!(b.uscc, None, "无");
    assert_eq!(b.answers["uscc"], Value::Text("无".into()));
    assert_eq!(b.answers["party_instructor"], Value::YesNo(false));
    assert_eq!(
        b.answers["last_reelection"],
        Value::Date(NaiveDate::from_ymd_opt(2021, 5, 4).unwrap())
    );
    assert_eq!(
        b.answers["rectification_report"],
        Value::Text("已按要求整改".into())
    );
}

#[test]
fn english_labels_made_by_hand_read() {
    // Without the item `uscc`, the credit-code column only names the unit, and may be empty.
    let t = {
        let mut t = sample();
        t.items.retain(|i| i.code != "uscc");
        t
    };
    let mut header = vec![s("Unit name"), s("unified social credit code")];
    let codes: Vec<&str> = FILLED.iter().skip(1).map(|(k, _)| *k).collect();
    for code in &codes {
        let label = &t.item(code).unwrap().label_en;
        // As people retype headers: other case, spaces around.
        header.push(s(&format!(" {} ", label.to_uppercase())));
    }
    header.push(s("Date submitted"));
    let values = |name: &str, uscc: &str| {
        let mut r = vec![s(name), s(uscc)];
        r.extend(codes.iter().map(|c| match *c {
            "category" => s("Hometown"),
            "prior_inspection" => s("qualified"),
            "party_org_form" => s("None"),
            "party_org" | "audited" => s("No"),
            "registered" | "party_instructor" | "party_in_charter" | "finance_rules" => s("yes"),
            code => filled(code),
        }));
        r.push(Some(C::D(2025, 4, 1)));
        r
    };
    let bytes = workbook(&[HandSheet {
        name: "Annual reports".into(),
        rows: vec![
            header,
            values("Gulou Catering Chamber", "51350102mj0000000x"),
            values("Taijiang Garment Chamber", ""),
        ],
        merges: vec![],
    }]);
    let rows = read(&bytes, "reports.xlsx", &t);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].uscc.as_deref(), Some("51350102MJ0000000X"));
    assert_eq!(rows[0].id, None);
    assert_eq!(rows[0].submitted_on, NaiveDate::from_ymd_opt(2025, 4, 1));
    assert_eq!(
        rows[0].answers["category"],
        Value::Choice("hometown".into())
    );
    assert_eq!(rows[0].answers["party_org"], Value::YesNo(false));
    assert_eq!(rows[1].name.as_deref(), Some("Taijiang Garment Chamber"));
    assert_eq!(rows[1].uscc, None);
}

/// Layout (b) sheets made by hand: an unknown code, a bad value, an item given twice, an answer
/// with no item, and the same unit on two sheets.
#[test]
fn sheets_layout_problems_are_placed() {
    let t = sample();
    let sheet = |name: &str, id: f64, n: usize, changes: &[(&str, &str)]| {
        let mut rows = vec![
            vec![s("2024年度商会年度报告")],
            vec![s("单位编号："), None, None, Some(C::N(id))],
            vec![s("单位名称"), None, None, s("鼓楼区餐饮商会")],
            vec![s("统一社会信用代码"), None, None, s(&uscc(n))],
            vec![],
            vec![
                s("序号"),
                s("项目"),
                s("代码"),
                s("填报内容"),
                s("填写说明"),
            ],
            vec![s("基本情况")],
        ];
        for (i, (code, value)) in FILLED.iter().skip(1).enumerate() {
            let value = changes
                .iter()
                .find(|(k, _)| k == code)
                .map_or(*value, |(_, v)| *v);
            rows.push(vec![
                Some(C::N(i as f64 + 1.0)),
                s(item_label(&t, code)),
                s(code),
                s(value),
            ]);
        }
        HandSheet {
            name: name.into(),
            rows,
            merges: vec![(0, 0, 0, 4)],
        }
    };
    let good = sheet("17 鼓楼", 17.0, 1, &[]);
    let rows = read(&workbook(&[good]), "b.xlsx", &t);
    assert_eq!(rows[0].answers, answers(&t, &[("uscc", &uscc(1))]));
    assert_eq!((rows[0].id, rows[0].row), (Some(17), 2));

    let mut bad = sheet("18 台江", 18.0, 2, &[("members_total", "很多")]);
    bad.rows
        .push(vec![None, s("会员总数"), s("members_total"), s("120")]);
    bad.rows.push(vec![None, s("备注"), s("remarks"), s("无")]);
    bad.rows.push(vec![None, s("其他情况"), None, s("良好")]);
    let again = sheet("又一个", 17.0, 3, &[]);
    let problems = read_reports(
        &workbook(&[sheet("17", 17.0, 1, &[]), bad, again]),
        "b.xlsx",
        &t,
    )
    .unwrap_err();
    let got: Vec<(&str, Option<usize>, Option<&str>, &str)> = problems
        .iter()
        .map(|p| (p.sheet.as_str(), p.row, p.column.as_deref(), p.msg.key))
        .collect();
    let members_row = 8 + FILLED
        .iter()
        .skip(1)
        .position(|(k, _)| *k == "members_total")
        .unwrap();
    assert_eq!(
        got,
        vec![
            ("18 台江", Some(33), Some("C"), "files.rpt.duplicate_item"),
            ("18 台江", Some(34), Some("C"), "files.rpt.unknown_item"),
            ("18 台江", Some(35), Some("D"), "files.rpt.no_item"),
            (
                "18 台江",
                Some(members_row),
                Some("D"),
                "problem.unreadable"
            ),
            ("又一个", Some(2), Some("D"), "files.rpt.duplicate_unit"),
        ],
        "{}",
        show(&problems)
    );
    assert!(problems[4].render(Lang::ZhCn).contains("工作表“17”第 2 行"));
}

#[test]
fn ods_in_rows_layout_reads() {
    let t = sample();
    let codes: Vec<&str> = FILLED.iter().map(|(k, _)| *k).collect();
    let header: String = ["id".to_string(), "name".to_string()]
        .into_iter()
        .chain(codes.iter().map(|c| c.to_string()))
        .map(|h| ods_text(&h))
        .collect();
    let values: String = [ods_text("5"), ods_text("晋安区茶业商会")]
        .into_iter()
        .chain(FILLED.iter().map(|(_, v)| ods_text(v)))
        .collect();
    let body = format!(
        r#"<table:table table:name="年报"><table:table-row>{header}</table:table-row><table:table-row>{values}</table:table-row></table:table>"#
    );
    let rows = read(&ods(&body), "年报.ods", &t);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id, Some(5));
    assert_eq!(rows[0].answers, answers(&t, &[]));
}

#[test]
fn files_without_reports_are_refused() {
    let t = sample();
    let p = read_reports(b"a,b\r\n1,2\r\n", "x.csv", &t).unwrap_err();
    assert_eq!(p[0].msg.key, "files.rpt.no_reports");
    let p = read_reports(b"\xEF\xBB\xBF", "x.csv", &t).unwrap_err();
    assert_eq!(p[0].msg.key, "files.empty_file");
    // Only units, no column naming them.
    let p = read_reports("会员总数,个人会员数\r\n1,2\r\n".as_bytes(), "x.csv", &t).unwrap_err();
    assert!(
        p.iter().any(|p| p.msg.key == "files.rpt.no_unit_column"),
        "{}",
        show(&p)
    );
}

#[test]
fn disagreeing_headers_and_unreadable_dates_are_placed() {
    let t = sample();
    let csv = "单位名称,会员总数,报送日期\r\nname,members_unit,submitted_on\r\n商会甲,12,昨天\r\n";
    let p = read_reports(csv.as_bytes(), "x.csv", &t).unwrap_err();
    let places: Vec<(Option<usize>, Option<&str>, &str)> = p
        .iter()
        .map(|p| (p.row, p.column.as_deref(), p.msg.key))
        .filter(|(_, _, k)| *k != "files.rpt.missing_item_column")
        .collect();
    assert_eq!(
        places,
        vec![
            (Some(2), Some("B"), "files.rpt.header_conflict"),
            (Some(3), Some("C"), "problem.unreadable"),
        ],
        "{}",
        show(&p)
    );
    assert!(
        p[0].render(Lang::ZhCn).contains("“会员总数”"),
        "{}",
        show(&p)
    );
}

#[test]
fn problems_stop_being_listed_at_the_limit() {
    let t = sample();
    let codes: Vec<&str> = FILLED.iter().map(|(k, _)| *k).collect();
    let mut csv = format!("name,{}\r\n", codes.join(","));
    let bad = vec!["?"; codes.len()].join(",");
    let rows = MAX_LISTED_PROBLEMS / 10 + 10;
    for i in 0..rows {
        csv.push_str(&format!("商会{i},{bad}\r\n"));
    }
    let p = read_reports(csv.as_bytes(), "x.csv", &t).unwrap_err();
    assert_eq!(p.len(), MAX_LISTED_PROBLEMS + 1);
    assert_eq!(p.last().unwrap().msg.key, "files.rpt.more_problems");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(100)
    ))]

    #[test]
    fn random_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..4096),
        prefix in 0usize..3,
        name in 0usize..NAMES.len(),
    ) {
        let t = sample();
        let mut b = match prefix {
            0 => Vec::new(),
            1 => b"PK\x03\x04".to_vec(),
            _ => vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
        };
        b.extend(bytes);
        if let Err(p) = read_reports(&b, NAMES[name], &t) {
            let _ = show(&p);
        }
    }

    #[test]
    fn damaged_report_workbooks_never_panic(
        sheets in any::<bool>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let t = sample();
        let u = units(&t);
        let mut b = if sheets {
            write_reports_sheets_xlsx(&t, 2024, &u, Lang::ZhCn).unwrap()
        } else {
            write_reports_rows_xlsx(&t, 2024, &u, Lang::ZhCn).unwrap()
        };
        for (i, v) in flips {
            let i = i.index(b.len());
            b[i] = v;
        }
        if truncate {
            b.truncate(cut.index(b.len()));
        }
        let _ = read_reports(&b, "damaged.xlsx", &t);
    }

    #[test]
    fn any_text_csv_never_panics(text in "\\PC{0,400}", header in 0usize..3) {
        let t = sample();
        let head = ["", "单位编号,单位名称,会员总数,代码,填报内容\n", "单位编号,1\n序号,代码,填报内容\n"][header];
        let _ = read_reports(format!("{head}{text}").as_bytes(), "a.csv", &t);
    }
}
