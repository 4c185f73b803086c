//! The compiled form of a rule and its evaluation over a prepared report.
//!
//! A compiled expression is a tree of typed nodes (one enum per type, so evaluation never checks
//! a type), whose leaves read slots of a [`Prepared`] report by index: no map lookups, no
//! allocation. A missing value reads as 0, "", false, no choice or no choices; a missing date
//! has no such neutral value, and a rule that needs one is skipped.

use chrono::{Datelike, Months, NaiveDate, TimeDelta};

use super::OrgFacts;
use crate::report::Answers;
use crate::template::{ItemType, Template, Value};

// ---------------------------------------------------------------------------------------------
// Slots.

/// One value of a prepared report. Choices are indices into the template's choices followed by
/// the registry's enumerations ([`super::check::BUILTIN`]); multiple choices are bits by
/// position within their list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum V<'a> {
    Missing,
    Num(f64),
    Bool(bool),
    Text(&'a str),
    Choice(u32),
    Multi(u64),
    Date(NaiveDate),
}

/// No choice: what a missing choice reads as. Equal only to itself.
pub(super) const NO_CHOICE: u32 = u32::MAX;

/// The registry facts a rule can read, in slot order after the items and last year's items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OrgField {
    Kind,
    Level,
    Category,
    Registered,
    PartyOrg,
    PartyOrgForm,
    MembersTotal,
    MembersUnit,
    MembersIndividual,
    CouncilSize,
    FoundedOn,
    LastReelection,
    Division,
    Status,
    Uscc,
}

impl OrgField {
    pub(super) const ALL: [OrgField; 15] = [
        OrgField::Kind,
        OrgField::Level,
        OrgField::Category,
        OrgField::Registered,
        OrgField::PartyOrg,
        OrgField::PartyOrgForm,
        OrgField::MembersTotal,
        OrgField::MembersUnit,
        OrgField::MembersIndividual,
        OrgField::CouncilSize,
        OrgField::FoundedOn,
        OrgField::LastReelection,
        OrgField::Division,
        OrgField::Status,
        OrgField::Uscc,
    ];

    pub(super) fn name(self) -> &'static str {
        match self {
            OrgField::Kind => "kind",
            OrgField::Level => "level",
            OrgField::Category => "category",
            OrgField::Registered => "registered",
            OrgField::PartyOrg => "party_org",
            OrgField::PartyOrgForm => "party_org_form",
            OrgField::MembersTotal => "members_total",
            OrgField::MembersUnit => "members_unit",
            OrgField::MembersIndividual => "members_individual",
            OrgField::CouncilSize => "council_size",
            OrgField::FoundedOn => "founded_on",
            OrgField::LastReelection => "last_reelection",
            OrgField::Division => "division",
            OrgField::Status => "status",
            OrgField::Uscc => "uscc",
        }
    }
}

/// A template's identity for the slots: rules compiled against one template read the slots of
/// reports prepared with the same one.
pub(super) fn stamp(t: &Template) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    for b in t.form_id.bytes() {
        eat(b);
    }
    for n in [
        t.version as u64,
        t.items.len() as u64,
        t.choices.len() as u64,
    ] {
        for b in n.to_le_bytes() {
            eat(b);
        }
    }
    h
}

/// A report prepared for rule evaluation: every value the rules may read, by slot (the
/// template's items, then last year's items, then the registry facts), with the report year.
/// Built once per report; evaluating a rule over it allocates nothing.
#[derive(Debug, Clone)]
pub struct Prepared<'a> {
    pub(super) vals: Vec<V<'a>>,
    pub(super) year: i32,
    /// 31 December of the report year and of the year before.
    pub(super) ends: [Option<NaiveDate>; 2],
    pub(super) stamp: u64,
}

