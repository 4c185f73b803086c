//! Annual reports (年报) of the generated chambers, year after year, as answers to the sample
//! template (`shanghui_core::template::sample()`), with faults planted on purpose at documented
//! rates ([`FAULT_RATES`]) so that review (issue 5) has something to find and a test can check
//! that what is found is what was planted.
//!
//! How the years hang together. Given the `today` the registry was generated for (the one given
//! to [`crate::generate`]), a registry record describes its chamber at the end of the year before,
//! the *registry year*: the last year whose reports are being filed. A report of that year agrees
//! with the record (category, registration, credit code, party organisation, members, council);
//! other years are reached from it by yearly factors (members grow a few per cent a year, income
//! by a little more), going backwards or forwards. Each year's factors come from a stream keyed by
//! (seed, chamber key, year), so any year can be computed alone: a year generated alone equals the
//! same year within a range. Nothing is submitted after `today`: a report that would be is not
//! submitted yet.
//!
//! What an unfaulted report never shows: a broken sum, a council larger than the membership,
//! dues above income, a year without a general assembly or with fewer than two council meetings,
//! an overdue re-election, a party-organisation form at odds with 是否建立党组织, spending above
//! 1.5 × income, a fall of members by more than 30% or a change of income by more than ×3 from
//! the year before, a party organisation gone since last year, a thin rectification report, and
//! none of the sample's warnings either (no staff, no political study, no service events, no
//! financial rules). A faulted report shows exactly the problems named in its `faults`, and is
//! still readable by the template: every value has its type and lies within the items' bounds.

use std::ops::RangeInclusive;

use chrono::{Datelike, Days, Months, NaiveDate};
use shanghui_core::report::Answers;
use shanghui_core::template::{Item, Template, Value};
use shanghui_core::{ChamberCategory, OrgDraft, OrgKind, OrgStatus, PartyOrgForm};

use crate::rng::Rng;
use crate::{SynthOrg, lists, skewed_date, ymd};

// ---------------------------------------------------------------------------------------------
// Faults and their rates.

/// A fault planted on purpose, so that review (issue 5) has something to find at known rates.
/// Each names the condition a checker sees in the answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// `members_total ≠ members_unit + members_individual`: one of the parts is off by a few
    /// (the total is right, so the cross-year comparisons stay meaningful).
    MembersSumMismatch,
    /// `council_size > members_total`.
    CouncilAboveMembers,
    /// `dues_income > income_total`.
    DuesAboveIncome,
    /// `general_assembly = 0` (less than one general assembly in the year).
    NoGeneralAssembly,
    /// `council_meetings = 0` (less than one council meeting in the year).
    NoCouncilMeeting,
    /// `last_reelection + 5 years < 31 December` of the report's year. Not drawn per report: an
    /// overdue re-election lasts, and the registry already holds chambers that missed theirs. The
    /// history of each chamber's re-elections (most held on time, some months or years late)
    /// decides, and every report of a year in which one is overdue carries this fault.
    ReelectionOverdue,
    /// `party_org = 否` with a form other than 未建立, or `party_org = 是` with 未建立.
    PartyFormInconsistent,
    /// `expense_total > 1.5 × income_total`.
    ExpenseOverIncome,
    /// `members_total` below 70% of last year's report (a fall of more than 30%). Planted as a
    /// real fall that lasts, so the year after compares normally.
    MembersDrop,
    /// `income_total` more than three times last year's, or less than a third of it. Planted as
    /// a lasting change, like [`Fault::MembersDrop`].
    IncomeSwing,
    /// `party_org = 否` where last year's report said 是 (for that one year).
    PartyOrgDropped,
    /// `prior_inspection ≠ 合格` with a rectification report shorter than
    /// [`THIN_REPORT_CHARS`] characters (已整改, 略 …).
    ThinRectification,
}

