//! The report's prose, written from the figures by Jinja templates (minijinja) that staff can
//! edit: every sentence is a template with the [`Facts`] as its variables, so nothing in the
//! narrative is fixed in code. The defaults are in `templates/<lang>/<name>.j2`; staff's versions
//! replace them by name.
//!
//! Filters for the figures: `pct` (a share 0..1 as `96.3%`), `fixed(n)` (n decimals), `amount`
//! (whole numbers without decimals, others with two), `abs`. A missing value (`none`) prints `—`.

use std::collections::BTreeMap;

use minijinja::value::{Serde, Value};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};
use serde::Serialize;
use shanghui_core::Lang;

use crate::facts::{Facts, Recommendation, Test};

/// Every template, in the order the report uses them, with what its variables are.
pub const NAMES: &[&str] = &[
    "title",
    "overview",
    "reporting",
    "indicators",
    "review",
    "significance",
    "conclusions",
    "rectify",
    "trend",
    "rec_unsubmitted",
    "rec_target_missed",
    "rec_top_rule",
    "rec_significant",
    "rec_weak_child",
    "rec_overdue",
];

macro_rules! defaults {
    ($lang:literal) => {
        [
            include_str!(concat!("../templates/", $lang, "/title.j2")),
            include_str!(concat!("../templates/", $lang, "/overview.j2")),
            include_str!(concat!("../templates/", $lang, "/reporting.j2")),
            include_str!(concat!("../templates/", $lang, "/indicators.j2")),
            include_str!(concat!("../templates/", $lang, "/review.j2")),
            include_str!(concat!("../templates/", $lang, "/significance.j2")),
            include_str!(concat!("../templates/", $lang, "/conclusions.j2")),
            include_str!(concat!("../templates/", $lang, "/rectify.j2")),
            include_str!(concat!("../templates/", $lang, "/trend.j2")),
            include_str!(concat!("../templates/", $lang, "/rec_unsubmitted.j2")),
            include_str!(concat!("../templates/", $lang, "/rec_target_missed.j2")),
            include_str!(concat!("../templates/", $lang, "/rec_top_rule.j2")),
            include_str!(concat!("../templates/", $lang, "/rec_significant.j2")),
            include_str!(concat!("../templates/", $lang, "/rec_weak_child.j2")),
            include_str!(concat!("../templates/", $lang, "/rec_overdue.j2")),
        ]
    };
}

const ZH: [&str; 15] = defaults!("zh-CN");
const EN: [&str; 15] = defaults!("en");

/// The shipped template `name` in `lang`.
pub fn default_source(lang: Lang, name: &str) -> Option<&'static str> {
    let i = NAMES.iter().position(|n| *n == name)?;
    Some(match lang {
        Lang::ZhCn => ZH[i],
        Lang::En => EN[i],
    })
}

/// A bound on the work one template may do: staff templates cannot loop forever.
const FUEL: u64 = 5_000_000;

/// A template that does not parse or does not render: where, and why (minijinja's words).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateProblem {
    pub name: String,
    pub line: Option<usize>,
    pub detail: String,
}

impl std::fmt::Display for TemplateProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}.j2:{l}: {}", self.name, self.detail),
            None => write!(f, "{}.j2: {}", self.name, self.detail),
        }
    }
}

fn problem(name: &str, e: &Error) -> TemplateProblem {
    let mut detail = e.kind().to_string();
    if let Some(d) = e.detail() {
        detail.push_str(": ");
        detail.push_str(d);
    }
    TemplateProblem {
        name: name.to_string(),
        line: e.line(),
        detail,
    }
}

/// The templates of one language: the defaults with staff's versions over them.
pub struct Narrative {
    env: Environment<'static>,
}

