//! Counting a measure for many nodes at once, over the year's universe from the store.
//!
//! Each condition is evaluated once per unit (or report), and only for those below a requested
//! node; each hit is added to every requested node above it (a hash lookup per ancestor).
//! Divisions are counted by prefix ranges over the per-level sorted lists of [`DivisionLists`]
//! (with cumulative counts per kind of row), so a node's denominator costs two binary searches.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;

use super::{
    Compiled, CompiledIndicator, DivisionRows, Filter, NoticeState, REGISTRY, ReportState, Within,
    check,
};
use crate::division::{Division, DivisionCode, DivisionIndex, DivisionLevel};
use crate::report::Answers;
use crate::rules::{OrgFacts, Outcome, Prepared};
use crate::template::{Template, Value};

/// A unit existing on 31 December of the year.
#[derive(Debug, Clone, Default)]
pub struct UnitRow {
    pub id: i64,
    /// Its ancestors on that date, the root first, itself left out.
    pub ancestors: Vec<i64>,
    /// Its registry facts on that date (`facts.division`: its 6- or 9-digit division code).
    pub facts: OrgFacts,
}

/// A unit's row in the year's campaign.
#[derive(Debug, Clone, Default)]
pub struct ReportRow {
    pub org_id: i64,
    /// The unit's ancestors, the root first, itself left out.
    pub ancestors: Vec<i64>,
    /// On the campaign's list of units expected to report.
    pub expected: bool,
    /// Submitted now.
    pub submitted: bool,
    /// Submitted, and first submitted by the deadline.
    pub on_time: bool,
    /// The answers of a submitted report.
    pub answers: Option<Answers>,
}

/// A rectification notice of the year's campaign.
#[derive(Debug, Clone, Default)]
pub struct NoticeRow {
    pub id: i64,
    pub org_id: i64,
    /// The unit's ancestors, the root first, itself left out.
    pub ancestors: Vec<i64>,
    pub closed: bool,
    /// Closed by the notice's deadline.
    pub closed_on_time: bool,
}

/// Everything a year's indicators count, loaded by the store.
#[derive(Debug, Clone, Copy)]
pub struct Universe<'a> {
    pub year: i32,
    /// Every unit existing on 31 December of the year (the nodes included: a node's division is
    /// its `facts.division`; a node without one, the national root, covers the whole country; a
    /// node not among the units covers no division).
    pub units: &'a [UnitRow],
    pub divisions: &'a DivisionLists,
    /// The template of the year's campaign, if there is one.
    pub template: Option<&'a Template>,
    pub reports: &'a [ReportRow],
    pub notices: &'a [NoticeRow],
}

/// A numerator over a denominator, as counted: what an exported list recounts.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Fraction {
    pub numerator: f64,
    pub denominator: f64,
}

impl Fraction {
    /// `numerator / denominator`, `None` when the denominator is 0. The indicator's value is this
    /// times its factor ([`super::Indicator::value`]).
    pub fn value(&self) -> Option<f64> {
        (self.denominator != 0.0)
            .then(|| self.numerator / self.denominator)
            .filter(|v| v.is_finite())
    }
}

/// The change of a numerator over last year's: `(this − last) / last`, as a fraction
/// (the increase over last year's count).
pub fn growth_fraction(this: Fraction, last: Fraction) -> Fraction {
    Fraction {
        numerator: this.numerator - last.numerator,
        denominator: last.numerator,
    }
}

/// `factor × (this − last) / last` of the numerators of two years' [`compute`], `None` when last
/// year's is 0.
pub fn growth(this: Fraction, last: Fraction, factor: f64) -> Option<f64> {
    growth_fraction(this, last).value().map(|v| v * factor)
}

// ---------------------------------------------------------------------------------------------
// Divisions by level, sorted.

const STATISTICAL: u8 = 1;
const PLACEHOLDER: u8 = 2;

#[derive(Debug, Clone, Default)]
pub(super) struct LevelList {
    codes: Vec<DivisionCode>,
    /// Index of each code by its digits as a number.
    by_number: HashMap<u64, u32, BuildHasherDefault<IdHasher>>,
    flags: Vec<u8>,
    /// For each [`DivisionRows`] (by position in `ALL`), the number of rows of that kind before
    /// each index (one more entry than codes).
    cum: [Vec<u32>; 3],
}

fn row_kind(rows: DivisionRows) -> usize {
    match rows {
        DivisionRows::Official => 0,
        DivisionRows::StatisticalOnly => 1,
        DivisionRows::All => 2,
    }
}

