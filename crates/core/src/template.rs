//! Annual-report templates (年报模板): items with stable codes, labels in both languages, types,
//! constraints and conditional detail fields, in the shape of an XLSForm (sheets `survey`,
//! `choices`, `settings`) so that staff can edit a template in Excel and import it back.
//!
//! Built from rows of text so that the shipped sample (CSV beside this crate) and a workbook read
//! by the files crate go through the same checks, and every problem names its sheet, row and
//! column.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::i18n::{Lang, Msg};
use crate::value;

/// The type of an item's answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ItemType {
    Integer,
    Decimal,
    Text,
    YesNo,
    /// One of the choices of a list.
    Choice(String),
    /// Any of the choices of a list.
    MultiChoice(String),
    Date,
}

/// Shown and required only when another item has (or has not) a value, e.g. the reason for
/// having no party organisation when 是否建立党组织 = 否.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Condition {
    pub item: String,
    pub negated: bool,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Item {
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
    pub ty: ItemType,
    pub required: bool,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub relevant: Option<Condition>,
    pub section: String,
    /// The number of a statistical item (the 24 of the sample); detail fields have none.
    pub counted: Option<u32>,
    /// The four-good dimension the item speaks to, if any.
    pub dimension: Option<String>,
    pub hint_zh: String,
    pub hint_en: String,
    /// A check on the answer in the rule language (issue 5 type-checks it; until then it is kept
    /// as written so that a workbook round trip loses nothing).
    #[serde(default)]
    pub rule: String,
    /// How serious a failed `rule` is: `error`, `finding` or `warning`.
    #[serde(default)]
    pub severity: Option<String>,
}

/// The severities a rule may carry (STANDARDS.md §4 and the sample template).
pub const SEVERITIES: &[&str] = &["error", "finding", "warning"];

