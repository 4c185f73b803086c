//! Annual reports (年报) as the rest of shanghui sees them: a chamber's answers to a template,
//! how they are stored and shown, what changed between two versions, the workflow of a report
//! (draft → submitted → returned → submitted …) and the reporting rates of a campaign.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::i18n::{Lang, Msg};
use crate::org::coded_enum;
use crate::template::{Choice, Item, ItemType, Template, Value};
use crate::value;

/// A report's answers by item code. Items left empty are absent.
pub type Answers = BTreeMap<String, Value>;

coded_enum!(
    /// Where a report stands. A unit expected to report that has not saved anything has no
    /// report yet ([`UnitState::NotStarted`]).
    ReportStatus, "report_status" {
    Draft => "draft",
    Submitted => "submitted",
    Returned => "returned",
});

coded_enum!(
    /// A campaign (年报工作) is open for filling or closed.
    CampaignStatus, "campaign_status" {
    Open => "open",
    Closed => "closed",
});

/// What someone does to a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Save answers without submitting (the chamber or staff filling online).
    Save,
    /// Submit for review: the report is then locked.
    Submit,
    /// The federation sends a submitted report back with a reason.
    Return,
    /// Staff enter the answers on the chamber's behalf (batch import): the result is submitted.
    Import,
}

/// The status after `action`, or why the action is refused. `None` is a report not started.
pub fn next_status(current: Option<ReportStatus>, action: Action) -> Result<ReportStatus, Msg> {
    use ReportStatus::*;
    match (current, action) {
        (None | Some(Draft), Action::Save) => Ok(Draft),
        (Some(Returned), Action::Save) => Ok(Returned),
        (None | Some(Draft) | Some(Returned), Action::Submit) => Ok(Submitted),
        (Some(Submitted), Action::Save | Action::Submit) => Err(Msg::new("report.locked")),
        (Some(Submitted), Action::Return) => Ok(Returned),
        (_, Action::Return) => Err(Msg::new("report.return_not_submitted")),
        (_, Action::Import) => Ok(Submitted),
    }
}

/// The canonical text of a value: what a form field shows and what [`crate::template::parse_value`]
/// reads back to the same value.
pub fn raw(v: &Value) -> String {
    match v {
        Value::Integer(i) => i.to_string(),
        Value::Decimal(d) => decimal_text(*d),
        Value::Text(s) | Value::Choice(s) => s.clone(),
        Value::YesNo(b) => if *b { "是" } else { "否" }.to_string(),
        Value::Choices(cs) => cs.join(","),
        Value::Date(d) => d.format("%Y-%m-%d").to_string(),
    }
}

/// A decimal without float noise: 12.5, 3, 0.07.
pub fn decimal_text(d: f64) -> String {
    let s = format!("{:.6}", d);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// A value as people read it: choice labels, 是/否 (Yes/No), dates in the language's style.
pub fn display(item: &Item, v: &Value, choices: &[Choice], lang: Lang) -> String {
    let label = |list: &str, code: &str| {
        choices
            .iter()
            .find(|c| c.list == list && c.code == code)
            .map(|c| match lang {
                Lang::ZhCn => c.label_zh.clone(),
                Lang::En => c.label_en.clone(),
            })
            .unwrap_or_else(|| code.to_string())
    };
    match (&item.ty, v) {
        (ItemType::Choice(list), Value::Choice(c)) => label(list, c),
        (ItemType::MultiChoice(list), Value::Choices(cs)) => cs
            .iter()
            .map(|c| label(list, c))
            .collect::<Vec<_>>()
            .join(lang.t("list.separator")),
        (_, Value::YesNo(b)) => lang.t(if *b { "yes" } else { "no" }).to_string(),
        _ => raw(v),
    }
}

/// Answers as stored: one JSON object, numbers as numbers, yes/no as booleans, dates as
/// `YYYY-MM-DD`, multiple choices as arrays of codes.
pub fn to_json(answers: &Answers) -> String {
    let map: serde_json::Map<String, serde_json::Value> = answers
        .iter()
        .map(|(k, v)| {
            let j = match v {
                Value::Integer(i) => serde_json::Value::from(*i),
                Value::Decimal(d) => serde_json::Value::from(*d),
                Value::YesNo(b) => serde_json::Value::from(*b),
                Value::Choices(cs) => serde_json::Value::from(cs.clone()),
                Value::Text(_) | Value::Choice(_) | Value::Date(_) => {
                    serde_json::Value::from(raw(v))
                }
            };
            (k.clone(), j)
        })
        .collect();
    serde_json::Value::Object(map).to_string()
}

/// Reads stored answers back with the template they were filled against. Codes the template no
/// longer has are kept out; a value of the wrong shape is an error (the data is corrupt).
pub fn from_json(t: &Template, json: &str) -> Result<Answers, String> {
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(json).map_err(|e| e.to_string())?;
    let mut out = Answers::new();
    for (code, j) in map {
        let Some(item) = t.item(&code) else { continue };
        let bad = || format!("item {code}: unexpected value {j}");
        let v = match (&item.ty, &j) {
            (ItemType::Integer, serde_json::Value::Number(n)) => {
                Value::Integer(n.as_i64().ok_or_else(bad)?)
            }
            (ItemType::Decimal, serde_json::Value::Number(n)) => {
                Value::Decimal(n.as_f64().ok_or_else(bad)?)
            }
            (ItemType::YesNo, serde_json::Value::Bool(b)) => Value::YesNo(*b),
            (ItemType::Text, serde_json::Value::String(s)) => Value::Text(s.clone()),
            (ItemType::Choice(_), serde_json::Value::String(s)) => Value::Choice(s.clone()),
            (ItemType::Date, serde_json::Value::String(s)) => {
                Value::Date(NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| bad())?)
            }
            (ItemType::MultiChoice(_), serde_json::Value::Array(a)) => Value::Choices(
                a.iter()
                    .map(|x| x.as_str().map(str::to_string).ok_or_else(bad))
                    .collect::<Result<_, _>>()?,
            ),
            _ => return Err(bad()),
        };
        out.insert(code, v);
    }
    Ok(out)
}