impl Fault {
    pub const ALL: &'static [Fault] = &[
        Fault::MembersSumMismatch,
        Fault::CouncilAboveMembers,
        Fault::DuesAboveIncome,
        Fault::NoGeneralAssembly,
        Fault::NoCouncilMeeting,
        Fault::ReelectionOverdue,
        Fault::PartyFormInconsistent,
        Fault::ExpenseOverIncome,
        Fault::MembersDrop,
        Fault::IncomeSwing,
        Fault::PartyOrgDropped,
        Fault::ThinRectification,
    ];

    /// A stable snake_case code (for logs, files and tests).
    pub fn code(self) -> &'static str {
        match self {
            Fault::MembersSumMismatch => "members_sum_mismatch",
            Fault::CouncilAboveMembers => "council_above_members",
            Fault::DuesAboveIncome => "dues_above_income",
            Fault::NoGeneralAssembly => "no_general_assembly",
            Fault::NoCouncilMeeting => "no_council_meeting",
            Fault::ReelectionOverdue => "reelection_overdue",
            Fault::PartyFormInconsistent => "party_form_inconsistent",
            Fault::ExpenseOverIncome => "expense_over_income",
            Fault::MembersDrop => "members_drop",
            Fault::IncomeSwing => "income_swing",
            Fault::PartyOrgDropped => "party_org_dropped",
            Fault::ThinRectification => "thin_rectification",
        }
    }

    /// The severity the sample template (ANNUAL_REPORT_TEMPLATE.md) gives the rule it breaks:
    /// `error`, `finding` or `warning`.
    pub fn severity(self) -> &'static str {
        match self {
            Fault::MembersSumMismatch
            | Fault::CouncilAboveMembers
            | Fault::DuesAboveIncome
            | Fault::PartyFormInconsistent => "error",
            Fault::NoGeneralAssembly
            | Fault::NoCouncilMeeting
            | Fault::ReelectionOverdue
            | Fault::ThinRectification => "finding",
            Fault::ExpenseOverIncome
            | Fault::MembersDrop
            | Fault::IncomeSwing
            | Fault::PartyOrgDropped => "warning",
        }
    }

    /// Whether the fault compares with last year's report of the same chamber, and so can only
    /// occur in a report whose chamber filed the year before.
    pub fn cross_year(self) -> bool {
        matches!(
            self,
            Fault::MembersDrop | Fault::IncomeSwing | Fault::PartyOrgDropped
        )
    }

    /// How often it is planted ([`FAULT_RATES`]), per mille.
    pub fn per_mille(self) -> u32 {
        FAULT_RATES
            .iter()
            .find(|r| r.fault == self)
            .map_or(0, |r| r.per_mille)
    }
}

/// How often a fault is planted: per mille of the filed reports where it can occur. That is all
/// filed reports, except: the cross-year faults, among reports whose chamber filed the year
/// before ([`Fault::PartyOrgDropped`]: and had a party organisation then);
/// [`Fault::ThinRectification`], among reports with `prior_inspection ≠ 合格`;
/// [`Fault::ReelectionOverdue`] is not drawn: its figure is the share the re-election history
/// gives (national, seed 42: 111‰ to 120‰ a year in 2020–2023, 135‰ in the registry year).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultRate {
    pub fault: Fault,
    pub per_mille: u32,
}

/// The documented planting rates, in the order of [`Fault::ALL`]. Each is drawn on its own for
/// every report (independently of the others).
pub const FAULT_RATES: &[FaultRate] = &[
    FaultRate {
        fault: Fault::MembersSumMismatch,
        per_mille: 30,
    },
    FaultRate {
        fault: Fault::CouncilAboveMembers,
        per_mille: 10,
    },
    FaultRate {
        fault: Fault::DuesAboveIncome,
        per_mille: 20,
    },
    FaultRate {
        fault: Fault::NoGeneralAssembly,
        per_mille: 50,
    },
    FaultRate {
        fault: Fault::NoCouncilMeeting,
        per_mille: 30,
    },
    FaultRate {
        fault: Fault::ReelectionOverdue,
        per_mille: 120,
    },
    FaultRate {
        fault: Fault::PartyFormInconsistent,
        per_mille: 15,
    },
    FaultRate {
        fault: Fault::ExpenseOverIncome,
        per_mille: 30,
    },
    FaultRate {
        fault: Fault::MembersDrop,
        per_mille: 20,
    },
    FaultRate {
        fault: Fault::IncomeSwing,
        per_mille: 20,
    },
    FaultRate {
        fault: Fault::PartyOrgDropped,
        per_mille: 15,
    },
    FaultRate {
        fault: Fault::ThinRectification,
        per_mille: 200,
    },
];

/// A rectification report shorter than this (in characters) is thin.
pub const THIN_REPORT_CHARS: usize = 10;

/// Share of the expected chambers that file a year's report, per mille.
pub const REPORTING_PER_MILLE: u32 = 960;
/// Share of the filed reports that come in after the deadline (June or July), per mille.
pub const LATE_PER_MILLE: u32 = 40;

/// Income (万元) from which an unfaulted report is always audited: the sample's audit rule names
/// "a threshold" without fixing it, so the data stay clear of any threshold up to this one.
pub const AUDIT_THRESHOLD: f64 = 50.0;

/// The day filing opens for reports of `year`: 1 March of the year after.
pub fn opening(year: i32) -> NaiveDate {
    ymd(year + 1, 3, 1)
}

/// The deadline for reports of `year`: 31 May of the year after (STANDARDS.md §4).
pub fn deadline(year: i32) -> NaiveDate {
    ymd(year + 1, 5, 31)
}

/// The last day a late report of `year` is filed in the synthetic data.
pub fn late_until(year: i32) -> NaiveDate {
    ymd(year + 1, 7, 31)
}

fn chance(r: &mut Rng, per_mille: u32) -> bool {
    r.chance(f64::from(per_mille) / 1000.0)
}

