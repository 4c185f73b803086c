//! Annual reports: readable by the sample template, faults where they were planted and nowhere
//! else, at the documented rates; deterministic; filed at the promised rate and dates; consistent
//! with the registry in the registry's year.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::sync::LazyLock;

use chrono::{Datelike, Months, NaiveDate};
use shanghui_core::report::{Answers, raw_answers};
use shanghui_core::template::{Template, Value, sample};
use shanghui_core::{OrgKind, OrgStatus};
use shanghui_synth::{
    AUDIT_THRESHOLD, FAULT_RATES, Fault, ReportGen, Scale, SynthOrg, SynthReport,
    THIN_REPORT_CHARS, deadline, generate, late_until, opening, reports,
};

use super::{DIVISIONS, SEED, today};

/// The year the registry generated on `today()` describes: its reports are filed in 2025, the
/// late ones after `today()`.
const REGISTRY_YEAR: i32 = 2024;
/// 2021 is there for 2022's comparisons: rates and cross-year checks are on 2022-2024.
const YEARS: RangeInclusive<i32> = 2021..=2024;
const MEASURED: RangeInclusive<i32> = 2022..=2024;

struct Fixture {
    orgs: Vec<SynthOrg>,
    template: Template,
    reports: Vec<SynthReport>,
    /// (key, year) → index in `reports`.
    index: HashMap<(usize, i32), usize>,
}

impl Fixture {
    fn prior(&self, r: &SynthReport) -> Option<&SynthReport> {
        self.index
            .get(&(r.key, r.year - 1))
            .map(|&i| &self.reports[i])
            .filter(|p| p.submitted_on.is_some())
    }

    fn filed(&self) -> impl Iterator<Item = &SynthReport> {
        self.reports.iter().filter(|r| r.submitted_on.is_some())
    }

    fn measured(&self) -> impl Iterator<Item = &SynthReport> {
        self.filed().filter(|r| MEASURED.contains(&r.year))
    }
}

static PROVINCE: LazyLock<Fixture> = LazyLock::new(|| {
    let orgs = generate(&DIVISIONS, Scale::Province, SEED, today());
    let template = sample();
    let reports = reports(&orgs, &template, YEARS, SEED, today());
    let index = reports
        .iter()
        .enumerate()
        .map(|(i, r)| ((r.key, r.year), i))
        .collect();
    Fixture {
        orgs,
        template,
        reports,
        index,
    }
});

fn int(a: &Answers, code: &str) -> i64 {
    match a.get(code) {
        Some(Value::Integer(i)) => *i,
        v => panic!("{code}: {v:?}"),
    }
}

fn dec(a: &Answers, code: &str) -> f64 {
    match a.get(code) {
        Some(Value::Decimal(d)) => *d,
        v => panic!("{code}: {v:?}"),
    }
}

fn yes(a: &Answers, code: &str) -> bool {
    match a.get(code) {
        Some(Value::YesNo(b)) => *b,
        v => panic!("{code}: {v:?}"),
    }
}

fn choice<'a>(a: &'a Answers, code: &str) -> &'a str {
    match a.get(code) {
        Some(Value::Choice(c)) => c,
        v => panic!("{code}: {v:?}"),
    }
}

fn text<'a>(a: &'a Answers, code: &str) -> Option<&'a str> {
    match a.get(code) {
        Some(Value::Text(t)) => Some(t),
        None => None,
        v => panic!("{code}: {v:?}"),
    }
}

fn date(a: &Answers, code: &str) -> NaiveDate {
    match a.get(code) {
        Some(Value::Date(d)) => *d,
        v => panic!("{code}: {v:?}"),
    }
}

/// Each fault's condition, checked on the answers alone (and last year's filed report), the way
/// a reviewer would.
fn found(r: &SynthReport, prior: Option<&SynthReport>) -> Vec<Fault> {
    let a = &r.answers;
    let total = int(a, "members_total");
    let income = dec(a, "income_total");
    let party = yes(a, "party_org");
    let year_end = NaiveDate::from_ymd_opt(r.year, 12, 31).unwrap();
    let rectification = text(a, "rectification_report").unwrap_or("");
    let mut out = Vec::new();
    let mut check = |f: Fault, cond: bool| {
        if cond {
            out.push(f);
        }
    };
    check(
        Fault::MembersSumMismatch,
        total != int(a, "members_unit") + int(a, "members_individual"),
    );
    check(Fault::CouncilAboveMembers, int(a, "council_size") > total);
    check(Fault::DuesAboveIncome, dec(a, "dues_income") > income);
    check(Fault::NoGeneralAssembly, int(a, "general_assembly") < 1);
    check(Fault::NoCouncilMeeting, int(a, "council_meetings") < 1);
    check(
        Fault::ReelectionOverdue,
        date(a, "last_reelection") + Months::new(60) < year_end,
    );
    check(
        Fault::PartyFormInconsistent,
        party == (choice(a, "party_org_form") == "none"),
    );
    check(
        Fault::ExpenseOverIncome,
        dec(a, "expense_total") > 1.5 * income,
    );
    if let Some(p) = prior {
        let b = &p.answers;
        check(
            Fault::MembersDrop,
            (total as f64) < 0.7 * int(b, "members_total") as f64,
        );
        let before = dec(b, "income_total");
        check(
            Fault::IncomeSwing,
            income > 3.0 * before || income < before / 3.0,
        );
        check(Fault::PartyOrgDropped, yes(b, "party_org") && !party);
    }
    check(
        Fault::ThinRectification,
        choice(a, "prior_inspection") != "qualified"
            && rectification.chars().count() < THIN_REPORT_CHARS,
    );
    out
}