/// One item whose answer changed, as canonical text (`None` when empty).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Change {
    pub item: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// The items whose answers differ, in template order.
pub fn changes(t: &Template, old: &Answers, new: &Answers) -> Vec<Change> {
    t.items
        .iter()
        .filter_map(|i| {
            let (a, b) = (old.get(&i.code), new.get(&i.code));
            // Decimals compare by their text, so 1.10 read back as 1.1 is no change.
            let (a, b) = (a.map(raw), b.map(raw));
            (a != b).then(|| Change {
                item: i.code.clone(),
                old: a,
                new: b,
            })
        })
        .collect()
}

/// Reads a form's or a sheet's texts into answers: every problem by item, as
/// [`Template::read`] does. Kept here as the single entry for every way answers arrive.
pub fn read_answers(t: &Template, raw: &BTreeMap<String, String>) -> (Answers, Vec<(String, Msg)>) {
    t.read(raw)
}

/// The answers as canonical text, for filling a form.
pub fn raw_answers(answers: &Answers) -> BTreeMap<String, String> {
    answers.iter().map(|(k, v)| (k.clone(), raw(v))).collect()
}

/// A unit's place in a campaign, for reporting rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitState {
    NotStarted,
    Report(ReportStatus),
}

/// Reporting figures of a set of expected units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Rates {
    pub expected: i64,
    /// Submitted now (a returned report no longer counts until it is submitted again).
    pub submitted: i64,
    /// Of those, first submitted on or before the deadline.
    pub on_time: i64,
}

impl Rates {
    /// submitted / expected, `None` when nothing is expected.
    pub fn reporting_rate(&self) -> Option<f64> {
        (self.expected > 0).then(|| self.submitted as f64 / self.expected as f64)
    }

    /// on time / expected: a unit that never reported was not on time either.
    pub fn on_time_rate(&self) -> Option<f64> {
        (self.expected > 0).then(|| self.on_time as f64 / self.expected as f64)
    }

    pub fn missing(&self) -> i64 {
        self.expected - self.submitted
    }

    pub fn plus(self, o: Rates) -> Rates {
        Rates {
            expected: self.expected + o.expected,
            submitted: self.submitted + o.submitted,
            on_time: self.on_time + o.on_time,
        }
    }
}

/// A share as people write it: `96.3%`, or `—` when there is nothing to divide by.
pub fn percent(r: Option<f64>) -> String {
    match r {
        Some(r) => format!("{:.1}%", r * 100.0),
        None => "—".to_string(),
    }
}

/// Checks what a campaign is opened with: a year people write, a deadline after the opening.
pub fn check_campaign(year: i32, opens_on: NaiveDate, deadline: NaiveDate) -> Result<(), Msg> {
    if !(2000..=2100).contains(&year) {
        return Err(Msg::new("campaign.bad_year").with("value", year));
    }
    if deadline < opens_on {
        return Err(Msg::new("campaign.deadline_before_open"));
    }
    Ok(())
}

