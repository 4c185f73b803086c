//! Review rules (审查规则, issue 5): checks on a chamber's annual report written in a small
//! language that federation staff can read and edit, in the spirit of DHIS2's validation rules.
//!
//! ```text
//! members_total = members_unit + members_individual
//! party_org = 否 -> present(party_org_reason)
//! add_years(last_reelection, 5) >= report_end
//! members_total >= prev(members_total) * 0.7
//! org.registered = "是" -> uscc != "无"
//! ```
//!
//! # The language
//!
//! - **Values.** Numbers (`12`, `0.7`, `30%` = 0.3; integers and decimals are one type, `/`
//!   gives decimals), text in quotes (`"…"`, `'…'`, `“…”`, `‘…’`, `「…」`, kept exactly as typed) or
//!   bare (a run of Chinese characters outside quotes, `合格`, is text), `true`/`false`, dates as
//!   `date("2024-05-31")` (any spelling [`crate::value::parse_date`] reads).
//! - **Names.** Item codes of the template (`members_total`); `report_year` (a number);
//!   `report_end` (31 December of the report year); `org.<field>` for the registry's facts about
//!   the chamber ([`OrgFacts`]: kind, level, category, registered, party_org, party_org_form,
//!   members_total, members_unit, members_individual, council_size, founded_on,
//!   last_reelection, division, status, uscc). Names are not case-sensitive.
//! - **Types.** number, text, yes/no (a condition), date, choice (of a list) and multiple choice.
//!   A yes/no item compares with 是/否 (or any spelling [`crate::value::parse_bool`] reads, or
//!   `true`/`false`); a choice item compares with a choice of its list by code or label (zh, or
//!   en), resolved when the rule is compiled, so an unknown choice is an error that names the
//!   list; two choice items of different lists compare by code (or label), as do
//!   `category = org.category`; a date compares with a date or a date in quotes.
//! - **Operators**, loosest first: `->` (→, implication: passes when the left side is false;
//!   right-associative), `or` (`||`, 或), `and` (`&&`, 且), `not` (`!`, 非), comparisons `=`
//!   (`==`) `!=` (`<>`, ≠) `<` `<=` (≤) `>` `>=` (≥), `+ -`, `* /` (× ÷), unary `-`;
//!   parentheses. Full-width characters (（）＝＞＜，１２３) are read as their ASCII forms.
//!   Numbers compare within a relative 1e-9, so 0.1 + 0.2 = 0.3 and 70 × 0.7 = 49.
//! - **Functions.** `len(text)` (characters), `abs(x)`, `min(x, …)`, `max(x, …)`,
//!   `round(x[, digits])` (half away from zero), `years_between(d1, d2)` and
//!   `months_between(d1, d2)` (whole years and months from d1 to d2, rounded down, as staff count
//!   them; negative if d2 is earlier), `days_between(d1, d2)`, `year(d)`, `month(d)`, `day(d)`,
//!   `date("…")`, `add_years(d, n)`, `add_months(d, n)`, `add_days(d, n)` (31 Jan + 1 month =
//!   28/29 Feb), `prev(expr)` (the expression over last year's report of the same chamber:
//!   `prev(members_total)`, `prev(income_total - dues_income)`), `present(item)` and
//!   `empty(item)` (answered or not; also `prev(item)` and `org.field`), `count(multi)`,
//!   `has(multi, "choice")`, `if(cond, a, b)`, `is_uscc(text)` (a well-formed unified social
//!   credit code; the check character is not verified, as early codes fail it legally),
//!   `uscc_check(text)` (well formed with the right check character), `contains(text, part)`.
//!
//! # Missing values
//!
//! A value is missing when the item is unanswered, does not apply (its condition is not met),
//! is an empty text, or (for `prev`) there is no report of last year; a registry fact is missing
//! when the registry does not know it. Each rule has a [`MissingStrategy`]:
//!
//! - `skip_if_any_missing` (the default, DHIS2's SKIP_IF_ANY_VALUE_MISSING): the rule is skipped
//!   when a missing value it reads could change its outcome. Conditions are combined in
//!   three-valued logic, so `a -> b` passes when `a` is false whatever `b` (the issue's
//!   `party_org = "否" -> len(party_org_reason) > 0` passes for a chamber with a party
//!   organisation, whose reason item does not apply), `a and b` fails when either is false and
//!   `a or b` passes when either is true; anything else that reads a missing value is skipped.
//! - `skip_if_all_missing`: skipped only if every value it reads is missing; otherwise missing
//!   values count as below.
//! - `never_skip`: missing numbers count as 0, texts as "", yes/no as 否, choices as none (equal
//!   to no choice), multiple choices as none ticked.
//!
//! What `present`/`empty` look at is not "read": `party_org = 否 -> present(party_org_reason)`
//! fails when the reason is missing, whatever the strategy, which is how a rule requires an
//! answer. A date has no neutral value: a rule that needs a missing date is skipped whatever its
//! strategy. Division by zero makes the outcome [`Outcome::Error`], never a panic.
//!
//! # Speed
//!
//! [`compile`] parses and type-checks a rule once against the template (microseconds);
//! [`Prepared::new`] lays out one report's values (and last year's, and the registry's) in
//! slots by item position; [`CompiledRule::eval`] then walks a small typed tree that reads
//! slots by index, with no lookups and no allocation (tens of millions of evaluations a
//! second: `cargo run --release -p shanghui-core --example rules_bench`).