#[test]
fn readable_by_the_sample_template() {
    let f = &*PROVINCE;
    assert!(f.filed().count() > 5_000);
    for r in &f.reports {
        if r.submitted_on.is_none() {
            assert!(r.answers.is_empty() && r.faults.is_empty());
            continue;
        }
        // Faulted reports too: faults are for review, not unreadable values.
        let (back, problems) = f.template.read(&raw_answers(&r.answers));
        assert!(problems.is_empty(), "{} {}: {problems:?}", r.key, r.year);
        assert_eq!(back, r.answers, "{} {}", r.key, r.year);
    }
}

#[test]
fn faults_are_found_where_planted_and_only_there() {
    let f = &*PROVINCE;
    for r in f.measured() {
        assert_eq!(
            found(r, f.prior(r)),
            r.faults,
            "{} {}: {:?}",
            r.key,
            r.year,
            r.answers
        );
    }
    // In the first year last year's report is not at hand: the other faults still match.
    for r in f.filed().filter(|r| r.year == *YEARS.start()) {
        let same: Vec<Fault> = r
            .faults
            .iter()
            .copied()
            .filter(|x| !x.cross_year())
            .collect();
        assert_eq!(found(r, None), same);
    }
}

#[test]
fn fault_rates_are_the_documented_ones() {
    let f = &*PROVINCE;
    let mut planted: HashMap<Fault, f64> = HashMap::new();
    let mut among: HashMap<Fault, f64> = HashMap::new();
    for r in f.measured() {
        let prior = f.prior(r);
        for rate in FAULT_RATES {
            let can = match rate.fault {
                Fault::MembersDrop | Fault::IncomeSwing => prior.is_some(),
                Fault::PartyOrgDropped => prior.is_some_and(|p| yes(&p.answers, "party_org")),
                Fault::ThinRectification => choice(&r.answers, "prior_inspection") != "qualified",
                _ => true,
            };
            *among.entry(rate.fault).or_default() += f64::from(u8::from(can));
        }
        for x in &r.faults {
            *planted.entry(*x).or_default() += 1.0;
        }
    }
    for rate in FAULT_RATES {
        let n = among[&rate.fault];
        let p = f64::from(rate.per_mille) / 1000.0;
        let got = planted.get(&rate.fault).copied().unwrap_or(0.0);
        let want = n * p;
        let ok = if rate.fault == Fault::ReelectionOverdue {
            // Not drawn: what the registry's history gives, about the documented rate.
            (0.7 * want..=1.4 * want).contains(&got)
        } else {
            (got - want).abs() <= 4.0 * (n * p * (1.0 - p)).sqrt() + 3.0
        };
        assert!(ok, "{:?}: {got} of {n}, expected {want:.0}", rate.fault);
    }
}

#[test]
fn deterministic_and_one_year_alone_is_the_same() {
    let f = &*PROVINCE;
    let again = reports(&f.orgs, &f.template, YEARS, SEED, today());
    assert!(again == f.reports);
    let alone = reports(&f.orgs, &f.template, 2023..=2023, SEED, today());
    let within: Vec<&SynthReport> = f.reports.iter().filter(|r| r.year == 2023).collect();
    assert_eq!(alone.len(), within.len());
    assert!(alone.iter().zip(within).all(|(a, b)| a == b));
    let g = ReportGen::new(&f.template, SEED, today());
    let r = &f.reports[f.reports.len() / 2];
    assert_eq!(g.report(&f.orgs[r.key], r.year).as_ref(), Some(r));
    let other = reports(&f.orgs, &f.template, 2023..=2023, SEED + 1, today());
    assert!(other != alone);
}