// ---------------------------------------------------------------------------------------------
// The reports.

/// One chamber's report for one year.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthReport {
    /// The [`SynthOrg::key`] of the chamber.
    pub key: usize,
    /// The year the report is about (filed the year after).
    pub year: i32,
    /// Answers by item code; empty when the chamber did not report.
    pub answers: Answers,
    /// The faults planted, in the order of [`Fault::ALL`]; empty when it did not report.
    pub faults: Vec<Fault>,
    /// When it was submitted, on or before `today`; `None`: expected but not reported (or not
    /// yet, for a report that comes in after `today`).
    pub submitted_on: Option<NaiveDate>,
}

/// Every report of `years`: for each year in turn, one [`SynthReport`] for every chamber expected
/// to report (active, founded by the year's end), in key order; `submitted_on` is `None` for
/// those that did not. `today` is the one the registry was generated for: the records describe
/// the chambers at the end of the year before, and nothing is submitted after it.
///
/// About 3 kB a filed report: for the national registry, prefer [`ReportGen::year`] one year at a
/// time.
pub fn reports(
    orgs: &[SynthOrg],
    template: &Template,
    years: RangeInclusive<i32>,
    seed: u64,
    today: NaiveDate,
) -> Vec<SynthReport> {
    let g = ReportGen::new(template, seed, today);
    years.flat_map(|y| g.year(orgs, y)).collect()
}

/// The report generator: the template, the seed and the registry's `today`.
#[derive(Debug, Clone)]
pub struct ReportGen<'t> {
    template: &'t Template,
    seed: u64,
    today: NaiveDate,
    registry_year: i32,
    /// The template's conditional items: an answer is kept only when its item applies.
    conditional: Vec<&'t Item>,
    /// Whether some item written here is not in the template (such answers are dropped).
    foreign: bool,
}

/// The item codes written here: those of the sample template.
const CODES: &[&str] = &[
    "uscc",
    "category",
    "registered",
    "registered_reason",
    "members_total",
    "members_unit",
    "members_individual",
    "council_size",
    "staff_fulltime",
    "party_org",
    "party_org_form",
    "party_org_reason",
    "party_instructor",
    "party_members",
    "party_in_charter",
    "political_study",
    "general_assembly",
    "council_meetings",
    "last_reelection",
    "finance_rules",
    "audited",
    "income_total",
    "expense_total",
    "dues_income",
    "service_events",
    "charity_amount",
    "prior_inspection",
    "rectification_report",
];

impl<'t> ReportGen<'t> {
    /// Answers are written for the sample template's items; for another template, items it does
    /// not have are left out and items unknown here are left empty. `today` as in [`reports`].
    pub fn new(template: &'t Template, seed: u64, today: NaiveDate) -> Self {
        ReportGen {
            template,
            seed,
            today,
            registry_year: today.year() - 1,
            conditional: template
                .items
                .iter()
                .filter(|i| i.relevant.is_some())
                .collect(),
            foreign: CODES.iter().any(|c| template.item(c).is_none()),
        }
    }

    /// The reports of `year`, one for each chamber expected to report, in key order.
    pub fn year<'a>(
        &'a self,
        orgs: &'a [SynthOrg],
        year: i32,
    ) -> impl Iterator<Item = SynthReport> + 'a {
        orgs.iter().filter_map(move |o| self.report(o, year))
    }

    /// The report of one unit for one year: `None` when it is not expected to report (not an
    /// active chamber, or founded after the year's end).
    pub fn report(&self, org: &SynthOrg, year: i32) -> Option<SynthReport> {
        let p = Profile::new(org, self.seed, self.registry_year)?;
        if p.founded.year() > year {
            return None;
        }
        let courses = Courses::new(&p, self.seed, year);
        let mut report = SynthReport {
            key: org.key,
            year,
            answers: Answers::new(),
            faults: Vec::new(),
            submitted_on: None,
        };
        if !courses.files(year) {
            return Some(report);
        }
        let mut r = stream(self.seed, org.key, year, Tag::Content);
        let on = submitted_on(&mut r, year, courses.get(year).late);
        if on > self.today {
            return Some(report);
        }
        report.submitted_on = Some(on);
        let (sheet, faults) = fill(&p, &courses, year, &mut r);
        report.answers = self.answers(&p, &sheet);
        report.faults = faults;
        Some(report)
    }

    fn answers(&self, p: &Profile<'_>, s: &Sheet) -> Answers {
        let mut a = s.answers(p);
        if self.foreign {
            a.retain(|code, _| self.template.item(code).is_some());
        }
        for item in &self.conditional {
            if !self.template.applies(item, &a) {
                a.remove(&item.code);
            }
        }
        a
    }
}

