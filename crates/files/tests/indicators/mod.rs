//! Coverage indicators and targets as workbooks end to end: written and read back in both
//! languages, as CSV, a workbook made by hand with every kind of broken row, and the refusals.

use rust_xlsxwriter::Workbook;
use shanghui_core::Lang;
use shanghui_core::division::DivisionLevel;
use shanghui_core::i18n::Param;
use shanghui_core::indicator::{
    Compare, Direction, DivisionRows, INDICATOR_COLUMNS, Indicator, Measure, NoticeState,
    ReportState, TARGET_COLUMNS, Target, Within, builtin_indicators, indicator_rows, target_rows,
};
use shanghui_core::org::FederationLevel;
use shanghui_files::{Located, read_indicators_workbook, write_indicators_xlsx, write_table_csv};

use super::{keys, read_sheet_xml, show};

fn read(bytes: &[u8], name: &str) -> (Vec<Indicator>, Vec<Target>) {
    read_indicators_workbook(bytes, name).unwrap_or_else(|p| panic!("{}", show(&p)))
}

/// The built-ins (not flagged: no sheet carries the flag), one indicator of every other kind of
/// measure, and text a spreadsheet would take for a formula.
fn indicators() -> Vec<Indicator> {
    let mut v = builtin_indicators();
    for i in &mut v {
        i.builtin = false;
    }
    let mut custom = v[0].clone();
    custom.code = "income_per_notice".into();
    custom.name_zh = "=HYPERLINK(\"http://evil\",\"x\")".into();
    custom.name_en = "-income".into();
    custom.description_zh = "@说明\n第二行".into();
    custom.factor = 0.5;
    custom.unit = "万元".into();
    custom.numerator = Measure::ItemSum {
        item: "income_total".into(),
        filter: "org.category = 行业".into(),
    };
    custom.denominator = Some(Measure::Notices {
        state: NoticeState::ClosedOnTime,
    });
    let mut zones = custom.clone();
    zones.code = "zones_in_province".into();
    zones.name_zh = "全省开发区覆盖".into();
    zones.name_en = "+zones".into();
    zones.compare = Compare::Ratio;
    zones.numerator = Measure::Reports {
        state: ReportState::OnTime,
        filter: "'-' != uscc".into(),
    };
    zones.denominator = Some(Measure::Divisions {
        level: DivisionLevel::County,
        rows: DivisionRows::All,
        within: Within::Province,
        having: Some("org.kind = 分会 or org.kind = 工商联".into()),
    });
    v.push(custom);
    v.push(zones);
    v
}

fn targets() -> Vec<Target> {
    vec![
        Target {
            indicator: "township_chamber_coverage".into(),
            year: 2025,
            level: Some(FederationLevel::County),
            value: 80.0,
            direction: Direction::AtLeast,
        },
        Target {
            indicator: "township_chamber_coverage".into(),
            year: 2025,
            level: None,
            value: 60.5,
            direction: Direction::AtLeast,
        },
        Target {
            indicator: "income_per_notice".into(),
            year: 2024,
            level: None,
            value: 3.0,
            direction: Direction::AtMost,
        },
    ]
}

#[test]
fn round_trip_in_both_languages() {
    for lang in Lang::ALL {
        let bytes = write_indicators_xlsx(&indicators(), &targets(), lang).unwrap();
        let (i, t) = read(&bytes, "指标.xlsx");
        assert_eq!(i, indicators(), "{lang:?}");
        assert_eq!(t, targets(), "{lang:?}");
        let again = write_indicators_xlsx(&i, &t, lang).unwrap();
        assert_eq!(read(&again, "i.xlsx"), (indicators(), targets()));
    }
    // Indicators without targets, and targets of built-ins without indicators.
    let bytes = write_indicators_xlsx(&indicators(), &[], Lang::ZhCn).unwrap();
    assert_eq!(read(&bytes, "a.xlsx"), (indicators(), Vec::new()));
    let only = &targets()[..2];
    let bytes = write_indicators_xlsx(&[], only, Lang::ZhCn).unwrap();
    assert_eq!(read(&bytes, "a.xlsx"), (Vec::new(), only.to_vec()));
}

