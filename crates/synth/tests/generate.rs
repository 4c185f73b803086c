//! The generated registry is valid, unique where it must be, sized as promised and deterministic.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use chrono::NaiveDate;
use shanghui_core::org::{check_placement, parse_org};
use shanghui_core::{ChamberCategory, DivisionIndex, FederationLevel, Lang, OrgKind, OrgStatus};
use shanghui_synth::{Scale, SynthOrg, generate};

// A crate root's `mod` looks beside it; a file under tests/ would be a test binary of its own.
#[path = "generate/reports.rs"]
mod reports;

static DIVISIONS: LazyLock<DivisionIndex> = LazyLock::new(DivisionIndex::shipped);
const SEED: u64 = 20_250_601;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()
}

static NATIONAL: LazyLock<Vec<SynthOrg>> =
    LazyLock::new(|| generate(&DIVISIONS, Scale::National, SEED, today()));

/// The round trip through the form representation gives back the draft, and the parent is
/// one `check_placement` accepts.
fn assert_valid(orgs: &[SynthOrg], o: &SynthOrg) {
    for lang in [Lang::ZhCn, Lang::En] {
        let input = o.draft.to_input(lang);
        match parse_org(&input, &DIVISIONS, today()) {
            Ok(d) => assert_eq!(d, o.draft, "{} ({lang:?})", o.draft.name),
            Err(p) => panic!("{}: {p:?}", o.draft.name),
        }
        if lang == Lang::ZhCn && !o.key.is_multiple_of(7) {
            // The English labels once in a while is enough.
            break;
        }
    }
    assert_placed(orgs, o);
}

fn assert_placed(orgs: &[SynthOrg], o: &SynthOrg) {
    let d = &o.draft;
    let parent = o.parent.map(|p| {
        assert!(p < o.key, "parent after child: {}", d.name);
        let pd = &orgs[p].draft;
        (pd.kind, pd.level, pd.division_code.as_ref())
    });
    check_placement(d.kind, d.level, d.division_code.as_ref(), parent)
        .unwrap_or_else(|m| panic!("{}: {m:?}", d.name));
}

/// Shape checks every scale must pass.
fn assert_shape(orgs: &[SynthOrg]) {
    assert_eq!(orgs[0].draft.name, "中华全国工商业联合会");
    assert_eq!(orgs[0].draft.level, Some(FederationLevel::National));
    assert_eq!(orgs[0].draft.division_code, None);
    assert_eq!(orgs[0].parent, None);
    let mut names = HashSet::new();
    let mut codes = HashSet::new();
    let mut chambers_per_county: HashMap<usize, usize> = HashMap::new();
    let t = today();
    for (i, o) in orgs.iter().enumerate() {
        assert_eq!(o.key, i);
        assert!(i == 0 || o.parent.is_some_and(|p| p < i));
        assert!(
            names.insert((o.parent, o.draft.name.as_str())),
            "name repeated under one parent: {}",
            o.draft.name
        );
        if let Some(u) = &o.draft.uscc {
            assert!(codes.insert(u.as_str()), "USCC repeated: {u}");
            assert!(u.as_str().starts_with("51"));
            assert_eq!(
                u.division(),
                &o.draft.division_code.as_ref().unwrap().as_str()[..6]
            );
            assert_eq!(u.check_ok(), o.draft.uscc_override_reason.is_none());
        }
        let d = &o.draft;
        for date in [d.founded_on, d.last_reelection, d.dissolved_on]
            .into_iter()
            .flatten()
        {
            assert!(date <= t, "{}: {date}", d.name);
        }
        if let (Some(f), Some(x)) = (d.founded_on, d.dissolved_on) {
            assert!(f <= x);
        }
        if d.kind == OrgKind::Federation {
            assert_eq!(d.status, OrgStatus::Active);
            assert!(d.uscc.is_none());
        }
        if d.kind == OrgKind::Chamber
            && let Some(p) = o.parent
            && orgs[p].draft.level == Some(FederationLevel::County)
        {
            *chambers_per_county.entry(p).or_default() += 1;
        }
    }
    let counties = orgs
        .iter()
        .filter(|o| o.draft.level == Some(FederationLevel::County))
        .count();
    assert_eq!(chambers_per_county.len(), counties);
    for (p, n) in chambers_per_county {
        assert!((10..=30).contains(&n), "{}: {n}", orgs[p].draft.name);
    }
}

