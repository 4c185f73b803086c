//! How fast the review rules run: a national year is about 70,000 reports × the sample rule
//! set, and must take at most a second on one core (≥ 3 million rule evaluations a second).
//!
//! ```text
//! cargo run --release -p shanghui-core --example rules_bench [reports]
//! ```
//!
//! The reports are made here with simple arithmetic (no data generator): each has last year's
//! report and registry facts, and one in a few has a planted fault, so every rule's outcomes
//! vary. Reports are made and prepared in batches so that memory stays small; only preparing
//! and evaluating are timed.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use shanghui_core::report::Answers;
use shanghui_core::rules::{self, CompiledRule, OrgFacts, Outcome, Prepared};
use shanghui_core::template::{self, Template, Value};
use shanghui_core::{ChamberCategory, OrgKind, OrgStatus, PartyOrgForm};

const CATEGORIES: &[&str] = &[
    "industry", "hometown", "township", "street", "village", "market", "park", "building", "other",
];

/// A cheap deterministic mix of the report number and a salt.
fn mix(i: u64, salt: u64) -> u64 {
    let mut z = i
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(salt.wrapping_mul(0xbf58_476d_1ce4_e5b9));
    z = (z ^ (z >> 31)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 29)
}

/// Report `i` of `year` (`back` = 1 for last year's), with a fault in about one in eight.
fn answers(i: u64, year: i32, back: u64) -> Answers {
    let r = |salt: u64, n: u64| mix(i, salt) % n;
    let grow = 100 + back * 5;
    let unit = (5 + r(1, 300)) * 100 / grow;
    let individual = r(2, 80) * 100 / grow;
    let total = unit + individual;
    let party = r(3, 3) > 0;
    let income = (50 + r(4, 8_000)) * 100 / grow; // hundredths of 万元
    let fault = if back == 0 { r(5, 8 * 12) } else { 1000 };
    let mut a = Answers::new();
    let mut put = |k: &str, v: Value| {
        a.insert(k.to_string(), v);
    };
    let category = CATEGORIES[r(6, CATEGORIES.len() as u64) as usize];
    put("uscc", Value::Text("51350102MJ0000000X".into()));
    put("category", Value::Choice(category.into()));
    put("registered", Value::YesNo(true));
    put("members_total", Value::Integer(total as i64));
    put(
        "members_unit",
        Value::Integer(unit as i64 + i64::from(fault == 0)),
    );
    put("members_individual", Value::Integer(individual as i64));
    let council = 3 + r(7, 20).min(total - 3);
    put(
        "council_size",
        Value::Integer(if fault == 1 { total + 2 } else { council } as i64),
    );
    put("staff_fulltime", Value::Integer(1 + r(8, 5) as i64));
    put("party_org", Value::YesNo(party));
    let form = match (party, fault == 2) {
        (true, false) | (false, true) => "branch",
        _ => "none",
    };
    put("party_org_form", Value::Choice(form.into()));
    if !party {
        put("party_org_reason", Value::Text("党员人数不足三人".into()));
        put("party_instructor", Value::YesNo(true));
    }
    put("party_members", Value::Integer(if party { 3 } else { 1 }));
    put("party_in_charter", Value::YesNo(party));
    put("political_study", Value::Integer(4 + r(9, 8) as i64));
    put(
        "general_assembly",
        Value::Integer(if fault == 3 { 0 } else { 1 }),
    );
    put(
        "council_meetings",
        Value::Integer(if fault == 4 { 0 } else { 2 + r(10, 4) as i64 }),
    );
    let last = NaiveDate::from_ymd_opt(
        year - 1 - r(11, if fault == 5 { 9 } else { 4 }) as i32,
        6,
        1,
    )
    .unwrap_or_default();
    put("last_reelection", Value::Date(last));
    put("finance_rules", Value::YesNo(true));
    put("audited", Value::YesNo(income >= 5000 || r(12, 2) == 0));
    let money = |h: u64| Value::Decimal(h as f64 / 100.0);
    put("income_total", money(income));
    let expense = if fault == 6 {
        income * 2
    } else {
        income * (70 + r(13, 50)) / 100
    };
    put("expense_total", money(expense));
    let dues = if fault == 7 {
        income + 1
    } else {
        income * (30 + r(14, 50)) / 100
    };
    put("dues_income", money(dues));
    put("service_events", Value::Integer(2 + r(15, 8) as i64));
    put("charity_amount", money(income * r(16, 15) / 100));
    let prior = ["qualified", "qualified", "qualified", "basically_qualified"][r(17, 4) as usize];
    put("prior_inspection", Value::Choice(prior.into()));
    if prior != "qualified" {
        let text = if fault == 8 {
            "已整改"
        } else {
            "已按年检意见完成整改，并报业务主管单位。"
        };
        put("rectification_report", Value::Text(text.into()));
    }
    a
}