/// Between the opening and the deadline, more of them near the deadline; late ones in June and
/// July.
fn submitted_on(r: &mut Rng, year: i32, late: bool) -> NaiveDate {
    if late {
        skewed_date(r, deadline(year) + Days::new(1), late_until(year), 1.0)
    } else {
        skewed_date(r, opening(year), deadline(year), 0.6)
    }
}

// ---------------------------------------------------------------------------------------------
// Random streams: one per chamber, two per chamber and year, one per chamber and re-election.

#[derive(Clone, Copy)]
enum Tag {
    /// What stays with a chamber over the years (income scale, party-member share …).
    Chamber = 1,
    /// The year's draws that shape other years too (growth, filing, lasting changes).
    Course = 2,
    /// The year's own answers and faults.
    Content = 3,
    /// When a re-election is held (keyed by its number instead of a year).
    Election = 4,
}

/// Kept apart from the registry's streams, which are keyed by division codes.
const SALT: u64 = 0x4e49_414e_4255_4f42;

fn stream(seed: u64, key: usize, year: i32, tag: Tag) -> Rng {
    // key < 10^7 < 2^24 fits above the year's 16 bits and the tag's 4.
    let year = u64::from(year as u16);
    Rng::stream(seed ^ SALT, ((key as u64) << 24) | (year << 4) | tag as u64)
}

/// A factor near the middle of `lo..hi` (the mean of two uniform draws).
fn factor(r: &mut Rng, lo: f64, hi: f64) -> f64 {
    (r.uniform(lo, hi) + r.uniform(lo, hi)) / 2.0
}

// ---------------------------------------------------------------------------------------------
// A chamber: its registry record and what stays with it over the years.

struct Profile<'o> {
    seed: u64,
    key: usize,
    draft: &'o OrgDraft,
    category: ChamberCategory,
    founded: NaiveDate,
    registry_year: i32,
    /// Registry figures (at the end of the registry year).
    unit: f64,
    individual: f64,
    total: f64,
    council: f64,
    /// The first year with a party organisation (`i32::MAX`: none in sight).
    party_since: i32,
    party_share: f64,
    party_members_without: i64,
    in_charter: bool,
    instructor: bool,
    party_reason: &'o str,
    /// Income at the end of the registry year, 万元.
    income: f64,
    dues_share: f64,
    staff: i64,
    audits: bool,
    /// How late the next re-election after the registry's is held.
    election_delay: Days,
}

impl<'o> Profile<'o> {
    /// `None` for anything but an active chamber with the registry figures a chamber has.
    fn new(org: &'o SynthOrg, seed: u64, registry_year: i32) -> Option<Self> {
        let d = &org.draft;
        if d.kind != OrgKind::Chamber || d.status != OrgStatus::Active {
            return None;
        }
        let (unit, individual) = (d.members_unit? as f64, d.members_individual? as f64);
        let total = unit + individual;
        let mut r = stream(seed, org.key, 0, Tag::Chamber);
        let party = d.party_org == Some(true);
        // A quarter of the party organisations are recent (the party-building drive); half of
        // the chambers without one set one up within some years.
        let party_since = if party {
            if r.chance(0.25) {
                registry_year - r.below(6) as i32
            } else {
                i32::MIN
            }
        } else if r.chance(0.5) {
            registry_year + 1 + r.below(8) as i32
        } else {
            i32::MAX
        };
        let category = d.category.unwrap_or(ChamberCategory::Other);
        let any_reason = *r.pick(lists::PARTY_REASONS);
        Some(Profile {
            seed,
            key: org.key,
            draft: d,
            category,
            founded: d.founded_on?,
            registry_year,
            unit,
            individual,
            total,
            council: d.council_size.unwrap_or(5) as f64,
            party_since,
            party_share: r.uniform(0.03, 0.15),
            party_members_without: r.below(3) as i64,
            in_charter: r.chance(0.93),
            instructor: r.chance(0.7),
            party_reason: d.party_org_reason.as_deref().unwrap_or(any_reason),
            income: income_scale(category, total) * r.uniform(-0.7, 0.7).exp(),
            dues_share: r.uniform(0.3, 0.85),
            staff: (1 + (total / 80.0) as i64 + r.below(3) as i64).min(12),
            audits: r.chance(0.5),
            election_delay: Days::new(r.below(150) as u64),
        })
    }

    fn party_base(&self, year: i32) -> bool {
        year >= self.party_since
    }

    fn council(&self, total: i64) -> i64 {
        // In proportion to the membership: exactly the registry's in the registry year.
        let c = (self.council * total as f64 / self.total).round() as i64;
        c.clamp(total.min(5), total)
    }

    /// The party organisation's form: the registry's, or for one set up later, by size.
    fn form(&self, total: i64) -> PartyOrgForm {
        match self.draft.party_org_form {
            Some(f) => f,
            None if total < 40 => PartyOrgForm::JointBranch,
            None if total <= 200 => PartyOrgForm::Branch,
            None => PartyOrgForm::GeneralBranch,
        }
    }

