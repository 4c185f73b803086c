//! Coverage indicators (覆盖率, issue 8) as data: `value = factor × numerator / denominator` for a
//! node of the organisation tree and a year, where the numerator and the denominator are
//! [`Measure`]s: units of the registry matching a condition, divisions of the country (with or
//! without a unit in them), sums of a report item, reports or rectification notices.
//!
//! ```text
//! party_org_rate             chambers with a party organisation / chambers
//! township_chamber_coverage  official townships and streets with a township or street chamber /
//!                            official townships and streets
//! chamber_growth             (chambers this year − chambers last year) / chambers last year
//! ```
//!
//! Conditions are written in the rule language ([`crate::rules`]) and type-checked the same way
//! (with the character position and a suggestion for a misspelt name): a condition on units reads
//! the registry's facts only (`org.kind = 商会 and org.party_org = 是`), a condition on reports
//! reads the campaign template's items too (`category = 行业`). A unit, report or division counts
//! when its condition *passes*; a condition skipped for a missing value does not count, so a
//! chamber whose party organisation the registry does not know is among the chambers without one
//! (and in the list of those missing).
//!
//! Computing is pure and takes the year's [`Universe`] (every unit existing on 31 December with
//! its ancestors on that date, the campaign's reports and notices) from the store: [`compute`]
//! evaluates each condition once per unit and adds it to every requested node above it, so one
//! indicator for all 3,000 county nodes is one pass over the registry. [`missing_units`],
//! [`missing_divisions`] and [`missing_notices`] list who is in the denominator but not in the
//! numerator, which is how dashboards show who misses and how an exported list recounts the rate.
//!
//! [`builtin_indicators`] are sample defaults, labelled as such; [`Target`]s (per indicator, year
//! and optionally level) give dashboards the gap. Indicators and targets travel as rows of a sheet
//! ([`indicator_rows`], [`read_indicators`], [`target_rows`], [`read_targets`]).

mod builtin;
mod compute;
mod rows;
mod tally;
mod target;
#[cfg(test)]
mod tests;

use std::sync::LazyLock;

use crate::division::DivisionLevel;
use crate::i18n::{Lang, Msg, Param};
use crate::rules::{self, CompiledRule, MissingStrategy, Rule, RuleError, Severity};
use crate::template::{ItemType, Template};
use crate::value;

pub use builtin::builtin_indicators;
pub use compute::{
    DivisionLists, Fraction, NoticeRow, ReportRow, UnitRow, Universe, compute, compute_growth,
    growth, growth_fraction, missing_divisions, missing_notices, missing_units,
};
pub use rows::{
    INDICATOR_COLUMNS, TARGET_COLUMNS, build_indicators, indicator_rows, read_indicators,
    read_targets, target_rows,
};
pub use tally::Tally;
pub use target::{Direction, Target, gap, target_for};