/// Text of a reason or comment, trimmed; empty is refused.
pub fn reason(input: &str) -> Result<String, Msg> {
    let s = value::trim(input);
    if s.is_empty() {
        Err(Msg::new("report.reason_required"))
    } else if s.chars().count() > 2000 {
        Err(Msg::new("report.reason_too_long"))
    } else {
        Ok(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::sample;

    fn filled() -> Answers {
        let t = sample();
        let raw: BTreeMap<String, String> = [
            ("uscc", "无"),
            ("category", "行业"),
            ("registered", "是"),
            ("members_total", "120"),
            ("members_unit", "100"),
            ("members_individual", "20"),
            ("council_size", "30"),
            ("staff_fulltime", "2"),
            ("party_org", "否"),
            ("party_org_form", "未建立"),
            ("party_org_reason", "党员人数不足"),
            ("party_instructor", "是"),
            ("party_members", "2"),
            ("party_in_charter", "是"),
            ("political_study", "4"),
            ("general_assembly", "1"),
            ("council_meetings", "2"),
            ("last_reelection", "2021年5月3日"),
            ("finance_rules", "是"),
            ("audited", "否"),
            ("income_total", "12.5"),
            ("expense_total", "10.10"),
            ("dues_income", "8"),
            ("service_events", "6"),
            ("charity_amount", "0"),
            ("prior_inspection", "合格"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let (answers, problems) = t.read(&raw);
        assert!(problems.is_empty(), "{problems:?}");
        answers
    }

    #[test]
    fn answers_survive_storage() {
        let t = sample();
        let a = filled();
        let back = from_json(&t, &to_json(&a)).unwrap();
        assert_eq!(back, a);
        assert!(to_json(&a).contains("\"members_total\":120"));
        assert!(to_json(&a).contains("\"party_org\":false"));
    }

    #[test]
    fn canonical_text_reads_back_to_the_same_value() {
        let t = sample();
        let a = filled();
        let (again, problems) = t.read(&raw_answers(&a));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(again, a);
        assert_eq!(decimal_text(10.10), "10.1");
        assert_eq!(decimal_text(3.0), "3");
    }

    #[test]
    fn changes_name_old_and_new() {
        let t = sample();
        let a = filled();
        let mut b = a.clone();
        b.insert("members_total".into(), Value::Integer(121));
        b.remove("charity_amount");
        let c = changes(&t, &a, &b);
        assert_eq!(
            c,
            vec![
                Change {
                    item: "members_total".into(),
                    old: Some("120".into()),
                    new: Some("121".into())
                },
                Change {
                    item: "charity_amount".into(),
                    old: Some("0".into()),
                    new: None
                },
            ]
        );
        assert!(changes(&t, &a, &a.clone()).is_empty());
    }

    #[test]
    fn workflow() {
        use ReportStatus::*;
        assert_eq!(next_status(None, Action::Save), Ok(Draft));
        assert_eq!(next_status(Some(Draft), Action::Submit), Ok(Submitted));
        assert!(next_status(Some(Submitted), Action::Save).is_err());
        assert!(next_status(Some(Submitted), Action::Submit).is_err());
        assert_eq!(next_status(Some(Submitted), Action::Return), Ok(Returned));
        assert_eq!(next_status(Some(Returned), Action::Save), Ok(Returned));
        assert_eq!(next_status(Some(Returned), Action::Submit), Ok(Submitted));
        assert!(next_status(Some(Draft), Action::Return).is_err());
        assert!(next_status(None, Action::Return).is_err());
        assert_eq!(next_status(Some(Submitted), Action::Import), Ok(Submitted));
    }

    #[test]
    fn rates() {
        let r = Rates {
            expected: 54,
            submitted: 52,
            on_time: 50,
        };
        assert_eq!(percent(r.reporting_rate()), "96.3%");
        assert_eq!(r.missing(), 2);
        assert_eq!(percent(Rates::default().reporting_rate()), "—");
    }

    #[test]
    fn display_uses_labels() {
        let t = sample();
        let a = filled();
        let item = t.item("category").unwrap();
        assert_eq!(
            display(item, &a["category"], &t.choices, Lang::ZhCn),
            "行业"
        );
        assert_eq!(
            display(item, &a["category"], &t.choices, Lang::En),
            "Industry"
        );
        let po = t.item("party_org").unwrap();
        assert_eq!(display(po, &a["party_org"], &t.choices, Lang::En), "No");
    }
}