    /// The last re-election held by the end of `year`. Terms are five years. Before the
    /// registry's date, elections fell due every five years back to the first term after
    /// founding; after it, five years after the one before (an overdue chamber catches up in the
    /// year after the registry's). Most are held within weeks of falling due, some months or
    /// years late: the registry's overdue chambers are the ones late now, and these spells make
    /// about as many in earlier years.
    fn last_reelection(&self, year: i32) -> NaiveDate {
        let end = ymd(year, 12, 31);
        let last = self.draft.last_reelection.unwrap_or(self.founded);
        if last > end {
            self.election_before(last, end)
        } else {
            self.election_after(last, end)
        }
    }

    fn election_before(&self, last: NaiveDate, end: NaiveDate) -> NaiveDate {
        let first_term = add_months(self.founded, 48);
        for j in 1u32.. {
            let Some(due) = last
                .checked_sub_months(Months::new(60 * j))
                .filter(|d| *d >= first_term)
            else {
                break;
            };
            // Held less than five years late, so each one is before the next.
            let held = self.held(due, j);
            if held <= end {
                return held;
            }
        }
        self.founded
    }

    fn election_after(&self, last: NaiveDate, end: NaiveDate) -> NaiveDate {
        let catch_up = ymd(self.registry_year + 1, 1, 1);
        let mut held = last;
        for k in 1u32.. {
            let due = add_months(held, 60);
            let next = if due < catch_up {
                catch_up + self.election_delay
            } else {
                self.held(due, 500 + k)
            };
            if next > end {
                break;
            }
            held = next;
        }
        held
    }

    /// When the election due on `due` is held; `index` numbers it (j for the j-th before the
    /// registry's, 500 + k for the k-th after), so each has its own draw.
    fn held(&self, due: NaiveDate, index: u32) -> NaiveDate {
        let mut r = stream(self.seed, self.key, index as i32, Tag::Election);
        let months = if r.chance(LATE_ELECTIONS) {
            r.range(3, 54) as u32
        } else {
            0
        };
        add_months(due, months) + Days::new(r.below(120) as u64)
    }
}

/// Share of re-elections held months or years late (and so overdue for a while): with half of
/// them 3 to 54 months late, earlier years have about as many overdue chambers as the
/// registry's year, instead of fewer and fewer going back.
const LATE_ELECTIONS: f64 = 0.5;

fn add_months(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_add_months(Months::new(n)).unwrap_or(d)
}

/// Typical yearly income (万元) of a chamber of `category` and `total` members: 行业 and 异地
/// chambers of 80 members take in some tens of 万元, village chambers a few.
fn income_scale(category: ChamberCategory, total: f64) -> f64 {
    use ChamberCategory as C;
    let median = match category {
        C::Hometown => 80.0,
        C::Industry => 60.0,
        C::Park => 35.0,
        C::Market => 30.0,
        C::Other => 20.0,
        C::Township | C::Street => 18.0,
        C::Building => 12.0,
        C::Village => 6.0,
    };
    median * (total / 80.0).powf(0.7)
}

// ---------------------------------------------------------------------------------------------
// The course of the years.

/// What a year's stream decides that other years depend on: whether the chamber files, the
/// yearly factors, and the lasting changes planted that year.
#[derive(Clone, Copy)]
struct Course {
    files: bool,
    late: bool,
    unit: f64,
    individual: f64,
    income: f64,
    /// Drawn: members fall to this share (from this year on).
    drop: Option<f64>,
    /// Drawn: income changes by this factor (from this year on).
    swing: Option<f64>,
    /// Drawn: the party organisation is reported gone this year.
    party_dropped: bool,
}

impl Course {
    fn draw(seed: u64, key: usize, year: i32) -> Self {
        let mut r = stream(seed, key, year, Tag::Course);
        // Every draw is made whatever its outcome, so the stream stays aligned.
        let files = chance(&mut r, REPORTING_PER_MILLE);
        let late = chance(&mut r, LATE_PER_MILLE);
        let unit = factor(&mut r, 0.95, 1.11);
        let individual = factor(&mut r, 0.93, 1.15);
        let income = factor(&mut r, 0.78, 1.34);
        let drop = chance(&mut r, Fault::MembersDrop.per_mille());
        let drop_to = r.uniform(0.35, 0.6);
        let swing = chance(&mut r, Fault::IncomeSwing.per_mille());
        let up = r.chance(0.5);
        let by = r.uniform(3.6, 6.0);
        let party_dropped = chance(&mut r, Fault::PartyOrgDropped.per_mille());
        Course {
            files,
            late,
            unit,
            individual,
            income,
            drop: drop.then_some(drop_to),
            swing: swing.then_some(if up { by } else { 1.0 / by }),
            party_dropped,
        }
    }
}