/// An enumeration of this module, stored by a stable code (also its serde name) and shown by a
/// catalogue label (`<prefix>.<code>`).
macro_rules! coded {
    // With `default Variant`: also `Default`.
    ($(#[$meta:meta])* $name:ident, $prefix:literal, default $default:ident {
        $($(#[$vmeta:meta])* $variant:ident => $code:literal),* $(,)?
    }) => {
        coded!($(#[$meta])* $name, $prefix { $($(#[$vmeta])* $variant => $code),* });

        impl Default for $name {
            fn default() -> Self {
                $name::$default
            }
        }
    };
    ($(#[$meta:meta])* $name:ident, $prefix:literal {
        $($(#[$vmeta:meta])* $variant:ident => $code:literal),* $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),* }
            }

            pub fn label(self, lang: Lang) -> &'static str {
                match self { $($name::$variant => lang.t(concat!($prefix, ".", $code))),* }
            }

            /// The code or a label in either language, in any case.
            pub fn parse(input: &str) -> Option<Self> {
                let s = value::normalize(input).to_lowercase();
                Self::ALL.iter().copied().find(|v| {
                    v.code() == s
                        || Lang::ALL
                            .iter()
                            .any(|&l| value::normalize(v.label(l)).to_lowercase() == s)
                })
            }

            /// The codes, for drop-down lists and messages.
            pub fn codes() -> Vec<&'static str> {
                Self::ALL.iter().map(|v| v.code()).collect()
            }
        }
    };
}
pub(crate) use coded;

coded!(
    /// How the value is formed.
    Compare, "indicator.compare", default Ratio {
    /// `factor × numerator / denominator`.
    Ratio => "ratio",
    /// `factor × (numerator(Y) − numerator(Y−1)) / numerator(Y−1)`; the denominator is unused.
    Growth => "growth",
});

coded!(
    /// The kind of a [`Measure`], as the sheet's `numerator.kind` column writes it.
    MeasureKind, "indicator.kind" {
    Units => "units",
    Divisions => "divisions",
    ItemSum => "item_sum",
    Reports => "reports",
    Notices => "notices",
});

coded!(
    /// Which rows of the division table a [`Measure::Divisions`] counts (STANDARDS.md §2:
    /// denominators say which rows they count).
    DivisionRows, "indicator.rows", default Official {
    /// Administrative divisions: neither statistical-only units nor placeholders such as 市辖区.
    Official => "official",
    /// Statistical-only units only: development zones, new areas, farms and the like.
    StatisticalOnly => "statistical_only",
    /// Both, placeholders left out.
    All => "all",
});

coded!(
    /// Where a [`Measure::Divisions`] looks for its divisions.
    Within, "indicator.within", default Node {
    /// Within the node's own division (the whole country for a node without one).
    Node => "node",
    /// Within the province of the node's division.
    Province => "province",
});

coded!(
    /// Which reports of the year's campaign a [`Measure::Reports`] counts. Submitted and on-time
    /// reports count among the expected ones, as the campaign pages count them, so the rates
    /// never pass 100%.
    ReportState, "indicator.report_state" {
    Expected => "expected",
    /// Expected and submitted now (a returned report does not count until submitted again).
    Submitted => "submitted",
    /// Expected, submitted, and first submitted by the deadline.
    OnTime => "on_time",
});

coded!(
    /// Which rectification notices of the year's campaign a [`Measure::Notices`] counts.
    NoticeState, "indicator.notice_state" {
    Issued => "issued",
    /// Closed: every item accepted (销号).
    Closed => "closed",
    /// Closed by the notice's deadline.
    ClosedOnTime => "closed_on_time",
});

/// The code of a division level as sheets write it: `province`, `city`, `county`, `township`.
pub fn level_code(level: DivisionLevel) -> &'static str {
    match level {
        DivisionLevel::Province => "province",
        DivisionLevel::City => "city",
        DivisionLevel::County => "county",
        DivisionLevel::Township => "township",
    }
}

/// The label of a division level (省级、地级、县级、乡级).
pub fn level_label(level: DivisionLevel, lang: Lang) -> &'static str {
    lang.t(match level {
        DivisionLevel::Province => "indicator.level.province",
        DivisionLevel::City => "indicator.level.city",
        DivisionLevel::County => "indicator.level.county",
        DivisionLevel::Township => "indicator.level.township",
    })
}

/// The division levels, coarsest first.
pub const LEVELS: [DivisionLevel; 4] = [
    DivisionLevel::Province,
    DivisionLevel::City,
    DivisionLevel::County,
    DivisionLevel::Township,
];

/// A division level by its code or a label in either language.
pub fn parse_level(input: &str) -> Option<DivisionLevel> {
    let s = value::normalize(input).to_lowercase();
    LEVELS.into_iter().find(|&l| {
        level_code(l) == s
            || Lang::ALL
                .iter()
                .any(|&g| value::normalize(level_label(l, g)).to_lowercase() == s)
    })
}

/// What a numerator or denominator counts, for a node and a year.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Measure {
    /// Units (federations, branches, chambers) strictly below the node on 31 December of the year,
    /// matching `filter` (a condition in the rule language over `org.*`; empty: all).
    Units {
        #[serde(default)]
        filter: String,
    },
    /// Divisions at `level` within the node's division (or, with [`Within::Province`], within
    /// the node's province), of the rows chosen by `rows`; with `having`, only those where at
    /// least one unit below the node matching that condition sits (the unit's division code lies
    /// within the division). `having` empty or `true`: any unit.
    Divisions {
        #[serde(with = "level_serde")]
        level: DivisionLevel,
        #[serde(default)]
        rows: DivisionRows,
        #[serde(default)]
        within: Within,
        #[serde(default)]
        having: Option<String>,
    },
    /// The sum of a numeric report item over the submitted reports (of those expected) of the
    /// year's campaign at or below the node, of those matching `filter` (the template's items and
    /// `org.*`). An unanswered item adds nothing.
    ItemSum {
        item: String,
        #[serde(default)]
        filter: String,
    },
    /// Reports of the year's campaign at or below the node in `state`, matching `filter`. A report
    /// not submitted has no answers: a condition on items skips it.
    Reports {
        state: ReportState,
        #[serde(default)]
        filter: String,
    },
    /// Rectification notices of the year's campaign to units at or below the node, in `state`.
    Notices { state: NoticeState },
}

