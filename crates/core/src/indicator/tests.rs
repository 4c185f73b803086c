//! Each built-in indicator on a small hand-built tree with known answers; who misses and the
//! recount; growth over two years; validation; rows and JSON round trips; targets.

use std::collections::BTreeMap;

use super::*;
use crate::division::{Division, DivisionCode, DivisionLevel, is_statistical_only};
use crate::org::{ChamberCategory, FederationLevel, OrgKind};
use crate::report::Answers;
use crate::rules::{OrgFacts, csv_rows};
use crate::template::{self, SheetRow, Value};

// ---------------------------------------------------------------------------------------------
// The tree.
//
//   1 全国工商联 (no division)
//   └ 2 福建省工商联 350000
//     ├ 3 福州市工商联 350100
//     │ ├ 4 鼓楼区工商联 350102   townships 001 (street), 100 (town), 200 (township) official,
//     │ │                         400 statistical-only
//     │ │ ├ 10 township chamber 350102100, party organisation
//     │ │ ├ 11 street chamber   350102001, none
//     │ │ ├ 12 industry chamber 350102,    not known
//     │ │ ├ 13 township chamber 350102400 (the statistical-only township), none
//     │ │ └ 14 street chamber   350103002 (in 台江), party organisation: moved here from 5
//     │ │                        during the year
//     │ │   (a township chamber of 350102200 was dissolved before the year end: not a unit)
//     │ ├ 5 台江区工商联 350103   townships 001, 002, 100
//     │ │ └ 20 street chamber   350103001, party organisation
//     │ └ 30 federation branch 350171 (a development zone; 350172 has none)
//     └ 6 厦门市工商联 350200
//   Cities of 福建: 350100, 350200, 350300 official, 359000 a placeholder.

fn code(s: &str) -> DivisionCode {
    DivisionCode::parse(s).unwrap()
}

fn division(c: &str, placeholder: bool) -> Division {
    let code = code(c);
    Division {
        level: code.level(),
        parent: code.parent(),
        statistical_only: is_statistical_only(&code),
        placeholder,
        no_county_level: false,
        name: c.to_string(),
        code,
    }
}

fn lists() -> DivisionLists {
    let mut d: Vec<Division> = [
        "350000",
        "350100",
        "350200",
        "350300",
        "350102",
        "350103",
        "350171",
        "350172",
        "350203",
        "350102001",
        "350102100",
        "350102200",
        "350102400",
        "350103001",
        "350103002",
        "350103100",
        "350203001",
        "360000",
        "360100",
    ]
    .iter()
    .map(|c| division(c, false))
    .collect();
    d.push(division("359000", true));
    DivisionLists::from_divisions(&d)
}

fn federation(id: i64, ancestors: &[i64], level: FederationLevel, div: Option<&str>) -> UnitRow {
    UnitRow {
        id,
        ancestors: ancestors.to_vec(),
        facts: OrgFacts {
            kind: Some(OrgKind::Federation),
            level: Some(level),
            division: div.map(str::to_string),
            ..OrgFacts::default()
        },
    }
}

fn chamber(
    id: i64,
    ancestors: &[i64],
    category: ChamberCategory,
    div: &str,
    party: Option<bool>,
) -> UnitRow {
    UnitRow {
        id,
        ancestors: ancestors.to_vec(),
        facts: OrgFacts {
            kind: Some(OrgKind::Chamber),
            category: Some(category),
            party_org: party,
            division: Some(div.to_string()),
            ..OrgFacts::default()
        },
    }
}

const GULOU: &[i64] = &[1, 2, 3, 4];
const TAIJIANG: &[i64] = &[1, 2, 3, 5];

/// The units at the end of 2024.
fn units_2024() -> Vec<UnitRow> {
    use ChamberCategory::*;
    vec![
        federation(1, &[], FederationLevel::National, None),
        federation(2, &[1], FederationLevel::Provincial, Some("350000")),
        federation(3, &[1, 2], FederationLevel::City, Some("350100")),
        federation(4, &[1, 2, 3], FederationLevel::County, Some("350102")),
        federation(5, &[1, 2, 3], FederationLevel::County, Some("350103")),
        federation(6, &[1, 2], FederationLevel::City, Some("350200")),
        chamber(10, GULOU, Township, "350102100", Some(true)),
        chamber(11, GULOU, Street, "350102001", Some(false)),
        chamber(12, GULOU, Industry, "350102", None),
        chamber(13, GULOU, Township, "350102400", Some(false)),
        chamber(14, GULOU, Street, "350103002", Some(true)),
        chamber(20, TAIJIANG, Street, "350103001", Some(true)),
        UnitRow {
            id: 30,
            ancestors: vec![1, 2, 3],
            facts: OrgFacts {
                kind: Some(OrgKind::Branch),
                division: Some("350171".into()),
                ..OrgFacts::default()
            },
        },
    ]
}

/// The units at the end of 2023: 14 still under 台江, 15 (dissolved in 2024) under 鼓楼, 13 not
/// yet founded.
fn units_2023() -> Vec<UnitRow> {
    use ChamberCategory::*;
    let mut u: Vec<UnitRow> = units_2024()
        .into_iter()
        .filter(|u| u.id != 13 && u.id != 14)
        .collect();
    u.push(chamber(14, TAIJIANG, Street, "350103002", Some(true)));
    u.push(chamber(15, GULOU, Township, "350102200", Some(true)));
    u
}

fn members(n: i64) -> Option<Answers> {
    Some(BTreeMap::from([(
        "members_total".to_string(),
        Value::Integer(n),
    )]))
}

fn report(org_id: i64, ancestors: &[i64], state: &str, answers: Option<Answers>) -> ReportRow {
    ReportRow {
        org_id,
        ancestors: ancestors.to_vec(),
        expected: state != "off_list",
        submitted: matches!(state, "on_time" | "late" | "off_list"),
        on_time: state == "on_time",
        answers,
    }
}