/// The courses of the years between the registry year and a report's year, with two years'
/// margin below for the comparisons with the year before.
struct Courses {
    lo: i32,
    first: i32,
    registry_year: i32,
    years: Vec<Course>,
}

impl Courses {
    fn new(p: &Profile<'_>, seed: u64, year: i32) -> Self {
        let lo = year.min(p.registry_year) - 2;
        let hi = year.max(p.registry_year);
        Courses {
            lo,
            first: p.founded.year(),
            registry_year: p.registry_year,
            years: (lo..=hi).map(|y| Course::draw(seed, p.key, y)).collect(),
        }
    }

    fn get(&self, year: i32) -> &Course {
        &self.years[(year - self.lo) as usize]
    }

    /// Whether the chamber filed a report of `year` (it must exist by the year's end).
    fn files(&self, year: i32) -> bool {
        year >= self.first && self.get(year).files
    }

    /// A lasting change drawn in `year` takes effect only when the chamber filed both that year
    /// and the year before, so that it shows as the fault it is meant to be.
    fn shown(&self, year: i32) -> bool {
        self.files(year - 1) && self.files(year)
    }

    fn unit_factor(&self, y: i32) -> f64 {
        self.get(y).unit * self.drop(y)
    }

    fn individual_factor(&self, y: i32) -> f64 {
        self.get(y).individual * self.drop(y)
    }

    fn income_factor(&self, y: i32) -> f64 {
        let c = self.get(y);
        c.income * c.swing.filter(|_| self.shown(y)).unwrap_or(1.0)
    }

    fn drop(&self, y: i32) -> f64 {
        self.get(y).drop.filter(|_| self.shown(y)).unwrap_or(1.0)
    }

    /// Value at `year` over value at the registry year, from the yearly factors `f`.
    fn ratio(&self, year: i32, f: impl Fn(i32) -> f64) -> f64 {
        let a = self.registry_year;
        if year >= a {
            (a + 1..=year).map(f).product()
        } else {
            1.0 / (year + 1..=a).map(f).product::<f64>()
        }
    }

    /// Whether the report of `year` says it has a party organisation: the course, unless the
    /// drop was planted this year. A drop drawn the year before prevents one this year, so that
    /// last year's report is sure to have said 是.
    fn party(&self, p: &Profile<'_>, year: i32) -> bool {
        let c = self.get(year);
        let prev = self.get(year - 1);
        let dropped =
            c.party_dropped && self.shown(year) && p.party_base(year - 1) && !prev.party_dropped;
        p.party_base(year) && !dropped
    }
}

/// The figures a year's report carries that the year after compares with.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Figures {
    unit: i64,
    individual: i64,
    /// 万元 in hundredths (100 yuan), so that comparisons are exact.
    income: i64,
    party: bool,
}

impl Figures {
    fn of(p: &Profile<'_>, c: &Courses, year: i32) -> Self {
        let unit = p.unit * c.ratio(year, |y| c.unit_factor(y));
        let individual = p.individual * c.ratio(year, |y| c.individual_factor(y));
        let income = p.income * c.ratio(year, |y| c.income_factor(y));
        Figures {
            unit: (unit.round() as i64).max(3),
            individual: individual.round() as i64,
            income: ((income * 100.0).round() as i64).max(50),
            party: c.party(p, year),
        }
    }

    fn total(&self) -> i64 {
        self.unit + self.individual
    }
}

// ---------------------------------------------------------------------------------------------
// A year's answers.

/// A report's answers as typed figures, before they become an answer map: the baseline is
/// filled first, then the faults drawn for the year change it.
struct Sheet {
    unit: i64,
    individual: i64,
    total: i64,
    council: i64,
    staff: i64,
    party: bool,
    /// `None`: 未建立.
    form: Option<PartyOrgForm>,
    party_members: i64,
    political_study: i64,
    general_assembly: i64,
    council_meetings: i64,
    last_reelection: NaiveDate,
    audited: bool,
    /// Money in hundredths of 万元.
    income: i64,
    expense: i64,
    dues: i64,
    charity: i64,
    service_events: i64,
    prior: &'static str,
    rectification: Option<&'static str>,
}

/// Substantive rectification reports (after 基本合格 or 不合格).
const RECTIFICATIONS: &[&str] = &[
    "已按年检意见召开理事会专题研究，补充完善财务管理制度并完成整改。",
    "针对会员大会未按期召开的问题，已于本年度召开会员大会并完成换届筹备。",
    "已补齐年度财务审计报告，规范会费收取和票据管理，整改情况已报业务主管单位。",
    "已修订章程，将党建工作写入章程，并明确专人负责党建和会务工作。",
    "已核实会员档案和会员人数，建立会员信息台账，按时报送年度工作报告。",
];

/// Rectification reports after a year without inspection (未参加).
const NOT_INSPECTED: &[&str] = &[
    "上年度商会成立不久未参加年检，本年度已按要求按时报送年度工作报告。",
    "上年度未按时报送年报，已落实秘书处专人负责，本年度按时参加年检。",
];