fn counts_as(flags: u8, rows: DivisionRows) -> bool {
    if flags & PLACEHOLDER != 0 {
        return false;
    }
    match rows {
        DivisionRows::Official => flags & STATISTICAL == 0,
        DivisionRows::StatisticalOnly => flags & STATISTICAL != 0,
        DivisionRows::All => true,
    }
}

impl LevelList {
    /// The indices of the codes starting with `prefix`.
    fn range(&self, prefix: &str) -> Range<usize> {
        let start = self.codes.partition_point(|c| c.as_str() < prefix);
        let len = self.codes[start..].partition_point(|c| c.as_str().starts_with(prefix));
        start..start + len
    }

    fn count(&self, r: Range<usize>, rows: DivisionRows) -> u32 {
        let cum = &self.cum[row_kind(rows)];
        cum[r.end] - cum[r.start]
    }

    fn position(&self, number: u64) -> Option<usize> {
        self.by_number.get(&number).map(|&i| i as usize)
    }
}

/// The divisions of each level sorted by code, with their kinds (official, statistical-only,
/// placeholder), for counting the divisions within a node's by a range. Built once from the
/// [`DivisionIndex`] (tens of milliseconds for the shipped 44,700) and kept beside it.
#[derive(Debug, Clone, Default)]
pub struct DivisionLists {
    levels: [LevelList; 4],
}

impl DivisionLists {
    pub fn new(index: &DivisionIndex) -> Self {
        Self::from_divisions(index.iter())
    }

    pub fn from_divisions<'a>(divisions: impl IntoIterator<Item = &'a Division>) -> Self {
        let mut rows: [Vec<(DivisionCode, u8)>; 4] = Default::default();
        for d in divisions {
            let flags =
                u8::from(d.statistical_only) * STATISTICAL + u8::from(d.placeholder) * PLACEHOLDER;
            rows[d.level as usize - 1].push((d.code.clone(), flags));
        }
        let levels = rows.map(|mut v| {
            v.sort_unstable();
            v.dedup_by(|a, b| a.0 == b.0);
            let mut l = LevelList::default();
            for (k, rows) in DivisionRows::ALL.iter().enumerate() {
                let mut n = 0u32;
                l.cum[k].push(0);
                for (_, f) in &v {
                    n += u32::from(counts_as(*f, *rows));
                    l.cum[k].push(n);
                }
            }
            (l.codes, l.flags) = v.into_iter().unzip();
            l.by_number = l
                .codes
                .iter()
                .enumerate()
                .filter_map(|(i, c)| Some((c.as_str().parse().ok()?, i as u32)))
                .collect();
            l
        });
        DivisionLists { levels }
    }

    pub(super) fn level(&self, level: DivisionLevel) -> &LevelList {
        &self.levels[level as usize - 1]
    }

    /// How many divisions of `level` and `rows` lie within the division of code `prefix`'s
    /// digits (`35` a province, `3501` a city, `""` the country).
    pub fn count_within(&self, level: DivisionLevel, rows: DivisionRows, prefix: &str) -> usize {
        let l = self.level(level);
        l.count(l.range(prefix), rows) as usize
    }
}

// ---------------------------------------------------------------------------------------------
// Nodes.

/// A multiplicative hash for ids: the nodes' map is looked up once per ancestor of every unit.
#[derive(Debug, Default)]
pub(super) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_i64(i64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.write_i64(n as i64);
    }
    fn write_i64(&mut self, n: i64) {
        let h = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ (h >> 31);
    }
}

pub(super) type IdMap<V> = HashMap<i64, V, BuildHasherDefault<IdHasher>>;

/// The requested nodes: distinct ids by index, and their regions once asked for.
#[derive(Debug, Clone)]
pub(super) struct Nodes {
    pub(super) index: IdMap<u32>,
    pub(super) ids: Vec<i64>,
    /// [`Nodes::regions`] by [`Within`] (node, province).
    regions: [std::sync::OnceLock<Vec<Option<String>>>; 2],
}

impl Nodes {
    pub(super) fn new(nodes: &[i64]) -> Self {
        let mut index = IdMap::default();
        index.reserve(nodes.len());
        let mut ids = Vec::with_capacity(nodes.len());
        for &n in nodes {
            index.entry(n).or_insert_with(|| {
                ids.push(n);
                (ids.len() - 1) as u32
            });
        }
        Nodes {
            index,
            ids,
            regions: Default::default(),
        }
    }

