use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::*;
use crate::report::Answers;
use crate::template::{self, Value};

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn uscc() -> String {
    crate::uscc::with_check("51350102MJ0000000")
        .unwrap()
        .to_string()
}

fn read(pairs: &[(&str, &str)]) -> Answers {
    let t = template::sample();
    let raw: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let (answers, problems) = t.read(&raw);
    assert!(problems.is_empty(), "{problems:?}");
    answers
}

/// A 2024 report of a chamber with a party organisation, breaking no sample rule.
fn report() -> Answers {
    read(&[
        ("uscc", &uscc()),
        ("category", "行业"),
        ("registered", "是"),
        ("members_total", "120"),
        ("members_unit", "100"),
        ("members_individual", "20"),
        ("council_size", "30"),
        ("staff_fulltime", "2"),
        ("party_org", "是"),
        ("party_org_form", "党支部"),
        ("party_members", "9"),
        ("party_in_charter", "是"),
        ("political_study", "6"),
        ("general_assembly", "1"),
        ("council_meetings", "2"),
        ("last_reelection", "2021-05-03"),
        ("finance_rules", "是"),
        ("audited", "否"),
        ("income_total", "12.5"),
        ("expense_total", "10.1"),
        ("dues_income", "8"),
        ("service_events", "6"),
        ("charity_amount", "0"),
        ("prior_inspection", "基本合格"),
        (
            "rectification_report",
            "已按年检意见召开理事会专题研究并完成整改。",
        ),
    ])
}

/// Last year's report of the same chamber.
fn last_year() -> Answers {
    let mut a = report();
    set(&mut a, "members_total", Value::Integer(100));
    set(&mut a, "members_unit", Value::Integer(85));
    set(&mut a, "members_individual", Value::Integer(15));
    set(&mut a, "income_total", Value::Decimal(10.0));
    set(
        &mut a,
        "prior_inspection",
        Value::Choice("qualified".into()),
    );
    a.remove("rectification_report");
    a
}

fn org() -> OrgFacts {
    OrgFacts {
        kind: Some(OrgKind::Chamber),
        level: None,
        category: Some(ChamberCategory::Industry),
        registered: Some(true),
        party_org: Some(true),
        party_org_form: Some(PartyOrgForm::Branch),
        members_total: Some(118),
        members_unit: Some(98),
        members_individual: Some(20),
        council_size: Some(30),
        founded_on: Some(ymd(2015, 3, 1)),
        last_reelection: Some(ymd(2021, 5, 3)),
        division: Some("350102".into()),
        status: Some(OrgStatus::Active),
        uscc: Some(uscc()),
    }
}

fn set(a: &mut Answers, code: &str, v: Value) {
    a.insert(code.to_string(), v);
}

fn rule(expr: &str, missing: MissingStrategy) -> Rule {
    Rule {
        code: "r".into(),
        name_zh: "规则".into(),
        name_en: "Rule".into(),
        expr: expr.into(),
        severity: Severity::Error,
        missing,
        instruction_zh: String::new(),
        instruction_en: String::new(),
        group: String::new(),
        items: Vec::new(),
    }
}

fn outcome(
    expr: &str,
    missing: MissingStrategy,
    a: &Answers,
    prev: Option<&Answers>,
    o: &OrgFacts,
) -> Outcome {
    let t = template::sample();
    let c = compile(&rule(expr, missing), &t)
        .unwrap_or_else(|e| panic!("{expr}: {}", e.render(Lang::En)));
    c.eval(&Prepared::new(&t, a, prev, o, 2024))
}

fn compile_err(expr: &str) -> RuleError {
    match compile(&rule(expr, MissingStrategy::default()), &template::sample()) {
        Ok(_) => panic!("{expr} compiled"),
        Err(e) => e,
    }
}

use MissingStrategy::{NeverSkip, SkipIfAllMissing, SkipIfAnyMissing};
use Outcome::{Fail, Pass, Skipped};