/// Thin ones: a fault.
const THIN: &[&str] = &["已整改", "整改中", "略", "无", "已完成整改", "按要求整改"];

/// The year's answers and the faults planted in them.
fn fill(p: &Profile<'_>, c: &Courses, year: i32, r: &mut Rng) -> (Sheet, Vec<Fault>) {
    let now = Figures::of(p, c, year);
    let before = c.files(year - 1).then(|| Figures::of(p, c, year - 1));
    let mut sheet = baseline(p, &now, before.is_some(), year, r);
    let mut faults = plant(&mut sheet, r);
    faults.extend(compared(&now, before.as_ref()));
    if overdue(sheet.last_reelection, year) {
        faults.push(Fault::ReelectionOverdue);
    }
    faults.sort_unstable();
    (sheet, faults)
}

/// More than five years before the end of `year`.
fn overdue(last: NaiveDate, year: i32) -> bool {
    add_months(last, 60) < ymd(year, 12, 31)
}

/// The cross-year faults the two years' figures show.
fn compared(now: &Figures, before: Option<&Figures>) -> Vec<Fault> {
    let Some(b) = before else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if now.total() * 10 < b.total() * 7 {
        out.push(Fault::MembersDrop);
    }
    if now.income > 3 * b.income || 3 * now.income < b.income {
        out.push(Fault::IncomeSwing);
    }
    if b.party && !now.party {
        out.push(Fault::PartyOrgDropped);
    }
    out
}

/// An unfaulted report consistent with the year's figures.
fn baseline(p: &Profile<'_>, f: &Figures, filed_before: bool, year: i32, r: &mut Rng) -> Sheet {
    let total = f.total();
    let party_members = if f.party {
        ((total as f64 * p.party_share).round() as i64).max(3)
    } else {
        p.party_members_without
    };
    let prior = prior_inspection(r, filed_before);
    let rectification = match prior {
        "qualified" => None,
        "not_inspected" => Some(*r.pick(NOT_INSPECTED)),
        _ => Some(*r.pick(RECTIFICATIONS)),
    };
    let size = total / 40;
    Sheet {
        unit: f.unit,
        individual: f.individual,
        total,
        council: p.council(total),
        staff: (p.staff + r.range(-1, 1)).max(1),
        party: f.party,
        form: f.party.then(|| p.form(total)),
        party_members: party_members.min(total),
        political_study: if f.party {
            r.range(4, 12)
        } else {
            r.range(1, 6)
        },
        general_assembly: if r.chance(0.85) { 1 } else { 2 },
        council_meetings: r.range(2, 6),
        last_reelection: p.last_reelection(year),
        audited: f.income as f64 >= AUDIT_THRESHOLD * 100.0 || p.audits,
        income: f.income,
        expense: (f.income as f64 * factor(r, 0.7, 1.25)).round() as i64,
        dues: (f.income as f64 * p.dues_share).round() as i64,
        charity: if r.chance(0.45) {
            0
        } else {
            (f.income as f64 * r.uniform(0.01, 0.15)).round() as i64
        },
        service_events: r.range(2, 8) + size,
        prior,
        rectification,
    }
}

/// Last year's conclusion: none for a chamber that did not file last year (or did not exist).
fn prior_inspection(r: &mut Rng, filed_before: bool) -> &'static str {
    if !filed_before {
        return "not_inspected";
    }
    ["qualified", "basically_qualified", "unqualified"][r.weighted(&[88, 9, 3])]
}

/// Draws the faults planted in one report and applies them; every draw is made whatever its
/// outcome.
fn plant(s: &mut Sheet, r: &mut Rng) -> Vec<Fault> {
    const DRAWN: &[Fault] = &[
        Fault::MembersSumMismatch,
        Fault::CouncilAboveMembers,
        Fault::DuesAboveIncome,
        Fault::NoGeneralAssembly,
        Fault::NoCouncilMeeting,
        Fault::PartyFormInconsistent,
        Fault::ExpenseOverIncome,
        Fault::ThinRectification,
    ];
    let drawn: Vec<Fault> = DRAWN
        .iter()
        .copied()
        .filter(|f| chance(r, f.per_mille()))
        .collect();
    drawn.into_iter().filter(|&f| apply(f, s, r)).collect()
}