    /// The requested nodes among `ancestors` (and `own`, for rows counted at the node itself).
    fn hits(&self, ancestors: &[i64], own: Option<i64>, out: &mut Vec<u32>) {
        out.clear();
        for a in ancestors.iter().chain(own.as_ref()) {
            if let Some(&i) = self.index.get(a) {
                out.push(i);
            }
        }
    }

    /// Each node's division prefix for `within`: `None` for a node not among the units, `""` for
    /// one without a division (the whole country).
    pub(super) fn regions(&self, u: &Universe<'_>, within: Within) -> &[Option<String>] {
        let cell = &self.regions[usize::from(within == Within::Province)];
        cell.get_or_init(|| {
            let mut out = vec![None; self.ids.len()];
            for unit in u.units {
                if let Some(&i) = self.index.get(&unit.id) {
                    out[i as usize] = Some(region(unit.facts.division.as_deref(), within));
                }
            }
            out
        })
    }
}

/// The prefix of the codes within a node's division: 2 digits for a province, 4 for a city, 6 for
/// a county, 9 for a township; with [`Within::Province`], the province's 2. A code that does not
/// parse covers nothing (`"x"` starts no code).
pub(super) fn region(division: Option<&str>, within: Within) -> String {
    let Some(s) = division.map(crate::value::trim).filter(|s| !s.is_empty()) else {
        return String::new();
    };
    let Ok(code) = DivisionCode::parse(s) else {
        return "x".into();
    };
    let s = code.as_str();
    let n = match (within, code.level()) {
        (Within::Province, _) | (_, DivisionLevel::Province) => 2,
        (_, DivisionLevel::City) => 4,
        (_, DivisionLevel::County) => 6,
        (_, DivisionLevel::Township) => 9,
    };
    s[..n].to_string()
}

/// The code at `level` of the division a unit's code lies in (`350102001` at county level:
/// `350102`), as a number; `None` if its code is not that fine or not a code.
fn code_at(code: &str, level: DivisionLevel) -> Option<u64> {
    let b = code.as_bytes();
    if !(b.len() == 6 || b.len() == 9) || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let (keep, len) = match level {
        DivisionLevel::Province => (2, 6),
        DivisionLevel::City => (4, 6),
        DivisionLevel::County => (6, 6),
        DivisionLevel::Township => (9, 9),
    };
    if b.len() < keep {
        return None;
    }
    // A county's code is not a city's or a province's (`350100` is the city).
    if level == DivisionLevel::County && b[4..6] == *b"00" {
        return None;
    }
    let prefix = b[..keep]
        .iter()
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    Some(prefix * 10u64.pow((len - keep) as u32))
}

// ---------------------------------------------------------------------------------------------
// Conditions.

pub(super) static NO_ANSWERS: Answers = Answers::new();

/// The registry's enumerations of a unit, 4 bits each (0: unknown).
fn enum_key(f: &OrgFacts) -> u32 {
    fn v<T: Copy>(x: Option<T>, index: impl Fn(T) -> u32) -> u32 {
        x.map_or(0, |x| index(x) + 1)
    }
    [
        v(f.kind, |k| k as u32),
        v(f.level, |l| l as u32),
        v(f.category, |c| c as u32),
        v(f.registered, u32::from),
        v(f.party_org, u32::from),
        v(f.party_org_form, |p| p as u32),
        v(f.status, |s| s as u32),
    ]
    .iter()
    .fold(0, |key, &x| (key << 4) | x)
}

/// Outcomes of a condition on the registry's enumerations, by [`enum_key`], for one year.
#[derive(Default)]
struct Memo(HashMap<u32, bool, BuildHasherDefault<IdHasher>>);

/// Whether a unit matches a condition on units.
fn unit_passes(f: &Filter, facts: &OrgFacts, year: i32, memo: &mut Memo) -> bool {
    let eval = |r: &crate::rules::CompiledRule| {
        let p = Prepared::new(&REGISTRY, &NO_ANSWERS, None, facts, year);
        r.eval(&p) == Outcome::Pass
    };
    match f {
        Filter::All => true,
        Filter::Never => false,
        Filter::Rule(r, true) => *memo.0.entry(enum_key(facts)).or_insert_with(|| eval(r)),
        Filter::Rule(r, false) => eval(r),
    }
}