mod check;
mod eval;
mod lexer;
mod parser;
mod rows;
mod sample;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use chrono::NaiveDate;

pub use eval::Prepared;
pub use rows::rule_rows;
pub use sample::{csv_rows, parse_csv, sample_rules};

use crate::i18n::{Lang, Msg};
use crate::org::{ChamberCategory, FederationLevel, OrgDraft, OrgKind, OrgStatus, PartyOrgForm};
use crate::template::{ItemType, SheetRow, Template};
use crate::value;
use eval::{OrgField, V};

/// How serious a failed rule is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Blocks submission: malformed data, broken arithmetic identities (错误).
    Error,
    /// A review problem that can lead to rectification (问题).
    Finding,
    /// Asks the reviewer to look (提示).
    Warning,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Error, Severity::Finding, Severity::Warning];

    pub fn code(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Finding => "finding",
            Severity::Warning => "warning",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        lang.t(match self {
            Severity::Error => "rules.severity.error",
            Severity::Finding => "rules.severity.finding",
            Severity::Warning => "rules.severity.warning",
        })
    }

    /// The code or a label in either language (错误/问题/提示).
    pub fn parse(input: &str) -> Option<Severity> {
        parse_coded(input, &Self::ALL, |s| s.code(), |s, l| s.label(l))
    }
}

/// What a rule does when values it reads are missing (see the module documentation).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum MissingStrategy {
    #[default]
    SkipIfAnyMissing,
    SkipIfAllMissing,
    NeverSkip,
}

impl MissingStrategy {
    pub const ALL: [MissingStrategy; 3] = [
        MissingStrategy::SkipIfAnyMissing,
        MissingStrategy::SkipIfAllMissing,
        MissingStrategy::NeverSkip,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MissingStrategy::SkipIfAnyMissing => "skip_if_any_missing",
            MissingStrategy::SkipIfAllMissing => "skip_if_all_missing",
            MissingStrategy::NeverSkip => "never_skip",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        lang.t(match self {
            MissingStrategy::SkipIfAnyMissing => "rules.missing.skip_if_any_missing",
            MissingStrategy::SkipIfAllMissing => "rules.missing.skip_if_all_missing",
            MissingStrategy::NeverSkip => "rules.missing.never_skip",
        })
    }

    /// The code or a label in either language.
    pub fn parse(input: &str) -> Option<MissingStrategy> {
        parse_coded(input, &Self::ALL, |s| s.code(), |s, l| s.label(l))
    }
}

fn parse_coded<T: Copy>(
    input: &str,
    all: &[T],
    code: impl Fn(T) -> &'static str,
    label: impl Fn(T, Lang) -> &'static str,
) -> Option<T> {
    let s = value::normalize(input).to_lowercase();
    all.iter()
        .copied()
        .find(|&v| code(v) == s || Lang::ALL.iter().any(|&l| label(v, l).to_lowercase() == s))
}

