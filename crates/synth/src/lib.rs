//! Synthetic but realistic registry data for demos and benchmarks: federations (工商联) at every
//! level of the real 2023 division tree, industrial-park branches (园区工商联分会), and chambers of
//! commerce (商会) with the category mix, registration, party-organisation, membership and
//! re-election figures one sees in real registries.
//!
//! Every record is valid: `shanghui_core::org::parse_org(&draft.to_input(lang), divisions, today)`
//! gives back the same draft, and `check_placement` accepts its parent. Generation is
//! deterministic for a seed and uses no external randomness. Each unit draws from its own
//! random stream (keyed by seed and division code), so a county's chambers are the same at every
//! scale; only the keys and the organisation codes inside the credit codes, which follow the
//! position in the output, differ between scales.
#![forbid(unsafe_code)]

mod lists;
mod reports;
mod rng;

pub use reports::{
    AUDIT_THRESHOLD, FAULT_RATES, Fault, FaultRate, LATE_PER_MILLE, REPORTING_PER_MILLE, ReportGen,
    SynthReport, THIN_REPORT_CHARS, deadline, late_until, opening, reports,
};

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, Months, NaiveDate};
use shanghui_core::division::{TownshipKind, township_kind};
use shanghui_core::uscc::{self, Uscc, UsccCheck};
use shanghui_core::{
    ChamberCategory, Division, DivisionCode, DivisionIndex, DivisionLevel, FederationLevel,
    OrgDraft, OrgKind, OrgStatus, PartyOrgForm,
};

use rng::Rng;

/// How much of the country to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scale {
    /// The chain 全国 → 福建省 → 莆田市 → 仙游县 (350322) and the county's chambers.
    County,
    /// The national federation and all of Fujian (35): its cities, counties, parks and chambers.
    Province,
    /// Everything: about 3,200 federations, 120 park branches and 76,000 chambers.
    National,
}

impl Scale {
    pub const ALL: [Scale; 3] = [Scale::County, Scale::Province, Scale::National];

    pub fn as_str(self) -> &'static str {
        match self {
            Scale::County => "county",
            Scale::Province => "province",
            Scale::National => "national",
        }
    }
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scale name that is none of `county`, `province`, `national`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseScaleError(pub String);

impl fmt::Display for ParseScaleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown scale {:?}: expected county, province or national",
            self.0
        )
    }
}

impl std::error::Error for ParseScaleError {}

impl FromStr for Scale {
    type Err = ParseScaleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Scale::ALL
            .into_iter()
            .find(|sc| sc.as_str() == lower)
            .ok_or_else(|| ParseScaleError(s.to_string()))
    }
}

/// The province of [`Scale::Province`] and [`Scale::County`].
pub const SCALE_PROVINCE: &str = "350000";
/// The city of [`Scale::County`].
pub const SCALE_CITY: &str = "350300";
/// The county of [`Scale::County`] (仙游县).
pub const SCALE_COUNTY: &str = "350322";

/// One generated organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthOrg {
    /// Its index in the output.
    pub key: usize,
    /// The key of its parent; `None` only for the national federation (key 0).
    pub parent: Option<usize>,
    pub draft: OrgDraft,
}

/// Generates the registry for `scale`. Parents come before children; key 0 is the national
/// federation. Deterministic for a given seed (and division data and `today`); no date is after
/// `today`.
pub fn generate(
    divisions: &DivisionIndex,
    scale: Scale,
    seed: u64,
    today: NaiveDate,
) -> Vec<SynthOrg> {
    let tree = Tree::new(divisions);
    let origins = Origins::new(&tree);
    let mut g = Gen {
        seed,
        today,
        salt: rng::mix(seed ^ 0x5348_414e_4748_5549),
        origins,
        out: Vec::with_capacity(match scale {
            Scale::County => 64,
            Scale::Province => 4_096,
            Scale::National => 100_000,
        }),
    };
    g.walk(&tree, scale);
    g.out
}

// ---------------------------------------------------------------------------------------------
// The division tree, sorted.

struct Tree<'a> {
    provinces: Vec<&'a Division>,
    children: HashMap<&'a str, Vec<&'a Division>>,
}

impl<'a> Tree<'a> {
    fn new(divisions: &'a DivisionIndex) -> Self {
        let mut provinces = Vec::new();
        let mut children: HashMap<&'a str, Vec<&'a Division>> = HashMap::new();
        for d in divisions.iter() {
            match &d.parent {
                Some(p) => children.entry(p.as_str()).or_default().push(d),
                None if d.level == DivisionLevel::Province => provinces.push(d),
                None => {}
            }
        }
        provinces.sort_unstable_by(|a, b| a.code.cmp(&b.code));
        for v in children.values_mut() {
            v.sort_unstable_by(|a, b| a.code.cmp(&b.code));
        }
        Tree {
            provinces,
            children,
        }
    }

    fn children(&self, d: &Division) -> &[&'a Division] {
        self.children
            .get(d.code.as_str())
            .map_or(&[], Vec::as_slice)
    }
}

/// A township-level unit a chamber can be named after.
#[derive(Clone)]
struct Spot<'a> {
    code: &'a DivisionCode,
    name: Cow<'a, str>,
    kind: TownshipKind,
}