/// What a condition on reports needs: the template and the reporting units' facts.
struct ReportCtx<'a> {
    template: Option<&'a Template>,
    facts: IdMap<&'a OrgFacts>,
    year: i32,
}

impl<'a> ReportCtx<'a> {
    fn new(u: &Universe<'a>, needed: bool) -> Self {
        let mut facts = IdMap::default();
        if needed {
            facts.reserve(u.units.len());
            for unit in u.units {
                facts.insert(unit.id, &unit.facts);
            }
        }
        ReportCtx {
            template: u.template,
            facts,
            year: u.year,
        }
    }

    fn passes(&self, f: &Filter, r: &ReportRow) -> bool {
        match f {
            Filter::All => true,
            Filter::Never => false,
            Filter::Rule(rule, _) => {
                let Some(t) = self.template else {
                    return false;
                };
                let unknown = OrgFacts::default();
                let facts = self.facts.get(&r.org_id).copied().unwrap_or(&unknown);
                let answers = r.answers.as_ref().unwrap_or(&NO_ANSWERS);
                let p = Prepared::new(t, answers, None, facts, self.year);
                rule.eval(&p) == Outcome::Pass
            }
        }
    }
}

fn report_in_state(state: ReportState, r: &ReportRow) -> bool {
    match state {
        ReportState::Expected => r.expected,
        ReportState::Submitted => r.expected && r.submitted,
        ReportState::OnTime => r.expected && r.submitted && r.on_time,
    }
}

fn notice_in_state(state: NoticeState, n: &NoticeRow) -> bool {
    match state {
        NoticeState::Issued => true,
        NoticeState::Closed => n.closed,
        NoticeState::ClosedOnTime => n.closed && n.closed_on_time,
    }
}

fn item_number(answers: Option<&Answers>, item: &str) -> f64 {
    match answers.and_then(|a| a.get(item)) {
        Some(Value::Integer(i)) => *i as f64,
        Some(Value::Decimal(d)) if d.is_finite() => *d,
        _ => 0.0,
    }
}

fn needs_facts(f: &Filter) -> bool {
    matches!(f, Filter::Rule(..))
}

// ---------------------------------------------------------------------------------------------
// Counting.

/// The indicator compiled for the universe's template: recompiled when it was compiled against
/// another; conditions that do not compile against it count nothing.
pub(super) fn aligned<'c>(
    ci: &'c CompiledIndicator,
    u: &Universe<'_>,
) -> Cow<'c, CompiledIndicator> {
    match u.template {
        Some(t) if ci.uses_template() && !ci.compiled_for(t) => match check(&ci.indicator, t) {
            Ok(c) => Cow::Owned(c),
            Err(_) => {
                let never = |m: &Compiled| match m {
                    Compiled::ItemSum { item, .. } => Compiled::ItemSum {
                        item: item.clone(),
                        filter: Filter::Never,
                    },
                    Compiled::Reports { state, .. } => Compiled::Reports {
                        state: *state,
                        filter: Filter::Never,
                    },
                    other => other.clone(),
                };
                Cow::Owned(CompiledIndicator {
                    indicator: ci.indicator.clone(),
                    numerator: never(&ci.numerator),
                    denominator: ci.denominator.as_ref().map(never),
                    template: (t.form_id.clone(), t.version),
                })
            }
        },
        _ => Cow::Borrowed(ci),
    }
}