impl<'a> Prepared<'a> {
    /// Prepares `answers` of `year`'s report (and `prev`, last year's report of the same chamber,
    /// if there is one) for the rules compiled against `t`. An answer to an item that does not
    /// apply, an empty text and a value of the wrong type read as missing.
    pub fn new(
        t: &Template,
        answers: &'a Answers,
        prev: Option<&'a Answers>,
        org: &'a OrgFacts,
        year: i32,
    ) -> Self {
        let n = t.items.len();
        let mut vals = Vec::with_capacity(2 * n + OrgField::ALL.len());
        for a in std::iter::once(Some(answers)).chain(std::iter::once(prev)) {
            for item in &t.items {
                let v = match a {
                    Some(a) if item.relevant.is_none() || t.applies(item, a) => a
                        .get(&item.code)
                        .map_or(V::Missing, |v| slot_value(t, &item.ty, v)),
                    _ => V::Missing,
                };
                vals.push(v);
            }
        }
        let base = t.choices.len() as u32;
        for f in OrgField::ALL {
            vals.push(org_value(org, f, base));
        }
        let end = |y: i32| NaiveDate::from_ymd_opt(y, 12, 31);
        Prepared {
            vals,
            year,
            ends: [end(year), year.checked_sub(1).and_then(end)],
            stamp: stamp(t),
        }
    }

    /// Nothing at all: what constant folding evaluates against.
    pub(super) fn empty() -> Prepared<'static> {
        Prepared {
            vals: Vec::new(),
            year: 0,
            ends: [None, None],
            stamp: 0,
        }
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    pub(super) fn get(&self, slot: u32) -> V<'a> {
        self.vals.get(slot as usize).copied().unwrap_or(V::Missing)
    }

    pub(super) fn missing(&self, slot: u32) -> bool {
        matches!(self.get(slot), V::Missing)
    }
}

fn slot_value<'a>(t: &Template, ty: &ItemType, v: &'a Value) -> V<'a> {
    match (ty, v) {
        (ItemType::Integer | ItemType::Decimal, Value::Integer(i)) => V::Num(*i as f64),
        (ItemType::Integer | ItemType::Decimal, Value::Decimal(d)) if d.is_finite() => V::Num(*d),
        (ItemType::Text, Value::Text(s)) if !crate::value::trim(s).is_empty() => V::Text(s),
        (ItemType::YesNo, Value::YesNo(b)) => V::Bool(*b),
        (ItemType::Date, Value::Date(d)) => V::Date(*d),
        (ItemType::Choice(list), Value::Choice(code)) => t
            .choices
            .iter()
            .position(|c| c.list == *list && c.code == *code)
            .map_or(V::Missing, |i| V::Choice(i as u32)),
        (ItemType::MultiChoice(list), Value::Choices(codes)) => {
            let mut mask = 0u64;
            for (bit, c) in t.choices.iter().filter(|c| c.list == *list).enumerate() {
                if bit < 64 && codes.contains(&c.code) {
                    mask |= 1 << bit;
                }
            }
            V::Multi(mask)
        }
        _ => V::Missing,
    }
}