/// A review rule as written: what it checks, how serious a failure is, and what the chamber
/// should do about it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    /// Stable identifier (lower-case letters, digits and `_`), unique in a rule set.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// The check, in the rule language: a condition the report must meet.
    pub expr: String,
    pub severity: Severity,
    #[serde(default)]
    pub missing: MissingStrategy,
    /// What the chamber should fix when the rule fails.
    #[serde(default)]
    pub instruction_zh: String,
    #[serde(default)]
    pub instruction_en: String,
    /// For grouping in the review (the sample uses the template's sections, `cross_year` and
    /// `registry`).
    #[serde(default)]
    pub group: String,
    /// The items the rule concerns (where the review shows a failure); empty: the report items
    /// the expression mentions, in order.
    #[serde(default)]
    pub items: Vec<String>,
}

impl Rule {
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhCn => &self.name_zh,
            Lang::En => &self.name_en,
        }
    }

    pub fn instruction(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhCn => &self.instruction_zh,
            Lang::En => &self.instruction_en,
        }
    }
}

/// Why a rule does not compile: a catalogue message, with the 1-based character position in the
/// expression where the problem is (for `expr`), or none (for `items`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RuleError {
    /// The part of the rule at fault: `expr` or `items` (the column names of [`RULE_COLUMNS`]).
    pub field: &'static str,
    /// 1-based character offset (the column in a one-line editor).
    pub position: Option<usize>,
    pub msg: Msg,
}

impl RuleError {
    pub(crate) fn at(pos: usize, msg: Msg) -> Self {
        RuleError {
            field: "expr",
            position: Some(pos),
            msg,
        }
    }

    /// "第 12 个字符处：未知题目 members_totl（是否想写 members_total？）"
    pub fn render(&self, lang: Lang) -> String {
        match self.position {
            Some(p) => lang.tf(
                "rules.at",
                &[("pos", &p.to_string()), ("message", &self.msg.render(lang))],
            ),
            None => self.msg.render(lang),
        }
    }
}

/// A problem in a sheet of rules: its row as a spreadsheet shows it, the column and, for an
/// expression, the character.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RuleProblem {
    pub row: usize,
    pub column: Option<String>,
    pub position: Option<usize>,
    pub msg: Msg,
}

impl RuleProblem {
    pub fn render(&self, lang: Lang) -> String {
        let mut place = lang.tf("rules.at_row", &[("row", &self.row.to_string())]);
        if let Some(c) = &self.column {
            place = lang.tf("rules.at_column", &[("place", &place), ("column", c)]);
        }
        if let Some(p) = self.position {
            place = lang.tf(
                "rules.at_position",
                &[("place", &place), ("pos", &p.to_string())],
            );
        }
        lang.tf(
            "rules.problem",
            &[("place", &place), ("message", &self.msg.render(lang))],
        )
    }
}

/// The result of checking one rule on one report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Outcome {
    Pass,
    Fail,
    /// Values the rule needs are missing (see [`MissingStrategy`]).
    Skipped,
    /// The rule could not be evaluated (division by zero, a date outside the calendar).
    Error(Msg),
}

/// What the registry knows about the chamber, for `org.<field>` in rules. Every field may be
/// unknown (`None`), which reads as a missing value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrgFacts {
    pub kind: Option<OrgKind>,
    pub level: Option<FederationLevel>,
    pub category: Option<ChamberCategory>,
    pub registered: Option<bool>,
    pub party_org: Option<bool>,
    /// `None` with `party_org = Some(false)` reads as 未建立 (`none`), as in the report's list.
    pub party_org_form: Option<PartyOrgForm>,
    pub members_total: Option<i64>,
    pub members_unit: Option<i64>,
    pub members_individual: Option<i64>,
    pub council_size: Option<i64>,
    pub founded_on: Option<NaiveDate>,
    pub last_reelection: Option<NaiveDate>,
    /// The 6- or 9-digit division code.
    pub division: Option<String>,
    pub status: Option<OrgStatus>,
    pub uscc: Option<String>,
}