#[test]
fn expected_chambers_file_at_the_promised_rate_and_dates() {
    let f = &*PROVINCE;
    for year in YEARS {
        let expected: Vec<usize> = f
            .orgs
            .iter()
            .filter(|o| {
                o.draft.kind == OrgKind::Chamber
                    && o.draft.status == OrgStatus::Active
                    && o.draft.founded_on.unwrap().year() <= year
            })
            .map(|o| o.key)
            .collect();
        let these: Vec<&SynthReport> = f.reports.iter().filter(|r| r.year == year).collect();
        let keys: Vec<usize> = these.iter().map(|r| r.key).collect();
        assert_eq!(keys, expected, "{year}");
        let dates: Vec<NaiveDate> = these.iter().filter_map(|r| r.submitted_on).collect();
        let rate = dates.len() as f64 / these.len() as f64;
        for d in &dates {
            assert!((opening(year)..=late_until(year)).contains(d), "{d}");
            assert!(*d <= today());
        }
        let late = dates.iter().filter(|d| **d > deadline(year)).count() as f64;
        let late = late / dates.len() as f64;
        if year == REGISTRY_YEAR {
            // Late reports after today() are not in yet.
            assert!((0.90..=0.95).contains(&rate), "{year}: filed {rate}");
            assert!(late < 0.01, "{year}: late {late}");
        } else {
            assert!((0.95..=0.97).contains(&rate), "{year}: filed {rate}");
            assert!((0.025..=0.055).contains(&late), "{year}: late {late}");
        }
        // More of them in May than in March.
        let in_month = |m: u32| dates.iter().filter(|d| d.month() == m).count();
        assert!(in_month(5) > in_month(3), "{year}");
    }
}

#[test]
fn conditional_items_exactly_when_they_apply() {
    let f = &*PROVINCE;
    for r in f.filed() {
        let a = &r.answers;
        assert_eq!(
            a.contains_key("registered_reason"),
            !yes(a, "registered"),
            "{a:?}"
        );
        for detail in ["party_org_reason", "party_instructor"] {
            assert_eq!(a.contains_key(detail), !yes(a, "party_org"), "{a:?}");
        }
        assert_eq!(
            a.contains_key("rectification_report"),
            choice(a, "prior_inspection") != "qualified",
            "{a:?}"
        );
        // Everything else is always answered.
        let details = usize::from(a.contains_key("registered_reason"))
            + 2 * usize::from(a.contains_key("party_org_reason"))
            + usize::from(a.contains_key("rectification_report"));
        assert_eq!(a.len(), f.template.items.len() - 4 + details);
    }
}

#[test]
fn the_registry_year_agrees_with_the_registry() {
    let f = &*PROVINCE;
    let year_end = NaiveDate::from_ymd_opt(REGISTRY_YEAR, 12, 31).unwrap();
    let mut n = 0;
    for r in f
        .filed()
        .filter(|r| r.year == REGISTRY_YEAR && r.faults.is_empty())
    {
        let (a, d) = (&r.answers, &f.orgs[r.key].draft);
        n += 1;
        assert_eq!(Some(int(a, "members_unit")), d.members_unit);
        assert_eq!(Some(int(a, "members_individual")), d.members_individual);
        assert_eq!(Some(int(a, "members_total")), d.members_total);
        assert_eq!(Some(int(a, "council_size")), d.council_size);
        assert_eq!(Some(choice(a, "category")), d.category.map(|c| c.code()));
        assert_eq!(Some(yes(a, "registered")), d.registered);
        assert_eq!(
            text(a, "uscc"),
            Some(d.uscc.as_ref().map_or("无", |u| u.as_str()))
        );
        assert_eq!(
            text(a, "registered_reason"),
            d.unregistered_reason.as_deref()
        );
        assert_eq!(Some(yes(a, "party_org")), d.party_org);
        assert_eq!(
            choice(a, "party_org_form"),
            d.party_org_form.map_or("none", |x| x.code())
        );
        assert_eq!(text(a, "party_org_reason"), d.party_org_reason.as_deref());
        let last = date(a, "last_reelection");
        let registry = d.last_reelection.unwrap();
        assert!(last <= year_end);
        if registry <= year_end {
            assert_eq!(last, registry);
        } else {
            assert!(last < registry && last >= d.founded_on.unwrap());
        }
    }
    assert!(n > 1_000, "{n}");
}

#[test]
fn unfaulted_reports_are_plausible_and_years_evolve_gently() {
    let f = &*PROVINCE;
    let mut growth = Vec::new();
    for r in f.filed().filter(|r| r.faults.is_empty()) {
        let a = &r.answers;
        let total = int(a, "members_total");
        assert!(int(a, "party_members") <= total);
        assert!(int(a, "staff_fulltime") >= 1);
        assert!(int(a, "political_study") >= 1);
        assert!(int(a, "service_events") >= 1);
        assert!(int(a, "council_meetings") >= 2);
        assert!(yes(a, "finance_rules"));
        let income = dec(a, "income_total");
        assert!(income > 0.0);
        assert!(dec(a, "charity_amount") <= income);
        if income >= AUDIT_THRESHOLD {
            assert!(yes(a, "audited"));
        }
        if yes(a, "party_org") && choice(a, "party_org_form") != "joint_branch" {
            assert!(int(a, "party_members") >= 3, "{a:?}");
        }
        if let Some(p) = f.prior(r).filter(|p| p.faults.is_empty()) {
            let before = int(&p.answers, "members_total") as f64;
            growth.push(total as f64 / before);
            let change = income / dec(&p.answers, "income_total");
            assert!((0.6..=1.6).contains(&change), "{change}");
        }
    }
    growth.sort_by(f64::total_cmp);
    let median = growth[growth.len() / 2];
    assert!((1.0..=1.06).contains(&median), "median growth {median}");
    assert!(growth[0] > 0.85, "{}", growth[0]);
}