/// A measure for every requested node, by node index.
pub(super) fn count(m: &Compiled, u: &Universe<'_>, nodes: &Nodes) -> Vec<f64> {
    let n = nodes.ids.len();
    let mut out = vec![0.0; n];
    let mut hits = Vec::with_capacity(8);
    match m {
        Compiled::Units(f) => {
            let mut memo = Memo::default();
            for unit in u.units {
                nodes.hits(&unit.ancestors, None, &mut hits);
                if !hits.is_empty() && unit_passes(f, &unit.facts, u.year, &mut memo) {
                    for &i in &hits {
                        out[i as usize] += 1.0;
                    }
                }
            }
        }
        Compiled::Divisions {
            level,
            rows,
            within,
            having,
        } => {
            let list = u.divisions.level(*level);
            let regions = nodes.regions(u, *within);
            match having {
                None => {
                    for (o, r) in out.iter_mut().zip(regions) {
                        if let Some(prefix) = r {
                            *o = f64::from(list.count(list.range(prefix), *rows));
                        }
                    }
                }
                Some(f) => {
                    let mut pairs = covered(u, nodes, list, *level, *rows, regions, f);
                    pairs.sort_unstable();
                    pairs.dedup();
                    for p in pairs {
                        out[(p >> 32) as usize] += 1.0;
                    }
                }
            }
        }
        Compiled::ItemSum { item, filter } => {
            let ctx = ReportCtx::new(u, needs_facts(filter));
            for r in u.reports {
                if !report_in_state(ReportState::Submitted, r) {
                    continue;
                }
                nodes.hits(&r.ancestors, Some(r.org_id), &mut hits);
                if hits.is_empty() {
                    continue;
                }
                let x = item_number(r.answers.as_ref(), item);
                if x != 0.0 && ctx.passes(filter, r) {
                    for &i in &hits {
                        out[i as usize] += x;
                    }
                }
            }
        }
        Compiled::Reports { state, filter } => {
            let ctx = ReportCtx::new(u, needs_facts(filter));
            for r in u.reports {
                if !report_in_state(*state, r) {
                    continue;
                }
                nodes.hits(&r.ancestors, Some(r.org_id), &mut hits);
                if !hits.is_empty() && ctx.passes(filter, r) {
                    for &i in &hits {
                        out[i as usize] += 1.0;
                    }
                }
            }
        }
        Compiled::Notices { state } => {
            for notice in u.notices {
                if notice_in_state(*state, notice) {
                    nodes.hits(&notice.ancestors, Some(notice.org_id), &mut hits);
                    for &i in &hits {
                        out[i as usize] += 1.0;
                    }
                }
            }
        }
    }
    out
}

/// The (node index, division index) pairs, packed in a `u64`, of the divisions of `rows` within
/// each node's region where a unit below the node matching `f` sits. Repeats are left in.
pub(super) fn covered(
    u: &Universe<'_>,
    nodes: &Nodes,
    list: &LevelList,
    level: DivisionLevel,
    rows: DivisionRows,
    regions: &[Option<String>],
    f: &Filter,
) -> Vec<u64> {
    let mut pairs = Vec::new();
    let mut hits = Vec::with_capacity(8);
    let mut memo = Memo::default();
    for unit in u.units {
        nodes.hits(&unit.ancestors, None, &mut hits);
        if hits.is_empty() {
            continue;
        }
        let Some(code) = unit
            .facts
            .division
            .as_deref()
            .and_then(|d| code_at(crate::value::trim(d), level))
        else {
            continue;
        };
        let Some(d) = list
            .position(code)
            .filter(|&d| counts_as(list.flags[d], rows))
        else {
            continue;
        };
        let code = list.codes[d].as_str();
        let mut matched = None;
        for &i in &hits {
            if regions[i as usize]
                .as_deref()
                .is_some_and(|p| code.starts_with(p))
            {
                if *matched.get_or_insert_with(|| unit_passes(f, &unit.facts, u.year, &mut memo)) {
                    pairs.push((u64::from(i) << 32) | d as u64);
                } else {
                    break;
                }
            }
        }
    }
    pairs
}

/// The indicator's numerator and denominator for each of `nodes` (in their order), for the year
/// of `u`. For a [`super::Compare::Growth`] indicator the numerator is the year's measure and
/// the denominator 0: combine two years with [`compute_growth`] or [`growth`].
///
/// Units count strictly below a node; reports and notices at or below it (a node's own report
/// counts, as on the campaign pages); divisions within the node's division.
pub fn compute(ci: &CompiledIndicator, u: &Universe<'_>, nodes: &[i64]) -> Vec<Fraction> {
    let ci = aligned(ci, u);
    let set = Nodes::new(nodes);
    let num = count(&ci.numerator, u, &set);
    let den = match &ci.denominator {
        Some(d) => count(d, u, &set),
        None => vec![0.0; set.ids.len()],
    };
    nodes
        .iter()
        .map(|id| {
            let i = set.index[id] as usize;
            Fraction {
                numerator: num[i],
                denominator: den[i],
            }
        })
        .collect()
}