#[test]
fn expressions_on_a_full_report() {
    let (a, p, o) = (report(), last_year(), org());
    let cases: &[(&str, Outcome)] = &[
        // Arithmetic and comparisons in every spelling.
        ("members_total = members_unit + members_individual", Pass),
        ("members_total = members_unit", Fail),
        ("members_total == 120", Pass),
        ("members_total <> 120", Fail),
        ("members_total ≥ 120", Pass),
        ("members_total ≤ 119", Fail),
        ("members_total ≠ 121", Pass),
        ("MEMBERS_TOTAL > 119", Pass),
        ("members_total　＞＝　１２０", Pass),
        ("（members_total － members_unit）× 6 ＝ 120", Pass),
        ("members_total ÷ 4 = 30", Pass),
        ("income_total / members_total > 0.1", Pass),
        ("0.1 + 0.2 = 0.3", Pass),
        ("income_total * 2 = 25", Pass),
        ("-members_unit + 100 = 0", Pass),
        ("- -members_unit = 100", Pass),
        ("30% * 10 = 3", Pass),
        ("70 * 0.7 = 49", Pass),
        ("income_total / 3 * 3 = income_total", Pass),
        ("1 + 2 * 3 = 7", Pass),
        // Logic and implication.
        ("party_org = 否 -> len(party_org_reason) > 0", Pass),
        ("party_org = “是” -> party_members >= 3", Pass),
        ("party_org = '否' -> party_members >= 300", Pass),
        ("party_org = \"是\" -> party_members >= 300", Fail),
        ("party_org = true", Pass),
        ("party_org = false", Fail),
        ("party_org != 是", Fail),
        ("party_org", Pass),
        ("not audited", Pass),
        ("!audited", Pass),
        ("非 audited", Pass),
        ("not members_total > 100", Fail),
        ("party_org = 是 且 audited = 否", Pass),
        ("party_org = 否 或 audited = 是", Fail),
        ("party_org && audited", Fail),
        ("party_org || audited", Pass),
        ("party_org and audited or finance_rules", Pass),
        ("false -> true -> false", Pass),
        ("true -> true -> false", Fail),
        ("true → false", Fail),
        ("false ⇒ false", Pass),
        ("audited = finance_rules", Fail),
        // Choices by code and label.
        ("category = 行业", Pass),
        ("category = industry", Pass),
        ("category = \"Industry\"", Pass),
        ("category = 'industry'", Pass),
        ("category != 异地", Pass),
        ("category = 「异地」", Fail),
        ("行业 = category", Pass),
        ("prior_inspection = 基本合格", Pass),
        ("prior_inspection != 合格", Pass),
        ("party_org_form = 党支部", Pass),
        ("party_org_form = branch", Pass),
        ("party_org_form != 未建立", Pass),
        ("if(category = 行业, category, 异地) = 行业", Pass),
        // Text.
        ("uscc != 无", Pass),
        ("len(\"中文\") = 2", Pass),
        ("contains(rectification_report, \"整改\")", Pass),
        ("is_uscc(uscc)", Pass),
        ("uscc_check(uscc)", Pass),
        ("is_uscc(\"123\")", Fail),
        ("uscc = 无 or is_uscc(uscc)", Pass),
        ("if(party_org, \"有\", \"无\") = 有", Pass),
        // Dates.
        ("last_reelection = date(\"2021-05-03\")", Pass),
        ("last_reelection = date(\"2021年5月3日\")", Pass),
        ("last_reelection < \"2022-01-01\"", Pass),
        ("\"2020/1/1\" < last_reelection", Pass),
        ("years_between(last_reelection, report_end) = 3", Pass),
        ("years_between(last_reelection, report_end) <= 5", Pass),
        ("years_between(report_end, last_reelection) = -3", Pass),
        ("months_between(last_reelection, report_end) = 43", Pass),
        ("days_between(date(\"2024-01-01\"), report_end) = 365", Pass),
        (
            "years_between(date(\"2020-02-29\"), date(\"2021-02-28\")) = 1",
            Pass,
        ),
        (
            "months_between(date(\"2024-01-31\"), date(\"2024-02-29\")) = 1",
            Pass,
        ),
        (
            "months_between(date(\"2024-01-31\"), date(\"2024-02-28\")) = 0",
            Pass,
        ),
        (
            "years_between(date(\"2019-12-31\"), date(\"2024-12-30\")) = 4",
            Pass,
        ),
        ("year(last_reelection) = 2021", Pass),
        (
            "month(last_reelection) = 5 and day(last_reelection) = 3",
            Pass,
        ),
        ("add_years(last_reelection, 5) >= report_end", Pass),
        ("add_years(last_reelection, 3) >= report_end", Fail),
        (
            "add_months(date(\"2024-01-31\"), 1) = date(\"2024-02-29\")",
            Pass,
        ),
        ("add_days(report_end, 1) = date(\"2025-01-01\")", Pass),
        ("add_days(report_end, -365) = date(\"2024-01-01\")", Pass),
        ("report_year = 2024", Pass),
        ("year(report_end) = report_year", Pass),
        ("report_end = date(\"2024-12-31\")", Pass),
        // Last year.
        ("members_total >= prev(members_total) * 0.7", Pass),
        ("members_total * 10 >= prev(members_total) * 7", Pass),
        ("prev(members_total) = 100", Pass),
        ("prev(members_unit + members_individual) = 100", Pass),
        ("prev(report_year) = 2023", Pass),
        ("prev(report_end) = date(\"2023-12-31\")", Pass),
        ("prev(prior_inspection) = 合格", Pass),
        ("category = prev(category)", Pass),
        ("prev(party_org) = 是 -> party_org = 是", Pass),
        (
            "income_total <= prev(income_total) * 3 and income_total * 3 >= prev(income_total)",
            Pass,
        ),
        ("present(prev(members_total))", Pass),
        // The registry.
        ("org.category = 行业", Pass),
        ("org.category = \"乡镇\"", Fail),
        ("category = org.category", Pass),
        ("org.category = category", Pass),
        ("registered = org.registered", Pass),
        ("org.registered = \"是\" -> uscc != \"无\"", Pass),
        ("party_org = 是 -> org.party_org = 是", Pass),
        ("party_org_form = org.party_org_form", Pass),
        ("org.kind = 商会 and org.kind = chamber", Pass),
        ("org.status = 正常", Pass),
        ("org.division = \"350102\"", Pass),
        ("uscc = org.uscc", Pass),
        ("org.members_total < members_total", Pass),
        ("org.founded_on < last_reelection", Pass),
        ("last_reelection = org.last_reelection", Pass),
        ("empty(org.level)", Pass),
        // Functions.
        ("abs(-3) = 3", Pass),
        ("abs(members_unit - members_total) = 20", Pass),
        ("min(3, 1, 2) = 1", Pass),
        ("max(members_unit, members_individual) = 100", Pass),
        ("round(2.675, 2) = 2.68", Pass),
        ("round(2.5) = 3 and round(-2.5) = -3", Pass),
        ("round(1234, -2) = 1200", Pass),
        ("round(income_total) = 13", Pass),
        ("if(party_org, 1, 2) = 1", Pass),
        ("if(audited, members_total, 0) = 0", Pass),
        ("present(party_org_form) and empty(party_org_reason)", Pass),
        ("empty(rectification_report)", Fail),
    ];
    let mut failures = Vec::new();
    for (expr, want) in cases {
        let got = outcome(expr, SkipIfAnyMissing, &a, Some(&p), &o);
        if got != *want {
            failures.push(format!("{expr}: got {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn missing_values_under_each_strategy() {
    let o = org();
    let full = report();
    let mut no_individual = full.clone();
    no_individual.remove("members_individual");
    let mut no_members = no_individual.clone();
    no_members.remove("members_total");
    no_members.remove("members_unit");
    let mut no_party = full.clone();
    set(&mut no_party, "party_org", Value::YesNo(false));
    set(
        &mut no_party,
        "party_org_form",
        Value::Choice("none".into()),
    );
    let mut blank = Answers::new();
    set(&mut blank, "uscc", Value::Text("   ".into()));
    let sum = "members_total = members_unit + members_individual";
    type Case<'a> = (&'a str, &'a Answers, [Outcome; 3]);
    let cases: Vec<Case<'_>> = vec![
        (sum, &full, [Pass, Pass, Pass]),
        (sum, &no_individual, [Skipped, Fail, Fail]),
        (sum, &no_members, [Skipped, Skipped, Pass]),
        (
            "len(party_org_reason) > 0",
            &no_party,
            [Skipped, Skipped, Fail],
        ),
        (
            // What present() looks at is not read: the rule fails, whatever the strategy.
            "party_org = 否 -> present(party_org_reason)",
            &no_party,
            [Fail, Fail, Fail],
        ),
        (
            "party_org = 否 -> len(party_org_reason) > 0",
            &no_party,
            [Skipped, Fail, Fail],
        ),
        // A missing date has no neutral value.
        (
            "last_reelection <= report_end",
            &blank,
            [Skipped, Skipped, Skipped],
        ),
        // Missing yes/no reads as 否, choices as none, text as "".
        ("party_org = 否", &blank, [Skipped, Skipped, Pass]),
        ("category = 行业", &blank, [Skipped, Skipped, Fail]),
        ("category != 行业", &blank, [Skipped, Skipped, Pass]),
        ("uscc = \"\"", &blank, [Skipped, Skipped, Pass]),
        ("present(uscc)", &blank, [Fail, Fail, Fail]),
        (
            "empty(uscc) and empty(category)",
            &blank,
            [Pass, Pass, Pass],
        ),
    ];
    for (expr, a, want) in cases {
        for (strategy, want) in MissingStrategy::ALL.iter().zip(want) {
            assert_eq!(
                outcome(expr, *strategy, a, None, &o),
                want,
                "{expr} under {strategy:?}"
            );
        }
    }
}

#[test]
fn last_year_and_registry_missing() {
    let a = report();
    let none = OrgFacts::default();
    let drop = "members_total >= prev(members_total) * 0.7";
    assert_eq!(outcome(drop, SkipIfAnyMissing, &a, None, &none), Skipped);
    assert_eq!(outcome(drop, SkipIfAllMissing, &a, None, &none), Pass);
    assert_eq!(outcome(drop, NeverSkip, &a, None, &none), Pass);
    assert_eq!(
        outcome("present(prev(members_total))", NeverSkip, &a, None, &none),
        Fail
    );
    assert_eq!(
        outcome("empty(prev(category))", SkipIfAnyMissing, &a, None, &none),
        Pass
    );
    assert_eq!(
        outcome("category = org.category", SkipIfAnyMissing, &a, None, &none),
        Skipped
    );
    assert_eq!(
        outcome("category = org.category", NeverSkip, &a, None, &none),
        Fail
    );
    // No party organisation in the registry: its form reads as 未建立.
    let no_party = OrgFacts {
        party_org: Some(false),
        party_org_form: None,
        ..org()
    };
    assert_eq!(
        outcome(
            "org.party_org_form = 未建立",
            SkipIfAnyMissing,
            &a,
            None,
            &no_party
        ),
        Pass
    );
}

#[test]
fn items_that_do_not_apply_read_as_missing() {
    let mut a = report();
    // party_org = 是: the reason does not apply, whatever was stored.
    set(&mut a, "party_org_reason", Value::Text("党员不足".into()));
    assert_eq!(
        outcome(
            "present(party_org_reason)",
            SkipIfAnyMissing,
            &a,
            None,
            &org()
        ),
        Fail
    );
    // A value of the wrong type is no value.
    set(&mut a, "members_total", Value::Text("很多".into()));
    assert_eq!(
        outcome("present(members_total)", SkipIfAnyMissing, &a, None, &org()),
        Fail
    );
}

#[test]
fn division_by_zero_is_an_error_outcome() {
    let a = report();
    let got = outcome(
        "members_total / charity_amount > 1",
        SkipIfAnyMissing,
        &a,
        None,
        &org(),
    );
    let Outcome::Error(m) = got else {
        panic!("{got:?}")
    };
    assert_eq!(m.key, "rules.eval.div_zero");
    assert_eq!(m.render(Lang::ZhCn), "除数为零（第 15 个字符处的除法）");
    // A missing divisor under never_skip is 0 too.
    let mut b = a.clone();
    b.remove("charity_amount");
    assert!(matches!(
        outcome(
            "members_total / charity_amount > 1",
            NeverSkip,
            &b,
            None,
            &org()
        ),
        Outcome::Error(_)
    ));
    // A constant zero divisor is refused when compiling.
    let e = compile_err("members_total / (1 - 1) > 0");
    assert_eq!((e.position, e.msg.key), (Some(15), "rules.type.div_zero"));
}

#[test]
fn type_errors_name_the_place() {
    let cases: &[(&str, usize, &str)] = &[
        ("members_totl > 0", 1, "rules.type.unknown_item_suggest"),
        (
            "general_assembly >= 1 and members_totl > 0",
            27,
            "rules.type.unknown_item_suggest",
        ),
        ("zzz > 0", 1, "rules.type.unknown_item"),
        ("len(members_total) > 0", 5, "rules.type.expected"),
        ("members_total", 1, "rules.type.not_bool"),
        ("\"是\"", 1, "rules.type.not_bool"),
        ("members_total > \"12\"", 17, "rules.type.quoted_number"),
        ("members_total + \"12\" > 0", 17, "rules.type.quoted_number"),
        ("members_total + uscc > 0", 17, "rules.type.operand"),
        ("category = 商会", 12, "rules.type.unknown_choice"),
        ("party_org = 也许", 13, "rules.type.bad_yes_no"),
        ("last_reelection > 2020", 17, "rules.type.date_number"),
        (
            "last_reelection + 1 > report_end",
            17,
            "rules.type.date_arith",
        ),
        ("category > 行业", 10, "rules.type.order"),
        ("uscc < \"9\"", 6, "rules.type.order"),
        ("uscc = members_total", 6, "rules.type.compare"),
        ("category = prior_inspection", 10, "rules.type.lists_apart"),
        ("prev(prev(members_total)) > 0", 6, "rules.type.nested_prev"),
        ("prev(org.category) = 行业", 6, "rules.type.prev_org"),
        (
            "org.categry = 行业",
            1,
            "rules.type.unknown_org_field_suggest",
        ),
        ("org.zzzzzzzz = 1", 1, "rules.type.unknown_org_field"),
        ("lenn(uscc) > 0", 1, "rules.type.unknown_function_suggest"),
        ("round(1, 2, 3) > 0", 1, "rules.type.arity"),
        ("if(party_org, 1, \"a\") > 0", 18, "rules.type.if_branches"),
        ("if(party_org, 1, uscc) > 0", 18, "rules.type.if_branches"),
        (
            "date(\"2024-02-30\") < report_end",
            6,
            "rules.type.bad_date",
        ),
        ("date(uscc) < report_end", 6, "rules.type.date_literal"),
        ("has(category, \"x\")", 5, "rules.type.expected"),
        ("present(members_total + 1)", 9, "rules.type.present_arg"),
        ("members_total and party_org", 1, "rules.type.expected"),
        ("not members_total", 5, "rules.type.expected"),
        ("1 / 0 > 0", 3, "rules.type.div_zero"),
        ("org.x.y = 1", 1, "rules.type.unknown_item"),
        ("category = indusry", 12, "rules.type.unknown_choice"),
        ("members_totl = 行业", 1, "rules.type.unknown_item_suggest"),
        (
            "category = membres_total",
            12,
            "rules.type.unknown_item_suggest",
        ),
    ];
    let mut failures = Vec::new();
    for (expr, pos, key) in cases {
        let e = compile_err(expr);
        if e.position != Some(*pos) || e.msg.key != *key {
            failures.push(format!(
                "{expr}: got {:?} {} ({}), want {pos} {key}",
                e.position,
                e.msg.key,
                e.render(Lang::En)
            ));
        }
        assert_known(&e.msg);
        for lang in Lang::ALL {
            let text = e.render(lang);
            assert!(!text.contains('{'), "{text}");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        compile_err("members_totl > 0").render(Lang::ZhCn),
        "第 1 个字符处：未知题目 members_totl（是否想写 members_total？）"
    );
    assert_eq!(
        compile_err("general_assembly >= 1 and members_totl > 0").render(Lang::En),
        "At character 27: Unknown item members_totl (did you mean members_total?)"
    );
    let e = compile_err("category = 商会");
    assert_eq!(
        e.render(Lang::ZhCn),
        "第 12 个字符处：“商会”不是选项列表 category 中的选项（可选：行业/异地/乡镇/街道/村/市场/园区/楼宇/其他）"
    );
}

/// Every catalogue key of a message (and of the messages inside it) exists.
fn assert_known(m: &Msg) {
    assert!(crate::i18n::keys(Lang::ZhCn).contains(&m.key), "{}", m.key);
    for (_, p) in &m.params {
        match p {
            crate::i18n::Param::Key(k) => {
                assert!(crate::i18n::keys(Lang::ZhCn).contains(k), "{k}")
            }
            crate::i18n::Param::Msg(m) => assert_known(m),
            crate::i18n::Param::Text(_) | crate::i18n::Param::Both(..) => {}
        }
    }
}

#[test]
fn parse_errors_name_the_place() {
    let deep = format!("{}1{} > 0", "(".repeat(60), ")".repeat(60));
    let long_sum = format!("{} > 0", vec!["1"; 600].join("+"));
    let too_long = format!("{} > 0", "1".repeat(3000));
    let cases: Vec<(&str, usize, &str)> = vec![
        ("", 1, "rules.parse.empty"),
        ("   ", 1, "rules.parse.empty"),
        ("members_total >", 16, "rules.parse.unexpected_end"),
        ("(members_total > 0", 1, "rules.parse.unclosed_paren"),
        ("len(uscc > 0", 4, "rules.parse.unclosed_paren"),
        ("members_total > 0)", 18, "rules.parse.unmatched_paren"),
        (
            "1 < members_total < 3",
            19,
            "rules.parse.chained_comparison",
        ),
        ("members_total => 1", 15, "rules.lex.ambiguous_op"),
        ("members_total =< 1", 15, "rules.lex.ambiguous_op"),
        ("members_total > 1 2", 19, "rules.parse.unexpected"),
        ("party_org = \"否 -> x", 13, "rules.lex.unclosed_string"),
        ("party_org = “否 -> x", 13, "rules.lex.unclosed_string"),
        ("members_total # 1", 15, "rules.lex.unexpected_char"),
        ("members_total：1", 14, "rules.lex.unexpected_char"),
        ("len(uscc uscc) > 0", 10, "rules.parse.expected_comma"),
        ("org. > 1", 6, "rules.parse.expected_name"),
        ("members_total > * 1", 17, "rules.parse.expected_operand"),
        ("> 1", 1, "rules.parse.expected_operand"),
        (&deep, 49, "rules.parse.too_deep"),
        (&long_sum, 96, "rules.parse.too_deep"),
        (&too_long, 2001, "rules.lex.too_long"),
    ];
    let mut failures = Vec::new();
    for (expr, pos, key) in cases {
        let e = compile_err(expr);
        assert_known(&e.msg);
        if e.position != Some(pos) || e.msg.key != key {
            failures.push(format!(
                "{:.40}: got {:?} {} ({}), want {pos} {key}",
                expr,
                e.position,
                e.msg.key,
                e.render(Lang::En)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn constants_are_folded() {
    let t = template::sample();
    let c = compile(&rule("1 + 2 * 3 = 7 and not false", SkipIfAnyMissing), &t).unwrap();
    assert_eq!(c.expr, eval::B::Const(true));
    let c = compile(&rule("party_org = 是", SkipIfAnyMissing), &t).unwrap();
    assert!(matches!(c.expr, eval::B::Slot(_)), "{:?}", c.expr);
    let c = compile(&rule("members_total > 10 * 10", SkipIfAnyMissing), &t).unwrap();
    assert!(
        matches!(&c.expr, eval::B::CmpN(_, _, n) if **n == eval::N::Const(100.0)),
        "{:?}",
        c.expr
    );
}

#[test]
fn items_concerned() {
    let t = template::sample();
    let c = compile(
        &rule(
            "party_org = 否 -> present(party_org_reason) and prev(party_org) = 是 and org.registered",
            SkipIfAnyMissing,
        ),
        &t,
    )
    .unwrap();
    assert_eq!(c.items, ["party_org", "party_org_reason"]);
    let mut r = rule("members_total > 0", SkipIfAnyMissing);
    r.items = vec!["members_unit".into()];
    assert_eq!(compile(&r, &t).unwrap().items, ["members_unit"]);
    r.items = vec!["members_unt".into()];
    let e = compile(&r, &t).unwrap_err();
    assert_eq!((e.field, e.position), ("items", None));
    assert_eq!(
        e.render(Lang::En),
        "Unknown item members_unt (did you mean members_unit?)"
    );
}

#[test]
fn explain_shows_what_was_read() {
    let t = template::sample();
    let mut a = report();
    set(&mut a, "members_unit", Value::Integer(103));
    let p = last_year();
    let o = org();
    let prepared = Prepared::new(&t, &a, Some(&p), &o, 2024);
    let c = compile(
        &rule(
            "members_total = members_unit + members_individual",
            SkipIfAnyMissing,
        ),
        &t,
    )
    .unwrap();
    assert_eq!(c.eval(&prepared), Fail);
    let e = explain(&c, &prepared, Lang::ZhCn);
    let want: Vec<(String, String)> = [
        ("members_total", "120"),
        ("members_unit", "103"),
        ("members_individual", "20"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(e, want);
    let c = compile(
        &rule(
            "category = org.category and members_total >= prev(members_total) * 0.7 and \
             add_years(last_reelection, 5) >= report_end and party_org -> present(party_org_reason) \
             and income_total > 1",
            SkipIfAnyMissing,
        ),
        &t,
    )
    .unwrap();
    let shown = |lang| {
        explain(&c, &prepared, lang)
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    assert_eq!(
        shown(Lang::ZhCn),
        "category=行业; org.category=行业; members_total=120; prev(members_total)=100; \
         last_reelection=2021-05-03; report_end=2024-12-31; party_org=是; \
         party_org_reason=（未填）; income_total=12.5"
    );
    assert_eq!(
        shown(Lang::En),
        "category=Industry; org.category=Industry; members_total=120; prev(members_total)=100; \
         last_reelection=2021-05-03; report_end=2024-12-31; party_org=Yes; \
         party_org_reason=(empty); income_total=12.5"
    );
}

#[test]
fn a_report_of_another_template_is_not_read() {
    let t = template::sample();
    let mut other = t.clone();
    other.items.pop();
    let c = compile(&rule("members_total > 0", SkipIfAnyMissing), &t).unwrap();
    let (a, o) = (report(), org());
    let p = Prepared::new(&other, &a, None, &o, 2024);
    assert!(matches!(c.eval(&p), Outcome::Error(m) if m.key == "rules.eval.template_mismatch"));
}

/// A template with a multiple-choice item, for count() and has().
fn multi_template() -> Template {
    let mut t = template::sample();
    t.choices.push(template::Choice {
        list: "service_kind".into(),
        code: "training".into(),
        label_zh: "培训".into(),
        label_en: "Training".into(),
    });
    t.choices.push(template::Choice {
        list: "service_kind".into(),
        code: "finance".into(),
        label_zh: "融资".into(),
        label_en: "Financing".into(),
    });
    t.choices.push(template::Choice {
        list: "service_kind".into(),
        code: "legal".into(),
        label_zh: "法律".into(),
        label_en: "Legal".into(),
    });
    let mut item = t.item("service_events").unwrap().clone();
    item.code = "service_kinds".into();
    item.ty = template::ItemType::MultiChoice("service_kind".into());
    item.counted = None;
    t.items.push(item);
    t
}

#[test]
fn multiple_choices() {
    let t = multi_template();
    let mut a = report();
    set(
        &mut a,
        "service_kinds",
        Value::Choices(vec!["training".into(), "legal".into()]),
    );
    let o = org();
    let p = Prepared::new(&t, &a, None, &o, 2024);
    let run = |expr: &str| {
        compile(&rule(expr, SkipIfAnyMissing), &t)
            .unwrap_or_else(|e| panic!("{expr}: {}", e.render(Lang::En)))
            .eval(&p)
    };
    assert_eq!(run("count(service_kinds) = 2"), Pass);
    assert_eq!(run("has(service_kinds, \"培训\")"), Pass);
    assert_eq!(run("has(service_kinds, \"legal\")"), Pass);
    assert_eq!(run("has(service_kinds, 'Financing')"), Fail);
    assert_eq!(run("service_events >= count(service_kinds)"), Pass);
    let c = compile(&rule("count(service_kinds) > 0", SkipIfAnyMissing), &t).unwrap();
    assert_eq!(
        explain(&c, &p, Lang::ZhCn),
        [("service_kinds".to_string(), "培训、法律".to_string())]
    );
    for (expr, key) in [
        ("service_kinds = 培训", "rules.type.multi_compare"),
        ("has(service_kinds, \"咨询\")", "rules.type.unknown_choice"),
        ("has(service_kinds, uscc)", "rules.type.has_literal"),
        ("count(category) > 0", "rules.type.expected"),
    ] {
        let e = compile(&rule(expr, SkipIfAnyMissing), &t).unwrap_err();
        assert_eq!(e.msg.key, key, "{expr}");
    }
    // Missing multiple choices: none ticked under never_skip.
    let b = report();
    let p = Prepared::new(&t, &b, None, &o, 2024);
    let c = compile(&rule("count(service_kinds) = 0", NeverSkip), &t).unwrap();
    assert_eq!(c.eval(&p), Pass);
    let c = compile(&rule("count(service_kinds) = 0", SkipIfAnyMissing), &t).unwrap();
    assert_eq!(c.eval(&p), Skipped);
}

#[test]
fn org_facts_from_a_registry_record() {
    let d = OrgDraft {
        kind: OrgKind::Chamber,
        level: None,
        name: "福州市鼓楼区餐饮商会".into(),
        uscc: match crate::uscc::check(&uscc()) {
            crate::uscc::UsccCheck::Ok(u) => Some(u),
            other => panic!("{other:?}"),
        },
        uscc_override_reason: None,
        category: Some(ChamberCategory::Township),
        founded_on: Some(ymd(2015, 3, 1)),
        division_code: crate::division::DivisionCode::parse("350102").ok(),
        registered: Some(true),
        unregistered_reason: None,
        party_org: Some(false),
        party_org_form: None,
        party_org_reason: Some("党员不足".into()),
        members_unit: Some(40),
        members_individual: Some(12),
        members_total: Some(52),
        council_size: Some(9),
        standing_council_size: None,
        president: None,
        secretary_general: None,
        last_reelection: Some(ymd(2020, 6, 1)),
        status: OrgStatus::Active,
        dissolved_on: None,
    };
    let o = OrgFacts::from(&d);
    assert_eq!(o.division.as_deref(), Some("350102"));
    assert_eq!(o.uscc, Some(uscc()));
    let a = report();
    for (expr, want) in [
        ("org.category = 乡镇", Pass),
        ("org.category = \"township\"", Pass),
        ("category = org.category", Fail),
        (
            "org.members_total = org.members_unit + org.members_individual",
            Pass,
        ),
        ("org.party_org = 否 and org.party_org_form = 未建立", Pass),
        ("org.kind = 商会 and org.status = active", Pass),
        ("years_between(org.founded_on, report_end) = 9", Pass),
        ("org.last_reelection = date(\"2020-06-01\")", Pass),
        ("org.council_size = 9", Pass),
    ] {
        assert_eq!(
            outcome(expr, SkipIfAnyMissing, &a, None, &o),
            want,
            "{expr}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The sample rule set.

#[test]
fn sample_rules_compile_against_the_sample_template() {
    let t = template::sample();
    let rules = sample_rules();
    assert!(rules.len() >= 40, "{} rules", rules.len());
    let codes: BTreeSet<&str> = rules.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes.len(), rules.len());
    for r in &rules {
        let c = compile(r, &t).unwrap_or_else(|e| panic!("{}: {}", r.code, e.render(Lang::En)));
        assert!(!c.items.is_empty(), "{}", r.code);
        assert!(
            !r.name_en.is_empty() && !r.instruction_zh.is_empty() && !r.instruction_en.is_empty()
        );
    }
    let built = build_rules(&csv_rows(sample::SAMPLE_CSV), &t).unwrap();
    assert_eq!(built.len(), rules.len());
    // The rules written on the template's items compile too.
    let item_rules = template_rules(&t);
    assert!(item_rules.len() >= 8);
    for r in &item_rules {
        compile(r, &t).unwrap_or_else(|e| panic!("{}: {}", r.code, e.render(Lang::En)));
    }
}

/// The sample rules that fail on a report.
fn failing(a: &Answers, prev: Option<&Answers>, o: &OrgFacts) -> BTreeSet<String> {
    let t = template::sample();
    let p = Prepared::new(&t, a, prev, o, 2024);
    sample_rules()
        .iter()
        .map(|r| compile(r, &t).unwrap())
        .filter_map(|c| match c.eval(&p) {
            Pass | Skipped => None,
            Fail => Some(c.rule.code.clone()),
            Outcome::Error(m) => Some(format!("{}: {}", c.rule.code, m.render(Lang::En))),
        })
        .collect()
}

/// A chamber without a party organisation, and last year's report.
fn without_party() -> (Answers, Answers, OrgFacts) {
    let mut a = report();
    set(&mut a, "party_org", Value::YesNo(false));
    set(&mut a, "party_org_form", Value::Choice("none".into()));
    set(
        &mut a,
        "party_org_reason",
        Value::Text("党员人数不足三人".into()),
    );
    set(&mut a, "party_instructor", Value::YesNo(true));
    set(&mut a, "party_members", Value::Integer(2));
    set(&mut a, "political_study", Value::Integer(2));
    let mut p = last_year();
    for k in [
        "party_org",
        "party_org_form",
        "party_org_reason",
        "party_instructor",
        "party_members",
    ] {
        p.insert(k.to_string(), a[k].clone());
    }
    let o = OrgFacts {
        party_org: Some(false),
        party_org_form: None,
        ..org()
    };
    (a, p, o)
}

/// Each fault the data generator plants breaks exactly the sample rule meant for it, and a clean
/// report breaks none (warnings included).
#[test]
fn sample_rules_find_each_planted_fault_and_nothing_else() {
    let (a, p, o) = (report(), last_year(), org());
    assert_eq!(failing(&a, Some(&p), &o), BTreeSet::new());
    assert_eq!(failing(&a, None, &o), BTreeSet::new());
    assert_eq!(failing(&a, None, &OrgFacts::default()), BTreeSet::new());
    let (na, np, no) = without_party();
    assert_eq!(failing(&na, Some(&np), &no), BTreeSet::new());

    type Change = fn(&mut Answers, &mut Answers);
    let cases: Vec<(&str, bool, Change)> = vec![
        ("members_sum", true, |a, _| {
            set(a, "members_unit", Value::Integer(103))
        }),
        ("council_within_members", true, |a, _| {
            set(a, "council_size", Value::Integer(130))
        }),
        ("dues_within_income", true, |a, _| {
            set(a, "dues_income", Value::Decimal(12.51))
        }),
        ("general_assembly", true, |a, _| {
            set(a, "general_assembly", Value::Integer(0))
        }),
        ("council_meeting_held", true, |a, _| {
            set(a, "council_meetings", Value::Integer(0))
        }),
        ("council_meetings_twice", true, |a, _| {
            set(a, "council_meetings", Value::Integer(1))
        }),
        ("reelection_overdue", true, |a, p| {
            for x in [a, p] {
                set(x, "last_reelection", Value::Date(ymd(2019, 12, 30)));
            }
        }),
        ("party_form_when_established", true, |a, _| {
            set(a, "party_org_form", Value::Choice("none".into()))
        }),
        ("party_form_when_none", false, |a, _| {
            set(a, "party_org_form", Value::Choice("branch".into()))
        }),
        ("expense_over_income", true, |a, _| {
            set(a, "expense_total", Value::Decimal(18.76))
        }),
        ("members_drop", true, |a, _| {
            set(a, "members_total", Value::Integer(69));
            set(a, "members_unit", Value::Integer(59));
            set(a, "members_individual", Value::Integer(10));
        }),
        ("income_swing", true, |a, _| {
            set(a, "income_total", Value::Decimal(30.01))
        }),
        ("income_swing", true, |a, _| {
            set(a, "income_total", Value::Decimal(3.33));
            set(a, "expense_total", Value::Decimal(3.0));
            set(a, "dues_income", Value::Decimal(2.0));
        }),
        ("party_org_dropped", true, |a, _| {
            set(a, "party_org", Value::YesNo(false));
            set(a, "party_org_form", Value::Choice("none".into()));
            set(
                a,
                "party_org_reason",
                Value::Text("党员流动，组织关系转出".into()),
            );
        }),
        ("rectification", true, |a, _| {
            set(a, "rectification_report", Value::Text("已整改".into()))
        }),
        ("rectification", true, |a, _| {
            a.remove("rectification_report");
        }),
        ("finance_rules", true, |a, _| {
            set(a, "finance_rules", Value::YesNo(false))
        }),
        ("audit", true, |a, _| {
            set(a, "income_total", Value::Decimal(50.0));
            set(a, "expense_total", Value::Decimal(40.0));
            set(a, "audited", Value::YesNo(false));
            set(a, "members_total", Value::Integer(120));
        }),
        ("staff", true, |a, _| {
            set(a, "staff_fulltime", Value::Integer(0))
        }),
        ("political_study", false, |a, _| {
            set(a, "political_study", Value::Integer(0))
        }),
        ("service_events", true, |a, _| {
            set(a, "service_events", Value::Integer(0))
        }),
        ("party_reason", false, |a, _| {
            a.remove("party_org_reason");
        }),
        // A malformed code also differs from the registry's.
        ("uscc_format registry_uscc", true, |a, _| {
            set(a, "uscc", Value::Text("1234".into()))
        }),
        ("registry_category", true, |a, p| {
            for x in [a, p] {
                set(x, "category", Value::Choice("hometown".into()));
            }
        }),
        ("category_changed", true, |_, p| {
            set(p, "category", Value::Choice("hometown".into()))
        }),
    ];
    for (want, with_party, change) in cases {
        let (mut a, mut p, o) = if with_party {
            (report(), last_year(), org())
        } else {
            without_party()
        };
        change(&mut a, &mut p);
        if want == "audit" {
            // Income of exactly 50 needs an audit; just below does not.
            set(&mut p, "income_total", Value::Decimal(40.0));
            let mut below = a.clone();
            set(&mut below, "income_total", Value::Decimal(49.99));
            assert_eq!(failing(&below, Some(&p), &o), BTreeSet::new());
        }
        assert_eq!(
            failing(&a, Some(&p), &o),
            want.split(' ').map(str::to_string).collect::<BTreeSet<_>>(),
            "{want}"
        );
    }
}

/// The thresholds sit exactly where ANNUAL_REPORT_TEMPLATE.md and the generator put them.
#[test]
fn sample_thresholds_are_exact() {
    let (o, p) = (org(), last_year());
    let t = template::sample();
    let rules: BTreeMap<String, CompiledRule> = sample_rules()
        .iter()
        .map(|r| (r.code.clone(), compile(r, &t).unwrap()))
        .collect();
    let check = |code: &str, a: &Answers, prev: Option<&Answers>| {
        rules[code].eval(&Prepared::new(&t, a, prev, &o, 2024))
    };
    let with = |k: &str, v: Value| {
        let mut a = report();
        set(&mut a, k, v);
        a
    };
    // Re-election: five years to the day before 31 December is on time, a day more is not.
    let on_time = with("last_reelection", Value::Date(ymd(2019, 12, 31)));
    let late = with("last_reelection", Value::Date(ymd(2019, 12, 30)));
    assert_eq!(check("reelection_overdue", &on_time, None), Pass);
    assert_eq!(check("reelection_overdue", &late, None), Fail);
    // Members: 70% of last year's passes, less fails (100 last year).
    assert_eq!(
        check(
            "members_drop",
            &with("members_total", Value::Integer(70)),
            Some(&p)
        ),
        Pass
    );
    assert_eq!(
        check(
            "members_drop",
            &with("members_total", Value::Integer(69)),
            Some(&p)
        ),
        Fail
    );
    let mut big = last_year();
    set(&mut big, "members_total", Value::Integer(1000));
    assert_eq!(
        check(
            "members_drop",
            &with("members_total", Value::Integer(700)),
            Some(&big)
        ),
        Pass
    );
    assert_eq!(
        check(
            "members_drop",
            &with("members_total", Value::Integer(699)),
            Some(&big)
        ),
        Fail
    );
    // Income: exactly three times or a third passes (10 last year).
    for (income, want) in [
        (30.0, Pass),
        (30.01, Fail),
        (10.0 / 3.0, Pass),
        (3.33, Fail),
    ] {
        assert_eq!(
            check(
                "income_swing",
                &with("income_total", Value::Decimal(income)),
                Some(&p)
            ),
            want,
            "{income}"
        );
    }
    let mut small = last_year();
    set(&mut small, "income_total", Value::Decimal(0.51));
    assert_eq!(
        check(
            "income_swing",
            &with("income_total", Value::Decimal(1.53)),
            Some(&small)
        ),
        Pass
    );
    assert_eq!(
        check(
            "income_swing",
            &with("income_total", Value::Decimal(0.17)),
            Some(&small)
        ),
        Pass
    );
    assert_eq!(
        check(
            "income_swing",
            &with("income_total", Value::Decimal(0.16)),
            Some(&small)
        ),
        Fail
    );
    // Spending: 1.5 × income passes (12.5 → 18.75).
    assert_eq!(
        check(
            "expense_over_income",
            &with("expense_total", Value::Decimal(18.75)),
            None
        ),
        Pass
    );
    assert_eq!(
        check(
            "expense_over_income",
            &with("expense_total", Value::Decimal(18.76)),
            None
        ),
        Fail
    );
    // Dues: equal to income passes.
    assert_eq!(
        check(
            "dues_within_income",
            &with("dues_income", Value::Decimal(12.5)),
            None
        ),
        Pass
    );
    // Rectification: ten characters pass, nine fail.
    let text = |s: &str| with("rectification_report", Value::Text(s.into()));
    assert_eq!(
        check("rectification", &text("一二三四五六七八九十"), None),
        Pass
    );
    assert_eq!(
        check("rectification", &text("一二三四五六七八九"), None),
        Fail
    );
    // Qualified last year: no report needed.
    let mut q = with("prior_inspection", Value::Choice("qualified".into()));
    q.remove("rectification_report");
    assert_eq!(check("rectification", &q, None), Pass);
}

#[test]
fn rule_sheets_report_every_problem_with_its_place() {
    let t = template::sample();
    let csv = "code,name::zh,name::en,group,severity,missing,expr,items\n\
               ok,好,Good,basic,错误,,members_total > 0,\n\
               ok,重复,Dup,basic,error,,members_total > 0,\n\
               Bad Code,坏,Bad,basic,严重,sometimes,members_total > 0,\n\
               \n\
               typo,拼写,Typo,basic,提示,从不跳过,\"general_assembly >= 1 and members_totl > 0\",\n\
               items,题目,Items,basic,finding,,members_total > 0,members_unit zzz\n";
    let rows = csv_rows(csv);
    let problems = read_rules(&rows).unwrap_err();
    let places: Vec<(usize, Option<&str>)> = problems
        .iter()
        .map(|p| (p.row, p.column.as_deref()))
        .collect();
    assert_eq!(
        places,
        [
            (3, Some("code")),
            (4, Some("code")),
            (4, Some("severity")),
            (4, Some("missing")),
        ]
    );
    // Once they read, they are type-checked, every one.
    let fixed: Vec<SheetRow> = rows.into_iter().filter(|r| r.row >= 6).collect();
    let rules = read_rules(&fixed).unwrap();
    assert_eq!(rules[0].severity, Severity::Warning);
    assert_eq!(rules[0].missing, MissingStrategy::NeverSkip);
    let problems = build_rules(&fixed, &t).unwrap_err();
    assert_eq!(problems.len(), 2);
    assert_eq!(
        problems[0].render(Lang::ZhCn),
        "第 6 行“expr”列第 27 个字符处：未知题目 members_totl（是否想写 members_total？）"
    );
    assert_eq!(
        problems[0].render(Lang::En),
        "row 6 column \"expr\" at character 27: Unknown item members_totl (did you mean members_total?)"
    );
    assert_eq!(
        (
            problems[1].row,
            problems[1].column.as_deref(),
            problems[1].position
        ),
        (7, Some("items"), None)
    );
}

#[test]
fn labels_and_codes() {
    for s in Severity::ALL {
        for lang in Lang::ALL {
            assert_eq!(Severity::parse(s.label(lang)), Some(s));
        }
        assert_eq!(Severity::parse(s.code()), Some(s));
    }
    assert_eq!(Severity::parse("问题"), Some(Severity::Finding));
    assert_eq!(Severity::parse(" WARNING "), Some(Severity::Warning));
    for m in MissingStrategy::ALL {
        for lang in Lang::ALL {
            assert_eq!(MissingStrategy::parse(m.label(lang)), Some(m));
        }
        assert_eq!(MissingStrategy::parse(m.code()), Some(m));
    }
    let r = &sample_rules()[0];
    let json = serde_json::to_string(r).unwrap();
    assert!(json.contains("\"severity\":\"error\""), "{json}");
    assert_eq!(&serde_json::from_str::<Rule>(&json).unwrap(), r);
}

#[test]
fn csv_reading() {
    let text = "\u{feff}a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n2,\"two\nlines\",\n\n3,a\"b,";
    let records = parse_csv(text);
    assert_eq!(
        records,
        vec![
            vec!["a", "b", "c"],
            vec!["1", "x, y", "say \"hi\""],
            vec!["2", "two\nlines", ""],
            vec![""],
            vec!["3", "a\"b", ""],
        ]
    );
    let rows = csv_rows(text);
    assert_eq!(rows.iter().map(|r| r.row).collect::<Vec<_>>(), [2, 3, 5]);
    assert_eq!(rows[0].cells["b"], "x, y");
    assert_eq!(parse_csv("\"unterminated"), vec![vec!["unterminated"]]);
    assert_eq!(parse_csv(""), Vec::<Vec<String>>::new());
}

#[test]
fn whole_years_and_months() {
    use eval::{months_between, years_between};
    assert_eq!(years_between(ymd(2019, 12, 31), ymd(2024, 12, 31)), 5);
    assert_eq!(years_between(ymd(2019, 12, 30), ymd(2024, 12, 31)), 5);
    assert_eq!(years_between(ymd(2019, 12, 31), ymd(2024, 12, 30)), 4);
    assert_eq!(years_between(ymd(2024, 12, 31), ymd(2019, 12, 31)), -5);
    assert_eq!(months_between(ymd(2024, 1, 31), ymd(2024, 3, 30)), 1);
    assert_eq!(months_between(ymd(2024, 1, 31), ymd(2024, 3, 31)), 2);
    assert_eq!(months_between(ymd(2024, 3, 31), ymd(2024, 1, 31)), -2);
    assert!(months_between(NaiveDate::MIN, NaiveDate::MAX) > 0);
}

// ---------------------------------------------------------------------------------------------
// Nothing panics.

use proptest::prelude::*;

/// Words and symbols of the language, to reach past the lexer.
const VOCAB: &[&str] = &[
    "members_total",
    "members_unit",
    "party_org",
    "category",
    "uscc",
    "last_reelection",
    "income_total",
    "prior_inspection",
    "rectification_report",
    "party_org_form",
    "org",
    "org.category",
    "org.party_org",
    ".",
    "report_year",
    "report_end",
    "prev",
    "present",
    "empty",
    "len",
    "abs",
    "min",
    "max",
    "round",
    "years_between",
    "months_between",
    "days_between",
    "year",
    "date",
    "add_years",
    "add_days",
    "count",
    "has",
    "if",
    "is_uscc",
    "(",
    ")",
    ",",
    "+",
    "-",
    "*",
    "/",
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "->",
    "and",
    "or",
    "not",
    "true",
    "false",
    "0",
    "1",
    "0.7",
    "30%",
    "\"是\"",
    "否",
    "行业",
    "合格",
    "\"2024-05-31\"",
    "“否”",
    "（",
    "）",
    "＝",
    "１２",
    "且",
    "非",
    "\"",
    "“",
];

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Random answers to the template's items: any subset, sometimes of the wrong type, with
/// extreme numbers and dates.
fn random_answers(t: &Template, seed: u64) -> Answers {
    let mut s = seed;
    let mut a = Answers::new();
    for item in &t.items {
        let r = splitmix(&mut s);
        if r.is_multiple_of(4) {
            continue;
        }
        let pick = splitmix(&mut s);
        let nums = [0.0, 1.0, -1.0, 0.5, 1e300, -1e300, f64::MAX, 3.0, 100.0];
        let v = match (r / 4) % 9 {
            0 => Value::Text(
                ["", " ", "无", "已整改", "51350102MJ0000000X"][pick as usize % 5].into(),
            ),
            1 => Value::Integer([0, 1, -1, i64::MAX, i64::MIN, 120][pick as usize % 6]),
            2 => Value::Decimal(nums[pick as usize % nums.len()]),
            3 => Value::YesNo(pick.is_multiple_of(2)),
            4 => Value::Date(
                [
                    NaiveDate::MIN,
                    NaiveDate::MAX,
                    ymd(2020, 2, 29),
                    ymd(2024, 12, 31),
                ][pick as usize % 4],
            ),
            5 => Value::Choices(vec!["x".into()]),
            _ => {
                // Mostly the right type.
                match &item.ty {
                    template::ItemType::Choice(l) => {
                        let cs: Vec<_> = t.choices.iter().filter(|c| &c.list == l).collect();
                        if cs.is_empty() {
                            Value::Choice("zzz".into())
                        } else {
                            Value::Choice(cs[pick as usize % cs.len()].code.clone())
                        }
                    }
                    template::ItemType::Integer => Value::Integer((pick % 200) as i64),
                    template::ItemType::Decimal => Value::Decimal((pick % 10_000) as f64 / 100.0),
                    template::ItemType::YesNo => Value::YesNo(pick.is_multiple_of(2)),
                    template::ItemType::Date => {
                        Value::Date(ymd(2000, 1, 1) + chrono::Days::new(pick % 10_000))
                    }
                    template::ItemType::Text => Value::Text("已按要求整改完毕。".into()),
                    template::ItemType::MultiChoice(_) => Value::Choices(vec![]),
                }
            }
        };
        a.insert(item.code.clone(), v);
    }
    a
}

fn random_org(seed: u64) -> OrgFacts {
    let mut s = seed;
    let mut coin = || splitmix(&mut s).is_multiple_of(2);
    OrgFacts {
        kind: coin().then_some(OrgKind::Chamber),
        level: coin().then_some(FederationLevel::County),
        category: coin().then_some(ChamberCategory::Village),
        registered: coin().then_some(false),
        party_org: coin().then_some(false),
        party_org_form: coin().then_some(PartyOrgForm::JointBranch),
        members_total: coin().then_some(0),
        members_unit: coin().then_some(i64::MAX),
        members_individual: None,
        council_size: coin().then_some(-5),
        founded_on: coin().then_some(NaiveDate::MIN),
        last_reelection: coin().then_some(NaiveDate::MAX),
        division: coin().then(|| "".to_string()),
        status: coin().then_some(OrgStatus::Dissolved),
        uscc: coin().then(|| "无".to_string()),
    }
}

fn num_expr() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(vec![
        "members_total",
        "members_unit",
        "council_size",
        "party_members",
        "income_total",
        "charity_amount",
        "0",
        "1",
        "0.5",
        "99999999999999999999999",
        "prev(members_total)",
        "prev(income_total - dues_income)",
        "org.members_total",
        "org.council_size",
        "report_year",
        "prev(report_year)",
        "len(uscc)",
        "len(party_org_reason)",
        "years_between(last_reelection, report_end)",
        "months_between(org.founded_on, last_reelection)",
        "days_between(date(\"2020-02-29\"), last_reelection)",
        "year(add_months(last_reelection, income_total))",
        "year(add_days(report_end, members_total * 1000000000))",
        "year(add_years(org.last_reelection, members_unit))",
        "day(if(party_org, last_reelection, report_end))",
    ])
    .prop_map(str::to_string);
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            (
                inner.clone(),
                inner.clone(),
                prop::sample::select(vec!["+", "-", "*", "/"])
            )
                .prop_map(|(a, b, op)| format!("({a} {op} {b})")),
            inner.clone().prop_map(|a| format!("-{a}")),
            inner.clone().prop_map(|a| format!("abs({a})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("min({a}, {b})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| format!("max({a}, {b}, {c})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("round({a}, {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("if({a} > {b}, {a}, {b})")),
        ]
    })
}

fn bool_expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        prop::sample::select(vec![
            "party_org",
            "(audited = 否)",
            "(category = 行业)",
            "(category = org.category)",
            "(party_org_form != 未建立)",
            "present(party_org_reason)",
            "empty(prev(income_total))",
            "is_uscc(uscc)",
            "uscc_check(uscc)",
            "(prev(party_org) = 是)",
            "org.registered",
            "(last_reelection >= org.founded_on)",
            "(add_years(last_reelection, 5) >= report_end)",
            "contains(uscc, \"5\")",
            "(prior_inspection != 合格)",
            "(org.party_org_form = 未建立)",
            "(category = prev(category))",
            "(uscc = org.uscc)",
        ])
        .prop_map(str::to_string),
        (
            num_expr(),
            num_expr(),
            prop::sample::select(vec!["=", "!=", "<", "<=", ">", ">="])
        )
            .prop_map(|(a, b, op)| format!("({a} {op} {b})")),
    ];
    leaf.prop_recursive(3, 16, 2, |inner| {
        prop_oneof![
            (
                inner.clone(),
                inner.clone(),
                prop::sample::select(vec!["and", "or", "->", "="])
            )
                .prop_map(|(a, b, op)| format!("({a} {op} {b})")),
            inner.clone().prop_map(|a| format!("(not {a})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| format!("if({a}, {b}, {c})")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn no_text_makes_compiling_panic(s in "\\PC{0,80}") {
        let _ = compile(&rule(&s, SkipIfAnyMissing), &template::sample());
    }

    #[test]
    fn no_token_soup_makes_compiling_panic(
        words in prop::collection::vec(prop::sample::select(VOCAB), 0..30),
        glue in prop::sample::select(vec![" ", ""]),
    ) {
        let s = words.join(glue);
        if let Ok(c) = compile(&rule(&s, NeverSkip), &template::sample()) {
            let t = template::sample();
            let a = random_answers(&t, s.len() as u64);
            let o = random_org(s.len() as u64);
            let p = Prepared::new(&t, &a, Some(&a), &o, 2024);
            let _ = c.eval(&p);
            let _ = explain(&c, &p, Lang::En);
        }
    }

    #[test]
    fn evaluating_never_panics(
        expr in bool_expr(),
        seed in any::<u64>(),
        year in prop_oneof![Just(2024), -400_000i32..400_000, Just(i32::MIN), Just(i32::MAX)],
        has_prev in any::<bool>(),
    ) {
        let t = template::sample();
        for missing in MissingStrategy::ALL {
            let c = match compile(&rule(&expr, missing), &t) {
                Ok(c) => c,
                Err(e) => {
                    prop_assert!(
                        matches!(
                            e.msg.key,
                            "rules.type.div_zero" | "rules.parse.too_deep" | "rules.lex.too_long"
                        ),
                        "{} {}", expr, e.render(Lang::En)
                    );
                    return Ok(());
                }
            };
            let a = random_answers(&t, seed);
            let prev = random_answers(&t, seed ^ 0xdead_beef);
            let o = random_org(seed);
            let p = Prepared::new(&t, &a, has_prev.then_some(&prev), &o, year);
            let _ = c.eval(&p);
            let _ = explain(&c, &p, Lang::ZhCn);
        }
    }
}
