//! Generates a registry, then its annual reports for some years, and prints how long the reports
//! took and the fault rates observed:
//! `cargo run --release -p shanghui-synth --example reports_bench -- national 5 42`
//! (scale, number of years ending with the year before 2025-06-01, seed). A fourth argument
//! `collect` keeps every report in one vector, as `reports()` does, instead of one year at a time.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::NaiveDate;
use shanghui_core::DivisionIndex;
use shanghui_core::template::{Value, sample};
use shanghui_synth::{FAULT_RATES, Fault, ReportGen, Scale, SynthReport, generate, reports};

#[derive(Default)]
struct Tally {
    expected: usize,
    filed: usize,
    late: usize,
    with_prior: usize,
    prior_party: usize,
    not_qualified: usize,
    faults: BTreeMap<Fault, usize>,
    /// Filed and overdue re-elections by year.
    overdue: BTreeMap<i32, (usize, usize)>,
}

impl Tally {
    /// `prior`: last year's report, when `compared` (last year is in the range).
    fn add(&mut self, r: &SynthReport, prior: Option<&SynthReport>, compared: bool) {
        self.expected += 1;
        let Some(on) = r.submitted_on else { return };
        self.filed += 1;
        let o = self.overdue.entry(r.year).or_default();
        o.0 += 1;
        o.1 += usize::from(r.faults.contains(&Fault::ReelectionOverdue));
        self.late += usize::from(on > shanghui_synth::deadline(r.year));
        if let Some(p) = prior.filter(|p| p.submitted_on.is_some()) {
            self.with_prior += 1;
            self.prior_party +=
                usize::from(p.answers.get("party_org") == Some(&Value::YesNo(true)));
        }
        self.not_qualified += usize::from(
            r.answers.get("prior_inspection") != Some(&Value::Choice("qualified".into())),
        );
        for f in &r.faults {
            // Cross-year faults count where last year's report is at hand (not in the first
            // year), like their denominators.
            if !f.cross_year() || compared {
                *self.faults.entry(*f).or_default() += 1;
            }
        }
    }

    fn among(&self, f: Fault) -> usize {
        match f {
            Fault::MembersDrop | Fault::IncomeSwing => self.with_prior,
            Fault::PartyOrgDropped => self.prior_party,
            Fault::ThinRectification => self.not_qualified,
            _ => self.filed,
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let scale: Scale = args
        .next()
        .as_deref()
        .unwrap_or("national")
        .parse()
        .unwrap_or(Scale::National);
    let n_years: i32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(5);
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(42);
    let collect = args.next().as_deref() == Some("collect");
    let today = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
    let registry_year = 2024;
    let years = registry_year - n_years + 1..=registry_year;
    let first = *years.start();

    let divisions = DivisionIndex::shipped();
    let t = Instant::now();
    let orgs = generate(&divisions, scale, seed, today);
    println!("registry: {} records in {:?}", orgs.len(), t.elapsed());

    let template = sample();
    let t = Instant::now();
    let mut tally = Tally::default();
    if collect {
        let all = reports(&orgs, &template, years.clone(), seed, today);
        let elapsed = t.elapsed();
        let by: BTreeMap<(usize, i32), &SynthReport> =
            all.iter().map(|r| ((r.key, r.year), r)).collect();
        for r in &all {
            let prior = (r.year > first).then(|| by.get(&(r.key, r.year - 1)).copied());
            tally.add(r, prior.flatten(), r.year > first);
        }
        println!("{} reports collected in {elapsed:?}", all.len());
    } else {
        let g = ReportGen::new(&template, seed, today);
        let mut n = 0usize;
        for y in years.clone() {
            for r in g.year(&orgs, y) {
                n += std::hint::black_box(r).answers.len().min(1);
            }
        }
        println!(
            "{n} filed reports generated one year at a time in {:?}",
            t.elapsed()
        );
        let mut prior: BTreeMap<usize, SynthReport> = BTreeMap::new();
        for y in years.clone() {
            let mut this = BTreeMap::new();
            for r in g.year(&orgs, y) {
                tally.add(&r, prior.get(&r.key), y > first);
                // Only what next year compares with is kept.
                this.insert(r.key, r);
            }
            prior = this;
        }
    }
    println!(
        "years {years:?}: expected {}, filed {} ({:.1}%), late {} ({:.1}% of filed)",
        tally.expected,
        tally.filed,
        100.0 * tally.filed as f64 / tally.expected as f64,
        tally.late,
        100.0 * tally.late as f64 / tally.filed as f64
    );
    for (y, (filed, overdue)) in &tally.overdue {
        println!(
            "  {y}: {filed} filed, re-election overdue {:.1}‰",
            1000.0 * *overdue as f64 / *filed as f64
        );
    }
    for r in FAULT_RATES {
        let n = tally.faults.get(&r.fault).copied().unwrap_or(0);
        let among = tally.among(r.fault);
        println!(
            "  {:<24} {:>6} of {:>7}: {:>6.1}‰ (documented {}‰)",
            r.fault.code(),
            n,
            among,
            1000.0 * n as f64 / among.max(1) as f64,
            r.per_mille
        );
    }
}