#[test]
fn county_scale() {
    let orgs = generate(&DIVISIONS, Scale::County, SEED, today());
    assert_shape(&orgs);
    let feds: Vec<&str> = orgs
        .iter()
        .filter(|o| o.draft.kind == OrgKind::Federation)
        .map(|o| o.draft.name.as_str())
        .collect();
    assert_eq!(
        feds,
        [
            "中华全国工商业联合会",
            "福建省工商业联合会",
            "莆田市工商业联合会",
            "仙游县工商业联合会"
        ]
    );
    let chambers: Vec<&SynthOrg> = orgs
        .iter()
        .filter(|o| o.draft.kind == OrgKind::Chamber)
        .collect();
    assert!((10..=30).contains(&chambers.len()));
    assert!(chambers.iter().all(|c| c.parent == Some(3)));
    assert!(
        chambers
            .iter()
            .any(|c| c.draft.category == Some(ChamberCategory::Township))
    );
    for o in &orgs {
        assert_valid(&orgs, o);
    }
    // The county looks the same at every scale (only keys and organisation codes differ).
    let province = generate(&DIVISIONS, Scale::Province, SEED, today());
    let xianyou = province
        .iter()
        .find(|o| o.draft.name == "仙游县工商业联合会")
        .unwrap();
    let mut there: Vec<&str> = province
        .iter()
        .filter(|o| o.parent == Some(xianyou.key))
        .map(|o| o.draft.name.as_str())
        .collect();
    let mut here: Vec<&str> = chambers.iter().map(|o| o.draft.name.as_str()).collect();
    there.sort_unstable();
    here.sort_unstable();
    assert_eq!(here, there);
}

#[test]
fn province_scale() {
    let orgs = generate(&DIVISIONS, Scale::Province, SEED, today());
    assert_shape(&orgs);
    for o in &orgs {
        assert_valid(&orgs, o);
        if let Some(d) = &o.draft.division_code {
            assert!(d.as_str().starts_with("35"), "{}", o.draft.name);
        }
    }
    let count = |k: OrgKind, l: Option<FederationLevel>| {
        orgs.iter()
            .filter(|o| o.draft.kind == k && (l.is_none() || o.draft.level == l))
            .count()
    };
    assert_eq!(count(OrgKind::Federation, Some(FederationLevel::City)), 9);
    // Fujian has 84 county-level divisions, some of them development zones.
    let counties = count(OrgKind::Federation, Some(FederationLevel::County));
    assert!((75..=90).contains(&counties), "{counties}");
    assert!(count(OrgKind::Chamber, None) > 1_500);
}

#[test]
fn national_scale() {
    let orgs = &*NATIONAL;
    assert_shape(orgs);
    let feds = orgs
        .iter()
        .filter(|o| o.draft.kind == OrgKind::Federation)
        .count();
    let chambers = orgs
        .iter()
        .filter(|o| o.draft.kind == OrgKind::Chamber)
        .count();
    let branches = orgs
        .iter()
        .filter(|o| o.draft.kind == OrgKind::Branch)
        .count();
    assert!((2_900..=3_500).contains(&feds), "{feds} federations");
    assert!(chambers >= 70_000, "{chambers} chambers");
    assert!((100..=150).contains(&branches), "{branches} branches");
    let provincial = orgs
        .iter()
        .filter(|o| o.draft.level == Some(FederationLevel::Provincial))
        .count();
    assert_eq!(provincial, 31);
    // Cities without counties have no county federation.
    for city in [
        "东莞市工商业联合会",
        "中山市工商业联合会",
        "儋州市工商业联合会",
    ] {
        let c = orgs.iter().find(|o| o.draft.name == city).unwrap();
        assert!(
            !orgs
                .iter()
                .any(|o| o.parent == Some(c.key) && o.draft.kind == OrgKind::Federation),
            "{city}"
        );
    }
    // Districts of municipalities hang under the provincial federation.
    let bj = orgs
        .iter()
        .find(|o| o.draft.name == "北京市工商业联合会")
        .unwrap();
    let dc = orgs
        .iter()
        .find(|o| o.draft.name == "北京市东城区工商业联合会")
        .unwrap();
    assert_eq!(dc.parent, Some(bj.key));

    // Every record round-trips and is placed (about 3 s in a debug build).
    for o in orgs {
        assert_valid(orgs, o);
    }
}