impl Item {
    pub fn label(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhCn => &self.label_zh,
            Lang::En => &self.label_en,
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Choice {
    pub list: String,
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
}

/// A typed answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Value {
    Integer(i64),
    Decimal(f64),
    Text(String),
    YesNo(bool),
    Choice(String),
    Choices(Vec<String>),
    Date(NaiveDate),
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Template {
    pub form_id: String,
    pub version: u32,
    pub title_zh: String,
    pub title_en: String,
    pub items: Vec<Item>,
    pub choices: Vec<Choice>,
}

/// A row of a sheet: its number as a spreadsheet shows it, and its cells by column header.
#[derive(Debug, Clone, Default)]
pub struct SheetRow {
    pub row: usize,
    pub cells: BTreeMap<String, String>,
}

impl SheetRow {
    fn get(&self, column: &str) -> &str {
        self.cells.get(column).map(|s| value::trim(s)).unwrap_or("")
    }
}

/// A problem in a template's sheets.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TemplateProblem {
    pub sheet: &'static str,
    pub row: Option<usize>,
    pub column: Option<String>,
    pub msg: Msg,
}

impl TemplateProblem {
    pub fn render(&self, lang: Lang) -> String {
        let mut place = lang.tf("template.at_sheet", &[("sheet", self.sheet)]);
        if let Some(r) = self.row {
            place = lang.tf(
                "template.at_row",
                &[("place", &place), ("row", &r.to_string())],
            );
        }
        if let Some(c) = &self.column {
            place = lang.tf("template.at_column", &[("place", &place), ("column", c)]);
        }
        lang.tf(
            "template.problem",
            &[("place", &place), ("message", &self.msg.render(lang))],
        )
    }
}

fn problem(
    sheet: &'static str,
    row: Option<usize>,
    column: Option<&str>,
    msg: Msg,
) -> TemplateProblem {
    TemplateProblem {
        sheet,
        row,
        column: column.map(str::to_string),
        msg,
    }
}

fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl ItemType {
    /// The type as the `survey` sheet's `type` column writes it (`integer`, `select_one list`):
    /// what [`parse_type`] reads back.
    pub fn xlsform(&self) -> String {
        match self {
            ItemType::Integer => "integer".into(),
            ItemType::Decimal => "decimal".into(),
            ItemType::Text => "text".into(),
            ItemType::YesNo => "yes_no".into(),
            ItemType::Date => "date".into(),
            ItemType::Choice(list) => format!("select_one {list}"),
            ItemType::MultiChoice(list) => format!("select_multiple {list}"),
        }
    }
}

fn parse_type(raw: &str) -> Option<ItemType> {
    let mut parts = raw.split_whitespace();
    let head = parts.next()?;
    let list = parts.next().map(str::to_string);
    if parts.next().is_some() {
        return None;
    }
    Some(match (head, list) {
        ("integer", None) => ItemType::Integer,
        ("decimal", None) => ItemType::Decimal,
        ("text", None) => ItemType::Text,
        ("yes_no", None) => ItemType::YesNo,
        ("date", None) => ItemType::Date,
        ("select_one", Some(l)) => ItemType::Choice(l),
        ("select_multiple", Some(l)) => ItemType::MultiChoice(l),
        _ => return None,
    })
}

/// The column names of the `survey` sheet, in the order the sample and exports use.
pub const SURVEY_COLUMNS: &[&str] = &[
    "type",
    "name",
    "label::zh",
    "label::en",
    "required",
    "min",
    "max",
    "relevant",
    "section",
    "counted",
    "dimension",
    "hint::zh",
    "hint::en",
    "rule",
    "severity",
];
pub const CHOICES_COLUMNS: &[&str] = &["list_name", "name", "label::zh", "label::en"];

/// Builds a template from its three sheets, or lists every problem found.
pub fn build(
    settings: &[SheetRow],
    survey: &[SheetRow],
    choices: &[SheetRow],
) -> Result<Template, Vec<TemplateProblem>> {
    let mut problems = Vec::new();
    let setting = |key: &str| {
        settings
            .iter()
            .find(|r| r.get("key") == key)
            .map(|r| r.get("value").to_string())
    };
    let form_id = setting("form_id").unwrap_or_default();
    if !is_code(&form_id) {
        problems.push(problem(
            "settings",
            None,
            Some("form_id"),
            Msg::new("template.bad_code").with("value", &form_id),
        ));
    }
    let version = setting("version")
        .and_then(|v| value::parse_int(&v))
        .filter(|v| *v >= 1);
    if version.is_none() {
        problems.push(problem(
            "settings",
            None,
            Some("version"),
            Msg::new("template.bad_version"),
        ));
    }
    let title_zh = setting("title::zh").unwrap_or_default();
    let title_en = setting("title::en").unwrap_or_else(|| title_zh.clone());
    if title_zh.is_empty() {
        problems.push(problem(
            "settings",
            None,
            Some("title::zh"),
            Msg::new("problem.required"),
        ));
    }

    let mut list_choices: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut parsed_choices = Vec::new();
    for r in choices {
        let (list, code) = (r.get("list_name"), r.get("name"));
        if !is_code(list) {
            problems.push(problem(
                "choices",
                Some(r.row),
                Some("list_name"),
                Msg::new("template.bad_code").with("value", list),
            ));
            continue;
        }
        if !is_code(code) {
            problems.push(problem(
                "choices",
                Some(r.row),
                Some("name"),
                Msg::new("template.bad_code").with("value", code),
            ));
            continue;
        }
        if r.get("label::zh").is_empty() {
            problems.push(problem(
                "choices",
                Some(r.row),
                Some("label::zh"),
                Msg::new("problem.required"),
            ));
        }
        if !list_choices
            .entry(list.to_string())
            .or_default()
            .insert(code.to_string())
        {
            problems.push(problem(
                "choices",
                Some(r.row),
                Some("name"),
                Msg::new("template.duplicate").with("value", code),
            ));
        }
        parsed_choices.push(Choice {
            list: list.to_string(),
            code: code.to_string(),
            label_zh: r.get("label::zh").to_string(),
            label_en: non_empty_or(r.get("label::en"), r.get("label::zh")),
        });
    }
    let sections: BTreeSet<&str> = parsed_choices
        .iter()
        .filter(|c| c.list == "section")
        .map(|c| c.code.as_str())
        .collect();

    let mut items: Vec<Item> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut conditions: Vec<(usize, usize, String)> = Vec::new(); // (item index, row, raw)
    for r in survey {
        let code = r.get("name");
        if !is_code(code) {
            problems.push(problem(
                "survey",
                Some(r.row),
                Some("name"),
                Msg::new("template.bad_code").with("value", code),
            ));
            continue;
        }
        if !seen.insert(code.to_string()) {
            problems.push(problem(
                "survey",
                Some(r.row),
                Some("name"),
                Msg::new("template.duplicate").with("value", code),
            ));
        }
        let Some(ty) = parse_type(r.get("type")) else {
            problems.push(problem(
                "survey",
                Some(r.row),
                Some("type"),
                Msg::new("template.bad_type").with("value", r.get("type")),
            ));
            continue;
        };
        if let ItemType::Choice(l) | ItemType::MultiChoice(l) = &ty
            && !list_choices.contains_key(l)
        {
            problems.push(problem(
                "survey",
                Some(r.row),
                Some("type"),
                Msg::new("template.unknown_list").with("value", l),
            ));
        }
        if r.get("label::zh").is_empty() {
            problems.push(problem(
                "survey",
                Some(r.row),
                Some("label::zh"),
                Msg::new("problem.required"),
            ));
        }
        let required = match r.get("required") {
            "" => false,
            raw => match value::parse_bool(raw) {
                Some(b) => b,
                None => {
                    problems.push(problem(
                        "survey",
                        Some(r.row),
                        Some("required"),
                        Msg::new("template.bad_bool").with("value", raw),
                    ));
                    false
                }
            },
        };
        let mut bound = |col: &str| -> Option<f64> {
            let raw = r.get(col);
            if raw.is_empty() {
                return None;
            }
            let v = value::parse_decimal(raw);
            if v.is_none() {
                problems.push(problem(
                    "survey",
                    Some(r.row),
                    Some(col),
                    Msg::new("template.bad_number").with("value", raw),
                ));
            }
            v
        };
        let (min, max) = (bound("min"), bound("max"));
        if let (Some(a), Some(b)) = (min, max)
            && a > b
        {
            problems.push(problem(
                "survey",
                Some(r.row),
                Some("max"),
                Msg::new("template.min_above_max"),
            ));
        }
        let section = r.get("section").to_string();
        if !sections.is_empty() && !sections.contains(section.as_str()) {
            problems.push(problem(
                "survey",
                Some(r.row),
                Some("section"),
                Msg::new("template.unknown_section").with("value", &section),
            ));
        }
        let counted = match r.get("counted") {
            "" => None,
            raw => {
                let n = value::parse_int(raw).filter(|n| *n >= 1).map(|n| n as u32);
                if n.is_none() {
                    problems.push(problem(
                        "survey",
                        Some(r.row),
                        Some("counted"),
                        Msg::new("template.bad_number").with("value", raw),
                    ));
                }
                n
            }
        };
        let severity = match r.get("severity") {
            "" => None,
            raw => {
                let lower = raw.to_ascii_lowercase();
                if !SEVERITIES.contains(&lower.as_str()) {
                    problems.push(problem(
                        "survey",
                        Some(r.row),
                        Some("severity"),
                        Msg::new("template.bad_severity").with("value", raw),
                    ));
                }
                Some(lower)
            }
        };
        if !r.get("relevant").is_empty() {
            conditions.push((items.len(), r.row, r.get("relevant").to_string()));
        }
        items.push(Item {
            code: code.to_string(),
            label_zh: r.get("label::zh").to_string(),
            label_en: non_empty_or(r.get("label::en"), r.get("label::zh")),
            ty,
            required,
            min,
            max,
            relevant: None,
            section,
            counted,
            dimension: Some(r.get("dimension").to_string()).filter(|d| !d.is_empty()),
            hint_zh: r.get("hint::zh").to_string(),
            hint_en: r.get("hint::en").to_string(),
            rule: r.get("rule").to_string(),
            severity,
        });
    }
    if items.is_empty() && problems.is_empty() {
        problems.push(problem("survey", None, None, Msg::new("template.no_items")));
    }
    for (i, row, raw) in conditions {
        match parse_condition(&raw, &items[..i], &parsed_choices) {
            Ok(c) => items[i].relevant = Some(c),
            Err(m) => problems.push(problem("survey", Some(row), Some("relevant"), m)),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Template {
        form_id,
        version: version.unwrap_or(1) as u32,
        title_zh,
        title_en,
        items,
        choices: parsed_choices,
    })
}

fn non_empty_or(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        a.to_string()
    }
}

/// `item = value` or `item != value`, where the item comes earlier in the survey.
fn parse_condition(raw: &str, earlier: &[Item], choices: &[Choice]) -> Result<Condition, Msg> {
    let (left, negated, right) = if let Some((l, r)) = raw.split_once("!=") {
        (l, true, r)
    } else if let Some((l, r)) = raw.split_once('=') {
        (l, false, r)
    } else {
        return Err(Msg::new("template.bad_condition").with("value", raw));
    };
    let code = left.trim();
    let Some(item) = earlier.iter().find(|i| i.code == code) else {
        return Err(Msg::new("template.condition_item").with("value", code));
    };
    let value = parse_value(item, right.trim(), choices)
        .map_err(|_| {
            Msg::new("template.condition_value")
                .with("value", right.trim())
                .with("item", code)
        })?
        .ok_or_else(|| Msg::new("template.bad_condition").with("value", raw))?;
    Ok(Condition {
        item: code.to_string(),
        negated,
        value,
    })
}

/// Reads an answer the way spreadsheets and forms hold it (see [`crate::value`]). `Ok(None)` is
/// an empty answer; an unreadable one is an error message naming what was expected.
pub fn parse_value(item: &Item, raw: &str, choices: &[Choice]) -> Result<Option<Value>, Msg> {
    let text = value::trim(raw);
    if text.is_empty() {
        return Ok(None);
    }
    let unreadable = |expected: &'static str| {
        Msg::new("problem.unreadable")
            .with("value", text)
            .with_key("expected", expected)
    };
    let choice = |list: &str, s: &str| -> Option<String> {
        let s = value::normalize(s);
        choices
            .iter()
            .filter(|c| c.list == list)
            .find(|c| c.code == s || c.label_zh == s || c.label_en.eq_ignore_ascii_case(&s))
            .map(|c| c.code.clone())
    };
    let v = match &item.ty {
        ItemType::Integer => {
            Value::Integer(value::parse_int(text).ok_or_else(|| unreadable("expected.integer"))?)
        }
        ItemType::Decimal => Value::Decimal(
            value::parse_decimal(text).ok_or_else(|| unreadable("expected.decimal"))?,
        ),
        ItemType::Text => Value::Text(text.to_string()),
        ItemType::YesNo => {
            Value::YesNo(value::parse_bool(text).ok_or_else(|| unreadable("expected.yes_no"))?)
        }
        ItemType::Date => {
            Value::Date(value::parse_date(text).ok_or_else(|| unreadable("expected.date"))?)
        }
        ItemType::Choice(list) => {
            Value::Choice(choice(list, text).ok_or_else(|| unreadable("expected.choice"))?)
        }
        ItemType::MultiChoice(list) => {
            let mut codes = Vec::new();
            for part in text
                .split([',', '，', '、', ';', '；', ' '])
                .filter(|p| !p.trim().is_empty())
            {
                codes.push(choice(list, part).ok_or_else(|| unreadable("expected.choice"))?);
            }
            Value::Choices(codes)
        }
    };
    if let Some(n) = match v {
        Value::Integer(i) => Some(i as f64),
        Value::Decimal(d) => Some(d),
        _ => None,
    } {
        if let Some(min) = item.min
            && n < min
        {
            return Err(Msg::new("template.below_min")
                .with("value", text)
                .with("min", min));
        }
        if let Some(max) = item.max
            && n > max
        {
            return Err(Msg::new("template.above_max")
                .with("value", text)
                .with("max", max));
        }
    }
    Ok(Some(v))
}

