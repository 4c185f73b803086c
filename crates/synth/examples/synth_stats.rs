//! Generates a registry and prints what it holds and how long it took:
//! `cargo run --release -p shanghui-synth --example synth_stats -- national 42`; a third argument
//! `list` prints every record, one a line, tab-separated.

use std::collections::BTreeMap;
use std::time::Instant;

use shanghui_core::{DivisionIndex, Lang, OrgKind};
use shanghui_synth::{Scale, generate};

fn main() {
    let mut args = std::env::args().skip(1);
    let scale: Scale = match args.next().as_deref().unwrap_or("national").parse() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(42);
    let list = args.next().as_deref() == Some("list");
    let today = chrono::Local::now().date_naive();

    let t = Instant::now();
    let divisions = DivisionIndex::shipped();
    let load = t.elapsed();
    let t = Instant::now();
    let orgs = generate(&divisions, scale, seed, today);
    let gen_time = t.elapsed();

    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    for o in &orgs {
        let d = &o.draft;
        let label = match d.kind {
            OrgKind::Federation => format!(
                "{} / {}",
                d.kind.label(Lang::ZhCn),
                d.level.map_or("", |l| l.label(Lang::ZhCn))
            ),
            OrgKind::Chamber => format!(
                "{} / {}",
                d.kind.label(Lang::ZhCn),
                d.category.map_or("", |c| c.label(Lang::ZhCn))
            ),
            OrgKind::Branch => d.kind.label(Lang::ZhCn).to_string(),
        };
        *by_kind.entry(label).or_default() += 1;
    }
    println!(
        "scale {scale}, seed {seed}, today {today}: {} records",
        orgs.len()
    );
    for (k, n) in &by_kind {
        println!("  {k:<12} {n:>7}");
    }
    let chambers: Vec<_> = orgs
        .iter()
        .filter(|o| o.draft.kind == OrgKind::Chamber)
        .collect();
    let n = chambers.len().max(1) as f64;
    let pct = |f: &dyn Fn(&&shanghui_synth::SynthOrg) -> bool| {
        100.0 * chambers.iter().filter(|o| f(o)).count() as f64 / n
    };
    println!(
        "chambers: registered {:.1}%, party org {:.1}%, re-election overdue {:.1}%, dissolved {:.1}%, check-character override {:.2}%",
        pct(&|o| o.draft.registered == Some(true)),
        pct(&|o| o.draft.party_org == Some(true)),
        pct(&|o| o.draft.last_reelection.is_some_and(|d| {
            d.checked_add_months(chrono::Months::new(60))
                .is_some_and(|x| x < today)
        })),
        pct(&|o| o.draft.dissolved_on.is_some()),
        pct(&|o| o.draft.uscc_override_reason.is_some()),
    );
    let members: i64 = chambers.iter().filter_map(|o| o.draft.members_total).sum();
    println!("chamber members: {members}");
    for o in orgs.iter().step_by((orgs.len() / 12).max(1)) {
        println!("  e.g. {}", o.draft.name);
    }
    if list {
        for o in &orgs {
            let d = &o.draft;
            let parent = o.parent.map_or(String::new(), |p| p.to_string());
            let division = d.division_code.as_ref().map_or("", |c| c.as_str());
            let category = d.category.map_or("", |c| c.label(Lang::ZhCn));
            let uscc = d.uscc.as_ref().map_or("", |u| u.as_str());
            println!(
                "{}\t{parent}\t{}\t{category}\t{division}\t{uscc}",
                o.key, d.name
            );
        }
    }
    println!("divisions loaded in {load:?}, generated in {gen_time:?}");
}