/// 2024's campaign under 鼓楼: 10 and 13 on time, 11 late, 14 not submitted, 12 taken off the
/// list after submitting; 20 under 台江 on time.
fn reports_2024() -> Vec<ReportRow> {
    vec![
        report(10, GULOU, "on_time", members(50)),
        report(11, GULOU, "late", members(30)),
        report(12, GULOU, "off_list", members(100)),
        report(13, GULOU, "on_time", members(20)),
        report(14, GULOU, "none", None),
        report(20, TAIJIANG, "on_time", members(40)),
    ]
}

fn reports_2023() -> Vec<ReportRow> {
    vec![
        report(10, GULOU, "on_time", members(45)),
        report(11, GULOU, "on_time", members(25)),
        report(15, GULOU, "late", members(10)),
        report(14, TAIJIANG, "on_time", members(12)),
        report(20, TAIJIANG, "on_time", members(40)),
    ]
}

fn notice(id: i64, org_id: i64, closed: bool, on_time: bool) -> NoticeRow {
    NoticeRow {
        id,
        org_id,
        ancestors: GULOU.to_vec(),
        closed,
        closed_on_time: on_time,
    }
}

fn notices_2024() -> Vec<NoticeRow> {
    vec![
        notice(100, 10, true, true),
        notice(101, 11, true, false),
        notice(102, 13, false, false),
    ]
}

struct Year {
    units: Vec<UnitRow>,
    reports: Vec<ReportRow>,
    notices: Vec<NoticeRow>,
}

fn year_2024() -> Year {
    Year {
        units: units_2024(),
        reports: reports_2024(),
        notices: notices_2024(),
    }
}

fn year_2023() -> Year {
    Year {
        units: units_2023(),
        reports: reports_2023(),
        notices: Vec::new(),
    }
}

fn universe<'a>(y: &'a Year, year: i32, lists: &'a DivisionLists, t: &'a Template) -> Universe<'a> {
    Universe {
        year,
        units: &y.units,
        divisions: lists,
        template: Some(t),
        reports: &y.reports,
        notices: &y.notices,
    }
}

fn builtin(code: &str) -> CompiledIndicator {
    let ind = builtin_indicators()
        .into_iter()
        .find(|i| i.code == code)
        .unwrap();
    check(&ind, &template::sample()).unwrap_or_else(|p| panic!("{code}: {}", p[0].render(Lang::En)))
}

fn fractions(code: &str, nodes: &[i64]) -> Vec<(f64, f64)> {
    let (y, l, t) = (year_2024(), lists(), template::sample());
    compute(&builtin(code), &universe(&y, 2024, &l, &t), nodes)
        .into_iter()
        .map(|f| (f.numerator, f.denominator))
        .collect()
}

#[test]
fn party_org_rate() {
    // 鼓楼: chambers 10, 11, 12, 13 and 14 (moved in), not 20 of 台江; with one: 10 and 14.
    assert_eq!(
        fractions("party_org_rate", &[4, 5, 3, 1, 10, 999]),
        [
            (2.0, 5.0),
            (1.0, 1.0),
            (3.0, 6.0),
            (3.0, 6.0),
            (0.0, 0.0),
            (0.0, 0.0)
        ]
    );
    let ci = builtin("party_org_rate");
    let f = Fraction {
        numerator: 2.0,
        denominator: 5.0,
    };
    assert_eq!(ci.indicator.value(f), Some(40.0));
    assert_eq!(ci.indicator.value(Fraction::default()), None);
}

#[test]
fn township_chamber_coverage() {
    // 鼓楼: official townships 001, 100, 200 (not 400); covered 100 (10) and 001 (11). 13 sits in
    // the statistical-only 400, 14 in 台江's 002: neither covers one of 鼓楼's. 台江: 001 (20);
    // 14 is not below 台江. 福州: six townships, covered 001 and 100 of 鼓楼, 001 and 002 of 台江.
    assert_eq!(
        fractions("township_chamber_coverage", &[4, 5, 3, 6]),
        [(2.0, 3.0), (1.0, 3.0), (4.0, 6.0), (0.0, 1.0)]
    );
}

#[test]
fn park_branch_coverage() {
    // 福州's development zones 350171 (branch 30) and 350172; none within a county's division.
    assert_eq!(
        fractions("park_branch_coverage", &[3, 4, 2]),
        [(1.0, 2.0), (0.0, 0.0), (1.0, 2.0)]
    );
}

#[test]
fn reporting_and_on_time_rates() {
    // 鼓楼 expects 10, 11, 13, 14 (12 was taken off the list); submitted 10, 11, 13; on time 10,
    // 13. 福州 adds 20.
    assert_eq!(
        fractions("reporting_rate", &[4, 5, 3]),
        [(3.0, 4.0), (1.0, 1.0), (4.0, 5.0)]
    );
    assert_eq!(fractions("on_time_rate", &[4, 3]), [(2.0, 4.0), (3.0, 5.0)]);
    // A unit's own report counts at the unit.
    assert_eq!(fractions("reporting_rate", &[11]), [(1.0, 1.0)]);
}

#[test]
fn closure_rate() {
    assert_eq!(
        fractions("closure_rate", &[4, 3, 5]),
        [(2.0, 3.0), (2.0, 3.0), (0.0, 0.0)]
    );
}

#[test]
fn city_coverage() {
    // 福建's official cities 350100, 350200, 350300 (not the placeholder 359000); units below the
    // province sit in 福州 and 厦门; below 鼓楼 only in 福州 (14's 台江 code is in 福州 too). The
    // national root has no province: the whole country's cities (南昌 too).
    assert_eq!(
        fractions("city_coverage", &[2, 4, 1, 6]),
        [(2.0, 3.0), (1.0, 3.0), (2.0, 4.0), (0.0, 3.0)]
    );
}