/// Drops bracketed notes such as `（工业园区）` from a division name.
fn clean_name(name: &str) -> Cow<'_, str> {
    if !name.contains('（') {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len());
    let mut depth = 0u32;
    for c in name.chars() {
        match c {
            '（' => depth += 1,
            '）' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    Cow::Owned(out)
}

/// The streets, towns and townships below a county (or a city without counties).
fn township_spots<'a>(units: &[&'a Division]) -> Vec<Spot<'a>> {
    units
        .iter()
        .filter(|d| d.level == DivisionLevel::Township && !d.statistical_only)
        .filter_map(|d| {
            let kind = township_kind(&d.code)?;
            if kind == TownshipKind::Other {
                return None;
            }
            let name = clean_name(&d.name);
            (name.chars().count() >= 2).then_some(Spot {
                code: &d.code,
                name,
                kind,
            })
        })
        .collect()
}

/// Statistical township-level units that are parks (开发区, 工业园 ...), to name park chambers.
fn park_spots<'a>(units: &[&'a Division]) -> Vec<Spot<'a>> {
    const PARKISH: &[&str] = &[
        "开发区",
        "园区",
        "工业园",
        "产业园",
        "科技园",
        "新区",
        "基地",
    ];
    units
        .iter()
        .filter(|d| d.level == DivisionLevel::Township && d.statistical_only)
        .filter(|d| !d.name.contains('（') && d.name.chars().count() >= 4)
        .filter(|d| PARKISH.iter().any(|k| d.name.contains(k)))
        .map(|d| Spot {
            code: &d.code,
            name: Cow::Borrowed(d.name.as_str()),
            kind: TownshipKind::Other,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Places out-of-town chambers are named after.

struct Origin {
    short: String,
    /// 6-digit division code.
    code: String,
    province: bool,
}

struct Origins {
    provinces: Vec<Origin>,
    popular_provinces: Vec<usize>,
    cities: Vec<Origin>,
    popular: Vec<Origin>,
    cities_by_province: HashMap<String, Vec<usize>>,
}

/// `浙江省` → `浙江`, `广西壮族自治区` → `广西`.
fn province_short(name: &str) -> &str {
    for suffix in [
        "壮族自治区",
        "回族自治区",
        "维吾尔自治区",
        "自治区",
        "省",
        "市",
    ] {
        if let Some(s) = name.strip_suffix(suffix)
            && s.chars().count() >= 2
        {
            return s;
        }
    }
    name
}

/// `温州市` → `温州`, `阿克苏地区` → `阿克苏`; autonomous prefectures and leagues have no
/// usual short form and are left out.
fn place_short(name: &str) -> Option<&str> {
    ["市", "地区", "县", "区"]
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .filter(|s| s.chars().count() >= 2 && !s.ends_with("自治"))
}

impl Origins {
    fn new(tree: &Tree<'_>) -> Self {
        let provinces: Vec<Origin> = tree
            .provinces
            .iter()
            .map(|p| Origin {
                short: province_short(&p.name).to_string(),
                code: p.code.as_str().to_string(),
                province: true,
            })
            .collect();
        let popular_provinces = lists::POPULAR_PROVINCES
            .iter()
            .filter_map(|s| provinces.iter().position(|o| o.short == *s))
            .collect();
        let mut cities = Vec::new();
        let mut cities_by_province: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_name: HashMap<&str, &Division> = HashMap::new();
        for p in &tree.provinces {
            for c in tree.children(p) {
                if !c.placeholder
                    && let Some(short) = place_short(&c.name)
                {
                    cities_by_province
                        .entry(p.code.as_str()[..2].to_string())
                        .or_default()
                        .push(cities.len());
                    cities.push(Origin {
                        short: short.to_string(),
                        code: c.code.as_str().to_string(),
                        province: false,
                    });
                }
                by_name.entry(&c.name).or_insert(c);
                for county in tree.children(c) {
                    if county.level == DivisionLevel::County && !county.statistical_only {
                        by_name.entry(&county.name).or_insert(county);
                    }
                }
            }
        }
        let popular = lists::POPULAR_ORIGINS
            .iter()
            .filter_map(|n| {
                let d = by_name.get(n)?;
                Some(Origin {
                    short: place_short(&d.name)?.to_string(),
                    code: d.code.as_str().to_string(),
                    province: false,
                })
            })
            .collect();
        Origins {
            provinces,
            popular_provinces,
            cities,
            popular,
            cities_by_province,
        }
    }

    /// A place a chamber of `tier` at `own` (6-digit code) may be named after: never its own
    /// province (for provincial chambers) or its own city (below).
    fn pick(&self, rng: &mut Rng, tier: Tier, own: &str) -> Option<&Origin> {
        let excluded = |o: &Origin| {
            if o.province || tier == Tier::Province {
                o.code[..2] == own[..2]
            } else {
                o.code[..4] == own[..4]
            }
        };
        for _ in 0..12 {
            let r = rng.unit();
            let o = match tier {
                Tier::Province if r < 0.5 => self.any_province(rng),
                Tier::Province if r < 0.75 => self.popular(rng),
                Tier::Province => self.any_city(rng),
                Tier::City | Tier::Park if r < 0.2 => self.any_province(rng),
                Tier::City | Tier::Park if r < 0.45 => self.same_province(rng, own),
                Tier::City | Tier::Park if r < 0.75 => self.popular(rng),
                Tier::City | Tier::Park => self.any_city(rng),
                Tier::County if r < 0.1 => self.any_province(rng),
                Tier::County if r < 0.55 => self.same_province(rng, own),
                Tier::County if r < 0.9 => self.popular(rng),
                Tier::County => self.any_city(rng),
            };
            if let Some(o) = o
                && !excluded(o)
            {
                return Some(o);
            }
        }
        None
    }

    fn any_province(&self, rng: &mut Rng) -> Option<&Origin> {
        if self.provinces.is_empty() {
            return None;
        }
        if !self.popular_provinces.is_empty() && rng.chance(0.6) {
            return Some(&self.provinces[*rng.pick_skewed(&self.popular_provinces, 1.5)]);
        }
        Some(rng.pick(&self.provinces))
    }

    fn popular(&self, rng: &mut Rng) -> Option<&Origin> {
        (!self.popular.is_empty()).then(|| rng.pick_skewed(&self.popular, 1.8))
    }

    fn any_city(&self, rng: &mut Rng) -> Option<&Origin> {
        (!self.cities.is_empty()).then(|| rng.pick(&self.cities))
    }

    fn same_province(&self, rng: &mut Rng, own: &str) -> Option<&Origin> {
        let v = self.cities_by_province.get(&own[..2])?;
        Some(&self.cities[*rng.pick(v)])
    }
}

// ---------------------------------------------------------------------------------------------
// The generator.

/// Which federation a batch of chambers hangs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tier {
    Province,
    City,
    County,
    Park,
}

/// Where a batch of chambers is generated.
struct Place<'a> {
    tier: Tier,
    parent: usize,
    parent_founded: NaiveDate,
    /// What names start with: `仙游县`, `福州市`, `福建省`, or a zone's name.
    prefix: &'a str,
    division: &'a Division,
    townships: Vec<Spot<'a>>,
    parks: Vec<Spot<'a>>,
}