#[test]
fn national_distributions() {
    let chambers: Vec<&SynthOrg> = NATIONAL
        .iter()
        .filter(|o| o.draft.kind == OrgKind::Chamber)
        .collect();
    let n = chambers.len() as f64;
    let share = |f: &dyn Fn(&SynthOrg) -> bool| chambers.iter().filter(|o| f(o)).count() as f64 / n;
    let registered = share(&|o| o.draft.registered == Some(true));
    assert!(
        (0.80..=0.90).contains(&registered),
        "registered {registered}"
    );
    let party = share(&|o| o.draft.party_org == Some(true));
    assert!((0.70..=0.80).contains(&party), "party {party}");
    let dissolved = share(&|o| o.draft.status == OrgStatus::Dissolved);
    assert!((0.005..=0.02).contains(&dissolved), "dissolved {dissolved}");
    let overdue = share(&|o| {
        o.draft
            .last_reelection
            .is_some_and(|d| d.checked_add_months(chrono::Months::new(60)).unwrap() < today())
    });
    assert!((0.10..=0.20).contains(&overdue), "overdue {overdue}");
    let bad = share(&|o| o.draft.uscc_override_reason.is_some()) / registered;
    assert!((0.002..=0.01).contains(&bad), "bad check {bad}");
    for cat in ChamberCategory::ALL {
        let s = share(&|o| o.draft.category == Some(*cat));
        assert!(s > 0.002, "{cat:?} {s}");
    }
    let industry = share(&|o| o.draft.category == Some(ChamberCategory::Industry));
    assert!((0.25..=0.45).contains(&industry), "industry {industry}");
    for o in &chambers {
        let d = &o.draft;
        let (u, i, t) = (
            d.members_unit.unwrap(),
            d.members_individual.unwrap(),
            d.members_total.unwrap(),
        );
        assert!((15..=400).contains(&u) && (0..=120).contains(&i) && u + i == t);
        let c = d.council_size.unwrap();
        assert!(c >= 5 && c <= t && d.standing_council_size.unwrap() <= c);
    }
}

#[test]
fn deterministic() {
    let a = generate(&DIVISIONS, Scale::Province, 7, today());
    let b = generate(&DIVISIONS, Scale::Province, 7, today());
    let c = generate(&DIVISIONS, Scale::Province, 8, today());
    assert_eq!(a, b);
    assert_ne!(a, c);
    let again = generate(&DIVISIONS, Scale::National, SEED, today());
    assert!(again == *NATIONAL);
}

#[test]
fn dates_follow_today() {
    let early = NaiveDate::from_ymd_opt(2019, 1, 1).unwrap();
    let orgs = generate(&DIVISIONS, Scale::Province, SEED, early);
    for o in &orgs {
        let d = &o.draft;
        for date in [d.founded_on, d.last_reelection, d.dissolved_on]
            .into_iter()
            .flatten()
        {
            assert!(date <= early, "{}: {date}", d.name);
        }
        assert_eq!(
            parse_org(&d.to_input(Lang::ZhCn), &DIVISIONS, early)
                .ok()
                .as_ref(),
            Some(d)
        );
    }
}