impl Template {
    pub fn item(&self, code: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.code == code)
    }

    /// Whether an item applies, given the answers so far (an item whose condition's item is
    /// unanswered does not apply).
    pub fn applies(&self, item: &Item, answers: &BTreeMap<String, Value>) -> bool {
        match &item.relevant {
            None => true,
            Some(c) => match answers.get(&c.item) {
                None => false,
                Some(v) => (v == &c.value) != c.negated,
            },
        }
    }

    /// Reads every answer of a report: typed values, and the problems by item (unreadable values,
    /// bounds, required items missing, answers to items that do not apply).
    pub fn read(
        &self,
        raw: &BTreeMap<String, String>,
    ) -> (BTreeMap<String, Value>, Vec<(String, Msg)>) {
        let mut values = BTreeMap::new();
        let mut problems = Vec::new();
        for item in &self.items {
            match parse_value(
                item,
                raw.get(&item.code).map(String::as_str).unwrap_or(""),
                &self.choices,
            ) {
                Ok(Some(v)) => {
                    values.insert(item.code.clone(), v);
                }
                Ok(None) => {}
                Err(m) => problems.push((item.code.clone(), m)),
            }
        }
        for item in &self.items {
            let applies = self.applies(item, &values);
            let answered = values.contains_key(&item.code);
            if applies
                && item.required
                && !answered
                && !problems.iter().any(|(c, _)| c == &item.code)
            {
                problems.push((item.code.clone(), Msg::new("problem.required")));
            }
            if !applies && answered {
                values.remove(&item.code);
            }
        }
        (values, problems)
    }
}

