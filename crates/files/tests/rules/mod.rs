//! Rule sets (审查规则) as workbooks end to end: written and read back in both languages, as CSV
//! and ods, a workbook made by hand with every kind of broken rule, sheets and columns as people
//! leave them, and hostile input.

use proptest::prelude::*;
use rust_xlsxwriter::Workbook;
use shanghui_core::Lang;
use shanghui_core::i18n::Param;
use shanghui_core::rules::{
    MissingStrategy, RULE_COLUMNS, Rule, Severity, rule_rows, sample_rules,
};
use shanghui_core::template::{Template, sample};
use shanghui_files::{Located, read_rules_workbook, write_rules_xlsx, write_table_csv};

use super::{NAMES, keys, ods, ods_text, raw_xlsx, read_sheet_xml, s, show};

fn read(bytes: &[u8], name: &str, t: &Template) -> Vec<Rule> {
    read_rules_workbook(bytes, name, t).unwrap_or_else(|p| panic!("{}", show(&p)))
}

/// The sample with text that a spreadsheet would take for a formula, in every column that holds
/// free text.
fn hostile() -> Vec<Rule> {
    let mut rules = sample_rules();
    rules[0].name_en = "=HYPERLINK(\"http://evil\",\"x\")".into();
    rules[1].instruction_zh = "-请填写原因".into();
    rules[2].instruction_en = "@reviewer: check".into();
    rules[3].expr = "-members_total <= 0".into();
    // Quoted text that begins like a formula: the guard's quote must come off exactly.
    rules[4].expr = "'-' != uscc".into();
    rules[5].name_zh = "'=已带引号".into();
    rules[6].group = "+extra".into();
    rules
}

#[test]
fn round_trip_in_both_languages() {
    let t = sample();
    for lang in Lang::ALL {
        for rules in [sample_rules(), hostile()] {
            let bytes = write_rules_xlsx(&rules, &t, lang).unwrap();
            let back = read(&bytes, "规则.xlsx", &t);
            assert_eq!(back, rules, "{lang:?}");
            let again = read(&write_rules_xlsx(&back, &t, lang).unwrap(), "r.xlsx", &t);
            assert_eq!(again, rules, "{lang:?}");
        }
    }
}