struct Gen {
    seed: u64,
    today: NaiveDate,
    salt: u64,
    origins: Origins,
    out: Vec<SynthOrg>,
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid constant date")
}

/// Uniform in `lo..=hi`; `hi` when the range is empty.
fn date_in(rng: &mut Rng, lo: NaiveDate, hi: NaiveDate) -> NaiveDate {
    skewed_date(rng, lo, hi, 1.0)
}

/// In `lo..=hi`, skewed towards `hi` for `power < 1`.
fn skewed_date(rng: &mut Rng, lo: NaiveDate, hi: NaiveDate, power: f64) -> NaiveDate {
    if hi <= lo {
        return hi;
    }
    let span = (hi - lo).num_days();
    let offset = ((span + 1) as f64 * rng.unit().powf(power)) as i64;
    lo + Days::new(offset.clamp(0, span) as u64)
}

/// The last re-election (换届) of a unit founded on `founded`: terms are five years, so the
/// last one is the latest fifth anniversary (held a few weeks late at most), or for an overdue
/// unit the one before (more than five years ago). A unit younger than five years has held only
/// its founding election.
fn last_reelection(
    rng: &mut Rng,
    founded: NaiveDate,
    today: NaiveDate,
    p_overdue: f64,
) -> NaiveDate {
    let months = (today.year() - founded.year()) * 12 + today.month() as i32
        - founded.month() as i32
        - i32::from(today.day() < founded.day());
    let terms = (months.max(0) / 60) as u32;
    let anniversary = |k: u32| {
        founded
            .checked_add_months(Months::new(60 * k))
            .unwrap_or(founded)
    };
    if terms == 0 {
        return founded;
    }
    if rng.chance(p_overdue) {
        return anniversary(terms - 1);
    }
    let delay = Days::new(rng.below(120) as u64);
    (anniversary(terms) + delay).min(today)
}

/// A plausible Chinese name: a common surname and one or two given-name characters.
fn person(rng: &mut Rng, province: &str) -> String {
    let southern = matches!(&province[..2], "35" | "44" | "46");
    let surname = if southern && rng.chance(0.6) {
        rng.pick_skewed(lists::SOUTHERN_SURNAMES, 1.6)
    } else {
        rng.pick_skewed(lists::SURNAMES, 2.2)
    };
    let mut s = String::with_capacity(9);
    s.push_str(surname);
    let given = lists::GIVEN;
    s.push_str(given[rng.below(given.len())]);
    if rng.chance(0.72) {
        s.push_str(given[rng.below(given.len())]);
    }
    s
}

/// `lo + (hi - lo) * u^power`, rounded down: `power > 1` skews towards `lo`.
fn skewed(rng: &mut Rng, lo: i64, hi: i64, power: f64) -> i64 {
    lo + (((hi - lo + 1) as f64) * rng.unit().powf(power)) as i64
}