#[test]
fn workbook_shape() {
    let bytes = write_indicators_xlsx(&indicators(), &targets(), Lang::En).unwrap();
    let workbook = read_sheet_xml(&bytes, "xl/workbook.xml");
    let names: Vec<&str> = workbook
        .split("<sheet name=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    assert_eq!(names, ["Instructions", "指标", "目标"]);
    let zh = write_indicators_xlsx(&indicators(), &targets(), Lang::ZhCn).unwrap();
    assert!(read_sheet_xml(&zh, "xl/workbook.xml").contains("<sheet name=\"说明\""));

    let strings = read_sheet_xml(&bytes, "xl/sharedStrings.xml");
    for guarded in [
        "'=HYPERLINK",
        "'-income",
        "'@说明",
        "'+zones",
        "''-' != uscc",
    ] {
        assert!(strings.contains(guarded), "{guarded}");
    }
    for c in INDICATOR_COLUMNS.iter().chain(TARGET_COLUMNS) {
        assert!(strings.contains(&format!("<t>{c}</t>")), "{c}");
    }
    assert!(strings.contains("Numerator: Kind, from the drop-down list"));
    assert!(strings.contains("Development zones, new areas"));
    assert!(
        strings.contains("org.kind = 商会 and (org.category = 乡镇 or org.category = 街道)"),
        "the example condition"
    );
    let zh_strings = read_sheet_xml(&zh, "xl/sharedStrings.xml");
    assert!(zh_strings.contains("覆盖率指标与目标填写说明"));
    assert!(zh_strings.contains("分母：区划层级"));

    let sheet = read_sheet_xml(&bytes, "xl/worksheets/sheet2.xml");
    assert!(!sheet.contains("<f>"), "no formulas");
    assert!(!sheet.contains("t=\"n\""), "text cells only");
    assert!(sheet.contains("<pane"), "frozen header");
    assert!(sheet.contains("\"units,divisions,item_sum,reports,notices\""));
    assert!(sheet.contains("\"official,statistical_only,all\""));
    assert!(
        sheet.contains("\"expected,submitted,on_time,issued,closed,closed_on_time\""),
        "{sheet}"
    );
    // compare is column D, numerator.kind G.
    assert!(sheet.contains("sqref=\"D2:D1048576\""));
    assert!(sheet.contains("sqref=\"G2:G1048576\""));
    let targets = read_sheet_xml(&bytes, "xl/worksheets/sheet3.xml");
    assert!(targets.contains("\"national,provincial,city,county\""));
    assert!(targets.contains("\"at_least,at_most\""));
}

#[test]
fn csv_files_read_as_their_sheet() {
    let header = |cols: &[&str]| cols.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    let csv = write_table_csv(&header(INDICATOR_COLUMNS), &indicator_rows(&indicators()));
    assert_eq!(read(&csv, "指标.csv"), (indicators(), Vec::new()));
    let csv = write_table_csv(&header(TARGET_COLUMNS), &target_rows(&targets()[..2]));
    assert_eq!(
        read(&csv, "targets.csv"),
        (Vec::new(), targets()[..2].to_vec())
    );
    // A target naming an indicator no sheet defines.
    let csv = write_table_csv(&header(TARGET_COLUMNS), &target_rows(&targets()));
    let problems = read_indicators_workbook(&csv, "targets.csv").unwrap_err();
    assert_eq!(keys(&problems), ["indicator.target.unknown_indicator"]);
    assert_eq!(problems[0].row, Some(4));
    assert_eq!(problems[0].column.as_deref(), Some("A"));
}

/// A workbook as a user might leave it, written cell by cell; an empty string leaves a cell
/// empty.
fn workbook(sheets: &[(&str, &[&[&str]])]) -> Vec<u8> {
    let mut wb = Workbook::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for (r, cells) in rows.iter().enumerate() {
            for (c, v) in cells.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string(r as u32, c as u16, *v).unwrap();
                }
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

type Place = (String, Option<usize>, Option<String>, &'static str);

fn places(problems: &[Located]) -> Vec<Place> {
    problems
        .iter()
        .map(|p| (p.sheet.clone(), p.row, p.column.clone(), p.msg.key))
        .collect()
}

fn place(sheet: &str, row: usize, column: &str, key: &'static str) -> Place {
    (sheet.into(), Some(row), Some(column.into()), key)
}

/// The message inside `rules.at` (a problem in a condition, with its character).
fn inner(p: &Located) -> (String, &'static str) {
    assert_eq!(p.msg.key, "rules.at", "{p:?}");
    let mut pos = String::new();
    let mut key = "";
    for (k, v) in &p.msg.params {
        match (*k, v) {
            ("pos", Param::Text(t)) => pos = t.clone(),
            ("message", Param::Msg(m)) => key = m.key,
            _ => {}
        }
    }
    (pos, key)
}

#[test]
fn broken_sheets_list_every_problem_with_its_place() {
    // A title above the header, columns in the author's order, labels instead of codes.
    let indicators: &[&[&str]] = &[
        &["2025 年覆盖率指标（草稿）"],
        &[
            "code",
            "name::zh",
            "numerator.kind",
            "numerator.filter",
            "numerator.level",
            "denominator.kind",
            "denominator.level",
            "factor",
        ],
        &[
            "towns",
            "乡镇覆盖",
            "区划数",
            "true",
            "乡级",
            "divisions",
            "township",
            "",
        ],
        &[
            "party",
            "党组织",
            "units",
            "party_org = 是",
            "",
            "units",
            "",
            "100",
        ],
        &["Bad Code", "", "units", "", "county", "", "", "0"],
        &["towns", "重复", "people", "", "", "units", "", ""],
        &[
            "zones",
            "园区",
            "divisions",
            "org.kind = 分会 and (",
            "village",
            "divisions",
            "county",
            "",
        ],
    ];
    let targets: &[&[&str]] = &[
        &["indicator", "year", "value", "level"],
        &["towns", "2025", "80", "县级"],
        &["town", "25", "很多", "乡级"],
        &["towns", "2025", "70", "county"],
    ];
    let bytes = workbook(&[
        ("说明", &[&["请填写"]]),
        ("指标", indicators),
        ("目标", targets),
    ]);
    let problems = read_indicators_workbook(&bytes, "指标.xlsx").unwrap_err();
    let want = [
        place("指标", 4, "D", "rules.at"),
        place("指标", 5, "A", "template.bad_code"),
        place("指标", 5, "B", "problem.required"),
        place("指标", 5, "E", "indicator.not_for_kind"),
        place("指标", 5, "F", "indicator.denominator_required"),
        place("指标", 5, "H", "indicator.bad_factor"),
        place("指标", 6, "A", "template.duplicate"),
        place("指标", 6, "C", "indicator.unknown_value"),
        place("指标", 7, "D", "rules.at"),
        place("指标", 7, "E", "indicator.unknown_value"),
        place("目标", 3, "A", "indicator.target.unknown_indicator_suggest"),
        place("目标", 3, "B", "indicator.target.bad_year"),
        place("目标", 3, "C", "problem.unreadable"),
        place("目标", 3, "D", "indicator.unknown_value"),
        place("目标", 4, "A", "indicator.target.duplicate"),
    ];
    assert_eq!(places(&problems), want, "{}", show(&problems));
    assert_eq!(
        inner(&problems[0]),
        ("1".into(), "indicator.filter.registry_only_suggest")
    );
    assert!(inner(&problems[8]).1.starts_with("rules.parse."));
    assert_eq!(
        problems[0].render(Lang::ZhCn),
        "工作表“指标”第 4 行 D 列（numerator.filter）“party_org = 是”：第 1 个字符处：单位条件只能用登记信息，不能用年报题目 party_org（是否想写 org.party_org？）"
    );
    let en = problems[10].render(Lang::En);
    assert!(en.contains("did you mean towns?"), "{en}");
    assert!(problems[14].render(Lang::ZhCn).contains("第 2 行"));
}

#[test]
fn refusals() {
    // No sheet of either kind.
    let bytes = workbook(&[("Sheet1", &[&["名称", "代码"], &["a", "b"]])]);
    let problems = read_indicators_workbook(&bytes, "a.xlsx").unwrap_err();
    assert_eq!(keys(&problems), ["indicator.xlsx.missing_sheet"]);
    // Named sheets, but no header and a missing column.
    let bytes = workbook(&[
        ("指标", &[&["随便写点什么"]]),
        ("目标", &[&["indicator", "year"], &["towns", "2025"]]),
    ]);
    let problems = read_indicators_workbook(&bytes, "a.xlsx").unwrap_err();
    assert_eq!(
        keys(&problems),
        ["indicator.xlsx.no_header", "files.missing_column"],
        "{}",
        show(&problems)
    );
    assert_eq!(problems[1].header.as_deref(), Some("value"));
    // An unknown column.
    let bytes = workbook(&[(
        "指标",
        &[
            &[
                "code",
                "name::zh",
                "numerator.kind",
                "denominator.kind",
                "备注",
            ],
            &["a", "甲", "units", "units", "x"],
        ],
    )]);
    let problems = read_indicators_workbook(&bytes, "a.xlsx").unwrap_err();
    assert_eq!(keys(&problems), ["indicator.xlsx.unknown_column"]);
    assert_eq!(problems[0].column.as_deref(), Some("E"));
    // Only headers: nothing to import.
    let bytes = write_indicators_xlsx(&[], &[], Lang::En).unwrap();
    let problems = read_indicators_workbook(&bytes, "a.xlsx").unwrap_err();
    assert_eq!(keys(&problems), ["indicator.xlsx.no_indicators"]);
    // Not a workbook at all.
    assert!(read_indicators_workbook(b"PK\x03\x04junk", "a.xlsx").is_err());
}