#[test]
fn workbook_shape() {
    let bytes = write_rules_xlsx(&hostile(), &sample(), Lang::En).unwrap();
    let workbook = read_sheet_xml(&bytes, "xl/workbook.xml");
    let names: Vec<&str> = workbook
        .split("<sheet name=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    assert_eq!(names, ["Instructions", "rules", "items"]);
    let zh = write_rules_xlsx(&sample_rules(), &sample(), Lang::ZhCn).unwrap();
    let zh_names = read_sheet_xml(&zh, "xl/workbook.xml");
    assert!(zh_names.contains("<sheet name=\"说明\""), "{zh_names}");

    let strings = read_sheet_xml(&bytes, "xl/sharedStrings.xml");
    for guarded in [
        "'=HYPERLINK",
        "'-请填写原因",
        "'@reviewer",
        "'-members_total &lt;= 0",
        "''-' != uscc",
        "''=已带引号",
        "'+extra",
    ] {
        assert!(strings.contains(guarded), "{guarded}");
    }
    // The header row is exactly the rule columns; the instructions explain them and the
    // language, in English here.
    for c in RULE_COLUMNS {
        assert!(strings.contains(&format!("<t>{c}</t>")), "{c}");
    }
    assert!(strings.contains("The rule language"));
    assert!(strings.contains("skip_if_all_missing"));
    assert!(strings.contains("years_between(d1, d2)"));
    assert!(strings.contains("party_org = 否 -&gt; present(party_org_reason)"));
    let zh_strings = read_sheet_xml(&zh, "xl/sharedStrings.xml");
    assert!(zh_strings.contains("规则语言"));
    assert!(zh_strings.contains("任一值缺失即跳过"));

    let rules = read_sheet_xml(&bytes, "xl/worksheets/sheet2.xml");
    assert!(!rules.contains("<f>"), "no formulas");
    assert!(!rules.contains("t=\"n\""), "text cells only");
    assert!(rules.contains("<pane"), "frozen header");
    assert!(rules.contains("\"error,finding,warning\""), "{rules}");
    assert!(rules.contains("\"skip_if_any_missing,skip_if_all_missing,never_skip\""));
    assert!(
        rules.contains("sqref=\"E2:E1048576\""),
        "severity is column E"
    );
    assert!(
        rules.contains("sqref=\"F2:F1048576\""),
        "missing is column F"
    );

    // The items, for reference: codes, labels, types and the choices a rule may name.
    let items = read_sheet_xml(&bytes, "xl/worksheets/sheet3.xml");
    assert!(items.contains("<pane"));
    assert!(strings.contains("select_one party_form"));
    assert!(strings.contains("none = 未建立 / None"));
    assert!(strings.contains("last_reelection"));
}

#[test]
fn csv_and_ods_read_the_same() {
    let t = sample();
    let header: Vec<String> = RULE_COLUMNS.iter().map(|c| c.to_string()).collect();
    for rules in [sample_rules(), hostile()] {
        let csv = write_table_csv(&header, &rule_rows(&rules));
        assert_eq!(read(&csv, "规则.csv", &t), rules);
    }

    let row = |cells: &[&str]| {
        let cells: String = cells
            .iter()
            .map(|v| {
                if v.is_empty() {
                    "<table:table-cell/>".to_string()
                } else {
                    ods_text(v)
                }
            })
            .collect();
        format!("<table:table-row>{cells}</table:table-row>")
    };
    let body = format!(
        r#"<table:table table:name="说明">{}</table:table><table:table table:name="Rules">{}{}{}</table:table>"#,
        row(&["本表为审查规则"]),
        row(&["Code", "name::zh", "Severity", "expr", "missing"]),
        row(&[
            "members_positive",
            "会员总数大于零",
            "错误",
            "members_total > 0",
            ""
        ]),
        row(&[
            "political_study",
            "开展政治学习",
            "Warning",
            "political_study >= 1",
            "never_skip"
        ]),
    );
    let rules = read(&ods(&body), "规则.ods", &t);
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0].severity, Severity::Error);
    assert_eq!(rules[0].name_en, "会员总数大于零");
    assert_eq!(rules[1].severity, Severity::Warning);
    assert_eq!(rules[1].missing, MissingStrategy::NeverSkip);
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