/// The growth of the numerator from `last_year` to `this_year` for each of `nodes`:
/// [`growth_fraction`] of the two years' [`compute`].
pub fn compute_growth(
    ci: &CompiledIndicator,
    this_year: &Universe<'_>,
    last_year: &Universe<'_>,
    nodes: &[i64],
) -> Vec<Fraction> {
    compute(ci, this_year, nodes)
        .into_iter()
        .zip(compute(ci, last_year, nodes))
        .map(|(this, last)| growth_fraction(this, last))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Who misses.

/// The units a measure of units or reports counts for `node`, in the universe's order.
fn unit_members(m: &Compiled, u: &Universe<'_>, node: i64) -> Option<Vec<i64>> {
    match m {
        Compiled::Units(f) => {
            let mut memo = Memo::default();
            Some(
                u.units
                    .iter()
                    .filter(|x| {
                        x.ancestors.contains(&node) && unit_passes(f, &x.facts, u.year, &mut memo)
                    })
                    .map(|x| x.id)
                    .collect(),
            )
        }
        Compiled::Reports { state, filter } => {
            let ctx = ReportCtx::new(u, needs_facts(filter));
            Some(
                u.reports
                    .iter()
                    .filter(|r| {
                        (r.org_id == node || r.ancestors.contains(&node))
                            && report_in_state(*state, r)
                            && ctx.passes(filter, r)
                    })
                    .map(|r| r.org_id)
                    .collect(),
            )
        }
        _ => None,
    }
}

/// The units counted in the denominator for `node` but not in the numerator: for an indicator
/// whose numerator and denominator both count units (chambers without a party organisation) or
/// both count reports (units expected that have not submitted). Empty for other indicators.
///
/// The number listed is the denominator less the numerator whenever the numerator counts a part
/// of the denominator, as every built-in does (their numerators repeat the denominators'
/// conditions).
pub fn missing_units(ci: &CompiledIndicator, u: &Universe<'_>, node: i64) -> Vec<i64> {
    let ci = aligned(ci, u);
    let Some(den) = &ci.denominator else {
        return Vec::new();
    };
    let same = matches!(
        (&ci.numerator, den),
        (Compiled::Units(_), Compiled::Units(_))
            | (Compiled::Reports { .. }, Compiled::Reports { .. })
    );
    if !same {
        return Vec::new();
    }
    let (Some(num), Some(den)) = (
        unit_members(&ci.numerator, u, node),
        unit_members(den, u, node),
    ) else {
        return Vec::new();
    };
    let num: BTreeSet<i64> = num.into_iter().collect();
    den.into_iter().filter(|id| !num.contains(id)).collect()
}

/// The notices counted in the denominator for `node` but not in the numerator (notices not yet
/// closed, for the closure rate), by id in the universe's order. Empty unless both count
/// notices.
pub fn missing_notices(ci: &CompiledIndicator, u: &Universe<'_>, node: i64) -> Vec<i64> {
    let (Compiled::Notices { state: num }, Some(Compiled::Notices { state: den })) =
        (&ci.numerator, &ci.denominator)
    else {
        return Vec::new();
    };
    u.notices
        .iter()
        .filter(|n| {
            (n.org_id == node || n.ancestors.contains(&node))
                && notice_in_state(*den, n)
                && !notice_in_state(*num, n)
        })
        .map(|n| n.id)
        .collect()
}

/// The divisions a measure of divisions counts for `node`.
fn division_members(m: &Compiled, u: &Universe<'_>, node: i64) -> BTreeSet<DivisionCode> {
    let Compiled::Divisions {
        level,
        rows,
        within,
        having,
    } = m
    else {
        return BTreeSet::new();
    };
    let nodes = Nodes::new(&[node]);
    let regions = nodes.regions(u, *within);
    let Some(prefix) = &regions[0] else {
        return BTreeSet::new();
    };
    let list = u.divisions.level(*level);
    match having {
        None => list
            .range(prefix)
            .filter(|&d| counts_as(list.flags[d], *rows))
            .map(|d| list.codes[d].clone())
            .collect(),
        Some(f) => covered(u, &nodes, list, *level, *rows, regions, f)
            .into_iter()
            .map(|p| list.codes[(p & 0xffff_ffff) as usize].clone())
            .collect(),
    }
}

/// The divisions counted in the denominator for `node` but not in the numerator (townships
/// without a township or street chamber), by code. Empty unless both count divisions.
pub fn missing_divisions(ci: &CompiledIndicator, u: &Universe<'_>, node: i64) -> Vec<DivisionCode> {
    let (Compiled::Divisions { .. }, Some(den @ Compiled::Divisions { .. })) =
        (&ci.numerator, &ci.denominator)
    else {
        return Vec::new();
    };
    let num = division_members(&ci.numerator, u, node);
    division_members(den, u, node)
        .into_iter()
        .filter(|d| !num.contains(d))
        .collect()
}