#[test]
fn growth_over_two_years() {
    let (y24, y23, l, t) = (year_2024(), year_2023(), lists(), template::sample());
    let (u24, u23) = (universe(&y24, 2024, &l, &t), universe(&y23, 2023, &l, &t));
    let chambers = builtin("chamber_growth");
    // 鼓楼: 10, 11, 12, 15 at the end of 2023; 10, 11, 12, 13, 14 at the end of 2024.
    let this = compute(&chambers, &u24, &[4, 5]);
    let last = compute(&chambers, &u23, &[4, 5]);
    assert_eq!(this[0].numerator, 5.0);
    assert_eq!(this[0].denominator, 0.0);
    assert_eq!(chambers.indicator.value(this[0]), None);
    assert_eq!(last[0].numerator, 4.0);
    assert_eq!(growth(this[0], last[0], 100.0), Some(25.0));
    // 台江 lost 14 to 鼓楼: 2 → 1.
    assert_eq!(growth(this[1], last[1], 100.0), Some(-50.0));
    let g = compute_growth(&chambers, &u24, &u23, &[4, 5]);
    assert_eq!(
        g[0],
        Fraction {
            numerator: 1.0,
            denominator: 4.0
        }
    );
    assert_eq!(chambers.indicator.value(g[1]), Some(-50.0));

    // Members in submitted reports of units expected: 鼓楼 2023 45 + 25 + 10 = 80; 2024
    // 50 + 30 + 20 = 100 (12's 100 is off the list).
    let m = builtin("member_growth");
    let g = compute_growth(&m, &u24, &u23, &[4, 3]);
    assert_eq!(
        g[0],
        Fraction {
            numerator: 20.0,
            denominator: 80.0
        }
    );
    assert_eq!(m.indicator.value(g[0]), Some(25.0));
    // 福州: 2023 80 + 12 + 40 = 132; 2024 100 + 40 = 140.
    assert_eq!(
        g[1],
        Fraction {
            numerator: 8.0,
            denominator: 132.0
        }
    );
    // No units last year: no growth.
    assert_eq!(growth(this[0], Fraction::default(), 100.0), None);
}

#[test]
fn who_misses_and_the_recount() {
    let (y, l, t) = (year_2024(), lists(), template::sample());
    let u = universe(&y, 2024, &l, &t);
    let party = builtin("party_org_rate");
    assert_eq!(missing_units(&party, &u, 4), [11, 12, 13]);
    assert_eq!(missing_units(&party, &u, 5), Vec::<i64>::new());
    let coverage = builtin("township_chamber_coverage");
    assert_eq!(missing_divisions(&coverage, &u, 4), [code("350102200")]);
    assert_eq!(
        missing_divisions(&coverage, &u, 5),
        [code("350103002"), code("350103100")]
    );
    assert_eq!(
        missing_divisions(&builtin("park_branch_coverage"), &u, 3),
        [code("350172")]
    );
    assert_eq!(
        missing_divisions(&builtin("city_coverage"), &u, 2),
        [code("350300")]
    );
    assert_eq!(missing_units(&builtin("reporting_rate"), &u, 4), [14]);
    assert_eq!(missing_units(&builtin("on_time_rate"), &u, 4), [11, 14]);
    assert_eq!(missing_notices(&builtin("closure_rate"), &u, 4), [102]);
    // Lists of the wrong kind are empty.
    assert!(missing_divisions(&party, &u, 4).is_empty());
    assert!(missing_units(&coverage, &u, 4).is_empty());
    assert!(missing_units(&builtin("chamber_growth"), &u, 4).is_empty());

    // Every built-in ratio, every node: denominator − listed = numerator.
    let nodes = [1, 2, 3, 4, 5, 6, 10, 30];
    for ind in builtin_indicators()
        .iter()
        .filter(|i| i.compare == Compare::Ratio)
    {
        let ci = check(ind, &t).unwrap();
        for (node, f) in nodes.iter().zip(compute(&ci, &u, &nodes)) {
            let listed = missing_units(&ci, &u, *node).len()
                + missing_divisions(&ci, &u, *node).len()
                + missing_notices(&ci, &u, *node).len();
            assert_eq!(
                f.denominator - listed as f64,
                f.numerator,
                "{} at {node}",
                ind.code
            );
        }
    }
}

#[test]
fn nodes_in_any_order_and_repeated() {
    let all = fractions("party_org_rate", &[4, 3, 4, 5]);
    assert_eq!(all, [(2.0, 5.0), (3.0, 6.0), (2.0, 5.0), (1.0, 1.0)]);
    assert!(fractions("party_org_rate", &[]).is_empty());
}

#[test]
fn conditions_on_reports_and_another_template_version() {
    let t = template::sample();
    let ind = Indicator {
        code: "big_reports".into(),
        name_zh: "大商会报送数".into(),
        name_en: "Big chambers reporting".into(),
        description_zh: String::new(),
        description_en: String::new(),
        numerator: Measure::Reports {
            state: ReportState::Submitted,
            filter: "members_total >= 30 and org.kind = 商会".into(),
        },
        denominator: Some(Measure::ItemSum {
            item: "members_total".into(),
            filter: "org.category = 乡镇".into(),
        }),
        factor: 1.0,
        unit: String::new(),
        compare: Compare::Ratio,
        builtin: false,
    };
    let ci = check(&ind, &t).unwrap();
    assert!(ci.uses_template() && ci.compiled_for(&t));
    let (y, l) = (year_2024(), lists());
    // Submitted with ≥ 30 members: 10 (50), 11 (30); township chambers' members: 10 and 13.
    let want = vec![Fraction {
        numerator: 2.0,
        denominator: 70.0,
    }];
    assert_eq!(compute(&ci, &universe(&y, 2024, &l, &t), &[4]), want);
    // The year's campaign uses another version: recompiled for it.
    let mut t2 = t.clone();
    t2.version = 2;
    assert!(!ci.compiled_for(&t2));
    assert_eq!(compute(&ci, &universe(&y, 2024, &l, &t2), &[4]), want);
    // A version without the item: nothing counts rather than counting wrongly.
    t2.items.retain(|i| i.code != "members_total");
    let got = compute(&ci, &universe(&y, 2024, &l, &t2), &[4]);
    assert_eq!(got[0].value(), None);
}