type Place = (Option<usize>, Option<String>, Option<String>, &'static str);

fn places(problems: &[Located]) -> Vec<Place> {
    problems
        .iter()
        .map(|p| (p.row, p.column.clone(), p.header.clone(), p.msg.key))
        .collect()
}

fn place(row: usize, column: &str, header: &str, key: &'static str) -> Place {
    (
        Some(row),
        Some(column.to_string()),
        Some(header.to_string()),
        key,
    )
}

/// The message inside `rules.at` (a problem in an expression, with its character).
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
fn broken_rules_list_every_problem_with_its_place() {
    // A title line above the header, the columns in an order of the author's own.
    let rules: &[&[&str]] = &[
        &["2024 年度审查规则（草稿）"],
        &[
            "code",
            "name::zh",
            "severity",
            "expr",
            "items",
            "instruction::zh",
        ],
        &[
            "members_sum",
            "会员总数等于单位会员与个人会员之和",
            "error",
            "members_total = members_unit + members_individual",
            "",
            "请核对",
        ],
        &["unknown_item", "未知题目", "error", "members_totl > 0"],
        &[
            "type_error",
            "类型错误",
            "warning",
            "members_total + uscc > 0",
        ],
        &["bad_severity", "严重程度错误", "严重", "members_total > 0"],
        &[
            "members_sum",
            "重复代码",
            "error",
            "council_size <= members_total",
        ],
        &[
            "open_paren",
            "括号不配对",
            "error",
            "(members_total > 0 and council_size >= 3",
        ],
        &["empty_expr", "表达式为空", "error", ""],
        &[],
        &[
            "items_bad",
            "涉及题目有误",
            "finding",
            "members_total > 0",
            "members_totl",
        ],
        // Two problems in one row: both listed.
        &["Bad Code", "两处错误", "finding", "party_org = 可能"],
    ];
    let bytes = workbook(&[("说明", &[&["请在 rules 表中填写"]]), ("rules", rules)]);
    let t = sample();
    let problems = read_rules_workbook(&bytes, "规则.xlsx", &t).unwrap_err();
    let want = [
        place(4, "D", "expr", "rules.at"),
        place(5, "D", "expr", "rules.at"),
        place(6, "C", "severity", "rules.bad_severity"),
        place(7, "A", "code", "template.duplicate"),
        place(8, "D", "expr", "rules.at"),
        place(9, "D", "expr", "problem.required"),
        place(11, "E", "items", "rules.type.unknown_item_suggest"),
        place(12, "A", "code", "template.bad_code"),
        place(12, "D", "expr", "rules.at"),
    ];
    assert_eq!(places(&problems), want, "{}", show(&problems));
    assert!(problems.iter().all(|p| p.sheet == "rules"));

    // Expression problems say at which character, and what.
    assert_eq!(
        inner(&problems[0]),
        ("1".into(), "rules.type.unknown_item_suggest")
    );
    assert!(
        inner(&problems[1]).1.starts_with("rules.type."),
        "{:?}",
        problems[1]
    );
    assert_eq!(
        inner(&problems[4]),
        ("1".into(), "rules.parse.unclosed_paren")
    );
    assert!(inner(&problems[8]).1.starts_with("rules.type."));

    let zh = problems[0].render(Lang::ZhCn);
    assert_eq!(
        zh,
        "工作表“rules”第 4 行 D 列（expr）“members_totl > 0”：第 1 个字符处：未知题目 members_totl（是否想写 members_total？）"
    );
    let en = problems[4].render(Lang::En);
    assert!(
        en.starts_with("Sheet \"rules\", row 8, column D (expr), value \"(members_total > 0 and"),
        "{en}"
    );
    assert!(
        en.ends_with("At character 1: This parenthesis is not closed"),
        "{en}"
    );
    let severity = problems[2].render(Lang::ZhCn);
    assert!(severity.contains("“严重”"), "{severity}");
    assert_eq!(problems[6].value.as_deref(), Some("members_totl"));
    assert!(
        problems[6]
            .render(Lang::ZhCn)
            .contains("是否想写 members_total"),
        "{}",
        problems[6].render(Lang::ZhCn)
    );
    assert_eq!(problems[5].value, None);

    // Fixed, the same sheet reads.
    let fixed: &[&[&str]] = &[
        rules[1],
        rules[2],
        &["unknown_item", "未知题目", "error", "members_total > 0"],
        &[
            "type_error",
            "类型错误",
            "warning",
            "members_total + council_size > 0",
        ],
    ];
    let ok = read(&workbook(&[("rules", fixed)]), "规则.xlsx", &t);
    assert_eq!(ok.len(), 3);
    assert_eq!(ok[0].instruction_zh, "请核对");
    assert_eq!(ok[2].severity, Severity::Warning);
}

#[test]
fn sheets_and_columns_as_people_leave_them() {
    let t = sample();
    let header: &[&str] = &["code", "name::zh", "severity", "expr"];
    let good: &[&str] = &[
        "members_positive",
        "会员总数大于零",
        "error",
        "members_total > 0",
    ];

    // The only sheet, whatever its name; the items sheet and instructions do not count.
    let one = workbook(&[("Sheet1", &[header, good])]);
    assert_eq!(read(&one, "a.xlsx", &t).len(), 1);
    let with_items = workbook(&[
        ("Instructions", &[&["read me"]]),
        ("我的规则", &[header, good]),
        ("ITEMS", &[&["name", "label::zh"], &["a", "b"]]),
    ]);
    assert_eq!(read(&with_items, "a.xlsx", &t).len(), 1);

    // Two candidate sheets and none named rules; an empty file; no header.
    let two = workbook(&[("a", &[header, good]), ("b", &[header, good])]);
    let p = read_rules_workbook(&two, "a.xlsx", &t).unwrap_err();
    assert_eq!(keys(&p), ["rules.xlsx.missing_sheet"]);
    assert_eq!(p[0].sheet, "rules");
    let empty = workbook(&[("rules", &[])]);
    let p = read_rules_workbook(&empty, "a.xlsx", &t).unwrap_err();
    assert_eq!(keys(&p), ["rules.xlsx.no_rules"], "{}", show(&p));
    let blank = workbook(&[("Sheet1", &[]), ("Sheet2", &[])]);
    let p = read_rules_workbook(&blank, "a.xlsx", &t).unwrap_err();
    assert_eq!(keys(&p), ["files.empty_file"], "{}", show(&p));
    let headerless = workbook(&[("rules", &[&["规则"], &["a", "b"]])]);
    let p = read_rules_workbook(&headerless, "a.xlsx", &t).unwrap_err();
    assert_eq!(keys(&p), ["rules.xlsx.no_header"]);
    assert!(
        p[0].render(Lang::En).contains("code, name::zh"),
        "{}",
        show(&p)
    );

    // A header and no rules.
    let p = read_rules_workbook(&workbook(&[("rules", &[header])]), "a.xlsx", &t).unwrap_err();
    assert_eq!(keys(&p), ["rules.xlsx.no_rules"]);

    // A missing column is reported once (not in every row), with what else is wrong; an unknown
    // and a repeated column, data under no header, an error value in a cell.
    let sheet = [
        format!(
            "<row r=\"1\">{}{}{}{}{}</row>",
            s("A1", "code"),
            s("B1", "name::zh"),
            s("C1", "expr"),
            s("D1", "备注"),
            s("E1", "expr")
        ),
        format!(
            "<row r=\"2\">{}{}<c r=\"C2\" t=\"e\"><v>#DIV/0!</v></c>{}{}</row>",
            s("A2", "a"),
            s("B2", "甲"),
            s("D2", "x"),
            s("E2", "y")
        ),
        format!(
            "<row r=\"3\">{}{}{}{}</row>",
            s("A3", "b"),
            s("B3", "乙"),
            s("C3", "members_totl &gt; 0"),
            s("F3", "孤儿")
        ),
        format!(
            "<row r=\"4\">{}{}{}</row>",
            s("A4", "c"),
            s("B4", "丙"),
            s("C4", "members_total &gt; 0")
        ),
    ]
    .concat();
    let bytes = raw_xlsx(&[("rules", &sheet)]);
    let p = read_rules_workbook(&bytes, "a.xlsx", &t).unwrap_err();
    let got: Vec<_> = p
        .iter()
        .map(|l| (l.row, l.column.clone(), l.msg.key))
        .collect();
    let at = |r: usize, c: Option<&str>, k: &'static str| (Some(r), c.map(str::to_string), k);
    assert_eq!(
        got,
        [
            at(1, None, "files.missing_column"),
            at(1, Some("D"), "rules.xlsx.unknown_column"),
            at(1, Some("E"), "files.duplicate_column"),
            at(1, Some("F"), "files.orphan_column"),
            at(2, Some("C"), "files.cell_error"),
            at(3, Some("C"), "rules.at"),
        ],
        "{}",
        show(&p)
    );
    assert!(p[0].render(Lang::ZhCn).contains("缺少必需的列“severity”"));

    // Read without fault but not valid against the template: the type-checker's problems alone.
    let typed = workbook(&[(
        "rules",
        &[header, good, &["b", "乙", "warning", "uscc > 1"]],
    )]);
    let p = read_rules_workbook(&typed, "a.xlsx", &t).unwrap_err();
    assert_eq!(places(&p).len(), 1, "{}", show(&p));
    assert_eq!((p[0].row, p[0].column.as_deref()), (Some(3), Some("D")));
    assert!(inner(&p[0]).1.starts_with("rules.type."), "{}", show(&p));

    // Refused before anything is read.
    let pdf = read_rules_workbook(b"x", "rules.pdf", &t).unwrap_err();
    assert_eq!(keys(&pdf), ["files.unsupported_extension"]);
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
        let _ = read_rules_workbook(&b, NAMES[name], &sample());
    }

    #[test]
    fn damaged_rule_workbooks_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut b = write_rules_xlsx(&sample_rules(), &sample(), Lang::ZhCn).unwrap();
        for (i, v) in flips {
            let i = i.index(b.len());
            b[i] = v;
        }
        if truncate {
            b.truncate(cut.index(b.len()));
        }
        let _ = read_rules_workbook(&b, "damaged.xlsx", &sample());
    }

    #[test]
    fn any_csv_text_never_panics(text in "\\PC{0,400}") {
        let text = format!("{}\n{text}", RULE_COLUMNS.join(","));
        let _ = read_rules_workbook(text.as_bytes(), "rules.csv", &sample());
    }
}