impl From<&OrgDraft> for OrgFacts {
    fn from(d: &OrgDraft) -> Self {
        OrgFacts {
            kind: Some(d.kind),
            level: d.level,
            category: d.category,
            registered: d.registered,
            party_org: d.party_org,
            party_org_form: d.party_org_form,
            members_total: d.members_total,
            members_unit: d.members_unit,
            members_individual: d.members_individual,
            council_size: d.council_size,
            founded_on: d.founded_on,
            last_reelection: d.last_reelection,
            division: d.division_code.as_ref().map(|c| c.as_str().to_string()),
            status: Some(d.status),
            uscc: d.uscc.as_ref().map(|u| u.as_str().to_string()),
        }
    }
}

/// Something a rule refers to, for the items it concerns and for [`explain`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ref {
    /// An item by position.
    Item(u32),
    /// Last year's value of an item.
    Prev(u32),
    Org(u8),
    /// `report_year` (1: inside `prev`).
    Year(u8),
    /// `report_end` (1: inside `prev`).
    End(u8),
}

/// How [`explain`] shows one thing a rule refers to.
#[derive(Debug, Clone, PartialEq)]
enum Shown {
    Slot(u32),
    /// A multiple-choice slot with the global indices of its list's choices.
    Multi(u32, Vec<u32>),
    Year(u8),
    End(u8),
}

/// A rule compiled against a template, ready to evaluate on reports prepared with the same
/// template.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub rule: Rule,
    /// The items it concerns: [`Rule::items`] if given, else the report items the expression
    /// mentions (directly or through `prev`), in order.
    pub items: Vec<String>,
    expr: eval::B,
    /// The slots the missing-value strategy looks at.
    inputs: Box<[u32]>,
    shown: Vec<(String, Shown)>,
    /// Labels (zh, en) of the global choice index, for [`explain`].
    labels: Vec<(String, String)>,
    stamp: u64,
}

/// Parses and type-checks `rule` against `t`.
pub fn compile(rule: &Rule, t: &Template) -> Result<CompiledRule, RuleError> {
    let ast = parser::parse(&rule.expr)?;
    let mut c = check::Checker::new(t);
    let expr = c.rule(&ast)?;
    let code = |i: u32| t.items[i as usize].code.clone();
    let items = if rule.items.is_empty() {
        let mut seen = BTreeSet::new();
        c.refs
            .iter()
            .filter_map(|r| match r {
                Ref::Item(i) | Ref::Prev(i) => Some(*i),
                _ => None,
            })
            .filter(|i| seen.insert(*i))
            .map(code)
            .collect()
    } else {
        for i in &rule.items {
            if t.item(i).is_none() {
                let s = check::closest(i, t.items.iter().map(|i| i.code.as_str()));
                let msg = match s {
                    Some(s) => Msg::new("rules.type.unknown_item_suggest")
                        .with("name", i)
                        .with("suggestion", s),
                    None => Msg::new("rules.type.unknown_item").with("name", i),
                };
                return Err(RuleError {
                    field: "items",
                    position: None,
                    msg,
                });
            }
        }
        rule.items.clone()
    };
    let n = t.items.len() as u32;
    let shown = c
        .refs
        .iter()
        .map(|r| match *r {
            Ref::Item(i) | Ref::Prev(i) => {
                let item = &t.items[i as usize];
                let (name, slot) = if matches!(r, Ref::Item(_)) {
                    (item.code.clone(), i)
                } else {
                    (format!("prev({})", item.code), n + i)
                };
                let how = match &item.ty {
                    ItemType::MultiChoice(l) => {
                        let l = c.choices.list(l);
                        Shown::Multi(
                            slot,
                            c.choices
                                .lists
                                .get(l)
                                .map(|x| x.1.clone())
                                .unwrap_or_default(),
                        )
                    }
                    _ => Shown::Slot(slot),
                };
                (name, how)
            }
            Ref::Org(f) => (
                format!("org.{}", OrgField::ALL[f as usize].name()),
                Shown::Slot(2 * n + u32::from(f)),
            ),
            Ref::Year(o) => (prev_name("report_year", o), Shown::Year(o)),
            Ref::End(o) => (prev_name("report_end", o), Shown::End(o)),
        })
        .collect();
    Ok(CompiledRule {
        rule: rule.clone(),
        items,
        expr,
        inputs: c.loads.into_boxed_slice(),
        shown,
        labels: c
            .choices
            .entries
            .iter()
            .map(|e| (e.zh.clone(), e.en.clone()))
            .collect(),
        stamp: eval::stamp(t),
    })
}