#[test]
fn outcomes_kept_only_for_conditions_on_enumerations() {
    let kept = |expr: &str| match unit_filter(expr).unwrap() {
        Filter::Rule(_, kept) => kept,
        _ => panic!("{expr}"),
    };
    assert!(kept("org.kind = 商会 and org.party_org = 是"));
    assert!(kept("true"));
    assert!(kept("org.party_org_form = 未建立 or empty(org.status)"));
    assert!(kept("report_year >= 2024 -> org.level = 县级"));
    assert!(!kept("org.kind = 商会 and org.members_total >= 100"));
    assert!(!kept("present(org.uscc)"));
    assert!(!kept("contains(org.division, \"3501\")"));
    assert!(!kept("years_between(org.founded_on, report_end) >= 5"));
    assert!(matches!(unit_filter("").unwrap(), Filter::All));

    // The same counts either way: a condition on a number is evaluated unit by unit.
    let (y, l, t) = (year_2024(), lists(), template::sample());
    let u = universe(&y, 2024, &l, &t);
    let mut ind = base();
    ind.numerator = Measure::Units {
        filter: "org.kind = 商会 and org.party_org = 是 and (org.members_total >= 0 or true)"
            .into(),
    };
    let ci = check(&ind, &t).unwrap();
    assert!(matches!(
        ci.numerator,
        Compiled::Units(Filter::Rule(_, false))
    ));
    assert_eq!(
        compute(&ci, &u, &[4, 5, 3]),
        compute(&builtin("party_org_rate"), &u, &[4, 5, 3])
    );
}

// ---------------------------------------------------------------------------------------------
// Validation.

fn base() -> Indicator {
    builtin_indicators().remove(0)
}

fn problems(ind: &Indicator) -> Vec<(String, &'static str, Option<usize>)> {
    match check(ind, &template::sample()) {
        Ok(_) => Vec::new(),
        Err(ps) => ps
            .into_iter()
            .map(|p| (p.field, p.msg.key, p.position))
            .collect(),
    }
}

#[test]
fn builtins_are_valid_samples() {
    let all = builtin_indicators();
    assert_eq!(all.len(), 9);
    let mut codes: Vec<&str> = all.iter().map(|i| i.code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), all.len());
    for i in &all {
        assert!(
            i.builtin && i.description_zh.starts_with("示例指标"),
            "{}",
            i.code
        );
        assert!(
            i.description_en.starts_with("Sample indicator"),
            "{}",
            i.code
        );
        assert!(check_without_template(i).is_empty(), "{}", i.code);
        check(i, &template::sample()).unwrap();
    }
}

#[test]
fn a_bad_condition_says_where() {
    let mut ind = base();
    ind.numerator = Measure::Units {
        filter: "org.kind = 商会 and and".into(),
    };
    let p = problems(&ind);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].0, "numerator.filter");
    assert_eq!(p[0].2, Some(19));

    // A report item in a condition on units: the registry field of that name is suggested.
    ind.numerator = Measure::Units {
        filter: "party_org = 是".into(),
    };
    let ps = check(&ind, &template::sample()).unwrap_err();
    assert_eq!(ps[0].msg.key, "indicator.filter.registry_only_suggest");
    assert_eq!(ps[0].position, Some(1));
    assert_eq!(
        ps[0].render(Lang::ZhCn),
        "“numerator.filter”第 1 个字符处：单位条件只能用登记信息，不能用年报题目 party_org（是否想写 org.party_org？）"
    );
    assert_eq!(
        ps[0].render(Lang::En),
        "\"numerator.filter\" at character 1: A condition on units can use registry fields \
         only, not the report item party_org (did you mean org.party_org?)"
    );
    ind.numerator = Measure::Units {
        filter: "income_total > 0".into(),
    };
    assert_eq!(problems(&ind)[0].1, "indicator.filter.registry_only");

    // An unknown item in a condition on reports: the rule language's suggestion.
    ind.numerator = Measure::Reports {
        state: ReportState::Submitted,
        filter: "membrs_total > 10".into(),
    };
    let ps = check(&ind, &template::sample()).unwrap_err();
    assert_eq!(ps[0].field, "numerator.filter");
    assert_eq!(ps[0].msg.key, "rules.type.unknown_item_suggest");
    assert!(ps[0].render(Lang::En).contains("members_total"));

    // The condition of a division measure.
    ind.numerator = Measure::Divisions {
        level: DivisionLevel::Township,
        rows: DivisionRows::Official,
        within: Within::Node,
        having: Some("org.kind = 协会".into()),
    };
    assert_eq!(problems(&ind)[0].0, "numerator.filter");
}

#[test]
fn items_must_exist_and_be_numbers() {
    let mut ind = base();
    ind.compare = Compare::Growth;
    let sum = |item: &str| Measure::ItemSum {
        item: item.into(),
        filter: String::new(),
    };
    ind.numerator = sum("members_totl");
    let ps = check(&ind, &template::sample()).unwrap_err();
    assert_eq!(ps[0].field, "numerator.item");
    assert_eq!(ps[0].msg.key, "rules.type.unknown_item_suggest");
    assert!(
        ps[0].render(Lang::ZhCn).contains("members_total"),
        "{}",
        ps[0].render(Lang::ZhCn)
    );
    // By its label.
    ind.numerator = sum("会员总数");
    let ps = check(&ind, &template::sample()).unwrap_err();
    assert!(ps[0].render(Lang::En).contains("members_total"));
    ind.numerator = sum("party_org");
    assert_eq!(
        problems(&ind),
        [(
            "numerator.item".to_string(),
            "indicator.item_not_numeric",
            None
        )]
    );
    ind.numerator = sum("");
    assert_eq!(problems(&ind)[0].1, "problem.required");
    ind.numerator = sum("income_total");
    assert!(problems(&ind).is_empty());
}