fn org_value<'a>(o: &'a OrgFacts, f: OrgField, base: u32) -> V<'a> {
    use super::check::builtin_id;
    let num = |n: Option<i64>| n.map_or(V::Missing, |n| V::Num(n as f64));
    let choice = |list: &str, code: Option<&str>| {
        code.and_then(|c| builtin_id(list, c))
            .map_or(V::Missing, |i| V::Choice(base + i))
    };
    let text = |s: &'a Option<String>| {
        s.as_deref()
            .filter(|s| !crate::value::trim(s).is_empty())
            .map_or(V::Missing, V::Text)
    };
    match f {
        OrgField::Kind => choice("org.kind", o.kind.map(|k| k.code())),
        OrgField::Level => choice("org.level", o.level.map(|k| k.code())),
        OrgField::Category => choice("org.category", o.category.map(|k| k.code())),
        OrgField::Registered => o.registered.map_or(V::Missing, V::Bool),
        OrgField::PartyOrg => o.party_org.map_or(V::Missing, V::Bool),
        // No party organisation: the form is 未建立, as the report's list has it.
        OrgField::PartyOrgForm => match (o.party_org_form, o.party_org) {
            (Some(f), _) => choice("org.party_form", Some(f.code())),
            (None, Some(false)) => choice("org.party_form", Some("none")),
            (None, _) => V::Missing,
        },
        OrgField::MembersTotal => num(o.members_total),
        OrgField::MembersUnit => num(o.members_unit),
        OrgField::MembersIndividual => num(o.members_individual),
        OrgField::CouncilSize => num(o.council_size),
        OrgField::FoundedOn => o.founded_on.map_or(V::Missing, V::Date),
        OrgField::LastReelection => o.last_reelection.map_or(V::Missing, V::Date),
        OrgField::Division => text(&o.division),
        OrgField::Status => choice("org.status", o.status.map(|k| k.code())),
        OrgField::Uscc => text(&o.uscc),
    }
}

// ---------------------------------------------------------------------------------------------
// Nodes.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Arith {
    Add,
    Sub,
    Mul,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Span {
    Years,
    Months,
    Days,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Part {
    Year,
    Month,
    Day,
}

/// Number.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum N {
    Const(f64),
    Slot(u32),
    /// `report_year`, minus one inside `prev`.
    Year(i32),
    Neg(Box<N>),
    Arith(Arith, Box<N>, Box<N>),
    /// With the position of the `/` for the message.
    Div(Box<N>, Box<N>, u32),
    Abs(Box<N>),
    Min(Vec<N>),
    Max(Vec<N>),
    Round(Box<N>, Box<N>),
    Len(Box<S>),
    /// Choices ticked in a multiple-choice slot.
    Count(u32),
    Between(Span, Box<D>, Box<D>),
    Part(Part, Box<D>),
    If(Box<B>, Box<N>, Box<N>),
}

/// Condition.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum B {
    Const(bool),
    Slot(u32),
    Not(Box<B>),
    And(Box<B>, Box<B>),
    Or(Box<B>, Box<B>),
    Implies(Box<B>, Box<B>),
    CmpN(Cmp, Box<N>, Box<N>),
    CmpD(Cmp, Box<D>, Box<D>),
    /// Equal (or, with `true`, not equal).
    EqBool(bool, Box<B>, Box<B>),
    EqText(bool, Box<S>, Box<S>),
    EqChoice(bool, Box<C>, Box<C>),
    /// Answered (or, with `true`, not answered).
    Present(bool, u32),
    /// The multiple-choice slot has the choice at this bit.
    Has(u32, u8),
    /// Well-formed GB 32100 code (check character not verified).
    IsUscc(Box<S>),
    /// Well-formed with the right check character.
    UsccCheck(Box<S>),
    Contains(Box<S>, Box<S>),
    If(Box<B>, Box<B>, Box<B>),
}

/// Text.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum S {
    Const(Box<str>),
    Slot(u32),
    If(Box<B>, Box<S>, Box<S>),
}

/// Date.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum D {
    Const(NaiveDate),
    Slot(u32),
    /// `report_end`: 31 December of the report year (index 0) or of the year before (1).
    End(u8),
    AddMonths(Box<D>, Box<N>, u32),
    AddDays(Box<D>, Box<N>, u32),
    If(Box<B>, Box<D>, Box<D>),
}

/// Choice, as a global choice index.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum C {
    Const(u32),
    Slot(u32),
    /// A choice of one list as the choice with the same code in another (`NO_CHOICE` if none):
    /// indexed by global index.
    Map(Box<C>, Box<[u32]>),
    If(Box<B>, Box<C>, Box<C>),
}