/// Division levels in JSON by their codes (`township`), as the sheets write them.
mod level_serde {
    use super::{level_code, parse_level};
    use crate::division::DivisionLevel;

    pub fn serialize<S: serde::Serializer>(l: &DivisionLevel, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(level_code(*l))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DivisionLevel, D::Error> {
        let s: String = serde::Deserialize::deserialize(d)?;
        parse_level(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown level {s}")))
    }
}

impl Measure {
    pub fn kind(&self) -> MeasureKind {
        match self {
            Measure::Units { .. } => MeasureKind::Units,
            Measure::Divisions { .. } => MeasureKind::Divisions,
            Measure::ItemSum { .. } => MeasureKind::ItemSum,
            Measure::Reports { .. } => MeasureKind::Reports,
            Measure::Notices { .. } => MeasureKind::Notices,
        }
    }

    /// Whether the measure reads the campaign's template (a condition on reports or an item).
    fn uses_template(&self) -> bool {
        matches!(self, Measure::ItemSum { .. } | Measure::Reports { .. })
    }
}

/// A coverage indicator: `factor × numerator / denominator` (or the growth of the numerator).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Indicator {
    /// Stable identifier (lower-case letters, digits and `_`), unique.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// How it is counted, shown on dashboards.
    #[serde(default)]
    pub description_zh: String,
    #[serde(default)]
    pub description_en: String,
    pub numerator: Measure,
    /// Required for [`Compare::Ratio`]; unused (and not checked) for [`Compare::Growth`].
    #[serde(default)]
    pub denominator: Option<Measure>,
    /// 100 for a percentage.
    pub factor: f64,
    /// `%` usually.
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub compare: Compare,
    /// One of [`builtin_indicators`] (a sample default).
    #[serde(default)]
    pub builtin: bool,
}

impl Indicator {
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhCn => &self.name_zh,
            Lang::En => &self.name_en,
        }
    }

    pub fn description(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhCn => &self.description_zh,
            Lang::En => &self.description_en,
        }
    }

    /// The value shown: `factor × numerator / denominator`, `None` when the denominator is 0.
    /// For a [`Compare::Growth`] indicator, pass the fraction of [`compute_growth`] (or
    /// [`growth_fraction`]).
    pub fn value(&self, f: Fraction) -> Option<f64> {
        f.value().map(|v| v * self.factor)
    }
}

/// A problem with an indicator or a target: the row of a sheet (none for a form), the field
/// named as the sheet's column ([`INDICATOR_COLUMNS`], [`TARGET_COLUMNS`]: `code`,
/// `numerator.filter`), for a condition the 1-based character position, and the message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IndicatorProblem {
    pub row: Option<usize>,
    pub field: String,
    pub position: Option<usize>,
    pub msg: Msg,
}

impl IndicatorProblem {
    fn at(field: &str, msg: Msg) -> Self {
        IndicatorProblem {
            row: None,
            field: field.to_string(),
            position: None,
            msg,
        }
    }