fn org(i: u64) -> OrgFacts {
    let category = [
        ChamberCategory::Industry,
        ChamberCategory::Hometown,
        ChamberCategory::Township,
        ChamberCategory::Street,
        ChamberCategory::Village,
        ChamberCategory::Market,
        ChamberCategory::Park,
        ChamberCategory::Building,
        ChamberCategory::Other,
    ][(mix(i, 6) % 9) as usize];
    let party = !mix(i, 3).is_multiple_of(3);
    OrgFacts {
        kind: Some(OrgKind::Chamber),
        category: Some(category),
        registered: Some(true),
        party_org: Some(party),
        party_org_form: party.then_some(PartyOrgForm::Branch),
        founded_on: NaiveDate::from_ymd_opt(2001, 1, 1),
        division: Some("350102".into()),
        status: Some(OrgStatus::Active),
        uscc: Some("51350102MJ0000000X".into()),
        ..OrgFacts::default()
    }
}

#[derive(Default)]
struct Tally {
    pass: u64,
    fail: u64,
    skipped: u64,
    error: u64,
}

fn main() {
    let reports: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(70_000);
    let t: Template = template::sample();
    let sample = rules::sample_rules();

    // Compiling: parse and type-check each sample rule many times.
    let rounds = 2_000;
    let start = Instant::now();
    let mut slowest = (Duration::ZERO, "");
    for r in &sample {
        let s = Instant::now();
        for _ in 0..rounds {
            black_box(rules::compile(black_box(r), &t).expect("sample rules compile"));
        }
        let d = s.elapsed() / rounds;
        if d > slowest.0 {
            slowest = (d, &r.code);
        }
    }
    let per_rule = start.elapsed() / (rounds * sample.len() as u32);
    let compiled: Vec<CompiledRule> = sample
        .iter()
        .map(|r| rules::compile(r, &t).expect("sample rules compile"))
        .collect();

    // Reviewing a year: prepare each report once, then every rule on it.
    let year = 2024;
    let batch = 5_000u64;
    let (mut prepare, mut evaluate) = (Duration::ZERO, Duration::ZERO);
    let mut tally = Tally::default();
    let mut evaluations = 0u64;
    let mut first = 0;
    while first < reports {
        let ids: Vec<u64> = (first..(first + batch).min(reports)).collect();
        let now: Vec<Answers> = ids.iter().map(|&i| answers(i, year, 0)).collect();
        let before: Vec<Answers> = ids.iter().map(|&i| answers(i, year - 1, 1)).collect();
        let orgs: Vec<OrgFacts> = ids.iter().map(|&i| org(i)).collect();
        let s = Instant::now();
        let prepared: Vec<Prepared<'_>> = (0..ids.len())
            .map(|k| {
                // One report in ten has no report of last year.
                let prev = (!ids[k].is_multiple_of(10)).then(|| &before[k]);
                Prepared::new(&t, &now[k], prev, &orgs[k], year)
            })
            .collect();
        prepare += s.elapsed();
        let s = Instant::now();
        for p in &prepared {
            for c in &compiled {
                match black_box(c.eval(p)) {
                    Outcome::Pass => tally.pass += 1,
                    Outcome::Fail => tally.fail += 1,
                    Outcome::Skipped => tally.skipped += 1,
                    Outcome::Error(_) => tally.error += 1,
                }
            }
        }
        evaluate += s.elapsed();
        evaluations += (ids.len() * compiled.len()) as u64;
        first += batch;
    }

    println!(
        "{} rules, {} reports: {} evaluations",
        compiled.len(),
        reports,
        evaluations
    );
    println!(
        "  evaluate: {:.3} s = {:.1} million evaluations/second ({:.1} ns each)",
        evaluate.as_secs_f64(),
        evaluations as f64 / evaluate.as_secs_f64() / 1e6,
        evaluate.as_nanos() as f64 / evaluations as f64
    );
    println!(
        "  prepare:  {:.3} s ({:.2} µs a report, this year's + last year's + registry)",
        prepare.as_secs_f64(),
        prepare.as_secs_f64() * 1e6 / reports as f64
    );
    println!(
        "  review of the year (prepare + evaluate): {:.3} s",
        (prepare + evaluate).as_secs_f64()
    );
    println!(
        "  outcomes: {} pass, {} fail, {} skipped, {} error",
        tally.pass, tally.fail, tally.skipped, tally.error
    );
    println!(
        "compile (parse + type-check) one rule: {:.1} µs on average, slowest {} {:.1} µs",
        per_rule.as_secs_f64() * 1e6,
        slowest.1,
        slowest.0.as_secs_f64() * 1e6
    );
}