impl Narrative {
    /// The defaults of `lang` with `custom` (name → source) in their place. A custom template that
    /// does not parse is refused with its line.
    pub fn new(
        lang: Lang,
        custom: &BTreeMap<String, String>,
    ) -> Result<Narrative, TemplateProblem> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        env.add_filter("pct", pct);
        env.add_filter("fixed", fixed);
        env.add_filter("amount", amount);
        env.add_filter("abs", abs);
        for name in NAMES {
            let source = match custom.get(*name) {
                Some(s) => s.clone(),
                None => default_source(lang, name).unwrap_or_default().to_string(),
            };
            env.add_template_owned(name.to_string(), source)
                .map_err(|e| problem(name, &e))?;
        }
        Ok(Narrative { env })
    }

    fn render(&self, name: &str, ctx: Value) -> Result<String, TemplateProblem> {
        let t = self.env.get_template(name).map_err(|e| problem(name, &e))?;
        let text = t.render(ctx).map_err(|e| problem(name, &e))?;
        Ok(text.trim().to_string())
    }

    /// Template `name` over the whole facts; its paragraphs (separated by blank lines or line
    /// breaks) one by one, empty ones dropped.
    pub fn paragraphs(&self, name: &str, f: &Facts) -> Result<Vec<String>, TemplateProblem> {
        let text = self.render(name, Value::from(Serde(f)))?;
        Ok(split(&text))
    }

    /// The title line.
    pub fn title(&self, f: &Facts) -> Result<String, TemplateProblem> {
        Ok(self
            .paragraphs("title", f)?
            .into_iter()
            .next()
            .unwrap_or_default())
    }

    /// The sentence on one significance test (`test` beside the facts).
    pub fn test(&self, f: &Facts, test: &Test) -> Result<Vec<String>, TemplateProblem> {
        let ctx = with(f, "test", test);
        Ok(split(&self.render("significance", ctx)?))
    }

    /// One recommendation's sentence, from the template of its kind (`r` beside the facts).
    pub fn recommendation(&self, f: &Facts, r: &Recommendation) -> Result<String, TemplateProblem> {
        let ctx = with(f, "r", r);
        self.render(&format!("rec_{}", r.kind), ctx)
    }
}

/// The facts' fields with one more variable.
fn with(f: &Facts, name: &str, extra: &impl Serialize) -> Value {
    let mut map: BTreeMap<String, Value> = BTreeMap::new();
    if let Ok(obj) = serde_json::to_value(f)
        && let serde_json::Value::Object(o) = obj
    {
        for (k, v) in o {
            map.insert(k, Value::from(Serde(&v)));
        }
    }
    map.insert(name.to_string(), Value::from(Serde(extra)));
    Value::from(map)
}

fn split(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether `source` is a usable template `name` in `lang`: it parses and renders over the
/// sample facts (what staff saving an edited template are told).
pub fn check(lang: Lang, name: &str, source: &str, sample: &Facts) -> Result<(), TemplateProblem> {
    if !NAMES.contains(&name) {
        return Err(TemplateProblem {
            name: name.to_string(),
            line: None,
            detail: "unknown template".into(),
        });
    }
    let custom = BTreeMap::from([(name.to_string(), source.to_string())]);
    let n = Narrative::new(lang, &custom)?;
    match name {
        "significance" => {
            let test = sample_test();
            n.test(sample, &test).map(|_| ())
        }
        _ if name.starts_with("rec_") => {
            let r = Recommendation {
                kind: NAMES
                    .iter()
                    .find(|x| **x == name)
                    .map(|x| &x[4..])
                    .unwrap_or("unsubmitted"),
                name: "—".into(),
                count: 1,
                value: Some(0.5),
                target: Some(80.0),
                unit: "%".into(),
            };
            n.recommendation(sample, &r).map(|_| ())
        }
        _ => n.paragraphs(name, sample).map(|_| ()),
    }
}

fn sample_test() -> Test {
    Test {
        by: "—".into(),
        rows: vec!["a".into(), "b".into()],
        cols: vec!["x".into(), "y".into()],
        counts: vec![vec![10.0, 2.0], vec![4.0, 8.0]],
        chi2: 6.17,
        df: 1.0,
        p: 0.013,
        sparse: 0.0,
        significant: true,
        worst: Some("b".into()),
        worst_share: Some(0.67),
    }
}

// -------------------------------------------------------------------------------------------------
// Filters.

fn number(v: &Value) -> Option<f64> {
    if v.is_none() || v.is_undefined() {
        return None;
    }
    f64::try_from(v.clone()).ok()
}

fn not_a_number(v: &Value) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!("expected a number, got {}", v.kind()),
    )
}

/// A share (0..1) as a percentage with one decimal: 0.963 → `96.3%`.
fn pct(v: Value) -> Result<String, Error> {
    if v.is_none() {
        return Ok("—".into());
    }
    let x = number(&v).ok_or_else(|| not_a_number(&v))?;
    Ok(crate::charts::share(x))
}

fn fixed(v: Value, decimals: Option<u32>) -> Result<String, Error> {
    if v.is_none() {
        return Ok("—".into());
    }
    let x = number(&v).ok_or_else(|| not_a_number(&v))?;
    Ok(crate::charts::fixed(x, decimals.unwrap_or(1) as usize))
}

/// A count as counted: whole numbers without decimals, sums of report items with two.
fn amount(v: Value) -> Result<String, Error> {
    if v.is_none() {
        return Ok("—".into());
    }
    let x = number(&v).ok_or_else(|| not_a_number(&v))?;
    Ok(crate::charts::counted(x))
}

fn abs(v: Value) -> Result<Value, Error> {
    if v.is_none() {
        return Ok(v);
    }
    let x = number(&v).ok_or_else(|| not_a_number(&v))?;
    Ok(Value::from(x.abs()))
}