impl N {
    pub(super) fn is_const(&self) -> bool {
        matches!(self, N::Const(_))
    }
}
impl B {
    pub(super) fn is_const(&self) -> bool {
        matches!(self, B::Const(_))
    }
}
impl S {
    pub(super) fn is_const(&self) -> bool {
        matches!(self, S::Const(_))
    }
}
impl D {
    pub(super) fn is_const(&self) -> bool {
        matches!(self, D::Const(_))
    }
}
impl C {
    pub(super) fn is_const(&self) -> bool {
        matches!(self, C::Const(_))
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluation.

/// Why an evaluation stopped short of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    /// A missing date (no neutral value): the rule is skipped.
    Missing,
    /// Division by zero at this character.
    DivZero(u32),
    /// A date outside the calendar at this character.
    DateRange(u32),
}

type R<T> = Result<T, Stop>;

/// Equal within a relative 1e-9, so that decimal arithmetic agrees with people:
/// 0.1 + 0.2 = 0.3, and 70 × 0.7 = 49.
pub(super) fn feq(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

fn cmp_num(op: Cmp, a: f64, b: f64) -> bool {
    match op {
        Cmp::Eq => feq(a, b),
        Cmp::Ne => !feq(a, b),
        Cmp::Lt => a < b && !feq(a, b),
        Cmp::Le => a < b || feq(a, b),
        Cmp::Gt => a > b && !feq(a, b),
        Cmp::Ge => a > b || feq(a, b),
    }
}

fn cmp_ord<T: Ord>(op: Cmp, a: T, b: T) -> bool {
    match op {
        Cmp::Eq => a == b,
        Cmp::Ne => a != b,
        Cmp::Lt => a < b,
        Cmp::Le => a <= b,
        Cmp::Gt => a > b,
        Cmp::Ge => a >= b,
    }
}

pub(super) fn add_months(d: NaiveDate, n: i64) -> Option<NaiveDate> {
    let m = u32::try_from(n.unsigned_abs()).ok()?;
    if n >= 0 {
        d.checked_add_months(Months::new(m))
    } else {
        d.checked_sub_months(Months::new(m))
    }
}

/// Whole months from `a` to `b`, as people count them: the largest n with a + n months ≤ b
/// (negative when `b` is before `a`). Consistent with [`add_months`]: 31 January + 1 month is
/// 28 February, so that is a whole month.
pub(super) fn months_between(a: NaiveDate, b: NaiveDate) -> i64 {
    if b < a {
        return -months_between(b, a);
    }
    let m = i64::from(b.year() - a.year()) * 12 + i64::from(b.month()) - i64::from(a.month());
    match add_months(a, m) {
        Some(d) if d <= b => m,
        _ => m - 1,
    }
}

/// Whole years from `a` to `b` (floor, as staff count them): whole months / 12.
pub(super) fn years_between(a: NaiveDate, b: NaiveDate) -> i64 {
    months_between(a, b) / 12
}

fn to_i64(x: f64) -> i64 {
    // `as` saturates and maps NaN to 0.
    x.round() as i64
}

/// `strict`: a missing value stops the evaluation ([`Stop::Missing`]) instead of reading as
/// 0, "", false or no choice (the `skip_if_any_missing` strategy).
pub(super) fn eval_n(n: &N, p: &Prepared<'_>, k: bool) -> R<f64> {
    Ok(match n {
        N::Const(x) => *x,
        N::Slot(s) => match p.get(*s) {
            V::Num(x) => x,
            V::Missing if k => return Err(Stop::Missing),
            _ => 0.0,
        },
        N::Year(off) => f64::from(p.year) + f64::from(*off),
        N::Neg(a) => -eval_n(a, p, k)?,
        N::Arith(op, a, b) => {
            let (a, b) = (eval_n(a, p, k)?, eval_n(b, p, k)?);
            match op {
                Arith::Add => a + b,
                Arith::Sub => a - b,
                Arith::Mul => a * b,
            }
        }
        N::Div(a, b, pos) => {
            let a = eval_n(a, p, k)?;
            let b = eval_n(b, p, k)?;
            if b == 0.0 || b.is_nan() {
                return Err(Stop::DivZero(*pos));
            }
            a / b
        }
        N::Abs(a) => eval_n(a, p, k)?.abs(),
        N::Min(v) => {
            let mut m = f64::INFINITY;
            for x in v {
                m = m.min(eval_n(x, p, k)?);
            }
            m
        }
        N::Max(v) => {
            let mut m = f64::NEG_INFINITY;
            for x in v {
                m = m.max(eval_n(x, p, k)?);
            }
            m
        }
        N::Round(a, digits) => {
            let x = eval_n(a, p, k)?;
            let d = to_i64(eval_n(digits, p, k)?).clamp(-15, 15) as i32;
            let f = 10f64.powi(d);
            // Half away from zero (四舍五入); the nudge keeps 2.675 (stored as 2.67499…) at 2.68.
            let y = x * f;
            let r = (y + y.signum() * y.abs() * 1e-12).round() / f;
            if r.is_finite() { r } else { x }
        }
        N::Len(s) => eval_s(s, p, k)?.chars().count() as f64,
        N::Count(s) => match p.get(*s) {
            V::Multi(m) => f64::from(m.count_ones()),
            V::Missing if k => return Err(Stop::Missing),
            _ => 0.0,
        },
        N::Between(span, a, b) => {
            let (a, b) = (eval_d(a, p, k)?, eval_d(b, p, k)?);
            (match span {
                Span::Years => years_between(a, b),
                Span::Months => months_between(a, b),
                Span::Days => (b - a).num_days(),
            }) as f64
        }
        N::Part(part, d) => {
            let d = eval_d(d, p, k)?;
            match part {
                Part::Year => f64::from(d.year()),
                Part::Month => f64::from(d.month()),
                Part::Day => f64::from(d.day()),
            }
        }
        N::If(c, a, b) => {
            if eval_b(c, p, k)? {
                eval_n(a, p, k)?
            } else {
                eval_n(b, p, k)?
            }
        }
    })
}

/// Conditions in three-valued (Kleene) logic: an unknown operand decides nothing only where
/// the other operand does not decide alone, so `false and x` is false, `true or x` is true
/// and `false -> x` is true whatever x is and whether it is missing. An error (division by
/// zero) in an operand that decides is the outcome.
pub(super) fn eval_b(b: &B, p: &Prepared<'_>, k: bool) -> R<bool> {
    Ok(match b {
        B::Const(x) => *x,
        B::Slot(s) => match p.get(*s) {
            V::Bool(x) => x,
            V::Missing if k => return Err(Stop::Missing),
            _ => false,
        },
        B::Not(a) => !eval_b(a, p, k)?,
        B::And(a, b) => return either(eval_b(a, p, k), || eval_b(b, p, k), false),
        B::Or(a, b) => return either(eval_b(a, p, k), || eval_b(b, p, k), true),
        B::Implies(a, b) => {
            return either(eval_b(a, p, k).map(|a| !a), || eval_b(b, p, k), true);
        }
        B::CmpN(op, a, b) => cmp_num(*op, eval_n(a, p, k)?, eval_n(b, p, k)?),
        B::CmpD(op, a, b) => cmp_ord(*op, eval_d(a, p, k)?, eval_d(b, p, k)?),
        B::EqBool(ne, a, b) => (eval_b(a, p, k)? == eval_b(b, p, k)?) != *ne,
        B::EqText(ne, a, b) => (eval_s(a, p, k)? == eval_s(b, p, k)?) != *ne,
        B::EqChoice(ne, a, b) => (eval_c(a, p, k)? == eval_c(b, p, k)?) != *ne,
        B::Present(negated, s) => p.missing(*s) == *negated,
        B::Has(s, bit) => match p.get(*s) {
            V::Multi(m) => m & (1u64 << (*bit & 63)) != 0,
            V::Missing if k => return Err(Stop::Missing),
            _ => false,
        },
        B::IsUscc(s) => !matches!(
            crate::uscc::check(crate::value::trim(eval_s(s, p, k)?)),
            crate::uscc::UsccCheck::Malformed(_)
        ),
        B::UsccCheck(s) => matches!(
            crate::uscc::check(crate::value::trim(eval_s(s, p, k)?)),
            crate::uscc::UsccCheck::Ok(_)
        ),
        B::Contains(a, b) => eval_s(a, p, k)?.contains(eval_s(b, p, k)?),
        B::If(c, a, b) => {
            if eval_b(c, p, k)? {
                eval_b(a, p, k)?
            } else {
                eval_b(b, p, k)?
            }
        }
    })
}

/// `a and b` (`decides` = false) or `a or b` (`decides` = true), left to right, in Kleene logic.
fn either(a: R<bool>, b: impl FnOnce() -> R<bool>, decides: bool) -> R<bool> {
    match a {
        Ok(x) if x == decides => Ok(decides),
        Ok(_) => b(),
        Err(Stop::Missing) => match b() {
            Ok(y) if y == decides => Ok(decides),
            Ok(_) | Err(Stop::Missing) => Err(Stop::Missing),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    }
}

pub(super) fn eval_s<'x>(s: &'x S, p: &Prepared<'x>, k: bool) -> R<&'x str> {
    Ok(match s {
        S::Const(t) => t,
        S::Slot(i) => match p.get(*i) {
            V::Text(t) => t,
            V::Missing if k => return Err(Stop::Missing),
            _ => "",
        },
        S::If(c, a, b) => {
            if eval_b(c, p, k)? {
                eval_s(a, p, k)?
            } else {
                eval_s(b, p, k)?
            }
        }
    })
}

pub(super) fn eval_d(d: &D, p: &Prepared<'_>, k: bool) -> R<NaiveDate> {
    Ok(match d {
        D::Const(x) => *x,
        D::Slot(s) => match p.get(*s) {
            V::Date(x) => x,
            _ => return Err(Stop::Missing),
        },
        D::End(i) => p.ends[usize::from(*i & 1)].ok_or(Stop::DateRange(1))?,
        D::AddMonths(d, n, pos) => {
            let d = eval_d(d, p, k)?;
            let n = eval_n(n, p, k)?;
            if !n.is_finite() {
                return Err(Stop::DateRange(*pos));
            }
            add_months(d, to_i64(n)).ok_or(Stop::DateRange(*pos))?
        }
        D::AddDays(d, n, pos) => {
            let d = eval_d(d, p, k)?;
            let n = eval_n(n, p, k)?;
            if !n.is_finite() {
                return Err(Stop::DateRange(*pos));
            }
            TimeDelta::try_days(to_i64(n))
                .and_then(|t| d.checked_add_signed(t))
                .ok_or(Stop::DateRange(*pos))?
        }
        D::If(c, a, b) => {
            if eval_b(c, p, k)? {
                eval_d(a, p, k)?
            } else {
                eval_d(b, p, k)?
            }
        }
    })
}

pub(super) fn eval_c(c: &C, p: &Prepared<'_>, k: bool) -> R<u32> {
    Ok(match c {
        C::Const(x) => *x,
        C::Slot(s) => match p.get(*s) {
            V::Choice(x) => x,
            V::Missing if k => return Err(Stop::Missing),
            _ => NO_CHOICE,
        },
        C::Map(c, table) => {
            let x = eval_c(c, p, k)?;
            table.get(x as usize).copied().unwrap_or(NO_CHOICE)
        }
        C::If(cond, a, b) => {
            if eval_b(cond, p, k)? {
                eval_c(a, p, k)?
            } else {
                eval_c(b, p, k)?
            }
        }
    })
}