fn prev_name(name: &str, off: u8) -> String {
    if off == 0 {
        name.to_string()
    } else {
        format!("prev({name})")
    }
}

impl CompiledRule {
    /// Checks the rule on a prepared report.
    pub fn eval(&self, p: &Prepared<'_>) -> Outcome {
        if p.stamp != self.stamp {
            return Outcome::Error(Msg::new("rules.eval.template_mismatch"));
        }
        // skip_if_any_missing: missing values stop the evaluation where they could change the
        // outcome (three-valued logic); otherwise they read as 0, "", false or no choice.
        let strict = match self.rule.missing {
            MissingStrategy::SkipIfAnyMissing => true,
            MissingStrategy::SkipIfAllMissing => {
                if !self.inputs.is_empty() && self.inputs.iter().all(|&s| p.missing(s)) {
                    return Outcome::Skipped;
                }
                false
            }
            MissingStrategy::NeverSkip => false,
        };
        match eval::eval_b(&self.expr, p, strict) {
            Ok(true) => Outcome::Pass,
            Ok(false) => Outcome::Fail,
            Err(eval::Stop::Missing) => Outcome::Skipped,
            Err(eval::Stop::DivZero(pos)) => {
                Outcome::Error(Msg::new("rules.eval.div_zero").with("pos", pos))
            }
            Err(eval::Stop::DateRange(pos)) => {
                Outcome::Error(Msg::new("rules.eval.date_range").with("pos", pos))
            }
        }
    }
}

/// The values a rule refers to in a report, to show the reviewer why it failed: each item
/// (`prev(item)` for last year's, `org.field` for the registry's, `report_year`, `report_end`)
/// with its value as people read it (choice labels, 是/否, `YYYY-MM-DD`; missing values as
/// `rules.missing_value`).
pub fn explain(rule: &CompiledRule, p: &Prepared<'_>, lang: Lang) -> Vec<(String, String)> {
    let label = |id: u32| {
        rule.labels.get(id as usize).map_or_else(
            || "?".to_string(),
            |(zh, en)| match lang {
                Lang::ZhCn => zh.clone(),
                Lang::En => en.clone(),
            },
        )
    };
    let missing = || lang.t("rules.missing_value").to_string();
    rule.shown
        .iter()
        .map(|(name, how)| {
            let text = match how {
                Shown::Year(o) => (i64::from(p.year) - i64::from(*o)).to_string(),
                Shown::End(o) => p.ends[usize::from(*o & 1)]
                    .map_or_else(missing, |d| d.format("%Y-%m-%d").to_string()),
                Shown::Multi(slot, ids) => match p.get(*slot) {
                    V::Multi(m) => ids
                        .iter()
                        .enumerate()
                        .filter(|(bit, _)| *bit < 64 && m & (1 << bit) != 0)
                        .map(|(_, &id)| label(id))
                        .collect::<Vec<_>>()
                        .join(lang.t("list.separator")),
                    _ => missing(),
                },
                Shown::Slot(slot) => match p.get(*slot) {
                    V::Missing => missing(),
                    V::Num(x) => crate::report::decimal_text(x),
                    V::Bool(b) => lang.t(if b { "yes" } else { "no" }).to_string(),
                    V::Text(s) => s.to_string(),
                    V::Choice(id) => label(id),
                    V::Multi(_) => String::new(),
                    V::Date(d) => d.format("%Y-%m-%d").to_string(),
                },
            };
            (name.clone(), text)
        })
        .collect()
}

/// The columns of a sheet of rules, in the order the sample and exports use.
pub const RULE_COLUMNS: &[&str] = &[
    "code",
    "name::zh",
    "name::en",
    "group",
    "severity",
    "missing",
    "expr",
    "items",
    "instruction::zh",
    "instruction::en",
];

fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Reads rules from the rows of a sheet ([`RULE_COLUMNS`]), or lists every problem: codes
/// malformed or repeated, names and expressions missing, severities and strategies unknown.
/// Nothing is type-checked here (see [`build_rules`]).
pub fn read_rules(rows: &[SheetRow]) -> Result<Vec<Rule>, Vec<RuleProblem>> {
    let mut problems = Vec::new();
    let mut rules = Vec::new();
    let mut seen = BTreeSet::new();
    for r in rows {
        let get = |c: &str| r.cells.get(c).map_or("", |s| value::trim(s)).to_string();
        if RULE_COLUMNS.iter().all(|c| get(c).is_empty()) {
            continue;
        }
        let mut problem = |column: &str, msg: Msg| {
            problems.push(RuleProblem {
                row: r.row,
                column: Some(column.to_string()),
                position: None,
                msg,
            })
        };
        let code = get("code");
        if !is_code(&code) {
            problem("code", Msg::new("template.bad_code").with("value", &code));
        } else if !seen.insert(code.clone()) {
            problem("code", Msg::new("template.duplicate").with("value", &code));
        }
        let name_zh = get("name::zh");
        if name_zh.is_empty() {
            problem("name::zh", Msg::new("problem.required"));
        }
        let expr = get("expr");
        if expr.is_empty() {
            problem("expr", Msg::new("problem.required"));
        }
        let severity = match get("severity").as_str() {
            "" => {
                problem("severity", Msg::new("problem.required"));
                Severity::Error
            }
            s => Severity::parse(s).unwrap_or_else(|| {
                problem("severity", Msg::new("rules.bad_severity").with("value", s));
                Severity::Error
            }),
        };
        let missing = match get("missing").as_str() {
            "" => MissingStrategy::default(),
            s => MissingStrategy::parse(s).unwrap_or_else(|| {
                problem("missing", Msg::new("rules.bad_missing").with("value", s));
                MissingStrategy::default()
            }),
        };
        let items = get("items")
            .split([',', '，', '、', ';', '；', ' ', '\u{3000}'])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let name_en = get("name::en");
        rules.push(Rule {
            code,
            name_en: if name_en.is_empty() {
                name_zh.clone()
            } else {
                name_en
            },
            name_zh,
            expr,
            severity,
            missing,
            instruction_zh: get("instruction::zh"),
            instruction_en: get("instruction::en"),
            group: get("group"),
            items,
        });
    }
    if problems.is_empty() {
        Ok(rules)
    } else {
        Err(problems)
    }
}

/// Reads and compiles a sheet of rules against `t`, or lists every problem found (each
/// expression's with its character position).
pub fn build_rules(rows: &[SheetRow], t: &Template) -> Result<Vec<CompiledRule>, Vec<RuleProblem>> {
    let rules = read_rules(rows)?;
    let mut problems = Vec::new();
    let mut compiled = Vec::new();
    let data_rows = rows.iter().filter(|r| {
        RULE_COLUMNS
            .iter()
            .any(|c| r.cells.get(*c).is_some_and(|s| !value::trim(s).is_empty()))
    });
    for (rule, row) in rules.iter().zip(data_rows) {
        match compile(rule, t) {
            Ok(c) => compiled.push(c),
            Err(e) => problems.push(RuleProblem {
                row: row.row,
                column: Some(e.field.to_string()),
                position: e.position,
                msg: e.msg,
            }),
        }
    }
    if problems.is_empty() {
        Ok(compiled)
    } else {
        Err(problems)
    }
}

/// The rules written on a template's items (its `rule` and `severity` columns): one per item
/// with a rule, coded and named after the item, concerning that item.
pub fn template_rules(t: &Template) -> Vec<Rule> {
    t.items
        .iter()
        .filter(|i| !value::trim(&i.rule).is_empty())
        .map(|i| Rule {
            code: i.code.clone(),
            name_zh: i.label_zh.clone(),
            name_en: i.label_en.clone(),
            expr: i.rule.clone(),
            severity: i
                .severity
                .as_deref()
                .and_then(Severity::parse)
                .unwrap_or(Severity::Error),
            missing: MissingStrategy::default(),
            instruction_zh: i.hint_zh.clone(),
            instruction_en: i.hint_en.clone(),
            group: i.section.clone(),
            items: vec![i.code.clone()],
        })
        .collect()
}