    /// `第 3 行“numerator.filter”列第 12 个字符处：未知函数 …`; without a row `“code”：…`.
    pub fn render(&self, lang: Lang) -> String {
        let mut place = match self.row {
            Some(r) => lang.tf(
                "rules.at_column",
                &[
                    (
                        "place",
                        &lang.tf("rules.at_row", &[("row", &r.to_string())]),
                    ),
                    ("column", &self.field),
                ],
            ),
            None => lang.tf("indicator.at_field", &[("field", &self.field)]),
        };
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

/// A condition compiled for counting.
#[derive(Debug, Clone)]
pub(crate) enum Filter {
    /// No condition: everything counts.
    All,
    /// A condition, and whether it reads nothing but the registry's enumerations (kind, level,
    /// category, registered, party organisation and its form, status), so that its outcome can
    /// be kept per combination of those rather than evaluated for every unit.
    Rule(Box<CompiledRule>, bool),
    /// A condition that does not compile against the year's template: nothing counts.
    Never,
}

/// A measure ready to count.
#[derive(Debug, Clone)]
pub(crate) enum Compiled {
    Units(Filter),
    Divisions {
        level: DivisionLevel,
        rows: DivisionRows,
        within: Within,
        /// `None`: every division of the rows; `Some(filter)`: those with a unit matching it.
        having: Option<Filter>,
    },
    ItemSum {
        item: String,
        filter: Filter,
    },
    Reports {
        state: ReportState,
        filter: Filter,
    },
    Notices {
        state: NoticeState,
    },
}

/// An indicator checked and compiled against a template (the campaign's, for conditions on
/// reports), ready for [`compute`].
#[derive(Debug, Clone)]
pub struct CompiledIndicator {
    pub indicator: Indicator,
    pub(crate) numerator: Compiled,
    /// `None` for [`Compare::Growth`].
    pub(crate) denominator: Option<Compiled>,
    /// The template's form id and version.
    pub(crate) template: (String, u32),
}

impl CompiledIndicator {
    /// Whether the indicator reads the campaign's template (conditions on reports, item sums).
    pub fn uses_template(&self) -> bool {
        self.indicator.numerator.uses_template()
            || (self.indicator.compare == Compare::Ratio
                && self
                    .indicator
                    .denominator
                    .as_ref()
                    .is_some_and(Measure::uses_template))
    }

    /// Whether it was compiled against `t` (same form and version). [`compute`] recompiles for
    /// the year's template when not.
    pub fn compiled_for(&self, t: &Template) -> bool {
        self.template.0 == t.form_id && self.template.1 == t.version
    }
}

/// A template with no items: what conditions on units compile and evaluate against.
pub(crate) static REGISTRY: LazyLock<Template> = LazyLock::new(|| Template {
    form_id: "indicator_registry".into(),
    version: 1,
    title_zh: String::new(),
    title_en: String::new(),
    items: Vec::new(),
    choices: Vec::new(),
});

pub(crate) fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn filter_rule(expr: &str) -> Rule {
    Rule {
        code: "filter".into(),
        name_zh: String::new(),
        name_en: String::new(),
        expr: expr.to_string(),
        severity: Severity::Error,
        missing: MissingStrategy::default(),
        instruction_zh: String::new(),
        instruction_en: String::new(),
        group: String::new(),
        items: Vec::new(),
    }
}

/// Compiles a condition; empty is no condition.
fn compile_filter(expr: &str, t: &Template) -> Result<Filter, RuleError> {
    if value::trim(expr).is_empty() {
        return Ok(Filter::All);
    }
    rules::compile(&filter_rule(expr), t).map(|r| Filter::Rule(Box::new(r), false))
}

/// The registry fields whose values are few: a condition reading only these (and the year)
/// has one outcome per combination of them.
const ENUM_FIELDS: &[&str] = &[
    "org.kind",
    "org.level",
    "org.category",
    "org.registered",
    "org.party_org",
    "org.party_org_form",
    "org.status",
    "report_year",
    "report_end",
];

/// Whether a compiled condition on units reads the registry's enumerations only.
fn reads_enums_only(r: &CompiledRule) -> bool {
    let facts = rules::OrgFacts::default();
    let p = rules::Prepared::new(&REGISTRY, &compute::NO_ANSWERS, None, &facts, 2000);
    rules::explain(r, &p, Lang::En)
        .iter()
        .all(|(name, _)| ENUM_FIELDS.contains(&name.as_str()))
}

fn text_param(msg: &Msg, name: &str) -> Option<String> {
    msg.params.iter().find_map(|(k, v)| match v {
        Param::Text(s) if *k == name => Some(s.clone()),
        _ => None,
    })
}

/// A condition on units: registry facts only. A report item named there is most likely the
/// registry field of the same name, so the message says so.
fn unit_filter(expr: &str) -> Result<Filter, RuleError> {
    let compiled = compile_filter(expr, &REGISTRY).map(|f| match f {
        Filter::Rule(r, _) => {
            let enums = reads_enums_only(&r);
            Filter::Rule(r, enums)
        }
        f => f,
    });
    compiled.map_err(|mut e| {
        if e.msg.key.starts_with("rules.type.unknown_item")
            && let Some(name) = text_param(&e.msg, "name")
        {
            let is_field =
                rules::compile(&filter_rule(&format!("present(org.{name})")), &REGISTRY).is_ok();
            e.msg = if is_field {
                Msg::new("indicator.filter.registry_only_suggest")
                    .with("name", &name)
                    .with("suggestion", format!("org.{name}"))
            } else {
                Msg::new("indicator.filter.registry_only").with("name", &name)
            };
        }
        e
    })
}

/// Why an item cannot be summed, if it cannot: unknown (with the closest code, or the code of an
/// item whose label it is) or not a number.
fn item_problem(item: &str, t: &Template) -> Option<Msg> {
    match t.item(item) {
        Some(i) => match i.ty {
            ItemType::Integer | ItemType::Decimal => None,
            _ => Some(
                Msg::new("indicator.item_not_numeric")
                    .with("item", item)
                    .with("type", i.ty.xlsform()),
            ),
        },
        None => {
            let by_label = t
                .items
                .iter()
                .find(|i| i.label_zh == item || i.label_en.eq_ignore_ascii_case(item));
            if let Some(i) = by_label {
                return Some(
                    Msg::new("rules.type.unknown_item_suggest")
                        .with("name", item)
                        .with("suggestion", &i.code),
                );
            }
            // The rule language's checker names the closest item code.
            let probe = rules::compile(&filter_rule(&format!("present({item})")), t);
            Some(match probe {
                Err(e) if is_code(item) && e.msg.key.starts_with("rules.type.unknown_item") => {
                    e.msg
                }
                _ => Msg::new("rules.type.unknown_item").with("name", item),
            })
        }
    }
}

/// Checks and compiles a measure; with no template, what needs one (conditions on reports,
/// items) is left alone and nothing is compiled.
fn measure(
    prefix: &str,
    m: &Measure,
    t: Option<&Template>,
    problems: &mut Vec<IndicatorProblem>,
) -> Option<Compiled> {
    let field = |name: &str| format!("{prefix}.{name}");
    let rule_problem = |problems: &mut Vec<IndicatorProblem>, name: &str, e: RuleError| {
        problems.push(IndicatorProblem {
            row: None,
            field: field(name),
            position: e.position,
            msg: e.msg,
        })
    };
    match m {
        Measure::Units { filter } => match unit_filter(filter) {
            Ok(f) => Some(Compiled::Units(f)),
            Err(e) => {
                rule_problem(problems, "filter", e);
                None
            }
        },
        Measure::Divisions {
            level,
            rows,
            within,
            having,
        } => {
            let having = match having.as_deref().map(value::trim) {
                None => Some(None),
                Some("") => Some(Some(Filter::All)),
                Some(expr) => match unit_filter(expr) {
                    Ok(f) => Some(Some(f)),
                    Err(e) => {
                        rule_problem(problems, "filter", e);
                        None
                    }
                },
            };
            having.map(|having| Compiled::Divisions {
                level: *level,
                rows: *rows,
                within: *within,
                having,
            })
        }
        Measure::ItemSum { item, filter } => {
            let item = value::trim(item);
            let mut ok = true;
            if item.is_empty() {
                problems.push(IndicatorProblem::at(
                    &field("item"),
                    Msg::new("problem.required"),
                ));
                ok = false;
            }
            let t = t?;
            if ok && let Some(msg) = item_problem(item, t) {
                problems.push(IndicatorProblem::at(&field("item"), msg));
                ok = false;
            }
            let filter = match compile_filter(filter, t) {
                Ok(f) => Some(f),
                Err(e) => {
                    rule_problem(problems, "filter", e);
                    None
                }
            };
            match (ok, filter) {
                (true, Some(filter)) => Some(Compiled::ItemSum {
                    item: item.to_string(),
                    filter,
                }),
                _ => None,
            }
        }
        Measure::Reports { state, filter } => match compile_filter(filter, t?) {
            Ok(filter) => Some(Compiled::Reports {
                state: *state,
                filter,
            }),
            Err(e) => {
                rule_problem(problems, "filter", e);
                None
            }
        },
        Measure::Notices { state } => Some(Compiled::Notices { state: *state }),
    }
}

/// Every problem of `ind`, and the compiled indicator when there is none and a template is given.
/// Without a template, conditions on reports and items are not checked.
fn validate(
    ind: &Indicator,
    t: Option<&Template>,
) -> (Option<CompiledIndicator>, Vec<IndicatorProblem>) {
    let mut problems = Vec::new();
    if !is_code(&ind.code) {
        problems.push(IndicatorProblem::at(
            "code",
            Msg::new("template.bad_code").with("value", &ind.code),
        ));
    }
    for (field, text) in [("name::zh", &ind.name_zh), ("name::en", &ind.name_en)] {
        if value::trim(text).is_empty() {
            problems.push(IndicatorProblem::at(field, Msg::new("problem.required")));
        }
    }
    if !(ind.factor.is_finite() && ind.factor > 0.0) {
        problems.push(IndicatorProblem::at(
            "factor",
            Msg::new("indicator.bad_factor").with("value", ind.factor),
        ));
    }
    let numerator = measure("numerator", &ind.numerator, t, &mut problems);
    let denominator = match (ind.compare, &ind.denominator) {
        (Compare::Growth, _) => Some(None),
        (Compare::Ratio, None) => {
            problems.push(IndicatorProblem::at(
                "denominator.kind",
                Msg::new("indicator.denominator_required"),
            ));
            None
        }
        (Compare::Ratio, Some(m)) => measure("denominator", m, t, &mut problems).map(Some),
    };
    let compiled = match (t, numerator, denominator) {
        (Some(t), Some(numerator), Some(denominator)) if problems.is_empty() => {
            Some(CompiledIndicator {
                indicator: ind.clone(),
                numerator,
                denominator,
                template: (t.form_id.clone(), t.version),
            })
        }
        _ => None,
    };
    (compiled, problems)
}

/// Checks an indicator and compiles its conditions against `t` (the template of the campaign
/// whose reports it counts; any template will do for an indicator that counts no reports), or
/// lists every problem, each naming its field as the sheet's column: the code's form, names
/// missing, a factor not above 0, a denominator missing from a ratio, and in every condition and
/// item what the rule language refuses (with the character position and the closest name), an
/// item that is not a number, a report item in a condition on units.
pub fn check(ind: &Indicator, t: &Template) -> Result<CompiledIndicator, Vec<IndicatorProblem>> {
    match validate(ind, Some(t)) {
        (Some(c), _) => Ok(c),
        (None, problems) => Err(problems),
    }
}

/// The problems [`check`] finds that need no template: everything but conditions on reports and
/// items. For sheets read before a campaign's template is chosen.
pub fn check_without_template(ind: &Indicator) -> Vec<IndicatorProblem> {
    validate(ind, None).1
}