const BASE31: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// 31^7: the organisation codes `MJ` + 7 characters.
const M31_7: u64 = 27_512_614_111;
const M10_7: u64 = 10_000_000;
/// About 0.618 × 31^7, not a multiple of 31; key × it stays below 2^64 for keys below 10^7.
const MJ_MULTIPLIER: u64 = 17_003_943_251;

/// Organisation code (positions 9-17 of the credit code), unique for each key below 10^7.
/// Units registered since 2016 carry a civil-affairs code `MJ…`; older ones kept their
/// GB 11714 organisation code (`5…` with its own check character).
fn organisation_code(key: u64, salt: u64, old_style: bool) -> [u8; 9] {
    assert!(
        key < M10_7,
        "organisation codes run out at 10 million units"
    );
    let mut out = [b'0'; 9];
    if old_style {
        // Bijective in the key: 7_654_321 is coprime with 10^7.
        let mut v = (key * 7_654_321 + salt % M10_7) % M10_7;
        out[0] = b'5';
        for i in (1..8).rev() {
            out[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
        const W: [u64; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
        let sum: u64 = out[..8]
            .iter()
            .zip(W)
            .map(|(&b, w)| u64::from(b - b'0') * w)
            .sum();
        out[8] = match 11 - sum % 11 {
            10 => b'X',
            11 => b'0',
            c => b'0' + c as u8,
        };
    } else {
        // Bijective in the key: the multiplier is coprime with 31 (and scatters neighbours).
        let mut v = (key * MJ_MULTIPLIER + salt % M31_7) % M31_7;
        out[0] = b'M';
        out[1] = b'J';
        for i in (2..9).rev() {
            out[i] = BASE31[(v % 31) as usize];
            v /= 31;
        }
    }
    out
}

/// `51` + division (6 digits) + organisation code + check character; with `bad_check` a wrong
/// check character instead.
fn chamber_uscc(rng: &mut Rng, division6: &str, org: &[u8; 9], bad_check: bool) -> Uscc {
    let mut s = String::with_capacity(18);
    s.push_str("51");
    s.push_str(division6);
    s.push_str(std::str::from_utf8(org).expect("ASCII"));
    let good = uscc::with_check(&s).expect("17 characters of the alphabet");
    if !bad_check {
        return good;
    }
    let right = good.as_str().as_bytes()[17];
    let pos = BASE31.iter().position(|&b| b == right).unwrap_or(0);
    let wrong = BASE31[(pos + 1 + rng.below(30)) % 31];
    s.push(wrong as char);
    match uscc::check(&s) {
        UsccCheck::BadCheckDigit { code, .. } => code,
        _ => good,
    }
}

/// Category weights for the chambers that are not township/street chambers, in the order
/// industry, hometown, village, market, building, park, other.
const CATEGORY_ORDER: [ChamberCategory; 7] = [
    ChamberCategory::Industry,
    ChamberCategory::Hometown,
    ChamberCategory::Village,
    ChamberCategory::Market,
    ChamberCategory::Building,
    ChamberCategory::Park,
    ChamberCategory::Other,
];

fn category_weights(tier: Tier) -> [u32; 7] {
    match tier {
        Tier::County => [46, 24, 6, 7, 5, 5, 7],
        Tier::City => [50, 33, 2, 4, 4, 3, 6],
        Tier::Province => [55, 38, 0, 0, 0, 0, 7],
        Tier::Park => [0, 0, 0, 0, 0, 100, 0],
    }
}

impl Gen {
    fn rng(&self, d: &Division, tag: u64) -> Rng {
        let n: u64 = d.code.as_str().parse().unwrap_or(0);
        Rng::stream(self.seed, n * 16 + tag)
    }

    fn founded(&self, key: usize) -> NaiveDate {
        self.out[key].draft.founded_on.unwrap_or(self.today)
    }

    fn walk(&mut self, tree: &Tree<'_>, scale: Scale) {
        let in_scale = |d: &Division, anchor: &str| match scale {
            Scale::National => true,
            Scale::Province => d.level != DivisionLevel::Province || d.code.as_str() == anchor,
            Scale::County => d.code.as_str() == anchor,
        };
        let mut r = Rng::stream(self.seed, 0);
        let national = self.federation(
            &mut r,
            None,
            FederationLevel::National,
            "中华全国工商业联合会".into(),
            None,
        );
        for &prov in &tree.provinces {
            if !in_scale(prov, SCALE_PROVINCE) {
                continue;
            }
            let mut r = self.rng(prov, 1);
            let pf = self.federation(
                &mut r,
                Some(national),
                FederationLevel::Provincial,
                format!("{}工商业联合会", prov.name),
                Some(prov),
            );
            if scale != Scale::County {
                let place = Place {
                    tier: Tier::Province,
                    parent: pf,
                    parent_founded: self.founded(pf),
                    prefix: &prov.name,
                    division: prov,
                    townships: Vec::new(),
                    parks: Vec::new(),
                };
                let mut r = self.rng(prov, 2);
                let n = r.range(50, 100) as usize;
                self.chambers(&mut r, &place, n);
            }
            let municipality = prov.name.ends_with('市');
            for &city in tree.children(prov) {
                if scale == Scale::County && !in_scale(city, SCALE_CITY) {
                    continue;
                }
                if city.placeholder {
                    // 市辖区 of a municipality, 省直辖县级行政区划: the counties hang under the
                    // provincial federation.
                    let prefix = if municipality { prov.name.as_str() } else { "" };
                    for &county in tree.children(city) {
                        self.county_or_park(tree, scale, pf, prefix, county);
                    }
                    continue;
                }
                let mut r = self.rng(city, 1);
                let cf = self.federation(
                    &mut r,
                    Some(pf),
                    FederationLevel::City,
                    format!("{}工商业联合会", city.name),
                    Some(city),
                );
                let units = tree.children(city);
                if scale != Scale::County {
                    // A city without counties (东莞), or whose only county repeats its name
                    // (嘉峪关), has its townships under the city federation.
                    let mut townships = township_spots(units);
                    let mut parks = park_spots(units);
                    for c in units.iter().filter(|c| c.name == city.name) {
                        townships.extend(township_spots(tree.children(c)));
                        parks.extend(park_spots(tree.children(c)));
                    }
                    let place = Place {
                        tier: Tier::City,
                        parent: cf,
                        parent_founded: self.founded(cf),
                        prefix: &city.name,
                        division: city,
                        townships,
                        parks,
                    };
                    let mut r = self.rng(city, 2);
                    let n = r.range(20, 40) as usize;
                    self.chambers(&mut r, &place, n);
                }
                for &county in units {
                    if county.level == DivisionLevel::County && county.name != city.name {
                        self.county_or_park(tree, scale, cf, &city.name, county);
                    }
                }
            }
        }
    }

    /// A county federation and its chambers, or for a development zone a park branch.
    fn county_or_park(
        &mut self,
        tree: &Tree<'_>,
        scale: Scale,
        parent: usize,
        city_prefix: &str,
        county: &Division,
    ) {
        if county.level != DivisionLevel::County {
            return;
        }
        if scale == Scale::County && county.code.as_str() != SCALE_COUNTY {
            return;
        }
        let units = tree.children(county);
        if county.statistical_only {
            if scale != Scale::County {
                self.park(parent, county);
            }
            return;
        }
        let mut r = self.rng(county, 1);
        // Districts are called by their city's name too: 福州市鼓楼区工商业联合会.
        let prefix = if county.name.ends_with('区') {
            city_prefix
        } else {
            ""
        };
        let fed = self.federation(
            &mut r,
            Some(parent),
            FederationLevel::County,
            format!("{prefix}{}工商业联合会", county.name),
            Some(county),
        );
        let townships = township_spots(units);
        let place = Place {
            tier: Tier::County,
            parent: fed,
            parent_founded: self.founded(fed),
            prefix: &county.name,
            division: county,
            parks: park_spots(units),
            townships,
        };
        let mut r = self.rng(county, 2);
        // More townships, more chambers: 10 to 30, about 23 on average.
        let n = (13 + place.townships.len() as i64 / 3 + r.range(0, 10)).clamp(10, 30) as usize;
        self.chambers(&mut r, &place, n);
    }

    /// 园区工商联分会 for a development zone, and a few park chambers under it.
    fn park(&mut self, parent: usize, zone: &Division) {
        let mut r = self.rng(zone, 1);
        let key = self.out.len();
        let founded = skewed_date(
            &mut r,
            ymd(2003, 1, 1).max(self.founded(parent)),
            ymd(2022, 12, 31).min(self.today),
            0.8,
        );
        let mut draft = blank(OrgKind::Branch, format!("{}工商联分会", zone.name));
        draft.founded_on = Some(founded);
        draft.division_code = Some(zone.code.clone());
        draft.last_reelection = Some(last_reelection(&mut r, founded, self.today, 0.1));
        let unit = skewed(&mut r, 20, 300, 1.8);
        let individual = skewed(&mut r, 0, 50, 2.0);
        self.members(&mut r, &mut draft, unit, individual);
        self.party(&mut r, &mut draft, unit + individual, true);
        draft.president = Some(person(&mut r, zone.code.as_str()));
        draft.secretary_general = Some(person(&mut r, zone.code.as_str()));
        self.out.push(SynthOrg {
            key,
            parent: Some(parent),
            draft,
        });
        let place = Place {
            tier: Tier::Park,
            parent: key,
            parent_founded: founded,
            prefix: &zone.name,
            division: zone,
            townships: Vec::new(),
            parks: Vec::new(),
        };
        let mut r = self.rng(zone, 2);
        let n = r.range(2, 6) as usize;
        self.chambers(&mut r, &place, n);
    }

    fn federation(
        &mut self,
        r: &mut Rng,
        parent: Option<usize>,
        level: FederationLevel,
        name: String,
        division: Option<&Division>,
    ) -> usize {
        let key = self.out.len();
        let today = self.today;
        let province = division.map_or("11", |d| &d.code.as_str()[..2]);
        let founded = match level {
            FederationLevel::National => ymd(1953, 10, 23),
            FederationLevel::Provincial => match province {
                // Provinces created later: 海南 (1988), 重庆 (1997).
                "46" => date_in(r, ymd(1988, 6, 1), ymd(1990, 12, 31)),
                "50" => date_in(r, ymd(1997, 6, 18), ymd(1998, 12, 31)),
                _ => date_in(r, ymd(1951, 1, 1), ymd(1958, 12, 31)),
            },
            FederationLevel::City => skewed_date(r, ymd(1952, 1, 1), ymd(1995, 12, 31), 1.2),
            FederationLevel::County => skewed_date(r, ymd(1980, 1, 1), ymd(2005, 12, 31), 1.3),
        }
        .min(today);
        let mut draft = blank(OrgKind::Federation, name);
        draft.level = Some(level);
        draft.division_code = division.map(|d| d.code.clone());
        draft.founded_on = Some(founded);
        draft.last_reelection = Some(last_reelection(r, founded, today, 0.04));
        // Members of a federation: enterprises (unit) and individuals. The national figure is
        // the sum of the tree, so it is left out.
        let (unit, individual, council) = match level {
            FederationLevel::National => (None, None, r.range(380, 460)),
            FederationLevel::Provincial => (
                Some(skewed(r, 3_000, 20_000, 1.5)),
                Some(skewed(r, 500, 5_000, 1.5)),
                r.range(250, 450),
            ),
            FederationLevel::City => (
                Some(skewed(r, 500, 5_000, 1.8)),
                Some(skewed(r, 100, 1_500, 1.8)),
                r.range(120, 300),
            ),
            FederationLevel::County => (
                Some(skewed(r, 100, 1_500, 2.0)),
                Some(skewed(r, 20, 500, 2.0)),
                r.range(50, 150),
            ),
        };
        draft.members_unit = unit;
        draft.members_individual = individual;
        draft.members_total = unit.zip(individual).map(|(u, i)| u + i);
        draft.council_size = Some(council);
        draft.standing_council_size =
            Some(((council as f64) * r.uniform(0.25, 0.35)).round() as i64);
        draft.president = Some(person(r, province));
        draft.secretary_general = Some(person(r, province));
        self.out.push(SynthOrg { key, parent, draft });
        key
    }

    fn members(&self, r: &mut Rng, draft: &mut OrgDraft, unit: i64, individual: i64) {
        let total = unit + individual;
        let council = ((total as f64 * r.uniform(0.15, 0.30)).round() as i64).max(5);
        let standing = ((council as f64 * r.uniform(0.20, 0.40)).round() as i64).max(1);
        draft.members_unit = Some(unit);
        draft.members_individual = Some(individual);
        draft.members_total = Some(total);
        draft.council_size = Some(council);
        draft.standing_council_size = Some(standing);
    }

    /// Party organisation: established in about three units out of four, the form by size.
    fn party(&self, r: &mut Rng, draft: &mut OrgDraft, total: i64, registered: bool) {
        let mut p = if registered { 0.80 } else { 0.55 };
        if total > 150 {
            p += 0.07;
        } else if total < 40 {
            p -= 0.10;
        }
        if r.chance(p) {
            let x = r.unit();
            let form = if total < 40 {
                if x < 0.6 {
                    PartyOrgForm::JointBranch
                } else {
                    PartyOrgForm::Branch
                }
            } else if total <= 200 {
                if x < 0.85 {
                    PartyOrgForm::Branch
                } else if x < 0.95 {
                    PartyOrgForm::JointBranch
                } else {
                    PartyOrgForm::GeneralBranch
                }
            } else if x < 0.3 {
                PartyOrgForm::Branch
            } else if x < 0.8 {
                PartyOrgForm::GeneralBranch
            } else {
                PartyOrgForm::Committee
            };
            draft.party_org = Some(true);
            draft.party_org_form = Some(form);
        } else {
            draft.party_org = Some(false);
            draft.party_org_reason = Some(r.pick(lists::PARTY_REASONS).to_string());
        }
    }

    /// `n` chambers under `place`, with names unique under it.
    fn chambers(&mut self, r: &mut Rng, place: &Place<'_>, n: usize) {
        let mut names: HashSet<String> = HashSet::with_capacity(n * 2);
        let mut used_industries: u128 = 0;
        let mut made = 0;
        // Township and street chambers, named after real townships.
        if matches!(place.tier, Tier::County | Tier::City) && !place.townships.is_empty() {
            let share = if place.tier == Tier::County {
                r.uniform(0.30, 0.55)
            } else {
                r.uniform(0.30, 0.50)
            };
            let k = ((n as f64 * share).round() as usize).min(place.townships.len());
            for i in r.sample_indices(place.townships.len(), k) {
                let t = &place.townships[i];
                let name = format!("{}{}商会", place.prefix, t.name);
                let category = if t.kind == TownshipKind::Street {
                    ChamberCategory::Street
                } else {
                    ChamberCategory::Township
                };
                if names.insert(name.clone()) {
                    self.chamber(r, place, category, name, t.code.clone());
                    made += 1;
                }
            }
        }
        let towns: Vec<&Spot<'_>> = place
            .townships
            .iter()
            .filter(|t| t.kind != TownshipKind::Street)
            .collect();
        let streets: Vec<&Spot<'_>> = place
            .townships
            .iter()
            .filter(|t| t.kind == TownshipKind::Street)
            .collect();
        let weights = category_weights(place.tier);
        let mut attempts = 0;
        while made < n && attempts < n * 50 {
            attempts += 1;
            let category = CATEGORY_ORDER[r.weighted(&weights)];
            let Some((name, code, industry)) =
                self.candidate(r, place, category, used_industries, &towns, &streets)
            else {
                continue;
            };
            if names.contains(&name) {
                continue;
            }
            names.insert(name.clone());
            if let Some(i) = industry {
                used_industries |= 1 << i;
            }
            self.chamber(r, place, category, name, code);
            made += 1;
        }
    }

    /// A name and division for a chamber of `category` under `place`, and the industry used.
    fn candidate(
        &self,
        r: &mut Rng,
        place: &Place<'_>,
        category: ChamberCategory,
        used_industries: u128,
        towns: &[&Spot<'_>],
        streets: &[&Spot<'_>],
    ) -> Option<(String, DivisionCode, Option<usize>)> {
        let own = &place.division.code;
        let prefix = place.prefix;
        let pick_industry = |r: &mut Rng| {
            let i = r.below(lists::INDUSTRIES.len());
            (used_industries & (1 << i) == 0).then_some(i)
        };
        Some(match category {
            ChamberCategory::Industry => {
                let i = pick_industry(r)?;
                let industry = lists::INDUSTRIES[i];
                let name = if !industry.ends_with('业') && r.chance(0.35) {
                    format!("{prefix}{industry}行业商会")
                } else {
                    format!("{prefix}{industry}商会")
                };
                (name, own.clone(), Some(i))
            }
            ChamberCategory::Hometown => {
                let o = self.origins.pick(r, place.tier, &own.as_str()[..6])?;
                (format!("{prefix}{}商会", o.short), own.clone(), None)
            }
            ChamberCategory::Village => {
                if towns.is_empty() {
                    return None;
                }
                let t = r.pick(towns);
                let name = format!(
                    "{prefix}{}{}{}村商会",
                    t.name,
                    r.pick(lists::VILLAGE_A),
                    r.pick(lists::VILLAGE_B)
                );
                (name, t.code.clone(), None)
            }
            ChamberCategory::Market => {
                if !towns.is_empty() && r.chance(0.4) {
                    // A town has a farmers' or small-goods market, not a car-parts city.
                    let market = r.pick(&lists::MARKETS[..lists::TOWN_MARKETS]);
                    let t = r.pick(towns);
                    (
                        format!("{prefix}{}{market}商会", t.name),
                        t.code.clone(),
                        None,
                    )
                } else {
                    let market = r.pick(lists::MARKETS);
                    (format!("{prefix}{market}商会"), own.clone(), None)
                }
            }
            // Office buildings are in towns with streets (or in a city).
            ChamberCategory::Building if streets.is_empty() && place.tier == Tier::County => {
                return None;
            }
            ChamberCategory::Building => {
                if !streets.is_empty() && r.chance(0.5) {
                    let t = r.pick(streets);
                    (format!("{prefix}{}楼宇商会", t.name), t.code.clone(), None)
                } else {
                    let b = r.pick(lists::BUILDINGS);
                    (format!("{prefix}{b}楼宇商会"), own.clone(), None)
                }
            }
            ChamberCategory::Park if place.tier == Tier::Park => {
                if r.chance(0.5) {
                    let g = r.pick(lists::PARK_GROUPS);
                    (format!("{prefix}{g}商会"), own.clone(), None)
                } else {
                    let i = pick_industry(r)?;
                    let industry = lists::INDUSTRIES[i];
                    (format!("{prefix}{industry}商会"), own.clone(), Some(i))
                }
            }
            ChamberCategory::Park => {
                if !place.parks.is_empty() && r.chance(0.6) {
                    let p = r.pick(&place.parks);
                    (format!("{}商会", p.name), p.code.clone(), None)
                } else {
                    let p = r.pick(lists::PARKS);
                    (format!("{prefix}{p}商会"), own.clone(), None)
                }
            }
            ChamberCategory::Township | ChamberCategory::Street => return None,
            ChamberCategory::Other => {
                let g = r.pick(lists::OTHER_GROUPS);
                (format!("{prefix}{g}商会"), own.clone(), None)
            }
        })
    }

    fn chamber(
        &mut self,
        r: &mut Rng,
        place: &Place<'_>,
        category: ChamberCategory,
        name: String,
        division: DivisionCode,
    ) {
        use ChamberCategory as C;
        let key = self.out.len();
        let today = self.today;
        let earliest = match category {
            C::Industry | C::Hometown | C::Other => ymd(1985, 1, 1),
            _ => ymd(1995, 1, 1),
        };
        let founded = skewed_date(
            r,
            earliest.max(place.parent_founded),
            ymd(2024, 12, 31).min(today),
            0.55,
        );
        let mut draft = blank(OrgKind::Chamber, name);
        draft.category = Some(category);
        draft.founded_on = Some(founded);

        // Registration with civil affairs.
        let mut p_registered = match category {
            C::Industry | C::Hometown => 0.93,
            C::Other => 0.86,
            C::Township | C::Park => 0.80,
            C::Street => 0.78,
            C::Market => 0.75,
            C::Building => 0.70,
            C::Village => 0.55,
        };
        let recent = (today - founded).num_days() < 365;
        if recent {
            p_registered *= 0.5;
        }
        let registered = r.chance(p_registered);
        draft.registered = Some(registered);
        if registered {
            let old_style = founded.year() < 2016;
            let org = organisation_code(key as u64, self.salt, old_style);
            let bad = r.chance(0.005);
            draft.uscc = Some(chamber_uscc(r, &division.as_str()[..6], &org, bad));
            if bad {
                draft.uscc_override_reason = Some(r.pick(lists::USCC_OVERRIDE_REASONS).to_string());
            }
        } else {
            let reason = if recent && r.chance(0.7) {
                "筹备中"
            } else {
                r.pick(lists::UNREGISTERED_REASONS)
            };
            draft.unregistered_reason = Some(reason.to_string());
        }

        // Members: 15 to 400 units, most chambers small; grassroots chambers smaller still,
        // provincial ones larger.
        let mut power = match place.tier {
            Tier::Province => 1.5,
            Tier::City => 2.0,
            Tier::County => 2.6,
            Tier::Park => 2.2,
        };
        if matches!(category, C::Township | C::Street | C::Village | C::Building) {
            power += 0.6;
        }
        let unit = skewed(r, 15, 400, power);
        let individual = if r.chance(0.3) {
            0
        } else {
            skewed(r, 1, 120, 2.0)
        };
        self.members(r, &mut draft, unit, individual);
        self.party(r, &mut draft, unit + individual, registered);

        let province = division.as_str();
        draft.president = Some(person(r, province));
        draft.secretary_general = Some(person(r, province));
        let last = last_reelection(r, founded, today, 0.19);
        draft.last_reelection = Some(last);
        if r.chance(0.01) {
            draft.status = OrgStatus::Dissolved;
            draft.dissolved_on = Some(date_in(r, last, today));
        }
        draft.division_code = Some(division);
        self.out.push(SynthOrg {
            key,
            parent: Some(place.parent),
            draft,
        });
    }
}

fn blank(kind: OrgKind, name: String) -> OrgDraft {
    OrgDraft {
        kind,
        level: None,
        name,
        uscc: None,
        uscc_override_reason: None,
        category: None,
        founded_on: None,
        division_code: None,
        registered: None,
        unregistered_reason: None,
        party_org: None,
        party_org_form: None,
        party_org_reason: None,
        members_unit: None,
        members_individual: None,
        members_total: None,
        council_size: None,
        standing_council_size: None,
        president: None,
        secretary_general: None,
        last_reelection: None,
        status: OrgStatus::Active,
        dissolved_on: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_names() {
        for s in Scale::ALL {
            assert_eq!(s.as_str().parse::<Scale>(), Ok(s));
            assert_eq!(s.to_string().parse::<Scale>(), Ok(s));
        }
        assert_eq!(" National ".parse::<Scale>(), Ok(Scale::National));
        assert!("city".parse::<Scale>().is_err());
    }

    #[test]
    fn organisation_codes_are_distinct_and_well_formed() {
        let mut seen = HashSet::new();
        for key in 0..20_000u64 {
            for old in [false, true] {
                let c = organisation_code(key, 12345, old);
                assert!(c.iter().all(|b| BASE31.contains(b)), "{c:?}");
                assert!(seen.insert(c));
            }
        }
        // GB 11714 check character: 5 + 0000000 → weights 3*5 = 15, 11 - 4 = 7.
        assert_eq!(&organisation_code(0, 0, true), b"500000007");
        assert_ne!(MJ_MULTIPLIER % 31, 0);
        assert!(M10_7.checked_mul(MJ_MULTIPLIER).is_some());
    }

    #[test]
    fn reelection_terms() {
        let mut r = Rng::stream(1, 1);
        let today = ymd(2025, 6, 1);
        assert_eq!(
            last_reelection(&mut r, ymd(2022, 3, 1), today, 0.0),
            ymd(2022, 3, 1)
        );
        for _ in 0..100 {
            let l = last_reelection(&mut r, ymd(2001, 3, 1), today, 0.0);
            assert!(l >= ymd(2021, 3, 1) && l <= today, "{l}");
            let l = last_reelection(&mut r, ymd(2001, 3, 1), today, 1.0);
            assert_eq!(l, ymd(2016, 3, 1));
        }
    }

    #[test]
    fn short_names() {
        assert_eq!(province_short("广西壮族自治区"), "广西");
        assert_eq!(province_short("新疆维吾尔自治区"), "新疆");
        assert_eq!(province_short("北京市"), "北京");
        assert_eq!(place_short("温州市"), Some("温州"));
        assert_eq!(place_short("阿克苏地区"), Some("阿克苏"));
        assert_eq!(place_short("延边朝鲜族自治州"), None);
        assert_eq!(clean_name("（工业园区）城南街道"), "城南街道");
    }
}