/// Splits the shipped sample's CSV text into rows (no quoting: the sample has no commas in cells).
fn csv_rows(text: &str) -> Vec<SheetRow> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    lines
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| SheetRow {
            row: i + 2,
            cells: header
                .iter()
                .zip(l.split(','))
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect(),
        })
        .collect()
}

/// The sample template shipped as the default (../shared/domain/ANNUAL_REPORT_TEMPLATE.md).
pub fn sample() -> Template {
    build(
        &csv_rows(include_str!("../data/template/settings.csv")),
        &csv_rows(include_str!("../data/template/survey.csv")),
        &csv_rows(include_str!("../data/template/choices.csv")),
    )
    .expect("the shipped sample template is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn sample_has_the_24_counted_items() {
        let t = sample();
        let counted: Vec<u32> = t.items.iter().filter_map(|i| i.counted).collect();
        assert_eq!(counted, (1..=24).collect::<Vec<_>>());
        assert_eq!(
            t.item("party_org_reason")
                .unwrap()
                .relevant
                .as_ref()
                .unwrap()
                .item,
            "party_org"
        );
        for line in [
            include_str!("../data/template/survey.csv"),
            include_str!("../data/template/choices.csv"),
        ] {
            let mut l = line.lines();
            let n = l.next().unwrap().split(',').count();
            for row in l {
                assert_eq!(row.split(',').count(), n, "{row}");
            }
        }
    }

    /// Values as people type them and spreadsheets hold them.
    #[test]
    fn real_world_spellings() {
        let t = sample();
        let cases: &[(&str, &str, Option<Value>)] = &[
            ("members_total", "1,234", Some(Value::Integer(1234))),
            ("members_total", "１２３", Some(Value::Integer(123))),
            ("members_total", " 45 ", Some(Value::Integer(45))),
            ("members_total", "45.0", Some(Value::Integer(45))),
            ("income_total", "12.5", Some(Value::Decimal(12.5))),
            ("income_total", "1,200.50", Some(Value::Decimal(1200.5))),
            ("party_org", "是", Some(Value::YesNo(true))),
            ("party_org", "有", Some(Value::YesNo(true))),
            ("party_org", "Y", Some(Value::YesNo(true))),
            ("party_org", "√", Some(Value::YesNo(true))),
            ("party_org", "无", Some(Value::YesNo(false))),
            ("party_org", "×", Some(Value::YesNo(false))),
            (
                "last_reelection",
                "2024-05-31",
                NaiveDate::from_ymd_opt(2024, 5, 31).map(Value::Date),
            ),
            (
                "last_reelection",
                "2024/5/31",
                NaiveDate::from_ymd_opt(2024, 5, 31).map(Value::Date),
            ),
            (
                "last_reelection",
                "2024年5月31日",
                NaiveDate::from_ymd_opt(2024, 5, 31).map(Value::Date),
            ),
            (
                "last_reelection",
                "45443",
                NaiveDate::from_ymd_opt(2024, 5, 31).map(Value::Date),
            ),
            ("category", "行业", Some(Value::Choice("industry".into()))),
            (
                "category",
                "industry",
                Some(Value::Choice("industry".into())),
            ),
            (
                "category",
                "Industry",
                Some(Value::Choice("industry".into())),
            ),
            (
                "prior_inspection",
                "基本合格",
                Some(Value::Choice("basically_qualified".into())),
            ),
            ("members_total", "", None),
        ];
        for (code, raw, want) in cases {
            let item = t.item(code).unwrap();
            assert_eq!(
                parse_value(item, raw, &t.choices).unwrap(),
                *want,
                "{code} {raw:?}"
            );
        }
        for (code, raw) in [
            ("members_total", "很多"),
            ("members_total", "-3"),
            ("members_total", "12.5"),
            ("party_org", "也许"),
            ("last_reelection", "2023-02-30"),
            ("category", "协会"),
        ] {
            let item = t.item(code).unwrap();
            assert!(
                parse_value(item, raw, &t.choices).is_err(),
                "{code} {raw:?}"
            );
        }
    }

    #[test]
    fn conditional_details() {
        let t = sample();
        let (values, problems) = t.read(&answers(&[("party_org", "否")]));
        assert!(
            problems.iter().any(|(c, _)| c == "party_org_reason"),
            "{problems:?}"
        );
        assert!(values.contains_key("party_org"));
        let (_, problems) = t.read(&answers(&[
            ("party_org", "是"),
            ("party_org_reason", "不适用"),
        ]));
        assert!(!problems.iter().any(|(c, _)| c == "party_org_reason"));
        // Not 合格 last year: a rectification report is required.
        let (_, p) = t.read(&answers(&[("prior_inspection", "基本合格")]));
        assert!(p.iter().any(|(c, _)| c == "rectification_report"));
        let (_, p) = t.read(&answers(&[("prior_inspection", "合格")]));
        assert!(!p.iter().any(|(c, _)| c == "rectification_report"));
    }

    #[test]
    fn every_problem_with_its_place() {
        let row = |n: usize, cells: &[(&str, &str)]| SheetRow {
            row: n,
            cells: cells
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        let settings = vec![row(2, &[("key", "form_id"), ("value", "Bad Id")])];
        let survey = vec![
            row(
                2,
                &[
                    ("type", "integer"),
                    ("name", "a"),
                    ("label::zh", "甲"),
                    ("min", "5"),
                    ("max", "1"),
                ],
            ),
            row(3, &[("type", "integr"), ("name", "b"), ("label::zh", "乙")]),
            row(
                4,
                &[
                    ("type", "select_one nolist"),
                    ("name", "c"),
                    ("label::zh", "丙"),
                ],
            ),
            row(5, &[("type", "text"), ("name", "a"), ("label::zh", "")]),
            row(
                6,
                &[
                    ("type", "text"),
                    ("name", "d"),
                    ("label::zh", "丁"),
                    ("relevant", "zzz = 1"),
                ],
            ),
        ];
        let problems = build(&settings, &survey, &[]).unwrap_err();
        let places: Vec<(&str, Option<usize>, Option<&str>)> = problems
            .iter()
            .map(|p| (p.sheet, p.row, p.column.as_deref()))
            .collect();
        for want in [
            ("settings", None, Some("form_id")),
            ("settings", None, Some("version")),
            ("survey", Some(2), Some("max")),
            ("survey", Some(3), Some("type")),
            ("survey", Some(4), Some("type")),
            ("survey", Some(5), Some("name")),
            ("survey", Some(5), Some("label::zh")),
            ("survey", Some(6), Some("relevant")),
        ] {
            assert!(places.contains(&want), "{want:?} missing from {places:?}");
        }
        let p = problems
            .iter()
            .find(|p| p.row == Some(2) && p.sheet == "survey")
            .unwrap();
        assert_eq!(
            p.render(Lang::ZhCn),
            "工作表“survey”第 2 行“max”列：最小值大于最大值"
        );
        assert_eq!(
            p.render(Lang::En),
            "sheet \"survey\" row 2 column \"max\": The minimum is above the maximum"
        );
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(s in "\\PC{0,30}") {
            let t = sample();
            for item in &t.items {
                let _ = parse_value(item, &s, &t.choices);
            }
        }
    }
}