#[test]
fn every_other_problem_at_once() {
    let mut ind = base();
    ind.code = "Party Rate".into();
    ind.name_zh = " ".into();
    ind.factor = 0.0;
    ind.denominator = None;
    let got = problems(&ind);
    let fields: Vec<&str> = got.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(fields, ["code", "name::zh", "factor", "denominator.kind"]);
    ind.factor = f64::NAN;
    assert!(problems(&ind).iter().any(|p| p.1 == "indicator.bad_factor"));
    // Growth ignores the denominator, however wrong.
    let mut g = base();
    g.compare = Compare::Growth;
    g.denominator = Some(Measure::Units {
        filter: "((".into(),
    });
    assert!(problems(&g).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Rows and JSON.

fn sheet(columns: &[&str], rows: &[Vec<String>]) -> Vec<SheetRow> {
    rows.iter()
        .enumerate()
        .map(|(i, cells)| SheetRow {
            row: i + 2,
            cells: columns
                .iter()
                .map(|c| c.to_string())
                .zip(cells.iter().cloned())
                .collect(),
        })
        .collect()
}

fn not_builtin(mut v: Vec<Indicator>) -> Vec<Indicator> {
    for i in &mut v {
        i.builtin = false;
    }
    v
}

/// Indicators using every kind of measure and every column.
fn assorted() -> Vec<Indicator> {
    let mut a = base();
    a.builtin = false;
    a.code = "a_1".into();
    a.name_en = "a, \"quoted\"".into();
    a.description_zh = "第一行\n第二行".into();
    a.factor = 0.125;
    a.unit = "个/万人".into();
    a.numerator = Measure::ItemSum {
        item: "income_total".into(),
        filter: "org.category = 行业".into(),
    };
    a.denominator = Some(Measure::Divisions {
        level: DivisionLevel::County,
        rows: DivisionRows::All,
        within: Within::Province,
        having: Some("org.kind = 分会".into()),
    });
    let mut b = a.clone();
    b.code = "b".into();
    b.numerator = Measure::Notices {
        state: NoticeState::ClosedOnTime,
    };
    b.denominator = Some(Measure::Reports {
        state: ReportState::OnTime,
        filter: "party_org = 是".into(),
    });
    let mut c = a.clone();
    c.code = "c".into();
    c.compare = Compare::Growth;
    c.denominator = None;
    vec![a, b, c]
}

#[test]
fn rows_round_trip() {
    for indicators in [not_builtin(builtin_indicators()), assorted()] {
        let rows = indicator_rows(&indicators);
        assert!(rows.iter().all(|r| r.len() == INDICATOR_COLUMNS.len()));
        let back = read_indicators(&sheet(INDICATOR_COLUMNS, &rows))
            .unwrap_or_else(|p| panic!("{}", p[0].render(Lang::En)));
        assert_eq!(back, indicators);
        // Through CSV text.
        let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let mut text = INDICATOR_COLUMNS.join(",");
        for r in &rows {
            text.push('\n');
            text.push_str(&r.iter().map(|c| quote(c)).collect::<Vec<_>>().join(","));
        }
        assert_eq!(read_indicators(&csv_rows(&text)).unwrap(), indicators);
    }
    let rows = indicator_rows(&assorted());
    let compiled = build_indicators(&sheet(INDICATOR_COLUMNS, &rows), &template::sample()).unwrap();
    assert_eq!(compiled.len(), 3);
}

#[test]
fn labels_and_defaults_read() {
    let row = |cells: &[(&str, &str)]| SheetRow {
        row: 7,
        cells: cells
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    let got = read_indicators(&[row(&[
        ("code", "towns"),
        ("name::zh", "乡镇覆盖"),
        ("numerator.kind", "区划数"),
        ("numerator.level", "乡级"),
        ("numerator.filter", "true"),
        ("denominator.kind", "Divisions"),
        ("denominator.level", "township"),
        ("denominator.rows", "统计用区划（开发区等）"),
    ])])
    .unwrap();
    let i = &got[0];
    assert_eq!(i.name_en, "乡镇覆盖");
    assert_eq!((i.factor, i.compare), (100.0, Compare::Ratio));
    assert_eq!(
        i.denominator,
        Some(Measure::Divisions {
            level: DivisionLevel::Township,
            rows: DivisionRows::StatisticalOnly,
            within: Within::Node,
            having: None
        })
    );
}

#[test]
fn sheet_problems_with_row_and_column() {
    let row = |n: usize, cells: &[(&str, &str)]| SheetRow {
        row: n,
        cells: cells
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    let ok = [
        ("name::zh", "甲"),
        ("numerator.kind", "units"),
        ("denominator.kind", "units"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut v: Vec<(&str, &str)> = ok.to_vec();
        for (k, val) in extra {
            v.retain(|(c, _)| c != k);
            v.push((k, val));
        }
        v
    };
    let rows = vec![
        row(2, &with(&[("code", "dup")])),
        row(3, &with(&[("code", "dup")])),
        row(4, &with(&[("code", "Bad"), ("factor", "很多")])),
        row(
            5,
            &with(&[
                ("code", "k"),
                ("numerator.kind", "people"),
                ("denominator.item", "x"),
            ]),
        ),
        row(
            6,
            &with(&[
                ("code", "l"),
                ("numerator.kind", "divisions"),
                ("numerator.level", "village"),
                ("denominator.filter", "org.kind = 商会 or"),
            ]),
        ),
        row(
            7,
            &with(&[
                ("code", "m"),
                ("compare", "ratio"),
                ("denominator.kind", ""),
                ("factor", "-1"),
            ]),
        ),
        row(8, &[("code", "n"), ("name::zh", "乙")]),
        row(9, &[("code", " "), ("unit", "")]),
    ];
    let problems = read_indicators(&rows).unwrap_err();
    let places: Vec<(usize, &str, &str)> = problems
        .iter()
        .map(|p| (p.row.unwrap(), p.field.as_str(), p.msg.key))
        .collect();
    assert_eq!(
        places,
        [
            (3, "code", "template.duplicate"),
            (4, "factor", "problem.unreadable"),
            (4, "code", "template.bad_code"),
            (5, "numerator.kind", "indicator.unknown_value"),
            (5, "denominator.item", "indicator.not_for_kind"),
            (6, "numerator.level", "indicator.unknown_value"),
            (6, "denominator.filter", "rules.parse.unexpected_end"),
            (7, "factor", "indicator.bad_factor"),
            (7, "denominator.kind", "indicator.denominator_required"),
            (8, "numerator.kind", "problem.required"),
            (8, "denominator.kind", "indicator.denominator_required"),
        ]
    );
    let filter = problems
        .iter()
        .find(|p| p.row == Some(6) && p.field == "denominator.filter");
    assert!(filter.unwrap().position.is_some());
    let kind = problems.iter().find(|p| p.row == Some(5)).unwrap();
    assert_eq!(
        kind.render(Lang::ZhCn),
        "第 5 行“numerator.kind”列：无法识别“people”，可选：units, divisions, item_sum, reports, notices"
    );
    let item = problems
        .iter()
        .find(|p| p.field == "denominator.item")
        .unwrap();
    assert!(item.render(Lang::ZhCn).contains("“单位数”不用这一列"));
    assert!(item.render(Lang::En).contains("\"Units\" does not use"));
}

#[test]
fn json_as_the_store_keeps_it() {
    let all = builtin_indicators();
    let json = serde_json::to_string(&all).unwrap();
    let back: Vec<Indicator> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, all);
    let v = serde_json::to_value(&all[1].numerator).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "kind": "divisions", "level": "township", "rows": "official", "within": "node",
            "having": "org.kind = 商会 and (org.category = 乡镇 or org.category = 街道)"
        })
    );
    let m: Measure = serde_json::from_str(r#"{"kind": "units"}"#).unwrap();
    assert_eq!(
        m,
        Measure::Units {
            filter: String::new()
        }
    );
    // Serde's names are the codes the sheets use.
    for s in ReportState::ALL {
        assert_eq!(serde_json::to_value(s).unwrap(), s.code());
    }
    for s in NoticeState::ALL {
        assert_eq!(serde_json::to_value(s).unwrap(), s.code());
    }
    for s in DivisionRows::ALL {
        assert_eq!(serde_json::to_value(s).unwrap(), s.code());
    }
    for s in Direction::ALL {
        assert_eq!(serde_json::to_value(s).unwrap(), s.code());
    }
    for k in MeasureKind::ALL {
        assert_eq!(serde_json::to_value(k).unwrap(), k.code());
    }
}

#[test]
fn every_code_has_labels() {
    let keys = crate::i18n::keys(Lang::ZhCn);
    let mut labels: Vec<(String, &str)> = Vec::new();
    for lang in Lang::ALL {
        labels.extend(
            Compare::ALL
                .iter()
                .map(|v| (v.code().into(), v.label(lang))),
        );
        labels.extend(
            MeasureKind::ALL
                .iter()
                .map(|v| (v.code().into(), v.label(lang))),
        );
        labels.extend(
            DivisionRows::ALL
                .iter()
                .map(|v| (v.code().into(), v.label(lang))),
        );
        labels.extend(Within::ALL.iter().map(|v| (v.code().into(), v.label(lang))));
        labels.extend(
            ReportState::ALL
                .iter()
                .map(|v| (v.code().into(), v.label(lang))),
        );
        labels.extend(
            NoticeState::ALL
                .iter()
                .map(|v| (v.code().into(), v.label(lang))),
        );
        labels.extend(
            Direction::ALL
                .iter()
                .map(|v| (v.code().into(), v.label(lang))),
        );
        labels.extend(
            LEVELS
                .iter()
                .map(|&l| (level_code(l).into(), level_label(l, lang))),
        );
    }
    for (code, label) in labels {
        assert!(label != "?" && !keys.contains(&label), "{code}: {label}");
    }
    assert_eq!(ReportState::parse("按时报送"), Some(ReportState::OnTime));
    assert_eq!(
        NoticeState::parse("Closed on time"),
        Some(NoticeState::ClosedOnTime)
    );
    assert_eq!(parse_level("地级"), Some(DivisionLevel::City));
}

// ---------------------------------------------------------------------------------------------
// Targets.

fn target(level: Option<FederationLevel>, value: f64, direction: Direction) -> Target {
    Target {
        indicator: "township_chamber_coverage".into(),
        year: 2025,
        level,
        value,
        direction,
    }
}

#[test]
fn targets_by_level_and_gap() {
    let targets = vec![
        target(None, 60.0, Direction::AtLeast),
        target(Some(FederationLevel::County), 80.0, Direction::AtLeast),
        Target {
            year: 2024,
            ..target(None, 50.0, Direction::AtLeast)
        },
    ];
    let code = "township_chamber_coverage";
    let county = target_for(&targets, code, 2025, Some(FederationLevel::County)).unwrap();
    assert_eq!(county.value, 80.0);
    let city = target_for(&targets, code, 2025, Some(FederationLevel::City)).unwrap();
    assert_eq!(city.value, 60.0);
    assert_eq!(target_for(&targets, code, 2025, None).unwrap().value, 60.0);
    assert_eq!(target_for(&targets, code, 2024, None).unwrap().value, 50.0);
    assert!(target_for(&targets, code, 2026, None).is_none());
    assert!(target_for(&targets, "closure_rate", 2025, None).is_none());
    assert_eq!(gap(66.5, county), 13.5);
    assert_eq!(gap(90.0, county), 0.0);
    assert!(county.met(80.0) && !county.met(79.9));
    let at_most = target(None, 5.0, Direction::AtMost);
    assert_eq!(gap(7.5, &at_most), 2.5);
    assert_eq!(gap(3.0, &at_most), 0.0);
}

#[test]
fn target_rows_round_trip_and_problems() {
    let targets = vec![
        target(None, 60.0, Direction::AtLeast),
        target(Some(FederationLevel::County), 80.5, Direction::AtLeast),
        Target {
            indicator: "closure_rate".into(),
            ..target(None, 95.0, Direction::AtMost)
        },
    ];
    let codes: Vec<String> = builtin_indicators().into_iter().map(|i| i.code).collect();
    let known: Vec<&str> = codes.iter().map(String::as_str).collect();
    let rows = target_rows(&targets);
    assert_eq!(
        read_targets(&sheet(TARGET_COLUMNS, &rows), &known).unwrap(),
        targets
    );
    let s = |cells: [&str; 5]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    let bad = sheet(
        TARGET_COLUMNS,
        &[
            s(["closure_rate", "2025", "县级", "不低于", "90"]),
            s(["closure_rate", "2025", "county", "", "95"]),
            s(["closure_rat", "1999", "乡级", "more", "x"]),
            s(["", "2025", "各级", "", ""]),
        ],
    );
    let problems = read_targets(&bad, &known).unwrap_err();
    let got: Vec<(usize, &str, &str)> = problems
        .iter()
        .map(|p| (p.row.unwrap(), p.field.as_str(), p.msg.key))
        .collect();
    assert_eq!(
        got,
        [
            (3, "indicator", "indicator.target.duplicate"),
            (4, "indicator", "indicator.target.unknown_indicator_suggest"),
            (4, "year", "indicator.target.bad_year"),
            (4, "level", "indicator.unknown_value"),
            (4, "direction", "indicator.unknown_value"),
            (4, "value", "problem.unreadable"),
            (5, "indicator", "problem.required"),
            (5, "value", "problem.required"),
        ]
    );
    assert!(problems[0].render(Lang::ZhCn).contains("第 2 行"));
    assert!(problems[1].render(Lang::En).contains("closure_rate"));
}

// ---------------------------------------------------------------------------------------------
// Speed: the issue's figure is one indicator for all ~3,000 county nodes in ≤ 200 ms with the
// store's loading. `cargo test --release -p shanghui-core indicator::tests::speed -- --ignored
// --nocapture`.

#[test]
#[ignore]
fn speed() {
    use std::time::Instant;
    let index = crate::division::DivisionIndex::shipped();
    let start = Instant::now();
    let lists = DivisionLists::new(&index);
    println!("division lists: {:?}", start.elapsed());
    let mut counties: Vec<&Division> = index
        .iter()
        .filter(|d| d.level == DivisionLevel::County && !d.statistical_only)
        .collect();
    counties.sort_by(|a, b| a.code.cmp(&b.code));
    let mut townships: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for d in index.iter().filter(|d| d.level == DivisionLevel::Township) {
        townships
            .entry(&d.code.as_str()[..6])
            .or_default()
            .push(d.code.as_str());
    }
    // Root 1, provinces 100 + n, cities 1_000 + n, counties 10_000 + n, chambers from 100_000.
    let mut units = vec![federation(1, &[], FederationLevel::National, None)];
    let mut ids: BTreeMap<String, i64> = BTreeMap::new();
    let mut next = 100_000;
    let mut seed: u64 = 7;
    let mut rand = |n: usize| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((seed >> 33) as usize) % n.max(1)
    };
    let mut county_ids = Vec::new();
    for (k, c) in counties.iter().enumerate() {
        let p = format!("{}0000", &c.code.as_str()[..2]);
        let city = format!("{}00", &c.code.as_str()[..4]);
        let pid = *ids.entry(p.clone()).or_insert(100 + k as i64);
        if !units.iter().any(|u| u.id == pid) {
            units.push(federation(pid, &[1], FederationLevel::Provincial, Some(&p)));
        }
        let cid = *ids.entry(city.clone()).or_insert(1_000 + k as i64);
        if !units.iter().any(|u| u.id == cid) {
            units.push(federation(
                cid,
                &[1, pid],
                FederationLevel::City,
                Some(&city),
            ));
        }
        let id = 10_000 + k as i64;
        county_ids.push(id);
        units.push(federation(
            id,
            &[1, pid, cid],
            FederationLevel::County,
            Some(c.code.as_str()),
        ));
        let towns = townships.get(c.code.as_str()).cloned().unwrap_or_default();
        for _ in 0..27 {
            let (cat, div) = match rand(3) {
                0 if !towns.is_empty() => (ChamberCategory::Township, towns[rand(towns.len())]),
                1 => (ChamberCategory::Industry, c.code.as_str()),
                _ => (ChamberCategory::Hometown, c.code.as_str()),
            };
            let party = [Some(true), Some(false), None][rand(3)];
            units.push(chamber(next, &[1, pid, cid, id], cat, div, party));
            next += 1;
        }
    }
    println!("{} units, {} county nodes", units.len(), county_ids.len());
    let t = template::sample();
    let u = Universe {
        year: 2024,
        units: &units,
        divisions: &lists,
        template: Some(&t),
        reports: &[],
        notices: &[],
    };
    for code in [
        "party_org_rate",
        "township_chamber_coverage",
        "city_coverage",
    ] {
        let ci = builtin(code);
        let mut took = std::time::Duration::MAX;
        let mut f = Vec::new();
        for _ in 0..7 {
            let start = Instant::now();
            f = compute(&ci, &u, &county_ids);
            took = took.min(start.elapsed());
        }
        let total: f64 = f.iter().map(|f| f.denominator).sum();
        println!(
            "{code}: {took:?} (best of 7) for {} nodes (denominators {total})",
            f.len()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Tallies moved by changes.

/// The indicators a tally is checked with: every built-in, and one counting reports with a
/// condition on the reporting unit's registry facts (moved by a change of facts, not of place).
fn tallied() -> Vec<CompiledIndicator> {
    let t = template::sample();
    let mut out: Vec<CompiledIndicator> = builtin_indicators()
        .iter()
        .map(|i| check(i, &t).unwrap())
        .collect();
    let mut ind = base();
    ind.numerator = Measure::Reports {
        state: ReportState::Submitted,
        filter: "org.party_org = 是".into(),
    };
    ind.denominator = Some(Measure::ItemSum {
        item: "members_total".into(),
        filter: "org.category = 街道".into(),
    });
    out.push(check(&ind, &t).unwrap());
    out
}

/// One registry change to 2024: the units as they are after it, and the units it changed itself
/// (their reports may count differently).
fn changes() -> Vec<(&'static str, Vec<UnitRow>, Vec<i64>)> {
    use ChamberCategory::*;
    let with = |f: &dyn Fn(&mut Vec<UnitRow>)| {
        let mut u = units_2024();
        f(&mut u);
        u
    };
    let at = |u: &mut Vec<UnitRow>, id: i64| u.iter().position(|x| x.id == id).unwrap();
    vec![
        (
            "a party organisation recorded",
            with(&|u| {
                let i = at(u, 11);
                u[i].facts.party_org = Some(true);
            }),
            vec![11],
        ),
        (
            "a chamber moved to another county",
            with(&|u| {
                let i = at(u, 14);
                u[i].ancestors = TAIJIANG.to_vec();
            }),
            vec![14],
        ),
        (
            "the only chamber of a township dissolved",
            with(&|u| u.retain(|x| x.id != 10)),
            vec![10],
        ),
        (
            "a chamber founded in a township without one",
            with(&|u| u.push(chamber(16, GULOU, Township, "350102200", Some(false)))),
            vec![16],
        ),
        (
            "a street chamber becomes an industry chamber",
            with(&|u| {
                let i = at(u, 20);
                u[i].facts.category = Some(Industry);
            }),
            vec![20],
        ),
        (
            "a county federation and its chambers moved to another city",
            with(&|u| {
                for x in u.iter_mut() {
                    if x.id == 5 {
                        x.ancestors = vec![1, 2, 6];
                    } else if x.ancestors.starts_with(TAIJIANG) {
                        x.ancestors = vec![1, 2, 6, 5];
                    }
                }
            }),
            vec![5],
        ),
    ]
}

/// The changed units' rows before and after (a unit missing from a side did not exist then), and
/// the reports of the units changed themselves.
fn sides(
    before: &[UnitRow],
    after: &[UnitRow],
    changed: &[i64],
    reports: &[ReportRow],
) -> (Vec<UnitRow>, Vec<UnitRow>, Vec<ReportRow>) {
    let key = |u: &UnitRow| format!("{u:?}");
    let differs = |id: i64| {
        let a = before.iter().find(|u| u.id == id).map(key);
        let b = after.iter().find(|u| u.id == id).map(key);
        a != b
    };
    let pick = |units: &[UnitRow]| -> Vec<UnitRow> {
        units
            .iter()
            .filter(|u| changed.contains(&u.id) || differs(u.id))
            .cloned()
            .collect()
    };
    let rs = reports
        .iter()
        .filter(|r| changed.contains(&r.org_id))
        .cloned()
        .collect();
    (pick(before), pick(after), rs)
}

/// A change's side as a small universe of 2024.
fn part<'a>(
    units: &'a [UnitRow],
    reports: &'a [ReportRow],
    lists: &'a DivisionLists,
    t: &'a Template,
) -> Universe<'a> {
    Universe {
        year: 2024,
        units,
        divisions: lists,
        template: Some(t),
        reports,
        notices: &[],
    }
}

#[test]
fn a_tally_moved_by_a_change_equals_counting_again() {
    let (l, t) = (lists(), template::sample());
    let y = year_2024();
    let nodes = [1, 2, 3, 4, 5, 6, 30];
    for (what, after, changed) in changes() {
        let (old, new, rs) = sides(&y.units, &after, &changed, &y.reports);
        let after_year = Year {
            units: after.clone(),
            reports: y.reports.clone(),
            notices: y.notices.clone(),
        };
        for ci in tallied() {
            let mut tally = Tally::new(&ci, &universe(&y, 2024, &l, &t), &nodes);
            assert!(
                tally.apply(&part(&old, &rs, &l, &t), &part(&new, &rs, &l, &t)),
                "{what}: {}",
                ci.indicator.code
            );
            let want = compute(&ci, &universe(&after_year, 2024, &l, &t), &nodes);
            let got: Vec<Fraction> = nodes.iter().map(|n| tally.get(*n).unwrap()).collect();
            assert_eq!(got, want, "{what}: {}", ci.indicator.code);
        }
    }
}

#[test]
fn a_tally_refuses_a_node_changing_division() {
    let (l, t) = (lists(), template::sample());
    let y = year_2024();
    let mut after = units_2024();
    after[3].facts.division = Some("350103".into());
    let (old, new, rs) = sides(&y.units, &after, &[4], &y.reports);
    let nodes = [1, 2, 3, 4, 5];
    let ci = builtin("township_chamber_coverage");
    let mut tally = Tally::new(&ci, &universe(&y, 2024, &l, &t), &nodes);
    let before: Vec<_> = nodes.iter().map(|n| tally.get(*n)).collect();
    assert!(!tally.apply(&part(&old, &rs, &l, &t), &part(&new, &rs, &l, &t)));
    let unchanged: Vec<_> = nodes.iter().map(|n| tally.get(*n)).collect();
    assert_eq!(
        before, unchanged,
        "a refused change leaves the tally as it was"
    );
    // The party-organisation rate does not count divisions: the same change moves it.
    let ci = builtin("party_org_rate");
    let mut tally = Tally::new(&ci, &universe(&y, 2024, &l, &t), &nodes);
    assert!(tally.apply(&part(&old, &rs, &l, &t), &part(&new, &rs, &l, &t)));
    assert_eq!(tally.get(99), None);
}

#[test]
fn a_tally_moved_by_reports_and_notices_equals_counting_again() {
    let (l, t) = (lists(), template::sample());
    let y = year_2024();
    let nodes = [1, 2, 3, 4, 5, 6, 30];
    // 14 submits on time; 12 is put back on the list; notice 102 closes, 103 is issued.
    let mut after = year_2024();
    after.reports[4] = report(14, GULOU, "on_time", members(60));
    after.reports[2].expected = true;
    after.notices[2] = notice(102, 13, true, true);
    after.notices.push(notice(103, 14, false, false));
    let units: Vec<UnitRow> = y
        .units
        .iter()
        .filter(|u| [12, 13, 14].contains(&u.id))
        .cloned()
        .collect();
    let (old_r, new_r) = (
        vec![y.reports[2].clone(), y.reports[4].clone()],
        vec![after.reports[2].clone(), after.reports[4].clone()],
    );
    let (old_n, new_n) = (
        vec![y.notices[2].clone()],
        vec![after.notices[2].clone(), after.notices[3].clone()],
    );
    for ci in tallied() {
        let mut tally = Tally::new(&ci, &universe(&y, 2024, &l, &t), &nodes);
        let old = Universe {
            notices: &old_n,
            ..part(&units, &old_r, &l, &t)
        };
        let new = Universe {
            notices: &new_n,
            ..part(&units, &new_r, &l, &t)
        };
        assert!(tally.apply(&old, &new), "{}", ci.indicator.code);
        let want = compute(&ci, &universe(&after, 2024, &l, &t), &nodes);
        let got: Vec<Fraction> = nodes.iter().map(|n| tally.get(*n).unwrap()).collect();
        assert_eq!(got, want, "{}", ci.indicator.code);
    }
}