/// Breaks the sheet the way `fault` says; false when it cannot occur in this report.
fn apply(fault: Fault, s: &mut Sheet, r: &mut Rng) -> bool {
    match fault {
        Fault::MembersSumMismatch => {
            // A part off by a few; the total stays what it was.
            let by = 1 + r.below((s.total / 20).max(1) as usize) as i64;
            match r.below(3) {
                0 if s.individual >= by => s.individual -= by,
                1 if s.unit > by => s.unit -= by,
                _ => s.unit += by,
            }
            s.party_members = s.party_members.min(s.unit + s.individual);
        }
        Fault::CouncilAboveMembers => {
            s.council = s.total + 1 + r.below((s.total / 5).max(1) as usize) as i64;
        }
        Fault::DuesAboveIncome => {
            s.dues = s.income + ((s.income as f64 * r.uniform(0.05, 0.6)) as i64).max(1);
        }
        Fault::NoGeneralAssembly => s.general_assembly = 0,
        Fault::NoCouncilMeeting => s.council_meetings = 0,
        Fault::PartyFormInconsistent => {
            s.form = if s.party {
                None
            } else {
                Some(*r.pick(&[PartyOrgForm::Branch, PartyOrgForm::JointBranch]))
            };
        }
        Fault::ExpenseOverIncome => {
            s.expense = (s.income as f64 * r.uniform(1.6, 3.0)).ceil() as i64;
        }
        Fault::ThinRectification => {
            if s.rectification.is_none() {
                return false;
            }
            s.rectification = Some(*r.pick(THIN));
        }
        Fault::ReelectionOverdue
        | Fault::MembersDrop
        | Fault::IncomeSwing
        | Fault::PartyOrgDropped => return false,
    }
    true
}

fn money(hundredths: i64) -> Value {
    // hundredths / 100 is the double nearest the two-decimal figure, which is also what reading
    // its canonical text gives back.
    Value::Decimal(hundredths as f64 / 100.0)
}

impl Sheet {
    fn answers(&self, p: &Profile<'_>) -> Answers {
        let d = p.draft;
        let registered = d.registered == Some(true);
        let mut a = Answers::new();
        let mut put = |code: &str, v: Value| {
            a.insert(code.to_string(), v);
        };
        let uscc = d.uscc.as_ref().map_or("无", |u| u.as_str());
        put("uscc", Value::Text(uscc.to_string()));
        put("category", Value::Choice(p.category.code().to_string()));
        put("registered", Value::YesNo(registered));
        if !registered {
            let reason = d
                .unregistered_reason
                .as_deref()
                .unwrap_or("正在办理登记手续");
            put("registered_reason", Value::Text(reason.to_string()));
        }
        put("members_total", Value::Integer(self.total));
        put("members_unit", Value::Integer(self.unit));
        put("members_individual", Value::Integer(self.individual));
        put("council_size", Value::Integer(self.council));
        put("staff_fulltime", Value::Integer(self.staff));
        put("party_org", Value::YesNo(self.party));
        let form = self.form.map_or("none", PartyOrgForm::code);
        put("party_org_form", Value::Choice(form.to_string()));
        if !self.party {
            put("party_org_reason", Value::Text(p.party_reason.to_string()));
            put("party_instructor", Value::YesNo(p.instructor));
        }
        put("party_members", Value::Integer(self.party_members));
        put("party_in_charter", Value::YesNo(self.party && p.in_charter));
        put("political_study", Value::Integer(self.political_study));
        put("general_assembly", Value::Integer(self.general_assembly));
        put("council_meetings", Value::Integer(self.council_meetings));
        put("last_reelection", Value::Date(self.last_reelection));
        put("finance_rules", Value::YesNo(true));
        put("audited", Value::YesNo(self.audited));
        put("income_total", money(self.income));
        put("expense_total", money(self.expense));
        put("dues_income", money(self.dues));
        put("service_events", Value::Integer(self.service_events));
        put("charity_amount", money(self.charity));
        put("prior_inspection", Value::Choice(self.prior.to_string()));
        if let Some(text) = self.rectification {
            put("rectification_report", Value::Text(text.to_string()));
        }
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_listed_once_in_order() {
        let listed: Vec<Fault> = FAULT_RATES.iter().map(|r| r.fault).collect();
        assert_eq!(listed, Fault::ALL);
        for f in Fault::ALL {
            assert!((1..1000).contains(&f.per_mille()), "{f:?}");
        }
    }

    #[test]
    fn codes_are_the_sample_items() {
        let t = shanghui_core::template::sample();
        for c in CODES {
            assert!(t.item(c).is_some(), "{c}");
        }
        assert_eq!(CODES.len(), t.items.len());
    }

    #[test]
    fn thin_and_substantive_texts() {
        assert!(THIN.iter().all(|s| s.chars().count() < THIN_REPORT_CHARS));
        for s in RECTIFICATIONS.iter().chain(NOT_INSPECTED) {
            assert!(s.chars().count() >= 2 * THIN_REPORT_CHARS, "{s}");
        }
    }

    #[test]
    fn overdue_is_five_years_before_the_year_end() {
        assert!(!overdue(ymd(2019, 12, 31), 2024));
        assert!(overdue(ymd(2019, 12, 30), 2024));
        assert!(!overdue(ymd(2024, 3, 1), 2024));
    }
}
